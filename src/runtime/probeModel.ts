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

/**
 * The shader-f16 probe: Y = Cast(Relu(Cast(X → float16)) → float32), X float[1,4]. On a WebGPU
 * device without shader-f16 ONNX Runtime cannot build its fp16 Relu ("requires f16 but the device
 * does not support it"); run with CPU fallback disabled, so a node it declined does not pass.
 */
export function probeModelFp16(): Uint8Array {
  const g = new GraphBuilder({ opset: 17, name: 'probe-fp16' });
  g.input('X', DataType.FLOAT, [1, 4]);
  g.node('Cast', ['X'], ['Xh'], { to: DataType.FLOAT16 });
  g.node('Relu', ['Xh'], ['Yh']);
  g.node('Cast', ['Yh'], ['Y'], { to: DataType.FLOAT });
  g.output('Y', DataType.FLOAT, [1, 4]);
  return modelToBytes(g.build());
}
