/**
 * Window geometry of a Swin block, as the official code (microsoft/Swin-Transformer) does it:
 * the window is clipped to the feature map when the map is no larger than it (and then there
 * is no shift), the shift is ⌊M/2⌋, and a map whose sides are not multiples of M is padded at
 * the bottom and right up to the next multiple (the detection/segmentation backbone's F.pad).
 */
import { UserError, checkPositiveInt } from '../errors';

/** The window a block really uses and its shift: SwinTransformerBlock.__init__'s clipping. */
export function effectiveWindow(H: number, W: number, M: number): number {
  return Math.min(H, W) <= M ? Math.min(H, W) : M;
}

/** Shift of an SW-MSA block: ⌊M/2⌋, or 0 when the map is no larger than the window. */
export function shiftSize(H: number, W: number, M: number): number {
  return Math.min(H, W) <= M ? 0 : Math.floor(M / 2);
}

/**
 * Window and shift of block `index` of a stage (odd blocks are SW-MSA), after the clipping:
 * what to pass to tokenPositions / attentionMask for that block's attention tensor.
 */
export function blockWindow(H: number, W: number, M: number, index: number): { window: number; shift: number } {
  return { window: effectiveWindow(H, W, M), shift: index % 2 === 1 ? shiftSize(H, W, M) : 0 };
}

export interface Padding {
  /** Padded height and width: the next multiples of M. */
  Hp: number;
  Wp: number;
  padBottom: number;
  padRight: number;
}

/** Padding to multiples of M, bottom and right only (pad_t = pad_l = 0 in the official code). */
export function padToWindow(H: number, W: number, M: number): Padding {
  const Hp = Math.ceil(H / M) * M;
  const Wp = Math.ceil(W / M) * M;
  return { Hp, Wp, padBottom: Hp - H, padRight: Wp - W };
}

export interface WindowCounts {
  /** Windows of the regular partition of the padded map: ⌈H/M⌉·⌈W/M⌉. */
  regular: number;
  /** Windows a naive shifted partition would need: (⌈H/M⌉+1)·(⌈W/M⌉+1), some smaller than M×M. */
  shiftedNaive: number;
  /** Windows after the cyclic shift: the same count as the regular partition (the paper's point). */
  shiftedCyclic: number;
}

/** Window counts before and after the shift, for a window M and shift s on an H×W map. */
export function windowCounts(H: number, W: number, M: number, shift: number): WindowCounts {
  const { Hp, Wp } = padToWindow(H, W, M);
  const rows = Hp / M;
  const cols = Wp / M;
  const extra = shift > 0 ? 1 : 0;
  return { regular: rows * cols, shiftedNaive: (rows + extra) * (cols + extra), shiftedCyclic: rows * cols };
}

/** Any typed array we partition: feature maps (Float32Array) or index grids (Int32Array). */
export type Grid = Float32Array | Float64Array | Int32Array | Uint8Array | Uint16Array | Uint32Array | Int16Array;

export function sameKind<T extends Grid>(x: T, length: number): T {
  return new (x.constructor as new (n: number) => T)(length);
}

function checkGrid(x: Grid, H: number, W: number, C: number): void {
  checkPositiveInt(H, 'Height H');
  checkPositiveInt(W, 'Width W');
  checkPositiveInt(C, 'Channels C');
  if (x.length !== H * W * C) {
    throw new UserError(`The feature map has ${x.length} values but H·W·C = ${H}·${W}·${C} = ${H * W * C}; pass the map as [H, W, C] row-major.`);
  }
}

function checkMultiple(H: number, W: number, M: number): void {
  checkPositiveInt(M, 'Window size M');
  if (H % M !== 0 || W % M !== 0) {
    throw new UserError(`A ${H}×${W} map cannot be cut into ${M}×${M} windows; pad it to multiples of ${M} first (padToWindow / padMap).`);
  }
}

/**
 * For each slot (window, row in window, col in window) of the partition, the flat index
 * h·W + w of the map position it comes from. Windows are ordered row by row, as in
 * window_partition's view(B, H/M, M, W/M, M, C).permute(0, 1, 3, 2, 4, 5).
 */
export function partitionIndex(H: number, W: number, M: number): Int32Array {
  checkMultiple(H, W, M);
  const cols = W / M;
  const out = new Int32Array(H * W);
  let k = 0;
  for (let wr = 0; wr < H / M; wr++) {
    for (let wc = 0; wc < cols; wc++) {
      for (let i = 0; i < M; i++) {
        const rowBase = (wr * M + i) * W + wc * M;
        for (let j = 0; j < M; j++) out[k++] = rowBase + j;
      }
    }
  }
  return out;
}

/** C-channel rows moved by an index: out[k] = x[idx[k]] (gather), or out[idx[k]] = x[k] (scatter). */
function moveRows<T extends Grid>(x: T, idx: Int32Array, C: number, scatter: boolean): T {
  const out = sameKind(x, x.length);
  for (let k = 0; k < idx.length; k++) {
    const at = idx[k] * C;
    if (scatter) out.set(x.subarray(k * C, (k + 1) * C), at);
    else out.set(x.subarray(at, at + C), k * C);
  }
  return out;
}

/** window_partition: [H, W, C] → [nW, M, M, C] (flat). H and W must be multiples of M. */
export function windowPartition<T extends Grid>(x: T, H: number, W: number, C: number, M: number): T {
  checkGrid(x, H, W, C);
  return moveRows(x, partitionIndex(H, W, M), C, false);
}

/** window_reverse: [nW, M, M, C] (flat) → [H, W, C]; the inverse of windowPartition. */
export function windowReverse<T extends Grid>(windows: T, M: number, H: number, W: number, C: number): T {
  checkGrid(windows, H, W, C);
  return moveRows(windows, partitionIndex(H, W, M), C, true);
}

/** Pads [H, W, C] at the bottom and right to multiples of M with `value` (F.pad's zeros by default). */
export function padMap<T extends Grid>(x: T, H: number, W: number, C: number, M: number, value = 0): T {
  checkGrid(x, H, W, C);
  checkPositiveInt(M, 'Window size M');
  const { Hp, Wp } = padToWindow(H, W, M);
  const out = sameKind(x, Hp * Wp * C);
  if (value !== 0) out.fill(value);
  for (let h = 0; h < H; h++) out.set(x.subarray(h * W * C, (h + 1) * W * C), h * Wp * C);
  return out;
}

/** Drops the padding again: [Hp, Wp, C] → [H, W, C] (the x[:, :H, :W, :] after window_reverse). */
export function cropMap<T extends Grid>(x: T, Hp: number, Wp: number, C: number, H: number, W: number): T {
  checkGrid(x, Hp, Wp, C);
  if (H > Hp || W > Wp) throw new UserError(`Cannot crop a ${Hp}×${Wp} map to a larger ${H}×${W}.`);
  const out = sameKind(x, H * W * C);
  for (let h = 0; h < H; h++) out.set(x.subarray(h * Wp * C, h * Wp * C + W * C), h * W * C);
  return out;
}
