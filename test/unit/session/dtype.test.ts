import assert from 'node:assert/strict';
import { bfloat16ToNumber, outputToFloat32, toBfloat16Bits, toFloat16Bits, toInputData } from '../../../src/core/session/dtype';
import { f16ToNumber } from '../../../src/core/onnx/values';

describe('tensor element types: float16 / bfloat16 at the model edges', () => {
  it('every one of the 65536 float16 values survives decode → encode', () => {
    for (let h = 0; h < 0x10000; h++) {
      const v = f16ToNumber(h);
      const back = toFloat16Bits(v);
      if (Number.isNaN(v)) assert.ok((back & 0x7c00) === 0x7c00 && (back & 0x3ff) !== 0, `NaN ${h.toString(16)} → ${back.toString(16)}`);
      else assert.equal(back, h, `${h.toString(16)} (${v}) → ${back.toString(16)}`);
    }
  });

  it('rounds to nearest, ties to even, in normals, subnormals and at the top', () => {
    const ulp1 = 2 ** -10; // spacing just above 1
    assert.equal(toFloat16Bits(1 + ulp1 / 2), 0x3c00); // tie → even (1.0)
    assert.equal(toFloat16Bits(1 + (3 * ulp1) / 2), 0x3c02); // tie → even (1 + 2 ulp)
    assert.equal(toFloat16Bits(1 + ulp1 / 2 + 2 ** -20), 0x3c01); // just above the tie
    assert.equal(toFloat16Bits(65504), 0x7bff); // largest finite
    assert.equal(toFloat16Bits(65519.99), 0x7bff);
    assert.equal(toFloat16Bits(65520), 0x7c00); // tie between max and 2^16 → Inf (even)
    assert.equal(toFloat16Bits(-1e6), 0xfc00);
    assert.equal(toFloat16Bits(2 ** -24), 0x0001); // smallest subnormal
    assert.equal(toFloat16Bits(2 ** -25), 0x0000); // tie with 0 → even (0)
    assert.equal(toFloat16Bits(2 ** -25 * 1.0001), 0x0001);
    assert.equal(toFloat16Bits(3 * 2 ** -25), 0x0002); // 1.5 subnormal ulps → 2 (even)
    assert.equal(toFloat16Bits(2 ** -14 - 2 ** -26), 0x0400); // rounds up out of the subnormals into the smallest normal
    assert.equal(toFloat16Bits(-0), 0x8000);
    assert.equal(toFloat16Bits(1e-10), 0x0000);
    assert.equal(toFloat16Bits(0.1), 0x2e66);
    assert.equal(toFloat16Bits(-2.5), 0xc100);
  });

  it('bfloat16: round to nearest even on the upper half, NaN kept', () => {
    assert.equal(toBfloat16Bits(1), 0x3f80);
    assert.equal(toBfloat16Bits(1 + 2 ** -8), 0x3f80); // tie → even
    assert.equal(toBfloat16Bits(1 + 3 * 2 ** -8), 0x3f82);
    assert.ok(Number.isNaN(bfloat16ToNumber(toBfloat16Bits(NaN))));
    assert.equal(bfloat16ToNumber(0x3f80), 1);
    assert.equal(bfloat16ToNumber(toBfloat16Bits(-3.140625)), -3.140625);
  });

  it('feeds float32 as is and float16 as bits; refuses other input types with a clear message', () => {
    const x = new Float32Array([0.5, -1.25, 3]);
    assert.equal(toInputData(x, 'float32', 'm').data, x);
    const h = toInputData(x, 'float16', 'm');
    assert.equal(h.type, 'float16');
    assert.deepEqual(Array.from(h.data), [0x3800, 0xbd00, 0x4200]);
    assert.throws(() => toInputData(x, 'uint8', 'm.onnx'), { name: 'UserError', message: /m\.onnx takes a uint8 image input/ });
  });

  it('reads float16, bfloat16 and float64 outputs as float32 for softmax/top-k', () => {
    assert.deepEqual(Array.from(outputToFloat32('float16', new Uint16Array([0x3c00, 0xc000, 0x7c00]), 'm')), [1, -2, Infinity]);
    assert.deepEqual(Array.from(outputToFloat32('bfloat16', new Uint16Array([0x3f80, 0xc040]), 'm')), [1, -3]);
    assert.deepEqual(Array.from(outputToFloat32('float64', new Float64Array([0.25]), 'm')), [0.25]);
    assert.throws(() => outputToFloat32('int64', new BigInt64Array(1), 'm'), { name: 'UserError', message: /int64 logits/ });
  });
});
