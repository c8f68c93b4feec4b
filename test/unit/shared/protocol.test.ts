import assert from 'node:assert/strict';
import { parseWebviewMessage, type WebviewMessage } from '../../../src/shared/protocol';

type Kind = WebviewMessage['type'];

/**
 * Every kind a webview may send: messages the host accepts (with what it keeps) and ones it must
 * drop. Typed by kind, so a kind added to the protocol without a case here does not compile.
 */
const cases: { [K in Kind]: { accepts: [unknown, Extract<WebviewMessage, { type: K }>][]; rejects: unknown[] } } = {
  ready: { accepts: [[{ type: 'ready' }, { type: 'ready' }], [{ type: 'ready', extra: 'dropped' }, { type: 'ready' }]], rejects: [] },
  refresh: { accepts: [[{ type: 'refresh', x: 1 }, { type: 'refresh' }]], rejects: [] },
  copy: {
    accepts: [[{ type: 'copy', text: 'x' }, { type: 'copy', text: 'x' }], [{ type: 'copy', text: '' }, { type: 'copy', text: '' }]],
    rejects: [{ type: 'copy' }, { type: 'copy', text: 42 }, { type: 'copy', text: 'x'.repeat(1_000_001) }],
  },
  openSettings: {
    accepts: [[{ type: 'openSettings', query: 'vitInspector.executionProviders' }, { type: 'openSettings', query: 'vitInspector.executionProviders' }]],
    rejects: [{ type: 'openSettings' }, { type: 'openSettings', query: 'q'.repeat(201) }, { type: 'openSettings', query: ['a'] }],
  },
  rerun: {
    accepts: [[{ type: 'rerun' }, { type: 'rerun', ep: undefined }], [{ type: 'rerun', ep: 'cuda' }, { type: 'rerun', ep: 'cuda' }]],
    rejects: [{ type: 'rerun', ep: 'CUDA' }, { type: 'rerun', ep: 'cpu; rm -rf' }, { type: 'rerun', ep: 'a'.repeat(21) }, { type: 'rerun', ep: 3 }, { type: 'rerun', ep: null }],
  },
  wantAttention: { accepts: [[{ type: 'wantAttention', layers: [1] }, { type: 'wantAttention' }]], rejects: [] },
  wantAttentionLayers: {
    accepts: [[{ type: 'wantAttentionLayers', layers: [0, 11], extra: 1 }, { type: 'wantAttentionLayers', layers: [0, 11] }]],
    rejects: [{ type: 'wantAttentionLayers' }, { type: 'wantAttentionLayers', layers: [-1] }, { type: 'wantAttentionLayers', layers: [1.5] }, { type: 'wantAttentionLayers', layers: '1' }, { type: 'wantAttentionLayers', layers: new Array(10_001).fill(0) }],
  },
  placement: { accepts: [[{ type: 'placement' }, { type: 'placement' }]], rejects: [] },
  explain: {
    accepts: [
      [{ type: 'explain', method: 'occlusion', class: 3, window: 8, stride: 4 }, { type: 'explain', method: 'occlusion', class: 3, window: 8, stride: 4 }],
      [{ type: 'explain', method: 'rise', className: 'Ankle boot', masks: 500, seed: 0, extra: 1 }, { type: 'explain', method: 'rise', className: 'Ankle boot', masks: 500, seed: 0 }],
    ],
    rejects: [{ type: 'explain' }, { type: 'explain', method: 'gradcam' }, { type: 'explain', method: 'occlusion', window: 0 }, { type: 'explain', method: 'rise', masks: 2.5 }, { type: 'explain', method: 'rise', class: -1 }, { type: 'explain', method: 'rise', className: 7 }],
  },
  cancelExplain: { accepts: [[{ type: 'cancelExplain' }, { type: 'cancelExplain' }]], rejects: [] },
  showDistance: { accepts: [[{ type: 'showDistance', layers: 'x' }, { type: 'showDistance' }]], rejects: [] },
  distanceFolder: { accepts: [[{ type: 'distanceFolder', folder: '/etc' }, { type: 'distanceFolder' }]], rejects: [] },
  doctor: { accepts: [[{ type: 'doctor', extra: 1 }, { type: 'doctor' }]], rejects: [] },
  pickModel: { accepts: [[{ type: 'pickModel', path: '/etc/passwd' }, { type: 'pickModel' }]], rejects: [] },
  trace: {
    accepts: [[{ type: 'trace', layer: 2, head: 1, token: 17, extra: 1 }, { type: 'trace', layer: 2, head: 1, token: 17 }]],
    rejects: [{ type: 'trace', layer: -1, head: 0, token: 0 }, { type: 'trace', layer: 0, head: 0.5, token: 0 }, { type: 'trace', layer: 0, head: 0 }],
  },
  stepThrough: {
    accepts: [
      [{ type: 'stepThrough' }, { type: 'stepThrough' }],
      [{ type: 'stepThrough', layer: 3, head: 1, token: 50, model: '/etc/passwd' }, { type: 'stepThrough', layer: 3, head: 1, token: 50 }],
      [{ type: 'stepThrough', layer: 0 }, { type: 'stepThrough', layer: 0 }],
    ],
    rejects: [{ type: 'stepThrough', layer: -1 }, { type: 'stepThrough', head: 1.5 }, { type: 'stepThrough', token: '3' }, { type: 'stepThrough', layer: 1e7 }],
  },
  openFile: {
    accepts: [[{ type: 'openFile', path: '/w/out.csv' }, { type: 'openFile', path: '/w/out.csv' }]],
    rejects: [{ type: 'openFile' }, { type: 'openFile', path: 7 }, { type: 'openFile', path: 'p'.repeat(4097) }],
  },
  cancel: { accepts: [[{ type: 'cancel', x: 1 }, { type: 'cancel' }]], rejects: [] },
  addModel: { accepts: [[{ type: 'addModel', path: '/etc/passwd' }, { type: 'addModel' }]], rejects: [] },
  pickFolder: { accepts: [[{ type: 'pickFolder', folder: '/etc' }, { type: 'pickFolder' }]], rejects: [] },
  showImage: {
    accepts: [
      [{ type: 'showImage', path: 'coat/a.png', attention: true, x: 1 }, { type: 'showImage', path: 'coat/a.png', attention: true }],
      [{ type: 'showImage', path: 'coat/a.png', attention: false, model: '/m/swin.onnx' }, { type: 'showImage', path: 'coat/a.png', attention: false, model: '/m/swin.onnx' }],
    ],
    rejects: [{ type: 'showImage', path: 'a.png' }, { type: 'showImage', path: 3, attention: false }, { type: 'showImage', path: 'p'.repeat(4097), attention: false }, { type: 'showImage', path: 'a.png', attention: false, model: 7 }],
  },
  measure: {
    accepts: [
      [
        { type: 'measure', h: 56, w: 56, dim: 96, heads: 3, windows: [7, null] },
        { type: 'measure', h: 56, w: 56, dim: 96, heads: 3, windows: [7, null] },
      ],
      [{ type: 'measure', h: 1, w: 1e6, dim: 1, heads: 1, windows: [] }, { type: 'measure', h: 1, w: 1e6, dim: 1, heads: 1, windows: [] }],
    ],
    rejects: [
      { type: 'measure', h: 0, w: 56, dim: 96, heads: 3, windows: [7] },
      { type: 'measure', h: 56, w: 56.5, dim: 96, heads: 3, windows: [7] },
      { type: 'measure', h: 56, w: 56, dim: 1e6 + 1, heads: 3, windows: [7] },
      { type: 'measure', h: 56, w: 56, dim: 96, windows: [7] },
      { type: 'measure', h: 56, w: 56, dim: 96, heads: 3, windows: [0] },
      { type: 'measure', h: 56, w: 56, dim: 96, heads: 3, windows: [2.5] },
      { type: 'measure', h: 56, w: 56, dim: 96, heads: 3, windows: '7' },
      { type: 'measure', h: 56, w: 56, dim: 96, heads: 3, windows: new Array(65).fill(7) },
      { type: 'measure', h: '56', w: 56, dim: 96, heads: 3, windows: [7] },
    ],
  },
  reinspect: {
    accepts: [[{ type: 'reinspect', imageSize: 384 }, { type: 'reinspect', imageSize: 384 }], [{ type: 'reinspect', imageSize: null }, { type: 'reinspect', imageSize: null }]],
    rejects: [{ type: 'reinspect' }, { type: 'reinspect', imageSize: 0 }, { type: 'reinspect', imageSize: 10_001 }, { type: 'reinspect', imageSize: 224.5 }, { type: 'reinspect', imageSize: '224' }],
  },
  command: {
    accepts: [
      ...(['compareComplexity', 'showShiftedWindows', 'selectModel', 'showRelativePositionBias', 'showEmbeddings', 'exportOnnx'] as const).map((command): [unknown, Extract<WebviewMessage, { type: 'command' }>] => [{ type: 'command', command }, { type: 'command', command }]),
      [{ type: 'command', command: 'showRelativePositionBias', block: 'features.1.0' }, { type: 'command', command: 'showRelativePositionBias', block: 'features.1.0' }],
    ],
    rejects: [{ type: 'command' }, { type: 'command', command: 'workbench.action.terminal.new' }, { type: 'command', command: 'classifyImage' }, { type: 'command', command: 'showRelativePositionBias', block: 7 }, { type: 'command', command: 'showRelativePositionBias', block: 'x'.repeat(501) }],
  },
  save: {
    accepts: (['svg', 'png', 'csv', 'md'] as const).map((format) => [
      { type: 'save', format, name: `attention-1.${format}`, data: 'd' },
      { type: 'save', format, name: `attention-1.${format}`, data: 'd' },
    ]),
    rejects: [
      { type: 'save', format: 'exe', name: 'a.exe', data: 'd' },
      { type: 'save', format: 'svg', name: '../a.svg', data: 'd' },
      { type: 'save', format: 'svg', name: 'a b.svg', data: 'd' },
      { type: 'save', format: 'svg', name: `${'n'.repeat(201)}`, data: 'd' },
      { type: 'save', format: 'svg', name: 'a.svg' },
      { type: 'save', format: 'svg', name: 'a.svg', data: 3 },
    ],
  },
};

describe('webview message validation', () => {
  it('accepts the known messages and drops anything else', () => {
    assert.deepEqual(parseWebviewMessage({ type: 'ready' }), { type: 'ready' });
    assert.deepEqual(parseWebviewMessage({ type: 'copy', text: 'x' }), { type: 'copy', text: 'x' });
    assert.equal(parseWebviewMessage({ type: 'copy', text: 42 }), undefined);
    assert.equal(parseWebviewMessage({ type: 'runShell', cmd: 'rm' }), undefined);
    assert.equal(parseWebviewMessage(null), undefined);
  });

  for (const kind of Object.keys(cases) as Kind[]) {
    const { accepts, rejects } = cases[kind];
    it(`${kind}: keeps only the fields it knows${rejects.length ? `, drops ${rejects.length} malformed` : ''}`, () => {
      assert.ok(accepts.length > 0);
      for (const [raw, want] of accepts) assert.deepEqual(parseWebviewMessage(raw), want, JSON.stringify(raw));
      for (const raw of rejects) assert.equal(parseWebviewMessage(raw), undefined, JSON.stringify(raw).slice(0, 200));
    });
  }

  it('drops what is not a message: no object, no or unknown type', () => {
    for (const raw of [undefined, null, 0, 'ready', ['ready'], {}, { type: 42 }, { type: 'READY' }, { type: 'runShell', cmd: 'rm' }, { type: '__proto__' }, { type: 'toString' }])
      assert.equal(parseWebviewMessage(raw), undefined, String(raw));
  });
});
