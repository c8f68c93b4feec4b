import * as path from 'node:path';
import { GraphBuilder } from '../../../src/core/onnx/builder';
import type { OnnxModel } from '../../../src/core/onnx/model';
import { DataType } from '../../../src/core/onnx/proto';
import { readModel } from '../../../src/core/onnx/reader';

const MODELS = path.resolve('test/fixtures/models');

/** The tiny_swin fixture with its input declared [batch, 3, height, width] (output [batch, 10]): any image size. */
export function dynamicTinySwin(): OnnxModel {
  const m = readModel(path.join(MODELS, 'tiny_swin.onnx'));
  const inp = m.graph.inputs[0];
  return {
    ...m,
    graph: {
      ...m.graph,
      inputs: [{ name: inp.name, type: { kind: 'tensor', elemType: DataType.FLOAT, shape: ['batch', 3, 'height', 'width'] } }],
      outputs: m.graph.outputs.map((o) => ({ name: o.name, type: { kind: 'tensor', elemType: DataType.FLOAT, shape: ['batch', 10] } })),
    },
  };
}

/**
 * A ViT whose one attention block is a fused com.microsoft.MultiHeadAttention: patch Conv (8×8 on
 * 32², dim 32) → tokens [1, 16, 32] → MHA(q = k = v, 2 heads) → mean over tokens → head (10).
 */
export function fusedMhaModel(): OnnxModel {
  const g = new GraphBuilder({ opset: 17 });
  g.useOpset('com.microsoft', 1);
  const x = g.input('input', DataType.FLOAT, [1, 3, 32, 32]);
  const w = g.initializer('patch.weight', new Float32Array(32 * 3 * 8 * 8).fill(0.01), [32, 3, 8, 8]);
  const p = g.op('Conv', [x, w], { kernel_shape: [8, 8], strides: [8, 8] });
  const tokens = g.op('Transpose', [g.op('Reshape', [p, g.int64([1, 32, 16])])], { perm: [0, 2, 1] });
  const [att] = g.node('MultiHeadAttention', [tokens, tokens, tokens], 1, { num_heads: 2 }, 'mha', 'com.microsoft');
  const pooled = g.op('ReduceMean', [att], { axes: [1], keepdims: 0 });
  const head = g.initializer('head.weight', new Float32Array(32 * 10).fill(0.1), [32, 10]);
  g.node('MatMul', [pooled, head], ['logits']);
  g.output('logits', DataType.FLOAT, [1, 10]);
  return g.build();
}
