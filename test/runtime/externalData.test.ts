// A model whose external data file is absent (issue 9): one message naming the file and saying
// the structure is still viewable, given before ONNX Runtime is asked, whatever the provider order.
import assert from 'node:assert/strict';

import { resolve } from 'node:path';
import { useRuntime } from './useRuntime';

const models = resolve('test/fixtures/models');
const image = resolve('test/fixtures/images/disc.png');

describe('missing external data', function () {
  this.timeout(60_000);
  const client = useRuntime({ each: true });

  const expected = (file: string) => new RegExp(`^${file.replace('.', '\\.')}'s weights are missing \\(external data ${file.replace('.', '\\.')}\\.data not found beside it\\): it shows its structure \\(architecture view, vit-inspect arch\\), but cannot be run\\.`);

  for (const [method, model] of [
    ['classify', 'vit_b_16.onnx'],
    ['placement', 'swin_t.onnx'],
    ['attention', 'swin_t.onnx'],
  ] as const)
    it(`${method} ${model}: names the missing file; no provider is blamed`, async () => {
      const order = ['cuda', 'webgpu', 'cpu'];
      const file = resolve(models, model);
      const req =
        method === 'classify'
          ? client.request('classify', { model: file, images: [image], topK: 1, order })
          : method === 'placement'
            ? client.request('placement', { model: file, order })
            : client.request('attention', { model: file, image, order });
      await assert.rejects(req, (e: Error) => {
        assert.equal(e.name, 'UserError');
        assert.match(e.message, expected(model));
        assert.doesNotMatch(e.message, /tried|cuda|webgpu|\/work\/|ONNX Runtime/);
        return true;
      });
    });

  it('a file that is not a model fails on the model, not on the providers: no "tried cuda, webgpu, cpu"', async () => {
    const model = resolve('test/fixtures/images/checker.png');
    await assert.rejects(client.request('classify', { model, images: [image], topK: 1, order: ['cuda', 'webgpu', 'cpu'] }), (e: Error) => {
      assert.equal(e.name, 'UserError');
      assert.match(e.message, /cannot load checker\.png/);
      assert.doesNotMatch(e.message, /tried/);
      return true;
    });
  });
});
