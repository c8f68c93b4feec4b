import assert from 'node:assert/strict';
import { resize, type Filter } from '../../../src/core/image/resample';
import { mulberry32 } from '../../../src/core/random';

/**
 * The unrolled passes (≤ 4 and ≤ 6 taps, the missing taps at weight 0) against Pillow's loop as
 * Resample.c writes it: one sum per output value over all its taps, for sizes whose tap counts
 * cover 1…6 and beyond (upscales, slight and strong shrinks), and both channel layouts.
 */
describe('resize: the unrolled tap loops equal the plain one', () => {
  const KERNEL: Record<string, [number, (x: number) => number]> = {
    bilinear: [1, (x) => Math.max(0, 1 - Math.abs(x))],
    bicubic: [2, (x) => {
      x = Math.abs(x);
      return x < 1 ? (1.5 * x - 2.5) * x * x + 1 : x < 2 ? (((x - 5) * x + 8) * x - 4) * -0.5 : 0;
    }],
  };
  /** One axis of Pillow's 8-bit resample: each output position's first tap and normalised 22-bit weights. */
  function taps(len: number, outLen: number, filter: string): { first: number; k: number[] }[] {
    const [sup, f] = KERNEL[filter];
    const scale = len / outLen, fs = Math.max(scale, 1), support = sup * fs;
    return Array.from({ length: outLen }, (_, xx) => {
      const center = (xx + 0.5) * scale;
      const first = Math.max(0, Math.trunc(center - support + 0.5)), end = Math.min(len, Math.trunc(center + support + 0.5));
      const w = Array.from({ length: end - first }, (_, j) => f((first + j - center + 0.5) / fs));
      const sum = w.reduce((a, b) => a + b, 0);
      return { first, k: w.map((v) => (v / sum < 0 ? Math.trunc(-0.5 + (v / sum) * 2 ** 22) : Math.trunc(0.5 + (v / sum) * 2 ** 22))) };
    });
  }
  /** A value's sum over all its taps at once, then Pillow's shift and clamp. */
  const sum8 = (k: number[], at: (j: number) => number) => Math.min(255, Math.max(0, Math.floor(k.reduce((s, kj, j) => s + at(j) * kj, 2 ** 21) / 2 ** 22)));
  function reference(src: Uint8Array, w: number, h: number, ch: number, ow: number, oh: number, filter: string): Uint8Array {
    let a = src;
    if (ow !== w) {
      const t = taps(w, ow, filter), out = new Uint8Array(ow * h * ch);
      for (let y = 0; y < h; y++) for (let x = 0; x < ow; x++) for (let c = 0; c < ch; c++) out[(y * ow + x) * ch + c] = sum8(t[x].k, (j) => a[(y * w + t[x].first + j) * ch + c]);
      a = out;
    }
    if (oh === h) return a;
    const t = taps(h, oh, filter), out = new Uint8Array(ow * oh * ch);
    for (let y = 0; y < oh; y++) for (let x = 0; x < ow; x++) for (let c = 0; c < ch; c++) out[(y * ow + x) * ch + c] = sum8(t[y].k, (j) => a[((t[y].first + j) * ow + x) * ch + c]);
    return out;
  }
  const rnd = mulberry32(7);
  for (const filter of ['bilinear', 'bicubic'] as Filter[])
    for (const ch of [1, 3])
      for (const [w, h, ow, oh] of [[40, 30, 43, 32], [40, 30, 38, 29], [40, 30, 30, 22], [40, 30, 17, 11], [9, 7, 40, 30], [40, 30, 40, 31], [40, 30, 41, 30]])
        it(`${filter}, ${ch} channel(s), ${w}×${h} → ${ow}×${oh}`, () => {
          const src = Uint8Array.from({ length: w * h * ch }, () => (rnd() < 0.15 ? 255 * Math.round(rnd()) : Math.floor(rnd() * 256)));
          assert.deepEqual(resize(src, w, h, ch, ow, oh, filter), reference(src, w, h, ch, ow, oh, filter));
        });
});
