/**
 * Structural analysis of a transformer graph, shared by detection, MAC roles and the tree: on the
 * graph index (graph/graphIndex.ts: producers, consumers, constants, weights), every attention block found from its Softmax: the QKᵀ and A·V
 * products, the Q/K/V projections feeding them and the output projection after. Nothing here
 * looks at node names, so torchvision, timm and Hugging Face exports are read alike.
 */
import { findBackbone, tokenProjection } from './hybrid';
import type { OnnxModel } from '../onnx/model';
import { attrInt, attrInts, numElements } from '../onnx/model';
import type { ShapeResult } from '../onnx/shapes';
import { UNKNOWN } from '../onnx/shapes';
import { imageInput } from '../onnx/imageInput';
import { CONV_LIKE, FUSED_ATTENTION, IMAGE_PREP, MATMUL_LIKE, NORM_OPS, NORM_PARTS, OUT_PROJECTION_PATH, PASS_THROUGH, PROJECTION_PATH, SCORE_PATH, VALUES_PATH, weightInput } from '../graph/ops';
import { indexGraph } from '../graph/graphIndex';
import type { AttentionInfo, GraphAnalysis } from '../graph/structure';
import { chain, sourceOf, walk, walkAll } from '../graph/walk';

function shapeOf(a: { shapes: ShapeResult }, name: string): number[] | null {
  return a.shapes.tensors.get(name)?.shape ?? null;
}

export function analyzeGraph(model: OnnxModel, shapes: ShapeResult): GraphAnalysis {
  const a: GraphAnalysis = {
    ...indexGraph(model, shapes),
    attentions: [],
    patchEmbed: null,
    backbone: null,
    batch: 1,
    roles: new Array(model.graph.nodes.length).fill('other'),
    normNodes: new Set(),
    normEntries: new Set(),
  };
  const g = model.graph;
  const img = imageInput(g);
  if (img) a.batch = shapes.inputShapes[img.name]?.[0] ?? 1;
  a.patchEmbed = findPatchEmbed(a);
  findNorms(a);
  findAttentions(a);
  // Hybrid: the tokens come from a projection of a CNN's feature map, not from the image.
  const proj = tokenProjection(a);
  if (proj !== null && proj !== a.patchEmbed) {
    const bb = findBackbone(a, proj);
    if (bb) {
      a.backbone = bb;
      a.patchEmbed = proj;
      for (const i of bb.nodes) if (a.weightOf.has(i)) a.roles[i] = 'patchEmbed';
    }
  }
  assignRoles(a);
  return a;
}

/** The patch-embedding Conv: kernel = stride > 1, on the image input (possibly after normalisation). */
function findPatchEmbed(a: GraphAnalysis): number | null {
  const img = imageInput(a.model.graph);
  if (!img) return null;
  // The first Conv reached from the image input through element-wise / layout ops only.
  const isPatchConv = (c: number): boolean => {
    const n = a.nodes[c];
    const ks = attrInts(n, 'kernel_shape') ?? a.weightOf.get(c)?.dims.slice(2) ?? [];
    const st = attrInts(n, 'strides') ?? [];
    return ks.length >= 2 && ks[0] > 1 && ks.every((x, i) => x === st[i]);
  };
  return walk(a, img.name, {
    direction: 'forward',
    through: (c) => IMAGE_PREP.has(a.nodes[c].opType),
    stopAt: (c) => a.nodes[c].opType === 'Conv' && isPatchConv(c),
    maxSteps: 64,
  });
}

/** Normalisation nodes: the fused ops, and LayerNorm decomposed into ReduceMean/Sub/Pow/Sqrt/Div (opset < 17). */
function findNorms(a: GraphAnalysis): void {
  a.nodes.forEach((n, i) => {
    if (NORM_OPS.has(n.opType)) {
      a.normNodes.add(i);
      a.normEntries.add(i);
    }
  });
  // Decomposed: mean = ReduceMean(x); d = Sub(x, mean); var = ReduceMean(Pow(d, 2)); y = d / Sqrt(var + eps) [* w + b]
  a.nodes.forEach((n, i) => {
    if (n.opType !== 'ReduceMean') return;
    const x = n.inputs[0];
    const mean = n.outputs[0];
    const sub = (a.consumers.get(mean) ?? []).find((c) => a.nodes[c].opType === 'Sub' && a.nodes[c].inputs[0] === x);
    if (sub === undefined) return;
    const d = a.nodes[sub].outputs[0];
    const group = new Set<number>([i, sub]);
    // Follow d's consumers: Pow → ReduceMean → Add → Sqrt → Div(d, ·)
    const divs = walkAll(a, d, {
      direction: 'forward',
      through: NORM_PARTS,
      stopAt: (c) => a.nodes[c].opType === 'Div' && a.nodes[c].inputs[0] === d,
      maxSteps: 16,
      onPass: (c) => group.add(c),
    });
    if (!divs.length) return;
    const div = divs[0];
    group.add(div);
    // Affine part: Mul by a constant then Add a constant.
    const affine = chain(a, a.nodes[div].outputs[0], {
      direction: 'forward',
      through: (c) => (a.nodes[c].opType === 'Mul' || a.nodes[c].opType === 'Add') && a.nodes[c].inputs.some((q) => a.isConst(q)),
      maxSteps: 2,
    });
    for (const k of affine.path) group.add(k);
    for (const k of group) a.normNodes.add(k);
    a.normEntries.add(i);
  });
}

function isDynamicMatMul(a: GraphAnalysis, i: number): boolean {
  const n = a.nodes[i];
  if (n.opType === 'Einsum') return n.inputs.length === 2 && n.inputs.every((x) => !a.isConst(x));
  if (!MATMUL_LIKE.has(n.opType) || n.opType === 'Gemm' || a.weightOf.has(i)) return false;
  const ops = [n.inputs[0], n.inputs[weightInput(n.opType)]];
  return ops.every((x) => !!x && !a.isConst(x));
}

/** A fused attention op as an attention block: heads from its attribute, tokens and width from its shapes. */
function fusedAttention(a: GraphAnalysis, i: number): AttentionInfo | null {
  const n = a.nodes[i];
  const x = shapeOf(a, n.inputs[0]);
  const out = shapeOf(a, n.outputs[0]);
  const heads = attrInt(n, 'num_heads', UNKNOWN);
  if (!x || x.length !== 3 || !out || out.length !== 3 || !(heads > 0)) return null;
  const N = x[1];
  const dim = out[2];
  const proj = walk(a, n.outputs[0], { direction: 'forward', through: OUT_PROJECTION_PATH, stopAt: (c) => a.weightOf.has(c) && !CONV_LIKE.has(a.nodes[c].opType), maxSteps: 40 });
  return { softmax: i, scores: null, values: null, qkv: [], proj, heads, tokens: N, headDim: dim > 0 ? dim / heads : UNKNOWN, dim, windows: 1, scoreAdds: [], fused: true };
}

function findAttentions(a: GraphAnalysis): void {
  const order = a.shapes.order;
  for (const i of order) {
    const n = a.nodes[i];
    if (FUSED_ATTENTION.has(n.opType)) {
      const f = fusedAttention(a, i);
      if (f) a.attentions.push(f);
      continue;
    }
    if (n.opType !== 'Softmax') continue;
    const s = shapeOf(a, n.inputs[0]);
    if (!s || s.length < 3) continue;
    const N = s[s.length - 1];
    if (N <= 1 || s[s.length - 2] !== N) continue;
    if (a.isConst(n.inputs[0])) continue;
    const scores = walk(a, n.inputs[0], { direction: 'back', through: SCORE_PATH, stopAt: (p) => isDynamicMatMul(a, p), maxSteps: 40 });
    if (scores === null) continue;
    const values = walk(a, n.outputs[0], { direction: 'forward', through: VALUES_PATH, stopAt: (c) => isDynamicMatMul(a, c) && a.nodes[c].inputs[0] !== undefined, maxSteps: 40 });
    // Head dim: the contracted dimension of QKᵀ.
    const qShape = shapeOf(a, a.nodes[scores].inputs[0]);
    const headDim = qShape && qShape.length ? qShape[qShape.length - 1] : UNKNOWN;
    // Projections feeding Q, K (and V).
    const isProj = (p: number): boolean => a.weightOf.has(p) && !CONV_LIKE.has(a.nodes[p].opType);
    const qkvSet = new Set<number>();
    const srcs = [...a.nodes[scores].inputs];
    if (values !== null) for (const inp of a.nodes[values].inputs) srcs.push(inp);
    for (const src of srcs) {
      if (!src || a.isConst(src)) continue;
      const p = walk(a, src, { direction: 'back', through: PROJECTION_PATH, stopAt: isProj, maxSteps: 60 });
      if (p !== null && p !== scores) qkvSet.add(p);
    }
    // Output projection after A·V.
    const proj = values !== null ? walk(a, a.nodes[values].outputs[0], { direction: 'forward', through: OUT_PROJECTION_PATH, stopAt: isProj, maxSteps: 40 }) : null;
    // Width: proj output dim, else 3-way qkv output / 3.
    let dim = UNKNOWN;
    if (proj !== null) {
      const ps = shapeOf(a, a.nodes[proj].outputs[0]);
      if (ps && ps.length) dim = ps[ps.length - 1];
    }
    let heads: number;
    const numel = s.every((d) => d >= 0) ? numElements(s) : UNKNOWN;
    if (dim > 0 && headDim > 0 && dim % headDim === 0) heads = dim / headDim;
    else heads = s.length === 4 ? s[1] : s[0] / a.batch;
    if (dim <= 0 && headDim > 0) dim = heads * headDim;
    const windows = numel > 0 && heads > 0 ? numel / (a.batch * heads * N * N) : UNKNOWN;
    // Constants added between QKᵀ and the Softmax (relative position bias, masks).
    const scoreAdds: number[] = [];
    walk(a, n.inputs[0], {
      direction: 'back',
      through: (p) => p !== scores && SCORE_PATH.has(a.nodes[p].opType),
      maxSteps: 40,
      onPass: (p) => {
        const op = a.nodes[p].opType;
        if (op === 'Add' || op === 'Sub' || op === 'Where') scoreAdds.push(p);
      },
    });
    a.attentions.push({
      softmax: i,
      scores,
      values,
      qkv: [...qkvSet].sort((x, y) => x - y),
      proj,
      heads,
      tokens: N,
      headDim,
      dim,
      windows: Number.isInteger(windows) ? windows : UNKNOWN,
      scoreAdds,
    });
  }
}

/**
 * True when the tensor comes from 2×2 neighbourhoods reorganised into channels (patch merging):
 * back through norms and views to timm's reshape(B, H/2, 2, W/2, 2, C).permute(...), or to the
 * official Concat of the four x[:, i::2, j::2] Slices.
 */
function isSpaceToDepth(a: GraphAnalysis, name: string): boolean {
  const c = chain(a, name, {
    direction: 'back',
    through: (p) => a.normNodes.has(p) || a.nodes[p].opType === 'Reshape' || a.nodes[p].opType === 'Flatten' || PASS_THROUGH.has(a.nodes[p].opType),
    stopAt: (p) => a.nodes[p].opType === 'Transpose' || a.nodes[p].opType === 'Concat',
    maxSteps: 9,
  });
  if (c.end === null) return false;
  const n = a.nodes[c.end];
  if (n.opType === 'Transpose') {
    // timm: the permute of the 6-D view, read by a Reshape/Flatten (flatten(3)).
    const last = c.path.length ? a.nodes[c.path[c.path.length - 1]].opType : '';
    const inS = shapeOf(a, n.inputs[0]);
    return (last === 'Reshape' || last === 'Flatten') && !!inS && inS.length >= 6 && inS.filter((d) => d === 2).length >= 2;
  }
  const ins = n.inputs.filter((x) => x && !a.isConst(x));
  return ins.length === 4 && ins.every((x) => {
    const q = sourceOf(a, x).node;
    if (q === null || a.nodes[q].opType !== 'Slice') return false;
    const steps = a.nodes[q].inputs[4] ? a.shapes.tensors.get(a.nodes[q].inputs[4])?.value : undefined;
    return !!steps && steps.some((v) => v === 2);
  });
}

function assignRoles(a: GraphAnalysis): void {
  const roles = a.roles;
  for (const k of a.normNodes) roles[k] = 'norm';
  if (a.patchEmbed !== null) roles[a.patchEmbed] = 'patchEmbed';
  for (const at of a.attentions) {
    for (const q of at.qkv) roles[q] = 'qkv';
    if (at.scores !== null) roles[at.scores] = 'attnScores';
    roles[at.softmax] = 'attnScores';
    for (const s of at.scoreAdds) roles[s] = 'attnScores';
    if (at.values !== null) roles[at.values] = 'attnValues';
    if (at.proj !== null) roles[at.proj] = 'attnProj';
  }
  // Heads: weighted nodes from which a graph output is reached without another weighted node.
  const outputs = new Set(a.model.graph.outputs.map((o) => o.name));
  // Walk back from the graph outputs, stopping at weighted nodes and attention Softmaxes: the
  // weighted nodes reached first are the heads.
  const softmaxes = new Set(a.attentions.map((at) => at.softmax));
  const headSet = new Set(walkAll(a, [...outputs], { direction: 'back', through: (p) => !softmaxes.has(p), stopAt: (p) => a.weightOf.has(p) }));
  const reachesOutputDirectly = (i: number): boolean => headSet.has(i);
  const hasAttention = a.attentions.length > 0;
  for (const [i, w] of a.weightOf) {
    if (roles[i] !== 'other') continue;
    const n = a.nodes[i];
    if (reachesOutputDirectly(i)) {
      roles[i] = 'head';
      continue;
    }
    if (CONV_LIKE.has(n.opType)) {
      const ks = attrInts(n, 'kernel_shape') ?? w.dims.slice(2);
      const st = attrInts(n, 'strides') ?? [];
      if (hasAttention && ks.length && ks[0] > 1 && ks.every((x, k) => x === st[k])) roles[i] = 'merge';
      continue;
    }
    const src = n.inputs.find((x) => x && !a.isConst(x));
    if (src && isSpaceToDepth(a, src)) {
      roles[i] = 'merge';
      continue;
    }
    if (hasAttention) roles[i] = 'mlp';
  }
  // Non-MAC nodes take the role of the weighted node they follow (bias adds, activations,
  // reshapes), unless they join two computed tensors (residual adds) or compute shapes.
  for (const i of a.shapes.order) {
    if (roles[i] !== 'other' || a.weightOf.has(i)) continue;
    const n = a.nodes[i];
    if (n.outputs.every((o) => !o || a.isConst(o))) continue;
    const dyn = n.inputs.filter((x) => x && !a.isConst(x));
    if (dyn.length === 0) continue;
    const rs = new Set(dyn.map((x) => {
      const p = a.producer.get(x);
      return p === undefined ? 'other' : roles[p];
    }));
    if (rs.size !== 1) continue; // a join of two branches (a residual add): other
    const r = [...rs][0];
    if (r === 'head' || r === 'norm' || r === 'other') continue;
    roles[i] = r;
  }
}

/** Tokens-per-image helper: the number of tokens of the graph's patch grid. */
export function patchGrid(a: GraphAnalysis): [number, number] | null {
  if (a.patchEmbed === null) return null;
  const s = shapeOf(a, a.nodes[a.patchEmbed].outputs[0]);
  if (!s || s.length !== 4 || s[2] < 0 || s[3] < 0) return null;
  return [s[2], s[3]];
}
