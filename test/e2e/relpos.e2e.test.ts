// Relative position bias in a real VS Code (code-server) with the packaged .vsix: open a Swin's
// .onnx (the architecture view), click "Relative position bias", and read the tables the panel
// drew from the model's weights; then the palette command. Screenshots in test-results/e2e/.
import * as assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { explorerContextMenu, findWebviewFrame, notifications, root, runCommand, screenshot, useWorkbench } from './harness';
import { resultsDir } from '../webview/browser';
import { relposFirst } from './expected';

function makeWorkspace(): string {
  const ws = join(resultsDir('e2e'), 'workspace-relpos');
  rmSync(ws, { recursive: true, force: true });
  mkdirSync(ws, { recursive: true });
  // A complete tiny torchvision Swin with 7×7 windows (tables in its weights).
  copyFileSync(join(root, 'test', 'fixtures', 'models', 'relpos_w7.onnx'), join(ws, 'swin_w7.onnx'));
  return ws;
}

describe('e2e: relative position bias in code-server', function () {
  this.timeout(180_000);
  const ws = makeWorkspace();

  const wb = useWorkbench({ name: 'relpos', folder: ws, settings: { 'vitInspector.modelPath': join(ws, 'swin_w7.onnx') }, viewport: { width: 1400, height: 1000 } });

  it('the palette command opens it on the model in use (and activates the extension)', async () => {
    await runCommand(wb.page, 'ViT Inspector: Show Relative Position Bias');
    const frame = await findWebviewFrame(wb.page, '#block', 60_000);
    assert.match(await frame.locator('h1').innerText(), /swin_w7\.onnx/);
  });

  it('Open Architecture View on a Swin → "Relative position bias" shows each head\'s 13×13 table from the weights', async () => {
    // The panel of the test before would pass every check below even if the button did nothing: close it.
    await runCommand(wb.page, 'View: Close All Editors');
    await wb.page.locator('.tabs-container .tab', { hasText: 'Relative Position Bias' }).waitFor({ state: 'detached', timeout: 30_000 });
    assert.equal(await findWebviewFrame(wb.page, 'canvas.table', 1_000).catch(() => null), null, 'the relative position panel is closed');
    await explorerContextMenu(wb.page, 'swin_w7.onnx', 'Open Architecture View');
    const arch = await findWebviewFrame(wb.page, '#relpos', 120_000);
    assert.equal(await arch.locator('#family').innerText(), 'Swin Transformer');
    await arch.locator('#relpos').click();
    const frame = await findWebviewFrame(wb.page, 'canvas.table', 60_000);
    const want = relposFirst(join(ws, 'swin_w7.onnx'));
    assert.equal(await frame.locator('canvas.table').count(), want.heads, `stage 1 has ${want.heads} heads`);
    // The table's size as the user reads it: (2M−1)×(2M−1) entries per head.
    assert.match(await frame.locator('#tables h2').innerText(), new RegExp(`^Learned table B̂ per head: ${want.rows}×${want.cols} = \\(2Mh−1\\)×\\(2Mw−1\\) entries`));
    assert.match(await frame.locator('#source').innerText(), /recovered from the folded \[1, 2, 49, 49\] constant/);
    const size = await frame.locator('canvas.table').first().evaluate((c) => [(c as HTMLCanvasElement).width, (c as HTMLCanvasElement).height]);
    assert.equal(size[0], size[1]);
    assert.equal(size[0] % want.rows, 0, `${want.rows} cells a side`);
    await frame.locator('#block').selectOption({ index: 2 });
    assert.equal(await frame.locator('canvas.table').count(), want.blocks[2].heads, `stage 2 has ${want.blocks[2].heads} heads`);
    await frame.locator('[data-step="3"]').click();
    await screenshot(wb.page, 'relpos');
    assert.deepEqual((await notifications(wb.page)).filter((n) => n.severity === 'error'), []);
  });
});
