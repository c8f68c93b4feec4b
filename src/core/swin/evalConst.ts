/**
 * Evaluates a small constant subgraph: what Swin V2's continuous position bias is when the
 * exporter did not fold it — 16·sigmoid(cpb_mlp(relative_coords_table)) gathered by the index,
 * all from constants. Only the ops that path uses (MatMul, Add, Mul, Div, Sub, Relu, Sigmoid,
 * Reshape, Transpose, (Un)Squeeze, Identity, Gather, Cast); anything else gives null.
 */
import { walk } from '../graph/walk';
import type { GraphAnalysis } from '../graph/structure';
import { attrInt, attrInts, numElements, type OnnxNode } from '../onnx/model';
import { foldBroadcast, transposeValues } from '../onnx/fold';

export interface Tensor {
  dims: number[];
  data: Float64Array;
}

const MAX_ELEMENTS = 1 << 24;

function broadcast(x: Tensor, y: Tensor, f: (a: number, b: number) => number): Tensor | null {
  const r = Math.max(x.dims.length, y.dims.length);
  const xd = [...new Array(r - x.dims.length).fill(1), ...x.dims];
  const yd = [...new Array(r - y.dims.length).fill(1), ...y.dims];
  const od = xd.map((a, i) => (a === yd[i] ? a : a === 1 ? yd[i] : yd[i] === 1 ? a : -1));
  if (od.some((d) => d < 0)) return null;
  const out = foldBroadcast(MAX_ELEMENTS, od, [x, y].map((t) => ({ dtype: 0, shape: t.dims, value: Array.from(t.data) })), f);
  return out ? { dims: od, data: Float64Array.from(out) } : null;
}

function matmul(x: Tensor, y: Tensor): Tensor | null {
  // [..., n, k] @ [k, m] (the CPB MLP's Linear layers); batched y is not needed here.
  if (y.dims.length !== 2 || x.dims.length < 2) return null;
  const [k, m] = y.dims;
  if (x.dims[x.dims.length - 1] !== k) return null;
  const rows = numElements(x.dims) / k;
  if (rows * m > MAX_ELEMENTS) return null;
  const out = new Float64Array(rows * m);
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < m; j++) {
      let s = 0;
      for (let q = 0; q < k; q++) s += x.data[i * k + q] * y.data[q * m + j];
      out[i * m + j] = s;
    }
  return { dims: [...x.dims.slice(0, -1), m], data: out };
}

function gather(x: Tensor, idx: Tensor, axis: number): Tensor | null {
  const ax = axis < 0 ? axis + x.dims.length : axis;
  const outer = numElements(x.dims.slice(0, ax));
  const inner = numElements(x.dims.slice(ax + 1));
  const len = x.dims[ax];
  const n = idx.data.length;
  const out = new Float64Array(outer * n * inner);
  for (let o = 0; o < outer; o++)
    for (let t = 0; t < n; t++) {
      let i = idx.data[t];
      if (i < 0) i += len;
      if (i < 0 || i >= len) return null;
      for (let q = 0; q < inner; q++) out[(o * n + t) * inner + q] = x.data[(o * len + i) * inner + q];
    }
  return { dims: [...x.dims.slice(0, ax), ...idx.dims, ...x.dims.slice(ax + 1)], data: out };
}

/** The ops evaluated below. */
const EVALUATED = new Set(['Identity', 'Cast', 'Reshape', 'Unsqueeze', 'Squeeze', 'Flatten', 'Relu', 'Sigmoid', 'Transpose', 'MatMul', 'Gather', 'Add', 'Sub', 'Mul', 'Div']);

/** A constant subgraph is a small MLP and a gather; a limit keeps a wrong tensor from walking a whole graph. */
const MAX_TENSORS = 1024;

/** One node's output from its inputs' values (null where one is missing). */
function evalNode(n: OnnxNode, shape: number[] | null, arg: (i: number) => Tensor | null): Tensor | null {
  const x = arg(0);
  if (!x) return null;
  switch (n.opType) {
    case 'Identity':
    case 'Cast':
    case 'Reshape':
    case 'Unsqueeze':
    case 'Squeeze':
    case 'Flatten':
      return shape && shape.every((d) => d >= 0) && numElements(shape) === x.data.length ? { dims: [...shape], data: x.data } : null;
    case 'Relu':
      return { dims: x.dims, data: x.data.map((v) => (v > 0 ? v : 0)) };
    case 'Sigmoid':
      return { dims: x.dims, data: x.data.map((v) => 1 / (1 + Math.exp(-v))) };
    case 'Transpose': {
      const perm = attrInts(n, 'perm') ?? x.dims.map((_, i) => x.dims.length - 1 - i);
      return { dims: perm.map((p) => x.dims[p]), data: Float64Array.from(transposeValues(Array.from(x.data), x.dims, perm)) };
    }
    case 'MatMul': {
      const y = arg(1);
      return y ? matmul(x, y) : null;
    }
    case 'Gather': {
      const idx = arg(1);
      return idx ? gather(x, idx, attrInt(n, 'axis', 0)) : null;
    }
    default: {
      const y = arg(1);
      if (!y) return null;
      const f = n.opType === 'Add' ? (p: number, q: number) => p + q : n.opType === 'Sub' ? (p: number, q: number) => p - q : n.opType === 'Mul' ? (p: number, q: number) => p * q : (p: number, q: number) => p / q;
      return broadcast(x, y, f);
    }
  }
}

/**
 * The value of constant tensor `name`, computed from initializers through the ops above;
 * `leaf` reads an initializer's (or Constant's) values. Null when an op or value is missing.
 * The subgraph is what a constant-following walk passes back from `name`, evaluated in graph order.
 */
export function evalConst(a: GraphAnalysis, name: string, leaf: (name: string) => ArrayLike<number> | null): Tensor | null {
  const isLeaf = (t: string): boolean => {
    const p = a.producer.get(t);
    return p === undefined || a.nodes[p].opType === 'Constant' || a.initializers.has(t);
  };
  const inside = new Set<number>();
  walk(a, name, { direction: 'back', constants: true, through: (p, via) => !isLeaf(via) && EVALUATED.has(a.nodes[p].opType), onPass: (p) => inside.add(p), maxSteps: MAX_TENSORS });
  const values = new Map<string, Tensor | null>();
  const value = (t: string): Tensor | null => {
    if (values.has(t)) return values.get(t)!;
    // Not evaluated and not a leaf: an op outside the set (or past the limit).
    if (!isLeaf(t)) return null;
    const v = a.shapes.tensors.get(t)?.value ?? leaf(t);
    const dims = a.initializers.get(t)?.dims ?? a.shapes.tensors.get(t)?.shape ?? null;
    const r = !v || !dims || numElements(dims) !== v.length ? null : { dims: [...dims], data: Float64Array.from(v) };
    values.set(t, r);
    return r;
  };
  for (const i of a.shapes.order) {
    if (!inside.has(i)) continue;
    const n = a.nodes[i];
    values.set(n.outputs[0], evalNode(n, a.shapes.tensors.get(n.outputs[0])?.shape ?? null, (k) => (n.inputs[k] ? value(n.inputs[k]) : null)));
  }
  return value(name);
}
