import assert from 'node:assert/strict';
import { cropMap, padMap, padToWindow, windowPartition, windowReverse } from '../../../src/core/swin';
import { throwsUserError } from '../helpers/assert';

/** [H, W] grid holding 0, 1, 2, … row-major. */
const iota = (n: number) => Int32Array.from({ length: n }, (_, i) => i);
const rows = (a: ArrayLike<number>, width: number) => Array.from({ length: a.length / width }, (_, i) => Array.from(a).slice(i * width, (i + 1) * width));

describe('swin: window partition and reverse', () => {
  it('cuts a 4×4 grid into 2×2 windows row by row, as window_partition does', () => {
    assert.deepEqual(rows(windowPartition(iota(16), 4, 4, 1, 2), 4), [
      [0, 1, 4, 5],
      [2, 3, 6, 7],
      [8, 9, 12, 13],
      [10, 11, 14, 15],
    ]);
  });

  it('keeps channels together and windowReverse undoes it on a [8, 12, 3] map', () => {
    const x = Float32Array.from({ length: 8 * 12 * 3 }, (_, i) => Math.sin(i));
    const w = windowPartition(x, 8, 12, 3, 4);
    assert.ok(w instanceof Float32Array);
    // window 1 (row 0, col 1), token 0 = map (0, 4), its 3 channels
    assert.deepEqual(Array.from(w.subarray(16 * 3, 16 * 3 + 3)), Array.from(x.subarray(4 * 3, 4 * 3 + 3)));
    assert.deepEqual(windowReverse(w, 4, 8, 12, 3), x);
    assert.notDeepEqual(w, x);
  });

  it('refuses a map that is not a multiple of M, and pads one that is not', () => {
    throwsUserError(() => windowPartition(iota(15), 5, 3, 1, 2), /cannot be cut into 2×2 windows; pad/);
    throwsUserError(() => windowPartition(iota(15), 4, 4, 1, 2), /15 values but H·W·C/);
    assert.deepEqual(padToWindow(5, 3, 2), { Hp: 6, Wp: 4, padBottom: 1, padRight: 1 });
    const p = padMap(Int32Array.from({ length: 15 }, (_, i) => i + 1), 5, 3, 1, 2);
    assert.deepEqual(rows(p, 4), [[1, 2, 3, 0], [4, 5, 6, 0], [7, 8, 9, 0], [10, 11, 12, 0], [13, 14, 15, 0], [0, 0, 0, 0]]);
    assert.deepEqual(cropMap(p, 6, 4, 1, 5, 3), Int32Array.from({ length: 15 }, (_, i) => i + 1));
  });
});
