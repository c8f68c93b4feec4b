/**
 * Scaled dot-product attention for one query (Attention Is All You Need, eq. 1), written as the
 * step-through recomputes it from the model's own tensors: scores = q·kᵀ·scale (+ B + mask),
 * weights = softmax(scores), context = weights·V.
 */

/** max |a − b| over two equally long vectors; Infinity when the lengths differ (a check that must fail). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = d; // NaN propagates as NaN
  }
  return m;
}

/** q·k_jᵀ·scale for every key j, plus the optional additive rows (Swin's B and mask). */
export function attentionScores(q: ArrayLike<number>, k: readonly ArrayLike<number>[], scale: number, ...add: (ArrayLike<number> | undefined)[]): number[] {
  return k.map((kj, j) => {
    let s = 0;
    for (let i = 0; i < q.length; i++) s += q[i] * kj[i];
    s *= scale;
    for (const row of add) if (row) s += row[j];
    return s;
  });
}

/**
 * Swin V2's scaled cosine attention for one query: cos(q, k_j)·τ, with the vectors normalised as
 * F.normalize does (x / max(‖x‖, ε)), plus the optional additive rows (B and the mask).
 */
export function cosineScores(q: ArrayLike<number>, k: readonly ArrayLike<number>[], tau: number, eps: number, ...add: (ArrayLike<number> | undefined)[]): number[] {
  const norm = (x: ArrayLike<number>): number => {
    let s = 0;
    for (let i = 0; i < x.length; i++) s += x[i] * x[i];
    return Math.max(Math.sqrt(s), eps);
  };
  const nq = norm(q);
  return attentionScores(q, k, 1).map((s, j) => {
    let v = (s / (nq * norm(k[j]))) * tau;
    for (const row of add) if (row) v += row[j];
    return v;
  });
}

/** softmax with the maximum subtracted first, as ONNX Runtime's Softmax does. */
export function softmax(x: ArrayLike<number>): number[] {
  let m = -Infinity;
  for (let i = 0; i < x.length; i++) if (x[i] > m) m = x[i];
  const e = Array.from(x, (v) => Math.exp(v - m));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

/** Σ_j w_j·v_j: the head's output for the token. */
export function weightedSum(w: ArrayLike<number>, v: readonly ArrayLike<number>[]): number[] {
  const d = v.length ? v[0].length : 0;
  const out = new Array<number>(d).fill(0);
  for (let j = 0; j < v.length; j++) for (let i = 0; i < d; i++) out[i] += w[j] * v[j][i];
  return out;
}
