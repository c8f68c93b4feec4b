/** Decoding tensor bytes into numbers (for small tensors: shape constants, scalars, masks). */
import { DataType } from './proto';
import type { TensorEncoding } from './model';
import { BufferSource, CorruptError, Cursor } from './source';

export function f16ToNumber(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

function bf16ToNumber(h: number): number {
  const b = new DataView(new ArrayBuffer(4));
  b.setUint32(0, (h & 0xffff) << 16);
  return b.getFloat32(0);
}

type ReadAt = (dv: DataView, i: number) => number;

/** Each little-endian element type: its size in bytes and how to read one. */
const RAW: Partial<Record<number, [number, ReadAt]>> = {
  [DataType.FLOAT]: [4, (dv, i) => dv.getFloat32(i, true)],
  [DataType.DOUBLE]: [8, (dv, i) => dv.getFloat64(i, true)],
  [DataType.INT64]: [8, (dv, i) => dv.getInt32(i + 4, true) * 4294967296 + dv.getUint32(i, true)],
  [DataType.UINT64]: [8, (dv, i) => dv.getUint32(i + 4, true) * 4294967296 + dv.getUint32(i, true)],
  [DataType.INT32]: [4, (dv, i) => dv.getInt32(i, true)],
  [DataType.UINT32]: [4, (dv, i) => dv.getUint32(i, true)],
  [DataType.INT16]: [2, (dv, i) => dv.getInt16(i, true)],
  [DataType.UINT16]: [2, (dv, i) => dv.getUint16(i, true)],
  [DataType.FLOAT16]: [2, (dv, i) => f16ToNumber(dv.getUint16(i, true))],
  [DataType.BFLOAT16]: [2, (dv, i) => bf16ToNumber(dv.getUint16(i, true))],
  [DataType.INT8]: [1, (dv, i) => dv.getInt8(i)],
  [DataType.UINT8]: [1, (dv, i) => dv.getUint8(i)],
  [DataType.BOOL]: [1, (dv, i) => (dv.getUint8(i) ? 1 : 0)],
};

/** Every whole element of `bytes`, `size` bytes each. */
function readElements(bytes: Uint8Array, size: number, read: ReadAt): number[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: number[] = [];
  for (let i = 0; i + size <= bytes.byteLength; i += size) out.push(read(dv, i));
  return out;
}

/** Decodes little-endian `raw_data` of a tensor. Returns null for types it cannot decode. */
export function decodeRaw(dataType: number, bytes: Uint8Array): number[] | null {
  const t = RAW[dataType];
  return t ? readElements(bytes, t[0], t[1]) : null;
}

/** Packed varints (int64_data, uint64_data, int32_data), read with the reader's own cursor; null if malformed. */
function readVarints(bytes: Uint8Array, signed: boolean): number[] | null {
  const c = new Cursor(new BufferSource(bytes));
  const out: number[] = [];
  try {
    while (c.pos < c.size) out.push(signed ? c.int64() : c.uint64());
  } catch (e) {
    if (e instanceof CorruptError) return null;
    throw e;
  }
  return out;
}

/** Decodes a tensor's bytes in the given encoding (raw_data or a packed typed field). */
export function decodeTensorBytes(dataType: number, encoding: TensorEncoding, bytes: Uint8Array): number[] | null {
  switch (encoding) {
    case 'raw':
      return decodeRaw(dataType, bytes);
    case 'float_data':
      return decodeRaw(DataType.FLOAT, bytes);
    case 'double_data':
      return decodeRaw(DataType.DOUBLE, bytes);
    case 'int64_data':
      return readVarints(bytes, true);
    case 'uint64_data':
      return readVarints(bytes, false);
    case 'int32_data': {
      const v = readVarints(bytes, true);
      if (!v) return null;
      // int32_data also carries 16-bit floats as their bit patterns.
      if (dataType === DataType.FLOAT16) return v.map((x) => f16ToNumber(x & 0xffff));
      if (dataType === DataType.BFLOAT16) return v.map((x) => bf16ToNumber(x & 0xffff));
      if (dataType === DataType.BOOL) return v.map((x) => (x ? 1 : 0));
      return v.map((x) => x | 0);
    }
    default:
      return null;
  }
}
