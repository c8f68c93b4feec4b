/**
 * Relative position bias: Attention = SoftMax(QKᵀ/√d + B)V, with B gathered from a learned table B̂
 * of (2Mh−1)×(2Mw−1) entries per head through the relative position index. Per block: each head's
 * table as a heatmap over (Δh, Δw), the M²×M² bias B one window adds, and the index built step by
 * step on this model's window, with the same pure functions as the core (src/core/swin/relpos.ts).
 */
import { h, clear, app } from '../shared/dom';
import { post, onMessage, getState, setState } from '../shared/host';
import { biasFromTable, offsetOfRow, relativePositionSteps, tableRows } from '../../src/core/swin/relpos';
import type { HostMessage, RelposBlockView } from '../../src/shared/protocol';

interface Saved { block: number; head: number; step: number }

const root = app();
let saved: Saved = getState<Saved>() ?? { block: 0, head: 0, step: 0 };
let blocks: RelposBlockView[] = [];

const persist = (): void => setState(saved);

/** Diverging colour map centred on 0: blue (negative) → white (0) → red (positive), t in [−1, 1]. */
export function diverging(t: number): [number, number, number] {
  const c = Math.max(-1, Math.min(1, Number.isFinite(t) ? t : 0));
  const neg: [number, number, number] = [33, 102, 172];
  const pos: [number, number, number] = [178, 24, 43];
  const mid: [number, number, number] = [247, 247, 247];
  const end = c < 0 ? neg : pos;
  const a = Math.abs(c);
  return [0, 1, 2].map((k) => Math.round(mid[k] + (end[k] - mid[k]) * a)) as [number, number, number];
}

const fmt = (v: number): string => (Math.abs(v) >= 100 ? v.toFixed(1) : v.toFixed(4));

/** Paints a rows×cols grid of values on a canvas, `cell` px per entry, colours scaled by ±range. */
function heatmap(rows: number, cols: number, value: (i: number, j: number) => number, range: number, cell: number, attrs: Record<string, string | number>): HTMLCanvasElement {
  const c = h('canvas', { width: cols * cell, height: rows * cell, ...attrs });
  const g = c.getContext('2d')!;
  const img = g.createImageData(cols * cell, rows * cell);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const [r, gg, b] = diverging(range > 0 ? value(i, j) / range : 0);
      for (let y = i * cell; y < (i + 1) * cell; y++) {
        for (let x = j * cell; x < (j + 1) * cell; x++) {
          const p = (y * cols * cell + x) * 4;
          img.data[p] = r;
          img.data[p + 1] = gg;
          img.data[p + 2] = b;
          img.data[p + 3] = 255;
        }
      }
    }
  }
  g.putImageData(img, 0, 0);
  return c;
}

/** The cell under the mouse: [row, col], or null outside. */
function cellAt(c: HTMLCanvasElement, e: MouseEvent, cell: number): [number, number] | null {
  const r = c.getBoundingClientRect();
  const x = ((e.clientX - r.left) * c.width) / r.width;
  const y = ((e.clientY - r.top) * c.height) / r.height;
  const i = Math.floor(y / cell);
  const j = Math.floor(x / cell);
  return i >= 0 && j >= 0 && i * cell < c.height && j * cell < c.width ? [i, j] : null;
}

function colorBar(range: number): HTMLElement {
  const w = 240;
  const c = h('canvas', { width: w, height: 12, id: 'colorbar', 'data-range': fmt(range), 'aria-label': `colour scale from −${fmt(range)} to +${fmt(range)}, white at 0` });
  const g = c.getContext('2d')!;
  for (let x = 0; x < w; x++) {
    const [r, gg, b] = diverging((x / (w - 1)) * 2 - 1);
    g.fillStyle = `rgb(${r},${gg},${b})`;
    g.fillRect(x, 0, 1, 12);
  }
  return h('div', { class: 'colorbar' }, h('span', {}, `−${fmt(range)}`), c, h('span', {}, `+${fmt(range)}`), h('span', { class: 'muted' }, ' (0 is white)'));
}

const hover = h('p', { class: 'status', id: 'hover', role: 'status', 'aria-live': 'polite' });

function tablesSection(b: RelposBlockView): HTMLElement {
  const [Mh, Mw] = b.window;
  const R = tableRows(Mh, Mw);
  const rows = 2 * Mh - 1;
  const cols = 2 * Mw - 1;
  const sec = h('section', { id: 'tables' }, h('h2', {}, `Learned table B̂ per head: ${rows}×${cols} = (2Mh−1)×(2Mw−1) entries, rows Δh = −${Mh - 1}…${Mh - 1}, columns Δw = −${Mw - 1}…${Mw - 1}`));
  sec.append(h('p', { class: 'muted' }, `Entry (Δh, Δw) is added to the score of every query–key pair that far apart in the window; this block's ${b.heads} head(s) each learned ${R} of them (${b.params.toLocaleString('en-US')} parameters).`));
  if (!b.table) {
    sec.append(h('p', { class: b.status === 'none' ? 'muted' : 'warning', id: 'table-message', 'data-status': b.status }, b.message ?? 'No table.'));
    return sec;
  }
  const table = b.table;
  let range = 0;
  for (const v of table) range = Math.max(range, Math.abs(v));
  const cell = Math.max(6, Math.min(24, Math.floor(168 / Math.max(rows, cols))));
  const grid = h('div', { class: 'heads' });
  for (let hd = 0; hd < b.heads; hd++) {
    const c = heatmap(rows, cols, (i, j) => table[hd * R + i * cols + j], range, cell, { class: 'table', 'data-head': hd, 'aria-label': `head ${hd}: relative position bias table` });
    c.addEventListener('mousemove', (e) => {
      const at = cellAt(c, e, cell);
      if (!at) return;
      const r = at[0] * cols + at[1];
      const { dh, dw } = offsetOfRow(r, Mh, Mw);
      const v = table[hd * R + r];
      hover.textContent = `head ${hd}, Δh = ${dh}, Δw = ${dw} (table row r = ${r}): ${fmt(v)}`;
      hover.dataset.value = String(v);
      c.title = hover.textContent;
    });
    c.addEventListener('click', () => {
      saved = { ...saved, head: hd };
      persist();
      render();
    });
    grid.append(h('figure', { class: 'head' }, h('div', { class: 'axes' }, h('span', { class: 'axis-w' }, 'Δw →'), h('div', { class: 'axis-h-wrap' }, h('span', { class: 'axis-h' }, 'Δh ↓'), c)), h('figcaption', {}, `head ${hd}${hd === saved.head ? ' (B below)' : ''}`)));
  }
  sec.append(colorBar(range), grid, hover);
  return sec;
}

function biasSection(b: RelposBlockView): HTMLElement | null {
  if (!b.table) return null;
  const [Mh, Mw] = b.window;
  const N = Mh * Mw;
  const head = Math.min(saved.head, b.heads - 1);
  const B = biasFromTable(b.table, b.heads, Mh, Mw);
  let range = 0;
  for (let k = head * N * N; k < (head + 1) * N * N; k++) range = Math.max(range, Math.abs(B[k]));
  const cell = Math.max(2, Math.min(16, Math.floor(392 / N)));
  const c = heatmap(N, N, (i, j) => B[head * N * N + i * N + j], range, cell, { id: 'bias', 'data-head': head, 'aria-label': `bias B of head ${head}, ${N}×${N}` });
  const out = h('p', { class: 'status', id: 'bias-hover', role: 'status' });
  c.addEventListener('mousemove', (e) => {
    const at = cellAt(c, e, cell);
    if (!at) return;
    const [i, j] = at;
    const v = B[head * N * N + i * N + j];
    out.textContent = `query ${i} (${Math.floor(i / Mw)}, ${i % Mw}) → key ${j} (${Math.floor(j / Mw)}, ${j % Mw}): Δ = (${Math.floor(i / Mw) - Math.floor(j / Mw)}, ${(i % Mw) - (j % Mw)}), B = ${fmt(v)}`;
    out.dataset.value = String(v);
  });
  const sel = h('select', { id: 'head', 'aria-label': 'Head shown in B' }, ...Array.from({ length: b.heads }, (_, k) => h('option', { value: k, selected: k === head }, `head ${k}`)));
  sel.addEventListener('change', () => {
    saved = { ...saved, head: Number(sel.value) };
    persist();
    render();
  });
  return h(
    'section',
    { id: 'bias-section' },
    h('h2', {}, `Bias B one window adds to its ${N}×${N} scores: B[i, j] = B̂[index[i, j]]`),
    h('p', { class: 'muted' }, `Every ${Mh}×${Mw} window of this block adds the same B (before the Softmax, together with the −100 mask in shifted windows). Rows are queries, columns keys, tokens numbered row by row in the window. `, sel),
    colorBar(range),
    c,
    out,
  );
}

const STEPS = ['coordinates', 'pairwise differences', '+ (M − 1)', 'row × (2Mw − 1) + column', 'gather'] as const;
const LIMIT = 16;

function matrix(n: number, m: number, cell: (i: number, j: number) => string, id: string, caption: string): HTMLElement {
  const rn = Math.min(n, LIMIT);
  const cm = Math.min(m, LIMIT);
  const body = h('tbody', {});
  body.append(h('tr', {}, h('th', {}, 'i \\ j'), ...Array.from({ length: cm }, (_, j) => h('th', {}, j))));
  for (let i = 0; i < rn; i++) body.append(h('tr', {}, h('th', {}, i), ...Array.from({ length: cm }, (_, j) => h('td', {}, cell(i, j)))));
  const more = n > LIMIT || m > LIMIT ? ` (first ${rn}×${cm} of ${n}×${m})` : '';
  return h('figure', { class: 'matrix' }, h('table', { class: 'grid index-matrix', id }, body), h('figcaption', {}, caption + more));
}

function indexSection(b: RelposBlockView): HTMLElement {
  const [Mh, Mw] = b.window;
  const s = relativePositionSteps(Mh, Mw);
  const N = s.tokens;
  const step = Math.min(saved.step, STEPS.length - 1);
  const bar = h('div', { class: 'toolbar', role: 'group', 'aria-label': 'Index step' });
  STEPS.forEach((name, k) => {
    const btn = h('button', { class: `step${k === step ? ' active' : ''}`, 'data-step': k, 'aria-pressed': String(k === step) }, `${k + 1}. ${name}`);
    btn.addEventListener('click', () => {
      saved = { ...saved, step: k };
      persist();
      render();
    });
    bar.append(btn);
  });
  const view = h('div', { id: 'step-view', 'data-step': step });
  const at = (a: Int32Array) => (i: number, j: number) => String(a[i * N + j]);
  switch (step) {
    case 0:
      view.append(
        h('p', {}, `coords_flatten: token i of the ${Mh}×${Mw} window sits at row h_i = ⌊i / ${Mw}⌋ and column w_i = i mod ${Mw}.`),
        matrix(Mh, Mw, (i, j) => `${i * Mw + j}: (${i}, ${j})`, 'coords', 'token: (h, w)'),
      );
      break;
    case 1:
      view.append(
        h('p', {}, `relative_coords = coords_i − coords_j: how far query i is from key j, Δh from −${Mh - 1} to ${Mh - 1} and Δw from −${Mw - 1} to ${Mw - 1}.`),
        h('div', { class: 'pair' }, matrix(N, N, at(s.deltaH), 'delta-h', 'Δh = h_i − h_j'), matrix(N, N, at(s.deltaW), 'delta-w', 'Δw = w_i − w_j')),
      );
      break;
    case 2:
      view.append(
        h('p', {}, `+= M − 1 so both start at 0: Δh + ${Mh - 1} in 0…${2 * Mh - 2} and Δw + ${Mw - 1} in 0…${2 * Mw - 2}.`),
        h('div', { class: 'pair' }, matrix(N, N, at(s.shiftedH), 'shifted-h', `Δh + ${Mh - 1}`), matrix(N, N, at(s.shiftedW), 'shifted-w', `Δw + ${Mw - 1}`)),
      );
      break;
    case 3:
      view.append(
        h('p', {}, `The row offset times 2Mw − 1 = ${2 * Mw - 1}, plus the column offset: one number 0…${tableRows(Mh, Mw) - 1} per pair — relative_position_index.`),
        matrix(N, N, at(s.index), 'index', `index = (Δh + ${Mh - 1})·${2 * Mw - 1} + (Δw + ${Mw - 1})`),
      );
      break;
    default: {
      const head = Math.min(saved.head, b.heads - 1);
      const R = tableRows(Mh, Mw);
      view.append(h('p', {}, `B[i, j] = B̂[index[i, j], head]: the table row each pair names, here for head ${head}${b.table ? '' : ' (without the table values, only the row each pair names)'}.`));
      view.append(matrix(N, N, (i, j) => (b.table ? fmt(b.table[head * R + s.index[i * N + j]]) : `B̂[${s.index[i * N + j]}]`), 'gathered', b.table ? `B for head ${head}` : 'table row per pair'));
    }
  }
  return h('section', { id: 'index-section' }, h('h2', {}, `The relative position index, step by step, on this block's ${Mh}×${Mw} window`), bar, view);
}

function render(): void {
  clear(root);
  const model = getModel();
  root.append(h('h1', {}, `Relative position bias — ${model}`));
  if (note) root.append(h('p', { class: 'warning', id: 'note' }, note));
  if (!blocks.length) {
    root.append(h('p', { class: 'muted', id: 'empty' }, 'This model has no Swin blocks.'));
    return;
  }
  const k = Math.min(saved.block, blocks.length - 1);
  const b = blocks[k];
  const sel = h('select', { id: 'block', 'aria-label': 'Block' }, ...blocks.map((x, i) => h('option', { value: i, selected: i === k }, `${x.name}${x.scope ? ` (${x.scope})` : ''}: ${x.heads} heads, ${x.window[0]}×${x.window[1]} window${x.shifted ? ', shifted' : ''}${x.status === 'ok' ? '' : ` — ${x.status}`}`)));
  sel.addEventListener('change', () => {
    saved = { ...saved, block: Number(sel.value), head: 0 };
    persist();
    render();
  });
  const read = b.source === 'cpb' ? `Swin V2's continuous position bias, the bias the model really adds: 16·sigmoid of its MLP's output on the log-spaced offsets, computed here from the graph's constants (tables below are that, per head; values in 0…16)` : b.source === 'folded' ? `recovered from the folded [1, ${b.heads}, ${b.window[0] * b.window[1]}, ${b.window[0] * b.window[1]}] constant ${b.tensor} by inverting the index (every repeated entry agrees)` : b.source === 'table' ? `read from the table ${b.tensor} that the graph gathers` : 'no bias in this block';
  root.append(h('div', { class: 'toolbar' }, h('label', { for: 'block' }, 'Block '), sel), h('p', { class: 'muted', id: 'source', 'data-status': b.status }, `${b.name}: ${b.status === 'ok' ? read : b.table ? (b.message ?? '') : 'no table to show (the section below says why)'}`));
  root.append(tablesSection(b));
  const bias = biasSection(b);
  if (bias) root.append(bias);
  if (b.window[0] > 0) root.append(indexSection(b));
}

let modelName = '';
let note: string | null = null;
const getModel = (): string => modelName;

onMessage((m: HostMessage) => {
  if (m.type === 'relpos') {
    blocks = m.blocks;
    modelName = m.model;
    note = m.note;
    if (m.select) {
      const i = blocks.findIndex((b) => b.name === m.select || (b.scope !== null && (m.select === b.scope || m.select!.endsWith('/' + b.scope))));
      if (i >= 0) saved = { ...saved, block: i, head: 0 };
    }
    persist();
    render();
  } else if (m.type === 'busy') {
    // Read in the inference process: say so until the tables arrive (a shown model stays shown).
    if (!blocks.length) {
      clear(root);
      root.append(h('h1', {}, 'Relative position bias'), h('p', { id: 'status', role: 'status' }, m.message));
    }
  } else if (m.type === 'error') {
    clear(root);
    root.append(h('h1', {}, 'Relative position bias'), h('p', { class: 'error', id: 'error', role: 'alert' }, m.message));
  }
});
post({ type: 'ready' });
