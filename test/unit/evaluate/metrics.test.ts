import assert from 'node:assert/strict';
import { agreement, cellImages, disagreements, score, worstMistakes } from '../../../src/core/evaluate/metrics';

describe('evaluate: metrics', () => {
  const labels = ['a', 'b', 'c'];
  // truth → top-1: a→a, a→b, b→b, c→a, c→c, and one unreadable (not scored)
  const p = [
    { path: '1', truth: 0, top: [0, 1] },
    { path: '2', truth: 0, top: [1, 0] },
    { path: '3', truth: 1, top: [1, 2] },
    { path: '4', truth: 2, top: [0, 1] },
    { path: '5', truth: 2, top: [2, 0] },
    { path: '6', truth: 1, top: [] },
  ];
  it('accuracy, top-k, confusion (rows true, columns predicted) and per-class precision/recall/support', () => {
    const s = score(p, labels);
    assert.equal(s.scored, 5);
    assert.equal(s.accuracy, 3 / 5);
    assert.equal(s.top5, 4 / 5, 'image 4 has c nowhere in its top');
    assert.deepEqual(s.confusion, [[1, 1, 0], [0, 1, 0], [1, 0, 1]]);
    assert.deepEqual(s.perClass, [
      { label: 'a', precision: 1 / 2, recall: 1 / 2, support: 2 },
      { label: 'b', precision: 1 / 2, recall: 1, support: 1 },
      { label: 'c', precision: 1, recall: 1 / 2, support: 2 },
    ]);
  });
  it('agreement counts images both models scored; disagreements list them', () => {
    const q = p.map((x, i) => ({ ...x, top: i === 1 ? [0] : x.top }));
    assert.equal(agreement([p, q]), 4 / 5);
    assert.deepEqual(disagreements([p, q]), [{ path: '2', truth: 0, top1: [1, 0] }]);
  });
});

describe('evaluate: a confusion cell and the worst mistakes', () => {
  const p = [
    { path: '1', truth: 0, top: [1, 0], probs: [0.6, 0.3] },
    { path: '2', truth: 0, top: [1, 2], probs: [0.9, 0.05] },
    { path: '3', truth: 1, top: [1, 0], probs: [0.8, 0.1] },
    { path: '4', truth: 2, top: [0, 2], probs: [0.6, 0.35] },
    { path: '5', truth: 2, top: [] },
  ];
  it("a cell's images are those with that truth and that top-1, in folder order", () => {
    assert.deepEqual(cellImages(p, 0, 1).map((x) => x.path), ['1', '2']);
    assert.deepEqual(cellImages(p, 1, 1).map((x) => x.path), ['3']);
    assert.deepEqual(cellImages(p, 2, 2), []);
  });
  it('mistakes worst first: the surest wrong top-1, ties broken by the least left for the truth', () => {
    assert.deepEqual(worstMistakes(p).map((x) => x.path), ['2', '1', '4']);
  });
});
