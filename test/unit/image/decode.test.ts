import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { decodeImage } from '../../../src/core/image/decode';

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
    // a folder where an image goes (vit-inspect classify CHECKPOINT_DIR image.png): said so, not EISDIR as an internal error
    await assert.rejects(decodeImage(dir), { name: 'UserError', message: /is a folder, not an image file/ });
  });
});
