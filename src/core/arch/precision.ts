/**
 * Precision and quantization are properties of the model, read from its weights and ops:
 * quantization "dynamic" (ORT's DynamicQuantizeLinear → MatMulInteger form: activations
 * quantized at run time) or "qdq" (QuantizeLinear/DequantizeLinear pairs, QLinear ops: scales
 * fixed at calibration); precision the element type of the weights of the MatMuls and Convs —
 * "int8" when every one of them is 8-bit, "mixed" when they differ (a 4-bit MatMulNBits model
 * is "mixed" too: its 4-bit weights have no name among the five).
 */
import { DataType } from '../onnx/proto';
import type { GraphAnalysis } from '../graph/structure';

export type Precision = 'fp32' | 'fp16' | 'bf16' | 'int8' | 'mixed';
export type Quantization = null | 'dynamic' | 'qdq';

const DYNAMIC = new Set(['DynamicQuantizeLinear', 'MatMulInteger', 'ConvInteger', 'DynamicQuantizeMatMul', 'MatMulIntegerToFloat', 'DynamicQuantizeLSTM']);
const QDQ = new Set(['QuantizeLinear', 'DequantizeLinear', 'QLinearMatMul', 'QLinearConv', 'QLinearAdd', 'QLinearMul', 'QAttention', 'QGemm']);

const NAMES: Record<number, Precision> = {
  [DataType.FLOAT]: 'fp32',
  [DataType.FLOAT16]: 'fp16',
  [DataType.BFLOAT16]: 'bf16',
  [DataType.INT8]: 'int8',
  [DataType.UINT8]: 'int8',
};

export interface ModelPrecision {
  precision: Precision;
  quantization: Quantization;
  /** What was not understood (an op or element type outside the five precisions), for a line in the view. */
  notes: string[];
}

export function modelPrecision(a: GraphAnalysis): ModelPrecision {
  let dynamic = false;
  let qdq = false;
  let nbits = 0;
  for (const n of a.nodes) {
    if (DYNAMIC.has(n.opType)) dynamic = true;
    else if (QDQ.has(n.opType)) qdq = true;
    else if (n.opType === 'MatMulNBits') nbits++;
  }
  const quantization: Quantization = dynamic ? 'dynamic' : qdq ? 'qdq' : null;
  const kinds = new Set<Precision | string>();
  const typeName = (t: number): string => Object.entries(DataType).find(([, v]) => v === t)?.[0] ?? `element type ${t}`;
  for (const w of a.weightOf.values()) kinds.add(NAMES[w.dataType] ?? typeName(w.dataType));
  const notes: string[] = [];
  if (nbits) notes.push(`${nbits} MatMulNBits node(s): 4-bit block-quantized weights (ONNX Runtime's weight-only quantization); counted as their K·N weights.`);
  const unknown = [...kinds].filter((k) => !Object.values(NAMES).includes(k as Precision));
  if (unknown.length) notes.push(`Weights of type ${unknown.join(', ')} are not one of fp32, fp16, bf16 or int8: precision shown as "mixed".`);
  let precision: Precision;
  if (kinds.size === 0) precision = 'fp32';
  else if (kinds.size === 1 && !unknown.length) precision = [...kinds][0] as Precision;
  else if (quantization && kinds.has('int8') && [...kinds].every((k) => k === 'int8' || k === 'fp32')) {
    // ORT leaves a few ops in float (the patch Conv under dynamic quantization): still an int8 model
    // when every MatMul is 8-bit.
    const floatMatMul = [...a.weightOf].some(([i, w]) => w.dataType === DataType.FLOAT && a.nodes[i].opType !== 'Conv' && a.nodes[i].opType !== 'ConvTranspose');
    precision = floatMatMul ? 'mixed' : 'int8';
  } else precision = 'mixed';
  return { precision, quantization, notes };
}
