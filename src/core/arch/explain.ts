/**
 * "Every number explained": one or two sentences per tree entry, in the papers' terms and filled
 * with this model's values (patch embedding p×p×3 → C, Q/K/V, the scale 1/√d read from the graph,
 * QKᵀ, +B, +mask (−100), Softmax, ·V, projection, MLP C → rC → C, patch merging, head), and the
 * labels the tree shows for Swin's stages ("stage i (h×w tokens, C channels, window M, heads n)")
 * and its patch merging. Only structure is read; nothing here loads weights.
 */
import { numElements } from '../onnx/model';
import { SCALE_PATH } from '../graph/ops';
import type { AttentionInfo, GraphAnalysis } from '../graph/structure';
import { walk } from '../graph/walk';
import type { Detection } from './detect';
import type { TreeNode } from './tree';
import { MASKED } from '../swin/mask';
import { isSwinFamily } from '../terms';

const f4 = (v: number): string => (Math.abs(v) >= 1e-3 ? String(Number(v.toFixed(4))) : v.toPrecision(3));
const shapeOf = (a: GraphAnalysis, name: string | undefined): number[] | null => (name ? (a.shapes.tensors.get(name)?.shape ?? null) : null);
const last = (s: number[] | null): number => (s && s.length ? s[s.length - 1] : -1);

/** The scalar constant of a Mul/Div (the attention scale), read from the graph's folded values. */
export function scalarOf(a: GraphAnalysis, node: number): number | null {
  for (const inp of a.nodes[node].inputs) {
    if (!inp || !a.isConst(inp)) continue;
    const v = a.shapes.tensors.get(inp)?.value ?? a.initializers.get(inp)?.values;
    if (v && v.length === 1) return v[0];
  }
  return null;
}

interface Context {
  a: GraphAnalysis;
  det: Detection;
  /** Node index → the attention block it belongs to (Q/K/V, scores, adds, Softmax, values, projection). */
  attnOf: Map<number, AttentionInfo>;
  /** The Mul/Div by 1/√d of each attention block. */
  scaleNodes: Set<number>;
  window: (at: AttentionInfo) => string;
}

function attentionLines(c: Context, i: number, at: AttentionInfo): string | null {
  const { a } = c;
  const n = a.nodes[i];
  const N = at.tokens;
  const d = at.headDim;
  const where = isSwinFamily(c.det.family) ? `its ${c.window(at)} window` : 'the sequence';
  if (at.qkv.includes(i)) {
    const out = last(shapeOf(a, n.outputs[0]));
    if (out === 3 * at.dim) return `Q, K, V: one linear layer C → 3C (${at.dim} → ${out}) gives every token a query, key and value, split into ${at.heads} heads of d = ${d}.`;
    return `A projection of Q, K or V: C → ${out > 0 ? out : '?'} for ${at.heads} heads of d = ${d}.`;
  }
  if (i === at.scores) return `QKᵀ: each of the ${N} queries of ${where} against its ${N} keys, per head: ${at.heads} × ${N}×${N} scores (d = ${d} multiply-adds each).`;
  if (i === at.softmax) return `Softmax over the ${N} keys: each query's attention weights become positive and sum to 1.`;
  if (i === at.values) return `·V: each query's output is the attention-weighted sum of the ${N} values (d = ${d} per head).`;
  if (i === at.proj) return `Projection: the ${at.heads} heads concatenated back to C = ${at.dim} and mixed by a linear layer ${at.dim} → ${at.dim}.`;
  if (at.scoreAdds.includes(i)) {
    for (const inp of n.inputs) {
      if (!inp || !a.isConst(inp)) continue;
      const s = shapeOf(a, inp);
      if (!s) continue;
      const dims = [...s];
      while (dims.length > 3 && dims[0] === 1) dims.shift();
      if (dims.length === 3 && dims[0] === at.heads && dims[1] === N && dims[2] === N) {
        const M = Math.round(Math.sqrt(N));
        const table = M * M === N ? `a (2·${M}−1)² = ${(2 * M - 1) ** 2}-entry table per head` : 'a (2Mh−1)(2Mw−1) table per head';
        return `+B: the relative position bias, one learned value per head and offset (Δh, Δw) inside the window (${table}, gathered by the relative position index), added to the ${N}×${N} scores.`;
      }
      const v = a.shapes.tensors.get(inp)?.value;
      if (numElements(s.map((x) => Math.max(x, 0))) > 0 && (!v || v.some((x) => x === MASKED))) {
        return `+mask: ${MASKED} where query and key come from different regions of the cyclically shifted map, so after the Softmax they ignore each other (SW-MSA).`;
      }
    }
    return 'Adds something computed to the scores before the Softmax.';
  }
  if (c.scaleNodes.has(i)) {
    const v = scalarOf(a, i);
    if (v !== null && v !== 0) {
      const scale = n.opType === 'Div' ? 1 / v : v;
      const root = Math.round(1 / (scale * scale));
      const exact = Math.abs(1 / Math.sqrt(root) - scale) < 1e-6 * Math.max(1, scale);
      return `Scale: × ${f4(scale)}${exact ? ` = 1/√${root}` : ''} (d = ${d}), so the dot products do not grow with the head width before the Softmax.`;
    }
  }
  return null;
}

function opLine(c: Context, t: TreeNode): string | null {
  const { a, det } = c;
  const i = t.node!;
  const n = a.nodes[i];
  const at = c.attnOf.get(i);
  if (at) {
    const s = attentionLines(c, i, at);
    if (s) return s;
  }
  const w = a.weightOf.get(i);
  const role = a.roles[i];
  if (role === 'patchEmbed' && w && w.dims.length >= 4) {
    const [C, cin, p, q] = w.dims;
    const out = shapeOf(a, n.outputs[0]);
    const grid = out && out.length === 4 ? ` on a ${out[2]}×${out[3]} grid` : '';
    return `Patch embedding: each ${p}×${q}×${cin} patch of the image → a C = ${C} token, by a ${p}×${q} convolution with stride ${p}${grid}.`;
  }
  if (w && w.dims.length === 2) {
    const out = last(shapeOf(a, n.outputs[0]));
    const inn = w.dims[0] === out ? w.dims[1] : w.dims[0];
    if (role === 'mlp') {
      return out > inn
        ? `MLP, first layer: C → rC (${inn} → ${out}, r = ${f4(out / inn)}), followed by GELU.`
        : `MLP, second layer: rC → C (${inn} → ${out}) back to the width of the residual stream.`;
    }
    if (role === 'merge') return `Patch merging reduction: 4C → 2C (${inn} → ${out}), a linear layer without bias on the concatenated 2×2 neighbours.`;
    if (role === 'head') return `Classification head: C → classes (${inn} → ${out}).`;
  }
  if (n.opType === 'Gelu' || n.opType === 'Erf' || n.opType === 'FastGelu' || n.opType === 'BiasGelu') return 'GELU, the MLP\'s non-linearity: x·Φ(x).';
  if (role === 'norm' && (n.opType === 'LayerNormalization' || n.opType === 'ReduceMean')) {
    const C = last(shapeOf(a, n.inputs[0]));
    return `LayerNorm over the ${C > 0 ? C : ''} channels of each token (mean 0, variance 1, then a learned scale and shift).`;
  }
  if (n.opType === 'Concat' && !isSwinFamily(det.family) && det.config.extraTokens > 0 && n.inputs.some((x) => x && a.isConst(x))) {
    const k = det.config.extraTokens;
    return `Prepends ${k} learned token${k > 1 ? 's' : ''} (class${k > 1 ? ', distillation or register' : ''}) to the patch tokens; the head reads the class token.`;
  }
  if (n.opType === 'Add' && !isSwinFamily(det.family)) {
    const pos = n.inputs.find((x) => x && a.initializers.has(x) && (a.initializers.get(x)!.dims.length >= 2));
    if (pos) {
      const dims = a.initializers.get(pos)!.dims.filter((x) => x !== 1);
      if (dims.length === 2) return `Position embedding: a learned ${dims[0]}×${dims[1]} table (one C-vector per token position) added to the tokens.`;
    }
  }
  return null;
}

/** All op leaves under a tree node. */
function leaves(t: TreeNode, out: TreeNode[] = []): TreeNode[] {
  if (t.kind === 'op') out.push(t);
  for (const ch of t.children) leaves(ch, out);
  return out;
}

/** Sets `label` (Swin stages, patch merging) and `explain` on the tree's entries. */
export function explainTree(tree: TreeNode, a: GraphAnalysis, det: Detection): void {
  const attnOf = new Map<number, AttentionInfo>();
  const scaleNodes = new Set<number>();
  for (const at of a.attentions) {
    for (const q of at.qkv) attnOf.set(q, at);
    for (const k of [at.scores, at.values, at.proj, at.softmax, ...at.scoreAdds]) if (k !== null) attnOf.set(k, at);
  }
  // The scale: a Mul/Div by a scalar constant on Q or K (or on the scores) a few view ops before the Softmax.
  for (const at of a.attentions) {
    if (at.scores === null) continue;
    // Other attention nodes are neither passed through nor taken (each block finds its own scale).
    const own = (p: number): boolean => !attnOf.has(p) || p === at.softmax;
    const scale = walk(a, [...a.nodes[at.scores].inputs, ...a.nodes[at.softmax].inputs].filter((x) => x && !a.isConst(x)), {
      direction: 'back',
      through: (p) => own(p) && SCALE_PATH.has(a.nodes[p].opType),
      stopAt: (p) => own(p) && (a.nodes[p].opType === 'Mul' || a.nodes[p].opType === 'Div') && scalarOf(a, p) !== null,
      maxSteps: 24,
    });
    if (scale !== null) {
      attnOf.set(scale, at);
      scaleNodes.add(scale);
    }
  }
  const winOf = new Map<number, { M: number | null; shift: number }>();
  for (const st of det.stages) for (const b of st.blocks) winOf.set(b.softmax, { M: st.window, shift: b.shift });
  const ctx: Context = {
    a,
    det,
    attnOf,
    scaleNodes,
    window: (at) => {
      const M = winOf.get(at.softmax)?.M;
      return M ? `${M}×${M}` : `${at.tokens}-token`;
    },
  };
  let stageNo = 0;
  const visit = (t: TreeNode, inMerge = false): void => {
    if (t.kind === 'op') {
      const s = opLine(ctx, t);
      if (s) t.explain = s;
      return;
    }
    const ops = leaves(t);
    const weighted = ops.filter((o) => o.node !== undefined && a.weightOf.has(o.node));
    const softmaxes = ops.filter((o) => o.node !== undefined && a.attentions.some((x) => x.softmax === o.node));
    if (t.kind === 'stage') {
      const st = det.stages[stageNo++];
      if (st && isSwinFamily(det.family)) {
        const [h, w] = st.tokens;
        t.label = `stage ${stageNo} (${h}×${w} tokens, ${st.dim} channels, window ${st.window ?? '?'}, heads ${st.heads})`;
        const shifted = st.blocks.filter((b) => b.shifted);
        const nW = st.window ? Math.ceil(h / st.window) * Math.ceil(w / st.window) : null;
        t.explain = `${st.depth} Swin block${st.depth > 1 ? 's' : ''} on ${h}×${w} tokens of C = ${st.dim}: attention inside ${st.window}×${st.window} windows${nW ? ` (${nW} per image)` : ''}${shifted.length ? `, every second block shifted by ${shifted[0].shift}` : ''}; ${st.heads} heads of d = ${st.dim / st.heads}.`;
      } else if (st) {
        t.explain = `${st.depth} transformer blocks on ${st.tokens[0] * st.tokens[1]}${det.config.extraTokens ? ` + ${det.config.extraTokens}` : ''} tokens of C = ${st.dim}: global self-attention, ${st.heads} heads of d = ${st.dim / st.heads}.`;
      }
    } else if (!inMerge && !softmaxes.length && weighted.length && weighted.every((o) => a.roles[o.node!] === 'merge' || a.roles[o.node!] === 'norm') && weighted.some((o) => a.roles[o.node!] === 'merge')) {
      const red = weighted.find((o) => a.roles[o.node!] === 'merge')!;
      const out = shapeOf(a, a.nodes[red.node!].outputs[0]);
      const C2 = last(out);
      const grid = out && out.length === 4 ? `${out[1] * 2}×${out[2] * 2} → ${out[1]}×${out[2]} tokens` : 'tokens ÷ 4';
      t.label = 'patch merging';
      inMerge = true;
      t.explain = `Patch merging: each 2×2 group of neighbouring tokens (x0..x3: top-left, bottom-left, top-right, bottom-right) concatenated, C → 4C = ${2 * C2}, LayerNorm, then a linear layer 4C → 2C = ${C2}: ${grid}.`;
    } else if (t.kind === 'block') {
      const at = a.attentions.find((x) => x.softmax === softmaxes[0]?.node);
      const win = at ? winOf.get(at.softmax) : undefined;
      if (isSwinFamily(det.family) && at) t.explain = `${win && win.shift > 0 ? `SW-MSA block (windows shifted by ${win.shift})` : 'W-MSA block'}: LayerNorm → window attention → residual add, then LayerNorm → MLP → residual add.`;
      else t.explain = 'Transformer block: LayerNorm → multi-head self-attention → residual add, then LayerNorm → MLP → residual add.';
    } else if (t.kind === 'attention') {
      const at = a.attentions.find((x) => x.softmax === softmaxes[0]?.node);
      if (at) t.explain = isSwinFamily(det.family) ? `Window attention SoftMax(QKᵀ/√d + B)V in each ${ctx.window(at)} window: ${at.heads} heads of d = ${at.headDim}, ${at.tokens} tokens each.` : `Multi-head self-attention SoftMax(QKᵀ/√d)V over all ${at.tokens} tokens: ${at.heads} heads of d = ${at.headDim}.`;
    } else if (t.kind === 'mlp') {
      const ws = weighted.map((o) => a.weightOf.get(o.node!)!);
      const outs = weighted.map((o) => last(shapeOf(a, a.nodes[o.node!].outputs[0])));
      if (ws.length === 2 && outs[0] > 0 && outs[1] > 0) t.explain = `MLP: C → rC → C (${outs[1]} → ${outs[0]} → ${outs[1]}, r = ${f4(outs[0] / outs[1])}) with GELU between, applied to each token alone.`;
    } else if (t.kind === 'embed') {
      const pe = weighted.find((o) => a.roles[o.node!] === 'patchEmbed');
      if (pe) t.explain = opLine(ctx, pe) ?? undefined;
    } else if (t.kind === 'head') {
      const hd = weighted.find((o) => a.roles[o.node!] === 'head');
      if (hd) t.explain = opLine(ctx, hd) ?? undefined;
    }
    for (const ch of t.children) visit(ch, inMerge);
  };
  visit(tree);
}
