/**
 * The step-through's recomputations against PyTorch (test/fixtures/reference/trace_unit.json, made by
 * tools/make_trace_unit_refs.py): each is what the view prints a max |Δ| for, so each must agree with
 * PyTorch to float32 rounding, and a wrong one (a missing scale, the unbiased variance, tanh GELU,
 * a transposed weight, the window before the roll) must fail here.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { attentionScores, maxAbsDiff, softmax, weightedSum } from '../../../src/core/trace/attention';
import { gelu, layerNorm, linear, patchEmbedding, patchPixels } from '../../../src/core/trace/linear';
import { biasRow, maskRow, tokenWindow } from '../../../src/core/trace/window';
import { checkSelection } from '../../../src/core/trace/selection';
import { isUserError } from '../../../src/core/errors';
import { fixture } from '../../skip';

interface SwinCase { shift: number; token: number; head: number; window: number; position: number; keys: number[]; index: number[]; bias: number[]; mask: number[] }
interface Ref {
  attention: { q: number[]; k: number[][]; v: number[][]; scale: number; scores: number[]; weights: number[]; context: number[] };
  layerNorm: { x: number[]; gamma: number[]; beta: number[]; eps: number; y: number[] };
  gelu: { x: number[]; y: number[] };
  patchEmbedding: { H: number; W: number; p: number; input: number[]; weight: number[]; bias: number[]; patches: { row: number; col: number; y: number[] }[] };
  swin: { H: number; W: number; M: number; heads: number; table: number[]; cases: SwinCase[] };
}

const ref = JSON.parse(readFileSync(fixture(resolve('test/fixtures/reference/trace_unit.json')), 'utf8')) as Ref;

describe('trace: the recomputations against PyTorch', () => {
  it('scaled dot-product attention for one query: scores, softmax weights (summing to 1), context', () => {
    const a = ref.attention;
    const scores = attentionScores(a.q, a.k, a.scale);
    assert.ok(maxAbsDiff(scores, a.scores) < 1e-5, `scores ${maxAbsDiff(scores, a.scores)}`);
    const w = softmax(a.scores);
    assert.ok(maxAbsDiff(w, a.weights) < 1e-6, `weights ${maxAbsDiff(w, a.weights)}`);
    assert.ok(Math.abs(w.reduce((s, x) => s + x, 0) - 1) < 1e-12);
    const ctx = weightedSum(a.weights, a.v);
    assert.ok(maxAbsDiff(ctx, a.context) < 1e-5, `context ${maxAbsDiff(ctx, a.context)}`);
    // without the 1/√d_k scale the scores are off by far more than rounding
    assert.ok(maxAbsDiff(attentionScores(a.q, a.k, 1), a.scores) > 0.1);
  });

  it('additive rows (B, mask) are added to every score', () => {
    const a = ref.attention;
    const B = a.k.map((_, j) => j * 0.5);
    const mask = a.k.map((_, j) => (j % 2 ? -100 : 0));
    const s = attentionScores(a.q, a.k, a.scale, B, mask);
    assert.ok(maxAbsDiff(s, a.scores.map((x, j) => x + B[j] + mask[j])) < 1e-5);
  });

  it('maxAbsDiff: NaN and a length mismatch never pass as agreement', () => {
    assert.ok(Number.isNaN(maxAbsDiff([1, NaN], [1, 2])));
    assert.equal(maxAbsDiff([1, 2], [1]), Infinity);
    assert.equal(maxAbsDiff([1, 2.5], [1, 2]), 0.5);
  });

  it('LayerNorm with γ, β and ε as PyTorch (biased variance)', () => {
    const l = ref.layerNorm;
    const y = layerNorm(l.x, l.gamma, l.beta, l.eps);
    assert.ok(maxAbsDiff(y, l.y) < 1e-5, `${maxAbsDiff(y, l.y)}`);
    // the unbiased variance would be visibly wrong at 12 values
    const n = l.x.length;
    const mean = l.x.reduce((s, x) => s + x, 0) / n;
    const unbiased = Math.sqrt(l.x.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1) + l.eps);
    const wrong = l.x.map((x, i) => ((x - mean) / unbiased) * l.gamma[i] + l.beta[i]);
    assert.ok(maxAbsDiff(wrong, l.y) > 1e-2);
  });

  it('GELU in its exact erf form over −6..6 (the tanh approximation differs by more)', () => {
    const g = ref.gelu;
    const y = g.x.map(gelu);
    assert.ok(maxAbsDiff(y, g.y) < 1e-12, `${maxAbsDiff(y, g.y)}`);
    const tanh = g.x.map((x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3))));
    assert.ok(maxAbsDiff(tanh, g.y) > 1e-5);
  });

  it('patch embedding: the p×p×3 patch flattened, · E + b, equals the Conv at every patch', () => {
    const p = ref.patchEmbedding;
    for (const c of p.patches) {
      const patch = patchPixels(p.input, p.H, p.W, p.p, c.row, c.col);
      assert.equal(patch.length, 3 * p.p * p.p);
      const y = patchEmbedding(patch, p.weight, p.bias);
      assert.ok(maxAbsDiff(y, c.y) < 1e-4, `patch (${c.row}, ${c.col}): ${maxAbsDiff(y, c.y)}`);
    }
    // the neighbouring patch is not the same numbers
    const other = patchEmbedding(patchPixels(p.input, p.H, p.W, p.p, 0, 1), p.weight, p.bias);
    assert.ok(maxAbsDiff(other, p.patches[0].y) > 1e-2);
  });

  it('linear: the two weight layouts give the same product', () => {
    const W = [1, 2, 3, 4, 5, 6]; // [out 2, in 3]
    const Wt = [1, 4, 2, 5, 3, 6]; // [in 3, out 2]
    assert.deepEqual(linear([1, 0, -1], W, [10, 20], 'outIn'), [8, 18]);
    assert.deepEqual(linear([1, 0, -1], Wt, [10, 20], 'inOut'), [8, 18]);
    assert.throws(() => linear([1, 2, 3, 4], W, undefined, 'outIn'));
  });

  it('Swin: the token\'s window and position after torch.roll + the official window_partition, and its keys', () => {
    const s = ref.swin;
    assert.ok(s.cases.some((c) => c.shift > 0) && s.cases.some((c) => c.shift === 0));
    for (const c of s.cases) {
      const w = tokenWindow(s.H, s.W, s.M, c.shift, c.token);
      assert.equal(w.window, c.window, `shift ${c.shift} token ${c.token}: window`);
      assert.equal(w.position, c.position, `shift ${c.shift} token ${c.token}: position`);
      assert.deepEqual(w.keys, c.keys, `shift ${c.shift} token ${c.token}: keys`);
    }
  });

  it('Swin (timm): roll the H×W map, then pad — every token\'s window, position and keys equal torch\'s slots (timm_B_padded)', () => {
    const slots = (JSON.parse(readFileSync(fixture(resolve('test/fixtures/checkpoints/swin/timm_B_padded/reference.json')), 'utf8')) as { slots: number[][] }).slots;
    // blocks 1 and 3: 14×14 and 7×7 maps, 4×4 windows (padded to 16 and 8), shift 2
    for (const [block, H] of [[1, 14], [3, 7]]) {
      for (let T = 0; T < H * H; T++) {
        const w = tokenWindow(H, H, 4, 2, T, true);
        assert.equal(slots[block][w.window * 16 + w.position], T, `block ${block} token ${T}`);
        assert.deepEqual(w.keys, slots[block].slice(w.window * 16, (w.window + 1) * 16));
      }
    }
    // pad then roll puts token 0 elsewhere: (14, 14) of the padded map, not (12, 12)
    assert.deepEqual([tokenWindow(14, 14, 4, 2, 0).window, tokenWindow(14, 14, 4, 2, 0).position], [15, 10]);
    assert.deepEqual([tokenWindow(14, 14, 4, 2, 0, true).window, tokenWindow(14, 14, 4, 2, 0, true).position], [15, 0]);
  });

  it('Swin: B\'s row gathered from the table through the relative position index, and the mask row (−100 across sub-windows)', () => {
    const s = ref.swin;
    for (const c of s.cases) {
      const b = biasRow(s.table, s.heads, c.head, s.M, c.position);
      assert.deepEqual(b.index, c.index, `shift ${c.shift} token ${c.token}: index`);
      assert.ok(maxAbsDiff(b.row, c.bias) < 1e-7, `shift ${c.shift} token ${c.token} head ${c.head}: bias`);
      assert.deepEqual(maskRow(s.H, s.W, s.M, c.shift, c.window, c.position), c.mask, `shift ${c.shift} token ${c.token}: mask`);
    }
    // the shifted cases include a token whose window mixes sub-windows
    assert.ok(s.cases.some((c) => c.mask.includes(-100)));
    assert.throws(() => biasRow(s.table.slice(1), s.heads, 0, s.M, 0), (e: unknown) => isUserError(e));
  });

  it('Swin on a padded map: pad-then-roll (official, Hugging Face) and roll-then-pad (timm) put a token in different windows', () => {
    // 9×9 map, M = 7 (padded to 14×14), shift 3. Token (0, 0):
    // official: padded then rolled, it lands at ((0 − 3) mod 14, (0 − 3) mod 14) = (11, 11): window (1, 1) = 3, position 4·7 + 4 = 32;
    // timm: rolled on the 9×9 map, it lands at ((0 − 3) mod 9, (0 − 3) mod 9) = (6, 6), then padded: window 0, position 6·7 + 6 = 48.
    const official = tokenWindow(9, 9, 7, 3, 0);
    assert.deepEqual([official.window, official.position], [3, 32]);
    const timm = tokenWindow(9, 9, 7, 3, 0, true);
    assert.deepEqual([timm.window, timm.position], [0, 48]);
    // timm's window 0 holds rolled rows/cols 0..6, i.e. image rows/cols 3..8 then 0: slot 0 is token (3, 3), slot 6 is (3, 0)
    assert.equal(timm.keys[0], 3 * 9 + 3);
    assert.equal(timm.keys[6], 3 * 9 + 0);
    // a map that is a multiple of M: the two orders agree
    for (const t of [0, 13, 27, 48]) assert.deepEqual(tokenWindow(7, 7, 7, 3, t, true), tokenWindow(7, 7, 7, 3, t));
  });

  it('a token outside the grid, and a layer/head/token out of range, name the valid ranges', () => {
    assert.throws(() => tokenWindow(8, 8, 4, 0, 64), /pick 0\.\.63/);
    const r = { layers: 2, heads: [2, 4], tokens: [64, 16] };
    assert.throws(() => checkSelection(r, 2, 0, 0), /blocks 0\.\.1/);
    assert.throws(() => checkSelection(r, 1, 4, 0), /pick 0\.\.3/);
    assert.throws(() => checkSelection(r, 1, 0, 16), /pick 0\.\.15/);
    assert.throws(() => checkSelection(r, 0, -1, 0), (e: unknown) => isUserError(e));
    checkSelection(r, 1, 3, 15);
  });
});
