import assert from 'node:assert/strict';
import {
  attentionMask,
  cyclicShift,
  MASKED,
  padMap,
  padToWindow,
  regionIds,
  relativePositionIndex,
  tokenPositions,
  windowPartition,
  windowRegionIds,
} from '../../../src/core/swin';
import { throwsUserError } from '../helpers/assert';

const rows = (a: ArrayLike<number>, width: number) => Array.from({ length: a.length / width }, (_, i) => Array.from(a).slice(i * width, (i + 1) * width));

describe('swin: region ids and the SW-MSA mask (hand-worked)', () => {
  it('region ids of a 4×4 map, M = 2, s = 1: bands (0,−2), (−2,−1), (−1,None)', () => {
    assert.deepEqual(rows(regionIds(4, 4, 2, 1), 4), [[0, 0, 1, 2], [0, 0, 1, 2], [3, 3, 4, 5], [6, 6, 7, 8]]);
    assert.deepEqual(Array.from(regionIds(4, 4, 2, 0)), new Array(16).fill(0));
  });

  it('mask per window: 0 within a region, −100 across regions', () => {
    const m = attentionMask(4, 4, 2, 1);
    assert.deepEqual([m.numWindows, m.tokens, m.values.length], [4, 4, 64]);
    const win = (k: number) => rows(m.values.subarray(k * 16, (k + 1) * 16), 4);
    const X = MASKED;
    assert.deepEqual(win(0), [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]);
    assert.deepEqual(win(1), [[0, X, 0, X], [X, 0, X, 0], [0, X, 0, X], [X, 0, X, 0]]); // ids 1 2 / 1 2
    assert.deepEqual(win(2), [[0, 0, X, X], [0, 0, X, X], [X, X, 0, 0], [X, X, 0, 0]]); // ids 3 3 / 6 6
    assert.deepEqual(win(3), [[0, X, X, X], [X, 0, X, X], [X, X, 0, X], [X, X, X, 0]]); // ids 4 5 / 7 8
    assert.equal(MASKED, -100);
  });

  it('56×56, M = 7, s = 3: only the 15 windows on the last row and column are masked', () => {
    const m = attentionMask(56, 56, 7, 3);
    let masked = 0;
    for (let k = 0; k < m.numWindows; k++) if (m.values.subarray(k * 2401, (k + 1) * 2401).some((v) => v !== 0)) masked++;
    assert.equal(masked, 15);
    const ids = windowRegionIds(56, 56, 7, 3);
    assert.equal(new Set(ids.subarray(63 * 49, 64 * 49)).size, 4); // the corner window holds 4 regions
  });

  it('rejects a shift outside 0..M−1 and a mask too large to build', () => {
    throwsUserError(() => attentionMask(8, 8, 4, 4), /Shift must be a whole number from 0 to M−1 = 3/);
    throwsUserError(() => regionIds(8, 8, 0, 0), /Window size M must be a positive whole number/);
    throwsUserError(() => attentionMask(4096, 4096, 32, 16), /smaller map or window/);
  });
});

describe('swin: relative position index and token positions (hand-worked)', () => {
  it('relative_position_index for M = 2: (Δh + 1)·3 + (Δw + 1)', () => {
    assert.deepEqual(rows(relativePositionIndex(2), 4), [[4, 3, 1, 0], [5, 4, 2, 1], [7, 6, 4, 3], [8, 7, 5, 4]]);
    const r7 = relativePositionIndex(7);
    assert.equal(r7.length, 49 * 49);
    assert.equal(Math.max(...r7), 13 * 13 - 1);
    assert.equal(new Set(r7).size, 13 * 13);
    for (let i = 0; i < 49; i++) assert.equal(r7[i * 49 + i], 84); // Δ = 0 → (6)(13) + 6
  });

  it('tokenPositions undoes partition and shift: 4×4, M = 2, s = 1', () => {
    const t = tokenPositions(4, 4, 2, 1);
    const at = (k: number) => [...Array(4)].map((_, i) => [t.row[k * 4 + i], t.col[k * 4 + i]]);
    assert.deepEqual(at(0), [[1, 1], [1, 2], [2, 1], [2, 2]]);
    assert.deepEqual(at(3), [[3, 3], [3, 0], [0, 3], [0, 0]]);
    const u = tokenPositions(4, 4, 2, 0);
    assert.deepEqual([...Array(4)].map((_, i) => [u.row[4 + i], u.col[4 + i]]), [[0, 2], [0, 3], [1, 2], [1, 3]]);
  });

  for (const [H, W, M, s] of [[5, 3, 2, 1], [10, 7, 4, 2], [14, 14, 7, 3], [9, 9, 3, 0]] as const) {
    it(`tokenPositions(${H}, ${W}, ${M}, ${s}) equals pad → roll(−s) → window_partition of an index map`, () => {
      const idx = Int32Array.from({ length: H * W }, (_, i) => i + 1); // 0 marks padding
      const { Hp, Wp } = padToWindow(H, W, M);
      const parts = windowPartition(cyclicShift(padMap(idx, H, W, 1, M), Hp, Wp, 1, s), Hp, Wp, 1, M);
      const t = tokenPositions(H, W, M, s);
      assert.equal(t.row.length, parts.length);
      for (let k = 0; k < parts.length; k++) {
        const want = parts[k] === 0 ? [-1, -1] : [Math.floor((parts[k] - 1) / W), (parts[k] - 1) % W];
        assert.deepEqual([t.row[k], t.col[k]], want, `slot ${k}`);
      }
      // every image position appears exactly once
      const seen = new Set<number>();
      for (let k = 0; k < t.row.length; k++) if (t.row[k] >= 0) seen.add(t.row[k] * W + t.col[k]);
      assert.equal(seen.size, H * W);
    });
  }
});
