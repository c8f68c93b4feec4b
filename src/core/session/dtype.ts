/**
 * Tensor element types at the model's edges: the input is fed in the type the model declares
 * (an fp16 export takes float16; preprocessing works in float32 and converts at the end), and
 * fp16/bf16 outputs become float32 before softmax and top-k.
 */
import { UserError } from '../errors';
import { f16ToNumber } from '../onnx/values';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE 754 binary16 bits of a number: round to nearest, ties to even; subnormals; ±Inf on overflow; NaN kept. */
export function toFloat16Bits(v: number): number {
  f32[0] = v;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 | (mant >>> 13) : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal half: value = m · 2^-24. Below half the smallest subnormal it is ±0.
    if (e < -10) return sign;
    const full = mant | 0x800000;
    const shift = 14 - e;
    let m = full >>> shift;
    const rem = full & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && m & 1)) m++; // m = 0x400 is the smallest normal: the encoding carries over
    return sign | m;
  }
  let out = sign | (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && out & 1)) out++; // a carry into the exponent is right, up to Inf
  return out;
}

/** bfloat16 bits: the upper half of the float32, rounded to nearest even; NaN stays NaN. */
export function toBfloat16Bits(v: number): number {
  f32[0] = v;
  const x = u32[0];
  if ((x & 0x7f800000) === 0x7f800000 && x & 0x7fffff) return (x >>> 16) | 0x40;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

export function bfloat16ToNumber(h: number): number {
  u32[0] = h << 16;
  return f32[0];
}

export function float32ToFloat16(data: Float32Array): Uint16Array {
  const out = new Uint16Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = toFloat16Bits(data[i]);
  return out;
}

/** The element types a model's image input may have, as ONNX Runtime names them. */
export type InputType = 'float32' | 'float16';

/** Preprocessed float32 → the data for an input of `type`. */
export function toInputData(data: Float32Array, type: string, display: string): { type: InputType; data: Float32Array | Uint16Array } {
  if (type === 'float32') return { type, data };
  if (type === 'float16') return { type, data: float32ToFloat16(data) };
  throw new UserError(`${display} takes a ${type} image input; ViT Inspector feeds float32 or float16 (fp32/fp16 exports).`);
}

/** A model output (ONNX Runtime's type name and data) as float32. */
export function outputToFloat32(type: string, data: unknown, display: string): Float32Array {
  if (data instanceof Float32Array) return Float32Array.from(data);
  if (type === 'float16') {
    // Uint16Array of bits; newer runtimes may hand a Float16Array of numbers.
    if (data instanceof Uint16Array) return Float32Array.from(data, f16ToNumber);
    return Float32Array.from(data as ArrayLike<number>);
  }
  if (type === 'bfloat16' && data instanceof Uint16Array) return Float32Array.from(data, bfloat16ToNumber);
  if (data instanceof Float64Array) return Float32Array.from(data);
  throw new UserError(`${display} outputs ${type} logits; ViT Inspector reads float32, float16, bfloat16 or float64.`);
}
