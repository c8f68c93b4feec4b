/**
 * Exact MAC count of an ONNX graph, node by node, from the inferred shapes.
 *
 *  - MACs (multiply-accumulates; the papers' "FLOPs") for Conv, ConvTranspose, MatMul, Gemm and
 *    Einsum: output elements × the contracted length, with batched and broadcast shapes.
 *  - Separately, element-wise work (one per output element of arithmetic and activation ops),
 *    Softmax work (elements) and normalisation work (elements normalised). Nodes folded to
 *    constants (shape arithmetic) cost nothing: the runtime folds them too.
 *
 * Every node gets a role (qkv, attnScores, attnValues, attnProj, mlp, patchEmbed, merge, head,
 * norm, other) from the structural analysis, and MACs are summed per role.
 */
import type { GraphAnalysis } from '../graph/structure';
import { type Role, ROLES } from '../terms';
import { attrInt, attrInts, attrString, numElements } from '../onnx/model';
import { FUSED_ATTENTION, weightInput } from '../graph/ops';

export interface NodeCost {
  macs: number;
  elementwise: number;
  softmax: number;
  norm: number;
  role: Role;
}

export interface GraphMacs {
  /** Conv/MatMul/Gemm/Einsum MACs in all. */
  macs: number;
  byRole: Record<Role, number>;
  elementwise: number;
  softmax: number;
  norm: number;
  nodes: NodeCost[];
  /** Nodes that do MACs but whose shapes are unknown (not counted). */
  uncounted: number[];
}

const ELEMENTWISE = new Set([
  'Add', 'Sub', 'Mul', 'Div', 'Pow', 'Sqrt', 'Erf', 'Exp', 'Log', 'Neg', 'Abs', 'Reciprocal', 'Relu', 'LeakyRelu',
  'PRelu', 'Elu', 'Selu', 'Celu', 'Gelu', 'FastGelu', 'QuickGelu', 'BiasGelu', 'Sigmoid', 'HardSigmoid', 'HardSwish',
  'Tanh', 'Softplus', 'Softsign', 'Mish', 'Clip', 'Where', 'Min', 'Max', 'Sum', 'Mean', 'Equal', 'Less', 'Greater',
  'LessOrEqual', 'GreaterOrEqual', 'And', 'Or', 'Not', 'Xor', 'Floor', 'Ceil', 'Round', 'Sign', 'Sin', 'Cos', 'Mod',
  'Cast', 'CumSum', 'ThresholdedRelu', 'Shrink', 'Trilu',
]);
const POOL = new Set(['GlobalAveragePool', 'GlobalMaxPool', 'AveragePool', 'MaxPool', 'LpPool', 'ReduceMean', 'ReduceSum', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL2', 'ReduceL1', 'ReduceSumSquare', 'ReduceLogSumExp', 'ArgMax', 'ArgMin']);

const known = (s: number[] | null | undefined): s is number[] => !!s && s.every((d) => d >= 0);

function einsumMacs(eq: string, shapes: number[][]): number | null {
  const lhs = eq.replace(/\s+/g, '').split('->')[0];
  const terms = lhs.split(',');
  if (terms.length !== shapes.length || lhs.includes('...')) return null;
  const dims = new Map<string, number>();
  for (let t = 0; t < terms.length; t++) {
    if (terms[t].length !== shapes[t].length) return null;
    for (let k = 0; k < terms[t].length; k++) {
      const c = terms[t][k];
      dims.set(c, Math.max(dims.get(c) ?? 1, shapes[t][k]));
    }
  }
  let p = 1;
  for (const d of dims.values()) p *= d;
  return p;
}

/** MACs of one node, or null when its shapes are unknown; 0 for nodes that do none. */
export function nodeMacs(a: GraphAnalysis, i: number): number | null {
  const n = a.nodes[i];
  const shape = (name: string | undefined): number[] | null => (name ? a.shapes.tensors.get(name)?.shape ?? null : null);
  switch (n.opType) {
    case 'Conv':
    case 'ConvInteger':
    case 'FusedConv':
    case 'QLinearConv': {
      const out = shape(n.outputs[0]);
      const w = shape(n.inputs[weightInput(n.opType)]);
      if (!known(out) || !known(w) || w.length < 3) return null;
      return numElements(out) * numElements(w.slice(1));
    }
    case 'ConvTranspose': {
      const x = shape(n.inputs[0]);
      const w = shape(n.inputs[1]);
      if (!known(x) || !known(w) || w.length < 3) return null;
      return numElements(x) * numElements(w.slice(1));
    }
    case 'MatMul':
    case 'MatMulInteger':
    case 'MatMulIntegerToFloat':
    case 'DynamicQuantizeMatMul':
    case 'QLinearMatMul': {
      const out = shape(n.outputs[0]);
      const A = shape(n.inputs[0]);
      if (!known(out) || !known(A) || A.length === 0) return null;
      return numElements(out) * A[A.length - 1];
    }
    case 'Gemm': {
      const out = shape(n.outputs[0]);
      const A = shape(n.inputs[0]);
      if (!known(out) || !known(A) || A.length !== 2) return null;
      const k = attrInt(n, 'transA', 0) ? A[0] : A[1];
      return numElements(out) * k;
    }
    case 'FusedMatMul': {
      // K is A's last axis, or its second-to-last when transA folds a transpose in.
      const out = shape(n.outputs[0]);
      const A = shape(n.inputs[0]);
      if (!known(out) || !known(A) || A.length < 2) return null;
      return numElements(out) * (attrInt(n, 'transA', 0) ? A[A.length - 2] : A[A.length - 1]);
    }
    case 'MatMulNBits': {
      const out = shape(n.outputs[0]);
      const K = attrInt(n, 'K', -1);
      if (!known(out) || K <= 0) return null;
      return numElements(out) * K;
    }
    case 'Attention':
    case 'MultiHeadAttention': {
      const p = fusedAttentionMacs(a, i);
      return p ? p.qkv + p.attnScores + p.attnValues : null;
    }
    case 'Einsum': {
      const ins = n.inputs.map((x) => shape(x));
      if (!ins.every(known) || ins.length < 2) return ins.length < 2 ? 0 : null;
      return einsumMacs(attrString(n, 'equation') ?? '', ins as number[][]);
    }
    default:
      return 0;
  }
}

/**
 * MACs inside a fused attention op, by role: the Q/K/V projection (Attention only: its weight is
 * an input), QKᵀ and A·V (heads · N² · headDim each = N²·C), per image of the batch.
 */
export function fusedAttentionMacs(a: GraphAnalysis, i: number): { qkv: number; attnScores: number; attnValues: number } | null {
  const n = a.nodes[i];
  const shape = (name: string | undefined): number[] | null => (name ? a.shapes.tensors.get(name)?.shape ?? null : null);
  const x = shape(n.inputs[0]);
  const out = shape(n.outputs[0]);
  if (!known(x) || !known(out) || x.length !== 3 || out.length !== 3) return null;
  const [B, S] = x;
  let qkv = 0;
  let qk = x[2];
  if (n.opType === 'Attention') {
    const w = shape(n.inputs[1]);
    if (!known(w) || w.length !== 2) return null;
    qkv = B * S * w[0] * w[1];
    const sizes = attrInts(n, 'qkv_hidden_sizes');
    qk = sizes && sizes.length === 3 ? sizes[0] : w[1] / 3;
  }
  const L = n.opType === 'MultiHeadAttention' ? (shape(n.inputs[1])?.[1] ?? S) : S;
  return { qkv, attnScores: B * S * L * qk, attnValues: B * S * L * out[2] };
}

export function countGraphMacs(a: GraphAnalysis): GraphMacs {
  const byRole = Object.fromEntries(ROLES.map((r) => [r, 0])) as Record<Role, number>;
  const nodes: NodeCost[] = [];
  const uncounted: number[] = [];
  let macs = 0;
  let elementwise = 0;
  let softmax = 0;
  let norm = 0;
  const numelOf = (name: string | undefined): number => {
    const s = name ? a.shapes.tensors.get(name)?.shape : null;
    return known(s) ? numElements(s) : 0;
  };
  a.nodes.forEach((n, i) => {
    const cost: NodeCost = { macs: 0, elementwise: 0, softmax: 0, norm: 0, role: a.roles[i] };
    const m = nodeMacs(a, i);
    if (m === null) uncounted.push(i);
    else cost.macs = m;
    const folded = n.outputs.every((o) => !o || a.isConst(o));
    if (!folded) {
      if (a.normEntries.has(i)) cost.norm = numelOf(n.inputs[0]);
      else if (a.normNodes.has(i)) {
        /* counted once at its entry */
      } else if (n.opType === 'Softmax' || n.opType === 'LogSoftmax') cost.softmax = numelOf(n.inputs[0]);
      else if (ELEMENTWISE.has(n.opType)) cost.elementwise = numelOf(n.outputs[0]);
      else if (POOL.has(n.opType)) cost.elementwise = numelOf(n.inputs[0]);
    }
    macs += cost.macs;
    const parts = FUSED_ATTENTION.has(n.opType) && cost.macs > 0 ? fusedAttentionMacs(a, i) : null;
    if (parts) for (const [r, m] of Object.entries(parts) as [Role, number][]) byRole[r] += m;
    else byRole[cost.role] += cost.macs;
    elementwise += cost.elementwise;
    softmax += cost.softmax;
    norm += cost.norm;
    nodes.push(cost);
  });
  return { macs, byRole, elementwise, softmax, norm, nodes, uncounted };
}
