/** The window [Mh, Mw] of a Swin attention block (src/core/swin/windowShape.ts): from window_partition's 6-D view, else √N. */
import assert from 'node:assert/strict';
import { analyzeGraph } from '../../../src/core/arch/analysis';
import type { AttentionInfo } from '../../../src/core/graph/structure';
import { GraphBuilder, makeTensor } from '../../../src/core/onnx/builder';
import { DataType } from '../../../src/core/onnx/proto';
import { inferShapes } from '../../../src/core/onnx/shapes';
import { windowShape } from '../../../src/core/swin/windowShape';

const C = 4;

/** x [1, H, W, C] → (the 6-D view and its permute, when `view`) → [windows, N, C] → the QKV MatMul. */
function block(H: number, W: number, Mh: number, Mw: number, view: boolean, qdq = false) {
  const g = new GraphBuilder({ opset: 17 });
  const x = g.input('x', DataType.FLOAT, [1, H, W, C]);
  let t = x;
  // A QDQ export (onnxruntime's static quantizer) puts a QuantizeLinear/DequantizeLinear pair after each op.
  const dq = (v: string): string => (qdq ? g.op('DequantizeLinear', [g.op('QuantizeLinear', [v, g.float32([0.02], []), g.addTensor(makeTensor(`zp${k++}`, new Uint8Array([128]), [], DataType.UINT8))]), g.float32([0.02], []), `zp${k - 1}`]) : v);
  let k = 0;
  t = dq(t);
  if (view) {
    t = dq(g.op('Reshape', [t, g.int64([1, H / Mh, Mh, W / Mw, Mw, C])]));
    t = dq(g.op('Transpose', [t], { perm: [0, 1, 3, 2, 4, 5] }));
  }
  t = dq(g.op('Reshape', [t, g.int64([-1, Mh * Mw, C])]));
  g.node('MatMul', [t, g.float32(new Array(C * 3 * C).fill(0.5), [C, 3 * C], 'qkv.weight')], ['qkv']);
  g.output('qkv', DataType.FLOAT, null);
  const model = g.build();
  const a = analyzeGraph(model, inferShapes(model));
  const qkv = a.nodes.findIndex((n) => n.opType === 'MatMul');
  // Only what windowShape reads: the tokens per window and the QKV projection.
  const at = { tokens: Mh * Mw, qkv: [qkv] } as unknown as AttentionInfo;
  return windowShape(a, at);
}

describe('swin: window shape', () => {
  it('a non-square window is read from the 6-D view: 2×4 (N = 8 alone could be 8×1)', () => {
    assert.deepEqual(block(4, 8, 2, 4, true), [2, 4]);
    assert.deepEqual(block(8, 4, 4, 2, true), [4, 2]);
  });

  it('a QDQ export: the walk passes QuantizeLinear/DequantizeLinear and still reads 2×4 (was null: √8 is no integer)', () => {
    assert.deepEqual(block(4, 8, 2, 4, true, true), [2, 4]);
    assert.deepEqual(block(8, 4, 4, 2, true, true), [4, 2]);
    assert.deepEqual(block(14, 14, 7, 7, true, true), [7, 7]);
  });

  it('a square window from the view: 7×7 on 14×14', () => {
    assert.deepEqual(block(14, 14, 7, 7, true), [7, 7]);
  });

  it('without the view: √N when N is a square, else null (no guess)', () => {
    assert.deepEqual(block(8, 8, 4, 4, false), [4, 4]);
    assert.equal(block(4, 8, 2, 4, false), null);
  });
});
