/**
 * A small graph builder for synthesising ONNX models (one attention layer to time, test models):
 *
 *   const g = new GraphBuilder({ opset: 17 });
 *   const x = g.input('x', DataType.FLOAT, [1, 49, 96]);
 *   const w = g.initializer('w', new Float32Array(96 * 288), [96, 288]);
 *   const y = g.op('MatMul', [x, w]);
 *   g.output(g.op('Softmax', [y], { axis: -1 }));
 *   writeModel(g.build(), 'attn.onnx');
 */
import type { Dim, OnnxAttribute, OnnxModel, OnnxNode, TensorInfo, ValueInfo } from './model';
import { DataType } from './proto';
import { encodeValues } from './writer';

/** Marks a number attribute as a float (plain numbers become ints). */
export function float(value: number): { float: number } {
  return { float: value };
}
/** Marks a number-array attribute as floats (plain arrays become ints). */
export function floats(value: number[]): { floats: number[] } {
  return { floats: value };
}

export type AttrInput =
  | number
  | number[]
  | string
  | string[]
  | { float: number }
  | { floats: number[] }
  | TensorInfo
  | OnnxModel['graph'];

function toAttribute(name: string, v: AttrInput): OnnxAttribute {
  if (typeof v === 'number') return { name, type: 'int', value: v };
  if (typeof v === 'string') return { name, type: 'string', value: v };
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x === 'string')) return { name, type: 'strings', value: v as string[] };
    return { name, type: 'ints', value: v as number[] };
  }
  if ('float' in v) return { name, type: 'float', value: v.float };
  if ('floats' in v) return { name, type: 'floats', value: v.floats };
  if ('dataType' in v) return { name, type: 'tensor', value: v };
  return { name, type: 'graph', value: v };
}

/** A tensor held in memory, from a typed array (its type fixes the ONNX data type unless given). */
export function makeTensor(
  name: string,
  data: Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array | number[],
  dims: number[],
  dataType?: number,
): TensorInfo {
  let dt = dataType;
  let bytes: Uint8Array;
  if (Array.isArray(data)) {
    dt ??= DataType.FLOAT;
    bytes = encodeValues(dt, data);
    return { name, dataType: dt, dims, data: { location: 'memory', bytes }, values: data.length <= 4096 ? [...data] : undefined };
  }
  if (data instanceof Float32Array) dt ??= DataType.FLOAT;
  else if (data instanceof Float64Array) dt ??= DataType.DOUBLE;
  else if (data instanceof BigInt64Array) dt ??= DataType.INT64;
  else if (data instanceof Int32Array) dt ??= DataType.INT32;
  else dt ??= DataType.UINT8;
  bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const t: TensorInfo = { name, dataType: dt, dims, data: { location: 'memory', bytes } };
  if (data.length <= 4096) t.values = Array.from(data as ArrayLike<number | bigint>, (x) => Number(x));
  return t;
}

export class GraphBuilder {
  private nodes: OnnxNode[] = [];
  private inits: TensorInfo[] = [];
  private inputs: ValueInfo[] = [];
  private outputs: ValueInfo[] = [];
  private counter = 0;
  private readonly opset: number;
  private readonly extraOpsets: { domain: string; version: number }[] = [];

  constructor(private readonly opts: { opset?: number; name?: string; producer?: string; irVersion?: number } = {}) {
    this.opset = opts.opset ?? 17;
  }

  private fresh(prefix: string): string {
    return `${prefix}_${this.counter++}`;
  }

  input(name: string, elemType: number, shape: Dim[] | null): string {
    this.inputs.push({ name, type: { kind: 'tensor', elemType, shape } });
    return name;
  }

  output(name: string, elemType: number = DataType.FLOAT, shape: Dim[] | null = null): string {
    this.outputs.push({ name, type: { kind: 'tensor', elemType, shape } });
    return name;
  }

  /** Adds an initializer; `data` may be a typed array, numbers, or an existing TensorInfo's data. */
  initializer(
    name: string,
    data: Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array | number[],
    dims: number[],
    dataType?: number,
  ): string {
    this.inits.push(makeTensor(name, data, dims, dataType));
    return name;
  }

  /** Adds an initializer given as a TensorInfo (e.g. with generated data). */
  addTensor(t: TensorInfo): string {
    this.inits.push(t);
    return t.name;
  }

  /** An int64 constant initializer (shapes, axes, indices). */
  int64(values: number[], dims: number[] = [values.length], name?: string): string {
    return this.initializer(name ?? this.fresh('const'), values, dims, DataType.INT64);
  }

  /** A float32 constant initializer. */
  float32(values: number[], dims: number[] = [values.length], name?: string): string {
    return this.initializer(name ?? this.fresh('const'), values, dims, DataType.FLOAT);
  }

  /** Adds a node; returns its output names (auto-named when `outputs` is a count). */
  node(opType: string, inputs: string[], outputs: string[] | number = 1, attrs: Record<string, AttrInput> = {}, name?: string, domain = ''): string[] {
    const outs = typeof outputs === 'number' ? Array.from({ length: outputs }, () => this.fresh(opType)) : outputs;
    this.nodes.push({
      name: name ?? this.fresh(`/${opType}`),
      opType,
      domain,
      inputs,
      outputs: outs,
      attributes: Object.entries(attrs).map(([k, v]) => toAttribute(k, v)),
    });
    return outs;
  }

  /** Adds a single-output node and returns its output name. */
  op(opType: string, inputs: string[], attrs: Record<string, AttrInput> = {}, name?: string): string {
    return this.node(opType, inputs, 1, attrs, name)[0];
  }

  useOpset(domain: string, version: number): void {
    this.extraOpsets.push({ domain, version });
  }

  build(): OnnxModel {
    return {
      path: null,
      fileSize: 0,
      irVersion: this.opts.irVersion ?? 8,
      producerName: this.opts.producer ?? 'vit-inspector',
      producerVersion: '',
      domain: '',
      modelVersion: 0,
      docString: '',
      opsetImports: [{ domain: '', version: this.opset }, ...this.extraOpsets],
      metadata: [],
      graph: {
        name: this.opts.name ?? 'graph',
        nodes: this.nodes,
        initializers: this.inits,
        inputs: this.inputs,
        outputs: this.outputs,
        valueInfo: [],
        extra: [],
      },
      functions: [],
      extra: [],
      warnings: [],
    };
  }
}
