/**
 * Position embeddings (ViT paper, Figure 7 centre: "Similarity of position embeddings of
 * ViT-L/32. Tiles show the cosine similarity between the position embedding of the patch with
 * the indicated row and column and the position embeddings of all other patches").
 *
 * The embedding is a [1, N, D] (or [N, D]) constant added to the token sequence; its first
 * N − gh·gw rows belong to the class (and distillation) token and are left out. Register tokens
 * (DINOv2) are inserted after the addition and have no row. What kind of embedding it is is
 * told, not assumed: learned, or the fixed sin-cos tables of MAE (2-D) and of the original
 * Transformer (1-D), recognised from their values.
 */

/** Cosine similarity of every pair of patch position embeddings: (gh·gw)², row-major. */
export function positionSimilarity(pe: ArrayLike<number>, tokens: number, dim: number, extraRows: number, grid: readonly [number, number]): Float32Array {
  const P = grid[0] * grid[1];
  if (pe.length !== tokens * dim) throw new Error(`position embedding has ${pe.length} values, ${tokens}×${dim} needs ${tokens * dim}`);
  if (extraRows < 0 || extraRows + P !== tokens) throw new Error(`${tokens} position rows do not hold ${extraRows} extra row(s) and a ${grid[0]}×${grid[1]} grid`);
  const unit = new Float64Array(P * dim);
  for (let i = 0; i < P; i++) {
    const o = (extraRows + i) * dim;
    let s = 0;
    for (let c = 0; c < dim; c++) s += pe[o + c] * pe[o + c];
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let c = 0; c < dim; c++) unit[i * dim + c] = pe[o + c] * inv;
  }
  const out = new Float32Array(P * P);
  for (let i = 0; i < P; i++) {
    out[i * P + i] = 1;
    const a = i * dim;
    for (let j = i + 1; j < P; j++) {
      const b = j * dim;
      let s = 0;
      for (let c = 0; c < dim; c++) s += unit[a + c] * unit[b + c];
      out[i * P + j] = s;
      out[j * P + i] = s;
    }
  }
  // A zero row (an all-zero embedding) has no direction: similarity 0, not 1.
  for (let i = 0; i < P; i++) {
    let z = true;
    for (let c = 0; c < dim && z; c++) z = unit[i * dim + c] === 0;
    if (z) out[i * P + i] = 0;
  }
  return out;
}

export type PositionEmbeddingKind = 'learned' | 'sin-cos 2-D' | 'sin-cos 1-D';

/** MAE's get_2d_sincos_pos_embed for a gh×gw grid: [gh·gw, D]; `hFirst` false is MAE's own order (its "emb_h" uses the column). */
export function sincos2d(dim: number, grid: readonly [number, number], hFirst = false): Float64Array {
  const [gh, gw] = grid;
  const half = dim / 2;
  const out = new Float64Array(gh * gw * dim);
  const put = (o: number, pos: number): void => {
    const q = half / 2;
    for (let i = 0; i < q; i++) {
      const omega = 1 / 10000 ** (i / q);
      out[o + i] = Math.sin(pos * omega);
      out[o + q + i] = Math.cos(pos * omega);
    }
  };
  for (let r = 0; r < gh; r++) {
    for (let c = 0; c < gw; c++) {
      const o = (r * gw + c) * dim;
      put(o, hFirst ? r : c);
      put(o + half, hFirst ? c : r);
    }
  }
  return out;
}

/** The original Transformer's 1-D table for positions 0..n−1: interleaved (sin, cos) pairs, or sin half then cos half. */
export function sincos1d(dim: number, n: number, interleaved: boolean): Float64Array {
  const out = new Float64Array(n * dim);
  const half = dim / 2;
  for (let p = 0; p < n; p++) {
    for (let i = 0; i < half; i++) {
      const a = p / 10000 ** ((2 * i) / dim);
      if (interleaved) {
        out[p * dim + 2 * i] = Math.sin(a);
        out[p * dim + 2 * i + 1] = Math.cos(a);
      } else {
        out[p * dim + i] = Math.sin(a);
        out[p * dim + half + i] = Math.cos(a);
      }
    }
  }
  return out;
}

function close(pe: ArrayLike<number>, from: number, ref: Float64Array, tol: number): boolean {
  for (let i = 0; i < ref.length; i++) if (!(Math.abs(pe[from + i] - ref[i]) <= tol)) return false;
  return true;
}

/** Which kind of position embedding these values are (sin-cos tables matched within 1e-3, fp16-safe). */
export function positionEmbeddingKind(pe: ArrayLike<number>, tokens: number, dim: number, extraRows: number, grid: readonly [number, number]): PositionEmbeddingKind {
  const tol = 1e-3;
  const P = grid[0] * grid[1];
  if (dim % 4 === 0 && extraRows + P === tokens) {
    for (const hFirst of [false, true]) if (close(pe, extraRows * dim, sincos2d(dim, grid, hFirst), tol)) return 'sin-cos 2-D';
  }
  if (dim % 2 === 0) {
    for (const interleaved of [true, false]) {
      if (close(pe, 0, sincos1d(dim, tokens, interleaved), tol)) return 'sin-cos 1-D';
      if (extraRows > 0 && close(pe, extraRows * dim, sincos1d(dim, P, interleaved), tol)) return 'sin-cos 1-D';
    }
  }
  return 'learned';
}
