/**
 * Principal components of the patch-embedding filters (ViT paper, Figure 7 left: "RGB embedding
 * filters (first 28 principal components)"). The patch embedding is a Conv with D filters of
 * C×p×p (kernel = stride = p). Flatten each filter to a row of C·p² values, centre the D rows on
 * the mean filter, and take the SVD Xc = U·S·Vᵀ: the rows of Vᵀ are the components (each shown as
 * a C×p×p, i.e. RGB p×p, tile) and s_i² / Σ s² is the share of the filters' variance each explains.
 * s_i² are the eigenvalues of XcᵀXc, found by Lanczos without forming that matrix (eigen.ts).
 */
import { topEigenpairs } from './eigen';

export interface PatchFilterComponents {
  /** Filters D, input channels C, kernel [ph, pw]. */
  filters: number;
  channels: number;
  patch: [number, number];
  /** s_i² / Σ s², for the top components, descending. */
  explained: number[];
  /** The components: unit vectors of C·ph·pw values, [channel][row][col] row-major (the Conv weight's order). Sign: largest |value| positive. */
  components: Float32Array[];
  /** Σ s² = ‖Xc‖²_F, the filters' total variance × D. */
  totalVariance: number;
}

/** The paper shows the first 28. */
export const PAPER_COMPONENTS = 28;

/**
 * Top `k` principal components of Conv filters given as the weight tensor [D, C, ph, pw]
 * row-major (the ONNX Conv weight layout).
 */
export function patchFilterComponents(weight: ArrayLike<number>, dims: readonly number[], k = PAPER_COMPONENTS): PatchFilterComponents {
  if (dims.length !== 4) throw new Error(`a Conv weight is [D, C, ph, pw], got [${dims.join(', ')}]`);
  const [D, C, ph, pw] = dims;
  const n = C * ph * pw;
  if (weight.length !== D * n) throw new Error(`weight has ${weight.length} values, [${dims.join(', ')}] needs ${D * n}`);
  // Float32 halves the memory each Lanczos step streams through (the products are summed in float64).
  const X = new Float32Array(D * n);
  const mean = new Float64Array(n);
  for (let f = 0; f < D; f++) for (let t = 0; t < n; t++) mean[t] += weight[f * n + t];
  for (let t = 0; t < n; t++) mean[t] /= D;
  let total = 0;
  for (let f = 0; f < D; f++) {
    for (let t = 0; t < n; t++) {
      const v = weight[f * n + t] - mean[t];
      X[f * n + t] = v;
      total += v * v;
    }
  }
  // The rank of the centred filters is at most min(D − 1, n).
  const rank = Math.min(D - 1, n);
  const want = Math.max(0, Math.min(k, rank));
  const tmp = new Float64Array(D);
  // y = Xcᵀ(Xc·x): XcᵀXc applied without forming it (2·D·n multiply-adds).
  const apply = (x: Float64Array, y: Float64Array): void => {
    for (let f = 0; f < D; f++) {
      let s = 0;
      const o = f * n;
      for (let t = 0; t < n; t++) s += X[o + t] * x[t];
      tmp[f] = s;
    }
    y.fill(0);
    for (let f = 0; f < D; f++) {
      const s = tmp[f];
      if (s === 0) continue;
      const o = f * n;
      for (let t = 0; t < n; t++) y[t] += s * X[o + t];
    }
  };
  const top = want > 0 && total > 0 ? topEigenpairs(apply, n, want) : { values: [], vectors: [] as Float64Array[] };
  const components = top.vectors.map((v) => {
    let big = 0;
    for (let t = 0; t < n; t++) if (Math.abs(v[t]) > Math.abs(v[big])) big = t;
    const sign = v[big] < 0 ? -1 : 1;
    return Float32Array.from(v, (x) => sign * x);
  });
  return {
    filters: D,
    channels: C,
    patch: [ph, pw],
    explained: top.values.map((s2) => Math.max(0, s2) / total),
    components,
    totalVariance: total,
  };
}

/**
 * One component as an RGB image for display: channel c of pixel (y, x) is component[c][y][x],
 * scaled so the component's range maps to 0..255 (the tiles of the paper's figure). With one
 * input channel the tile is grey; channels beyond 3 are not shown.
 */
export function componentTile(component: ArrayLike<number>, channels: number, ph: number, pw: number): Uint8ClampedArray<ArrayBuffer> {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < component.length; i++) {
    lo = Math.min(lo, component[i]);
    hi = Math.max(hi, component[i]);
  }
  const span = hi > lo ? hi - lo : 1;
  const out = new Uint8ClampedArray(new ArrayBuffer(ph * pw * 4));
  for (let y = 0; y < ph; y++) {
    for (let x = 0; x < pw; x++) {
      const o = (y * pw + x) * 4;
      for (let c = 0; c < 3; c++) {
        const src = Math.min(c, channels - 1);
        out[o + c] = Math.round((255 * (component[(src * ph + y) * pw + x] - lo)) / span);
      }
      out[o + 3] = 255;
    }
  }
  return out;
}
