/**
 * Constant folding of small tensors for shape inference: element-wise ops with broadcasting,
 * casts, gathers, transposes and reductions over row-major value arrays.
 */
import { numElements } from './model';
import { DataType } from './proto';

/** What shape inference knows of a tensor (defined here, below shapes.ts, which folds with these helpers). */
export interface ShapeInfo {
  dtype: number;
  /** Dimensions (-1 unknown), or null when even the rank is unknown. */
  shape: number[] | null;
  /** Folded values (row-major) when the tensor is a small constant. */
  value?: number[];
}

/** A negative axis counted from the end. */
export function normAxis(a: number, rank: number): number {
  return a < 0 ? a + rank : a;
}

const isKnown = (s: number[] | null): s is number[] => s !== null && s.every((d) => d >= 0);

export function strides(shape: number[]): number[] {
  const st = new Array(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) st[i] = st[i + 1] * shape[i + 1];
  return st;
}

/** Element-wise op over broadcast values. */
export function foldBroadcast(foldLimit: number, out: number[], ins: ShapeInfo[], f: (...v: number[]) => number): number[] | undefined {
  if (!ins.every((i) => i.value && i.shape && isKnown(i.shape))) return undefined;
  const n = numElements(out);
  if (n > foldLimit) return undefined;
  // Fast path: every input is the full output shape or a single value.
  if (ins.every((i) => (i.value as number[]).length === n || (i.value as number[]).length === 1)) {
    const vs = ins.map((i) => i.value as number[]);
    const full = vs.map((v) => v.length === n && n !== 1);
    const res = new Array<number>(n);
    if (vs.length === 2) {
      const [a, b] = vs;
      const [fa, fb] = full;
      for (let e = 0; e < n; e++) res[e] = f(fa ? a[e] : a[0], fb ? b[e] : b[0]);
      return res;
    }
    const args = new Array<number>(ins.length);
    for (let e = 0; e < n; e++) {
      for (let j = 0; j < vs.length; j++) args[j] = full[j] ? vs[j][e] : vs[j][0];
      res[e] = f(...args);
    }
    return res;
  }
  const rank = out.length;
  const ost = strides(out);
  const ists = ins.map((i) => {
    const s = i.shape as number[];
    const st = strides(s);
    // stride 0 along broadcast axes
    return out.map((_, ax) => {
      const k = s.length - rank + ax;
      if (k < 0 || s[k] === 1) return 0;
      return st[k];
    });
  });
  const res = new Array<number>(n);
  const args = new Array<number>(ins.length);
  for (let e = 0; e < n; e++) {
    for (let j = 0; j < ins.length; j++) {
      let off = 0;
      let r = e;
      for (let ax = 0; ax < rank; ax++) {
        const c = Math.floor(r / ost[ax]);
        r -= c * ost[ax];
        off += c * ists[j][ax];
      }
      args[j] = (ins[j].value as number[])[off];
    }
    res[e] = f(...args);
  }
  return res;
}

export const isIntType = (t: number): boolean =>
  t === DataType.INT64 || t === DataType.INT32 || t === DataType.INT16 || t === DataType.INT8 || t === DataType.UINT8 || t === DataType.UINT16 || t === DataType.UINT32 || t === DataType.UINT64;

export function castValue(v: number, to: number): number {
  if (to === DataType.BOOL) return v ? 1 : 0;
  if (isIntType(to)) return Number.isFinite(v) ? Math.trunc(v) : 0;
  if (to === DataType.FLOAT) return Math.fround(v);
  return v;
}

/** Gathers values of `v` (shape `shape`) at the index grid described per axis. */
export function gatherGrid(v: number[], shape: number[], idx: number[][]): number[] {
  const st = strides(shape);
  const out: number[] = [];
  const rank = shape.length;
  const rec = (ax: number, off: number): void => {
    if (ax === rank) {
      out.push(v[off]);
      return;
    }
    for (const i of idx[ax]) rec(ax + 1, off + i * st[ax]);
  };
  if (rank === 0) return [v[0]];
  rec(0, 0);
  return out;
}

export function transposeValues(v: number[], shape: number[], perm: number[]): number[] {
  const outShape = perm.map((p) => shape[p]);
  const st = strides(shape);
  const n = numElements(outShape);
  const res = new Array<number>(n);
  const ost = strides(outShape);
  for (let e = 0; e < n; e++) {
    let r = e;
    let off = 0;
    for (let ax = 0; ax < outShape.length; ax++) {
      const c = Math.floor(r / ost[ax]);
      r -= c * ost[ax];
      off += c * st[perm[ax]];
    }
    res[e] = v[off];
  }
  return res;
}

export function reduceValues(v: number[], shape: number[], axes: number[] | null, op: string): number[] | undefined {
  const rank = shape.length;
  const set = new Set((axes ?? shape.map((_, i) => i)).map((a) => normAxis(a, rank)));
  const outShape = shape.map((d, i) => (set.has(i) ? 1 : d));
  const n = numElements(outShape);
  const acc: number[][] = Array.from({ length: n }, () => []);
  const st = strides(shape);
  const ost = strides(outShape);
  for (let e = 0; e < v.length; e++) {
    let r = e;
    let o = 0;
    for (let ax = 0; ax < rank; ax++) {
      const c = Math.floor(r / st[ax]);
      r -= c * st[ax];
      if (!set.has(ax)) o += c * ost[ax];
    }
    acc[o].push(v[e]);
  }
  const f: Record<string, (a: number[]) => number> = {
    ReduceSum: (a) => a.reduce((s, x) => s + x, 0),
    ReduceMean: (a) => a.reduce((s, x) => s + x, 0) / a.length,
    ReduceProd: (a) => a.reduce((s, x) => s * x, 1),
    ReduceMax: (a) => Math.max(...a),
    ReduceMin: (a) => Math.min(...a),
  };
  const fn = f[op];
  return fn ? acc.map(fn) : undefined;
}
