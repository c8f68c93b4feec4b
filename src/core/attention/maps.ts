/**
 * Attention maps from captured attention tensors: pure math, no ONNX Runtime.
 *
 * A captured tensor is one block's Softmax output, [groups, heads, N, N] row-major, rows
 * summing to 1 (row i: how much query token i attends to each key token j):
 * - ViT / DeiT: groups = 1, N = extra tokens + h·w patches. The extra tokens (class token,
 *   DeiT's distillation token, register tokens) come first; patch k = r·w + c is token
 *   extraTokens + k. This is config.extraTokens of the architecture detection (1 for a ViT
 *   with a class token, 2 for DeiT distilled).
 * - Swin: groups = windows, N = M², windows row-major over the padded map, cyclically shifted
 *   by −s in SW-MSA blocks. tokenPositions (core/swin) says where each window slot sits in the
 *   un-shifted, un-padded h×w map; that is how maps go back to image coordinates.
 *
 * Every map returned is h·w, row-major over the layer's token grid.
 */
import { UserError } from '../errors';
import { tokenPositions } from '../swin/mask';

/** One block's attention, [groups, heads, N, N] row-major. */
/** One attention block of a capture. */
export interface CapturedLayer {
  /** Readable name: "encoder.block0" (ViT), "stage1.block1" (Swin). */
  name: string;
  /** The model's Softmax output tensor that was captured. */
  output: string;
  /** Stage (0-based; always 0 for ViT) and block within the stage. */
  stage: number;
  block: number;
  heads: number;
  /** Tokens attended over: N (ViT, extra tokens included) or M² (Swin, per window). */
  tokens: number;
  /** Window size M, or null for global attention. */
  window: number | null;
  /** SW-MSA block (its windows are cyclically shifted by `shift`). */
  shifted: boolean;
  shift: number;
  /** The map rolled before it is padded to whole windows (timm), not after (HF, torchvision); absent: after. */
  shiftBeforePad?: boolean;
  /** Token grid [h, w] of the layer: the patch grid (ViT), the stage's un-padded map (Swin). */
  grid: [number, number];
  /** Pixels of the model input per token side (patch size; × 2 per patch merging for Swin). */
  cell: number;
  /** Class + distillation + register tokens before the patches (ViT); 0 for Swin. */
  extraTokens: number;
  /** [groups, heads, N, N]: groups = windows for Swin, 1 for ViT. */
  dims: [number, number, number, number];
  /** The attention, or null when this layer was not captured (too large; see the warnings). */
  data: Float32Array | null;
}

export interface AttentionTensor {
  data: Float32Array;
  dims: readonly [number, number, number, number];
}

/** A head index, or a reduction over heads. */
export type HeadSelect = number | 'mean' | 'max';
/** How rollout fuses the heads of a layer (vit-explain's head_fusion). */
export type HeadFusion = 'mean' | 'max' | 'min';

function check(t: AttentionTensor): { G: number; H: number; N: number } {
  const [G, H, N, N2] = t.dims;
  if (N !== N2 || G <= 0 || H <= 0 || N <= 0) throw new Error(`attention tensor must be [groups, heads, N, N], got [${t.dims.join(', ')}]`);
  if (t.data.length !== G * H * N * N) throw new Error(`attention tensor has ${t.data.length} values, dims [${t.dims.join(', ')}] need ${G * H * N * N}`);
  return { G, H, N };
}

function checkHead(head: HeadSelect, H: number): void {
  if (typeof head === 'number' && (!Number.isInteger(head) || head < 0 || head >= H)) {
    throw new UserError(`Head ${head} does not exist: this layer has heads 0 to ${H - 1}.`);
  }
}

/** Row `query` of group `group`, for one head or reduced over heads (mean / max). Length N. */
export function attentionRow(t: AttentionTensor, group: number, query: number, head: HeadSelect = 'mean'): Float64Array {
  const { G, H, N } = check(t);
  checkHead(head, H);
  if (!Number.isInteger(group) || group < 0 || group >= G) throw new Error(`group ${group} out of range 0..${G - 1}`);
  if (!Number.isInteger(query) || query < 0 || query >= N) throw new Error(`query ${query} out of range 0..${N - 1}`);
  const out = new Float64Array(N);
  const d = t.data;
  const rowAt = (h: number): number => ((group * H + h) * N + query) * N;
  if (typeof head === 'number') {
    const o = rowAt(head);
    for (let j = 0; j < N; j++) out[j] = d[o + j];
  } else if (head === 'mean') {
    for (let h = 0; h < H; h++) {
      const o = rowAt(h);
      for (let j = 0; j < N; j++) out[j] += d[o + j];
    }
    for (let j = 0; j < N; j++) out[j] /= H;
  } else {
    out.fill(-Infinity);
    for (let h = 0; h < H; h++) {
      const o = rowAt(h);
      for (let j = 0; j < N; j++) if (d[o + j] > out[j]) out[j] = d[o + j];
    }
  }
  return out;
}

/** The N×N matrix of one group with the heads fused (mean, max or min), or one head. */
export function fuseHeads(t: AttentionTensor, group: number, head: HeadSelect | 'min' = 'mean'): Float64Array {
  const { G, H, N } = check(t);
  if (head !== 'min') checkHead(head, H);
  if (!Number.isInteger(group) || group < 0 || group >= G) throw new Error(`group ${group} out of range 0..${G - 1}`);
  const NN = N * N;
  const d = t.data;
  const base = group * H * NN;
  const out = new Float64Array(NN);
  if (typeof head === 'number') {
    for (let k = 0; k < NN; k++) out[k] = d[base + head * NN + k];
  } else if (head === 'mean') {
    for (let h = 0; h < H; h++) for (let k = 0, o = base + h * NN; k < NN; k++) out[k] += d[o + k];
    for (let k = 0; k < NN; k++) out[k] /= H;
  } else {
    const isMax = head === 'max';
    out.set(d.subarray(base, base + NN));
    for (let h = 1; h < H; h++) {
      for (let k = 0, o = base + h * NN; k < NN; k++) {
        const v = d[o + k];
        if (isMax ? v > out[k] : v < out[k]) out[k] = v;
      }
    }
  }
  return out;
}

/** Largest deviation of any row sum from 1 (a check that a tensor really is a Softmax output). */
export function maxRowSumError(t: AttentionTensor): number {
  const { G, H, N } = check(t);
  let worst = 0;
  const d = t.data;
  for (let r = 0; r < G * H * N; r++) {
    let s = 0;
    for (let j = 0, o = r * N; j < N; j++) s += d[o + j];
    worst = Math.max(worst, Math.abs(s - 1));
  }
  return worst;
}

// ───────────────────────────── ViT / DeiT ─────────────────────────────

/** Token layout of a global-attention layer: extra tokens first, then the h×w patches row-major. */
export interface TokenLayout {
  grid: readonly [number, number];
  /** Class + distillation + register tokens before the patches (config.extraTokens). */
  extraTokens: number;
}

function checkLayout(t: AttentionTensor, L: TokenLayout): { N: number; P: number } {
  const { N } = check(t);
  const P = L.grid[0] * L.grid[1];
  if (L.extraTokens < 0 || L.extraTokens + P !== N) {
    throw new Error(`a layer with ${N} tokens does not hold ${L.extraTokens} extra token(s) and a ${L.grid[0]}×${L.grid[1]} patch grid`);
  }
  return { N, P };
}

/** Token index of patch (row, col). */
export function patchToken(L: TokenLayout, row: number, col: number): number {
  const [h, w] = L.grid;
  if (!Number.isInteger(row) || !Number.isInteger(col) || row < 0 || col < 0 || row >= h || col >= w) {
    throw new UserError(`Patch (${row}, ${col}) is outside the ${h}×${w} patch grid.`);
  }
  return L.extraTokens + row * w + col;
}

/**
 * Attention from token `query` to every patch (the extra tokens' columns left out), as an h·w
 * map. Not renormalised: the values are the Softmax weights themselves, so a map shows how
 * much of the query's attention goes to patches at all.
 */
export function tokenAttention(t: AttentionTensor, L: TokenLayout, query: number, head: HeadSelect = 'mean'): Float32Array {
  const { P } = checkLayout(t, L);
  const row = attentionRow(t, 0, query, head);
  return Float32Array.from(row.subarray(L.extraTokens, L.extraTokens + P));
}

/**
 * Class-token attention to each patch: the usual ViT attention map. `token` picks another extra
 * token (1: DeiT's distillation token). Needs at least one extra token.
 */
export function classTokenAttention(t: AttentionTensor, L: TokenLayout, head: HeadSelect = 'mean', token = 0): Float32Array {
  if (L.extraTokens < 1) throw new UserError('This model has no class token (its patches are pooled); use the received-attention map instead.');
  if (!Number.isInteger(token) || token < 0 || token >= L.extraTokens) throw new UserError(`Extra token ${token} does not exist: the model has ${L.extraTokens} (0 is the class token).`);
  return tokenAttention(t, L, token, head);
}

/** Attention from the patch at (row, col) to every patch: what a clicked patch looks at. */
export function queryPatchAttention(t: AttentionTensor, L: TokenLayout, row: number, col: number, head: HeadSelect = 'mean'): Float32Array {
  return tokenAttention(t, L, patchToken(L, row, col), head);
}

/**
 * Mean attention each patch receives: the column means over all query tokens (extra tokens
 * included), for one head or the mean / max over heads. The map for a ViT without a class token.
 */
export function receivedAttention(t: AttentionTensor, L: TokenLayout, head: HeadSelect = 'mean'): Float32Array {
  const { N, P } = checkLayout(t, L);
  const { H } = check(t);
  checkHead(head, H);
  const heads = typeof head === 'number' ? [head] : Array.from({ length: H }, (_, h) => h);
  const perHead = heads.map((h) => {
    const col = new Float64Array(N);
    const o = h * N * N;
    for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) col[j] += t.data[o + i * N + j];
    return col;
  });
  const out = new Float32Array(P);
  for (let k = 0; k < P; k++) {
    const j = L.extraTokens + k;
    let v = head === 'max' ? -Infinity : 0;
    for (const c of perHead) v = head === 'max' ? Math.max(v, c[j]) : v + c[j];
    out[k] = (head === 'max' ? v : v / perHead.length) / N;
  }
  return out;
}

export interface RolloutOptions {
  /** Fraction of the lowest fused attentions set to 0 in each layer before adding I (vit-explain). Default 0. */
  discardRatio?: number;
  /** How the heads of a layer are fused. Default 'mean' (Abnar & Zuidema). */
  headFusion?: HeadFusion;
  /** The token whose rollout row is returned: 0 the class token (default), 1 DeiT's distillation token, … */
  token?: number;
}

/**
 * One layer's rollout factor: heads fused, the lowest `discardRatio` of the N² entries set to 0
 * except entry (0, 0) (vit-explain's "don't drop the class token": it excludes flat index 0),
 * then A + I with every row renormalised to sum 1.
 */
export function rolloutFactor(t: AttentionTensor, opts: RolloutOptions = {}): Float64Array {
  const { G, N } = check(t);
  if (G !== 1) throw new Error('rollout is for global attention (one group)');
  const ratio = opts.discardRatio ?? 0;
  if (!(ratio >= 0 && ratio < 1)) throw new UserError(`The discard ratio must be at least 0 and below 1, got ${ratio}.`);
  const A = fuseHeads(t, 0, opts.headFusion ?? 'mean');
  const drop = Math.floor(A.length * ratio);
  if (drop > 0) {
    const idx = Array.from(A.keys()).sort((a, b) => A[a] - A[b] || a - b);
    for (let k = 0; k < drop; k++) if (idx[k] !== 0) A[idx[k]] = 0;
  }
  for (let i = 0; i < N; i++) {
    A[i * N + i] += 1;
    let s = 0;
    for (let j = 0; j < N; j++) s += A[i * N + j];
    for (let j = 0; j < N; j++) A[i * N + j] /= s;
  }
  return A;
}

/**
 * Attention rollout (Abnar & Zuidema 2020): per layer Â_l = rows-renormalised (fused A_l + I),
 * R = Â_L · … · Â_1, and the row of `token` (the class token by default) over the patches,
 * h·w. Computed as a row vector e_tokenᵀ·Â_L·…·Â_1 (O(L·N²), not the O(L·N³) matrix product).
 * With no extra tokens (a pooled ViT) the mean over all rows of R is returned.
 * `layers` are in block order (first block first).
 */
export function attentionRollout(layers: readonly AttentionTensor[], L: TokenLayout, opts: RolloutOptions = {}): Float32Array {
  if (!layers.length) throw new UserError('Rollout needs the attention of every layer; none was captured.');
  const { N, P } = checkLayout(layers[0], L);
  for (const t of layers) checkLayout(t, L);
  let v: Float64Array = new Float64Array(N);
  if (L.extraTokens === 0) v.fill(1 / N);
  else {
    const token = opts.token ?? 0;
    if (!Number.isInteger(token) || token < 0 || token >= L.extraTokens) throw new UserError(`Extra token ${token} does not exist: the model has ${L.extraTokens} (0 is the class token).`);
    v[token] = 1;
  }
  for (let l = layers.length - 1; l >= 0; l--) {
    v = rowTimes(v, rolloutFactor(layers[l], opts), N);
  }
  return Float32Array.from(v.subarray(L.extraTokens, L.extraTokens + P));
}

/** One rollout step, v·A for a row vector v and an N×N factor A (zero entries of v skipped: rows of a one-hot start). */
export function rowTimes(v: Float64Array, A: Float64Array, N: number): Float64Array {
  const next = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    const vi = v[i];
    if (vi === 0) continue;
    for (let j = 0, o = i * N; j < N; j++) next[j] += vi * A[o + j];
  }
  return next;
}

// ───────────────────────────── Swin ─────────────────────────────

/** Where the window slots of one (S)W-MSA block sit in the block's h×w token map. */
export interface WindowGeometry {
  /** Token grid of the stage, un-padded. */
  H: number;
  W: number;
  /** Window size M (as the block uses it, after clipping to the map). */
  M: number;
  /** Cyclic shift s (0 for W-MSA). */
  shift: number;
  /** timm's order: the H×W map rolled, then padded (HF / torchvision pad first); see tokenPositions. */
  shiftBeforePad: boolean;
  numWindows: number;
  /** [nW·M²]: image row / column of each window slot, −1 for padding. */
  row: Int32Array;
  col: Int32Array;
  /** [H·W]: the slot (window·M² + position) that holds each image token. */
  slotOf: Int32Array;
}

/** Geometry of a block: pad to multiples of M, roll by −s, partition; inverted for lookups. */
export function windowGeometry(H: number, W: number, M: number, shift: number, shiftBeforePad = false): WindowGeometry {
  const tp = tokenPositions(H, W, M, shift, shiftBeforePad);
  const slotOf = new Int32Array(H * W).fill(-1);
  for (let k = 0; k < tp.row.length; k++) if (tp.row[k] >= 0) slotOf[tp.row[k] * W + tp.col[k]] = k;
  return { H, W, M, shift, shiftBeforePad, numWindows: tp.numWindows, row: tp.row, col: tp.col, slotOf };
}

function checkWindows(t: AttentionTensor, g: WindowGeometry): { H: number } {
  const { G, H, N } = check(t);
  if (N !== g.M * g.M) throw new Error(`a window of ${g.M}×${g.M} has ${g.M * g.M} tokens, the tensor has ${N}`);
  if (G !== g.numWindows) throw new Error(`a ${g.H}×${g.W} map in ${g.M}×${g.M} windows has ${g.numWindows} windows, the tensor has ${G}`);
  return { H };
}

/**
 * Attention of the token at (row, col) over its window, in image coordinates: an H·W map,
 * zero outside the window. In an SW-MSA block the window is a shifted one (it may wrap around
 * the map's edges, where the mask keeps the attention inside one region).
 */
export function windowQueryAttention(t: AttentionTensor, g: WindowGeometry, row: number, col: number, head: HeadSelect = 'mean'): Float32Array {
  checkWindows(t, g);
  if (!Number.isInteger(row) || !Number.isInteger(col) || row < 0 || col < 0 || row >= g.H || col >= g.W) {
    throw new UserError(`Patch (${row}, ${col}) is outside the ${g.H}×${g.W} token grid.`);
  }
  const N = g.M * g.M;
  const slot = g.slotOf[row * g.W + col];
  const w = Math.floor(slot / N);
  const r = attentionRow(t, w, slot % N, head);
  const out = new Float32Array(g.H * g.W);
  for (let j = 0; j < N; j++) {
    const rr = g.row[w * N + j];
    if (rr >= 0) out[rr * g.W + g.col[w * N + j]] = r[j];
  }
  return out;
}

/**
 * Mean attention each token receives within its window: for each window, the column means over
 * the window's queries (padding queries left out) for one head or the mean / max over heads,
 * placed back at each token's image position (partition and shift undone). H·W.
 */
export function windowReceivedAttention(t: AttentionTensor, g: WindowGeometry, head: HeadSelect = 'mean'): Float32Array {
  const { H } = checkWindows(t, g);
  checkHead(head, H);
  const N = g.M * g.M;
  const heads = typeof head === 'number' ? [head] : Array.from({ length: H }, (_, h) => h);
  const out = new Float32Array(g.H * g.W);
  const col = new Float64Array(N);
  const acc = new Float64Array(N);
  const d = t.data;
  for (let w = 0; w < g.numWindows; w++) {
    const base = w * N;
    let queries = 0;
    for (let i = 0; i < N; i++) if (g.row[base + i] >= 0) queries++;
    if (queries === 0) continue;
    acc.fill(head === 'max' ? -Infinity : 0);
    for (const h of heads) {
      col.fill(0);
      const o = (w * H + h) * N * N;
      for (let i = 0; i < N; i++) {
        if (g.row[base + i] < 0) continue;
        for (let j = 0; j < N; j++) col[j] += d[o + i * N + j];
      }
      for (let j = 0; j < N; j++) acc[j] = head === 'max' ? Math.max(acc[j], col[j]) : acc[j] + col[j];
    }
    const div = queries * (head === 'max' ? 1 : heads.length);
    for (let j = 0; j < N; j++) {
      const r = g.row[base + j];
      if (r >= 0) out[r * g.W + g.col[base + j]] = acc[j] / div;
    }
  }
  return out;
}

/** Element-wise mean of same-size maps (a stage's blocks → the stage's map). */
export function meanMaps(maps: readonly ArrayLike<number>[]): Float32Array {
  if (!maps.length) throw new Error('meanMaps: no maps');
  const n = maps[0].length;
  const acc = new Float64Array(n);
  for (const m of maps) {
    if (m.length !== n) throw new Error('meanMaps: maps of different sizes');
    for (let i = 0; i < n; i++) acc[i] += m[i];
  }
  return Float32Array.from(acc, (v) => v / maps.length);
}
