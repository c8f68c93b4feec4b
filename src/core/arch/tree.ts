/**
 * The module tree: the hierarchy PyTorch's exporter writes into node names
 * (`/features/features.1/features.1.0/attn/MatMul`), with params, MACs and the output shape of
 * every module, each module given a kind (stage, block, attention, mlp, ...) from what it contains.
 * Nodes without a scope are folded into the module of their neighbours; shape arithmetic that the
 * runtime folds to constants is counted per module (`foldedOps`) but not listed.
 */
import type { OnnxNode } from '../onnx/model';
import type { GraphAnalysis } from '../graph/structure';
import type { Role } from '../terms';
import type { NodeCost } from '../flops/graph';
import { ANY, walk } from '../graph/walk';

export type TreeKind = 'model' | 'stage' | 'block' | 'attention' | 'mlp' | 'norm' | 'embed' | 'backbone' | 'head' | 'op' | 'module';

export interface TreeNode {
  /** Module name (`features.1.0`, `attn`) or op name (`MatMul_1`). */
  name: string;
  /** Unique id: the scope path for modules, the node name (or `#index`) for ops. */
  id: string;
  kind: TreeKind;
  params: number;
  macs: number;
  outputShape: number[] | null;
  children: TreeNode[];
  /** Op leaves: op type, node index in the graph, role. */
  op?: string;
  node?: number;
  role?: Role;
  /** Modules: ops folded to constants (shape arithmetic), not listed. */
  foldedOps?: number;
  /** After collapseRepeats: this entry stands for `repeat` consecutive identical groups. */
  repeat?: number;
  /** After collapseRepeats: how many siblings one repetition spans (1, or 2 for alternating blocks). */
  period?: number;
  /** The paper's name for this entry when it differs from the module name ("stage 1 (56×56 tokens, …)", "patch merging"); see explain.ts. */
  label?: string;
  /** One or two sentences: what this entry is in the paper, with this model's numbers (explain.ts). */
  explain?: string;
}

const MAX_SCOPE_DEPTH = 32;

function scopeOf(name: string): string[] | null {
  if (!name.startsWith('/')) return null;
  const parts = name.split('/').slice(1, -1).filter((p) => p.length > 0);
  // Deeper than any real model: keep the tree (and the recursion over it) bounded.
  return parts.length ? parts.slice(0, MAX_SCOPE_DEPTH) : null;
}

function leafName(n: OnnxNode, i: number): string {
  if (n.name) {
    const k = n.name.lastIndexOf('/');
    return k >= 0 ? n.name.slice(k + 1) || n.opType : n.name;
  }
  return `${n.opType}_${i}`;
}

interface Building {
  node: TreeNode;
  childMap: Map<string, Building>;
  runtimeNodes: number[];
  lastOrder: number;
}

/**
 * Builds the tree. `paramsOf` gives the (counted) parameters of an initializer; each initializer
 * is attributed to the first node that uses it.
 */
export function buildTree(a: GraphAnalysis, costs: NodeCost[], paramsOf: Map<string, number>, modelName = 'model'): TreeNode {
  const nodes = a.nodes;
  const order = a.shapes.order;
  const pos = new Map<number, number>();
  order.forEach((i, k) => pos.set(i, k));

  // 1. Scope of every node; unscoped nodes take their consumers' (else producers') scope.
  const scopes: (string[] | null)[] = nodes.map((n) => scopeOf(n.name));
  // The nearest scoped node downstream, else upstream of it (a head's weight DequantizeLinear
  // takes the scope of what feeds its Gemm); constants too (a Constant feeding a Reshape).
  const scoped = (p: number): boolean => scopes[p] !== null;
  const resolve = (i: number): string[] | null => {
    const passed = [i];
    const hit =
      walk(a, nodes[i].outputs.filter(Boolean), { direction: 'forward', through: ANY, stopAt: scoped, maxSteps: 64, onPass: (c) => passed.push(c) }) ??
      walk(a, passed.flatMap((p) => nodes[p].inputs.filter(Boolean)), { direction: 'back', through: ANY, stopAt: scoped, constants: true, maxSteps: 64 });
    return hit === null ? null : scopes[hit];
  };
  const resolved = nodes.map((_, i) => scopes[i] ?? resolve(i) ?? []);

  // 2. Attribute initializers to their first user.
  const initOwner = new Map<string, number>();
  for (const i of order) {
    for (const inp of nodes[i].inputs) {
      if (!inp || !paramsOf.has(inp) || initOwner.has(inp)) continue;
      initOwner.set(inp, i);
    }
  }
  // Initializers reached through a layout op (e.g. a transposed weight feeding a MatMul) belong to that op.
  const nodeParams = new Array<number>(nodes.length).fill(0);
  for (const [name, i] of initOwner) nodeParams[i] += paramsOf.get(name) ?? 0;

  // 3. Build the module hierarchy.
  const root: Building = {
    node: { name: modelName, id: '/', kind: 'model', params: 0, macs: 0, outputShape: null, children: [] },
    childMap: new Map(),
    runtimeNodes: [],
    lastOrder: -1,
  };
  const moduleOf = (scope: string[]): Building => {
    let cur = root;
    let id = '';
    for (const part of scope) {
      id += '/' + part;
      let next = cur.childMap.get(part);
      if (!next) {
        next = { node: { name: part, id, kind: 'module', params: 0, macs: 0, outputShape: null, children: [] }, childMap: new Map(), runtimeNodes: [], lastOrder: -1 };
        cur.childMap.set(part, next);
        cur.node.children.push(next.node);
      }
      cur = next;
    }
    return cur;
  };
  const folded = (i: number): boolean => nodes[i].opType === 'Constant' || nodes[i].outputs.every((o) => !o || a.isConst(o));
  const chains = new Map<string, Building[]>();
  for (const i of order) {
    const scope = resolved[i];
    const key = scope.join('/');
    let path = chains.get(key);
    if (!path) {
      moduleOf(scope);
      path = [root];
      let cur = root;
      for (const part of scope) {
        cur = cur.childMap.get(part) as Building;
        path.push(cur);
      }
      chains.set(key, path);
    }
    const mod = path[path.length - 1];
    for (const b of path) {
      b.node.params += nodeParams[i];
      b.node.macs += costs[i].macs;
    }
    if (folded(i) && nodeParams[i] === 0) {
      mod.node.foldedOps = (mod.node.foldedOps ?? 0) + 1;
      continue;
    }
    const n = nodes[i];
    const leaf: TreeNode = {
      name: leafName(n, i),
      id: n.name || `#${i}`,
      kind: 'op',
      params: nodeParams[i],
      macs: costs[i].macs,
      outputShape: a.shapes.tensors.get(n.outputs[0])?.shape ?? null,
      children: [],
      op: n.opType,
      node: i,
      role: a.roles[i],
    };
    mod.node.children.push(leaf);
    for (const b of path) {
      b.runtimeNodes.push(i);
      b.lastOrder = pos.get(i) ?? -1;
    }
  }

  // 4. Output shape of each module: its last runtime node's output that is used outside it (or is a graph output).
  const graphOutputs = new Set(a.model.graph.outputs.map((o) => o.name));
  const attnMatmuls = new Set<number>();
  for (const at of a.attentions) {
    if (at.scores !== null) attnMatmuls.add(at.scores);
    if (at.values !== null) attnMatmuls.add(at.values);
  }
  const finish = (b: Building): void => {
    for (const c of b.childMap.values()) finish(c);
    const inside = new Set(b.runtimeNodes);
    let best: number[] | null = null;
    for (let k = b.runtimeNodes.length - 1; k >= 0 && best === null; k--) {
      const i = b.runtimeNodes[k];
      for (const o of nodes[i].outputs) {
        if (!o) continue;
        const used = (a.consumers.get(o) ?? []).some((c) => !inside.has(c)) || graphOutputs.has(o);
        if (used) {
          best = a.shapes.tensors.get(o)?.shape ?? null;
          break;
        }
      }
    }
    if (best === null && b.runtimeNodes.length) best = a.shapes.tensors.get(nodes[b.runtimeNodes[b.runtimeNodes.length - 1]].outputs[0])?.shape ?? null;
    b.node.outputShape = best;
    b.node.kind = b === root ? 'model' : classify(a, b.node, b.runtimeNodes, inside, attnMatmuls);
  };
  finish(root);
  // Stages: modules whose module children include blocks.
  const markStages = (t: TreeNode): void => {
    for (const c of t.children) markStages(c);
    if (t.kind === 'module' && t.children.filter((c) => c.kind === 'block').length >= 1 && !t.children.some((c) => c.kind === 'stage')) t.kind = 'stage';
  };
  markStages(root.node);
  // Children in graph order: modules by their first node.
  sortChildren(root.node, pos);
  return root.node;
}

function firstNode(t: TreeNode, pos: Map<number, number>): number {
  if (t.node !== undefined) return pos.get(t.node) ?? 0;
  let best = Infinity;
  for (const c of t.children) best = Math.min(best, firstNode(c, pos));
  return best;
}

function sortChildren(t: TreeNode, pos: Map<number, number>): void {
  if (!t.children.length) return;
  const keyed = t.children.map((c) => [firstNode(c, pos), c] as const);
  keyed.sort((x, y) => x[0] - y[0]);
  t.children = keyed.map((k) => k[1]);
  for (const c of t.children) sortChildren(c, pos);
}

function classify(a: GraphAnalysis, t: TreeNode, runtime: number[], set: Set<number>, attnMatmuls: Set<number>): TreeKind {
  const softmaxes = a.attentions.filter((at) => set.has(at.softmax));
  const roles = new Set<Role>();
  for (const i of runtime) if (a.weightOf.has(i) || attnMatmuls.has(i)) roles.add(a.roles[i]);
  if (softmaxes.length === 1 && roles.has('mlp')) return 'block';
  if (softmaxes.length >= 1 && !roles.has('mlp') && softmaxes.length === 1) return 'attention';
  if (softmaxes.length === 0) {
    if (a.patchEmbed !== null && set.has(a.patchEmbed)) return 'embed';
    if (roles.size && [...roles].every((r) => r === 'mlp')) return 'mlp';
    if (roles.size && [...roles].every((r) => r === 'head')) return 'head';
    if (runtime.length && runtime.every((i) => a.normNodes.has(i))) return 'norm';
  }
  return 'module';
}

function signature(t: TreeNode, memo: Map<TreeNode, string>): string {
  const hit = memo.get(t);
  if (hit !== undefined) return hit;
  let s: string;
  if (t.kind === 'op') s = `${t.op}:${t.params}:${t.macs}:${t.outputShape?.join('x') ?? '?'}`;
  else s = `${t.kind}(${t.params},${t.macs},${t.outputShape?.join('x') ?? '?'})[${t.children.map((c) => signature(c, memo)).join(';')}]`;
  memo.set(t, s);
  return s;
}

/**
 * A copy of the tree where runs of identical consecutive siblings (or of identical pairs, as in
 * Swin's alternating W-MSA / SW-MSA blocks) are shown once with `repeat` = N. Params and MACs of a
 * collapsed entry are the totals of the run; its children are those of the first repetition.
 */
export function collapseRepeats(tree: TreeNode, memo = new Map<TreeNode, string>()): TreeNode {
  const kids = tree.children.map((c) => (c.kind === 'op' ? c : collapseRepeats(c, memo)));
  const sigs = tree.children.map((c) => signature(c, memo));
  const out: TreeNode[] = [];
  let k = 0;
  while (k < kids.length) {
    let done = false;
    for (const p of [1, 2]) {
      if (kids[k].kind === 'op') break;
      let reps = 1;
      while (k + (reps + 1) * p <= kids.length && sigs.slice(k + reps * p, k + (reps + 1) * p).every((s, j) => s === sigs[k + j])) reps++;
      if (reps >= 2 && (p === 1 || sigs[k] !== sigs[k + 1])) {
        const group = kids.slice(k, k + reps * p);
        const first = group[0];
        const last = group[group.length - 1];
        const entry: TreeNode =
          p === 1
            ? { ...first, name: `${first.name} … ${last.name}`, id: `${first.id}*${reps}`, repeat: reps, period: 1, params: sum(group, 'params'), macs: sum(group, 'macs') }
            : {
                name: `${first.name} … ${last.name}`,
                id: `${first.id}*${reps}x${p}`,
                kind: 'module',
                params: sum(group, 'params'),
                macs: sum(group, 'macs'),
                outputShape: last.outputShape,
                children: group.slice(0, p),
                repeat: reps,
                period: p,
              };
        out.push(entry);
        k += reps * p;
        done = true;
        break;
      }
    }
    if (!done) out.push(kids[k++]);
  }
  return { ...tree, children: out };
}

function sum(list: TreeNode[], key: 'params' | 'macs'): number {
  return list.reduce((s, t) => s + t[key], 0);
}

export interface TreeMatch {
  /** Ids from the root's child down to the match (expand these to show it). */
  path: string[];
  node: TreeNode;
}

/** Finds tree entries whose name, id or op type contains `query` (case-insensitive). */
export function searchTree(tree: TreeNode, query: string, limit = 500): TreeMatch[] {
  const q = query.trim().toLowerCase();
  const out: TreeMatch[] = [];
  if (!q) return out;
  const walk = (t: TreeNode, path: string[]): void => {
    if (out.length >= limit) return;
    const hay = `${t.name}\n${t.id}\n${t.op ?? ''}\n${t.kind}\n${t.label ?? ''}`.toLowerCase();
    if (path.length && hay.includes(q)) out.push({ path, node: t });
    for (const c of t.children) walk(c, [...path, c.id]);
  };
  walk(tree, []);
  return out;
}
