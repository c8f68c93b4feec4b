/**
 * Models as users get them (issue 9): fp16, dynamic int8, QDQ int8, ONNX Runtime-optimised
 * ('extended', 'all'), fused com.microsoft.Attention and 4-bit MatMulNBits twins of the tiny fp32
 * fixtures, and structure-only ViT-B/16 in both int8 forms (all made by
 * tools/make_quant_fixtures.py). Each must read as its fp32 twin: family, config, PyTorch's
 * parameter count, MACs within 0.5%.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { inspectLoadedModel, inspectModel, type InspectResult } from '../../../src/core/arch/inspect';
import { DataType } from '../../../src/core/onnx/proto';
import { readModel } from '../../../src/core/onnx/reader';
import type { TreeNode } from '../../../src/core/arch/tree';
import { fusedMhaModel } from '../helpers/models';

const MODELS = path.resolve(process.cwd(), 'test/fixtures/models');
const fixture = (n: string): string => path.join(MODELS, `${n}.onnx`);
const expected = (n: string): { params: number; family: string } => JSON.parse(fs.readFileSync(path.join(MODELS, `${n}.expected.json`), 'utf8'));

/** Twin file → [fp32 twin, precision, quantization]. */
const KINDS: [string, string, string, string | null][] = [
  ['tiny_vit_fp16', 'tiny_vit', 'fp16', null],
  ['tiny_vit_int8_dyn', 'tiny_vit', 'int8', 'dynamic'],
  ['tiny_vit_qdq', 'tiny_vit', 'int8', 'qdq'],
  ['tiny_vit_ort_extended', 'tiny_vit', 'fp32', null],
  ['tiny_vit_ort_all', 'tiny_vit', 'fp32', null],
  ['tiny_vit_fused_attention', 'tiny_vit', 'fp32', null],
  ['tiny_vit_int4', 'tiny_vit', 'mixed', null],
  ['tiny_swin_fp16', 'tiny_swin', 'fp16', null],
  ['tiny_swin_int8_dyn', 'tiny_swin', 'int8', 'dynamic'],
  ['tiny_swin_qdq', 'tiny_swin', 'int8', 'qdq'],
  ['tiny_swin_ort_extended', 'tiny_swin', 'fp32', null],
  ['tiny_swin_ort_all', 'tiny_swin', 'fp32', null],
  ['vit_b_16_int8_dyn', 'vit_b_16', 'int8', 'dynamic'],
  ['vit_b_16_qdq', 'vit_b_16', 'int8', 'qdq'],
];

function stageShifts(r: InspectResult): number[] {
  return r.stages.map((s) => s.shiftedBlocks);
}

function collect(t: TreeNode, f: (t: TreeNode) => void): void {
  f(t);
  for (const c of t.children) collect(c, f);
}

describe('arch: fp16, int8, QDQ, ORT-optimised and fused graphs read as their fp32 twin', () => {
  const twins = new Map<string, InspectResult>();
  const twin = (n: string): InspectResult => {
    if (!twins.has(n)) twins.set(n, inspectModel(fixture(n)));
    return twins.get(n)!;
  };

  for (const [name, of, precision, quantization] of KINDS) {
    it(`${name}: family, config, params (= PyTorch's) and MACs (within 0.5%) of ${of}; precision ${precision}${quantization ? `, ${quantization}` : ''}`, () => {
      const r = inspectModel(fixture(name));
      const t = twin(of);
      assert.equal(r.family, t.family);
      const { precision: p, quantization: q, ...config } = r.config;
      const { precision: tp, quantization: tq, ...twinConfig } = t.config;
      assert.deepEqual(config, twinConfig);
      assert.equal(tp, 'fp32');
      assert.equal(tq, null);
      assert.equal(p, precision);
      assert.equal(q, quantization);
      assert.equal(r.params, expected(of).params);
      assert.equal(r.params, expected(name).params);
      assert.ok(Math.abs(r.macs - t.macs) <= 0.005 * t.macs, `MACs ${r.macs} vs ${t.macs}`);
      assert.deepEqual(stageShifts(r), stageShifts(t));
      assert.deepEqual(
        Object.entries(r.byRole).filter(([, v]) => v > 0).map(([k]) => k).sort(),
        Object.entries(t.byRole).filter(([, v]) => v > 0).map(([k]) => k).sort(),
      );
      assert.ok(!r.warnings.some((w) => /No shape rule|unknown shapes/.test(w)), r.warnings.join('\n'));
    });
  }

  it('ViT-B/16 int8 (structure only): 86,567,656 params as PyTorch counts them, 17.56 GMACs like fp32', () => {
    for (const n of ['vit_b_16_int8_dyn', 'vit_b_16_qdq']) {
      const r = inspectModel(fixture(n));
      assert.equal(r.params, 86567656);
      assert.equal(r.macs, 17563828224);
    }
  });

  it('a fused com.microsoft.Attention graph: heads and tokens from the op, MACs by role, the fused block in the tree, a line saying why it cannot be tapped', () => {
    const r = inspectModel(fixture('tiny_vit_fused_attention'));
    const t = twin('tiny_vit');
    for (const role of ['qkv', 'attnScores', 'attnValues'] as const) assert.equal(r.byRole[role], t.byRole[role], role);
    const ops: string[] = [];
    collect(r.tree, (n) => n.op && ops.push(n.op));
    assert.equal(ops.filter((o) => o === 'Attention').length, 2);
    assert.ok(r.warnings.some((w) => /fused operators.*cannot be tapped/.test(w)));
  });

  it('a fused com.microsoft.MultiHeadAttention: heads from its attribute, QKᵀ and A·V MACs from its shapes', () => {
    const r = inspectLoadedModel(fusedMhaModel());
    assert.equal(r.family, 'vit');
    assert.deepEqual([r.config.heads, r.config.depths, r.config.embedDim, r.config.patchSize], [[2], [1], 32, 8]);
    assert.equal(r.byRole.attnScores, 16 * 16 * 32);
    assert.equal(r.byRole.attnValues, 16 * 16 * 32);
    assert.equal(r.byRole.qkv, 0);
    assert.equal(r.macs, 16 * 32 * 3 * 64 + 2 * 16 * 16 * 32 + 32 * 10);
  });

  it('an ONNX Runtime "all"-level file (com.microsoft.nchwc ops) says it is tied to one CPU layout and what to open instead; "extended" (no layout ops) says nothing of it', () => {
    for (const n of ['tiny_vit_ort_all', 'tiny_swin_ort_all']) {
      const w = inspectModel(fixture(n)).warnings.filter((x) => /nchwc/.test(x));
      assert.equal(w.length, 1, `${n}: ${JSON.stringify(w)}`);
      assert.match(w[0], new RegExp(`^${n}\\.onnx was saved by ONNX Runtime after its CPU layout optimisations \\(com\\.microsoft\\.nchwc operators: Conv, ReorderOutput\\)`));
      assert.match(w[0], /does not run on a GPU provider/);
      assert.match(w[0], /ORT_ENABLE_EXTENDED/);
    }
    assert.deepEqual(inspectModel(fixture('tiny_vit_ort_extended')).warnings.filter((x) => /nchwc|layout/.test(x)), []);
  });

  it('int4 MatMulNBits: counted as its K·N weights, with a line saying what the 4-bit weights are', () => {
    const r = inspectModel(fixture('tiny_vit_int4'));
    assert.equal(r.params, expected('tiny_vit').params);
    assert.ok(r.warnings.some((w) => /MatMulNBits.*4-bit/.test(w)), r.warnings.join('\n'));
  });

  it('bad input: an op, a weight type or a quantization scheme not understood is shown with a line saying so, never an internal error', () => {
    const m = readModel(fixture('tiny_vit_int8_dyn'));
    // An unknown vendor's quantized matmul in place of one MatMulInteger, and an int16 weight.
    const k = m.graph.nodes.findIndex((n) => n.opType === 'MatMulInteger');
    const nodes = m.graph.nodes.map((n, i) => (i === k ? { ...n, opType: 'QFancyMatMul', domain: 'com.example' } : n));
    const w = m.graph.nodes.filter((n) => n.opType === 'MatMulInteger')[2].inputs[1];
    const initializers = m.graph.initializers.map((t) => (t.name === w ? { ...t, dataType: DataType.INT16 } : t));
    const r = inspectLoadedModel({ ...m, graph: { ...m.graph, nodes, initializers } });
    assert.equal(r.family, 'vit');
    assert.equal(r.config.precision, 'mixed');
    assert.equal(r.config.quantization, 'dynamic');
    assert.ok(r.warnings.some((x) => /No shape rule for com\.example\.QFancyMatMul/.test(x)), r.warnings.join('\n'));
    assert.ok(r.warnings.some((x) => /Weights of type INT16 are not one of fp32, fp16, bf16 or int8/.test(x)), r.warnings.join('\n'));
  });

  it('an fp16 model with an fp32 input (mixed-dtype graph, Cast at the entry) reads as fp16 with its twin\'s config', () => {
    const m = readModel(fixture('tiny_vit_fp16'));
    const inp = m.graph.inputs[0];
    const t = inp.type!;
    const cast = { name: 'input_cast', opType: 'Cast', domain: '', inputs: [inp.name], outputs: ['input_fp16'], attributes: [{ name: 'to', type: 'int' as const, value: DataType.FLOAT16 }] };
    const nodes = [cast, ...m.graph.nodes.map((n) => ({ ...n, inputs: n.inputs.map((x) => (x === inp.name ? 'input_fp16' : x)) }))];
    const inputs = [{ name: inp.name, type: { ...t, elemType: DataType.FLOAT } as typeof t }];
    const r = inspectLoadedModel({ ...m, graph: { ...m.graph, nodes, inputs } });
    const base = twinConfig('tiny_vit');
    const { precision, quantization, ...config } = r.config;
    assert.deepEqual(config, base);
    assert.equal(precision, 'fp16');
    assert.equal(quantization, null);
    assert.equal(r.params, expected('tiny_vit').params);
  });
});

function twinConfig(n: string): Omit<InspectResult['config'], 'precision' | 'quantization'> {
  const { precision, quantization, ...rest } = inspectModel(fixture(n)).config;
  void precision;
  void quantization;
  return rest;
}
