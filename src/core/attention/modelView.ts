/**
 * The model view (BertViz's name): every layer × every head of a capture at once, for one query.
 * A row per captured block, a column per head; each cell is that head's map over the block's
 * token grid, so heads that look at the same place, or at the query's neighbours, show at a glance.
 *
 *   class     ViT: the class token's attention to each patch; Swin (no class token): the mean
 *             attention each token receives within its window (layerMap with one head)
 *   patch     what the patch under an input-pixel position attends to (ViT: all patches;
 *             Swin: its own, possibly shifted, window)
 *   rollout   ViT: rollout through the blocks before this one (heads fused by mean) ending with
 *             this block's head h alone: e_cls · Â_l^h · Â_{l−1} · … · Â_0
 */
import { layerMap, layerQueryMap, layerTensor } from './document';
import type { CapturedLayer } from './maps';
import { rolloutFactor, rowTimes, type AttentionTensor } from './maps';

export type ModelQuery = { kind: 'class' } | { kind: 'patch'; x: number; y: number } | { kind: 'rollout' };

export interface HeadMap {
  /** Index into the capture's layers. */
  layer: number;
  head: number;
  grid: [number, number];
  /** Input pixels per token side. */
  cell: number;
  map: Float32Array;
}

/** The token (row, col) of a layer's grid under an input-pixel position, clamped to the grid. */
export function tokenAt(l: CapturedLayer, x: number, y: number): [number, number] {
  const clamp = (v: number, n: number) => Math.max(0, Math.min(n - 1, Math.floor(v)));
  return [clamp(y / l.cell, l.grid[0]), clamp(x / l.cell, l.grid[1])];
}

/** Whether rollout applies: a ViT with every block captured. */
export function canRollout(layers: readonly CapturedLayer[]): boolean {
  return layers.length > 0 && layers.every((l) => l.window === null && l.data !== null);
}

/** One head of a global-attention tensor as a one-head tensor (a view, no copy). */
function oneHead(t: AttentionTensor, h: number): AttentionTensor {
  const [, , N] = t.dims;
  return { data: t.data.subarray(h * N * N, (h + 1) * N * N), dims: [1, 1, N, N] };
}

/**
 * Rows of the model view, one per captured layer (uncaptured layers are left out), each with
 * one map per head. Rollout needs every block captured (see canRollout); else it throws.
 */
export function modelView(layers: readonly CapturedLayer[], query: ModelQuery): HeadMap[][] {
  const rows: HeadMap[][] = [];
  if (query.kind === 'rollout') {
    if (!canRollout(layers)) throw new Error('rollout needs every block of a ViT captured');
    const L = layers[0];
    const N = L.tokens;
    const P = L.grid[0] * L.grid[1];
    const factors = layers.map((l) => rolloutFactor(layerTensor(l)!));
    layers.forEach((l, li) => {
      const t = layerTensor(l)!;
      const row: HeadMap[] = [];
      for (let h = 0; h < l.heads; h++) {
        // e_cls · Â_l^h (no class token: the mean row, as attentionRollout), then the earlier blocks' fused factors.
        let v: Float64Array = new Float64Array(N);
        if (L.extraTokens > 0) {
          // Row 0 of rolloutFactor(head h) without building the N×N matrix: (A[0,:] + e_0) / its sum.
          const o = h * N * N;
          let sum = 1;
          for (let j = 0; j < N; j++) sum += v[j] = t.data[o + j];
          v[0] += 1;
          for (let j = 0; j < N; j++) v[j] /= sum;
        } else {
          const F = rolloutFactor(oneHead(t, h));
          for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) v[j] += F[i * N + j] / N;
        }
        for (let k = li - 1; k >= 0; k--) v = rowTimes(v, factors[k], N);
        row.push({ layer: li, head: h, grid: l.grid, cell: l.cell, map: Float32Array.from(v.subarray(L.extraTokens, L.extraTokens + P)) });
      }
      rows.push(row);
    });
    return rows;
  }
  layers.forEach((l, li) => {
    if (!l.data) return;
    const row: HeadMap[] = [];
    const at = query.kind === 'patch' ? tokenAt(l, query.x, query.y) : null;
    for (let h = 0; h < l.heads; h++) row.push({ layer: li, head: h, grid: l.grid, cell: l.cell, map: at ? layerQueryMap(l, at[0], at[1], h) : layerMap(l, h) });
    rows.push(row);
  });
  return rows;
}
