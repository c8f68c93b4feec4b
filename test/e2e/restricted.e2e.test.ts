// Restricted Mode (an untrusted folder, workspace trust on): what only reads a model's structure
// works — the architecture view, Show Shifted Windows, Compare Window Complexity — and running a
// model asks for trust instead of loading ONNX Runtime on it.
import * as assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { explorerContextMenu, findWebviewFrame, notifications, root, screenshot, useWorkbench } from './harness';
import { resultsDir } from '../webview/browser';
import { expectedFixture, paramsText } from './expected';
import { checkComplexity, checkShiftedWindows } from './views';

describe('e2e: Restricted Mode', function () {
  this.timeout(180_000);
  const ws = join(resultsDir('e2e'), 'untrusted-workspace');
  rmSync(ws, { recursive: true, force: true });
  mkdirSync(ws, { recursive: true });
  copyFileSync(join(root, 'test', 'fixtures', 'models', 'swin_t.onnx'), join(ws, 'swin_t.onnx'));
  copyFileSync(join(root, 'samples', 'bag.png'), join(ws, 'bag.png'));

  const wb = useWorkbench({ name: 'restricted', folder: ws, restricted: true, failurePrefix: 'failed-restricted-', titleChars: 50, escapeAfterEach: true });

  it('right-click an .onnx file → Open Architecture View shows it: family, depths, params', async () => {
    await explorerContextMenu(wb.page, 'swin_t.onnx', 'Open Architecture View');
    const frame = await findWebviewFrame(wb.page, '#family', 120_000);
    const want = expectedFixture('swin_t');
    assert.equal(await frame.locator('#family').innerText(), 'Swin Transformer');
    assert.equal(await frame.locator('#depths').innerText(), want.config.depths.join('-'));
    assert.match(await frame.locator('#params').innerText(), paramsText(want.params));
    await screenshot(wb.page, 'restricted-architecture');
  });

  it('Show Shifted Windows and Compare Window Complexity show their numbers', async () => {
    await checkShiftedWindows(wb.page);
    await checkComplexity(wb.page, join(ws, 'swin_t.onnx'));
  });

  it('Classify Image asks for trust: the reason in the panel and one warning with Manage Workspace Trust', async () => {
    await explorerContextMenu(wb.page, 'bag.png', 'Classify Image');
    const frame = await findWebviewFrame(wb.page, '#error', 60_000);
    assert.match(await frame.locator('#error').innerText(), /needs a trusted workspace/);
    await wb.page.locator('.notification-list-item', { hasText: 'trusted workspace' }).first().waitFor({ timeout: 30_000 });
    const asked = (await notifications(wb.page)).filter((n) => /trusted workspace/.test(n.text));
    assert.equal(asked.length, 1, JSON.stringify(asked));
    assert.equal(asked[0].severity, 'warning');
    assert.match(asked[0].text, /Manage Workspace Trust/);
    await screenshot(wb.page, 'restricted-classify');
  });
});
