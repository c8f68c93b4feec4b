/**
 * One entry point for "what is this model": reads an ONNX file's structure (weights stay on disk),
 * infers every shape for the given input size, detects the family and configuration, counts
 * parameters and MACs, and builds the module tree. The result is plain JSON (the
 * `vit-inspect arch --json` document, typed by InspectResult below).
 */
import { extraTokenInitializers, nameTreeParts } from './hybrid';
import { isGlobalAttention } from '../terms';
import * as path from 'node:path';
import { UserError } from '../errors';
import type { OnnxModel, OnnxNode, TensorInfo } from '../onnx/model';
import { defaultOpset } from '../onnx/model';
import { dataTypeName } from '../onnx/proto';
import { loadModel } from '../checkpoint';
import type { ShapeResult } from '../onnx/shapes';
import { inferShapes } from '../onnx/shapes';
import { declaredImageSize, graphInputs, imageInput } from '../onnx/imageInput';
import type { NodeCost } from '../flops/graph';
import { countGraphMacs } from '../flops/graph';
import type { GraphAnalysis } from '../graph/structure';
import type { Role } from '../terms';
import { analyzeGraph } from './analysis';
import type { ArchConfig } from './detect';
import type { Family } from '../terms';
import { modelPrecision } from './precision';
import { detectArchitecture } from './detect';
import { countParams } from './parameters';
import type { TreeNode } from './tree';
import { buildTree } from './tree';
import { explainTree } from './explain';

export interface InspectOptions {
  /** Input image size (square); default: the model's own, else 224 (or the size a dynamic model was made for). */
  imageSize?: number;
  /** Include per-node details (attributes, inputs and outputs with shapes, initializer dims). */
  details?: boolean;
}

export interface TensorSignature {
  name: string;
  dtype: string;
  /** As declared in the model: numbers and symbolic names (null when unknown). */
  shape: (number | string | null)[] | null;
  /** As used for this inspection (symbolic dimensions bound; -1 unknown). */
  boundShape: number[] | null;
}

export interface StageSummary {
  name: string;
  /** Token grid h × w of the stage. */
  tokens: [number, number];
  dim: number;
  heads: number;
  depth: number;
  /** Window size M, or null for global attention. */
  window: number | null;
  /** Blocks whose windows are cyclically shifted (SW-MSA). */
  shiftedBlocks: number;
}

export interface NodeDetail {
  index: number;
  name: string;
  op: string;
  domain: string;
  role: Role;
  macs: number;
  inputs: { name: string; dtype: string; shape: number[] | null; initializer?: InitializerDetail }[];
  outputs: { name: string; dtype: string; shape: number[] | null }[];
  attributes: Record<string, unknown>;
}

export interface InitializerDetail {
  dims: number[];
  dtype: string;
  location: 'inline' | 'external' | 'memory' | 'none';
  file?: string;
  offset?: number;
  length?: number;
}

export interface InspectResult {
  file: string;
  fileSize: number;
  family: Family;
  params: number;
  config: ArchConfig;
  /** MACs of Conv/MatMul/Gemm/Einsum (multiply-accumulates; FLOPs = 2 × MACs). */
  macs: number;
  byRole: Record<Role, number>;
  /** Element-wise operations, Softmax elements and normalised elements (not MACs). */
  elementwise: number;
  softmax: number;
  norm: number;
  /** Input image size used: [height, width], or null for a model without an image input. */
  imageSize: [number, number] | null;
  stages: StageSummary[];
  opset: number;
  opsetImports: { domain: string; version: number }[];
  irVersion: number;
  producer: string;
  inputs: TensorSignature[];
  outputs: TensorSignature[];
  numNodes: number;
  numInitializers: number;
  /** Names of the attention Softmax outputs, in block order (add them as outputs to get attention maps). */
  attentionOutputs: string[];
  tree: TreeNode;
  warnings: string[];
  nodes?: NodeDetail[];
}

function signature(model: OnnxModel, shapes: ShapeResult, list: OnnxModel['graph']['inputs']): TensorSignature[] {
  return list.map((v) => {
    const t = v.type;
    const declared = t && t.kind === 'tensor' ? t.shape : null;
    return {
      name: v.name,
      dtype: t && t.kind === 'tensor' ? dataTypeName(t.elemType) : t ? t.kind : 'unknown',
      shape: declared ? [...declared] : null,
      boundShape: shapes.tensors.get(v.name)?.shape ?? null,
    };
  });
}

function initDetail(t: TensorInfo): InitializerDetail {
  const d = t.data;
  const base = { dims: [...t.dims], dtype: dataTypeName(t.dataType) };
  switch (d.location) {
    case 'inline':
      return { ...base, location: 'inline', offset: d.offset, length: d.length };
    case 'external':
      return { ...base, location: 'external', file: d.file, offset: d.offset, length: d.length };
    case 'memory':
    case 'generated':
      return { ...base, location: 'memory' };
    default:
      return { ...base, location: 'none' };
  }
}

function attributeSummary(n: OnnxNode): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const a of n.attributes) {
    switch (a.type) {
      case 'tensor':
        out[a.name] = { tensor: { dims: a.value.dims, dtype: dataTypeName(a.value.dataType), values: a.value.values && a.value.values.length <= 16 ? a.value.values : undefined } };
        break;
      case 'tensors':
        out[a.name] = a.value.map((t) => ({ dims: t.dims, dtype: dataTypeName(t.dataType) }));
        break;
      case 'graph':
        out[a.name] = { graph: { name: a.value.name, nodes: a.value.nodes.length } };
        break;
      case 'graphs':
        out[a.name] = a.value.map((g) => ({ name: g.name, nodes: g.nodes.length }));
        break;
      case 'other':
        out[a.name] = { unsupported: a.typeCode };
        break;
      default:
        out[a.name] = a.value;
    }
  }
  return out;
}

function nodeDetails(a: GraphAnalysis, costs: NodeCost[]): NodeDetail[] {
  const dt = (name: string): string => {
    const s = a.shapes.tensors.get(name);
    return s ? dataTypeName(s.dtype) : 'unknown';
  };
  return a.nodes.map((n, i) => ({
    index: i,
    name: n.name,
    op: n.opType,
    domain: n.domain,
    role: a.roles[i],
    macs: costs[i].macs,
    inputs: n.inputs.map((x) => {
      const init = a.initializers.get(x);
      const e: NodeDetail['inputs'][number] = { name: x, dtype: dt(x), shape: a.shapes.tensors.get(x)?.shape ?? null };
      if (init) e.initializer = initDetail(init);
      return e;
    }),
    outputs: n.outputs.map((x) => ({ name: x, dtype: dt(x), shape: a.shapes.tensors.get(x)?.shape ?? null })),
    attributes: attributeSummary(n),
  }));
}

/** Inspects an already-read model (see inspectModel). */
export function inspectLoadedModel(model: OnnxModel, options: InspectOptions = {}): InspectResult {
  const warnings = [...model.warnings];
  const g = model.graph;
  const display = model.path ? path.basename(model.path) : 'model';
  if (options.imageSize !== undefined) {
    const s = options.imageSize;
    if (!Number.isInteger(s) || s <= 0 || s > 10000) {
      throw new UserError(`Image size ${s} is not usable: give a whole number of pixels between 1 and 10000.`);
    }
    if (!imageInput(g)) throw new UserError(`${display} has no image input (a 4-D float input), so an image size cannot be set.`);
    const declared = declaredImageSize(g);
    if (declared && (declared[0] !== s || declared[1] !== s)) {
      throw new UserError(
        `${display} takes ${declared[0]}×${declared[1]} images only (its input size is fixed); ${s}×${s} is not possible. Leave the size out, or export the model with dynamic height and width.`,
      );
    }
  }
  const shapes = inferShapes(model, { imageSize: options.imageSize });
  if (shapes.conflicts.length) {
    const first = shapes.conflicts[0];
    const where = g.nodes[first.node]?.name || g.nodes[first.node]?.opType || `node ${first.node}`;
    if (options.imageSize !== undefined) {
      throw new UserError(
        `${display} does not work at ${options.imageSize}×${options.imageSize}: at ${where}, ${first.message}. Try the size the model was made for, or leave the size out.`,
      );
    }
    warnings.push(`Some shapes do not fit together (${shapes.conflicts.length}; first at ${where}: ${first.message}); the counts after that point may be incomplete.`);
  }
  warnings.push(...shapes.warnings);
  const a = analyzeGraph(model, shapes);
  const det = detectArchitecture(a);
  const pc = countParams(a);
  const costs = countGraphMacs(a);
  warnings.push(...modelPrecision(a).notes);
  if (a.attentions.some((x) => x.fused)) {
    warnings.push('Attention is computed by fused operators (com.microsoft Attention/MultiHeadAttention): heads, tokens and MACs come from their attributes and shapes; the attention weights inside cannot be tapped.');
  }
  // ORT's 'all' level rewrites convolutions into blocked layouts sized for the CPU that saved the file.
  const nchwc = [...new Set(g.nodes.filter((n) => n.domain === 'com.microsoft.nchwc').map((n) => n.opType))];
  if (nchwc.length) {
    warnings.push(
      `${display} was saved by ONNX Runtime after its CPU layout optimisations (com.microsoft.nchwc operators: ${nchwc.join(', ')}). Such a file is tied to the CPU provider and to the vector width of the machine that optimised it: it does not run on a GPU provider, and on a CPU with other vector instructions it may fail to load, run slowly, or compute other values than the model as exported (an AVX-512-optimised file run on an AVX2-only CPU does). Open the model as exported instead, or save the optimised file with graph_optimization_level = ORT_ENABLE_EXTENDED (no layout changes). Structure, parameters and MACs below are still exact.`,
    );
  }
  if (costs.uncounted.length) {
    warnings.push(`${costs.uncounted.length} Conv/MatMul/Gemm node(s) have unknown shapes; their MACs are not counted.`);
  }
  const bb = det.config.backbone;
  if (bb && bb.stride === null) warnings.push(`A CNN backbone feeds the transformer, but its stride cannot be resolved (${a.backbone?.why ?? 'unknown sizes'}): the effective patch size and the patch grid over the image are unknown.`);
  if (det.family === 'other' && a.nodes.some((n) => n.opType === 'Conv')) {
    warnings.push('No attention over tokens was found: this is a convolutional network (or another non-transformer), shown as "other". ViT Inspector\'s views need a ViT, hybrid ViT or Swin.');
  }
  const tree = buildTree(a, costs.nodes, pc.perTensor, g.name || path.basename(display, '.onnx'));
  explainTree(tree, a, det);
  if (det.config.embedDim && det.stages[0] && isGlobalAttention(det.family)) {
    const [gh, gw] = det.stages[0].tokens;
    nameTreeParts(tree, a, extraTokenInitializers(a, det.config.embedDim, gh * gw));
  }
  const stages: StageSummary[] = det.stages.map((s, k) => ({
    name: isGlobalAttention(det.family) ? 'encoder' : `stage${k + 1}`,
    tokens: s.tokens,
    dim: s.dim,
    heads: s.heads,
    depth: s.depth,
    window: s.window,
    shiftedBlocks: s.blocks.filter((b) => b.shifted).length,
  }));
  const result: InspectResult = {
    file: model.path ?? '',
    fileSize: model.fileSize,
    family: det.family,
    params: pc.params,
    config: det.config,
    macs: costs.macs,
    byRole: costs.byRole,
    elementwise: costs.elementwise,
    softmax: costs.softmax,
    norm: costs.norm,
    imageSize: shapes.imageSize,
    stages,
    opset: defaultOpset(model),
    opsetImports: model.opsetImports,
    irVersion: model.irVersion,
    producer: [model.producerName, model.producerVersion].filter((x) => x).join(' '),
    inputs: signature(model, shapes, graphInputs(g)),
    outputs: signature(model, shapes, g.outputs),
    numNodes: g.nodes.length,
    numInitializers: g.initializers.length,
    attentionOutputs: a.attentions.map((at) => g.nodes[at.softmax].outputs[0]),
    tree,
    warnings,
  };
  if (options.details) result.nodes = nodeDetails(a, costs.nodes);
  return result;
}

/**
 * Inspects an ONNX file or a safetensors checkpoint: family, config, params, MACs (per role), module tree, signature and
 * warnings. Reads only the model's structure, never its weights. Throws UserError for anything
 * wrong with the file or the options.
 */
export function inspectModel(file: string, options: InspectOptions = {}): InspectResult {
  const model = loadModel(file);
  return inspectLoadedModel(model, options);
}
