/**
 * `vit-inspect compare`: two or more models side by side — the Compare Models panel's document
 * (core/compare): config, params, MACs per stage and role, Ω(MSA) against Ω(W-MSA), latency per
 * image on the active provider (runtime/latency.ts, the shipped samples, alternated rounds) and,
 * with --folder, each model's accuracy, their agreement and the images where they disagree.
 */
import { readdirSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { inspectModel } from '../core/arch/inspect';
import { compareDocument, latencyRows, parseResolutions, COMPARE_ROLES, COMPARE_ROLE_NAMES } from '../core/compare/document';
import { UserError } from '../core/errors';
import { IMAGE_EXTENSIONS } from '../core/image/folder';
import { table } from '../core/textTable';
import { compareOnFolder } from '../runtime/evaluate';
import { int, str, type Args } from './args';
import { epOrder, print, printJson, withRuntime } from './common';

/** The panel's latency set: the first ten shipped samples (one per Fashion-MNIST class), three rounds. */
export const LATENCY_IMAGES = 10;
export const ROUNDS = 3;

export function sampleImages(dir = resolve(__dirname, '..', 'samples')): string[] {
  return readdirSync(dir).filter((f) => IMAGE_EXTENSIONS.test(f)).sort().slice(0, LATENCY_IMAGES).map((f) => resolve(dir, f));
}

const mega = (n: number) => `${(n / 1e6).toFixed(3)} M`;

export async function runCompare(args: Args, json: boolean): Promise<void> {
  const models = args.positionals.map((m) => resolve(m));
  const folder = str(args, 'folder');
  const csv = str(args, 'labels');
  if (csv !== undefined && folder === undefined) throw new UserError('--labels CSV names the labels of the images in --folder DIR; give --folder too.');
  const resText = str(args, 'resolutions');
  const resolutions = resText === undefined ? undefined : parseResolutions(resText);
  if (resolutions === null) throw new UserError(`--resolutions is a list of input sizes in pixels, e.g. 224,384; got "${resText}".`);
  const rounds = int(args, 'rounds', 1, 1000) ?? ROUNDS;
  const names = models.map((m) => basename(m));
  const doc = compareDocument(models.map((m, i) => ({ name: names[i], arch: inspectModel(m) })), resolutions);
  const order = epOrder(args);
  await withRuntime(async (c) => {
    const r = await c.request('latency', { models, images: sampleImages(), order, rounds });
    doc.latency = latencyRows(r.models.map((x, i) => ({ model: names[i], ep: x.ep, ms: x.ms })));
    if (folder !== undefined) {
      const dir = resolve(folder);
      const e = await compareOnFolder(c, models, names, dir, csv && resolve(csv), order);
      if (e.note) process.stderr.write(`note: ${e.note}\n`);
      doc.evaluation = e.evaluation;
    }
  });
  if (json) return printJson(doc);
  const rows = (label: string, f: (m: (typeof doc.models)[number]) => string | number) => [label, ...doc.models.map((m) => String(f(m)))];
  const head = ['', ...names];
  print(
    table(head, [
      rows('family', (m) => m.family),
      rows('image / patch', (m) => `${m.imageSize ?? '?'} / ${m.patchSize ?? '?'}`),
      rows('embed dim', (m) => m.embedDim ?? '?'),
      rows('depths', (m) => m.depths?.join(', ') ?? '?'),
      rows('heads', (m) => m.heads?.join(', ') ?? '?'),
      rows('window', (m) => m.windowSize ?? 'global'),
      rows('classes', (m) => m.numClasses ?? '?'),
      rows('precision', (m) => m.precision),
      rows('params', (m) => m.params.toLocaleString('en-US')),
      rows('MACs', (m) => mega(m.macs)),
      ...COMPARE_ROLES.map((role) => rows(`  ${COMPARE_ROLE_NAMES[role]}`, (m) => mega(m.byRole[role]))),
    ]),
  );
  print('\nΩ per block (MACs of one attention block): Ω(MSA) = 4hwC² + 2(hw)²C, Ω(W-MSA) = 4hwC² + 2M²hwC');
  print(
    table(
      ['model', 'input', 'stage', 'tokens', 'C', 'M', 'Ω(MSA)', 'Ω(W-MSA)'],
      doc.omega.flatMap((o) => o.stages.map((s) => [o.model, `${o.resolution}²`, s.stage, `${s.tokens[0]}×${s.tokens[1]}`, s.dim, s.window ?? '—', mega(s.msaMacs), s.wmsaMacs === null ? '—' : mega(s.wmsaMacs)])),
    ),
  );
  print('\nlatency per image (median, batch 1, alternated rounds):');
  print(table(['model', 'ep', 'ms/image', 'runs', 'ratio'], (doc.latency ?? []).map((l) => [l.model, l.ep, l.msPerImage.toFixed(2), l.runs, `${l.ratio.toFixed(2)}×`])));
  const ev = doc.evaluation;
  if (ev) {
    print(`\non ${ev.folder} (${ev.images} images):`);
    print(table(['model', 'accuracy', 'top-5'], ev.accuracy.map((a) => [a.model, `${(a.accuracy * 100).toFixed(2)}%`, `${(a.top5 * 100).toFixed(2)}%`])));
    print(`agreement (same top-1): ${(ev.agreement * 100).toFixed(2)}%; ${ev.disagreements.length} images where they disagree`);
    for (const d of ev.disagreements.slice(0, 20)) print(`  ${d.path} (${d.truth}): ${d.top1.join(' / ')}`);
  }
}
