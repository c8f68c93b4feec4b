import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { RuntimeClient } from '../../src/runtime/client';

const fixtures = resolve('test/fixtures');
const script = resolve('dist/runtime.js');

interface Reference {
  images: { image: string; input: number[] | number[][][][]; logits: number[] | number[][] }[];
}

const flat = (v: unknown): number[] => (Array.isArray(v) ? (v as unknown[]).flatMap(flat) : [v as number]);
const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

describe('classify through the inference process (decode → preprocess → ONNX Runtime)', function () {
  this.timeout(60_000);
  let client: RuntimeClient;
  before(() => assert.ok(existsSync(script), 'build first'));
  beforeEach(() => (client = new RuntimeClient(script)));
  afterEach(() => client.dispose());

  for (const name of ['tiny_vit', 'tiny_swin']) {
    it(`${name}: logits equal PyTorch's for the fixture images within 1e-4`, async () => {
      const ref: Reference = JSON.parse(readFileSync(resolve(fixtures, 'reference', `${name}.json`), 'utf8'));
      const images = ref.images.map((i) => resolve(fixtures, 'images', i.image.split('/').pop()!));
      const r = await client.request('classify', { model: resolve(fixtures, 'models', `${name}.onnx`), images, topK: 3, order: ['cpu'] });
      assert.equal(r.ep, 'cpu');
      assert.equal(r.preprocessing.source, `${name}.json`);
      ref.images.forEach((img, i) => {
        const res = r.results[i];
        assert.ok(res.ok, res.ok ? '' : res.error);
        const d = maxAbs(res.logits, flat(img.logits));
        assert.ok(d < 1e-4, `${img.image}: max |Δlogit| = ${d}`);
        assert.equal(res.top[0].label, readFileSync(resolve(fixtures, 'models', 'labels.txt'), 'utf8').split('\n')[res.top[0].index].trim());
      });
    });
  }

  it('reports a corrupt model as a user error and keeps serving', async () => {
    await assert.rejects(client.request('classify', { model: resolve(fixtures, 'images', 'checker.png'), images: [], topK: 1, order: ['cpu'] }), { name: 'UserError', message: /cannot load checker\.png/ });
    const r = await client.request('classify', { model: resolve(fixtures, 'models', 'tiny_vit.onnx'), images: [resolve(fixtures, 'images', 'checker.png')], topK: 1, order: ['cpu'] });
    assert.ok(r.results[0].ok);
  });

  it('lists an unreadable image among the results instead of failing the batch', async () => {
    const r = await client.request('classify', { model: resolve(fixtures, 'models', 'tiny_vit.onnx'), images: [resolve(fixtures, 'images', 'checker.png'), resolve(fixtures, 'models', 'labels.txt')], topK: 1, order: ['cpu'] });
    assert.ok(r.results[0].ok);
    assert.equal(r.results[1].ok, false);
  });

  it('falls back past a provider that cannot start and says why', async function () {
    const ort = require('onnxruntime-node');
    const cuda = ort.listSupportedBackends().find((b: { name: string }) => b.name === 'cuda');
    if (!cuda) this.skip();
    const r = await client.request('classify', { model: resolve(fixtures, 'models', 'tiny_vit.onnx'), images: [resolve(fixtures, 'images', 'checker.png')], topK: 1, order: ['cuda', 'cpu'] });
    // No GPU here: CUDA fails to start, is recorded, and CPU runs it. (On a CUDA machine, cuda runs it.)
    if (r.ep === 'cpu') assert.match(r.failures[0].ep, /cuda/);
    else assert.equal(r.ep, 'cuda');
  });
});
