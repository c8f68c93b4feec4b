/**
 * How an image becomes the model's input tensor: which size, crop, mean/std and
 * interpolation. Read from a Hugging Face preprocessor_config.json, a timm-style
 * config, or a `<model>.json` sidecar beside the model; ImageNet defaults otherwise.
 * User settings override any field.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { UserError } from '../errors';

export type Interpolation = 'bilinear' | 'bicubic' | 'nearest';

export interface Preprocessing {
  /** Shorter image side is resized to this before the crop. */
  resize: number;
  /** Centre crop (square) = the model's input size. */
  crop: number;
  mean: [number, number, number];
  std: [number, number, number];
  interpolation: Interpolation;
  channels: 1 | 3;
  /** Where these values came from, said in the panel. */
  source: string;
}

export const IMAGENET_MEAN: [number, number, number] = [0.485, 0.456, 0.406];
export const IMAGENET_STD: [number, number, number] = [0.229, 0.224, 0.225];

export type PreprocessingOverrides = Partial<Pick<Preprocessing, 'resize' | 'crop' | 'mean' | 'std'>> & { interpolation?: Interpolation | 'auto' };

function readJson(path: string): Record<string, unknown> | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new UserError(`${basename(path)} beside the model is not valid JSON (${(e as Error).message}). Fix or remove it.`);
  }
}

const triple = (v: unknown): [number, number, number] | undefined => {
  if (Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'number' && Number.isFinite(x))) return v as [number, number, number];
  if (Array.isArray(v) && v.length === 1 && typeof v[0] === 'number') return [v[0], v[0], v[0]];
  return undefined;
};
const posInt = (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined);
const interp = (v: unknown): Interpolation | undefined => {
  if (v === 'bilinear' || v === 'bicubic' || v === 'nearest') return v;
  // Hugging Face stores PIL resample codes: 0 nearest, 2 bilinear, 3 bicubic.
  if (v === 0) return 'nearest';
  if (v === 2) return 'bilinear';
  if (v === 3) return 'bicubic';
  return undefined;
};

/**
 * The preprocessing for a model whose input is [N, C, size, size] (size null when dynamic).
 * ImageNet convention without a config: resize to size/0.875 (256 for 224), bicubic.
 */
export function resolvePreprocessing(modelPath: string, inputSize: number | null, channels: 1 | 3, overrides: PreprocessingOverrides = {}): Preprocessing {
  const dir = dirname(modelPath);
  const stem = basename(modelPath).replace(/\.onnx$/i, '');
  let found: Partial<Preprocessing> = {};
  let source = 'ImageNet defaults';
  const sidecar = readJson(join(dir, `${stem}.json`));
  const hf = readJson(join(dir, 'preprocessor_config.json'));
  const timm = readJson(join(dir, 'config.json'));
  if (sidecar) {
    found = {
      resize: posInt(sidecar.resize) ?? posInt(sidecar.imageSize),
      crop: posInt(sidecar.crop) ?? posInt(sidecar.imageSize),
      mean: triple(sidecar.mean),
      std: triple(sidecar.std),
      interpolation: interp(sidecar.interpolation),
    };
    source = `${stem}.json`;
  } else if (hf) {
    const size = hf.size as Record<string, number> | number | undefined;
    const shortest = typeof size === 'number' ? size : size?.shortest_edge ?? size?.height;
    const crop = hf.crop_size as Record<string, number> | number | undefined;
    const cropSize = typeof crop === 'number' ? crop : crop?.height;
    found = {
      resize: posInt(shortest),
      crop: hf.do_center_crop === false ? posInt(shortest) : posInt(cropSize) ?? posInt(shortest),
      mean: triple(hf.image_mean),
      std: triple(hf.image_std),
      interpolation: interp(hf.resample),
    };
    source = 'preprocessor_config.json';
  } else if (timm && (timm.pretrained_cfg || timm.input_size || timm.mean)) {
    const cfg = (timm.pretrained_cfg ?? timm) as Record<string, unknown>;
    const size = Array.isArray(cfg.input_size) ? posInt(cfg.input_size[2]) : undefined;
    const pct = typeof cfg.crop_pct === 'number' ? cfg.crop_pct : 0.875;
    found = {
      crop: size,
      resize: size ? Math.floor(size / pct) : undefined,
      mean: triple(cfg.mean),
      std: triple(cfg.std),
      interpolation: interp(cfg.interpolation),
    };
    source = 'config.json (timm)';
  }
  if (inputSize !== null && found.crop !== undefined && found.crop !== inputSize && overrides.crop === undefined)
    throw new UserError(`${source} says the crop is ${found.crop} but the model takes ${inputSize}×${inputSize}; fix ${source} (or set vitInspector.preprocessing.crop to ${inputSize}).`);
  const crop = overrides.crop ?? inputSize ?? found.crop ?? 224;
  if (inputSize !== null && crop !== inputSize)
    throw new UserError(`The crop size ${crop} does not match the model's input size ${inputSize}. Remove the vitInspector.preprocessing.crop override.`);
  const resize = overrides.resize ?? found.resize ?? Math.round(crop / 0.875);
  if (resize < crop) throw new UserError(`Resize (${resize}) is smaller than the crop (${crop}); set vitInspector.preprocessing.resize to at least ${crop}.`);
  const p: Preprocessing = {
    resize,
    crop,
    mean: overrides.mean ?? found.mean ?? IMAGENET_MEAN,
    std: overrides.std ?? found.std ?? IMAGENET_STD,
    interpolation: overrides.interpolation && overrides.interpolation !== 'auto' ? overrides.interpolation : found.interpolation ?? 'bicubic',
    channels,
    source: Object.keys(overrides).some((k) => (overrides as Record<string, unknown>)[k] !== undefined && (overrides as Record<string, unknown>)[k] !== 'auto') ? `${source} + settings` : source,
  };
  if (p.std.some((s) => s === 0)) throw new UserError('A preprocessing std of 0 would divide by zero; fix the model config or the vitInspector.preprocessing.std setting.');
  return p;
}
