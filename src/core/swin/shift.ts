/**
 * The cyclic shift of SW-MSA. Swin rolls the map up and left by s before partitioning
 * (torch.roll(x, shifts=(-s, -s), dims=(1, 2))) and rolls it back by +s afterwards, so the
 * shifted partition keeps the same number of M×M windows as the regular one.
 */
import { UserError } from '../errors';
import { type Grid, sameKind } from './window';

const mod = (a: number, n: number): number => ((a % n) + n) % n;

/** torch.roll over the H and W axes of [H, W, C]: out[(i + dh) mod H, (j + dw) mod W] = x[i, j]. */
export function roll<T extends Grid>(x: T, H: number, W: number, C: number, dh: number, dw: number): T {
  if (x.length !== H * W * C) {
    throw new UserError(`The feature map has ${x.length} values but H·W·C = ${H * W * C}; pass the map as [H, W, C] row-major.`);
  }
  if (!Number.isInteger(dh) || !Number.isInteger(dw)) throw new UserError(`Shifts must be whole numbers, got (${dh}, ${dw}).`);
  const out = sameKind(x, x.length);
  for (let i = 0; i < H; i++) {
    const oi = mod(i + dh, H);
    for (let j = 0; j < W; j++) {
      const oj = mod(j + dw, W);
      out.set(x.subarray((i * W + j) * C, (i * W + j + 1) * C), (oi * W + oj) * C);
    }
  }
  return out;
}

/** The shift before W-MSA: roll by (−s, −s), moving the top-left s rows/cols to the bottom/right. */
export function cyclicShift<T extends Grid>(x: T, H: number, W: number, C: number, s: number): T {
  return roll(x, H, W, C, -s, -s);
}

/** The inverse after W-MSA: roll by (+s, +s). */
export function reverseCyclicShift<T extends Grid>(x: T, H: number, W: number, C: number, s: number): T {
  return roll(x, H, W, C, s, s);
}
