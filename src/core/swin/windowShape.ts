/**
 * The window [Mh, Mw] of a Swin attention block, read from window_partition's 6-D view
 * x.view(B, H/Mh, Mh, W/Mw, Mw, C) before the Q/K/V projection (the official code, torchvision,
 * timm and Hugging Face all partition this way), else the square root of the tokens per window.
 * Non-square windows need the view: N = Mh·Mw alone does not say which.
 */
import type { AttentionInfo, GraphAnalysis } from '../graph/structure';

export function windowShape(a: GraphAnalysis, at: AttentionInfo): [number, number] | null {
  const N = at.tokens;
  const start = at.qkv.length ? a.nodes[at.qkv[0]].inputs.find((x) => x && !a.isConst(x)) : undefined;
  if (start) {
    const queue = [start];
    const seen = new Set(queue);
    for (let k = 0; k < queue.length && k < 40; k++) {
      const p = a.producer.get(queue[k]);
      if (p === undefined) continue;
      const n = a.nodes[p];
      if (n.opType === 'Reshape') {
        const s = a.shapes.tensors.get(n.outputs[0])?.shape;
        if (s && s.length === 6 && s[2] > 0 && s[4] > 0 && s[2] * s[4] === N) return [s[2], s[4]];
      }
      if (!['Reshape', 'Transpose', 'Slice', 'Concat', 'Pad', 'Identity', 'Squeeze', 'Unsqueeze', 'Flatten', 'Cast'].includes(n.opType)) continue;
      for (const inp of n.inputs) {
        if (!inp || a.isConst(inp) || seen.has(inp)) continue;
        seen.add(inp);
        queue.push(inp);
      }
    }
  }
  const M = Math.round(Math.sqrt(N));
  return M * M === N ? [M, M] : null;
}

