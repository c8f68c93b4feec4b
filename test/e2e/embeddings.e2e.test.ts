// The ViT paper's Figure 7 on the user's model, in a real VS Code (code-server) with the packaged
// .vsix: right-click a .onnx → Show Embeddings & Attention Distance; Show Attention on an image →
// "Mean attention distance…" adds that image's heads to the scatter; a hybrid ViT's architecture
// view shows its backbone. Screenshots in test-results/e2e/.
import * as assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { explorerContextMenu, findWebviewFrame, openExplorerFolder, notifications, root, screenshot, useWorkbench } from './harness';
import { resultsDir } from '../webview/browser';

function makeWorkspace(): string {
  const ws = join(resultsDir('e2e'), 'workspace-embeddings');
  rmSync(ws, { recursive: true, force: true });
  mkdirSync(join(ws, 'models'), { recursive: true });
  mkdirSync(join(ws, 'hybrid'), { recursive: true });
  for (const f of readdirSync(join(root, 'samples')).filter((f) => f.endsWith('.png'))) copyFileSync(join(root, 'samples', f), join(ws, f));
  // The embedded model with its own sidecars (preprocessing, Fashion-MNIST labels).
  for (const f of ['fashion-vit.onnx', 'fashion-vit.json', 'fashion-mnist.labels.txt']) copyFileSync(join(root, 'media', 'models', f), join(ws, 'models', f));
  for (const f of ['tiny_hybrid.onnx', 'tiny_hybrid.json', 'labels.txt']) copyFileSync(join(root, 'test', 'fixtures', 'models', f), join(ws, 'hybrid', f));
  return ws;
}

describe('e2e: embeddings and attention distance (ViT paper, Figure 7)', function () {
  this.timeout(180_000);
  const ws = makeWorkspace();

  const wb = useWorkbench({ name: 'embeddings', folder: ws, settings: { 'vitInspector.modelPath': join(ws, 'models', 'fashion-vit.onnx') }, escapeAfterEach: true });

  it('right-click fashion-vit.onnx → Show Embeddings & Attention Distance: 7×7 similarity maps and 28 filter components', async () => {
    await openExplorerFolder(wb.page, 'models');
    await explorerContextMenu(wb.page, 'fashion-vit.onnx', 'Show Embeddings & Attention Distance');
    const frame = await findWebviewFrame(wb.page, '#pos-grid', 90_000);
    assert.equal(await frame.locator('#pos-grid canvas').count(), 49);
    assert.equal(await frame.locator('#pc-tiles canvas').count(), 28);
    await frame.locator('#pos-grid canvas[data-patch="16"]').click();
    assert.equal(await frame.locator('#pos-large').getAttribute('data-patch'), '16');
    await screenshot(wb.page, 'embeddings');
    assert.deepEqual((await notifications(wb.page)).filter((n) => n.severity === 'error'), []);
  });

  it('Show Attention on an image → "Mean attention distance…" puts its 6 layers × 4 heads on the scatter', async () => {
    await explorerContextMenu(wb.page, 'sneaker.png', 'Show Attention');
    const att = await findWebviewFrame(wb.page, '#show-distance', 120_000);
    await att.locator('#show-distance').click();
    const frame = await findWebviewFrame(wb.page, '#distance-plot', 60_000);
    assert.equal(await frame.locator('#distance-plot circle').count(), 24);
    assert.match(await frame.locator('#distance-legend').innerText(), /sneaker\.png/);
    assert.match(await att.locator('#top li').first().innerText(), /sneaker/i, 'the embedded model on its own sample');
    await frame.locator('#distance').scrollIntoViewIfNeeded();
    await screenshot(wb.page, 'embeddings-distance');
  });

  it('opening a hybrid ViT shows its CNN backbone, the effective patch size and the MACs split', async () => {
    await wb.page.locator('.explorer-item', { hasText: 'hybrid' }).first().click();
    await wb.page.locator('.explorer-item', { hasText: 'tiny_hybrid.onnx' }).first().dblclick();
    const frame = await findWebviewFrame(wb.page, '#backbone', 120_000);
    assert.equal(await frame.locator('#family').innerText(), 'Hybrid ViT (CNN backbone)');
    assert.equal(await frame.locator('#patch').innerText(), '8');
    assert.match(await frame.locator('#backbone').innerText(), /stride 8, feature map 4×4/);
    assert.match(await frame.locator('#macs-split').innerText(), /backbone .* transformer/);
    await screenshot(wb.page, 'architecture-hybrid');
  });
});
