/**
 * Image file → model input tensor. sharp decodes (png, jpeg, webp, gif first frame,
 * tiff, avif; BMP by our own reader), applies the EXIF orientation, converts any
 * colour space (grey, CMYK, 16-bit) to 8-bit sRGB, and drops alpha like PIL's
 * convert('RGB'). Then toTensor: resize, crop, rescale and normalise as the model's config says.
 */
import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import type sharpType from 'sharp';
import { UserError } from '../errors';
import { decodeBmp, isBmp } from './bmp';
import { cropOffset, resizedSize, type Preprocessing } from './preprocess';
import { resize } from './resample';

export interface DecodedImage {
  width: number;
  height: number;
  /** RGB, 8 bits, row-major. */
  rgb: Uint8Array;
  format: string;
}

export interface ImageTensor {
  /** NCHW float32, N = 1. */
  data: Float32Array;
  dims: [1, number, number, number];
  /** The RGB image the tensor was made from, after resize and crop (for drawing the patch grid over). */
  cropped: { width: number; height: number; rgb: Uint8Array };
  original: { width: number; height: number; format: string };
  /** What was done to this image: the size after the resize, and the crop box in the resized image. */
  steps: { resized: [number, number]; crop: { left: number; top: number; width: number; height: number } | null };
}

let sharpModule: typeof sharpType | undefined;
function sharp(): typeof sharpType {
  // Loaded on first use: the CLI's `arch`/`flops` never need the native module.
  return (sharpModule ??= require('sharp') as typeof sharpType);
}

export async function decodeImage(path: string, maxPixels = 100_000_000): Promise<DecodedImage> {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(path);
  } catch {
    throw new UserError(`Cannot read ${path}: the file does not exist or is not accessible.`);
  }
  // e.g. a checkpoint folder given where an image goes (vit-inspect classify CHECKPOINT IMAGE instead of --model CHECKPOINT).
  if (st.isDirectory()) throw new UserError(`${basename(path)} is a folder, not an image file. (A model goes in --model; a folder of images in Classify Folder or vit-inspect evaluate.)`);
  const size = st.size;
  if (size === 0) throw new UserError(`${basename(path)} is empty (0 bytes).`);
  const buf = readFileSync(path);
  if (isBmp(buf)) return { ...decodeBmp(buf, maxPixels), format: 'bmp' };
  try {
    const img = sharp()(buf, { limitInputPixels: maxPixels, failOn: 'error', pages: 1, page: 0 });
    // JPEG and PNG are known by their first bytes: sharp's metadata() (its own pass through libuv's
    // threads) is read only for the other formats. Classify Folder's worker pays this per image.
    const format = sniffFormat(buf) ?? (await img.metadata()).format;
    const { data, info } = await img
      .rotate() // EXIF orientation
      .toColourspace('srgb')
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`unexpected ${info.channels} channels after conversion`);
    return { width: info.width, height: info.height, rgb: new Uint8Array(data.buffer, data.byteOffset, data.length), format: format ?? 'unknown' };
  } catch (e) {
    const msg = (e as Error).message ?? String(e);
    if (/pixel limit/i.test(msg))
      throw new UserError(`${basename(path)} has more pixels than the limit of ${maxPixels} (setting vitInspector.maxImagePixels); it may be a decompression bomb.`);
    if (/unsupported image format|Input buffer contains unsupported/i.test(msg))
      throw new UserError(`${basename(path)} is not an image format ViT Inspector reads (PNG, JPEG, WebP, GIF, BMP, TIFF, AVIF).`);
    // In the user's terms first; the decoder's own words (without its library's name, e.g. "VipsJpeg: ") after.
    throw new UserError(`${basename(path)} cannot be decoded: the file is truncated or corrupt (the decoder says: ${msg.split('\n')[0].replace(/^\w+: /, '')}). Open it in an image viewer, or export it again.`, msg);
  }
}

/** 'jpeg' or 'png' (sharp's names) from the file's signature; undefined for any other. */
function sniffFormat(buf: Uint8Array): string | undefined {
  if (buf.length >= 3 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff) return 'jpeg';
  if (buf.length >= 8 && buf[0] === 0x89 && buf[1] === 0x50 && buf[2] === 0x4e && buf[3] === 0x47 && buf[4] === 0x0d && buf[5] === 0x0a && buf[6] === 0x1a && buf[7] === 0x0a) return 'png';
  return undefined;
}

/**
 * Decoded image → NCHW tensor, as the config's library does it (see preprocess.ts): grey models
 * get Pillow's convert('L') first; resize with Pillow's filters (resample.ts); centre crop
 * (black where it overhangs); ×rescale; (x − mean) / std.
 */
export function toTensor(img: DecodedImage, p: Preprocessing): ImageTensor {
  let px: Uint8Array = img.rgb;
  const ch = p.channels;
  if (ch === 1) {
    // Pillow's convert('L'): ITU-R 601-2 luma in 16-bit fixed point, rounded.
    px = new Uint8Array(img.width * img.height);
    for (let i = 0; i < px.length; i++) px[i] = (img.rgb[i * 3] * 19595 + img.rgb[i * 3 + 1] * 38470 + img.rgb[i * 3 + 2] * 7471 + 0x8000) >>> 16;
  }
  const [w, h] = resizedSize(p.resize, img.width, img.height);
  let cw = w, chh = h, left = 0, top = 0;
  if (p.crop) {
    cw = p.crop.width;
    chh = p.crop.height;
    left = cropOffset(w, cw, p.rules);
    top = cropOffset(h, chh, p.rules);
  }
  // The part of the resized image inside the crop box (all of it without a crop; a crop may overhang: black there).
  const x0 = Math.max(0, left), y0 = Math.max(0, top);
  const inside = { left: x0, top: y0, width: Math.min(w, left + cw) - x0, height: Math.min(h, top + chh) - y0 };
  const n = cw * chh;
  let cropped: Uint8Array;
  if (inside.width > 0 && inside.height > 0) {
    // Only the pixels the crop keeps are resampled (the same values as resizing all, then cropping).
    const resized = w !== img.width || h !== img.height;
    const part = resized ? resize(px, img.width, img.height, ch, w, h, p.interpolation, inside) : px;
    if (resized && inside.width === cw && inside.height === chh) cropped = part; // the crop box is inside the image: the region is the crop
    else {
      cropped = new Uint8Array(n * ch);
      const pw = resized ? inside.width : w;
      const [px0, py0] = resized ? [0, 0] : [inside.left, inside.top];
      for (let y = 0; y < inside.height; y++) {
        const src = ((py0 + y) * pw + px0) * ch;
        cropped.set(part.subarray(src, src + inside.width * ch), ((inside.top - top + y) * cw + inside.left - left) * ch);
      }
    }
  } else cropped = new Uint8Array(n * ch);
  // (v × rescale − mean) / std for each of the 256 values of a channel, rounded to float32 as the
  // tensor stores it: a lookup per value, the same numbers as computing each.
  const data = new Float32Array(n * ch);
  const table = new Float32Array(256 * ch);
  for (let c = 0; c < ch; c++) {
    const m = p.normalize ? p.mean[c] : 0, s = p.normalize ? p.std[c] : 1;
    for (let v = 0; v < 256; v++) table[c * 256 + v] = (v * p.rescale - m) / s;
  }
  if (ch === 3) {
    // One pass over the interleaved pixels (three strided passes read them three times).
    for (let i = 0, q = 0; i < n; i++, q += 3) {
      data[i] = table[cropped[q]];
      data[n + i] = table[256 + cropped[q + 1]];
      data[2 * n + i] = table[512 + cropped[q + 2]];
    }
  } else for (let i = 0; i < n; i++) data[i] = table[cropped[i]];
  let rgb = cropped;
  if (ch === 1) {
    rgb = new Uint8Array(n * 3);
    for (let i = 0; i < n; i++) rgb[i * 3] = rgb[i * 3 + 1] = rgb[i * 3 + 2] = cropped[i];
  }
  return {
    data,
    dims: [1, ch, chh, cw],
    cropped: { width: cw, height: chh, rgb },
    original: { width: img.width, height: img.height, format: img.format },
    steps: { resized: [w, h], crop: p.crop ? { left, top, width: cw, height: chh } : null },
  };
}
