/**
 * RISE (Petsiuk, Das & Saenko 2018, "Randomized Input Sampling for Explanation"): N random binary
 * masks on a coarse s×s grid (each cell kept with probability p), upsampled bilinearly to
 * (s+1)·C (C = ⌈H/s⌉) and cropped at a random shift in [0, C) so the cells do not sit on a fixed
 * lattice; the masked input is input ⊙ mask (0 = the dataset's mean colour in the normalised
 * input). The saliency is Σ_i p(class | I ⊙ M_i) · M_i / (N · p), as in the paper's eq. 6.
 */
import { UserError } from '../errors';
import { mulberry32 } from '../random';

export interface RiseOptions {
  masks: number;
  seed: number;
  /** The coarse grid s (the paper uses 7 for ImageNet-size inputs). */
  cells?: number;
  /** Probability of keeping a cell (the paper's p = 0.5). */
  keep?: number;
}

export class RiseMasks {
  readonly cells: number;
  readonly keep: number;
  private readonly random: () => number;

  constructor(readonly height: number, readonly width: number, readonly o: RiseOptions) {
    if (!Number.isInteger(o.masks) || o.masks < 1) throw new UserError(`--masks must be a whole number ≥ 1; got ${o.masks}.`);
    this.cells = o.cells ?? 7;
    this.keep = o.keep ?? 0.5;
    this.random = mulberry32(o.seed);
  }

  /** The next mask, [H·W] in [0, 1]; the same sequence for the same seed. */
  next(): Float32Array {
    const s = this.cells;
    const cells = new Float32Array((s + 1) * (s + 1)); // one extra row/column: the shifted crop never leaves it
    for (let i = 0; i < cells.length; i++) cells[i] = this.random() < this.keep ? 1 : 0;
    const dy = Math.floor(this.random() * Math.ceil(this.height / s));
    const dx = Math.floor(this.random() * Math.ceil(this.width / s));
    return upsampleCells(cells, s + 1, this.height, this.width, Math.ceil(this.height / s), Math.ceil(this.width / s), dy, dx);
  }
}

/**
 * A `side`×`side` grid of cells upsampled bilinearly to side·cy × side·cx pixels (cell centres at
 * (k + ½)·c, edges clamped: PyTorch's interpolate(mode='bilinear', align_corners=False)) and the
 * height×width crop at (dy, dx) of it.
 */
export function upsampleCells(cells: ArrayLike<number>, side: number, height: number, width: number, cy: number, cx: number, dy: number, dx: number): Float32Array {
  const last = side - 1;
  const out = new Float32Array(height * width);
  for (let y = 0; y < height; y++) {
    const gy = Math.min(last, Math.max(0, (y + dy + 0.5) / cy - 0.5));
    const y0 = Math.floor(gy);
    const y1 = Math.min(last, y0 + 1);
    const fy = gy - y0;
    for (let x = 0; x < width; x++) {
      const gx = Math.min(last, Math.max(0, (x + dx + 0.5) / cx - 0.5));
      const x0 = Math.floor(gx);
      const x1 = Math.min(last, x0 + 1);
      const fx = gx - x0;
      const top = cells[y0 * side + x0] * (1 - fx) + cells[y0 * side + x1] * fx;
      const bottom = cells[y1 * side + x0] * (1 - fx) + cells[y1 * side + x1] * fx;
      out[y * width + x] = top * (1 - fy) + bottom * fy;
    }
  }
  return out;
}

/** input ⊙ mask over every channel of [C, H, W]. */
export function applyMask(input: Float32Array, channels: number, mask: Float32Array, out: Float32Array): void {
  const hw = mask.length;
  for (let c = 0; c < channels; c++) for (let i = 0; i < hw; i++) out[c * hw + i] = input[c * hw + i] * mask[i];
}

/** Running Σ p_i · M_i; `map()` divides by N · keep. */
export class RiseSaliency {
  private readonly sum: Float64Array;
  private n = 0;
  constructor(readonly size: number, readonly keep: number) {
    this.sum = new Float64Array(size);
  }
  add(mask: Float32Array, p: number): void {
    for (let i = 0; i < this.size; i++) this.sum[i] += p * mask[i];
    this.n++;
  }
  get runs(): number {
    return this.n;
  }
  map(): number[] {
    const d = Math.max(1, this.n) * this.keep;
    return Array.from(this.sum, (v) => v / d);
  }
}
