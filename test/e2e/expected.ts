/**
 * What the e2e checks expect a user to read, computed from the core (or committed fixture JSON),
 * never copied from the page: a check passes only when the numbers on screen are right.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspectModel } from '../../src/core/arch/inspect';
import { toFlopsConfig } from '../../src/core/arch/toFlopsConfig';
import { analyticFlops, preset, type ModelConfig } from '../../src/core/flops';
import { readRelpos } from '../../src/core/report/relpos';
import { windowCounts } from '../../src/core/swin/window';
import { root } from './harness';

/** A fixture's committed expectations (test/fixtures/models/<name>.expected.json). */
export function expectedFixture(name: string): { family: string; params: number; config: { depths: number[] } & Record<string, unknown> } {
  return JSON.parse(readFileSync(join(root, 'test', 'fixtures', 'models', `${name}.expected.json`), 'utf8'));
}

/** The params line of the architecture header: "28,288,354 (…)". */
export const paramsText = (n: number): RegExp => new RegExp(`^${n.toLocaleString('en-US')} \\(`);

/** The status line of Show Shifted Windows for a model that is not a Swin: Swin-T's stage 1. */
export function shiftedWindowsText(): { tokens: string; windows: string } {
  const s = analyticFlops(preset('swin-t')).stages[0];
  const M = s.window!;
  const c = windowCounts(s.tokens[0], s.tokens[1], M, Math.floor(M / 2));
  return {
    tokens: `${s.tokens[0]}×${s.tokens[1]} tokens, window M=${M}, shift s=⌊M/2⌋=${Math.floor(M / 2)}`,
    windows: `Windows: ${c.regular} regular; a naive shifted partition needs ${c.shiftedNaive}, the cyclic shift keeps ${c.shiftedCyclic}.`,
  };
}

/** The config the complexity panel counts: the model's (source "model") or a preset's. */
function complexityConfig(source: string, model?: string): ModelConfig {
  if (source !== 'model') return preset(source);
  const r = inspectModel(model!);
  const c = toFlopsConfig(r.family, r.config);
  if (!c) throw new Error(`${model} has no analytic config`);
  return c;
}

/** The first six cells of each row of the stage table (MACs): stage, tokens, C, M, Ω(MSA), Ω(W-MSA). */
export function stageRows(source: string, model?: string): string[][] {
  return analyticFlops(complexityConfig(source, model)).stages.map((s) => [
    s.name,
    `${s.tokens[0]}×${s.tokens[1]}`,
    String(s.dim),
    String(s.window ?? 'global'),
    s.msaMacs.toLocaleString('en-US'),
    s.wmsaMacs === null ? '—' : s.wmsaMacs.toLocaleString('en-US'),
  ]);
}

/** `vit-inspect ARGS --json` (dist/cli.js): what the CLI says for the same inputs. */
export function cliJson<T>(args: string[]): T {
  return JSON.parse(execFileSync(process.execPath, [join(root, 'dist', 'cli.js'), ...args, '--json'], { encoding: 'utf8', maxBuffer: 64 << 20 })) as T;
}

/** The classify panel's top classes for an image, from the CLI (the same core, not the panel). */
export function topClasses(image: string, model: string, k: number): { label: string; prob: string }[] {
  const out = cliJson<{ results: { top: { label: string; prob: number }[] }[] }>(['classify', image, '--model', model, '--top', String(k), '--ep', 'cpu']);
  return out.results[0].top.map((t: { label: string; prob: number }) => ({ label: t.label, prob: pct(t.prob) }));
}

/** How the panel writes a probability (webview/classify: one decimal, three below 0.1%). */
function pct(p: number): string {
  return p >= 0.9995 ? '100%' : `${(p * 100).toFixed(p < 0.001 ? 3 : 1)}%`;
}

/** Relative position bias of a model's first block: heads and the table side (2M−1). */
export function relposFirst(model: string): { heads: number; rows: number; cols: number; blocks: { heads: number }[] } {
  const r = readRelpos(model);
  const l = r.layers[0];
  return { heads: l.heads, rows: 2 * l.window[0] - 1, cols: 2 * l.window[1] - 1, blocks: r.layers.map((x) => ({ heads: x.heads })) };
}
