// Classify in batches (symbolic batch dimension), in the model's input dtype, with per-image
// preprocessing and timings — through the inference process.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { decodeImage, toTensor } from '../../src/core/image/decode';
import { GraphBuilder } from '../../src/core/onnx/builder';
import { DataType } from '../../src/core/onnx/proto';
import { writeModel } from '../../src/core/onnx/writer';
import { useRuntime } from './useRuntime';
import type { ClassifyResult } from '../../src/runtime/rpc';

const fixtures = resolve('test/fixtures');
const photos = ['landscape.jpg', 'portrait.jpg', 'wide.jpg', 'large.jpg', 'odd.jpg', 'square.png', 'small.png'].map((f) => join(fixtures, 'preprocess', f));
const images = [...['checker.png', 'disc.png', 'gradient.png'].map((f) => join(fixtures, 'images', f)), ...photos];

const ok = (r: ClassifyResult) =>
  r.results.map((x) => {
    assert.ok(x.ok, x.ok ? '' : x.error);
    return x;
  });

describe('classify: dynamic batch, input dtype, per-image steps and timings', function () {
  this.timeout(120_000);
  const client = useRuntime({ each: true });

  it('dynamic_vit: batches of 4 give the same logits and classes as one at a time', async () => {
    const model = join(fixtures, 'models', 'dynamic_vit.onnx');
    const one = await client.request('classify', { model, images, topK: 3, order: ['cpu'], batch: 1 });
    const four = await client.request('classify', { model, images, topK: 3, order: ['cpu'], batch: 4 });
    assert.deepEqual([one.batch.size, four.batch.size], [1, 4]);
    // One image first (the first run starts as soon as it is ready), then 9 in three runs of 3.
    assert.deepEqual(ok(four).map((x) => x.timings.batch), [1, 3, 3, 3, 3, 3, 3, 3, 3, 3]);
    assert.deepEqual(ok(one).map((x) => x.timings.batch), new Array(images.length).fill(1));
    let worst = 0;
    ok(one).forEach((a, i) => {
      const b = ok(four)[i];
      assert.equal(b.image, a.image);
      assert.deepEqual(b.top.map((t) => t.index), a.top.map((t) => t.index));
      for (let k = 0; k < a.logits.length; k++) worst = Math.max(worst, Math.abs(a.logits[k] - b.logits[k]));
    });
    assert.ok(worst <= 1e-5, `max |Δlogit| batched vs one at a time = ${worst}`);
    const auto = await client.request('classify', { model, images, topK: 1, order: ['cpu'] });
    assert.ok(auto.batch.size > 1 && auto.batch.size <= 8, auto.batch.reason);
  });

  it('a fixed-batch model runs one image per run whatever --batch says', async () => {
    const r = await client.request('classify', { model: join(fixtures, 'models', 'tiny_vit.onnx'), images: images.slice(0, 3), topK: 1, order: ['cpu'], batch: 8 });
    assert.equal(r.batch.size, 1);
    assert.match(r.batch.reason, /fixed at 1/);
  });

  it('an unreadable image in a batch is reported and the others still run, in order', async () => {
    const model = join(fixtures, 'models', 'dynamic_vit.onnx');
    const list = [images[0], join(fixtures, 'models', 'labels.txt'), images[1], images[2]];
    const r = await client.request('classify', { model, images: list, topK: 1, order: ['cpu'], batch: 4 });
    assert.deepEqual(r.results.map((x) => [x.image, x.ok]), list.map((f, i) => [f, i !== 1]));
  });

  it('reports each image: original size, resize, crop box, decode/preprocess/run times', async () => {
    const d = mkdtempSync(join(tmpdir(), 'vit-steps-'));
    copyFileSync(join(fixtures, 'models', 'dynamic_vit.onnx'), join(d, 'm.onnx'));
    writeFileSync(join(d, 'preprocessor_config.json'), JSON.stringify({ size: { shortest_edge: 36 }, do_center_crop: true, crop_size: { height: 32, width: 32 }, resample: 3 }));
    const r = await client.request('classify', { model: join(d, 'm.onnx'), images: [photos[0], photos[1]], topK: 1, order: ['cpu'] });
    const [a, b] = ok(r);
    assert.deepEqual([a.original.width, a.original.height, a.original.format], [640, 480, 'jpeg']);
    // 640×480, shortest edge 36 → 48×36 (truncated), crop 32×32 at floor((48−32)/2) = 8, floor((36−32)/2) = 2.
    assert.deepEqual(a.steps, { resized: [48, 36], crop: { left: 8, top: 2, width: 32, height: 32 } });
    assert.deepEqual(b.steps, { resized: [36, 48], crop: { left: 2, top: 8, width: 32, height: 32 } });
    assert.equal(r.preprocessing.rules, 'huggingface');
    for (const x of [a, b]) for (const t of [x.timings.decode, x.timings.preprocess, x.timings.run]) assert.ok(t > 0 && t < 60_000, JSON.stringify(x.timings));
    assert.ok(r.loadMs > 0);
    assert.equal(r.prepared, 'worker thread');
  });

  it('vit-inspect classify --json carries the preprocessing, each image\'s steps and timings, batch and model load', () => {
    const out = execFileSync(process.execPath, [resolve('dist/cli.js'), 'classify', photos[0], photos[4], '--model', join(fixtures, 'models', 'dynamic_vit.onnx'), '--ep', 'cpu', '--batch', '2', '--json'], { encoding: 'utf8' });
    const j = JSON.parse(out);
    assert.deepEqual([j.batch.size, j.inputType, j.prepared, typeof j.loadMs], [2, 'float32', 'worker thread', 'number']);
    assert.match(j.preprocessing.summary, /shorter side/);
    assert.deepEqual(j.results[0].preprocessing.original, { width: 640, height: 480, format: 'jpeg' });
    assert.deepEqual(Object.keys(j.results[1].timings), ['decode', 'preprocess', 'run', 'batch']);
    assert.deepEqual([j.results[0].timings.batch, j.results[1].timings.batch], [1, 1]); // the first run has one image, then the other
  });

  it('a keep-aspect resize without crop on a fixed-size model: that image gets a clear error, a square one runs', async () => {
    const d = mkdtempSync(join(tmpdir(), 'vit-nocrop-'));
    copyFileSync(join(fixtures, 'models', 'tiny_vit.onnx'), join(d, 'm.onnx'));
    writeFileSync(join(d, 'preprocessor_config.json'), JSON.stringify({ size: { shortest_edge: 32 }, do_center_crop: false }));
    const r = await client.request('classify', { model: join(d, 'm.onnx'), images: [photos[0], images[0]], topK: 1, order: ['cpu'] });
    assert.deepEqual(r.results.map((x) => x.ok), [false, true]);
    assert.match(r.results[0].ok ? '' : r.results[0].error, /gives this image a 42×32 input but m\.onnx takes 32×32/);
  });

  it('feeds an fp16 model float16 and reads its float16 logits', async () => {
    // logits = the mean of each input channel, computed in float32 between two Casts.
    const g = new GraphBuilder({ opset: 17 });
    const x = g.input('pixel_values', DataType.FLOAT16, ['batch', 3, 32, 32]);
    const f = g.op('Cast', [x], { to: DataType.FLOAT });
    const m = g.op('Flatten', [g.op('GlobalAveragePool', [f])], { axis: 1 });
    g.node('Cast', [m], ['logits'], { to: DataType.FLOAT16 });
    g.output('logits', DataType.FLOAT16, ['batch', 3]);
    const d = mkdtempSync(join(tmpdir(), 'vit-fp16-'));
    writeModel(g.build(), join(d, 'half.onnx'));
    writeFileSync(join(d, 'half.json'), JSON.stringify({ resize: 32, crop: 32, mean: [0, 0, 0], std: [1, 1, 1] }));
    const half = await client.request('classify', { model: join(d, 'half.onnx'), images: photos.slice(0, 3), topK: 3, order: ['cpu'], batch: 2 });
    assert.equal(half.inputType, 'float16');
    // The same means from the float32 tensors the fp32 path makes.
    for (const [i, x] of ok(half).entries()) {
      const t = toTensor(await decodeImage(photos[i]), half.preprocessing);
      const n = 32 * 32;
      for (let c = 0; c < 3; c++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += t.data[c * n + k];
        assert.ok(Math.abs(x.logits[c] - s / n) <= 1e-3, `${photos[i]} channel ${c}: fp16 ${x.logits[c]} vs fp32 ${s / n}`);
      }
    }
  });
});
