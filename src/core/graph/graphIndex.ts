/**
 * The graph index every graph search starts from: who produces and who consumes each tensor,
 * which tensors are constants (decided once, in topological order) and the initializer behind
 * each weighted MatMul/Gemm/Conv. Shape-independent and architecture-blind: arch/ builds its
 * analysis on it, and flops/, swin/, vit/ read it without importing arch/.
 */
import type { OnnxModel, OnnxNode, TensorInfo } from '../onnx/model';
import { isFloatType } from '../onnx/proto';
import type { ShapeResult } from '../onnx/shapes';
import { CONV_LIKE, MATMUL_LIKE, WEIGHT_VIEW, weightInput } from './ops';
import type { WalkGraph } from './walk';

export interface GraphIndex {
  model: OnnxModel;
  shapes: ShapeResult;
  nodes: OnnxNode[];
  producer: Map<string, number>;
  consumers: Map<string, number[]>;
  initializers: Map<string, TensorInfo>;
  /** Tensors that are constants: initializers, Constant outputs, and everything folded from them. */
  isConst: (name: string) => boolean;
  /** For weighted nodes: the initializer holding the weight. */
  weightOf: Map<number, TensorInfo>;
}

/** The nodes reading each tensor, in node order. */
function consumersOf(nodes: readonly OnnxNode[]): Map<string, number[]> {
  const consumers = new Map<string, number[]>();
  for (let i = 0; i < nodes.length; i++) {
    for (const inp of nodes[i].inputs) {
      if (!inp) continue;
      const c = consumers.get(inp);
      if (c) c.push(i);
      else consumers.set(inp, [i]);
    }
  }
  return consumers;
}

/**
 * The least a walk needs, for nodes without shapes (a graph being cut or built): producers and
 * consumers, and no tensor known constant (a backward walk that must enter constants says `constants`).
 */
export function linkGraph(nodes: readonly OnnxNode[]): WalkGraph {
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => n.outputs.forEach((o) => o && producer.set(o, i)));
  return { nodes, producer, consumers: consumersOf(nodes), isConst: () => false };
}

export function indexGraph(model: OnnxModel, shapes: ShapeResult): GraphIndex {
  const g = model.graph;
  const nodes = g.nodes;
  const producer = shapes.producer;
  const consumers = consumersOf(nodes);
  const initializers = new Map(g.initializers.map((t) => [t.name, t]));
  // Constant tensors, decided once in topological order (no recursion: graphs can be deep).
  const constSet = new Set<string>(initializers.keys());
  for (const [name, info] of shapes.tensors) if (info.value) constSet.add(name);
  for (const i of shapes.order) {
    const n = nodes[i];
    const isC = n.opType === 'Constant' || (n.opType !== 'Shape' && n.inputs.length > 0 && n.inputs.every((x) => x === '' || constSet.has(x)));
    if (isC) for (const o of n.outputs) if (o) constSet.add(o);
  }
  const isConst = (name: string): boolean => constSet.has(name);

  /** The initializer behind a weight input: directly, or through Transpose/Reshape/Cast/DequantizeLinear. */
  const weightInit = (name: string, depth = 0): TensorInfo | null => {
    const t = initializers.get(name);
    if (t) return isFloatType(t.dataType) || depth > 0 ? t : t.dims.length >= 2 ? t : null;
    if (depth > 4) return null;
    const p = producer.get(name);
    if (p === undefined) return null;
    const n = nodes[p];
    if (n.opType === 'Constant') {
      const a = n.attributes.find((x) => x.name === 'value');
      return a && a.type === 'tensor' && a.value.dims.length >= 2 ? a.value : null;
    }
    if (WEIGHT_VIEW.has(n.opType)) return weightInit(n.inputs[0], depth + 1);
    return null;
  };

  const weightOf = new Map<number, TensorInfo>();
  nodes.forEach((n, i) => {
    if (MATMUL_LIKE.has(n.opType)) {
      const w = weightInit(n.inputs[weightInput(n.opType)]) ?? weightInit(n.inputs[0]);
      if (w && w.dims.length >= 2) weightOf.set(i, w);
    } else if (CONV_LIKE.has(n.opType)) {
      const w = weightInit(n.inputs[weightInput(n.opType)]);
      if (w) weightOf.set(i, w);
    }
  });
  return { model, shapes, nodes, producer, consumers, initializers, isConst, weightOf };
}
