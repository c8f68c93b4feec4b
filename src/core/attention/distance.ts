/**
 * Mean attention distance (ViT paper, Section 4.5 and Figure 7 right): for each head, the
 * distance in input pixels across which a patch query integrates information, weighted by its
 * attention — the analogue of a CNN's receptive field size.
 *
 *   distance(head) = mean over patch queries q of Σ_k w̃_qk · d(q, k)
 *
 * keys k are patch tokens only (class, distillation and register tokens left out) and w̃ is the
 * query's attention restricted to those keys and renormalised to sum 1; d is the Euclidean
 * distance between the two patch centres in input pixels (cell × grid distance; the effective
 * stride for a hybrid). For Swin the queries and keys are those of one window, at their image
 * positions after the window partition and the cyclic shift are undone; padding slots are not
 * patches. Keys across a shifted window's wrap-around are masked (≈0 weight) so they add nothing.
 */
import { type CapturedLayer, windowGeometry } from './maps';

/** Per-head mean attention distance of one captured layer, in input pixels (length = heads). */
export function meanAttentionDistance(l: CapturedLayer): number[] {
  if (!l.data) throw new Error(`layer ${l.name} was not captured`);
  const [G, H, N] = l.dims;
  const d = l.data;
  // Row and column of every token slot (−1: not a patch), per group.
  const rows = new Int32Array(G * N).fill(-1);
  const cols = new Int32Array(G * N).fill(-1);
  if (l.window !== null) {
    const g = windowGeometry(l.grid[0], l.grid[1], l.window, l.shift, l.shiftBeforePad);
    rows.set(g.row);
    cols.set(g.col);
  } else {
    const [gh, gw] = l.grid;
    if (G !== 1 || l.extraTokens + gh * gw !== N) throw new Error(`layer ${l.name}: ${N} tokens do not hold ${l.extraTokens} extra token(s) and a ${gh}×${gw} grid`);
    for (let k = 0; k < gh * gw; k++) {
      rows[l.extraTokens + k] = Math.floor(k / gw);
      cols[l.extraTokens + k] = k % gw;
    }
  }
  const out: number[] = [];
  for (let h = 0; h < H; h++) {
    let sum = 0;
    let queries = 0;
    for (let g = 0; g < G; g++) {
      const base = g * N;
      for (let q = 0; q < N; q++) {
        const rq = rows[base + q];
        if (rq < 0) continue;
        const cq = cols[base + q];
        const o = ((g * H + h) * N + q) * N;
        let wsum = 0;
        let wd = 0;
        for (let k = 0; k < N; k++) {
          const rk = rows[base + k];
          if (rk < 0) continue;
          const w = d[o + k];
          const dr = rk - rq;
          const dc = cols[base + k] - cq;
          wsum += w;
          wd += w * Math.sqrt(dr * dr + dc * dc);
        }
        if (wsum > 0) {
          sum += wd / wsum;
          queries++;
        }
      }
    }
    out.push(queries ? (sum / queries) * l.cell : 0);
  }
  return out;
}

/** Mean attention distance of every captured layer: the paper's scatter (depth on x, one dot per head). */
export function attentionDistances(layers: readonly CapturedLayer[]): { name: string; heads: number[] }[] {
  return layers.filter((l) => l.data).map((l) => ({ name: l.name, heads: meanAttentionDistance(l) }));
}

/** Running mean of per-layer distances over images (Classify Folder's average). */
export class DistanceAverage {
  private sums = new Map<string, number[]>();
  private order: string[] = [];
  images = 0;

  add(doc: readonly { name: string; heads: readonly number[] }[]): void {
    for (const l of doc) {
      let s = this.sums.get(l.name);
      if (!s) {
        s = new Array(l.heads.length).fill(0);
        this.sums.set(l.name, s);
        this.order.push(l.name);
      }
      for (let h = 0; h < l.heads.length && h < s.length; h++) s[h] += l.heads[h];
    }
    this.images++;
  }

  mean(): { name: string; heads: number[] }[] {
    return this.order.map((name) => ({ name, heads: (this.sums.get(name) ?? []).map((v) => v / Math.max(1, this.images)) }));
  }
}
