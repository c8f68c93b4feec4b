/**
 * Patch merging, the step between Swin's stages: each 2×2 group of neighbouring tokens is
 * concatenated (C → 4C, tokens ÷ 4), normalised, and reduced by a linear layer 4C → 2C (no bias).
 * PatchMerging.forward of the official code (microsoft/Swin-Transformer), which torchvision's
 * _patch_merging_pad repeats after padding odd maps at the bottom/right with zeros:
 *
 *   x0 = x[:, 0::2, 0::2, :]  # B H/2 W/2 C
 *   x1 = x[:, 1::2, 0::2, :]  # B H/2 W/2 C
 *   x2 = x[:, 0::2, 1::2, :]  # B H/2 W/2 C
 *   x3 = x[:, 1::2, 1::2, :]  # B H/2 W/2 C
 *   x = torch.cat([x0, x1, x2, x3], -1)  # B H/2 W/2 4*C
 *   x = self.norm(x); x = self.reduction(x)   # LayerNorm(4C), Linear(4C, 2C, bias=False)
 *
 * so the 4C channels of a merged token are, in order: top-left, bottom-left, top-right, bottom-right.
 */
import { UserError } from '../errors';
import { checkPositiveInt } from '../errors';
import { type Grid, sameKind } from './window';

/** (row, column) offsets of x0..x3 inside a 2×2 group, in the official concatenation order. */
export const MERGE_ORDER: readonly (readonly [number, number])[] = [
  [0, 0],
  [1, 0],
  [0, 1],
  [1, 1],
];

/** The token grid after merging: ⌈H/2⌉ × ⌈W/2⌉ (odd sides are padded by one row/column of zeros). */
export function mergedGrid(H: number, W: number): [number, number] {
  checkPositiveInt(H, 'Height H');
  checkPositiveInt(W, 'Width W');
  return [Math.ceil(H / 2), Math.ceil(W / 2)];
}

/**
 * For each merged token (row-major over ⌈H/2⌉×⌈W/2⌉) and each part x0..x3, the flat index h·W + w
 * of the token it takes, or −1 where that part falls in the padding: [H2·W2, 4].
 */
export function patchMergingIndex(H: number, W: number): Int32Array {
  const [H2, W2] = mergedGrid(H, W);
  const out = new Int32Array(H2 * W2 * 4);
  let k = 0;
  for (let i = 0; i < H2; i++) {
    for (let j = 0; j < W2; j++) {
      for (const [dh, dw] of MERGE_ORDER) {
        const h = 2 * i + dh;
        const w = 2 * j + dw;
        out[k++] = h < H && w < W ? h * W + w : -1;
      }
    }
  }
  return out;
}

/** The concatenation of patch merging: [H, W, C] → [⌈H/2⌉, ⌈W/2⌉, 4C] (before its norm and reduction). */
export function patchMerging<T extends Grid>(x: T, H: number, W: number, C: number): T {
  checkPositiveInt(C, 'Channels C');
  if (x.length !== H * W * C) {
    throw new UserError(`The feature map has ${x.length} values but H·W·C = ${H}·${W}·${C} = ${H * W * C}; pass the map as [H, W, C] row-major.`);
  }
  const idx = patchMergingIndex(H, W);
  const out = sameKind(x, idx.length * C);
  for (let k = 0; k < idx.length; k++) {
    if (idx[k] < 0) continue; // zeros, as F.pad
    out.set(x.subarray(idx[k] * C, (idx[k] + 1) * C), k * C);
  }
  return out;
}

export interface MergeCost {
  /** Token grid before and after. */
  from: [number, number];
  to: [number, number];
  /** Channels: C before, 4C concatenated, 2C after. */
  dim: number;
  concatDim: number;
  outDim: number;
  /** LayerNorm(4C) weight and bias, 2·4C, plus the reduction 4C·2C (bias=False). */
  params: number;
  /** The reduction's multiply-accumulates: ⌈H/2⌉⌈W/2⌉·4C·2C (the official flops() term for even maps). */
  macs: number;
  /** Values the norm normalises: ⌈H/2⌉⌈W/2⌉·4C (the official flops() counts H·W·C, the same for even maps). */
  normElements: number;
}

/** Params and MACs of one patch merging on an H×W map of C channels. */
export function mergeCost(H: number, W: number, C: number): MergeCost {
  checkPositiveInt(C, 'Channels C');
  const [H2, W2] = mergedGrid(H, W);
  return {
    from: [H, W],
    to: [H2, W2],
    dim: C,
    concatDim: 4 * C,
    outDim: 2 * C,
    params: 2 * 4 * C + 4 * C * 2 * C,
    macs: H2 * W2 * 4 * C * 2 * C,
    normElements: H2 * W2 * 4 * C,
  };
}

/** Token grids of each stage: the first stage's grid, halved (rounded up) at every merging. */
export function stageGrids(first: [number, number], stages: number): [number, number][] {
  const out: [number, number][] = [];
  let g = first;
  for (let s = 0; s < stages; s++) {
    out.push(g);
    g = mergedGrid(g[0], g[1]);
  }
  return out;
}
