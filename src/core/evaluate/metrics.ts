/**
 * Scores of a classifier on labelled images, counted the textbook way: accuracy = correct / scored,
 * top-5 = truth among the five most probable, per class precision = TP / predicted as it and
 * recall = TP / truly it (0 when the denominator is 0), the confusion matrix with rows = true class
 * and columns = predicted, in the model's label order. Images that could not be read are not scored.
 */
export interface Prediction {
  path: string;
  truth: number;
  /** Class indices, most probable first (at least the top-1); empty when the image was not scored. */
  top: number[];
  /** The probabilities of `top`, when the classifier gave them (the worst mistakes are the surest wrong ones). */
  probs?: number[];
}

export interface ClassScore {
  label: string;
  precision: number;
  recall: number;
  support: number;
}

export interface Scores {
  scored: number;
  accuracy: number;
  top5: number;
  perClass: ClassScore[];
  confusion: number[][];
}

export function score(predictions: readonly Prediction[], labels: readonly string[]): Scores {
  const n = labels.length;
  const confusion = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  let correct = 0;
  let top5 = 0;
  let scored = 0;
  for (const p of predictions) {
    if (!p.top.length) continue;
    scored++;
    confusion[p.truth][p.top[0]]++;
    if (p.top[0] === p.truth) correct++;
    if (p.top.slice(0, 5).includes(p.truth)) top5++;
  }
  const perClass = labels.map((label, c) => {
    const tp = confusion[c][c];
    const support = confusion[c].reduce((a, b) => a + b, 0);
    const predicted = confusion.reduce((a, row) => a + row[c], 0);
    return { label, precision: predicted ? tp / predicted : 0, recall: support ? tp / support : 0, support };
  });
  return { scored, accuracy: scored ? correct / scored : 0, top5: scored ? top5 / scored : 0, perClass, confusion };
}

/** Share of the images scored by every model on which all models give the same top-1. */
export function agreement(runs: readonly (readonly Prediction[])[]): number {
  if (runs.length < 2) return 1;
  let both = 0;
  let same = 0;
  for (let i = 0; i < runs[0].length; i++) {
    const tops = runs.map((r) => r[i]?.top[0]);
    if (tops.some((t) => t === undefined)) continue;
    both++;
    if (tops.every((t) => t === tops[0])) same++;
  }
  return both ? same / both : 0;
}

/** Images where the models' top-1 differ (paths and each model's top-1), in folder order. */
export function disagreements(runs: readonly (readonly Prediction[])[]): { path: string; truth: number; top1: number[] }[] {
  if (runs.length < 2) return [];
  const out: { path: string; truth: number; top1: number[] }[] = [];
  for (let i = 0; i < runs[0].length; i++) {
    const tops = runs.map((r) => r[i]?.top[0]);
    if (tops.some((t) => t === undefined) || tops.every((t) => t === tops[0])) continue;
    out.push({ path: runs[0][i].path, truth: runs[0][i].truth, top1: tops as number[] });
  }
  return out;
}

/** The images of one confusion cell (true class `truth`, predicted `predicted`), in folder order. */
export function cellImages(predictions: readonly Prediction[], truth: number, predicted: number): Prediction[] {
  return predictions.filter((p) => p.top.length && p.truth === truth && p.top[0] === predicted);
}

/** The mistakes, worst first: the surest wrong top-1, then the least probability left for the true class among the top. */
export function worstMistakes(predictions: readonly Prediction[]): Prediction[] {
  const wrong = predictions.filter((p) => p.top.length && p.top[0] !== p.truth);
  const trueProb = (p: Prediction) => {
    const k = p.top.indexOf(p.truth);
    return k >= 0 ? (p.probs?.[k] ?? 0) : 0;
  };
  return wrong.sort((a, b) => (b.probs?.[0] ?? 0) - (a.probs?.[0] ?? 0) || trueProb(a) - trueProb(b));
}
