/**
 * Symmetric eigenproblems for the principal components of the patch-embedding filters:
 * the top eigenpairs of XᵀX (X the centred filters) without forming it, by Lanczos with full
 * reorthogonalisation, its tridiagonal matrix solved by the implicit QL method. Lanczos stops
 * when every wanted Ritz pair's residual ‖XᵀX·v − θv‖ = β_m·|y_m| is below tol·θ₁ (so each
 * eigenvalue is within that of the truth), or when the Krylov space is the whole space (exact).
 * Cyclic Jacobi is the simple exact method, for small matrices and as the tests' reference.
 */

/** Eigenvalues (descending) and unit eigenvectors (vectors[i], length n) of a symmetric n×n matrix (row-major), by cyclic Jacobi. */
export function jacobiEigen(A: ArrayLike<number>, n: number): { values: number[]; vectors: Float64Array[] } {
  const a = Float64Array.from(A);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let total = 0;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        if (j === i) total += a[i * n + j] ** 2;
        else off += a[i * n + j] ** 2;
      }
    if (off <= 1e-30 * (total + off) || off === 0) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (apq === 0) continue;
        const theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p];
          const akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k];
          const aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p];
          const vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const idx = Array.from({ length: n }, (_, i) => i).sort((x, y) => a[y * n + y] - a[x * n + x]);
  return {
    values: idx.map((i) => a[i * n + i]),
    vectors: idx.map((i) => {
      const out = new Float64Array(n);
      for (let k = 0; k < n; k++) out[k] = v[k * n + i];
      return out;
    }),
  };
}

/**
 * Eigen-decomposition of the symmetric tridiagonal matrix with diagonal `d` and sub-diagonal `e`
 * (e[i] = T[i+1][i], length m−1), by the implicit QL method with Wilkinson shifts. Returns the
 * eigenvalues (unsorted) and rows `rows` of Z (rows.length × m, row-major; column j is the
 * eigenvector of values[j]). All rows by default; Lanczos needs only the last (its residuals),
 * which makes this O(m²) instead of O(m³).
 */
export function tridiagonalEigen(diag: ArrayLike<number>, sub: ArrayLike<number>, rows?: readonly number[]): { values: Float64Array; z: Float64Array } {
  const m = diag.length;
  const d = Float64Array.from(diag);
  const e = new Float64Array(m);
  for (let i = 0; i < m - 1; i++) e[i] = sub[i];
  const R = rows ?? Array.from({ length: m }, (_, i) => i);
  const nr = R.length;
  const z = new Float64Array(nr * m);
  R.forEach((r, k) => (z[k * m + r] = 1));
  for (let l = 0; l < m; l++) {
    for (let iter = 0; ; iter++) {
      let mm = l;
      for (; mm < m - 1; mm++) {
        const dd = Math.abs(d[mm]) + Math.abs(d[mm + 1]);
        if (Math.abs(e[mm]) <= Number.EPSILON * dd) break;
      }
      if (mm === l) break;
      if (iter > 60) throw new Error('tridiagonal QL did not converge');
      let g = (d[l + 1] - d[l]) / (2 * e[l]);
      let r = Math.hypot(g, 1);
      g = d[mm] - d[l] + e[l] / (g + (g >= 0 ? r : -r));
      let s = 1;
      let c = 1;
      let p = 0;
      let i = mm - 1;
      let underflow = false;
      for (; i >= l; i--) {
        const f = s * e[i];
        const b = c * e[i];
        r = Math.hypot(f, g);
        e[i + 1] = r;
        if (r === 0) {
          d[i + 1] -= p;
          e[mm] = 0;
          underflow = true;
          break;
        }
        s = f / r;
        c = g / r;
        g = d[i + 1] - p;
        r = (d[i] - g) * s + 2 * c * b;
        p = s * r;
        d[i + 1] = g + p;
        g = c * r - b;
        for (let k = 0; k < nr; k++) {
          const zk = k * m;
          const t = z[zk + i + 1];
          z[zk + i + 1] = s * z[zk + i] + c * t;
          z[zk + i] = c * z[zk + i] - s * t;
        }
      }
      if (underflow) continue;
      d[l] -= p;
      e[l] = g;
      e[mm] = 0;
    }
  }
  return { values: d, z };
}

/** A small deterministic generator for Lanczos' start vector (results must not vary run to run). */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
  };
}

export interface TopEigen {
  /** The k largest eigenvalues, descending. */
  values: number[];
  /** Their unit eigenvectors (length n). */
  vectors: Float64Array[];
  /** Lanczos steps taken (n: the whole space, exact). */
  steps: number;
}

/**
 * The k largest eigenpairs of a symmetric positive semi-definite n×n operator given as
 * y = apply(x), by Lanczos with full reorthogonalisation.
 */
export function topEigenpairs(apply: (x: Float64Array, y: Float64Array) => void, n: number, k: number, tol = 1e-7): TopEigen {
  k = Math.min(k, n);
  const Q: Float64Array[] = [];
  const alpha: number[] = [];
  const beta: number[] = [];
  const rnd = seeded(12345);
  let q = new Float64Array(n);
  for (let i = 0; i < n; i++) q[i] = rnd();
  normalise(q);
  const w = new Float64Array(n);
  let nextCheck = Math.min(n, k + 20);
  let exhausted = false;
  for (let j = 0; j < n; j++) {
    Q.push(q);
    apply(q, w);
    const a = dot(q, w);
    alpha.push(a);
    // Full reorthogonalisation (twice is enough: Kahan–Parlett).
    for (let pass = 0; pass < 2; pass++) {
      for (const qi of Q) {
        const c = dot(qi, w);
        for (let t = 0; t < n; t++) w[t] -= c * qi[t];
      }
    }
    const b = Math.sqrt(dot(w, w));
    const m = j + 1;
    if (m === nextCheck || m === n || b <= 1e-13 * Math.abs(alpha[0] || 1)) {
      if (b <= 1e-13 * Math.abs(alpha[0] || 1)) exhausted = true;
      const r = ritz(alpha, beta, Q, n, k, b, false);
      const scale = Math.max(Math.abs(r.values[0]), 1e-300);
      if (exhausted || m === n || r.residuals.every((x) => x <= tol * scale)) {
        const done = ritz(alpha, beta, Q, n, k, b, true);
        return { values: done.values, vectors: done.vectors, steps: m };
      }
      nextCheck = Math.min(n, Math.ceil(m * 1.3) + 5);
    }
    beta.push(b);
    q = new Float64Array(n);
    for (let t = 0; t < n; t++) q[t] = w[t] / b;
  }
  const r = ritz(alpha, beta, Q, n, k, 0, true);
  return { values: r.values, vectors: r.vectors, steps: Q.length };
}

function ritz(alpha: number[], beta: number[], Q: Float64Array[], n: number, k: number, bLast: number, vectors: boolean): { values: number[]; vectors: Float64Array[]; residuals: number[] } {
  const m = alpha.length;
  const { values, z } = tridiagonalEigen(alpha, beta, [m - 1]);
  const idx = Array.from({ length: m }, (_, i) => i).sort((x, y) => values[y] - values[x]).slice(0, Math.min(k, m));
  const residuals = idx.map((c) => Math.abs(bLast * z[c]));
  if (!vectors) return { values: idx.map((c) => values[c]), vectors: [], residuals };
  const ys = idx.map((c) => inverseIteration(alpha, beta, values[c]));
  // Orthonormalise the y's (clustered eigenvalues give nearly parallel inverse-iteration vectors).
  for (let a = 0; a < ys.length; a++) {
    for (let pass = 0; pass < 2; pass++) {
      for (let b = 0; b < a; b++) {
        const c = dot(ys[a], ys[b]);
        for (let t = 0; t < m; t++) ys[a][t] -= c * ys[b][t];
      }
    }
    normalise(ys[a]);
  }
  const vecs = ys.map((y) => {
    const v = new Float64Array(n);
    for (let r = 0; r < m; r++) {
      const w = y[r];
      if (w === 0) continue;
      const qr = Q[r];
      for (let t = 0; t < n; t++) v[t] += w * qr[t];
    }
    normalise(v);
    return v;
  });
  return { values: idx.map((c) => values[c]), vectors: vecs, residuals };
}

/** Eigenvector of the tridiagonal T for the (accurate) eigenvalue θ: two steps of inverse iteration, (T − θI)·y = b by Gaussian elimination with partial pivoting. */
function inverseIteration(alpha: readonly number[], beta: readonly number[], theta: number): Float64Array {
  const m = alpha.length;
  const scale = Math.max(1e-300, Math.abs(theta), ...alpha.map(Math.abs));
  const shift = theta + scale * 1e-13;
  let y: Float64Array = new Float64Array(m);
  const rnd = seeded(777);
  for (let i = 0; i < m; i++) y[i] = 1 + 0.1 * rnd();
  for (let it = 0; it < 3; it++) {
    y = solveShifted(alpha, beta, shift, y);
    normalise(y);
  }
  return y;
}

/** Solves (T − σI)x = b for tridiagonal T (diag alpha, off-diagonal beta), partial pivoting (fill-in: two super-diagonals). */
function solveShifted(alpha: readonly number[], beta: readonly number[], sigma: number, b: Float64Array): Float64Array {
  const m = alpha.length;
  const d = new Float64Array(m); // diagonal of U
  const u1 = new Float64Array(m); // first super-diagonal of U
  const u2 = new Float64Array(m); // second super-diagonal of U
  const x = Float64Array.from(b);
  // Row i of the working matrix: [l_i (sub), d_i, u1_i, u2_i]
  let curD = alpha[0] - sigma;
  let curU1 = m > 1 ? beta[0] : 0;
  let curU2 = 0;
  for (let i = 0; i < m - 1; i++) {
    const sub = beta[i];
    const nextD = alpha[i + 1] - sigma;
    const nextU1 = i + 1 < m - 1 ? beta[i + 1] : 0;
    if (Math.abs(sub) > Math.abs(curD)) {
      // Swap rows i and i+1.
      d[i] = sub;
      u1[i] = nextD;
      u2[i] = nextU1;
      const f = curD / sub;
      const t = x[i];
      x[i] = x[i + 1];
      x[i + 1] = t - f * x[i];
      curD = curU1 - f * nextD;
      curU1 = curU2 - f * nextU1;
      curU2 = 0;
    } else {
      const piv = curD === 0 ? 1e-300 : curD;
      d[i] = piv;
      u1[i] = curU1;
      u2[i] = curU2;
      const f = sub / piv;
      x[i + 1] -= f * x[i];
      curD = nextD - f * curU1;
      curU1 = nextU1 - f * curU2;
      curU2 = 0;
    }
  }
  d[m - 1] = curD === 0 ? 1e-300 : curD;
  for (let i = m - 1; i >= 0; i--) {
    let s = x[i];
    if (i + 1 < m) s -= u1[i] * x[i + 1];
    if (i + 2 < m) s -= u2[i] * x[i + 2];
    x[i] = s / d[i];
  }
  return x;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function normalise(v: Float64Array): void {
  const s = Math.sqrt(dot(v, v));
  if (s > 0) for (let i = 0; i < v.length; i++) v[i] /= s;
}
