/**
 * Model configurations the analytic counter understands, and the published presets.
 * Field names follow the detected config (ArchConfig, `vit-inspect arch --json`) so one can be passed as is.
 */
import { UserError, checkPositiveInt } from '../errors';

import type { TransformerFamily } from '../terms';

export interface ModelConfig {
  family: TransformerFamily;
  /** Input side, or [height, width]. */
  imageSize: number | readonly [number, number];
  patchSize: number;
  /** Image channels; 3. */
  inChans?: number;
  /** C of the first stage (ViT: the width). Swin doubles it at each patch merging. */
  embedDim: number;
  /** Blocks per stage; ViT has one stage: [depth]. */
  depths: readonly number[];
  /** Heads per stage. */
  heads: readonly number[];
  /** MLP hidden = ⌊C·mlpRatio⌋; 4. */
  mlpRatio?: number;
  /** Swin window M; null/absent for ViT. */
  windowSize?: number | null;
  /** Classes of the head; 1000. 0 = no head. */
  numClasses?: number;
  /** ViT tokens besides the patches (class, distillation, registers); 1 for ViT, ignored for Swin. */
  extraTokens?: number;
  /** Bias on the qkv projection; true (params only: the papers' MACs ignore biases). */
  qkvBias?: boolean;
  /** Swin: LayerNorm after the patch embedding; true. */
  patchNorm?: boolean;
  /** Swin: absolute position embedding (the official `ape`); false. */
  absPosEmbed?: boolean;
}

/** A config with every default filled in and every size checked. */
export interface ResolvedConfig {
  family: TransformerFamily;
  imageSize: [number, number];
  patchSize: number;
  inChans: number;
  embedDim: number;
  depths: number[];
  heads: number[];
  mlpRatio: number;
  windowSize: number | null;
  numClasses: number;
  extraTokens: number;
  qkvBias: boolean;
  patchNorm: boolean;
  absPosEmbed: boolean;
}

/** Above this many tokens the numbers stop meaning anything (and (hw)² leaves float range). */
export const MAX_TOKENS = 1e8;

function nonNegInt(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new UserError(`${what} must be a whole number ≥ 0, got ${String(value)}.`);
  }
  return value;
}

/** Fills defaults and checks a config; bad values are UserErrors that say what to fix. */
export function resolveConfig(cfg: ModelConfig): ResolvedConfig {
  if (cfg.family !== 'vit' && cfg.family !== 'swin') {
    throw new UserError(`Unknown model family "${String(cfg.family)}"; use "vit" or "swin".`);
  }
  const size = typeof cfg.imageSize === 'number' ? [cfg.imageSize, cfg.imageSize] : cfg.imageSize;
  if (!Array.isArray(size) || size.length !== 2) throw new UserError('imageSize must be a number or [height, width].');
  const imageSize: [number, number] = [checkPositiveInt(size[0], 'Image height'), checkPositiveInt(size[1], 'Image width')];
  const patchSize = checkPositiveInt(cfg.patchSize, 'Patch size');
  if (imageSize[0] < patchSize || imageSize[1] < patchSize) {
    throw new UserError(`The image (${imageSize[0]}×${imageSize[1]}) is smaller than one ${patchSize}×${patchSize} patch; use a larger image.`);
  }
  const gh = Math.floor(imageSize[0] / patchSize);
  const gw = Math.floor(imageSize[1] / patchSize);
  if (gh * gw > MAX_TOKENS) {
    throw new UserError(`${gh}×${gw} = ${gh * gw} patch tokens is more than ${MAX_TOKENS}; use a smaller image or a larger patch.`);
  }
  const embedDim = checkPositiveInt(cfg.embedDim, 'Embedding dim');
  const depths = [...(cfg.depths ?? [])].map((d, i) => checkPositiveInt(d, `Depth of stage ${i + 1}`));
  const heads = [...(cfg.heads ?? [])].map((h, i) => checkPositiveInt(h, `Heads of stage ${i + 1}`));
  if (depths.length === 0) throw new UserError('depths must list at least one stage.');
  if (heads.length !== depths.length) {
    throw new UserError(`depths has ${depths.length} stage(s) but heads has ${heads.length}; give one head count per stage.`);
  }
  if (cfg.family === 'vit' && depths.length !== 1) {
    throw new UserError(`A ViT has one stage; give depths as [${depths.reduce((a, b) => a + b, 0)}] and heads as [${heads[0]}].`);
  }
  heads.forEach((h, i) => {
    const dim = cfg.family === 'swin' ? embedDim * 2 ** i : embedDim;
    if (dim % h !== 0) throw new UserError(`Stage ${i + 1} has dim ${dim}, which ${h} heads do not divide; pick a head count that divides it.`);
  });
  const mlpRatio = cfg.mlpRatio ?? 4;
  if (typeof mlpRatio !== 'number' || !(mlpRatio > 0) || !Number.isFinite(mlpRatio)) {
    throw new UserError(`mlpRatio must be a positive number, got ${String(mlpRatio)}.`);
  }
  let windowSize: number | null = null;
  if (cfg.family === 'swin') {
    if (cfg.windowSize == null) throw new UserError('A Swin config needs windowSize (7 for the 224² models, 12 for 384²).');
    windowSize = checkPositiveInt(cfg.windowSize, 'Window size');
  }
  return {
    family: cfg.family,
    imageSize,
    patchSize,
    inChans: checkPositiveInt(cfg.inChans ?? 3, 'Input channels'),
    embedDim,
    depths,
    heads,
    mlpRatio,
    windowSize,
    numClasses: nonNegInt(cfg.numClasses ?? 1000, 'numClasses'),
    extraTokens: cfg.family === 'vit' ? nonNegInt(cfg.extraTokens ?? 1, 'extraTokens') : 0,
    qkvBias: cfg.qkvBias ?? true,
    patchNorm: cfg.patchNorm ?? true,
    absPosEmbed: cfg.absPosEmbed ?? false,
  };
}

const swin = (embedDim: number, depths: number[], heads: number[]): ModelConfig => ({
  family: 'swin', imageSize: 224, patchSize: 4, embedDim, depths, heads, windowSize: 7,
});
const vit = (patchSize: number, embedDim: number, depth: number, heads: number): ModelConfig => ({
  family: 'vit', imageSize: 224, patchSize, embedDim, depths: [depth], heads: [heads], extraTokens: 1,
});

/** The published models at 224² (Swin: window 7). DeiT here is without the distillation token. */
export const PRESETS = {
  'swin-t': swin(96, [2, 2, 6, 2], [3, 6, 12, 24]),
  'swin-s': swin(96, [2, 2, 18, 2], [3, 6, 12, 24]),
  'swin-b': swin(128, [2, 2, 18, 2], [4, 8, 16, 32]),
  'swin-l': swin(192, [2, 2, 18, 2], [6, 12, 24, 48]),
  'vit-b/16': vit(16, 768, 12, 12),
  'vit-l/16': vit(16, 1024, 24, 16),
  'vit-b/32': vit(32, 768, 12, 12),
  'deit-t': vit(16, 192, 12, 3),
  'deit-s': vit(16, 384, 12, 6),
  'deit-b': vit(16, 768, 12, 12),
} as const satisfies Record<string, ModelConfig>;

export type PresetName = keyof typeof PRESETS;
export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];

/** A preset, optionally at another input size and (Swin) window: preset('swin-b', {imageSize: 384, windowSize: 12}). */
export function preset(name: string, override: { imageSize?: number; windowSize?: number } = {}): ModelConfig {
  const base = (PRESETS as Record<string, ModelConfig>)[name.toLowerCase()];
  if (!base) throw new UserError(`Unknown preset "${name}"; use one of ${PRESET_NAMES.join(', ')}.`);
  if (override.windowSize !== undefined && base.family !== 'swin') {
    throw new UserError(`${name} is a ViT: it has global attention and no window size; drop --window.`);
  }
  return {
    ...base,
    ...(override.imageSize !== undefined ? { imageSize: override.imageSize } : {}),
    ...(override.windowSize !== undefined ? { windowSize: override.windowSize } : {}),
  };
}
