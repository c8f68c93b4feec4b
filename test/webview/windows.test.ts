// Show Shifted Windows (webview/windows) in real Chromium: partitions, the cyclic shift and the mask.
import * as assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { closeBrowser, launchBrowser, openPanel, startServer, type PanelPage, type StaticServer } from './harness';

describe('webview: shifted windows panel', function () {
  let browser: Browser;
  let server: StaticServer;
  let panel: PanelPage;
  const stages = { type: 'windows', model: null, stages: [{ name: 'Swin-T stage 1', H: 56, W: 56, M: 7 }, { name: 'Swin-T stage 3', H: 14, W: 14, M: 7 }] };

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
  beforeEach(async () => (panel = await openPanel(browser, server, 'windows', { height: 1400 })));
  afterEach(async () => panel?.close());

  it('starts on the model\'s first stage and counts the windows before and after the shift', async () => {
    await panel.send(stages);
    // 56×56, M=7: 64 windows; a naive shift would need 9×9 = 81; the cyclic shift keeps 64.
    assert.equal(await panel.page.getAttribute('[role=status]', 'data-counts'), '64,81,64');
    assert.match((await panel.page.textContent('[role=status]'))!, /shift s=⌊M\/2⌋=3/);
    // (Chromium's first page load asks for /favicon.ico, which the static server does not have.)
    assert.deepEqual(panel.errors.filter((e) => !/Failed to load resource/.test(e)), []);
  });

  it('draws the mask of a chosen window: the bottom-right window of an 8×8 map mixes four regions', async () => {
    await panel.send(stages);
    await panel.page.fill('#h', '8');
    await panel.page.dispatchEvent('#h', 'change');
    await panel.page.fill('#w', '8');
    await panel.page.dispatchEvent('#w', 'change');
    await panel.page.fill('#m', '4');
    await panel.page.dispatchEvent('#m', 'change');
    await panel.page.selectOption('#window', '3');
    // Window 3 of a 2×2 partition, shift 2: four 2×2 regions of 4 tokens → 4 × 4² = 64 allowed pairs of 256.
    assert.equal(await panel.page.getAttribute('#mask', 'data-allowed'), '64');
    await panel.page.selectOption('#window', '0');
    assert.equal(await panel.page.getAttribute('#mask', 'data-allowed'), '256');
    await panel.page.click('[data-step="2"]');
    await panel.page.selectOption('#window', '3');
    await panel.screenshot('windows');
    assert.deepEqual(await panel.cspViolations(), []);
    assert.deepEqual(panel.errors, []);
  });

  it('says what is wrong with an impossible size instead of drawing', async () => {
    await panel.send(stages);
    await panel.page.fill('#m', '0');
    await panel.page.dispatchEvent('#m', 'change');
    assert.match((await panel.page.textContent('[role=status]'))!, /positive whole numbers/);
  });
});
