/**
 * ONNX writer: serialises an OnnxModel. Messages read from a file and left unchanged (they still
 * have their `span`) are copied byte for byte from the original file, so weights are never decoded
 * or re-encoded: a model with inline weights is rewritten by streaming ranges of the original.
 * Only what changed (a graph's lists, new nodes, new outputs) is encoded anew.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../errors';
import type { OnnxAttribute, OnnxGraph, OnnxModel, OnnxNode, TensorInfo, TypeInfo, ValueInfo } from './model';
import {
  ATTRIBUTE_KINDS,
  AttributeField,
  AttributeType,
  DataLocation,
  DataType,
  DimensionField,
  GraphField,
  ModelField,
  NodeField,
  OperatorSetIdField,
  StringStringEntryField,
  TensorField,
  TensorShapeField,
  TypeField,
  TypeTensorField,
  ValueInfoField,
  WireType,
} from './proto';

/** A piece of output: literal bytes, a range of the source file, or bytes generated on demand. */
type Piece =
  | Uint8Array
  | { copy: { start: number; end: number } }
  | { gen: { length: number; fill: (target: Uint8Array, offset: number) => void } };

interface Parts {
  len: number;
  list: Piece[];
}

const enc = new TextEncoder();

function varintBytes(v: number): number[] {
  const out: number[] = [];
  if (v < 0) {
    // Negative int64: two's complement over 64 bits, 10 bytes.
    let lo = v % 4294967296;
    let hi = Math.floor(v / 4294967296);
    lo = lo >>> 0;
    hi = hi >>> 0;
    for (let i = 0; i < 4; i++) {
      out.push((lo & 0x7f) | 0x80);
      lo >>>= 7;
    }
    out.push(((lo & 0x0f) | ((hi & 0x07) << 4)) | 0x80);
    hi >>>= 3;
    for (let i = 0; i < 4; i++) {
      out.push((hi & 0x7f) | 0x80);
      hi >>>= 7;
    }
    out.push(hi & 0x01);
    return out;
  }
  while (v >= 0x80) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

class Builder {
  len = 0;
  list: Piece[] = [];
  private small: number[] = [];

  private flush(): void {
    if (this.small.length) {
      this.list.push(Uint8Array.from(this.small));
      this.small = [];
    }
  }
  rawBytes(b: number[]): void {
    for (const x of b) this.small.push(x);
    this.len += b.length;
  }
  tag(field: number, wt: number): void {
    this.rawBytes(varintBytes(field * 8 + wt));
  }
  varint(field: number, v: number): void {
    this.tag(field, WireType.VARINT);
    this.rawBytes(varintBytes(v));
  }
  float(field: number, v: number): void {
    this.tag(field, WireType.I32);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.rawBytes([...b]);
  }
  bytes(field: number, b: Uint8Array): void {
    this.tag(field, WireType.LEN);
    this.rawBytes(varintBytes(b.length));
    if (b.length <= 256) this.rawBytes([...b]);
    else {
      this.flush();
      this.list.push(b);
      this.len += b.length;
    }
  }
  string(field: number, s: string): void {
    this.bytes(field, enc.encode(s));
  }
  message(field: number, p: Parts): void {
    this.tag(field, WireType.LEN);
    this.rawBytes(varintBytes(p.len));
    this.append(p);
  }
  append(p: Parts): void {
    this.flush();
    for (const x of p.list) this.list.push(x);
    this.len += p.len;
  }
  /** A length-delimited field whose payload is a range of the source file. */
  copyField(field: number, start: number, end: number): void {
    this.tag(field, WireType.LEN);
    this.rawBytes(varintBytes(end - start));
    this.copy(start, end);
  }
  copy(start: number, end: number): void {
    this.flush();
    this.list.push({ copy: { start, end } });
    this.len += end - start;
  }
  gen(field: number, length: number, fill: (t: Uint8Array, o: number) => void): void {
    this.tag(field, WireType.LEN);
    this.rawBytes(varintBytes(length));
    this.flush();
    this.list.push({ gen: { length, fill } });
    this.len += length;
  }
  done(): Parts {
    this.flush();
    return { len: this.len, list: this.list };
  }
}

interface EncodeCtx {
  /** Whether spans may be copied (the model came from a file that still exists). */
  canCopy: boolean;
}

function encodeModel(m: OnnxModel, ctx: EncodeCtx): Parts {
  const b = new Builder();
  if (m.irVersion) b.varint(ModelField.ir_version, m.irVersion);
  if (m.producerName) b.string(ModelField.producer_name, m.producerName);
  if (m.producerVersion) b.string(ModelField.producer_version, m.producerVersion);
  if (m.domain) b.string(ModelField.domain, m.domain);
  if (m.modelVersion) b.varint(ModelField.model_version, m.modelVersion);
  if (m.docString) b.string(ModelField.doc_string, m.docString);
  b.message(ModelField.graph, encodeGraph(m.graph, ctx));
  for (const o of m.opsetImports) {
    const ob = new Builder();
    if (o.domain) ob.string(OperatorSetIdField.domain, o.domain);
    ob.varint(OperatorSetIdField.version, o.version);
    b.message(ModelField.opset_import, ob.done());
  }
  for (const kv of m.metadata) b.message(ModelField.metadata_props, encodeEntry(kv.key, kv.value));
  if (ctx.canCopy) for (const x of m.extra) b.copy(x.start, x.end);
  return b.done();
}

function encodeEntry(key: string, value: string): Parts {
  const b = new Builder();
  b.string(StringStringEntryField.key, key);
  b.string(StringStringEntryField.value, value);
  return b.done();
}

function encodeGraph(g: OnnxGraph, ctx: EncodeCtx): Parts {
  const b = new Builder();
  for (const n of g.nodes) {
    if (n.span && ctx.canCopy) b.copyField(GraphField.node, n.span.start, n.span.end);
    else b.message(GraphField.node, encodeNode(n, ctx));
  }
  if (g.name) b.string(GraphField.name, g.name);
  for (const t of g.initializers) {
    if (t.span && ctx.canCopy) b.copyField(GraphField.initializer, t.span.start, t.span.end);
    else b.message(GraphField.initializer, encodeTensor(t, ctx));
  }
  if (g.docString !== undefined) b.string(GraphField.doc_string, g.docString); // ORT writes an empty one: keep it, for a byte-exact copy
  const vis: [number, ValueInfo[]][] = [
    [GraphField.input, g.inputs],
    [GraphField.output, g.outputs],
    [GraphField.value_info, g.valueInfo],
  ];
  for (const [field, list] of vis) {
    for (const v of list) {
      if (v.span && ctx.canCopy) b.copyField(field, v.span.start, v.span.end);
      else b.message(field, encodeValueInfo(v));
    }
  }
  if (ctx.canCopy) for (const x of g.extra) b.copy(x.start, x.end);
  return b.done();
}

function encodeNode(n: OnnxNode, ctx: EncodeCtx): Parts {
  const b = new Builder();
  for (const i of n.inputs) b.string(NodeField.input, i);
  for (const o of n.outputs) b.string(NodeField.output, o);
  if (n.name) b.string(NodeField.name, n.name);
  b.string(NodeField.op_type, n.opType);
  for (const a of n.attributes) b.message(NodeField.attribute, encodeAttribute(a, ctx));
  if (n.docString) b.string(NodeField.doc_string, n.docString);
  if (n.domain) b.string(NodeField.domain, n.domain);
  return b.done();
}

function encodeAttribute(a: OnnxAttribute, ctx: EncodeCtx): Parts {
  const b = new Builder();
  b.string(AttributeField.name, a.name);
  if (a.refAttrName) b.string(AttributeField.ref_attr_name, a.refAttrName);
  switch (a.type) {
    case 'float':
      b.float(AttributeField.f, a.value);
      break;
    case 'int':
      b.varint(AttributeField.i, a.value);
      break;
    case 'string':
      b.string(AttributeField.s, a.value);
      break;
    case 'tensor':
      b.message(AttributeField.t, encodeTensor(a.value, ctx));
      break;
    case 'graph':
      b.message(AttributeField.g, encodeGraph(a.value, ctx));
      break;
    case 'floats':
      for (const v of a.value) b.float(AttributeField.floats, v);
      break;
    case 'ints':
      for (const v of a.value) b.varint(AttributeField.ints, v);
      break;
    case 'strings':
      for (const v of a.value) b.string(AttributeField.strings, v);
      break;
    case 'tensors':
      for (const v of a.value) b.message(AttributeField.tensors, encodeTensor(v, ctx));
      break;
    case 'graphs':
      for (const v of a.value) b.message(AttributeField.graphs, encodeGraph(v, ctx));
      break;
    case 'other':
      throw new UserError(`Cannot rewrite attribute "${a.name}" (type ${a.typeCode}) of an edited node: sparse tensors and type protos are not supported by the writer.`);
  }
  b.varint(AttributeField.type, AttributeType.FLOAT + ATTRIBUTE_KINDS.indexOf(a.type));
  return b.done();
}

/** Encodes numbers as little-endian raw_data of the given type. */
export function encodeValues(dataType: number, values: readonly number[]): Uint8Array {
  let bytesPer = 4;
  switch (dataType) {
    case DataType.DOUBLE:
    case DataType.INT64:
    case DataType.UINT64:
      bytesPer = 8;
      break;
    case DataType.INT8:
    case DataType.UINT8:
    case DataType.BOOL:
      bytesPer = 1;
      break;
    case DataType.INT16:
    case DataType.UINT16:
      bytesPer = 2;
      break;
  }
  const out = new Uint8Array(values.length * bytesPer);
  const dv = new DataView(out.buffer);
  values.forEach((v, i) => {
    const o = i * bytesPer;
    switch (dataType) {
      case DataType.FLOAT:
        dv.setFloat32(o, v, true);
        break;
      case DataType.DOUBLE:
        dv.setFloat64(o, v, true);
        break;
      case DataType.INT64:
      case DataType.UINT64:
        dv.setBigInt64(o, BigInt(Math.trunc(v)), true);
        break;
      case DataType.INT32:
      case DataType.UINT32:
        dv.setInt32(o, v | 0, true);
        break;
      case DataType.INT16:
      case DataType.UINT16:
        dv.setInt16(o, v, true);
        break;
      case DataType.INT8:
      case DataType.UINT8:
        dv.setInt8(o, v);
        break;
      case DataType.BOOL:
        dv.setUint8(o, v ? 1 : 0);
        break;
      default:
        throw new Error(`encodeValues: unsupported data type ${dataType}`);
    }
  });
  return out;
}

const ENCODING_FIELD: Record<string, number> = {
  raw: TensorField.raw_data,
  float_data: TensorField.float_data,
  int32_data: TensorField.int32_data,
  int64_data: TensorField.int64_data,
  double_data: TensorField.double_data,
  uint64_data: TensorField.uint64_data,
};

function encodeTensor(t: TensorInfo, ctx: EncodeCtx): Parts {
  const b = new Builder();
  for (const d of t.dims) b.varint(TensorField.dims, d);
  b.varint(TensorField.data_type, t.dataType);
  if (t.name) b.string(TensorField.name, t.name);
  if (t.docString) b.string(TensorField.doc_string, t.docString);
  const d = t.data;
  switch (d.location) {
    case 'inline':
      if (d.offset >= 0 && ctx.canCopy && d.encoding !== 'string_data') {
        b.tag(ENCODING_FIELD[d.encoding], WireType.LEN);
        b.rawBytes(varintBytes(d.length));
        b.copy(d.offset, d.offset + d.length);
      } else if (t.values) {
        b.bytes(TensorField.raw_data, encodeValues(t.dataType, t.values));
      } else {
        throw new UserError(`Cannot rewrite tensor "${t.name}": its data is not available.`);
      }
      break;
    case 'external':
      b.message(TensorField.external_data, encodeEntry('location', d.file));
      if (d.offset) b.message(TensorField.external_data, encodeEntry('offset', String(d.offset)));
      b.message(TensorField.external_data, encodeEntry('length', String(d.length)));
      b.varint(TensorField.data_location, DataLocation.EXTERNAL);
      break;
    case 'memory':
      b.bytes(TensorField.raw_data, d.bytes);
      break;
    case 'generated':
      b.gen(TensorField.raw_data, d.length, d.fill);
      break;
    case 'none':
      if (t.values && t.values.length) b.bytes(TensorField.raw_data, encodeValues(t.dataType, t.values));
      break;
  }
  return b.done();
}

function encodeValueInfo(v: ValueInfo): Parts {
  const b = new Builder();
  b.string(ValueInfoField.name, v.name);
  if (v.type) b.message(ValueInfoField.type, encodeType(v.type));
  if (v.docString) b.string(ValueInfoField.doc_string, v.docString);
  return b.done();
}

function encodeType(t: TypeInfo): Parts {
  const b = new Builder();
  if (t.kind === 'tensor') {
    const tb = new Builder();
    tb.varint(TypeTensorField.elem_type, t.elemType);
    if (t.shape) {
      const sb = new Builder();
      for (const d of t.shape) {
        const db = new Builder();
        if (typeof d === 'number') db.varint(DimensionField.dim_value, d);
        else if (typeof d === 'string') db.string(DimensionField.dim_param, d);
        sb.message(TensorShapeField.dim, db.done());
      }
      tb.message(TypeTensorField.shape, sb.done());
    }
    b.message(TypeField.tensor_type, tb.done());
  }
  return b.done();
}

function hasSpans(m: OnnxModel): boolean {
  const g = m.graph;
  return (
    m.extra.length > 0 ||
    g.extra.length > 0 ||
    g.nodes.some((n) => n.span) ||
    g.initializers.some((t) => t.span || (t.data.location === 'inline' && t.data.offset >= 0)) ||
    [...g.inputs, ...g.outputs, ...g.valueInfo].some((v) => v.span)
  );
}

function plan(m: OnnxModel): Parts {
  const canCopy = m.path !== null;
  if (!canCopy && hasSpans(m)) throw new Error('writer: the model refers to a source file but has no path');
  if (canCopy && fs.statSync(m.path as string).size !== m.fileSize) {
    throw new UserError(`${path.basename(m.path as string)} changed on disk since it was read; open it again before saving a modified copy.`);
  }
  return encodeModel(m, { canCopy });
}

const CHUNK = 4 * 1024 * 1024;

/**
 * Writes the model to `dest`, streaming unchanged messages and weights from the original file.
 * Writes to a temporary file beside `dest` and renames it, so a failed write leaves no half file.
 * Returns the number of bytes written.
 */
export function writeModel(m: OnnxModel, dest: string): number {
  const p = plan(m);
  const absDest = path.resolve(dest);
  if (m.path && path.resolve(m.path) === absDest) {
    throw new UserError('Cannot write a modified model over the file it was read from; choose another file name.');
  }
  const tmp = `${absDest}.tmp-${process.pid}`;
  const out = fs.openSync(tmp, 'w');
  const srcFd = m.path ? fs.openSync(m.path, 'r') : null;
  let written = 0;
  try {
    let stage = Buffer.allocUnsafe(CHUNK);
    let fill = 0;
    const flush = (): void => {
      let o = 0;
      while (o < fill) o += fs.writeSync(out, stage, o, fill - o);
      written += fill;
      fill = 0;
    };
    const put = (bytes: Uint8Array): void => {
      if (fill + bytes.length > stage.length) flush();
      if (bytes.length > stage.length) {
        let o = 0;
        while (o < bytes.length) o += fs.writeSync(out, bytes, o, bytes.length - o);
        written += bytes.length;
        return;
      }
      stage.set(bytes, fill);
      fill += bytes.length;
    };
    for (const piece of p.list) {
      if (piece instanceof Uint8Array) put(piece);
      else if ('copy' in piece) {
        if (srcFd === null) throw new Error('writer: copy without a source file');
        let pos = piece.copy.start;
        while (pos < piece.copy.end) {
          if (fill === stage.length) flush();
          const n = Math.min(piece.copy.end - pos, stage.length - fill);
          const got = fs.readSync(srcFd, stage, fill, n, pos);
          if (got <= 0) throw new UserError(`${path.basename(m.path as string)} became shorter while it was copied; open it again.`);
          fill += got;
          pos += got;
        }
      } else {
        let o = 0;
        while (o < piece.gen.length) {
          if (fill === stage.length) flush();
          const n = Math.min(piece.gen.length - o, stage.length - fill);
          piece.gen.fill(stage.subarray(fill, fill + n), o);
          fill += n;
          o += n;
        }
      }
    }
    flush();
    stage = Buffer.alloc(0);
  } catch (e) {
    fs.closeSync(out);
    if (srcFd !== null) fs.closeSync(srcFd);
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  fs.closeSync(out);
  if (srcFd !== null) fs.closeSync(srcFd);
  fs.renameSync(tmp, absDest);
  if (written !== p.len) throw new Error(`writer: wrote ${written} bytes, planned ${p.len}`);
  return written;
}

/** Serialises the model into memory (for small models: built graphs, tests). */
export function modelToBytes(m: OnnxModel): Uint8Array {
  const p = plan(m);
  const out = new Uint8Array(p.len);
  let o = 0;
  const srcFd = m.path ? fs.openSync(m.path, 'r') : null;
  try {
    for (const piece of p.list) {
      if (piece instanceof Uint8Array) {
        out.set(piece, o);
        o += piece.length;
      } else if ('copy' in piece) {
        if (srcFd === null) throw new Error('writer: copy without a source file');
        const n = piece.copy.end - piece.copy.start;
        let done = 0;
        while (done < n) {
          const got = fs.readSync(srcFd, out, o + done, n - done, piece.copy.start + done);
          if (got <= 0) throw new UserError('The source model became shorter while it was copied; open it again.');
          done += got;
        }
        o += n;
      } else {
        piece.gen.fill(out.subarray(o, o + piece.gen.length), 0);
        o += piece.gen.length;
      }
    }
  } finally {
    if (srcFd !== null) fs.closeSync(srcFd);
  }
  return out;
}

/**
 * A copy of the model with extra graph outputs (e.g. attention Softmax outputs). Outputs already
 * present are left as they are. `elemType` defaults to float; `shape` may be omitted.
 */
export function addGraphOutputs(
  m: OnnxModel,
  outputs: { name: string; elemType?: number; shape?: (number | string | null)[] | null }[],
): OnnxModel {
  const have = new Set(m.graph.outputs.map((o) => o.name));
  const produced = new Set<string>();
  for (const n of m.graph.nodes) for (const o of n.outputs) produced.add(o);
  for (const i of m.graph.inputs) produced.add(i.name);
  for (const t of m.graph.initializers) produced.add(t.name);
  const extra: ValueInfo[] = [];
  for (const o of outputs) {
    if (have.has(o.name)) continue;
    if (!produced.has(o.name)) throw new UserError(`The model has no tensor named "${o.name}" to add as an output.`);
    have.add(o.name);
    extra.push({ name: o.name, type: { kind: 'tensor', elemType: o.elemType ?? DataType.FLOAT, shape: o.shape ?? null } });
  }
  // value_info entries for new outputs would duplicate them; ORT accepts both, but keep it clean.
  const newNames = new Set(extra.map((e) => e.name));
  return {
    ...m,
    graph: {
      ...m.graph,
      outputs: [...m.graph.outputs, ...extra],
      valueInfo: m.graph.valueInfo.filter((v) => !newNames.has(v.name)),
    },
  };
}
