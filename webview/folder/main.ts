import '@vscode-elements/elements/dist/vscode-button/index.js';
import { h, clear, app } from '../shared/dom';
import { post, onMessage } from '../shared/host';
import type { FolderRow, HostMessage } from '../../src/shared/protocol';

type FolderMessage = Extract<HostMessage, { type: 'folder' }>;
type Key = 'image' | 'label' | 'prob';

const root = app();
const title = h('h1', {}, 'Classifying…');
const status = h('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
const tableHost = h('div');
root.append(title, status, tableHost);

let sortKey: Key = 'image';
let ascending = true;
let last: FolderMessage | undefined;

function sorted(rows: FolderRow[]): FolderRow[] {
  const dir = ascending ? 1 : -1;
  // By image: the order the host sent, which is the CSV's (folder by folder, names by localeCompare);
  // comparing whole paths as strings put them in another order than the file beside it.
  if (sortKey === 'image') return ascending ? [...rows] : [...rows].reverse();
  return [...rows].sort((a, b) => {
    const va = a[sortKey] ?? (sortKey === 'prob' ? -1 : '');
    const vb = b[sortKey] ?? (sortKey === 'prob' ? -1 : '');
    return (va < vb ? -1 : va > vb ? 1 : 0) * dir;
  });
}

function header(key: Key, label: string): HTMLElement {
  const th = h('th', { scope: 'col', 'aria-sort': sortKey === key ? (ascending ? 'ascending' : 'descending') : 'none' });
  const b = h('button', { class: 'sort', 'data-key': key }, label + (sortKey === key ? (ascending ? ' ▲' : ' ▼') : ''));
  b.addEventListener('click', () => {
    ascending = sortKey === key ? !ascending : key !== 'prob';
    sortKey = key;
    if (last) render(last);
  });
  th.append(b);
  return th;
}

function render(m: FolderMessage): void {
  last = m;
  const failed = m.rows.filter((r) => r.error).length;
  title.textContent = `${m.done ? 'Classified' : 'Classifying'} ${m.folder}`;
  clear(status);
  status.append(`${m.rows.length - failed} classified, ${failed} unreadable, with ${m.model} on ${m.ep || '…'}.`);
  for (const w of m.written) {
    const a = h('a', { href: '#' }, w.split(/[\\/]/).pop()!);
    a.addEventListener('click', (e) => (e.preventDefault(), post({ type: 'openFile', path: w })));
    status.append(' ', a);
  }
  clear(tableHost);
  const body = h('tbody');
  for (const r of sorted(m.rows)) {
    const link = h('a', { href: '#' }, r.image);
    link.addEventListener('click', (e) => (e.preventDefault(), post({ type: 'openFile', path: r.image })));
    body.append(
      h('tr', { class: r.error ? 'bad' : '' }, h('td', {}, link), h('td', {}, r.error ? h('span', { class: 'error' }, r.error) : `${r.label} (${r.index})`), h('td', { class: 'num' }, r.prob === undefined ? '' : `${(r.prob * 100).toFixed(1)}%`)),
    );
  }
  tableHost.append(h('table', { class: 'grid', id: 'results' }, h('thead', {}, h('tr', {}, header('image', 'Image'), header('label', 'Class'), header('prob', 'Probability'))), body));
}

/** The run failed (a model that cannot load, a run that fails): say so, with what to do next; nothing was written. */
function failed(message: string): void {
  title.textContent = last ? `Stopped classifying ${last.folder}` : 'Could not classify the folder';
  clear(status);
  const retry = h('vscode-button' as 'button', { id: 'retry' }, 'Retry');
  retry.addEventListener('click', () => post({ type: 'rerun' }));
  const other = h('vscode-button' as 'button', { id: 'pick-model', secondary: true }, 'Select another model…');
  other.addEventListener('click', () => post({ type: 'pickModel' }));
  status.append(h('p', { class: 'error', id: 'error', role: 'alert' }, message), h('p', { class: 'muted' }, 'No result files were written.'), h('div', { class: 'toolbar' }, retry, other));
}

onMessage((m) => {
  if (m.type === 'folder') render(m);
  else if (m.type === 'error') failed(m.message);
});
post({ type: 'ready' });
