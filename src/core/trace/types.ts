/**
 * The JSON document of `vit-inspect trace` (DESIGN.md, "The command-line tool"): one token of one
 * image through one forward pass, step by step, each step with the model's own tensor and, where it
 * can be recomputed from the previous step's tensors, the largest difference of that recomputation.
 * The fields of the contract are kept as they are; everything else here is additive and optional.
 */

/** The families a trace is made for; any other family is refused with a UserError. */
export type TraceFamily = "vit" | "vit-hybrid" | "swin" | "swin-v2";

/**
 * Every step a trace can show, in the order the view usually shows them (the embedding steps come in
 * the order the graph applies them: timm's no_embed_class adds the position before prepending). A model has a subset:
 * ViT/DeiT/hybrid have no window steps, Swin has no class token or position embedding, and only a
 * token whose stage ends after the traced block has the patch-merging steps.
 */
export const TRACE_STEP_IDS = [
  // Embedding (ViT paper, eq. 1; Swin "patch partition" + "linear embedding")
  "patch", // the token's p×p×3 pixels after preprocessing (hybrid: the backbone's feature-map cell)
  "flatten", // the patch flattened to 3p² (hybrid: the cell's channels)
  "projection", // patch · E + b, the patch-embedding Conv
  "prepend", // class / distillation / register tokens prepended (ViT)
  "position", // + position embedding (ViT): the `embedding` tensor
  "registers", // register tokens inserted after the position embedding (DINOv2): no position of their own
  // Swin windows
  "windowPartition", // the stage's M×M windows
  "cyclicShift", // SW-MSA: the map rolled by −⌊M/2⌋; the token's new window
  // The chosen block's attention (Attention Is All You Need, eq. 1)
  "norm1", // LayerNorm before attention
  "q", // the token's query for head H
  "k", // the keys it attends to
  "v", // the values
  "scores", // q·kᵀ·scale (Swin: before + B and + mask; Swin V2: cos(q, k)·τ, scaled cosine attention)
  "bias", // Swin: + B, the token's row of the relative position bias (V2: the continuous position bias); values: scores + B
  "mask", // Swin SW-MSA: + mask (−100 where the key is in another sub-window)
  "softmax", // the attention row: `weights`
  "context", // weights · V: the head's output
  "concat", // the heads concatenated
  "projectionOut", // · W_O + b
  "postNorm1", // Swin V2 (res-post-norm): LayerNorm of the attention output, before the residual add
  "residual1", // + residual
  "norm2", // LayerNorm before the MLP
  "mlp", // C → rC, GELU, → C
  "postNorm2", // Swin V2: LayerNorm of the MLP output, before the residual add
  "residual2", // + residual: the block output, `output`
  // Swin patch merging, where the token's stage ends after the traced block
  "mergeGroup", // the token's 2×2 group x0..x3 concatenated to 4C
  "mergeNorm", // LayerNorm over 4C (Swin V2: over 2C, after the reduction)
  "mergeReduction", // 4C → 2C
  // The head (after the last block)
  "finalNorm", // the final LayerNorm
  "pool", // ViT: the class token (or the mean); Swin: the average pooling
  "head", // the linear head → logits
  "probabilities", // softmax over the logits → the top classes
] as const;

export type TraceStepId = (typeof TRACE_STEP_IDS)[number];

/** A step's recomputation: from which steps' tensors, and how far it is from the model's own. */
export interface TraceCheck {
  /** the step ids (or tensor names) the recomputation used, e.g. ["q", "k"] for the scores */
  recomputedFrom: string[];
  /** max |recomputed − model's own| over the step's values */
  maxAbsDiff: number;
  // ---- additive ----
  /**
   * How far the model's own value may lie from the recomputation for a reason `note` gives (a
   * kernel that computes the op differently on some CPUs), computed from this run's tensors and the
   * graph's scales; absent when nothing but float rounding separates them.
   */
  tolerance?: number;
  note?: string;
}

export interface TraceStep {
  id: TraceStepId;
  title: string;
  /** the paper's formula with this model's numbers, e.g. "q·kᵀ / √64 (scale 0.125 read from the graph)" */
  formula: string;
  /** the step's tensor shape as shown (for the token: e.g. [64], [197, 64], [197]) */
  shape: number[];
  check?: TraceCheck;
  // ---- additive ----
  /** set when the step's values are shown but recomputing them is not sound on this graph, and why */
  checkUnavailable?: string;
  /** set when the step cannot be shown on this graph (fused attention, a tensor not found); no values */
  unavailable?: string;
  /** the step's values for the token, row-major over `shape` (only when not in `tensors`) */
  values?: number[];
  /** the numbers the formula quotes */
  numbers?: {
    dk?: number;
    scale?: number;
    window?: number;
    shift?: number;
    mlpRatio?: number;
    patch?: number;
    heads?: number;
    dim?: number;
  };
}

/** Swin: the relative position bias row entering the scores. */
export interface TraceBias {
  /** B for this token's query: [M²], key order as `k` */
  row: number[];
  /** the relative position index of each key (the row of relative_position_index): [M²] */
  index: number[];
  /** the table B̂ is [(2M−1)², heads]; its column for head H */
  table?: number[];
}

/** Swin patch merging, when the token's stage ends after the traced block. */
export interface TraceMerge {
  /** the stage grid token indices of x0..x3 (official order: (0,0),(1,0),(0,1),(1,1)); −1 for the zero padding of an odd grid */
  group: [number, number, number, number];
  /** the token's index in the next stage's grid */
  mergedToken: number;
  /** the 4C concatenation, the LayerNorm output and the 2C reduction */
  concat: number[];
  normed: number[];
  reduced: number[];
}

export interface TraceTensors {
  /** ViT: [C], the token after patch embedding + position embedding (block 0's input) */
  embedding?: number[];
  /** [d] the token's query for head H, before the 1/√d scale (Swin V2: before the normalisation to unit length) */
  q: number[];
  /** [N][d] every key the token attends to: ViT all N tokens in sequence order; Swin the M² tokens of its window */
  k: number[][];
  /** [N][d] the values, same order as k */
  v: number[][];
  /** [N] q·kᵀ·scale (+ B + mask for Swin), before the softmax */
  scores: number[];
  /** [N] softmax(scores): the model's own attention row */
  weights: number[];
  /** [d] weights · v */
  context: number[];
  /** [C] the token's hidden state after block L (residual stream) */
  output: number[];
  // ---- additive ----
  /** Swin: the relative position bias row B and where it came from */
  bias?: TraceBias;
  /** Swin SW-MSA: the mask row (0 or −100 per key) */
  mask?: number[];
  /** Swin: patch merging of the token's 2×2 group */
  merge?: TraceMerge;
  /** the model's logits (after the head) */
  logits?: number[];
}

export interface TraceTopClass {
  index: number;
  label: string;
  prob: number;
}

export interface TraceResult {
  family: TraceFamily;
  layer: number;
  head: number;
  token: number;
  /** Swin: the token's window index after the cyclic shift (row-major over the stage's windows) */
  window?: number;
  /** Swin: the token's index within its window (row-major) */
  position?: number;
  /** Swin: the block's shift (0 for W-MSA, ⌊M/2⌋ for SW-MSA) */
  shift?: number;
  /** Swin (additive): for each key of the window, its stage-grid token index before the shift (−1: padding) */
  keys?: number[];
  tensors: TraceTensors;
  /** the order the view shows */
  steps: TraceStep[];
  // ---- additive ----
  /** the model as given, the execution provider used */
  model?: string;
  ep?: string;
  /** the valid ranges, for pickers: layers 0..layers−1, heads per layer, tokens per layer */
  ranges?: { layers: number; heads: number[]; tokens: number[] };
  /** ViT: the name of each sequence index before the patches ("class", "distillation", "register 0", …) */
  extraTokens?: string[];
  /** the token grid of the traced block's stage [h, w]; Swin: the window size M and the stage index */
  grid?: [number, number];
  windowSize?: number;
  stage?: number;
  /** the top classes of this run */
  top?: TraceTopClass[];
  /** why some steps could not be shown (fused attention etc.) */
  warnings?: string[];
}
