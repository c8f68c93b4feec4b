/** `vit-inspect trace`: one token of an image through one forward pass, step by step, each step checked. */
import { basename, resolve } from 'node:path';
import { UserError } from '../core/errors';
import { table } from '../core/textTable';
import type { TraceResult } from '../core/trace/types';
import { int, type Args } from './args';
import { epOrder, modelFlag, print, printJson, warn, withRuntime } from './common';

export async function runTrace(args: Args, json: boolean, usage: string): Promise<void> {
  const need = (name: string): number => {
    const v = int(args, name, 0);
    if (v === undefined) throw new UserError(`--${name} is needed: ${usage}`);
    return v;
  };
  const model = modelFlag(args);
  const [layer, head, token] = [need('layer'), need('head'), need('token')];
  const r = await withRuntime((c) => c.request('trace', { model, image: resolve(args.positionals[0]), layer, head, token, order: epOrder(args) }));
  warn(r.warnings);
  if (json) return printJson(traceDocument(r));
  print(summary(r));
}

/** The JSON document: the contract's fields (DESIGN.md), then the additive ones. */
export function traceDocument(r: TraceResult & { cropped?: unknown }): TraceResult {
  const { cropped: _image, ...doc } = r; // the panel's image, never asked for here
  return doc;
}

const fmt = (x: number): string => (x === 0 ? '0' : Math.abs(x) < 1e-3 || Math.abs(x) >= 1e4 ? x.toExponential(1) : x.toFixed(4));

function summary(r: TraceResult): string {
  const where = r.window !== undefined ? `, window ${r.window} position ${r.position}${r.shift ? ` (shift ${r.shift})` : ''}` : r.extraTokens && r.token < r.extraTokens.length ? ` (the ${r.extraTokens[r.token]} token)` : '';
  const lines = [`${basename(r.model ?? '')} (${r.family}) on ${r.ep}: block ${r.layer}, head ${r.head}, token ${r.token}${where}`];
  lines.push(table(['step', 'shape', 'formula', 'check'], r.steps.map((s) => [
    s.id,
    s.unavailable ? '—' : `[${s.shape.join(', ')}]`,
    s.unavailable ? `unavailable: ${s.unavailable}` : s.formula,
    s.check
      ? `max |Δ| ${fmt(s.check.maxAbsDiff)} (from ${s.check.recomputedFrom.join(', ')})${s.check.tolerance ? `; may be up to ${fmt(s.check.tolerance)}: ${s.check.note ?? ''}` : ''}`
      : s.checkUnavailable ? `not recomputed: ${s.checkUnavailable}` : '',
  ])));
  if (r.top?.length) lines.push(`top: ${r.top.slice(0, 3).map((t) => `${t.label} ${(t.prob * 100).toFixed(1)}%`).join(', ')}`);
  return lines.join('\n');
}
