import { UserError } from '../errors';
import { matchClass } from '../evaluate/layout';

/** The class asked for, checked against the model's classes; default the top-1 of `logits`. */
export function chooseClass(logits: ArrayLike<number>, asked: number | undefined): number {
  const n = logits.length;
  if (asked === undefined) {
    let best = 0;
    for (let i = 1; i < n; i++) if (logits[i] > logits[best]) best = i;
    return best;
  }
  if (!Number.isInteger(asked) || asked < 0 || asked >= n) throw new UserError(`--class must be a class index from 0 to ${n - 1} (the model has ${n} classes); got ${asked}.`);
  return asked;
}

/** softmax(logits)[k], computed stably. */
export function softmaxAt(logits: ArrayLike<number>, k: number, offset = 0, n = logits.length - offset): number {
  let max = -Infinity;
  for (let i = 0; i < n; i++) max = Math.max(max, logits[offset + i]);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.exp(logits[offset + i] - max);
  return Math.exp(logits[offset + k] - max) / sum;
}

/** The class a name means (a label, ignoring case, spaces, "_", "-" and "/"; or an index), else a UserError listing the labels. */
export function classByName(name: string, labels: readonly string[] | null, n: number): number {
  const k = matchClass(name, labels, n);
  if (k !== null) return k;
  // An index past the last class (typed in the panel's "by name or index" box): the valid range, not the names.
  if (/^\d+$/.test(name.trim())) throw new UserError(`Class ${name.trim()} is out of range: the model has ${n} classes, indices 0 to ${n - 1}.`);
  if (!labels) throw new UserError(`The model has no labels, so a class is named by its index (0 to ${n - 1}); got "${name}".`);
  const shown = labels.length > 12 ? `${labels.slice(0, 12).join(', ')}, … (${labels.length} in all)` : labels.join(', ');
  throw new UserError(`No class is named "${name}": the model's classes are ${shown}.`);
}
