/**
 * The hybrid architecture (ViT paper, Section 3.1): the token sequence is made of patches of a
 * CNN's feature map instead of raw image patches; with 1×1 patches the feature map is simply
 * flattened and projected to the Transformer width. Found from the graph, not from names: the
 * Conv that makes the first attention block's tokens (reached back from its Q/K/V projection
 * through norms, the position-embedding add and the class-token concat) is the token projection;
 * when its input is not the image but the output of other convolutions, those are the backbone.
 * The effective patch size in input pixels is the backbone's stride × the projection's stride.
 *
 * Also register tokens (DINOv2, "Vision Transformers Need Registers"): a block of more than one
 * learned token concatenated into the sequence; class and distillation tokens come one at a time.
 */
import { attrInts, numElements } from '../onnx/model';
import type { Backbone, GraphAnalysis } from '../graph/structure';
import { NORM_OPS, NORM_PARTS, TOKEN_LAYOUT, ARITH_OPS, CONV_LIKE, TO_BATCH } from '../graph/ops';
import { ANY, chain, walk } from '../graph/walk';
import type { TreeNode } from './tree';

const TOKEN_PATH = new Set([...TOKEN_LAYOUT, ...ARITH_OPS, ...NORM_OPS, ...NORM_PARTS]);

/** The Conv that produces the tokens of the first attention block, or null. */
export function tokenProjection(a: GraphAnalysis): number | null {
  const first = a.attentions[0];
  if (!first || !first.qkv.length) return null;
  const q = a.nodes[first.qkv[0]];
  const x = q.inputs.find((t) => t && !a.isConst(t));
  if (!x) return null;
  return walk(a, x, { direction: 'back', through: TOKEN_PATH, stopAt: (p) => CONV_LIKE.has(a.nodes[p].opType), maxSteps: 200 });
}

/** The CNN backbone feeding the token projection, or null for a ViT whose projection sees the image. */
export function findBackbone(a: GraphAnalysis, projection: number): Backbone | null {
  const input = a.nodes[projection].inputs[0];
  // Everything computed before the projection.
  const nodes = new Set<number>();
  walk(a, input, { direction: 'back', through: ANY, onPass: (p) => nodes.add(p) });
  const convs = [...nodes].filter((p) => CONV_LIKE.has(a.nodes[p].opType)).length;
  if (convs === 0) return null;
  // Residual stages: an Add of two computed tensors inside the backbone.
  let residual = false;
  for (const i of nodes) {
    const n = a.nodes[i];
    if (n.opType === 'Add' && n.inputs.length === 2 && n.inputs.every((t) => t && !a.isConst(t))) residual = true;
  }
  const fs = a.shapes.tensors.get(input)?.shape;
  const featureMap: [number, number] | null = fs && fs.length === 4 && fs[2] > 0 && fs[3] > 0 ? [fs[2], fs[3]] : null;
  const img = a.shapes.imageSize;
  const pn = a.nodes[projection];
  const ps = attrInts(pn, 'strides') ?? [1, 1];
  let stride: number | null = null;
  let why: string | undefined;
  if (!featureMap || !img) why = `the ${featureMap ? 'input image size' : 'feature map\'s size'} is unknown`;
  else if (img[0] % featureMap[0] !== 0 || img[1] % featureMap[1] !== 0 || img[0] / featureMap[0] !== img[1] / featureMap[1]) {
    why = `a ${featureMap[0]}×${featureMap[1]} feature map from a ${img[0]}×${img[1]} image is not a whole, square stride`;
  } else stride = img[0] / featureMap[0];
  return { kind: residual ? 'resnet' : 'conv', stride, featureMap, projection, projectionStride: ps[0] ?? 1, nodes, why };
}

/**
 * The learned tokens concatenated into the sequence, by initializer: "class token" and
 * "distillation token" (one each, in that order), "register tokens ×R" (a block of R > 1).
 */
export function extraTokenInitializers(a: GraphAnalysis, dim: number, patches: number): Map<string, string> {
  const out = new Map<string, string>();
  let singles = 0;
  for (const src of sequenceParts(a, dim, patches)) {
    const init = a.initializers.get(src);
    if (!init || out.has(src) || init.dims[init.dims.length - 1] !== dim) continue;
    const R = numElements(init.dims) / dim;
    if (R >= patches) continue;
    if (R > 1) out.set(src, `register tokens ×${R}`);
    else out.set(src, singles++ === 0 ? 'class token' : 'distillation token');
  }
  return out;
}

/**
 * The inputs of every Concat that builds the token sequence ([B, ≥patches, dim]), each seen
 * through an Expand/Tile/Identity/Cast that brings a learned token to the batch.
 */
function* sequenceParts(a: GraphAnalysis, dim: number, patches: number): Generator<string> {
  for (const n of a.nodes) {
    if (n.opType !== 'Concat') continue;
    const shape = a.shapes.tensors.get(n.outputs[0])?.shape;
    if (!shape || shape.length !== 3 || shape[2] !== dim || shape[1] < patches) continue;
    for (const t of n.inputs) yield chain(a, t, { direction: 'back', constants: true, through: TO_BATCH, maxSteps: 1 }).tensor;
  }
}

/**
 * Names in the module tree: the op that brings in each learned token is called after it (its
 * params stay where they are, so every module still sums its children), and the top-most
 * modules made only of backbone nodes become a "backbone" group (one is made at the root when
 * the export has no module scopes).
 */
export function nameTreeParts(tree: TreeNode, a: GraphAnalysis, tokens: Map<string, string>): void {
  const visit = (t: TreeNode): void => {
    if (t.node !== undefined) {
      const label = a.nodes[t.node].inputs.map((x) => tokens.get(x)).find((x) => x);
      if (label) t.name = `${label} (${t.name})`;
    }
    t.children.forEach(visit);
  };
  visit(tree);
  const bb = a.backbone;
  if (!bb) return;
  const ops = (t: TreeNode, out: number[] = []): number[] => {
    if (t.node !== undefined) out.push(t.node);
    for (const c of t.children) ops(c, out);
    return out;
  };
  let marked = 0;
  const mark = (t: TreeNode): void => {
    const inside = ops(t);
    if (t !== tree && t.node === undefined && inside.length && inside.every((i) => bb.nodes.has(i)) && inside.some((i) => CONV_LIKE.has(a.nodes[i].opType))) {
      t.kind = 'backbone';
      marked++;
      return;
    }
    t.children.forEach(mark);
  };
  mark(tree);
  if (marked) return;
  const leaves = tree.children.filter((c) => c.node !== undefined && bb.nodes.has(c.node));
  if (!leaves.length) return;
  const group: TreeNode = {
    name: 'backbone',
    id: '/backbone',
    kind: 'backbone',
    params: leaves.reduce((s, c) => s + c.params, 0),
    macs: leaves.reduce((s, c) => s + c.macs, 0),
    outputShape: leaves[leaves.length - 1].outputShape,
    children: leaves,
  };
  const at = tree.children.indexOf(leaves[0]);
  tree.children = tree.children.filter((c) => !leaves.includes(c));
  tree.children.splice(at, 0, group);
}

/** Register tokens: learned blocks of more than one token concatenated into the sequence ([1, R, D] constants, R > 1). */
export function countRegisters(a: GraphAnalysis, dim: number, patches: number): number {
  const counted = new Set<string>();
  let registers = 0;
  for (const src of sequenceParts(a, dim, patches)) {
    if (!a.isConst(src) || counted.has(src)) continue;
    const s = a.shapes.tensors.get(src)?.shape ?? a.initializers.get(src)?.dims;
    if (!s || s.length < 2 || s[s.length - 1] !== dim) continue;
    const R = numElements(s) / dim;
    if (R > 1 && R < patches) {
      counted.add(src);
      registers += R;
    }
  }
  return registers;
}
