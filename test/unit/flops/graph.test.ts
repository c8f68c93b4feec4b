import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { analyzeGraph } from '../../../src/core/arch/analysis';
import { inspectModel } from '../../../src/core/arch/inspect';
import { analyticFlops } from '../../../src/core/flops/analytic';
import type { ModelConfig } from '../../../src/core/flops/config';
import { countGraphMacs } from '../../../src/core/flops/graph';
import { GraphBuilder, float } from '../../../src/core/onnx/builder';
import { DataType } from '../../../src/core/onnx/proto';
import { readModel } from '../../../src/core/onnx/reader';
import { inferShapes } from '../../../src/core/onnx/shapes';

const MODELS = path.resolve(process.cwd(), 'test/fixtures/models');
const fixture = (n: string): string => path.join(MODELS, `${n}.onnx`);

function graphCount(build: (g: GraphBuilder) => void, opset = 17) {
  const g = new GraphBuilder({ opset });
  build(g);
  const m = g.build();
  return countGraphMacs(analyzeGraph(m, inferShapes(m)));
}

const rel = (a: number, b: number): number => Math.abs(a - b) / b;

describe('graph MAC count', () => {
  // The papers' totals (MACs, which they call FLOPs): official Swin flops() and the ViT paper.
  const published: [string, number, number][] = [
    ['swin_t', 4.494e9, 0.005],
    ['swin_s', 8.747e9, 0.005],
    ['swin_b', 15.438e9, 0.005],
    ['vit_b_16', 17.6e9, 0.005],
    ['vit_l_16', 61.6e9, 0.005],
  ];
  for (const [name, macs, tol] of published) {
    it(`${name}: Conv/MatMul/Gemm MACs within ${tol * 100}% of the published ${macs / 1e9} G and of the analytic count for the detected config`, () => {
      const r = inspectModel(fixture(name));
      assert.ok(rel(r.macs, macs) < tol, `${r.macs} vs ${macs}`);
      const c = r.config;
      const cfg: ModelConfig = {
        family: r.family as 'vit' | 'swin',
        imageSize: c.imageSize as number,
        patchSize: c.patchSize as number,
        embedDim: c.embedDim as number,
        depths: c.depths as number[],
        heads: c.heads as number[],
        mlpRatio: c.mlpRatio as number,
        windowSize: c.windowSize,
        numClasses: c.numClasses as number,
        extraTokens: c.extraTokens,
      };
      const an = analyticFlops(cfg);
      assert.ok(rel(r.macs, an.macs) < 0.005, `graph ${r.macs} vs analytic ${an.macs}`);
      // Term by term: every matrix-product role agrees (norms are counted apart from MACs here).
      for (const role of ['patchEmbed', 'qkv', 'attnScores', 'attnValues', 'attnProj', 'mlp', 'merge', 'head'] as const) {
        if (an.byRole[role] === 0) assert.equal(r.byRole[role], 0, role);
        else assert.ok(rel(r.byRole[role], an.byRole[role]) < 0.005, `${role}: graph ${r.byRole[role]} vs analytic ${an.byRole[role]}`);
      }
      assert.equal(r.byRole.other, 0);
    });
  }

  it('Swin-T by role, exactly: 3NC² for qkv over the padded windows, M²·N·C for QKᵀ and A·V', () => {
    const r = inspectModel(fixture('swin_t'));
    const stages = [
      [56, 96, 2],
      [28, 192, 2],
      [14, 384, 6],
      [7, 768, 2],
    ];
    let qkv = 0;
    let scores = 0;
    let mlp = 0;
    for (const [h, C, d] of stages) {
      qkv += d * h * h * 3 * C * C;
      scores += d * h * h * 49 * C;
      mlp += d * 2 * h * h * C * 4 * C;
    }
    assert.equal(r.byRole.qkv, qkv);
    assert.equal(r.byRole.attnScores, scores);
    assert.equal(r.byRole.attnValues, scores);
    assert.equal(r.byRole.mlp, mlp);
    assert.equal(r.byRole.patchEmbed, 56 * 56 * 96 * 3 * 16);
    assert.equal(r.byRole.head, 768 * 1000);
    // Softmax over every score; one normalisation per LayerNorm input element.
    assert.equal(r.softmax, scores / 32);
  });

  it('gives every MatMul/Gemm/Conv of tiny_swin its role', () => {
    const m = readModel(fixture('tiny_swin'));
    const a = analyzeGraph(m, inferShapes(m));
    const count: Record<string, number> = {};
    a.nodes.forEach((n, i) => {
      if (['MatMul', 'Gemm', 'Conv'].includes(n.opType)) count[a.roles[i]] = (count[a.roles[i]] ?? 0) + 1;
    });
    assert.deepEqual(count, { patchEmbed: 1, qkv: 4, attnScores: 4, attnValues: 4, attnProj: 4, mlp: 8, merge: 1, head: 1 });
  });

  it('Conv: out elements × Cin/group × kernel, with strides, dilations and groups', () => {
    const c = graphCount((g) => {
      const x = g.input('x', DataType.FLOAT, [2, 8, 20, 20]);
      const w = g.initializer('w', new Float32Array(16 * 2 * 3 * 3), [16, 2, 3, 3]);
      g.output(g.op('Conv', [x, w], { group: 4, strides: [2, 2], dilations: [2, 2], pads: [2, 2, 2, 2] }));
    });
    assert.equal(c.macs, 2 * 16 * 10 * 10 * (2 * 3 * 3));
  });

  it('ConvTranspose: input elements × Cout/group × kernel', () => {
    const c = graphCount((g) => {
      const x = g.input('x', DataType.FLOAT, [1, 4, 5, 5]);
      const w = g.initializer('w', new Float32Array(4 * 6 * 2 * 2), [4, 6, 2, 2]);
      g.output(g.op('ConvTranspose', [x, w], { strides: [2, 2] }));
    });
    assert.equal(c.macs, 4 * 5 * 5 * 6 * 4);
  });

  it('MatMul with broadcast batches and 1-D operands; Gemm with transA; Einsum', () => {
    const c = graphCount((g) => {
      const a = g.input('a', DataType.FLOAT, [2, 1, 3, 4]);
      const b = g.input('b', DataType.FLOAT, [5, 4, 6]);
      const v = g.input('v', DataType.FLOAT, [6]);
      const ab = g.op('MatMul', [a, b]); // [2,5,3,6]: 180 outputs × 4
      g.output(g.op('MatMul', [ab, v])); // [2,5,3]: 30 × 6
      const p = g.input('p', DataType.FLOAT, [7, 3]);
      const q = g.input('q', DataType.FLOAT, [7, 9]);
      g.output(g.op('Gemm', [p, q], { transA: 1 })); // [3,9] × 7
      const e1 = g.input('e1', DataType.FLOAT, [2, 3, 5, 8]);
      const e2 = g.input('e2', DataType.FLOAT, [2, 3, 7, 8]);
      g.output(g.op('Einsum', [e1, e2], { equation: 'bhid,bhjd->bhij' })); // 2·3·5·7·8
    });
    assert.equal(c.macs, 180 * 4 + 30 * 6 + 27 * 7 + 2 * 3 * 5 * 7 * 8);
  });

  it('element-wise, Softmax and normalisation work are counted apart; folded shape arithmetic costs nothing', () => {
    const c = graphCount((g) => {
      const x = g.input('x', DataType.FLOAT, [1, 10, 16]);
      const sh = g.op('Shape', [x]);
      const n = g.op('Gather', [sh, g.int64([1], [])]);
      const n2 = g.op('Mul', [n, g.int64([2], [])]); // folded: free
      const r = g.op('Reshape', [x, g.op('Concat', [g.int64([1]), g.op('Unsqueeze', [n2, g.int64([0])]), g.int64([8])], { axis: 0 })]);
      const ln = g.op('LayerNormalization', [r, g.float32(new Array(8).fill(1), [8])], { epsilon: float(1e-5) });
      const a = g.op('Add', [ln, g.float32([1], [])]); // 160
      const s = g.op('Softmax', [a], { axis: -1 }); // 160
      g.output(g.op('Erf', [s])); // 160
    });
    assert.equal(c.macs, 0);
    assert.equal(c.elementwise, 320);
    assert.equal(c.softmax, 160);
    assert.equal(c.norm, 160);
  });

  it('a LayerNorm decomposed into ReduceMean/Sub/Pow/Sqrt/Div (opset 13) counts as one normalisation', () => {
    const c = graphCount((g) => {
      const x = g.input('x', DataType.FLOAT, [1, 6, 32]);
      const mean = g.op('ReduceMean', [x], { axes: [-1] });
      const d = g.op('Sub', [x, mean]);
      const v = g.op('ReduceMean', [g.op('Pow', [d, g.float32([2], [])])], { axes: [-1] });
      const y = g.op('Div', [d, g.op('Sqrt', [g.op('Add', [v, g.float32([1e-5], [])])])]);
      const z = g.op('Add', [g.op('Mul', [y, g.float32(new Array(32).fill(1), [32])]), g.float32(new Array(32).fill(0), [32])]);
      g.output(g.op('Relu', [z]));
    }, 13);
    assert.equal(c.norm, 6 * 32);
    assert.equal(c.elementwise, 6 * 32); // the Relu only
    assert.ok(c.nodes.slice(0, 9).every((n) => n.role === 'norm'));
  });
});
