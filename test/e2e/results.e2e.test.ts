// Issue 23 in a real VS Code (code-server): Classify from the Explorer three times and Show Attention
// use one results column (no pile-up of editor groups), and Select Model says at once that a
// structure-only model cannot run, naming it with its folder.
import * as assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { explorerContextMenu, findWebviewFrame, notifications, root, runCommand, screenshot, useWorkbench } from './harness';
import { resultsDir } from '../webview/browser';

function makeWorkspace(): string {
  const ws = join(resultsDir('e2e'), 'workspace-results');
  rmSync(ws, { recursive: true, force: true });
  mkdirSync(join(ws, 'models'), { recursive: true });
  for (const f of ['bag.png', 'sneaker.png', 'shirt.png']) copyFileSync(join(root, 'samples', f), join(ws, f));
  for (const f of ['tiny_vit.onnx', 'tiny_vit.json', 'labels.txt', 'vit_b_16.onnx']) copyFileSync(join(root, 'test', 'fixtures', 'models', f), join(ws, 'models', f));
  return ws;
}

describe('e2e: one results column; Select Model warns of a structure-only model (issue 23)', function () {
  this.timeout(240_000);
  const ws = makeWorkspace();
  const wb = useWorkbench({ name: 'results', folder: ws, settings: { 'vitInspector.modelPath': join(ws, 'models', 'tiny_vit.onnx') }, escapeAfterEach: true });
  const groups = () => wb.page.locator('.editor-group-container').count();

  it('three Classify Image from the Explorer and a Show Attention share one column beside the editor', async () => {
    for (const img of ['bag.png', 'sneaker.png', 'shirt.png']) {
      await explorerContextMenu(wb.page, img, 'Classify Image');
      // This image's result: the panels of the images before it also have `#top li`.
      await findWebviewFrame(wb.page, `[data-image="${img}"] #top li`, 120_000);
    }
    assert.ok((await groups()) <= 2, `${await groups()} editor groups after three images`);
    const tabs = () => wb.page.locator('.tab', { hasText: 'Classify:' }).count();
    assert.equal(await tabs(), 3);
    await explorerContextMenu(wb.page, 'bag.png', 'Show Attention');
    await findWebviewFrame(wb.page, '[data-image="bag.png"] #attention #layer', 120_000);
    assert.ok((await groups()) <= 2, `${await groups()} editor groups after Show Attention`);
    assert.equal(await tabs(), 3, 'Show Attention reused the image\'s panel');
    await screenshot(wb.page, 'results-one-column');
  });

  it('Select Model: a structure-only model is warned about at once, named with its folder; the setting is workspace-relative', async () => {
    await runCommand(wb.page, 'ViT Inspector: Select Model');
    const pick = wb.page.locator('.quick-input-list .monaco-list-row', { hasText: 'vit_b_16.onnx' }).first();
    await pick.waitFor({ state: 'visible', timeout: 30_000 });
    // The picker's placeholder says what the choice changes: whole, not cut at the input's edge ("…and th").
    const fit = await wb.page.locator('.quick-input-widget input').first().evaluate((el) => {
      const input = el as HTMLInputElement;
      const cs = getComputedStyle(input);
      const g = document.createElement('canvas').getContext('2d')!;
      g.font = `${cs.fontWeight} ${cs.fontSize} ${cs.fontFamily}`;
      const room = input.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
      return { text: input.placeholder, width: g.measureText(input.placeholder).width, room };
    });
    assert.match(fit.text, /vitInspector\.modelPath/);
    assert.ok(fit.width <= fit.room, `the placeholder "${fit.text}" is ${fit.width.toFixed(0)} px in a ${fit.room.toFixed(0)} px input`);
    await pick.click();
    const deadline = Date.now() + 30_000;
    let warning: string | undefined;
    while (!warning && Date.now() < deadline) {
      warning = (await notifications(wb.page)).find((n) => n.severity === 'warning')?.text;
      if (!warning) await new Promise((r) => setTimeout(r, 250));
    }
    assert.ok(warning, 'a warning notification');
    assert.match(warning!, /ViT Inspector will use models\/vit_b_16\.onnx\./);
    assert.match(warning!, /weights are missing/);
    await screenshot(wb.page, 'select-model-structure-only');
    const settings = JSON.parse(readFileSync(join(ws, '.vscode', 'settings.json'), 'utf8'));
    assert.equal(settings['vitInspector.modelPath'], 'models/vit_b_16.onnx');
  });
});
