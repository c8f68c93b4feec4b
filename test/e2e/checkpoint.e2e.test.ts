// Safetensors checkpoints in a real VS Code (code-server) with the packaged .vsix: a Hugging Face
// ViT checkpoint folder (model.safetensors + config.json + preprocessor_config.json) in the
// workspace; right-click the folder → Open Architecture View; classify an image with it (labels
// from its config.json); its attention. Screenshots in test-results/e2e/.
import * as assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { explorerContextMenu, findWebviewFrame, notifications, root, screenshot, useWorkbench } from './harness';
import { resultsDir } from '../webview/browser';

function makeWorkspace(): string {
  const ws = join(resultsDir('e2e'), 'workspace-checkpoint');
  rmSync(ws, { recursive: true, force: true });
  mkdirSync(join(ws, 'vit-checkpoint'), { recursive: true });
  const src = join(root, 'test', 'fixtures', 'checkpoints', 'hf-vit');
  for (const f of readdirSync(src)) copyFileSync(join(src, f), join(ws, 'vit-checkpoint', f));
  copyFileSync(join(root, 'samples', 'bag.png'), join(ws, 'bag.png'));
  return ws;
}

describe('e2e: a safetensors checkpoint in code-server', function () {
  this.timeout(180_000);
  const ws = makeWorkspace();
  const wb = useWorkbench({ name: 'checkpoint', folder: ws, settings: { 'vitInspector.modelPath': join(ws, 'vit-checkpoint') }, escapeAfterEach: true });

  it('right-click the checkpoint folder → Open Architecture View: a ViT with PyTorch\'s params and module names', async () => {
    await explorerContextMenu(wb.page, 'vit-checkpoint', 'Open Architecture View');
    const frame = await findWebviewFrame(wb.page, '#family', 120_000);
    assert.match(await frame.locator('#family').innerText(), /ViT/);
    assert.match(await frame.locator('#params').innerText(), /^24,069/);
    assert.ok(await frame.locator('#export-onnx').isVisible(), 'the toolbar offers Export to ONNX');
    assert.ok((await frame.locator('.tree-row', { hasText: 'encoder' }).count()) > 0);
    await screenshot(wb.page, 'checkpoint-architecture');
    assert.deepEqual((await notifications(wb.page)).filter((n) => n.severity === 'error'), []);
  });

  it('Classify Image with the checkpoint: five classes named by its config.json', async () => {
    await explorerContextMenu(wb.page, 'bag.png', 'Classify Image');
    const frame = await findWebviewFrame(wb.page, '#top li', 120_000);
    assert.equal(await frame.locator('#top li').count(), 5);
    assert.match(await frame.locator('#labels').innerText(), /config\.json/);
    assert.match(await frame.locator('#top').innerText(), /tench|goldfish|shark|hammerhead/);
    await screenshot(wb.page, 'checkpoint-classify');
  });

  it('Show Attention with the checkpoint: rollout over its 4×4 patch grid', async () => {
    await explorerContextMenu(wb.page, 'bag.png', 'Show Attention');
    const frame = await findWebviewFrame(wb.page, '#attention #layer', 120_000);
    assert.equal(await frame.locator('#layer').inputValue(), 'rollout');
    assert.equal(await frame.locator('#heat').getAttribute('data-grid'), '4x4');
    await screenshot(wb.page, 'checkpoint-attention');
    assert.deepEqual((await notifications(wb.page)).filter((n) => n.severity === 'error'), []);
  });
});
