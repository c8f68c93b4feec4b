/**
 * Compare Window Complexity: Ω(MSA) vs Ω(W-MSA) per stage, and a window sweep on a log
 * scale with measured time overlaid. Counting happens here with the core's own pure
 * functions (src/core/flops); timing is asked of the host, which owns ONNX Runtime.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import { h, clear, app } from '../shared/dom';
import { post, onMessage, getState, setState } from '../shared/host';
import { analyticFlops, layerSweep, modelSweep, preset, PRESET_NAMES, type ModelConfig } from '../../src/core/flops';
import type { HostMessage } from '../../src/shared/protocol';
import { barChart, lineChart, resolveThemeVars, si, type Series } from './chart';

type Measured = Extract<HostMessage, { type: 'measured' }>;
interface State { source: string; imageSize: number | null; window: number | null; h: number; w: number; dim: number; heads: number; unit: 'MACs' | 'FLOPs'; windows: string }

const root = app();
let model: { name: string; config: ModelConfig } | null = null;
let state: State = getState<State>() ?? { source: 'swin-t', imageSize: null, window: null, h: 56, w: 56, dim: 96, heads: 3, unit: 'MACs', windows: '' };
let measured: Measured | null = null;

const controls = h('div', { class: 'toolbar', role: 'group', 'aria-label': 'Model' });
const status = h('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
const out = h('div', { class: 'complexity' });
// Each Ω term linked to the layers it counts (hover), in the paper's notation.
const TERMS = {
  proj: '4hwC²: the Q, K, V projection (one linear layer C → 3C per token, 3hwC²) and the output projection C → C (hwC²)',
  global: '2(hw)²C: QKᵀ ((hw)²C, every query against every key) and ·V ((hw)²C, the weighted sum of the values) over all hw tokens',
  window: '2M²hwC: QKᵀ and ·V inside each M×M window: hw/M² windows × 2(M²)²C',
};
const term = (text: string, title: string) => h('span', { class: 'term', title, tabindex: 0 }, text);
root.append(
  h('h1', {}, 'Window attention complexity'),
  h('p', { class: 'muted', id: 'omega' }, 'Ω(MSA) = ', term('4hwC²', TERMS.proj), ' + ', term('2(hw)²C', TERMS.global), '   against   Ω(W-MSA) = ', term('4hwC²', TERMS.proj), ' + ', term('2M²hwC', TERMS.window), '   (Swin, eq. 1–2), per attention layer; hover a term for the layers it counts.'),
  controls,
  status,
  out,
);

/** The terms of one stage with its numbers, for the hover of its Ω cells. */
function termLines(hh: number, ww: number, C: number, M: number | null, k: number): { msa: string; wmsa: string } {
  const hw = hh * ww;
  const proj = 4 * hw * C * C * k;
  const glob = 2 * hw * hw * C * k;
  const win = M ? 2 * M * M * hw * C * k : 0;
  const n = (v: number) => v.toLocaleString('en-US');
  return {
    msa: `4hwC² = ${n(proj)} (Q, K, V and the projection) + 2(hw)²C = ${n(glob)} (QKᵀ and ·V over all ${hw} tokens)`,
    wmsa: M ? `4hwC² = ${n(proj)} (Q, K, V and the projection) + 2M²hwC = ${n(win)} (QKᵀ and ·V inside ${M}×${M} windows)` : '',
  };
}

const colours = { msa: 'var(--vscode-charts-red, #e5534b)', wmsa: 'var(--vscode-charts-blue, #3794ff)', time: 'var(--vscode-charts-green, #89d185)', time2: 'var(--vscode-charts-yellow, #cca700)' };

function save(): void {
  setState(state);
}

function field(id: string, label: string, value: number | null, onChange: (v: number | null) => void, placeholder = ''): HTMLElement {
  const input = h('input', { id, type: 'number', min: 1, step: 1, value: value ?? '', placeholder, class: 'num-input' });
  input.addEventListener('change', () => onChange(input.value === '' ? null : Number(input.value)));
  return h('label', { for: id }, `${label} `, input);
}

function buildControls(): void {
  clear(controls);
  const sel = h('select', { id: 'source', 'aria-label': 'Model or map' });
  if (model) sel.append(h('option', { value: 'model', selected: state.source === 'model' }, `Model: ${model.name}`));
  for (const p of PRESET_NAMES) sel.append(h('option', { value: p, selected: state.source === p }, p));
  sel.append(h('option', { value: 'custom', selected: state.source === 'custom' }, 'Custom map (h, w, C)'));
  sel.addEventListener('change', () => {
    state = { ...state, source: sel.value, imageSize: null, window: null };
    measured = null;
    save();
    buildControls();
    render();
  });
  controls.append(h('label', { for: 'source' }, 'Show '), sel);
  if (state.source === 'custom') {
    controls.append(
      field('h', 'h', state.h, (v) => update({ h: v ?? 1 })),
      field('w', 'w', state.w, (v) => update({ w: v ?? 1 })),
      field('dim', 'C', state.dim, (v) => update({ dim: v ?? 1 })),
      field('heads', 'heads', state.heads, (v) => update({ heads: v ?? 1 })),
    );
  } else {
    // The placeholder is the value used when the field is empty (a number fits the field; "default" was cut).
    const base = state.source === 'model' && model ? model.config : preset(state.source);
    controls.append(field('image', 'image', state.imageSize, (v) => update({ imageSize: v }), String(base.imageSize ?? '')), field('window', 'window M', state.window, (v) => update({ window: v }), base.family === 'swin' ? String(base.windowSize ?? '') : '—'));
  }
  const winInput = h('input', { id: 'windows', type: 'text', value: state.windows, placeholder: 'M to sweep: 2, 4, 7…', class: 'text-input', 'aria-label': 'Window sizes to sweep, comma-separated' });
  winInput.addEventListener('change', () => update({ windows: winInput.value }));
  const unit = h('button', { id: 'unit', class: 'link-button', 'aria-pressed': state.unit === 'FLOPs' ? 'true' : 'false', title: 'MACs are the papers\' unit; FLOPs = 2 × MACs' }, `Unit: ${state.unit}`);
  unit.addEventListener('click', () => update({ unit: state.unit === 'MACs' ? 'FLOPs' : 'MACs' }));
  controls.append(winInput, unit);
}

function update(p: Partial<State>): void {
  state = { ...state, ...p };
  measured = null;
  save();
  buildControls();
  render();
}

function currentConfig(): ModelConfig | null {
  if (state.source === 'custom') return null;
  const base = state.source === 'model' && model ? model.config : preset(state.source);
  return { ...base, ...(state.imageSize ? { imageSize: state.imageSize } : {}), ...(state.window && base.family === 'swin' ? { windowSize: state.window } : {}) };
}

function parseWindows(): number[] | undefined {
  if (!state.windows.trim()) return undefined;
  return state.windows.split(',').map((s) => Number(s.trim()));
}

let lastTable: { header: string[]; rows: (string | number)[][] } = { header: [], rows: [] };

function render(): void {
  clear(out);
  status.className = 'status';
  const k = state.unit === 'FLOPs' ? 2 : 1;
  const fmt = (v: number) => `${si(v * k)}`;
  try {
    const cfg = currentConfig();
    let map: { h: number; w: number; dim: number; heads: number };
    if (cfg) {
      const r = analyticFlops(cfg);
      status.textContent = `${state.source === 'model' ? model!.name : state.source}: ${si(r.macs * k, false)} ${state.unit} in all, ${si(r.params, false)} params.`;
      const bars = barChart(
        'One block\'s attention per stage: global MSA against window attention',
        r.stages.map((s) => `${s.name} ${s.tokens[0]}×${s.tokens[1]}`),
        [
          { name: 'Ω(MSA)', colour: colours.msa, values: r.stages.map((s) => s.msaMacs) },
          { name: 'Ω(W-MSA)', colour: colours.wmsa, values: r.stages.map((s) => s.wmsaMacs) },
        ],
        (v) => fmt(v),
      );
      out.append(h('h2', {}, `Per stage (${state.unit} of one block's attention)`), chartBox('stages', bars));
      // data-source: what the table counts, so a reader can tell the model's table from an earlier one's.
      const stageTable = h('table', { class: 'grid', id: 'stage-table', 'data-source': state.source === 'model' ? model!.name : state.source }, h('thead', {}, h('tr', {}, ...['stage', 'tokens h×w', 'C', 'M', 'Ω(MSA)', 'Ω(W-MSA)', 'MSA / W-MSA', 'QKᵀ+AV share of a block'].map((t) => h('th', {}, t)))));
      const tb = h('tbody');
      for (const s of r.stages) {
        const t = termLines(s.tokens[0], s.tokens[1], s.dim, s.window, k);
        tb.append(h('tr', {}, h('td', {}, s.name), h('td', {}, `${s.tokens[0]}×${s.tokens[1]}`), h('td', { class: 'num' }, s.dim), h('td', { class: 'num' }, s.window ?? 'global'), h('td', { class: 'num', title: t.msa, 'data-short': si(s.msaMacs * k, false) }, (s.msaMacs * k).toLocaleString('en-US')), h('td', { class: 'num', title: t.wmsa || undefined, 'data-short': s.wmsaMacs === null ? undefined : si(s.wmsaMacs * k, false) }, s.wmsaMacs === null ? '—' : (s.wmsaMacs * k).toLocaleString('en-US')), h('td', { class: 'num' }, s.ratio === null ? '—' : `${s.ratio.toFixed(2)}×`), h('td', { class: 'num' }, `${(s.quadraticFraction * 100).toFixed(1)}%`)));
      }
      stageTable.append(tb);
      out.append(h('div', { class: 'table-scroll' }, stageTable));
      const first = r.stages[0];
      map = { h: first.tokens[0], w: first.tokens[1], dim: first.dim, heads: first.heads };
      if (cfg.family === 'swin') {
        const sweep = modelSweep(cfg, parseWindows());
        const xs = sweep.rows.map((x) => x.window);
        const series: Series[] = [
          { name: 'whole model, global MSA', colour: colours.msa, points: sweep.rows.map((x) => ({ x: x.window ?? -1, y: x.msaMacs, label: `global MSA: ${fmt(x.msaMacs)} ${state.unit}` })) },
          { name: 'whole model, W-MSA', colour: colours.wmsa, points: sweep.rows.map((x) => ({ x: x.window ?? -1, y: x.wmsaMacs, label: `M=${x.window ?? 'global'}: ${fmt(x.wmsaMacs)} ${state.unit} (stages use ${x.stageWindows.join('/')})` })) },
        ];
        out.append(h('h2', {}, `Whole model across window sizes (${state.unit}, log scale)`), chartBox('model-sweep', lineChart('Whole-model cost across window sizes', xs, series, fmt, (v) => `${v}`, 'window size M (stage 1)')), h('p', { class: 'muted', id: 'model-costlier' }, costlier(sweep.rows, 'The whole model with W-MSA', 'with global MSA', { h: r.stages[0].tokens[0], w: r.stages[0].tokens[1] })));
      }
    } else {
      map = { h: state.h, w: state.w, dim: state.dim, heads: state.heads };
      status.textContent = `Custom map ${state.h}×${state.w}, C = ${state.dim}, ${state.heads} heads.`;
    }
    layerSection(map, fmt);
  } catch (e) {
    status.textContent = (e as Error).message;
    status.className = 'status error';
  }
}

function layerSection(map: { h: number; w: number; dim: number; heads: number }, fmt: (v: number) => string): void {
  const sweep = layerSweep({ ...map, windows: parseWindows() });
  const xs = sweep.rows.map((r) => r.window);
  const series: Series[] = [
    { name: 'Ω(MSA)', colour: colours.msa, points: sweep.rows.map((r) => ({ x: r.window ?? -1, y: r.msaMacs, label: `Ω(MSA) = ${r.msaMacs.toLocaleString('en-US')} MACs` })) },
    { name: 'Ω(W-MSA)', colour: colours.wmsa, points: sweep.rows.filter((r) => r.window !== null).map((r) => ({ x: r.window!, y: r.wmsaMacs, label: `M=${r.window}: Ω(W-MSA) = ${r.wmsaMacs.toLocaleString('en-US')} MACs, padded ${r.padded[0]}×${r.padded[1]}, ${r.numWindows} windows` })) },
  ];
  const m = measured && measured.h === map.h && measured.w === map.w && measured.dim === map.dim ? measured : null;
  if (m) series.push({ name: `measured ms (${m.ep})`, colour: colours.time, secondary: true, dashed: true, points: m.rows.map((r) => ({ x: r.window ?? -1, y: r.ms, label: `M=${r.window ?? 'global'}: ${r.ms.toFixed(2)} ms, ${r.gflops.toFixed(1)} GFLOP/s on ${m.ep}` })) });
  out.append(
    h('h2', {}, `One attention layer on ${map.h}×${map.w}, C = ${map.dim} (log scale${m ? '; right axis: ms' : ''})`),
    chartBox('layer-sweep', lineChart('One attention layer across window sizes', xs, series, fmt, (v) => `${v} ms`, 'window size M')),
    h('p', { class: 'muted', id: 'crossover' }, costlier(sweep.rows, 'W-MSA', 'global MSA', map), ` Without padding the two formulas meet at M = √(hw) = ${sweep.crossover.formula.toFixed(1)}.`),
  );
  const header = ['window', 'padded', 'windows', 'Ω(MSA)', 'Ω(W-MSA)', 'MSA / W-MSA', ...(m ? ['ms', 'GFLOP/s'] : [])];
  // The timed rows come back in the order asked (the first 12 windows); a window that covers the map
  // is timed as what it is, one window = global attention, and comes back with window null.
  const asked = xs.slice(0, 12);
  const notes = new Set<string>();
  const rows = sweep.rows.map((r, i) => {
    const t = m && i < asked.length ? m.rows[i] : undefined;
    if (m && !t) notes.add('Rows without a time were not timed: only the first 12 window sizes are.');
    if (t && t.window === null && r.window !== null) notes.add(`M = ${r.window} covers the whole ${map.h}×${map.w} map: one window, timed as global attention.`);
    return [r.window ?? 'global', `${r.padded[0]}×${r.padded[1]}`, r.numWindows, r.msaMacs * (state.unit === 'FLOPs' ? 2 : 1), r.wmsaMacs * (state.unit === 'FLOPs' ? 2 : 1), `${r.ratio.toFixed(2)}×`, ...(m ? [t ? t.ms.toFixed(2) : 'not timed', t ? t.gflops.toFixed(1) : ''] : [])];
  });
  lastTable = { header, rows };
  const table = h('table', { class: 'grid', id: 'layer-table' }, h('thead', {}, h('tr', {}, ...header.map((t) => h('th', {}, t)))));
  const tb = h('tbody');
  for (const r of rows) tb.append(h('tr', { 'data-window': String(r[0]) }, ...r.map((c) => h('td', typeof c === 'number' ? { class: 'num', ...(c >= 1e4 ? { 'data-short': si(c, false), title: c.toLocaleString('en-US') } : {}) } : { class: '' }, typeof c === 'number' ? c.toLocaleString('en-US') : c))));
  table.append(tb);
  const measure = h('vscode-button' as 'button', { id: 'measure' }, 'Measure on this machine');
  measure.addEventListener('click', () => {
    status.textContent = 'Timing each layer on the active execution provider…';
    post({ type: 'measure', ...map, windows: xs.slice(0, 12) });
  });
  const csv = h('vscode-button' as 'button', { id: 'copy-csv', secondary: true }, 'Copy CSV');
  csv.addEventListener('click', () => post({ type: 'copy', text: [lastTable.header.join(','), ...lastTable.rows.map((r) => r.join(','))].join('\n') }));
  const md = h('vscode-button' as 'button', { id: 'copy-md', secondary: true }, 'Copy Markdown');
  md.addEventListener('click', () => post({ type: 'copy', text: [`| ${lastTable.header.join(' | ')} |`, `| ${lastTable.header.map(() => '---').join(' | ')} |`, ...lastTable.rows.map((r) => `| ${r.join(' | ')} |`)].join('\n') }));
  out.append(h('div', { class: 'toolbar' }, measure, csv, md), h('div', { class: 'table-scroll' }, table));
  if (m) for (const n of notes) out.append(h('p', { class: 'muted measured-gap' }, n));
  if (m) out.append(h('p', { class: 'muted', id: 'measured-note' }, `Measured on ${m.ep}: median of repeated runs. This machine's dense MatMul reaches ${m.matmulGflops.toFixed(1)} GFLOP/s; a layer far below that is bound by memory or small matrices, not by its MACs.`));
}

/**
 * Where and why W-MSA costs at least as much as global MSA, from the rows shown (not one crossover:
 * padding the map up to a multiple of M makes it dearer at some M and cheaper again at the next).
 */
function costlier(all: readonly { window: number | null; msaMacs: number; wmsaMacs: number; padded?: [number, number] }[], what: string, than: string, map?: { h: number; w: number }): string {
  // The (stage-1) map padded up to a multiple of M, as W-MSA computes it.
  const windowed = all.filter((r) => r.window !== null).map((r) => ({ ...r, padded: r.padded ?? (map ? ([Math.ceil(map.h / r.window!) * r.window!, Math.ceil(map.w / r.window!) * r.window!] as [number, number]) : undefined) }));
  const dear = windowed.filter((r) => r.wmsaMacs >= r.msaMacs);
  if (!windowed.length) return '';
  if (!dear.length) return `${what} is cheaper than ${than} at every window size shown (M = ${windowed[0].window}…${windowed[windowed.length - 1].window}).`;
  const padded = map ? dear.filter((r) => r.padded && (r.padded[0] !== map.h || r.padded[1] !== map.w)) : [];
  const list = dear.map((r) => `M = ${r.window}${map && r.padded && (r.padded[0] !== map.h || r.padded[1] !== map.w) ? ` (padded ${map.h}×${map.w} → ${r.padded[0]}×${r.padded[1]})` : ''}`).join(', ');
  const cheap = windowed.length - dear.length;
  const why = ['each window attends over M² tokens, so the 2M²hwC term grows with M', ...(padded.length ? ['padding the map up to a multiple of M adds tokens that are computed too'] : [])].join(', and ');
  return `${what} costs as much as or more than ${than} at ${list}${cheap ? `; at the other ${cheap} window size${cheap > 1 ? 's' : ''} shown it is cheaper` : ''}. Why: ${why}.`;
}

function chartBox(id: string, svg: string): HTMLElement {
  const box = h('div', { class: 'chart', id: `chart-${id}` });
  box.innerHTML = svg; // our own markup: every text in it went through esc()
  const saveSvg = h('button', { class: 'link-button', 'data-save': 'svg' }, 'Save SVG');
  saveSvg.addEventListener('click', () => post({ type: 'save', format: 'svg', name: `${id}.svg`, data: resolveThemeVars(svg) }));
  const savePng = h('button', { class: 'link-button', 'data-save': 'png' }, 'Save PNG');
  savePng.addEventListener('click', () => void toPng(resolveThemeVars(svg)).then((data) => post({ type: 'save', format: 'png', name: `${id}.png`, data })));
  return h('div', {}, box, h('div', { class: 'toolbar' }, saveSvg, savePng));
}

/** Rasterise an SVG through an <img> and a canvas; returns base64 PNG (without the data: prefix). */
async function toPng(svg: string): Promise<string> {
  const img = new Image();
  const bg = getComputedStyle(document.body).getPropertyValue('--vscode-editor-background').trim() || '#fff';
  img.src = `data:image/svg+xml;base64,${btoa(unescape(encodeURIComponent(svg)))}`;
  await img.decode();
  const c = document.createElement('canvas');
  c.width = img.width * 2;
  c.height = img.height * 2;
  const ctx = c.getContext('2d')!;
  ctx.fillStyle = bg;
  ctx.fillRect(0, 0, c.width, c.height);
  ctx.drawImage(img, 0, 0, c.width, c.height);
  return c.toDataURL('image/png').split(',')[1];
}

onMessage((m) => {
  if (m.type === 'complexity') {
    model = m.model;
    // A model sent by the host is the one the user just asked about: show it.
    if (model) state = { ...state, source: 'model', imageSize: null, window: null };
    // A revived panel's saved "model" has no model behind it now: back to the default preset.
    else if (state.source === 'model') state = { ...state, source: 'swin-t', imageSize: null, window: null };
    if (!getState<State>()) state = { ...state, unit: m.unit };
    setState(state);
    buildControls();
    render();
  } else if (m.type === 'measured') {
    measured = m;
    render();
  } else if (m.type === 'error') {
    status.textContent = m.message;
    status.className = 'status error';
  } else if (m.type === 'busy') status.textContent = m.message;
});
// Until the host says which model (or none: the presets), nothing is counted: Swin-T's figures drawn
// meanwhile would read as the model's (and a saved 'model' source has no config before the host's).
status.textContent = 'Reading the model…';
post({ type: 'ready' });
