import '@vscode-elements/elements/dist/vscode-button/index.js';
import { h, clear, app } from '../shared/dom';
import { post, onMessage } from '../shared/host';
import type { HostMessage } from '../../src/shared/protocol';

type ProvidersMessage = Extract<HostMessage, { type: 'providers' }>;

const root = app();
// The summary ("ONNX Runtime … Inference runs on: cpu.") stays put; the progress line below it is for work in progress.
const summary = h('p', { id: 'summary' });
const status = h('p', { class: 'status', id: 'progress' }, 'Probing providers…');
const live = h('div', { role: 'status', 'aria-live': 'polite' }, summary, status);
const body = h('div');
const refresh = h('vscode-button' as 'button', { id: 'refresh' }, 'Probe again');
refresh.addEventListener('click', () => post({ type: 'refresh' }));
const copy = h('vscode-button' as 'button', { id: 'copy', secondary: true }, 'Copy as Markdown');
let last: ProvidersMessage | undefined;
const placementBtn = h('vscode-button' as 'button', { id: 'placement', secondary: true }, 'Node placement of the current model');
placementBtn.addEventListener('click', () => post({ type: 'placement' }));
const placementHost = h('div', { id: 'placement-result' });
const doctorBtn = h('vscode-button' as 'button', { id: 'doctor', secondary: true, title: 'Run the embedded models and a ViT-B/16 attention layer on every provider that starts, against the CPU provider' }, 'Run GPU self-check');
doctorBtn.addEventListener('click', () => post({ type: 'doctor' }));
const doctorHost = h('div', { id: 'doctor-result' });
copy.addEventListener('click', () => last && post({ type: 'copy', text: markdown(last) }));
root.append(h('h1', {}, 'Execution providers'), h('div', { class: 'toolbar' }, refresh, copy, placementBtn, doctorBtn), live, body, placementHost, doctorHost);

/** The self-check's verdict, and its plain-text report to paste into a bug report. */
function renderDoctor(m: Extract<HostMessage, { type: 'doctor' }>): void {
  clear(doctorHost);
  status.textContent = '';
  const copyReport = h('vscode-button' as 'button', { id: 'copy-doctor', secondary: true }, 'Copy report');
  copyReport.addEventListener('click', () => post({ type: 'copy', text: m.report }));
  // A provider that does not start is already in the table with its reason and fix: the verdict
  // lists what the check found (parity, speed, why there is none); the full report stays folded.
  const failed = new Set(m.result.providers.filter((p) => !p.works).map((p) => p.name));
  const lines = m.result.verdict.filter((v) => ![...failed].some((n) => v.startsWith(`${n}: does not start`)));
  doctorHost.append(
    h('h2', {}, 'GPU self-check'),
    h('ul', { class: 'verdict' }, ...lines.map((v) => h('li', {}, v))),
    failed.size ? h('p', { class: 'muted', id: 'doctor-failed' }, `${[...failed].join(', ')}: did not start; the table above says why and what to do.`) : '',
    h('details', { class: 'report' }, h('summary', {}, 'Plain-text report (for a bug report) '), h('div', { class: 'toolbar' }, copyReport), h('pre', { class: 'report', tabindex: '0' }, m.report)),
  );
}

/** "Google "SwiftShader Device (Subzero)" (cpu)" with the software label on its own line. */
function adapterCell(a: ProvidersMessage['providers'][number]['adapter']): HTMLElement | string {
  if (!a) return '';
  return h('div', { class: 'adapter' }, `${a.vendor} ${a.description}${a.architecture ? ` (${a.architecture})` : ''}, ${a.type}`, a.label ? h('div', { class: 'fix' }, a.label) : null);
}

function renderPlacement(m: Extract<HostMessage, { type: 'placement' }>): void {
  clear(placementHost);
  status.textContent = '';
  placementHost.append(
    h('h2', {}, `Node placement: ${m.model.split(/[\\/]/).pop()} on ${m.ep}`),
    h('table', { class: 'grid' }, h('thead', {}, h('tr', {}, h('th', {}, 'Provider'), h('th', { class: 'num' }, 'Nodes'), h('th', { class: 'num' }, 'Kernel ms'))), h('tbody', {}, ...m.byProvider.map((b) => h('tr', { 'data-provider-name': b.provider }, h('td', {}, b.provider), h('td', { class: 'num' }, b.nodes), h('td', { class: 'num' }, b.ms.toFixed(2)))))),
    m.fallback.length
      ? h('details', {}, h('summary', {}, `${m.fallback.length} node(s) did not run on ${m.ep}`), h('ul', {}, ...m.fallback.map((f) => h('li', {}, h('code', {}, f.op), ` ${f.name} → ${f.provider}`))))
      : h('p', { class: 'muted' }, `Every one of the ${m.nodes} nodes ran on ${m.ep}.`),
    ...(m.copies ? [h('p', { class: 'muted', id: 'copies' }, `${m.copies} copies between host and device memory (MemcpyFromHost/MemcpyToHost) around the nodes that ran elsewhere.`)] : []),
  );
}

function state(p: ProvidersMessage['providers'][number]): string {
  if (!p.compiled) return 'not in this build';
  return p.works ? 'works' : 'fails to start';
}

function markdown(m: ProvidersMessage): string {
  const rows = m.providers.map((p) => `| ${p.name} | ${state(p)} | ${p.adapter ? `${p.adapter.vendor} ${p.adapter.description} (${p.adapter.type})${p.adapter.label ? `: ${p.adapter.label}` : ''}` : ''} | ${p.reason ?? ''} | ${p.fix ?? ''} |`);
  return [`ONNX Runtime ${m.ortVersion} on ${m.platform}; order: ${m.order.join(', ')}`, '', '| provider | status | adapter | reason | fix |', '| --- | --- | --- | --- | --- |', ...rows].join('\n');
}

function render(m: ProvidersMessage): void {
  last = m;
  clear(body);
  const used = m.order.map((n) => m.providers.find((p) => p.name === n)).find((p) => p?.works);
  status.textContent = '';
  summary.textContent = `ONNX Runtime ${m.ortVersion} on ${m.platform}. ${used ? `Inference runs on: ${used.name}.` : 'No provider of the configured order works.'}`;
  const rows = m.providers.map((p) =>
    h(
      'tr',
      { 'data-provider': p.name, class: p.works ? 'ok' : p.compiled ? 'bad' : 'absent' },
      h('td', {}, h('code', {}, p.name), m.order.includes(p.name) ? '' : h('span', { class: 'muted' }, ' (not in order)')),
      h('td', { class: 'state' }, h('span', { class: 'badge' }, state(p))),
      h('td', {}, p.ms === null ? '' : `${p.ms} ms`),
      h('td', { class: 'why' }, adapterCell(p.adapter), p.reason ?? '', p.fix ? h('div', { class: 'fix' }, p.fix) : null),
    ),
  );
  body.append(
    h('table', { class: 'grid' }, h('thead', {}, h('tr', {}, h('th', {}, 'Provider'), h('th', {}, 'Status'), h('th', {}, 'Start time'), h('th', {}, 'Adapter; why not / what to do'))), h('tbody', {}, ...rows)),
    h('p', { class: 'muted' }, 'Order comes from the setting vitInspector.executionProviders; a software WebGPU adapter is used only when webgpu is listed first. ', (() => {
      const a = h('a', { href: '#' }, 'Change it');
      a.addEventListener('click', (e) => (e.preventDefault(), post({ type: 'openSettings', query: 'vitInspector.executionProviders' })));
      return a;
    })()),
  );
}

onMessage((m) => {
  if (m.type === 'providers') render(m);
  else if (m.type === 'placement') renderPlacement(m);
  else if (m.type === 'doctor') renderDoctor(m);
  else if (m.type === 'busy') {
    status.className = 'status';
    status.textContent = m.message;
  } else if (m.type === 'error') {
    status.className = 'status error';
    status.textContent = m.message;
  }
});
post({ type: 'ready' });
