/**
 * A minimal ONNX model (Y = Relu(X), X float[1,4]) encoded by hand, so the provider
 * probe needs no file and no protobuf library. Field numbers are onnx.proto's.
 */
function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 127) {
    out.push((n & 127) | 128);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}
const len = (no: number, payload: number[]) => [...varint(no * 8 + 2), ...varint(payload.length), ...payload];
const str = (no: number, s: string) => len(no, [...Buffer.from(s, 'utf8')]);
const int = (no: number, n: number) => [...varint(no * 8), ...varint(n)];

export function probeModel(): Uint8Array {
  const shape = len(2, [...len(1, int(1, 1)), ...len(1, int(1, 4))]); // TensorShapeProto{dim:[1,4]}
  const type = len(2, len(1, [...int(1, 1 /* FLOAT */), ...shape])); // ValueInfo.type = TypeProto{tensor_type}
  const valueInfo = (name: string) => [...str(1, name), ...type];
  const node = [...str(1, 'X'), ...str(2, 'Y'), ...str(3, 'relu'), ...str(4, 'Relu')];
  const graph = [...len(1, node), ...str(2, 'probe'), ...len(11, valueInfo('X')), ...len(12, valueInfo('Y'))];
  const opset = [...str(1, ''), ...int(2, 17)];
  return Uint8Array.from([...int(1, 8 /* ir_version */), ...len(8, opset), ...len(7, graph)]);
}
