// Preprocessing against Pillow: references made by tools/make_preprocess_refs.py (Hugging Face's
// rules on PIL, torchvision's transforms, timm's eval transform) on photo-like images of 7 sizes.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type * as ortType from 'onnxruntime-node';
import sharp from 'sharp';
import { decodeImage, toTensor } from '../../../src/core/image/decode';
import { resolvePreprocessing, resizedSize, cropOffset, type Preprocessing } from '../../../src/core/image/preprocess';
import { resize } from '../../../src/core/image/resample';

const dir = resolve('test/fixtures/preprocess');
interface Manifest {
  images: { file: string; width: number; height: number }[];
  configs: { name: string; file: string; json: unknown; inputSize: number | null }[];
  refs: { image: string; config: string; png: string; width: number; height: number; channelSums: [number, number, number] }[];
}
const manifest: Manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));

function preprocessingFor(config: Manifest['configs'][number]): Preprocessing {
  const d = mkdtempSync(join(tmpdir(), 'vit-pil-'));
  writeFileSync(join(d, config.file), JSON.stringify(config.json));
  return resolvePreprocessing(join(d, 'model.onnx'), config.inputSize, 3);
}

async function pilTensor(png: string, p: Preprocessing): Promise<{ data: Float32Array; width: number; height: number; rgb: Uint8Array }> {
  const { data, info } = await sharp(join(dir, png)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const n = info.width * info.height;
  const t = new Float32Array(3 * n);
  for (let c = 0; c < 3; c++) for (let i = 0; i < n; i++) t[c * n + i] = (data[i * 3 + c] * p.rescale - p.mean[c]) / p.std[c];
  return { data: t, width: info.width, height: info.height, rgb: new Uint8Array(data) };
}

describe('preprocessing matches Pillow (Hugging Face, torchvision, timm)', function () {
  this.timeout(60_000);

  it('reads each config the way its library applies it', () => {
    const by = (name: string) => preprocessingFor(manifest.configs.find((c) => c.name === name)!);
    assert.deepEqual([by('hf_exact').resize, by('hf_exact').crop], [{ mode: 'exact', width: 224, height: 224 }, null]);
    assert.deepEqual([by('hf_int').resize, by('hf_int').crop, by('hf_int').interpolation], [{ mode: 'exact', width: 224, height: 224 }, null, 'bicubic']);
    assert.deepEqual([by('hf_shortest_crop').resize, by('hf_shortest_crop').crop], [{ mode: 'shortest', edge: 256 }, { width: 224, height: 224 }]);
    assert.deepEqual([by('hf_shortest').size, by('hf_longest').resize], [null, { mode: 'longest', edge: 224 }]);
    assert.deepEqual([by('timm').resize, by('timm').crop, by('timm').rules], [{ mode: 'shortest', edge: 248 }, { width: 224, height: 224 }, 'torchvision']);
    assert.deepEqual([by('hf_lanczos').interpolation, by('hf_box').interpolation, by('hf_hamming').interpolation, by('hf_nearest').interpolation], ['lanczos', 'box', 'hamming', 'nearest']);
  });

  it("sizes: Hugging Face and torchvision truncate the longer side (640×480, shortest 224 → 298×224), crops round their way", () => {
    assert.deepEqual(resizedSize({ mode: 'shortest', edge: 224 }, 640, 480), [298, 224]);
    assert.deepEqual(resizedSize({ mode: 'shortest', edge: 224 }, 480, 640), [224, 298]);
    assert.deepEqual(resizedSize({ mode: 'longest', edge: 224 }, 500, 333), [224, 149]);
    assert.deepEqual(resizedSize({ mode: 'shortest', edge: 800, maxLongest: 1000 }, 640, 480), [1000, 750]);
    // 299 − 224 = 75: Hugging Face floors to 37, torchvision's round() goes half to even (38); 73 → 36 both.
    assert.deepEqual([cropOffset(299, 224, 'huggingface'), cropOffset(299, 224, 'torchvision'), cropOffset(297, 224, 'torchvision'), cropOffset(297, 224, 'huggingface')], [37, 38, 36, 36]);
    // A crop bigger than the image is padded: Hugging Face puts the odd pixel before, torchvision after.
    assert.deepEqual([cropOffset(201, 224, 'huggingface'), cropOffset(201, 224, 'torchvision')], [-12, -11]);
  });

  const results: { ref: string; mad: number; exact: number }[] = [];
  for (const ref of manifest.refs) {
    it(`${ref.image} · ${ref.config} → ${ref.width}×${ref.height}`, async () => {
      const p = preprocessingFor(manifest.configs.find((c) => c.name === ref.config)!);
      const t = toTensor(await decodeImage(join(dir, ref.image)), p);
      assert.deepEqual([t.dims[3], t.dims[2]], [ref.width, ref.height], 'tensor size');
      const pil = await pilTensor(ref.png, p);
      let sum = 0, same = 0;
      for (let i = 0; i < t.data.length; i++) sum += Math.abs(t.data[i] - pil.data[i]);
      for (let i = 0; i < pil.rgb.length; i++) if (pil.rgb[i] === t.cropped.rgb[i]) same++;
      const mad = sum / t.data.length;
      results.push({ ref: `${ref.image}·${ref.config}`, mad, exact: same / pil.rgb.length });
      assert.ok(mad <= 0.02, `mean |Δinput| = ${mad.toFixed(4)} > 0.02`);
      // Lossless sources come out bit for bit as Pillow's: the resampler is Pillow's, not an approximation.
      if (ref.image.endsWith('.png')) assert.equal(same, pil.rgb.length, `${pil.rgb.length - same} of ${pil.rgb.length} bytes differ from Pillow`);
      // Normalisation as the library: per-channel sums of the float tensor computed in numpy.
      const n = ref.width * ref.height;
      for (let c = 0; c < 3; c++) {
        let s = 0;
        for (let i = 0; i < n; i++) s += pil.data[c * n + i];
        assert.ok(Math.abs(s - ref.channelSums[c]) <= 1e-6 * n, `channel ${c} sum ${s} vs numpy ${ref.channelSums[c]}`);
      }
    });
  }
  after(() => {
    if (!results.length) return;
    const worst = results.reduce((a, b) => (b.mad > a.mad ? b : a));
    console.log(`      ${results.length} references: worst mean |Δinput| ${worst.mad.toFixed(5)} (${worst.ref}); bytes equal to Pillow's: min ${(Math.min(...results.map((r) => r.exact)) * 100).toFixed(2)}%`);
  });

  it('resamples bit-exactly like Pillow when only one axis changes, and upsamples', async () => {
    // small.png (97×61) → 224×224 in hf_exact is an upsample; the lossless refs above cover it. Here:
    // a 1-pixel-tall image, horizontal pass only, against a direct computation of Pillow's bilinear.
    const src = new Uint8Array([0, 100, 200, 50].flatMap((v) => [v, v, v]));
    const out = resize(src, 4, 1, 3, 2, 1, 'bilinear');
    // Shrink by 2: triangle of support 2 centred at 1 and 3 (in source pixel centres 0.5..3.5):
    // weights (0.25, 0.75, 0.75, 0.25)/2 over pixels → out0 = (0·0.25 + 100·0.75 + 200·0.25... clipped to the image.
    assert.deepEqual(Array.from(out.filter((_, i) => i % 3 === 0)), [Math.round((0 * 0.75 + 100 * 0.75 + 200 * 0.25) / 1.75), Math.round((100 * 0.25 + 200 * 0.75 + 50 * 0.75) / 1.75)]);
  });
});

describe('top-1 on real ONNX models equals the Pillow path', function () {
  this.timeout(120_000);
  let ort: typeof ortType;
  before(() => (ort = require('onnxruntime-node')));

  for (const model of ['tiny_vit', 'tiny_deit', 'dynamic_vit']) {
    it(`${model}: same top-1 as Pillow's tensors on 7 images × 3 configs`, async () => {
      const session = await ort.InferenceSession.create(resolve('test/fixtures/models', `${model}.onnx`), { executionProviders: ['cpu'] });
      const name = session.inputNames[0];
      const argmax = (a: ArrayLike<number>) => Array.from(a).reduce((b, v, i, arr) => (v > arr[b] ? i : b), 0);
      let compared = 0;
      for (const ref of manifest.refs.filter((r) => r.config.startsWith('tiny_'))) {
        const p = preprocessingFor(manifest.configs.find((c) => c.name === ref.config)!);
        const ours = toTensor(await decodeImage(join(dir, ref.image)), p);
        const pil = await pilTensor(ref.png, p);
        const a = await session.run({ [name]: new ort.Tensor('float32', ours.data, [1, 3, 32, 32]) });
        const b = await session.run({ [name]: new ort.Tensor('float32', pil.data, [1, 3, 32, 32]) });
        const out = session.outputNames[0];
        assert.equal(argmax(a[out].data as Float32Array), argmax(b[out].data as Float32Array), `${ref.image} · ${ref.config}`);
        compared++;
      }
      assert.equal(compared, 21);
      await session.release();
    });
  }
});
