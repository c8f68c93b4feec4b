/**
 * Step Through the Forward Pass: one token, one head, one block, the paper's steps in order
 * (embedding → q, K, V → scores → softmax → context → output), each with this model's numbers,
 * the real tensors and the recomputation check as the step's verdict. Changing step within a
 * trace never asks the host; another token/layer/head is a new `trace` request.
 * Keyboard: ←/→ (or the step list) move between steps, Home/End jump; on the patch grid the arrows
 * move the cursor and Enter traces that patch.
 */
import { h, clear, app } from '../shared/dom';
import { post, onMessage, getState, setState } from '../shared/host';
import { lut, range, colour } from '../../src/core/colormap';
import type { HostMessage } from '../../src/shared/protocol';
import type { TraceStep } from '../../src/core/trace/types';
import { pickProblem, type TracePick, type TracePickRanges } from '../../src/shared/tracePick';
import { fmt, gridInput, patchGrid } from './patchGrid';

type TraceMessage = Extract<HostMessage, { type: 'trace' }>;
type PickMessage = Extract<HostMessage, { type: 'tracePick' }>;

/** Kept across reloads: the step shown, and what the host needs to open the panel again (TracePanel.revive). */
interface Saved {
  step: number;
  /** the Blend slider: how much of the row covers the image, 0..1 */
  blend?: number;
  imagePath?: string;
  modelPath?: string;
  pick?: TracePick;
}

const root = app();
let saved: Saved = getState<Saved>() ?? { step: 0 };
let cur: TraceMessage | null = null;
let asked: PickMessage | null = null;
let working = false;
/** The patch under the keyboard cursor on the grid (index in the grid, row-major). */
const windowCursor: { cell: number | null } = { cell: null };


function save(): void {
  setState(saved);
}

/** The tensor a step shows: the document's named tensors for the attention steps, else the step's own values. */
function tensorOf(m: TraceMessage, s: TraceStep): { name: string; values: number[]; grid: boolean } | null {
  if (s.unavailable) return null;
  const t = m.doc.tensors;
  const own = keyIndex(m);
  switch (s.id) {
    case 'position':
      if (t.embedding) return { name: 'embedding', values: t.embedding, grid: false };
      break;
    case 'q':
      if (t.q.length) return { name: 'q', values: t.q, grid: false };
      break;
    case 'k':
      if (t.k[own]) return { name: `k[${own}]`, values: t.k[own], grid: false };
      break;
    case 'v':
      if (t.v[own]) return { name: `v[${own}]`, values: t.v[own], grid: false };
      break;
    case 'scores':
      // Swin: the step's own row is q·kᵀ·scale before + B and + mask; `scores` is the sum the softmax takes.
      if (s.values?.length) return { name: 'scores', values: s.values, grid: true };
      if (t.scores.length) return { name: 'scores', values: t.scores, grid: true };
      break;
    case 'bias':
      // what enters the softmax (before the mask): scores + B; B's own entries are marked in the table B̂ beside it
      if (s.values?.length) return { name: 'scores + B', values: s.values, grid: true };
      if (t.bias) return { name: 'B', values: t.bias.row, grid: true };
      break;
    case 'mask':
      if (t.mask) return { name: 'mask', values: t.mask, grid: true };
      break;
    case 'softmax':
      if (t.weights.length) return { name: 'weights', values: t.weights, grid: true };
      break;
    case 'context':
      if (t.context.length) return { name: 'context', values: t.context, grid: false };
      break;
    case 'residual2':
      if (t.output.length) return { name: 'output', values: t.output, grid: false };
      break;
    case 'head':
      if (t.logits) return { name: 'logits', values: t.logits, grid: false };
      break;
    default:
      break;
  }
  return s.values ? { name: s.id, values: s.values.length > 4096 ? s.values.slice(0, 4096) : s.values, grid: false } : null;
}

const isSwin = (m: TraceMessage): boolean => m.doc.family.startsWith('swin');

/**
 * Swin: the stage-grid token (before any shift) at `position` of the token's window. The shifted
 * map is the stage map rolled by −shift, so shifted (r, c) holds stage ((r + shift) mod H, (c + shift) mod W).
 */
export function swinToken(m: TraceMessage, position: number): number | null {
  const d = m.doc;
  const M = m.grid[0];
  if (!d.grid || d.window === undefined) return null;
  const [H, W] = d.grid;
  const perRow = Math.max(1, Math.ceil(W / M));
  const r = Math.floor(d.window / perRow) * M + Math.floor(position / M);
  const c = (d.window % perRow) * M + (position % M);
  const s = d.shift ?? 0;
  const Hp = Math.ceil(H / M) * M;
  const Wp = Math.ceil(W / M) * M;
  const [rr, cc] = [(r + s) % Hp, (c + s) % Wp];
  // A padding slot (the map is padded to whole windows) is no token.
  return rr < H && cc < W ? rr * W + cc : null;
}

/** The token's own row among the keys: its sequence index (ViT) or its position in the window (Swin). */
const keyIndex = (m: TraceMessage): number => (isSwin(m) ? m.doc.position ?? 0 : m.doc.token);

/** A vector as a colour strip; each cell is focusable and tells its value on hover/focus. */
function strip(name: string, values: number[], out: HTMLElement): HTMLElement {
  const [lo, hi] = range(values);
  const px = new Uint8ClampedArray(values.length * 4);
  colour(values, lut('viridis'), lo, hi, 255, px);
  const el = h('div', { class: 'strip', role: 'list', 'aria-label': `${name}: ${values.length} values from ${fmt(lo)} to ${fmt(hi)}`, 'data-tensor': name });
  values.forEach((v, i) => {
    const cell = h('span', { class: 'cell', role: 'listitem', tabindex: 0, 'data-index': i, 'data-value': v, title: `${name}[${i}] = ${fmt(v)}`, 'aria-label': `${name}[${i}] = ${fmt(v)}` });
    cell.style.background = `rgb(${px[i * 4]},${px[i * 4 + 1]},${px[i * 4 + 2]})`;
    const say = (): void => { out.textContent = `${name}[${i}] = ${fmt(v)}`; out.setAttribute('data-value', String(v)); };
    cell.addEventListener('mouseenter', say);
    cell.addEventListener('focus', say);
    el.append(cell);
  });
  return el;
}

const cssVar = (name: string, fallback: string): string => getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;

/**
 * Swin: the token's M×M window as attention computes it — row-major in the rolled map, the order of
 * k, the scores and the mask — with the step's row. A click, or Enter on the keyboard cursor
 * (arrows move it), traces that token.
 */
function windowGrid(m: TraceMessage, values: number[] | null, name: string, out: HTMLElement, detail?: (slot: number) => string): HTMLElement {
  const [gh, gw] = m.grid;
  const prefix = isSwin(m) ? 0 : m.prefix.length;
  const size = Math.max(8, Math.floor(168 / Math.max(gh, gw)));
  const c = h('canvas', {
    id: 'window', width: gw * size, height: gh * size, tabindex: 0, role: 'application', 'aria-roledescription': 'window grid',
    'aria-label': `${gh}×${gw} ${isSwin(m) ? 'window after the cyclic shift' : 'patch grid'}${values ? `, ${name} of each key` : ''}: click a patch, or move with the arrow keys and press Enter, to trace that token`,
  });
  const g = c.getContext('2d')!;
  const patch = values ? values.slice(prefix, prefix + gh * gw) : new Array<number>(gh * gw).fill(0);
  const [lo, hi] = values ? range(patch) : [0, 1];
  const px = new Uint8ClampedArray(patch.length * 4);
  colour(patch, lut('magma'), lo, hi, 255, px);
  const own = isSwin(m) ? m.doc.position ?? -1 : m.doc.token - prefix;
  const paint = (): void => {
    g.fillStyle = cssVar('--vscode-editor-background', '#1e1e1e');
    g.fillRect(0, 0, c.width, c.height);
    for (let i = 0; i < patch.length; i++) {
      g.fillStyle = values ? `rgb(${px[i * 4]},${px[i * 4 + 1]},${px[i * 4 + 2]})` : 'rgba(128,128,128,0.35)';
      g.fillRect((i % gw) * size, Math.floor(i / gw) * size, size - 1, size - 1);
    }
    const frame = (i: number, colourOf: string, dash: number[]): void => {
      g.strokeStyle = colourOf;
      g.setLineDash(dash);
      g.lineWidth = 3;
      g.strokeRect((i % gw) * size + 1.5, Math.floor(i / gw) * size + 1.5, size - 4, size - 4);
      g.setLineDash([]);
    };
    if (own >= 0 && own < gh * gw) frame(own, cssVar('--vscode-editor-foreground', '#ccc'), []);
    if (windowCursor.cell !== null && windowCursor.cell !== own && document.activeElement === c) frame(windowCursor.cell, cssVar('--vscode-focusBorder', '#0078d4'), [4, 3]);
  };
  const tell = (i: number): void => {
    out.textContent = `patch ${i} (row ${Math.floor(i / gw)}, column ${i % gw})${values ? ` = ${fmt(patch[i])}${detail?.(i) ?? ''}` : ''}`;
    if (values) out.setAttribute('data-value', String(patch[i]));
    c.setAttribute('data-cursor', String(i));
  };
  const trace = (i: number): void => {
    const token = isSwin(m) ? swinToken(m, i) : prefix + i;
    if (token === null) {
      out.textContent = `Slot ${i} of this window is padding (the map is padded to whole windows): no token to trace.`;
      return;
    }
    request({ layer: m.doc.layer, head: m.doc.head, token });
  };
  gridInput(c, m.grid, { own, cursorAt: windowCursor, tell, pick: trace, paint });
  paint();
  return c;
}

/**
 * Swin's + B step: of the scores + B each key gets, how much is B and which entry of the table B̂
 * it is (the relative position index of the query's row).
 */
function biasDetail(m: TraceMessage, s: TraceStep): ((slot: number) => string) | undefined {
  const b = m.doc.tensors.bias;
  if (s.id !== 'bias' || !b || !s.values?.length) return undefined;
  const raw = m.doc.steps.find((x) => x.id === 'scores')?.values;
  return (j) => (b.row[j] === undefined ? '' : ` = ${raw?.[j] !== undefined ? `${fmt(raw[j])} + ` : ''}B ${fmt(b.row[j])}, B̂[${b.index[j]}]`);
}

/**
 * The table B̂ of the head ((2M−1)² relative offsets, row-major by Δrow then Δcolumn, the official
 * r = (Δh + M − 1)(2M − 1) + (Δw + M − 1)), coloured by value, the M² entries this query's row
 * gathers outlined and the rest dimmed. Hover, or focus and the arrow keys, tell an entry and the key it goes to.
 */
function biasTable(m: TraceMessage, out: HTMLElement): HTMLElement | null {
  const b = m.doc.tensors.bias;
  const M = m.doc.windowSize ?? m.grid[0];
  const R = 2 * M - 1;
  if (!b?.table || b.table.length !== R * R) return null;
  const table = b.table;
  const keyOf = new Map<number, number>();
  b.index.forEach((r, j) => keyOf.set(r, j));
  const size = Math.max(8, Math.floor(168 / R));
  const c = h('canvas', {
    id: 'bias-table', width: R * size, height: R * size, tabindex: 0, role: 'img', 'data-marked': [...keyOf.keys()].sort((x, y) => x - y).join(','),
    'aria-label': `the relative position bias table B̂ of head ${m.doc.head}: ${R}×${R} relative offsets, the ${keyOf.size} entries gathered for this query outlined; arrow keys move between entries`,
  });
  const g = c.getContext('2d')!;
  const [lo, hi] = range(table);
  const px = new Uint8ClampedArray(table.length * 4);
  colour(table, lut('magma'), lo, hi, 255, px);
  let cell = b.index[m.doc.position ?? 0] ?? 0;
  const paint = (): void => {
    g.fillStyle = cssVar('--vscode-editor-background', '#1e1e1e');
    g.fillRect(0, 0, c.width, c.height);
    for (let r = 0; r < table.length; r++) {
      const [x, y] = [(r % R) * size, Math.floor(r / R) * size];
      g.globalAlpha = keyOf.has(r) ? 1 : 0.3;
      g.fillStyle = `rgb(${px[r * 4]},${px[r * 4 + 1]},${px[r * 4 + 2]})`;
      g.fillRect(x, y, size - 1, size - 1);
    }
    g.globalAlpha = 1;
    g.strokeStyle = cssVar('--vscode-focusBorder', '#0078d4');
    g.lineWidth = 2;
    for (const r of keyOf.keys()) g.strokeRect((r % R) * size + 1, Math.floor(r / R) * size + 1, size - 3, size - 3);
    if (document.activeElement === c) {
      g.strokeStyle = cssVar('--vscode-editor-foreground', '#ccc');
      g.setLineDash([3, 2]);
      g.strokeRect((cell % R) * size + 0.5, Math.floor(cell / R) * size + 0.5, size - 1, size - 1);
      g.setLineDash([]);
    }
  };
  const tell = (r: number): void => {
    cell = r;
    const j = keyOf.get(r);
    out.textContent = `B̂[${r}] (Δrow ${Math.floor(r / R) - (M - 1)}, Δcolumn ${(r % R) - (M - 1)}) = ${fmt(table[r])}${j !== undefined ? ` → B[${j}], key ${j} of the window` : ': not gathered by this query'}`;
    out.setAttribute('data-value', String(table[r]));
    c.setAttribute('data-cursor', String(r));
  };
  c.addEventListener('mousemove', (e) => {
    const rect = c.getBoundingClientRect();
    const x = Math.floor(((e.clientX - rect.left) * R) / rect.width);
    const y = Math.floor(((e.clientY - rect.top) * R) / rect.height);
    if (x >= 0 && y >= 0 && x < R && y < R) tell(y * R + x);
  });
  c.addEventListener('focus', () => { tell(cell); paint(); });
  c.addEventListener('blur', paint);
  c.addEventListener('keydown', (e) => {
    const [y, x] = [Math.floor(cell / R), cell % R];
    const to: Record<string, number> = { ArrowLeft: y * R + Math.max(0, x - 1), ArrowRight: y * R + Math.min(R - 1, x + 1), ArrowUp: Math.max(0, y - 1) * R + x, ArrowDown: Math.min(R - 1, y + 1) * R + x };
    if (!(e.key in to)) return;
    tell(to[e.key]);
    paint();
    e.preventDefault();
    e.stopPropagation();
  });
  paint();
  return h('figure', {}, c, h('figcaption', { class: 'muted' }, `B̂ of head ${m.doc.head}: ${R}×${R} relative offsets; the ${keyOf.size} entries gathered for this query (relative_position_index row ${m.doc.position ?? 0}) outlined`));
}

/** The cursor of the image's grid, kept across re-renders of the same trace. */
const imageCursor: { cell: number | null } = { cell: null };
const blend = { value: saved.blend ?? 0.6 };

/** Blend: image to row, as the attention view's; repaints the grid in place (the slider keeps focus). */
function blendSlider(): HTMLElement {
  const input = h('input', { id: 'blend', type: 'range', min: 0, max: 100, value: Math.round(blend.value * 100), 'aria-label': 'Blend: image to the step\'s row' });
  input.addEventListener('input', () => {
    blend.value = Number(input.value) / 100;
    saved.blend = blend.value;
    save();
    document.getElementById('patches')?.dispatchEvent(new Event('repaint'));
  });
  return h('label', { class: 'check', id: 'blend-label' }, 'Blend ', input);
}

/**
 * The step's row over the image the model saw: ViT every patch (the class/distillation/register
 * tokens' entries listed beside it), Swin the token's window where it sits on the image, with the
 * window as attention computes it (the rolled map's M×M) beside it.
 */
function overImage(m: TraceMessage, t: { name: string; values: number[] } | null, out: HTMLElement, detail?: (slot: number) => string, extra?: HTMLElement | null): HTMLElement {
  const d = m.doc;
  if (!isSwin(m)) {
    const prefix = m.prefix.length;
    const [gh, gw] = m.grid;
    const cells = t ? t.values.slice(prefix, prefix + gh * gw) : null;
    const view = patchGrid({ pixels: m.pixels, grid: m.grid, values: cells, name: t?.name ?? '', slot: (i) => prefix + i, own: d.token - prefix, noun: 'patch', blend }, out, (i) => request({ layer: d.layer, head: d.head, token: prefix + i }), imageCursor);
    const named = t && prefix ? h('p', { id: 'prefix-values', class: 'muted' }, ...m.prefix.map((n, i) => `${i ? ', ' : ''}${n} token: ${t.name}[${i}] = ${fmt(t.values[i])}`)) : null;
    return h('div', { class: 'over-image' }, h('figure', {}, view, t && m.pixels ? blendSlider() : null), named);
  }
  const M = m.grid[0];
  const keys = d.keys ?? Array.from({ length: M * M }, (_, j) => swinToken(m, j) ?? -1);
  const stage = d.grid;
  const win = windowGrid(m, t ? t.values : null, t?.name ?? '', out, detail);
  if (!stage) return win;
  const cells = t ? new Array<number>(stage[0] * stage[1]).fill(NaN) : null;
  if (cells && t) keys.forEach((cell, j) => { if (cell >= 0) cells[cell] = t.values[j]; });
  const slotOf = new Map(keys.map((cell, j) => [cell, j]));
  const view = patchGrid({
    pixels: m.pixels, grid: stage, values: cells, name: t?.name ?? '', slot: (i) => slotOf.get(i) ?? -1, own: d.token,
    window: { cells: keys, M, shift: d.shift ?? 0 }, noun: 'token', blend, detail,
  }, out, (i) => request({ layer: d.layer, head: d.head, token: i }), imageCursor);
  return h('div', { class: 'over-image' },
    h('figure', {}, view, t && m.pixels ? blendSlider() : null, h('figcaption', { class: 'muted' }, `The ${stage[0]}×${stage[1]} tokens of stage ${(d.stage ?? 0) + 1} on the image; the token's window outlined${d.shift ? `, the partition shifted by ${d.shift}` : ''}`)),
    h('figure', {}, win, h('figcaption', { class: 'muted' }, `Its ${M}×${M} window as attention sees it${d.shift ? ' (the rolled map)' : ''}`)),
    extra ?? null);
}

function request(p: TracePick): void {
  const problem = asked?.ranges ? pickProblem(asked.ranges, p) : null;
  if (problem) {
    status(problem, false, true);
    return;
  }
  working = true;
  post({ type: 'trace', ...p });
  status(`Tracing block ${p.layer}, head ${p.head}, token ${p.token}…`, true);
}

function status(text: string, busy: boolean, error = false): void {
  const s = document.getElementById('status');
  if (!s) return;
  clear(s);
  s.append(text);
  s.setAttribute('aria-busy', String(busy));
  s.classList.toggle('error', error);
  if (busy) {
    const b = h('button', { id: 'cancel', class: 'secondary' }, 'Cancel');
    b.addEventListener('click', () => post({ type: 'cancel' }));
    s.append(' ', b);
  }
}

/** Layer, head and token, with the model's ranges when known; the class/distillation/register tokens by name. */
function pickers(p: TracePick, ranges: TracePickRanges | null, prefix: string[]): HTMLElement {
  const num = (id: string, label: string, value: number): HTMLInputElement => h('input', { id, type: 'number', min: 0, value, 'aria-label': label });
  const layer = num('layer', 'block', p.layer);
  const head = num('head', 'head', p.head);
  const token = num('token', 'token', p.token);
  const limits = (): void => {
    if (!ranges) return;
    const l = Math.max(0, Math.min(ranges.layers - 1, Number(layer.value) || 0));
    layer.max = String(ranges.layers - 1);
    head.max = String(ranges.heads[l] - 1);
    token.max = String(ranges.tokens[l] - 1);
    layer.title = `blocks 0..${ranges.layers - 1}`;
    head.title = `heads 0..${ranges.heads[l] - 1}`;
    token.title = `tokens 0..${ranges.tokens[l] - 1}${prefix.length ? ` (0..${prefix.length - 1}: ${prefix.join(', ')}; then the patches row-major)` : ' (row-major over the stage grid, before any shift)'}`;
  };
  limits();
  layer.addEventListener('input', limits);
  const named = h('select', { id: 'named', 'aria-label': 'named token' }, h('option', { value: '' }, 'patch…'), ...prefix.map((n, i) => h('option', { value: i, selected: p.token === i }, n)));
  named.addEventListener('change', () => { if (named.value !== '') token.value = named.value; });
  const go = h('button', { id: 'go' }, 'Trace');
  const submit = (): void => request({ layer: Number(layer.value), head: Number(head.value), token: Number(token.value) });
  go.addEventListener('click', submit);
  for (const el of [layer, head, token]) el.addEventListener('keydown', (e) => { if (e.key === 'Enter') submit(); });
  return h('div', { class: 'toolbar', id: 'pickers' },
    h('label', {}, 'Block ', layer), h('label', {}, 'Head ', head), h('label', {}, 'Token ', token), prefix.length ? named : null, go);
}

function where(m: TraceMessage): string {
  const d = m.doc;
  const name = !isSwin(m) && d.token < m.prefix.length ? `${m.prefix[d.token]} token` : `token ${d.token}`;
  const swin = isSwin(m) ? `, window ${d.window} (after the cyclic shift of ${d.shift ?? 0}), position ${d.position} in it` : '';
  return `${m.model} · ${m.image} · block ${d.layer}, head ${d.head}, ${name}${swin}`;
}

/** The verdict of a step: its recomputation and max |Δ|, or why it is not shown on this graph. */
function verdict(s: TraceStep): HTMLElement {
  if (s.unavailable) return h('p', { id: 'verdict', class: 'warning', 'data-unavailable': 'true' }, `Not shown on this graph: ${s.unavailable}`);
  // the values are shown, but recomputing them is not sound on this graph: say why where the verdict would be
  if (!s.check && s.checkUnavailable) return h('p', { id: 'verdict', class: 'warning', 'data-check-unavailable': 'true' }, `Not recomputed on this graph: ${s.checkUnavailable}`);
  if (!s.check) return h('p', { id: 'verdict', class: 'muted' }, "No recomputation at this step: these are the model's own tensors.");
  // a tolerance the check states itself (a kernel that computes the op differently on some CPUs) widens what agrees
  const tol = s.check.tolerance ?? 0;
  const ok = s.check.maxAbsDiff < 1e-4 + tol;
  const verdictLine = h('span', {}, `${ok ? '✓' : '✗'} ${s.title} recomputed from ${s.check.recomputedFrom.join(', ')}: max |Δ| ${s.check.maxAbsDiff.toExponential(0)}${ok ? '' : ' — the recomputation does not agree with the model'}`);
  const note = tol > 0 ? h('span', { class: 'muted', id: 'tolerance', 'data-tolerance': tol }, ` Expected within ${tol.toExponential(1)}: ${s.check.note ?? ''}`) : null;
  return h('p', { id: 'verdict', class: ok ? 'ok' : 'error', 'data-maxdiff': s.check.maxAbsDiff }, verdictLine, note);
}

function render(): void {
  // A new trace rebuilds the page: the control that had the focus (the grid after Enter, the
  // pickers) gets it back, so a keyboard user goes on from where they were.
  const focused = document.activeElement?.id;
  clear(root);
  if (!cur) {
    root.append(h('h1', {}, 'Step Through the Forward Pass'));
    if (asked) root.append(h('p', { id: 'where' }, `${asked.modelPath.split(/[\\/]/).pop()} · ${asked.imagePath.split(/[\\/]/).pop()}`), pickers(asked.pick, asked.ranges, asked.prefix));
    root.append(h('p', { id: 'status', class: 'status', role: 'status', 'aria-live': 'polite' }, 'Waiting for a trace…'));
    return;
  }
  const m = cur;
  const steps = m.doc.steps;
  const k = Math.max(0, Math.min(steps.length - 1, saved.step));
  const s = steps[k];
  const hover = h('p', { id: 'hover', class: 'status', role: 'status', 'aria-live': 'polite' });
  const nav = h('ol', { class: 'steps', id: 'steps', 'aria-label': 'steps' }, ...steps.map((st, i) => {
    const label = `${i + 1}. ${st.title}${st.unavailable ? ' (n/a)' : ''}`;
    const b = h('button', { 'data-step': i, class: i === k ? '' : 'secondary', 'aria-current': i === k ? 'step' : undefined, 'aria-label': label, title: `${label}: ${st.unavailable ? `not shown on this graph: ${st.unavailable}` : st.formula}` },
      `${i + 1}`, h('span', { class: 'step-title' }, `. ${st.title}${st.unavailable ? ' (n/a)' : ''}`));
    b.addEventListener('click', () => go(i));
    return h('li', {}, b);
  }));
  const prev = h('button', { id: 'prev', class: 'secondary', disabled: k === 0 }, '← Previous');
  const next = h('button', { id: 'next', class: 'secondary', disabled: k === steps.length - 1 }, 'Next →');
  prev.addEventListener('click', () => go(k - 1));
  next.addEventListener('click', () => go(k + 1));
  const t = tensorOf(m, s);
  const warnings = m.doc.warnings?.length ? h('ul', { class: 'warnings', id: 'warnings' }, ...m.doc.warnings.map((w) => h('li', {}, w))) : null;
  const top = s.id === 'probabilities' && m.doc.top?.length
    ? h('ol', { id: 'top', class: 'bars', 'aria-label': 'top classes' }, ...m.doc.top.map((c) => h('li', { 'data-index': c.index }, `${c.label}: ${(c.prob * 100).toFixed(1)}%`)))
    : null;
  const pick = { layer: m.doc.layer, head: m.doc.head, token: m.doc.token };
  root.append(
    h('h1', {}, 'Step Through the Forward Pass'),
    h('p', { id: 'where', 'data-token': m.doc.token, 'data-layer': m.doc.layer, 'data-head': m.doc.head }, where(m)),
    m.preprocessing ? h('p', { id: 'preprocessing', class: 'muted' }, `Preprocessing: ${m.preprocessing}`) : '',
    warnings ?? '',
    pickers(pick, asked?.ranges ?? { layers: m.layers, heads: new Array<number>(m.layers).fill(m.heads), tokens: m.doc.ranges?.tokens ?? new Array<number>(m.layers).fill(1e6) }, m.prefix),
    h('p', { id: 'status', class: 'status', role: 'status', 'aria-live': 'polite' }),
    nav,
    h('div', { class: 'toolbar', id: 'step-buttons' }, prev, next),
    h('section', { id: 'step', 'data-id': s.id, 'aria-label': s.title },
      h('h2', {}, `Step ${k + 1} of ${steps.length}: ${s.title}`),
      h('pre', { id: 'formula' }, s.formula),
      h('p', { id: 'shape' }, `Shape: [${s.shape.join(', ')}]`),
      verdict(s),
      top,
      t && !t.grid ? strip(t.name, t.values, hover) : null,
      overImage(m, t && t.grid ? t : null, hover, biasDetail(m, s), s.id === 'bias' ? biasTable(m, hover) : null),
      hover),
    h('p', { class: 'muted', id: 'keys' }, '← → move between steps, Home/End jump; on the grid the arrow keys move and Enter traces that patch.'),
  );
  if (working) status('Tracing…', true);
  if (focused) document.getElementById(focused)?.focus();
}

function go(i: number): void {
  if (!cur) return;
  saved.step = Math.max(0, Math.min(cur.doc.steps.length - 1, i));
  save();
  render();
  (document.querySelector(`[data-step="${saved.step}"]`) as HTMLElement | null)?.focus();
}

document.addEventListener('keydown', (e) => {
  const tag = (e.target as HTMLElement).tagName;
  if (!cur || tag === 'INPUT' || tag === 'SELECT' || tag === 'CANVAS') return;
  const n = cur.doc.steps.length;
  const to = e.key === 'ArrowRight' ? saved.step + 1 : e.key === 'ArrowLeft' ? saved.step - 1 : e.key === 'Home' ? 0 : e.key === 'End' ? n - 1 : null;
  if (to === null) return;
  e.preventDefault();
  go(to);
});

onMessage((m) => {
  if (m.type === 'tracePick') {
    asked = m;
    saved = { ...saved, imagePath: m.imagePath, modelPath: m.modelPath, pick: m.pick };
    save();
    if (!cur) render();
  } else if (m.type === 'trace') {
    // A new token keeps the step shown, so the same step can be compared across tokens.
    cur = m;
    working = false;
    windowCursor.cell = null;
    imageCursor.cell = null;
    saved = { ...saved, pick: { layer: m.doc.layer, head: m.doc.head, token: m.doc.token } };
    save();
    render();
  } else if (m.type === 'busy') {
    working = true;
    if (!document.getElementById('status')) render();
    status(m.message, true);
  } else if (m.type === 'error') {
    working = false;
    if (!document.getElementById('status')) render();
    status(m.message, false, true);
  }
});

render();
post({ type: 'ready' });
