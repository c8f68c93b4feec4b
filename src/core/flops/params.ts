/**
 * Parameter counts from a config, module by module as the official Swin and torchvision ViT
 * build them (trainable parameters only: relative_position_index and attn_mask are buffers).
 */
import { type ModelConfig, type ResolvedConfig, resolveConfig } from './config';
import { effectiveWindow } from '../swin/window';

const linear = (inF: number, outF: number, bias = true): number => inF * outF + (bias ? outF : 0);
const layerNorm = (C: number): number => 2 * C;

/** Attention of one block: qkv, proj, and (Swin) the (2M−1)² × heads relative position bias table. */
function attentionParams(C: number, qkvBias: boolean, biasTable: number): number {
  return linear(C, 3 * C, qkvBias) + linear(C, C) + biasTable;
}

/** norm1, attention, norm2, MLP C→⌊rC⌋→C. */
function blockParams(C: number, mlpRatio: number, qkvBias: boolean, biasTable: number): number {
  const hidden = Math.floor(C * mlpRatio);
  return layerNorm(C) + attentionParams(C, qkvBias, biasTable) + layerNorm(C) + linear(C, hidden) + linear(hidden, C);
}

function swinParams(c: ResolvedConfig): number {
  const gh = Math.floor(c.imageSize[0] / c.patchSize);
  const gw = Math.floor(c.imageSize[1] / c.patchSize);
  const C0 = c.embedDim;
  let n = linear(c.inChans * c.patchSize * c.patchSize, C0) + (c.patchNorm ? layerNorm(C0) : 0);
  if (c.absPosEmbed) n += gh * gw * C0;
  const L = c.depths.length;
  for (let i = 0; i < L; i++) {
    const C = C0 * 2 ** i;
    // The table is sized by the clipped window, as SwinTransformerBlock builds its WindowAttention.
    const M = effectiveWindow(Math.floor(gh / 2 ** i), Math.floor(gw / 2 ** i), c.windowSize as number);
    n += c.depths[i] * blockParams(C, c.mlpRatio, c.qkvBias, (2 * M - 1) ** 2 * c.heads[i]);
    if (i < L - 1) n += layerNorm(4 * C) + linear(4 * C, 2 * C, false); // patch merging
  }
  const numFeatures = C0 * 2 ** (L - 1);
  return n + layerNorm(numFeatures) + (c.numClasses > 0 ? linear(numFeatures, c.numClasses) : 0);
}

function vitParams(c: ResolvedConfig): number {
  const gh = Math.floor(c.imageSize[0] / c.patchSize);
  const gw = Math.floor(c.imageSize[1] / c.patchSize);
  const C = c.embedDim;
  const N = gh * gw + c.extraTokens;
  let n = linear(c.inChans * c.patchSize * c.patchSize, C); // conv_proj
  n += c.extraTokens * C; // class (and distillation) token
  n += N * C; // position embedding over every token
  n += c.depths[0] * blockParams(C, c.mlpRatio, c.qkvBias, 0);
  return n + layerNorm(C) + (c.numClasses > 0 ? linear(C, c.numClasses) : 0);
}

export function paramCount(config: ModelConfig | ResolvedConfig): number {
  const c = resolveConfig(config);
  return c.family === 'swin' ? swinParams(c) : vitParams(c);
}
