/**
 * What the attention view draws without the attention tensors (issue 22 item 6): a capture's
 * [groups, heads, N, N] tensors are 22 MB for ViT-B/16, but every view except "click a patch"
 * reduces them to one map per layer and head. The inference process computes those maps once,
 * with the same functions the view would call (layerMap, rolloutMap, modelView), so the numbers
 * are the same bit for bit; the webview receives them first and asks for a layer's tensor only
 * when a patch query needs it.
 *
 *   layers[i]    null when layer i was not captured; else its layerMap for 'mean', 'max' and each head
 *   rollout      ViT rollout (rolloutMap), null when it does not apply
 *   rolloutRows  the model view's rollout rows (modelView(layers, rollout)), null when it does not apply
 */
import { layerMap, rolloutMap } from './document';
import type { CapturedLayer, HeadSelect } from './maps';
import { canRollout, modelView, type HeadMap } from './modelView';

export interface LayerMaps {
  mean: Float32Array;
  max: Float32Array;
  /** One map per head, in head order. */
  heads: Float32Array[];
}

export interface AttentionSummary {
  layers: (LayerMaps | null)[];
  rollout: Float32Array | null;
  rolloutRows: HeadMap[][] | null;
}

export function attentionSummary(family: 'vit' | 'swin', layers: readonly CapturedLayer[]): AttentionSummary {
  const rollout = family === 'vit' && canRollout(layers);
  return {
    layers: layers.map((l) => (l.data ? { mean: layerMap(l, 'mean'), max: layerMap(l, 'max'), heads: Array.from({ length: l.heads }, (_, h) => layerMap(l, h)) } : null)),
    rollout: rollout ? rolloutMap(layers) : null,
    rolloutRows: rollout ? modelView(layers, { kind: 'rollout' }) : null,
  };
}

/** A layer's map from the summary, as layerMap(l, head) would compute it from the tensor. */
export function summaryMap(s: AttentionSummary, layer: number, head: HeadSelect): Float32Array | null {
  const m = s.layers[layer];
  if (!m) return null;
  return head === 'mean' ? m.mean : head === 'max' ? m.max : (m.heads[head] ?? null);
}

/** Bytes of the typed arrays in a message (what postMessage copies; the rest is a few KB of JSON). */
export function typedBytes(v: unknown, seen = new Set<unknown>()): number {
  if (v === null || typeof v !== 'object' || seen.has(v)) return 0;
  seen.add(v);
  if (ArrayBuffer.isView(v)) return v.byteLength;
  let n = 0;
  for (const x of Array.isArray(v) ? v : Object.values(v)) n += typedBytes(x, seen);
  return n;
}
