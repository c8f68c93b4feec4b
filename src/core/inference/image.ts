/**
 * Image file → model input tensor. sharp decodes (png, jpeg, webp, gif first frame,
 * tiff, avif; BMP by our own reader), applies the EXIF orientation, converts any
 * colour space (grey, CMYK, 16-bit) to 8-bit sRGB, and drops alpha like PIL's
 * convert('RGB'). Then: resize the shorter side, centre-crop, scale to 0..1, normalise.
 */
import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import type sharpType from 'sharp';
import { UserError } from '../errors';
import { decodeBmp, isBmp } from './bmp';
import type { Preprocessing } from './preprocess';

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
  /** The cropped RGB image the tensor was made from (for drawing the patch grid over). */
  cropped: { width: number; height: number; rgb: Uint8Array };
  original: { width: number; height: number; format: string };
}

const KERNEL = { bilinear: 'linear', bicubic: 'cubic', nearest: 'nearest' } as const;

let sharpModule: typeof sharpType | undefined;
function sharp(): typeof sharpType {
  // Loaded on first use: the CLI's `arch`/`flops` never need the native module.
  return (sharpModule ??= require('sharp') as typeof sharpType);
}

export async function decodeImage(path: string, maxPixels = 100_000_000): Promise<DecodedImage> {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    throw new UserError(`Cannot read ${path}: the file does not exist or is not accessible.`);
  }
  if (size === 0) throw new UserError(`${basename(path)} is empty (0 bytes).`);
  const buf = readFileSync(path);
  if (isBmp(buf)) return { ...decodeBmp(buf, maxPixels), format: 'bmp' };
  try {
    const img = sharp()(buf, { limitInputPixels: maxPixels, failOn: 'error', pages: 1, page: 0 });
    const meta = await img.metadata();
    const { data, info } = await img
      .rotate() // EXIF orientation
      .toColourspace('srgb')
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`unexpected ${info.channels} channels after conversion`);
    return { width: info.width, height: info.height, rgb: new Uint8Array(data.buffer, data.byteOffset, data.length), format: meta.format ?? 'unknown' };
  } catch (e) {
    const msg = (e as Error).message ?? String(e);
    if (/pixel limit/i.test(msg))
      throw new UserError(`${basename(path)} has more pixels than the limit of ${maxPixels} (setting vitInspector.maxImagePixels); it may be a decompression bomb.`);
    if (/unsupported image format|Input buffer contains unsupported/i.test(msg))
      throw new UserError(`${basename(path)} is not an image format ViT Inspector reads (PNG, JPEG, WebP, GIF, BMP, TIFF, AVIF).`);
    throw new UserError(`${basename(path)} cannot be decoded: ${msg.split('\n')[0]}. The file may be truncated or corrupt.`);
  }
}

/** Resize the shorter side to p.resize, centre-crop p.crop², normalise to an NCHW tensor. */
export async function toTensor(img: DecodedImage, p: Preprocessing): Promise<ImageTensor> {
  const scale = p.resize / Math.min(img.width, img.height);
  const w = Math.max(p.crop, Math.round(img.width * scale));
  const h = Math.max(p.crop, Math.round(img.height * scale));
  let rgb = img.rgb;
  if (w !== img.width || h !== img.height) {
    const out = await sharp()(Buffer.from(img.rgb.buffer, img.rgb.byteOffset, img.rgb.length), { raw: { width: img.width, height: img.height, channels: 3 } })
      .resize(w, h, { kernel: KERNEL[p.interpolation], fit: 'fill' })
      .raw()
      .toBuffer();
    rgb = new Uint8Array(out.buffer, out.byteOffset, out.length);
  }
  const left = Math.floor((w - p.crop) / 2);
  const top = Math.floor((h - p.crop) / 2);
  const n = p.crop * p.crop;
  const cropped = new Uint8Array(n * 3);
  for (let y = 0; y < p.crop; y++) cropped.set(rgb.subarray(((top + y) * w + left) * 3, ((top + y) * w + left + p.crop) * 3), y * p.crop * 3);
  const data = new Float32Array(n * p.channels);
  if (p.channels === 3) {
    for (let c = 0; c < 3; c++) {
      const m = p.mean[c], s = p.std[c];
      for (let i = 0; i < n; i++) data[c * n + i] = (cropped[i * 3 + c] / 255 - m) / s;
    }
  } else {
    // ITU-R 601 luma, as PIL's convert('L').
    for (let i = 0; i < n; i++) {
      const l = (cropped[i * 3] * 299 + cropped[i * 3 + 1] * 587 + cropped[i * 3 + 2] * 114) / 1000;
      data[i] = (l / 255 - p.mean[0]) / p.std[0];
    }
  }
  return { data, dims: [1, p.channels, p.crop, p.crop], cropped: { width: p.crop, height: p.crop, rgb: cropped }, original: { width: img.width, height: img.height, format: img.format } };
}
