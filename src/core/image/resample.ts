/**
 * Image resampling as Pillow's Image.resize does it on 8-bit images (what Hugging Face,
 * torchvision and timm call on a PIL image): a separable convolution, horizontal pass first,
 * each pass rounded back to 8 bits, the filter stretched by the scale when shrinking
 * (antialiased), coefficients in 22-bit fixed point. libvips (sharp) shrinks differently
 * (box pre-shrink, other kernel centring), which moved model inputs by ~0.2 after normalisation.
 * NEAREST is a separate path in Pillow: source pixel floor((x + 0.5) · scale).
 */

export type Filter = 'nearest' | 'box' | 'bilinear' | 'hamming' | 'bicubic' | 'lanczos';

interface Kernel {
  support: number;
  f(x: number): number;
}

const sinc = (x: number) => {
  if (x === 0) return 1;
  x *= Math.PI;
  return Math.sin(x) / x;
};

/** Pillow's filters (Resample.c): support in source pixels at scale 1, and the weight function. */
const KERNELS: Record<Exclude<Filter, 'nearest'>, Kernel> = {
  box: { support: 0.5, f: (x) => (x > -0.5 && x <= 0.5 ? 1 : 0) },
  bilinear: {
    support: 1,
    f: (x) => {
      x = Math.abs(x);
      return x < 1 ? 1 - x : 0;
    },
  },
  hamming: {
    support: 1,
    f: (x) => {
      x = Math.abs(x);
      if (x === 0) return 1;
      if (x >= 1) return 0;
      x *= Math.PI;
      return (Math.sin(x) / x) * (0.54 + 0.46 * Math.cos(x));
    },
  },
  // Keys' cubic with a = -0.5 (Pillow's choice).
  bicubic: {
    support: 2,
    f: (x) => {
      const a = -0.5;
      x = Math.abs(x);
      if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
      if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
      return 0;
    },
  },
  lanczos: { support: 3, f: (x) => (x >= -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0) },
};

const PRECISION_BITS = 32 - 8 - 2;
const ONE = 2 ** PRECISION_BITS;
const HALF = 2 ** (PRECISION_BITS - 1);

/** For each output position: first source index, count, and fixed-point weights (ksize per output). */
function coefficients(inSize: number, outSize: number, k: Kernel): { bounds: Int32Array; weights: Int32Array; ksize: number } {
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1);
  const support = k.support * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const weights = new Int32Array(outSize * ksize);
  const w = new Float64Array(ksize);
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const ss = 1 / filterscale;
    // C's (int) cast truncates toward zero.
    const xmin = Math.max(0, Math.trunc(center - support + 0.5));
    const xmax = Math.min(inSize, Math.trunc(center + support + 0.5)) - xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) ww += w[x] = k.f((x + xmin - center + 0.5) * ss);
    for (let x = 0; x < xmax; x++) {
      const v = ww !== 0 ? w[x] / ww : w[x];
      // Rounded half away from zero, as Pillow's normalize_coeffs_8bpc.
      weights[xx * ksize + x] = v < 0 ? Math.trunc(-0.5 + v * ONE) : Math.trunc(0.5 + v * ONE);
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { bounds, weights, ksize };
}

/**
 * A fixed-point sum back to 8 bits: Pillow's arithmetic shift right, clamped. The sums are int32
 * as in Pillow (255 × the largest positive weight sum × 2^22 is under 0.64 × 2^31 for every filter: lanczos sums to ≤ 1.28),
 * so int32 arithmetic gives the same values as exact sums, and V8 keeps it in integer registers.
 */
const clip8 = (v: number) => {
  const r = v >> PRECISION_BITS;
  return r < 0 ? 0 : r > 255 ? 255 : r;
};

/** A rectangle of the output image, in output pixels. */
export interface Region {
  left: number;
  top: number;
  width: number;
  height: number;
}

/**
 * Resize an interleaved 8-bit image (`channels` per pixel, row-major) to outW×outH with
 * Pillow's result, bit for bit. With `region`, only that part of the output is computed and
 * returned (region.width × region.height): each output pixel depends only on its own taps, so a
 * centre crop taken from it is the crop of the full resize, for ~half the work at 256 → 224.
 */
export function resize(src: Uint8Array, w: number, h: number, channels: number, outW: number, outH: number, filter: Filter, region?: Region): Uint8Array {
  if (outW <= 0 || outH <= 0) throw new Error(`resize to ${outW}×${outH}`);
  const R = region ?? { left: 0, top: 0, width: outW, height: outH };
  if (R.left < 0 || R.top < 0 || R.width <= 0 || R.height <= 0 || R.left + R.width > outW || R.top + R.height > outH)
    throw new Error(`region ${R.width}×${R.height} at (${R.left}, ${R.top}) is not inside the ${outW}×${outH} output`);
  if (outW === w && outH === h) return cut(src, w, channels, R);
  if (filter === 'nearest') return nearest(src, w, h, channels, outW, outH, R);
  const k = KERNELS[filter];
  const vert = coefficients(h, outH, k);
  if (outW === w) return vertical(src, w * channels, R.left * channels, 0, vert, R.top, R.height, R.width * channels);
  // Only the source rows the vertical pass reads, and only the region's columns, are resampled horizontally.
  const lastRow = R.top + R.height - 1;
  const y0 = outH !== h ? vert.bounds[R.top * 2] : R.top;
  const rows = outH !== h ? vert.bounds[lastRow * 2] + vert.bounds[lastRow * 2 + 1] - y0 : R.height;
  const across = horizontal(src, w, channels, y0, rows, coefficients(w, outW, k), R.left, R.width);
  if (outH === h) return across;
  return vertical(across, R.width * channels, 0, y0, vert, R.top, R.height, R.width * channels);
}

type Coefficients = ReturnType<typeof coefficients>;

/** The horizontal pass: output columns left…left+width of source rows y0…y0+rows (each pass its own function: V8 optimises a small loop best). */
function horizontal(src: Uint8Array, w: number, channels: number, y0: number, rows: number, { bounds, weights, ksize }: Coefficients, left: number, width: number): Uint8Array {
  const out = new Uint8Array(width * rows * channels);
  for (let y = 0; y < rows; y++) {
    const row = (y + y0) * w * channels;
    for (let xx = left; xx < left + width; xx++) {
      const xmin = bounds[xx * 2], n = bounds[xx * 2 + 1], kb = xx * ksize;
      const o = (y * width + xx - left) * channels;
      if (channels === 3 && n <= 4) {
        // Up to 4 taps (upscales, mild shrinks): unrolled, the missing taps at weight 0 on the first pixel.
        const q0 = row + xmin * 3, q1 = n > 1 ? q0 + 3 : q0, q2 = n > 2 ? q0 + 6 : q0, q3 = n > 3 ? q0 + 9 : q0;
        const k0 = weights[kb], k1 = n > 1 ? weights[kb + 1] : 0, k2 = n > 2 ? weights[kb + 2] : 0, k3 = n > 3 ? weights[kb + 3] : 0;
        out[o] = clip8((HALF + src[q0] * k0 + src[q1] * k1 + src[q2] * k2 + src[q3] * k3) | 0);
        out[o + 1] = clip8((HALF + src[q0 + 1] * k0 + src[q1 + 1] * k1 + src[q2 + 1] * k2 + src[q3 + 1] * k3) | 0);
        out[o + 2] = clip8((HALF + src[q0 + 2] * k0 + src[q1 + 2] * k1 + src[q2 + 2] * k2 + src[q3 + 2] * k3) | 0);
      } else if (channels === 3 && n <= 6) {
        const q0 = row + xmin * 3, q = (j: number) => (j < n ? q0 + 3 * j : q0), k = (j: number) => (j < n ? weights[kb + j] : 0);
        const q1 = q(1), q2 = q(2), q3 = q(3), q4 = q(4), q5 = q(5);
        const k0 = k(0), k1 = k(1), k2 = k(2), k3 = k(3), k4 = k(4), k5 = k(5);
        for (let c = 0; c < 3; c++)
          out[o + c] = clip8((HALF + src[q0 + c] * k0 + src[q1 + c] * k1 + src[q2 + c] * k2 + src[q3 + c] * k3 + src[q4 + c] * k4 + src[q5 + c] * k5) | 0);
      } else if (channels === 3) {
        // All three channels in one pass over the taps (the hot loop of a resize), two taps a step.
        let s0 = HALF, s1 = HALF, s2 = HALF;
        let x = 0, q = row + xmin * 3;
        for (; x + 2 <= n; x += 2, q += 6) {
          const k0 = weights[kb + x], k1 = weights[kb + x + 1];
          s0 = (s0 + src[q] * k0 + src[q + 3] * k1) | 0;
          s1 = (s1 + src[q + 1] * k0 + src[q + 4] * k1) | 0;
          s2 = (s2 + src[q + 2] * k0 + src[q + 5] * k1) | 0;
        }
        if (x < n) {
          const k = weights[kb + x];
          s0 = (s0 + src[q] * k) | 0;
          s1 = (s1 + src[q + 1] * k) | 0;
          s2 = (s2 + src[q + 2] * k) | 0;
        }
        out[o] = clip8(s0);
        out[o + 1] = clip8(s1);
        out[o + 2] = clip8(s2);
      } else {
        for (let c = 0; c < channels; c++) {
          let ss = HALF;
          for (let x = 0; x < n; x++) ss = (ss + src[row + (xmin + x) * channels + c] * weights[kb + x]) | 0;
          out[o + c] = clip8(ss);
        }
      }
    }
  }
  return out;
}

/**
 * The vertical pass: output rows top…top+height, `width` values each (pixels × channels), from
 * `img` (`stride` values a row, its first row source row y0, the region's first value at `cx`).
 * Row by row, sequential memory; up to 4 taps per pass over the row (a bicubic upscale has 4–5,
 * a shrink more), so each value is summed in a register with fewer loads and stores.
 */
function vertical(img: Uint8Array, stride: number, cx: number, y0: number, { bounds, weights, ksize }: Coefficients, top: number, height: number, width: number): Uint8Array {
  const out = new Uint8Array(width * height);
  const acc = new Int32Array(width);
  for (let yy = top; yy < top + height; yy++) {
    const ymin = bounds[yy * 2] - y0, n = bounds[yy * 2 + 1], kb = yy * ksize;
    const o = (yy - top) * width;
    const r0 = ymin * stride + cx;
    // Up to 4 taps (every upscale and mild shrink, the common case at 224²): one pass straight to
    // the output, no accumulator row; the missing taps read row r0 with weight 0.
    if (n <= 4) {
      const k0 = weights[kb], k1 = n > 1 ? weights[kb + 1] : 0, k2 = n > 2 ? weights[kb + 2] : 0, k3 = n > 3 ? weights[kb + 3] : 0;
      const r1 = n > 1 ? r0 + stride : r0, r2 = n > 2 ? r0 + 2 * stride : r0, r3 = n > 3 ? r0 + 3 * stride : r0;
      for (let i = 0; i < width; i++) out[o + i] = clip8((HALF + img[r0 + i] * k0 + img[r1 + i] * k1 + img[r2 + i] * k2 + img[r3 + i] * k3) | 0);
      continue;
    }
    if (n <= 6) {
      // 5–6 taps: a bicubic upscale's rows that straddle a pixel, a slight bicubic shrink.
      const k = (j: number) => (j < n ? weights[kb + j] : 0), r = (j: number) => (j < n ? r0 + j * stride : r0);
      const k0 = k(0), k1 = k(1), k2 = k(2), k3 = k(3), k4 = k(4), k5 = k(5);
      const r1 = r(1), r2 = r(2), r3 = r(3), r4 = r(4), r5 = r(5);
      for (let i = 0; i < width; i++)
        out[o + i] = clip8((HALF + img[r0 + i] * k0 + img[r1 + i] * k1 + img[r2 + i] * k2 + img[r3 + i] * k3 + img[r4 + i] * k4 + img[r5 + i] * k5) | 0);
      continue;
    }
    acc.fill(HALF);
    let y = 0;
    for (; y + 4 <= n; y += 4) {
      const k0 = weights[kb + y], k1 = weights[kb + y + 1], k2 = weights[kb + y + 2], k3 = weights[kb + y + 3];
      const r0 = (ymin + y) * stride + cx, r1 = r0 + stride, r2 = r1 + stride, r3 = r2 + stride;
      for (let i = 0; i < width; i++) acc[i] = (acc[i] + img[r0 + i] * k0 + img[r1 + i] * k1 + img[r2 + i] * k2 + img[r3 + i] * k3) | 0;
    }
    for (; y < n; y++) {
      const k = weights[kb + y];
      const r = (ymin + y) * stride + cx;
      for (let i = 0; i < width; i++) acc[i] = (acc[i] + img[r + i] * k) | 0;
    }
    for (let i = 0; i < width; i++) out[o + i] = clip8(acc[i]);
  }
  return out;
}

/** The region of an image as its own image (a copy). */
function cut(src: Uint8Array, w: number, channels: number, R: Region): Uint8Array {
  const out = new Uint8Array(R.width * R.height * channels);
  for (let y = 0; y < R.height; y++) out.set(src.subarray(((R.top + y) * w + R.left) * channels, ((R.top + y) * w + R.left + R.width) * channels), y * R.width * channels);
  return out;
}

/** Pillow's NEAREST resize: an affine transform sampling floor((x + 0.5) · in/out); the region's pixels only. */
function nearest(src: Uint8Array, w: number, h: number, channels: number, outW: number, outH: number, R: Region): Uint8Array {
  const out = new Uint8Array(R.width * R.height * channels);
  const sx = w / outW, sy = h / outH;
  for (let y = 0; y < R.height; y++) {
    const iy = Math.min(h - 1, Math.floor((y + R.top + 0.5) * sy));
    for (let x = 0; x < R.width; x++) {
      const ix = Math.min(w - 1, Math.floor((x + R.left + 0.5) * sx));
      for (let c = 0; c < channels; c++) out[(y * R.width + x) * channels + c] = src[(iy * w + ix) * channels + c];
    }
  }
  return out;
}
