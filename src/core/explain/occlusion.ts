/**
 * Occlusion sensitivity (Zeiler & Fergus 2014): a P×P window slid with stride S over the
 * preprocessed input, the window set to 0 in the normalised input (the dataset's mean colour);
 * the map is p(class) − p(class | occluded), one value per window position, row-major.
 */
import { UserError } from '../errors';

export interface OcclusionGrid {
  window: number;
  stride: number;
  /** [gh, gw]: window positions down and across. */
  grid: [number, number];
}

/** Window positions along one side: 0, S, 2S, … while the window fits (at least one). */
function positions(side: number, window: number, stride: number): number {
  return Math.max(1, Math.floor((side - window) / stride) + 1);
}

export function occlusionGrid(height: number, width: number, window: number, stride: number): OcclusionGrid {
  if (!Number.isInteger(window) || window < 1 || window > Math.min(height, width))
    throw new UserError(`--window must be a whole number of pixels from 1 to ${Math.min(height, width)} (the input is ${width}×${height}); got ${window}.`);
  if (!Number.isInteger(stride) || stride < 1) throw new UserError(`--stride must be a whole number of pixels ≥ 1; got ${stride}.`);
  return { window, stride, grid: [positions(height, window, stride), positions(width, window, stride)] };
}

/**
 * The default window: the patch size for ViT (one window = one token); for Swin 32 px, the
 * window that gives 224² inputs a 7×7 map, so smaller inputs get ⌊side/7⌋ px (at least the patch)
 * and keep that map instead of one window covering the whole image.
 */
export function defaultWindow(family: string, patchSize: number | null, height: number, width: number): number {
  const side = Math.min(height, width);
  if (!family.startsWith('swin') && patchSize && patchSize <= side) return patchSize;
  return Math.min(side, Math.max(patchSize ?? 1, Math.min(32, Math.floor(side / 7))));
}

/**
 * Write into `out` (same length as `input`, [C, H, W]) the input with window `index` (row-major
 * over the grid) set to 0.
 */
export function occlude(input: Float32Array, dims: [number, number, number], g: OcclusionGrid, index: number, out: Float32Array): void {
  const [c, h, w] = dims;
  out.set(input);
  const y0 = Math.floor(index / g.grid[1]) * g.stride;
  const x0 = (index % g.grid[1]) * g.stride;
  const y1 = Math.min(h, y0 + g.window);
  const x1 = Math.min(w, x0 + g.window);
  for (let ch = 0; ch < c; ch++) for (let y = y0; y < y1; y++) out.fill(0, ch * h * w + y * w + x0, ch * h * w + y * w + x1);
}

/** The occlusion map from the class probability of the clear input and of each occluded one. */
export function occlusionMap(clear: number, occluded: ArrayLike<number>): number[] {
  return Array.from(occluded, (p) => clear - p);
}
