/** Softmax over logits (stable: subtract the max) and the k most probable classes. */
export function softmax(logits: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]);
  const out = new Float64Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += out[i] = Math.exp(logits[i] - max);
  for (let i = 0; i < out.length; i++) out[i] /= sum;
  return out;
}

export interface TopEntry {
  index: number;
  label: string;
  prob: number;
}

export function topK(logits: ArrayLike<number>, k: number, label: (i: number) => string): TopEntry[] {
  const p = softmax(logits);
  const idx = Array.from(p.keys()).sort((a, b) => p[b] - p[a] || a - b);
  return idx.slice(0, Math.max(1, Math.min(k, idx.length))).map((index) => ({ index, label: label(index), prob: p[index] }));
}
