/**
 * The attention view of the classify panel.
 *   Large view: one map over the image (a layer — or ViT rollout, or a Swin stage's mean — and a
 *   head, mean or max), in a perceptual colour map with a colour bar and the value range, a blend
 *   slider, click-a-patch query mode, Swin window borders of the block (shifted or not).
 *   Model view: every layer × head for the current query (class token, the clicked patch, or
 *   rollout), each map on its own range; a click or Enter makes a cell the large view, arrows move.
 * Export either as PNG. The maps come from the core's pure functions.
 */
import { h, clear } from '../shared/dom';
import { layerGeometry, layerMap, layerQueryMap, rolloutMap, stageMaps } from '../../src/core/attention/document';
import type { CapturedLayer } from '../../src/core/attention/maps';
import { canRollout, modelView, tokenAt, type HeadMap, type ModelQuery } from '../../src/core/attention/modelView';
import { summaryMap } from '../../src/core/attention/summary';
import type { HeadSelect } from '../../src/core/attention/maps';
import type { HostMessage } from '../../src/shared/protocol';
import { COLORMAPS, colour, lut, range, type ColormapName } from '../../src/core/colormap';
import { cssVar } from '../shared/canvas';

type AttentionMessage = Extract<HostMessage, { type: 'attention' }>;
type LayersMessage = Extract<HostMessage, { type: 'attentionLayers' }>;

interface View {
  layer: string; // layer index, 'rollout' or 'stage:N'
  head: string; // 'mean' | 'max' | head index
  blend: number;
  /** The clicked position in input pixels (query mode), and its token in the chosen layer's grid. */
  queryPx: [number, number] | null;
  query: [number, number] | null;
  queryMode: boolean;
  colormap: ColormapName;
  windows: boolean;
  /** Rollout mode: the model-view cell (row, column) opened in the large view, else the full rollout. */
  rolloutCell: [number, number] | null;
}


/** A map as a w×h canvas of coloured pixels (scaled up by the caller with smoothing off: crisp tokens). */
function tile(map: ArrayLike<number>, grid: [number, number], name: ColormapName, lo: number, hi: number, alpha = 255, into?: HTMLCanvasElement): HTMLCanvasElement {
  const c = into ?? document.createElement('canvas');
  if (c.width !== grid[1] || c.height !== grid[0]) {
    c.width = grid[1];
    c.height = grid[0];
  }
  const ctx = c.getContext('2d')!;
  const img = ctx.createImageData(grid[1], grid[0]);
  colour(map, lut(name), lo, hi, alpha, img.data);
  ctx.putImageData(img, 0, 0);
  return c;
}

/** What the step-through is opened on from this view: `vit-inspect trace`'s layer, head and token. */
export interface TraceSelection {
  layer: number;
  head: number;
  token?: number;
}

/**
 * What the view asks of the host and what it gives it: `want` asks for layers' tensors (a message
 * with a summary has none: they come on demand, for a patch query); `layers` is where they arrive.
 */
export interface AttentionHandle {
  selection?: () => TraceSelection;
  layers?: (m: LayersMessage) => void;
}

export function attentionView(
  m: AttentionMessage,
  image: HTMLCanvasElement,
  heat: HTMLCanvasElement,
  onExport: (png: string, what: 'view' | 'grid') => void,
  handle: AttentionHandle = {},
  want: (layers: number[]) => void = () => undefined,
): HTMLElement {
  // Our own copies: the tensors asked for are filled in as they arrive.
  const layers: CapturedLayer[] = m.layers.map((l) => ({ ...l }));
  const summary = m.summary;
  const isCaptured = (i: number): boolean => (summary ? summary.layers[i] != null : layers[i].data !== null);
  const capturedIdx = layers.flatMap((_, i) => (isCaptured(i) ? [i] : []));
  /** layerMap of layer i: from the summary when there is one (the same numbers), else from its tensor. */
  const mapOf = (l: CapturedLayer, i: number, head: HeadSelect): Float32Array | null => (summary ? summaryMap(summary, i, head) : l.data ? layerMap(l, head) : null);
  const rolloutOk = m.family === 'vit' && (summary ? summary.rollout !== null : canRollout(layers));
  const lastCaptured = String(capturedIdx[capturedIdx.length - 1]);
  /** Layers whose tensors were asked for and have not come yet. */
  const asked = new Set<number>();
  /** Whether the tensors of these layers are here; if not, they are asked for (once) and false returned. */
  const have = (idx: number[]): boolean => {
    const missing = idx.filter((i) => isCaptured(i) && !layers[i].data);
    const ask = missing.filter((i) => !asked.has(i));
    for (const i of ask) asked.add(i);
    if (ask.length) want(ask);
    return missing.length === 0;
  };
  handle.layers = (r) => {
    for (const { index, data } of r.layers)
      if (layers[index] && data.length === layers[index].dims.reduce((a, b) => a * b, 1)) {
        layers[index].data = data;
        asked.delete(index);
      }
    refresh();
  };
  const view: View = { layer: rolloutOk ? 'rollout' : lastCaptured, head: 'mean', blend: 0.6, queryPx: null, query: null, queryMode: false, colormap: 'viridis', windows: false, rolloutCell: null };
  const root = h('div', { class: 'attention', id: 'attention' });
  const layerSel = h('select', { id: 'layer', 'aria-label': 'Layer' });
  if (rolloutOk) layerSel.append(h('option', { value: 'rollout' }, 'Rollout (all layers)'));
  if (m.family === 'swin') for (const s of stageMaps(layers, 'mean', mapOf)) layerSel.append(h('option', { value: `stage:${s.stage}` }, `Stage ${s.stage + 1} mean (${s.grid[0]}×${s.grid[1]})`));
  layers.forEach((l, i) => layerSel.append(h('option', { value: i, disabled: !isCaptured(i) }, `${l.name}${l.window ? (l.shifted ? ` SW-MSA M=${l.window}` : ` W-MSA M=${l.window}`) : ''}${isCaptured(i) ? '' : ' (not captured)'}`)));
  layerSel.value = view.layer;
  const headSel = h('select', { id: 'head', 'aria-label': 'Head' });
  const cmapSel = h('select', { id: 'colormap', 'aria-label': 'Colour map' }, ...COLORMAPS.map((c) => h('option', { value: c }, c)));
  const blend = h('input', { id: 'opacity', type: 'range', min: 0, max: 100, value: 60, 'aria-label': 'Blend: image to attention map' });
  const queryBox = h('input', { id: 'query-mode', type: 'checkbox' });
  const windowsBox = h('input', { id: 'windows', type: 'checkbox' });
  const windowsLabel = h('label', { for: 'windows', class: 'check' }, windowsBox, ' Window borders of this block');
  const exportBtn = h('button', { id: 'export', class: 'link-button' }, 'Export view as PNG');
  const exportGridBtn = h('button', { id: 'export-grid', class: 'link-button' }, 'Export model view as PNG');
  const caption = h('p', { class: 'muted', id: 'attention-caption' });
  const bar = h('canvas', { id: 'colorbar', width: 256, height: 1, 'aria-hidden': 'true' });
  const lowLabel = h('span', { id: 'range-low' });
  const highLabel = h('span', { id: 'range-high' });
  const scale = h('div', { class: 'colorbar', role: 'img', id: 'colorscale' }, lowLabel, bar, highLabel);
  const gridTitle = h('h3', { id: 'model-view-title' });
  const grid = h('div', { class: 'model-view', id: 'model-view', role: 'grid', 'aria-labelledby': 'model-view-title' });
  const warnings = m.warnings.length ? h('ul', { class: 'warnings' }, ...m.warnings.map((w) => h('li', {}, w))) : null;

  let cells: HTMLElement[][] = [];
  let rolloutRows: HeadMap[][] | undefined;
  let rows: HeadMap[][] = [];
  // Rollout multiplies through every layer (≈12 ms for ViT-B/16): compute it once per capture.
  let rollout: Float32Array | null | undefined;
  const layerOf = (): CapturedLayer | null => (/^\d+$/.test(view.layer) ? layers[Number(view.layer)] : null);
  const fillHeads = () => {
    // Rollout: "Mean over heads" is the rollout itself; a head is the model view's rollout ending with that head.
    const rolloutCell = view.layer === 'rollout' ? rows[view.rolloutCell?.[0] ?? -1] : undefined;
    const l = rolloutCell ? layers[rolloutCell[0].layer] : (layerOf() ?? layers[capturedIdx[0]]);
    clear(headSel);
    headSel.append(h('option', { value: 'mean' }, 'Mean over heads'));
    if (view.layer !== 'rollout') headSel.append(h('option', { value: 'max' }, 'Max over heads'));
    if (view.layer !== 'rollout' || rolloutCell) for (let k = 0; k < l.heads; k++) headSel.append(h('option', { value: k }, `Head ${k}`));
    if (view.layer === 'rollout') view.head = view.rolloutCell ? String(view.rolloutCell[1]) : 'mean';
    if (view.head !== 'mean' && view.head !== 'max' && Number(view.head) >= l.heads) view.head = 'mean';
    headSel.value = view.head;
    headSel.disabled = view.layer === 'rollout' && !rolloutCell;
    const win = layerOf()?.window;
    windowsBox.disabled = !win;
    windowsLabel.classList.toggle('muted', !win);
  };
  const headValue = (): HeadSelect => (view.head === 'mean' || view.head === 'max' ? view.head : Number(view.head));

  /** The map of the large view, its grid and the input pixels per cell ('loading': its tensor was asked for). */
  const current = (): { map: Float32Array; grid: [number, number]; cell: number; what: string } | 'loading' | null => {
    if (view.layer === 'rollout' && view.rolloutCell) {
      const hm = rows[view.rolloutCell[0]]?.[view.rolloutCell[1]];
      if (hm) return { map: hm.map, grid: hm.grid, cell: hm.cell, what: `Rollout from the class token ending with ${layers[hm.layer].name}, head ${hm.head}` };
    }
    if (view.layer === 'rollout') {
      const map = rollout === undefined ? (rollout = summary ? summary.rollout : rolloutMap(layers)) : rollout;
      return map && { map, grid: layers[0].grid, cell: layers[0].cell, what: 'Attention rollout (Abnar & Zuidema 2020) from the class token over all layers' };
    }
    if (view.layer.startsWith('stage:')) {
      const s = stageMaps(layers, headValue(), mapOf).find((x) => x.stage === Number(view.layer.slice(6)));
      return s ? { map: s.map, grid: s.grid, cell: s.cell, what: `Stage ${s.stage + 1}: mean attention each patch receives within its window, over ${s.blocks} blocks (shift undone)` } : null;
    }
    const l = layerOf();
    const li = Number(view.layer);
    const map = l && mapOf(l, li, headValue());
    if (!l || !map) return null;
    const head = typeof headValue() === 'number' ? ` (head ${Number(view.head)})` : '';
    if (view.queryMode && view.queryPx) {
      const [r, c] = (view.query = tokenAt(l, view.queryPx[0], view.queryPx[1]));
      if (!have([li])) return 'loading';
      return { map: layerQueryMap(l, r, c, headValue()), grid: l.grid, cell: l.cell, what: `${l.name}: where the patch at row ${r}, column ${c} looks${l.window ? ' (its window only)' : ''}${head}` };
    }
    return {
      map,
      grid: l.grid,
      cell: l.cell,
      what: (l.window ? `${l.name}: mean attention each patch receives within its ${l.shifted ? 'shifted ' : ''}window (partition${l.shifted ? ' and cyclic shift' : ''} undone)` : `${l.name}: attention from the class token to each patch`) + head,
    };
  };

  /** Window borders of a Swin block over the image: an edge between two tokens of different windows (shifted windows wrap). */
  const drawWindows = (ctx: CanvasRenderingContext2D, l: CapturedLayer, px: number) => {
    const g = layerGeometry(l);
    const N = g.M * g.M;
    const win = (r: number, c: number) => Math.floor(g.slotOf[r * g.W + c] / N);
    const s = l.cell * px;
    ctx.strokeStyle = cssVar('--vscode-editor-foreground', '#fff');
    ctx.lineWidth = Math.max(2, Math.round(s / 6));
    ctx.beginPath();
    for (let r = 0; r < g.H; r++)
      for (let c = 0; c < g.W; c++) {
        if (c + 1 < g.W && win(r, c) !== win(r, c + 1)) {
          ctx.moveTo((c + 1) * s, r * s);
          ctx.lineTo((c + 1) * s, (r + 1) * s);
        }
        if (r + 1 < g.H && win(r, c) !== win(r + 1, c)) {
          ctx.moveTo(c * s, (r + 1) * s);
          ctx.lineTo((c + 1) * s, (r + 1) * s);
        }
      }
    ctx.strokeRect(0, 0, g.W * s, g.H * s);
    ctx.stroke();
  };

  const draw = () => {
    const t0 = performance.now();
    const cur = current();
    const size = image.width;
    if (heat.width !== size || heat.height !== size) heat.width = heat.height = size;
    const ctx = heat.getContext('2d')!;
    ctx.clearRect(0, 0, size, size);
    if (!cur || cur === 'loading') {
      caption.textContent = cur ? `Loading the attention of ${layerOf()?.name}…` : 'Nothing to show for this choice.';
      heat.removeAttribute('data-draw-ms');
      return;
    }
    const [gh, gw] = cur.grid;
    const [lo, hi] = range(cur.map);
    const px = size / m.inputSize;
    ctx.imageSmoothingEnabled = false;
    ctx.globalAlpha = view.blend;
    ctx.drawImage(tile(cur.map, cur.grid, view.colormap, lo, hi), 0, 0, gw * cur.cell * px, gh * cur.cell * px);
    ctx.globalAlpha = 1;
    const l = layerOf();
    if (view.windows && l?.window) drawWindows(ctx, l, px);
    if (view.queryMode && view.query) {
      ctx.strokeStyle = cssVar('--vscode-focusBorder', '#0af');
      ctx.lineWidth = 2;
      ctx.strokeRect(view.query[1] * cur.cell * px, view.query[0] * cur.cell * px, cur.cell * px, cur.cell * px);
    }
    tile(Float32Array.from({ length: 256 }, (_, i) => i), [1, 256], view.colormap, 0, 255, 255, bar);
    lowLabel.textContent = lo.toPrecision(3);
    highLabel.textContent = hi.toPrecision(3);
    scale.setAttribute('aria-label', `Colour scale (${view.colormap}) from ${lo.toPrecision(3)} to ${hi.toPrecision(3)}`);
    caption.textContent = `${cur.what}. Range ${lo.toPrecision(3)}–${hi.toPrecision(3)}.`;
    heat.setAttribute('data-draw-ms', (performance.now() - t0).toFixed(2));
    heat.setAttribute('data-grid', `${gh}x${gw}`);
    markSelected();
  };

  // ── Model view ────────────────────────────────────────────────────────────────────────────
  let gridKey = '';
  let focus: [number, number] = [0, 0];
  const gridQuery = (): ModelQuery => (view.layer === 'rollout' ? { kind: 'rollout' } : view.queryMode && view.queryPx ? { kind: 'patch', x: view.queryPx[0], y: view.queryPx[1] } : { kind: 'class' });
  const queryText = (q: ModelQuery) =>
    q.kind === 'rollout'
      ? 'rollout from the class token through the blocks before, ending with each head'
      : q.kind === 'patch'
        ? `where the patch at input pixel x ${Math.floor(q.x)}, y ${Math.floor(q.y)} looks`
        : m.family === 'vit'
          ? 'attention from the class token'
          : 'mean attention each token receives in its window';
  const openCell = (r: number, c: number) => {
    const cell = rows[r]?.[c];
    if (!cell) return;
    if (gridQuery().kind === 'rollout') view.rolloutCell = [r, c];
    else {
      view.layer = String(cell.layer);
      layerSel.value = view.layer;
      view.head = String(cell.head);
    }
    // The controls say what the large view shows, and the large view comes into sight.
    fillHeads();
    draw();
    image.parentElement!.scrollIntoView({ block: 'nearest' });
  };
  const moveFocus = (r: number, c: number) => {
    r = Math.max(0, Math.min(cells.length - 1, r));
    c = Math.max(0, Math.min(cells[r].length - 1, c));
    cells[focus[0]]?.[focus[1]]?.setAttribute('tabindex', '-1');
    focus = [r, c];
    const el = cells[r][c];
    el.setAttribute('tabindex', '0');
    el.focus();
  };
  function markSelected(): void {
    const li = layerOf() ? Number(view.layer) : -1;
    const hd = /^\d+$/.test(view.head) ? Number(view.head) : -1;
    const rc = view.layer === 'rollout' ? view.rolloutCell : null;
    cells.forEach((row, r) => row.forEach((el, c) => el.setAttribute('aria-selected', String(rc ? rc[0] === r && rc[1] === c : rows[r][c].layer === li && rows[r][c].head === hd))));
  }
  /** All maps on one canvas (one upload, not 144): a cell of S+1 pixels per map (S = the largest grid side, smaller grids scaled up by whole factors, 1 px gap), scaled by CSS with crisp pixels. */
  const paintGrid = () => {
    const S = Math.max(...rows.flatMap((r) => r.map((x) => Math.max(x.grid[0], x.grid[1]))));
    const R = S + 1;
    const heads = Math.max(...rows.map((r) => r.length));
    if (gridCanvas.width !== heads * R || gridCanvas.height !== rows.length * R) {
      gridCanvas.width = heads * R;
      gridCanvas.height = rows.length * R;
    }
    const ctx = gridCanvas.getContext('2d')!;
    const img = ctx.createImageData(gridCanvas.width, gridCanvas.height);
    const px = img.data;
    const W = gridCanvas.width;
    const table = lut(view.colormap);
    rows.forEach((row, r) =>
      row.forEach((hm, c) => {
        const [gh, gw] = hm.grid;
        const f = Math.max(1, Math.floor(S / Math.max(gh, gw)));
        const [lo, hi] = range(hm.map);
        const k = hi > lo ? 255 / (hi - lo) : 0;
        for (let y = 0; y < gh * f; y++) {
          const src = Math.floor(y / f) * gw;
          let o = ((r * R + y) * W + c * R) * 4;
          for (let x = 0; x < gw * f; x++, o += 4) {
            const t = Math.max(0, Math.min(255, Math.round((hm.map[src + Math.floor(x / f)] - lo) * k))) * 3;
            px[o] = table[t];
            px[o + 1] = table[t + 1];
            px[o + 2] = table[t + 2];
            px[o + 3] = 255;
          }
        }
      }),
    );
    ctx.putImageData(img, 0, 0);
  };
  const gridCanvas = h('canvas', { class: 'mv-canvas', 'aria-hidden': 'true' });
  const drawGrid = () => {
    const t0 = performance.now();
    const q = gridQuery();
    // Rollout rows do not depend on anything the user picks: computed once per capture (or given by the summary).
    if (q.kind === 'rollout') rows = rolloutRows ??= summary?.rolloutRows ?? modelView(layers, q);
    else if (q.kind === 'class' && summary)
      rows = capturedIdx.map((li) => summary.layers[li]!.heads.map((map, head) => ({ layer: li, head, grid: layers[li].grid, cell: layers[li].cell, map })));
    else if (have(capturedIdx)) rows = modelView(layers, q);
    else {
      // A patch query needs every layer's tensor: the large view's was asked for first.
      gridTitle.textContent = `Model view: loading the attention of ${capturedIdx.length} layers…`;
      grid.removeAttribute('data-draw-ms');
      return;
    }
    const key = rows.map((r) => r.length).join(',');
    if (key !== gridKey || cells.length !== rows.length) {
      // The cells (focus, click, names) are built once; a new query only repaints the canvas.
      gridKey = key;
      clear(grid);
      const maxHeads = Math.max(...rows.map((r) => r.length));
      grid.style.setProperty('--heads', String(maxHeads));
      grid.style.setProperty('--rows', String(rows.length));
      const body = h('div', { class: 'mv-body' }, gridCanvas);
      cells = rows.map((row, r) => {
        const l = layers[row[0].layer];
        const label = h('div', { class: 'mv-label', role: 'rowheader', title: l.name }, l.window ? `${l.name}${l.shifted ? ' SW' : ' W'}` : l.name);
        const els = row.map((hm, c) => {
          const el = h('div', { class: 'mv-cell', role: 'gridcell', tabindex: r === 0 && c === 0 ? 0 : -1, 'data-layer': hm.layer, 'data-head': hm.head, 'aria-label': `${l.name}, head ${hm.head}` });
          el.style.gridColumn = String(c + 2);
          el.addEventListener('click', () => ((focus = [r, c]), openCell(r, c)));
          return el;
        });
        label.style.gridRow = els.length ? String(r + 1) : '';
        for (const el of els) el.style.gridRow = String(r + 1);
        body.append(h('div', { class: 'mv-row', role: 'row' }, label, ...els));
        return els;
      });
      grid.append(h('div', { class: 'mv-header', role: 'row' }, h('div', { class: 'mv-label', role: 'columnheader' }, 'head →'), ...Array.from({ length: maxHeads }, (_, k) => h('div', { class: 'mv-head', role: 'columnheader' }, String(k + 1)))), body);
      focus = [0, 0];
    }
    paintGrid();
    gridTitle.textContent = `Model view: ${rows.length} layers × heads — ${queryText(q)} (each map on its own range; click or Enter to open)`;
    markSelected();
    grid.setAttribute('data-draw-ms', (performance.now() - t0).toFixed(2));
    grid.setAttribute('data-query', q.kind);
  };
  grid.addEventListener('keydown', (e) => {
    const [r, c] = focus;
    const moves: Record<string, [number, number]> = { ArrowUp: [r - 1, c], ArrowDown: [r + 1, c], ArrowLeft: [r, c - 1], ArrowRight: [r, c + 1], Home: [r, 0], End: [r, 1e9] };
    if (moves[e.key]) {
      e.preventDefault();
      moveFocus(...moves[e.key]);
    } else if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      openCell(r, c);
    }
  });
  const refresh = () => (draw(), drawGrid());

  layerSel.addEventListener('change', () => {
    const wasRollout = gridQuery().kind;
    view.layer = layerSel.value;
    view.rolloutCell = null;
    fillHeads();
    draw();
    if (gridQuery().kind !== wasRollout) drawGrid();
  });
  headSel.addEventListener('change', () => {
    view.head = headSel.value;
    // Rollout: a head picks that head's cell on the rollout's last captured row; the mean is the rollout.
    if (view.layer === 'rollout') view.rolloutCell = view.head === 'mean' || !view.rolloutCell ? null : [view.rolloutCell[0], Number(view.head)];
    fillHeads();
    draw();
  });
  cmapSel.addEventListener('change', () => ((view.colormap = cmapSel.value as ColormapName), refresh()));
  blend.addEventListener('input', () => ((view.blend = Number(blend.value) / 100), draw()));
  windowsBox.addEventListener('change', () => ((view.windows = windowsBox.checked), draw()));
  queryBox.addEventListener('change', () => {
    view.queryMode = queryBox.checked;
    if (view.queryMode && view.layer === 'rollout') {
      view.layer = lastCaptured;
      layerSel.value = view.layer;
      fillHeads();
    }
    refresh();
  });
  // Query mode: a click on the image picks the query patch (kept in input pixels: each layer has its own grid).
  image.parentElement!.addEventListener('click', (e) => {
    if (!view.queryMode || !layerOf()) return;
    const rect = image.getBoundingClientRect();
    const x = ((e.clientX - rect.left) / rect.width) * m.inputSize;
    const y = ((e.clientY - rect.top) / rect.height) * m.inputSize;
    if (x < 0 || y < 0 || x >= m.inputSize || y >= m.inputSize) return;
    view.queryPx = [x, y];
    refresh();
  });
  exportBtn.addEventListener('click', () => {
    // The image, the map and the colour bar with its range, at the canvas's own resolution.
    const band = Math.max(28, Math.round(image.width / 16));
    const out = document.createElement('canvas');
    out.width = image.width;
    out.height = image.height + band;
    const ctx = out.getContext('2d')!;
    ctx.fillStyle = cssVar('--vscode-editor-background', '#fff');
    ctx.fillRect(0, 0, out.width, out.height);
    ctx.drawImage(image, 0, 0);
    ctx.drawImage(heat, 0, 0);
    ctx.imageSmoothingEnabled = false;
    const pad = Math.round(band / 4);
    ctx.font = `${Math.round(band / 2.4)}px sans-serif`;
    ctx.fillStyle = cssVar('--vscode-editor-foreground', '#000');
    ctx.textBaseline = 'middle';
    const lw = ctx.measureText(lowLabel.textContent!).width;
    const hw = ctx.measureText(highLabel.textContent!).width;
    ctx.fillText(lowLabel.textContent!, pad, image.height + band / 2);
    ctx.fillText(highLabel.textContent!, out.width - pad - hw, image.height + band / 2);
    ctx.drawImage(bar, 2 * pad + lw, image.height + pad, out.width - 4 * pad - lw - hw, band - 2 * pad);
    onExport(out.toDataURL('image/png').split(',')[1], 'view');
  });
  exportGridBtn.addEventListener('click', () => {
    const s = Math.max(2, Math.ceil(48 / (gridCanvas.width / Math.max(...rows.map((r) => r.length))))); // device pixels per canvas pixel
    const labelW = 150;
    const top = 20;
    const out = document.createElement('canvas');
    out.width = labelW + gridCanvas.width * s;
    out.height = top + gridCanvas.height * s;
    const ctx = out.getContext('2d')!;
    ctx.fillStyle = cssVar('--vscode-editor-background', '#fff');
    ctx.fillRect(0, 0, out.width, out.height);
    ctx.fillStyle = cssVar('--vscode-editor-foreground', '#000');
    ctx.font = '12px sans-serif';
    ctx.textBaseline = 'middle';
    ctx.imageSmoothingEnabled = false;
    const R = gridCanvas.height / rows.length;
    const heads = Math.max(...rows.map((r) => r.length));
    for (let k = 0; k < heads; k++) ctx.fillText(`head ${k}`, labelW + k * R * s, top / 2);
    rows.forEach((row, r) => ctx.fillText(layers[row[0].layer].name, 4, top + (r + 0.5) * R * s));
    ctx.drawImage(gridCanvas, labelW, top, gridCanvas.width * s, gridCanvas.height * s);
    onExport(out.toDataURL('image/png').split(',')[1], 'grid');
  });

  /**
   * The block shown (a rollout cell's block; a stage's first block; the full rollout: the last
   * block), its head (0 for mean/max) and, in query mode, the clicked patch: ViT its sequence index
   * after the class/distillation/register tokens, Swin its index in the stage grid before any shift.
   */
  handle.selection = (): TraceSelection => {
    const cell = view.layer === 'rollout' && view.rolloutCell ? rows[view.rolloutCell[0]]?.[view.rolloutCell[1]] : undefined;
    const stage = view.layer.startsWith('stage:') ? layers.findIndex((l) => l.stage === Number(view.layer.slice(6))) : -1;
    const layer = cell ? cell.layer : /^\d+$/.test(view.layer) ? Number(view.layer) : stage >= 0 ? stage : layers.length - 1;
    const l = layers[layer];
    const head = /^\d+$/.test(view.head) && Number(view.head) < l.heads ? Number(view.head) : 0;
    if (!view.queryMode || !view.queryPx) return { layer, head };
    const [r, c] = tokenAt(l, view.queryPx[0], view.queryPx[1]);
    return { layer, head, token: (l.window ? 0 : l.extraTokens) + r * l.grid[1] + c };
  };

  fillHeads();
  root.append(
    h('h2', {}, 'Attention'),
    warnings ?? '',
    h('div', { class: 'toolbar' }, h('label', { for: 'layer' }, 'Layer '), layerSel, h('label', { for: 'head' }, 'Head '), headSel, h('label', { for: 'colormap' }, 'Colours '), cmapSel),
    scale,
    h('div', { class: 'toolbar' }, h('label', { for: 'opacity' }, 'Blend '), blend, h('label', { for: 'query-mode', class: 'check' }, queryBox, ' Click a patch to see where it looks'), m.family === 'swin' ? windowsLabel : '', exportBtn),
    caption,
    gridTitle,
    h('div', { class: 'model-view-scroll' }, grid),
    h('div', { class: 'toolbar' }, exportGridBtn),
  );
  refresh();
  return root;
}
