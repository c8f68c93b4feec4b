// Compare Models: config, params, MACs per role and per stage, Ω(MSA) vs Ω(W-MSA) at the resolutions
// the user types (computed here with core's formulas, as the CLI would), measured latency, and a
// labelled folder's accuracy, agreement and disagreements.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import { h, clear, app } from '../shared/dom';
import { post, onMessage, setState } from '../shared/host';
import { COMPARE_ROLES, COMPARE_ROLE_NAMES, omegaAt, parseResolutions, type CompareDocument, type CompareModel } from '../../src/core/compare/document';
import type { HostMessage } from '../../src/shared/protocol';
import type { CompareState } from '../../src/shared/panelState';

const root = app();
const title = h('h1', {}, 'Compare Models');
const status = h('div', { class: 'status', role: 'status', 'aria-live': 'polite', id: 'status' });
const toolbar = h('div', { class: 'toolbar' });
const body = h('div', { id: 'body' });
root.append(title, status, toolbar, body);

const int = (n: number | null | undefined) => (n === null || n === undefined ? '—' : n.toLocaleString('en-US'));
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
let last: Extract<HostMessage, { type: 'compare' }> | undefined;
let resolutions: number[] | null = null;

function button(id: string, text: string, m: Parameters<typeof post>[0], secondary = false): HTMLElement {
  const b = h('vscode-button' as 'button', { id, secondary }, text);
  b.addEventListener('click', () => post(m));
  return b;
}

/** A table with a row per quantity and a column per model. */
function table(id: string, rows: [string, (m: CompareModel, i: number) => string | number][], models: CompareModel[]): HTMLElement {
  return h(
    'div',
    { class: 'table-scroll' },
    h(
      'table',
      { class: 'grid compare', id },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, ''), ...models.map((m) => h('th', { scope: 'col', class: 'num' }, m.name)))),
      h('tbody', {}, ...rows.map(([name, f]) => h('tr', { 'data-row': name }, h('th', { scope: 'row' }, name), ...models.map((m, i) => h('td', { class: 'num' }, String(f(m, i))))))),
    ),
  );
}

function omegaTable(doc: CompareDocument, res: number[]): HTMLElement {
  const rows: HTMLElement[] = [];
  for (const m of doc.models)
    for (const r of res)
      for (const s of omegaAt(m, r))
        rows.push(
          h(
            'tr',
            { 'data-model': m.name, 'data-resolution': r },
            h('th', { scope: 'row' }, m.name),
            h('td', { class: 'num' }, `${r}²`),
            h('td', {}, s.stage),
            h('td', { class: 'num' }, `${s.tokens[0]}×${s.tokens[1]}`),
            h('td', { class: 'num' }, s.dim),
            h('td', { class: 'num' }, s.window ?? 'global'),
            h('td', { class: 'num msa' }, int(s.msaMacs)),
            h('td', { class: 'num wmsa' }, int(s.wmsaMacs)),
            h('td', { class: 'num' }, s.wmsaMacs ? `${(s.msaMacs / s.wmsaMacs).toFixed(2)}×` : '—'),
          ),
        );
  return h(
    'div',
    { class: 'table-scroll' },
    h(
      'table',
      { class: 'grid', id: 'omega' },
      h('thead', {}, h('tr', {}, ...['Model', 'Input', 'Stage', 'Tokens', 'C', 'M', 'Ω(MSA) MACs', 'Ω(W-MSA) MACs', 'MSA / W-MSA'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, ...rows),
    ),
  );
}

function render(): void {
  const m = last!;
  const doc = m.doc;
  const models = doc.models;
  title.textContent = `Compare Models: ${models.map((x) => x.name).join(' · ')}`;
  clear(status);
  if (m.pending) status.append(`Measuring ${m.pending}…`);
  clear(toolbar);
  toolbar.append(button('add-model', 'Add a model…', { type: 'addModel' }), button('pick-folder', 'Score on a labelled folder…', { type: 'pickFolder' }, true), button('remeasure', 'Measure latency again', { type: 'rerun' }, true));
  clear(body);
  body.append(
    h('h2', {}, 'Config'),
    table(
      'config',
      [
        ['family', (x) => x.family],
        ['image size', (x) => (x.imageSize ? `${x.imageSize}²` : '—')],
        ['patch size', (x) => x.patchSize ?? '—'],
        ['embed dim', (x) => x.embedDim ?? '—'],
        ['depths', (x) => x.depths?.join('-') ?? '—'],
        ['heads', (x) => x.heads?.join('-') ?? '—'],
        ['window', (x) => x.windowSize ?? 'global'],
        ['classes', (x) => x.numClasses ?? '—'],
        ['precision', (x) => x.precision],
        ['params', (x) => int(x.params)],
        ['MACs', (x) => int(x.macs)],
      ],
      models,
    ),
    h('h2', {}, 'MACs per role'),
    table('roles', COMPARE_ROLES.map((r) => [COMPARE_ROLE_NAMES[r], (x: CompareModel) => `${int(x.byRole[r])} (${x.macs ? pct(x.byRole[r] / x.macs) : '—'})`]), models),
    h('h2', {}, 'MACs per stage'),
    table(
      'stages',
      Array.from({ length: Math.max(...models.map((x) => x.stages.length)) }, (_, k) => [
        `stage ${k + 1}`,
        (x: CompareModel) => {
          const s = x.stages[k];
          return s ? `${int(s.macs)} (${s.tokens[0]}×${s.tokens[1]}, C ${s.dim}, ${s.depth} blocks)` : '—';
        },
      ]),
      models,
    ),
  );
  const input = h('input', { id: 'resolutions', class: 'text-input', value: (resolutions ?? doc.resolutions).join(', '), 'aria-label': 'Input resolutions (pixels, comma-separated)' }) as HTMLInputElement;
  const err = h('span', { class: 'error', id: 'resolutions-error', hidden: true }, 'Give positive whole numbers, e.g. 224, 384.');
  const omegaHost = h('div', {}, omegaTable(doc, resolutions ?? doc.resolutions));
  input.addEventListener('change', () => {
    const r = parseResolutions(input.value);
    err.hidden = r !== null;
    if (!r) return;
    resolutions = r;
    clear(omegaHost);
    omegaHost.append(omegaTable(doc, r));
  });
  body.append(
    h('h2', {}, 'Ω(MSA) = 4hwC² + 2(hw)²C against Ω(W-MSA) = 4hwC² + 2M²hwC, one block per stage'),
    h('div', { class: 'resolutions' }, h('label', { for: 'resolutions' }, 'At inputs of'), input, h('span', { class: 'muted' }, 'pixels'), err),
    omegaHost,
    h('h2', {}, 'Latency per image'),
  );
  if (m.latencyError) body.append(h('p', { class: 'error', id: 'latency-error' }, m.latencyError));
  else if (!doc.latency) body.append(h('p', { class: 'muted' }, m.pending === 'latency' ? 'Measuring…' : 'Not measured.'));
  else
    body.append(
      h(
        'div',
        { class: 'table-scroll' },
        h(
          'table',
          { class: 'grid', id: 'latency' },
          h('thead', {}, h('tr', {}, ...['Model', 'Provider', 'ms per image (median)', 'runs', `ratio to ${doc.latency[0].model}`].map((t) => h('th', { scope: 'col' }, t)))),
          h('tbody', {}, ...doc.latency.map((r) => h('tr', {}, h('th', { scope: 'row' }, r.model), h('td', {}, r.ep), h('td', { class: 'num' }, r.msPerImage.toFixed(3)), h('td', { class: 'num' }, r.runs), h('td', { class: 'num' }, `${r.ratio.toFixed(2)}×`)))),
        ),
      ),
      h('p', { class: 'muted' }, 'The same images for every model, batch 1, the models alternated each round; only session.run is timed.'),
    );
  const ev = doc.evaluation;
  if (ev) {
    body.append(
      h('h2', {}, `On ${ev.folder} (${ev.images} images)`),
      h('div', { class: 'table-scroll' }, h('table', { class: 'grid', id: 'accuracy' }, h('thead', {}, h('tr', {}, ...['Model', 'Accuracy', 'Top-5'].map((t) => h('th', { scope: 'col' }, t)))), h('tbody', {}, ...ev.accuracy.map((a) => h('tr', {}, h('th', { scope: 'row' }, a.model), h('td', { class: 'num accuracy' }, pct(a.accuracy)), h('td', { class: 'num' }, pct(a.top5))))))),
      h('p', { id: 'agreement' }, `Agreement (same top-1): ${pct(ev.agreement)}; they disagree on ${ev.disagreements.length} image${ev.disagreements.length === 1 ? '' : 's'}.`),
    );
    if (ev.disagreements.length)
      body.append(
        h('div', { class: 'table-scroll' }, h('table', { class: 'grid', id: 'disagreements' }, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Image'), h('th', { scope: 'col' }, 'True'), ...ev.accuracy.map((a) => h('th', { scope: 'col' }, a.model)))), h('tbody', {}, ...ev.disagreements.map((d) => h('tr', {}, h('td', {}, d.path), h('td', {}, d.truth), ...d.top1.map((t) => h('td', {}, t))))))),
      );
  }
}

onMessage((m) => {
  if (m.type === 'compare') {
    last = m;
    // Kept for a window reload: the host's revive shows it again.
    setState<CompareState>({ doc: m.doc });
    render();
  } else if (m.type === 'error') {
    clear(status);
    status.append(h('p', { class: 'error', id: 'error', role: 'alert' }, m.message));
  }
});
post({ type: 'ready' });
