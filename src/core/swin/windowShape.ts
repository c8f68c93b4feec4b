/**
 * The window [Mh, Mw] of a Swin attention block, read from window_partition's 6-D view
 * x.view(B, H/Mh, Mh, W/Mw, Mw, C) before the Q/K/V projection (the official code, torchvision,
 * timm and Hugging Face all partition this way), else the square root of the tokens per window.
 * Non-square windows need the view: N = Mh·Mw alone does not say which.
 */
import { WINDOW_VIEW_PATH } from '../graph/ops';
import type { AttentionInfo, GraphAnalysis } from '../graph/structure';
import { walk } from '../graph/walk';

export function windowShape(a: GraphAnalysis, at: AttentionInfo): [number, number] | null {
  const N = at.tokens;
  const start = at.qkv.length ? a.nodes[at.qkv[0]].inputs.find((x) => x && !a.isConst(x)) : undefined;
  if (start) {
    let view: [number, number] | null = null;
    walk(a, start, {
      direction: 'back',
      through: WINDOW_VIEW_PATH,
      maxSteps: 40,
      stopAt: (p) => {
        const n = a.nodes[p];
        if (n.opType !== 'Reshape') return false;
        const s = a.shapes.tensors.get(n.outputs[0])?.shape;
        if (!(s && s.length === 6 && s[2] > 0 && s[4] > 0 && s[2] * s[4] === N)) return false;
        view = [s[2], s[4]];
        return true;
      },
    });
    if (view) return view;
  }
  const M = Math.round(Math.sqrt(N));
  return M * M === N ? [M, M] : null;
}

