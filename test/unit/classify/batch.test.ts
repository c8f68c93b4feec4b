import assert from 'node:assert/strict';
import { batchPlan, chooseBatchSize, MAX_AUTO_BATCH } from '../../../src/core/classify/batch';

describe('batch size for a symbolic batch dimension', () => {
  const base = { dynamic: true, fixed: null, inputBytes: 3 * 224 * 224 * 4, images: 100 };
  it('fits a quarter of the free memory at ~65× the input per image, capped', () => {
    assert.equal(chooseBatchSize({ ...base, freeMemory: 16 * 2 ** 30 }).size, MAX_AUTO_BATCH);
    // 1 GiB free → 256 MiB budget / (602,112 B × 65 = 37.3 MiB) = 6.
    assert.equal(chooseBatchSize({ ...base, freeMemory: 2 ** 30 }).size, 6);
    assert.equal(chooseBatchSize({ ...base, freeMemory: 10 * 2 ** 20 }).size, 1);
    assert.equal(chooseBatchSize({ ...base, images: 3, freeMemory: 16 * 2 ** 30 }).size, 3);
  });
  it('--batch overrides on a dynamic model only', () => {
    assert.equal(chooseBatchSize({ ...base, freeMemory: 2 ** 30, override: 32 }).size, 32);
    const fixed = chooseBatchSize({ ...base, dynamic: false, fixed: 1, freeMemory: 2 ** 30, override: 32 });
    assert.deepEqual([fixed.size, /fixed at 1/.test(fixed.reason)], [1, true]);
  });
  it('runs one image first, then the rest in near-equal batches of at most the size', () => {
    assert.deepEqual(batchPlan(10, 4), [1, 3, 3, 3]);
    assert.deepEqual(batchPlan(16, 8), [1, 8, 7]);
    assert.deepEqual(batchPlan(20, 8), [1, 7, 6, 6]);
    assert.deepEqual(batchPlan(3, 1), [1, 1, 1]);
    assert.deepEqual(batchPlan(1, 8), [1]);
    assert.deepEqual(batchPlan(0, 8), []);
    for (let n = 0; n < 40; n++) for (let b = 1; b < 10; b++) {
      const p = batchPlan(n, b);
      assert.equal(p.reduce((x, y) => x + y, 0), n);
      assert.ok(p.every((x) => x >= 1 && x <= b));
    }
  });
});
