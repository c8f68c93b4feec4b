/**
 * Where a traced block's tensors are, found by the walk on real exports (structure-only fixtures:
 * no inference): every tap of every block of torchvision's ViT-B/16 and Swin-T, the scale read
 * from the graph, and the Swin blocks that end a stage have patch merging after them.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { traceCapture, traceModel } from '../../../src/core/trace/model';
import { fixture } from '../../skip';
import { models } from '../helpers/attentionReference';

describe('trace: the taps of each block (no inference)', () => {
  for (const [name, blocks, d] of [['vit_b_16', 12, 64], ['swin_t', 12, 32]] as const) {
    it(`${name}: all ${blocks} blocks have every tap, the scale is 1/√${d}`, () => {
      const m = traceModel(fixture(join(models, `${name}.onnx`)));
      assert.equal(m.ranges.layers, blocks);
      for (let L = 0; L < blocks; L++) {
        const { taps, fetches } = traceCapture(m, L);
        assert.deepEqual(taps.missing, [], `block ${L}`);
        for (const k of ['norm1', 'qkv', 'proj', 'norm2', 'fc1', 'fc2', 'finalNorm', 'head'] as const) assert.ok(taps[k], `block ${L}: no ${k}`);
        assert.ok(taps.residual1 && taps.output && taps.hidden, `block ${L}: residual stream`);
        assert.ok(Math.abs(taps.qFactor * taps.kFactor * taps.postFactor - 1 / Math.sqrt(d)) < 1e-6, `block ${L}: scale`);
        assert.ok(new Set(fetches).size === fetches.length);
        // Swin: merging after the last block of stages 1–3 only
        if (name === 'swin_t') assert.equal(!!taps.merge, [1, 3, 9].includes(L), `block ${L}: merge`);
      }
    });
  }

  it('the valid ranges: ViT-B/16 197 tokens of 12 heads; Swin-T stage grids 56², 28², 14², 7²', () => {
    assert.deepEqual(traceModel(join(models, 'vit_b_16.onnx')).ranges.tokens, new Array(12).fill(197));
    const s = traceModel(join(models, 'swin_t.onnx')).ranges;
    assert.deepEqual(s.tokens, [3136, 3136, 784, 784, 196, 196, 196, 196, 196, 196, 49, 49]);
    assert.deepEqual(s.heads, [3, 3, 6, 6, 12, 12, 12, 12, 12, 12, 24, 24]);
  });
});
