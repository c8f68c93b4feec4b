/** Constant folding for shape inference (src/core/onnx/fold.ts), each op against values worked out by hand. */
import assert from 'node:assert/strict';
import { castValue, foldBroadcast, gatherGrid, normAxis, reduceValues, strides, transposeValues } from '../../../src/core/onnx/fold';
import { DataType } from '../../../src/core/onnx/proto';

const v = (shape: number[], value: number[]) => ({ dtype: DataType.FLOAT, shape, value });
const add = (a: number, b: number) => a + b;

describe('constant folding', () => {
  it('strides and negative axes', () => {
    assert.deepEqual(strides([2, 3, 4]), [12, 4, 1]);
    assert.deepEqual(strides([]), []);
    assert.equal(normAxis(-1, 4), 3);
    assert.equal(normAxis(2, 4), 2);
  });

  it('broadcast: same shape, a scalar, a row, a column (the outer-product case)', () => {
    assert.deepEqual(foldBroadcast(1000, [2, 2], [v([2, 2], [1, 2, 3, 4]), v([2, 2], [10, 20, 30, 40])], add), [11, 22, 33, 44]);
    assert.deepEqual(foldBroadcast(1000, [2, 2], [v([2, 2], [1, 2, 3, 4]), v([], [100])], add), [101, 102, 103, 104]);
    assert.deepEqual(foldBroadcast(1000, [2, 3], [v([2, 3], [0, 1, 2, 3, 4, 5]), v([3], [10, 20, 30])], add), [10, 21, 32, 13, 24, 35]);
    assert.deepEqual(foldBroadcast(1000, [2, 3], [v([2, 1], [1, 2]), v([1, 3], [10, 20, 30])], (a, b) => a * b), [10, 20, 30, 20, 40, 60]);
  });

  it('broadcast with three inputs (Where-like)', () => {
    const where = (c: number, a: number, b: number) => (c ? a : b);
    assert.deepEqual(foldBroadcast(1000, [2, 2], [v([2, 1], [1, 0]), v([1, 2], [7, 8]), v([], [-1])], where), [7, 8, -1, -1]);
  });

  it('gives up (undefined) on an unknown value, an unknown dimension, or more elements than the limit', () => {
    assert.equal(foldBroadcast(1000, [2], [{ dtype: DataType.FLOAT, shape: [2] }, v([2], [1, 2])], add), undefined);
    assert.equal(foldBroadcast(1000, [2], [v([-1], [1, 2]), v([2], [1, 2])], add), undefined);
    assert.equal(foldBroadcast(3, [2, 2], [v([2, 2], [1, 2, 3, 4]), v([], [1])], add), undefined);
  });

  it('casts: integers truncate toward zero, non-finite to 0; bool; float32 rounding', () => {
    assert.equal(castValue(-2.7, DataType.INT64), -2);
    assert.equal(castValue(2.7, DataType.INT32), 2);
    assert.equal(castValue(NaN, DataType.INT64), 0);
    assert.equal(castValue(Infinity, DataType.UINT8), 0);
    assert.equal(castValue(0.5, DataType.BOOL), 1);
    assert.equal(castValue(0, DataType.BOOL), 0);
    assert.equal(castValue(0.1, DataType.FLOAT), Math.fround(0.1));
    assert.notEqual(castValue(0.1, DataType.FLOAT), 0.1);
    assert.equal(castValue(0.1, DataType.DOUBLE), 0.1);
  });

  it('transpose: a 2×3 matrix and a 2×3×4 tensor against index arithmetic', () => {
    assert.deepEqual(transposeValues([1, 2, 3, 4, 5, 6], [2, 3], [1, 0]), [1, 4, 2, 5, 3, 6]);
    const x = Array.from({ length: 24 }, (_, i) => i);
    const t = transposeValues(x, [2, 3, 4], [2, 0, 1]); // out [4, 2, 3]: out[c][a][b] = x[a][b][c]
    for (let c = 0; c < 4; c++) for (let a = 0; a < 2; a++) for (let b = 0; b < 3; b++) assert.equal(t[c * 6 + a * 3 + b], x[a * 12 + b * 4 + c]);
  });

  it('gather over an index grid per axis (Slice/Gather folding), and a scalar', () => {
    // rows 1 and 0, columns 2 and 0 of [[0,1,2],[3,4,5]]
    assert.deepEqual(gatherGrid([0, 1, 2, 3, 4, 5], [2, 3], [[1, 0], [2, 0]]), [5, 3, 2, 0]);
    assert.deepEqual(gatherGrid([42], [], []), [42]);
  });

  it('reductions over chosen axes (negative too), all axes, and an unknown op', () => {
    const x = [1, 2, 3, 4, 5, 6]; // [2, 3]
    assert.deepEqual(reduceValues(x, [2, 3], [1], 'ReduceSum'), [6, 15]);
    assert.deepEqual(reduceValues(x, [2, 3], [-2], 'ReduceMean'), [2.5, 3.5, 4.5]);
    assert.deepEqual(reduceValues(x, [2, 3], null, 'ReduceProd'), [720]);
    assert.deepEqual(reduceValues(x, [2, 3], [0], 'ReduceMax'), [4, 5, 6]);
    assert.deepEqual(reduceValues(x, [2, 3], [1], 'ReduceMin'), [1, 4]);
    assert.equal(reduceValues(x, [2, 3], [1], 'ReduceLogSumExp'), undefined);
  });
});
