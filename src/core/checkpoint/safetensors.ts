/**
 * The safetensors format, read without reading weights: an 8-byte little-endian header length N,
 * N bytes of JSON `{ name: { dtype, shape, data_offsets: [begin, end] }, __metadata__?: {…} }`,
 * then the data, offsets relative to its start. Only the header is read; each tensor keeps the
 * real path of its file and its absolute byte range, so a 1 GB checkpoint opens as fast as a
 * small one and its bytes can be handed to ONNX Runtime as external data in place.
 *
 * A sharded checkpoint is `model.safetensors.index.json` (`weight_map`: tensor name → shard file)
 * beside its shards; a folder holding either is accepted too.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../errors';
import type { TensorInfo } from '../onnx/model';
import { DataType } from '../onnx/proto';

/** The dtypes this project reads, with their ONNX element type and size in bytes. */
export const SAFETENSORS_DTYPES = {
  F32: { dataType: DataType.FLOAT, bytes: 4 },
  F16: { dataType: DataType.FLOAT16, bytes: 2 },
  BF16: { dataType: DataType.BFLOAT16, bytes: 2 },
  I64: { dataType: DataType.INT64, bytes: 8 },
  I32: { dataType: DataType.INT32, bytes: 4 },
  U8: { dataType: DataType.UINT8, bytes: 1 },
  BOOL: { dataType: DataType.BOOL, bytes: 1 },
} as const;
export type SafetensorsDtype = keyof typeof SAFETENSORS_DTYPES;

/** Above this the header is refused: safetensors' own reader caps it at 100 MB. */
export const MAX_HEADER_BYTES = 100_000_000;

export interface SafetensorsTensor {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** The real path of the file holding it (symlinks resolved: the Hugging Face cache's snapshots link into blobs/). */
  file: string;
  /** Absolute byte offset in `file` (8 + header length + data_offsets[0]). */
  offset: number;
  /** Byte length (= product of shape × dtype size). */
  length: number;
}

export interface Checkpoint {
  /** What the user named: a .safetensors file, an index .json, or the folder. */
  path: string;
  /** The folder of the checkpoint (where config.json is looked for). */
  dir: string;
  /** The real paths of the files read, in order (one, or the shards). */
  files: string[];
  tensors: Map<string, SafetensorsTensor>;
  /** `__metadata__` of the first file (timm and transformers write {"format": "pt"}), or null. */
  metadata: Record<string, string> | null;
}

const INDEX_NAME = 'model.safetensors.index.json';

/** Opens a checkpoint by file, index or folder; reads headers only. */
export function readCheckpoint(p: string): Checkpoint {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(p);
  } catch {
    throw new UserError(`${p} does not exist.`);
  }
  if (stat.isDirectory()) {
    const index = path.join(p, INDEX_NAME);
    if (fs.existsSync(index)) return readIndex(index, p);
    const single = path.join(p, 'model.safetensors');
    if (fs.existsSync(single)) return readSingle(single, p);
    const any = fs.readdirSync(p).filter((f) => f.endsWith('.safetensors'));
    if (any.length === 1) return readSingle(path.join(p, any[0]), p);
    throw new UserError(
      any.length === 0
        ? `${p} holds no safetensors checkpoint (model.safetensors or ${INDEX_NAME}).`
        : `${p} holds several .safetensors files (${any.join(', ')}) and no ${INDEX_NAME}: open the one you mean.`,
    );
  }
  if (p.endsWith('.json')) return readIndex(p, p);
  return readSingle(p, p);
}

function readSingle(file: string, named: string): Checkpoint {
  const { tensors, metadata, real } = readHeader(file);
  return { path: named, dir: path.dirname(file), files: [real], tensors, metadata };
}

function readIndex(indexPath: string, named: string): Checkpoint {
  const display = path.basename(indexPath);
  let index: unknown;
  try {
    index = JSON.parse(fs.readFileSync(indexPath, 'utf8'));
  } catch (e) {
    throw new UserError(`${display} is not valid JSON (${(e as Error).message}): the sharded checkpoint's index is damaged; download it again.`);
  }
  const map = (index as { weight_map?: unknown })?.weight_map;
  if (!map || typeof map !== 'object' || Array.isArray(map))
    throw new UserError(`${display} has no "weight_map": it is not a safetensors index (tensor name → shard file).`);
  const dir = path.dirname(indexPath);
  const shards = [...new Set(Object.values(map as Record<string, unknown>))];
  const tensors = new Map<string, SafetensorsTensor>();
  const files: string[] = [];
  let metadata: Record<string, string> | null = null;
  for (const shard of shards) {
    if (typeof shard !== 'string' || shard.includes('/') || shard.includes('\\') || shard.startsWith('.'))
      throw new UserError(`${display} names a shard "${String(shard)}" that is not a file name beside it.`);
    const shardPath = path.join(dir, shard);
    if (!fs.existsSync(shardPath)) throw new UserError(`${display} names the shard ${shard}, which is missing from ${dir}: download it again.`);
    const h = readHeader(shardPath);
    files.push(h.real);
    metadata ??= h.metadata;
    for (const [name, t] of h.tensors) {
      if (tensors.has(name)) throw new UserError(`The tensor ${name} is in two shards of ${display} (${path.basename(tensors.get(name)!.file)} and ${shard}).`);
      tensors.set(name, t);
    }
  }
  for (const [name, shard] of Object.entries(map as Record<string, string>)) {
    const t = tensors.get(name);
    if (!t) throw new UserError(`${display} maps ${name} to ${shard}, but that shard does not hold it.`);
  }
  return { path: named, dir, files, tensors, metadata };
}

/** Reads and validates one file's header. Every failure is a UserError naming the file and the tensor. */
export function readHeader(file: string): { tensors: Map<string, SafetensorsTensor>; metadata: Record<string, string> | null; real: string } {
  const display = path.basename(file);
  const real = fs.realpathSync(file);
  const fd = fs.openSync(real, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const bad = (why: string): never => {
      throw new UserError(`${display} is not a valid safetensors file: ${why}. The file is damaged or truncated; download or save it again.`);
    };
    if (size < 8) bad(`it is ${size} bytes long, shorter than the 8-byte header length`);
    const lenBuf = Buffer.alloc(8);
    fs.readSync(fd, lenBuf, 0, 8, 0);
    const n = lenBuf.readBigUInt64LE(0);
    if (n > BigInt(MAX_HEADER_BYTES)) bad(`its header claims ${n} bytes, over the 100 MB limit`);
    const headerLen = Number(n);
    if (8 + headerLen > size) bad(`its header claims ${headerLen} bytes but the file has only ${size - 8} after the length`);
    const hbuf = Buffer.alloc(headerLen);
    fs.readSync(fd, hbuf, 0, headerLen, 8);
    let header: unknown;
    try {
      header = JSON.parse(hbuf.toString('utf8'));
    } catch (e) {
      bad(`its header is not JSON (${(e as Error).message})`);
    }
    if (!header || typeof header !== 'object' || Array.isArray(header)) bad('its header is not a JSON object');
    const dataStart = 8 + headerLen;
    const dataLen = size - dataStart;
    const tensors = new Map<string, SafetensorsTensor>();
    let metadata: Record<string, string> | null = null;
    const ranges: [number, number, string][] = [];
    for (const [name, v] of Object.entries(header as Record<string, unknown>)) {
      if (name === '__metadata__') {
        if (v !== null && (typeof v !== 'object' || Array.isArray(v))) bad('its __metadata__ is not an object');
        metadata = (v as Record<string, string>) ?? null;
        continue;
      }
      const e = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
      if (!e || typeof e !== 'object') bad(`the entry of tensor ${name} is not an object`);
      if (typeof e.dtype !== 'string' || !(e.dtype in SAFETENSORS_DTYPES))
        bad(`tensor ${name} has dtype ${JSON.stringify(e.dtype)}, not one of ${Object.keys(SAFETENSORS_DTYPES).join(', ')}`);
      const dtype = e.dtype as SafetensorsDtype;
      if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) bad(`tensor ${name} has shape ${JSON.stringify(e.shape)}, not a list of sizes`);
      const shape = e.shape as number[];
      const off = e.data_offsets;
      if (!Array.isArray(off) || off.length !== 2 || !off.every((d) => Number.isSafeInteger(d) && d >= 0) || off[0] > off[1])
        bad(`tensor ${name} has data_offsets ${JSON.stringify(off)}, not [begin, end]`);
      const [b, end] = off as [number, number];
      if (end > dataLen) bad(`tensor ${name} ends at byte ${end} of the data, past its end (${dataLen} bytes)`);
      const want = shape.reduce((a, d) => a * d, 1) * SAFETENSORS_DTYPES[dtype].bytes;
      if (end - b !== want) bad(`tensor ${name} is ${dtype} ${JSON.stringify(shape)} (${want} bytes) but spans ${end - b} bytes`);
      tensors.set(name, { name, dtype, shape, file: real, offset: dataStart + b, length: end - b });
      ranges.push([b, end, name]);
    }
    ranges.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
    let last: [number, number, string] | null = null; // the range reaching furthest so far
    for (const r of ranges) {
      if (r[1] === r[0]) continue; // empty tensors occupy no bytes
      if (last && r[0] < last[1]) bad(`tensors ${last[2]} and ${r[2]} overlap`);
      if (!last || r[1] > last[1]) last = r;
    }
    return { tensors, metadata, real };
  } finally {
    fs.closeSync(fd);
  }
}

/** Reads one tensor's bytes (for the few small tensors a builder must look at, e.g. a saved index). */
export function readTensorBytes(t: SafetensorsTensor): Buffer {
  const fd = fs.openSync(t.file, 'r');
  try {
    const buf = Buffer.alloc(t.length);
    let done = 0;
    while (done < t.length) {
      const got = fs.readSync(fd, buf, done, t.length - done, t.offset + done);
      if (got <= 0) throw new UserError(`${path.basename(t.file)} ended while reading tensor ${t.name}: the file is truncated.`);
      done += got;
    }
    return buf;
  } finally {
    fs.closeSync(fd);
  }
}

/** Is this file a pickle-based PyTorch checkpoint (never unpickled: unpickling runs code)? */
export function isPickleCheckpoint(p: string): boolean {
  return /\.(bin|pt|pth|ckpt)$/i.test(p);
}

/** The message for a pickle checkpoint: what it is, why it is not loaded, the one-line conversion. */
export function pickleMessage(p: string): string {
  const name = path.basename(p);
  return (
    `${name} is a PyTorch pickle checkpoint. It is not loaded: unpickling a file runs code from it. ` +
    `Convert it to safetensors once, in Python: ` +
    `python -c "import torch; from safetensors.torch import save_file; sd = torch.load('${name}', map_location='cpu', weights_only=True); save_file({k: v.contiguous() for k, v in sd.items()}, 'model.safetensors')" ` +
    `and open model.safetensors (with config.json beside it).`
  );
}

/**
 * The tensor as an ONNX initializer whose bytes stay in the safetensors file: external data with
 * the file's base name as location and its absolute offset and length. The model is then loaded
 * from a buffer with `session.model_external_initializers_file_folder_path` set to the file's real
 * folder (ONNX Runtime refuses external data outside a model file's own folder otherwise).
 */
export function externalTensor(t: SafetensorsTensor, name: string = t.name): TensorInfo {
  return {
    name,
    dataType: SAFETENSORS_DTYPES[t.dtype].dataType,
    dims: [...t.shape],
    data: { location: 'external', file: path.basename(t.file), path: t.file, offset: t.offset, length: t.length, exists: true },
  };
}
