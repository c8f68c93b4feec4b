/**
 * Evaluates a small constant subgraph: what Swin V2's continuous position bias is when the
 * exporter did not fold it — 16·sigmoid(cpb_mlp(relative_coords_table)) gathered by the index,
 * all from constants. Only the ops that path uses (MatMul, Add, Mul, Div, Sub, Relu, Sigmoid,
 * Reshape, Transpose, (Un)Squeeze, Identity, Gather, Cast); anything else gives null.
 */
import { attrInt, attrInts, numElements } from '../onnx/model';
import type { GraphAnalysis } from '../graph/structure';
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

/**
 * The value of constant tensor `name`, computed from initializers through the ops above;
 * `leaf` reads an initializer's (or Constant's) values. Null when an op or value is missing.
 */
export function evalConst(a: GraphAnalysis, name: string, leaf: (name: string) => ArrayLike<number> | null, memo = new Map<string, Tensor | null>(), depth = 0): Tensor | null {
  if (memo.has(name)) return memo.get(name)!;
  const put = (t: Tensor | null): Tensor | null => (memo.set(name, t), t);
  if (depth > 64) return null;
  const shape = a.shapes.tensors.get(name)?.shape ?? null;
  const p = a.producer.get(name);
  if (p === undefined || a.nodes[p].opType === 'Constant' || a.initializers.has(name)) {
    const v = a.shapes.tensors.get(name)?.value ?? leaf(name);
    const dims = a.initializers.get(name)?.dims ?? shape;
    if (!v || !dims || numElements(dims) !== v.length) return put(null);
    return put({ dims: [...dims], data: Float64Array.from(v) });
  }
  const n = a.nodes[p];
  const arg = (i: number): Tensor | null => (n.inputs[i] ? evalConst(a, n.inputs[i], leaf, memo, depth + 1) : null);
  const x = arg(0);
  if (!x) return put(null);
  const keep = (): Tensor | null => (shape && shape.every((d) => d >= 0) && numElements(shape) === x.data.length ? { dims: [...shape], data: x.data } : null);
  switch (n.opType) {
    case 'Identity':
    case 'Cast':
    case 'Reshape':
    case 'Unsqueeze':
    case 'Squeeze':
    case 'Flatten':
      return put(keep());
    case 'Relu':
      return put({ dims: x.dims, data: x.data.map((v) => (v > 0 ? v : 0)) });
    case 'Sigmoid':
      return put({ dims: x.dims, data: x.data.map((v) => 1 / (1 + Math.exp(-v))) });
    case 'Transpose': {
      const perm = attrInts(n, 'perm') ?? x.dims.map((_, i) => x.dims.length - 1 - i);
      return put({ dims: perm.map((p) => x.dims[p]), data: Float64Array.from(transposeValues(Array.from(x.data), x.dims, perm)) });
    }
    case 'MatMul': {
      const y = arg(1);
      return put(y ? matmul(x, y) : null);
    }
    case 'Gather': {
      const idx = arg(1);
      return put(idx ? gather(x, idx, attrInt(n, 'axis', 0)) : null);
    }
    case 'Add':
    case 'Sub':
    case 'Mul':
    case 'Div': {
      const y = arg(1);
      if (!y) return put(null);
      const f = n.opType === 'Add' ? (p: number, q: number) => p + q : n.opType === 'Sub' ? (p: number, q: number) => p - q : n.opType === 'Mul' ? (p: number, q: number) => p * q : (p: number, q: number) => p / q;
      return put(broadcast(x, y, f));
    }
    default:
      return put(null);
  }
}
