import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { decodeImage, toTensor } from '../../src/core/inference/image';
import { resolvePreprocessing, IMAGENET_MEAN, IMAGENET_STD } from '../../src/core/inference/preprocess';

const dir = mkdtempSync(join(tmpdir(), 'vit-img-'));
const red = { r: 200, g: 30, b: 10 };

async function write(name: string, img: ReturnType<typeof sharp>): Promise<string> {
  const p = join(dir, name);
  writeFileSync(p, await img.toBuffer());
  return p;
}
const solid = (w: number, h: number, channels: 3 | 4 = 3, bg: { r: number; g: number; b: number; alpha: number } = { ...red, alpha: 1 }) => sharp({ create: { width: w, height: h, channels, background: bg } });

/** A 24-bit bottom-up BMP written by hand (libvips cannot write BMP). */
function bmp24(w: number, h: number, px: (x: number, y: number) => [number, number, number]): Buffer {
  const stride = Math.ceil((w * 3) / 4) * 4;
  const b = Buffer.alloc(54 + stride * h);
  b.write('BM', 0);
  b.writeUInt32LE(b.length, 2);
  b.writeUInt32LE(54, 10);
  b.writeUInt32LE(40, 14);
  b.writeInt32LE(w, 18);
  b.writeInt32LE(h, 22);
  b.writeUInt16LE(1, 26);
  b.writeUInt16LE(24, 28);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const [r, g, bl] = px(x, y);
      const o = 54 + (h - 1 - y) * stride + x * 3;
      b[o] = bl;
      b[o + 1] = g;
      b[o + 2] = r;
    }
  return b;
}

describe('image decoding', () => {
  it('decodes PNG, JPEG, WebP, GIF, TIFF to 8-bit RGB', async () => {
    for (const [name, img] of [
      ['a.png', solid(5, 4).png()],
      ['a.jpg', solid(5, 4).jpeg({ quality: 100 })],
      ['a.webp', solid(5, 4).webp({ lossless: true })],
      ['a.gif', solid(5, 4).gif()],
      ['a.tiff', solid(5, 4).tiff()],
    ] as const) {
      const d = await decodeImage(await write(name, img));
      assert.equal(d.width, 5, name);
      assert.equal(d.height, 4, name);
      assert.equal(d.rgb.length, 5 * 4 * 3, name);
      assert.ok(Math.abs(d.rgb[0] - red.r) <= 6 && Math.abs(d.rgb[1] - red.g) <= 6, `${name}: ${d.rgb.slice(0, 3)}`);
    }
  });

  it('decodes a BMP (which libvips cannot) bottom-up, exactly', async () => {
    const p = join(dir, 'a.bmp');
    writeFileSync(p, bmp24(3, 2, (x, y) => [x * 10, y * 100, 7]));
    const d = await decodeImage(p);
    assert.deepEqual([d.width, d.height], [3, 2]);
    assert.deepEqual(Array.from(d.rgb.slice(0, 6)), [0, 0, 7, 10, 0, 7]);
    assert.deepEqual(Array.from(d.rgb.slice(9, 12)), [0, 100, 7]);
  });

  it('converts CMYK, 16-bit, greyscale and alpha images to RGB', async () => {
    const cmyk = await decodeImage(await write('cmyk.jpg', solid(8, 8).toColourspace('cmyk').jpeg({ quality: 100 })));
    assert.equal(cmyk.rgb.length, 8 * 8 * 3);
    assert.ok(cmyk.rgb[0] > 150 && cmyk.rgb[2] < 80, `CMYK red came out as ${cmyk.rgb.slice(0, 3)}`);
    const deep = await decodeImage(await write('16.png', solid(4, 4).toColourspace('rgb16').png()));
    assert.ok(Math.abs(deep.rgb[0] - red.r) <= 1, `16-bit: ${deep.rgb.slice(0, 3)}`);
    const grey = await decodeImage(await write('g.png', solid(4, 4).greyscale().png()));
    assert.equal(grey.rgb[0], grey.rgb[1]);
    const alpha = await decodeImage(await write('a.png', solid(4, 4, 4, { ...red, alpha: 0.5 }).png()));
    assert.equal(alpha.rgb.length, 4 * 4 * 3);
  });

  it('applies the EXIF orientation', async () => {
    const d = await decodeImage(await write('rot.jpg', solid(6, 2).jpeg().withMetadata({ orientation: 6 })));
    assert.deepEqual([d.width, d.height], [2, 6]);
  });

  it('refuses truncated, empty, non-image and over-limit files with a clear message', async () => {
    const png = await solid(64, 64).png({ compressionLevel: 0 }).toBuffer();
    const cut = join(dir, 'cut.png');
    writeFileSync(cut, png.subarray(0, png.length / 2));
    await assert.rejects(decodeImage(cut), { name: 'UserError', message: /truncated or corrupt|cannot be decoded/ });
    const empty = join(dir, 'empty.png');
    writeFileSync(empty, '');
    await assert.rejects(decodeImage(empty), { name: 'UserError', message: /empty/ });
    const text = join(dir, 'text.png');
    writeFileSync(text, 'hello, not an image');
    await assert.rejects(decodeImage(text), { name: 'UserError' });
    await assert.rejects(decodeImage(await write('big.png', solid(200, 200).png()), 10_000), { name: 'UserError', message: /limit/ });
    await assert.rejects(decodeImage(join(dir, 'nope.png')), { name: 'UserError', message: /does not exist/ });
  });
});

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
