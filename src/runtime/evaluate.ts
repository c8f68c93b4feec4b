/**
 * Evaluate on a labelled folder, host side: each model classifies the folder through the inference
 * process's classify request in Classify Folder's chunks (so its throughput is Classify Folder's),
 * then core/evaluate scores it. Shared by `vit-inspect evaluate` and Evaluate Model on Folder.
 */
import { relative } from 'node:path';
import { UserError } from '../core/errors';
import { resolveLabels } from '../core/classify/labels';
import { listImages } from '../core/image/folder';
import { readImageFolder, readLabelsCsv, type LabelledFolder } from '../core/evaluate/layout';
import { evaluateDocument, type EvaluateDocument, type ModelRun } from '../core/evaluate/document';
import { compareEvaluation, type CompareEvaluation } from '../core/compare/document';
import type { Prediction } from '../core/evaluate/metrics';
import type { CancelSignal, RuntimeClient } from './client';
import type { PreprocessingOverrides } from '../core/image/preprocess';

export interface EvaluateOptions {
  token?: CancelSignal;
  labelsFile?: string;
  maxPixels?: number;
  /** The vitInspector.preprocessing.* settings: the folder is scored on the input Classify would show. */
  overrides?: PreprocessingOverrides;
  onProgress?: (model: string, done: number, total: number) => void;
}

/** Images per classify request: the chunk Classify Folder sends, so throughput is the same. */
const CHUNK = 16;

/** An image to load the model with (untimed): the first under the folder. */
function probe(dir: string, csv: string | undefined): string[] {
  const first = listImages(dir, 1);
  if (!first.length) throw new UserError(`No images under ${csv ? 'the folder of ' + csv : dir}.`);
  return first;
}

/** Classifies the folder's images with one model through the inference process's classify request. */
async function runModel(client: RuntimeClient, model: string, dir: string, csv: string | undefined, order: string[], opts: EvaluateOptions): Promise<{ run: ModelRun; folder: LabelledFolder; unreadable: { path: string; reason: string }[] }> {
  // One image first: it loads the session and says how many classes the model has.
  const layoutOf = (names: string[] | null, n: number): LabelledFolder => (csv ? readLabelsCsv(csv, dir, names, n) : readImageFolder(dir, names, n));
  let folder: LabelledFolder | undefined;
  let labels: string[] = [];
  const predictions: Prediction[] = [];
  const unreadable: { path: string; reason: string }[] = [];
  let seconds = 0;
  let ep = '';
  let images: string[] = [];
  for (let i = 0; ; ) {
    const chunk = folder ? images.slice(i, i + CHUNK) : null;
    if (chunk && chunk.length === 0) break;
    const t0 = performance.now();
    const r = await client.request('classify', { model, images: chunk ?? probe(dir, csv), topK: 5, order, overrides: opts.overrides, labelsFile: opts.labelsFile, maxPixels: opts.maxPixels }, opts.token);
    ep = r.ep;
    if (!folder) {
      const n = r.numClasses ?? r.labels.count;
      const named = resolveLabels(model, n, { labelsFile: opts.labelsFile });
      labels = Array.from({ length: n }, (_, k) => named.names?.[k] ?? String(k));
      folder = layoutOf(named.names, n);
      images = folder.images.map((x) => x.path);
      continue;
    }
    seconds += (performance.now() - t0) / 1000;
    for (const x of r.results) {
      const truth = folder.images[i + r.results.indexOf(x)].truth;
      if (x.ok) predictions.push({ path: x.image, truth, top: x.top.map((t) => t.index), probs: x.top.map((t) => t.prob) });
      else {
        predictions.push({ path: x.image, truth, top: [] });
        unreadable.push({ path: x.image, reason: x.error });
      }
    }
    i += chunk!.length;
    opts.onProgress?.(model, i, images.length);
  }
  return { run: { model, labels, predictions, seconds, ep }, folder: folder!, unreadable };
}

/** Every model on the folder, one after the other; unreadable paths relative to `dir`. */
export async function evaluateFolder(client: RuntimeClient, models: string[], dir: string, csv: string | undefined, order: string[], opts: EvaluateOptions = {}): Promise<{ doc: EvaluateDocument; runs: ModelRun[]; note?: string }> {
  const runs: ModelRun[] = [];
  let first: { folder: LabelledFolder; unreadable: { path: string; reason: string }[] } | undefined;
  for (const m of models) {
    const r = await runModel(client, m, dir, csv, order, opts);
    runs.push(r.run);
    first ??= r;
  }
  const doc = evaluateDocument(first!.folder.images.length, first!.folder.unmatched, first!.folder.empty, first!.unreadable.map((u) => ({ ...u, path: relative(dir, u.path) })), runs);
  return { doc, runs, note: first!.folder.note };
}


/**
 * Compare Models' accuracy section: every model scored on the folder (or its labels CSV) with the
 * same options as Evaluate Model on Folder, so the two cannot disagree. Paths relative to `dir`.
 */
export async function compareOnFolder(client: RuntimeClient, models: string[], names: readonly string[], dir: string, csv: string | undefined, order: string[], opts: EvaluateOptions = {}): Promise<{ evaluation: CompareEvaluation; note?: string }> {
  const r = await evaluateFolder(client, models, dir, csv, order, opts);
  return { evaluation: compareEvaluation(dir, names, r.doc, r.runs, (p) => relative(dir, p)), note: r.note };
}
