// Evaluate Model on Folder: accuracy, top-5, per-class precision/recall/support, the confusion
// matrix (rows = true class, columns = predicted; click or Enter on a cell: its images with their
// top classes), the worst mistakes first. Scores come from core/evaluate, as the CLI's do.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import { h, clear, app } from '../shared/dom';
import { post, onMessage, setState } from '../shared/host';
import { cellImages, worstMistakes, type Prediction } from '../../src/core/evaluate/metrics';
import type { EvaluateModelView, EvaluateView, HostMessage } from '../../src/shared/protocol';
import type { EvaluateState } from '../../src/shared/panelState';

const root = app();
const title = h('h1', {}, 'Evaluate Model on Folder');
const status = h('div', { class: 'status', role: 'status', 'aria-live': 'polite', id: 'status' });
const toolbar = h('div', { class: 'toolbar', id: 'toolbar' });
const body = h('div', { id: 'body' });
root.append(title, status, toolbar, body);

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const button = (id: string, text: string, m: Parameters<typeof post>[0], secondary = false) => {
  const b = h('vscode-button' as 'button', { id, secondary }, text);
  b.addEventListener('click', () => post(m));
  return b;
};
const link = (text: string, path: string) => {
  const a = h('a', { href: '#' }, text);
  a.addEventListener('click', (e) => (e.preventDefault(), post({ type: 'openFile', path })));
  return a;
};

let view: EvaluateView | undefined;
let shown = 0;
let cell: [number, number] | null = null;

function progress(m: Extract<HostMessage, { type: 'evaluateProgress' }>): void {
  title.textContent = `Evaluating on ${m.folder}`;
  clear(status);
  const bar = h('progress', { id: 'progress', max: Math.max(1, m.total), value: m.done, 'aria-label': 'images classified' });
  status.append(`${m.model}${m.models > 1 ? ` (model ${m.index + 1} of ${m.models})` : ''}: ${m.total ? `${m.done} of ${m.total} images` : 'loading the model…'} `, bar);
  clear(toolbar);
  toolbar.append(button('cancel', 'Cancel', { type: 'cancel' }, true));
}

function failed(message: string): void {
  title.textContent = view ? `Stopped evaluating ${view.folder}` : 'Could not evaluate the folder';
  clear(status);
  status.append(h('p', { class: 'error', id: 'error', role: 'alert' }, message));
  clear(toolbar);
  toolbar.append(button('retry', 'Retry', { type: 'rerun' }), button('add-model', 'Add a model…', { type: 'addModel' }, true));
}

/** The warnings a user must read before trusting the numbers: folders skipped, classes empty, files unread. */
function warnings(v: EvaluateView): HTMLElement | null {
  const items: HTMLElement[] = [];
  if (v.unmatched.length) items.push(h('li', { class: 'warning', id: 'unmatched' }, `Folders matching no class of the model (skipped): ${v.unmatched.join(', ')}.`));
  if (v.empty.length) items.push(h('li', { class: 'warning', id: 'empty' }, `Empty classes (no images): ${v.empty.join(', ')}.`));
  for (const u of v.unreadable) items.push(h('li', { class: 'warning unreadable' }, `Not scored, unreadable: ${u.path}: ${u.reason}`));
  if (v.note) items.push(h('li', { class: 'warning', id: 'note' }, v.note));
  return items.length ? h('ul', { class: 'warnings', id: 'warnings' }, ...items) : null;
}

function summary(v: EvaluateView): HTMLElement {
  const rows = v.models.map((m, i) =>
    h('tr', { 'data-model': i }, h('th', { scope: 'row' }, m.name), h('td', { class: 'num accuracy' }, pct(m.accuracy)), h('td', { class: 'num top5' }, pct(m.top5)), h('td', { class: 'num' }, m.imagesPerSecond.toFixed(1))),
  );
  return h(
    'div',
    { class: 'table-scroll' },
    h('table', { class: 'grid', id: 'summary' }, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Model'), h('th', { scope: 'col', class: 'num' }, 'Accuracy'), h('th', { scope: 'col', class: 'num' }, 'Top-5'), h('th', { scope: 'col', class: 'num' }, 'Images/s'))), h('tbody', {}, ...rows)),
  );
}

function perClass(m: EvaluateModelView): HTMLElement {
  const rows = m.perClass.map((c, i) => h('tr', {}, h('th', { scope: 'row' }, `${i} ${c.label}`), h('td', { class: 'num' }, c.precision.toFixed(3)), h('td', { class: 'num' }, c.recall.toFixed(3)), h('td', { class: 'num' }, c.support)));
  return h(
    'div',
    { class: 'table-scroll' },
    h('table', { class: 'grid', id: 'per-class' }, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Class'), h('th', { scope: 'col', class: 'num' }, 'Precision'), h('th', { scope: 'col', class: 'num' }, 'Recall'), h('th', { scope: 'col', class: 'num' }, 'Support'))), h('tbody', {}, ...rows)),
  );
}

/** The confusion matrix: one button per cell, its shade the share of the true class's images; arrow keys move between cells. */
function confusion(m: EvaluateModelView): HTMLElement {
  const n = m.labels.length;
  const head = h('tr', {}, h('th', { scope: 'col', class: 'corner' }, 'true \\ predicted'), ...m.labels.map((l, j) => h('th', { scope: 'col', class: 'col-label', title: l }, String(j))));
  const rows = m.confusion.map((row, i) => {
    const support = row.reduce((a, b) => a + b, 0);
    return h(
      'tr',
      {},
      h('th', { scope: 'row', class: 'row-label' }, `${i} ${m.labels[i]}`),
      ...row.map((count, j) => {
        const share = support ? count / support : 0;
        const b = h(
          'button',
          {
            class: `cell${i === j ? ' diagonal' : count ? ' off' : ''}`,
            'data-row': i,
            'data-col': j,
            'data-count': count,
            tabindex: (cell ? cell[0] === i && cell[1] === j : i === 0 && j === 0) ? 0 : -1,
            'aria-label': `true ${m.labels[i]}, predicted ${m.labels[j]}: ${count} image${count === 1 ? '' : 's'}`,
            title: `true ${m.labels[i]}, predicted ${m.labels[j]}: ${count} of ${support}`,
            'aria-pressed': cell !== null && cell[0] === i && cell[1] === j ? 'true' : 'false',
          },
          count ? String(count) : '·',
        );
        // Shade: the share of the row, in the theme's chart colours (blue right, red wrong).
        b.style.setProperty('--share', `${Math.round(share * 100)}%`);
        b.addEventListener('click', () => select(i, j));
        return h('td', {}, b);
      }),
    );
  });
  const table = h('table', { class: 'confusion', id: 'confusion', role: 'grid', 'aria-label': `Confusion matrix of ${m.name}: rows are the true class, columns the predicted` }, h('thead', {}, head), h('tbody', {}, ...rows));
  table.addEventListener('keydown', (e) => {
    const t = e.target as HTMLElement;
    if (!t.classList.contains('cell')) return;
    let i = Number(t.dataset.row);
    let j = Number(t.dataset.col);
    if (e.key === 'ArrowRight') j = Math.min(n - 1, j + 1);
    else if (e.key === 'ArrowLeft') j = Math.max(0, j - 1);
    else if (e.key === 'ArrowDown') i = Math.min(n - 1, i + 1);
    else if (e.key === 'ArrowUp') i = Math.max(0, i - 1);
    else if (e.key === 'Home') j = 0;
    else if (e.key === 'End') j = n - 1;
    else return;
    e.preventDefault();
    const next = table.querySelector<HTMLButtonElement>(`button.cell[data-row="${i}"][data-col="${j}"]`)!;
    t.tabIndex = -1;
    next.tabIndex = 0;
    next.focus();
  });
  return h('div', { class: 'table-scroll confusion-scroll' }, table);
}

/** One image with its top classes, a thumbnail when the folder is loadable, and its ways to the classify panel. */
function imageItem(v: EvaluateView, m: EvaluateModelView, p: Prediction): HTMLElement {
  const tops = p.top.map((k, r) => h('span', { class: k === p.truth ? 'top truth' : 'top' }, `${m.labels[k]}${p.probs ? ` ${pct(p.probs[r])}` : ''}`));
  const joined: (Node | string)[] = [];
  tops.forEach((t, r) => joined.push(...(r ? [', ', t] : [t])));
  const inside = !p.path.startsWith('..') && !p.path.startsWith('/');
  const thumb = v.imageBase && inside ? h('img', { class: 'thumb pixelated', alt: '', src: `${v.imageBase}/${p.path.split(/[\\/]/).map(encodeURIComponent).join('/')}` }) : null;
  const classify = h('button', { class: 'link-button', 'data-action': 'classify' }, 'Classify');
  classify.addEventListener('click', () => post({ type: 'showImage', path: p.path, attention: false, model: m.path }));
  const attention = h('button', { class: 'link-button', 'data-action': 'attention' }, 'Attention');
  attention.addEventListener('click', () => post({ type: 'showImage', path: p.path, attention: true, model: m.path }));
  return h('li', { class: 'image-item', 'data-path': p.path }, thumb, h('div', {}, link(p.path, p.path), h('div', { class: 'muted' }, `true ${m.labels[p.truth]}; top: `, ...joined), h('div', {}, classify, ' ', attention)));
}

function select(i: number, j: number): void {
  cell = [i, j];
  render();
  const b = document.querySelector<HTMLButtonElement>(`#confusion button.cell[data-row="${i}"][data-col="${j}"]`);
  b?.focus();
}

function cellSection(v: EvaluateView, m: EvaluateModelView): HTMLElement {
  const sec = h('section', { id: 'cell' });
  if (!cell) {
    sec.append(h('p', { class: 'muted' }, 'Click a cell (or move with the arrow keys and press Enter) to see its images.'));
    return sec;
  }
  const [i, j] = cell;
  const imgs = cellImages(m.predictions, i, j);
  sec.append(h('h2', {}, `True ${m.labels[i]}, predicted ${m.labels[j]}: ${imgs.length} image${imgs.length === 1 ? '' : 's'}`));
  if (imgs.length) sec.append(h('ul', { class: 'images', id: 'cell-images' }, ...imgs.map((p) => imageItem(v, m, p))));
  return sec;
}

function mistakes(v: EvaluateView, m: EvaluateModelView): HTMLElement {
  const wrong = worstMistakes(m.predictions);
  const sec = h('section', { id: 'mistakes' }, h('h2', {}, `Worst mistakes (${wrong.length}), the surest wrong answers first`));
  if (!wrong.length) sec.append(h('p', { class: 'muted' }, 'No mistakes.'));
  else sec.append(h('ol', { class: 'images', id: 'mistake-list' }, ...wrong.slice(0, 50).map((p) => imageItem(v, m, p))));
  return sec;
}

function render(): void {
  const v = view!;
  title.textContent = `Evaluated on ${v.folder}`;
  clear(status);
  status.append(`${v.images} images in ${v.models[0]?.labels.length ?? 0} classes, on ${v.ep || '…'}.${v.agreement !== null ? ` Agreement between the models (same top-1): ${pct(v.agreement)}.` : ''} Results written beside the folder: `);
  v.written.forEach((w, k) => status.append(k ? ', ' : '', link(w.split(/[\\/]/).pop()!, w)));
  clear(toolbar);
  toolbar.append(button('add-model', 'Add a model…', { type: 'addModel' }), button('retry', 'Run again', { type: 'rerun' }, true));
  clear(body);
  const w = warnings(v);
  if (w) body.append(w);
  body.append(summary(v));
  if (v.models.length > 1) {
    const sel = h('select', { id: 'model', 'aria-label': 'Model shown below' }, ...v.models.map((m, i) => h('option', { value: i, selected: i === shown }, m.name)));
    sel.addEventListener('change', () => {
      shown = Number(sel.value);
      cell = null;
      render();
    });
    body.append(h('p', {}, h('label', { for: 'model' }, 'Details of '), sel));
  }
  const m = v.models[shown];
  body.append(
    h('h2', { id: 'model-heading' }, `${m.name}: accuracy ${pct(m.accuracy)}, top-5 ${pct(m.top5)}`),
    h('h2', {}, 'Confusion matrix'),
    confusion(m),
    cellSection(v, m),
    h('h2', {}, 'Per class'),
    perClass(m),
    mistakes(v, m),
  );
}

onMessage((m) => {
  if (m.type === 'evaluate') {
    view = m.view;
    // Kept for a window reload: the host's revive shows it again.
    setState<EvaluateState>({ view: m.view });
    shown = Math.min(shown, m.view.models.length - 1);
    cell = null;
    render();
  } else if (m.type === 'evaluateProgress') progress(m);
  else if (m.type === 'error') failed(m.message);
});
post({ type: 'ready' });
