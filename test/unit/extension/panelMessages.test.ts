/**
 * A webview sending malformed or hostile messages: the host's Panel base (every panel's message
 * path) validates each one, ignores and logs what it does not accept, and keeps working: a valid
 * message after them is handled, a handler that throws is reported and the next message still runs.
 */
import '../helpers/fakeVscode';
import assert from 'node:assert/strict';
import { clipboard } from '../helpers/fakeVscode';
import { Panel, type Accepts } from '../../../src/extension/panels/panel';
import type { Services } from '../../../src/extension/context';
import type { WebviewMessage } from '../../../src/shared/protocol';

type M = Accepts<'ready' | 'copy' | 'refresh'>;

/** A panel that accepts ready, copy and refresh (refresh throws, as a failing handler would). */
class Probe extends Panel<M> {
  readonly handled: WebviewMessage[] = [];
  constructor(panel: never, services: Services) {
    super(panel, services, { kind: 'windows', title: 'Probe', what: 'Probe', key: null, accepts: ['ready', 'copy', 'refresh'] });
  }
  protected async handle(m: M): Promise<void> {
    this.handled.push(m);
    if (m.type === 'copy') await this.copy(m.text);
    if (m.type === 'refresh') throw new Error('handler failed');
  }
}

function open() {
  let receive: ((raw: unknown) => Promise<void>) | undefined;
  const warnings: string[] = [];
  const reported: unknown[] = [];
  const posted: unknown[] = [];
  const webview = {
    options: {},
    html: '',
    cspSource: 'vscode-resource:',
    asWebviewUri: (u: unknown) => u,
    onDidReceiveMessage: (f: (raw: unknown) => Promise<void>) => ((receive = f), { dispose() {} }),
    postMessage: async (m: unknown) => (posted.push(m), true),
  };
  const panel = { viewType: 'vitInspector.probe', webview, onDidDispose: () => ({ dispose() {} }), reveal() {} };
  const services = { extensionUri: { path: '/ext' }, log: { warn: (m: string) => warnings.push(m) }, report: (e: unknown) => reported.push(e) } as unknown as Services;
  const probe = new Probe(panel as never, services);
  return { probe, warnings, reported, posted, send: (raw: unknown) => receive!(raw) };
}

const huge = 'x'.repeat(60_000_000);
/** Every kind of the protocol with wrong types, oversized strings, and things that are no message. */
const hostile: unknown[] = [
  undefined, null, 0, 1e308, 'ready', '', ['ready'], {}, { type: null }, { type: 42 }, { type: 'READY' }, { type: 'runShell', cmd: 'rm -rf /' },
  { type: '__proto__' }, { type: 'constructor' }, { type: 'toString' }, JSON.parse('{"type":"copy","__proto__":{"polluted":true},"text":7}'),
  { type: 'copy' }, { type: 'copy', text: 42 }, { type: 'copy', text: ['x'] }, { type: 'copy', text: huge },
  { type: 'openSettings', query: huge }, { type: 'openSettings', query: {} },
  { type: 'rerun', ep: 'cpu; rm -rf' }, { type: 'rerun', ep: huge }, { type: 'rerun', ep: 3 },
  { type: 'measure', h: -1, w: 56, dim: 96, heads: 3, windows: [7] }, { type: 'measure', h: 56, w: 56, dim: 96, heads: 3, windows: new Array(1000).fill(7) }, { type: 'measure', h: '56', w: 56, dim: 96, heads: 3, windows: [] },
  { type: 'save', format: 'exe', name: 'a.exe', data: 'd' }, { type: 'save', format: 'svg', name: '../../etc/passwd', data: 'd' }, { type: 'save', format: 'png', name: 'a.png', data: huge + huge },
  { type: 'reinspect', imageSize: 1e9 }, { type: 'reinspect', imageSize: '224' },
  { type: 'command', command: 'workbench.action.terminal.new' }, { type: 'command', command: 'showRelativePositionBias', block: huge },
  { type: 'openFile', path: huge }, { type: 'openFile', path: null },
  // Valid messages of kinds this panel does not accept are ignored the same way.
  { type: 'pickModel' }, { type: 'doctor' }, { type: 'save', format: 'svg', name: 'a.svg', data: '<svg/>' },
];

describe('a webview sending malformed or hostile messages', () => {
  it('each is ignored and logged; nothing reaches the handler; the prototype is untouched', async () => {
    const { probe, warnings, reported, send } = open();
    for (const raw of hostile) await send(raw);
    assert.deepEqual(probe.handled, []);
    assert.equal(warnings.length, hostile.length);
    assert.ok(warnings.every((w) => w === 'ignored an invalid message from the Probe panel'), warnings[0]);
    assert.deepEqual(reported, []);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('the panel keeps working: a valid message after them is handled, unknown fields dropped', async () => {
    const { probe, send } = open();
    for (const raw of hostile) await send(raw);
    await send({ type: 'copy', text: 'tokens 56×56', extra: huge });
    await send({ type: 'ready', evil: { nested: [1, 2, 3] } });
    assert.deepEqual(probe.handled, [{ type: 'copy', text: 'tokens 56×56' }, { type: 'ready' }]);
    assert.equal(clipboard.at(-1), 'tokens 56×56');
  });

  it('a handler that throws is reported once, and the next message still runs', async () => {
    const { probe, reported, send } = open();
    await send({ type: 'refresh' });
    await send({ type: 'ready' });
    assert.equal(reported.length, 1);
    assert.match((reported[0] as Error).message, /handler failed/);
    assert.deepEqual(probe.handled, [{ type: 'refresh' }, { type: 'ready' }]);
  });
});

describe('what a panel shows is held until its webview is ready', () => {
  const progress = (done: number) => ({ type: 'evaluateProgress', folder: '/f', model: 'vit', index: 0, models: 1, done, total: 6 }) as const;

  it('an update before the page is ready is posted once it is, only the latest, and again when the page reloads', async () => {
    const { probe, posted, send } = open();
    probe.update(progress(1));
    probe.update(progress(2));
    assert.deepEqual(posted, [], 'nothing is posted to a page that is still loading');
    await send({ type: 'ready' });
    assert.deepEqual(posted, [progress(2)]);
    await send({ type: 'ready' });
    assert.deepEqual(posted, [progress(2), progress(2)]);
    assert.deepEqual(probe.handled, [{ type: 'ready' }, { type: 'ready' }], 'the panel still sees ready');
  });

  it('an update after the page is ready is posted at once', async () => {
    const { probe, posted, send } = open();
    await send({ type: 'ready' });
    assert.deepEqual(posted, [], 'nothing held, nothing posted');
    probe.update(progress(3));
    assert.deepEqual(posted, [progress(3)]);
  });
});
