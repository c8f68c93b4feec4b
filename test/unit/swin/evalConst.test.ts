/**
 * Swin V2's constant evaluator (src/core/swin/evalConst.ts) on an unfolded continuous position bias,
 * 16·sigmoid(cpb_mlp(table))[index] for a 2×2 window and 2 heads, against the same sum computed here.
 */
import assert from 'node:assert/strict';
import { analyzeGraph } from '../../../src/core/arch/analysis';
import { GraphBuilder } from '../../../src/core/onnx/builder';
import { DataType } from '../../../src/core/onnx/proto';
import { inferShapes } from '../../../src/core/onnx/shapes';
import { evalConst } from '../../../src/core/swin/evalConst';

const M = 2;
const T = 2 * M - 1; // 3×3 table of relative coordinates
const HEADS = 2;
const HID = 4;
// Exactly representable in float32, so folding in float32 or float64 gives the same numbers.
const table = Array.from({ length: T * T }, (_, k) => [(Math.floor(k / T) - 1) * 0.5, ((k % T) - 1) * 0.5]).flat();
const w1 = Array.from({ length: 2 * HID }, (_, k) => (k - 3) * 0.25);
const b1 = [0.5, -0.25, 0, 0.125];
const w2 = Array.from({ length: HID * HEADS }, (_, k) => (k % 3) * 0.5 - 0.5);
/** The official relative_position_index for an M×M window: (Δrow + M − 1)·(2M − 1) + Δcol + M − 1. */
const index = Array.from({ length: M ** 4 }, (_, k) => {
  const i = Math.floor(k / M ** 2);
  const j = k % M ** 2;
  return (Math.floor(i / M) - Math.floor(j / M) + M - 1) * T + ((i % M) - (j % M) + M - 1);
});

/** bias[h][i][j] computed directly. */
function expected(): number[] {
  const mlp = (k: number, h: number) => {
    let s = 0;
    for (let u = 0; u < HID; u++) {
      const hidden = Math.max(0, table[2 * k] * w1[u] + table[2 * k + 1] * w1[HID + u] + b1[u]);
      s += hidden * w2[u * HEADS + h];
    }
    return s;
  };
  const out: number[] = [];
  for (let h = 0; h < HEADS; h++) for (let t = 0; t < M ** 4; t++) out.push(16 / (1 + Math.exp(-mlp(index[t], h))));
  return out;
}

function cpbModel(opts: { activation?: string; badIndex?: boolean; views?: number; quantized?: boolean } = {}) {
  const g = new GraphBuilder({ opset: 17 });
  const x = g.input('x', DataType.FLOAT, [1, HEADS, M * M, M * M]);
  // A QDQ export: the first Linear's weight as int8 codes behind a DequantizeLinear.
  const first = opts.quantized ? g.op('DequantizeLinear', [g.initializer('w1', w1.map((v) => v * 4), [2, HID], DataType.INT8), g.float32([0.25], [], 'w1_scale')]) : g.float32(w1, [2, HID], 'w1');
  let t = g.op('MatMul', [g.float32(table, [1, T, T, 2], 'table'), first]);
  t = g.op('Relu', [g.op('Add', [t, g.float32(b1, [HID], 'b1')])]);
  t = g.op('Reshape', [g.op('MatMul', [t, g.float32(w2, [HID, HEADS], 'w2')]), g.int64([-1, HEADS])]);
  const idx = opts.badIndex ? index.map((i, k) => (k === 3 ? T * T + 5 : i)) : index;
  t = g.op('Gather', [t, g.int64(idx, [idx.length], 'index')], { axis: 0 });
  t = g.op('Transpose', [g.op('Reshape', [t, g.int64([M * M, M * M, HEADS])])], { perm: [2, 0, 1] });
  let bias = g.op('Mul', [g.op(opts.activation ?? 'Sigmoid', [t]), g.float32([16], [], 'sixteen')]);
  // An exporter's chain of views, longer than the old recursion's 64 levels.
  for (let k = 0; k < (opts.views ?? 0); k++) bias = g.op('Identity', [bias]);
  g.node('Add', [x, bias], ['y']);
  g.output('y', DataType.FLOAT, [1, HEADS, M * M, M * M]);
  const model = g.build();
  const values = new Map<string, number[]>([['table', table], ['w1', w1], ['b1', b1], ['w2', w2], ['index', idx], ['sixteen', [16]], ['w1_scale', [0.25]]]);
  const a = analyzeGraph(model, inferShapes(model));
  return { a, bias, leaf: (n: string) => values.get(n) ?? a.shapes.tensors.get(n)?.value ?? null };
}

describe('swin v2: constant evaluator', () => {
  it('evaluates the unfolded continuous position bias: [heads, M², M²] equal to 16·sigmoid(MLP(table))[index]', () => {
    const { a, bias, leaf } = cpbModel();
    const r = evalConst(a, bias, leaf);
    assert.ok(r, 'evaluated');
    assert.deepEqual(r.dims, [HEADS, M * M, M * M]);
    const want = expected();
    let d = 0;
    for (let i = 0; i < want.length; i++) d = Math.max(d, Math.abs(r.data[i] - want[i]));
    assert.ok(d < 1e-5, `max |Δ| = ${d}`);
    // Not constant: the bias differs across relative positions (a wrong index or transpose would show).
    assert.ok(Math.max(...r.data) - Math.min(...r.data) > 0.1);
  });

  it('evaluates through a chain of 100 views (a walk, not a recursion with a depth limit: null before)', () => {
    const { a, bias, leaf } = cpbModel({ views: 100 });
    const r = evalConst(a, bias, leaf);
    assert.ok(r, 'evaluated');
    const want = expected();
    assert.ok(want.every((v, i) => Math.abs(r.data[i] - v) < 1e-5));
  });

  it('a weight behind a DequantizeLinear (QDQ) gives null: its values are integer codes, not evaluated', () => {
    const { a, bias, leaf } = cpbModel({ quantized: true });
    assert.equal(evalConst(a, bias, leaf), null);
  });

  it('an op outside its set gives null, not a guess', () => {
    const { a, bias, leaf } = cpbModel({ activation: 'Erf' });
    assert.equal(evalConst(a, bias, leaf), null);
  });

  it('an index outside the table gives null', () => {
    const { a, bias, leaf } = cpbModel({ badIndex: true });
    assert.equal(evalConst(a, bias, leaf), null);
  });

  it('a tensor that depends on the graph input gives null', () => {
    const { a, leaf } = cpbModel();
    assert.equal(evalConst(a, 'y', leaf), null);
  });
});
