import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toTensor } from '../../../src/core/image/decode';
import { resolvePreprocessing, IMAGENET_MEAN, IMAGENET_STD } from '../../../src/core/image/preprocess';

const dir = mkdtempSync(join(tmpdir(), 'vit-img-'));

describe('preprocessing', () => {
  it('uses ImageNet defaults: shorter side 256, crop 224, bicubic', () => {
    const p = resolvePreprocessing(join(dir, 'm.onnx'), 224, 3);
    assert.deepEqual([p.resize, p.crop, p.size, p.interpolation, p.source, p.rules], [{ mode: 'shortest', edge: 256 }, { width: 224, height: 224 }, [224, 224], 'bicubic', 'ImageNet defaults', 'torchvision']);
    assert.deepEqual(p.mean, IMAGENET_MEAN);
    assert.deepEqual(p.std, IMAGENET_STD);
  });

  it('reads a sidecar, a Hugging Face preprocessor_config.json, and settings override both', () => {
    const d1 = mkdtempSync(join(tmpdir(), 'vit-pp-'));
    writeFileSync(join(d1, 'm.json'), JSON.stringify({ resize: 28, crop: 28, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25], interpolation: 'bilinear' }));
    const s = resolvePreprocessing(join(d1, 'm.onnx'), 28, 3);
    assert.deepEqual([s.resize, s.crop, s.interpolation, s.mean[0], s.source], [{ mode: 'shortest', edge: 28 }, { width: 28, height: 28 }, 'bilinear', 0.5, 'm.json']);
    const d2 = mkdtempSync(join(tmpdir(), 'vit-pp-'));
    writeFileSync(join(d2, 'preprocessor_config.json'), JSON.stringify({ size: { height: 224, width: 224 }, image_mean: [0.5, 0.5, 0.5], image_std: [0.5, 0.5, 0.5], resample: 2 }));
    // google/vit-base-patch16-224's form: exactly 224×224, no crop.
    const exact = resolvePreprocessing(join(d2, 'model.onnx'), 224, 3);
    assert.deepEqual([exact.resize, exact.crop, exact.size, exact.rules], [{ mode: 'exact', width: 224, height: 224 }, null, [224, 224], 'huggingface']);
    const hf = resolvePreprocessing(join(d2, 'model.onnx'), 224, 3, { resize: 240 });
    assert.deepEqual([hf.resize, hf.crop, hf.interpolation, hf.std[0]], [{ mode: 'shortest', edge: 240 }, { width: 224, height: 224 }, 'bilinear', 0.5]);
    assert.match(hf.source, /settings/);
    assert.throws(() => resolvePreprocessing(join(d2, 'model.onnx'), 224, 3, { crop: 200 }), /does not match the model's input size/);
  });

  it('reads do_resize, do_center_crop, do_rescale, do_normalize, ConvNeXt crop_pct, CLIP-style int sizes', () => {
    const at = (cfg: object, size: number | null = 224) => {
      const d = mkdtempSync(join(tmpdir(), 'vit-pp-'));
      writeFileSync(join(d, 'preprocessor_config.json'), JSON.stringify(cfg));
      return resolvePreprocessing(join(d, 'model.onnx'), size, 3);
    };
    const off = at({ do_resize: false, do_rescale: false, do_normalize: false, size: 224 }, null);
    assert.deepEqual([off.resize, off.crop, off.size, off.rescale, off.normalize], [null, null, null, 1, false]);
    assert.equal(at({ size: { height: 240, width: 240 }, do_rescale: true, rescale_factor: 0.5, do_center_crop: true, crop_size: 224 }).rescale, 0.5);
    assert.deepEqual(at({ size: { shortest_edge: 224 }, crop_pct: 0.875 }).resize, { mode: 'shortest', edge: 256 });
    assert.deepEqual(at({ size: { shortest_edge: 224 }, crop_pct: 0.875 }).crop, { width: 224, height: 224 });
    assert.deepEqual(at({ size: 224, crop_size: 224, do_center_crop: true, image_processor_type: 'CLIPImageProcessor' }).resize, { mode: 'shortest', edge: 224 });
    assert.deepEqual(at({ size: 224, image_processor_type: 'ViTImageProcessor' }).resize, { mode: 'exact', width: 224, height: 224 });
    assert.throws(() => at({ size: { wide: 3 } }), { name: 'UserError', message: /"size".*not a form/ });
    assert.throws(() => at({ size: { height: 256, width: 256 } }), { name: 'UserError', message: /makes 256×256 inputs but the model takes 224×224/ });
  });

  it('makes an NCHW tensor: shorter side resized, centre crop, normalised', () => {
    // 8×4 image: left half black, right half white; resize shorter side 4→4, crop 4 from the centre.
    const rgb = new Uint8Array(8 * 4 * 3);
    for (let y = 0; y < 4; y++) for (let x = 4; x < 8; x++) rgb.fill(255, (y * 8 + x) * 3, (y * 8 + x) * 3 + 3);
    const p = { resize: { mode: 'shortest' as const, edge: 4 }, crop: { width: 4, height: 4 }, size: [4, 4] as [number, number], rescale: 1 / 255, normalize: true, rules: 'torchvision' as const, summary: '' };
    const t = toTensor({ width: 8, height: 4, rgb, format: 'raw' }, { ...p, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], interpolation: 'nearest', channels: 3, source: 't' });
    assert.deepEqual(t.dims, [1, 3, 4, 4]);
    assert.deepEqual(t.steps, { resized: [8, 4], crop: { left: 2, top: 0, width: 4, height: 4 } });
    // Columns 2..5 of the original: two black (-1) then two white (+1), in every channel.
    assert.deepEqual(Array.from(t.data.slice(0, 4)), [-1, -1, 1, 1]);
    assert.deepEqual(Array.from(t.data.slice(32, 36)), [-1, -1, 1, 1]);
  });

  it('pads a crop larger than the image with black, as the libraries do', () => {
    const rgb = new Uint8Array(2 * 2 * 3).fill(255);
    const p = { resize: null, crop: { width: 4, height: 4 }, size: [4, 4] as [number, number], rescale: 1 / 255, normalize: false, rules: 'huggingface' as const, summary: '' };
    const t = toTensor({ width: 2, height: 2, rgb, format: 'raw' }, { ...p, mean: [0, 0, 0], std: [1, 1, 1], interpolation: 'bilinear', channels: 3, source: 't' });
    assert.deepEqual(Array.from(t.data.slice(0, 16)), [0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0]);
  });
});
