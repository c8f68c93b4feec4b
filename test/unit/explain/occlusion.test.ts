/** Occlusion sensitivity's pure parts (src/core/explain/occlusion.ts): where the windows go and what they paint. */
import assert from 'node:assert/strict';
import { defaultWindow, occlude, occlusionGrid, occlusionMap } from '../../../src/core/explain/occlusion';
import { isUserError } from '../../../src/core/errors';

describe('occlusion windows', () => {
  it('slides P×P windows with stride S while they fit: ⌊(side − P)/S⌋ + 1 positions per side', () => {
    assert.deepEqual(occlusionGrid(32, 32, 8, 8).grid, [4, 4]);
    assert.deepEqual(occlusionGrid(32, 32, 8, 4).grid, [7, 7]);
    assert.deepEqual(occlusionGrid(224, 224, 16, 16).grid, [14, 14]);
    assert.deepEqual(occlusionGrid(10, 12, 4, 3).grid, [3, 3]);
    assert.deepEqual(occlusionGrid(32, 32, 32, 32).grid, [1, 1]);
  });

  it('a window larger than the input or a stride < 1 is a UserError naming the valid range', () => {
    assert.throws(() => occlusionGrid(28, 28, 32, 32), (e: Error) => isUserError(e) && /from 1 to 28/.test(e.message) && /28×28/.test(e.message));
    assert.throws(() => occlusionGrid(28, 28, 4, 0), (e: Error) => isUserError(e) && /--stride/.test(e.message));
    assert.throws(() => occlusionGrid(28, 28, 2.5, 2), (e: Error) => isUserError(e));
  });

  it('sets exactly the window of each position to 0 in every channel and leaves the rest as it was', () => {
    const [c, h, w] = [2, 7, 9];
    const input = Float32Array.from({ length: c * h * w }, (_, i) => i + 1); // no zeros of its own
    const g = occlusionGrid(h, w, 3, 2); // 3×4 positions
    assert.deepEqual(g.grid, [3, 4]);
    const out = new Float32Array(input.length);
    for (let index = 0; index < 12; index++) {
      occlude(input, [c, h, w], g, index, out);
      const top = Math.floor(index / 4) * 2;
      const left = (index % 4) * 2;
      for (let ch = 0; ch < c; ch++)
        for (let y = 0; y < h; y++)
          for (let x = 0; x < w; x++) {
            const i = ch * h * w + y * w + x;
            const inside = y >= top && y < top + 3 && x >= left && x < left + 3;
            assert.equal(out[i], inside ? 0 : input[i], `window ${index}, channel ${ch}, (${y}, ${x})`);
          }
    }
    // 9 pixels × 2 channels per window, and the input itself untouched
    occlude(input, [c, h, w], g, 5, out);
    assert.equal(out.filter((v) => v === 0).length, 18);
    assert.equal(input[0], 1);
  });

  it('the map is p(class) − p(class | occluded), one value per position', () => {
    assert.deepEqual(occlusionMap(0.75, [0.75, 0.25, 1]), [0, 0.5, -0.25]);
  });

  it('defaults to the patch size for ViT, 32 px for Swin at 224² (⌊side/7⌋ on smaller inputs)', () => {
    assert.equal(defaultWindow('vit', 16, 224, 224), 16);
    assert.equal(defaultWindow('vit-hybrid', 16, 384, 384), 16);
    assert.equal(defaultWindow('vit', 8, 32, 32), 8);
    assert.equal(defaultWindow('swin', 4, 224, 224), 32);
    assert.equal(defaultWindow('swin-v2', 4, 384, 384), 32);
    assert.equal(defaultWindow('swin', 2, 28, 28), 4); // the embedded Fashion-MNIST Swin: a 7×7 map, not one window over it all
    assert.equal(defaultWindow('swin', 2, 32, 32), 4);
    assert.equal(defaultWindow('other', null, 224, 224), 32);
    for (const side of [8, 28, 32, 64, 224, 500]) assert.ok(occlusionGrid(side, side, defaultWindow('swin', 2, side, side), defaultWindow('swin', 2, side, side)).grid[0] >= 1);
  });
});
