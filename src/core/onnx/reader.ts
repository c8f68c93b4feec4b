/**
 * ONNX reader: ModelProto → OnnxModel, reading the file by ranges. Weight bytes are skipped, not
 * read: each tensor records where its bytes are (an offset in the model file, or a file, offset and
 * length of external data). Small numeric tensors (shape constants, scalars) are decoded, since
 * shape inference folds them.
 *
 * Anything wrong with the file the user chose ends in a UserError that says what is wrong and what
 * to do; malformed input never hangs: every length is checked against its enclosing message.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UserError } from '../errors';
import type {
  AttributeValue,
  Dim,
  OnnxAttribute,
  OnnxGraph,
  OnnxModel,
  OnnxNode,
  TensorData,
  TensorEncoding,
  TensorInfo,
  TypeInfo,
  ValueInfo,
} from './model';
import { numElements, subgraphsOf } from './model';
import {
  AttributeField,
  ATTRIBUTE_KINDS,
  AttributeType,
  DataLocation,
  DataType,
  dataTypeBits,
  isFloatType,
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
import { BufferSource, ByteSource, CorruptError, Cursor, FileSource } from './source';
import { decodeTensorBytes } from './values';

export interface ReadOptions {
  /** Tensors up to this many bytes have their values decoded (default 4096). */
  valuesMaxBytes?: number;
  /** Folder that external-data locations are resolved against (default: the model's folder). */
  baseDir?: string;
  /** Display name used in messages (default: the file name). */
  displayName?: string;
}

const MAX_DEPTH = 24;
/** Floating-point tensors up to this size have their values decoded at load time. */
const SMALL_FLOAT_BYTES = 64;
const DOC_MAX = 64 * 1024;

interface ExternalFile {
  path: string;
  exists: boolean;
  size: number;
}

interface Ctx {
  c: Cursor;
  dir: string | null;
  valuesMax: number;
  externals: Map<string, ExternalFile>;
  warnings: string[];
  tensorsPastEnd: Set<string>;
}

/** Reads an ONNX model's structure from a file. Throws UserError for anything wrong with the file. */
export function readModel(filePath: string, options: ReadOptions = {}): OnnxModel {
  const abs = path.resolve(filePath);
  const display = options.displayName ?? path.basename(abs);
  let st: fs.Stats;
  try {
    st = fs.statSync(abs);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UserError(`${display}: no such file. Check the path.`);
    if (code === 'EACCES' || code === 'EPERM') throw new UserError(`${display}: permission denied. Check that you can read the file.`);
    throw new UserError(`${display}: cannot open (${code ?? String(e)}).`);
  }
  if (st.isDirectory()) throw new UserError(`${display} is a folder, not an ONNX file. Choose the .onnx file inside it.`);
  if (!st.isFile()) throw new UserError(`${display} is not a regular file. Choose an .onnx file.`);
  let src: FileSource;
  try {
    src = new FileSource(abs);
  } catch (e) {
    throw new UserError(`${display}: cannot open (${(e as NodeJS.ErrnoException).code ?? String(e)}). Check that you can read the file.`);
  }
  try {
    const model = readFromSource(src, { ...options, baseDir: options.baseDir ?? path.dirname(abs), displayName: display });
    model.path = abs;
    return model;
  } finally {
    src.close();
  }
}

/** Reads a model held in memory (tests, and models built with the builder then serialised). */
export function readModelFromBytes(bytes: Uint8Array, options: ReadOptions = {}): OnnxModel {
  return readFromSource(new BufferSource(bytes), { ...options, displayName: options.displayName ?? 'model' });
}

function sniff(head: Buffer, size: number): string | null {
  const s = head.toString('latin1', 0, Math.min(head.length, 64));
  if (head.length >= 8 && head[0] === 0x89 && s.startsWith('\x89PNG')) return 'a PNG image';
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'a JPEG image';
  if (s.startsWith('GIF8')) return 'a GIF image';
  if (s.startsWith('RIFF') && s.slice(8, 12) === 'WEBP') return 'a WebP image';
  if (s.startsWith('BM') && size > 26 && head.length > 14 && head.readUInt32LE(2) === size) return 'a BMP image';
  if (s.startsWith('II*\x00') || s.startsWith('MM\x00*')) return 'a TIFF image';
  if (s.startsWith('PK\x03\x04') || s.startsWith('PK\x05\x06'))
    return 'a ZIP archive (a PyTorch .pt/.pth checkpoint is one; export it with torch.onnx.export first)';
  if (head[0] === 0x80 && head.length > 1 && head[1] >= 2 && head[1] <= 5) return 'a Python pickle (a PyTorch checkpoint?)';
  if (s.startsWith('\x89HDF')) return 'an HDF5 file (a Keras model?)';
  if (s.slice(4, 8) === 'TFL3') return 'a TensorFlow Lite model';
  if (s.slice(4, 8) === 'ORTM') return 'an ONNX Runtime (.ort) model; use the .onnx it was converted from';
  if (head[0] === 0x1f && head[1] === 0x8b) return 'a gzip-compressed file; decompress it first';
  if (s.startsWith('%PDF')) return 'a PDF document';
  if (s.startsWith('version https://git-lfs'))
    return 'a Git LFS pointer, not the model itself; fetch the real file with `git lfs pull`';
  if (head.length >= 9) {
    const hdr = head.readUInt32LE(0) + head.readUInt32LE(4) * 4294967296;
    if (hdr > 0 && hdr < size && head[8] === 0x7b) return 'a safetensors file (weights only, no graph); export the model to ONNX';
  }
  const t = s.trimStart();
  if (t.startsWith('{') || t.startsWith('[')) return 'a JSON or text file';
  if (t.startsWith('<')) return 'an HTML or XML file (a download error page?)';
  if (t.startsWith('ir_version') || t.startsWith('graph {')) return 'an ONNX model in text format; save it in binary form (onnx.save)';
  return null;
}

function readFromSource(src: ByteSource, options: ReadOptions): OnnxModel {
  const display = options.displayName ?? 'model';
  if (src.size === 0) {
    throw new UserError(`${display} is empty (0 bytes), so it is not an ONNX model. Export or download it again.`);
  }
  const head = src.read(0, 64);
  const what = sniff(head, src.size);
  if (what) throw new UserError(`${display} is ${what}, not an ONNX model. Open an .onnx file.`);

  const ctx: Ctx = {
    c: new Cursor(src),
    dir: options.baseDir ?? null,
    valuesMax: options.valuesMaxBytes ?? 4096,
    externals: new Map(),
    warnings: [],
    tensorsPastEnd: new Set(),
  };
  let model: OnnxModel;
  try {
    model = parseModel(ctx, src.size);
  } catch (e) {
    if (e instanceof CorruptError) {
      const truncated = /end of file/.test(e.message);
      throw new UserError(
        truncated
          ? `${display} is not a complete ONNX model: ${e.message} at byte ${e.position} of ${src.size}. The file looks cut short (an interrupted download or copy); get it again.`
          : `${display} is not a valid ONNX model: ${e.message} at byte ${e.position}. The file is damaged or is not an ONNX model; export or download it again.`,
      );
    }
    if (e instanceof RangeError) {
      throw new UserError(`${display} is not a valid ONNX model (${e.message}). Export or download it again.`);
    }
    throw e;
  }
  if (!model.graph) {
    throw new UserError(`${display} is not an ONNX model: it has no graph. Export or download it again.`);
  }
  if (model.irVersion <= 0 && model.opsetImports.length === 0) {
    throw new UserError(`${display} is not an ONNX model: it has neither an IR version nor an opset. Export or download it again.`);
  }
  // Missing or short external data files: say so once per file.
  const missing = [...ctx.externals.entries()].filter(([, f]) => !f.exists).map(([loc]) => loc);
  if (missing.length) {
    model.warnings.push(
      `External data ${missing.length === 1 ? 'file' : 'files'} ${missing.map((m) => `"${m}"`).join(', ')} not found beside the model: the weights are absent. Structure, parameters and MACs are still shown; copy the data file next to the model to run it.`,
    );
  }
  if (ctx.tensorsPastEnd.size) {
    model.warnings.push(
      `External data ${[...ctx.tensorsPastEnd].map((m) => `"${m}"`).join(', ')} is shorter than the model's tensors need (truncated?). Structure, parameters and MACs are still shown; copy the data file again to run the model.`,
    );
  }
  const sub = countSubgraphs(model.graph);
  if (sub > 0) {
    model.warnings.push(
      `This model has ${sub} subgraph${sub === 1 ? '' : 's'} (If/Loop/Scan bodies): they are listed but not traversed, so their shapes and MACs are not counted.`,
    );
  }
  if (model.functions.length) {
    model.warnings.push(
      `This model defines ${model.functions.length} local function${model.functions.length === 1 ? '' : 's'} (${model.functions.slice(0, 5).join(', ')}${model.functions.length > 5 ? ', …' : ''}): calls to them are shown as single nodes, not expanded.`,
    );
  }
  model.warnings.push(...ctx.warnings);
  return model;
}

function countSubgraphs(g: OnnxGraph, depth = 0): number {
  let n = 0;
  if (depth > MAX_DEPTH) return 0;
  for (const node of g.nodes) {
    if (!node.attributes.length) continue;
    let has = false;
    for (const a of node.attributes) if (a.type === 'graph' || a.type === 'graphs') has = true;
    if (!has) continue;
    for (const s of subgraphsOf(node)) n += 1 + countSubgraphs(s, depth + 1);
  }
  return n;
}

function wrongWire(c: Cursor, what: string): never {
  throw new CorruptError(`field ${what} has the wrong wire type`, c.pos);
}

/** A length-delimited field's length, its wire type checked. */
function lenField(c: Cursor, wt: number, end: number, what: string): number {
  if (wt !== WireType.LEN) wrongWire(c, what);
  return c.length(end);
}

function stringField(c: Cursor, wt: number, end: number, what: string): string {
  return c.string(lenField(c, wt, end, what));
}

function varintField(c: Cursor, wt: number, what: string): number {
  if (wt !== WireType.VARINT) wrongWire(c, what);
  return c.int64();
}

function pastEnd(c: Cursor): never {
  throw new CorruptError('a field runs past the end of its message', c.pos);
}

function parseModel(ctx: Ctx, end: number): OnnxModel {
  const { c } = ctx;
  const model: OnnxModel = {
    path: null,
    fileSize: c.size,
    irVersion: 0,
    producerName: '',
    producerVersion: '',
    domain: '',
    modelVersion: 0,
    docString: '',
    opsetImports: [],
    metadata: [],
    graph: undefined as unknown as OnnxGraph,
    functions: [],
    extra: [],
    warnings: [],
  };
  let fields = 0;
  while (c.pos < end) {
    const start = c.pos;
    const tag = c.uint32();
    const f = tag >>> 3;
    const wt = tag & 7;
    if (f === 0) throw new CorruptError('field number 0', start);
    fields++;
    switch (f) {
      case ModelField.ir_version:
        model.irVersion = varintField(c, wt, 'ir_version');
        break;
      case ModelField.producer_name:
        model.producerName = stringField(c, wt, end, 'producer_name');
        break;
      case ModelField.producer_version:
        model.producerVersion = stringField(c, wt, end, 'producer_version');
        break;
      case ModelField.domain:
        model.domain = stringField(c, wt, end, 'domain');
        break;
      case ModelField.model_version:
        model.modelVersion = varintField(c, wt, 'model_version');
        break;
      case ModelField.doc_string: {
        const len = lenField(c, wt, end, 'doc_string');
        if (len <= DOC_MAX) model.docString = c.string(len);
        else c.skip(len);
        break;
      }
      case ModelField.graph: {
        const len = lenField(c, wt, end, 'graph');
        if (model.graph) throw new CorruptError('two graphs in one model', start);
        model.graph = parseGraph(ctx, c.pos + len, 0);
        break;
      }
      case ModelField.opset_import: {
        const len = lenField(c, wt, end, 'opset_import');
        const e = c.pos + len;
        let domain = '';
        let version = 0;
        while (c.pos < e) {
          const t = c.uint32();
          if (t >>> 3 === OperatorSetIdField.domain && (t & 7) === 2) domain = c.string(c.length(e));
          else if (t >>> 3 === OperatorSetIdField.version && (t & 7) === 0) version = c.int64();
          else c.skipField(t & 7, e);
          if (c.pos > e) pastEnd(c);
        }
        model.opsetImports.push({ domain, version });
        break;
      }
      case ModelField.metadata_props: {
        const len = lenField(c, wt, end, 'metadata_props');
        model.metadata.push(parseStringEntry(c, c.pos + len));
        break;
      }
      case ModelField.functions: {
        const len = lenField(c, wt, end, 'functions');
        const e = c.pos + len;
        let name = '';
        let domain = '';
        while (c.pos < e) {
          const t = c.uint32();
          if (t >>> 3 === 1 && (t & 7) === 2) name = c.string(c.length(e));
          else if (t >>> 3 === 10 && (t & 7) === 2) domain = c.string(c.length(e));
          else c.skipField(t & 7, e);
          if (c.pos > e) pastEnd(c);
        }
        model.functions.push(domain ? `${domain}.${name}` : name);
        model.extra.push({ start, end: c.pos });
        break;
      }
      default:
        c.skipField(wt, end);
        model.extra.push({ start, end: c.pos });
    }
    if (c.pos > end) pastEnd(c);
  }
  if (fields === 0) throw new CorruptError('no fields', 0);
  return model;
}

function parseStringEntry(c: Cursor, e: number): { key: string; value: string } {
  let key = '';
  let value = '';
  while (c.pos < e) {
    const t = c.uint32();
    if (t >>> 3 === StringStringEntryField.key && (t & 7) === 2) key = c.string(c.length(e));
    else if (t >>> 3 === StringStringEntryField.value && (t & 7) === 2) value = c.string(c.length(e));
    else c.skipField(t & 7, e);
    if (c.pos > e) pastEnd(c);
  }
  return { key, value };
}

function parseGraph(ctx: Ctx, end: number, depth: number): OnnxGraph {
  const { c } = ctx;
  if (depth > MAX_DEPTH) throw new CorruptError(`subgraphs nested more than ${MAX_DEPTH} deep`, c.pos);
  const g: OnnxGraph = { name: '', nodes: [], initializers: [], inputs: [], outputs: [], valueInfo: [], extra: [] };
  while (c.pos < end) {
    const start = c.pos;
    const tag = c.uint32();
    const f = tag >>> 3;
    const wt = tag & 7;
    if (f === 0) throw new CorruptError('field number 0', start);
    switch (f) {
      case GraphField.node: {
        const len = lenField(c, wt, end, 'node');
        const payload = c.pos;
        const node = parseNode(ctx, c.pos + len, depth);
        node.span = { start: payload, end: c.pos };
        g.nodes.push(node);
        break;
      }
      case GraphField.name:
        g.name = stringField(c, wt, end, 'graph name');
        break;
      case GraphField.initializer: {
        const len = lenField(c, wt, end, 'initializer');
        const payload = c.pos;
        const t = parseTensor(ctx, c.pos + len);
        t.span = { start: payload, end: c.pos };
        g.initializers.push(t);
        break;
      }
      case GraphField.doc_string: {
        const len = lenField(c, wt, end, 'doc_string');
        if (len <= DOC_MAX) g.docString = c.string(len);
        else c.skip(len);
        break;
      }
      case GraphField.input:
      case GraphField.output:
      case GraphField.value_info: {
        const len = lenField(c, wt, end, 'value info');
        const payload = c.pos;
        const vi = parseValueInfo(c, c.pos + len);
        vi.span = { start: payload, end: c.pos };
        (f === GraphField.input ? g.inputs : f === GraphField.output ? g.outputs : g.valueInfo).push(vi);
        break;
      }
      default:
        c.skipField(wt, end);
        g.extra.push({ start, end: c.pos });
    }
    if (c.pos > end) pastEnd(c);
  }
  return g;
}

function parseNode(ctx: Ctx, end: number, depth: number): OnnxNode {
  const { c } = ctx;
  const node: OnnxNode = { name: '', opType: '', domain: '', inputs: [], outputs: [], attributes: [] };
  while (c.pos < end) {
    const tag = c.uint32();
    const f = tag >>> 3;
    const wt = tag & 7;
    switch (f) {
      case NodeField.input:
        node.inputs.push(stringField(c, wt, end, 'node input'));
        break;
      case NodeField.output:
        node.outputs.push(stringField(c, wt, end, 'node output'));
        break;
      case NodeField.name:
        node.name = stringField(c, wt, end, 'node name');
        break;
      case NodeField.op_type:
        node.opType = stringField(c, wt, end, 'op_type');
        break;
      case NodeField.domain:
        node.domain = stringField(c, wt, end, 'node domain');
        break;
      case NodeField.attribute: {
        const len = lenField(c, wt, end, 'attribute');
        node.attributes.push(parseAttribute(ctx, c.pos + len, depth));
        break;
      }
      case NodeField.doc_string: {
        const len = lenField(c, wt, end, 'doc_string');
        if (len <= 4096) node.docString = c.string(len);
        else c.skip(len);
        break;
      }
      default:
        if (f === 0) throw new CorruptError('field number 0', c.pos);
        c.skipField(wt, end);
    }
    if (c.pos > end) pastEnd(c);
  }
  if (!node.opType) throw new CorruptError('a node has no op_type', c.pos);
  return node;
}

/** A repeated field, packed (one LEN field) or one element per field of wire type `single`. */
function readRepeated(c: Cursor, wt: number, end: number, single: number, read: () => number, into: number[]): void {
  if (wt === WireType.LEN) {
    const e = c.pos + c.length(end);
    while (c.pos < e) into.push(read());
    if (c.pos > e) pastEnd(c);
  } else if (wt === single) {
    into.push(read());
  } else {
    throw new CorruptError('a repeated field has the wrong wire type', c.pos);
  }
}

/** A repeated int64 field, packed or not. */
const readInts = (c: Cursor, wt: number, end: number, into: number[]): void => readRepeated(c, wt, end, WireType.VARINT, () => c.int64(), into);

/** A repeated float field, packed or not. */
const readFloats = (c: Cursor, wt: number, end: number, into: number[]): void => readRepeated(c, wt, end, WireType.I32, () => c.float(), into);

type AttributeKind = (typeof ATTRIBUTE_KINDS)[number];
type Held = { [K in AttributeKind]?: Extract<AttributeValue, { type: K }>['value'] };

function parseAttribute(ctx: Ctx, end: number, depth: number): OnnxAttribute {
  const { c } = ctx;
  let name = '';
  let refAttrName: string | undefined;
  let type = 0;
  // What the fields held, by kind; lists are made only when present (most attributes are one int, float or tensor).
  const held: Held = {};
  let other = 0;
  while (c.pos < end) {
    const tag = c.uint32();
    const fld = tag >>> 3;
    const wt = tag & 7;
    switch (fld) {
      case AttributeField.name:
        name = stringField(c, wt, end, 'attribute name');
        break;
      case AttributeField.ref_attr_name:
        refAttrName = stringField(c, wt, end, 'ref_attr_name');
        break;
      case AttributeField.type:
        type = varintField(c, wt, 'attribute type');
        break;
      case AttributeField.f:
        if (wt !== WireType.I32) wrongWire(c, 'attribute f');
        held.float = c.float();
        break;
      case AttributeField.i:
        held.int = varintField(c, wt, 'attribute i');
        break;
      case AttributeField.s:
        held.string = stringField(c, wt, end, 'attribute s');
        break;
      case AttributeField.t: {
        const len = lenField(c, wt, end, 'attribute t');
        held.tensor = parseTensor(ctx, c.pos + len);
        break;
      }
      case AttributeField.g: {
        const len = lenField(c, wt, end, 'attribute g');
        held.graph = parseGraph(ctx, c.pos + len, depth + 1);
        break;
      }
      case AttributeField.floats:
        readFloats(c, wt, end, (held.floats ??= []));
        break;
      case AttributeField.ints:
        readInts(c, wt, end, (held.ints ??= []));
        break;
      case AttributeField.strings:
        (held.strings ??= []).push(stringField(c, wt, end, 'attribute strings'));
        break;
      case AttributeField.tensors: {
        const len = lenField(c, wt, end, 'attribute tensors');
        (held.tensors ??= []).push(parseTensor(ctx, c.pos + len));
        break;
      }
      case AttributeField.graphs: {
        const len = lenField(c, wt, end, 'attribute graphs');
        (held.graphs ??= []).push(parseGraph(ctx, c.pos + len, depth + 1));
        break;
      }
      default:
        if (fld === 0) throw new CorruptError('field number 0', c.pos);
        if (fld === AttributeField.tp || fld === AttributeField.sparse_tensor || fld === AttributeField.sparse_tensors || fld === AttributeField.type_protos) other = fld;
        c.skipField(wt, end);
    }
    if (c.pos > end) pastEnd(c);
  }
  // IR >= 0.0.2 sets `type`; older files say it by which field is present.
  if (type === AttributeType.UNDEFINED) type = ATTRIBUTE_KINDS.findIndex((k) => held[k] !== undefined) + AttributeType.FLOAT;
  const kind: AttributeKind | undefined = ATTRIBUTE_KINDS[type - AttributeType.FLOAT];
  let v: AttributeValue;
  if (kind === undefined) v = { type: 'other', value: null, typeCode: type || other };
  else {
    if ((kind === 'tensor' || kind === 'graph') && !held[kind]) throw new CorruptError(`${kind} attribute ${name} has no ${kind}`, c.pos);
    v = { type: kind, value: held[kind] ?? (kind === 'float' || kind === 'int' ? 0 : kind === 'string' ? '' : []) } as AttributeValue;
  }
  const a = { name, ...v } as OnnxAttribute;
  if (refAttrName !== undefined) a.refAttrName = refAttrName;
  return a;
}

function parseValueInfo(c: Cursor, end: number): ValueInfo {
  const vi: ValueInfo = { name: '', type: null };
  while (c.pos < end) {
    const tag = c.uint32();
    const f = tag >>> 3;
    const wt = tag & 7;
    if (f === ValueInfoField.name) {
      vi.name = stringField(c, wt, end, 'value name');
    } else if (f === ValueInfoField.type) {
      const len = lenField(c, wt, end, 'value type');
      vi.type = parseType(c, c.pos + len, 0);
    } else if (f === ValueInfoField.doc_string && wt === WireType.LEN) {
      const len = c.length(end);
      if (len <= 4096) vi.docString = c.string(len);
      else c.skip(len);
    } else {
      if (f === 0) throw new CorruptError('field number 0', c.pos);
      c.skipField(wt, end);
    }
    if (c.pos > end) pastEnd(c);
  }
  return vi;
}

function parseType(c: Cursor, end: number, depth: number): TypeInfo {
  let out: TypeInfo = { kind: 'unknown' };
  if (depth > MAX_DEPTH) throw new CorruptError('types nested too deep', c.pos);
  while (c.pos < end) {
    const tag = c.uint32();
    const f = tag >>> 3;
    const wt = tag & 7;
    if (f === TypeField.tensor_type || f === TypeField.sparse_tensor_type) {
      const len = lenField(c, wt, end, 'tensor_type');
      const e = c.pos + len;
      let elemType = 0;
      let shape: Dim[] | null = null;
      while (c.pos < e) {
        const t = c.uint32();
        if (t >>> 3 === TypeTensorField.elem_type && (t & 7) === 0) elemType = c.int64();
        else if (t >>> 3 === TypeTensorField.shape && (t & 7) === 2) {
          const sl = c.length(e);
          shape = parseShape(c, c.pos + sl);
        } else c.skipField(t & 7, e);
        if (c.pos > e) pastEnd(c);
      }
      out = f === TypeField.tensor_type ? { kind: 'tensor', elemType, shape } : { kind: 'sparse_tensor' };
    } else if (f === TypeField.sequence_type || f === TypeField.map_type || f === TypeField.optional_type) {
      c.skipField(wt, end);
      out = { kind: f === TypeField.sequence_type ? 'sequence' : f === TypeField.map_type ? 'map' : 'optional' };
    } else {
      if (f === 0) throw new CorruptError('field number 0', c.pos);
      c.skipField(wt, end);
    }
    if (c.pos > end) pastEnd(c);
  }
  return out;
}

function parseShape(c: Cursor, end: number): Dim[] {
  const dims: Dim[] = [];
  while (c.pos < end) {
    const tag = c.uint32();
    if (tag >>> 3 === TensorShapeField.dim && (tag & 7) === 2) {
      const len = c.length(end);
      const e = c.pos + len;
      let d: Dim = null;
      while (c.pos < e) {
        const t = c.uint32();
        if (t >>> 3 === DimensionField.dim_value && (t & 7) === 0) d = c.int64();
        else if (t >>> 3 === DimensionField.dim_param && (t & 7) === 2) d = c.string(c.length(e)) || null;
        else c.skipField(t & 7, e);
        if (c.pos > e) pastEnd(c);
      }
      if (typeof d === 'number' && d < 0) d = null;
      dims.push(d);
    } else {
      c.skipField(tag & 7, end);
    }
    if (c.pos > end) pastEnd(c);
  }
  return dims;
}

const TYPED_FIELDS: Record<number, TensorEncoding> = {
  [TensorField.float_data]: 'float_data',
  [TensorField.int32_data]: 'int32_data',
  [TensorField.int64_data]: 'int64_data',
  [TensorField.double_data]: 'double_data',
  [TensorField.uint64_data]: 'uint64_data',
};

function parseTensor(ctx: Ctx, end: number): TensorInfo {
  const { c } = ctx;
  const t: TensorInfo = { name: '', dataType: 0, dims: [], data: { location: 'none' } };
  let location = DataLocation.DEFAULT as number;
  let external: Record<string, string> | null = null;
  let inline: { offset: number; length: number; encoding: TensorEncoding } | null = null;
  let bytes: Uint8Array | null = null;
  /** Values decoded from `bytes` while the window still holds them (a view is valid until the next read). */
  let decoded: number[] | null | undefined;
  let unpacked: number[] | null = null;
  let unpackedEncoding: TensorEncoding | null = null;
  let strings = 0;
  while (c.pos < end) {
    const tag = c.uint32();
    const f = tag >>> 3;
    const wt = tag & 7;
    switch (f) {
      case TensorField.dims:
        readInts(c, wt, end, t.dims);
        break;
      case TensorField.data_type:
        t.dataType = varintField(c, wt, 'data_type');
        break;
      case TensorField.name:
        t.name = stringField(c, wt, end, 'tensor name');
        break;
      case TensorField.doc_string: {
        const len = lenField(c, wt, end, 'doc_string');
        if (len <= 4096) t.docString = c.string(len);
        else c.skip(len);
        break;
      }
      case TensorField.raw_data: {
        const len = lenField(c, wt, end, 'raw_data');
        inline = { offset: c.pos, length: len, encoding: 'raw' };
        if (len <= ctx.valuesMax && len > 0) bytes = c.view(len);
        else c.skip(len);
        break;
      }
      case TensorField.float_data:
      case TensorField.int32_data:
      case TensorField.int64_data:
      case TensorField.double_data:
      case TensorField.uint64_data: {
        const enc = TYPED_FIELDS[f];
        if (wt === WireType.LEN) {
          const len = c.length(end);
          inline = { offset: c.pos, length: len, encoding: enc };
          if (len <= ctx.valuesMax && len > 0) bytes = c.view(len);
          else c.skip(len);
        } else {
          // Unpacked repeated field (legal, rare): collect values while they are few.
          unpacked ??= [];
          unpackedEncoding = enc;
          const v =
            f === TensorField.float_data && wt === WireType.I32
              ? c.float()
              : f === TensorField.double_data && wt === WireType.I64
                ? c.double()
                : wt === WireType.VARINT
                  ? f === TensorField.uint64_data
                    ? c.uint64()
                    : c.int64()
                  : NaN;
          if (Number.isNaN(v) && !(f === TensorField.float_data || f === TensorField.double_data)) {
            throw new CorruptError('a tensor data field has the wrong wire type', c.pos);
          }
          if (unpacked.length * 8 <= ctx.valuesMax) unpacked.push(v);
        }
        break;
      }
      case TensorField.string_data:
        c.skip(lenField(c, wt, end, 'string_data'));
        strings++;
        break;
      case TensorField.external_data: {
        const len = lenField(c, wt, end, 'external_data');
        const kv = parseStringEntry(c, c.pos + len);
        (external ??= {})[kv.key] = kv.value;
        break;
      }
      case TensorField.data_location:
        location = varintField(c, wt, 'data_location');
        break;
      default:
        if (f === 0) throw new CorruptError('field number 0', c.pos);
        c.skipField(wt, end);
    }
    if (c.pos > end) pastEnd(c);
  }
  for (const d of t.dims) {
    if (d < 0 || !Number.isSafeInteger(d)) throw new CorruptError(`tensor "${t.name}" has an invalid dimension ${d}`, c.pos);
  }
  // Integer tensors (shapes, axes, indices) are decoded; floating-point ones only when tiny
  // (scalars such as a mask's fill value): biases and norm weights are never needed for shapes.
  if (decoded === undefined && bytes && inline && (!isFloatType(t.dataType) || bytes.length <= SMALL_FLOAT_BYTES)) {
    decoded = decodeTensorBytes(t.dataType, inline.encoding, bytes);
  }
  const count = numElements(t.dims);
  if (location === DataLocation.EXTERNAL) {
    t.data = externalData(ctx, t, external ?? {});
  } else if (inline) {
    t.data = { location: 'inline', ...inline };
    if (decoded && decoded.length === count) t.values = decoded;
  } else if (unpacked && unpackedEncoding) {
    t.data = { location: 'inline', offset: -1, length: unpacked.length * 8, encoding: unpackedEncoding };
    if (unpacked.length === count) t.values = unpacked;
  } else if (strings) {
    t.data = { location: 'inline', offset: -1, length: 0, encoding: 'string_data' };
  } else if (count === 0) {
    t.values = [];
  }
  return t;
}

const WINDOWS_ABS = /^[A-Za-z]:|^[\\/]/;

function externalData(ctx: Ctx, t: TensorInfo, kv: Record<string, string>): TensorData {
  const loc = kv.location ?? '';
  if (!loc) throw new CorruptError(`tensor "${t.name}" says its data is external but names no file`, ctx.c.pos);
  // (Locations already seen were checked when first seen.)
  if (!ctx.externals.has(loc) && (path.isAbsolute(loc) || WINDOWS_ABS.test(loc) || loc.split(/[\\/]/).some((p) => p === '..'))) {
    throw new UserError(
      `Refusing to read external data "${loc}" of tensor "${t.name}": it points outside the model's folder. External data must sit in the model's folder (a relative path without ".."). Move the data file beside the model and fix its location, e.g. with onnx.external_data_helper.`,
    );
  }
  const parseNum = (s: string | undefined, what: string): number | null => {
    if (s === undefined || s === '') return null;
    const quick = Number(s);
    if (Number.isSafeInteger(quick) && quick >= 0 && s.charCodeAt(0) >= 48 && s.charCodeAt(0) <= 57) return quick;
    if (!/^\d+$/.test(s.trim())) throw new CorruptError(`tensor "${t.name}" has an invalid external-data ${what} "${s}"`, ctx.c.pos);
    const n = Number(s.trim());
    if (!Number.isSafeInteger(n)) throw new CorruptError(`tensor "${t.name}" has an invalid external-data ${what} "${s}"`, ctx.c.pos);
    return n;
  };
  const offset = parseNum(kv.offset, 'offset') ?? 0;
  const bits = dataTypeBits(t.dataType);
  const length = parseNum(kv.length, 'length') ?? Math.ceil((numElements(t.dims) * bits) / 8);
  let file = ctx.externals.get(loc);
  if (!file) {
    const resolved = ctx.dir ? path.resolve(ctx.dir, loc) : loc;
    let exists = false;
    let size = 0;
    if (ctx.dir) {
      const rel = path.relative(ctx.dir, resolved);
      if (rel.startsWith('..') || path.isAbsolute(rel)) {
        throw new UserError(
          `Refusing to read external data "${loc}" of tensor "${t.name}": it points outside the model's folder. Move the data file beside the model.`,
        );
      }
      try {
        const st = fs.statSync(resolved);
        exists = st.isFile();
        size = st.size;
      } catch {
        exists = false;
      }
    }
    file = { path: resolved, exists, size };
    ctx.externals.set(loc, file);
  }
  if (file.exists && offset + length > file.size) ctx.tensorsPastEnd.add(loc);
  return { location: 'external', file: loc, path: file.path, offset, length, exists: file.exists };
}

/**
 * The values of a tensor, reading its bytes (from the model file or its external data) when they
 * were not decoded at load time. Returns null when they cannot be had (missing data, too large,
 * not numeric).
 */
export function loadTensorValues(model: OnnxModel, t: TensorInfo, maxBytes = 1 << 20): number[] | null {
  if (t.values) return t.values;
  const d = t.data;
  let bytes: Uint8Array | null = null;
  let encoding: TensorEncoding = 'raw';
  if (d.location === 'memory') bytes = d.bytes;
  else if (d.location === 'inline') {
    if (d.offset < 0 || d.length > maxBytes || !model.path) return null;
    encoding = d.encoding;
    bytes = readRange(model.path, d.offset, d.length);
  } else if (d.location === 'external') {
    if (!d.exists || d.length > maxBytes) return null;
    bytes = readRange(d.path, d.offset, d.length);
  }
  if (!bytes || bytes.length > maxBytes) return null;
  const v = decodeTensorBytes(t.dataType, encoding, bytes);
  if (!v || v.length !== numElements(t.dims)) return null;
  return v;
}

/**
 * A float32 tensor's values as a Float32Array straight from its bytes (one read, no per-value
 * decoding; little-endian hosts); other types and encodings as loadTensorValues gives them. The
 * big constants of Swin-B (32 heads × 49²) are why: decoding them value by value was most of the time.
 */
export function loadFloatValues(model: OnnxModel, t: TensorInfo, maxBytes = 1 << 20): ArrayLike<number> | null {
  const d = t.data;
  const file = d.location === 'external' ? (d.exists ? d.path : null) : d.location === 'inline' && d.encoding === 'raw' ? model.path : null;
  if (t.values || t.dataType !== DataType.FLOAT || !file || os.endianness() !== 'LE') return loadTensorValues(model, t, maxBytes);
  const { offset, length } = d as { offset: number; length: number };
  if (offset < 0 || length > maxBytes || length !== numElements(t.dims) * 4) return null;
  const bytes = readRange(file, offset, length);
  if (!bytes) return null;
  // Copied into a buffer of its own: aligned for Float32Array whatever the read buffer's offset.
  const out = new Float32Array(length / 4);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

function readRange(p: string, offset: number, length: number): Uint8Array | null {
  try {
    const src = new FileSource(p);
    try {
      const b = src.read(offset, length);
      return b.length === length ? b : null;
    } finally {
      src.close();
    }
  } catch {
    return null;
  }
}

export { DataType };
