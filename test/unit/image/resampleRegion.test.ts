import assert from 'node:assert/strict';
import { resize, type Filter } from '../../../src/core/image/resample';

/** A region of the output computed alone is that region of the full resize, bit for bit (issue 22 item 7). */
describe('resize of a region (the centre crop only)', () => {
  const w = 37, h = 29;
  const img = (ch: number) => Uint8Array.from({ length: w * h * ch }, (_, i) => (i * 73 + (i >> 5) * 31) % 256);
  const crop = (full: Uint8Array, W: number, ch: number, l: number, t: number, rw: number, rh: number) => {
    const out = new Uint8Array(rw * rh * ch);
    for (let y = 0; y < rh; y++) out.set(full.subarray(((t + y) * W + l) * ch, ((t + y) * W + l + rw) * ch), y * rw * ch);
    return out;
  };
  for (const filter of ['bicubic', 'bilinear', 'lanczos', 'nearest'] as Filter[])
    for (const ch of [1, 3])
      for (const [ow, oh] of [[48, 36], [20, 15], [37, 40], [50, 29], [37, 29]])
        it(`${filter}, ${ch} channel(s), ${w}×${h} → ${ow}×${oh}`, () => {
          const full = resize(img(ch), w, h, ch, ow, oh, filter);
          for (const [l, t, rw, rh] of [[0, 0, ow, oh], [3, 2, ow - 7, oh - 5], [ow - 1, oh - 1, 1, 1], [1, 0, 5, oh]])
            assert.deepEqual(resize(img(ch), w, h, ch, ow, oh, filter, { left: l, top: t, width: rw, height: rh }), crop(full, ow, ch, l, t, rw, rh), `region ${rw}×${rh} at ${l},${t}`);
        });
  it('a region outside the output is a bug, not a silent wrong answer', () => {
    assert.throws(() => resize(img(3), w, h, 3, 20, 15, 'bicubic', { left: 10, top: 0, width: 11, height: 5 }), /not inside/);
  });
});
