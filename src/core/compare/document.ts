/**
 * Compare Models: two or more models side by side, in the terms of the papers — the config the
 * detector found, params, MACs per stage and per role (attention, MLP, patch embedding, patch
 * merging, head), and Ω(MSA) against Ω(W-MSA) of each stage at the resolutions the user picks.
 * Pure: built from each model's `arch` (InspectResult), so its params and MACs are `arch`'s;
 * measured latency and a labelled folder's accuracy are added by the caller.
 */
import type { ArchConfig } from '../arch/detect';
import type { InspectResult, StageSummary } from '../arch/inspect';
import type { TreeNode } from '../arch/tree';
import type { ByRole, Family } from '../terms';
import { omegaMsa, omegaWmsa } from '../flops/complexity';
import type { EvaluateDocument, ModelRun } from '../evaluate/document';
import { disagreements } from '../evaluate/metrics';

/** The roles a comparison groups MACs into (the attention terms of Swin's eq. 1 are one role here). */
export const COMPARE_ROLES = ['patchEmbed', 'attention', 'mlp', 'merge', 'head', 'other'] as const;
export type CompareRole = (typeof COMPARE_ROLES)[number];

export const COMPARE_ROLE_NAMES: Record<CompareRole, string> = {
  patchEmbed: 'patch embedding',
  attention: 'attention (Q, K, V, QKᵀ, ·V, projection)',
  mlp: 'MLP',
  merge: 'patch merging',
  head: 'head',
  other: 'other (norms, backbone, rest)',
};

/** A stage as `arch` gives it (without its count of shifted blocks), with its MACs. */
export type CompareStage = Pick<StageSummary, 'name' | 'tokens' | 'dim' | 'heads' | 'depth' | 'window'> & {
  /** MACs of the stage's module in the graph (its blocks), null when the tree has no stage module for it. */
  macs: number | null;
};

/** A model's column: the config `arch` found (these fields of it), params, MACs by role and per stage. */
export interface CompareModel extends Pick<ArchConfig, 'imageSize' | 'patchSize' | 'embedDim' | 'depths' | 'heads' | 'windowSize' | 'numClasses' | 'precision'> {
  name: string;
  path: string;
  family: Family;
  params: number;
  macs: number;
  byRole: Record<CompareRole, number>;
  stages: CompareStage[];
}

export interface CompareDocument {
  models: CompareModel[];
  /** Input resolutions (square) Ω is given at. */
  resolutions: number[];
  omega: { model: string; resolution: number; stages: OmegaAt[] }[];
  latency?: LatencyRow[];
  evaluation?: CompareEvaluation;
}

export interface OmegaAt {
  stage: string;
  tokens: [number, number];
  dim: number;
  window: number | null;
  /** One block's attention at this resolution: Ω(MSA) = 4hwC² + 2(hw)²C. */
  msaMacs: number;
  /** Ω(W-MSA) = 4hwC² + 2M²hwC (map padded to multiples of M); null for global attention. */
  wmsaMacs: number | null;
}

export interface LatencyRow {
  model: string;
  ep: string;
  /** Median of the per-image session.run times over all rounds, in ms. */
  msPerImage: number;
  runs: number;
  /** msPerImage / the first model's. */
  ratio: number;
}

export interface CompareEvaluation {
  folder: string;
  images: number;
  accuracy: { model: string; accuracy: number; top5: number }[];
  agreement: number;
  disagreements: { path: string; truth: string; top1: string[] }[];
}

/** The role groups of a model's byRole; they add up to its MACs. */
export function groupRoles(r: ByRole): Record<CompareRole, number> {
  return {
    patchEmbed: r.patchEmbed,
    attention: r.qkv + r.attnScores + r.attnValues + r.attnProj,
    mlp: r.mlp,
    merge: r.merge,
    head: r.head,
    other: r.norm + r.other,
  };
}

/** The tree's stage modules, in graph order. */
function stageNodes(t: TreeNode, out: TreeNode[] = []): TreeNode[] {
  if (t.kind === 'stage') out.push(t);
  else for (const c of t.children) stageNodes(c, out);
  return out;
}

export function compareModel(name: string, r: InspectResult): CompareModel {
  const nodes = stageNodes(r.tree);
  const c = r.config;
  return {
    name,
    path: r.file,
    family: r.family,
    imageSize: c.imageSize,
    patchSize: c.patchSize,
    embedDim: c.embedDim,
    depths: c.depths,
    heads: c.heads,
    windowSize: c.windowSize,
    numClasses: c.numClasses,
    precision: c.precision,
    params: r.params,
    macs: r.macs,
    byRole: groupRoles(r.byRole),
    stages: r.stages.map((s, i) => ({
      name: `stage ${i + 1}`,
      tokens: s.tokens,
      dim: s.dim,
      heads: s.heads,
      depth: s.depth,
      window: s.window,
      macs: nodes.length === r.stages.length ? nodes[i].macs : null,
    })),
  };
}

/**
 * Ω of each stage when the model is fed `resolution`² images: the stage's token grid scales with
 * the input (h = tokens·resolution / imageSize, rounded up as a strided conv with padding does).
 */
export function omegaAt(m: CompareModel, resolution: number): OmegaAt[] {
  const base = m.imageSize ?? resolution;
  return m.stages.map((s) => {
    const h = Math.max(1, Math.ceil((s.tokens[0] * resolution) / base));
    const w = Math.max(1, Math.ceil((s.tokens[1] * resolution) / base));
    return { stage: s.name, tokens: [h, w], dim: s.dim, window: s.window, msaMacs: omegaMsa(h, w, s.dim), wmsaMacs: s.window === null ? null : omegaWmsa(h, w, s.dim, s.window) };
  });
}

/** Resolutions as the user types them ("224, 384 512"): positive integers, deduplicated, in order. */
export function parseResolutions(text: string): number[] | null {
  const parts = text.split(/[\s,;]+/).filter(Boolean);
  if (!parts.length || parts.some((p) => !/^\d+$/.test(p) || +p < 1 || +p > 10_000)) return null;
  return [...new Set(parts.map(Number))];
}

/** The default resolutions: each model's own, then 2× the largest. */
export function defaultResolutions(models: CompareModel[]): number[] {
  const own = [...new Set(models.map((m) => m.imageSize).filter((s): s is number => !!s))].sort((a, b) => a - b);
  return own.length ? [...own, 2 * own[own.length - 1]] : [224, 384];
}

export function compareDocument(models: { name: string; arch: InspectResult }[], resolutions?: number[]): CompareDocument {
  const ms = models.map((m) => compareModel(m.name, m.arch));
  const res = resolutions ?? defaultResolutions(ms);
  return { models: ms, resolutions: res, omega: ms.flatMap((m) => res.map((resolution) => ({ model: m.name, resolution, stages: omegaAt(m, resolution) }))) };
}

/**
 * The order the models run in, round by round (indices into the models): each model once per round,
 * the first rotated each round, so that no model always runs first (on a cold or a throttled machine).
 */
export function latencySchedule(models: number, rounds: number): number[][] {
  return Array.from({ length: rounds }, (_, round) => Array.from({ length: models }, (_, k) => (k + round) % models));
}

/** Latency rows from each model's per-image times (ms): the median, and its ratio to the first model's. */
export function latencyRows(times: { model: string; ep: string; ms: number[] }[]): LatencyRow[] {
  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    const k = s.length >> 1;
    return s.length ? (s.length % 2 ? s[k] : (s[k - 1] + s[k]) / 2) : 0;
  };
  const rows = times.map((t) => ({ model: t.model, ep: t.ep, msPerImage: median(t.ms), runs: t.ms.length, ratio: 1 }));
  const first = rows[0]?.msPerImage || 1;
  for (const r of rows) r.ratio = r.msPerImage / first;
  return rows;
}

/**
 * The comparison's accuracy section from an evaluation of every model on one folder (the Compare
 * Models panel and `vit-inspect compare --folder` both build it here, so they cannot disagree).
 */
export function compareEvaluation(folder: string, names: readonly string[], doc: EvaluateDocument, runs: readonly ModelRun[], relativePath: (p: string) => string): CompareEvaluation {
  const labels = runs[0].labels;
  return {
    folder,
    images: doc.images,
    accuracy: doc.models.map((m, i) => ({ model: names[i], accuracy: m.accuracy, top5: m.top5 })),
    agreement: doc.agreement ?? 1,
    disagreements: disagreements(runs.map((x) => x.predictions)).map((d) => ({ path: relativePath(d.path), truth: labels[d.truth], top1: d.top1.map((k, i) => runs[i].labels[k]) })),
  };
}
