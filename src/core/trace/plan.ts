/**
 * Where a traced block's tensors are in the graph: from the attention block arch/analysis.ts found
 * (QKᵀ, Softmax, A·V, the projections), the walk (graph/walk.ts) goes to the LayerNorm before it,
 * the residual adds after it, the MLP between them and, after the last block, the final LayerNorm
 * and the head. Every tensor named here is added as a graph output, as runtime/capture.ts does for
 * the attention maps, so one run returns them all. Nothing here runs the model or reads weights.
 */
import type { Detection } from '../arch/detect';
import { scalarOf } from '../arch/explain';
import type { OnnxModel, TensorInfo } from '../onnx/model';
import { attrFloat, attrInt } from '../onnx/model';
import type { GraphAnalysis } from '../graph/structure';
import { chain, walk } from '../graph/walk';
import { CONV_LIKE, MATMUL_LIKE, PASS_THROUGH, RESHAPE_OPS, SCALE_PATH, TOKEN_LAYOUT } from '../graph/ops';

/** A weighted linear layer: its weight (layout as stored), bias and output (after the bias add). */
export interface LinearTap {
  node: number;
  weight: TensorInfo;
  /** "outIn": [out, in] (Gemm transB=1, Conv); "inOut": [in, out] (MatMul). */
  layout: 'outIn' | 'inOut';
  bias: TensorInfo | null;
  /** the layer's input and its output (after the bias add when the bias is a separate Add) */
  input: string;
  output: string;
}

/** A LayerNorm: one LayerNormalization op (γ, β, ε readable) or a decomposed one (values only). */
export interface NormTap {
  input: string;
  output: string;
  gamma: TensorInfo | null;
  beta: TensorInfo | null;
  eps: number | null;
}

export interface TraceTaps {
  /** the image input and the patch-embedding Conv (its output [1, C, gh, gw]) */
  patchConv: { node: number; output: string; weight: TensorInfo | null; bias: TensorInfo | null; kernel: [number, number] } | null;
  /** block 0's input: the tokens after embedding (+ position) */
  embedding: string | null;
  /** the additive position embedding (ViT), when one initializer is added to the tokens */
  position: TensorInfo | null;
  blockIn: string;
  norm1: NormTap | null;
  qkv: LinearTap | null;
  /** QKᵀ's inputs (q side [.., N, d], k side [.., d, N]) and output; the factors of the scale found on each */
  qIn: string;
  kIn: string;
  rawScores: string;
  qFactor: number;
  kFactor: number;
  postFactor: number;
  /** after + B (the first add on the scores), and the Softmax input and output */
  biased: string | null;
  softmaxIn: string;
  weights: string;
  vIn: string;
  context: string;
  proj: LinearTap | null;
  residual1: string | null;
  norm2: NormTap | null;
  fc1: LinearTap | null;
  /** the MLP's hidden layer after the activation (fc2's input) */
  hidden: string | null;
  fc2: LinearTap | null;
  output: string | null;
  /** Swin: patch merging right after this block (its stage ends here) */
  merge: { norm: NormTap; reduction: LinearTap } | null;
  finalNorm: NormTap | null;
  head: LinearTap | null;
  logits: string;
  /** why a part was not found (shown as an unavailable step) */
  missing: string[];
}

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

function normAt(a: GraphAnalysis, node: number): NormTap {
  const n = a.nodes[node];
  if (n.opType === 'LayerNormalization') {
    return {
      input: n.inputs[0],
      output: n.outputs[0],
      gamma: a.initializers.get(n.inputs[1]) ?? null,
      beta: n.inputs[2] ? a.initializers.get(n.inputs[2]) ?? null : null,
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

/** The linear layer at node i: weight, layout and bias (a Gemm's C, or the Add after a MatMul). */
function linearAt(a: GraphAnalysis, i: number): LinearTap | null {
  const n = a.nodes[i];
  const w = a.weightOf.get(i);
  if (!w) return null;
  const wIn = n.inputs[1];
  // a weight seen through a Transpose/Reshape is not in the layout stored: no recomputation
  const direct = wIn === w.name;
  let layout: 'outIn' | 'inOut';
  let bias: TensorInfo | null = null;
  let output = n.outputs[0];
  if (n.opType === 'Gemm') {
    if (attrInt(n, 'transA', 0) || attrFloat(n, 'alpha', 1) !== 1) return null;
    layout = attrInt(n, 'transB', 0) ? 'outIn' : 'inOut';
    bias = n.inputs[2] ? a.initializers.get(n.inputs[2]) ?? null : null;
  } else if (n.opType === 'MatMul') {
    layout = 'inOut';
    const cs = a.consumers.get(output) ?? [];
    if (cs.length === 1 && a.nodes[cs[0]].opType === 'Add') {
      const b = a.nodes[cs[0]].inputs.find((x) => x && x !== output && a.initializers.has(x));
      if (b) {
        bias = a.initializers.get(b)!;
        output = a.nodes[cs[0]].outputs[0];
      }
    }
  } else return null;
  if (!direct) return null;
  return { node: i, weight: w, layout, bias, input: n.inputs[0], output };
}

/** An Add joining two computed tensors (a residual connection). */
const isJoin = (a: GraphAnalysis, i: number): boolean => a.nodes[i].opType === 'Add' && a.nodes[i].inputs.length === 2 && a.nodes[i].inputs.every((x) => x && !a.isConst(x));

/** Forward from a tensor to the next residual add, through layout ops and constant bias/scale ops. */
function nextResidual(a: GraphAnalysis, from: string): number | null {
  return walk(a, from, {
    direction: 'forward',
    through: (c) => TOKEN_LAYOUT.has(a.nodes[c].opType) || (['Add', 'Mul', 'Sub', 'Div'].includes(a.nodes[c].opType) && a.nodes[c].inputs.some((x) => x && a.isConst(x))),
    stopAt: (c) => isJoin(a, c),
    maxSteps: 48,
  });
}

/** The taps of block `layer` (block order across stages). */
export function traceTaps(model: OnnxModel, a: GraphAnalysis, det: Detection, layer: number): TraceTaps {
  const missing: string[] = [];
  const blocks = det.stages.flatMap((st, si) => st.blocks.map((b, bi) => ({ ...b, stage: si, index: bi, last: bi === st.blocks.length - 1, lastStage: si === det.stages.length - 1 })));
  const bk = blocks[layer];
  const at = a.attentions.find((x) => x.softmax === bk.softmax)!;
  const sm = a.nodes[at.softmax];
  const scores = a.nodes[at.scores!];
  const values = a.nodes[at.values!];

  // The scale: factors on Q's side, on K's side and between QKᵀ and the Softmax.
  const qFactor = sideFactor(a, scores.inputs[0]);
  const kFactor = sideFactor(a, scores.inputs[1]);
  let postFactor = 1;
  let biased: string | null = null;
  chain(a, scores.outputs[0], {
    direction: 'forward',
    through: (c) => c !== at.softmax && (RESHAPE_OPS.has(a.nodes[c].opType) || PASS_THROUGH.has(a.nodes[c].opType) || factorOf(a, c) !== null || a.nodes[c].opType === 'Add' || a.nodes[c].opType === 'Where'),
    stopAt: (c) => c === at.softmax,
    maxSteps: 16,
  }).path.forEach((c) => {
    const k = factorOf(a, c);
    if (k !== null && biased === null) postFactor *= k;
    if (a.nodes[c].opType === 'Add' && biased === null) biased = a.nodes[c].outputs[0];
  });

  const qkvNode = at.qkv[0];
  const qkv = qkvNode !== undefined ? linearAt(a, qkvNode) : null;
  const norm1 = qkvNode !== undefined ? normBefore(a, a.nodes[qkvNode].inputs[0]) : null;
  if (!norm1) missing.push('the LayerNorm before attention');
  const blockIn = norm1?.input ?? a.nodes[qkvNode ?? at.scores!].inputs[0];

  const proj = at.proj !== null ? linearAt(a, at.proj) : null;
  const r1 = at.proj !== null ? nextResidual(a, proj?.output ?? a.nodes[at.proj].outputs[0]) : null;
  const residual1 = r1 !== null ? a.nodes[r1].outputs[0] : null;
  if (residual1 === null) missing.push('the residual add after attention');

  let norm2: NormTap | null = null;
  let fc1: LinearTap | null = null;
  let fc2: LinearTap | null = null;
  let hidden: string | null = null;
  let output: string | null = null;
  if (residual1 !== null) {
    const r2 = (a.consumers.get(residual1) ?? []).find((c) => isJoin(a, c));
    if (r2 !== undefined) {
      output = a.nodes[r2].outputs[0];
      const mlpOut = a.nodes[r2].inputs.find((x) => x !== residual1)!;
      const f2 = walk(a, mlpOut, { direction: 'back', through: (p) => TOKEN_LAYOUT.has(a.nodes[p].opType) || factorOf(a, p) !== null || (a.nodes[p].opType === 'Add' && a.nodes[p].inputs.some((x) => x && a.isConst(x))), stopAt: (p) => isLinear(a, p), maxSteps: 16 });
      fc2 = f2 !== null ? linearAt(a, f2) : null;
      if (f2 !== null) {
        hidden = a.nodes[f2].inputs[0];
        const f1 = walk(a, hidden, { direction: 'back', through: (p) => !a.weightOf.has(p) && !a.normNodes.has(p), stopAt: (p) => isLinear(a, p), maxSteps: 32 });
        fc1 = f1 !== null ? linearAt(a, f1) : null;
        if (f1 !== null) norm2 = normBefore(a, a.nodes[f1].inputs[0]);
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
      const norm = normBefore(a, a.nodes[red].inputs[0], PASS_THROUGH);
      if (reduction && norm) merge = { norm, reduction };
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
    const w = a.weightOf.get(a.patchEmbed) ?? null;
    patchConv = { node: a.patchEmbed, output: n.outputs[0], weight: w, bias: n.inputs[2] ? a.initializers.get(n.inputs[2]) ?? null : null, kernel: [w?.dims[2] ?? 0, w?.dims[3] ?? 0] };
  }
  const first = a.attentions.find((x) => x.softmax === blocks[0].softmax)!;
  const firstNorm = first.qkv[0] !== undefined ? normBefore(a, a.nodes[first.qkv[0]].inputs[0]) : null;
  const embedding = firstNorm?.input ?? null;
  let position: TensorInfo | null = null;
  if (embedding !== null) {
    const p = a.producer.get(embedding);
    if (p !== undefined && a.nodes[p].opType === 'Add') {
      const init = a.nodes[p].inputs.find((x) => x && a.initializers.has(x));
      if (init) position = a.initializers.get(init)!;
    }
  }
  return {
    patchConv,
    embedding,
    position,
    blockIn,
    norm1,
    qkv,
    qIn: scores.inputs[0],
    kIn: scores.inputs[1],
    rawScores: scores.outputs[0],
    qFactor,
    kFactor,
    postFactor,
    biased,
    softmaxIn: sm.inputs[0],
    weights: sm.outputs[0],
    vIn: values.inputs[1],
    context: values.outputs[0],
    proj,
    residual1,
    norm2,
    fc1,
    hidden,
    fc2,
    output,
    merge,
    finalNorm,
    head,
    logits: model.graph.outputs[0].name,
    missing,
  };
}

/** Every tensor of the taps, once: what the run adds as graph outputs. */
export function tapTensors(t: TraceTaps): string[] {
  const names = [
    t.patchConv?.output, t.embedding, t.blockIn, t.norm1?.output, t.qIn, t.kIn, t.rawScores, t.biased, t.softmaxIn, t.weights, t.vIn, t.context,
    t.proj?.input, t.proj?.output, t.residual1, t.norm2?.output, t.fc1?.output, t.hidden, t.fc2?.output, t.output,
    t.merge?.norm.input, t.merge?.norm.output, t.merge?.reduction.output, t.finalNorm?.input, t.finalNorm?.output, t.head?.input, t.head?.output,
  ];
  return [...new Set(names.filter((x): x is string => !!x && x !== t.logits))];
}
