/** `vit-inspect evaluate`: accuracy, top-5, per-class scores and the confusion matrix on a labelled folder, per model. */
import { join, relative, resolve } from 'node:path';
import { DEFAULT_PROVIDER_ORDER } from '../core/session/providers';
import { UserError } from '../core/errors';
import { resolveLabels } from '../core/classify/labels';
import { readImageFolder, readLabelsCsv, type LabelledFolder } from '../core/evaluate/layout';
import { evaluateDocument, type EvaluateDocument, type ModelRun } from '../core/evaluate/document';
import type { Prediction } from '../core/evaluate/metrics';
import { RuntimeClient } from '../runtime/client';
import { str, unknownFlags, type Args } from './args';
import { table } from '../core/textTable';
import { listImages } from '../core/image/folder';

type Command = { summary: string; usage: string; booleans?: string[]; run(args: Args, json: boolean): Promise<void> };

const print = (s: string): void => void process.stdout.write(s.endsWith('\n') ? s : s + '\n');
/** Images per classify request: the chunk Classify Folder sends, so throughput is the same. */
const CHUNK = 16;

/** An image to load the model with (untimed): the first under the folder. */
function probe(dir: string, csv: string | undefined): string[] {
  const first = listImages(dir, 1);
  if (!first.length) throw new UserError(`No images under ${csv ? 'the folder of ' + csv : dir}.`);
  return first;
}

/** Classifies the folder's images with one model through the inference process's classify request. */
async function runModel(client: RuntimeClient, model: string, dir: string, csv: string | undefined, order: string[]): Promise<{ run: ModelRun; folder: LabelledFolder; unreadable: { path: string; reason: string }[] }> {
  // One image first: it loads the session and says how many classes the model has.
  const layoutOf = (names: string[] | null, n: number): LabelledFolder => (csv ? readLabelsCsv(csv, dir, names, n) : readImageFolder(dir, names, n));
  let folder: LabelledFolder | undefined;
  let labels: string[] = [];
  const predictions: Prediction[] = [];
  const unreadable: { path: string; reason: string }[] = [];
  let seconds = 0;
  let images: string[] = [];
  for (let i = 0; ; ) {
    const chunk = folder ? images.slice(i, i + CHUNK) : null;
    if (chunk && chunk.length === 0) break;
    const t0 = performance.now();
    const r = await client.request('classify', { model, images: chunk ?? probe(dir, csv), topK: 5, order });
    if (!folder) {
      const n = r.numClasses ?? r.labels.count;
      const named = resolveLabels(model, n);
      labels = Array.from({ length: n }, (_, k) => named.names?.[k] ?? String(k));
      folder = layoutOf(named.names, n);
      images = folder.images.map((x) => x.path);
      continue;
    }
    seconds += (performance.now() - t0) / 1000;
    for (const x of r.results) {
      const truth = folder.images[i + r.results.indexOf(x)].truth;
      if (x.ok) predictions.push({ path: x.image, truth, top: x.top.map((t) => t.index) });
      else {
        predictions.push({ path: x.image, truth, top: [] });
        unreadable.push({ path: x.image, reason: x.error });
      }
    }
    i += chunk!.length;
  }
  return { run: { model, labels, predictions, seconds }, folder: folder!, unreadable };
}

/** Every model on the folder, one after the other; unreadable paths relative to `dir`. */
export async function evaluateFolder(client: RuntimeClient, models: string[], dir: string, csv: string | undefined, order: string[]): Promise<{ doc: EvaluateDocument; runs: ModelRun[]; note?: string }> {
  const runs: ModelRun[] = [];
  let first: { folder: LabelledFolder; unreadable: { path: string; reason: string }[] } | undefined;
  for (const m of models) {
    const r = await runModel(client, m, dir, csv, order);
    runs.push(r.run);
    first ??= r;
  }
  const doc = evaluateDocument(first!.folder.images.length, first!.folder.unmatched, first!.folder.empty, first!.unreadable.map((u) => ({ ...u, path: relative(dir, u.path) })), runs);
  return { doc, runs, note: first!.folder.note };
}

export const evaluateCommands: Record<string, Command> = {
  evaluate: {
    summary: 'accuracy, top-5, per-class precision/recall and the confusion matrix of one or more models on a labelled folder',
    usage: 'vit-inspect evaluate DIR --model A [--model B ...] [--labels-csv F] [--ep cuda,cpu] [--json]',
    async run(args, json) {
      unknownFlags(args, ['model', 'labels-csv', 'ep', 'json']);
      if (args.positionals.length !== 1) throw new UserError('Give one labelled folder: vit-inspect evaluate DIR --model A [--model B ...]');
      const models = (args.repeated?.get('model') ?? []).map((m) => resolve(m));
      if (!models.length) models.push(resolve(__dirname, '..', 'media', 'models', 'fashion-vit.onnx'));
      const dir = resolve(args.positionals[0]);
      const csv = str(args, 'labels-csv');
      const order = (str(args, 'ep') ?? DEFAULT_PROVIDER_ORDER.join(',')).split(',').map((s) => s.trim()).filter(Boolean);
      const client = new RuntimeClient(join(__dirname, 'runtime.js'));
      let result: Awaited<ReturnType<typeof evaluateFolder>>;
      try {
        result = await evaluateFolder(client, models, dir, csv && resolve(csv), order);
      } finally {
        client.dispose();
      }
      const { doc, note } = result;
      if (note) process.stderr.write(`note: ${note}\n`);
      if (json) return print(JSON.stringify(doc, null, 2));
      print(`${doc.images} images in ${dir}`);
      if (doc.unmatched.length) print(`folders matching no class (skipped): ${doc.unmatched.join(', ')}`);
      if (doc.empty.length) print(`empty classes: ${doc.empty.join(', ')}`);
      for (const u of doc.unreadable) print(`unreadable: ${u.path}: ${u.reason}`);
      for (const m of doc.models) {
        print(`\n${m.model}\naccuracy ${(m.accuracy * 100).toFixed(2)}%, top-5 ${(m.top5 * 100).toFixed(2)}%, ${m.imagesPerSecond.toFixed(1)} images/s`);
        print(table(['class', 'precision', 'recall', 'support'], m.perClass.map((c) => [c.label, c.precision.toFixed(3), c.recall.toFixed(3), c.support])));
        print('confusion (rows = true, columns = predicted):');
        print(table(['true \\ predicted', ...m.labels.map((_, i) => String(i))], m.confusion.map((row, i) => [`${i} ${m.labels[i]}`, ...row])));
      }
      if (doc.agreement !== undefined) print(`\nagreement (same top-1): ${(doc.agreement * 100).toFixed(2)}%`);
    },
  },
};
