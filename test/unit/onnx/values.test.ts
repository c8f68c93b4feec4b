import assert from 'node:assert/strict';
import { DataType } from '../../../src/core/onnx/proto';
import { decodeTensorBytes, f16ToNumber } from '../../../src/core/onnx/values';

const u8 = (...b: number[]): Uint8Array => Uint8Array.from(b);
const minusOne = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];

describe('onnx values: decoding tensor bytes', () => {
  it('packed int64_data / uint64_data varints: one byte, two bytes, negative (ten bytes), 2^40', () => {
    const bytes = u8(0x01, 0xac, 0x02, ...minusOne, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20);
    assert.deepEqual(decodeTensorBytes(DataType.INT64, 'int64_data', bytes), [1, 300, -1, 2 ** 40]);
    assert.deepEqual(decodeTensorBytes(DataType.UINT64, 'uint64_data', u8(0x00, 0x7f, 0x80, 0x01, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20)), [0, 127, 128, 2 ** 40]);
  });

  it('int32_data: sign-extended negatives, and 16-bit floats and bools as their bit patterns', () => {
    assert.deepEqual(decodeTensorBytes(DataType.INT32, 'int32_data', u8(0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x05)), [-2, 5]);
    // 0x3c00 = 1.0 and 0xc000 = −2.0 in IEEE half; 0x3f80 = 1.0 in bfloat16
    assert.deepEqual(decodeTensorBytes(DataType.FLOAT16, 'int32_data', u8(0x80, 0x78, 0x80, 0x80, 0x03)), [1, -2]);
    assert.deepEqual(decodeTensorBytes(DataType.BFLOAT16, 'int32_data', u8(0x80, 0x7f)), [1]);
    assert.deepEqual(decodeTensorBytes(DataType.BOOL, 'int32_data', u8(0x00, 0x01, 0x02)), [0, 1, 1]);
  });

  it('a varint cut short or longer than ten bytes is refused (null), not misread', () => {
    assert.equal(decodeTensorBytes(DataType.INT64, 'int64_data', u8(0x01, 0x80)), null);
    assert.equal(decodeTensorBytes(DataType.INT64, 'int64_data', u8(...new Array(11).fill(0xff))), null);
    assert.equal(decodeTensorBytes(DataType.UINT64, 'uint64_data', u8(0xff)), null);
  });

  it('IEEE half: normal, subnormal, signed zero, infinities and NaN', () => {
    assert.deepEqual([0x3c00, 0xc000, 0x7bff, 0x0001, 0x8000, 0x7c00, 0xfc00].map(f16ToNumber), [1, -2, 65504, 2 ** -24, -0, Infinity, -Infinity]);
    assert.ok(Number.isNaN(f16ToNumber(0x7e00)));
    assert.deepEqual(decodeTensorBytes(DataType.FLOAT16, 'raw', u8(0x00, 0x3c, 0x00, 0xc0)), [1, -2]);
  });
});
