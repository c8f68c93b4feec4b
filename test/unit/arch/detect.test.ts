import { strict as assert } from 'node:assert';
import * as ort from 'onnxruntime-node';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { analyzeGraph } from '../../../src/core/arch/analysis';
import { detectArchitecture } from '../../../src/core/arch/detect';
import { countParams } from '../../../src/core/arch/parameters';
import type { OnnxModel } from '../../../src/core/onnx/model';
import { readModel } from '../../../src/core/onnx/reader';
import { inferShapes } from '../../../src/core/onnx/shapes';
import { writeModel } from '../../../src/core/onnx/writer';
import { GraphBuilder } from '../../../src/core/onnx/builder';
import { DataType } from '../../../src/core/onnx/proto';
import { fixture } from '../../skip';

const MODELS = path.resolve(process.cwd(), 'test/fixtures/models');

interface Expected {
  family: string;
  params: number;
  config: Record<string, unknown>;
}

/** Every model with committed expectations, named here so that a lost .expected.json fails instead of dropping out. */
const EXPECTED = [
  'deit_s_distilled',
  'dynamic_vit',
  'resnet18',
  'swin_b',
  'swin_s',
  'swin_t',
  'swin_t_opset13',
  'swin_v2_t',
  'tiny_deit',
  'tiny_hybrid',
  'tiny_hybrid_resnet',
  'tiny_registers',
  'tiny_swin',
  'tiny_swin_fp16',
  'tiny_swin_int8_dyn',
  'tiny_swin_ort_all',
  'tiny_swin_ort_extended',
  'tiny_swin_qdq',
  'tiny_swin_v2',
  'tiny_vit',
  'tiny_vit_fp16',
  'tiny_vit_fused_attention',
  'tiny_vit_int4',
  'tiny_vit_int8_dyn',
  'tiny_vit_ort_all',
  'tiny_vit_ort_extended',
  'tiny_vit_qdq',
  'vit_b_16',
  'vit_b_16_int8_dyn',
  'vit_b_16_qdq',
  'vit_b_32',
  'vit_l_16',
];

function expectedFixtures(): string[] {
  return [...EXPECTED];
}

function detect(m: OnnxModel) {
  const a = analyzeGraph(m, inferShapes(m));
  return { a, det: detectArchitecture(a), params: countParams(a) };
}

describe('arch detection: family, config and params of every fixture', () => {
  const names = expectedFixtures();

  it('names every committed .expected.json (a new one is not silently left out)', () => {
    const onDisk = fs.readdirSync(MODELS).filter((f) => f.endsWith('.expected.json')).map((f) => f.replace('.expected.json', '')).sort();
    assert.deepStrictEqual(onDisk, [...EXPECTED].sort());
  });

  it('has the fixtures the issue names', () => {
    for (const n of ['vit_b_16', 'vit_b_32', 'vit_l_16', 'swin_t', 'swin_s', 'swin_b', 'deit_s_distilled', 'tiny_vit', 'tiny_swin', 'tiny_deit', 'dynamic_vit']) {
      assert.ok(names.includes(n), `missing fixture ${n}`);
    }
  });

  for (const name of names) {
    it(`${name}: family, params (exactly PyTorch's count) and config`, () => {
      const exp = JSON.parse(fs.readFileSync(fixture(path.join(MODELS, `${name}.expected.json`)), 'utf8')) as Expected;
      const { det, params } = detect(readModel(path.join(MODELS, `${name}.onnx`)));
      assert.equal(det.family, exp.family);
      assert.equal(params.params, exp.params, `params: ${JSON.stringify(params.adjusted.slice(0, 3))}`);
      const got = Object.fromEntries(Object.keys(exp.config).map((k) => [k, (det.config as unknown as Record<string, unknown>)[k]]));
      assert.deepEqual(got, exp.config);
    });
  }

  it('Swin-T: stages with their token grids, windows and shifted blocks; the bias tables counted as (2M−1)²·heads', () => {
    const { det, params } = detect(readModel(path.join(MODELS, 'swin_t.onnx')));
    assert.deepEqual(
      det.stages.map((s) => [s.tokens, s.dim, s.heads, s.depth, s.window, s.blocks.filter((b) => b.shifted).length]),
      [
        [[56, 56], 96, 3, 2, 7, 1],
        [[28, 28], 192, 6, 2, 7, 1],
        [[14, 14], 384, 12, 6, 7, 3],
        [[7, 7], 768, 24, 2, 7, 0],
      ],
    );
    // Stage 4 is 7×7 with window 7: torchvision drops the shift there.
    assert.deepEqual(det.stages[0].blocks.map((b) => b.shift), [0, 3]);
    const rel = params.adjusted.filter((x) => /relative position/.test(x.reason));
    assert.equal(rel.length, 12);
    assert.deepEqual(rel.slice(0, 2).map((x) => [x.elements, x.counted]), [
      [3 * 49 * 49, 169 * 3],
      [3 * 49 * 49, 169 * 3],
    ]);
  });

  it('ResNet-18 is "other", with PyTorch\'s parameter count despite the exporter folding BatchNorm into the convolutions', function () {
    const f = fixture(path.join(MODELS, 'resnet18.onnx'));
    const { det, params } = detect(readModel(f));
    assert.equal(det.family, 'other');
    assert.equal(params.params, 11689512);
    assert.equal(det.config.numClasses, 1000);
  });

  it('a Hugging Face-style ViT (separate Q/K/V projections, symbolic pixel_values, Div scaling) is detected', async () => {
    const C = 16;
    const H = 2;
    const P = 4;
    const S = 16;
    const K = 5;
    const L = 2;
    const N = (S / P) ** 2 + 1;
    let seed = 1;
    const rnd = (n: number): Float32Array => Float32Array.from({ length: n }, () => ((seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5) * 0.2);
    const g = new GraphBuilder({ opset: 17 });
    const px = g.input('pixel_values', DataType.FLOAT, ['batch_size', 'num_channels', 'height', 'width']);
    const conv = g.op('Conv', [px, g.initializer('pe.w', rnd(C * 3 * P * P), [C, 3, P, P]), g.initializer('pe.b', rnd(C), [C])], { kernel_shape: [P, P], strides: [P, P] }, '/vit/embeddings/patch_embeddings/projection/Conv');
    const tokens = g.op('Transpose', [g.op('Reshape', [conv, g.int64([0, C, -1])])], { perm: [0, 2, 1] });
    const cls = g.op('Expand', [g.initializer('cls', rnd(C), [1, 1, C]), g.int64([1, 1, C])]);
    let x = g.op('Add', [g.op('Concat', [cls, tokens], { axis: 1 }), g.initializer('pos', rnd(N * C), [1, N, C])]);
    const lin = (inp: string, i: number, o: number, name: string): string =>
      g.op('Add', [g.op('MatMul', [inp, g.initializer(`${name}.w`, rnd(i * o), [i, o])], {}, `/${name}/MatMul`), g.initializer(`${name}.b`, rnd(o), [o])], {}, `/${name}/Add`);
    const ln = (inp: string, name: string): string =>
      g.op('LayerNormalization', [inp, g.initializer(`${name}.g`, rnd(C), [C]), g.initializer(`${name}.b`, rnd(C), [C])], { axis: -1 }, `/${name}/LayerNormalization`);
    for (let l = 0; l < L; l++) {
      const p = `vit/encoder/layer.${l}`;
      const h = ln(x, `${p}/layernorm_before`);
      const heads = (t: string): string => g.op('Transpose', [g.op('Reshape', [t, g.int64([0, 0, H, C / H])])], { perm: [0, 2, 1, 3] });
      const q = heads(lin(h, C, C, `${p}/attention/attention/query`));
      const k = heads(lin(h, C, C, `${p}/attention/attention/key`));
      const v = heads(lin(h, C, C, `${p}/attention/attention/value`));
      const s = g.op('Div', [g.op('MatMul', [q, g.op('Transpose', [k], { perm: [0, 1, 3, 2] })]), g.float32([Math.sqrt(C / H)], [])]);
      const pr = g.op('Softmax', [s], { axis: -1 }, `/${p}/attention/attention/Softmax`);
      const ctx = g.op('Reshape', [g.op('Transpose', [g.op('MatMul', [pr, v])], { perm: [0, 2, 1, 3] }), g.int64([0, 0, C])]);
      x = g.op('Add', [lin(ctx, C, C, `${p}/attention/output/dense`), x]);
      const h2 = ln(x, `${p}/layernorm_after`);
      const a = lin(h2, C, 4 * C, `${p}/intermediate/dense`);
      const gelu = g.op('Mul', [g.op('Mul', [a, g.op('Add', [g.op('Erf', [g.op('Div', [a, g.float32([Math.SQRT2], [])])]), g.float32([1], [])])]), g.float32([0.5], [])]);
      x = g.op('Add', [lin(gelu, 4 * C, C, `${p}/output/dense`), x]);
    }
    const pooled = g.op('Gather', [ln(x, 'vit/layernorm'), g.int64([0], [])], { axis: 1 });
    g.output(lin(pooled, C, K, 'classifier'), DataType.FLOAT, ['batch_size', K]);
    const m = g.build();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vit-hf-'));
    try {
      const file = path.join(dir, 'hf_vit.onnx');
      writeModel(m, file);
      const back = readModel(file);
      const { det, params } = detect(back);
      assert.equal(det.family, 'vit');
      // pixel_values is fully dynamic; 224² does not fit the 17-token position embedding, so its size, 16², is used.
      assert.deepEqual(det.config, { imageSize: S, patchSize: P, embedDim: C, depths: [L], heads: [H], mlpRatio: 4, windowSize: null, shiftSize: null, extraTokens: 1, registers: 0, numClasses: K, precision: 'fp32', quantization: null, backbone: null });
      const perLayer = 4 * C + 4 * (C * C + C) + (C * 4 * C + 4 * C) + (4 * C * C + C);
      assert.equal(params.params, C * 3 * P * P + C + C + N * C + L * perLayer + 2 * C + C * K + K);
      // The graph is a real one: the runtime runs it.
      const sess = await ort.InferenceSession.create(file);
      const out = await sess.run({ pixel_values: new ort.Tensor('float32', new Float32Array(3 * S * S).fill(0.5), [1, 3, S, S]) });
      assert.deepEqual(out[m.graph.outputs[0].name].dims, [1, K]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('does not read node or tensor names: an anonymised model is detected the same', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vit-anon-'));
    try {
      for (const name of ['tiny_swin', 'tiny_deit', 'vit_b_16']) {
        const m = readModel(path.join(MODELS, `${name}.onnx`));
        const rename = new Map<string, string>();
        const keep = new Set([...m.graph.inputs, ...m.graph.outputs].map((v) => v.name));
        const nm = (x: string): string => {
          if (!x || keep.has(x)) return x;
          let r = rename.get(x);
          if (!r) rename.set(x, (r = `t${rename.size}`));
          return r;
        };
        const anon: OnnxModel = {
          ...m,
          graph: {
            ...m.graph,
            nodes: m.graph.nodes.map((n, i) => ({ ...n, span: undefined, name: `n${i}`, inputs: n.inputs.map(nm), outputs: n.outputs.map(nm) })),
            initializers: m.graph.initializers.map((t) => ({ ...t, span: undefined, name: nm(t.name) })),
            valueInfo: [],
          },
        };
        const file = path.join(dir, `${name}.onnx`);
        writeModel(anon, file);
        const back = readModel(file);
        assert.ok(back.graph.nodes.every((n) => /^n\d+$/.test(n.name)));
        const a = detect(readModel(path.join(MODELS, `${name}.onnx`)));
        const b = detect(back);
        assert.equal(b.det.family, a.det.family, name);
        assert.deepEqual(b.det.config, a.det.config, name);
        assert.equal(b.params.params, a.params.params, name);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
  it('a QDQ export: every attention block is found through QuantizeLinear/DequantizeLinear as in its float twin (QKᵀ, A·V, projections, shifts)', () => {
    for (const [qdq, twin] of [['tiny_vit_qdq', 'tiny_vit'], ['tiny_swin_qdq', 'tiny_swin']]) {
      const q = detect(readModel(fixture(path.join(MODELS, `${qdq}.onnx`))));
      const t = detect(readModel(path.join(MODELS, `${twin}.onnx`)));
      // Q/DQ pairs sit between the scaled Q, Kᵀ and their product, and around every projection's input.
      assert.ok(q.a.nodes.filter((n) => n.opType === 'DequantizeLinear').length > 20, qdq);
      const shape = (r: typeof q) => r.a.attentions.map((at) => ({
        ops: [at.scores, at.values, at.proj].map((i) => (i === null ? null : r.a.nodes[i].opType)),
        qkv: at.qkv.map((i) => r.a.nodes[i].opType),
        sizes: [at.heads, at.tokens, at.headDim, at.dim, at.windows],
      }));
      assert.deepEqual(shape(q), shape(t), qdq);
      assert.ok(shape(q).every((b) => b.ops[0] === 'MatMul' && b.ops[1] === 'MatMul' && b.ops[2] !== null && b.qkv.length > 0), qdq);
      assert.deepEqual(q.det.stages.map((s) => s.blocks.map((b) => b.shift)), t.det.stages.map((s) => s.blocks.map((b) => b.shift)), qdq);
    }
  });
});
