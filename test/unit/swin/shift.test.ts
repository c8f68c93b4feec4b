import assert from 'node:assert/strict';
import { blockWindow, cyclicShift, effectiveWindow, reverseCyclicShift, roll, shiftSize, windowCounts } from '../../../src/core/swin';

/** [H, W] grid holding 0, 1, 2, … row-major. */
const iota = (n: number) => Int32Array.from({ length: n }, (_, i) => i);
const rows = (a: ArrayLike<number>, width: number) => Array.from({ length: a.length / width }, (_, i) => Array.from(a).slice(i * width, (i + 1) * width));

describe('swin: cyclic shift', () => {
  it('roll has torch.roll semantics: roll([[0,1,2],[3,4,5]], (-1,-1)) = [[4,5,3],[1,2,0]]', () => {
    assert.deepEqual(rows(roll(iota(6), 2, 3, 1, -1, -1), 3), [[4, 5, 3], [1, 2, 0]]);
    assert.deepEqual(rows(roll(iota(6), 2, 3, 1, 0, 4), 3), [[2, 0, 1], [5, 3, 4]]);
  });

  it('cyclicShift moves the top-left s rows and columns to the bottom-right; the reverse undoes it', () => {
    const x = iota(16);
    const s = cyclicShift(x, 4, 4, 1, 1);
    assert.deepEqual(rows(s, 4), [[5, 6, 7, 4], [9, 10, 11, 8], [13, 14, 15, 12], [1, 2, 3, 0]]);
    assert.deepEqual(reverseCyclicShift(s, 4, 4, 1, 1), x);
    const f = Float32Array.from({ length: 6 * 5 * 2 }, (_, i) => i * 0.5);
    assert.deepEqual(reverseCyclicShift(cyclicShift(f, 6, 5, 2, 2), 6, 5, 2, 2), f);
  });

  it('shift is ⌊M/2⌋, and 0 with the window clipped when the map is no larger than it', () => {
    assert.deepEqual([shiftSize(56, 56, 7), shiftSize(14, 14, 7), shiftSize(8, 8, 7), shiftSize(7, 7, 7), shiftSize(12, 12, 12), shiftSize(7, 20, 12)], [3, 3, 3, 0, 0, 0]);
    assert.deepEqual([effectiveWindow(56, 56, 7), effectiveWindow(7, 7, 12), effectiveWindow(7, 20, 12), effectiveWindow(14, 14, 12)], [7, 7, 7, 12]);
    // blocks alternate W-MSA / SW-MSA; a 7×7 stage under a 12 window has neither a larger window nor a shift
    assert.deepEqual([0, 1, 2, 3].map((i) => blockWindow(28, 28, 7, i)), [{ window: 7, shift: 0 }, { window: 7, shift: 3 }, { window: 7, shift: 0 }, { window: 7, shift: 3 }]);
    assert.deepEqual(blockWindow(7, 7, 12, 1), { window: 7, shift: 0 });
  });

  it('counts windows: 64 regular, 81 for a naive shifted partition, 64 with the cyclic shift', () => {
    assert.deepEqual(windowCounts(56, 56, 7, 3), { regular: 64, shiftedNaive: 81, shiftedCyclic: 64 });
    assert.deepEqual(windowCounts(7, 7, 7, 0), { regular: 1, shiftedNaive: 1, shiftedCyclic: 1 });
    assert.deepEqual(windowCounts(10, 5, 4, 2), { regular: 6, shiftedNaive: 12, shiftedCyclic: 6 }); // padded to 12×8
  });
});
