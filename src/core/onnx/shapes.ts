/**
 * Static shape inference with constant folding: the shape of every tensor of the main graph for a
 * given input size. Shape subgraphs (Shape → Gather → Concat → Reshape, Range, ScatterND, Where,
 * the mask computation of shifted windows, ...) are folded as long as their tensors are small, so
 * the result is exact for PyTorch exports at any opset from 13 on.
 *
 * Dimensions are numbers; -1 means unknown (a data-dependent size, an op without a rule). This file
 * holds the op table; the image input (imageInput.ts), the folding of values (fold.ts) and the
 * topological order (topo.ts) live beside it.
 */
import { UserError } from '../errors';
import type { OnnxModel, OnnxNode, TensorInfo } from './model';
import { attr, attrFloat, attrInt, attrInts, attrString, attrTensor, defaultOpset, numElements } from './model';
import { DataType } from './proto';
import { loadTensorValues } from './reader';
import type { ShapeInfo } from './fold';
import { castValue, foldBroadcast, gatherGrid, isIntType, normAxis, reduceValues, strides, transposeValues } from './fold';
import { candidateSizes, declaredImageSize, graphInputs, imageChannels, imageInput } from './imageInput';
import { topoOrder } from './topo';

export const UNKNOWN = -1;
/** No real tensor has more dimensions than this; larger ranks come from damaged files. */
const MAX_RANK = 64;

export interface ShapeConflict {
  node: number;
  message: string;
}

export interface ShapeOptions {
  /** Image size for a 4-D image input: a number (square) or [height, width]. */
  imageSize?: number | [number, number];
  /** Batch size bound to a symbolic first dimension (default 1). */
  batch?: number;
  /** Explicit shapes for inputs, by name (overrides everything else). */
  inputShapes?: Record<string, number[]>;
  /** Largest tensor folded to values (elements; default 4096: shape arithmetic is far smaller). */
  foldLimit?: number;
}

export interface ShapeResult {
  /** Shape of every tensor: inputs, initializers, node outputs. */
  tensors: Map<string, ShapeInfo>;
  /** The shapes bound to the graph's inputs. */
  inputShapes: Record<string, number[]>;
  /** Image size used, when the model has an image input. */
  imageSize: [number, number] | null;
  /** Index of each node in topological order (ONNX files are sorted; repaired if not). */
  order: number[];
  /** The node producing each tensor (by index). */
  producer: Map<string, number>;
  /** Shapes that do not fit together (a wrong input size, or a broken model). */
  conflicts: ShapeConflict[];
  /** Op types that have no shape rule here (outputs taken from value_info where present). */
  unsupportedOps: string[];
  warnings: string[];
}

class Ctx {
  conflicts: ShapeConflict[] = [];
  unsupported = new Set<string>();
  nodeIndex = 0;
  constructor(
    readonly model: OnnxModel,
    readonly opset: number,
    readonly foldLimit: number,
  ) {}
  conflict(message: string): void {
    if (this.conflicts.length < 200) this.conflicts.push({ node: this.nodeIndex, message });
  }
}

const isKnown = (s: number[] | null): s is number[] => s !== null && s.every((d) => d >= 0);
/** Every dimension small enough to enumerate (a zero-size tensor can still have a huge dimension). */
const fitsFold = (ctx: Ctx, s: number[]): boolean => s.every((d) => d <= ctx.foldLimit);
const size = (s: number[]): number => numElements(s);

/** A normalised axis inside [0, rank); otherwise a conflict (a damaged attribute). */
function inRange(ctx: Ctx, axis: number, rank: number, op: string): boolean {
  if (Number.isInteger(axis) && axis >= 0 && axis < rank) return true;
  ctx.conflict(`${op} axis out of range for rank ${rank}`);
  return false;
}

/** A usable shape: not too many dimensions, each a whole number (-1 unknown). */
function validShape(s: number[] | null): boolean {
  if (s === null) return true;
  if (!Array.isArray(s) || s.length > MAX_RANK) return false;
  for (let i = 0; i < s.length; i++) {
    const d = s[i];
    if (!Number.isInteger(d) || d < -1) return false;
  }
  return true;
}

/** Multidirectional (numpy) broadcasting of shapes. */
function broadcast(ctx: Ctx, shapes: (number[] | null)[]): number[] | null {
  if (shapes.some((s) => s === null)) return null;
  const ss = shapes as number[][];
  const rank = Math.max(0, ...ss.map((s) => s.length));
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    let d = 1;
    let unknown = false;
    for (const s of ss) {
      const k = s.length - rank + i;
      if (k < 0) continue;
      const x = s[k];
      if (x === UNKNOWN) {
        unknown = true;
        continue;
      }
      if (x === 1) continue;
      if (d === 1) d = x;
      else if (d !== x) {
        ctx.conflict(`shapes [${ss.map((q) => q.join(',')).join('] and [')}] do not broadcast`);
        return ss[0].length === rank ? ss[0].map(() => UNKNOWN) : new Array(rank).fill(UNKNOWN);
      }
    }
    out.push(unknown && d === 1 ? UNKNOWN : d);
  }
  return out;
}

function tensorToInfo(ctx: Ctx, t: TensorInfo): ShapeInfo {
  const info: ShapeInfo = { dtype: t.dataType, shape: [...t.dims] };
  const n = numElements(t.dims);
  if (t.values) info.value = t.values;
  else if ((n <= 4096 && (isIntType(t.dataType) || t.dataType === DataType.BOOL)) || (n <= 16 && (t.dataType === DataType.FLOAT || t.dataType === DataType.DOUBLE))) {
    const v = loadTensorValues(ctx.model, t, 64 * 1024);
    if (v) info.value = v;
  }
  return info;
}

function sliceParams(
  shape: number[],
  starts: number[],
  ends: number[],
  axes: number[] | undefined,
  steps: number[] | undefined,
): { out: number[]; ranges: { axis: number; start: number; step: number; count: number }[] } | null {
  const rank = shape.length;
  const out = [...shape];
  const ranges: { axis: number; start: number; step: number; count: number }[] = [];
  const ax = axes ?? starts.map((_, i) => i);
  for (let i = 0; i < starts.length; i++) {
    const a = normAxis(ax[i], rank);
    if (a < 0 || a >= rank) return null;
    const dim = shape[a];
    const step = steps ? steps[i] : 1;
    if (step === 0) return null;
    if (dim === UNKNOWN) {
      out[a] = UNKNOWN;
      continue;
    }
    let s = starts[i];
    let e = ends[i];
    if (s < 0) s += dim;
    if (e < 0) e += dim;
    if (step > 0) {
      s = Math.min(Math.max(s, 0), dim);
      e = Math.min(Math.max(e, 0), dim);
    } else {
      s = Math.min(Math.max(s, -1), dim - 1);
      e = Math.min(Math.max(e, -1), dim - 1);
    }
    const count = step > 0 ? Math.max(0, Math.ceil((e - s) / step)) : Math.max(0, Math.ceil((s - e) / -step));
    out[a] = count;
    ranges.push({ axis: a, start: s, step, count });
  }
  return { out, ranges };
}

function convSpatial(
  ctx: Ctx,
  node: OnnxNode,
  inSpatial: number[],
  kernel: number[],
  opts: { ceil?: boolean; transpose?: boolean; outputPadding?: number[] } = {},
): number[] {
  const n = inSpatial.length;
  const strides = attrInts(node, 'strides') ?? new Array(n).fill(1);
  const dil = attrInts(node, 'dilations') ?? new Array(n).fill(1);
  const pads = attrInts(node, 'pads') ?? new Array(2 * n).fill(0);
  const autoPad = attrString(node, 'auto_pad') ?? 'NOTSET';
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = inSpatial[i];
    const k = kernel[i];
    const s = strides[i] ?? 1;
    const d = dil[i] ?? 1;
    if (x === UNKNOWN || k === UNKNOWN) {
      out.push(UNKNOWN);
      continue;
    }
    const ek = (k - 1) * d + 1;
    if (opts.transpose) {
      const outPad = opts.outputPadding?.[i] ?? 0;
      if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') out.push(x * s);
      else out.push(s * (x - 1) + outPad + ek - (pads[i] ?? 0) - (pads[i + n] ?? 0));
      continue;
    }
    let o: number;
    if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') o = Math.ceil(x / s);
    else if (autoPad === 'VALID') o = Math.floor((x - ek) / s) + 1;
    else {
      const num = x + (pads[i] ?? 0) + (pads[i + n] ?? 0) - ek;
      o = opts.ceil ? Math.ceil(num / s) + 1 : Math.floor(num / s) + 1;
      // With ceil_mode the last window must start inside the input or left padding.
      if (opts.ceil && (o - 1) * s >= x + (pads[i] ?? 0)) o--;
    }
    if (o < 0) {
      ctx.conflict(`the ${node.opType} window (${k}) is larger than its input (${x})`);
      o = UNKNOWN;
    }
    out.push(o);
  }
  return out;
}

function reduceShape(shape: number[], axes: number[] | null, keepdims: boolean): number[] {
  const rank = shape.length;
  const set = new Set((axes ?? shape.map((_, i) => i)).map((a) => normAxis(a, rank)));
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    if (set.has(i)) {
      if (keepdims) out.push(1);
    } else out.push(shape[i]);
  }
  return out;
}

function einsumShape(eq: string, shapes: (number[] | null)[]): number[] | null {
  const [lhs, rhsRaw] = eq.replace(/\s+/g, '').split('->');
  const terms = lhs.split(',');
  if (terms.length !== shapes.length) return null;
  const dims = new Map<string, number>();
  let ell: number[] | null = null;
  for (let t = 0; t < terms.length; t++) {
    const s = shapes[t];
    if (!s) return null;
    const term = terms[t];
    const hasEll = term.includes('...');
    const letters = term.replace('...', '').split('');
    const ellRank = s.length - letters.length;
    let k = 0;
    for (let i = 0; i < term.length; i++) {
      if (term.startsWith('...', i)) {
        const e = s.slice(k, k + ellRank);
        if (!ell || e.length > ell.length) ell = e;
        k += ellRank;
        i += 2;
        continue;
      }
      const c = term[i];
      const d = s[k++];
      const prev = dims.get(c);
      if (prev === undefined || prev === 1) dims.set(c, d);
    }
    if (!hasEll && ellRank !== 0) return null;
  }
  let rhs = rhsRaw;
  if (rhs === undefined) {
    const counts = new Map<string, number>();
    for (const c of lhs.replace(/\.\.\./g, '').replace(/,/g, '')) counts.set(c, (counts.get(c) ?? 0) + 1);
    rhs = (ell ? '...' : '') + [...counts.entries()].filter(([, n]) => n === 1).map(([c]) => c).sort().join('');
  }
  const out: number[] = [];
  for (let i = 0; i < rhs.length; i++) {
    if (rhs.startsWith('...', i)) {
      out.push(...(ell ?? []));
      i += 2;
      continue;
    }
    const d = dims.get(rhs[i]);
    if (d === undefined) return null;
    out.push(d);
  }
  return out;
}

type Infer = (ctx: Ctx, node: OnnxNode, ins: (ShapeInfo | undefined)[]) => (ShapeInfo | undefined)[];

const same = (i: ShapeInfo | undefined, dtype?: number): ShapeInfo | undefined =>
  i ? { dtype: dtype ?? i.dtype, shape: i.shape ? [...i.shape] : null } : undefined;

function unary(f?: (x: number) => number): Infer {
  return (ctx, node, ins) => {
    const x = ins[0];
    if (!x) return [undefined];
    const o: ShapeInfo = { dtype: x.dtype, shape: x.shape ? [...x.shape] : null };
    if (f && x.value) o.value = x.value.map(f);
    return [o];
  };
}

function binary(f: ((...v: number[]) => number) | undefined, outType?: number): Infer {
  return (ctx, node, ins) => {
    const present = ins.filter((i): i is ShapeInfo => !!i);
    if (present.length !== ins.length || present.length === 0) return [undefined];
    const shape = broadcast(ctx, present.map((i) => i.shape));
    const dtype = outType ?? present[0].dtype;
    const o: ShapeInfo = { dtype, shape };
    if (f && shape && isKnown(shape)) {
      const v = foldBroadcast(ctx.foldLimit, shape, present, f);
      if (v) o.value = isIntType(dtype) ? v.map((x) => (Number.isFinite(x) ? Math.trunc(x) : 0)) : v;
    }
    return [o];
  };
}

const intDiv = (a: number, b: number): number => (b === 0 ? 0 : Math.trunc(a / b));

function div(ctx: Ctx, node: OnnxNode, ins: (ShapeInfo | undefined)[]): (ShapeInfo | undefined)[] {
  const isInt = ins[0] ? isIntType(ins[0].dtype) : false;
  return binary(isInt ? intDiv : (a, b) => a / b)(ctx, node, ins);
}

function getValue(i: ShapeInfo | undefined): number[] | undefined {
  return i?.value;
}

const RULES: Record<string, Infer> = {
  Identity: unary((x) => x),
  Neg: unary((x) => -x),
  Abs: unary(Math.abs),
  Sqrt: unary(Math.sqrt),
  Exp: unary(Math.exp),
  Log: unary(Math.log),
  Floor: unary(Math.floor),
  Ceil: unary(Math.ceil),
  Round: unary((x) => {
    const r = Math.round(x);
    return Math.abs(x % 1) === 0.5 ? 2 * Math.round(x / 2) : r;
  }),
  Reciprocal: unary((x) => 1 / x),
  Relu: unary((x) => Math.max(0, x)),
  Sign: unary(Math.sign),
  Not: unary((x) => (x ? 0 : 1)),
  Sigmoid: unary((x) => 1 / (1 + Math.exp(-x))),
  Tanh: unary(Math.tanh),
  Erf: unary(),
  Sin: unary(Math.sin),
  Cos: unary(Math.cos),
  Softplus: unary(),
  Softsign: unary(),
  Gelu: unary(),
  FastGelu: unary(),
  QuickGelu: unary(),
  BiasGelu: binary(undefined),
  HardSigmoid: unary(),
  HardSwish: unary(),
  LeakyRelu: unary(),
  Elu: unary(),
  Selu: unary(),
  Celu: unary(),
  Mish: unary(),
  ThresholdedRelu: unary(),
  Shrink: unary(),
  Softmax: unary(),
  LogSoftmax: unary(),
  Hardmax: unary(),
  Trilu: unary(),
  CumSum: unary(),
  LpNormalization: unary(),
  InstanceNormalization: unary(),
  MeanVarianceNormalization: unary(),
  LRN: unary(),
  IsNaN: (c, n, ins) => [same(ins[0], DataType.BOOL)],
  IsInf: (c, n, ins) => [same(ins[0], DataType.BOOL)],
  Clip: unary(),
  Add: binary((a, b) => a + b),
  Sub: binary((a, b) => a - b),
  Mul: binary((a, b) => a * b),
  Div: div,
  Pow: binary((a, b) => a ** b),
  Mod: (ctx, node, ins) => {
    const fmod = attrInt(node, 'fmod', 0);
    return binary(fmod ? (a, b) => a % b : (a, b) => (b === 0 ? 0 : a - Math.floor(a / b) * b))(ctx, node, ins);
  },
  PRelu: binary(undefined),
  BitShift: binary(undefined),
  Max: binary((...v) => Math.max(...v)),
  Min: binary((...v) => Math.min(...v)),
  Sum: binary((...v) => v.reduce((s, x) => s + x, 0)),
  Mean: binary((...v) => v.reduce((s, x) => s + x, 0) / v.length),
  Equal: binary((a, b) => (a === b ? 1 : 0), DataType.BOOL),
  Less: binary((a, b) => (a < b ? 1 : 0), DataType.BOOL),
  LessOrEqual: binary((a, b) => (a <= b ? 1 : 0), DataType.BOOL),
  Greater: binary((a, b) => (a > b ? 1 : 0), DataType.BOOL),
  GreaterOrEqual: binary((a, b) => (a >= b ? 1 : 0), DataType.BOOL),
  And: binary((a, b) => (a && b ? 1 : 0), DataType.BOOL),
  Or: binary((a, b) => (a || b ? 1 : 0), DataType.BOOL),
  Xor: binary((a, b) => (!!a !== !!b ? 1 : 0), DataType.BOOL),
  Where: (ctx, node, ins) => {
    const [c, x, y] = ins;
    if (!c || !x || !y) return [undefined];
    const shape = broadcast(ctx, [c.shape, x.shape, y.shape]);
    const o: ShapeInfo = { dtype: x.dtype, shape };
    if (shape && isKnown(shape)) {
      const v = foldBroadcast(ctx.foldLimit, shape, [c, x, y], (cc, xx, yy) => (cc ? xx : yy));
      if (v) o.value = v;
    }
    return [o];
  },
  Cast: (ctx, node, ins) => {
    const x = ins[0];
    if (!x) return [undefined];
    const to = attrInt(node, 'to', DataType.FLOAT);
    const o: ShapeInfo = { dtype: to, shape: x.shape ? [...x.shape] : null };
    if (x.value) o.value = x.value.map((v) => castValue(v, to));
    return [o];
  },
  CastLike: (ctx, node, ins) => {
    const [x, t] = ins;
    if (!x || !t) return [undefined];
    const o: ShapeInfo = { dtype: t.dtype, shape: x.shape ? [...x.shape] : null };
    if (x.value) o.value = x.value.map((v) => castValue(v, t.dtype));
    return [o];
  },
  Dropout: (ctx, node, ins) => [same(ins[0]), same(ins[0], DataType.BOOL)],
  BatchNormalization: (ctx, node, ins) => [same(ins[0]), same(ins[3]), same(ins[4]), same(ins[3]), same(ins[4])],
  LayerNormalization: (ctx, node, ins) => {
    const x = ins[0];
    if (!x) return [undefined];
    const out = same(x);
    let stat: ShapeInfo | undefined;
    if (x.shape) {
      const r = x.shape.length;
      const axis = normAxis(attrInt(node, 'axis', -1), r);
      stat = { dtype: DataType.FLOAT, shape: x.shape.map((d, i) => (i < axis ? d : 1)) };
    }
    return [out, stat, stat && { ...stat }];
  },
  SimplifiedLayerNormalization: (ctx, node, ins) => [same(ins[0])],
  SkipLayerNormalization: (ctx, node, ins) => [same(ins[0]), undefined, undefined, same(ins[0])],
  SkipSimplifiedLayerNormalization: (ctx, node, ins) => [same(ins[0]), undefined, undefined, same(ins[0])],
  GroupNormalization: (ctx, node, ins) => [same(ins[0])],
  QuantizeLinear: (ctx, node, ins) => [same(ins[0], ins[2]?.dtype ?? DataType.UINT8)],
  DequantizeLinear: (ctx, node, ins) => [same(ins[0], ins[1]?.dtype ?? DataType.FLOAT)],
  Shape: (ctx, node, ins) => {
    const x = ins[0];
    if (!x || !x.shape) return [{ dtype: DataType.INT64, shape: [UNKNOWN] }];
    const r = x.shape.length;
    let start = attrInt(node, 'start', 0);
    let end = attrInt(node, 'end', r);
    if (start < 0) start += r;
    if (end < 0) end += r;
    start = Math.min(Math.max(start, 0), r);
    end = Math.min(Math.max(end, 0), r);
    const dims = x.shape.slice(start, Math.max(start, end));
    const o: ShapeInfo = { dtype: DataType.INT64, shape: [dims.length] };
    if (dims.every((d) => d >= 0)) o.value = dims;
    return [o];
  },
  Size: (ctx, node, ins) => {
    const x = ins[0];
    const o: ShapeInfo = { dtype: DataType.INT64, shape: [] };
    if (x?.shape && isKnown(x.shape)) o.value = [size(x.shape)];
    return [o];
  },
  Constant: (ctx, node) => {
    const t = attrTensor(node, 'value');
    if (t) return [tensorToInfo(ctx, t)];
    const a = node.attributes[0];
    if (!a) return [undefined];
    switch (a.name) {
      case 'value_float':
        return [{ dtype: DataType.FLOAT, shape: [], value: [attrFloat(node, 'value_float', 0)] }];
      case 'value_floats':
        return a.type === 'floats' ? [{ dtype: DataType.FLOAT, shape: [a.value.length], value: a.value }] : [undefined];
      case 'value_int':
        return [{ dtype: DataType.INT64, shape: [], value: [attrInt(node, 'value_int', 0)] }];
      case 'value_ints':
        return a.type === 'ints' ? [{ dtype: DataType.INT64, shape: [a.value.length], value: a.value }] : [undefined];
      case 'value_string':
        return [{ dtype: DataType.STRING, shape: [] }];
      case 'value_strings':
        return a.type === 'strings' ? [{ dtype: DataType.STRING, shape: [a.value.length] }] : [undefined];
      case 'sparse_value':
        return [undefined];
    }
    return [undefined];
  },
  ConstantOfShape: (ctx, node, ins) => {
    const s = getValue(ins[0]);
    const t = attrTensor(node, 'value');
    const dtype = t?.dataType ?? DataType.FLOAT;
    const fill = t?.values?.[0] ?? 0;
    if (!s) {
      const len = ins[0]?.shape?.[0];
      return [{ dtype, shape: len !== undefined && len >= 0 && len <= MAX_RANK ? new Array(len).fill(UNKNOWN) : null }];
    }
    if (s.some((d) => d < 0)) {
      ctx.conflict('ConstantOfShape with a negative dimension');
      return [{ dtype, shape: s.map(() => UNKNOWN) }];
    }
    const o: ShapeInfo = { dtype, shape: [...s] };
    if (size(s) <= ctx.foldLimit) o.value = new Array(size(s)).fill(fill);
    return [o];
  },
  Reshape: (ctx, node, ins) => {
    const [x, sh] = ins;
    if (!x) return [undefined];
    let target = getValue(sh);
    if (ctx.opset < 5 || (!sh && attrInts(node, 'shape'))) target = attrInts(node, 'shape');
    if (!target) {
      const len = sh?.shape?.[0];
      return [{ dtype: x.dtype, shape: len !== undefined && len >= 0 && len <= MAX_RANK ? new Array(len).fill(UNKNOWN) : null }];
    }
    const allowzero = attrInt(node, 'allowzero', 0);
    const out = target.map((d, i) => (d === 0 && !allowzero ? (x.shape && i < x.shape.length ? x.shape[i] : UNKNOWN) : d));
    const neg = target.indexOf(-1);
    const inKnown = x.shape && isKnown(x.shape);
    if (target.filter((d) => d === -1).length > 1 || target.some((d) => d < -1)) {
      ctx.conflict(`Reshape target [${target.join(',')}] is not valid`);
      return [{ dtype: x.dtype, shape: target.map(() => UNKNOWN) }];
    }
    if (neg >= 0) {
      const rest = out.filter((_, i) => i !== neg);
      if (inKnown && rest.every((d) => d >= 0)) {
        const total = size(x.shape as number[]);
        const r = size(rest);
        if (r === 0 || total % r !== 0) {
          ctx.conflict(`cannot reshape [${(x.shape as number[]).join(',')}] to [${target.join(',')}]`);
          out[neg] = UNKNOWN;
        } else out[neg] = total / r;
      } else out[neg] = UNKNOWN;
    }
    if (inKnown && isKnown(out) && size(out) !== size(x.shape as number[])) {
      ctx.conflict(`cannot reshape [${(x.shape as number[]).join(',')}] (${size(x.shape as number[])} elements) to [${out.join(',')}]`);
    }
    const o: ShapeInfo = { dtype: x.dtype, shape: out };
    if (x.value && isKnown(out) && size(out) === x.value.length) o.value = x.value;
    return [o];
  },
  Flatten: (ctx, node, ins) => {
    const x = ins[0];
    if (!x) return [undefined];
    if (!x.shape) return [{ dtype: x.dtype, shape: [UNKNOWN, UNKNOWN] }];
    const r = x.shape.length;
    const axis = normAxis(attrInt(node, 'axis', 1), r);
    const a = x.shape.slice(0, axis);
    const b = x.shape.slice(axis);
    const p = (s: number[]): number => (s.every((d) => d >= 0) ? size(s) : UNKNOWN);
    const o: ShapeInfo = { dtype: x.dtype, shape: [p(a), p(b)] };
    if (x.value) o.value = x.value;
    return [o];
  },
  Transpose: (ctx, node, ins) => {
    const x = ins[0];
    if (!x) return [undefined];
    if (!x.shape) return [{ dtype: x.dtype, shape: null }];
    const r = x.shape.length;
    const perm = attrInts(node, 'perm') ?? x.shape.map((_, i) => r - 1 - i);
    if (perm.length !== r || perm.some((p) => p < 0 || p >= r)) {
      ctx.conflict(`Transpose perm [${perm.join(',')}] does not fit rank ${r}`);
      return [{ dtype: x.dtype, shape: null }];
    }
    const shape = perm.map((p) => (x.shape as number[])[p]);
    const o: ShapeInfo = { dtype: x.dtype, shape };
    if (x.value && isKnown(x.shape)) o.value = transposeValues(x.value, x.shape, perm);
    return [o];
  },
  Squeeze: (ctx, node, ins) => {
    const x = ins[0];
    if (!x) return [undefined];
    const axes = ctx.opset >= 13 ? getValue(ins[1]) ?? (ins[1] ? null : undefined) : attrInts(node, 'axes');
    if (!x.shape || axes === null) return [{ dtype: x.dtype, shape: null }];
    const r = x.shape.length;
    let shape: number[];
    if (axes === undefined) {
      if (x.shape.some((d) => d === UNKNOWN)) return [{ dtype: x.dtype, shape: null }];
      shape = x.shape.filter((d) => d !== 1);
    } else {
      const set = new Set(axes.map((a) => normAxis(a, r)));
      shape = x.shape.filter((_, i) => !set.has(i));
    }
    const o: ShapeInfo = { dtype: x.dtype, shape };
    if (x.value) o.value = x.value;
    return [o];
  },
  Unsqueeze: (ctx, node, ins) => {
    const x = ins[0];
    if (!x) return [undefined];
    const axes = ctx.opset >= 13 ? getValue(ins[1]) : attrInts(node, 'axes');
    if (!x.shape || !axes) return [{ dtype: x.dtype, shape: null }];
    const r = x.shape.length + axes.length;
    const set = new Set(axes.map((a) => normAxis(a, r)));
    const shape: number[] = [];
    let k = 0;
    for (let i = 0; i < r; i++) shape.push(set.has(i) ? 1 : x.shape[k++] ?? UNKNOWN);
    const o: ShapeInfo = { dtype: x.dtype, shape };
    if (x.value) o.value = x.value;
    return [o];
  },
  Concat: (ctx, node, ins) => {
    const present = ins.filter((i): i is ShapeInfo => !!i);
    if (present.length !== ins.length || !present.length) return [undefined];
    const ref = present.find((p) => p.shape);
    if (!ref || !ref.shape) return [{ dtype: present[0].dtype, shape: null }];
    const r = ref.shape.length;
    const axis = normAxis(attrInt(node, 'axis', 0), r);
    if (!inRange(ctx, axis, r, 'Concat')) return [{ dtype: ref.dtype, shape: null }];
    const shape = [...ref.shape];
    let total = 0;
    for (const p of present) {
      if (!p.shape) {
        total = UNKNOWN;
        continue;
      }
      if (p.shape.length !== r) {
        ctx.conflict(`Concat inputs of ranks ${r} and ${p.shape.length}`);
        return [{ dtype: ref.dtype, shape: null }];
      }
      for (let i = 0; i < r; i++) {
        if (i === axis) continue;
        if (shape[i] === UNKNOWN) shape[i] = p.shape[i];
        else if (p.shape[i] !== UNKNOWN && p.shape[i] !== shape[i]) ctx.conflict(`Concat inputs differ on axis ${i}: ${shape[i]} and ${p.shape[i]}`);
      }
      if (total !== UNKNOWN) total = p.shape[axis] === UNKNOWN ? UNKNOWN : total + p.shape[axis];
    }
    shape[axis] = total;
    const o: ShapeInfo = { dtype: ref.dtype, shape };
    if (present.every((p) => p.value && p.shape && isKnown(p.shape) && fitsFold(ctx, p.shape)) && isKnown(shape) && size(shape) <= ctx.foldLimit && fitsFold(ctx, shape)) {
      const outer = size(shape.slice(0, axis));
      const res: number[] = [];
      for (let o2 = 0; o2 < outer; o2++) {
        for (const p of present) {
          const chunk = size((p.shape as number[]).slice(axis));
          res.push(...(p.value as number[]).slice(o2 * chunk, (o2 + 1) * chunk));
        }
      }
      o.value = res;
    }
    return [o];
  },
  Gather: (ctx, node, ins) => {
    const [x, idx] = ins;
    if (!x || !idx) return [undefined];
    if (!x.shape || !idx.shape) return [{ dtype: x.dtype, shape: null }];
    const r = x.shape.length;
    const axis = normAxis(attrInt(node, 'axis', 0), r);
    if (axis < 0 || axis >= r) {
      ctx.conflict(`Gather axis out of range for rank ${r}`);
      return [{ dtype: x.dtype, shape: null }];
    }
    const shape = [...x.shape.slice(0, axis), ...idx.shape, ...x.shape.slice(axis + 1)];
    const o: ShapeInfo = { dtype: x.dtype, shape };
    if (x.value && idx.value && isKnown(x.shape) && isKnown(shape) && size(shape) <= ctx.foldLimit && fitsFold(ctx, x.shape) && fitsFold(ctx, shape)) {
      const dim = x.shape[axis];
      const outer = size(x.shape.slice(0, axis));
      const inner = size(x.shape.slice(axis + 1));
      const res: number[] = [];
      let ok = true;
      for (let a = 0; a < outer && ok; a++) {
        for (let i of idx.value) {
          if (i < 0) i += dim;
          if (i < 0 || i >= dim) {
            ok = false;
            ctx.conflict(`Gather index ${i} out of range for a dimension of ${dim}`);
            break;
          }
          const base = (a * dim + i) * inner;
          for (let k = 0; k < inner; k++) res.push(x.value[base + k]);
        }
      }
      if (ok) o.value = res;
    }
    return [o];
  },
  GatherElements: (ctx, node, ins) => [ins[0] && ins[1] ? { dtype: ins[0].dtype, shape: ins[1].shape ? [...ins[1].shape] : null } : undefined],
  GatherND: (ctx, node, ins) => {
    const [x, idx] = ins;
    if (!x || !idx || !x.shape || !idx.shape) return [x ? { dtype: x.dtype, shape: null } : undefined];
    const b = attrInt(node, 'batch_dims', 0);
    const last = idx.shape[idx.shape.length - 1];
    if (last === UNKNOWN) return [{ dtype: x.dtype, shape: null }];
    return [{ dtype: x.dtype, shape: [...idx.shape.slice(0, -1), ...x.shape.slice(b + last)] }];
  },
  Slice: (ctx, node, ins) => {
    const x = ins[0];
    if (!x) return [undefined];
    let starts: number[] | undefined;
    let ends: number[] | undefined;
    let axes: number[] | undefined;
    let steps: number[] | undefined;
    if (ctx.opset < 10) {
      starts = attrInts(node, 'starts');
      ends = attrInts(node, 'ends');
      axes = attrInts(node, 'axes');
    } else {
      starts = getValue(ins[1]);
      ends = getValue(ins[2]);
      axes = ins[3] ? getValue(ins[3]) : undefined;
      steps = ins[4] ? getValue(ins[4]) : undefined;
      if ((ins[3] && !axes) || (ins[4] && !steps)) starts = undefined;
    }
    if (!x.shape) return [{ dtype: x.dtype, shape: null }];
    if (!starts || !ends || starts.length !== ends.length) {
      // Unknown bounds: the rank is kept; sliced axes become unknown.
      if (axes) {
        const shape = [...x.shape];
        for (const a of axes) {
          const k = normAxis(a, shape.length);
          if (k >= 0 && k < shape.length) shape[k] = UNKNOWN;
        }
        return [{ dtype: x.dtype, shape }];
      }
      return [{ dtype: x.dtype, shape: x.shape.map(() => UNKNOWN) }];
    }
    const p = sliceParams(x.shape, starts, ends, axes, steps);
    if (!p) {
      ctx.conflict('Slice parameters do not fit the input');
      return [{ dtype: x.dtype, shape: x.shape.map(() => UNKNOWN) }];
    }
    const o: ShapeInfo = { dtype: x.dtype, shape: p.out };
    if (x.value && isKnown(x.shape) && isKnown(p.out) && size(p.out) <= ctx.foldLimit && fitsFold(ctx, x.shape) && fitsFold(ctx, p.out)) {
      const idx = x.shape.map((d) => Array.from({ length: d }, (_, i) => i));
      for (const r of p.ranges) idx[r.axis] = Array.from({ length: r.count }, (_, i) => r.start + i * r.step);
      o.value = gatherGrid(x.value, x.shape, idx);
    }
    return [o];
  },
  Split: (ctx, node, ins) => {
    const x = ins[0];
    const n = node.outputs.length;
    if (!x) return new Array(n).fill(undefined);
    if (!x.shape) return new Array(n).fill({ dtype: x.dtype, shape: null });
    const r = x.shape.length;
    const axis = normAxis(attrInt(node, 'axis', 0), r);
    if (!inRange(ctx, axis, r, 'Split')) return new Array(n).fill({ dtype: x.dtype, shape: null });
    let split = ctx.opset >= 13 ? getValue(ins[1]) : attrInts(node, 'split');
    if (ctx.opset >= 13 && ins[1] && !split) split = undefined;
    const dim = x.shape[axis];
    let parts: number[];
    if (split && split.length === n) parts = split;
    else if (dim === UNKNOWN || (ins[1] && !split)) parts = new Array(n).fill(UNKNOWN);
    else {
      const numOut = attrInt(node, 'num_outputs', n);
      const each = Math.ceil(dim / numOut);
      parts = Array.from({ length: n }, (_, i) => Math.max(0, Math.min(each, dim - i * each)));
    }
    return parts.map((p) => {
      const shape = [...(x.shape as number[])];
      shape[axis] = p;
      return { dtype: x.dtype, shape };
    });
  },
  Range: (ctx, node, ins) => {
    const [s, l, d] = ins.map(getValue);
    const dtype = ins[0]?.dtype ?? DataType.INT64;
    if (!s || !l || !d || d[0] === 0) return [{ dtype, shape: [UNKNOWN] }];
    const n = Math.max(Math.ceil((l[0] - s[0]) / d[0]), 0);
    if (!Number.isFinite(n)) return [{ dtype, shape: [UNKNOWN] }];
    const o: ShapeInfo = { dtype, shape: [n] };
    if (n <= ctx.foldLimit) o.value = Array.from({ length: n }, (_, i) => s[0] + i * d[0]);
    return [o];
  },
  Expand: (ctx, node, ins) => {
    const [x, sh] = ins;
    if (!x) return [undefined];
    const target = getValue(sh);
    if (!target) return [{ dtype: x.dtype, shape: null }];
    const shape = broadcast(ctx, [x.shape, target]);
    const o: ShapeInfo = { dtype: x.dtype, shape };
    if (shape && isKnown(shape) && x.value) {
      const v = foldBroadcast(ctx.foldLimit, shape, [x], (a) => a);
      if (v) o.value = v;
    }
    return [o];
  },
  Tile: (ctx, node, ins) => {
    const [x, rep] = ins;
    if (!x) return [undefined];
    const r = getValue(rep);
    if (!x.shape || !r || r.length !== x.shape.length) return [{ dtype: x.dtype, shape: x.shape ? x.shape.map(() => UNKNOWN) : null }];
    const shape = x.shape.map((d, i) => (d === UNKNOWN ? UNKNOWN : d * r[i]));
    const o: ShapeInfo = { dtype: x.dtype, shape };
    if (x.value && isKnown(x.shape) && size(shape) <= ctx.foldLimit && fitsFold(ctx, shape) && fitsFold(ctx, x.shape)) {
      const idx = shape.map((d, ax) => Array.from({ length: d }, (_, i) => i % (x.shape as number[])[ax]));
      o.value = gatherGrid(x.value, x.shape, idx);
    }
    return [o];
  },
  ScatterND: (ctx, node, ins) => {
    const [x, idx, upd] = ins;
    if (!x) return [undefined];
    const o: ShapeInfo = { dtype: x.dtype, shape: x.shape ? [...x.shape] : null };
    if (x.value && idx?.value && upd?.value && x.shape && idx.shape && isKnown(x.shape) && isKnown(idx.shape) && fitsFold(ctx, x.shape) && size(x.shape) === x.value.length) {
      const k = idx.shape[idx.shape.length - 1];
      const st = strides(x.shape);
      const inner = size(x.shape.slice(k));
      const res = [...x.value];
      const nIdx = idx.value.length / k;
      const red = attrString(node, 'reduction') ?? 'none';
      let ok = upd.value.length === nIdx * inner;
      for (let i = 0; i < nIdx && ok; i++) {
        let off = 0;
        for (let j = 0; j < k; j++) {
          let q = idx.value[i * k + j];
          if (q < 0) q += x.shape[j];
          if (q < 0 || q >= x.shape[j]) {
            ok = false;
            break;
          }
          off += q * st[j];
        }
        for (let e = 0; e < inner && ok; e++) {
          const u = upd.value[i * inner + e];
          res[off + e] = red === 'add' ? res[off + e] + u : red === 'mul' ? res[off + e] * u : red === 'max' ? Math.max(res[off + e], u) : red === 'min' ? Math.min(res[off + e], u) : u;
        }
      }
      if (ok) o.value = res;
    }
    return [o];
  },
  ScatterElements: (ctx, node, ins) => [same(ins[0])],
  Scatter: (ctx, node, ins) => [same(ins[0])],
  Pad: (ctx, node, ins) => {
    const x = ins[0];
    if (!x) return [undefined];
    const pads = ctx.opset >= 11 ? getValue(ins[1]) : attrInts(node, 'pads') ?? attrInts(node, 'paddings');
    if (!x.shape) return [{ dtype: x.dtype, shape: null }];
    if (!pads) return [{ dtype: x.dtype, shape: x.shape.map(() => UNKNOWN) }];
    const r = x.shape.length;
    let axes = ins[3] ? getValue(ins[3]) : undefined;
    if (ins[3] && !axes) return [{ dtype: x.dtype, shape: x.shape.map(() => UNKNOWN) }];
    axes = (axes ?? x.shape.map((_, i) => i)).map((a) => normAxis(a, r));
    const n = axes.length;
    if (!axes.every((a) => inRange(ctx, a, r, 'Pad'))) return [{ dtype: x.dtype, shape: x.shape.map(() => UNKNOWN) }];
    const shape = [...x.shape];
    axes.forEach((a, i) => {
      if (shape[a] !== UNKNOWN) shape[a] = shape[a] + (pads[i] ?? 0) + (pads[i + n] ?? 0);
    });
    return [{ dtype: x.dtype, shape }];
  },
  MatMul: (ctx, node, ins) => {
    const [a, b] = ins;
    if (!a || !b) return [undefined];
    if (!a.shape || !b.shape) return [{ dtype: a.dtype, shape: null }];
    return [{ dtype: a.dtype, shape: matmulShape(ctx, a.shape, b.shape) }];
  },
  MatMulInteger: (ctx, node, ins) => {
    const [a, b] = ins;
    if (!a || !b || !a.shape || !b.shape) return [{ dtype: DataType.INT32, shape: null }];
    return [{ dtype: DataType.INT32, shape: matmulShape(ctx, a.shape, b.shape) }];
  },
  Gemm: (ctx, node, ins) => {
    const [a, b] = ins;
    if (!a || !b) return [undefined];
    if (!a.shape || !b.shape || a.shape.length !== 2 || b.shape.length !== 2) return [{ dtype: a.dtype, shape: [UNKNOWN, UNKNOWN] }];
    const ta = attrInt(node, 'transA', 0);
    const tb = attrInt(node, 'transB', 0);
    const m = ta ? a.shape[1] : a.shape[0];
    const ka = ta ? a.shape[0] : a.shape[1];
    const kb = tb ? b.shape[1] : b.shape[0];
    const n = tb ? b.shape[0] : b.shape[1];
    if (ka !== UNKNOWN && kb !== UNKNOWN && ka !== kb) ctx.conflict(`Gemm inner dimensions ${ka} and ${kb} differ`);
    return [{ dtype: a.dtype, shape: [m, n] }];
  },
  Conv: (ctx, node, ins) => {
    const [x, w] = ins;
    if (!x || !w) return [undefined];
    if (!x.shape || !w.shape) return [{ dtype: x.dtype, shape: x.shape ? x.shape.map(() => UNKNOWN) : null }];
    const kernel = attrInts(node, 'kernel_shape') ?? w.shape.slice(2);
    const group = attrInt(node, 'group', 1);
    if (x.shape[1] !== UNKNOWN && w.shape[1] !== UNKNOWN && x.shape[1] !== w.shape[1] * group) {
      ctx.conflict(`Conv expects ${w.shape[1] * group} input channels, got ${x.shape[1]}`);
    }
    return [{ dtype: x.dtype, shape: [x.shape[0], w.shape[0], ...convSpatial(ctx, node, x.shape.slice(2), kernel)] }];
  },
  ConvInteger: (ctx, node, ins) => RULES.Conv(ctx, node, ins).map((o) => o && { ...o, dtype: DataType.INT32 }),
  // Quantized and fused twins of MatMul/Conv (ONNX QLinear*, com.microsoft fusions): same shapes.
  QLinearMatMul: (ctx, node, ins) => RULES.MatMul(ctx, node, [ins[0], ins[3]]).map((o) => o && { ...o, dtype: ins[7]?.dtype ?? ins[0]?.dtype ?? DataType.UINT8 }),
  QLinearConv: (ctx, node, ins) => RULES.Conv(ctx, node, [ins[0], ins[3]]).map((o) => o && { ...o, dtype: ins[7]?.dtype ?? ins[0]?.dtype ?? DataType.UINT8 }),
  FusedConv: (ctx, node, ins) => RULES.Conv(ctx, node, ins),
  MatMulIntegerToFloat: (ctx, node, ins) => RULES.MatMul(ctx, node, ins).map((o) => o && { ...o, dtype: ins[2]?.dtype ?? DataType.FLOAT }),
  DynamicQuantizeMatMul: (ctx, node, ins) => RULES.MatMul(ctx, node, ins),
  DynamicQuantizeLinear: (ctx, node, ins) => [same(ins[0], DataType.UINT8), { dtype: DataType.FLOAT, shape: [] }, { dtype: DataType.UINT8, shape: [] }],
  FusedMatMul: (ctx, node, ins) => {
    const [a, b] = ins;
    if (!a || !b) return [undefined];
    if (!a.shape || !b.shape) return [{ dtype: a.dtype, shape: null }];
    return [{ dtype: a.dtype, shape: matmulShape(ctx, fusedOperand(a.shape, attrInt(node, 'transBatchA', 0), attrInt(node, 'transA', 0)), fusedOperand(b.shape, attrInt(node, 'transBatchB', 0), attrInt(node, 'transB', 0))) }];
  },
  MatMulNBits: (ctx, node, ins) => {
    const a = ins[0];
    if (!a || !a.shape || !a.shape.length) return [a && { dtype: a.dtype, shape: null }];
    return [{ dtype: a.dtype, shape: [...a.shape.slice(0, -1), attrInt(node, 'N', UNKNOWN)] }];
  },
  // com.microsoft.Attention: input [B, S, Din], weights [Din, 3·hidden] (or qkv_hidden_sizes) → [B, S, hidden].
  Attention: (ctx, node, ins) => {
    const [x, w] = ins;
    if (!x || !x.shape || x.shape.length !== 3) return [x && { dtype: x.dtype, shape: null }];
    const sizes = attrInts(node, 'qkv_hidden_sizes');
    const hidden = sizes && sizes.length === 3 ? sizes[2] : w?.shape && w.shape.length === 2 && w.shape[1] !== UNKNOWN ? w.shape[1] / 3 : UNKNOWN;
    return [{ dtype: x.dtype, shape: [x.shape[0], x.shape[1], Number.isInteger(hidden) ? hidden : UNKNOWN] }];
  },
  // com.microsoft.MultiHeadAttention: query [B, S, D] (projected), key/value [B, L, D] → [B, S, Dv].
  MultiHeadAttention: (ctx, node, ins) => {
    const [q, , v] = ins;
    if (!q || !q.shape || q.shape.length !== 3) return [q && { dtype: q.dtype, shape: null }];
    const dv = v?.shape && v.shape.length === 3 ? v.shape[2] : q.shape[2];
    return [{ dtype: q.dtype, shape: [q.shape[0], q.shape[1], dv] }];
  },
  ConvTranspose: (ctx, node, ins) => {
    const [x, w] = ins;
    if (!x || !w) return [undefined];
    if (!x.shape || !w.shape) return [{ dtype: x.dtype, shape: null }];
    const kernel = attrInts(node, 'kernel_shape') ?? w.shape.slice(2);
    const group = attrInt(node, 'group', 1);
    const outShape = attrInts(node, 'output_shape');
    const spatial = outShape ?? convSpatial(ctx, node, x.shape.slice(2), kernel, { transpose: true, outputPadding: attrInts(node, 'output_padding') });
    return [{ dtype: x.dtype, shape: [x.shape[0], w.shape[1] === UNKNOWN ? UNKNOWN : w.shape[1] * group, ...spatial.slice(-(x.shape.length - 2))] }];
  },
  MaxPool: poolRule,
  AveragePool: poolRule,
  LpPool: poolRule,
  GlobalAveragePool: globalPool,
  GlobalMaxPool: globalPool,
  GlobalLpPool: globalPool,
  ReduceMean: reduceRule,
  ReduceSum: reduceRule,
  ReduceMax: reduceRule,
  ReduceMin: reduceRule,
  ReduceProd: reduceRule,
  ReduceL1: reduceRule,
  ReduceL2: reduceRule,
  ReduceLogSum: reduceRule,
  ReduceLogSumExp: reduceRule,
  ReduceSumSquare: reduceRule,
  ArgMax: argRule,
  ArgMin: argRule,
  TopK: (ctx, node, ins) => {
    const x = ins[0];
    if (!x || !x.shape) return [x && { dtype: x.dtype, shape: null }, { dtype: DataType.INT64, shape: null }];
    const k = ctx.opset >= 10 ? getValue(ins[1])?.[0] : attrInt(node, 'k');
    const axis = normAxis(attrInt(node, 'axis', -1), x.shape.length);
    if (!inRange(ctx, axis, x.shape.length, 'TopK')) return [{ dtype: x.dtype, shape: null }, { dtype: DataType.INT64, shape: null }];
    const shape = [...x.shape];
    shape[axis] = k ?? UNKNOWN;
    return [{ dtype: x.dtype, shape }, { dtype: DataType.INT64, shape: [...shape] }];
  },
  NonZero: (ctx, node, ins) => {
    const x = ins[0];
    if (!x || !x.shape) return [{ dtype: DataType.INT64, shape: [UNKNOWN, UNKNOWN] }];
    if (x.value && isKnown(x.shape)) {
      const st = strides(x.shape);
      const hits: number[] = [];
      x.value.forEach((v, i) => {
        if (v) hits.push(i);
      });
      const rows = x.shape.map((_, ax) => hits.map((h) => Math.floor(h / st[ax]) % (x.shape as number[])[ax]));
      return [{ dtype: DataType.INT64, shape: [x.shape.length, hits.length], value: rows.flat() }];
    }
    return [{ dtype: DataType.INT64, shape: [x.shape.length, UNKNOWN] }];
  },
  OneHot: (ctx, node, ins) => {
    const [idx, depth, values] = ins;
    if (!idx || !idx.shape) return [{ dtype: values?.dtype ?? DataType.FLOAT, shape: null }];
    const d = getValue(depth)?.[0] ?? UNKNOWN;
    const r = idx.shape.length + 1;
    const axis = normAxis(attrInt(node, 'axis', -1), r);
    const shape = [...idx.shape];
    shape.splice(axis, 0, d);
    return [{ dtype: values?.dtype ?? DataType.FLOAT, shape }];
  },
  Einsum: (ctx, node, ins) => {
    const eq = attrString(node, 'equation') ?? '';
    const shape = ins.every((i) => i) ? einsumShape(eq, ins.map((i) => (i as ShapeInfo).shape)) : null;
    return [{ dtype: ins[0]?.dtype ?? DataType.FLOAT, shape }];
  },
  Resize: (ctx, node, ins) => {
    const x = ins[0];
    if (!x || !x.shape) return [x && { dtype: x.dtype, shape: null }];
    const scales = ctx.opset >= 11 ? getValue(ins[2]) : getValue(ins[1]);
    const sizes = ctx.opset >= 11 ? getValue(ins[3]) : undefined;
    const r = x.shape.length;
    let axes = attrInts(node, 'axes');
    axes = (axes ?? x.shape.map((_, i) => i)).map((a) => normAxis(a, r));
    if (!axes.every((a) => inRange(ctx, a, r, 'Resize'))) return [{ dtype: x.dtype, shape: x.shape.map(() => UNKNOWN) }];
    const shape = [...x.shape];
    if (sizes && sizes.length) axes.forEach((a, i) => (shape[a] = sizes[i]));
    else if (scales && scales.length) axes.forEach((a, i) => (shape[a] = shape[a] === UNKNOWN ? UNKNOWN : Math.floor(shape[a] * scales[i] + 1e-9)));
    else return [{ dtype: x.dtype, shape: x.shape.map(() => UNKNOWN) }];
    return [{ dtype: x.dtype, shape }];
  },
  Upsample: (ctx, node, ins) => {
    const x = ins[0];
    if (!x || !x.shape) return [x && { dtype: x.dtype, shape: null }];
    const scales = getValue(ins[1]) ?? (attr(node, 'scales')?.value as number[] | undefined);
    if (!scales) return [{ dtype: x.dtype, shape: x.shape.map(() => UNKNOWN) }];
    return [{ dtype: x.dtype, shape: x.shape.map((d, i) => (d === UNKNOWN ? UNKNOWN : Math.floor(d * (scales[i] ?? 1)))) }];
  },
  DepthToSpace: (ctx, node, ins) => {
    const x = ins[0];
    const b = attrInt(node, 'blocksize', 1);
    if (!x || !x.shape || x.shape.length !== 4) return [x && { dtype: x.dtype, shape: null }];
    const [n, c, h, w] = x.shape;
    return [{ dtype: x.dtype, shape: [n, c === UNKNOWN ? c : c / (b * b), h === UNKNOWN ? h : h * b, w === UNKNOWN ? w : w * b] }];
  },
  SpaceToDepth: (ctx, node, ins) => {
    const x = ins[0];
    const b = attrInt(node, 'blocksize', 1);
    if (!x || !x.shape || x.shape.length !== 4) return [x && { dtype: x.dtype, shape: null }];
    const [n, c, h, w] = x.shape;
    return [{ dtype: x.dtype, shape: [n, c === UNKNOWN ? c : c * b * b, h === UNKNOWN ? h : Math.floor(h / b), w === UNKNOWN ? w : Math.floor(w / b)] }];
  },
  GridSample: (ctx, node, ins) => {
    const [x, grid] = ins;
    if (!x || !grid || !x.shape || !grid.shape) return [x && { dtype: x.dtype, shape: null }];
    return [{ dtype: x.dtype, shape: [x.shape[0], x.shape[1], ...grid.shape.slice(1, -1)] }];
  },
  EyeLike: (ctx, node, ins) => [same(ins[0], attrInt(node, 'dtype', ins[0]?.dtype ?? DataType.FLOAT))],
};

/**
 * A FusedMatMul operand as multiplied: transBatch moves the first axis to just before the last
 * (the batch transpose ORT folds in), trans swaps the last two.
 */
function fusedOperand(s: number[], transBatch: number, trans: number): number[] {
  let o = [...s];
  if (transBatch && o.length > 2) o = [...o.slice(1, -1), o[0], o[o.length - 1]];
  if (trans && o.length >= 2) [o[o.length - 2], o[o.length - 1]] = [o[o.length - 1], o[o.length - 2]];
  return o;
}

/**
 * ONNX Runtime's NCHWc layout ops (domain com.microsoft.nchwc, written at level 'all'): a Conv
 * whose output is channel-blocked (shape kept as [N, C, H, W]) and the reorders around it.
 */
const NCHWC_RULES: Record<string, Infer> = {
  Conv: (ctx, node, ins) => RULES.Conv(ctx, node, ins),
  MaxPool: poolRule,
  AveragePool: poolRule,
  GlobalAveragePool: globalPool,
  GlobalMaxPool: globalPool,
  ReorderInput: (ctx, node, ins) => [same(ins[0])],
  ReorderOutput: (ctx, node, ins) => {
    const x = ins[0];
    if (!x || !x.shape || x.shape.length < 3) return [x && { dtype: x.dtype, shape: null }];
    const c = attrInt(node, 'channels', x.shape[1]);
    const [n, , ...sp] = x.shape;
    return [{ dtype: x.dtype, shape: attrInt(node, 'channels_last', 0) ? [n, ...sp, c] : [n, c, ...sp] }];
  },
};

function matmulShape(ctx: Ctx, a: number[], b: number[]): number[] | null {
  if (a.length === 0 || b.length === 0) {
    ctx.conflict('MatMul of a scalar');
    return null;
  }
  const a2 = a.length === 1 ? [1, a[0]] : a;
  const b2 = b.length === 1 ? [b[0], 1] : b;
  const k1 = a2[a2.length - 1];
  const k2 = b2[b2.length - 2];
  if (k1 !== UNKNOWN && k2 !== UNKNOWN && k1 !== k2) ctx.conflict(`MatMul inner dimensions ${k1} and ${k2} differ ([${a.join(',')}] × [${b.join(',')}])`);
  const batch = broadcast(ctx, [a2.slice(0, -2), b2.slice(0, -2)]) ?? [];
  const out = [...batch, a2[a2.length - 2], b2[b2.length - 1]];
  if (a.length === 1) out.splice(out.length - 2, 1);
  if (b.length === 1) out.splice(out.length - 1, 1);
  return out;
}

function poolRule(ctx: Ctx, node: OnnxNode, ins: (ShapeInfo | undefined)[]): (ShapeInfo | undefined)[] {
  const x = ins[0];
  if (!x) return [undefined];
  if (!x.shape) return [{ dtype: x.dtype, shape: null }, { dtype: DataType.INT64, shape: null }];
  const kernel = attrInts(node, 'kernel_shape') ?? [];
  const spatial = convSpatial(ctx, node, x.shape.slice(2), kernel, { ceil: attrInt(node, 'ceil_mode', 0) === 1 });
  const shape = [x.shape[0], x.shape[1], ...spatial];
  return [{ dtype: x.dtype, shape }, { dtype: DataType.INT64, shape: [...shape] }];
}

function globalPool(ctx: Ctx, node: OnnxNode, ins: (ShapeInfo | undefined)[]): (ShapeInfo | undefined)[] {
  const x = ins[0];
  if (!x) return [undefined];
  if (!x.shape) return [{ dtype: x.dtype, shape: null }];
  return [{ dtype: x.dtype, shape: x.shape.map((d, i) => (i < 2 ? d : 1)) }];
}

function reduceRule(ctx: Ctx, node: OnnxNode, ins: (ShapeInfo | undefined)[]): (ShapeInfo | undefined)[] {
  const x = ins[0];
  if (!x) return [undefined];
  const keep = attrInt(node, 'keepdims', 1) === 1;
  const axesFromInput = ctx.opset >= 18 || (node.opType === 'ReduceSum' && ctx.opset >= 13);
  let axes: number[] | null | undefined = axesFromInput ? (ins[1] ? getValue(ins[1]) : null) : attrInts(node, 'axes') ?? null;
  if (axesFromInput && ins[1] && !axes) {
    return [{ dtype: x.dtype, shape: keep && x.shape ? x.shape.map(() => UNKNOWN) : null }];
  }
  if (axes && axes.length === 0) axes = null;
  if (axes === null && attrInt(node, 'noop_with_empty_axes', 0) === 1) return [same(x)];
  if (!x.shape) return [{ dtype: x.dtype, shape: null }];
  const shape = reduceShape(x.shape, axes ?? null, keep);
  const o: ShapeInfo = { dtype: x.dtype, shape };
  if (x.value && isKnown(x.shape) && x.value.length <= ctx.foldLimit && fitsFold(ctx, x.shape) && size(x.shape) > 0) {
    const v = reduceValues(x.value, x.shape, axes ?? null, node.opType);
    if (v) o.value = v;
  }
  return [o];
}

function argRule(ctx: Ctx, node: OnnxNode, ins: (ShapeInfo | undefined)[]): (ShapeInfo | undefined)[] {
  const x = ins[0];
  if (!x || !x.shape) return [{ dtype: DataType.INT64, shape: null }];
  const keep = attrInt(node, 'keepdims', 1) === 1;
  return [{ dtype: DataType.INT64, shape: reduceShape(x.shape, [attrInt(node, 'axis', 0)], keep) }];
}

/**
 * Infers the shape of every tensor in the main graph. Subgraphs (If/Loop bodies) are not
 * traversed: the outputs of such nodes take the shapes declared in the model, if any.
 */
export function inferShapes(model: OnnxModel, options: ShapeOptions = {}): ShapeResult {
  const g = model.graph;
  if (options.imageSize === undefined && !options.inputShapes && imageInput(g) && !declaredImageSize(g)) {
    // A dynamic image size: 224² unless the model only fits another size (a fixed position
    // embedding); then the size it was made for.
    const first = inferAt(model, { ...options, imageSize: 224 });
    if (!first.conflicts.length) return first;
    for (const s of candidateSizes(g)) {
      if (s === 224) continue;
      const r = inferAt(model, { ...options, imageSize: s });
      if (!r.conflicts.length) {
        r.warnings.unshift(`The input size is dynamic and 224×224 does not fit this model; using ${s}×${s}, the size its position embedding was made for.`);
        return r;
      }
    }
    return first;
  }
  return inferAt(model, options);
}

function inferAt(model: OnnxModel, options: ShapeOptions): ShapeResult {
  const g = model.graph;
  const opset = defaultOpset(model) || 13;
  const ctx = new Ctx(model, opset, options.foldLimit ?? 4096);
  const tensors = new Map<string, ShapeInfo>();
  const warnings: string[] = [];

  for (const t of g.initializers) tensors.set(t.name, tensorToInfo(ctx, t));

  // Bind the inputs.
  const declared = declaredImageSize(g);
  let imageSize: [number, number] | null = null;
  const img = imageInput(g);
  if (img) {
    const req = options.imageSize;
    imageSize = req === undefined ? declared ?? [224, 224] : typeof req === 'number' ? [req, req] : req;
    if (!Number.isInteger(imageSize[0]) || !Number.isInteger(imageSize[1]) || imageSize[0] <= 0 || imageSize[1] <= 0 || imageSize[0] * imageSize[1] > 1e8) {
      throw new UserError(`Image size ${imageSize.join('×')} is not usable: give a positive whole number of pixels (at most 10⁸ in all).`);
    }
  }
  const batch = options.batch ?? 1;
  const inputShapes: Record<string, number[]> = {};
  for (const inp of graphInputs(g)) {
    const t = inp.type;
    if (options.inputShapes?.[inp.name]) {
      inputShapes[inp.name] = options.inputShapes[inp.name];
    } else if (t && t.kind === 'tensor' && t.shape) {
      const isImg = img !== null && inp.name === img.name;
      inputShapes[inp.name] = t.shape.map((d, i) => {
        if (isImg && i >= 2 && imageSize) return imageSize[i - 2];
        if (typeof d === 'number') return d;
        if (i === 0) return batch;
        if (isImg && i === 1) return imageChannels(g, inp.name);
        return UNKNOWN;
      });
      if (!isImg && inputShapes[inp.name].some((d) => d === UNKNOWN)) {
        warnings.push(`Input "${inp.name}" has symbolic dimensions other than the batch; the shapes that depend on them are unknown.`);
      }
    }
    const elem = t && t.kind === 'tensor' ? t.elemType : DataType.FLOAT;
    tensors.set(inp.name, { dtype: elem, shape: inputShapes[inp.name] ?? null });
  }

  // Declared shapes, used only for ops without a rule (and only when the size is the model's own).
  const declaredShapes = new Map<string, ShapeInfo>();
  const sameSize = !imageSize || !declared || (declared[0] === imageSize[0] && declared[1] === imageSize[1]);
  for (const v of [...g.valueInfo, ...g.outputs]) {
    if (v.type && v.type.kind === 'tensor') {
      const shape = v.type.shape ? v.type.shape.map((d) => (typeof d === 'number' && sameSize ? d : UNKNOWN)) : null;
      declaredShapes.set(v.name, { dtype: v.type.elemType, shape });
    }
  }

  const { order, cyclic, producer } = topoOrder(g);
  if (cyclic.length) warnings.push(`${cyclic.length} node(s) form a cycle; their shapes are unknown.`);
  for (const i of order) {
    const node = g.nodes[i];
    ctx.nodeIndex = i;
    const ins: (ShapeInfo | undefined)[] = new Array(node.inputs.length);
    for (let k = 0; k < node.inputs.length; k++) {
      const n = node.inputs[k];
      ins[k] = n === '' ? undefined : tensors.get(n);
    }
    let outs: (ShapeInfo | undefined)[] = [];
    const rule = node.domain === '' || node.domain === 'ai.onnx' || node.domain === 'com.microsoft' ? RULES[node.opType] : node.domain === 'com.microsoft.nchwc' ? NCHWC_RULES[node.opType] : undefined;
    if (rule) {
      try {
        // Optional inputs are '' and map to undefined; rules check what they need.
        outs = rule(ctx, node, ins);
      } catch (e) {
        if (e instanceof UserError) throw e;
        ctx.conflict(`${node.opType}: ${(e as Error).message}`);
        outs = [];
      }
    } else {
      ctx.unsupported.add(node.domain ? `${node.domain}.${node.opType}` : node.opType);
    }
    for (let k = 0; k < node.outputs.length; k++) {
      const o = node.outputs[k];
      if (!o) continue;
      let info = outs[k];
      if (!info) info = declaredShapes.get(o) ?? { dtype: DataType.UNDEFINED, shape: null };
      else if (!validShape(info.shape)) {
        ctx.conflict(`${node.opType} gives an impossible shape`);
        info = { dtype: info.dtype, shape: null };
      } else if (info.value && info.value.length > ctx.foldLimit) info = { dtype: info.dtype, shape: info.shape };
      tensors.set(o, info);
    }
  }
  for (const i of cyclic) for (const o of g.nodes[i].outputs) if (o && !tensors.has(o)) tensors.set(o, { dtype: DataType.UNDEFINED, shape: null });
  if (ctx.unsupported.size) {
    warnings.push(`No shape rule for ${[...ctx.unsupported].join(', ')}: shapes after ${ctx.unsupported.size === 1 ? 'it' : 'them'} come from the model's declared shapes where present.`);
  }
  return { tensors, inputShapes, imageSize, order, producer, conflicts: ctx.conflicts, unsupportedOps: [...ctx.unsupported], warnings };
}
