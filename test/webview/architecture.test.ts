// The .onnx architecture view (webview/architecture) in real Chromium, fed what the host would
// send for the committed torchvision exports: summary card, virtualised tree, search, keyboard.
import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { inspectModel } from '../../src/core/arch/inspect';
import { closeBrowser, launchBrowser, openPanel, startServer, type PanelPage, type StaticServer } from './harness';
import { root } from './browser';

const fixture = (name: string) => join(root, 'test', 'fixtures', 'models', `${name}.onnx`);

describe('webview: architecture view', function () {
  this.timeout(60_000);
  let browser: Browser;
  let server: StaticServer;
  let panel: PanelPage;
  const swin = inspectModel(fixture('swin_t'), { details: true });

  before(async function () {
    this.timeout(90_000);
    server = await startServer();
    browser = await launchBrowser();
  });
  after(async function () {
    this.timeout(30_000);
    await closeBrowser(browser);
    await server?.close();
  });
  beforeEach(async () => (panel = await openPanel(browser, server, 'architecture', { height: 900, width: 1200 })));
  afterEach(async () => panel?.close());

  it('names the family and config of Swin-T in the summary card', async () => {
    await panel.send({ type: 'architecture', result: swin, modelPath: fixture('swin_t') });
    assert.equal(await panel.page.textContent('#family'), 'Swin Transformer');
    assert.equal(await panel.page.textContent('#depths'), '2-2-6-2');
    assert.equal(await panel.page.textContent('#heads'), '3-6-12-24');
    assert.equal(await panel.page.textContent('#window'), '7 (shift 3)');
    assert.match((await panel.page.textContent('#params'))!, /^28,288,354/);
    assert.match((await panel.page.textContent('#macs'))!, /^4\.49\dG/);
    assert.match((await panel.page.textContent('#warnings'))!, /weights are absent/);
    await panel.screenshot('architecture');
    assert.deepEqual(await panel.cspViolations(), []);
    assert.deepEqual(panel.errors.filter((e) => !/Failed to load resource/.test(e)), []);
  });

  it('keeps only the visible rows in the DOM while searching through every node', async () => {
    await panel.send({ type: 'architecture', result: swin, modelPath: fixture('swin_t') });
    await panel.page.fill('#search', 'Softmax');
    const inDom = await panel.page.locator('.tree-row').count();
    const total = await panel.page.evaluate(() => parseInt((document.querySelector('.tree-spacer') as HTMLElement).style.height, 10) / 22);
    assert.ok(total > 12, `search found ${total} rows`);
    assert.ok(inDom <= total && inDom < 80, `${inDom} rows in the DOM`);
    assert.ok(await panel.page.locator('.tree-row .kind', { hasText: 'Softmax' }).count() >= 1);
  });

  it('is keyboard navigable: arrows move and expand, Enter shows the details of the node', async () => {
    await panel.send({ type: 'architecture', result: swin, modelPath: fixture('swin_t') });
    await panel.page.focus('#tree');
    await panel.page.keyboard.press('ArrowDown');
    await panel.page.keyboard.press('Enter');
    assert.equal(await panel.page.textContent('#details h2'), 'features');
    await panel.page.keyboard.press('ArrowDown');
    await panel.page.keyboard.press('ArrowRight');
    await panel.page.keyboard.press('ArrowRight');
    await panel.page.keyboard.press('Enter');
    assert.match((await panel.page.textContent('#details'))!, /Conv|patchEmbed|Output/);
  });

  it('shows the reason when the model cannot be read', async () => {
    await panel.send({ type: 'error', message: 'x.onnx is not a valid ONNX model: the file is damaged.' });
    assert.match((await panel.page.textContent('#error'))!, /not a valid ONNX model/);
  });
});
