/**
 * Show Shifted Windows: the regular partition, the shifted partition, the cyclic shift
 * step by step with its regions, and the M²×M² mask of a chosen window. Everything is
 * computed here with the same pure functions as the core (src/core/swin).
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import { h, clear, app } from '../shared/dom';
import { post, onMessage, getState, setState } from '../shared/host';
import { attentionMask, regionIds, tokenPositions, windowCounts, padToWindow, shiftSize, MASKED } from '../../src/core/swin';
import type { HostMessage } from '../../src/shared/protocol';

interface Params { H: number; W: number; M: number; selected: number; step: number }
type Stage = { name: string; H: number; W: number; M: number };

const root = app();
const saved = getState<Params>();
let params: Params = saved ?? { H: 8, W: 8, M: 4, selected: 0, step: 2 };
let stages: Stage[] = [];

const controls = h('div', { class: 'toolbar', role: 'group', 'aria-label': 'Feature map' });
const message = h('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
const views = h('div', { class: 'views' });
const relpos = h('vscode-button' as 'button', { id: 'relpos', secondary: true }, 'Relative position bias');
relpos.title = 'Each window adds a learned bias B to its scores: see its tables and index';
relpos.addEventListener('click', () => post({ type: 'command', command: 'showRelativePositionBias' }));
root.append(h('h1', {}, 'Shifted windows'), h('div', { class: 'toolbar' }, relpos), controls, message, views);

function numberInput(id: string, label: string, value: number, max: number, onChange: (v: number) => void): HTMLElement {
  const input = h('input', { id, type: 'number', min: 1, max, step: 1, value, class: 'num-input' });
  input.addEventListener('change', () => onChange(Number(input.value)));
  return h('label', { for: id }, `${label} `, input);
}

function buildControls(): void {
  clear(controls);
  if (stages.length) {
    const sel = h('select', { id: 'stage', 'aria-label': 'Model stage' });
    sel.append(h('option', { value: '' }, 'Custom'));
    stages.forEach((s, i) => sel.append(h('option', { value: i, selected: s.H === params.H && s.W === params.W && s.M === params.M }, `${s.name}: ${s.H}×${s.W}, M=${s.M}`)));
    sel.addEventListener('change', () => {
      const s = stages[Number(sel.value)];
      if (s) update({ H: s.H, W: s.W, M: s.M, selected: 0 });
    });
    controls.append(h('label', { for: 'stage' }, 'Stage '), sel);
  }
  controls.append(
    numberInput('h', 'H', params.H, 64, (v) => update({ H: v, selected: 0 })),
    numberInput('w', 'W', params.W, 64, (v) => update({ W: v, selected: 0 })),
    numberInput('m', 'M', params.M, 32, (v) => update({ M: v, selected: 0 })),
  );
}

function update(p: Partial<Params>): void {
  params = { ...params, ...p };
  setState(params);
  // Redrawing replaces the figures: keep the page where the user is (a click must not jump the scroll).
  const y = window.scrollY;
  render();
  window.scrollTo({ top: y });
  // A clicked window: its mask below comes into sight if it is not.
  if ('selected' in p) document.getElementById('mask')?.scrollIntoView({ block: 'nearest' });
}

/** A categorical colour for window/region k that works on any theme (hue wheel, mid lightness). */
function colour(k: number, alpha = 0.55): string {
  return `hsla(${(k * 137.508) % 360}, 60%, 55%, ${alpha})`;
}

function fg(): string {
  return getComputedStyle(document.body).getPropertyValue('--vscode-editor-foreground').trim() || '#888';
}

/** Draw an Hp×Wp token grid: fill(r, c) gives the colour, label(r, c) optional text, thick borders where border(r,c,dir). */
/** The image the windows are linked to (Show Shifted Windows on an image), centre-cropped to a square like the model's input. */
let picture: HTMLImageElement | null = null;

function gridCanvas(id: string, rows: number, cols: number, fill: (r: number, c: number) => string, opts: { label?: (r: number, c: number) => string; thick?: (r: number, c: number, right: boolean) => boolean; onClick?: (r: number, c: number) => void; ariaLabel: string; background?: { rows: number; cols: number }; highlight?: { r: number; c: number; rows: number; cols: number } }): HTMLCanvasElement {
  const cell = Math.max(6, Math.min(28, Math.floor(336 / Math.max(rows, cols))));
  const canvas = h('canvas', { id, width: cols * cell + 1, height: rows * cell + 1, role: 'img', 'aria-label': opts.ariaLabel, tabindex: opts.onClick ? 0 : undefined });
  const ctx = canvas.getContext('2d')!;
  if (picture && opts.background) {
    const side = Math.min(picture.naturalWidth, picture.naturalHeight);
    ctx.drawImage(picture, (picture.naturalWidth - side) / 2, (picture.naturalHeight - side) / 2, side, side, 0, 0, opts.background.cols * cell, opts.background.rows * cell);
  }
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) {
      ctx.fillStyle = fill(r, c);
      ctx.fillRect(c * cell, r * cell, cell, cell);
    }
  ctx.strokeStyle = fg();
  ctx.globalAlpha = 0.25;
  ctx.lineWidth = 1;
  ctx.beginPath();
  for (let i = 0; i <= rows; i++) {
    ctx.moveTo(0, i * cell + 0.5);
    ctx.lineTo(cols * cell, i * cell + 0.5);
  }
  for (let j = 0; j <= cols; j++) {
    ctx.moveTo(j * cell + 0.5, 0);
    ctx.lineTo(j * cell + 0.5, rows * cell);
  }
  ctx.stroke();
  ctx.globalAlpha = 1;
  if (opts.thick) {
    ctx.lineWidth = 2.5;
    ctx.beginPath();
    for (let r = 0; r < rows; r++)
      for (let c = 0; c < cols; c++) {
        if (c + 1 < cols && opts.thick(r, c, true)) {
          ctx.moveTo((c + 1) * cell, r * cell);
          ctx.lineTo((c + 1) * cell, (r + 1) * cell);
        }
        if (r + 1 < rows && opts.thick(r, c, false)) {
          ctx.moveTo(c * cell, (r + 1) * cell);
          ctx.lineTo((c + 1) * cell, (r + 1) * cell);
        }
      }
    ctx.strokeRect(1, 1, cols * cell - 1, rows * cell - 1);
    ctx.stroke();
  }
  if (opts.label && cell >= 14) {
    ctx.fillStyle = fg();
    ctx.font = `${Math.floor(cell * 0.5)}px var(--vscode-editor-font-family, monospace)`;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) ctx.fillText(opts.label(r, c), c * cell + cell / 2, r * cell + cell / 2);
  }
  if (opts.highlight) {
    // The selected window, outlined in the theme's focus colour.
    const { r, c, rows: hr, cols: hc } = opts.highlight;
    ctx.strokeStyle = getComputedStyle(document.body).getPropertyValue('--vscode-focusBorder').trim() || '#0078d4';
    ctx.lineWidth = 4;
    ctx.strokeRect(c * cell + 2, r * cell + 2, hc * cell - 3, hr * cell - 3);
    canvas.setAttribute('data-highlight', `${r},${c},${hr},${hc}`);
  }
  if (opts.onClick) {
    // The canvas may be drawn smaller than its pixels (narrow panels): scale the click back.
    const at = (e: MouseEvent) => {
      const k = canvas.width / (canvas.getBoundingClientRect().width || canvas.width);
      return [Math.floor((e.offsetY * k) / cell), Math.floor((e.offsetX * k) / cell)] as const;
    };
    canvas.addEventListener('click', (e) => opts.onClick!(...at(e)));
  }
  return canvas;
}

function figure(title: string, body: Node, caption?: string): HTMLElement {
  return h('figure', { class: 'fig' }, h('figcaption', {}, h('strong', {}, title), caption ? h('div', { class: 'muted' }, caption) : null), body);
}

const REGION = 'ABCDEFGHI';

function render(): void {
  clear(views);
  const { H, W, M } = params;
  const stageSelect = document.getElementById('stage') as HTMLSelectElement | null;
  if (stageSelect) stageSelect.value = String(stages.findIndex((s) => s.H === H && s.W === W && s.M === M)).replace('-1', '');
  let s: number;
  let mask, pos, ids;
  try {
    if (![H, W, M].every((v) => Number.isInteger(v) && v > 0)) throw new Error('H, W and M must be positive whole numbers.');
    if (H > 64 || W > 64) throw new Error('This view draws maps up to 64×64 tokens; pick a later stage or a smaller map.');
    s = shiftSize(H, W, M);
    mask = attentionMask(H, W, M, s);
    pos = tokenPositions(H, W, M, s);
    ids = regionIds(H, W, M, s);
  } catch (e) {
    message.textContent = (e as Error).message;
    message.className = 'status error';
    return;
  }
  message.className = 'status';
  const { Hp, Wp } = padToWindow(H, W, M);
  const nWc = Wp / M;
  const counts = windowCounts(H, W, M, s);
  message.textContent = `${H}×${W} tokens, window M=${M}, shift s=⌊M/2⌋=${s}${Hp !== H || Wp !== W ? `, padded to ${Hp}×${Wp}` : ''}. Windows: ${counts.regular} regular; a naive shifted partition needs ${counts.shiftedNaive}, the cyclic shift keeps ${counts.shiftedCyclic}.`;
  message.setAttribute('data-counts', `${counts.regular},${counts.shiftedNaive},${counts.shiftedCyclic}`);
  const winOf = (r: number, c: number) => Math.floor(r / M) * nWc + Math.floor(c / M);

  // 1. Regular partition (W-MSA).
  const regular = gridCanvas('regular', Hp, Wp, (r, c) => (r >= H || c >= W ? 'transparent' : colour(winOf(r, c))), {
    thick: (r, c, right) => (right ? (c + 1) % M === 0 : (r + 1) % M === 0),
    ariaLabel: `Regular partition into ${counts.regular} windows`,
    background: { rows: H, cols: W },
  });
  // 2. Shifted partition in image coordinates (SW-MSA): token (r,c) belongs to shifted window of ((r - s) mod Hp, (c - s) mod Wp).
  const shiftedWin = (r: number, c: number) => winOf((r - s + Hp) % Hp, (c - s + Wp) % Wp);
  const shifted = gridCanvas('shifted', Hp, Wp, (r, c) => (r >= H || c >= W ? 'transparent' : colour(shiftedWin(r, c))), {
    thick: (r, c, right) => (right ? shiftedWin(r, c) !== shiftedWin(r, c + 1) : shiftedWin(r, c) !== shiftedWin(r + 1, c)),
    ariaLabel: 'Shifted partition: windows displaced by s; pieces of the same colour form one window after the cyclic shift',
    background: { rows: H, cols: W },
  });
  views.append(
    h('div', { class: 'row' },
      figure('W-MSA: regular partition', regular, `${counts.regular} windows of ${M}×${M}`),
      figure('SW-MSA: shifted partition', shifted, `displaced by (${s}, ${s}); same-coloured pieces are one window after the cyclic shift`)),
  );

  // 3. The cyclic shift, step by step.
  const regionOf = (r: number, c: number) => ids[r * Wp + c]; // region ids live on the shifted map
  const step = params.step;
  const steps = h('div', { class: 'toolbar', role: 'group', 'aria-label': 'Cyclic shift steps' });
  const names = ['1. the map, regions marked', '2. roll by (−s, −s)', '3. partition the rolled map', '4. mask, attend, roll back'];
  names.forEach((n, i) => {
    const b = h('vscode-button' as 'button', { 'data-step': i, secondary: i !== step }, n);
    b.addEventListener('click', () => update({ step: i }));
    steps.append(b);
  });
  // Position (r,c) of the rolled map holds image token ((r+s) mod Hp, (c+s) mod Wp).
  const imgRegion = (r: number, c: number) => regionOf((r - s + Hp) % Hp, (c - s + Wp) % Wp);
  let stepCanvas: HTMLCanvasElement;
  if (step === 0 || step === 3) {
    stepCanvas = gridCanvas('step', Hp, Wp, (r, c) => colour(imgRegion(r, c), r >= H || c >= W ? 0.15 : 0.55), {
      label: (r, c) => REGION[imgRegion(r, c)],
      thick: (r, c, right) => (right ? imgRegion(r, c) !== imgRegion(r, c + 1) : imgRegion(r, c) !== imgRegion(r + 1, c)),
      ariaLabel: step === 0 ? 'The map with the regions that the shift will bring together' : 'After attention the map is rolled back by (s, s)',
    });
  } else {
    stepCanvas = gridCanvas('step', Hp, Wp, (r, c) => colour(regionOf(r, c), (r + s) % Hp >= H || (c + s) % Wp >= W ? 0.15 : 0.55), {
      label: (r, c) => REGION[regionOf(r, c)],
      thick: step === 2 ? (r, c, right) => (right ? (c + 1) % M === 0 : (r + 1) % M === 0) : (r, c, right) => (right ? regionOf(r, c) !== regionOf(r, c + 1) : regionOf(r, c) !== regionOf(r + 1, c)),
      onClick: step === 2 ? (r, c) => update({ selected: winOf(r, c) }) : undefined,
      highlight: step === 2 ? { r: Math.floor(Math.min(params.selected, (Hp / M) * nWc - 1) / nWc) * M, c: (Math.min(params.selected, (Hp / M) * nWc - 1) % nWc) * M, rows: M, cols: M } : undefined,
      ariaLabel: step === 1 ? 'The map rolled by (−s, −s)' : 'The rolled map partitioned into regular windows; click a window to see its mask',
    });
  }
  const captions = [
    'Regions A–I: tokens that end up in the same window only if they share a letter may attend to each other.',
    `torch.roll(x, (−${s}, −${s})): the top ${s} rows and left ${s} columns wrap to the bottom and right.`,
    'A regular partition of the rolled map: the same number of windows as W-MSA. Windows at the edges mix regions. Click one.',
    'Each window attends with its mask (−100 between different regions); then torch.roll(x, (s, s)) puts every token back.',
  ];
  views.append(h('h2', {}, 'The cyclic shift'), steps, figure(names[step], stepCanvas, captions[step]));

  // 4. The mask of the selected window.
  const N = M * M;
  const w = Math.min(params.selected, mask.numWindows - 1);
  const wr = Math.floor(w / nWc), wc = w % nWc;
  const windowPicker = h('select', { id: 'window', 'aria-label': 'Window' });
  for (let i = 0; i < mask.numWindows; i++) windowPicker.append(h('option', { value: i, selected: i === w }, `window ${i} (row ${Math.floor(i / nWc)}, col ${i % nWc})`));
  windowPicker.addEventListener('change', () => update({ selected: Number(windowPicker.value) }));
  const slotRegion = (i: number) => regionOf(wr * M + Math.floor(i / M), wc * M + (i % M));
  let allowed = 0;
  for (let i = 0; i < N * N; i++) if (mask.values[w * N * N + i] === 0) allowed++;
  const maskCanvas = gridCanvas('mask', N, N, (i, j) => (mask.values[w * N * N + i * N + j] === MASKED ? 'rgba(128,128,128,0.12)' : colour(slotRegion(i), 0.8)), {
    ariaLabel: `Attention mask of window ${w}: ${allowed} of ${N * N} query-key pairs allowed`,
  });
  maskCanvas.setAttribute('data-allowed', String(allowed));
  const slots = gridCanvas('window-slots', M, M, (r, c) => colour(slotRegion(r * M + c)), {
    label: (r, c) => {
      const k = w * N + r * M + c;
      return pos.row[k] < 0 ? '·' : REGION[slotRegion(r * M + c)];
    },
    ariaLabel: `Tokens of window ${w} by region`,
  });
  views.append(
    h('h2', {}, 'Attention mask'),
    h('div', { class: 'toolbar' }, h('label', { for: 'window' }, 'Window '), windowPicker),
    h('div', { class: 'row' },
      figure(`Window ${w}: its tokens`, slots, 'Letters: the region each token came from; · = padding'),
      figure(`Mask ${N}×${N} (query × key)`, maskCanvas, `${allowed} of ${N * N} pairs allowed (coloured); grey pairs get −100 before the softmax`)),
  );
}

onMessage((m: HostMessage) => {
  if (m.type === 'windows') {
    stages = m.stages;
    if (m.image) {
      const img = new Image();
      img.onload = () => ((picture = img), render());
      img.src = m.image;
      img.alt = 'the linked image';
    }
    if (!saved && stages.length) params = { ...params, H: stages[0].H, W: stages[0].W, M: stages[0].M, selected: 0 };
    buildControls();
    render();
  }
});
// Until the host says which stages (the model's or Swin-T's), nothing is drawn: a placeholder
// partition would read as the model's numbers for a moment.
if (saved) {
  buildControls();
  render();
} else message.textContent = 'Reading the model\'s stages…';
post({ type: 'ready' });
