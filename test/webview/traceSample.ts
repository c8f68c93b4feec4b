// A hand-made `vit-inspect trace --json` document (DESIGN.md) for a tiny ViT: 1 class token and
// 4×4 patches (N = 17), d = 4, C = 8. Scores, weights and context are computed from q, k, v here,
// so the numbers the view shows are consistent the way a real trace's are.
import type { TraceResult } from '../../src/core/trace/types';

const val = (i: number, j: number, s: number): number => Math.round(Math.sin(i * 1.7 + j * 0.9 + s) * 1e4) / 1e4;

export function sampleTrace(token = 5, layer = 1, head = 0): TraceResult {
  const N = 17;
  const d = 4;
  const C = 8;
  const k = Array.from({ length: N }, (_, i) => Array.from({ length: d }, (_, j) => val(i, j, 1 + layer)));
  const v = Array.from({ length: N }, (_, i) => Array.from({ length: d }, (_, j) => val(i, j, 2 + head)));
  const q = k[token].map((x, j) => x + val(token, j, 3));
  const scale = 1 / Math.sqrt(d);
  const scores = k.map((row) => row.reduce((a, x, j) => a + x * q[j], 0) * scale);
  const mx = Math.max(...scores);
  const e = scores.map((s) => Math.exp(s - mx));
  const z = e.reduce((a, b) => a + b, 0);
  const weights = e.map((x) => x / z);
  const context = Array.from({ length: d }, (_, j) => weights.reduce((a, w, i) => a + w * v[i][j], 0));
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
