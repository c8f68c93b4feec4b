// Restricted Mode (an untrusted folder, workspace trust on): what only reads a model's structure
// works — the architecture view, Show Shifted Windows, Compare Window Complexity — and running a
// model asks for trust instead of loading ONNX Runtime on it.
import * as assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { closeBrowser, ensureVsix, explorerContextMenu, findWebviewFrame, launchBrowser, notifications, openWorkbench, root, runCommand, screenshot, startCodeServer, type CodeServer } from './harness';
import { resultsDir } from '../webview/browser';

describe('e2e: Restricted Mode', function () {
  this.timeout(180_000);
  let cs: CodeServer | undefined;
  let browser: Browser | undefined;
  let page: Page | undefined;
  const ws = join(resultsDir('e2e'), 'untrusted-workspace');
  rmSync(ws, { recursive: true, force: true });
  mkdirSync(ws, { recursive: true });
  copyFileSync(join(root, 'test', 'fixtures', 'models', 'swin_t.onnx'), join(ws, 'swin_t.onnx'));
  copyFileSync(join(root, 'samples', 'bag.png'), join(ws, 'bag.png'));

  before(async function () {
    this.timeout(8 * 60_000);
    cs = await startCodeServer({ vsix: ensureVsix(), name: 'restricted', restricted: true });
    browser = await launchBrowser();
    page = await openWorkbench(browser, cs, ws);
  });

  after(async function () {
    this.timeout(60_000);
    await closeBrowser(browser);
    await cs?.stop();
  });

  afterEach(async function () {
    if (page && this.currentTest?.state === 'failed') {
      await screenshot(page, `failed-restricted-${this.currentTest.title.replace(/\W+/g, '-').slice(0, 50)}`).catch(() => undefined);
      console.log(`--- extension host log ---\n${cs?.extensionHostLog().slice(-3000)}`);
    }
    await page?.keyboard.press('Escape').catch(() => undefined);
  });

  it('right-click an .onnx file → Open Architecture View shows it', async () => {
    await explorerContextMenu(page!, 'swin_t.onnx', 'Open Architecture View');
    const frame = await findWebviewFrame(page!, '#family', 120_000);
    assert.equal(await frame.locator('#family').innerText(), 'Swin Transformer');
    await screenshot(page!, 'restricted-architecture');
  });

  it('Show Shifted Windows and Compare Window Complexity work', async () => {
    await runCommand(page!, 'ViT Inspector: Show Shifted Windows');
    assert.ok(await findWebviewFrame(page!, '#mask', 60_000));
    await runCommand(page!, 'ViT Inspector: Compare Window Complexity');
    const frame = await findWebviewFrame(page!, '#stage-table', 60_000);
    assert.ok((await frame.locator('#stage-table tbody tr').count()) >= 1);
  });

  it('Classify Image asks for trust: the reason in the panel and one warning with Manage Workspace Trust', async () => {
    await explorerContextMenu(page!, 'bag.png', 'Classify Image');
    const frame = await findWebviewFrame(page!, '#error', 60_000);
    assert.match(await frame.locator('#error').innerText(), /needs a trusted workspace/);
    await page!.locator('.notification-list-item', { hasText: 'trusted workspace' }).first().waitFor({ timeout: 30_000 });
    const asked = (await notifications(page!)).filter((n) => /trusted workspace/.test(n.text));
    assert.equal(asked.length, 1, JSON.stringify(asked));
    assert.equal(asked[0].severity, 'warning');
    assert.match(asked[0].text, /Manage Workspace Trust/);
    await screenshot(page!, 'restricted-classify');
  });
});
