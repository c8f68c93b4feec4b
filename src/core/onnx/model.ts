/**
 * The in-memory form of an ONNX model as the reader returns it: structure and tensor metadata,
 * never the weights themselves. Every tensor says where its bytes are; small tensors (shape
 * constants and the like) also carry their decoded values.
 */

/**
 * A byte range [start, end) in the source file. For a node, tensor or value info it is the
 * message's payload (without its tag and length), which the writer copies verbatim; for the
 * `extra` lists it is the whole field including its tag. An object edited after reading must drop
 * its span (the writer trusts it).
 */
export interface Span {
  start: number;
  end: number;
}

export type TensorData =
  /** Bytes in the model file: `raw_data`, or a packed typed field such as `int64_data`. */
  | { location: 'inline'; offset: number; length: number; encoding: TensorEncoding }
  /** Bytes in an external file beside the model (`file` as written in the model, `path` resolved). */
  | { location: 'external'; file: string; path: string; offset: number; length: number; exists: boolean }
  /** Bytes held in memory (graphs built with the builder). */
  | { location: 'memory'; bytes: Uint8Array }
  /** Bytes produced on demand while writing (large synthetic tensors); `fill` writes `target.length` bytes starting at `offset`. */
  | { location: 'generated'; length: number; fill: (target: Uint8Array, offset: number) => void }
  /** No data at all (an empty tensor, or an unset one). */
  | { location: 'none' };

export type TensorEncoding = 'raw' | 'float_data' | 'int32_data' | 'int64_data' | 'double_data' | 'uint64_data' | 'string_data';

export interface TensorInfo {
  name: string;
  dataType: number;
  dims: number[];
  data: TensorData;
  /** Decoded values of a small inline tensor (up to ReadOptions.valuesMaxBytes; floats up to 64 bytes), row-major. */
  values?: number[];
  docString?: string;
  /** Where this TensorProto is in the source file (only for top-level initializers). */
  span?: Span;
}

export type AttributeValue =
  | { type: 'float'; value: number }
  | { type: 'int'; value: number }
  | { type: 'string'; value: string }
  | { type: 'tensor'; value: TensorInfo }
  | { type: 'graph'; value: OnnxGraph }
  | { type: 'floats'; value: number[] }
  | { type: 'ints'; value: number[] }
  | { type: 'strings'; value: string[] }
  | { type: 'tensors'; value: TensorInfo[] }
  | { type: 'graphs'; value: OnnxGraph[] }
  /** Sparse tensors, type protos, references to a function's attributes: kept, not interpreted. */
  | { type: 'other'; value: null; typeCode: number };

export type OnnxAttribute = { name: string; refAttrName?: string } & AttributeValue;

export interface OnnxNode {
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attributes: OnnxAttribute[];
  docString?: string;
  span?: Span;
}

/** A dimension: a number, a symbolic name (`dim_param`), or null when unknown. */
export type Dim = number | string | null;

export type TypeInfo =
  | { kind: 'tensor'; elemType: number; shape: Dim[] | null }
  | { kind: 'sequence' | 'map' | 'optional' | 'sparse_tensor' | 'unknown' };

export interface ValueInfo {
  name: string;
  type: TypeInfo | null;
  docString?: string;
  span?: Span;
}

export interface OnnxGraph {
  name: string;
  nodes: OnnxNode[];
  initializers: TensorInfo[];
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  valueInfo: ValueInfo[];
  docString?: string;
  /** Fields kept byte for byte but not interpreted (sparse initializers, quantization annotations, metadata). */
  extra: Span[];
}

export interface OpsetImport {
  domain: string;
  version: number;
}

export interface OnnxModel {
  /** Absolute path of the file read, or null for a model built in memory. */
  path: string | null;
  fileSize: number;
  irVersion: number;
  producerName: string;
  producerVersion: string;
  domain: string;
  modelVersion: number;
  docString: string;
  opsetImports: OpsetImport[];
  metadata: { key: string; value: string }[];
  graph: OnnxGraph;
  /** Names of model-local functions (their bodies are kept for the writer, not interpreted). */
  functions: string[];
  /** Top-level fields kept byte for byte (training info, functions, unknown fields). */
  extra: Span[];
  /** Things the user should know: missing external data, subgraphs not traversed, ... */
  warnings: string[];
}

export function attr(node: OnnxNode, name: string): OnnxAttribute | undefined {
  for (const a of node.attributes) if (a.name === name) return a;
  return undefined;
}

export function attrInt(node: OnnxNode, name: string, def: number): number;
export function attrInt(node: OnnxNode, name: string, def?: number): number | undefined;
export function attrInt(node: OnnxNode, name: string, def?: number): number | undefined {
  const a = attr(node, name);
  if (a && a.type === 'int') return a.value;
  return def;
}

export function attrFloat(node: OnnxNode, name: string, def: number): number {
  const a = attr(node, name);
  if (a && a.type === 'float') return a.value;
  if (a && a.type === 'int') return a.value;
  return def;
}

export function attrInts(node: OnnxNode, name: string): number[] | undefined {
  const a = attr(node, name);
  if (a && a.type === 'ints') return a.value;
  if (a && a.type === 'int') return [a.value];
  return undefined;
}

export function attrString(node: OnnxNode, name: string): string | undefined {
  const a = attr(node, name);
  return a && a.type === 'string' ? a.value : undefined;
}

export function attrTensor(node: OnnxNode, name: string): TensorInfo | undefined {
  const a = attr(node, name);
  return a && a.type === 'tensor' ? a.value : undefined;
}

/** Number of elements of a tensor with these dims (1 for a scalar). */
export function numElements(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

/** The opset version of the default ONNX domain ('' or 'ai.onnx'). */
export function defaultOpset(model: OnnxModel): number {
  for (const o of model.opsetImports) if (o.domain === '' || o.domain === 'ai.onnx') return o.version;
  return 0;
}

/** Subgraphs held by a node's attributes (If branches, Loop and Scan bodies). */
export function subgraphsOf(node: OnnxNode): OnnxGraph[] {
  const out: OnnxGraph[] = [];
  for (const a of node.attributes) {
    if (a.type === 'graph') out.push(a.value);
    else if (a.type === 'graphs') out.push(...a.value);
  }
  return out;
}
