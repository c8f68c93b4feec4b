import * as path from 'node:path';
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
