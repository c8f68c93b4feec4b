/**
 * The architecture view of an .onnx file: a summary card, the module tree (virtualised:
 * only the rows in view are in the DOM, so ViT-L's thousands of nodes scroll smoothly),
 * search by name or op, and a details pane for the selected node.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import { h, clear, app, pathBreaks } from '../shared/dom';
import { post, onMessage, getState, setState } from '../shared/host';
import type { HostMessage } from '../../src/shared/protocol';
import type { InspectResult, NodeDetail } from '../../src/core/arch/inspect';
import type { TreeNode } from '../../src/core/arch/tree';
import { isSwinFamily } from '../../src/core/terms';
import { blockLayer, TRACE_FAMILIES } from '../../src/shared/tracePick';
import { paperTerm, searchText } from './term';

const ROW = 22;
const root = app();
const status = h('p', { class: 'status', role: 'status', 'aria-live': 'polite' }, 'Reading the model…');
root.append(status);

let result: InspectResult | undefined;
const expanded = new Set<string>(getState<{ expanded: string[] }>()?.expanded ?? []);
let selected: string | undefined;
let rows: { node: TreeNode; depth: number; parent: number }[] = [];
let focusIndex = 0;
let query = '';
const byId = new Map<string, TreeNode>();
const nodeDetails = new Map<number, NodeDetail>();

const fmt = {
  params: (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : String(n)),
  macs: (n: number) => (n >= 1e9 ? `${(n / 1e9).toFixed(3)}G` : n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : String(n)),
  shape: (s: (number | string | null)[] | null) => (s ? `[${s.map((d) => (d === null || d === -1 ? '?' : d)).join(', ')}]` : ''),
};

function familyName(r: InspectResult): string {
  if (r.family === 'swin-v2') return 'Swin Transformer V2';
  if (r.family === 'swin') return 'Swin Transformer';
  if (r.family === 'vit') return r.config.extraTokens > 1 ? `ViT / DeiT (${r.config.extraTokens} extra tokens)` : 'ViT';
  if (r.family === 'vit-hybrid') return `Hybrid ViT (${r.config.backbone?.kind === 'resnet' ? 'ResNet' : 'CNN'} backbone)`;
  return 'Other (not a ViT or Swin)';
}

function summaryMarkdown(r: InspectResult): string {
  const c = r.config;
  return [
    `### ${r.file.split(/[\\/]/).pop()} — ${familyName(r)}`,
    '',
    '| | |',
    '| --- | --- |',
    `| image | ${c.imageSize ?? '?'}² |`,
    `| patch | ${c.patchSize ?? '—'} |`,
    `| embed dim | ${c.embedDim ?? '—'} |`,
    `| depths | ${c.depths?.join('-') ?? '—'} |`,
    `| heads | ${c.heads?.join('-') ?? '—'} |`,
    `| window | ${c.windowSize ?? 'global'} |`,
    `| params | ${r.params.toLocaleString('en-US')} |`,
    `| MACs | ${r.macs.toLocaleString('en-US')} (${fmt.macs(r.macs)}; FLOPs = 2 × MACs) |`,
    `| opset | ${r.opset} |`,
    `| producer | ${r.producer} |`,
    `| inputs | ${r.inputs.map((i) => `${i.name} ${i.dtype}${fmt.shape(i.shape)}`).join(', ')} |`,
    `| outputs | ${r.outputs.map((i) => `${i.name} ${i.dtype}${fmt.shape(i.shape)}`).join(', ')} |`,
  ].join('\n');
}

function card(r: InspectResult): HTMLElement {
  const c = r.config;
  const fact = (k: string, v: string, id?: string) => [h('dt', {}, k), h('dd', id ? { id } : {}, v)];
  const dl = h(
    'dl',
    { class: 'facts card' },
    ...fact('Family', familyName(r), 'family'),
    ...fact('Image', c.imageSize ? `${c.imageSize}×${c.imageSize}` : '?'),
    ...(r.family !== 'other'
      ? [
          ...fact('Patch', String(c.patchSize ?? '?'), 'patch'),
          ...fact('Embed dim', String(c.embedDim ?? '?'), 'embed'),
          ...fact('Depths', c.depths?.join('-') ?? '?', 'depths'),
          ...fact('Heads', c.heads?.join('-') ?? '?', 'heads'),
          ...fact('MLP ratio', String(c.mlpRatio ?? '?')),
          ...fact('Window', c.windowSize === null ? 'global attention' : `${c.windowSize} (shift ${c.shiftSize})`, 'window'),
          ...fact('Extra tokens', `${c.extraTokens}${c.registers ? ` (${c.registers} registers)` : ''}`, 'extra'),
          ...(c.backbone
            ? [
                ...fact('Backbone', `${c.backbone.kind === 'resnet' ? 'ResNet' : 'CNN'}, stride ${c.backbone.stride ?? '? (unresolved)'}, feature map ${c.backbone.featureMap?.join('×') ?? '?'}`, 'backbone'),
                ...fact('MACs split', `backbone ${fmt.macs(c.backbone.macs)}, transformer ${fmt.macs(r.macs - c.backbone.macs)}`, 'macs-split'),
                ...fact('Backbone params', `${c.backbone.params.toLocaleString('en-US')} (${fmt.params(c.backbone.params)})`),
              ]
            : []),
        ]
      : []),
    ...fact('Classes', String(c.numClasses ?? '?')),
    ...fact('Precision', c.quantization ? `${c.precision} (${c.quantization === 'qdq' ? 'QDQ' : 'dynamic'} quantization)` : c.precision, 'precision'),
    ...fact('Params', `${r.params.toLocaleString('en-US')} (${fmt.params(r.params)})`, 'params'),
    ...fact('MACs', `${fmt.macs(r.macs)} (${r.macs.toLocaleString('en-US')}; FLOPs = 2 × MACs)`, 'macs'),
    ...fact('Opset / IR', `${r.opset} / ${r.irVersion}`),
    ...fact('Producer', r.producer || '?'),
    ...fact('Inputs', r.inputs.map((i) => `${i.name}: ${i.dtype}${fmt.shape(i.shape)}`).join(', ')),
    ...fact('Outputs', r.outputs.map((i) => `${i.name}: ${i.dtype}${fmt.shape(i.shape)}`).join(', ')),
    ...fact('Graph', `${r.numNodes} nodes, ${r.numInitializers} initializers, ${(r.fileSize / 1e6).toFixed(1)} MB ${r.shards ? `in ${r.shards} shards` : 'file'}`, 'graph-size'),
  );
  return dl;
}

function flatten(): void {
  rows = [];
  const q = query.trim().toLowerCase();
  const matches = (n: TreeNode) => searchText(n).includes(q);
  const keep = new Map<TreeNode, boolean>();
  const mark = (n: TreeNode): boolean => {
    let any = matches(n);
    for (const c of n.children) any = mark(c) || any;
    keep.set(n, any);
    return any;
  };
  if (q) mark(result!.tree);
  const walk = (n: TreeNode, depth: number, parent: number) => {
    if (q && !keep.get(n)) return;
    const i = rows.push({ node: n, depth, parent }) - 1;
    if ((q || expanded.has(n.id)) && n.children.length) for (const c of n.children) walk(c, depth + 1, i);
  };
  walk(result!.tree, 0, -1);
  focusIndex = Math.min(focusIndex, rows.length - 1);
}

const viewport = h('div', { class: 'tree-viewport', role: 'tree', tabindex: 0, 'aria-label': 'Module tree', id: 'tree' });
const spacer = h('div', { class: 'tree-spacer' });
viewport.append(spacer);
const details = h('div', { class: 'details', id: 'details', 'aria-live': 'polite' });

function renderRows(): void {
  spacer.style.height = `${rows.length * ROW}px`;
  for (const el of Array.from(spacer.children)) el.remove();
  const first = Math.max(0, Math.floor(viewport.scrollTop / ROW) - 10);
  const last = Math.min(rows.length, first + Math.ceil(viewport.clientHeight / ROW) + 20);
  for (let i = first; i < last; i++) {
    const { node, depth } = rows[i];
    const open = expanded.has(node.id) || !!query;
    const twisty = node.children.length ? (open ? '▾' : '▸') : ' ';
    const el = h(
      'div',
      {
        class: `tree-row${i === focusIndex ? ' focused' : ''}${node.id === selected ? ' selected' : ''} kind-${node.kind}`,
        role: 'treeitem',
        id: `row-${i}`,
        'data-id': node.id,
        'aria-level': depth + 1,
        'aria-expanded': node.children.length ? String(open) : undefined,
        'aria-selected': String(node.id === selected),
      },
      h('span', { class: 'twisty' }, twisty),
      h('span', { class: 'name' }, paperTerm(node) ?? node.name),
      node.repeat && node.repeat > 1 ? h('span', { class: 'badge repeat' }, `× ${node.repeat}`) : null,
      h('span', { class: 'kind' }, node.op ?? node.kind),
      h('span', { class: 'shape' }, fmt.shape(node.outputShape)),
      h('span', { class: 'num params' }, node.params ? fmt.params(node.params) : ''),
      h('span', { class: 'num macs' }, node.macs ? fmt.macs(node.macs) : ''),
    );
    // The tooltip keeps the raw graph name beside the paper's term.
    const term = paperTerm(node);
    el.title = [node.explain ?? '', term && term !== node.name ? `In the graph: ${node.name}` : ''].filter(Boolean).join('\n') || node.name;
    el.style.top = `${i * ROW}px`;
    el.style.paddingLeft = `${4 + depth * 14}px`;
    el.addEventListener('click', (e) => {
      focusIndex = i;
      if (node.children.length && (e.target as HTMLElement).classList.contains('twisty')) return toggle(node);
      select(node);
    });
    el.addEventListener('dblclick', () => node.children.length && toggle(node));
    spacer.append(el);
  }
  viewport.setAttribute('aria-activedescendant', `row-${focusIndex}`);
}

function toggle(node: TreeNode, open?: boolean): void {
  const now = expanded.has(node.id);
  if (open === now) return;
  if (open ?? !now) expanded.add(node.id);
  else expanded.delete(node.id);
  setState({ expanded: [...expanded] });
  flatten();
  renderRows();
}

function select(node: TreeNode): void {
  selected = node.id;
  renderRows();
  clear(details);
  const term = paperTerm(node);
  details.append(h('h2', {}, term ?? node.name, node.repeat && node.repeat > 1 ? ` × ${node.repeat}` : ''));
  if (term && term !== node.name) details.append(h('p', { class: 'muted raw-name', id: 'raw-name' }, 'In the graph: ', h('code', {}, ...pathBreaks(node.name))));
  if (node.explain) details.append(h('p', { class: 'explain', id: 'explain' }, node.explain));
  const kv = (k: string, v: string) => [h('dt', {}, k), h('dd', {}, v)];
  details.append(h('dl', { class: 'facts' }, ...kv('Kind', node.op ? `${node.op} (${node.role ?? 'other'})` : node.kind), ...kv('Output', fmt.shape(node.outputShape) || '?'), ...kv('Params', node.params.toLocaleString('en-US')), ...kv('MACs', node.macs.toLocaleString('en-US')), ...(node.foldedOps ? kv('Folded', `${node.foldedOps} shape ops folded to constants`) : [])));
  const d = node.node !== undefined ? nodeDetails.get(node.node) : undefined;
  if (d) {
    details.append(h('h3', {}, 'Inputs'), ioTable(d.inputs), h('h3', {}, 'Outputs'), ioTable(d.outputs));
    const attrs = Object.entries(d.attributes);
    if (attrs.length) details.append(h('h3', {}, 'Attributes'), h('table', { class: 'grid' }, h('tbody', {}, ...attrs.map(([k, v]) => h('tr', {}, h('td', {}, k), h('td', {}, h('code', {}, JSON.stringify(v).slice(0, 400))))))));
    details.append(h('p', { class: 'muted', id: 'node-name' }, 'Node name: ', ...pathBreaks(d.name || '(none)'), d.domain ? `, domain ${d.domain}` : ''));
  } else if (node.children.length) details.append(h('p', { class: 'muted' }, `${node.children.length} children. Use → to expand.`));
  if (isSwinFamily(result?.family) && (node.kind === 'block' || node.kind === 'attention')) {
    const link = h('vscode-button' as 'button', { id: 'block-relpos', secondary: true }, 'Show its relative position bias');
    // The block's module path (…/features.1.0[/attn]) picks the block in the relative-position view.
    const scope = node.id.replace(/\*.*$/, '').split('/').filter(Boolean);
    const block = node.kind === 'attention' ? scope[scope.length - 2] : scope[scope.length - 1];
    link.addEventListener('click', () => post({ type: 'command', command: 'showRelativePositionBias', block }));
    details.append(link);
  }
  // A stage, block or attention module: follow one token through that block (its first block for a stage).
  const layer = result && TRACE_FAMILIES.includes(result.family) && ['stage', 'block', 'attention'].includes(node.kind) ? blockLayer(result, node.id) : null;
  if (layer !== null) {
    const step = h('vscode-button' as 'button', { id: 'block-trace', secondary: true, 'data-layer': layer, title: 'Step Through the Forward Pass: one token of an image through this block, step by step' }, `Step through block ${layer}…`);
    step.addEventListener('click', () => post({ type: 'stepThrough', layer }));
    details.append(step);
  }
}

/** Inputs/Outputs as a list, one tensor per entry (name, then type and shape below): long graph names wrap and nothing is cut at any width. */
function ioTable(list: NodeDetail['inputs']): HTMLElement {
  return h(
    'ul',
    { class: 'io-list' },
    ...list.map((x) =>
      h(
        'li',
        {},
        h('code', { class: 'io-name' }, ...pathBreaks(x.name || '(none)')),
        h('span', { class: 'io-type' }, `${x.dtype} ${fmt.shape(x.shape)}`.trim(), x.initializer ? ` · initializer [${x.initializer.dims.join(', ')}] ${x.initializer.location}` : ''),
      ),
    ),
  );
}

function ensureVisible(): void {
  const top = focusIndex * ROW;
  if (top < viewport.scrollTop) viewport.scrollTop = top;
  else if (top + ROW > viewport.scrollTop + viewport.clientHeight) viewport.scrollTop = top + ROW - viewport.clientHeight;
}

viewport.addEventListener('scroll', () => requestAnimationFrame(renderRows));
viewport.addEventListener('keydown', (e) => {
  if (!rows.length) return;
  const row = rows[focusIndex];
  let handled = true;
  switch (e.key) {
    case 'ArrowDown': focusIndex = Math.min(rows.length - 1, focusIndex + 1); break;
    case 'ArrowUp': focusIndex = Math.max(0, focusIndex - 1); break;
    case 'Home': focusIndex = 0; break;
    case 'End': focusIndex = rows.length - 1; break;
    case 'PageDown': focusIndex = Math.min(rows.length - 1, focusIndex + Math.floor(viewport.clientHeight / ROW)); break;
    case 'PageUp': focusIndex = Math.max(0, focusIndex - Math.floor(viewport.clientHeight / ROW)); break;
    case 'ArrowRight':
      if (row.node.children.length && !expanded.has(row.node.id)) toggle(row.node, true);
      else if (row.node.children.length) focusIndex++;
      break;
    case 'ArrowLeft':
      if (expanded.has(row.node.id)) toggle(row.node, false);
      else if (row.parent >= 0) focusIndex = row.parent;
      break;
    case 'Enter':
    case ' ':
      select(row.node);
      break;
    default: handled = false;
  }
  if (handled) {
    e.preventDefault();
    ensureVisible();
    renderRows();
  }
});

function render(r: InspectResult): void {
  result = r;
  byId.clear();
  nodeDetails.clear();
  for (const d of r.nodes ?? []) nodeDetails.set(d.index, d);
  const index = (n: TreeNode, depth: number) => {
    byId.set(n.id, n);
    if (depth < 2 && !getState()) expanded.add(n.id);
    n.children.forEach((c) => index(c, depth + 1));
  };
  index(r.tree, 0);
  clear(root);
  const search = h('input', { id: 'search', type: 'search', placeholder: 'Search names, ops and explanations (e.g. Softmax, scale)', class: 'text-input', 'aria-label': 'Search the tree' });
  search.addEventListener('input', () => {
    query = search.value;
    flatten();
    viewport.scrollTop = 0;
    renderRows();
    status.textContent = query ? `${rows.length} rows match "${query}"` : '';
  });
  const copy = h('vscode-button' as 'button', { id: 'copy', secondary: true }, 'Copy summary as Markdown');
  copy.addEventListener('click', () => post({ type: 'copy', text: summaryMarkdown(r) }));
  const size = h('input', { id: 'image-size', type: 'number', min: 1, max: 10000, value: r.imageSize?.[0] ?? '', class: 'num-input', 'aria-label': 'Input image size' });
  size.addEventListener('change', () => post({ type: 'reinspect', imageSize: size.value ? Number(size.value) : null }));
  const actions = h('div', { class: 'toolbar' }, copy);
  if (r.family !== 'other') {
    const cx = h('vscode-button' as 'button', { id: 'complexity', secondary: true }, 'Compare window complexity');
    cx.addEventListener('click', () => post({ type: 'command', command: 'compareComplexity' }));
    actions.append(cx);
  }
  if (r.family !== 'other') {
    const em = h('vscode-button' as 'button', { id: 'embeddings', secondary: true }, 'Embeddings & attention distance');
    em.addEventListener('click', () => post({ type: 'command', command: 'showEmbeddings' }));
    actions.append(em);
  }
  if (/\.safetensors$|\.safetensors\.index\.json$/i.test(r.file)) {
    // A checkpoint: its graph was built here; offer it as a standard ONNX file.
    const ex = h('vscode-button' as 'button', { id: 'export-onnx', secondary: true }, 'Export to ONNX…');
    ex.addEventListener('click', () => post({ type: 'command', command: 'exportOnnx' }));
    actions.append(ex);
  }
  if (isSwinFamily(r.family)) {
    const sw = h('vscode-button' as 'button', { id: 'windows', secondary: true }, 'Show shifted windows');
    sw.addEventListener('click', () => post({ type: 'command', command: 'showShiftedWindows' }));
    const rp = h('vscode-button' as 'button', { id: 'relpos', secondary: true }, 'Relative position bias');
    rp.addEventListener('click', () => post({ type: 'command', command: 'showRelativePositionBias' }));
    actions.append(sw, rp);
  }
  const use = h('vscode-button' as 'button', { id: 'use', secondary: true }, 'Use for classification');
  use.addEventListener('click', () => post({ type: 'command', command: 'selectModel' }));
  actions.append(use, h('label', { for: 'image-size' }, 'Input size '), size);
  const warnings = r.warnings.length ? h('ul', { class: 'warnings', id: 'warnings' }, ...r.warnings.map((w) => h('li', { class: 'warning' }, w))) : null;
  const head = h('div', { class: 'tree-head' }, h('span', { class: 'name' }, 'Module'), h('span', { class: 'kind' }, 'Kind'), h('span', { class: 'shape' }, 'Output'), h('span', { class: 'num' }, 'Params'), h('span', { class: 'num' }, 'MACs'));
  root.append(
    h('h1', {}, r.file.split(/[\\/]/).pop()!),
    warnings ?? '',
    card(r),
    actions,
    h('div', { class: 'arch-layout' }, h('div', { class: 'tree-pane' }, search, status, head, viewport), details),
  );
  status.textContent = '';
  flatten();
  renderRows();
}

onMessage((m: HostMessage) => {
  if (m.type === 'architecture') {
    render(m.result);
  } else if (m.type === 'busy') status.textContent = m.message;
  else if (m.type === 'error') {
    clear(root);
    const retry = h('vscode-button' as 'button', { id: 'retry' }, 'Retry');
    retry.addEventListener('click', () => {
      retry.setAttribute('disabled', '');
      retry.textContent = 'Reading…';
      post({ type: 'refresh' });
    });
    root.append(h('h1', {}, 'This model cannot be shown'), h('p', { class: 'error', id: 'error', role: 'alert' }, m.message), h('div', { class: 'toolbar' }, retry));
    if (m.tensors?.length) {
      // A checkpoint of an architecture not built: its tensors, as Netron lists them.
      const rows = m.tensors.map((t) => h('tr', {}, h('td', {}, t.name), h('td', {}, t.dtype), h('td', {}, `[${t.shape.join(', ')}]`), h('td', {}, String(t.bytes))));
      root.append(
        h('h2', {}, `Tensors (${m.tensors.length})`),
        h('table', { id: 'tensors' }, h('thead', {}, h('tr', {}, h('th', {}, 'name'), h('th', {}, 'dtype'), h('th', {}, 'shape'), h('th', {}, 'bytes'))), h('tbody', {}, ...rows)),
      );
    }
  }
});
post({ type: 'ready' });
