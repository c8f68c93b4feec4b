/**
 * The document of `vit-inspect trace --json` (DESIGN.md): one token's path through one head of one
 * block. Kept to the contract until the core's src/core/trace/types.ts (branch trace) replaces it.
 */
export interface TraceStep {
  id: string;
  title: string;
  formula: string;
  shape: string;
  check?: { recomputedFrom: string; maxAbsDiff: number };
}

export interface TraceDocument {
  family: 'vit' | 'swin';
  layer: number;
  head: number;
  token: number;
  window?: number;
  position?: number;
  shift?: number;
  tensors: {
    embedding?: number[];
    q: number[];
    k: number[][];
    v: number[][];
    scores: number[];
    weights: number[];
    context: number[];
    output: number[];
  };
  steps: TraceStep[];
}
