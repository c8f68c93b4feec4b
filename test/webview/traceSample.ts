// A hand-made `vit-inspect trace --json` document (DESIGN.md) for a tiny ViT: 1 class token and
// 4×4 patches (N = 17), d = 4, C = 8. Scores, weights and context are computed from q, k, v here,
// so the numbers the view shows are consistent the way a real trace's are.
import type { TraceResult } from '../../src/core/trace/types';

const val = (i: number, j: number, s: number): number => Math.round(Math.sin(i * 1.7 + j * 0.9 + s) * 1e4) / 1e4;

/** The softmax of the scores, and the values weighted by it. */
function attend(scores: number[], v: number[][]): { weights: number[]; context: number[] } {
  const mx = Math.max(...scores);
  const e = scores.map((x) => Math.exp(x - mx));
  const z = e.reduce((a, b) => a + b, 0);
  const weights = e.map((x) => x / z);
  return { weights, context: v[0].map((_, j) => weights.reduce((a, w, i) => a + w * v[i][j], 0)) };
}

export function sampleTrace(token = 5, layer = 1, head = 0): TraceResult {
  const N = 17;
  const d = 4;
  const C = 8;
  const k = Array.from({ length: N }, (_, i) => Array.from({ length: d }, (_, j) => val(i, j, 1 + layer)));
  const v = Array.from({ length: N }, (_, i) => Array.from({ length: d }, (_, j) => val(i, j, 2 + head)));
  const q = k[token].map((x, j) => x + val(token, j, 3));
  const scale = 1 / Math.sqrt(d);
  const scores = k.map((row) => row.reduce((a, x, j) => a + x * q[j], 0) * scale);
  const { weights, context } = attend(scores, v);
  return {
    family: 'vit', layer, head, token, grid: [4, 4], extraTokens: ['class'], ranges: { layers: 2, heads: [2, 2], tokens: [17, 17] },
    tensors: {
      embedding: Array.from({ length: C }, (_, j) => val(token, j, 0)),
      q, k, v, scores, weights, context,
      output: Array.from({ length: C }, (_, j) => val(token, j, 5)),
    },
    steps: [
      { id: 'position', title: 'Patch + position embedding', formula: 'z₀ = [x_class; x¹E; …; x¹⁶E] + E_pos', shape: [8] },
      { id: 'q', title: 'Query', formula: 'q = LN(z)·W_Q, head 0 of 2: d_k = 4', shape: [4], check: { recomputedFrom: ['norm1'], maxAbsDiff: 2e-7 } },
      { id: 'k', title: 'Keys', formula: 'K = LN(z)·W_K', shape: [17, 4] },
      { id: 'scores', title: 'Scores', formula: 'q·Kᵀ / √d_k, scale = 1/√4 = 0.5', shape: [17], check: { recomputedFrom: ['q', 'k'], maxAbsDiff: 6e-8 } },
      { id: 'softmax', title: 'Softmax', formula: 'A = softmax(q·Kᵀ / √d_k)', shape: [17], check: { recomputedFrom: ['scores'], maxAbsDiff: 3e-8 } },
      { id: 'context', title: 'Weighted values', formula: 'A·V', shape: [4], check: { recomputedFrom: ['softmax', 'v'], maxAbsDiff: 1e-7 } },
      { id: 'residual2', title: 'Block output', formula: 'z′ = MSA(LN(z)) + z; z_out = MLP(LN(z′)) + z′', shape: [8] },
    ],
  };
}

export const sampleMessage = (token = 5) => ({ type: 'trace', model: 'tiny_vit.onnx', image: 'shoe.png', layers: 2, heads: 2, grid: [4, 4], prefix: ['class'], doc: sampleTrace(token) });

/** A 16×16 crop for the tiny ViT (4×4 patches of 4 px): the left half black, the right half white. */
export function halfImage(size = 16): { width: number; height: number; rgb: Uint8Array } {
  const rgb = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) rgb.fill(x < size / 2 ? 0 : 255, (y * size + x) * 3, (y * size + x) * 3 + 3);
  return { width: size, height: size, rgb };
}

/** Official Swin region ids of the rolled map along one axis (slices (0, −M), (−M, −s), (−s, None)). */
const region = (x: number, n: number, M: number, s: number): number => (x < n - M ? 0 : x < n - s ? 1 : 2);

/**
 * A shifted Swin block on an 8×8 stage grid (a 16×16 crop, 2 px per token), M = 4, shift 2: the
 * token's window, position and keys as the official window_partition of torch.roll(x, (−2, −2)),
 * the mask as the official region ids make it; scores + B + mask, softmax and context consistent.
 */
export function sampleSwinTrace(token = 0, layer = 1, head = 0): TraceResult {
  const [H, W, M, s, d] = [8, 8, 4, 2, 4];
  const [tr, tc] = [Math.floor(token / W), token % W];
  const [sr, sc] = [(tr - s + H) % H, (tc - s + W) % W];
  const window = Math.floor(sr / M) * (W / M) + Math.floor(sc / M);
  const position = (sr % M) * M + (sc % M);
  const [wr, wc] = [Math.floor(sr / M) * M, Math.floor(sc / M) * M];
  const slots = Array.from({ length: M * M }, (_, j) => [wr + Math.floor(j / M), wc + (j % M)]);
  const keys = slots.map(([r, c]) => ((r + s) % H) * W + ((c + s) % W));
  const k = keys.map((t) => Array.from({ length: d }, (_, j) => val(t, j, 1 + layer)));
  const v = keys.map((t) => Array.from({ length: d }, (_, j) => val(t, j, 2 + head)));
  const q = k[position].map((x, j) => x + val(token, j, 3));
  const raw = k.map((row) => row.reduce((a, x, j) => a + x * q[j], 0) * 0.5);
  // B = B̂[relative_position_index[position], head]: index (Δh + M − 1)(2M − 1) + (Δw + M − 1), Δ = query − key
  const table = Array.from({ length: (2 * M - 1) ** 2 }, (_, r) => val(r, head, 4) * 0.1);
  const [pr, pc] = [Math.floor(position / M), position % M];
  const index = slots.map((_, j) => (pr - Math.floor(j / M) + M - 1) * (2 * M - 1) + (pc - (j % M) + M - 1));
  const bias = index.map((r) => table[r]);
  const id = (r: number, c: number) => region(r, H, M, s) * 3 + region(c, W, M, s);
  const mask = slots.map(([r, c]) => (id(r, c) === id(sr, sc) ? 0 : -100));
  const scores = raw.map((x, j) => x + bias[j] + mask[j]);
  const { weights, context } = attend(scores, v);
  return {
    family: 'swin', layer, head, token, window, position, shift: s, keys, grid: [H, W], windowSize: M, stage: 0,
    ranges: { layers: 2, heads: [2, 2], tokens: [64, 64] },
    tensors: { q, k, v, scores, weights, context, output: Array.from({ length: 8 }, (_, j) => val(token, j, 5)), bias: { row: bias, index, table }, mask },
    steps: [
      { id: 'windowPartition', title: 'Window partition', formula: `the 8×8 map in 4 windows of M×M = 4×4; token ${token} is in window ${window}`, shape: [4, 4], numbers: { window: M } },
      { id: 'cyclicShift', title: 'Cyclic shift', formula: 'torch.roll(x, (−2, −2)): the map rolled by ⌊M/2⌋ = 2', shape: [8, 8], numbers: { shift: s, window: M } },
      { id: 'scores', title: 'Scores', formula: 'q·kᵀ·scale against the 16 tokens of its 4×4 window, scale 1/√4 = 0.5', shape: [16], values: raw, check: { recomputedFrom: ['q', 'k'], maxAbsDiff: 6e-8 } },
      { id: 'bias', title: '+ relative position bias', formula: '+ B, B = B̂[relative_position_index[position], head]', shape: [16], values: raw.map((x, j) => x + bias[j]), check: { recomputedFrom: ['scores', 'B̂', 'index'], maxAbsDiff: 4e-8 } },
      { id: 'mask', title: '+ mask', formula: '+ mask: −100 for keys in another sub-window of the rolled map (shift 2)', shape: [16], check: { recomputedFrom: ['scores', 'bias', 'mask'], maxAbsDiff: 3e-6 } },
      { id: 'softmax', title: 'Softmax', formula: 'softmax over the 16 scores', shape: [16], check: { recomputedFrom: ['scores'], maxAbsDiff: 1e-8 } },
      { id: 'context', title: 'Weighted sum of the values', formula: 'Σ_j w_j·v_j', shape: [4], check: { recomputedFrom: ['softmax', 'v'], maxAbsDiff: 1e-7 } },
    ],
  };
}

export const sampleSwinMessage = (token = 0) => ({ type: 'trace', model: 'tiny_swin.onnx', image: 'shoe.png', layers: 2, heads: 2, grid: [4, 4], prefix: [], doc: sampleSwinTrace(token), pixels: halfImage() });
