/**
 * Where a traced block's tensors are in the graph: from the attention block arch/analysis.ts found
 * (QKᵀ, Softmax, A·V, the projections), the walk (graph/walk.ts) goes to the LayerNorm before it,
 * the residual adds after it, the MLP between them and, after the last block, the final LayerNorm
 * and the head. Every tensor named here is added as a graph output, as runtime/capture.ts does for
 * the attention maps, so one run returns them all. Nothing here runs the model or reads weights.
 */
import type { Detection } from '../arch/detect';
import { scalarOf } from '../arch/explain';
import type { OnnxModel, OnnxNode, TensorInfo } from '../onnx/model';
import { attrFloat, attrInt, attrInts } from '../onnx/model';
import { DataType } from '../onnx/proto';
import { normAxis } from '../onnx/fold';
import type { EmbedNode } from './embedding';
import type { AttentionInfo, GraphAnalysis } from '../graph/structure';
import { chain, sourceOf, walk, walkAll } from '../graph/walk';
import { CONV_LIKE, MATMUL_LIKE, PASS_THROUGH, RESHAPE_OPS, SCALE_PATH, TOKEN_LAYOUT } from '../graph/ops';

/**
 * How the graph quantizes an operand before an op (core/trace/quantize.ts): a constant scale and zero
 * point (initializers), or ones computed at run time (DynamicQuantizeLinear's outputs: tensor names,
 * captured with the taps).
 */
export interface QuantTap {
  scale: TensorInfo | string;
  zeroPoint: TensorInfo | string | null;
  axis: number;
  signed: boolean;
}

/** A weighted linear layer: its weight (layout as stored), bias and output (after the bias add). */
export interface LinearTap {
  node: number;
  weight: TensorInfo;
  /** "outIn": [out, in] (Gemm transB=1, Conv); "inOut": [in, out] (MatMul). */
  layout: 'outIn' | 'inOut';
  /** the weight is stored quantized: the op applies (W_q − zp)·scale */
  weightQuant: QuantTap | null;
  /** the op's input is quantized first (QDQ, DynamicQuantizeLinear): the op sees fakeQuantize(input) */
  inputQuant: QuantTap | null;
  /**
   * ONNX Runtime computes the layer with its integer kernel (u8 activations × the stored codes):
   * dynamic int8's MatMulInteger (DynamicQuantizeMatMul once fused), and a QDQ MatMul with no bias
   * add, which its QDQ fusion turns into MatMulIntegerToFloat (a MatMul with a bias add becomes a
   * float Gemm first, the weight's DequantizeLinear folded: then the float recomputation is the kernel's).
   */
  integerKernel: boolean;
  /** MatMulNBits: the weight is block-quantized to `bits` bits (quantize.ts, dequantizeNBits); `weight` is the packed B */
  weightBlocks?: { scales: TensorInfo; zeroPoints: TensorInfo | null; N: number; K: number; bits: number; blockSize: number; accuracyLevel: number };
  bias: TensorInfo | null;
  /** the layer's input and its output (after the bias add when the bias is a separate Add) */
  input: string;
  output: string;
}

/**
 * A QDQ pair on q's, k's or v's path between the projection and QKᵀ / A·V: the tensor the product
 * reads is fakeQuantize(x·before)·after, x the projection's slice, `before`·`after` the side's factor.
 */
export interface SideQuant {
  quant: QuantTap;
  before: number;
}

/** A LayerNorm: one LayerNormalization op (γ, β, ε readable) or a decomposed one (values only). */
export interface NormTap {
  input: string;
  output: string;
  gamma: TensorInfo | null;
  beta: TensorInfo | null;
  eps: number | null;
}

/**
 * Swin V2's scaled cosine attention (Liu et al. 2022, eq. 2): QKᵀ multiplies q/max(‖q‖, ε) by
 * k/max(‖k‖, ε) (F.normalize), then the product by τ_h = exp(min(logit_scale_h, ln 100)).
 */
export interface CosineTap {
  /** q and k as the projections give them, before the normalising Div ([.., N, d] both) */
  q: string;
  k: string;
  /** F.normalize's ε (the Clip/Max on the norm), 0 when the graph has none */
  eps: number;
  /** the Mul by τ: its output (cos·τ) and its other input, τ per head ([heads, 1, 1], captured) */
  scaled: string;
  tau: string;
  /** the learned logit_scale and the clamp's maximum, when τ is computed from them in the graph */
  logitScale: TensorInfo | null;
  clampMax: number | null;
}

export interface TraceTaps {
  /** the image input and the patch-embedding Conv (its output [1, C, gh, gw]) */
  patchConv: {
    node: number; output: string; weight: TensorInfo | null; weightQuant: QuantTap | null; inputQuant: QuantTap | null; bias: TensorInfo | null; kernel: [number, number];
    /** the output is [1, gh, gw, C] (an NCHWc Conv reordered to channels last) */
    channelsLast: boolean;
    unsound: string | null;
    /** the tensor the Conv reads when it is not the graph's input (a hybrid's backbone feature map, an in-graph normalisation), else null */
    source: string | null;
    /** the Conv reads separate p×p patches (stride = kernel, no padding, groups or dilation) */
    separate: boolean;
  } | null;
  /** block 0's input: the tokens after embedding (+ position) */
  embedding: string | null;
  /** how `embedding` is assembled: learned tokens, the patches and + E_pos in the graph's order (null: Swin) */
  embedTree: EmbedNode | null;
  blockIn: string;
  norm1: NormTap | null;
  qkv: LinearTap | null;
  /** q, k and v as separate projections (Hugging Face's query/key/value), in that order; null when one fused qkv */
  qkvSplit: [LinearTap | null, LinearTap | null, LinearTap | null] | null;
  /**
   * Swin V2's res-post-norm: x + LN(attn(x)) and x + LN(MLP(x)); norm1 and norm2 are then the
   * LayerNorms after attention and after the MLP, and nothing normalises the block's input.
   */
  postNorm: boolean;
  /** QKᵀ's inputs (q side [.., N, d], k side [.., d, N]) and output; the factors of the scale found on each */
  qIn: string;
  kIn: string;
  rawScores: string;
  qFactor: number;
  kFactor: number;
  postFactor: number;
  /** Swin V2: QKᵀ is a product of unit vectors scaled by τ per head (then qIn/kIn are the normalised ones) */
  cosine: CosineTap | null;
  /** a factor QKᵀ's own op applies (FusedMatMul's alpha): already in rawScores */
  scoresAlpha: number;
  /** after + B (the first add on the scores), and the Softmax input and output */
  biased: string | null;
  softmaxIn: string;
  weights: string;
  vIn: string;
  /** set when QKᵀ or A·V is an op whose operand layout the recomputation does not read (ONNX Runtime's FusedMatMul): why */
  attentionUnsound: string | null;
  /**
   * How q, k and v lie in QKᵀ's and A·V's operands: "hnd" [.., heads, N, d], "hdn" [.., heads, d, N]
   * (kᵀ as MatMul reads it), "nhd" [N, heads, d] (FusedMatMul's transBatch: the heads moved first by the op)
   */
  qLayout: 'hnd' | 'nhd' | null;
  kLayout: 'hdn' | 'hnd' | 'nhd' | null;
  vLayout: 'hnd' | 'nhd' | null;
  /** QDQ: the attention weights are quantized before · V */
  weightsQuant: QuantTap | null;
  /** QDQ: q, k and v as QKᵀ and A·V read them, rounded on their way from the projection */
  qQuant: SideQuant | null;
  kQuant: SideQuant | null;
  vQuant: SideQuant | null;
  /**
   * QDQ: a tapped tensor that reaches a Q→DQ pair through layout ops only. ONNX Runtime moves such a
   * pair up in front of the layout ops (its QDQ propagation), and the tensor it then returns for the
   * tap is the rounded one: which of the two it is, the captured values say (on the pair's grid or not).
   */
  rounded: Record<string, QuantTap>;
  context: string;
  proj: LinearTap | null;
  residual1: string | null;
  norm2: NormTap | null;
  fc1: LinearTap | null;
  /** the MLP's hidden layer after the activation (fc2's input) */
  hidden: string | null;
  /** the MLP's GELU as the graph computes it: the erf form, or the tanh approximation; a bias the activation op adds itself (BiasGelu, FastGelu) */
  activation: { form: 'erf' | 'tanh'; op: string | null; bias: TensorInfo | null };
  fc2: LinearTap | null;
  output: string | null;
  /** Swin: patch merging right after this block (its stage ends here); V2 normalises after the reduction */
  merge: { norm: NormTap; reduction: LinearTap; normAfter: boolean } | null;
  finalNorm: NormTap | null;
  head: LinearTap | null;
  logits: string;
  /** a fused attention op computes the attention core (q·kᵀ, softmax, ·V) inside itself: what is known of it */
  fused: {
    /** e.g. "com.microsoft.Attention" */
    op: string;
    input: string;
    /** the heads' context, concatenated [1, N, C] */
    output: string;
    /** com.microsoft.Attention's packed W_qkv [C, 3C] and bias [3C] */
    weight: TensorInfo | null;
    bias: TensorInfo | null;
    heads: number;
    /** the op's scale attribute (null: 1/√d) */
    scale: number | null;
    /** why its output cannot be recomputed, or null */
    unsound: string | null;
  } | null;
  /** why a part was not found (shown as an unavailable step) */
  missing: string[];
  /** optional outputs of fused ops the trace reads, added to their node for the run (SkipLayerNormalization's sum) */
  expose: { node: number; index: number; name: string }[];
  /** a residual sum's constant bias (SkipLayerNormalization's input 4): sum = input + skip + bias */
  joinBias: Record<string, TensorInfo>;
}

/** The steps a fused attention op (com.microsoft Attention/MultiHeadAttention) keeps inside itself. */
export const FUSED_HIDDEN_STEPS = ['q', 'k', 'v', 'scores', 'softmax', 'context'] as const;

const isLinear = (a: GraphAnalysis, i: number): boolean => a.weightOf.has(i) && MATMUL_LIKE.has(a.nodes[i].opType);

/** The factor a Mul/Div by a scalar constant applies, else null. */
function factorOf(a: GraphAnalysis, node: number): number | null {
  const op = a.nodes[node].opType;
  if (op !== 'Mul' && op !== 'Div') return null;
  const s = scalarOf(a, node);
  if (s === null) return null;
  if (op === 'Mul') return s;
  // Div(x, c) scales by 1/c; Div(c, x) is no scale
  return a.isConst(a.nodes[node].inputs[1]) ? 1 / s : null;
}

/** Backwards from a QKᵀ input through view ops, multiplying the scale factors met. */
function sideFactor(a: GraphAnalysis, from: string): number {
  let f = 1;
  chain(a, from, {
    direction: 'back',
    through: (p) => SCALE_PATH.has(a.nodes[p].opType) || factorOf(a, p) !== null,
    maxSteps: 12,
    next: (p) => {
      const k = factorOf(a, p);
      if (k !== null) f *= k;
      return a.nodes[p].inputs.find((x) => x && !a.isConst(x));
    },
  });
  return f;
}

/** ONNX Runtime's fused residual add + LayerNorm: LN(input + skip + bias), the sum its optional output 3. */
const isSkipNorm = (a: GraphAnalysis, i: number): boolean => a.nodes[i].opType === 'SkipLayerNormalization' && a.nodes[i].domain === 'com.microsoft';

/**
 * The tensor of a residual add: an Add's output, or a SkipLayerNormalization's input + skip + bias —
 * its output 3, named here when the graph leaves it out (traceCapture adds it to the node for the run).
 */
function sumOf(a: GraphAnalysis, i: number): string {
  const n = a.nodes[i];
  if (!isSkipNorm(a, i)) return n.outputs[0];
  return n.outputs[3] || `${n.outputs[0]}.input_skip_bias_sum`;
}

function normAt(a: GraphAnalysis, node: number): NormTap {
  const n = a.nodes[node];
  if (isSkipNorm(a, node)) {
    return { input: sumOf(a, node), output: n.outputs[0], gamma: constBehind(a, n.inputs[2]), beta: n.inputs[3] ? constBehind(a, n.inputs[3]) : null, eps: attrFloat(n, 'epsilon', 1e-12) };
  }
  if (n.opType === 'LayerNormalization') {
    return {
      input: n.inputs[0],
      output: n.outputs[0],
      gamma: constBehind(a, n.inputs[1]),
      beta: n.inputs[2] ? constBehind(a, n.inputs[2]) : null,
      eps: attrFloat(n, 'epsilon', 1e-5),
    };
  }
  // Decomposed: from the last node of the group back to its entry ReduceMean, whose input is x.
  const entry = walk(a, n.outputs[0], { direction: 'back', through: (p) => a.normNodes.has(p), stopAt: (p) => a.normEntries.has(p) && a.nodes[p].opType === 'ReduceMean', maxSteps: 32 });
  return { input: entry !== null ? a.nodes[entry].inputs[0] : n.inputs[0], output: n.outputs[0], gamma: null, beta: null, eps: null };
}

/** The last node of a norm group reached by a walk (the walk stops at the first norm node it meets going back). */
function normBefore(a: GraphAnalysis, from: string, through = TOKEN_LAYOUT): NormTap | null {
  const i = walk(a, from, { direction: 'back', through, stopAt: (p) => a.normNodes.has(p), maxSteps: 64 });
  return i === null ? null : normAt(a, i);
}

/** Casts between float types (fp16/bf16 → fp32 is exact) and Identity: the values are the initializer's. */
const VALUE_SAME = (a: GraphAnalysis, i: number): boolean => {
  const n = a.nodes[i];
  return n.opType === 'Identity' || (n.opType === 'Cast' && attrInt(n, 'to', 0) === DataType.FLOAT);
};

/** A constant the op reads (bias, γ, β, a position embedding): the initializer behind Casts to float. */
function constBehind(a: GraphAnalysis, name: string | undefined): TensorInfo | null {
  if (!name) return null;
  // At most three Casts/Identities between the op and the initializer.
  const c = chain(a, name, { direction: 'back', constants: true, through: (p) => VALUE_SAME(a, p), maxSteps: 3 });
  return a.initializers.get(c.tensor) ?? null;
}

const SIGNED = new Set<number>([DataType.INT8]);

/** A constant scale / zero point of a Q or DQ node, or undefined when it is not an initializer (no sound recomputation). */
function quantOf(a: GraphAnalysis, node: number, quantized: TensorInfo | null): QuantTap | undefined {
  const n = a.nodes[node];
  const scale = constBehind(a, n.inputs[1]);
  const zp = n.inputs[2] ? constBehind(a, n.inputs[2]) : null;
  if (!scale || (n.inputs[2] && !zp)) return undefined;
  const type = zp?.dataType ?? quantized?.dataType ?? DataType.UINT8;
  return { scale, zeroPoint: zp, axis: attrInt(n, 'axis', 1), signed: SIGNED.has(type) };
}

/**
 * The weight as the op applies it: the initializer, read through Casts to float, a DequantizeLinear
 * (its scale and zero point) and a 2-D Transpose (the layout flips). Null when the path is anything
 * else (the op would not apply the values as stored).
 */
function appliedWeight(a: GraphAnalysis, name: string): { tensor: TensorInfo; quant: QuantTap | null; transposed: boolean } | null {
  let quant: QuantTap | null = null;
  let transposed = false;
  const isDQ = (p: number) => a.nodes[p].opType === 'DequantizeLinear';
  const isT = (p: number) => a.nodes[p].opType === 'Transpose' && String(attrInts(a.nodes[p], 'perm') ?? []) === '1,0';
  // Back to the initializer past Casts/Identities, one DequantizeLinear (the quantization met) and
  // 2-D Transposes between the op and it; at most five ops in all.
  const c = chain(a, name, {
    direction: 'back',
    maxSteps: 5,
    through: (p) => VALUE_SAME(a, p) || (!quant && (isDQ(p) || isT(p))),
    next: (p) => {
      const n = a.nodes[p];
      if (VALUE_SAME(a, p)) return n.inputs[0];
      if (isDQ(p)) quant = quantOf(a, p, a.initializers.get(n.inputs[0]) ?? null) ?? null;
      else transposed = !transposed;
      return isDQ(p) && !quant ? undefined : n.inputs[0];
    },
  });
  const t = a.initializers.get(c.tensor);
  return t ? { tensor: t, quant, transposed } : null;
}

/**
 * An activation as the op receives it: DequantizeLinear(QuantizeLinear(x)) with constant scales (QDQ)
 * or DynamicQuantizeLinear(x) (the scale and zero point are its outputs, captured): the float x the
 * graph rounds, and how. Anything else: the tensor itself, unquantized.
 */
function appliedInput(a: GraphAnalysis, name: string): { input: string; quant: QuantTap | null } | null {
  const p = a.producer.get(name);
  if (p === undefined) return { input: name, quant: null };
  const n = a.nodes[p];
  if (n.opType === 'DynamicQuantizeLinear') return { input: n.inputs[0], quant: { scale: n.outputs[1], zeroPoint: n.outputs[2], axis: 1, signed: false } };
  if (n.opType === 'QuantizeLinear') return null; // integer codes fed straight to a float op: not a layer we recompute
  if (n.opType !== 'DequantizeLinear') return { input: name, quant: null };
  const qn = a.producer.get(n.inputs[0]);
  if (qn === undefined || a.nodes[qn].opType !== 'QuantizeLinear') return null;
  const dq = quantOf(a, p, null);
  const q = quantOf(a, qn, null);
  // the same scale and zero point on both sides, per tensor: what the next op sees is fakeQuantize(x)
  if (!dq || !q || dq.scale !== q.scale || dq.zeroPoint !== q.zeroPoint || (q.scale as TensorInfo).dims.some((x) => x !== 1)) return null;
  return { input: a.nodes[qn].inputs[0], quant: q };
}

/** Back from a QKᵀ / A·V operand through view ops and scale factors to the first QDQ pair met, if any (SideQuant). */
function sideQuant(a: GraphAnalysis, from: string, total: number): SideQuant | null {
  let after = 1;
  let found: SideQuant | null = null;
  chain(a, from, {
    direction: 'back',
    through: (p) => SCALE_PATH.has(a.nodes[p].opType) || factorOf(a, p) !== null,
    maxSteps: 12,
    next: (p) => {
      const n = a.nodes[p];
      if (!found && n.opType === 'DequantizeLinear') {
        const inp = appliedInput(a, n.outputs[0]);
        if (inp?.quant) found = { quant: inp.quant, before: total / after };
      }
      const k = factorOf(a, p);
      if (k !== null) after *= k;
      return n.inputs.find((x) => x && !a.isConst(x));
    },
  });
  return found;
}

/** The Q→DQ pair a tensor reaches through layout ops only (see TraceTaps.rounded), or null. */
function roundedAfter(a: GraphAnalysis, tensor: string): QuantTap | null {
  const c = chain(a, tensor, { direction: 'forward', through: RESHAPE_OPS, stopAt: (i) => a.nodes[i].opType === 'QuantizeLinear', maxSteps: 6 });
  if (c.end === null) return null;
  const dq = (a.consumers.get(a.nodes[c.end].outputs[0]) ?? []).find((i) => a.nodes[i].opType === 'DequantizeLinear');
  const inp = dq !== undefined ? appliedInput(a, a.nodes[dq].outputs[0]) : null;
  return inp?.quant ?? null;
}

/** QDQ: how the attention weights are rounded before · V (null: not quantized, or A·V reads the Softmax as is). */
function weightsQuantOf(a: GraphAnalysis, vA: string, softmaxOut: string): QuantTap | null {
  if (vA === softmaxOut) return null;
  const inp = appliedInput(a, vA);
  // the exporter's Dropout (Identity at inference) may sit between the Softmax and the Q
  return inp && sourceOf(a, inp.input).tensor === softmaxOut ? inp.quant : null;
}

/** The linear layer at node i: weight, layout and bias (a Gemm's C, or the Add after a MatMul). */
function linearAt(a: GraphAnalysis, i: number): LinearTap | null {
  const n = a.nodes[i];
  if (!a.weightOf.get(i)) return null;
  let layout: 'outIn' | 'inOut';
  let bias: TensorInfo | null = null;
  let output = n.outputs[0];
  const biasAfter = (): void => {
    const cs = a.consumers.get(output) ?? [];
    if (cs.length === 1 && a.nodes[cs[0]].opType === 'Add') {
      const b = a.nodes[cs[0]].inputs.find((x) => x && x !== output && constBehind(a, x));
      if (b) {
        bias = constBehind(a, b);
        output = a.nodes[cs[0]].outputs[0];
      }
    }
  };
  let w: ReturnType<typeof appliedWeight>;
  let blocks: LinearTap['weightBlocks'];
  if (n.opType === 'Gemm') {
    if (attrInt(n, 'transA', 0) || attrFloat(n, 'alpha', 1) !== 1 || attrFloat(n, 'beta', 1) !== 1) return null;
    layout = attrInt(n, 'transB', 0) ? 'outIn' : 'inOut';
    w = appliedWeight(a, n.inputs[1]);
    if (n.inputs[2]) {
      bias = constBehind(a, n.inputs[2]);
      if (!bias) return null;
    }
  } else if (n.opType === 'MatMul') {
    layout = 'inOut';
    w = appliedWeight(a, n.inputs[1]);
    biasAfter();
  } else if (n.opType === 'MatMulNBits') {
    // y = x·dequantize(B)ᵀ (+ bias, input 5): B packed [N, blocks, blob]
    const init = a.initializers.get(n.inputs[1]);
    const scales = constBehind(a, n.inputs[2]);
    const zp = n.inputs[3] ? constBehind(a, n.inputs[3]) : null;
    if (!init || !scales || (n.inputs[3] && !zp) || n.inputs[4]) return null;
    layout = 'outIn';
    w = { tensor: init, quant: null, transposed: false };
    blocks = { scales, zeroPoints: zp, N: attrInt(n, 'N', 0), K: attrInt(n, 'K', 0), bits: attrInt(n, 'bits', 4), blockSize: attrInt(n, 'block_size', 0), accuracyLevel: attrInt(n, 'accuracy_level', 0) };
    if (n.inputs[5]) {
      bias = constBehind(a, n.inputs[5]);
      if (!bias) return null;
    } else biasAfter();
  } else if (n.opType === 'MatMulInteger') {
    // (A − a_zp)·(B − b_zp) → Cast → × (a_scale · b_scale) [→ + bias]: B dequantized with b_scale, b_zp
    layout = 'inOut';
    const init = a.initializers.get(n.inputs[1]);
    const bzp = n.inputs[3] ? a.initializers.get(n.inputs[3]) : null;
    const cast = (a.consumers.get(output) ?? []).map((c) => a.nodes[c]);
    if (!init || (n.inputs[3] && !bzp) || cast.length !== 1 || cast[0].opType !== 'Cast') return null;
    const mul = (a.consumers.get(cast[0].outputs[0]) ?? []).map((c) => a.nodes[c]);
    if (mul.length !== 1 || mul[0].opType !== 'Mul') return null;
    const other = mul[0].inputs.find((x) => x !== cast[0].outputs[0])!;
    const sp = a.producer.get(other);
    const scaleIn = sp !== undefined && a.nodes[sp].opType === 'Mul' ? a.nodes[sp].inputs : [];
    const dql = a.producer.get(n.inputs[0]);
    const aScale = dql !== undefined && a.nodes[dql].opType === 'DynamicQuantizeLinear' ? a.nodes[dql].outputs[1] : null;
    const bScale = scaleIn.length === 2 && aScale && scaleIn.includes(aScale) ? constBehind(a, scaleIn.find((x) => x !== aScale)) : null;
    if (!bScale) return null;
    w = { tensor: init, quant: { scale: bScale, zeroPoint: bzp ?? null, axis: 1, signed: SIGNED.has(init.dataType) }, transposed: false };
    output = mul[0].outputs[0];
    biasAfter();
  } else return null;
  if (!w) return null;
  if (w.transposed) layout = layout === 'outIn' ? 'inOut' : 'outIn';
  const inp = appliedInput(a, n.inputs[0]);
  if (!inp) return null;
  if (n.opType === 'MatMulInteger' && !inp.quant) return null;
  const integerKernel = n.opType === 'MatMulInteger' || (n.opType === 'MatMul' && !!inp.quant && !!w.quant && bias === null);
  return { node: i, weight: w.tensor, layout, weightQuant: w.quant, inputQuant: inp.quant, integerKernel, ...(blocks ? { weightBlocks: blocks } : {}), bias, input: inp.input, output };
}

/**
 * The GELU between fc1 and fc2: ONNX Runtime's Gelu/BiasGelu (erf) and FastGelu (tanh approximation),
 * whose bias input may be fc1's bias, or a decomposed form (a Tanh in it: nn.GELU(approximate='tanh')).
 */
function activationOf(a: GraphAnalysis, hidden: string): TraceTaps['activation'] {
  let form: 'erf' | 'tanh' = 'erf';
  let op: string | null = null;
  let bias: TensorInfo | null = null;
  walkAll(a, hidden, {
    direction: 'back',
    through: (p) => !a.weightOf.has(p) && !a.normNodes.has(p),
    stopAt: (p) => isLinear(a, p),
    maxSteps: 32,
    onPass: (p) => {
      const n = a.nodes[p];
      if (n.opType === 'Tanh' || n.opType === 'FastGelu') form = 'tanh';
      if (['Gelu', 'FastGelu', 'BiasGelu'].includes(n.opType)) {
        op = n.opType;
        if (n.inputs[1]) bias = constBehind(a, n.inputs[1]);
      }
    },
  });
  return { form, op, bias };
}

/** Dynamic int8's rescale after a MatMulInteger: Mul(Cast(int32 product), a_scale·b_scale). */
function isRescale(a: GraphAnalysis, i: number): boolean {
  if (a.nodes[i].opType !== 'Mul') return false;
  return a.nodes[i].inputs.some((x) => {
    const c = x ? a.producer.get(x) : undefined;
    const m = c !== undefined && a.nodes[c].opType === 'Cast' ? a.producer.get(a.nodes[c].inputs[0]) : undefined;
    return m !== undefined && a.nodes[m].opType === 'MatMulInteger';
  });
}

/** A constant's single value (a folded value, an initializer, a Constant node's), else null. */
function scalarConst(a: GraphAnalysis, name: string | undefined): number | null {
  if (!name) return null;
  const v = a.shapes.tensors.get(name)?.value ?? constBehind(a, name)?.values;
  return v && v.length === 1 ? Number(v[0]) : null;
}

/** The axes a Reduce op reduces over (attribute before opset 18, an input from 18). */
function reduceAxes(a: GraphAnalysis, node: number): number[] | null {
  const n = a.nodes[node];
  const attr = attrInts(n, 'axes');
  if (attr) return [...attr];
  const v = n.inputs[1] ? a.shapes.tensors.get(n.inputs[1])?.value ?? constBehind(a, n.inputs[1])?.values : null;
  return v ? Array.from(v, Number) : null;
}

/**
 * F.normalize(x, dim=−1) behind a QKᵀ input (through the transpose of K): Div(x, [Expand] Clip|Max
 * (ReduceL2(x, −1), ε)). The x divided and ε; null when the input is not normalised this way.
 */
function normalisedAt(a: GraphAnalysis, from: string): { x: string; eps: number } | null {
  const div = chain(a, from, { direction: 'back', through: RESHAPE_OPS, stopAt: (p) => a.nodes[p].opType === 'Div', maxSteps: 4 }).end;
  if (div === null) return null;
  const [x, den] = a.nodes[div].inputs;
  if (!x || !den || a.isConst(den)) return null;
  let eps = 0;
  const l2 = chain(a, den, {
    direction: 'back',
    through: (p) => ['Expand', 'Clip', 'Max', ...PASS_THROUGH].includes(a.nodes[p].opType),
    stopAt: (p) => a.nodes[p].opType === 'ReduceL2',
    next: (p) => {
      const n = a.nodes[p];
      if (n.opType === 'Clip') eps = scalarConst(a, n.inputs[1]) ?? 0;
      if (n.opType === 'Max') eps = scalarConst(a, n.inputs.find((y) => y && a.isConst(y))) ?? 0;
      return n.inputs.find((y) => y && !a.isConst(y));
    },
    maxSteps: 6,
  }).end;
  if (l2 === null || a.nodes[l2].inputs[0] !== x) return null;
  const rank = a.shapes.tensors.get(x)?.shape?.length ?? 0;
  const axes = reduceAxes(a, l2);
  // over the last axis (the head dimension d), kept for the broadcast: x is [.., N, d]
  if (!axes || axes.length !== 1 || (axes[0] !== -1 && axes[0] !== rank - 1) || attrInt(a.nodes[l2], 'keepdims', 1) !== 1) return null;
  return { x, eps };
}

/** Swin V2's logit scale: a Mul after QKᵀ by a per-head constant, τ = exp(min(logit_scale, max)) when the graph computes it. */
function logitScaleAt(a: GraphAnalysis, mul: number, scoresIn: string): { tau: string; logitScale: TensorInfo | null; clampMax: number | null } | null {
  const n = a.nodes[mul];
  if (n.opType !== 'Mul') return null;
  const tau = n.inputs.find((x) => x && x !== scoresIn && a.isConst(x));
  if (!tau || scalarConst(a, tau) !== null) return null;
  const p = a.producer.get(tau);
  let logitScale: TensorInfo | null = null;
  let clampMax: number | null = null;
  if (p !== undefined && a.nodes[p].opType === 'Exp') {
    const q = a.producer.get(a.nodes[p].inputs[0]);
    const qn = q !== undefined ? a.nodes[q] : null;
    // torch.clamp(logit_scale, max=ln 100): a Clip without a minimum, or a Min; otherwise τ is only read, not recomputed
    if (qn?.opType === 'Clip') {
      clampMax = qn.inputs[1] ? null : scalarConst(a, qn.inputs[2]);
      logitScale = clampMax !== null ? constBehind(a, qn.inputs[0]) : null;
    } else if (qn?.opType === 'Min') {
      const c = qn.inputs.find((x) => x && scalarConst(a, x) !== null);
      clampMax = scalarConst(a, c);
      logitScale = clampMax !== null ? constBehind(a, qn.inputs.find((x) => x && x !== c)) : null;
    } else logitScale = constBehind(a, a.nodes[p].inputs[0]);
  }
  return { tau, logitScale, clampMax };
}

/** The LayerNorm a tensor meets going forward through `through` (the whole group's output for a decomposed one), else null. */
function normAfter(a: GraphAnalysis, from: string, through = TOKEN_LAYOUT): NormTap | null {
  const first = walk(a, from, { direction: 'forward', through, stopAt: (c) => a.normNodes.has(c), maxSteps: 48 });
  if (first === null) return null;
  if (a.nodes[first].opType === 'LayerNormalization') return normAt(a, first);
  // decomposed: the group's last node is the producer of the tensor that leaves it
  let out: string | null = null;
  walk(a, a.nodes[first].outputs[0], { direction: 'forward', through: (c) => a.normNodes.has(c), stopAt: (c, via) => !a.normNodes.has(c) && (out = via) !== null, maxSteps: 32 });
  const last = out !== null ? a.producer.get(out) : undefined;
  return last !== undefined ? normAt(a, last) : null;
}

/** An Add joining two computed tensors (a residual connection). */
const isJoin = (a: GraphAnalysis, i: number): boolean => {
  const n = a.nodes[i];
  if (isSkipNorm(a, i)) return n.inputs.slice(0, 2).every((x) => x && !a.isConst(x));
  return n.opType === 'Add' && n.inputs.length === 2 && n.inputs.every((x) => x && !a.isConst(x));
};

/** Forward from a tensor to the next residual add, through layout ops and constant bias/scale ops. */
function nextResidual(a: GraphAnalysis, from: string): number | null {
  return walk(a, from, {
    direction: 'forward',
    through: (c) => TOKEN_LAYOUT.has(a.nodes[c].opType) || (['Add', 'Mul', 'Sub', 'Div'].includes(a.nodes[c].opType) && a.nodes[c].inputs.some((x) => x && a.isConst(x))),
    stopAt: (c) => isJoin(a, c),
    maxSteps: 48,
  });
}

/** Every block in order across stages, with where it sits (the stage, its index, whether it ends the stage or the model). */
const blocksOf = (det: Detection) => det.stages.flatMap((st, si) => st.blocks.map((b, bi) => ({ ...b, stage: si, index: bi, last: bi === st.blocks.length - 1, lastStage: si === det.stages.length - 1 })));
/**
 * QKᵀ's and A·V's operand layouts (TraceTaps.qLayout …). MatMul: q [.., N, d], kᵀ [.., d, N], v
 * [.., N, d]. ONNX Runtime's FusedMatMul computes alpha·op(A)·op(B): transA/transB transpose the last
 * two axes, transBatchA/B move the first axis behind the batch axes ([N, heads, d] → [heads, N, d]);
 * read here for rank-3 operands (the transBatch case) or with no batch transposition. Null: not read.
 */
function operandLayouts(a: GraphAnalysis, scores: OnnxNode, values: OnnxNode): Pick<TraceTaps, 'qLayout' | 'kLayout' | 'vLayout'> {
  const none = { qLayout: null, kLayout: null, vLayout: null };
  const rank = (x: string): number | undefined => a.shapes.tensors.get(x)?.shape?.length;
  const flags = (n: OnnxNode) => ({ tA: attrInt(n, 'transA', 0), tB: attrInt(n, 'transB', 0), bA: attrInt(n, 'transBatchA', 0), bB: attrInt(n, 'transBatchB', 0) });
  let qLayout: TraceTaps['qLayout'] = 'hnd';
  let kLayout: TraceTaps['kLayout'] = 'hdn';
  let vLayout: TraceTaps['vLayout'] = 'hnd';
  if (scores.opType === 'FusedMatMul') {
    const f = flags(scores);
    if (f.tA || (f.bA && rank(scores.inputs[0]) !== 3) || (f.bB && (!f.tB || rank(scores.inputs[1]) !== 3))) return none;
    qLayout = f.bA ? 'nhd' : 'hnd';
    kLayout = f.bB ? 'nhd' : f.tB ? 'hnd' : 'hdn';
  } else if (scores.opType !== 'MatMul') return none;
  if (values.opType === 'FusedMatMul') {
    const f = flags(values);
    // the weights as the Softmax gives them, no factor: only V's layout may differ
    if (f.tA || f.bA || f.tB || attrFloat(values, 'alpha', 1) !== 1 || (f.bB && rank(values.inputs[1]) !== 3)) return none;
    vLayout = f.bB ? 'nhd' : 'hnd';
  } else if (values.opType !== 'MatMul') return none;
  return { qLayout, kLayout, vLayout };
}

/** The taps of block `layer` (block order across stages). */
export function traceTaps(model: OnnxModel, a: GraphAnalysis, det: Detection, layer: number): TraceTaps {
  const missing: string[] = [];
  const blocks = blocksOf(det);
  const bk = blocks[layer];
  const at = a.attentions.find((x) => x.softmax === bk.softmax)!;
  if (at.fused) return fusedTaps(model, a, det, layer, at);
  const sm = a.nodes[at.softmax];
  const scores = a.nodes[at.scores!];
  const values = a.nodes[at.values!];

  // Swin V2: q and k normalised to unit length before QKᵀ (scaled cosine attention).
  const qUnit = normalisedAt(a, scores.inputs[0]);
  const kUnit = normalisedAt(a, scores.inputs[1]);
  // The scale: factors on Q's side, on K's side and between QKᵀ and the Softmax (V2: τ per head).
  const qFactor = qUnit ? 1 : sideFactor(a, scores.inputs[0]);
  const kFactor = kUnit ? 1 : sideFactor(a, scores.inputs[1]);
  let postFactor = 1;
  let biased: string | null = null;
  let cosine: CosineTap | null = null;
  let via = scores.outputs[0];
  chain(a, scores.outputs[0], {
    direction: 'forward',
    through: (c) => c !== at.softmax && (RESHAPE_OPS.has(a.nodes[c].opType) || PASS_THROUGH.has(a.nodes[c].opType) || factorOf(a, c) !== null || a.nodes[c].opType === 'Add' || a.nodes[c].opType === 'Where' || (!!qUnit && !!kUnit && !cosine && logitScaleAt(a, c, via) !== null)),
    stopAt: (c) => c === at.softmax,
    maxSteps: 16,
  }).path.forEach((c) => {
    const k = factorOf(a, c);
    const ls = qUnit && kUnit && !cosine && biased === null ? logitScaleAt(a, c, via) : null;
    if (ls && qUnit && kUnit) cosine = { q: qUnit.x, k: kUnit.x, eps: Math.max(qUnit.eps, kUnit.eps), scaled: a.nodes[c].outputs[0], ...ls };
    else if (k !== null && biased === null) postFactor *= k;
    if (a.nodes[c].opType === 'Add' && biased === null) biased = a.nodes[c].outputs[0];
    via = a.nodes[c].outputs[0];
  });

  const layouts = operandLayouts(a, scores, values);
  const qkvNode = at.qkv[0];
  const qkv = qkvNode !== undefined ? linearAt(a, qkvNode) : null;
  const qkvSplit = at.qkv.length === 3 ? (at.qkv.map((i) => linearAt(a, i)) as [LinearTap | null, LinearTap | null, LinearTap | null]) : null;
  return finishTaps(a, {
    ...blockTaps(model, a, det, layer, at, attentionInput(a, at), scores.inputs[0], missing),
    qkv,
    qkvSplit,
    qIn: scores.inputs[0],
    kIn: scores.inputs[1],
    rawScores: scores.outputs[0],
    qFactor,
    kFactor,
    postFactor,
    cosine,
    scoresAlpha: scores.opType === 'FusedMatMul' ? attrFloat(scores, 'alpha', 1) : 1,
    biased,
    softmaxIn: sm.inputs[0],
    weights: sm.outputs[0],
    vIn: values.inputs[1],
    weightsQuant: weightsQuantOf(a, values.inputs[0], sm.outputs[0]),
    qQuant: sideQuant(a, scores.inputs[0], qFactor),
    kQuant: sideQuant(a, scores.inputs[1], kFactor),
    vQuant: sideQuant(a, values.inputs[1], 1),
    ...layouts,
    attentionUnsound: layouts.qLayout && layouts.kLayout && layouts.vLayout ? null
      : `This graph computes q·kᵀ and weights·V with ONNX Runtime's fused ${scores.opType !== 'MatMul' ? scores.opType : values.opType} in operand layouts the step-through does not read: q, k and v are not shown and the scores and context are not recomputed.`,
    context: values.outputs[0],
    fused: null,
  });
}

/** The input of an attention block's projections (the fused op's own input). */
const attentionInput = (a: GraphAnalysis, at: AttentionInfo): string | null => (at.fused ? a.nodes[at.softmax].inputs[0] : at.qkv[0] !== undefined ? a.nodes[at.qkv[0]].inputs[0] : null);

/**
 * A block whose attention is one fused op (com.microsoft Attention / MultiHeadAttention): q, k, v,
 * the scores, the softmax and the context stay inside it. com.microsoft.Attention's output is
 * recomputable from its input and its packed weights when it takes nothing else (no mask, past,
 * bias or rotary embedding); MultiHeadAttention's is not (its projections are outside, its bias inside).
 */
function fusedTaps(model: OnnxModel, a: GraphAnalysis, det: Detection, layer: number, at: AttentionInfo): TraceTaps {
  const missing: string[] = [];
  const n = a.nodes[at.softmax];
  const op = `${n.domain && n.domain !== 'ai.onnx' ? `${n.domain}.` : ''}${n.opType}`;
  const weight = n.opType === 'Attention' ? constBehind(a, n.inputs[1]) : null;
  const bias = n.opType === 'Attention' && n.inputs[2] ? constBehind(a, n.inputs[2]) : null;
  const hidden = attrInts(n, 'qkv_hidden_sizes');
  let unsound: string | null = null;
  if (n.opType !== 'Attention') unsound = `The ${op} takes q, k and v projected outside it and adds its bias inside: its output is shown, not recomputed.`;
  else if (!weight || (n.inputs[2] && !bias)) unsound = `The ${op}'s packed weights are not constants of the graph: its output is shown, not recomputed.`;
  else if (n.inputs.slice(3).some((x) => x) || attrInt(n, 'unidirectional', 0) || attrInt(n, 'do_rotary', 0) || (hidden && new Set(hidden).size > 1)) {
    unsound = `The ${op} also takes a mask, past state, bias or rotary embedding (or unequal q/k/v sizes): its output is shown, not recomputed.`;
  }
  return finishTaps(a, {
    ...blockTaps(model, a, det, layer, at, attentionInput(a, at), n.inputs[0], missing),
    qkv: null,
    qkvSplit: null,
    qIn: '', kIn: '', rawScores: '', qFactor: 1, kFactor: 1, postFactor: 1, cosine: null, scoresAlpha: 1, biased: null,
    softmaxIn: '', weights: '', vIn: '', weightsQuant: null, qQuant: null, kQuant: null, vQuant: null, qLayout: null, kLayout: null, vLayout: null,
    attentionUnsound: `Computed inside the fused ${op}: the graph holds no tensor of it (export without attention fusion to see it).`,
    context: '',
    fused: { op, input: n.inputs[0], output: n.outputs[0], weight, bias, heads: at.heads, scale: attrFloat(n, 'scale', 0) || null, unsound },
  });
}

/**
 * Everything of a block's taps but its attention core: the norms, W_O, the residuals, the MLP, merging,
 * the head and the embedding. `attnIn` is what the attention's projections read (null: not found, the
 * block input is then `fallback`); whether a LayerNorm precedes it or follows W_O (V2) is decided here.
 */
function blockTaps(model: OnnxModel, a: GraphAnalysis, det: Detection, layer: number, at: AttentionInfo, attnIn: string | null, fallback: string, missing: string[]): Omit<TraceTaps, 'qkv' | 'qkvSplit' | 'qIn' | 'kIn' | 'rawScores' | 'qFactor' | 'kFactor' | 'postFactor' | 'cosine' | 'scoresAlpha' | 'biased' | 'softmaxIn' | 'weights' | 'vIn' | 'weightsQuant' | 'qQuant' | 'kQuant' | 'vQuant' | 'qLayout' | 'kLayout' | 'vLayout' | 'attentionUnsound' | 'context' | 'fused'> {
  const blocks = blocksOf(det);
  const bk = blocks[layer];
  const proj = at.proj !== null ? linearAt(a, at.proj) : null;
  const projOut = at.proj !== null ? proj?.output ?? a.nodes[at.proj].outputs[0] : null;
  const post1 = projOut !== null ? normAfter(a, projOut) : null;
  const postNorm = post1 !== null;
  // The block's attention side: V2 reads the block input itself (res-post-norm), V1 LN(z).
  const norm1 = postNorm ? post1 : attnIn !== null ? normBefore(a, attnIn) : null;
  if (!norm1) missing.push(postNorm ? 'the LayerNorm after attention' : 'the LayerNorm before attention');
  // the stream tensor the window partition (roll, pad, view) starts from
  const streamOf = (name: string): string => chain(a, name, { direction: 'back', through: TOKEN_LAYOUT, maxSteps: 32 }).tensor;
  const blockIn = postNorm ? streamOf(attnIn ?? fallback) : norm1?.input ?? attnIn ?? fallback;

  const r1 = projOut !== null ? nextResidual(a, post1?.output ?? projOut) : null;
  const residual1 = r1 !== null ? sumOf(a, r1) : null;
  if (residual1 === null) missing.push('the residual add after attention');

  let norm2: NormTap | null = null;
  let fc1: LinearTap | null = null;
  let fc2: LinearTap | null = null;
  let hidden: string | null = null;
  let activation: TraceTaps['activation'] = { form: 'erf', op: null, bias: null };
  let output: string | null = null;
  if (residual1 !== null) {
    const r2 = (a.consumers.get(residual1) ?? []).find((c) => isJoin(a, c));
    if (r2 !== undefined) {
      output = sumOf(a, r2);
      let mlpOut = a.nodes[r2].inputs.slice(0, 2).find((x) => x !== residual1)!;
      if (postNorm) {
        // V2: x + LN(MLP(x)); the MLP reads x itself
        norm2 = normBefore(a, mlpOut);
        if (norm2) mlpOut = norm2.input;
        else missing.push('the LayerNorm after the MLP');
      }
      const f2 = walk(a, mlpOut, { direction: 'back', through: (p) => TOKEN_LAYOUT.has(a.nodes[p].opType) || factorOf(a, p) !== null || isRescale(a, p) || (a.nodes[p].opType === 'Add' && a.nodes[p].inputs.some((x) => x && a.isConst(x))), stopAt: (p) => isLinear(a, p), maxSteps: 16 });
      fc2 = f2 !== null ? linearAt(a, f2) : null;
      if (f2 !== null) {
        // the float activation (a MatMulInteger's operand is its DynamicQuantizeLinear codes)
        hidden = fc2?.input ?? a.nodes[f2].inputs[0];
        activation = activationOf(a, hidden);
        const f1 = walk(a, hidden, { direction: 'back', through: (p) => !a.weightOf.has(p) && !a.normNodes.has(p), stopAt: (p) => isLinear(a, p), maxSteps: 32 });
        fc1 = f1 !== null ? linearAt(a, f1) : null;
        if (f1 !== null && !postNorm) norm2 = normBefore(a, a.nodes[f1].inputs[0]);
      }
    }
  }
  if (!output) missing.push('the block output (the residual add after the MLP)');

  // Swin: patch merging where the stage ends after this block (not after the last stage).
  let merge: TraceTaps['merge'] = null;
  if (det.stages[bk.stage].window !== null && bk.last && !bk.lastStage && output) {
    const red = walk(a, output, { direction: 'forward', through: (c) => !a.weightOf.has(c), stopAt: (c) => a.weightOf.has(c) && a.roles[c] === 'merge', maxSteps: 64 });
    if (red !== null) {
      const reduction = linearAt(a, red);
      // V1: LN(4C) then the reduction; V2 (PatchMergingV2): the reduction then LN(2C)
      const before = normBefore(a, a.nodes[red].inputs[0], PASS_THROUGH);
      const after = before ? null : reduction ? normAfter(a, reduction.output, PASS_THROUGH) : null;
      const norm = before ?? after;
      if (reduction && norm) merge = { norm, reduction, normAfter: !before };
    }
    if (!merge) missing.push('patch merging after this block');
  }

  // After the last block: the final LayerNorm and the head.
  const headNode = a.roles.findIndex((r, i) => r === 'head' && isLinear(a, i));
  const head = headNode >= 0 ? linearAt(a, headNode) : null;
  const finalNorm = headNode >= 0 ? normBefore(a, a.nodes[headNode].inputs[0], new Set([...TOKEN_LAYOUT, 'ReduceMean', 'GlobalAveragePool', 'Flatten'])) : null;

  // Embedding: the patch Conv and block 0's input.
  let patchConv: TraceTaps['patchConv'] = null;
  if (a.patchEmbed !== null && CONV_LIKE.has(a.nodes[a.patchEmbed].opType)) {
    const n = a.nodes[a.patchEmbed];
    const w = appliedWeight(a, n.inputs[1]);
    const inp = appliedInput(a, n.inputs[0]);
    const dims = w?.tensor.dims ?? a.weightOf.get(a.patchEmbed)?.dims ?? [];
    let out = n.outputs[0];
    let unsound: string | null = null;
    let channelsLast = false;
    if (n.domain === 'com.microsoft.nchwc') {
      // ONNX Runtime's NCHWc Conv: its output is blocked by channel until ReorderOutput; its weight is
      // stored reordered for those kernels, not as the model's [C, 3, p, p]
      const ro = (a.consumers.get(out) ?? []).find((c) => a.nodes[c].opType === 'ReorderOutput');
      // back to NCHW, or to NHWC (channels_last: Swin's permute folded in)
      if (ro !== undefined) {
        out = a.nodes[ro].outputs[0];
        channelsLast = attrInt(a.nodes[ro], 'channels_last', 0) === 1;
      } else out = '';
      unsound = 'ONNX Runtime stores this Conv\'s weight reordered for its blocked NCHWc kernels, not as E: the recomputation is not shown.';
    }
    if (!w || w.transposed || !inp) unsound ??= 'The patch-embedding Conv does not apply its weight as stored (or its input is quantized in a way not recomputed): the recomputation is not shown.';
    const bias = n.inputs[2] ? constBehind(a, n.inputs[2]) : null;
    if (n.inputs[2] && !bias) unsound ??= 'The patch-embedding Conv\'s bias is not a constant: the recomputation is not shown.';
    // patch · E + b is the Conv only when the patches do not overlap: stride = kernel, no padding, no groups or dilation
    const kernel: [number, number] = [dims[2] ?? 0, dims[3] ?? 0];
    const strides = attrInts(n, 'strides') ?? [1, 1];
    const separate = String(strides) === String(kernel) && !(attrInts(n, 'pads') ?? []).some((x) => x !== 0) && attrInt(n, 'group', 1) === 1 && !(attrInts(n, 'dilations') ?? []).some((x) => x !== 1);
    if (!separate) {
      unsound ??= `The patch-embedding Conv's patches overlap or are padded (kernel ${kernel.join('×')}, stride ${strides.join('×')}): it is not patch · E + b of separate patches, so the recomputation is not shown.`;
    }
    const read = inp?.input ?? n.inputs[0];
    const source = model.graph.inputs.some((x) => x.name === read) ? null : read;
    if (out) patchConv = { node: a.patchEmbed, output: out, weight: w?.tensor ?? null, weightQuant: w?.quant ?? null, inputQuant: inp?.quant ?? null, bias, kernel, channelsLast, unsound, source, separate };
  }
  const first = a.attentions.find((x) => x.softmax === blocks[0].softmax)!;
  const firstIn = attentionInput(a, first);
  const firstNorm = firstIn !== null ? normBefore(a, firstIn) : null;
  const embedding = firstNorm?.input ?? null;
  return {
    patchConv,
    embedding,
    embedTree: embedding !== null && !det.stages.some((st) => st.window !== null) ? embedTree(a, embedding) : null,
    blockIn,
    norm1,
    postNorm,
    proj,
    residual1,
    norm2,
    fc1,
    hidden,
    activation,
    fc2,
    output,
    merge,
    finalNorm,
    head,
    logits: model.graph.outputs[0].name,
    missing,
    rounded: {},
    expose: [],
    joinBias: {},
  };
}

/**
 * What the run needs beyond the taps' names, found once the taps are known: the residual sums a
 * SkipLayerNormalization computes (its optional output 3, exposed for the run; its bias) and the
 * tapped tensors ONNX Runtime may hand out rounded (TraceTaps.rounded).
 */
function finishTaps(a: GraphAnalysis, taps: TraceTaps): TraceTaps {
  a.nodes.forEach((n, i) => {
    if (!isSkipNorm(a, i)) return;
    const name = sumOf(a, i);
    const used = name === taps.residual1 || name === taps.output || name === taps.finalNorm?.input || name === taps.merge?.norm.input;
    if (used && !n.outputs[3]) taps.expose.push({ node: i, index: 3, name });
    const b = n.inputs[4] ? constBehind(a, n.inputs[4]) : null;
    if (used && b) taps.joinBias[name] = b;
  });
  for (const name of tapTensors(taps)) {
    const q = roundedAfter(a, name);
    if (q) taps.rounded[name] = q;
  }
  return taps;
}

const dimsOf = (a: GraphAnalysis, name: string): number[] | null => a.shapes.tensors.get(name)?.shape ?? null;

/** The constant ints a Slice reads (starts, ends, axes, steps), folded by shape inference. */
const intsOf = (a: GraphAnalysis, name: string | undefined): number[] | null => (name ? a.shapes.tensors.get(name)?.value ?? a.initializers.get(name)?.values ?? null : null);

/** Backwards from block 0's input on the token axis (axis 1 of [B, N, C]): see EmbedNode. */
function embedTree(a: GraphAnalysis, name: string, depth = 0): EmbedNode {
  const init = constBehind(a, name);
  if (init) return { op: 'learned', table: init };
  const p = a.producer.get(name);
  const dims = dimsOf(a, name);
  if (p === undefined || depth > 12 || !dims || dims.length !== 3) return { op: 'patches', output: name };
  const n = a.nodes[p];
  if (n.opType === 'Expand') {
    const t = constBehind(a, n.inputs[0]);
    if (t) return { op: 'learned', table: t };
  }
  if (n.opType === 'Concat' && normAxis(attrInt(n, 'axis', 0), 3) === 1) {
    const lengths = n.inputs.map((x) => dimsOf(a, x)?.[1] ?? -1);
    if (lengths.every((l) => l > 0)) return { op: 'concat', output: name, parts: n.inputs.map((x) => embedTree(a, x, depth + 1)), lengths };
  }
  if (n.opType === 'Slice') {
    const inDims = dimsOf(a, n.inputs[0]);
    const starts = intsOf(a, n.inputs[1]);
    const axes = n.inputs[3] ? intsOf(a, n.inputs[3]) : [0];
    const steps = n.inputs[4] ? intsOf(a, n.inputs[4]) : [1];
    // one slice of the token axis, step 1 (a slice of every axis but the token axis from 0 is one too)
    const on = axes?.map((x) => normAxis(x, 3)).indexOf(1) ?? -1;
    const others = axes && starts ? axes.every((x, i) => normAxis(x, 3) === 1 || starts[i] === 0) : false;
    if (inDims && starts && steps && on >= 0 && others && steps[on] === 1) {
      const start = starts[on] < 0 ? starts[on] + inDims[1] : starts[on];
      return { op: 'slice', output: name, start, part: embedTree(a, n.inputs[0], depth + 1) };
    }
  }
  if (n.opType === 'Add') {
    const ci = n.inputs.findIndex((x) => x && constBehind(a, x));
    const other = n.inputs[1 - ci];
    if (ci >= 0 && other && !a.isConst(other)) return { op: 'position', output: name, table: constBehind(a, n.inputs[ci])!, part: embedTree(a, other, depth + 1) };
    // a table computed from constants (an interpolated position embedding): its values are captured
    const ki = n.inputs.findIndex((x) => x && a.isConst(x));
    const rest = n.inputs[1 - ki];
    if (ki >= 0 && rest && !a.isConst(rest) && dimsOf(a, n.inputs[ki])?.length === 3) return { op: 'position', output: name, table: n.inputs[ki], part: embedTree(a, rest, depth + 1) };
  }
  return { op: 'patches', output: name };
}

/** The outputs an embedding tree's steps read (the learned tokens are read from the weights). */
function embedTensors(e: EmbedNode | null): string[] {
  if (!e || e.op === 'learned') return [];
  if (e.op === 'patches') return [e.output];
  if (e.op === 'concat') return [e.output, ...e.parts.flatMap(embedTensors)];
  return [e.output, ...(e.op === 'position' && typeof e.table === 'string' ? [e.table] : []), ...embedTensors(e.part)];
}

/** Every tensor of the taps, once: what the run adds as graph outputs. */
export function tapTensors(t: TraceTaps): string[] {
  const names = [
    t.fused?.input, t.fused?.output, t.patchConv?.output, t.patchConv?.source, t.embedding, ...embedTensors(t.embedTree), t.blockIn, t.norm1?.output, t.qIn, t.kIn, t.rawScores, t.biased, t.softmaxIn, t.weights, t.vIn, t.context,
    t.proj?.input, t.proj?.output, t.residual1, t.norm2?.output, t.fc1?.output, t.hidden, t.fc2?.output, t.output,
    t.merge?.norm.input, t.merge?.norm.output, t.merge?.reduction.input, t.merge?.reduction.output,
    t.cosine?.q, t.cosine?.k, t.cosine?.scaled, t.cosine?.tau, t.finalNorm?.input, t.finalNorm?.output, t.head?.input, t.head?.output,
  ];
  // run-time quantization scales and zero points (DynamicQuantizeLinear's outputs)
  for (const l of [t.qkv, t.proj, t.fc1, t.fc2, t.merge?.reduction, t.head]) {
    for (const x of [l?.inputQuant?.scale, l?.inputQuant?.zeroPoint]) if (typeof x === 'string') names.push(x);
  }
  return [...new Set(names.filter((x): x is string => !!x && x !== t.logits))];
}
