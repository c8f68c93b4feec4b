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

/** Decodes little-endian `raw_data` of a tensor. Returns null for types it cannot decode. */
export function decodeRaw(dataType: number, bytes: Uint8Array): number[] | null {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: number[] = [];
  const n = bytes.byteLength;
  switch (dataType) {
    case DataType.FLOAT:
      for (let i = 0; i + 4 <= n; i += 4) out.push(dv.getFloat32(i, true));
      return out;
    case DataType.DOUBLE:
      for (let i = 0; i + 8 <= n; i += 8) out.push(dv.getFloat64(i, true));
      return out;
    case DataType.INT64:
      for (let i = 0; i + 8 <= n; i += 8) {
        const lo = dv.getUint32(i, true);
        const hi = dv.getInt32(i + 4, true);
        out.push(hi * 4294967296 + lo);
      }
      return out;
    case DataType.UINT64:
      for (let i = 0; i + 8 <= n; i += 8) out.push(dv.getUint32(i + 4, true) * 4294967296 + dv.getUint32(i, true));
      return out;
    case DataType.INT32:
      for (let i = 0; i + 4 <= n; i += 4) out.push(dv.getInt32(i, true));
      return out;
    case DataType.UINT32:
      for (let i = 0; i + 4 <= n; i += 4) out.push(dv.getUint32(i, true));
      return out;
    case DataType.INT16:
      for (let i = 0; i + 2 <= n; i += 2) out.push(dv.getInt16(i, true));
      return out;
    case DataType.UINT16:
      for (let i = 0; i + 2 <= n; i += 2) out.push(dv.getUint16(i, true));
      return out;
    case DataType.FLOAT16:
      for (let i = 0; i + 2 <= n; i += 2) out.push(f16ToNumber(dv.getUint16(i, true)));
      return out;
    case DataType.BFLOAT16:
      for (let i = 0; i + 2 <= n; i += 2) out.push(bf16ToNumber(dv.getUint16(i, true)));
      return out;
    case DataType.INT8:
      for (let i = 0; i < n; i++) out.push(dv.getInt8(i));
      return out;
    case DataType.UINT8:
      for (let i = 0; i < n; i++) out.push(bytes[i]);
      return out;
    case DataType.BOOL:
      for (let i = 0; i < n; i++) out.push(bytes[i] ? 1 : 0);
      return out;
    default:
      return null;
  }
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
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (encoding) {
    case 'raw':
      return decodeRaw(dataType, bytes);
    case 'float_data': {
      const out: number[] = [];
      for (let i = 0; i + 4 <= bytes.length; i += 4) out.push(dv.getFloat32(i, true));
      return out;
    }
    case 'double_data': {
      const out: number[] = [];
      for (let i = 0; i + 8 <= bytes.length; i += 8) out.push(dv.getFloat64(i, true));
      return out;
    }
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
