/**
 * What arch/analysis.ts finds in a graph, as types: the attention blocks (from each Softmax: the
 * QKᵀ and A·V products, the Q/K/V and output projections), a hybrid's CNN backbone, the node roles.
 * They live in the graph layer so flops/, swin/ and vit/ read an analysis without importing arch/.
 */
import type { Role } from '../terms';
import type { GraphIndex } from './graphIndex';

export interface AttentionInfo {
  softmax: number;
  /** The QKᵀ MatMul (or Einsum), and the A·V one. */
  scores: number | null;
  values: number | null;
  /** Weighted projections producing Q, K and V (one node when fused). */
  qkv: number[];
  /** The output projection. */
  proj: number | null;
  heads: number;
  /** Tokens attended over (per window for window attention). */
  tokens: number;
  headDim: number;
  /** Model width at this block: heads × headDim. */
  dim: number;
  /** Attention groups per image: windows for Swin, 1 for global attention. */
  windows: number;
  /** Nodes between QKᵀ and the Softmax that add a constant (relative position bias) or a mask. */
  scoreAdds: number[];
  /** A fused attention op (com.microsoft Attention, MultiHeadAttention): `softmax` is that node, nothing inside can be tapped. */
  fused?: boolean;
}

/** Hybrid ViT (ViT paper, Section 3.1): the CNN whose feature map the token projection sees; found by arch/hybrid.ts. */
export interface Backbone {
  kind: 'resnet' | 'conv';
  /** Input pixels per feature-map cell, or null when it cannot be resolved (then `why`). */
  stride: number | null;
  /** Feature map the projection sees [h, w]. */
  featureMap: [number, number] | null;
  /** The token projection (a Conv on the feature map) and its stride there. */
  projection: number;
  projectionStride: number;
  /** Every node computing the feature map (the CNN, and the image's normalisation before it). */
  nodes: Set<number>;
  /** Why the stride is unknown. */
  why?: string;
}

export interface GraphAnalysis extends GraphIndex {
  attentions: AttentionInfo[];
  patchEmbed: number | null;
  /** Hybrid ViT: the CNN whose feature map the patch embedding (then the token projection) sees. */
  backbone: Backbone | null;
  /** Batch size the shapes were computed with. */
  batch: number;
  roles: Role[];
  normNodes: Set<number>;
  /** One node per normalisation (the fused op, or the first ReduceMean of a decomposed one). */
  normEntries: Set<number>;
}
