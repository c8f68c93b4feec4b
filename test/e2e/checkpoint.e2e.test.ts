// Safetensors checkpoints in a real VS Code (code-server) with the packaged .vsix: a Hugging Face
// ViT checkpoint folder (model.safetensors + config.json + preprocessor_config.json) in the
// workspace; right-click the folder → Open Architecture View; classify an image with it (labels
// from its config.json); its attention. Then Select Model (the workspace's checkpoints, a sharded one
// once, by its index) and the messages the view gives for a checkpoint of an architecture not built
// (the supported list and its tensors) and for a damaged file (the file and the tensor named).
// Screenshots in test-results/e2e/.
import * as assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { explorerContextMenu, findWebviewFrame, notifications, openExplorerFolder, root, runCommand, screenshot, useWorkbench } from './harness';
import { resultsDir } from '../webview/browser';

function makeWorkspace(): string {
  const ws = join(resultsDir('e2e'), 'workspace-checkpoint');
  rmSync(ws, { recursive: true, force: true });
  mkdirSync(join(ws, 'vit-checkpoint'), { recursive: true });
  const src = join(root, 'test', 'fixtures', 'checkpoints', 'hf-vit');
  for (const f of readdirSync(src)) copyFileSync(join(src, f), join(ws, 'vit-checkpoint', f));
  copyFileSync(join(root, 'samples', 'bag.png'), join(ws, 'bag.png'));
  // A sharded checkpoint: Select Model lists it once, by its index.
  mkdirSync(join(ws, 'vit-sharded'));
  const sharded = join(root, 'test', 'fixtures', 'checkpoints', 'hf-vit-sharded');
  for (const f of readdirSync(sharded)) copyFileSync(join(sharded, f), join(ws, 'vit-sharded', f));
  // An architecture this project does not build: the view gives the supported list and the tensors.
  mkdirSync(join(ws, 'bert-checkpoint'));
  copyFileSync(join(src, 'model.safetensors'), join(ws, 'bert-checkpoint', 'model.safetensors'));
  writeFileSync(join(ws, 'bert-checkpoint', 'config.json'), JSON.stringify({ architectures: ['BertModel'], model_type: 'bert' }));
  // A damaged download: the last 4 bytes of the data are missing.
  const whole = readFileSync(join(src, 'model.safetensors'));
  writeFileSync(join(ws, 'damaged.safetensors'), whole.subarray(0, whole.length - 4));
  return ws;
}

/** The webview frame whose `selector` holds text matching `text` (other views may show the same element). */
async function frameWithText(page: Page, selector: string, text: RegExp, timeoutMs = 120_000): Promise<Frame> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const f of page.frames()) {
      if (f === page.mainFrame()) continue;
      const t = await f.$eval(selector, (e) => (e as HTMLElement).innerText).catch(() => null);
      if (t !== null && text.test(t)) return f;
    }
    if (Date.now() > deadline) throw new Error(`no webview frame whose ${selector} matches ${text} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
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

  it('an architecture not built (BERT): the view says so with the supported list, and lists the tensors', async () => {
    await explorerContextMenu(wb.page, 'bert-checkpoint', 'Open Architecture View');
    const frame = await frameWithText(wb.page, '#error', /BertModel/);
    const message = await frame.locator('#error').innerText();
    assert.match(message, /model\.safetensors holds 40 tensors, but its config\.json names BertModel, which ViT Inspector does not build/);
    assert.match(message, /Supported: Hugging Face ViTForImageClassification.*DeiTForImageClassificationWithTeacher.*timm vit_\*.*SwinForImageClassification.*Swinv2ForImageClassification.*timm swin_\*/);
    assert.equal(await frame.locator('#tensors tbody tr').count(), 40);
    const first = await frame.locator('#tensors tbody tr').first().locator('td').allInnerTexts();
    assert.deepEqual(first, ['vit.embeddings.patch_embeddings.projection.weight', 'F32', '[32, 3, 8, 8]', '24576']);
    await screenshot(wb.page, 'checkpoint-unsupported');
    assert.deepEqual((await notifications(wb.page)).filter((n) => n.severity === 'error'), [], 'a refusal, not an internal error');
  });

  it('a damaged .safetensors: the view names the file and the tensor, no internal error', async () => {
    await explorerContextMenu(wb.page, 'damaged.safetensors', 'Open Architecture View');
    const frame = await frameWithText(wb.page, '#error', /damaged\.safetensors/);
    assert.match(await frame.locator('#error').innerText(), /damaged\.safetensors is not a valid safetensors file: tensor \S+ ends at byte \d+ of the data, past its end/);
    await screenshot(wb.page, 'checkpoint-damaged');
    assert.deepEqual((await notifications(wb.page)).filter((n) => n.severity === 'error'), []);
  });

  it('double-click a sharded checkpoint\'s model.safetensors.index.json: the architecture view opens on it (the default editor), PyTorch\'s params over both shards', async () => {
    await openExplorerFolder(wb.page, 'vit-sharded');
    const item = wb.page.locator('.explorer-item', { hasText: 'model.safetensors.index.json' }).first();
    await item.waitFor({ state: 'visible', timeout: 30_000 });
    await item.dblclick();
    const frame = await frameWithText(wb.page, 'h1', /model\.safetensors\.index\.json/);
    assert.match(await frame.locator('#family').innerText(), /ViT/);
    assert.match(await frame.locator('#params').innerText(), /^24,069/);
    await screenshot(wb.page, 'checkpoint-sharded-dblclick');
    assert.deepEqual((await notifications(wb.page)).filter((n) => n.severity === 'error'), []);
  });

  it('Select Model offers the workspace\'s checkpoints (a sharded one once, by its index) and stores the choice in vitInspector.modelPath', async () => {
    await runCommand(wb.page, 'ViT Inspector: Select Model');
    const rows = wb.page.locator('.quick-input-list .monaco-list-row');
    await rows.filter({ hasText: 'vit-sharded (checkpoint)' }).first().waitFor({ state: 'visible', timeout: 30_000 });
    const labels = await rows.evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? ''));
    assert.equal(labels.filter((l) => l.includes('vit-sharded (checkpoint)')).length, 1, labels.join(' | '));
    assert.ok(labels.some((l) => l.includes('vit-sharded/model.safetensors.index.json')), labels.join(' | '));
    assert.ok(labels.some((l) => l.includes('vit-checkpoint (checkpoint)') && l.includes('vit-checkpoint/model.safetensors')), labels.join(' | '));
    assert.ok(!labels.some((l) => /model-0000\d-of-00002/.test(l)), `a shard listed as a model: ${labels.join(' | ')}`);
    await screenshot(wb.page, 'checkpoint-select-model');
    await rows.filter({ hasText: 'vit-sharded (checkpoint)' }).first().click();
    const deadline = Date.now() + 30_000;
    let info: string | undefined;
    while (!info && Date.now() < deadline) {
      info = (await notifications(wb.page)).find((n) => /ViT Inspector will use/.test(n.text))?.text;
      if (!info) await new Promise((r) => setTimeout(r, 250));
    }
    assert.match(info ?? '', /ViT Inspector will use vit-sharded\/model\.safetensors\.index\.json\./);
    const settings = JSON.parse(readFileSync(join(ws, '.vscode', 'settings.json'), 'utf8'));
    assert.equal(settings['vitInspector.modelPath'], 'vit-sharded/model.safetensors.index.json');
  });
});
