/**
 * The one graph search of the analysis: breadth-first from a tensor, backwards to producers or
 * forwards to consumers, passing through the ops of a named set (ops.ts) and stopping at the
 * first node a predicate accepts. Constants are never followed backwards (a weight is not the
 * path of the tokens). The step limit counts tensors taken from the queue: searches are local
 * (a block's few reshapes), so a limit keeps a miss from scanning a 10,000-node graph.
 * With `constants` the walk goes into a constant subgraph (a relative-position table behind its
 * Gather, a V2 bias computed through a Sigmoid); `chain` follows one path instead of all.
 */
import type { OnnxNode } from '../onnx/model';
import type { OpSet } from './ops';
import { PASS_THROUGH, QUANTIZE_OPS } from './ops';

export interface WalkGraph {
  nodes: readonly OnnxNode[];
  producer: ReadonlyMap<string, number>;
  consumers: ReadonlyMap<string, readonly number[]>;
  isConst: (name: string) => boolean;
}

/** A node test; `via` is the tensor the walk reached the node by. */
export type NodeTest = (node: number, via: string) => boolean;

export interface WalkOptions {
  direction: 'back' | 'forward';
  /** Nodes the walk passes through: an op set, or a test. */
  through: OpSet | NodeTest;
  /** Where the walk ends (checked before `through`); never passed through. */
  stopAt?: NodeTest;
  /** Tensors taken from the queue at most; unlimited when absent. */
  maxSteps?: number;
  /** Called for each node passed through. */
  onPass?: (node: number) => void;
  /** Backwards: follow constant inputs too (the constant subgraph behind a tensor). */
  constants?: boolean;
  /** Backwards: the inputs of a passed node to follow (default: all, constants per `constants`). */
  follow?: (node: number) => readonly (string | undefined)[];
}

/** Any node: for walks whose `stopAt` says everything. */
export const ANY: NodeTest = () => true;

function passes(g: WalkGraph, through: OpSet | NodeTest, i: number, via: string): boolean {
  return typeof through === 'function' ? through(i, via) : through.has(g.nodes[i].opType);
}

/** Runs the walk; calls `found` for each node stopped at, and ends early when it returns true. */
function run(g: WalkGraph, from: string | readonly string[], o: WalkOptions, found: (node: number) => boolean): void {
  const queue = typeof from === 'string' ? [from] : [...from];
  const seen = new Set(queue);
  const max = o.maxSteps ?? Infinity;
  const visit = (i: number, via: string): boolean | 'pass' => {
    if (o.stopAt?.(i, via)) return found(i);
    // A quantize op's scale and zero point are not the tokens' path (DynamicQuantizeLinear's
    // scale feeds the rescaling Mul after the integer product).
    if (o.direction === 'back' && QUANTIZE_OPS.has(g.nodes[i].opType) && via !== g.nodes[i].outputs[0]) return false;
    if (!passes(g, o.through, i, via)) return false;
    o.onPass?.(i);
    return 'pass';
  };
  for (let k = 0; k < queue.length && k < max; k++) {
    const t = queue[k];
    if (o.direction === 'back') {
      const p = g.producer.get(t);
      if (p === undefined) continue;
      const r = visit(p, t);
      if (r === true) return;
      if (r !== 'pass') continue;
      for (const inp of o.follow?.(p) ?? g.nodes[p].inputs) {
        if (!inp || (!o.constants && g.isConst(inp)) || seen.has(inp)) continue;
        seen.add(inp);
        queue.push(inp);
      }
    } else {
      for (const c of g.consumers.get(t) ?? []) {
        const r = visit(c, t);
        if (r === true) return;
        if (r !== 'pass') continue;
        const outs = QUANTIZE_OPS.has(g.nodes[c].opType) ? g.nodes[c].outputs.slice(0, 1) : g.nodes[c].outputs;
        for (const out of outs) {
          if (!out || seen.has(out)) continue;
          seen.add(out);
          queue.push(out);
        }
      }
    }
  }
}

/** The first node the walk stops at, or null. */
export function walk(g: WalkGraph, from: string | readonly string[], o: WalkOptions): number | null {
  let hit: number | null = null;
  run(g, from, o, (i) => ((hit = i), true));
  return hit;
}

/** Every node the walk stops at (in the order reached; the walk goes on past none of them). */
export function walkAll(g: WalkGraph, from: string | readonly string[], o: WalkOptions): number[] {
  const hits: number[] = [];
  run(g, from, o, (i) => (hits.push(i), false));
  return hits;
}

export interface ChainOptions {
  direction: 'back' | 'forward';
  through: OpSet | NodeTest;
  stopAt?: NodeTest;
  maxSteps?: number;
  /** Backwards: follow a node's first input even when constant (default: its first computed input). */
  constants?: boolean;
  /** Backwards: the input of a passed node to follow next (overrides the default). */
  next?: (node: number) => string | undefined;
}

export interface Chain {
  /** The nodes passed through, in order. */
  path: number[];
  /** The node stopped at, or null (no producer/consumer, an op not passed, or the step limit). */
  end: number | null;
  /** The last tensor reached (the stopped node's `via`, or where the chain ran out). */
  tensor: string;
}

/**
 * A single path: backwards along each node's first computed input (or first input, with
 * `constants`), forwards along a tensor's only consumer. Stops like walk(); `path` is what it
 * passed. For chains a few ops long (a score's elementwise steps, a constant behind view ops).
 */
export function chain(g: WalkGraph, from: string, o: ChainOptions): Chain {
  const path: number[] = [];
  let tensor = from;
  const max = o.maxSteps ?? Infinity;
  for (let k = 0; k < max && tensor; k++) {
    let i: number | undefined;
    if (o.direction === 'back') i = g.producer.get(tensor);
    else {
      const cs = g.consumers.get(tensor) ?? [];
      i = cs.length === 1 ? cs[0] : undefined;
    }
    if (i === undefined) break;
    if (o.stopAt?.(i, tensor)) return { path, end: i, tensor };
    if (!passes(g, o.through, i, tensor)) break;
    path.push(i);
    const n = g.nodes[i];
    const next = o.direction === 'forward' ? n.outputs[0] : o.next ? o.next(i) : o.constants ? n.inputs[0] : n.inputs.find((x) => x && !g.isConst(x));
    if (!next) break;
    tensor = next;
  }
  return { path, end: null, tensor };
}

/**
 * The node that makes a tensor, past the ops that hand a value on unchanged (Identity, Dropout,
 * Cast, Q/DQ: ops.ts's PASS_THROUGH), and the tensor it hands on: what a pattern test (a roll's
 * Slices, a merge's Concat) reads, whatever an exporter or a quantizer put between.
 */
export function sourceOf(g: WalkGraph, tensor: string): { node: number | null; tensor: string } {
  const c = chain(g, tensor, { direction: 'back', through: PASS_THROUGH, stopAt: (p) => !PASS_THROUGH.has(g.nodes[p].opType), maxSteps: 8 });
  return { node: c.end, tensor: c.tensor };
}
