// The embedded Fashion-MNIST models, measured as a user's image would go: each of the 10,000 test
// images written as a PNG file, then decode → preprocess → ONNX Runtime in the inference process.
// Must reach 88% top-1 and agree with PyTorch's accuracy (stored in the model's metadata by
// tools/train_fashion.py) within 0.2 points.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { readIdx } from '../../src/core/image/idx';
import { readModel } from '../../src/core/onnx/reader';
import { useRuntime } from './useRuntime';
import { fixture } from '../skip';

const DATASET = '/usr/share/datasets/fashion-mnist';

describe('embedded models: Fashion-MNIST test accuracy through the TypeScript pipeline', function () {
  this.timeout(15 * 60_000);
  let dir: string;
  let files: string[] = [];
  let labels: Uint8Array;
  const client = useRuntime();

  before(async function () {
    assert.ok(existsSync(join(DATASET, 't10k-images-idx3-ubyte.gz')), `Fashion-MNIST is missing: apt-get install dataset-fashion-mnist (scripts/setup-test-env.mjs does)`);
    const images = readIdx(join(DATASET, 't10k-images-idx3-ubyte.gz'));
    labels = readIdx(join(DATASET, 't10k-labels-idx1-ubyte.gz')).data;
    dir = mkdtempSync(join(tmpdir(), 'fashion-'));
    const [n, h, w] = images.dims;
    files = Array.from({ length: n }, (_, i) => join(dir, `${String(i).padStart(5, '0')}.png`));
    for (let i = 0; i < n; i += 500)
      await Promise.all(files.slice(i, i + 500).map((f, k) => sharp(Buffer.from(images.data.subarray((i + k) * h * w, (i + k + 1) * h * w)), { raw: { width: w, height: h, channels: 1 } }).png().toFile(f)));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  // The reference files by their whole names, so that scripts/fixture-sweep.mjs finds the test that reads them.
  for (const [name, logitsFile] of [['fashion-vit', 'fashion-vit.logits.json'], ['fashion-swin', 'fashion-swin.logits.json']]) {
    it(`${name}: logits of the first 100 test images equal PyTorch's within 1e-4`, async () => {
      const ref = JSON.parse(readFileSync(fixture(resolve('test', 'fixtures', 'reference', logitsFile)), 'utf8')) as { indices: number[]; logits: number[][] };
      const r = await client.request('classify', { model: resolve('media', 'models', `${name}.onnx`), images: ref.indices.map((i) => files[i]), topK: 1, order: ['cpu'] });
      let worst = 0;
      r.results.forEach((x, k) => {
        assert.ok(x.ok);
        for (let c = 0; c < ref.logits[k].length; c++) worst = Math.max(worst, Math.abs(x.logits[c] - ref.logits[k][c]));
      });
      assert.ok(worst < 1e-4, `max |Δlogit| = ${worst}`);
    });

    it(`${name}: ≥ 88% top-1, within 0.2 points of PyTorch`, async () => {
      const model = resolve('media', 'models', `${name}.onnx`);
      assert.ok(existsSync(model), `${model} is missing: run tools/train_fashion.py`);
      const meta = Object.fromEntries(readModel(model).metadata.map((p) => [p.key, p.value]));
      const torchAcc = Number(meta.pytorch_test_accuracy);
      assert.ok(torchAcc > 0, 'the model records its PyTorch accuracy in metadata_props');
      let correct = 0;
      for (let i = 0; i < files.length; i += 1000) {
        const r = await client.request('classify', { model, images: files.slice(i, i + 1000), topK: 1, order: ['cpu'] });
        r.results.forEach((x, k) => {
          assert.ok(x.ok, x.ok ? '' : x.error);
          if (x.top[0].index === labels[i + k]) correct++;
        });
      }
      const acc = correct / files.length;
      console.log(`      ${name}: ${(acc * 100).toFixed(2)}% through the TypeScript pipeline, PyTorch ${(torchAcc * 100).toFixed(2)}%`);
      assert.ok(acc >= 0.88, `${(acc * 100).toFixed(2)}% < 88%`);
      assert.ok(Math.abs(acc - torchAcc) <= 0.002, `TypeScript ${(acc * 100).toFixed(2)}% vs PyTorch ${(torchAcc * 100).toFixed(2)}%`);
    });
  }
});
