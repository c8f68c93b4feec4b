/**
 * One attention layer synthesised as an ONNX graph, computed the way the Swin code computes it,
 * so it can be timed on an execution provider and the measured time set against its MACs:
 *
 *   global MSA (window null): x [1, hw, C] → qkv Linear → heads → (q·scale)·kᵀ → Softmax → ·v → merge → proj
 *   W-MSA (window M):         x → [1, h, w, C] → pad bottom/right to multiples of M → window_partition
 *                             → the same attention per window, + relative position bias [heads, M², M²]
 *                             → window_reverse → crop → [1, hw, C]
 *   SW-MSA (shifted):         as W-MSA, with a cyclic shift by −s before the partition (torch.roll),
 *                             the attention mask [nW, 1, M², M²] (−100 between regions) added to the
 *                             scores, and the shift by +s after the reverse. s = ⌊M/2⌋ (0 when the
 *                             window covers the map, as the official code does).
 *
 * Only the attention itself: no LayerNorm, residual or MLP. Its MatMul MACs are exactly
 * Ω(MSA) = 4hwC² + 2(hw)²C, or Ω(W-MSA) = 4HpWpC² + 2M²HpWpC on the padded Hp×Wp map.
 * Weights are uniform in ±1/√C like torch's Linear init, from a fixed seed: the same parameters
 * always give the same model.
 */
import { UserError, checkPositiveInt } from '../errors';
import { GraphBuilder } from '../onnx/builder';
import type { OnnxModel } from '../onnx/model';
import { DataType } from '../onnx/proto';
import { attentionMask } from '../swin/mask';
import { relativePositionIndex } from '../swin/relpos';
import { padToWindow, shiftSize } from '../swin/window';
import { MAX_TOKENS } from './config';
import { checkWindows } from './sweep';
import { mulberry32 as rng } from '../random';

export interface AttentionLayerParams {
  h: number;
  w: number;
  dim: number;
  heads: number;
  /** Window side M; null for global MSA. */
  window: number | null;
  /** SW-MSA: cyclic shift by ⌊M/2⌋ and the attention mask. Ignored for global MSA. */
  shifted: boolean;
  /** Seed of the weights (default 1). */
  seed?: number;
  /** Refuse layers whose estimated peak memory is above this many bytes (default 2 GB). */
  maxBytes?: number;
}

export interface AttentionLayerWeights {
  /** qkv Linear: [C, 3C] (x·W, i.e. torch's weight transposed) and bias [3C]. */
  qkvWeight: Float32Array;
  qkvBias: Float32Array;
  /** Output projection: [C, C] and bias [C]. */
  projWeight: Float32Array;
  projBias: Float32Array;
  /** Relative position bias gathered to [heads, M², M²] (W-MSA/SW-MSA), else null. */
  positionBias: Float32Array | null;
  /** Attention mask [nW, M², M²] (SW-MSA with a shift > 0), else null. */
  mask: Float32Array | null;
}

export interface AttentionLayerGeometry {
  h: number;
  w: number;
  dim: number;
  heads: number;
  headDim: number;
  window: number | null;
  shift: number;
  /** The map the attention runs on: padded to multiples of M (h, w for global MSA). */
  padded: [number, number];
  numWindows: number;
  /** Tokens per attention: M², or hw for global MSA. */
  tokens: number;
}

export interface AttentionLayer {
  model: OnnxModel;
  weights: AttentionLayerWeights;
  geometry: AttentionLayerGeometry;
  /** MatMul MACs of the graph (= Ω(MSA) or Ω(W-MSA) on the padded map). */
  macs: number;
  /** The estimate the memory guard used, bytes. */
  peakBytes: number;
}

/**
 * Default memory limit for building and timing one synthesised layer: 2 GiB (not the limit on
 * captured attention maps, core/attention/capture.ts's DEFAULT_MAX_ATTENTION_BYTES).
 */
export const DEFAULT_MAX_LAYER_BYTES = 2 * 1024 ** 3;

/** Checks the parameters and works out the geometry (no allocation: safe on absurd sizes). */
export function attentionLayerGeometry(p: Pick<AttentionLayerParams, 'h' | 'w' | 'dim' | 'heads' | 'window' | 'shifted'>): AttentionLayerGeometry {
  for (const [v, what] of [[p.h, 'Height h'], [p.w, 'Width w'], [p.dim, 'Channels C'], [p.heads, 'Heads']] as const) checkPositiveInt(v, what);
  const { h, w, dim, heads } = p;
  if (h * w > MAX_TOKENS) throw new UserError(`${h}×${w} = ${h * w} tokens is more than ${MAX_TOKENS}; use a smaller map.`);
  if (dim % heads !== 0) throw new UserError(`Dim ${dim} is not divisible by ${heads} heads; pick a head count that divides it.`);
  const headDim = dim / heads;
  if (p.window === null || p.window === undefined) {
    return { h, w, dim, heads, headDim, window: null, shift: 0, padded: [h, w], numWindows: 1, tokens: h * w };
  }
  const [M] = checkWindows([p.window], h, w);
  const { Hp, Wp } = padToWindow(h, w, M);
  const shift = p.shifted ? shiftSize(h, w, M) : 0;
  return { h, w, dim, heads, headDim, window: M, shift, padded: [Hp, Wp], numWindows: (Hp / M) * (Wp / M), tokens: M * M };
}

/** MatMul MACs of the synthesised layer: nW·(4NC² + 2N²C) = Ω(MSA), or Ω(W-MSA) on the padded map. */
export function attentionLayerMacs(p: Pick<AttentionLayerParams, 'h' | 'w' | 'dim' | 'heads' | 'window'> & { shifted?: boolean }): number {
  const g = attentionLayerGeometry({ ...p, shifted: p.shifted ?? false });
  const N = g.tokens;
  const C = g.dim;
  // qkv 3NC², q·kᵀ heads·N·N·d = N²C, attn·v N²C, proj NC²; per window.
  return g.numWindows * (4 * N * C * C + 2 * N * N * C);
}

/**
 * Peak memory estimate, bytes: the weights (held by the builder, the serialised bytes and the
 * runtime: ×3), the token activations (≈12 copies of nW·N·C: padding, shift, partition, qkv and its
 * transpose, q, k, v, the merged heads, proj, reverse), and the score tensor [nW, heads, N, N]
 * three times (scores, scores + bias/mask, Softmax).
 */
export function attentionLayerPeakBytes(g: AttentionLayerGeometry): number {
  const N = g.tokens;
  const C = g.dim;
  const T = g.numWindows * N;
  const weights = 4 * C * C + 4 * C + (g.window === null ? 0 : g.heads * N * N) + (g.shift > 0 ? g.numWindows * N * N : 0);
  const activations = g.h * g.w * C + 12 * T * C + 3 * g.numWindows * g.heads * N * N;
  return 4 * (3 * weights + activations);
}

function gb(bytes: number): string {
  const x = bytes / 1024 ** 3;
  if (x < 10) return x.toFixed(1);
  return Number(x.toPrecision(2)).toLocaleString('en-US');
}

/** Throws a UserError when the layer would need more than `maxBytes` (default 2 GB). */
export function checkAttentionMemory(g: AttentionLayerGeometry, maxBytes = DEFAULT_MAX_LAYER_BYTES): number {
  const bytes = attentionLayerPeakBytes(g);
  if (!(bytes <= maxBytes)) {
    const what = g.window === null ? 'A global MSA layer' : `A${g.shift > 0 ? 'n SW-MSA' : ' W-MSA'} layer with ${g.window}×${g.window} windows`;
    throw new UserError(
      `${what} on a ${g.h}×${g.w} map (C ${g.dim}, ${g.heads} heads) would need about ${gb(bytes)} GB; pick a smaller map or window (the limit is ${gb(maxBytes)} GB).`,
    );
  }
  return bytes;
}

function uniform(n: number, bound: number, next: () => number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (2 * next() - 1) * bound;
  return out;
}

/** The layer's weights for these parameters and seed (what the graph holds as initializers). */
export function attentionLayerWeights(g: AttentionLayerGeometry, seed = 1): AttentionLayerWeights {
  const next = rng(seed);
  const C = g.dim;
  const bound = 1 / Math.sqrt(C);
  const qkvWeight = uniform(C * 3 * C, bound, next);
  const qkvBias = uniform(3 * C, bound, next);
  const projWeight = uniform(C * C, bound, next);
  const projBias = uniform(C, bound, next);
  let positionBias: Float32Array | null = null;
  let mask: Float32Array | null = null;
  if (g.window !== null) {
    const M = g.window;
    const N = M * M;
    // relative_position_bias_table [(2M−1)², heads] gathered by relative_position_index, permuted to [heads, N, N].
    const table = uniform((2 * M - 1) ** 2 * g.heads, 0.5, next);
    const index = relativePositionIndex(M);
    positionBias = new Float32Array(g.heads * N * N);
    for (let hd = 0; hd < g.heads; hd++) for (let k = 0; k < N * N; k++) positionBias[hd * N * N + k] = table[index[k] * g.heads + hd];
    if (g.shift > 0) mask = attentionMask(g.h, g.w, M, g.shift).values;
  }
  return { qkvWeight, qkvBias, projWeight, projBias, positionBias, mask };
}

/** Builds the layer: the ONNX model, its weights, geometry and MACs. Throws a UserError for bad or too-large input. */
export function synthesizeAttentionLayer(p: AttentionLayerParams): AttentionLayer {
  const g = attentionLayerGeometry(p);
  const peakBytes = checkAttentionMemory(g, p.maxBytes ?? DEFAULT_MAX_LAYER_BYTES);
  const weights = attentionLayerWeights(g, p.seed ?? 1);
  const { h, w, dim: C, heads, headDim: d } = g;
  const label = g.window === null ? 'msa' : g.shift > 0 ? 'sw-msa' : 'w-msa';
  const b = new GraphBuilder({ opset: 17, name: `${label}_${h}x${w}_c${C}_h${heads}${g.window ? `_m${g.window}` : ''}` });
  const x = b.input('x', DataType.FLOAT, [1, h * w, C]);
  const qkvW = b.initializer('attn.qkv.weight', weights.qkvWeight, [C, 3 * C]);
  const qkvB = b.initializer('attn.qkv.bias', weights.qkvBias, [3 * C]);
  const projW = b.initializer('attn.proj.weight', weights.projWeight, [C, C]);
  const projB = b.initializer('attn.proj.bias', weights.projBias, [C]);
  const scale = b.float32([d ** -0.5], [], 'attn.scale');
  const idx = [0, 1, 2].map((i) => b.int64([i], [], `qkv_index_${i}`));

  /** WindowAttention.forward on tokens [B_, N, C] → [B_, N, C]. */
  const attend = (tokens: string, B_: number, N: number, bias: string | null, mask: string | null): string => {
    const qkvLin = b.op('Add', [b.op('MatMul', [tokens, qkvW], {}, '/attn/qkv/MatMul'), qkvB], {}, '/attn/qkv/Add');
    const qkv5 = b.op('Reshape', [qkvLin, b.int64([B_, N, 3, heads, d])], {}, '/attn/Reshape_qkv');
    const qkv = b.op('Transpose', [qkv5], { perm: [2, 0, 3, 1, 4] }, '/attn/Transpose_qkv'); // [3, B_, heads, N, d]
    const [q, k, v] = idx.map((i, n) => b.op('Gather', [qkv, i], { axis: 0 }, `/attn/Gather_${'qkv'[n]}`));
    const qs = b.op('Mul', [q, scale], {}, '/attn/Mul_scale');
    const kt = b.op('Transpose', [k], { perm: [0, 1, 3, 2] }, '/attn/Transpose_k');
    let attn = b.op('MatMul', [qs, kt], {}, '/attn/MatMul_qk'); // [B_, heads, N, N]
    if (bias) attn = b.op('Add', [attn, bias], {}, '/attn/Add_position_bias');
    if (mask) attn = b.op('Add', [attn, mask], {}, '/attn/Add_mask');
    const probs = b.op('Softmax', [attn], { axis: -1 }, '/attn/Softmax');
    const av = b.op('MatMul', [probs, v], {}, '/attn/MatMul_av'); // [B_, heads, N, d]
    const merged = b.op('Reshape', [b.op('Transpose', [av], { perm: [0, 2, 1, 3] }, '/attn/Transpose_heads'), b.int64([B_, N, C])], {}, '/attn/Reshape_merge');
    return b.op('Add', [b.op('MatMul', [merged, projW], {}, '/attn/proj/MatMul'), projB], {}, '/attn/proj/Add');
  };

  /** torch.roll by `k` along one axis of length L (k in (−L, L)): concat(x[L−k:], x[:L−k]). */
  const roll = (t: string, axis: number, L: number, k: number, tag: string): string => {
    const cut = (((L - k) % L) + L) % L;
    if (cut === 0) return t;
    const ax = b.int64([axis]);
    const tail = b.op('Slice', [t, b.int64([cut]), b.int64([L]), ax], {}, `/${tag}/Slice_tail_${axis}`);
    const head = b.op('Slice', [t, b.int64([0]), b.int64([cut]), ax], {}, `/${tag}/Slice_head_${axis}`);
    return b.op('Concat', [tail, head], { axis }, `/${tag}/Concat_${axis}`);
  };

  let y: string;
  if (g.window === null) {
    y = attend(x, 1, h * w, null, null);
  } else {
    const M = g.window;
    const N = M * M;
    const [Hp, Wp] = g.padded;
    const s = g.shift;
    const nW = g.numWindows;
    let t = b.op('Reshape', [x, b.int64([1, h, w, C])], {}, '/Reshape_map');
    if (Hp !== h || Wp !== w) {
      t = b.op('Pad', [t, b.int64([0, 0, 0, 0, 0, Hp - h, Wp - w, 0])], { mode: 'constant' }, '/Pad');
    }
    if (s > 0) t = roll(roll(t, 1, Hp, -s, 'cyclic_shift'), 2, Wp, -s, 'cyclic_shift');
    // window_partition: [1, Hp, Wp, C] → [1, Hp/M, M, Wp/M, M, C] → permute(0,1,3,2,4,5) → [nW, M², C]
    t = b.op('Reshape', [t, b.int64([1, Hp / M, M, Wp / M, M, C])], {}, '/window_partition/Reshape');
    t = b.op('Transpose', [t], { perm: [0, 1, 3, 2, 4, 5] }, '/window_partition/Transpose');
    t = b.op('Reshape', [t, b.int64([nW, N, C])], {}, '/window_partition/Reshape_windows');
    const bias = b.initializer('attn.relative_position_bias', weights.positionBias as Float32Array, [heads, N, N]);
    const mask = weights.mask ? b.initializer('attn_mask', weights.mask, [nW, 1, N, N]) : null;
    t = attend(t, nW, N, bias, mask);
    // window_reverse: [nW, M², C] → [1, Hp/M, Wp/M, M, M, C] → permute(0,1,3,2,4,5) → [1, Hp, Wp, C]
    t = b.op('Reshape', [t, b.int64([1, Hp / M, Wp / M, M, M, C])], {}, '/window_reverse/Reshape');
    t = b.op('Transpose', [t], { perm: [0, 1, 3, 2, 4, 5] }, '/window_reverse/Transpose');
    t = b.op('Reshape', [t, b.int64([1, Hp, Wp, C])], {}, '/window_reverse/Reshape_map');
    if (s > 0) t = roll(roll(t, 1, Hp, s, 'reverse_shift'), 2, Wp, s, 'reverse_shift');
    if (Hp !== h || Wp !== w) t = b.op('Slice', [t, b.int64([0, 0]), b.int64([h, w]), b.int64([1, 2])], {}, '/Slice_crop');
    y = t;
  }
  b.node('Reshape', [y, b.int64([1, h * w, C])], ['y'], {}, '/Reshape_tokens');
  b.output('y', DataType.FLOAT, [1, h * w, C]);
  const macs = g.numWindows * (4 * g.tokens * C * C + 2 * g.tokens * g.tokens * C);
  return { model: b.build(), weights, geometry: g, macs, peakBytes };
}

/** A dense [n, n] × [n, n] fp32 MatMul (input `a`, constant `b`): the machine's baseline rate. */
export function matmulModel(n: number, seed = 7): OnnxModel {
  const next = rng(seed);
  const b = new GraphBuilder({ opset: 17, name: `matmul_${n}` });
  const a = b.input('a', DataType.FLOAT, [n, n]);
  const w = b.initializer('b', uniform(n * n, 1 / Math.sqrt(n), next), [n, n]);
  b.node('MatMul', [a, w], ['c'], {}, '/MatMul');
  b.output('c', DataType.FLOAT, [n, n]);
  return b.build();
}

/** Deterministic input values in ±1 for a tensor of n elements (tests and timing). */
export function randomInput(n: number, seed = 3): Float32Array {
  return uniform(n, 1, rng(seed));
}
