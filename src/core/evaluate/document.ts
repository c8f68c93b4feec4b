/** The `vit-inspect evaluate` document (DESIGN.md's contract) and the CSV written beside the folder. */
import { basename, dirname, join } from 'node:path';
import { agreement, score, type ClassScore, type Prediction } from './metrics';

export interface ModelRun {
  model: string;
  labels: string[];
  predictions: Prediction[];
  seconds: number;
  /** The execution provider the runs used (the last one, after any fallback). */
  ep?: string;
}

export interface EvaluateDocument {
  images: number;
  unmatched: string[];
  unreadable: { path: string; reason: string }[];
  empty: string[];
  models: { model: string; labels: string[]; accuracy: number; top5: number; perClass: ClassScore[]; confusion: number[][]; imagesPerSecond: number }[];
  agreement?: number;
}

export function evaluateDocument(images: number, unmatched: string[], empty: string[], unreadable: { path: string; reason: string }[], runs: ModelRun[]): EvaluateDocument {
  const doc: EvaluateDocument = {
    images,
    unmatched,
    unreadable,
    empty,
    models: runs.map((r) => {
      const s = score(r.predictions, r.labels);
      return { model: r.model, labels: r.labels, accuracy: s.accuracy, top5: s.top5, perClass: s.perClass, confusion: s.confusion, imagesPerSecond: r.seconds > 0 ? s.scored / r.seconds : 0 };
    }),
  };
  if (runs.length > 1) doc.agreement = agreement(runs.map((r) => r.predictions));
  return doc;
}

const cell = (v: string | number): string => (/[",\n\r]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v));

/** One row per image and model: the truth, the top-1 and whether it is right. */
export function evaluateCsv(runs: ModelRun[]): string {
  const lines = ['model,image,true_index,true_label,predicted_index,predicted_label,correct'];
  for (const r of runs)
    for (const p of r.predictions)
      if (p.top.length) lines.push([basename(r.model), p.path, p.truth, r.labels[p.truth], p.top[0], r.labels[p.top[0]], p.top[0] === p.truth ? 1 : 0].map(cell).join(','));
  return lines.join('\n') + '\n';
}

/** photos/ → photos.evaluate.csv / .json beside it. */
export function evaluatePaths(folder: string): { csv: string; json: string } {
  const base = join(dirname(folder), `${basename(folder)}.evaluate`);
  return { csv: `${base}.csv`, json: `${base}.json` };
}
