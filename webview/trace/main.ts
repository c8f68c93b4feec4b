/**
 * Step Through the Forward Pass: one token, one head, one block, the paper's steps in order
 * (embedding → q, K, V → scores → softmax → context → output), each with this model's numbers,
 * the real tensors and the recomputation check as the step's verdict. Changing step or token
 * preview within a trace never asks the host; another token/layer/head is a new `trace` request.
 */
import { h, clear, app } from '../shared/dom';
import { post, onMessage, getState, setState } from '../shared/host';
import { lut, range, colour } from '../shared/colormap';
import type { HostMessage } from '../../src/shared/protocol';
import type { TraceStep } from '../../src/core/trace/types';

type TraceMessage = Extract<HostMessage, { type: 'trace' }>;

const root = app();
let saved: { step: number } = getState<{ step: number }>() ?? { step: 0 };
let cur: TraceMessage | null = null;
let working = false;

const fmt = (v: number): string => (v === 0 ? '0' : Math.abs(v) < 1e-3 || Math.abs(v) >= 1e4 ? v.toExponential(2) : v.toFixed(4));

/** The tensor a step shows: the document's named tensors for the attention steps, else the step's own values. */
function tensorOf(m: TraceMessage, s: TraceStep): { name: string; values: number[]; grid: boolean } | null {
  const t = m.doc.tensors;
  const own = keyIndex(m);
  switch (s.id) {
    case 'position':
      if (t.embedding) return { name: 'embedding', values: t.embedding, grid: false };
      break;
    case 'q':
      return { name: 'q', values: t.q, grid: false };
    case 'k':
      return { name: `k[${own}]`, values: t.k[own] ?? [], grid: false };
    case 'v':
      return { name: `v[${own}]`, values: t.v[own] ?? [], grid: false };
    case 'scores':
      return { name: 'scores', values: t.scores, grid: true };
    case 'bias':
      if (t.bias) return { name: 'B', values: t.bias.row, grid: true };
      break;
    case 'mask':
      if (t.mask) return { name: 'mask', values: t.mask, grid: true };
      break;
    case 'softmax':
      return { name: 'weights', values: t.weights, grid: true };
    case 'context':
      return { name: 'context', values: t.context, grid: false };
    case 'residual2':
      return { name: 'output', values: t.output, grid: false };
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
  const perRow = Math.max(1, Math.floor(W / M));
  const r = Math.floor(d.window / perRow) * M + Math.floor(position / M);
  const c = (d.window % perRow) * M + (position % M);
  const s = d.shift ?? 0;
  return ((r + s) % H) * W + ((c + s) % W);
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

/** Score/weight rows drawn over the patch grid (ViT) or the token's window (Swin); click a patch to trace it. */
function grid(m: TraceMessage, values: number[] | null, out: HTMLElement): HTMLElement {
  const [gh, gw] = m.grid;
  const prefix = isSwin(m) ? 0 : m.prefix.length;
  const cell = Math.max(8, Math.floor(288 / Math.max(gh, gw)));
  const c = h('canvas', { id: 'patches', width: gw * cell, height: gh * cell, tabindex: 0, 'aria-label': `${gh}×${gw} ${isSwin(m) ? 'window after the cyclic shift' : 'patch grid'}: click a patch to trace that token` });
  const g = c.getContext('2d')!;
  const patch = values ? values.slice(prefix, prefix + gh * gw) : new Array<number>(gh * gw).fill(0);
  const [lo, hi] = values ? range(patch) : [0, 1];
  const px = new Uint8ClampedArray(patch.length * 4);
  colour(patch, lut('magma'), lo, hi, 255, px);
  const own = isSwin(m) ? m.doc.position ?? -1 : m.doc.token - prefix;
  for (let i = 0; i < patch.length; i++) {
    g.fillStyle = values ? `rgb(${px[i * 4]},${px[i * 4 + 1]},${px[i * 4 + 2]})` : 'rgba(128,128,128,0.25)';
    g.fillRect((i % gw) * cell, Math.floor(i / gw) * cell, cell - 1, cell - 1);
  }
  if (own >= 0 && own < gh * gw) {
    g.strokeStyle = getComputedStyle(document.body).getPropertyValue('--vscode-focusBorder') || '#0078d4';
    g.lineWidth = 3;
    g.strokeRect((own % gw) * cell + 1.5, Math.floor(own / gw) * cell + 1.5, cell - 4, cell - 4);
  }
  const at = (e: MouseEvent): number | null => {
    const r = c.getBoundingClientRect();
    const x = Math.floor(((e.clientX - r.left) * gw) / r.width);
    const y = Math.floor(((e.clientY - r.top) * gh) / r.height);
    return x >= 0 && y >= 0 && x < gw && y < gh ? y * gw + x : null;
  };
  c.addEventListener('mousemove', (e) => {
    const i = at(e);
    if (i === null) return;
    out.textContent = `patch ${i} (row ${Math.floor(i / gw)}, column ${i % gw})${values ? ` = ${fmt(patch[i])}` : ''}`;
    if (values) out.setAttribute('data-value', String(patch[i]));
  });
  c.addEventListener('click', (e) => {
    const i = at(e);
    if (i === null) return;
    const token = isSwin(m) ? swinToken(m, i) : prefix + i;
    if (token !== null) request(m.doc.layer, m.doc.head, token);
  });
  return c;
}

function request(layer: number, head: number, token: number): void {
  working = true;
  saved = { step: saved.step };
  setState(saved);
  post({ type: 'trace', layer, head, token });
  status(`Tracing layer ${layer}, head ${head}, token ${token}…`, true);
}

function status(text: string, busy: boolean): void {
  const s = document.getElementById('status');
  if (!s) return;
  clear(s);
  s.append(text);
  s.setAttribute('aria-busy', String(busy));
  if (busy) {
    const b = h('button', { id: 'cancel', class: 'secondary' }, 'Cancel');
    b.addEventListener('click', () => post({ type: 'cancel' }));
    s.append(' ', b);
  }
}

function pickers(m: TraceMessage): HTMLElement {
  const num = (id: string, label: string, value: number, max: number): HTMLInputElement => h('input', { id, type: 'number', min: 0, max, value, 'aria-label': label });
  const layer = num('layer', 'layer', m.doc.layer, m.layers - 1);
  const head = num('head', 'head', m.doc.head, m.heads - 1);
  const token = num('token', 'token', m.doc.token, 1e6);
  const named = h('select', { id: 'named', 'aria-label': 'named token' }, h('option', { value: '' }, 'patch…'), ...m.prefix.map((n, i) => h('option', { value: i, selected: m.doc.token === i }, n)));
  named.addEventListener('change', () => { if (named.value !== '') token.value = named.value; });
  const go = h('button', { id: 'go' }, 'Trace');
  go.addEventListener('click', () => request(Number(layer.value), Number(head.value), Number(token.value)));
  return h('div', { class: 'toolbar' },
    h('label', {}, 'Layer ', layer), h('label', {}, ' Head ', head), h('label', {}, ' Token ', token), m.prefix.length ? named : null, ' ', go);
}

function where(m: TraceMessage): string {
  const d = m.doc;
  const name = !isSwin(m) && d.token < m.prefix.length ? `${m.prefix[d.token]} token` : `token ${d.token}`;
  const swin = isSwin(m) ? `, window ${d.window} (after the cyclic shift of ${d.shift ?? 0}), position ${d.position} in it` : '';
  return `${m.model} · ${m.image} · block ${d.layer}, head ${d.head}, ${name}${swin}`;
}

function render(): void {
  clear(root);
  if (!cur) {
    root.append(h('p', { id: 'status', role: 'status' }, 'Waiting for a trace…'));
    return;
  }
  const m = cur;
  const steps = m.doc.steps;
  const k = Math.max(0, Math.min(steps.length - 1, saved.step));
  const s = steps[k];
  const hover = h('p', { id: 'hover', class: 'status', role: 'status', 'aria-live': 'polite' });
  const nav = h('ol', { class: 'steps', id: 'steps', 'aria-label': 'steps' }, ...steps.map((st, i) => {
    const b = h('button', { 'data-step': i, class: i === k ? '' : 'secondary', 'aria-current': i === k ? 'step' : undefined }, `${i + 1}. ${st.title}`);
    b.addEventListener('click', () => go(i));
    return h('li', {}, b);
  }));
  const prev = h('button', { id: 'prev', class: 'secondary', disabled: k === 0 }, '← Previous');
  const next = h('button', { id: 'next', class: 'secondary', disabled: k === steps.length - 1 }, 'Next →');
  prev.addEventListener('click', () => go(k - 1));
  next.addEventListener('click', () => go(k + 1));
  const t = tensorOf(m, s);
  const verdict = s.unavailable
    ? h('p', { id: 'verdict', class: 'bad' }, `Not shown on this graph: ${s.unavailable}`)
    : s.check
      ? h('p', { id: 'verdict', class: s.check.maxAbsDiff < 1e-4 ? 'ok' : 'bad', 'data-maxdiff': s.check.maxAbsDiff }, `${s.check.maxAbsDiff < 1e-4 ? '✓' : '✗'} ${s.title} recomputed from ${s.check.recomputedFrom.join(', ')}: max |Δ| ${s.check.maxAbsDiff.toExponential(0)}`)
      : h('p', { id: 'verdict', class: 'muted' }, 'No recomputation at this step: these are the model\'s own tensors.');
  root.append(
    h('h1', {}, 'Step Through the Forward Pass'),
    h('p', { id: 'where', 'data-token': m.doc.token }, where(m)),
    pickers(m),
    h('p', { id: 'status', role: 'status' }),
    nav,
    h('section', { id: 'step', 'data-id': s.id, 'aria-label': s.title },
      h('h2', {}, `Step ${k + 1} of ${steps.length}: ${s.title}`),
      h('pre', { id: 'formula' }, s.formula),
      h('p', { id: 'shape' }, `Shape: [${s.shape.join(', ')}]`),
      verdict,
      t && !t.grid ? strip(t.name, t.values, hover) : null,
      grid(m, t && t.grid ? t.values : null, hover),
      hover),
    h('div', { class: 'toolbar' }, prev, ' ', next),
  );
  if (working) status('Tracing…', true);
}

function go(i: number): void {
  if (!cur) return;
  saved.step = Math.max(0, Math.min(cur.doc.steps.length - 1, i));
  setState(saved);
  render();
  (document.querySelector(`[data-step="${saved.step}"]`) as HTMLElement | null)?.focus();
}

document.addEventListener('keydown', (e) => {
  if (!cur || (e.target as HTMLElement).tagName === 'INPUT' || (e.target as HTMLElement).tagName === 'SELECT') return;
  const n = cur.doc.steps.length;
  const to = e.key === 'ArrowRight' ? saved.step + 1 : e.key === 'ArrowLeft' ? saved.step - 1 : e.key === 'Home' ? 0 : e.key === 'End' ? n - 1 : null;
  if (to === null) return;
  e.preventDefault();
  go(to);
});

onMessage((m) => {
  if (m.type === 'trace') {
    cur = m;
    working = false;
    render();
  } else if (m.type === 'busy') {
    working = true;
    if (!cur) render();
    status(m.message, true);
  } else if (m.type === 'error') {
    working = false;
    if (!cur) render();
    status(m.message, false);
    document.getElementById('status')?.classList.add('error');
  }
});

render();
post({ type: 'ready' });
