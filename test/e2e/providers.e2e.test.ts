// In a real VS Code (code-server) with the packaged .vsix installed: open samples/, run
// "ViT Inspector: Show Execution Providers" from the command palette, read the panel.
import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import {
  closeBrowser,
  ensureVsix,
  explorerContextMenu,
  findWebviewFrame,
  launchBrowser,
  notifications,
  openWorkbench,
  root,
  runCommand,
  screenshot,
  startCodeServer,
  waitForActivation,
  type CodeServer,
} from './harness';

describe('e2e: ViT Inspector in code-server', function () {
  this.timeout(120_000);
  let cs: CodeServer | undefined;
  let browser: Browser | undefined;
  let page: Page | undefined;

  before(async function () {
    this.timeout(8 * 60_000); // may package the .vsix
    const vsix = ensureVsix();
    cs = await startCodeServer({ vsix, name: 'providers' });
    browser = await launchBrowser();
    page = await openWorkbench(browser, cs, join(root, 'samples'));
  });

  after(async function () {
    this.timeout(60_000);
    if (page && this.currentTest?.state === 'failed') await screenshot(page, 'failure').catch(() => undefined);
    await closeBrowser(browser);
    await cs?.stop();
  });

  afterEach(async function () {
    if (page && this.currentTest?.state === 'failed') {
      await screenshot(page, `failed-${this.currentTest.title.replace(/\W+/g, '-').slice(0, 60)}`).catch(() => undefined);
      console.log(`--- code-server log (${cs?.dir}) ---\n${cs?.log().slice(-3000)}\n--- extension host log ---\n${cs?.extensionHostLog().slice(-3000)}`);
    }
  });

  it('Show Execution Providers opens a panel where cpu works', async () => {
    await runCommand(page!, 'ViT Inspector: Show Execution Providers');
    const frame = await findWebviewFrame(page!, 'tr[data-provider=cpu]', 90_000);
    // The probe runs in the inference process; wait for the cpu row to report its result.
    const cpu = frame.locator('tr[data-provider=cpu]');
    await cpu.locator('text=works').first().waitFor({ timeout: 60_000 });
    const text = (await cpu.innerText()).replace(/\s+/g, ' ');
    assert.match(text, /\bworks\b/, text);
    // The editor tab is the panel's.
    const tab = page!.locator('.tabs-container .tab', { hasText: 'Execution Providers' });
    assert.equal(await tab.count(), 1, 'an editor tab titled "Execution Providers"');
    const status = await frame.locator('[role=status]').innerText();
    assert.match(status, /ONNX Runtime \d+\.\d+/);
    // Let the "probing" progress notification close before the picture is taken.
    await page!
      .locator('.notification-toast', { hasText: /probing/i })
      .waitFor({ state: 'detached', timeout: 15_000 })
      .catch(() => console.log('    (the "probing execution providers" progress notification is still showing)'));
    await screenshot(page!, 'providers');
  });

  it('the extension activated without an error notification', async () => {
    await waitForActivation(cs!);
    const errors = (await notifications(page!)).filter((n) => n.severity === 'error');
    assert.deepEqual(errors, [], `error notifications: ${JSON.stringify(errors)}`);
    assert.doesNotMatch(cs!.extensionHostLog(), /Activating extension '?vit-inspector\.vit-inspector'? failed/);
  });

  it('with nothing configured, Classify Image on a sample uses the embedded Fashion-MNIST model', async () => {
    await explorerContextMenu(page!, 'ankle-boot.png', 'Classify Image');
    const frame = await findWebviewFrame(page!, '#top li', 120_000);
    assert.equal(await frame.locator('#model-name').innerText(), 'fashion-vit.onnx');
    assert.match(await frame.locator('#labels').innerText(), /fashion-mnist\.labels\.txt/);
    const labels = await frame.locator('#top li .name').allInnerTexts();
    const known = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
    assert.ok(labels.every((l) => known.includes(l)), labels.join(', '));
    // The samples were picked from the test set among images both embedded models get right.
    assert.equal(labels[0], 'Ankle boot');
    await screenshot(page!, 'classify-embedded');
  });
});
