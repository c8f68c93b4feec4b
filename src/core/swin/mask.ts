/**
 * The SW-MSA attention mask and the map from window slots back
 * to image positions. After the cyclic shift a window can hold tokens from up to four regions
 * of the map that are not neighbours in the image; the mask forbids attention between them.
 */
import { UserError } from '../errors';
import { checkPositiveInt } from '../errors';
import { padToWindow } from './window';

/** The value the official code writes for a forbidden pair (masked_fill(attn_mask != 0, -100.0)). */
export const MASKED = -100;

/** Largest mask we build: nW·M²·M² values (56×56 at M = 7 is 153,664). */
const MAX_MASK_VALUES = 64 * 1024 * 1024;

function checkWindow(H: number, W: number, M: number, shift: number): void {
  checkPositiveInt(H, 'Height H');
  checkPositiveInt(W, 'Width W');
  checkPositiveInt(M, 'Window size M');
  if (!Number.isInteger(shift) || shift < 0 || shift >= M) {
    throw new UserError(`Shift must be a whole number from 0 to M−1 = ${M - 1} (Swin uses ⌊M/2⌋ = ${Math.floor(M / 2)}), got ${shift}.`);
  }
}

/** Which of the three bands a padded row (or column) falls in: slices (0,−M), (−M,−s), (−s,None). */
function band(i: number, L: number, M: number, s: number): number {
  return i < L - M ? 0 : i < L - s ? 1 : 2;
}

/**
 * Region ids of the shifted, padded Hp×Wp map (img_mask in the official code): 3×3 regions
 * numbered row by row, 0..8. Tokens attend only within their region. With shift 0 there is
 * one region (id 0 everywhere); the official code builds no mask then.
 */
export function regionIds(H: number, W: number, M: number, shift: number): Int32Array {
  checkWindow(H, W, M, shift);
  const { Hp, Wp } = padToWindow(H, W, M);
  const ids = new Int32Array(Hp * Wp);
  if (shift === 0) return ids;
  for (let i = 0; i < Hp; i++) {
    const r = band(i, Hp, M, shift) * 3;
    for (let j = 0; j < Wp; j++) ids[i * Wp + j] = r + band(j, Wp, M, shift);
  }
  return ids;
}

/** Region ids gathered per window: [nW, M²], the mask_windows of the official code. */
export function windowRegionIds(H: number, W: number, M: number, shift: number): Int32Array {
  const ids = regionIds(H, W, M, shift);
  const { Hp, Wp } = padToWindow(H, W, M);
  const out = new Int32Array(Hp * Wp);
  let k = 0;
  for (let wr = 0; wr < Hp / M; wr++)
    for (let wc = 0; wc < Wp / M; wc++)
      for (let i = 0; i < M; i++) for (let j = 0; j < M; j++) out[k++] = ids[(wr * M + i) * Wp + wc * M + j];
  return out;
}

export interface AttentionMask {
  numWindows: number;
  /** Tokens per window, M². */
  tokens: number;
  /** [numWindows, M², M²]: 0 where query i may attend to key j, −100 where not. */
  values: Float32Array;
}

/** The per-window mask [nW, M², M²]: 0 for a pair in the same region, −100 otherwise. */
export function attentionMask(H: number, W: number, M: number, shift: number): AttentionMask {
  checkWindow(H, W, M, shift);
  const { Hp, Wp } = padToWindow(H, W, M);
  const N = M * M;
  const nW = (Hp / M) * (Wp / M);
  if (nW * N * N > MAX_MASK_VALUES) {
    throw new UserError(`The mask for a ${H}×${W} map with ${M}×${M} windows has ${nW * N * N} values; pick a smaller map or window (at most ${MAX_MASK_VALUES}).`);
  }
  const win = windowRegionIds(H, W, M, shift);
  const values = new Float32Array(nW * N * N);
  for (let w = 0; w < nW; w++) {
    const base = w * N;
    for (let i = 0; i < N; i++) {
      const row = (base + i) * N;
      const id = win[base + i];
      for (let j = 0; j < N; j++) if (win[base + j] !== id) values[row + j] = MASKED;
    }
  }
  return { numWindows: nW, tokens: N, values };
}

export interface TokenPositions {
  numWindows: number;
  /** Tokens per window, M². */
  tokens: number;
  /** [nW, M²]: the image row of each window slot, −1 for padding. */
  row: Int32Array;
  /** [nW, M²]: the image column of each window slot, −1 for padding. */
  col: Int32Array;
}

/**
 * Where each (window, position-in-window) slot of a (S)W-MSA block sits in the un-shifted,
 * un-padded H×W map: pad to multiples of M, roll by −s, partition; so slot (p, q) of window
 * (a, b) holds padded position ((aM + p + s) mod Hp, (bM + q + s) mod Wp). Padding slots are −1.
 * `shiftBeforePad` is timm's order (roll the H×W map, then pad): slot (i, j) = (aM + p, bM + q)
 * holds ((i + s) mod H, (j + s) mod W) when i < H and j < W, padding otherwise.
 * This is what puts per-window attention back onto the image.
 */
export function tokenPositions(H: number, W: number, M: number, shift: number, shiftBeforePad = false): TokenPositions {
  checkWindow(H, W, M, shift);
  const { Hp, Wp } = padToWindow(H, W, M);
  const N = M * M;
  const nW = (Hp / M) * (Wp / M);
  const row = new Int32Array(nW * N);
  const col = new Int32Array(nW * N);
  let k = 0;
  for (let a = 0; a < Hp / M; a++) {
    for (let b = 0; b < Wp / M; b++) {
      for (let p = 0; p < M; p++) {
        const i = a * M + p;
        const r = shiftBeforePad ? (i < H ? (i + shift) % H : H) : (i + shift) % Hp;
        for (let q = 0; q < M; q++) {
          const j = b * M + q;
          const c = shiftBeforePad ? (j < W ? (j + shift) % W : W) : (j + shift) % Wp;
          const inside = r < H && c < W;
          row[k] = inside ? r : -1;
          col[k] = inside ? c : -1;
          k++;
        }
      }
    }
  }
  return { numWindows: nW, tokens: N, row, col };
}
