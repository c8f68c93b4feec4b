import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isUserError } from '../../src/core/errors';
import {
  attentionMask, blockWindow, cropMap, cyclicShift, effectiveWindow, MASKED, padMap, padToWindow, regionIds, relativePositionIndex,
  reverseCyclicShift, roll, shiftSize, tokenPositions, windowCounts, windowPartition, windowReverse, windowRegionIds,
} from '../../src/core/swin';

/** [H, W] grid holding 0, 1, 2, … row-major. */
const iota = (n: number) => Int32Array.from({ length: n }, (_, i) => i);
const rows = (a: ArrayLike<number>, width: number) => Array.from({ length: a.length / width }, (_, i) => Array.from(a).slice(i * width, (i + 1) * width));

function throwsUserError(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (e: unknown) => isUserError(e) && message.test((e as Error).message));
}

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

describe('swin: against PyTorch (test/fixtures/reference/swin_masks.json)', function () {
  interface Case {
    H: number; W: number; window: number; shift: number; paddedH: number; paddedW: number; numWindows: number;
    regionIds: number[][]; mask: number[][][]; windowTokens: [number, number][][]; regularWindowTokens: [number, number][][];
    relativePositionIndex: number[][];
  }
  const file = path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'reference', 'swin_masks.json');
  if (!fs.existsSync(file)) {
    it('needs test/fixtures/reference/swin_masks.json (made by tools/make_fixtures.py)', function () {
      this.skip();
    });
    return;
  }
  const { cases } = JSON.parse(fs.readFileSync(file, 'utf8')) as { cases: Case[] };

  it('covers at least three (H, W, M) and one H that is not a multiple of M', () => {
    assert.ok(new Set(cases.map((c) => `${c.H}x${c.W}/${c.window}`)).size >= 3);
    assert.ok(cases.some((c) => c.H % c.window !== 0));
  });

  for (const c of cases) {
    const { H, W, window: M, shift: s } = c;
    describe(`H ${H}, W ${W}, M ${M}, shift ${s}`, () => {
      it('padding and window counts', () => {
        const p = padToWindow(H, W, M);
        assert.deepEqual([p.Hp, p.Wp], [c.paddedH, c.paddedW]);
        assert.equal(windowCounts(H, W, M, s).shiftedCyclic, c.numWindows);
      });

      it('region ids of the shifted padded map', () => {
        assert.deepEqual(rows(regionIds(H, W, M, s), c.paddedW), c.regionIds);
      });

      it('attention mask [nW, M², M²], 0 / −100', () => {
        const m = attentionMask(H, W, M, s);
        assert.equal(m.numWindows, c.numWindows);
        const N = M * M;
        const want = c.mask.flat(2);
        assert.equal(m.values.length, want.length);
        for (let k = 0; k < want.length; k++) {
          if (m.values[k] !== want[k]) assert.fail(`window ${Math.floor(k / N / N)}, query ${Math.floor(k / N) % N}, key ${k % N}: ${m.values[k]} vs ${want[k]}`);
        }
      });

      const unpad = (t: [number, number][][]) => t.flat().map(([r, q]) => (r >= H || q >= W ? [-1, -1] : [r, q]));
      it('token positions after the shift (SW-MSA) and without it (W-MSA)', () => {
        for (const [shift, want] of [[s, c.windowTokens], [0, c.regularWindowTokens]] as const) {
          const t = tokenPositions(H, W, M, shift);
          assert.deepEqual(Array.from(t.row, (r, k) => [r, t.col[k]]), unpad(want), `shift ${shift}`);
        }
      });

      it('window_partition of the shifted padded index map puts the same tokens in each window', () => {
        const { Hp, Wp } = padToWindow(H, W, M);
        const parts = windowPartition(cyclicShift(iota(Hp * Wp), Hp, Wp, 1, s), Hp, Wp, 1, M);
        assert.deepEqual(Array.from(parts, (v) => [Math.floor(v / Wp), v % Wp]), c.windowTokens.flat());
      });

      it('relative position index [M², M²]', () => {
        assert.deepEqual(rows(relativePositionIndex(M), M * M), c.relativePositionIndex);
      });
    });
  }
});
