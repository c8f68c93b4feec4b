/**
 * Compare Models' latency request: the same images for every model, every run timed, the models
 * alternated; and the probabilities evaluate keeps for the worst mistakes are the classify panel's.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { useRuntime } from './useRuntime';
import { evaluateFolder } from '../../src/runtime/evaluate';
import { latencyRows } from '../../src/core/compare/document';

const MODELS = ['fashion-vit', 'fashion-swin'].map((m) => resolve('media/models', `${m}.onnx`));
const SAMPLES = resolve('samples');

describe('compare: latency per image in the inference process', function () {
  this.timeout(300_000);
  const client = useRuntime();

  it('times every image of every model in each round, on the provider asked for', async () => {
    const images = readdirSync(SAMPLES).filter((f) => f.endsWith('.png')).sort().slice(0, 4).map((f) => join(SAMPLES, f));
    const r = await client.request('latency', { models: MODELS, images, order: ['cpu'], rounds: 2 });
    assert.equal(r.images, 4);
    assert.deepEqual(r.models.map((m) => [m.model, m.ep, m.ms.length]), [[MODELS[0], 'cpu', 8], [MODELS[1], 'cpu', 8]]);
    for (const m of r.models) assert.ok(m.ms.every((x) => x > 0 && Number.isFinite(x)));
    const rows = latencyRows(r.models.map((m) => ({ model: m.model, ep: m.ep, ms: m.ms })));
    assert.equal(rows[0].ratio, 1);
  });

  it('an unreadable image only is a user error, not a crash', async () => {
    await assert.rejects(client.request('latency', { models: MODELS, images: [resolve('package.json')], order: ['cpu'] }), (e: Error & { userError?: boolean }) => /could be read/.test(e.message));
  });

  it("evaluate keeps each image's top-5 probabilities, most probable first, as classify gives them", async () => {
    const dir = resolve('samples/labelled');
    const { runs } = await evaluateFolder(client, MODELS.slice(0, 1), dir, undefined, ['cpu']);
    const p = runs[0].predictions[0];
    const c = await client.request('classify', { model: MODELS[0], images: [p.path], topK: 5, order: ['cpu'] });
    assert.ok(c.results[0].ok);
    if (c.results[0].ok) assert.deepEqual(p.probs, c.results[0].top.map((t) => t.prob));
    for (const q of runs[0].predictions) assert.ok(q.probs!.every((x, k) => k === 0 || x <= q.probs![k - 1]));
  });
});
