/**
 * The parameter count, as PyTorch counts it: initializers that are parameters, without shape
 * constants, index buffers, BatchNorm statistics or attention masks; a relative-position bias the
 * exporter folded into a [heads, M², M²] constant counts as the (2M−1)²·heads table it came from,
 * and the bias of a Conv that PyTorch's exporter fused with a BatchNorm (an `onnx::Conv_N` weight
 * and bias, the one place an exporter-made name is read) counts as that BatchNorm's 2·C.
 */
import type { TensorInfo } from '../onnx/model';
import { attrInt, numElements } from '../onnx/model';
import { isFloatType } from '../onnx/proto';
import type { AttentionInfo, GraphAnalysis } from '../graph/structure';
import { WEIGHT_VIEW } from '../graph/ops';
import { walkAll } from '../graph/walk';
import { windowShape } from '../swin/windowShape';
import { cpbCoordsTables } from '../swin/v2';

export interface ParamCount {
  params: number;
  /** Initializers not counted, and why. */
  excluded: { name: string; reason: string }[];
  /** Initializers counted as something other than their size, and why. */
  adjusted: { name: string; elements: number; counted: number; reason: string }[];
  /** Parameters per initializer name (as counted). */
  perTensor: Map<string, number>;
}

/** Follows an initializer through layout ops (and its DequantizeLinear) to the nodes that use it. */
export function usesOf(a: GraphAnalysis, name: string): number[] {
  return walkAll(a, name, {
    direction: 'forward',
    through: WEIGHT_VIEW,
    stopAt: (c, via) => !(WEIGHT_VIEW.has(a.nodes[c].opType) && a.nodes[c].inputs[0] === via),
    maxSteps: 32,
  });
}

interface QuantizationRoles {
  /** Quantized weights (int8/uint8/int4, biases as int32) → the elements they stand for. */
  weights: Map<string, number>;
  /** Scales and zero points. */
  params: Set<string>;
}

/**
 * Initializers of quantized graphs by role: a quantized weight is a parameter whatever its element
 * type (a MatMulNBits block of 4-bit values counts as the K·N weights it packs); its scale and zero
 * point are not (they are not in the float model PyTorch counts).
 */
function quantizationRoles(a: GraphAnalysis): QuantizationRoles {
  const weights = new Map<string, number>();
  const params = new Set<string>();
  const init = (name: string | undefined): boolean => !!name && a.initializers.has(name);
  const weight = (name: string | undefined, count?: number): void => {
    if (name && init(name)) weights.set(name, count ?? numElements(a.initializers.get(name)!.dims));
  };
  const param = (...names: (string | undefined)[]): void => {
    for (const x of names) if (x && init(x)) params.add(x);
  };
  const dqlScales = new Set<string>();
  for (const n of a.nodes) {
    const ins = n.inputs;
    switch (n.opType) {
      case 'DequantizeLinear':
        if (!isFloatType(a.initializers.get(ins[0])?.dataType ?? 1)) weight(ins[0]);
        param(ins[1], ins[2]);
        break;
      case 'QuantizeLinear':
        param(ins[1], ins[2]);
        break;
      case 'DynamicQuantizeLinear':
        dqlScales.add(n.outputs[1]);
        break;
      case 'MatMulInteger':
      case 'ConvInteger':
        weight(ins[1]);
        param(ins[2], ins[3]);
        break;
      case 'MatMulIntegerToFloat':
        weight(ins[1]);
        param(ins[2], ins[3], ins[4], ins[5]);
        break;
      case 'DynamicQuantizeMatMul':
        weight(ins[1]);
        param(ins[2], ins[3]);
        break;
      case 'QLinearMatMul':
      case 'QLinearConv':
        weight(ins[3]);
        if (n.opType === 'QLinearConv') weight(ins[8]);
        param(ins[1], ins[2], ins[4], ins[5], ins[6], ins[7]);
        break;
      case 'MatMulNBits': {
        const K = attrInt(n, 'K', 0);
        const N = attrInt(n, 'N', 0);
        weight(ins[1], K > 0 && N > 0 ? K * N : undefined);
        param(ins[2], ins[3]);
        break;
      }
    }
  }
  // Dynamic quantization rescales the integer product by Mul(activation scale, weight scale).
  for (const n of a.nodes) {
    if (n.opType !== 'Mul' || !n.inputs.some((x) => dqlScales.has(x))) continue;
    param(...n.inputs.filter((x) => !dqlScales.has(x)));
  }
  return { weights, params };
}

export function countParams(a: GraphAnalysis): ParamCount {
  const excluded: ParamCount['excluded'] = [];
  const adjusted: ParamCount['adjusted'] = [];
  const perTensor = new Map<string, number>();
  const scoreAdd = new Map<number, AttentionInfo>();
  for (const at of a.attentions) for (const s of at.scoreAdds) scoreAdd.set(s, at);
  const bnStats = new Set<string>();
  for (const n of a.nodes) {
    if (n.opType === 'BatchNormalization') {
      if (n.inputs[3]) bnStats.add(n.inputs[3]);
      if (n.inputs[4]) bnStats.add(n.inputs[4]);
    }
  }
  const quant = quantizationRoles(a);
  const coords = cpbCoordsTables(a);
  let params = 0;
  const seen = new Set<string>();
  for (const t of a.model.graph.initializers) {
    if (seen.has(t.name)) continue;
    seen.add(t.name);
    if (coords.has(t.name)) {
      excluded.push({ name: t.name, reason: 'relative_coords_table: the constant input of Swin V2\'s continuous position bias MLP (a buffer)' });
      continue;
    }
    const count = countOne(a, t, scoreAdd, bnStats, quant, excluded, adjusted);
    if (count > 0) perTensor.set(t.name, count);
    params += count;
  }
  return { params, excluded, adjusted, perTensor };
}

function countOne(
  a: GraphAnalysis,
  t: TensorInfo,
  scoreAdd: Map<number, AttentionInfo>,
  bnStats: Set<string>,
  quant: QuantizationRoles,
  excluded: ParamCount['excluded'],
  adjusted: ParamCount['adjusted'],
): number {
  const n = numElements(t.dims);
  if (quant.params.has(t.name)) {
    excluded.push({ name: t.name, reason: 'quantization scale or zero point (not a parameter of the float model)' });
    return 0;
  }
  const packed = quant.weights.get(t.name);
  if (packed !== undefined) {
    if (packed !== n) adjusted.push({ name: t.name, elements: n, counted: packed, reason: 'packed 4-bit weight: counted as the K·N weights it holds' });
    return packed;
  }
  if (!isFloatType(t.dataType)) {
    excluded.push({ name: t.name, reason: 'not floating point (shape constant or index buffer)' });
    return 0;
  }
  if (bnStats.has(t.name)) {
    excluded.push({ name: t.name, reason: 'BatchNorm running statistics (a buffer)' });
    return 0;
  }
  const uses = usesOf(a, t.name);
  if (uses.length === 0 && !(a.consumers.get(t.name)?.length)) {
    // Unused initializers (an input default, or left over): not part of the computation.
    excluded.push({ name: t.name, reason: 'not used by any node' });
    return 0;
  }
  if (n <= 1 && uses.every((u) => !a.weightOf.has(u) && !a.normNodes.has(u))) {
    excluded.push({ name: t.name, reason: 'a scalar constant' });
    return 0;
  }
  // PyTorch folds an eval-mode BatchNorm into the Conv before it (the exporter's Conv+BN fusion),
  // leaving a new weight and bias both named `onnx::Conv_N`: PyTorch counts the BatchNorm's
  // weight and bias (2·C) where the fused bias has C elements.
  if (/^onnx::Conv_\d+$/.test(t.name)) {
    const conv = uses.find((c) => a.nodes[c].opType === 'Conv' && a.nodes[c].inputs[2] === t.name);
    if (conv !== undefined && /^onnx::Conv_\d+$/.test(a.nodes[conv].inputs[1]) && t.dims.length === 1) {
      adjusted.push({ name: t.name, elements: n, counted: 2 * n, reason: 'bias of a Conv with a BatchNorm folded in by the exporter: counted as the BatchNorm weight and bias it came from' });
      return 2 * n;
    }
  }
  // Added to attention scores: a relative-position bias or a mask.
  const at = uses.map((u) => scoreAdd.get(u)).find((x) => x);
  if (at && uses.every((u) => scoreAdd.has(u))) {
    const dims = [...t.dims];
    while (dims.length > 3 && dims[0] === 1) dims.shift();
    const N = at.tokens;
    if (dims.length === 3 && dims[0] === at.heads && dims[1] === N && dims[2] === N && dims[0] > 1) {
      const win = windowShape(a, at); // [Mh, Mw]: non-square windows too
      if (win) {
        const table = (2 * win[0] - 1) * (2 * win[1] - 1) * at.heads;
        adjusted.push({ name: t.name, elements: n, counted: table, reason: `relative position bias folded by the exporter: counted as its (2·${win[0]}−1)(2·${win[1]}−1)·${at.heads} table` });
        return table;
      }
      return n;
    }
    excluded.push({ name: t.name, reason: 'attention mask (not a parameter)' });
    return 0;
  }
  return n;
}
