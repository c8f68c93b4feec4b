/**
 * From a capture (one run's attention tensors, with what each layer is) to the maps a user looks
 * at, and the `vit-inspect attention --json` document:
 *
 *   { family, ep, layers: [ { name, heads, window, shifted, grid: [h, w], map } ], rollout }
 *
 * map is h·w row-major over the layer's token grid, mean over heads: for a ViT the class token's
 * attention to each patch (a ViT without a class token: the mean attention each patch receives);
 * for a Swin the mean attention each token receives within its window, placed back at its image
 * position with the window partition and the cyclic shift undone. rollout is for ViT only.
 */
import type { AttentionTensor, CapturedLayer, HeadSelect, RolloutOptions, TokenLayout, WindowGeometry } from './maps';
import { attentionDistances } from './distance';
import {
  attentionRollout,
  classTokenAttention,
  meanMaps,
  queryPatchAttention,
  receivedAttention,
  windowGeometry,
  windowQueryAttention,
  windowReceivedAttention,
} from './maps';

export interface CaptureLike {
  family: 'vit' | 'swin';
  ep: string;
  layers: CapturedLayer[];
}

export interface AttentionDocumentLayer {
  name: string;
  heads: number;
  window: number | null;
  shifted: boolean;
  grid: [number, number];
  map: number[];
}

export interface AttentionDocument {
  family: 'vit' | 'swin';
  ep: string;
  layers: AttentionDocumentLayer[];
  rollout: number[] | null;
  /** Mean attention distance per layer and head, in input pixels (see distance.ts). */
  distance: { name: string; heads: number[] }[];
}

export function layerTensor(l: CapturedLayer): AttentionTensor | null {
  return l.data ? { data: l.data, dims: l.dims } : null;
}

function need(l: CapturedLayer): AttentionTensor {
  const t = layerTensor(l);
  if (!t) throw new Error(`layer ${l.name} was not captured`);
  return t;
}

export function layerTokenLayout(l: CapturedLayer): TokenLayout {
  return { grid: l.grid, extraTokens: l.extraTokens };
}

/** Window geometry of a Swin layer (where each window slot sits in the layer's grid). */
export function layerGeometry(l: CapturedLayer): WindowGeometry {
  if (l.window === null) throw new Error(`layer ${l.name} has global attention, not windows`);
  return windowGeometry(l.grid[0], l.grid[1], l.window, l.shift, l.shiftBeforePad);
}

/**
 * The layer's map for a head (or mean / max over heads): ViT — class-token attention to each patch
 * (received attention without a class token); Swin — mean attention each token receives in its
 * window, at its image position.
 */
export function layerMap(l: CapturedLayer, head: HeadSelect = 'mean'): Float32Array {
  const t = need(l);
  if (l.window !== null) return windowReceivedAttention(t, layerGeometry(l), head);
  const L = layerTokenLayout(l);
  return L.extraTokens > 0 ? classTokenAttention(t, L, head) : receivedAttention(t, L, head);
}

/** What the token at (row, col) of the layer's grid attends to: all patches (ViT) or its window (Swin, zeros elsewhere). */
export function layerQueryMap(l: CapturedLayer, row: number, col: number, head: HeadSelect = 'mean'): Float32Array {
  const t = need(l);
  if (l.window !== null) return windowQueryAttention(t, layerGeometry(l), row, col, head);
  return queryPatchAttention(t, layerTokenLayout(l), row, col, head);
}

export interface StageMap {
  stage: number;
  grid: [number, number];
  cell: number;
  /** Blocks averaged (the captured ones of the stage). */
  blocks: number;
  map: Float32Array;
}

/**
 * Per stage, the mean over its captured blocks of layerMap (Swin: mean attention received per token).
 * `mapOf` gives a layer's map (null: not captured); by default layerMap of its tensor (the webview
 * passes the maps of a capture's summary, core/attention/summary.ts).
 */
export function stageMaps(
  layers: readonly CapturedLayer[],
  head: HeadSelect = 'mean',
  mapOf: (l: CapturedLayer, index: number, head: HeadSelect) => Float32Array | null = (l, _i, h) => (l.data ? layerMap(l, h) : null),
): StageMap[] {
  const by = new Map<number, { l: CapturedLayer; map: Float32Array }[]>();
  layers.forEach((l, i) => {
    const map = mapOf(l, i, head);
    if (map) by.set(l.stage, [...(by.get(l.stage) ?? []), { l, map }]);
  });
  return [...by.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([stage, ls]) => ({ stage, grid: ls[0].l.grid, cell: ls[0].l.cell, blocks: ls.length, map: meanMaps(ls.map((x) => x.map)) }));
}

/** ViT rollout over the patch grid, or null when not every layer was captured or the layers are windowed. */
export function rolloutMap(layers: readonly CapturedLayer[], opts: RolloutOptions = {}): Float32Array | null {
  if (!layers.length || layers.some((l) => l.window !== null || !l.data)) return null;
  return attentionRollout(layers.map(need), layerTokenLayout(layers[0]), opts);
}

/** The `vit-inspect attention --json` document: captured layers only; rollout for ViT when every layer was captured. */
export function attentionDocument(c: CaptureLike): AttentionDocument {
  return {
    family: c.family,
    ep: c.ep,
    layers: c.layers
      .filter((l) => l.data)
      .map((l) => ({ name: l.name, heads: l.heads, window: l.window, shifted: l.shifted, grid: [l.grid[0], l.grid[1]], map: Array.from(layerMap(l)) })),
    rollout: c.family === 'vit' ? nullable(rolloutMap(c.layers)) : null,
    distance: attentionDistances(c.layers),
  };
}

function nullable(m: Float32Array | null): number[] | null {
  return m ? Array.from(m) : null;
}
