import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import { h, clear, app, pathBreaks } from '../shared/dom';
import { post, onMessage, setState } from '../shared/host';
import type { ClassifyView } from '../../src/shared/protocol';
import { drawImage, drawGrid } from './draw';
import { attentionView, type AttentionHandle } from './attentionView';
import { explainView, type ExplainSection } from './explainView';

const root = app();
const status = h('p', { class: 'status', role: 'status', 'aria-live': 'polite' }, 'Classifying…');
const content = h('div', { class: 'classify' });
root.append(status, content);

let view: ClassifyView | undefined;
let showGrid = true;
/** Where the attention section goes, and the canvases it draws on (set by render). */
let attentionHost: HTMLElement | undefined;
let imageCanvas: HTMLCanvasElement | undefined;
let heatCanvas: HTMLCanvasElement | undefined;
let explainSection: ExplainSection | undefined;
/** The attention view's layer/head/patch once it is shown: Step through carries them over. */
const attention: AttentionHandle = {};

function pct(p: number): string {
  return p >= 0.9995 ? '100%' : `${(p * 100).toFixed(p < 0.001 ? 3 : 1)}%`;
}

function resultsMarkdown(v: ClassifyView): string {
  return [
    `**${v.imageName}** — ${v.modelName} on ${v.ep}`,
    '',
    '| # | class | probability |',
    '| --- | --- | --- |',
    ...v.top.map((t, i) => `| ${i + 1} | ${t.label} (${t.index}) | ${pct(t.prob)} |`),
  ].join('\n');
}

function render(v: ClassifyView, providers: string[]): void {
  view = v;
  attention.selection = undefined;
  attention.layers = undefined;
  setState({ imagePath: v.imagePath, modelPath: v.modelPath });
  clear(content);
  // Whose result this is: panels of other images look the same to a reader that only finds `#top li`.
  content.dataset.image = v.imageName;
  status.textContent = '';
  const canvas = h('canvas', { id: 'image', role: 'img', 'aria-label': `${v.imageName} as the model sees it (${v.pixels.width}×${v.pixels.height})` });
  const heat = h('canvas', { id: 'heat', 'aria-hidden': 'true' });
  const overlay = h('canvas', { id: 'grid', 'aria-hidden': 'true' });
  const stack = h('div', { class: 'stack' }, canvas, heat, overlay);
  imageCanvas = canvas;
  heatCanvas = heat;
  // The canvases hold a whole multiple of the input (≥ 448 px) and CSS fits them to the panel;
  // small inputs (28×28) keep hard pixel edges: what the model sees.
  const display = v.pixels.width * Math.max(1, Math.ceil(448 / v.pixels.width));
  stack.classList.toggle('pixelated', v.pixels.width * 2 <= display);
  drawImage(canvas, v.pixels, display);
  const redrawGrid = () => {
    const ctx = overlay.getContext('2d')!;
    overlay.width = overlay.height = display;
    ctx.clearRect(0, 0, display, display);
    if (showGrid && v.grid) drawGrid(overlay, v.grid, v.pixels.width, display);
  };
  redrawGrid();
  const gridBox = h('vscode-checkbox' as 'input', { id: 'show-grid', checked: showGrid, label: v.grid ? `Patch grid (${v.grid.patch}px${v.grid.window ? `, windows of ${v.grid.window}×${v.grid.window} patches` : ''})` : 'Patch grid (unknown patch size)' });
  gridBox.addEventListener('change', () => ((showGrid = (gridBox as unknown as { checked: boolean }).checked), redrawGrid()));

  const bars = h('ol', { class: 'bars', id: 'top', 'aria-label': 'Top classes' });
  for (const t of v.top) {
    const bar = h('div', { class: 'bar' });
    bar.style.width = `${Math.max(0.5, t.prob * 100)}%`;
    bars.append(h('li', { 'data-index': t.index }, h('div', { class: 'bar-label' }, h('span', { class: 'name' }, t.label), h('span', { class: 'prob' }, pct(t.prob))), h('div', { class: 'bar-track' }, bar)));
  }

  const epSelect = h('vscode-single-select' as 'select', { id: 'ep', 'aria-label': 'Execution provider' });
  for (const ep of providers) epSelect.append(h('vscode-option' as 'option', { value: ep, selected: ep === v.ep }, ep));
  epSelect.addEventListener('change', () => post({ type: 'rerun', ep: (epSelect as unknown as { value: string }).value }));
  const copy = h('vscode-button' as 'button', { id: 'copy', secondary: true }, 'Copy results');
  copy.addEventListener('click', () => post({ type: 'copy', text: resultsMarkdown(v) }));
  const rerun = h('vscode-button' as 'button', { id: 'rerun', secondary: true }, 'Run again');
  rerun.addEventListener('click', () => post({ type: 'rerun' }));
  const model = h('vscode-button' as 'button', { id: 'model', secondary: true, title: 'Select Model: the model Classify Image and every view use (vitInspector.modelPath)' }, 'Other model…');
  model.addEventListener('click', () => post({ type: 'pickModel' }));
  const step = h('vscode-button' as 'button', { id: 'step-through', secondary: true, title: 'Step Through the Forward Pass: one token of this image through the model, each step recomputed (the layer, head and clicked patch of the attention view carried over)' }, 'Step through…');
  step.addEventListener('click', () => post({ type: 'stepThrough', ...(attention.selection?.() ?? {}) }));

  const ms = (n: number) => `${n.toFixed(n < 10 ? 1 : 0)} ms`;
  const facts = h(
    'dl',
    { class: 'facts' },
    h('dt', {}, 'Model'), h('dd', { id: 'model-name' }, v.modelName),
    h('dt', {}, 'Provider'), h('dd', { id: 'provider' }, v.ep, v.failures.length ? notUsed(v.failures) : null),
    ...(v.compute ? [h('dt', {}, 'Precision'), h('dd', { id: 'compute' }, v.compute)] : []),
    h('dt', {}, 'Timings'), h('dd', { id: 'timings' }, `decode ${ms(v.timings.decode)}, preprocess ${ms(v.timings.preprocess)}, run ${ms(v.timings.run)}${v.timings.load > 0 ? `, model load ${ms(v.timings.load)}` : ''}${v.timings.warmUp ? `, GPU warm-up ${ms(v.timings.warmUp)} (first run only)` : ''}`),
    h('dt', {}, 'Image'), h('dd', {}, `${v.original.width}×${v.original.height} ${v.original.format} → ${v.pixels.width}×${v.pixels.height}`),
    h('dt', {}, 'Preprocessing'), h('dd', { id: 'preprocessing' }, v.preprocessing, v.preprocessingFile ? h('div', { class: 'muted', id: 'preprocessing-file' }, 'from ', h('code', { title: v.preprocessingFile }, ...pathBreaks(v.preprocessingFileShown ?? v.preprocessingFile))) : null),
    h('dt', {}, 'Labels'), h('dd', { id: 'labels' }, v.labelsSource, v.labelsWarning ? h('div', { class: 'error' }, v.labelsWarning) : null),
  );
  const want = h('vscode-button' as 'button', { id: 'want-attention', secondary: true }, 'Show attention');
  want.addEventListener('click', () => post({ type: 'wantAttention' }));
  attentionHost = h('div', { id: 'attention-host' }, want);
  explainSection = explainView(v, canvas, post);
  content.append(
    h('h1', {}, v.imageName),
    h('div', { class: 'toolbar' }, h('label', { for: 'ep' }, 'Provider'), epSelect, rerun, model, copy, step),
    h('div', { class: 'columns' }, h('div', { class: 'large-view' }, stack, gridBox, attentionHost, explainSection.element), h('div', { class: 'results' }, h('h2', {}, 'Top classes'), bars, facts)),
  );
}

/**
 * The providers that did not start, in the user's terms ("cuda and webgpu did not start"): the
 * libraries' own reasons (Dawn's Vulkan feature names…) are one click away, not in every panel's text.
 */
function notUsed(failures: { ep: string; reason: string }[]): HTMLElement {
  const names = failures.map((f) => f.ep);
  const list = names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}` : names[0];
  return h(
    'details',
    { class: 'not-used' },
    h('summary', { class: 'muted' }, ` (${list} did not start here; why)`),
    h('ul', { class: 'muted' }, ...failures.map((f) => h('li', {}, `${f.ep} — ${f.reason}`))),
    h('p', { class: 'muted' }, 'Show Execution Providers says what to do.'),
  );
}

onMessage((m) => {
  if (m.type === 'classified') render(m.view, m.providers);
  else if (m.type === 'attention' && attentionHost && imageCanvas && heatCanvas) {
    clear(attentionHost);
    attentionHost.append(attentionView(m, imageCanvas, heatCanvas, (png, what) => post({ type: 'save', format: 'png', name: `${view?.imageName.replace(/\.[^.]+$/, '').replace(/[^\w.-]/g, '_') ?? 'attention'}-${what === 'grid' ? 'model-view' : 'attention'}.png`, data: png }), attention, (layers) => post({ type: 'wantAttentionLayers', layers })));
    // The ViT paper's Figure 7 (right) for this image, in its own panel.
    const dist = h('vscode-button' as 'button', { id: 'show-distance', secondary: true }, 'Mean attention distance…');
    dist.addEventListener('click', () => post({ type: 'showDistance' }));
    attentionHost.append(dist);
  } else if (m.type === 'attentionLayers') attention.layers?.(m);
  else if (m.type === 'attentionUnavailable' && attentionHost) {
    clear(attentionHost);
    attentionHost.append(h('p', { class: 'error', id: 'attention-error' }, m.message));
  }
  else if (m.type === 'explained') explainSection?.show(m);
  else if (m.type === 'explainFailed') explainSection?.failed(m.message);
  else if (m.type === 'busy') status.textContent = m.message;
  else if (m.type === 'error') {
    // The failure stays on screen with what to do next; the host also shows one notification.
    status.textContent = '';
    clear(content);
    delete content.dataset.image;
    const retry = h('vscode-button' as 'button', { id: 'retry' }, 'Retry');
    retry.addEventListener('click', () => post({ type: 'rerun' }));
    const other = h('vscode-button' as 'button', { id: 'pick-model', secondary: true }, 'Select another model…');
    other.addEventListener('click', () => post({ type: 'pickModel' }));
    // A corrupt image is not fixed by another model: offer only Retry (after replacing the file).
    content.append(h('p', { class: 'error', id: 'error', role: 'alert' }, m.message), h('div', { class: 'toolbar' }, retry, m.cause === 'image' ? '' : other));
    // The library's own words (a decoder's, the Hub's) stay one click away, not in the sentence.
    if (m.detail) content.append(h('details', { class: 'raw-detail', id: 'error-detail' }, h('summary', {}, 'Details'), h('pre', {}, m.detail)));
  }
});
post({ type: 'ready' });
