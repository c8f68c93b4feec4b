/**
 * Quantized weights and activations as ONNX applies them, for the step-through's recomputations:
 * DequantizeLinear  y = (x − zero_point)·scale            (per tensor, or per channel along `axis`)
 * QuantizeLinear    y = saturate(round(x / scale) + zero_point), round half to even
 * DynamicQuantizeLinear is QuantizeLinear to uint8 with a scale and zero point computed at run time;
 * MatMulInteger (A − a_zp)·(B − b_zp), cast and times a_scale·b_scale, is the float product of the two
 * dequantized operands. A recomputation from the weights as stored (the int8 codes) or from the float
 * activation the graph rounded first would be a different computation, not a check of this one.
 */

/** The integer range a quantized tensor saturates to. */
export interface QuantRange {
  min: number;
  max: number;
}
export const UINT8: QuantRange = { min: 0, max: 255 };
export const INT8: QuantRange = { min: -128, max: 127 };

/** Round half to even, as ONNX QuantizeLinear (and std::nearbyint in its default mode) rounds. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  // Math.round rounds .5 up: on an exact tie take the even neighbour
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Which channel element i of a row-major tensor of `dims` belongs to along `axis`. */
function channelOf(i: number, dims: readonly number[], axis: number): number {
  let stride = 1;
  for (let k = dims.length - 1; k > axis; k--) stride *= dims[k];
  return Math.floor(i / stride) % dims[axis];
}

function axisOf(dims: readonly number[], axis: number): number {
  const ax = axis < 0 ? axis + dims.length : axis;
  if (ax < 0 || ax >= dims.length) throw new Error(`Quantization axis ${axis} is outside a tensor of rank ${dims.length}.`);
  return ax;
}

/**
 * DequantizeLinear: (q − zp)·scale. `scale` has one value (per tensor) or dims[axis] values (per
 * channel); `zeroPoint` the same count, or null for 0.
 */
export function dequantizeLinear(q: ArrayLike<number>, dims: readonly number[], scale: ArrayLike<number>, zeroPoint: ArrayLike<number> | null, axis = 1): Float32Array {
  const out = new Float32Array(q.length);
  if (zeroPoint && zeroPoint.length !== scale.length) throw new Error(`A zero point of ${zeroPoint.length} values does not match a scale of ${scale.length}.`);
  if (scale.length === 1) {
    const s = scale[0];
    const z = zeroPoint ? zeroPoint[0] : 0;
    for (let i = 0; i < q.length; i++) out[i] = (q[i] - z) * s;
    return out;
  }
  const ax = axisOf(dims, axis);
  if (dims[ax] !== scale.length) throw new Error(`A per-channel scale of ${scale.length} values does not match axis ${axis} of [${dims.join(', ')}].`);
  for (let i = 0; i < q.length; i++) {
    const c = channelOf(i, dims, ax);
    out[i] = (q[i] - (zeroPoint ? zeroPoint[c] : 0)) * scale[c];
  }
  return out;
}

/** QuantizeLinear with one scale and zero point: saturate(round(x / scale) + zp) — the integer codes. */
export function quantizeLinear(x: ArrayLike<number>, scale: number, zeroPoint: number, range: QuantRange): number[] {
  if (!(scale > 0)) throw new Error(`A quantization scale must be positive, got ${scale}.`);
  // x / scale in float32, as ONNX Runtime divides: the tie cases round the same way
  return Array.from(x, (v) => Math.min(range.max, Math.max(range.min, roundHalfEven(Math.fround(v / scale)) + zeroPoint)));
}

/** QuantizeLinear then DequantizeLinear with the same scale and zero point: the value the next op sees. */
export function fakeQuantize(x: ArrayLike<number>, scale: number, zeroPoint: number, range: QuantRange): number[] {
  return quantizeLinear(x, scale, zeroPoint, range).map((q) => Math.fround((q - zeroPoint) * scale));
}

/**
 * Whether every value is a code of the grid (q − zp)·scale, q within `range`: a tensor read after a
 * Q→DQ pair is; a float tensor of more than a handful of values practically never is.
 */
export function onGrid(y: ArrayLike<number>, scale: number, zeroPoint: number, range: QuantRange): boolean {
  if (!(scale > 0) || y.length === 0) return false;
  for (let i = 0; i < y.length; i++) {
    const k = y[i] / scale + zeroPoint;
    const r = Math.round(k);
    if (Math.abs(k - r) > 1e-3 || r < range.min || r > range.max) return false;
  }
  return true;
}

/**
 * ONNX Runtime's u8×s8 integer product on x86 CPUs without VNNI (its AVX2 and AVX-512 core kernels
 * in MLAS): vpmaddubsw adds the products of adjacent pairs along K (k, k+1 for even k) in int16,
 * saturating, before vpmaddwd sums them in int32. The zero points are applied after, through row
 * and column sums, so the pairs are of the raw codes. For one row `a` (uint8 codes, K values) and
 * the int8 codes `w` ([K, N] "inOut" or [N, K] "outIn"): per output, Σ saturated − Σ exact (0 on
 * CPUs with VNNI, whose vpdpbusd sums in int32, and where no pair leaves [−32768, 32767]).
 */
export function pairSaturation(a: ArrayLike<number>, w: ArrayLike<number>, layout: 'outIn' | 'inOut'): number[] {
  const K = a.length;
  const N = w.length / K;
  if (!Number.isInteger(N)) throw new Error(`A weight of ${w.length} values does not fit a row of ${K}.`);
  const at = layout === 'inOut' ? (k: number, o: number) => w[k * N + o] : (k: number, o: number) => w[o * K + k];
  const out = new Array<number>(N).fill(0);
  for (let o = 0; o < N; o++) {
    for (let k = 0; k < K; k += 2) {
      const p = a[k] * at(k, o) + (k + 1 < K ? a[k + 1] * at(k + 1, o) : 0);
      if (p > 32767) out[o] += 32767 - p;
      else if (p < -32768) out[o] += -32768 - p;
    }
  }
  return out;
}

/**
 * ONNX Runtime's MatMulNBits weight (com.microsoft, weight-only block quantization) as the op applies
 * it: B packed [N, blocks, blockSize·bits/8] uint8 (low bits first), one scale per (n, block), zero
 * points packed the same way per block (uint8) or given as floats, 2^(bits−1) when absent:
 * W[n, k] = (q − zp)·scale, row-major [N, K] (y = x·Wᵀ, layout "outIn").
 */
export function dequantizeNBits(
  packed: ArrayLike<number>, scales: ArrayLike<number>, zeroPoints: ArrayLike<number> | null, zpPacked: boolean,
  N: number, K: number, bits: number, blockSize: number,
): Float32Array {
  if (bits !== 2 && bits !== 4 && bits !== 8) throw new Error(`MatMulNBits with ${bits} bits is not recomputed.`);
  const blocks = Math.ceil(K / blockSize);
  const blob = (blockSize * bits) / 8;
  if (packed.length !== N * blocks * blob || scales.length !== N * blocks) throw new Error(`A MatMulNBits weight of ${packed.length} bytes and ${scales.length} scales does not fit N ${N}, K ${K}, block ${blockSize}.`);
  const mask = (1 << bits) - 1;
  const perByte = 8 / bits;
  const code = (bytes: ArrayLike<number>, base: number, i: number): number => (bytes[base + Math.floor(i / perByte)] >> ((i % perByte) * bits)) & mask;
  const zpRow = Math.ceil(blocks / perByte);
  const out = new Float32Array(N * K);
  for (let n = 0; n < N; n++) {
    for (let b = 0; b < blocks; b++) {
      const s = scales[n * blocks + b];
      const zp = !zeroPoints ? 2 ** (bits - 1) : zpPacked ? code(zeroPoints, n * zpRow, b) : zeroPoints[n * blocks + b];
      for (let j = 0; j < blockSize && b * blockSize + j < K; j++) {
        out[n * K + b * blockSize + j] = (code(packed, (n * blocks + b) * blob, j) - zp) * s;
      }
    }
  }
  return out;
}

/**
 * MatMulNBits with accuracy_level 4 on a CPU with an int8 kernel (MLAS's CompInt8): ONNX Runtime
 * rounds the input row to int8 per block of `blockSize` along K, symmetric, scale = max|a|/127, and
 * multiplies the codes: the float row it effectively uses.
 */
export function blockQuantizeInt8(a: ArrayLike<number>, blockSize: number): number[] {
  const out = new Array<number>(a.length);
  for (let b = 0; b < a.length; b += blockSize) {
    let amax = 0;
    for (let k = b; k < Math.min(a.length, b + blockSize); k++) amax = Math.max(amax, Math.abs(a[k]));
    const s = Math.fround(amax / 127);
    const inv = s ? Math.fround(1 / s) : 0;
    for (let k = b; k < Math.min(a.length, b + blockSize); k++) out[k] = Math.fround(roundHalfEven(Math.fround(a[k] * inv)) * s);
  }
  return out;
}
