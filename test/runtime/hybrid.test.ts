import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { attentionDocument, layerMap } from '../../src/core/attention/document';
import { embeddingsOfFile } from '../../src/core/report/embeddings';
import { useRuntime } from './useRuntime';

const models = resolve('test/fixtures/models');
const images = resolve('test/fixtures/images');
interface Ref {
  images: { image: string; logits: number[]; attention: { shape: number[]; data: number[] }[] }[];
}
const ref = (name: string): Ref => JSON.parse(readFileSync(resolve(`test/fixtures/reference/${name}.json`), 'utf8')) as Ref;
const want = JSON.parse(readFileSync(resolve('test/fixtures/reference/vit_embeddings.json'), 'utf8')).distance as Record<string, { layers: number[][] }[]>;

describe('hybrid ViT and registers through ONNX Runtime (cpu)', function () {
  this.timeout(120_000);
  const client = useRuntime();

  it('the embeddings document comes from the inference process as the core computes it (the host never reads weights)', async () => {
    const file = resolve('media/models/fashion-vit.onnx');
    assert.deepEqual(await client.request('embeddings', { model: file }), embeddingsOfFile(file));
  });

  for (const name of ['tiny_hybrid', 'tiny_hybrid_resnet', 'tiny_registers']) {
    it(`${name}: logits and class-token attention equal PyTorch's, maps on the patch grid (registers left out), distances as PyTorch`, async () => {
      const R = ref(name);
      for (const [k, img] of R.images.entries()) {
        const r = await client.request('attention', { model: join(models, `${name}.onnx`), image: join(images, img.image.split('/').pop()!), order: ['cpu'] });
        let d = 0;
        img.logits.forEach((v, i) => (d = Math.max(d, Math.abs(v - r.logits[i]))));
        assert.ok(d < 1e-4, `${img.image}: logits max |Δ| ${d}`);
        r.layers.forEach((l, i) => {
          // Every map lands on the 4×4 grid of 8-pixel cells (the effective stride for the hybrid).
          assert.deepEqual([l.grid, l.cell, l.extraTokens], [[4, 4], 8, name.startsWith('tiny_hybrid') ? 1 : 5]);
          const a = img.attention[i];
          const N = a.shape[3];
          const map = layerMap(l);
          for (let p = 0; p < 16; p++) {
            const e = a.data[(0 * N + 0) * N + l.extraTokens + p] + a.data[(1 * N + 0) * N + l.extraTokens + p];
            assert.ok(Math.abs(map[p] - e / 2) < 1e-5, `${img.image} layer ${i} patch ${p}`);
          }
        });
        const doc = attentionDocument(r);
        doc.distance.forEach((l, i) => l.heads.forEach((v, h) => assert.ok(Math.abs(v - want[name][k].layers[i][h]) / want[name][k].layers[i][h] < 1e-4, `${l.name} head ${h}`)));
      }
    });
  }
});
