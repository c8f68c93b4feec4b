/**
 * An fp16 checkpoint's graph computed in fp16: what a torch export of `model.half()` gives, on a
 * provider that runs fp16 (core/session/providers.ts `runsFp16`). The fp32 graph a builder writes
 * (each fp16 initializer Cast to float32) is rewritten: the Casts of the fp16 initializers are
 * dropped (the weights are used as stored), the float32 constants (scales, GELU's ½ and √2, Swin's
 * masks and coordinate tables) become float16, the image input stays float32 (preprocessing is
 * unchanged) and is Cast to float16 where it enters, and every float32 output (the logits, and the
 * Softmax outputs attention capture adds) is Cast back to float32 where it leaves. LayerNormalization
 * keeps its default stash_type (float32 statistics), as ONNX Runtime computes it for fp16.
 * bf16 checkpoints are not rewritten: few providers run bf16 (CUDA on Ampere and later; not DirectML,
 * CoreML, WebGPU or the CPU provider), so they stay Cast to float32 everywhere.
 */
import type { OnnxAttribute, OnnxModel, OnnxNode, TensorInfo, ValueInfo } from '../onnx/model';
import { DataType } from '../onnx/proto';
import { f16ToNumber } from '../onnx/values';
import { toFloat16Bits } from '../session/dtype';

/** The element type of a built graph's weights (its external initializers): 'fp16', 'bf16', 'fp32' or 'mixed'; null when it has none. */
export function weightsPrecision(m: OnnxModel): 'fp32' | 'fp16' | 'bf16' | 'mixed' | null {
  const names: Record<number, 'fp32' | 'fp16' | 'bf16'> = { [DataType.FLOAT]: 'fp32', [DataType.FLOAT16]: 'fp16', [DataType.BFLOAT16]: 'bf16' };
  const kinds = new Set(m.graph.initializers.filter((t) => t.data.location === 'external' && names[t.dataType]).map((t) => names[t.dataType]));
  if (!kinds.size) return null;
  return kinds.size === 1 ? [...kinds][0] : 'mixed';
}

/** Whether a built graph can be computed in fp16: its weights (the checkpoint's tensors) are all float16. */
export const fp16ComputeEligible = (m: OnnxModel): boolean => weightsPrecision(m) === 'fp16';

function halfOfBytes(bytes: Uint8Array): Uint8Array {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Uint8Array(bytes.byteLength / 2);
  const ov = new DataView(out.buffer);
  for (let i = 0; i < bytes.byteLength / 4; i++) ov.setUint16(2 * i, toFloat16Bits(dv.getFloat32(4 * i, true)), true);
  return out;
}

/** A float32 tensor held in memory as float16 (values rounded); other tensors unchanged. */
function halfTensor(t: TensorInfo): TensorInfo {
  if (t.dataType !== DataType.FLOAT || t.data.location !== 'memory') return t;
  const bytes = halfOfBytes(t.data.bytes);
  const dv = new DataView(bytes.buffer);
  const values = t.values ? t.values.map((_, i) => f16ToNumber(dv.getUint16(2 * i, true))) : undefined;
  return { ...t, dataType: DataType.FLOAT16, data: { location: 'memory', bytes }, values };
}

const isFloatTensorType = (v: ValueInfo): boolean => v.type?.kind === 'tensor' && v.type.elemType === DataType.FLOAT;

/** The fp16-compute form of a graph built from an fp16 checkpoint (see the file comment). */
export function toFp16Compute(m: OnnxModel): OnnxModel {
  const g = m.graph;
  const inits = new Map(g.initializers.map((t) => [t.name, t]));
  const rename = new Map<string, string>();
  const taken = new Set<string>([...g.inputs.map((i) => i.name), ...g.initializers.map((t) => t.name), ...g.nodes.flatMap((n) => n.outputs)]);
  const fresh = (base: string): string => {
    let n = base;
    for (let i = 1; taken.has(n); i++) n = `${base}_${i}`;
    taken.add(n);
    return n;
  };
  const to = (n: OnnxNode): number | undefined => (n.attributes.find((a) => a.name === 'to') as { value: number } | undefined)?.value;

  // The weights' Casts to float32 go: their consumers read the fp16 initializer itself.
  const nodes: OnnxNode[] = [];
  for (const n of g.nodes) {
    if (n.opType === 'Cast' && (n.domain === '' || n.domain === 'ai.onnx') && to(n) === DataType.FLOAT && inits.get(n.inputs[0])?.dataType === DataType.FLOAT16) {
      rename.set(n.outputs[0], n.inputs[0]);
      continue;
    }
    nodes.push(n);
  }

  // Float32 constants in memory become float16; a float32 weight in an external file (not in an
  // eligible graph, but kept correct) is Cast to float16 where it is read.
  const head: OnnxNode[] = [];
  const initializers = g.initializers.map((t) => {
    if (t.dataType !== DataType.FLOAT) return t;
    if (t.data.location === 'memory') return halfTensor(t);
    const out = fresh(`${t.name}.fp16`);
    rename.set(t.name, out);
    head.push({ name: `/Cast_${t.name}_fp16`, opType: 'Cast', domain: '', inputs: [t.name], outputs: [out], attributes: [{ name: 'to', type: 'int', value: DataType.FLOAT16 }] });
    return t;
  });

  // The image input stays float32 and becomes float16 where it enters.
  for (const i of g.inputs) {
    if (!isFloatTensorType(i) || inits.has(i.name)) continue;
    const out = fresh(`${i.name}.fp16`);
    rename.set(i.name, out);
    head.push({ name: `/Cast_${i.name}_fp16`, opType: 'Cast', domain: '', inputs: [i.name], outputs: [out], attributes: [{ name: 'to', type: 'int', value: DataType.FLOAT16 }] });
  }

  const resolve = (name: string): string => {
    let n = name;
    for (let i = 0; i < 4 && rename.has(n); i++) n = rename.get(n) as string;
    return n;
  };
  const attrs = (a: OnnxAttribute[]): OnnxAttribute[] =>
    a.map((x) => {
      if (x.type === 'tensor') return { ...x, value: halfTensor(x.value) };
      return x;
    });
  // Every float32 the graph computes is float16 now: the Casts to float32 left (of integer values) cast to float16.
  let body: OnnxNode[] = [...head, ...nodes].map((n) => {
    const inputs = head.includes(n) ? n.inputs : n.inputs.map((x) => (x ? resolve(x) : x));
    let attributes = attrs(n.attributes);
    if (n.opType === 'Cast' && !head.includes(n) && to(n) === DataType.FLOAT) attributes = attributes.map((a) => (a.name === 'to' ? { name: 'to', type: 'int', value: DataType.FLOAT16 } : a));
    return { ...n, inputs, attributes };
  });

  // Float32 outputs come back to float32 where they leave, under their own names.
  const tail: OnnxNode[] = [];
  const outRename = new Map<string, string>();
  for (const o of g.outputs) {
    if (!isFloatTensorType(o)) continue;
    // The image input itself as an output stays what it is (float32).
    if (g.inputs.some((i) => i.name === o.name) || inits.has(o.name)) continue;
    const src = resolve(o.name);
    if (src !== o.name) {
      // the output of a weight's dropped Cast (a fetched intermediate): Cast the fp16 weight to float32 under that name
      tail.push({ name: `/Cast_${o.name}_fp32`, opType: 'Cast', domain: '', inputs: [src], outputs: [o.name], attributes: [{ name: 'to', type: 'int', value: DataType.FLOAT }] });
      continue;
    }
    const half = fresh(`${o.name}.fp16`);
    outRename.set(o.name, half);
    tail.push({ name: `/Cast_${o.name}_fp32`, opType: 'Cast', domain: '', inputs: [half], outputs: [o.name], attributes: [{ name: 'to', type: 'int', value: DataType.FLOAT }] });
  }
  if (outRename.size)
    body = body.map((n) => ({ ...n, inputs: n.inputs.map((x) => outRename.get(x) ?? x), outputs: n.outputs.map((x) => outRename.get(x) ?? x) }));

  const outputNames = new Set(g.outputs.map((o) => o.name));
  const valueInfo = g.valueInfo
    .filter((v) => !rename.has(v.name))
    .map((v) => {
      const name = outRename.get(v.name) ?? v.name;
      if (!isFloatTensorType(v) || outputNames.has(name)) return { ...v, name };
      return { ...v, name, type: { ...(v.type as Extract<ValueInfo['type'], { kind: 'tensor' }>), elemType: DataType.FLOAT16 } };
    });
  return {
    ...m,
    graph: { ...g, nodes: [...body, ...tail], initializers, valueInfo },
  };
}
