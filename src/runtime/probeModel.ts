/** The provider probe's model: Y = Relu(X), X float[1,4], built with the project's own graph builder. */
import { GraphBuilder } from '../core/onnx/builder';
import { DataType } from '../core/onnx/proto';
import { modelToBytes } from '../core/onnx/writer';

export function probeModel(): Uint8Array {
  const g = new GraphBuilder({ opset: 17, name: 'probe' });
  g.input('X', DataType.FLOAT, [1, 4]);
  g.node('Relu', ['X'], ['Y']);
  g.output('Y', DataType.FLOAT, [1, 4]);
  return modelToBytes(g.build());
}
