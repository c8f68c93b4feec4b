/**
 * One run's captured tensors (plan.ts's taps) turned into the TraceResult of one token: each step's
 * values, the paper's formula with this model's numbers, and its recomputation from the previous
 * steps' tensors in TypeScript (attention.ts, linear.ts, window.ts) with the max |Δ| from the
 * model's own tensor. A step whose tensor was not found is kept, marked unavailable.
 */
import type { TensorInfo } from '../onnx/model';
import { DataType } from '../onnx/proto';
import { attentionScores, cosineScores, maxAbsDiff, softmax, weightedSum } from './attention';
import { gelu, geluTanh, layerNorm, linear, patchEmbedding, patchPixels } from './linear';
import { type EmbedNode, hasPosition, learnedKind, tokenPath } from './embedding';
import { FUSED_HIDDEN_STEPS, type LinearTap, type NormTap, type QuantTap, type SideQuant, type TraceTaps } from './plan';
import { INT8, UINT8, blockQuantizeInt8, dequantizeLinear, dequantizeNBits, fakeQuantize, onGrid, pairSaturation, quantizeLinear } from './quantize';
import type { TraceFamily, TraceResult, TraceStep, TraceStepId, TraceTensors } from './types';
import { biasRow, maskRow, tokenWindow } from './window';

export interface Captured {
  data: Float32Array;
  dims: readonly number[];
}

export interface TraceInput {
  family: TraceFamily;
  layer: number;
  head: number;
  token: number;
  taps: TraceTaps;
  /** name → captured tensor (every tap, and the logits) */
  out: (name: string) => Captured | undefined;
  /** the preprocessed input [1, 3, H, W] */
  input: { data: Float32Array; dims: readonly number[] };
  /** an initializer's values, or null when they cannot be read */
  weights: (t: TensorInfo) => ArrayLike<number> | null;
  heads: number;
  dim: number;
  headDim: number;
  /** tokens attended over: ViT N, Swin M² */
  tokens: number;
  /** ViT: class/distillation/register tokens; Swin 0 */
  extraTokens: string[];
  /** the stage's token grid [h, w] */
  grid: [number, number];
  /** Swin: window M, shift, the bias table head-major [heads][(2M−1)²] or null */
  window: number | null;
  shift: number;
  /** Swin: timm's roll-then-pad order (the maps differ from pad-then-roll when the grid is not a multiple of M) */
  shiftBeforePad?: boolean;
  biasTable: Float32Array | null;
  /** Swin: stage index, the next stage grid (merge) */
  stage: number;
  patch: number | null;
  /** a hybrid's CNN: its kind and input pixels per feature-map cell */
  backbone?: { kind: 'resnet' | 'conv'; stride: number | null } | null;
  mlpRatio: number | null;
  labels: (i: number) => string;
  /** the model computes in half precision: its captured activations are float16 (or bfloat16) */
  precision?: 'float16' | 'bfloat16';
}

/** Steps of a half-precision grid a check of a half-precision model allows (measured on the fp16 fixtures: ≤ 1.75). */
const HALF_STEPS = 4;
/** The spacing of float16 / bfloat16 values at |x| (one unit in the last place). */
export function halfSpacing(x: number, type: 'float16' | 'bfloat16'): number {
  const [mantissa, minExp] = type === 'float16' ? [10, -14] : [7, -126];
  const a = Math.abs(x);
  const e = a > 0 ? Math.max(Math.floor(Math.log2(a)), minExp) : minExp;
  return 2 ** (e - mantissa);
}

const f = (x: number): string => (Number.isInteger(x) ? String(x) : x.toPrecision(6).replace(/0+$/, '').replace(/\.$/, ''));
const typeName = (q: QuantTap): string => (q.signed ? 'int8' : 'uint8');
/** What a recomputation of a quantized op does, in the formula: the user compares against a dequantized computation, not a float one. */
function quantNote(l: { weightQuant: QuantTap | null; inputQuant: QuantTap | null; weightBlocks?: LinearTap['weightBlocks'] } | null | undefined): string {
  if (!l || (!l.weightQuant && !l.inputQuant && !l.weightBlocks)) return '';
  const parts: string[] = [];
  if (l.weightBlocks) parts.push(`the weight is stored in ${l.weightBlocks.bits}-bit blocks of ${l.weightBlocks.blockSize} (MatMulNBits) and recomputed dequantized, (q − zp)·scale per block${l.weightBlocks.accuracyLevel === 4 ? `; accuracy_level 4: the input rounded to int8 per block of ${l.weightBlocks.blockSize} (scale max|a|/127), as ONNX Runtime's int8 kernel does` : ''}`);
  if (l.weightQuant) parts.push(`the weight is stored ${typeName(l.weightQuant)} and recomputed dequantized, (W_q − zp)·scale`);
  if (l.inputQuant) parts.push(`the input is rounded to ${typeName(l.inputQuant)} first${typeof l.inputQuant.scale === 'string' ? ' with the scale computed at run time (dynamic quantization)' : ''}, as the graph does`);
  return ` — quantized: ${parts.join('; ')}`;
}
const row = (c: Captured | undefined, r: number, width: number): number[] | null => {
  if (!c || (r + 1) * width > c.data.length) return null;
  return Array.from(c.data.subarray(r * width, (r + 1) * width));
};

/** Multiply-adds a recomputation of a fused attention op may take (ViT-B/16's 197 tokens: 3.5e8, about a second). */
const FUSED_RECOMPUTE_MACS = 5e8;

/**
 * com.microsoft.Attention for one query token, as ONNX Runtime defines it: x·W + b packed [Q | K | V],
 * each head's softmax(q·kᵀ·scale)·V (scale 1/√d unless the op says), the heads concatenated.
 * Null when the values do not fit or a recomputation this large is not worth its time.
 */
function fusedAttention(x: Captured | undefined, w: ArrayLike<number> | null, b: ArrayLike<number> | null, heads: number, scale: number | null, token: number): number[] | null {
  if (!x || !w || x.dims.length !== 3) return null;
  const [, N, C] = x.dims;
  const d = C / heads;
  if (w.length !== C * 3 * C || (b && b.length !== 3 * C) || !Number.isInteger(d) || token >= N || 3 * N * C * C > FUSED_RECOMPUTE_MACS) return null;
  const rowOf = (i: number): Float32Array => x.data.subarray(i * C, (i + 1) * C);
  const qkv = Array.from({ length: N }, (_, i) => linear(rowOf(i), w, b ?? undefined, 'inOut'));
  const out: number[] = [];
  for (let hh = 0; hh < heads; hh++) {
    const part = (r: number[], which: number): number[] => r.slice(which * C + hh * d, which * C + (hh + 1) * d);
    const wts = softmax(attentionScores(part(qkv[token], 0), qkv.map((r) => part(r, 1)), scale ?? 1 / Math.sqrt(d)));
    out.push(...weightedSum(wts, qkv.map((r) => part(r, 2))));
  }
  return out;
}

/** The patch Conv's output grid and one cell's C values: [1, C, gh, gw], or [1, gh, gw, C] channels last. */
function convGrid(conv: Captured, channelsLast: boolean): { gh: number; gw: number; cell: (r: number, c: number) => number[] } {
  const [, a, b, d] = conv.dims;
  if (channelsLast) return { gh: a, gw: b, cell: (r, c) => Array.from(conv.data.subarray((r * b + c) * d, (r * b + c + 1) * d)) };
  return { gh: b, gw: d, cell: (r, c) => Array.from({ length: a }, (_, o) => conv.data[o * b * d + r * d + c]) };
}

/** The steps that recompute the model's tensor from the previous ones (the others — patch, flatten, the window partition … — show it). */
const RECOMPUTED = new Set<string>(['projection', 'position', 'norm1', 'q', 'k', 'v', 'scores', 'bias', 'mask', 'softmax', 'context', 'concat', 'projectionOut', 'residual1', 'norm2', 'mlp', 'residual2', 'postNorm1', 'postNorm2', 'mergeGroup', 'mergeNorm', 'mergeReduction', 'finalNorm', 'pool', 'head']);
/** What a step's recomputation reads, for the message when it was not found. */
const UNREAD: Record<string, string> = {
  projection: 'the image pixels of this patch and the Conv\'s weight E as stored',
  position: 'one constant position embedding added to the patch projections',
  pool: 'the final LayerNorm\'s rows the head reads',
  head: 'a linear head over the pooled features',
};

/** A recomputation rounded as the graph rounds (assembleTrace's tapped/side): the values, the formula's note, one step of the grid when a value sits on a rounding boundary (else 0). */
interface Rounded {
  re: number[] | null;
  note: string;
  step: number;
}

/** Whether a value of x is within 1e-5 of a boundary between two codes of the grid (scale s, zero point z). */
function ties(x: ArrayLike<number>, s: number, z: number): boolean {
  for (let i = 0; i < x.length; i++) {
    const k = x[i] / s + z;
    if (Math.abs(k - Math.floor(k) - 0.5) * s < 1e-5) return true;
  }
  return false;
}

export function assembleTrace(p: TraceInput): TraceResult {
  const { taps: t, head: h, token: T, heads, dim: C, headDim: d, tokens: N } = p;
  const steps: TraceStep[] = [];
  const warnings: string[] = [...t.missing.map((m) => `Not found in this graph: ${m}.`), ...(t.fused ? [`This graph computes attention with the fused ${t.fused.op}: the steps ${FUSED_HIDDEN_STEPS.join(', ')} happen inside it (no tensor of q, k, v or the attention exists in the graph) and cannot be shown; the rest of the block is shown. Export without attention fusion to see them.`] : [])];
  const swin = p.family === 'swin' || p.family === 'swin-v2';
  const add = (s: TraceStep): void => void steps.push(s);
  const unavailable = (id: TraceStepId, title: string, why: string): void => add({ id, title, formula: '', shape: [], unavailable: why });
  const check = (from: string[], a: ArrayLike<number> | null, b: ArrayLike<number> | null): TraceStep['check'] | undefined => {
    if (!a || !b) return undefined;
    const c = { recomputedFrom: from, maxAbsDiff: maxAbsDiff(a, b) };
    if (!p.precision || !(c.maxAbsDiff > 0)) return c;
    // a half-precision model: its tensor is rounded to the half grid, the recomputation (float32 from the same half inputs) is not
    let big = 0;
    for (let i = 0; i < b.length; i++) big = Math.max(big, Math.abs(b[i]));
    const step = halfSpacing(big, p.precision);
    const tolerance = HALF_STEPS * step;
    return { ...c, tolerance, note: `The model computes in ${p.precision}: its values are rounded to ${p.precision}, spaced ${step.toExponential(2)} at this tensor's largest |value| ${f(big)}; the recomputation, in float32 from the same ${p.precision} inputs, is not, so the two may differ by a few of those steps (within ${HALF_STEPS}: ${tolerance.toExponential(2)}).` };
  };
  const W = (x: TensorInfo | null | undefined): ArrayLike<number> | null => (x ? p.weights(x) : null);
  // a quantization parameter: an initializer, or a tensor computed at run time (captured)
  const Q = (x: TensorInfo | string | null): ArrayLike<number> | null => (x === null ? null : typeof x === 'string' ? p.out(x)?.data ?? null : W(x));
  /** the weight as the op applies it: dequantized when stored quantized */
  const Wq = (w: TensorInfo | null, q: QuantTap | null): ArrayLike<number> | null => {
    const v = W(w);
    if (!v || !q) return v;
    const s = Q(q.scale);
    const z = q.zeroPoint === null ? null : Q(q.zeroPoint);
    if (!s || (q.zeroPoint !== null && !z)) return null;
    try {
      return dequantizeLinear(v, w!.dims, s, z, q.axis);
    } catch {
      return null;
    }
  };
  /** the input as the op sees it: rounded to the graph's quantization grid first (one scale per tensor) */
  const Xq = (x: ArrayLike<number> | null, q: QuantTap | null): ArrayLike<number> | null => {
    if (!x || !q) return x;
    const s = Q(q.scale);
    const z = q.zeroPoint === null ? [0] : Q(q.zeroPoint);
    if (!s || !z || s.length !== 1 || z.length !== 1) return null;
    return fakeQuantize(x, s[0], z[0], q.signed ? INT8 : UINT8);
  };
  /** a per-tensor Q→DQ pair's scale, zero point and range, or null (per channel, not readable) */
  const grid = (q: QuantTap): { s: number; z: number; r: typeof UINT8 } | null => {
    const s = Q(q.scale);
    const z = q.zeroPoint === null ? [0] : Q(q.zeroPoint);
    return s && z && s.length === 1 && z.length === 1 ? { s: s[0], z: z[0], r: q.signed ? INT8 : UINT8 } : null;
  };
  const gridText = (g: { s: number; z: number; r: typeof UINT8 }): string => `${g.r === INT8 ? 'int8' : 'uint8'} (scale ${f(g.s)}, zero point ${g.z})`;
  /**
   * A recomputation as the model's own tensor `tap` holds it: rounded to its Q→DQ grid when ONNX
   * Runtime returned the tap after moving that pair in front of it (plan.ts, TraceTaps.rounded).
   */
  const tapped = (tap: string | null | undefined, re: number[] | null, own: ArrayLike<number> | null): Rounded => {
    const q = tap ? t.rounded[tap] : undefined;
    const g = q ? grid(q) : null;
    if (!re || !own || !g || !onGrid(own, g.s, g.z, g.r)) return { re, note: '', step: 0 };
    return { re: fakeQuantize(re, g.s, g.z, g.r), note: ` — ONNX Runtime hands this tensor on rounded to ${gridText(g)}, as the next op reads it; recomputed rounded the same way`, step: ties(re, g.s, g.z) ? g.s : 0 };
  };
  /** q, k or v as QKᵀ / A·V read it: the projection's slice rounded on the side's Q→DQ pair (SideQuant) */
  const side = (sq: SideQuant | null, x: number[] | null, name: string): Rounded => {
    const g = sq ? grid(sq.quant) : null;
    if (!sq || !x || !g) return { re: x, note: '', step: 0 };
    const y = x.map((v) => v * sq.before);
    return { re: fakeQuantize(y, g.s, g.z, g.r).map((v) => v / sq.before), note: ` — the graph rounds ${name} to ${gridText(g)} before the product${sq.before !== 1 ? ` (after the factor ${f(sq.before)})` : ''}; recomputed rounded the same way`, step: ties(y, g.s, g.z) ? g.s / Math.abs(sq.before) : 0 };
  };
  /**
   * A recomputation rounded to the graph's grid where a value lies within float rounding of a
   * rounding boundary: the model, from its own float value, may take the neighbouring code — one step.
   */
  const withTie = (c: TraceStep['check'] | undefined, r: Rounded): TraceStep['check'] | undefined => {
    if (!c || !(r.step > 0) || c.tolerance) return c;
    return { ...c, tolerance: r.step, note: `A value of this row lies within float rounding (1e-5) of a rounding boundary of the graph's grid: there the recomputation and the model may take neighbouring codes, one step (${f(r.step)}) apart.` };
  };
  /** a MatMulNBits weight dequantized as the op applies it, [N, K] */
  const Wnb = (l: LinearTap): ArrayLike<number> | null => {
    const b = l.weightBlocks!;
    const packed = W(l.weight);
    const sc = W(b.scales);
    const zp = b.zeroPoints ? W(b.zeroPoints) : null;
    if (!packed || !sc || (b.zeroPoints && !zp)) return null;
    try {
      return dequantizeNBits(packed, sc, zp, b.zeroPoints?.dataType === DataType.UINT8, b.N, b.K, b.bits, b.blockSize);
    } catch {
      return null;
    }
  };
  /** the layer as the graph computes it; `floatInput`: without MatMulNBits' accuracy_level 4 rounding of the input */
  const lin = (l: LinearTap | null, x: ArrayLike<number> | null, floatInput = false): number[] | null => {
    if (!l || !x) return null;
    const w = l.weightBlocks ? Wnb(l) : Wq(l.weight, l.weightQuant);
    const int8Input = l.weightBlocks?.accuracyLevel === 4 && !floatInput;
    const xin = int8Input ? blockQuantizeInt8(x, l.weightBlocks!.blockSize) : Xq(x, l.inputQuant);
    if (!w || !xin) return null;
    const b = l.bias ? W(l.bias) : undefined;
    if (l.bias && !b) return null;
    try {
      return linear(xin, w, b ?? undefined, l.layout);
    } catch {
      return null;
    }
  };
  /**
   * The layer as ONNX Runtime computes it on other CPUs, or null where that cannot differ from `lin`:
   * a u8×s8 product on x86 without VNNI (quantize.ts, pairSaturation; only the layers it runs on its
   * integer kernel, plan.ts LinearTap.integerKernel), and a MatMulNBits with accuracy_level 4 in float
   * (where the CPU has no int8 kernel for it: the level is a minimum, not a promise).
   */
  const linSat = (l: LinearTap | null, x: ArrayLike<number> | null): number[] | null => {
    if (l?.weightBlocks?.accuracyLevel === 4) return lin(l, x, true);
    if (!l || !x || !l.integerKernel || !l.inputQuant || !l.weightQuant?.signed) return null;
    const g = grid(l.inputQuant);
    const wc = W(l.weight);
    const ws = Q(l.weightQuant.scale);
    const base = lin(l, x);
    if (!g || !wc || !ws || !base) return null;
    let d: number[];
    try {
      // int8 activations reach the kernel as uint8 + 128 (ONNX Runtime's QDQ s8 → u8 conversion on x86)
      const codes = l.inputQuant.signed ? quantizeLinear(x, g.s, g.z, INT8).map((q) => q + 128) : quantizeLinear(x, g.s, g.z, UINT8);
      d = pairSaturation(codes, wc, l.layout);
    } catch {
      return null;
    }
    if (d.every((v) => v === 0) || (ws.length !== 1 && ws.length !== d.length)) return null;
    return base.map((v, o) => v + d[o] * g.s * ws[ws.length === 1 ? 0 : o]);
  };
  /** A check, with the tolerance and note of the other CPUs' computation (linSat) where `alt` differs from `re`. */
  const checkQ = (from: string[], re: ArrayLike<number> | null, own: ArrayLike<number> | null, alt: ArrayLike<number> | null, ...layers: (LinearTap | null)[]): TraceStep['check'] | undefined => {
    const c = check(from, re, own);
    if (!c || !re || !alt) return c;
    const tolerance = maxAbsDiff(alt, re);
    if (!(tolerance > 0)) return c;
    const int4 = layers.some((l) => l?.weightBlocks?.accuracyLevel === 4);
    const note = int4
      ? `Recomputed with the input rounded to int8 as ONNX Runtime's int8 kernel does for accuracy_level 4; on a CPU without that kernel it computes in float instead, and the model's own value may then differ from this recomputation by up to ${tolerance.toExponential(2)}.`
      : `On x86 CPUs without VNNI, ONNX Runtime's u8×s8 kernel adds pairs of products in int16, saturating (vpmaddubsw); some pairs of this row leave the int16 range, so there the model's own value may differ from this recomputation (ONNX's int32 product) by up to ${tolerance.toExponential(2)}.`;
    return { ...c, tolerance, note };
  };
  /** the constant bias a fused residual add (SkipLayerNormalization) adds to its sum, element i */
  const joinBias = (sum: string | null, i: number): number => {
    const b = sum ? t.joinBias[sum] : undefined;
    return b ? W(b)?.[i] ?? NaN : 0;
  };
  const ln = (n: NormTap | null, x: ArrayLike<number> | null): number[] | null => {
    if (!n || !x || n.eps === null || !n.gamma) return null;
    const g = W(n.gamma);
    const b = n.beta ? W(n.beta) : undefined;
    return g ? layerNorm(x, g, b ?? undefined, n.eps) : null;
  };

  /** patch · E + b with E and the pixels as the Conv applies them (dequantized, rounded), or null (no sound recomputation) */
  const embed = (pix: number[]): number[] | null => {
    const pc = t.patchConv;
    if (!pc || pc.unsound) return null;
    const wE = Wq(pc.weight, pc.weightQuant);
    const x = Xq(pix, pc.inputQuant);
    const bE = pc.bias ? W(pc.bias) : undefined;
    if (!wE || !x || (pc.bias && !bE)) return null;
    return patchEmbedding(x, wE, bE ?? undefined);
  };

  // The tokens before the patches, named by the learned tensor each one is in the graph (else as detected).
  const names = p.extraTokens.map((fallback, i) => {
    const hops = t.embedTree ? tokenPath(t.embedTree, i) : null;
    const leaf = hops?.[hops.length - 1];
    if (leaf?.node.op !== 'learned') return fallback;
    const kind = learnedKind(leaf.node.table);
    const rows = leaf.node.table.dims.length >= 2 ? leaf.node.table.dims[leaf.node.table.dims.length - 2] : 1;
    return kind === 'token' ? fallback : rows > 1 ? `${kind} ${leaf.index}` : kind;
  });

  // Where the token is: ViT its sequence index; Swin its window after the shift and its place there.
  let group = 0;
  let pos = T;
  let keysOf: number[] | null = null;
  if (swin) {
    const win = tokenWindow(p.grid[0], p.grid[1], p.window!, p.shift, T, p.shiftBeforePad);
    group = win.window;
    pos = win.position;
    keysOf = win.keys;
  }
  const streamRow = (name: string | null | undefined, width = C): number[] | null => (name ? row(p.out(name), T, width) : null);
  // Tensors in window layout ([windows·M², C]) for Swin, sequence layout for ViT.
  const windowRow = (name: string | null | undefined, width = C): number[] | null => (name ? row(p.out(name), swin ? group * N + pos : T, width) : null);

  /**
   * The embedding steps as the graph applies them (plan.ts's EmbedNode): the token's path from its
   * origin (a patch or a learned token) through each Concat and the position Add to block 0's input,
   * each step checked against the row before it. False when the token's path cannot be resolved.
   */
  const embeddingSteps = (tree: EmbedNode, proj: number[] | null): boolean => {
    const hops = tokenPath(tree, T);
    if (!hops) return false;
    const leaf = hops[hops.length - 1];
    if (leaf.node.op !== 'learned' && leaf.node.op !== 'patches') return false;
    if (!hops.some((x) => x.node.op === 'concat' || x.node.op === 'position')) return false;
    const who = T < extra ? `x_${names[T]}` : 'x_p·E';
    const rowsOf = (x: TensorInfo): number => (x.dims.length >= 2 ? x.dims[x.dims.length - 2] : 1);
    // a learned part named by its tensor, or (renamed by an optimizer) by the token at its offset
    const kindAt = (e: { table: TensorInfo }, off: number): string => (learnedKind(e.table) !== 'token' ? learnedKind(e.table) : names[off]?.replace(/ \d+$/, '') ?? 'token');
    const label = (e: EmbedNode, len: number, off: number): string =>
      e.op === 'learned' ? (len === 1 ? `x_${kindAt(e, off)}` : `x_${kindAt(e, off)}¹ … x_${kindAt(e, off)}^${len}`)
        : e.op === 'patches' ? `x_p¹E; …; x_p^${len}E`
          : e.op === 'slice' ? `z[${e.start}:${e.start + len}]` : `${len} tokens`;
    // where the token starts: its learned vector, or its patch's projection (the flattened Conv output)
    let prev: number[] | null;
    let from: string;
    if (leaf.node.op === 'learned') {
      const tab = W(leaf.node.table);
      const rows = rowsOf(leaf.node.table);
      const r = rows === 1 ? 0 : leaf.index;
      prev = tab && r < rows && tab.length === rows * C ? Array.from({ length: C }, (_, i) => tab[r * C + i]) : null;
      from = `${leaf.node.table.name}${rows > 1 ? `[${r}]` : ''}`;
    } else {
      prev = proj && leaf.index === T - extra ? proj : row(p.out(leaf.node.output), leaf.index, C);
      from = 'projection';
    }
    for (let i = hops.length - 2; i >= 0; i--) {
      const { node: e, index: at, part } = hops[i];
      if (e.op === 'slice' || e.op === 'learned' || e.op === 'patches') continue;
      const out = row(p.out(e.output), at, C);
      if (e.op === 'concat') {
        const parts = e.parts.map((x, j) => label(x, e.lengths[j], e.lengths.slice(0, j).reduce((a, b) => a + b, 0)));
        const total = e.lengths.reduce((s, x) => s + x, 0);
        const src = e.parts[part!];
        // registers inserted once the position embedding is added (DINOv2): they get no position of their own
        const registers = e.parts.some((x) => x.op === 'learned' && learnedKind(x.table) === 'register') && e.parts.some(hasPosition);
        const where = src.op === 'learned' ? `token ${T} is ${T < extra ? `the ${names[T]} token` : 'a learned token'}, a learned vector (${from})` : `the token is index ${at} of the ${total}`;
        add({
          id: registers ? 'registers' : 'prepend',
          title: registers ? 'Register tokens inserted' : 'Extra tokens prepended',
          formula: `[${parts.join('; ')}]: ${e.lengths.join(' + ')} = ${total} tokens${registers ? `, inserted after the position embedding: the ${[...new Set(e.parts.flatMap((x) => (x.op === 'learned' ? [learnedKind(x.table)] : [])))].join(' and ')} tokens have no position of their own` : ''}; ${where}`,
          shape: [C], values: out ?? undefined, check: check([from], prev, out),
        });
        from = registers ? 'registers' : 'prepend';
      } else {
        // an initializer, or a table the graph computes (captured): [1, rows, C]
        const computed = typeof e.table === 'string' ? p.out(e.table) : undefined;
        const tab = typeof e.table === 'string' ? computed?.data ?? null : W(e.table);
        const rows = typeof e.table === 'string' ? computed?.dims[1] ?? 0 : rowsOf(e.table);
        const r = rows === 1 ? 0 : at;
        const pe = tab && r < rows && tab.length === rows * C ? Array.from({ length: C }, (_, j) => tab[r * C + j]) : null;
        add({ id: 'position', title: '+ position embedding', formula: `z₀[${at}] = ${who} + E_pos[${r}], E_pos ∈ ℝ^(${rows}×${C})${typeof e.table === 'string' ? ' (computed in the graph from the stored table, e.g. resized to this grid)' : ''}`, shape: [C], values: out ?? undefined, check: check([from, 'E_pos'], prev && pe ? prev.map((v, j) => v + pe[j]) : null, out) });
        from = 'position';
      }
      prev = out;
    }
    return true;
  };

  // ---- embedding ----
  const extra = names.length;
  if (!swin) {
    const conv = t.patchConv ? p.out(t.patchConv.output) : undefined;
    let proj: number[] | null = null;
    let grid: [number, number] | null = null;
    if (T < extra) {
      for (const id of ['patch', 'flatten', 'projection'] as const) unavailable(id, id === 'patch' ? 'Patch' : id === 'flatten' ? 'Flatten' : 'Linear projection', `Token ${T} is the ${names[T]} token: a learned vector, not a patch of the image.`);
    } else if (conv && t.patchConv && conv.dims.length === 4) {
      const { gh, gw, cell } = convGrid(conv, t.patchConv.channelsLast);
      grid = [gh, gw];
      const k = T - extra;
      const r = Math.floor(k / gw);
      const c = k % gw;
      const [kh, kw] = t.patchConv.kernel;
      // what the Conv reads: the image as preprocessed, or the tensor inside the graph it is (a hybrid's feature map)
      const src = t.patchConv.source ? p.out(t.patchConv.source) : p.input;
      const hybrid = p.family === 'vit-hybrid';
      const fits = !!src && src.dims.length === 4 && kh === kw && t.patchConv.separate && src.dims[2] >= gh * kh && src.dims[3] >= gw * kw;
      const [, ch, H, Wd] = src?.dims ?? [];
      const pix = fits ? patchPixels(src.data, H, Wd, kh, r, c, ch) : null;
      if (pix && hybrid) {
        const bb = p.backbone ? ` (${p.backbone.kind === 'resnet' ? 'ResNet' : 'CNN'} backbone${p.backbone.stride ? `, ${p.backbone.stride} input pixels per cell` : ''})` : '';
        add({ id: 'patch', title: 'Feature-map cell', formula: `cell (${r}, ${c}) of the backbone's ${H}×${Wd} feature map${bb}: C_b×p×p = ${ch}×${kh}×${kw} values, the CNN's output where a plain ViT has pixels`, shape: [ch, kh, kw], values: pix, numbers: { patch: kh } });
        add({ id: 'flatten', title: 'Flatten', formula: `x_p ∈ ℝ^(p²·C_b) = ${kh}²·${ch} = ${pix.length}`, shape: [pix.length], values: pix });
      } else if (pix) {
        add({ id: 'patch', title: 'Patch', formula: `patch (${r}, ${c}) of the ${gh}×${gw} grid: ${kh}×${kw}×${ch} pixels after preprocessing`, shape: [ch, kh, kw], values: pix, numbers: { patch: kh } });
        add({ id: 'flatten', title: 'Flatten', formula: `x_p ∈ ℝ^(P²·C) = ${kh}²·${ch} = ${pix.length}`, shape: [pix.length], values: pix });
      } else {
        unavailable('patch', hybrid ? 'Feature-map cell' : 'Patch', hybrid ? 'The backbone\'s feature map is not read by the projection as separate cells (a square Conv with stride = kernel).' : 'The patch embedding is not a square Conv on the image with stride = kernel.');
        unavailable('flatten', 'Flatten', 'See the patch step.');
      }
      proj = cell(r, c);
      const re = pix ? embed(pix) : null;
      add({ id: 'projection', title: 'Linear projection', formula: `x_p·E + b, E ∈ ℝ^(${pix?.length ?? (hybrid ? 'p²·C_b' : '3P²')}×${proj.length}) (the ${kh}×${kw} Conv with stride ${kh}${hybrid ? ' on the feature map' : ''})${quantNote(t.patchConv)}`, shape: [proj.length], values: proj, check: check(['flatten', 'E', 'b'], re, proj), ...(t.patchConv.unsound ? { checkUnavailable: t.patchConv.unsound } : {}) });
    } else unavailable('projection', 'Linear projection', 'The patch-embedding Conv was not found.');
    if (t.embedding && !(t.embedTree && embeddingSteps(t.embedTree, proj))) {
      // not assembled as the tree reads it: the two steps, the position unchecked
      const n = grid ? grid[0] * grid[1] : null;
      if (T < extra) add({ id: 'prepend', title: 'Extra tokens prepended', formula: `token ${T} is x_${names[T]}, a learned vector prepended to the patches`, shape: [C] });
      else add({ id: 'prepend', title: 'Extra tokens prepended', formula: extra ? `z₀ = [${names.map((x) => `x_${x}`).join('; ')}; x_p¹E; …; x_p^${n ?? 'N'}E]` : `z₀ = [x_p¹E; …; x_p^${n ?? 'N'}E]`, shape: [C] });
      add({ id: 'position', title: '+ position embedding', formula: `z₀[${T}] = ${T < extra ? `x_${names[T]}` : 'x_p·E'} + E_pos[${T}]`, shape: [C], values: streamRow(t.embedding) ?? undefined });
    }
  } else {
    const conv = t.patchConv ? p.out(t.patchConv.output) : undefined;
    const [kh, kw] = t.patchConv?.kernel ?? [0, 0];
    if (p.stage === 0 && conv && t.patchConv && conv.dims.length === 4 && p.input.dims.length === 4 && kh === kw) {
      const { gw, cell } = convGrid(conv, t.patchConv.channelsLast);
      const r = Math.floor(T / gw);
      const c = T % gw;
      const [, ch, H, Wd] = p.input.dims;
      const pix = patchPixels(p.input.data, H, Wd, kh, r, c, ch);
      add({ id: 'patch', title: 'Patch partition', formula: `patch (${r}, ${c}): ${kh}×${kw}×${ch} pixels`, shape: [ch, kh, kw], values: pix, numbers: { patch: kh } });
      add({ id: 'flatten', title: 'Flatten', formula: `${kh}²·${ch} = ${pix.length} values`, shape: [pix.length], values: pix });
      const proj = cell(r, c);
      add({ id: 'projection', title: 'Linear embedding', formula: `x_p·E + b → C = ${proj.length}${quantNote(t.patchConv)}`, shape: [proj.length], values: proj, check: check(['flatten', 'E', 'b'], embed(pix), proj), ...(t.patchConv.unsound ? { checkUnavailable: t.patchConv.unsound } : {}) });
    }
    const M = p.window!;
    const nW = Math.ceil(p.grid[0] / M) * Math.ceil(p.grid[1] / M);
    // the regular partition (before any shift): where the token sits in W-MSA's windows
    const regular = p.shift > 0 ? tokenWindow(p.grid[0], p.grid[1], M, 0, T) : { window: group, position: pos };
    add({ id: 'windowPartition', title: 'Window partition', formula: `the ${p.grid[0]}×${p.grid[1]} map in ${nW} windows of M×M = ${M}×${M}; token ${T} (row ${Math.floor(T / p.grid[1])}, col ${T % p.grid[1]}) is in window ${regular.window}, position ${regular.position}${p.shift > 0 ? ' of the regular partition' : ''}`, shape: [nW, M * M], numbers: { window: M } });
    const order = p.shiftBeforePad ? ` of the ${p.grid[0]}×${p.grid[1]} map, then padded to whole windows (timm rolls before padding)` : '';
    if (p.shift > 0) add({ id: 'cyclicShift', title: 'Cyclic shift', formula: `torch.roll(x, (−${p.shift}, −${p.shift}))${order}: the map rolled by ⌊M/2⌋ = ${p.shift}; the token moves to window ${group}, position ${pos}`, shape: [nW, M * M], numbers: { shift: p.shift, window: M } });
  }

  // ---- the chosen block: LayerNorm, q, k, v ----
  const x = streamRow(t.blockIn);
  // Swin V2 (res-post-norm): attention reads z itself; its norm1 is the LayerNorm after attention
  const post = t.postNorm;
  const n1 = streamRow(t.norm1?.output);
  const cos = t.cosine;
  const n1Re = tapped(t.norm1?.output, ln(t.norm1, x), n1);
  if (post) {
    // no LayerNorm before attention: shown after the output projection
  } else if (n1) add({ id: 'norm1', title: 'LayerNorm', formula: `LN(z${p.layer > 0 ? `_${p.layer}` : '₀'}) over C = ${C}${t.norm1?.eps != null ? `, ε = ${f(t.norm1.eps)}` : ''}${n1Re.note}`, shape: [C], values: n1, check: withTie(check(['block input', 'γ', 'β'], n1Re.re, n1), n1Re) });
  else unavailable('norm1', 'LayerNorm', 'The LayerNorm before attention was not found.');

  // V2: q and k before the normalisation to unit length, both [.., N, d]; V1: QKᵀ's inputs, k as [.., d, N]
  const qIn = p.out(cos ? cos.q : t.qIn);
  const kIn = p.out(cos ? cos.k : t.kIn);
  const vIn = p.out(t.vIn);
  const base = (group * heads + h) * N * d;
  const scale = t.qFactor * t.kFactor * t.postFactor * t.scoresAlpha;
  const fused = t.attentionUnsound;
  // element i of token j's vector for head h in an operand laid out as plan.ts's operandLayouts says (V2: q, k [.., N, d])
  const at = (layout: string | null, j: number, i: number): number => (layout === 'nhd' ? (j * heads + h) * d + i : layout === 'hdn' ? base + i * N + j : base + j * d + i);
  const q = qIn && !fused ? Array.from({ length: d }, (_, i) => qIn.data[at(cos ? 'hnd' : t.qLayout, pos, i)] / t.qFactor) : [];
  const k: number[][] = kIn && !fused ? Array.from({ length: N }, (_, j) => Array.from({ length: d }, (_, i) => (cos ? kIn.data[at('hnd', j, i)] : kIn.data[at(t.kLayout, j, i)] / t.kFactor))) : [];
  const v: number[][] = vIn && !fused ? Array.from({ length: N }, (_, j) => Array.from({ length: d }, (_, i) => vIn.data[at(t.vLayout, j, i)])) : [];
  // q, k, v of the token itself recomputed from what the projections read (LN(z), or z for V2) and their weights
  const qkvIn = post ? x : n1;
  const qkvRe = t.qkvSplit ? null : lin(t.qkv, qkvIn);
  const qkvSat = t.qkvSplit ? null : linSat(t.qkv, qkvIn);
  const part = (which: 0 | 1 | 2, all = qkvRe): number[] | null => {
    if (t.qkvSplit) {
      const one = lin(t.qkvSplit[which], qkvIn);
      return one && one.length === C ? one.slice(h * d, (h + 1) * d) : null;
    }
    return all && all.length === 3 * C ? all.slice(which * C + h * d, which * C + (h + 1) * d) : null;
  };
  const zIn = post ? 'z' : 'LN(z)';
  const from = post ? 'block input' : 'norm1';
  const kSelf = k[pos] ?? null;
  const vSelf = v[pos] ?? null;
  const keyLabel = swin ? `the ${N} tokens of its ${p.window}×${p.window} window` : `all ${N} tokens`;
  if (fused) for (const [id, title] of [['q', 'Query'], ['k', 'Keys'], ['v', 'Values']] as const) unavailable(id, title, fused);
  else {
    const qRe = side(t.qQuant, part(0), 'q');
    const kRe = side(t.kQuant, part(1), 'k');
    const vRe = side(t.vQuant, part(2), 'v');
    const sat = (sq: SideQuant | null, which: 0 | 1 | 2): number[] | null => (qkvSat ? side(sq, part(which, qkvSat), '').re : null);
    const kNote = cos && t.qkvSplit ? (t.qkvSplit[1]?.bias ? '' : ' (no bias)') : '';
    add({ id: 'q', title: 'Query', formula: `q = ${zIn}·W_Q, head ${h} of ${heads}: d_k = ${d}${post ? ' (Swin V2: no LayerNorm before attention)' : ''}${quantNote(t.qkv)}${qRe.note}`, shape: [d], check: withTie(checkQ([from, 'W_qkv'], qRe.re, q, sat(t.qQuant, 0), t.qkv), qRe), numbers: { dk: d, heads } });
    add({ id: 'k', title: 'Keys', formula: `K = ${zIn}·W_K${kNote} for ${keyLabel}${kRe.note}`, shape: [N, d], check: withTie(checkQ([from, 'W_qkv'], kRe.re, kSelf, sat(t.kQuant, 1), t.qkv), kRe) });
    add({ id: 'v', title: 'Values', formula: `V = ${zIn}·W_V for ${keyLabel}${vRe.note}`, shape: [N, d], check: withTie(checkQ([from, 'W_qkv'], vRe.re, vSelf, sat(t.vQuant, 2), t.qkv), vRe) });
  }

  // ---- scores, + B, + mask, softmax, context ----
  const raw = p.out(t.rawScores);
  const sIn = p.out(t.softmaxIn);
  const wOut = p.out(t.weights);
  const srow = (c: Captured | undefined): number[] | null => (c ? Array.from(c.data.subarray((group * heads + h) * N * N + pos * N, (group * heads + h) * N * N + (pos + 1) * N)) : null);
  const rawRow = srow(raw);
  const scores = srow(sIn) ?? [];
  const weightsRow = srow(wOut) ?? [];
  // V2: τ of head h as the graph applies it, and recomputed from logit_scale (then the check covers it too)
  const tauGraph = cos ? p.out(cos.tau)?.data[h] ?? null : null;
  const ls = cos?.logitScale ? W(cos.logitScale) : null;
  const tauRe = cos && ls && ls.length === heads ? Math.exp(cos.clampMax !== null ? Math.min(ls[h], cos.clampMax) : ls[h]) : null;
  const tau = tauRe ?? tauGraph;
  const unit = (add2?: number[] | null, mask2?: number[] | null): number[] | null => (cos && tau !== null ? cosineScores(q, k, tau, cos.eps, add2 ?? undefined, mask2 ?? undefined) : null);
  const scaled = cos ? srow(p.out(cos.scaled)) : rawRow ? rawRow.map((s) => s * t.postFactor) : null;
  // a fused attention op: the core of the block has no tensors to show
  const core = t.fused ? t.attentionUnsound ?? 'The attention is computed inside one fused op.' : null;
  if (core) unavailable('scores', 'Scores', core);
  else if (cos) {
    const clamp = cos.clampMax !== null ? `min(logit_scale, ${Math.abs(cos.clampMax - Math.log(100)) < 1e-6 ? 'ln 100' : f(cos.clampMax)})` : 'logit_scale';
    add({
      id: 'scores', title: 'Scores (scaled cosine)',
      formula: `cos(q, k)·τ = (q/‖q‖)·(k/‖k‖)ᵀ·τ against ${keyLabel}: Swin V2's scaled cosine attention, τ = exp(${clamp}) = ${tau !== null ? f(tau) : '?'} for head ${h}, read from the graph (in place of 1/√${d})`,
      shape: [N], values: scaled ?? undefined, check: fused ? undefined : check(['q', 'k', tauRe !== null ? 'logit_scale' : 'τ'], unit(), scaled), numbers: { dk: d, ...(tau !== null ? { scale: tau } : {}) },
      ...(fused ? { checkUnavailable: fused } : {}),
    });
  } else {
    const re = fused ? null : attentionScores(q, k, scale);
    const scaleText = Math.abs(scale * Math.sqrt(d) - 1) < 1e-6 ? `1/√${d} = ${f(scale)}` : `${f(scale)} (not 1/√${d} = ${f(1 / Math.sqrt(d))})`;
    add({ id: 'scores', title: 'Scores', formula: `q·kᵀ·scale against ${keyLabel}, scale ${scaleText} read from the graph`, shape: [N], values: swin ? scaled ?? undefined : undefined, check: check(['q', 'k'], re, swin ? scaled : scores), numbers: { dk: d, scale }, ...(fused ? { checkUnavailable: fused } : {}) });
  }
  /** q·kᵀ·scale (V2 cos·τ) plus the additive rows, recomputed from q and k */
  const recompute = (B2?: number[] | null, mask2?: number[] | null): number[] | null => (fused ? null : cos ? unit(B2, mask2) : attentionScores(q, k, scale, B2 ?? undefined, mask2 ?? undefined));
  let B: number[] | null = null;
  let mask: number[] | null = null;
  let bias: TraceTensors['bias'];
  // the scores after + B as the model holds them; with fused QKᵀ (no q, k) the bias and mask are checked from the model's own scores
  let biased: number[] | null = null;
  if (swin && !core) {
    const M = p.window!;
    const R = (2 * M - 1) ** 2;
    if (p.biasTable && p.biasTable.length === heads * R) {
      const table = new Float32Array(R * heads);
      for (let hh = 0; hh < heads; hh++) for (let r = 0; r < R; r++) table[r * heads + hh] = p.biasTable[hh * R + r];
      const b = biasRow(table, heads, h, M, pos);
      B = b.row;
      bias = { row: b.row, index: b.index, table: Array.from(p.biasTable.subarray(h * R, (h + 1) * R)) };
      biased = t.biased ? srow(p.out(t.biased)) : null;
      // the step's row is what the graph adds B to: scores + B (B itself is tensors.bias.row)
      const formula = cos
        ? `+ B, B = 16·σ(CPB-MLP(Δ̂))[relative_position_index[${pos}], ${h}]: Swin V2's continuous position bias, a small MLP over log-spaced relative coordinates giving the (2M−1)² × heads = ${R}×${heads} table, 16·sigmoid of it gathered by the index`
        : `+ B, B = B̂[relative_position_index[${pos}], ${h}], B̂ ∈ ℝ^((2M−1)²×heads) = ${R}×${heads}`;
      add({ id: 'bias', title: cos ? '+ continuous position bias' : '+ relative position bias', formula, shape: [N], values: biased ?? (scaled ? scaled.map((s, j) => s + B![j]) : undefined), check: check(['scores', 'B̂', 'index'], scaled ? scaled.map((s, j) => s + B![j]) : null, biased), numbers: { window: M } });
    } else unavailable('bias', '+ relative position bias', 'The relative position bias table could not be read from this graph.');
    if (p.shift > 0) {
      mask = maskRow(p.grid[0], p.grid[1], M, p.shift, group, pos);
      const crossing = mask.filter((m) => m !== 0).length;
      add({ id: 'mask', title: '+ mask', formula: `+ mask: −100 for the ${crossing} of ${N} keys in another sub-window of the rolled map (shift ${p.shift})`, shape: [N], values: mask, check: fused ? check(['bias', 'mask'], biased ? biased.map((s, j) => s + mask![j]) : null, scores) : check(['scores', 'bias', 'mask'], recompute(B, mask), scores), numbers: { shift: p.shift } });
    } else if (B) {
      // no mask: the Softmax input is q·kᵀ·scale + B (V2 cos·τ + B); with fused QKᵀ from the model's own scores
      steps[steps.length - 1].check = fused ? check(['scores', 'B̂', 'index'], scaled ? scaled.map((s, j) => s + B![j]) : null, scores) : check(['scores', 'B̂', 'index'], recompute(B), scores);
    }
  }
  if (core) unavailable('softmax', 'Softmax', core);
  else add({ id: 'softmax', title: 'Softmax', formula: `softmax over the ${N} scores: positive weights summing to 1 (Σ = ${f(weightsRow.reduce((s, x) => s + x, 0))})`, shape: [N], check: check(['scores'], softmax(scores), weightsRow) });
  const ctxC = p.out(t.context);
  const context = ctxC ? Array.from(ctxC.data.subarray(base + pos * d, base + (pos + 1) * d)) : [];
  const ctxRe = tapped(t.context, (() => { const w = Xq(weightsRow, t.weightsQuant); return w && !fused ? weightedSum(w, v) : null; })(), context);
  if (core) unavailable('context', 'Weighted sum of the values', core);
  else add({ id: 'context', title: 'Weighted sum of the values', formula: `Σ_j w_j·v_j: head ${h}'s output, d = ${d}${ctxRe.note}`, shape: [d], check: fused ? undefined : withTie(check(['softmax', 'v'], ctxRe.re, context), ctxRe), ...(fused ? { checkUnavailable: fused } : {}) });

  // ---- heads concatenated, W_O, residual ----
  const concat = windowRow(t.proj?.input);
  const allHeads = ctxC ? Array.from({ length: heads }, (_, hh) => Array.from(ctxC.data.subarray(((group * heads + hh) * N + pos) * d, ((group * heads + hh) * N + pos + 1) * d))).flat() : null;
  if (concat && t.fused) {
    const fu = t.fused;
    const re = fu.unsound ? null : fusedAttention(p.out(fu.input), W(fu.weight), fu.bias ? W(fu.bias) : null, fu.heads, fu.scale, T);
    add({
      id: 'concat', title: 'Heads concatenated',
      formula: `Concat(head₁, …, head_${heads}) = ${heads}·${d} = ${heads * d}: the output of the fused ${fu.op}${fu.unsound ? '' : ', recomputed as softmax(q·kᵀ·scale)·V for each head from its input and packed W_qkv'}`,
      shape: [C], values: concat, numbers: { heads },
      ...(fu.unsound ? { checkUnavailable: fu.unsound }
        : re ? { check: check(['norm1', `${fu.op}'s W_qkv`], re, concat) }
          : { checkUnavailable: `Recomputing the ${fu.op} for all ${N} keys would take more than ${FUSED_RECOMPUTE_MACS.toExponential(0)} multiply-adds (or its input or weights could not be read): not shown.` }),
    });
  } else if (concat) add({ id: 'concat', title: 'Heads concatenated', formula: `Concat(head₁, …, head_${heads}) = ${heads}·${d} = ${heads * d}`, shape: [C], values: concat, check: check(['context of every head'], allHeads, concat), numbers: { heads } });
  else unavailable('concat', 'Heads concatenated', 'The output projection was not found.');
  const projOut = windowRow(t.proj?.output);
  if (projOut) add({ id: 'projectionOut', title: 'Output projection', formula: `· W_O + b, W_O ∈ ℝ^(${C}×${C})${quantNote(t.proj)}`, shape: [C], values: projOut, check: checkQ(['concat', 'W_O'], lin(t.proj, concat), projOut, linSat(t.proj, concat), t.proj) });
  else unavailable('projectionOut', 'Output projection', 'The output projection was not found.');
  if (post) {
    // V2's res-post-norm: LN of the attention output (the stream layout, after the window reverse)
    if (n1) add({ id: 'postNorm1', title: 'LayerNorm (post-norm)', formula: `LN(MSA(z)) over C = ${C}${t.norm1?.eps != null ? `, ε = ${f(t.norm1.eps)}` : ''}: Swin V2 normalises the attention output before the residual add (res-post-norm)`, shape: [C], values: n1, check: check(['projectionOut', 'γ', 'β'], ln(t.norm1, projOut), n1) });
    else unavailable('postNorm1', 'LayerNorm (post-norm)', 'The LayerNorm after attention was not found.');
  }
  const r1 = streamRow(t.residual1);
  const attnOut = post ? n1 : projOut;
  if (r1) add({ id: 'residual1', title: '+ residual', formula: post ? `z' = LN(MSA(z)) + z` : `z' = MSA(LN(z)) + z`, shape: [C], values: r1, check: check(['block input', post ? 'postNorm1' : 'projectionOut'], x && attnOut ? x.map((a, i) => a + attnOut[i] + joinBias(t.residual1, i)) : null, r1) });
  else unavailable('residual1', '+ residual', 'The residual add after attention was not found.');

  // ---- MLP ----
  const n2 = streamRow(t.norm2?.output);
  if (post) {
    // V2: the MLP reads z' itself; its LayerNorm comes after it
  } else if (n2) add({ id: 'norm2', title: 'LayerNorm', formula: `LN(z') over C = ${C}`, shape: [C], values: n2, check: check(['residual1', 'γ', 'β'], ln(t.norm2, r1), n2) });
  else unavailable('norm2', 'LayerNorm', 'The LayerNorm before the MLP was not found.');
  const hidW = t.fc1 ? (t.fc1.layout === 'inOut' ? t.fc1.weight.dims[1] : t.fc1.weight.dims[0]) : 0;
  const hid = hidW ? streamRow(t.hidden, hidW) : null;
  const mlpOut = t.fc2 ? streamRow(t.fc2.output) : null;
  if (mlpOut && hid) {
    const mlpIn = post ? r1 : n2;
    const fc1Re = lin(t.fc1, mlpIn);
    const fc1Out = streamRow(t.fc1?.output, hidW);
    // the activation as the graph computes it, with the bias a BiasGelu/FastGelu adds itself
    const actBias = t.activation.bias ? W(t.activation.bias) : null;
    const g = t.activation.form === 'tanh' ? geluTanh : gelu;
    const act = (y: number[]): number[] | null => (t.activation.bias && !actBias ? null : y.map((v, i) => g(v + (actBias ? actBias[i] : 0))));
    const hidRe = fc1Re ? act(fc1Re) : fc1Out ? act(fc1Out) : null;
    const outRe = lin(t.fc2, hidRe);
    // the non-VNNI kernel's MLP: either layer's pairs may saturate
    const fc1Sat = fc1Re ? linSat(t.fc1, mlpIn) : null;
    const hidSat = fc1Sat ? act(fc1Sat) : hidRe;
    const outSat = hidSat ? linSat(t.fc2, hidSat) ?? (fc1Sat ? lin(t.fc2, hidSat) : null) : null;
    const r = p.mlpRatio ?? hidW / C;
    const actText = t.activation.form === 'tanh' ? ` — GELU in its tanh approximation, 0.5x(1 + tanh(√(2/π)(x + 0.044715x³)))${t.activation.op ? ` (${t.activation.op})` : ''}` : t.activation.op && t.activation.op !== 'Gelu' ? ` — GELU fused with b₁ (${t.activation.op})` : '';
    add({ id: 'mlp', title: 'MLP', formula: `GELU(${post ? "z'" : "LN(z')"}·W₁ + b₁)·W₂ + b₂: C → rC → C = ${C} → ${hidW} → ${C}, r = ${f(r)}${actText}${quantNote(t.fc1) || quantNote(t.fc2)}`, shape: [C], values: mlpOut, check: outRe ? checkQ([post ? 'residual1' : 'norm2', 'W₁', 'GELU', 'W₂'], outRe, mlpOut, outSat, t.fc1, t.fc2) : check(['fc1', 'GELU'], hidRe, hid), numbers: { mlpRatio: r, dim: C } });
  } else unavailable('mlp', 'MLP', 'The MLP\'s layers were not found.');
  if (post) {
    if (n2) add({ id: 'postNorm2', title: 'LayerNorm (post-norm)', formula: `LN(MLP(z')) over C = ${C}: Swin V2 normalises the MLP output before the residual add`, shape: [C], values: n2, check: check(['mlp', 'γ', 'β'], ln(t.norm2, mlpOut), n2) });
    else unavailable('postNorm2', 'LayerNorm (post-norm)', 'The LayerNorm after the MLP was not found.');
  }
  const output = streamRow(t.output) ?? [];
  const mlpSide = post ? n2 : mlpOut;
  if (t.output) add({ id: 'residual2', title: '+ residual', formula: post ? `z_${p.layer + 1} = LN(MLP(z')) + z'` : `z_${p.layer + 1} = MLP(LN(z')) + z'`, shape: [C], values: output, check: check(['residual1', post ? 'postNorm2' : 'mlp'], r1 && mlpSide ? r1.map((a, i) => a + mlpSide[i] + joinBias(t.output, i)) : null, output) });
  else unavailable('residual2', '+ residual', 'The block output was not found.');

  // ---- Swin patch merging where the stage ends ----
  let merge: TraceTensors['merge'];
  if (swin && t.merge && output.length) {
    const [H, Wg] = p.grid;
    const r = Math.floor(T / Wg);
    const c = T % Wg;
    const r0 = r - (r % 2);
    const c0 = c - (c % 2);
    // official order: x0 = (0,0), x1 = (1,0), x2 = (0,1), x3 = (1,1); −1 where an odd grid is padded
    // with zeros to even (Hugging Face's and timm's maybe_pad / F.pad: bottom row, right column)
    const at = (rr: number, cc: number): number => (rr < H && cc < Wg ? rr * Wg + cc : -1);
    const group4 = [at(r0, c0), at(r0 + 1, c0), at(r0, c0 + 1), at(r0 + 1, c0 + 1)] as [number, number, number, number];
    const padded = group4.filter((g) => g < 0).length;
    const mergedToken = (r0 / 2) * Math.ceil(Wg / 2) + c0 / 2;
    const v2 = t.merge.normAfter;
    const out2 = t.merge.reduction.weight.dims;
    const C2 = t.merge.reduction.layout === 'inOut' ? out2[1] : out2[0];
    const cat = row(p.out(v2 ? t.merge.reduction.input : t.merge.norm.input), mergedToken, 4 * C);
    const normed = row(p.out(t.merge.norm.output), mergedToken, v2 ? C2 : 4 * C);
    const reduced = row(p.out(t.merge.reduction.output), mergedToken, C2);
    const outC = p.out(t.output!);
    const catRe = outC ? group4.flatMap((g) => (g < 0 ? new Array<number>(C).fill(0) : Array.from(outC.data.subarray(g * C, (g + 1) * C)))) : null;
    if (cat && normed && reduced) {
      merge = { group: group4, mergedToken, concat: cat, normed, reduced };
      add({ id: 'mergeGroup', title: 'Patch merging: 2×2 group', formula: `[x0; x1; x2; x3] of tokens ${group4.map((g) => (g < 0 ? 'padding' : g)).join(', ')}: 4C = ${4 * C}${padded ? ` (the ${H}×${Wg} map padded with zeros to ${H + (H % 2)}×${Wg + (Wg % 2)}: ${padded} of the 4 are zeros)` : ''}`, shape: [4 * C], values: cat, check: check(['residual2 of the group'], catRe, cat) });
      if (v2) {
        // PatchMergingV2: the reduction first, then LN over 2C
        add({ id: 'mergeReduction', title: 'Reduction', formula: `· W_red: 4C → 2C = ${4 * C} → ${C2} (no bias), token ${mergedToken} of the next stage`, shape: [C2], values: reduced, check: checkQ(['mergeGroup', 'W_red'], lin(t.merge.reduction, cat), reduced, linSat(t.merge.reduction, cat), t.merge.reduction) });
        add({ id: 'mergeNorm', title: 'LayerNorm (post-norm)', formula: `LN over 2C = ${C2}: Swin V2 normalises after the reduction`, shape: [C2], values: normed, check: check(['mergeReduction', 'γ', 'β'], ln(t.merge.norm, reduced), normed) });
      } else {
        add({ id: 'mergeNorm', title: 'LayerNorm', formula: `LN over 4C = ${4 * C}`, shape: [4 * C], values: normed, check: check(['mergeGroup', 'γ', 'β'], ln(t.merge.norm, cat), normed) });
        add({ id: 'mergeReduction', title: 'Reduction', formula: `· W_red: 4C → 2C = ${4 * C} → ${C2} (no bias), token ${mergedToken} of the next stage`, shape: [C2], values: reduced, check: checkQ(['mergeNorm', 'W_red'], lin(t.merge.reduction, normed), reduced, linSat(t.merge.reduction, normed), t.merge.reduction) });
      }
    }
  }

  // ---- the head ----
  const logitsC = p.out(t.logits);
  // a base model (no classification head): its output is one hidden state per token, not class scores
  const baseModel = logitsC !== undefined && logitsC.dims.length === 3;
  const logits = logitsC && !baseModel ? Array.from(logitsC.data) : [];
  const fin = t.finalNorm ? p.out(t.finalNorm.output) : undefined;
  const finIn = t.finalNorm ? p.out(t.finalNorm.input) : undefined;
  const Cl = t.finalNorm?.gamma?.dims[0] ?? (fin ? fin.dims[fin.dims.length - 1] : 0);
  const headIn = t.head ? p.out(t.head.input) : undefined;
  /** the final LayerNorm recomputed for every row of its input, or null when one cannot be */
  const lnRows = (rows: number): number[] | null => {
    const all: number[] = [];
    for (let i = 0; i < rows; i++) {
      const re2 = ln(t.finalNorm, row(finIn ?? undefined, i, Cl));
      if (!re2) return null;
      all.push(...re2);
    }
    return all;
  };
  const noHead = `This is a base model without a classification head: its output ${t.logits} [${logitsC?.dims.join(', ') ?? ''}] is one vector per token, not class scores.`;
  if (baseModel) {
    // the final LayerNorm only where it makes the output (the head's role may have found another norm)
    if (fin && finIn && Cl && t.finalNorm?.output === t.logits) {
      const rows = fin.data.length / Cl;
      add({ id: 'finalNorm', title: 'Final LayerNorm', formula: `LN over C = ${Cl} for each of the ${rows} tokens: the model's output`, shape: [rows, Cl], check: check(['last block output', 'γ', 'β'], lnRows(rows), fin.data) });
    }
    unavailable('head', 'Head', noHead);
  } else if (fin && finIn && Cl) {
    const rows = fin.data.length / Cl;
    if (!swin) {
      const y = row(fin, 0, Cl)!;
      add({ id: 'finalNorm', title: 'Final LayerNorm', formula: `LN(z_L) of the class token, C = ${Cl}`, shape: [Cl], values: y, check: check(['last block output', 'γ', 'β'], ln(t.finalNorm, row(finIn, 0, Cl)), y) });
      const hin = headIn ? Array.from(headIn.data) : null;
      add({ id: 'pool', title: 'Class token', formula: 'y = LN(z_L⁰): the head reads the class token', shape: [Cl], values: hin ?? undefined, check: check(['finalNorm'], y, hin) });
    } else {
      const mean = new Array<number>(Cl).fill(0);
      for (let i = 0; i < rows; i++) {
        const y = row(fin, i, Cl)!;
        for (let j = 0; j < Cl; j++) mean[j] += y[j] / rows;
      }
      add({ id: 'finalNorm', title: 'Final LayerNorm', formula: `LN over C = ${Cl} for each of the last stage's ${rows} tokens`, shape: [rows, Cl], check: check(['last block output', 'γ', 'β'], lnRows(rows), fin.data) });
      const hin = headIn ? Array.from(headIn.data) : null;
      // the head may read something else than the mean of the final norm's rows (a pooler): then no check
      const same = hin !== null && hin.length === mean.length;
      add({ id: 'pool', title: 'Average pooling', formula: `the mean over the ${rows} tokens`, shape: [Cl], values: hin ?? undefined, check: same ? check(['finalNorm'], mean, hin) : undefined, ...(hin && !same ? { checkUnavailable: `The head reads ${hin.length} values, not the mean of the final LayerNorm's ${Cl}: the pooling is not recomputed.` } : {}) });
    }
    const hinRow = headIn ? Array.from(headIn.data) : null;
    // the head's own output: the logits, or (DeiT) one of the heads the logits average
    const headOut = t.head ? p.out(t.head.output) : undefined;
    const own = headOut ? Array.from(headOut.data) : logits;
    const averaged = own.length === logits.length && maxAbsDiff(own, logits) > 0;
    add({ id: 'head', title: 'Head', formula: `${averaged ? 'the class head' : 'logits'} = y·W_head + b: ${Cl} → ${logits.length} classes${averaged ? ' (the logits average it with the distillation head)' : ''}${quantNote(t.head)}`, shape: [own.length], values: own, check: checkQ(['pool', 'W_head'], lin(t.head, hinRow), own, linSat(t.head, hinRow), t.head) });
  } else unavailable('head', 'Head', baseModel ? noHead : 'The final LayerNorm or the head was not found.');
  const probs = softmax(logits);
  const top = probs.map((pr, i) => ({ index: i, label: p.labels(i), prob: pr })).sort((a, b) => b.prob - a.prob).slice(0, 5);
  if (baseModel) unavailable('probabilities', 'Softmax over the classes', noHead);
  else add({ id: 'probabilities', title: 'Softmax over the classes', formula: `softmax(logits): top ${top[0]?.label ?? '?'} ${(100 * (top[0]?.prob ?? 0)).toFixed(1)}%`, shape: [logits.length], values: probs });

  // keys of a Swin window as stage-grid token indices (−1 padding), for the view
  // a step that recomputes the model's tensor elsewhere but found nothing to recompute it from here says so (never silent)
  for (const s of steps) {
    if (RECOMPUTED.has(s.id) && !s.check && !s.checkUnavailable && !s.unavailable && !(s.id === 'position' && T < extra)) {
      s.checkUnavailable = `What this step is computed from was not found in this graph in a form the step-through reads (${UNREAD[s.id] ?? 'its inputs and weights'}): the values are the model's own, not recomputed.`;
    }
  }
  const tensors: TraceTensors = { q, k, v, scores, weights: weightsRow, context, output, logits };
  if (!swin && t.embedding) tensors.embedding = streamRow(t.embedding) ?? undefined;
  if (bias) tensors.bias = bias;
  if (mask) tensors.mask = mask;
  if (merge) tensors.merge = merge;
  const res: TraceResult = { family: p.family, layer: p.layer, head: h, token: T, tensors, steps, extraTokens: names, grid: p.grid, top, warnings };
  if (swin) {
    res.window = group;
    res.position = pos;
    res.shift = p.shift;
    res.windowSize = p.window ?? undefined;
    res.stage = p.stage;
    if (keysOf) res.keys = keysOf;
  }
  return res;
}
