/** Softmax and top-k (src/core/classify/topk.ts): what the classify panel and `vit-inspect classify` list. */
import assert from 'node:assert/strict';
import { softmax, topK } from '../../../src/core/classify/topk';

const label = (i: number) => `class ${i}`;

describe('top-k', () => {
  it('softmax: probabilities sum to 1 and follow exp ratios', () => {
    const p = softmax([0, Math.log(2), Math.log(5)]);
    assert.ok(Math.abs(p[0] + p[1] + p[2] - 1) < 1e-12);
    assert.ok(Math.abs(p[0] - 1 / 8) < 1e-12 && Math.abs(p[1] - 2 / 8) < 1e-12 && Math.abs(p[2] - 5 / 8) < 1e-12);
  });

  it('softmax is stable for large logits (no Infinity/NaN)', () => {
    assert.deepEqual(Array.from(softmax([1000, 1000])), [0.5, 0.5]);
    const p = softmax([-1e4, 1e4]);
    assert.deepEqual(Array.from(p), [0, 1]);
  });

  it('orders by probability; ties keep the lower class index first', () => {
    const t = topK([1, 3, 3, 0, 3], 4, label);
    assert.deepEqual(t.map((e) => e.index), [1, 2, 4, 0]);
    assert.equal(t[0].prob, t[1].prob);
    assert.equal(t[1].prob, t[2].prob);
    assert.deepEqual(t.map((e) => e.label), ['class 1', 'class 2', 'class 4', 'class 0']);
  });

  it('k larger than the classes gives every class once, probabilities summing to 1', () => {
    const t = topK([0.5, -1, 2], 10, label);
    assert.deepEqual(t.map((e) => e.index), [2, 0, 1]);
    assert.ok(Math.abs(t.reduce((s, e) => s + e.prob, 0) - 1) < 1e-12);
  });

  it('k below 1 still gives the top class', () => {
    assert.deepEqual(topK([0, 9, 1], 0, label).map((e) => e.index), [1]);
  });

  it('the probabilities are the softmax of the logits, not the logits', () => {
    const [a, b] = topK([Math.log(3), 0], 2, label);
    assert.ok(Math.abs(a.prob - 0.75) < 1e-12 && Math.abs(b.prob - 0.25) < 1e-12);
  });
});
