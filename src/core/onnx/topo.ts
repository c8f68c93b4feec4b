import type { OnnxGraph } from './model';

/** Nodes in an order where every input is produced before it is used (Kahn's algorithm). */
export function topoOrder(g: OnnxGraph): { order: number[]; cyclic: number[]; producer: Map<string, number> } {
  const producer = new Map<string, number>();
  for (let i = 0; i < g.nodes.length; i++) {
    for (const o of g.nodes[i].outputs) if (o) producer.set(o, i);
  }
  // Fast path: already sorted (every input made by an earlier node).
  let sorted = true;
  for (let i = 0; i < g.nodes.length && sorted; i++) {
    for (const inp of g.nodes[i].inputs) {
      const p = producer.get(inp);
      if (p !== undefined && p >= i) {
        sorted = false;
        break;
      }
    }
  }
  if (sorted) return { order: g.nodes.map((_, i) => i), cyclic: [], producer };
  const indeg = new Array(g.nodes.length).fill(0);
  const users = new Map<number, number[]>();
  g.nodes.forEach((n, i) => {
    for (const inp of new Set(n.inputs)) {
      const p = producer.get(inp);
      if (p === undefined) continue;
      indeg[i]++;
      const u = users.get(p) ?? [];
      u.push(i);
      users.set(p, u);
    }
  });
  const queue: number[] = [];
  indeg.forEach((d, i) => d === 0 && queue.push(i));
  const order: number[] = [];
  for (let q = 0; q < queue.length; q++) {
    const i = queue[q];
    order.push(i);
    for (const u of users.get(i) ?? []) if (--indeg[u] === 0) queue.push(u);
  }
  const cyclic = indeg.map((d, i) => (d > 0 ? i : -1)).filter((i) => i >= 0);
  return { order, cyclic, producer };
}
