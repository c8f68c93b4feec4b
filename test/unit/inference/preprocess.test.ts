import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toTensor } from '../../../src/core/inference/image';
import { resolvePreprocessing, IMAGENET_MEAN, IMAGENET_STD } from '../../../src/core/inference/preprocess';

const dir = mkdtempSync(join(tmpdir(), 'vit-img-'));

describe('preprocessing', () => {
  it('uses ImageNet defaults: resize 256, crop 224, bicubic', () => {
    const p = resolvePreprocessing(join(dir, 'm.onnx'), 224, 3);
    assert.deepEqual([p.resize, p.crop, p.interpolation, p.source], [256, 224, 'bicubic', 'ImageNet defaults']);
    assert.deepEqual(p.mean, IMAGENET_MEAN);
    assert.deepEqual(p.std, IMAGENET_STD);
  });

  it('reads a sidecar, a Hugging Face preprocessor_config.json, and settings override both', () => {
    const d1 = mkdtempSync(join(tmpdir(), 'vit-pp-'));
    writeFileSync(join(d1, 'm.json'), JSON.stringify({ resize: 28, crop: 28, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25], interpolation: 'bilinear' }));
    const s = resolvePreprocessing(join(d1, 'm.onnx'), 28, 3);
    assert.deepEqual([s.resize, s.crop, s.interpolation, s.mean[0], s.source], [28, 28, 'bilinear', 0.5, 'm.json']);
    const d2 = mkdtempSync(join(tmpdir(), 'vit-pp-'));
    writeFileSync(join(d2, 'preprocessor_config.json'), JSON.stringify({ size: { height: 224, width: 224 }, image_mean: [0.5, 0.5, 0.5], image_std: [0.5, 0.5, 0.5], resample: 2 }));
    const hf = resolvePreprocessing(join(d2, 'model.onnx'), 224, 3, { resize: 240 });
    assert.deepEqual([hf.resize, hf.crop, hf.interpolation, hf.std[0]], [240, 224, 'bilinear', 0.5]);
    assert.match(hf.source, /settings/);
    assert.throws(() => resolvePreprocessing(join(d2, 'model.onnx'), 224, 3, { crop: 200 }), /does not match the model's input size/);
  });

  it('makes an NCHW tensor: shorter side resized, centre crop, normalised', async () => {
    // 8×4 image: left half black, right half white; resize shorter side 4→4, crop 4 from the centre.
    const rgb = new Uint8Array(8 * 4 * 3);
    for (let y = 0; y < 4; y++) for (let x = 4; x < 8; x++) rgb.fill(255, (y * 8 + x) * 3, (y * 8 + x) * 3 + 3);
    const t = await toTensor({ width: 8, height: 4, rgb, format: 'raw' }, { resize: 4, crop: 4, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], interpolation: 'nearest', channels: 3, source: 't' });
    assert.deepEqual(t.dims, [1, 3, 4, 4]);
    // Columns 2..5 of the original: two black (-1) then two white (+1), in every channel.
    assert.deepEqual(Array.from(t.data.slice(0, 4)), [-1, -1, 1, 1]);
    assert.deepEqual(Array.from(t.data.slice(32, 36)), [-1, -1, 1, 1]);
  });
});
