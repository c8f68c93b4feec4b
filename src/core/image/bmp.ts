/**
 * BMP decoding: libvips (inside sharp) has no BMP loader in its prebuilt binaries, so
 * this reads the common kinds itself — uncompressed 1/4/8-bit palette, 16/24/32-bit,
 * BI_BITFIELDS, bottom-up or top-down. Output: RGB, 8 bits, row-major.
 */
import { UserError } from '../errors';

export function isBmp(buf: Uint8Array): boolean {
  return buf.length >= 2 && buf[0] === 0x42 && buf[1] === 0x4d;
}

export function decodeBmp(buf: Uint8Array, maxPixels: number): { width: number; height: number; rgb: Uint8Array } {
  const bad = (why: string) => new UserError(`This BMP file cannot be read: ${why}.`);
  if (buf.length < 54) throw bad('it is truncated');
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const dataOffset = dv.getUint32(10, true);
  const headerSize = dv.getUint32(14, true);
  if (headerSize < 40) throw bad('OS/2 bitmaps are not supported');
  const width = dv.getInt32(18, true);
  const rawHeight = dv.getInt32(22, true);
  const bpp = dv.getUint16(28, true);
  const compression = dv.getUint32(30, true);
  const height = Math.abs(rawHeight);
  const topDown = rawHeight < 0;
  if (width <= 0 || height <= 0) throw bad('its size is zero');
  if (width * height > maxPixels) throw new UserError(`The image is ${width}×${height} pixels, more than the limit of ${maxPixels} (setting vitInspector.maxImagePixels).`);
  if (compression !== 0 && compression !== 3) throw bad('RLE-compressed bitmaps are not supported; save it as PNG');
  if (![1, 4, 8, 16, 24, 32].includes(bpp)) throw bad(`${bpp} bits per pixel is not supported`);
  let masks = bpp === 16 ? [0x7c00, 0x03e0, 0x001f] : [0xff0000, 0x00ff00, 0x0000ff];
  if (compression === 3) {
    if (buf.length < 66) throw bad('it is truncated');
    masks = [dv.getUint32(54, true), dv.getUint32(58, true), dv.getUint32(62, true)];
  }
  const palette: number[][] = [];
  if (bpp <= 8) {
    const colours = dv.getUint32(46, true) || 1 << bpp;
    const at = 14 + headerSize;
    for (let i = 0; i < colours && at + i * 4 + 3 <= buf.length; i++) palette.push([buf[at + i * 4 + 2], buf[at + i * 4 + 1], buf[at + i * 4]]);
  }
  const stride = Math.ceil((width * bpp) / 32) * 4;
  if (dataOffset + stride * height > buf.length) throw bad('it is truncated');
  const rgb = new Uint8Array(width * height * 3);
  const channel = (v: number, mask: number) => {
    if (!mask) return 0;
    const shift = Math.clz32(mask & -mask) ^ 31;
    const max = mask >>> shift;
    return Math.round((((v & mask) >>> shift) * 255) / max);
  };
  for (let y = 0; y < height; y++) {
    const row = dataOffset + (topDown ? y : height - 1 - y) * stride;
    for (let x = 0; x < width; x++) {
      let r: number, g: number, b: number;
      if (bpp <= 8) {
        const bit = x * bpp;
        const idx = (buf[row + (bit >> 3)] >> (8 - bpp - (bit & 7))) & ((1 << bpp) - 1);
        [r, g, b] = palette[idx] ?? [0, 0, 0];
      } else if (bpp === 24 && compression === 0) {
        const p = row + x * 3;
        [b, g, r] = [buf[p], buf[p + 1], buf[p + 2]];
      } else {
        const p = row + x * (bpp / 8);
        const v = bpp === 16 ? dv.getUint16(p, true) : dv.getUint32(p, true);
        [r, g, b] = [channel(v, masks[0]), channel(v, masks[1]), channel(v, masks[2])];
      }
      const o = (y * width + x) * 3;
      rgb[o] = r;
      rgb[o + 1] = g;
      rgb[o + 2] = b;
    }
  }
  return { width, height, rgb };
}
