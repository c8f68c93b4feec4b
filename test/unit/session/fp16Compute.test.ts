/**
 * Which providers compute an fp16 checkpoint in fp16 (runsFp16), what the user is told
 * (computeText), and the fp16-compute graph itself (core/checkpoint/fp16.ts): the weights used as
 * stored, no float32 left inside, the input and the outputs float32.
 */
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { buildCheckpoint } from '../../../src/core/checkpoint';
import { fp16ComputeEligible, toFp16Compute, weightsPrecision } from '../../../src/core/checkpoint/fp16';
import { planCapture } from '../../../src/core/attention/capture';
import { DataType } from '../../../src/core/onnx/proto';
import type { OnnxModel } from '../../../src/core/onnx/model';
import { adapterText, computeText, describeAdapter, runsFp16 } from '../../../src/core/session/providers';

const FIX = resolve('test/fixtures/checkpoints');

describe('fp16 compute: which provider runs fp16', () => {
  const swiftshader = describeAdapter('SwiftShader Device (Subzero)', 'libvk_swiftshader.so');
  const nvidia = describeAdapter('NVIDIA GeForce RTX 3060', 'libGLX_nvidia.so.0');

  it('cuda and dml do; cpu and coreml (NeuralNetwork format) do not', () => {
    assert.equal(runsFp16('cuda').fp16, true);
    assert.equal(runsFp16('dml').fp16, true);
    assert.equal(runsFp16('cpu').fp16, false);
    assert.equal(runsFp16('coreml').fp16, false);
    assert.match(runsFp16('coreml').why, /NeuralNetwork/);
    assert.equal(runsFp16('tensorrt').fp16, false, 'a provider not known to run fp16 does not');
  });

  it('webgpu only on an adapter the probe found with shader-f16; unknown or without it: no', () => {
    assert.equal(runsFp16('webgpu', { ...nvidia, shaderF16: true }).fp16, true);
    assert.equal(runsFp16('webgpu', { ...swiftshader, shaderF16: false }).fp16, false);
    assert.match(runsFp16('webgpu', { ...swiftshader, shaderF16: false }).why, /"SwiftShader Device \(Subzero\)" has no shader-f16/);
    assert.equal(runsFp16('webgpu', nvidia).fp16, false, 'not probed: not known');
    assert.equal(runsFp16('webgpu', { ...nvidia, shaderF16: null }).fp16, false);
    assert.equal(runsFp16('webgpu', null).fp16, false);
    assert.equal(runsFp16('webgpu').fp16, false);
  });

  it('the policy forces it either way', () => {
    assert.equal(runsFp16('cpu', null, 'always').fp16, true);
    assert.equal(runsFp16('cuda', null, 'never').fp16, false);
    assert.equal(runsFp16('webgpu', { ...nvidia, shaderF16: true }, 'never').fp16, false);
  });

  it('the precision shown: computed in fp16 on which provider, or fp16/bf16 weights computed in fp32; nothing for fp32', () => {
    assert.equal(computeText('fp16', true, 'cuda'), 'fp16 (computed in fp16 on cuda)');
    assert.equal(computeText('fp16', false, 'webgpu'), 'fp16 weights, computed in fp32');
    assert.equal(computeText('bf16', false, 'cuda'), 'bf16 weights, computed in fp32');
    assert.equal(computeText('bf16', true, 'cuda'), 'bf16 weights, computed in fp32', 'bf16 is never computed in fp16');
    assert.equal(computeText('fp32', false, 'cpu'), null);
    assert.equal(computeText(null, false, 'cpu'), null);
  });

  it('the adapter line says whether it has shader-f16 once probed', () => {
    assert.match(adapterText({ ...swiftshader, shaderF16: false }), /\(cpu, no shader-f16\)/);
    assert.match(adapterText({ ...nvidia, shaderF16: true }), /\(discrete, shader-f16\)/);
    assert.doesNotMatch(adapterText(nvidia), /shader-f16/);
  });
});

describe('fp16 compute: the graph', () => {
  const initializerCasts = (m: OnnxModel): number => {
    const inits = new Set(m.graph.initializers.map((t) => t.name));
    return m.graph.nodes.filter((n) => n.opType === 'Cast' && inits.has(n.inputs[0])).length;
  };

  for (const name of ['hf-vit-fp16', 'timm-vit-fp16', 'swin/hf_A_fp16']) {
    it(`${name}: weights used as stored (no Cast), constants float16, input Cast in, outputs Cast back to float32`, () => {
      const b = buildCheckpoint(join(FIX, name));
      assert.equal(weightsPrecision(b.model), 'fp16');
      assert.equal(fp16ComputeEligible(b.model), true);
      const weights = b.model.graph.initializers.filter((t) => t.data.location === 'external').length;
      assert.equal(initializerCasts(b.model), weights, 'the fp32 graph casts every weight');
      const h = toFp16Compute(b.model);
      assert.equal(initializerCasts(h), 0);
      assert.equal(h.graph.initializers.filter((t) => t.dataType === DataType.FLOAT).length, 0, 'no float32 initializer left');
      assert.deepEqual(h.graph.inputs.map((i) => i.type?.kind === 'tensor' && i.type.elemType), [DataType.FLOAT]);
      assert.deepEqual(h.graph.outputs.map((o) => o.name), b.model.graph.outputs.map((o) => o.name));
      assert.ok(h.graph.outputs.every((o) => o.type?.kind === 'tensor' && o.type.elemType === DataType.FLOAT));
      const casts = h.graph.nodes.filter((n) => n.opType === 'Cast');
      const to = (n: (typeof casts)[number]): unknown => n.attributes.find((a) => a.name === 'to')?.value;
      assert.deepEqual(casts.filter((n) => to(n) === DataType.FLOAT).map((n) => n.outputs[0]), h.graph.outputs.map((o) => o.name), 'the only Casts to float32 are the outputs\'');
      const input = h.graph.inputs[0].name;
      assert.deepEqual(h.graph.nodes.filter((n) => n.inputs.includes(input)).map((n) => [n.opType, to(n)]), [['Cast', DataType.FLOAT16]]);
      // Nothing else changes: same nodes (but the dropped Casts and the added ones), same names.
      assert.equal(h.graph.nodes.length, b.model.graph.nodes.length - weights + 1 + h.graph.outputs.length);
      assert.equal(b.model.graph.nodes.filter((n) => n.opType === 'LayerNormalization').length, h.graph.nodes.filter((n) => n.opType === 'LayerNormalization').length);
    });
  }

  it('attention capture\'s Softmax outputs are Cast back to float32 too, under their names', () => {
    const plan = planCapture(join(FIX, 'hf-vit-fp16'));
    const h = toFp16Compute(plan.model);
    const outs = h.graph.outputs.map((o) => o.name);
    for (const l of plan.layers) assert.ok(outs.includes(l.output), l.output);
    const castOuts = new Set(h.graph.nodes.filter((n) => n.opType === 'Cast' && n.attributes.find((a) => a.name === 'to')?.value === DataType.FLOAT).map((n) => n.outputs[0]));
    for (const o of outs) assert.ok(castOuts.has(o), `${o} is Cast to float32`);
  });

  it('intermediate outputs (as trace fetches them) stay valid: a weight\'s Cast output and the input itself', () => {
    const b = buildCheckpoint(join(FIX, 'hf-vit-fp16'));
    const cast = b.model.graph.nodes.find((n) => n.opType === 'Cast')!;
    const input = b.model.graph.inputs[0];
    const m: OnnxModel = {
      ...b.model,
      graph: { ...b.model.graph, outputs: [...b.model.graph.outputs, { name: cast.outputs[0], type: { kind: 'tensor', elemType: DataType.FLOAT, shape: null } }, input] },
    };
    const h = toFp16Compute(m);
    const producers = new Map<string, number>();
    for (const n of h.graph.nodes) for (const o of n.outputs) producers.set(o, (producers.get(o) ?? 0) + 1);
    const c = h.graph.nodes.find((n) => n.outputs[0] === cast.outputs[0])!;
    assert.deepEqual([c.opType, c.inputs[0]], ['Cast', cast.inputs[0]], 'the fp16 weight Cast to float32 under the old name');
    assert.equal(producers.get(input.name), undefined, 'nothing writes the graph input');
    assert.ok([...producers.values()].every((k) => k === 1), 'every value has one producer');
  });

  it('fp32 and bf16 checkpoints are not eligible (bf16: few providers run it; it stays cast to float32)', () => {
    for (const [name, w] of [['hf-vit', 'fp32'], ['hf-vit-bf16', 'bf16'], ['swin/timm_A_old_bf16', 'bf16']]) {
      const b = buildCheckpoint(join(FIX, name));
      assert.equal(weightsPrecision(b.model), w, name);
      assert.equal(fp16ComputeEligible(b.model), false, name);
    }
  });
});
