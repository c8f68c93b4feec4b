import assert from 'node:assert/strict';
import { analyticFlops } from '../../../src/core/flops/analytic';
import { preset } from '../../../src/core/flops/config';
import { paramCount } from '../../../src/core/flops/params';

describe('analytic params', () => {
  const pinned: [string, { imageSize?: number; windowSize?: number }, number][] = [
    ['swin-t', {}, 28_288_354], // official and torchvision swin_t, with the relative position bias tables
    ['swin-s', {}, 49_606_258],
    ['swin-b', {}, 87_768_224],
    ['swin-b', { imageSize: 384, windowSize: 12 }, 87_903_584],
    ['swin-l', {}, 196_532_476],
    ['vit-b/16', {}, 86_567_656], // torchvision vit_b_16
    ['vit-l/16', {}, 304_326_632],
    ['vit-b/32', {}, 88_224_232],
    ['deit-t', {}, 5_717_416],
    ['deit-s', {}, 22_050_664],
  ];
  for (const [name, o, n] of pinned) {
    it(`${name}${o.imageSize ? ` ${o.imageSize}²` : ''}: ${n.toLocaleString('en')}`, () => {
      assert.equal(paramCount(preset(name, o)), n);
      assert.equal(analyticFlops(preset(name, o)).params, n);
    });
  }

  it('counts the qkv bias, the bias tables and the position embedding', () => {
    const t = preset('swin-t');
    assert.equal(paramCount(t) - paramCount({ ...t, qkvBias: false }), 3 * (96 * 2 + 192 * 2 + 384 * 6 + 768 * 2));
    // ViT-B/16 at 384²: only the position embedding grows (577 instead of 197 tokens)
    assert.equal(paramCount(preset('vit-b/16', { imageSize: 384 })) - paramCount(preset('vit-b/16')), (577 - 197) * 768);
  });
});
