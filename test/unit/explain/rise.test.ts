/** RISE's pure parts (src/core/explain/rise.ts): seeded masks, bilinear upsampling with shifts, the weighted average. */
import assert from 'node:assert/strict';
import { applyMask, RiseMasks, RiseSaliency, upsampleCells } from '../../../src/core/explain/rise';
import { chooseClass, classByName, softmaxAt } from '../../../src/core/explain/classProb';
import { isUserError } from '../../../src/core/errors';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fixture } from '../../skip';

interface UpsampleCase { cells: number[]; side: number; height: number; width: number; cy: number; cx: number; dy: number; dx: number; out: number[] }

const take = (m: RiseMasks, n: number) => Array.from({ length: n }, () => Array.from(m.next()));

describe('RISE masks', () => {
  it('are the same sequence for the same seed and another for another seed', () => {
    const a = take(new RiseMasks(32, 32, { masks: 5, seed: 7 }), 5);
    const b = take(new RiseMasks(32, 32, { masks: 5, seed: 7 }), 5);
    const c = take(new RiseMasks(32, 32, { masks: 5, seed: 8 }), 5);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
    assert.notDeepEqual(a[0], a[1]);
  });

  it('are soft masks in [0, 1] that keep about p = ½ of the image', () => {
    const m = new RiseMasks(28, 28, { masks: 400, seed: 1 });
    let sum = 0;
    for (let i = 0; i < 400; i++) {
      const x = m.next();
      assert.equal(x.length, 28 * 28);
      for (const v of x) assert.ok(v >= 0 && v <= 1);
      sum += x.reduce((s, v) => s + v, 0) / x.length;
    }
    assert.ok(Math.abs(sum / 400 - 0.5) < 0.03, `mean kept ${sum / 400}`);
  });

  it('reject a mask count that is not a whole number ≥ 1', () => {
    assert.throws(() => new RiseMasks(8, 8, { masks: 0, seed: 0 }), (e: Error) => isUserError(e) && /--masks/.test(e.message));
  });
});

describe('RISE bilinear upsampling with shifts', () => {
  it('interpolates between cell centres at (k + ½)·C and clamps beyond the outer centres', () => {
    // 2×2 cells [1 0; 0 0] at C = 4: the crop's pixel (y, x) sits at cell coordinate (y + ½)/4 − ½.
    const out = upsampleCells([1, 0, 0, 0], 2, 8, 8, 4, 4, 0, 0);
    const g = (p: number) => Math.min(1, Math.max(0, (p + 0.5) / 4 - 0.5));
    for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) assert.ok(Math.abs(out[y * 8 + x] - (1 - g(y)) * (1 - g(x))) < 1e-6, `(${y}, ${x})`);
    assert.equal(out[0], 1); // before the first centre: clamped to the cell's value
    assert.equal(out[1 * 8 + 1], 1);
    assert.equal(out[7 * 8 + 7], 0);
    assert.equal(upsampleCells([1, 1, 1, 1], 2, 5, 6, 3, 3, 2, 1).every((v) => v === 1), true);
  });

  it('equals PyTorch\'s F.interpolate(bilinear, align_corners=False) cropped at the shift (tools/make_explain_fixtures.py)', () => {
    const cases: UpsampleCase[] = JSON.parse(readFileSync(fixture(resolve('test/fixtures/reference/explain.json')), 'utf8')).upsample;
    assert.ok(cases.length >= 4);
    for (const c of cases) {
      const out = upsampleCells(c.cells, c.side, c.height, c.width, c.cy, c.cx, c.dy, c.dx);
      let d = 0;
      for (let i = 0; i < out.length; i++) d = Math.max(d, Math.abs(out[i] - c.out[i]));
      assert.equal(out.length, c.out.length);
      assert.ok(d < 1e-6, `side ${c.side}, shift (${c.dy}, ${c.dx}): max |Δ| = ${d}`);
    }
  });

  it('a shift of one cell (C pixels) is the grid moved by one cell (away from the clamped edge)', () => {
    const cells = Float32Array.from({ length: 16 }, (_, i) => ((i * 7) % 5) / 4);
    const shifted = upsampleCells(cells, 4, 8, 8, 4, 4, 4, 4);
    const moved = upsampleCells(Float32Array.from({ length: 9 }, (_, i) => cells[(Math.floor(i / 3) + 1) * 4 + (i % 3) + 1]), 3, 8, 8, 4, 4, 0, 0);
    // the moved grid clamps before its first centre, (½ + ½)·C − ½ = 1.5 px: compare from pixel 2 on
    for (let y = 2; y < 8; y++) for (let x = 2; x < 8; x++) assert.ok(Math.abs(shifted[y * 8 + x] - moved[y * 8 + x]) < 1e-6, `(${y}, ${x})`);
    assert.notEqual(shifted[0], upsampleCells(cells, 4, 8, 8, 4, 4, 0, 0)[0]);
    // and a shift inside a cell moves the image by that many pixels
    const half = upsampleCells(cells, 4, 8, 8, 4, 4, 2, 3);
    const big = upsampleCells(cells, 4, 16, 16, 4, 4, 0, 0);
    for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) assert.ok(Math.abs(half[y * 8 + x] - big[(y + 2) * 16 + x + 3]) < 1e-6);
  });
});

describe('RISE saliency', () => {
  it('masks every channel of the input', () => {
    const input = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
    const out = new Float32Array(8);
    applyMask(input, 2, Float32Array.from([1, 0, 0.5, 0.25]), out);
    assert.deepEqual(Array.from(out), [1, 0, 1.5, 1, 5, 0, 3.5, 2]);
  });

  it('is Σ p_i · M_i / (N · p), the mask average weighted by p(class)', () => {
    const s = new RiseSaliency(3, 0.5);
    s.add(Float32Array.from([1, 0, 0.5]), 0.8);
    s.add(Float32Array.from([0, 1, 0.5]), 0.2);
    assert.equal(s.runs, 2);
    const expected = [0.8 / 1, 0.2 / 1, (0.4 + 0.1) / 1];
    s.map().forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-12));
  });
});

describe('the class explained', () => {
  it('defaults to the top-1 and rejects an index out of range with the valid range', () => {
    assert.equal(chooseClass([0.1, 3, -1], undefined), 1);
    assert.equal(chooseClass([0.1, 3, -1], 2), 2);
    assert.throws(() => chooseClass([0.1, 3, -1], 3), (e: Error) => isUserError(e) && /from 0 to 2/.test(e.message) && /3 classes/.test(e.message));
    assert.throws(() => chooseClass([0.1, 3, -1], -1), (e: Error) => isUserError(e));
  });

  it('is found by label ignoring case and separators, or by index; an unknown name lists the classes', () => {
    const labels = ['T-shirt/top', 'Trouser', 'Ankle boot'];
    assert.equal(classByName('ankle_boot', labels, 3), 2);
    assert.equal(classByName('tshirt top', labels, 3), 0);
    assert.equal(classByName('1', labels, 3), 1);
    assert.throws(() => classByName('sock', labels, 3), (e: Error) => isUserError(e) && /T-shirt\/top, Trouser, Ankle boot/.test(e.message));
    assert.throws(() => classByName('boot', null, 3), (e: Error) => isUserError(e) && /no labels/.test(e.message) && /0 to 2/.test(e.message));
    // An index out of range gets the valid range, with labels or without.
    assert.throws(() => classByName('3', labels, 3), (e: Error) => isUserError(e) && e.message === 'Class 3 is out of range: the model has 3 classes, indices 0 to 2.');
    assert.throws(() => classByName(' 17 ', null, 3), (e: Error) => isUserError(e) && /Class 17 is out of range: .* indices 0 to 2\./.test(e.message));
  });

  it('p(class) is the softmax, stable for large logits', () => {
    assert.ok(Math.abs(softmaxAt([1000, 1000], 0) - 0.5) < 1e-12);
    assert.ok(Math.abs(softmaxAt([0, Math.log(3)], 1) - 0.75) < 1e-12);
  });
});
