/**
 * What the step-through can be asked for on a model, from its inspection alone (no run): the
 * blocks, heads and tokens in `vit-inspect trace`'s terms (DESIGN.md), and the block a module of
 * the architecture tree is. The host checks a pick with these before it starts the inference
 * process, and the panel's pickers and error messages quote the same ranges.
 */
import type { InspectResult } from '../core/arch/inspect';
import { isSwinFamily } from '../core/terms';

export interface TracePick {
  layer: number;
  head: number;
  token: number;
}

export interface TracePickRanges {
  /** blocks 0..layers−1, counted across all stages */
  layers: number;
  /** heads of each block */
  heads: number[];
  /** tokens of each block: ViT the sequence length (class, distillation, registers, patches); Swin the stage grid h·w */
  tokens: number[];
}

export const TRACE_FAMILIES = ['vit', 'vit-hybrid', 'swin', 'swin-v2'];

/** The ranges of a ViT/Swin model's blocks, or null for a model the step-through does not trace. */
export function pickRanges(info: Pick<InspectResult, 'family' | 'stages' | 'config'>): TracePickRanges | null {
  if (!TRACE_FAMILIES.includes(info.family) || !info.stages.length) return null;
  const swin = isSwinFamily(info.family);
  const r: TracePickRanges = { layers: 0, heads: [], tokens: [] };
  for (const s of info.stages)
    for (let b = 0; b < s.depth; b++) {
      r.layers++;
      r.heads.push(s.heads);
      r.tokens.push(s.tokens[0] * s.tokens[1] + (swin ? 0 : info.config.extraTokens));
    }
  return r;
}

/** Why a pick is not one this model has, with the valid ranges; null when it is. */
export function pickProblem(r: TracePickRanges, p: TracePick): string | null {
  const whole = (v: number) => Number.isInteger(v) && v >= 0;
  if (!whole(p.layer) || p.layer >= r.layers) return `Block ${p.layer} does not exist: this model has blocks 0..${r.layers - 1}.`;
  if (!whole(p.head) || p.head >= r.heads[p.layer]) return `Head ${p.head} does not exist in block ${p.layer}: it has heads 0..${r.heads[p.layer] - 1}.`;
  if (!whole(p.token) || p.token >= r.tokens[p.layer]) return `Token ${p.token} does not exist in block ${p.layer}: it has tokens 0..${r.tokens[p.layer] - 1}.`;
  return null;
}

/**
 * The block index (across all stages) of a module of the architecture tree: the first attention
 * Softmax inside it. `id` is the tree node's scope path (`/features/features.1/features.1.0`, a
 * collapsed run's `…*6` suffix standing for its first repetition). null when no Softmax is inside.
 */
export function blockLayer(info: Pick<InspectResult, 'attentionOutputs' | 'nodes'>, id: string): number | null {
  const scope = `/${id.replace(/\*.*$/, '').split('/').filter(Boolean).join('/')}/`;
  // The Softmax's node name carries the scope; its output name usually does too (`…/Softmax_output_0`).
  const producer = new Map<string, string>();
  for (const n of info.nodes ?? []) for (const o of n.outputs) producer.set(o.name, n.name);
  const i = info.attentionOutputs.findIndex((o) => (producer.get(o) ?? o).startsWith(scope));
  return i >= 0 ? i : null;
}

