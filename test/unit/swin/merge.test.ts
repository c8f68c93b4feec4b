import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { mergeCost, mergedGrid, MERGE_ORDER, patchMerging, patchMergingIndex, stageGrids } from '../../../src/core/swin';
import { mergeMacs } from '../../../src/core/flops';

const ROOT = path.join(__dirname, '..', '..', '..', '..');
const ref = JSON.parse(fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'reference', 'relpos.json'), 'utf8')) as {
  merging: { H: number; W: number; C: number; input: number[]; outShape: number[]; output: number[] }[];
};

describe('swin/merge: patch merging', () => {
  it('takes x0..x3 = (0,0), (1,0), (0,1), (1,1) of each 2×2 group, as the official code', () => {
    assert.deepEqual(MERGE_ORDER, [[0, 0], [1, 0], [0, 1], [1, 1]]);
    // 4×4 map of token ids: merged token (0,0) = tokens 0, 4, 1, 5
    assert.deepEqual(Array.from(patchMergingIndex(4, 4).subarray(0, 8)), [0, 4, 1, 5, 2, 6, 3, 7]);
  });
  for (const c of ref.merging) {
    it(`equals torchvision's _patch_merging_pad on a ${c.H}×${c.W}×${c.C} map of distinct values`, () => {
      const out = patchMerging(Float32Array.from(c.input), c.H, c.W, c.C);
      assert.deepEqual([...mergedGrid(c.H, c.W), 4 * c.C], c.outShape);
      assert.deepEqual(Array.from(out), c.output);
    });
  }
  it('Swin-T at 224²: 56² → 28² → 14² → 7², params and MACs of each merging', () => {
    assert.deepEqual(stageGrids([56, 56], 4), [[56, 56], [28, 28], [14, 14], [7, 7]]);
    const m = mergeCost(56, 56, 96);
    assert.deepEqual([m.to, m.concatDim, m.outDim], [[28, 28], 384, 192]);
    assert.equal(m.params, 8 * 96 + 8 * 96 * 96); // LayerNorm(4C) + Linear(4C, 2C, bias=False)
    assert.equal(m.macs, 28 * 28 * 384 * 192);
    assert.equal(m.macs, mergeMacs(56, 56, 96)); // the analytic counter's term
  });
});
