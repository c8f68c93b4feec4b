/**
 * How an image becomes the model's input tensor, read the way the library that wrote the
 * config applies it: a Hugging Face preprocessor_config.json, a timm config.json, or a
 * `<model>.json` sidecar (torchvision's Resize + CenterCrop); ImageNet defaults otherwise.
 * User settings override single fields. The steps themselves are in image.ts.
 *
 * The two families of rules differ in small ways that move pixels:
 *  - Hugging Face: `size` {height, width} or an int is an exact resize (no crop, aspect not
 *    kept); {shortest_edge} keeps the aspect with the longer side truncated (640×480 → 298×224);
 *    the centre crop starts at floor((h − ch) / 2).
 *  - torchvision (and timm, which uses it): Resize(int) truncates the same way; CenterCrop
 *    starts at round((h − ch) / 2), Python's round (half to even).
 * Both resize the 8-bit image with Pillow (see resample.ts), then scale and normalise.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { UserError } from '../errors';
import { findSidecar } from '../hub/layout';
import type { Filter } from './resample';

export type Interpolation = Filter;
export type Rules = 'huggingface' | 'torchvision';

export type ResizeRule =
  /** To exactly width×height (Hugging Face {height, width} / int; timm crop_mode 'squash'). */
  | { mode: 'exact'; width: number; height: number }
  /** Shorter side to `edge`, aspect kept, longer side truncated; optionally capped at `maxLongest`. */
  | { mode: 'shortest'; edge: number; maxLongest?: number }
  /** Longer side to `edge`, aspect kept, shorter side truncated. */
  | { mode: 'longest'; edge: number };

export interface Preprocessing {
  /** null: the image is used at its own size (Hugging Face do_resize false). */
  resize: ResizeRule | null;
  /** Centre crop after the resize (padded with black where the image is smaller, as both libraries do). */
  crop: { width: number; height: number } | null;
  /** The tensor's [height, width] for every image, or null when it follows the image (a keep-aspect resize without crop). */
  size: [number, number] | null;
  /** Each 0..255 value is multiplied by this (1/255 unless the config turns rescaling off). */
  rescale: number;
  /** Then (x − mean) / std, unless the config turns normalisation off. */
  normalize: boolean;
  mean: [number, number, number];
  std: [number, number, number];
  interpolation: Interpolation;
  rules: Rules;
  channels: 1 | 3;
  /** Where these values came from, said in the panel. */
  source: string;
  /** One line for people (panel, CLI). */
  summary: string;
}

export const IMAGENET_MEAN: [number, number, number] = [0.485, 0.456, 0.406];
export const IMAGENET_STD: [number, number, number] = [0.229, 0.224, 0.225];

export type PreprocessingOverrides = {
  /** Shorter side (torchvision's Resize(int)). */
  resize?: number;
  /** Square centre crop. */
  crop?: number;
  mean?: [number, number, number];
  std?: [number, number, number];
  interpolation?: Interpolation | 'auto';
};

function readJson(path: string): Record<string, unknown> | undefined {
  if (!existsSync(path)) return undefined;
  try {
    const v = JSON.parse(readFileSync(path, 'utf8'));
    return v && typeof v === 'object' && !Array.isArray(v) ? v : undefined;
  } catch (e) {
    throw new UserError(`${basename(path)} beside the model is not valid JSON (${(e as Error).message}). Fix or remove it.`);
  }
}

const triple = (v: unknown): [number, number, number] | undefined => {
  if (Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'number' && Number.isFinite(x))) return v as [number, number, number];
  if (Array.isArray(v) && v.length === 1 && typeof v[0] === 'number') return [v[0], v[0], v[0]];
  if (typeof v === 'number' && Number.isFinite(v)) return [v, v, v];
  return undefined;
};
const posInt = (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined);

/** Pillow's resample codes (Hugging Face stores these) and the names torchvision/timm use. */
const PIL_CODES: Record<number, Interpolation> = { 0: 'nearest', 1: 'lanczos', 2: 'bilinear', 3: 'bicubic', 4: 'box', 5: 'hamming' };
const interp = (v: unknown): Interpolation | undefined => {
  if (typeof v === 'number') return PIL_CODES[v];
  if (typeof v !== 'string') return undefined;
  const s = v.toLowerCase().replace(/^interpolationmode\./, '');
  if (s === 'antialias') return 'lanczos';
  return (['nearest', 'box', 'bilinear', 'hamming', 'bicubic', 'lanczos'] as const).find((f) => f === s);
};

/** A size given as an int, [h, w], or {height, width}. */
function hw(v: unknown): { width: number; height: number } | undefined {
  if (posInt(v)) return { width: v as number, height: v as number };
  if (Array.isArray(v) && v.length === 2 && posInt(v[0]) && posInt(v[1])) return { height: v[0], width: v[1] };
  const o = v as Record<string, unknown> | undefined;
  if (o && typeof o === 'object' && posInt(o.height) && posInt(o.width)) return { height: o.height as number, width: o.width as number };
  return undefined;
}

/**
 * Hugging Face processors whose int `size` means the shortest edge (get_size_dict with
 * default_to_square=False); for the others (ViT, DeiT, BEiT, Swin, …) an int is a square.
 */
const SHORTEST_EDGE_PROCESSORS = /^(CLIP|ChineseCLIP|ConvNext|Bit|MobileNetV1|MobileNetV2|Levit|PoolFormer|EfficientFormer|Owlvit|MobileViT)(ImageProcessor|FeatureExtractor)/;

interface Found {
  resize?: ResizeRule | null;
  crop?: { width: number; height: number } | null;
  rescale?: number;
  normalize?: boolean;
  mean?: [number, number, number];
  std?: [number, number, number];
  interpolation?: Interpolation;
  rules: Rules;
}

function fromHuggingFace(hf: Record<string, unknown>, file: string): Found {
  const type = String(hf.image_processor_type ?? hf.feature_extractor_type ?? '');
  const sizeDict = hf.size as Record<string, unknown> | undefined;
  let resize: ResizeRule | null | undefined;
  let crop: { width: number; height: number } | null | undefined;
  const exact = hw(hf.size);
  if (posInt(hf.size) && SHORTEST_EDGE_PROCESSORS.test(type)) resize = { mode: 'shortest', edge: hf.size as number };
  else if (exact) resize = { mode: 'exact', ...exact };
  else if (sizeDict && typeof sizeDict === 'object' && posInt(sizeDict.shortest_edge)) {
    const edge = sizeDict.shortest_edge as number;
    const pct = typeof hf.crop_pct === 'number' && hf.crop_pct > 0 && hf.crop_pct <= 1 ? hf.crop_pct : undefined;
    if (pct !== undefined) {
      // ConvNeXt's processor: below 384, resize to edge / crop_pct and crop edge×edge; else squash to edge×edge.
      if (edge < 384) {
        resize = { mode: 'shortest', edge: Math.trunc(edge / pct) };
        crop = { width: edge, height: edge };
      } else resize = { mode: 'exact', width: edge, height: edge };
    } else resize = { mode: 'shortest', edge, ...(posInt(sizeDict.longest_edge) ? { maxLongest: sizeDict.longest_edge as number } : {}) };
  } else if (sizeDict && typeof sizeDict === 'object' && posInt(sizeDict.longest_edge)) resize = { mode: 'longest', edge: sizeDict.longest_edge as number };
  else if (hf.size !== undefined) throw new UserError(`${file}: "size" ${JSON.stringify(hf.size)} is not a form ViT Inspector reads ({height, width}, {shortest_edge}, {longest_edge} or an int).`);
  if (hf.do_resize === false) resize = null;
  if (crop === undefined) {
    const cropSize = hw(hf.crop_size);
    if (hf.crop_size !== undefined && !cropSize) throw new UserError(`${file}: "crop_size" ${JSON.stringify(hf.crop_size)} is not {height, width} or an int.`);
    // Old configs have no do_center_crop: a crop_size alone means crop.
    const doCrop = typeof hf.do_center_crop === 'boolean' ? hf.do_center_crop : cropSize !== undefined;
    if (doCrop && !cropSize) throw new UserError(`${file} says do_center_crop but has no crop_size.`);
    crop = doCrop ? cropSize! : null;
  } else if (hf.do_center_crop === false) crop = null;
  const factor = typeof hf.rescale_factor === 'number' && Number.isFinite(hf.rescale_factor) ? hf.rescale_factor : 1 / 255;
  return {
    resize,
    crop,
    rescale: hf.do_rescale === false ? 1 : factor,
    normalize: hf.do_normalize !== false,
    mean: triple(hf.image_mean),
    std: triple(hf.image_std),
    // ViTImageProcessor's default is bilinear.
    interpolation: interp(hf.resample) ?? 'bilinear',
    rules: 'huggingface',
  };
}

function fromTimm(timm: Record<string, unknown>): Found | undefined {
  const cfg = (timm.pretrained_cfg ?? timm) as Record<string, unknown>;
  if (!cfg || typeof cfg !== 'object' || !(cfg.input_size || cfg.mean || cfg.crop_pct)) return undefined;
  const size = Array.isArray(cfg.input_size) && cfg.input_size.length === 3 ? { height: posInt(cfg.input_size[1]), width: posInt(cfg.input_size[2]) } : undefined;
  const pct = typeof cfg.crop_pct === 'number' && cfg.crop_pct > 0 ? cfg.crop_pct : 0.875;
  let resize: ResizeRule | undefined;
  let crop: { width: number; height: number } | undefined;
  if (size?.height && size.width) {
    // timm's transforms_imagenet_eval: scale = floor(size / crop_pct), then CenterCrop(size).
    const sh = Math.floor(size.height / pct), sw = Math.floor(size.width / pct);
    if (cfg.crop_mode === 'squash') resize = { mode: 'exact', width: sw, height: sh };
    else if (sh === sw) resize = { mode: 'shortest', edge: sh };
    else throw new UserError(`config.json (timm): a non-square input_size ${size.height}×${size.width} with crop_mode "${String(cfg.crop_mode ?? 'center')}" is not supported.`);
    crop = { width: size.width, height: size.height };
  }
  return { resize, crop, mean: triple(cfg.mean), std: triple(cfg.std), interpolation: interp(cfg.interpolation), rules: 'torchvision' };
}

/** The project's own sidecar (tools/ writes it for torchvision exports): Resize(resize) + CenterCrop(crop). */
function fromSidecar(s: Record<string, unknown>): Found {
  const resize = posInt(s.resize) ?? posInt(s.imageSize);
  const crop = posInt(s.crop) ?? posInt(s.imageSize);
  return {
    resize: resize ? { mode: 'shortest', edge: resize } : undefined,
    crop: crop ? { width: crop, height: crop } : undefined,
    mean: triple(s.mean),
    std: triple(s.std),
    interpolation: interp(s.interpolation),
    rules: 'torchvision',
  };
}

/** The tensor size every image gets, or null when it depends on the image. */
function fixedSize(resize: ResizeRule | null, crop: { width: number; height: number } | null): [number, number] | null {
  if (crop) return [crop.height, crop.width];
  if (resize?.mode === 'exact') return [resize.height, resize.width];
  return null;
}

/**
 * The preprocessing for a model whose input is [N, C, size, size] (size null when dynamic).
 * Without a config: torchvision's ImageNet evaluation convention, shorter side size/0.875
 * (256 for 224), bicubic, centre crop.
 */
export function resolvePreprocessing(modelPath: string, inputSize: number | null, channels: 1 | 3, overrides: PreprocessingOverrides = {}): Preprocessing {
  const dir = dirname(modelPath);
  const stem = basename(modelPath).replace(/\.onnx$/i, '');
  let found: Found = { rules: 'torchvision' };
  let source = 'ImageNet defaults';
  const sidecar = readJson(join(dir, `${stem}.json`));
  const hfFile = sidecar ? undefined : findSidecar(modelPath, 'preprocessor_config.json');
  const hf = hfFile && readJson(hfFile.path);
  const timmFile = sidecar || hf ? undefined : findSidecar(modelPath, 'config.json');
  const timm = timmFile && readJson(timmFile.path);
  if (sidecar) {
    found = fromSidecar(sidecar);
    source = `${stem}.json`;
  } else if (hf) {
    found = fromHuggingFace(hf, hfFile!.source);
    source = hfFile!.source;
  } else if (timm) {
    const t = fromTimm(timm);
    if (t) {
      found = t;
      source = `${timmFile!.source} (timm)`;
    }
  }
  const configSize = fixedSize(found.resize ?? null, found.crop ?? null);
  const overridden = Object.entries(overrides).some(([, v]) => v !== undefined && v !== 'auto');
  if (inputSize !== null && configSize && (configSize[0] !== inputSize || configSize[1] !== inputSize) && overrides.crop === undefined)
    throw new UserError(
      `${source} makes ${configSize[1]}×${configSize[0]} inputs but the model takes ${inputSize}×${inputSize}; fix ${source} (or set vitInspector.preprocessing.crop to ${inputSize}).`,
    );
  let resize: ResizeRule | null;
  let crop: { width: number; height: number } | null;
  if (found.resize === undefined && found.crop === undefined) {
    // Nothing said about sizes: the ImageNet convention around the model's size.
    const side = overrides.crop ?? inputSize ?? 224;
    crop = { width: side, height: side };
    resize = { mode: 'shortest', edge: overrides.resize ?? Math.round(side / 0.875) };
  } else {
    resize = found.resize === undefined ? (found.crop ? { mode: 'shortest', edge: Math.round(found.crop.height / 0.875) } : null) : found.resize;
    crop = found.crop ?? null;
    if (overrides.resize !== undefined) resize = { mode: 'shortest', edge: overrides.resize };
    if (overrides.crop !== undefined) crop = { width: overrides.crop, height: overrides.crop };
    // The settings describe torchvision's resize-then-crop: a shorter side alone still ends at the model's size.
    else if (overrides.resize !== undefined && !crop && inputSize !== null) crop = { width: inputSize, height: inputSize };
  }
  const size = fixedSize(resize, crop);
  if (inputSize !== null && size && (size[0] !== inputSize || size[1] !== inputSize))
    throw new UserError(`The crop size ${size[1]}×${size[0]} does not match the model's input size ${inputSize}. Remove the vitInspector.preprocessing.crop override.`);
  const rescale = found.rescale ?? 1 / 255;
  const normalize = found.normalize ?? true;
  const mean = overrides.mean ?? found.mean ?? IMAGENET_MEAN;
  const std = overrides.std ?? found.std ?? IMAGENET_STD;
  if (normalize && std.some((s) => s === 0)) throw new UserError('A preprocessing std of 0 would divide by zero; fix the model config or the vitInspector.preprocessing.std setting.');
  const interpolation = overrides.interpolation && overrides.interpolation !== 'auto' ? overrides.interpolation : found.interpolation ?? 'bicubic';
  const p: Omit<Preprocessing, 'summary'> = {
    resize,
    crop,
    size,
    rescale,
    normalize,
    mean,
    std,
    interpolation,
    rules: found.rules,
    channels,
    source: overridden ? `${source} + settings` : source,
  };
  return { ...p, summary: describePreprocessing(p) };
}

const fmt = (v: number[]) => `[${v.map((x) => +x.toFixed(3)).join(', ')}]`;

/** "shorter side 256 (bicubic), centre crop 224×224, ×1/255, mean [...] std [...]". */
export function describePreprocessing(p: Omit<Preprocessing, 'summary'>): string {
  const parts: string[] = [];
  const r = p.resize;
  if (!r) parts.push('no resize');
  else if (r.mode === 'exact') parts.push(`resize to ${r.width}×${r.height} (${p.interpolation})`);
  else if (r.mode === 'shortest') parts.push(`shorter side ${r.edge}${r.maxLongest ? ` (longer ≤ ${r.maxLongest})` : ''} (${p.interpolation})`);
  else parts.push(`longer side ${r.edge} (${p.interpolation})`);
  if (p.crop) parts.push(`centre crop ${p.crop.width}×${p.crop.height}`);
  parts.push(Math.abs(p.rescale - 1 / 255) < 1e-12 ? '÷255' : `×${p.rescale}`);
  if (p.normalize) parts.push(`mean ${fmt(p.mean)} std ${fmt(p.std)}`);
  else parts.push('not normalised');
  if (p.channels === 1) parts.push('grey');
  return `${parts.join(', ')} — ${p.source}, ${p.rules === 'huggingface' ? 'Hugging Face' : 'torchvision'} rules`;
}

/** Python's round(): half to even (torchvision's CenterCrop uses it). */
function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** Width×height after the resize step for an image of w×h. */
export function resizedSize(rule: ResizeRule | null, w: number, h: number): [number, number] {
  if (!rule) return [w, h];
  if (rule.mode === 'exact') return [rule.width, rule.height];
  const short = Math.min(w, h), long = Math.max(w, h);
  let ns: number, nl: number;
  if (rule.mode === 'shortest') {
    // Python's int(size * long / short), same operation order, so the same double.
    ns = rule.edge;
    nl = Math.trunc((rule.edge * long) / short);
    if (rule.maxLongest !== undefined && nl > rule.maxLongest) {
      ns = Math.trunc((rule.maxLongest * ns) / nl);
      nl = rule.maxLongest;
    }
  } else {
    nl = rule.edge;
    ns = Math.trunc((rule.edge * short) / long);
  }
  ns = Math.max(1, ns);
  return w <= h ? [ns, nl] : [nl, ns];
}

/** Offset of the crop's top-left corner in the resized image (negative: the crop is padded). */
export function cropOffset(size: number, crop: number, rules: Rules): number {
  if (rules === 'huggingface') return Math.floor((size - crop) / 2);
  // torchvision pads (crop − size) // 2 on the left/top first, then crops at round(...) = 0.
  if (crop > size) return -Math.floor((crop - size) / 2);
  return roundHalfEven((size - crop) / 2);
}
