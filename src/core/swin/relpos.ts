/**
 * Swin's relative position bias: Attention(Q, K, V) = SoftMax(QKᵀ/√d + B)V, where B [heads, M², M²]
 * is gathered from a learned table B̂ [(2Mh−1)(2Mw−1), heads] through the relative position index.
 * Named after WindowAttention.__init__ of the official code (microsoft/Swin-Transformer):
 *
 *   coords = torch.stack(torch.meshgrid([coords_h, coords_w]))            # 2, Wh, Ww
 *   coords_flatten = torch.flatten(coords, 1)                             # 2, Wh*Ww
 *   relative_coords = coords_flatten[:, :, None] - coords_flatten[:, None, :]
 *   relative_coords[:, :, 0] += self.window_size[0] - 1                   # shift to start from 0
 *   relative_coords[:, :, 1] += self.window_size[1] - 1
 *   relative_coords[:, :, 0] *= 2 * self.window_size[1] - 1
 *   relative_position_index = relative_coords.sum(-1)                     # Wh*Ww, Wh*Ww
 *   ...
 *   relative_position_bias = self.relative_position_bias_table[self.relative_position_index.view(-1)]
 *       .view(Wh*Ww, Wh*Ww, -1).permute(2, 0, 1)                          # nH, Wh*Ww, Wh*Ww
 *
 * Tables here are head-major, table[h·R + r] = relative_position_bias_table[r, h] with
 * R = (2Mh−1)(2Mw−1), the layout of `vit-inspect relpos --json`.
 */
import { UserError } from '../errors';
import { checkPositiveInt } from '../errors';

/** Rows of the table: (2Mh−1)(2Mw−1), one per relative offset (Δh, Δw). */
export function tableRows(Mh: number, Mw: number = Mh): number {
  return (2 * Mh - 1) * (2 * Mw - 1);
}

/** Each step of the index, as arrays the views draw. */
export interface RelativeIndexSteps {
  Mh: number;
  Mw: number;
  /** Tokens per window, Mh·Mw. */
  tokens: number;
  /** coords_flatten [2, N]: the row and column of token i inside its window. */
  coordsH: Int32Array;
  coordsW: Int32Array;
  /** relative_coords [N, N, 2] before the shift: Δh = h_i − h_j and Δw = w_i − w_j (−(M−1)..M−1). */
  deltaH: Int32Array;
  deltaW: Int32Array;
  /** After "+= M − 1": Δh + Mh − 1 (0..2Mh−2) and Δw + Mw − 1 (0..2Mw−2). */
  shiftedH: Int32Array;
  shiftedW: Int32Array;
  /** After "*= 2Mw − 1" on the row part: (Δh + Mh − 1)(2Mw − 1). */
  rowPart: Int32Array;
  /** relative_position_index [N, N] = rowPart + (Δw + Mw − 1): the table row of pair (i, j). */
  index: Int32Array;
}

/** The relative position index built step by step, as the official code does. */
export function relativePositionSteps(Mh: number, Mw: number = Mh): RelativeIndexSteps {
  checkPositiveInt(Mh, 'Window height');
  checkPositiveInt(Mw, 'Window width');
  const N = Mh * Mw;
  if (N > 4096) throw new UserError(`A ${Mh}×${Mw} window has ${N} tokens; the index would have ${N * N} entries. Use a window of at most 4096 tokens.`);
  const coordsH = new Int32Array(N);
  const coordsW = new Int32Array(N);
  for (let i = 0; i < N; i++) {
    coordsH[i] = Math.floor(i / Mw);
    coordsW[i] = i % Mw;
  }
  const deltaH = new Int32Array(N * N);
  const deltaW = new Int32Array(N * N);
  const shiftedH = new Int32Array(N * N);
  const shiftedW = new Int32Array(N * N);
  const rowPart = new Int32Array(N * N);
  const index = new Int32Array(N * N);
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < N; j++) {
      const k = i * N + j;
      deltaH[k] = coordsH[i] - coordsH[j];
      deltaW[k] = coordsW[i] - coordsW[j];
      shiftedH[k] = deltaH[k] + Mh - 1;
      shiftedW[k] = deltaW[k] + Mw - 1;
      rowPart[k] = shiftedH[k] * (2 * Mw - 1);
      index[k] = rowPart[k] + shiftedW[k];
    }
  }
  return { Mh, Mw, tokens: N, coordsH, coordsW, deltaH, deltaW, shiftedH, shiftedW, rowPart, index };
}

/**
 * relative_position_index [Mh·Mw, Mh·Mw]: for tokens i, j of a window, the row of the bias
 * table (2Mh−1)(2Mw−1) × heads that holds their bias: (Δh + Mh − 1)(2Mw − 1) + (Δw + Mw − 1).
 */
export function relativePositionIndex(Mh: number, Mw: number = Mh): Int32Array {
  return relativePositionSteps(Mh, Mw).index;
}

/** The offset (Δh, Δw) a table row stands for: r = (Δh + Mh − 1)(2Mw − 1) + (Δw + Mw − 1). */
export function offsetOfRow(r: number, Mh: number, Mw: number = Mh): { dh: number; dw: number } {
  const cols = 2 * Mw - 1;
  return { dh: Math.floor(r / cols) - (Mh - 1), dw: (r % cols) - (Mw - 1) };
}

/** B [heads, N, N] = table[index] per head: what one window adds to its scores. */
export function biasFromTable(table: ArrayLike<number>, heads: number, Mh: number, Mw: number = Mh): Float32Array {
  const R = tableRows(Mh, Mw);
  if (table.length !== heads * R) throw new UserError(`A ${Mh}×${Mw} window with ${heads} heads has a table of ${heads}·${R} values, got ${table.length}.`);
  const idx = relativePositionIndex(Mh, Mw);
  const NN = idx.length;
  const out = new Float32Array(heads * NN);
  for (let h = 0; h < heads; h++) for (let k = 0; k < NN; k++) out[h * NN + k] = table[h * R + idx[k]];
  return out;
}

export type RecoveredTable =
  | { ok: true; table: Float32Array }
  /** Two entries that share a table row differ: this constant is not a relative position bias. */
  | { ok: false; head: number; row: number; first: number; other: number; pair: [number, number] };

/**
 * Recovers the table from the [heads, N, N] constant torch's exporter folds the gather into: each
 * table row r is read where the index first names it, and every other (i, j) with index r must
 * hold the same value (exactly: they are copies of one float), else the constant is not a
 * relative bias (a learned [heads, N, N] parameter, or something else added to the scores).
 */
export function tableFromBias(bias: ArrayLike<number>, heads: number, Mh: number, Mw: number = Mh): RecoveredTable {
  const R = tableRows(Mh, Mw);
  const idx = relativePositionIndex(Mh, Mw);
  const NN = idx.length;
  const N = Mh * Mw;
  if (bias.length !== heads * NN) throw new UserError(`A bias for ${heads} heads and ${N} tokens has ${heads * NN} values, got ${bias.length}.`);
  const table = new Float32Array(heads * R);
  const seen = new Uint8Array(R);
  const firstAt = new Int32Array(R);
  for (let h = 0; h < heads; h++) {
    seen.fill(0);
    for (let k = 0; k < NN; k++) {
      const r = idx[k];
      const v = Math.fround(bias[h * NN + k]);
      if (!seen[r]) {
        seen[r] = 1;
        firstAt[r] = k;
        table[h * R + r] = v;
      } else if (table[h * R + r] !== v && !(Number.isNaN(v) && Number.isNaN(table[h * R + r]))) {
        return { ok: false, head: h, row: r, first: table[h * R + r], other: v, pair: [Math.floor(k / N), k % N] };
      }
    }
  }
  return { ok: true, table };
}
