/**
 * The attention cost terms of the Swin paper (eqs. 1 and 2), in MACs, split the way the
 * official WindowAttention.flops(N) counts them. Softmax, scaling, the bias and mask adds are
 * not counted there, so they are not counted here.
 */
import { padToWindow } from '../swin/window';

export interface AttentionTerms {
  /** x·W_qkv: 3NC². */
  qkv: number;
  /** Q·Kᵀ over all heads: heads·N·(C/heads)·N = N²C. */
  attnScores: number;
  /** A·V over all heads: N²C. */
  attnValues: number;
  /** Output projection: NC². */
  attnProj: number;
}

export const sumTerms = (t: AttentionTerms): number => t.qkv + t.attnScores + t.attnValues + t.attnProj;

/** One attention over N tokens of width C (WindowAttention.flops(N)). */
export function attentionTerms(N: number, C: number): AttentionTerms {
  return { qkv: 3 * N * C * C, attnScores: N * N * C, attnValues: N * N * C, attnProj: N * C * C };
}

/** Global MSA on an h×w map: one attention over all hw tokens. */
export function msaTerms(h: number, w: number, C: number): AttentionTerms {
  return attentionTerms(h * w, C);
}

/**
 * W-MSA on an h×w map with M×M windows: nW attentions over M² tokens, nW = ⌈h/M⌉⌈w/M⌉ on the
 * padded map (padded tokens go through qkv and proj too, as in Swin's F.pad before attention).
 * SW-MSA costs the same: the cyclic shift keeps the window count.
 */
export function wmsaTerms(h: number, w: number, C: number, M: number): AttentionTerms {
  const { Hp, Wp } = padToWindow(h, w, M);
  const nW = (Hp / M) * (Wp / M);
  const t = attentionTerms(M * M, C);
  return { qkv: nW * t.qkv, attnScores: nW * t.attnScores, attnValues: nW * t.attnValues, attnProj: nW * t.attnProj };
}

/** Ω(MSA) = 4hwC² + 2(hw)²C. */
export function omegaMsa(h: number, w: number, C: number): number {
  return 4 * h * w * C * C + 2 * (h * w) ** 2 * C;
}

/** Ω(W-MSA) = 4hwC² + 2M²hwC, with h, w rounded up to multiples of M as Swin pads them. */
export function omegaWmsa(h: number, w: number, C: number, M: number): number {
  const { Hp, Wp } = padToWindow(h, w, M);
  return 4 * Hp * Wp * C * C + 2 * M * M * Hp * Wp * C;
}
