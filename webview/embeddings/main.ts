/**
 * The ViT paper's Figure 7 on the user's model. Left: the principal components of the
 * patch-embedding filters as RGB tiles with their share of variance. Centre: the cosine
 * similarity of each patch's position embedding with every other patch's, as a grid of small
 * maps laid out on the patch grid (click one for its map large). Right: the mean attention
 * distance of every head against depth, for the image last shown and averaged over a folder.
 * The numbers come from core/report/embeddings and core/attention/distance on the host; this page only draws.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import { h, clear, app } from '../shared/dom';
import { post, onMessage, getState, setState } from '../shared/host';
import { componentTile } from '../../src/core/vit/patchFilters';
import type { HostMessage, DistanceSeries } from '../../src/shared/protocol';
import type { PositionsReport, PatchFiltersReport } from '../../src/core/report/embeddings';
import { lut } from '../../src/core/colormap';

type Embeddings = Extract<HostMessage, { type: 'embeddings' }>;

const root = app();
const status = h('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
const title = h('h1', {}, 'Embeddings & attention distance');
const toolbar = h('div', { class: 'toolbar' });
const body = h('div', { class: 'fig7' });
root.append(title, toolbar, status, body);

const pick = h('vscode-button' as 'button', { id: 'pick-model', secondary: true }, 'Select model for this panel…');
pick.title = 'Changes the model of this panel only; Classify Image and the other views keep theirs (ViT Inspector: Select Model changes that).';
pick.addEventListener('click', () => post({ type: 'pickModel' }));
const folder = h('vscode-button' as 'button', { id: 'distance-folder', secondary: true }, 'Average distance over a folder…');
folder.addEventListener('click', () => post({ type: 'distanceFolder' }));
const copy = h('vscode-button' as 'button', { id: 'copy-json', secondary: true }, 'Copy numbers (JSON)');
toolbar.append(pick, folder, copy);

let last: Embeddings | null = null;
let selected = getState<{ patch: number }>()?.patch ?? 0;

copy.addEventListener('click', () => {
  if (!last) return;
  const p = last.doc?.positions;
  const f = last.doc?.patchFilters;
  post({
    type: 'copy',
    text: JSON.stringify({ model: last.model, positions: p ? { grid: p.grid, kind: p.kind, similarity: p.similarity } : null, patchFilters: f ? { patch: f.patch, explained: f.explained } : null, distance: last.distance }, null, 1),
  });
});

/** A similarity map (values in [−1, 1]) as pixels of a gh×gw canvas, viridis. */
function drawMap(canvas: HTMLCanvasElement, sim: readonly number[], row: number, grid: [number, number]): void {
  const [gh, gw] = grid;
  const P = gh * gw;
  canvas.width = gw;
  canvas.height = gh;
  const ctx = canvas.getContext('2d')!;
  const img = ctx.createImageData(gw, gh);
  const t = lut('viridis');
  for (let j = 0; j < P; j++) {
    const v = Math.max(-1, Math.min(1, sim[row * P + j]));
    const k = Math.round(((v + 1) / 2) * 255) * 3;
    img.data.set([t[k], t[k + 1], t[k + 2], 255], j * 4);
  }
  ctx.putImageData(img, 0, 0);
}

function positionsSection(p: PositionsReport): HTMLElement {
  const [gh, gw] = p.grid;
  const P = gh * gw;
  if (selected >= P) selected = 0;
  const tile = Math.max(6, Math.min(40, Math.floor(560 / gw) - 2));
  const grid = h('div', { class: 'pos-grid', id: 'pos-grid', role: 'grid', 'aria-label': `Position embedding similarity, ${gh} by ${gw} patches` });
  grid.style.gridTemplateColumns = `repeat(${gw}, ${tile}px)`;
  const large = h('canvas', { id: 'pos-large', class: 'pixelated', 'aria-label': 'Similarity of the selected patch' }) as HTMLCanvasElement;
  large.style.width = large.style.height = `${Math.min(320, Math.max(160, 24 * gw))}px`;
  const caption = h('p', { id: 'pos-caption', class: 'muted' });
  const select = (i: number): void => {
    selected = i;
    setState({ patch: i });
    drawMap(large, p.similarity, i, p.grid);
    const r = Math.floor(i / gw);
    const c = i % gw;
    caption.textContent = `Patch (row ${r + 1}, column ${c + 1}): cosine similarity of its position embedding with every patch's. Colour: −1 (dark) to 1 (bright).`;
    large.dataset.patch = String(i);
    for (const el of grid.children) el.classList.toggle('selected', (el as HTMLElement).dataset.patch === String(i));
  };
  for (let i = 0; i < P; i++) {
    const c = h('canvas', { class: 'pos-tile pixelated', tabindex: 0, role: 'gridcell', title: `row ${Math.floor(i / gw) + 1}, column ${(i % gw) + 1}`, 'data-patch': i }) as HTMLCanvasElement;
    c.style.width = c.style.height = `${tile}px`;
    drawMap(c, p.similarity, i, p.grid);
    c.addEventListener('click', () => select(i));
    c.addEventListener('keydown', (e) => {
      const r = Math.floor(i / gw);
      const col = i % gw;
      const to = e.key === 'ArrowRight' ? r * gw + Math.min(gw - 1, col + 1) : e.key === 'ArrowLeft' ? r * gw + Math.max(0, col - 1) : e.key === 'ArrowDown' ? Math.min(gh - 1, r + 1) * gw + col : e.key === 'ArrowUp' ? Math.max(0, r - 1) * gw + col : e.key === 'Enter' || e.key === ' ' ? i : -1;
      if (to < 0) return;
      e.preventDefault();
      select(to);
      (grid.children[to] as HTMLElement).focus();
    });
    grid.append(c);
  }
  const kind = p.kind === 'learned' ? 'learned' : `a fixed ${p.kind} table`;
  const interp = p.interpolatedFrom ? ` Stored for ${p.interpolatedFrom.join('×')} patches and interpolated when the model runs; the stored grid is shown.` : '';
  const sec = h(
    'section',
    { class: 'fig7-part', id: 'positions' },
    h('h2', {}, 'Position embedding similarity'),
    h('p', { class: 'muted', id: 'pos-kind' }, `${p.tensor}: ${kind}, ${gh}×${gw} patches${p.extraRows ? ` (${p.extraRows} class/distillation row${p.extraRows > 1 ? 's' : ''} left out)` : ''}.${interp} Each tile is one patch's similarity with every patch, laid out on the patch grid.`),
    h('div', { class: 'columns' }, grid, h('div', {}, large, caption, colourBar())),
  );
  select(selected);
  return sec;
}

function colourBar(): HTMLElement {
  const c = h('canvas', { class: 'colorbar-ramp', 'aria-hidden': 'true' }) as HTMLCanvasElement;
  c.width = 256;
  c.height = 1;
  const ctx = c.getContext('2d')!;
  const img = ctx.createImageData(256, 1);
  const t = lut('viridis');
  for (let i = 0; i < 256; i++) img.data.set([t[i * 3], t[i * 3 + 1], t[i * 3 + 2], 255], i * 4);
  ctx.putImageData(img, 0, 0);
  return h('div', { class: 'colorbar' }, h('span', {}, '−1'), c, h('span', {}, '1'));
}

function filtersSection(f: PatchFiltersReport): HTMLElement {
  const [ph, pw] = f.patch;
  const tiles = h('div', { class: 'pc-tiles', id: 'pc-tiles' });
  let cum = 0;
  f.components.forEach((comp, i) => {
    const c = h('canvas', { class: 'pc-tile pixelated', 'data-explained': f.explained[i] }) as HTMLCanvasElement;
    c.width = pw;
    c.height = ph;
    c.getContext('2d')!.putImageData(new ImageData(componentTile(comp, f.channels, ph, pw), pw, ph), 0, 0);
    cum += f.explained[i];
    tiles.append(h('figure', { class: 'pc', title: `component ${i + 1}: ${(f.explained[i] * 100).toFixed(2)}% of the variance (cumulative ${(cum * 100).toFixed(1)}%)` }, c, h('figcaption', {}, `${i + 1}: ${(f.explained[i] * 100).toFixed(1)}%`)));
  });
  return h(
    'section',
    { class: 'fig7-part', id: 'filters' },
    h('h2', {}, 'Patch-embedding filters: principal components'),
    h('p', { class: 'muted' }, `${f.filters} filters of ${f.channels}×${ph}×${pw} (${f.tensor}), centred on the mean filter; the top ${f.explained.length} components explain ${(cum * 100).toFixed(1)}% of their variance. Each tile is one component as an RGB ${ph}×${pw} patch, scaled to its own range.`),
    tiles,
  );
}

const SVG = 'http://www.w3.org/2000/svg';
function svg(tag: string, attrs: Record<string, string | number>): SVGElement {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

/** The paper's Figure 7 right: network depth (layer) on x, mean attention distance (pixels) on y, one dot per head. */
function distanceSection(series: DistanceSeries[]): HTMLElement {
  const sec = h('section', { class: 'fig7-part', id: 'distance' }, h('h2', {}, 'Mean attention distance'));
  if (!series.length) {
    sec.append(h('p', { class: 'muted', id: 'distance-empty' }, 'Not computed yet: run Show Attention on an image and press "Mean attention distance…", or average over a folder of images (one attention capture each).'));
    return sec;
  }
  const depth = Math.max(...series.map((s) => s.layers.length));
  let ymax = 0;
  for (const s of series) for (const l of s.layers) for (const v of l.heads) ymax = Math.max(ymax, v);
  const step = ymax > 0 ? 10 ** Math.floor(Math.log10(ymax)) : 1;
  const top = Math.max(step, Math.ceil((ymax * 1.05) / step) * step);
  const W = 480;
  const H = 300;
  const m = { l: 52, r: 12, t: 12, b: 40 };
  const x = (i: number): number => m.l + ((i + 0.5) / depth) * (W - m.l - m.r);
  const y = (v: number): number => H - m.b - (v / top) * (H - m.t - m.b);
  const plot = svg('svg', { viewBox: `0 0 ${W} ${H}`, id: 'distance-plot', role: 'img', 'aria-label': 'Mean attention distance of each head by network depth', class: 'distance-plot' });
  plot.append(svg('line', { x1: m.l, y1: H - m.b, x2: W - m.r, y2: H - m.b, class: 'axis' }), svg('line', { x1: m.l, y1: m.t, x2: m.l, y2: H - m.b, class: 'axis' }));
  for (let k = 0; k <= 4; k++) {
    const v = (top * k) / 4;
    const t = svg('text', { x: m.l - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'tick' });
    t.textContent = String(Math.round(v * 10) / 10);
    plot.append(t, svg('line', { x1: m.l, y1: y(v), x2: W - m.r, y2: y(v), class: 'grid-line' }));
  }
  const every = Math.max(1, Math.ceil(depth / 12));
  for (let i = 0; i < depth; i += every) {
    const t = svg('text', { x: x(i), y: H - m.b + 16, 'text-anchor': 'middle', class: 'tick' });
    t.textContent = String(i + 1);
    plot.append(t);
  }
  const xl = svg('text', { x: (m.l + W - m.r) / 2, y: H - 6, 'text-anchor': 'middle', class: 'axis-label' });
  xl.textContent = 'Network depth (layer)';
  const yl = svg('text', { x: 14, y: (m.t + H - m.b) / 2, 'text-anchor': 'middle', class: 'axis-label', transform: `rotate(-90 14 ${(m.t + H - m.b) / 2})` });
  yl.textContent = 'Mean attention distance (pixels)';
  plot.append(xl, yl);
  const legend = h('ul', { class: 'legend', id: 'distance-legend' });
  series.forEach((s, si) => {
    const cls = `series-${si}`;
    const off = series.length > 1 ? (si - (series.length - 1) / 2) * 5 : 0;
    s.layers.forEach((l, li) =>
      l.heads.forEach((v, hi) => {
        const dot = svg(si === 0 ? 'circle' : 'rect', si === 0 ? { cx: x(li) + off, cy: y(v), r: 3.5, class: `dot ${cls}` } : { x: x(li) + off - 3, y: y(v) - 3, width: 6, height: 6, class: `dot ${cls}` });
        const tip = svg('title', {});
        tip.textContent = `${s.label}: ${l.name}, head ${hi}: ${v.toFixed(1)} px`;
        dot.append(tip);
        plot.append(dot);
      }),
    );
    legend.append(h('li', { class: cls }, `${si === 0 ? '●' : '■'} ${s.label}`));
  });
  sec.append(h('p', { class: 'muted' }, 'For each head, the mean over patch queries of the attention-weighted distance (in input pixels) between patch centres, keys restricted to patches (ViT paper, Figure 7 right). Low: the head looks locally; high: globally.'), plot, legend);
  return sec;
}

function render(m: Embeddings): void {
  last = m;
  clear(body);
  title.textContent = m.model ? `Embeddings & attention distance — ${m.model}` : 'Embeddings & attention distance';
  status.textContent = '';
  if (m.error) body.append(h('p', { class: 'error', id: 'embeddings-error' }, m.error));
  const d = m.doc;
  if (d && d.notes.length) body.append(h('ul', { class: 'warnings', id: 'notes' }, ...d.notes.map((n) => h('li', {}, n))));
  if (d?.patchFilters) body.append(filtersSection(d.patchFilters));
  if (d?.positions) body.append(positionsSection(d.positions));
  body.append(distanceSection(m.distance));
}

onMessage((m) => {
  if (m.type === 'embeddings') render(m);
  else if (m.type === 'busy') status.textContent = m.message;
  else if (m.type === 'error') {
    status.textContent = '';
    body.prepend(h('p', { class: 'error' }, m.message));
  }
});
post({ type: 'ready' });
