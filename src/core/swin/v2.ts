/**
 * Swin Transformer V2's two attention changes (Liu et al. 2022, Section 3.2), read from the graph:
 * - scaled cosine attention: cos(q, k)/τ, with 1/τ = exp(clamp(logit_scale)) one learned scale per
 *   head, so the scores are multiplied by a per-head constant (Exp of a constant, or its folded value);
 * - continuous position bias: 16·sigmoid(cpb_mlp(relative_coords_table)) gathered by the index, a
 *   constant computed through a Sigmoid, added to the scores.
 * Either one marks the block as V2 (V1 scales by the scalar 1/√d and adds a gathered table).
 */
import { numElements } from '../onnx/model';
import { COORDS_VIEW, WEIGHT_VIEW } from '../graph/ops';
import type { AttentionInfo, GraphAnalysis } from '../graph/structure';
import { ANY, chain, walk, walkAll } from '../graph/walk';

/** The nodes from QKᵀ to the Softmax (the scores' elementwise chain), at most a few steps. */
function scoreChain(a: GraphAnalysis, at: AttentionInfo): number[] {
  return chain(a, a.nodes[at.softmax].inputs[0], { direction: 'back', through: ANY, stopAt: (p) => p === at.scores, maxSteps: 8 }).path;
}

/** Whether a constant was computed through an op of this type within a few producers. */
function computedBy(a: GraphAnalysis, name: string, op: string, steps: number): boolean {
  return walk(a, name, { direction: 'back', constants: true, through: ANY, stopAt: (p) => a.nodes[p].opType === op, maxSteps: 4 * steps }) !== null;
}

/** Scores multiplied by exp(logit_scale): a per-head constant [heads, 1, 1] (not V1's scalar). */
export function hasCosineScale(a: GraphAnalysis, at: AttentionInfo): boolean {
  if (at.heads <= 0) return false;
  return scoreChain(a, at).some((i) => {
    const n = a.nodes[i];
    if (n.opType !== 'Mul') return false;
    return n.inputs.some((x) => {
      if (!x || !a.isConst(x)) return false;
      if (computedBy(a, x, 'Exp', 3)) return true;
      const s = a.shapes.tensors.get(x)?.shape;
      return at.heads > 1 && !!s && s.length >= 3 && s.every((d) => d >= 0) && numElements(s) === at.heads && s[s.length - 1] === 1 && s[s.length - 2] === 1;
    });
  });
}

/** A constant bias computed through a Sigmoid (V2's 16·sigmoid(cpb_mlp(coords))) added to the scores. */
export function hasContinuousPositionBias(a: GraphAnalysis, at: AttentionInfo): boolean {
  return at.scoreAdds.some((i) => a.nodes[i].opType === 'Add' && a.nodes[i].inputs.some((x) => !!x && a.isConst(x) && computedBy(a, x, 'Sigmoid', 8)));
}

export const isSwinV2Block = (a: GraphAnalysis, at: AttentionInfo): boolean => hasContinuousPositionBias(a, at) || hasCosineScale(a, at);

/**
 * relative_coords_table: the constant [.., 2] input the CPB MLP's first Linear layer reads (a
 * buffer in PyTorch, not a parameter). Names of such initializers, followed through Identity.
 */
export function cpbCoordsTables(a: GraphAnalysis): Set<string> {
  const out = new Set<string>();
  for (const [name, t] of a.initializers) {
    if (t.dims.length < 2 || t.dims[t.dims.length - 1] !== 2) continue;
    const stack = [name];
    const users = walkAll(a, name, {
      direction: 'forward',
      through: COORDS_VIEW,
      stopAt: (u) => !COORDS_VIEW.has(a.nodes[u].opType),
      onPass: (u) => stack.push(a.nodes[u].outputs[0]),
      maxSteps: 64,
    });
    // Every use is the data input (A) of a MatMul/Gemm whose output ends, through the MLP, in a Sigmoid.
    const ok = users.length > 0 && users.every((u) => {
      const n = a.nodes[u];
      return (n.opType === 'MatMul' || n.opType === 'Gemm') && stack.includes(n.inputs[0]) && !stack.includes(n.inputs[1]) && isWeight(a, n.inputs[1]) && leadsTo(a, n.outputs[0], 'Sigmoid', 12);
    });
    if (ok) out.add(name);
  }
  return out;
}

/** An initializer, directly or through view ops (a checkpoint's nn.Linear weight kept [out, in] and transposed in place, a DequantizeLinear). */
function isWeight(a: GraphAnalysis, name: string): boolean {
  const c = chain(a, name, { direction: 'back', constants: true, through: WEIGHT_VIEW, maxSteps: 4 });
  return c.end === null && a.initializers.has(c.tensor);
}

function leadsTo(a: GraphAnalysis, name: string, op: string, steps: number): boolean {
  return walk(a, name, { direction: 'forward', through: ANY, stopAt: (u) => a.nodes[u].opType === op, maxSteps: 4 * steps }) !== null;
}
