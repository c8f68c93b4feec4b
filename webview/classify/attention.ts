/**
 * The attention view of the classify panel: a heatmap over the image for a chosen layer
 * (or ViT rollout, or a Swin stage's mean) and head (mean, max or one head), with opacity,
 * click-a-patch query mode and PNG export. Maps come from the core's pure functions.
 */
import { h, clear } from '../shared/dom';
import { layerMap, layerQueryMap, rolloutMap, stageMaps, type CapturedLayer } from '../../src/core/inference/attentionMaps';
import type { HeadSelect } from '../../src/core/inference/attention';
import type { HostMessage } from '../../src/shared/protocol';

type AttentionMessage = Extract<HostMessage, { type: 'attention' }>;

interface View {
  layer: string; // layer index, 'rollout' or 'stage:N'
  head: string; // 'mean' | 'max' | head index
  opacity: number;
  query: [number, number] | null; // token (row, col) of the chosen layer's grid, in query mode
  queryMode: boolean;
}

/** A perceptual dark→bright ramp (inferno-like), readable on light and dark themes. */
const RAMP = [
  [0, 0, 4],
  [87, 16, 110],
  [188, 55, 84],
  [249, 142, 9],
  [252, 255, 164],
];
function colour(t: number): [number, number, number] {
  const x = Math.max(0, Math.min(1, t)) * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(x));
  const f = x - i;
  return [0, 1, 2].map((k) => Math.round(RAMP[i][k] + (RAMP[i + 1][k] - RAMP[i][k]) * f)) as [number, number, number];
}

export function attentionView(m: AttentionMessage, image: HTMLCanvasElement, heat: HTMLCanvasElement, onExport: (png: string) => void): HTMLElement {
  const captured = m.layers.filter((l) => l.data);
  const view: View = { layer: m.family === 'vit' && captured.length === m.layers.length ? 'rollout' : String(m.layers.indexOf(captured[captured.length - 1])), head: 'mean', opacity: 0.6, query: null, queryMode: false };
  const root = h('div', { class: 'attention', id: 'attention' });
  const layerSel = h('select', { id: 'layer', 'aria-label': 'Layer' });
  if (m.family === 'vit' && captured.length === m.layers.length) layerSel.append(h('option', { value: 'rollout' }, 'Rollout (all layers)'));
  if (m.family === 'swin') for (const s of stageMaps(captured)) layerSel.append(h('option', { value: `stage:${s.stage}` }, `Stage ${s.stage + 1} mean (${s.grid[0]}×${s.grid[1]})`));
  m.layers.forEach((l, i) => layerSel.append(h('option', { value: i, disabled: !l.data }, `${l.name}${l.window ? (l.shifted ? ` SW-MSA M=${l.window}` : ` W-MSA M=${l.window}`) : ''}${l.data ? '' : ' (not captured)'}`)));
  layerSel.value = view.layer;
  const headSel = h('select', { id: 'head', 'aria-label': 'Head' });
  const opacity = h('input', { id: 'opacity', type: 'range', min: 0, max: 100, value: 60, 'aria-label': 'Heatmap opacity' });
  const queryBox = h('input', { id: 'query-mode', type: 'checkbox' });
  const exportBtn = h('button', { id: 'export', class: 'link-button' }, 'Export PNG');
  const caption = h('p', { class: 'muted', id: 'attention-caption' });
  const warnings = m.warnings.length ? h('ul', { class: 'warnings' }, ...m.warnings.map((w) => h('li', {}, w))) : null;

  // Rollout multiplies through every layer (≈12 ms for ViT-B/16): compute it once per capture.
  let rollout: Float32Array | null | undefined;
  const layerOf = (): CapturedLayer | null => (/^\d+$/.test(view.layer) ? m.layers[Number(view.layer)] : null);
  const fillHeads = () => {
    const l = layerOf() ?? captured[0];
    clear(headSel);
    headSel.append(h('option', { value: 'mean' }, 'Mean over heads'), h('option', { value: 'max' }, 'Max over heads'));
    for (let k = 0; k < l.heads; k++) headSel.append(h('option', { value: k }, `Head ${k + 1}`));
    if (view.head !== 'mean' && view.head !== 'max' && Number(view.head) >= l.heads) view.head = 'mean';
    headSel.value = view.head;
    headSel.disabled = view.layer === 'rollout';
  };
  const headValue = (): HeadSelect => (view.head === 'mean' || view.head === 'max' ? view.head : Number(view.head));

  /** The map to draw, its grid and the input pixels per cell. */
  const current = (): { map: Float32Array; grid: [number, number]; cell: number; what: string } | null => {
    if (view.layer === 'rollout') {
      const map = rollout === undefined ? (rollout = rolloutMap(m.layers)) : rollout;
      return map && { map, grid: m.layers[0].grid, cell: m.layers[0].cell, what: 'Attention rollout (Abnar & Zuidema 2020) from the class token over all layers' };
    }
    if (view.layer.startsWith('stage:')) {
      const s = stageMaps(captured, headValue()).find((x) => x.stage === Number(view.layer.slice(6)));
      return s ? { map: s.map, grid: s.grid, cell: s.cell, what: `Stage ${s.stage + 1}: mean attention each patch receives within its window, over ${s.blocks} blocks (shift undone)` } : null;
    }
    const l = layerOf();
    if (!l?.data) return null;
    if (view.queryMode && view.query) {
      const [r, c] = view.query;
      return { map: layerQueryMap(l, r, c, headValue()), grid: l.grid, cell: l.cell, what: `${l.name}: where patch (${r}, ${c}) looks${l.window ? ' (its window only)' : ''}` };
    }
    return {
      map: layerMap(l, headValue()),
      grid: l.grid,
      cell: l.cell,
      what: l.window ? `${l.name}: mean attention each patch receives within its ${l.shifted ? 'shifted ' : ''}window (partition${l.shifted ? ' and cyclic shift' : ''} undone)` : `${l.name}: attention from the class token to each patch`,
    };
  };

  const draw = () => {
    const t0 = performance.now();
    const cur = current();
    const size = image.width;
    heat.width = heat.height = size;
    const ctx = heat.getContext('2d')!;
    ctx.clearRect(0, 0, size, size);
    if (!cur) {
      caption.textContent = 'Nothing to show for this choice.';
      return;
    }
    const [gh, gw] = cur.grid;
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of cur.map) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
    const img = ctx.createImageData(gw, gh);
    for (let i = 0; i < gh * gw; i++) {
      const [r, g, b] = colour(hi > lo ? (cur.map[i] - lo) / (hi - lo) : 0);
      const t = hi > lo ? (cur.map[i] - lo) / (hi - lo) : 0;
      img.data.set([r, g, b, Math.round(255 * view.opacity * (0.2 + 0.8 * t))], i * 4);
    }
    const tile = document.createElement('canvas');
    tile.width = gw;
    tile.height = gh;
    tile.getContext('2d')!.putImageData(img, 0, 0);
    const scale = size / m.inputSize;
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(tile, 0, 0, gw * cur.cell * scale, gh * cur.cell * scale);
    if (view.queryMode && view.query) {
      ctx.strokeStyle = getComputedStyle(document.body).getPropertyValue('--vscode-focusBorder').trim() || '#0af';
      ctx.lineWidth = 2;
      ctx.strokeRect(view.query[1] * cur.cell * scale, view.query[0] * cur.cell * scale, cur.cell * scale, cur.cell * scale);
    }
    caption.textContent = `${cur.what}. Range ${lo.toPrecision(3)}–${hi.toPrecision(3)}.`;
    heat.setAttribute('data-draw-ms', (performance.now() - t0).toFixed(2));
    heat.setAttribute('data-grid', `${gh}x${gw}`);
  };

  layerSel.addEventListener('change', () => ((view.layer = layerSel.value), fillHeads(), draw()));
  headSel.addEventListener('change', () => ((view.head = headSel.value), draw()));
  opacity.addEventListener('input', () => ((view.opacity = Number(opacity.value) / 100), draw()));
  queryBox.addEventListener('change', () => {
    view.queryMode = queryBox.checked;
    if (view.queryMode && view.layer === 'rollout') {
      view.layer = String(m.layers.indexOf(captured[captured.length - 1]));
      layerSel.value = view.layer;
      fillHeads();
    }
    draw();
  });
  // Query mode: a click on the image picks the query patch of the chosen layer's grid.
  image.parentElement!.addEventListener('click', (e) => {
    if (!view.queryMode) return;
    const l = layerOf();
    if (!l) return;
    const rect = image.getBoundingClientRect();
    const px = ((e.clientX - rect.left) / rect.width) * m.inputSize;
    const py = ((e.clientY - rect.top) / rect.height) * m.inputSize;
    const r = Math.floor(py / l.cell);
    const c = Math.floor(px / l.cell);
    if (r < 0 || c < 0 || r >= l.grid[0] || c >= l.grid[1]) return;
    view.query = [r, c];
    draw();
  });
  exportBtn.addEventListener('click', () => {
    const out = document.createElement('canvas');
    out.width = image.width;
    out.height = image.height;
    const ctx = out.getContext('2d')!;
    ctx.drawImage(image, 0, 0);
    ctx.drawImage(heat, 0, 0);
    onExport(out.toDataURL('image/png').split(',')[1]);
  });

  fillHeads();
  root.append(
    h('h2', {}, 'Attention'),
    warnings ?? '',
    h('div', { class: 'toolbar' }, h('label', { for: 'layer' }, 'Layer '), layerSel, h('label', { for: 'head' }, 'Head '), headSel),
    h('div', { class: 'toolbar' }, h('label', { for: 'opacity' }, 'Opacity '), opacity, h('label', { for: 'query-mode' }, queryBox, ' Click a patch to see where it looks'), exportBtn),
    caption,
  );
  draw();
  return root;
}
