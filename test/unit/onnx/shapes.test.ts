import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { GraphBuilder, float, floats } from '../../../src/core/onnx/builder';
import type { OnnxModel } from '../../../src/core/onnx/model';
import { DataType } from '../../../src/core/onnx/proto';
import { readModel } from '../../../src/core/onnx/reader';
import { inferShapes, type ShapeResult } from '../../../src/core/onnx/shapes';
import { addGraphOutputs, writeModel } from '../../../src/core/onnx/writer';
import { dynamicTinySwin } from '../helpers/models';
import { fixture } from '../../skip';

const MODELS = path.resolve(process.cwd(), 'test/fixtures/models');

function feed(shape: number[], dtype: number = DataType.FLOAT, seed = 1): ort.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  let s = seed;
  const rnd = (): number => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  if (dtype === DataType.INT64) return new ort.Tensor('int64', BigInt64Array.from({ length: n }, () => BigInt(Math.floor(rnd() * 4))), shape);
  return new ort.Tensor('float32', Float32Array.from({ length: n }, () => rnd() * 2 - 1), shape);
}

/** Runs the model with every node output added as a graph output; returns the runtime's shapes and values. */
async function runAll(model: OnnxModel, shapes: ShapeResult, dir: string): Promise<Record<string, ort.Tensor>> {
  const names: string[] = [];
  for (const n of model.graph.nodes) for (const o of n.outputs) if (o && !model.graph.outputs.some((x) => x.name === o)) names.push(o);
  const m2 = addGraphOutputs(
    model,
    names.map((name) => ({ name, elemType: shapes.tensors.get(name)?.dtype || DataType.FLOAT })),
  );
  const file = path.join(dir, `all-${Math.random().toString(36).slice(2)}.onnx`);
  writeModel(m2, file);
  const sess = await ort.InferenceSession.create(file);
  const feeds: Record<string, ort.Tensor> = {};
  for (const inp of model.graph.inputs) {
    if (model.graph.initializers.some((t) => t.name === inp.name)) continue;
    const s = shapes.inputShapes[inp.name];
    const t = inp.type;
    feeds[inp.name] = feed(s, t && t.kind === 'tensor' ? t.elemType : DataType.FLOAT);
  }
  return sess.run(feeds);
}

function compare(model: OnnxModel, shapes: ShapeResult, out: Record<string, ort.Tensor>): { checked: number; values: number } {
  let checked = 0;
  let values = 0;
  const bad: string[] = [];
  for (const n of model.graph.nodes) {
    for (const o of n.outputs) {
      if (!o) continue;
      const t = out[o];
      assert.ok(t, `runtime gave no ${o}`);
      const inf = shapes.tensors.get(o);
      const same = inf?.shape && inf.shape.length === t.dims.length && inf.shape.every((d, i) => d === t.dims[i]);
      if (!same) bad.push(`${n.opType} ${o}: inferred ${JSON.stringify(inf?.shape)}, runtime [${t.dims.join(',')}]`);
      checked++;
      if (inf?.value && t.type !== 'string') {
        const d = Array.from(t.data as ArrayLike<number | bigint>, Number);
        const ok = d.length === inf.value.length && d.every((x, i) => Math.abs(x - (inf.value as number[])[i]) <= 1e-4 * Math.max(1, Math.abs(x)));
        if (!ok) bad.push(`${n.opType} ${o}: folded values differ from the runtime's`);
        values++;
      }
    }
  }
  assert.deepEqual(bad.slice(0, 10), [], `${bad.length} mismatches`);
  return { checked, values };
}

describe('onnx shapes: static inference equals the runtime', function () {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vit-shapes-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const name of ['tiny_vit', 'tiny_swin', 'tiny_deit']) {
    it(`${name}: every tensor's shape (and every folded value) as onnxruntime computes it`, async () => {
      const m = readModel(path.join(MODELS, `${name}.onnx`));
      const s = inferShapes(m);
      assert.deepEqual(s.conflicts, []);
      assert.deepEqual(s.unsupportedOps, []);
      const out = await runAll(m, s, dir);
      const r = compare(m, s, out);
      assert.equal(r.checked, m.graph.nodes.reduce((k, n) => k + n.outputs.filter((o) => o).length, 0));
      assert.ok(r.values > 0);
    });
  }

  it('tiny_swin: the shift mask subgraph (ScatterND, Range, Where, ...) folds to the runtime\'s values', async () => {
    const m = readModel(path.join(MODELS, 'tiny_swin.onnx'));
    const s = inferShapes(m, { foldLimit: 1 << 16 });
    const scattered = m.graph.nodes.filter((n) => n.opType === 'ScatterND').map((n) => n.outputs[0]);
    assert.ok(scattered.length > 0);
    assert.ok(scattered.every((o) => s.tensors.get(o)?.value), 'every ScatterND folded');
    compare(m, s, await runAll(m, s, dir));
  });

  it('dynamic_vit: symbolic batch/height/width bound (batch 3; the size its position embedding fits)', async () => {
    const m = readModel(path.join(MODELS, 'dynamic_vit.onnx'));
    const s = inferShapes(m, { batch: 3 });
    assert.deepEqual(s.inputShapes.input, [3, 3, 32, 32]);
    assert.deepEqual(s.imageSize, [32, 32]);
    assert.deepEqual(s.conflicts, []);
    compare(m, s, await runAll(m, s, dir));
  });

  it('tiny_swin made dynamic (writer) at 24×24: padded windows, every shape as the runtime computes it', async () => {
    const dyn = dynamicTinySwin();
    const file = path.join(dir, 'dyn_swin.onnx');
    writeModel(dyn, file);
    const back = readModel(file);
    const s = inferShapes(back, { imageSize: 24 });
    assert.deepEqual(s.conflicts, []);
    // 12×12 tokens, window 4; stage 2 is 6×6, padded to 8×8 for its windows.
    const pads = back.graph.nodes.filter((n) => n.opType === 'Pad').map((n) => s.tensors.get(n.outputs[0])?.shape);
    assert.ok(pads.some((p) => p && p[1] === 8 && p[2] === 8), JSON.stringify(pads));
    compare(back, s, await runAll(back, s, dir));
    // At 40×40 the export's baked-in sizes do not fit: predicted as a conflict (the runtime fails there too).
    assert.ok(inferShapes(back, { imageSize: 40 }).conflicts.length > 0);
  });

  it('dynamic_vit at a size its position embedding does not fit reports a conflict, not a crash', () => {
    const m = readModel(path.join(MODELS, 'dynamic_vit.onnx'));
    const s = inferShapes(m, { imageSize: 48 });
    assert.ok(s.conflicts.length > 0);
    assert.match(s.conflicts[0].message, /broadcast/);
  });

  it('decomposed LayerNorm (opset 13 export) infers without conflicts', function () {
    const f = fixture(path.join(MODELS, 'swin_t_opset13.onnx'));
    const m = readModel(f);
    const s = inferShapes(m);
    assert.deepEqual(s.conflicts, []);
    const out = m.graph.outputs[0].name;
    assert.deepEqual(s.tensors.get(out)?.shape, [1, 1000]);
    assert.ok(m.graph.nodes.some((n) => n.opType === 'ReduceMean'));
  });

  // Single-op graphs with awkward attributes, each checked against the runtime.
  type Case = { name: string; opset?: number; build: (g: GraphBuilder) => void };
  const cases: Case[] = [
    { name: 'Conv pads/strides/dilations/groups', build: (g) => {
      const x = g.input('x', DataType.FLOAT, [1, 4, 17, 13]);
      const w = g.initializer('w', new Float32Array(6 * 2 * 3 * 5), [6, 2, 3, 5]);
      g.output(g.op('Conv', [x, w], { group: 2, strides: [2, 3], dilations: [2, 1], pads: [1, 0, 2, 1] }));
    } },
    { name: 'Conv auto_pad SAME_UPPER', build: (g) => {
      const x = g.input('x', DataType.FLOAT, [1, 3, 15, 15]);
      const w = g.initializer('w', new Float32Array(8 * 3 * 4 * 4), [8, 3, 4, 4]);
      g.output(g.op('Conv', [x, w], { auto_pad: 'SAME_UPPER', strides: [4, 4] }));
    } },
    { name: 'ConvTranspose with output_padding', build: (g) => {
      const x = g.input('x', DataType.FLOAT, [1, 4, 7, 5]);
      const w = g.initializer('w', new Float32Array(4 * 3 * 3 * 3), [4, 3, 3, 3]);
      g.output(g.op('ConvTranspose', [x, w], { strides: [2, 2], pads: [1, 1, 1, 1], output_padding: [1, 0] }));
    } },
    { name: 'MaxPool ceil_mode, AveragePool pads, GlobalAveragePool', build: (g) => {
      const x = g.input('x', DataType.FLOAT, [1, 2, 11, 10]);
      const m = g.node('MaxPool', [x], 2, { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 })[0];
      const a = g.op('AveragePool', [m], { kernel_shape: [2, 2], pads: [1, 1, 0, 0], count_include_pad: 1 });
      g.output(g.op('GlobalAveragePool', [a]));
    } },
    { name: 'Slice with negative steps and clamped ends', build: (g) => {
      const x = g.input('x', DataType.FLOAT, [6, 9, 4]);
      g.output(g.op('Slice', [x, g.int64([-1, 100]), g.int64([-100, -2]), g.int64([1, 0]), g.int64([-2, 3])]));
    } },
    { name: 'Gather, GatherElements, Split, Concat', build: (g) => {
      const x = g.input('x', DataType.FLOAT, [5, 6, 7]);
      const a = g.op('Gather', [x, g.int64([0, -1, 2, 3], [2, 2])], { axis: 1 });
      const [b, c] = g.node('Split', [a, g.int64([3, 4])], 2, { axis: -1 });
      g.output(g.op('Concat', [c, b], { axis: 3 }));
    } },
    { name: 'MatMul with 1-D and broadcast batch, Gemm transposed', build: (g) => {
      const x = g.input('x', DataType.FLOAT, [2, 1, 3, 4]);
      const y = g.input('y', DataType.FLOAT, [5, 4, 6]);
      const v = g.input('v', DataType.FLOAT, [6]);
      const m = g.op('MatMul', [x, y]);
      g.output(g.op('MatMul', [m, v]));
      const a = g.input('a', DataType.FLOAT, [7, 3]);
      const b = g.input('b', DataType.FLOAT, [5, 7]);
      g.output(g.op('Gemm', [a, b], { transA: 1, transB: 1 }));
    } },
    { name: 'Einsum (attention-style and implicit output)', build: (g) => {
      const q = g.input('q', DataType.FLOAT, [2, 3, 5, 8]);
      const k = g.input('k', DataType.FLOAT, [2, 3, 7, 8]);
      g.output(g.op('Einsum', [q, k], { equation: 'bhid,bhjd->bhij' }));
      const a = g.input('a', DataType.FLOAT, [4, 6]);
      const b = g.input('b', DataType.FLOAT, [6, 3]);
      g.output(g.op('Einsum', [a, b], { equation: 'ij,jk' }));
    } },
    { name: 'Reshape with 0 and -1, Flatten, Transpose, Squeeze/Unsqueeze', build: (g) => {
      const x = g.input('x', DataType.FLOAT, [2, 3, 4, 5]);
      const r = g.op('Reshape', [x, g.int64([0, -1, 10])]);
      const t = g.op('Transpose', [r], { perm: [2, 0, 1] });
      const u = g.op('Unsqueeze', [t, g.int64([0, -1])]);
      const s = g.op('Squeeze', [u, g.int64([0])]);
      g.output(g.op('Flatten', [s], { axis: 2 }));
    } },
    { name: 'Range, Tile, Expand, Where, ConstantOfShape', build: (g) => {
      const x = g.input('x', DataType.FLOAT, [3, 1]);
      const sh = g.op('Shape', [x]);
      const r = g.op('Range', [g.int64([2], []), g.int64([11], []), g.int64([3], [])]);
      const c = g.op('Cast', [r], { to: DataType.FLOAT });
      const e = g.op('Expand', [x, g.op('Concat', [sh.length ? g.int64([1, 3]) : sh], { axis: 0 })]);
      const w = g.op('Where', [g.op('Greater', [e, c]), e, c]);
      const t = g.op('Tile', [w, g.int64([2, 2])]);
      const z = g.op('ConstantOfShape', [g.op('Shape', [t])]);
      g.output(g.op('Add', [t, z]));
    } },
    { name: 'Pad, Resize by scales and by sizes, DepthToSpace', build: (g) => {
      const x = g.input('x', DataType.FLOAT, [1, 8, 5, 6]);
      const p = g.op('Pad', [x, g.int64([0, 0, 1, 2, 0, 0, 3, 0])]);
      const r1 = g.op('Resize', [p, '', g.float32([1, 1, 1.5, 0.5])], { mode: 'nearest' });
      const r2 = g.op('Resize', [r1, '', '', g.int64([1, 8, 4, 4])], { mode: 'linear' });
      g.output(g.op('DepthToSpace', [r2], { blocksize: 2 }));
    } },
    { name: 'ReduceMean with axes input (opset 18), ReduceSum, ArgMax, TopK', opset: 18, build: (g) => {
      const x = g.input('x', DataType.FLOAT, [2, 5, 7]);
      const m = g.op('ReduceMean', [x, g.int64([-1])], { keepdims: 1 });
      const s = g.op('ReduceSum', [x, g.int64([0, 2])], { keepdims: 0 });
      g.output(g.op('ArgMax', [m], { axis: 1, keepdims: 0 }), DataType.INT64);
      g.output(s);
      const [v] = g.node('TopK', [x, g.int64([3])], 2, { axis: 1 });
      g.output(v);
    } },
    { name: 'LayerNormalization, Softmax, Gelu (opset 20) and Split by num_outputs (opset 18)', opset: 20, build: (g) => {
      const x = g.input('x', DataType.FLOAT, [2, 9, 12]);
      const l = g.node('LayerNormalization', [x, g.float32(new Array(12).fill(1), [12])], 1, { axis: -1, epsilon: float(1e-5) })[0];
      const sm = g.op('Softmax', [l], { axis: 1 });
      const ge = g.op('Gelu', [sm]);
      const parts = g.node('Split', [ge], 3, { axis: 2, num_outputs: 3 });
      g.output(g.op('Mul', [parts[0], parts[2]]));
      void floats;
    } },
  ];
  for (const c of cases) {
    it(`op shapes: ${c.name}`, async () => {
      const g = new GraphBuilder({ opset: c.opset ?? 17 });
      c.build(g);
      const m = g.build();
      const s = inferShapes(m);
      assert.deepEqual(s.conflicts, []);
      assert.deepEqual(s.unsupportedOps, []);
      // Graph outputs declared without shapes; the runtime tells us.
      compare(m, s, await runAll(m, s, dir));
    });
  }

  it('a graph whose nodes are out of order is sorted; a cycle is reported, not looped on', () => {
    const g = new GraphBuilder();
    const x = g.input('x', DataType.FLOAT, [2, 3]);
    g.node('Relu', ['b'], ['c']);
    g.node('Neg', [x], ['b']);
    g.output('c');
    const m = g.build();
    const s = inferShapes(m);
    assert.deepEqual(s.tensors.get('c')?.shape, [2, 3]);
    const g2 = new GraphBuilder();
    g2.input('x', DataType.FLOAT, [2]);
    g2.node('Add', ['x', 'q'], ['p']);
    g2.node('Neg', ['p'], ['q']);
    g2.output('q');
    const s2 = inferShapes(g2.build());
    assert.equal(s2.tensors.get('q')?.shape, null);
    assert.ok(s2.warnings.some((w) => /cycle/.test(w)));
  });
});
