/**
 * The state the Evaluate and Compare pages keep for a window reload comes back from a webview: a
 * saved view or document passes as it was saved (through JSON, as VS Code stores it), anything
 * else is refused (the panel is then closed, not shown broken).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { inspectModel } from '../../../src/core/arch/inspect';
import { compareDocument, latencyRows } from '../../../src/core/compare/document';
import { score, type Prediction } from '../../../src/core/evaluate/metrics';
import { parseCompareState, parseEvaluateState } from '../../../src/shared/panelState';
import type { EvaluateView } from '../../../src/shared/protocol';

const root = join(__dirname, '..', '..', '..', '..');
const model = (n: string) => join(root, 'media', 'models', `${n}.onnx`);
const json = <T>(x: T): T => JSON.parse(JSON.stringify(x));

function evaluateView(): EvaluateView {
  const labels = ['cat', 'dog', 'bird'];
  const predictions: Prediction[] = [
    { path: 'cat/a.png', truth: 0, top: [0, 1, 2], probs: [0.8, 0.15, 0.05] },
    { path: 'dog/b.png', truth: 1, top: [0, 1, 2], probs: [0.6, 0.3, 0.1] },
    { path: 'bird/c.png', truth: 2, top: [] },
  ];
  const s = score(predictions, labels);
  return {
    folder: '/data/pets',
    imageBase: 'https://file+.vscode-resource.vscode-cdn.net/data/pets',
    images: 3,
    models: [{ name: 'm.onnx', path: '/models/m.onnx', labels, accuracy: s.accuracy, top5: s.top5, perClass: s.perClass, confusion: s.confusion, imagesPerSecond: 12.5, predictions }],
    unmatched: ['fish'],
    empty: [],
    unreadable: [{ path: 'bird/c.png', reason: 'truncated' }],
    note: null,
    agreement: null,
    ep: 'cpu',
    written: ['/data/pets.evaluate.csv', '/data/pets.evaluate.json'],
  };
}

describe('panel state: what Evaluate and Compare keep for a window reload', () => {
  it('a saved evaluate view passes as saved (with or without a labels CSV as its source)', () => {
    const v = evaluateView();
    assert.deepEqual(parseEvaluateState(json({ view: v })), v);
    const csv = { ...v, source: '/data/pets/labels.csv' };
    assert.deepEqual(parseEvaluateState(json({ view: csv })), csv);
  });

  it('an evaluate view that is not one is refused: no models, a confusion matrix not n×n, a class out of range, a path not a string', () => {
    const bad: ((v: EvaluateView) => unknown)[] = [
      (v) => ({ ...v, models: [] }),
      (v) => ({ ...v, models: [{ ...v.models[0], confusion: v.models[0].confusion.slice(1) }] }),
      (v) => ({ ...v, models: [{ ...v.models[0], predictions: [{ path: 'x.png', truth: 3, top: [0] }] }] }),
      (v) => ({ ...v, models: [{ ...v.models[0], predictions: [{ path: 'x.png', truth: 0, top: [7] }] }] }),
      (v) => ({ ...v, models: [{ ...v.models[0], path: 42 }] }),
      (v) => ({ ...v, folder: undefined }),
      (v) => ({ ...v, source: ['a'] }),
      (v) => ({ ...v, agreement: 'all' }),
    ];
    for (const [i, f] of bad.entries()) assert.equal(parseEvaluateState(json({ view: f(evaluateView()) })), undefined, `case ${i}`);
    for (const raw of [undefined, null, 'view', {}, { view: [] }]) assert.equal(parseEvaluateState(raw), undefined);
  });

  it('a saved compare document (the embedded ViT and Swin, latency, a folder) passes; fewer than two models or a model without a path does not', () => {
    const doc = compareDocument([{ name: 'vit', arch: inspectModel(model('fashion-vit')) }, { name: 'swin', arch: inspectModel(model('fashion-swin')) }]);
    doc.latency = latencyRows([{ model: 'vit', ep: 'cpu', ms: [1, 2, 3] }, { model: 'swin', ep: 'cpu', ms: [2, 3, 4] }]);
    doc.evaluation = { folder: '/data/pets', images: 40, accuracy: [{ model: 'vit', accuracy: 0.9, top5: 1 }, { model: 'swin', accuracy: 0.9, top5: 1 }], agreement: 0.95, disagreements: [] };
    assert.deepEqual(parseCompareState(json({ doc })), json(doc));
    assert.equal(parseCompareState(json({ doc: { ...doc, models: doc.models.slice(1) } })), undefined);
    assert.equal(parseCompareState(json({ doc: { ...doc, models: [{ ...doc.models[0], path: null }, doc.models[1]] } })), undefined);
    assert.equal(parseCompareState(json({ doc: { ...doc, evaluation: { ...doc.evaluation, folder: 1 } } })), undefined);
    assert.equal(parseCompareState(undefined), undefined);
  });
});
