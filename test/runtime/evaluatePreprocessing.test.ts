/**
 * Evaluate scores the input Classify shows: the preprocessing overrides (vitInspector.preprocessing.*)
 * reach every classify run of the folder, so each image's top-1 probability is Classify's under the same overrides.
 */
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { useRuntime } from './useRuntime';
import { evaluateFolder } from '../../src/runtime/evaluate';

const DIR = resolve('samples/labelled');
const MODEL = resolve('media/models', 'fashion-vit.onnx');

describe('evaluate: the preprocessing overrides reach the folder\'s runs', function () {
  this.timeout(300_000);
  const client = useRuntime();

  it('mean 0, std 1: each prediction\'s p(top-1) is Classify\'s with the same overrides, and differs from the default\'s', async () => {
    const overrides = { mean: [0, 0, 0] as [number, number, number], std: [1, 1, 1] as [number, number, number] };
    const folder = join(DIR, 'bag');
    const withOv = await evaluateFolder(client, [MODEL], DIR, undefined, ['cpu'], { overrides });
    const plain = await evaluateFolder(client, [MODEL], DIR, undefined, ['cpu']);
    const bags = withOv.runs[0].predictions.filter((p) => p.path.startsWith(folder + '/'));
    assert.equal(bags.length, 4);
    let differs = false;
    for (const p of bags) {
      const r = await client.request('classify', { model: MODEL, images: [p.path], topK: 5, order: ['cpu'], overrides });
      const x = r.results[0];
      assert.ok(x.ok);
      assert.equal(p.top[0], x.top[0].index);
      assert.ok(Math.abs(p.probs![0] - x.top[0].prob) < 1e-5, `${p.path}: evaluate ${p.probs![0]} vs classify ${x.top[0].prob}`);
      const q = plain.runs[0].predictions.find((o) => o.path === p.path)!;
      if (Math.abs(q.probs![0] - p.probs![0]) > 1e-4 || q.top[0] !== p.top[0]) differs = true;
    }
    assert.ok(differs, 'the overrides change some prediction (the check could not fail otherwise)');
  });
});
