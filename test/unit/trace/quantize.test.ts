/**
 * The dequantization the step-through recomputes quantized graphs with (core/trace/quantize.ts):
 * the ONNX operator spec's own examples for QuantizeLinear and DequantizeLinear, per-channel axes,
 * round half to even, saturation, and MatMulInteger's integer product equal to the float product of
 * the dequantized operands (so a recomputation from dequantized weights checks an int8 layer).
 */
import assert from 'node:assert/strict';
import { INT8, UINT8, blockQuantizeInt8, dequantizeLinear, dequantizeNBits, fakeQuantize, onGrid, pairSaturation, quantizeLinear, roundHalfEven } from '../../../src/core/trace/quantize';
import { linear } from '../../../src/core/trace/linear';
import { halfSpacing } from '../../../src/core/trace/assemble';

describe('trace: quantize and dequantize as ONNX does', () => {
  it('QuantizeLinear: the spec example (scale 2, zero point 128, uint8) — ties to even, saturation at 0 and 255', () => {
    assert.deepEqual(quantizeLinear([0, 2, 3, 1000, -254, -1000], 2, 128, UINT8), [128, 129, 130, 255, 1, 0]);
    assert.deepEqual(quantizeLinear([1, 3, 5, -1, -3], 2, 0, INT8), [0, 2, 2, 0, -2]);
    assert.deepEqual(quantizeLinear([1e6, -1e6], 0.5, 0, INT8), [127, -128]);
    assert.deepEqual([0.5, 1.5, 2.5, -0.5, -1.5, 2.4, 2.6].map(roundHalfEven), [0, 2, 2, -0, -2, 2, 3]);
    assert.throws(() => quantizeLinear([1], 0, 0, UINT8), /positive/);
  });

  it('onGrid: a tensor read after a Q→DQ pair is on its grid (saturated codes too), a float tensor is not', () => {
    const x = [0.013, -0.7, 1.2345, 3, -2.5];
    const s = 0.0252845697;
    assert.ok(onGrid(fakeQuantize(x, s, 144, UINT8), s, 144, UINT8));
    assert.ok(!onGrid(x, s, 144, UINT8));
    // a value beyond the code range is not a code of the grid
    assert.ok(!onGrid([300 * s], s, 0, UINT8));
    assert.ok(!onGrid([], s, 0, UINT8));
  });

  it('pairSaturation: adjacent products along K summed in int16 with saturation, as vpmaddubsw does (none within range)', () => {
    // one output, K = 4: pairs (255·127 + 255·127) = 64770 → 32767, (1·−128 + 0) inside the range
    assert.deepEqual(pairSaturation([255, 255, 1, 0], [127, 127, -128, 5], 'inOut'), [32767 - 64770]);
    // negative saturation, odd K (the last pair is one product), and [N, K] layout: two outputs
    assert.deepEqual(pairSaturation([255, 255, 200], [-128, -128, 100, 1, 1, 1], 'outIn'), [-32768 + 65280, 0]);
    assert.deepEqual(pairSaturation([10, 20, 30, 40], [1, 2, 3, 4, 5, 6, 7, 8], 'inOut'), [0, 0]);
    assert.throws(() => pairSaturation([1, 2, 3], [1, 2], 'inOut'), /does not fit/);
  });

  it('dequantizeNBits: MatMulNBits\' 4-bit blocks, low nibble first, zero point 8 by default, packed or float zero points', () => {
    // N = 1, K = 4, blocks of 2: bytes 0x3A (k0 = 10, k1 = 3) and 0xF0 (k2 = 0, k3 = 15), scales 0.5 and 2
    assert.deepEqual(Array.from(dequantizeNBits([0x3a, 0xf0], [0.5, 2], null, false, 1, 4, 4, 2)), [1, -2.5, -16, 14]);
    assert.deepEqual(Array.from(dequantizeNBits([0x3a, 0xf0], [0.5, 2], [0x21], true, 1, 4, 4, 2)), [4.5, 1, -4, 26]);
    assert.deepEqual(Array.from(dequantizeNBits([0x3a, 0xf0], [0.5, 2], [1, 2], false, 1, 4, 4, 2)), [4.5, 1, -4, 26]);
    assert.throws(() => dequantizeNBits([0x3a], [0.5, 2], null, false, 1, 4, 4, 2), /does not fit/);
  });

  it('blockQuantizeInt8: per block, symmetric, scale max|a|/127, round half to even (MatMulNBits accuracy_level 4)', () => {
    const y = blockQuantizeInt8([1.27, -0.5, 0.004, 0, 0, 0], 3);
    // block 1: scale 0.01 → codes 127, −50, 0 (0.4 rounds to 0); block 2 all zero
    assert.ok(Math.abs(y[0] - 1.27) < 1e-6 && Math.abs(y[1] + 0.5) < 1e-6 && y[2] === 0);
    assert.deepEqual(y.slice(3), [0, 0, 0]);
    assert.equal(blockQuantizeInt8([0.3, 100], 1).length, 2);
  });

  it('DequantizeLinear: the spec example, and per channel along axis 0 (a Conv weight) and axis 1 (a MatMul weight)', () => {
    assert.deepEqual(Array.from(dequantizeLinear([0, 3, 128, 255], [4], [2], [128])), [-256, -250, 0, 254]);
    // [2, 3] weight, one scale per row (axis 0) with zero points, then one per column (axis 1)
    assert.deepEqual(Array.from(dequantizeLinear([1, 2, 3, 4, 5, 6], [2, 3], [0.5, 2], [1, 0], 0)), [0, 0.5, 1, 8, 10, 12]);
    assert.deepEqual(Array.from(dequantizeLinear([1, 2, 3, 4, 5, 6], [2, 3], [1, 2, 3], null, 1)), [1, 4, 9, 4, 10, 18]);
    assert.deepEqual(Array.from(dequantizeLinear([1, 2, 3, 4, 5, 6], [2, 3], [1, 2, 3], null, -1)), [1, 4, 9, 4, 10, 18]);
    assert.throws(() => dequantizeLinear([1, 2, 3, 4], [2, 2], [1, 2, 3], null, 1), /does not match axis/);
  });

  it('MatMulInteger (x_q − x_zp)·(W_q − W_zp)·x_s·W_s is the float product of fake-quantized x and dequantized W', () => {
    const x = [0.31, -1.7, 2.25, 0.004];
    const xs = 4 / 255;
    const xz = 110;
    const wq = [12, -7, 100, -128, 3, 55, -20, 9]; // [in 4, out 2], int8
    const wz = [0];
    const ws = [0.013];
    const xq = quantizeLinear(x, xs, xz, UINT8);
    const integer = [0, 1].map((o) => xq.reduce((s, q, i) => s + (q - xz) * (wq[i * 2 + o] - wz[0]), 0) * (xs * ws[0]));
    const float = linear(fakeQuantize(x, xs, xz, UINT8), dequantizeLinear(wq, [4, 2], ws, wz), undefined, 'inOut');
    for (let o = 0; o < 2; o++) assert.ok(Math.abs(integer[o] - float[o]) < 1e-6, `output ${o}: ${integer[o]} vs ${float[o]}`);
    // and not the product of the raw codes, nor of the unrounded x
    const raw = linear(x, wq, undefined, 'inOut');
    assert.ok(Math.abs(raw[0] - integer[0]) > 1);
    const unrounded = linear(x, dequantizeLinear(wq, [4, 2], ws, wz), undefined, 'inOut');
    assert.ok(Math.max(...unrounded.map((v, o) => Math.abs(v - integer[o]))) > 1e-4);
  });
});

describe('trace: the half-precision grid a check of an fp16/bf16 model allows', () => {
  it('halfSpacing is the gap between neighbouring float16 / bfloat16 values at |x|', () => {
    // float16: 10 mantissa bits; 1 → 2^-10, [64, 128) → 2^-4 (the −100s of a Swin mask), subnormals 2^-24
    assert.equal(halfSpacing(1, 'float16'), 2 ** -10);
    assert.equal(halfSpacing(1.999, 'float16'), 2 ** -10);
    assert.equal(halfSpacing(-101.9, 'float16'), 0.0625);
    assert.equal(halfSpacing(0, 'float16'), 2 ** -24);
    assert.equal(halfSpacing(1e-6, 'float16'), 2 ** -24);
    // bfloat16: 7 mantissa bits
    assert.equal(halfSpacing(1, 'bfloat16'), 2 ** -7);
    assert.equal(halfSpacing(3, 'bfloat16'), 2 ** -6);
  });
});
