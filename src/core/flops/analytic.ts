/**
 * MACs of a ViT or Swin from its config, term by term as the papers count.
 *
 * Swin follows the official SwinTransformer.flops() (microsoft/Swin-Transformer) exactly:
 *  - patch embedding: Ho·Wo·C·inC·p², plus Ho·Wo·C for its LayerNorm;
 *  - per block: 2·hwC for norm1 and norm2 (one MAC per element), nW·WindowAttention.flops(M²)
 *    for (S)W-MSA — SW-MSA costs the same as W-MSA —, 2·hw·C·(rC) for the MLP;
 *  - window clipped to min(h, w) when the map is no larger than it (and no shift then);
 *  - patch merging: hwC for its norm + (h/2)(w/2)·4C·2C for the reduction;
 *  - final norm counted as numFeatures·(H0·W0 // 2^stages) (the official term, which is 4× the
 *    49·768 a Swin-T's final norm really costs; we keep it to match the published totals);
 *  - head: numFeatures·numClasses. Biases, softmax, GELU, adds, the mask and bias adds: not counted.
 *  Where h or w is not a multiple of M, nW = ⌈h/M⌉⌈w/M⌉ over the padded map (the official
 *  classification code's float hw/M² only differs there, where it could not run anyway).
 *
 * ViT/DeiT use the same conventions: patch embedding conv, per block qkv 3NC², QKᵀ N²C, A·V
 * N²C, proj NC², MLP 2NC·rC, norms N·C each, final norm, head C·numClasses, with N = hw +
 * extra tokens (class token). The papers' 17.6G (ViT-B/16), 61.6G (ViT-L/16) and 4.6G (DeiT-S)
 * are these linear layers + attention matmuls; norms change them by < 0.03%.
 */
import { type ModelConfig, type ResolvedConfig, resolveConfig } from './config';
import { type AttentionTerms, attentionTerms, msaTerms, omegaMsa, omegaWmsa, sumTerms, wmsaTerms } from './complexity';
import { paramCount } from './params';
import { effectiveWindow } from '../swin/window';

import { type ByRole, ROLES } from '../terms';

export interface StageCost {
  name: string;
  /** Token grid [h, w] of the stage (ViT: the patch grid; extra tokens are not in it). */
  tokens: [number, number];
  dim: number;
  /** Window the blocks use after Swin's clipping; null for ViT (global attention). */
  window: number | null;
  heads: number;
  depth: number;
  /** Ω(MSA) = 4hwC² + 2(hw)²C for one block (ViT: with N = hw + extra tokens in place of hw). */
  msaMacs: number;
  /** Ω(W-MSA) = 4hwC² + 2M²hwC for one block, on the padded map; null for ViT. */
  wmsaMacs: number | null;
  /** msaMacs / wmsaMacs: how much the windows save; null for ViT. */
  ratio: number | null;
  /** Share of one block's MACs (norms + attention + MLP, as the model runs) in QKᵀ and A·V. */
  quadraticFraction: number;
  /** The same share if the block used global MSA. */
  msaQuadraticFraction: number;
  /** MACs of the stage: its blocks and the patch merging after it. */
  macs: number;
}

export interface FlopsReport {
  family: 'vit' | 'swin';
  /** Multiply-accumulates: the papers' "FLOPs". */
  macs: number;
  /** 2 × macs. */
  flops: number;
  params: number;
  byRole: ByRole;
  stages: StageCost[];
}

export interface CountOptions {
  /** 'global': every Swin block uses MSA over its whole map (the baseline of a window sweep). */
  attention?: 'window' | 'global';
}

const zeroRoles = (): ByRole => ({ patchEmbed: 0, qkv: 0, attnScores: 0, attnValues: 0, attnProj: 0, mlp: 0, norm: 0, merge: 0, head: 0, other: 0 });

const total = (r: ByRole): number => ROLES.reduce((s, k) => s + r[k], 0);

function addAttention(r: ByRole, t: AttentionTerms, times: number): void {
  r.qkv += times * t.qkv;
  r.attnScores += times * t.attnScores;
  r.attnValues += times * t.attnValues;
  r.attnProj += times * t.attnProj;
}

/** The MLP: fc1 C→⌊rC⌋ and fc2 back, over `tokens` tokens. */
export const mlpMacs = (tokens: number, C: number, mlpRatio: number): number => 2 * tokens * C * Math.floor(C * mlpRatio);

/** Patch embedding conv (kernel = stride = p): one C·inC·p² dot product per patch. */
export const patchEmbedMacs = (gh: number, gw: number, C: number, inChans: number, p: number): number => gh * gw * C * inChans * p * p;

/** Patch merging: 2×2 neighbours concatenated (4C) and reduced to 2C. */
export const mergeMacs = (h: number, w: number, C: number): number => Math.floor(h / 2) * Math.floor(w / 2) * 4 * C * 2 * C;

function stageShares(attn: AttentionTerms, rest: number): number {
  return (attn.attnScores + attn.attnValues) / (sumTerms(attn) + rest);
}

function countSwin(c: ResolvedConfig, attention: 'window' | 'global'): Omit<FlopsReport, 'params'> {
  const r = zeroRoles();
  const gh = Math.floor(c.imageSize[0] / c.patchSize);
  const gw = Math.floor(c.imageSize[1] / c.patchSize);
  const C0 = c.embedDim;
  r.patchEmbed += patchEmbedMacs(gh, gw, C0, c.inChans, c.patchSize);
  if (c.patchNorm) r.norm += gh * gw * C0;
  const L = c.depths.length;
  const stages: StageCost[] = [];
  for (let i = 0; i < L; i++) {
    const h = Math.floor(gh / 2 ** i);
    const w = Math.floor(gw / 2 ** i);
    const C = C0 * 2 ** i;
    const depth = c.depths[i];
    const M = effectiveWindow(h, w, c.windowSize as number);
    const win = wmsaTerms(h, w, C, M);
    const glob = msaTerms(h, w, C);
    const used = attention === 'global' ? glob : win;
    const norms = 2 * h * w * C;
    const mlp = mlpMacs(h * w, C, c.mlpRatio);
    addAttention(r, used, depth);
    r.norm += depth * norms;
    r.mlp += depth * mlp;
    let stageMacs = depth * (sumTerms(used) + norms + mlp);
    if (i < L - 1) {
      r.norm += h * w * C;
      r.merge += mergeMacs(h, w, C);
      stageMacs += h * w * C + mergeMacs(h, w, C);
    }
    const msa = omegaMsa(h, w, C);
    const wmsa = omegaWmsa(h, w, C, M);
    stages.push({
      name: `stage${i + 1}`, tokens: [h, w], dim: C, window: attention === 'global' ? null : M, heads: c.heads[i], depth,
      msaMacs: msa, wmsaMacs: wmsa, ratio: msa / wmsa,
      quadraticFraction: stageShares(used, norms + mlp),
      msaQuadraticFraction: stageShares(glob, norms + mlp),
      macs: stageMacs,
    });
  }
  const numFeatures = C0 * 2 ** (L - 1);
  // The official final-norm term: num_features · H0·W0 // 2^num_layers.
  r.norm += Math.floor((numFeatures * gh * gw) / 2 ** L);
  r.head += numFeatures * c.numClasses;
  const macs = total(r);
  return { family: 'swin', macs, flops: 2 * macs, byRole: r, stages };
}

function countVit(c: ResolvedConfig): Omit<FlopsReport, 'params'> {
  const r = zeroRoles();
  const gh = Math.floor(c.imageSize[0] / c.patchSize);
  const gw = Math.floor(c.imageSize[1] / c.patchSize);
  const C = c.embedDim;
  const N = gh * gw + c.extraTokens;
  const depth = c.depths[0];
  r.patchEmbed += patchEmbedMacs(gh, gw, C, c.inChans, c.patchSize);
  const attn = attentionTerms(N, C);
  const norms = 2 * N * C;
  const mlp = mlpMacs(N, C, c.mlpRatio);
  addAttention(r, attn, depth);
  r.norm += depth * norms + N * C; // two per block + the final norm (over all tokens, as timm and torchvision do)
  r.mlp += depth * mlp;
  r.head += C * c.numClasses; // the class token only
  const msa = sumTerms(attn);
  const frac = stageShares(attn, norms + mlp);
  const stages: StageCost[] = [{
    name: 'encoder', tokens: [gh, gw], dim: C, window: null, heads: c.heads[0], depth,
    msaMacs: msa, wmsaMacs: null, ratio: null, quadraticFraction: frac, msaQuadraticFraction: frac,
    macs: depth * (msa + norms + mlp),
  }];
  const macs = total(r);
  return { family: 'vit', macs, flops: 2 * macs, byRole: r, stages };
}

/** MACs, FLOPs (= 2·MACs), params, MACs by role, and the per-stage MSA/W-MSA comparison. */
export function analyticFlops(config: ModelConfig, options: CountOptions = {}): FlopsReport {
  const c = resolveConfig(config);
  const counted = c.family === 'swin' ? countSwin(c, options.attention ?? 'window') : countVit(c);
  return { ...counted, params: paramCount(c) };
}
