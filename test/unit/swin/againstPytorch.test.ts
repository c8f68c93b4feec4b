import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fixture } from '../../skip';
import {
  attentionMask,
  cyclicShift,
  padToWindow,
  regionIds,
  relativePositionIndex,
  tokenPositions,
  windowCounts,
  windowPartition,
} from '../../../src/core/swin';

/** [H, W] grid holding 0, 1, 2, … row-major. */
const iota = (n: number) => Int32Array.from({ length: n }, (_, i) => i);
const rows = (a: ArrayLike<number>, width: number) => Array.from({ length: a.length / width }, (_, i) => Array.from(a).slice(i * width, (i + 1) * width));

describe('swin: against PyTorch (test/fixtures/reference/swin_masks.json)', function () {
  interface Case {
    H: number; W: number; window: number; shift: number; paddedH: number; paddedW: number; numWindows: number;
    regionIds: number[][]; mask: number[][][]; windowTokens: [number, number][][]; regularWindowTokens: [number, number][][];
    relativePositionIndex: number[][];
  }
  const file = path.resolve('test/fixtures/reference/swin_masks.json');
  if (!fs.existsSync(file)) {
    // The cases below are made from the file: without it there is one test, and it fails.
    it('has its committed fixture test/fixtures/reference/swin_masks.json (made by tools/make_fixtures.py)', () => void fixture(file));
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
