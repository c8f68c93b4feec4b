// Step Through the Forward Pass on a Swin model in a real VS Code (code-server), Light Modern: the
// embedded fashion-swin chosen in the workspace settings with a non-default preprocessing override;
// classify a sample, open the step-through, pick the shifted block 1, read the window size M = 7, the
// shift of 3, the relative position bias step's recomputation (max |Δ| < 1e-4); the traced input uses
// the override the classify panel used; click another token on the image and the window drawn moves.
// Screenshots in test-results/e2e/ (trace-swin-bias, trace-swin-other-token, trace-swin-694).
import * as assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { explorerContextMenu, findWebviewFrame, notifications, root, screenshot, useWorkbench } from './harness';
import { resultsDir } from '../webview/browser';

function makeWorkspace(): string {
  const ws = join(resultsDir('e2e'), 'workspace-trace-swin');
  rmSync(ws, { recursive: true, force: true });
  mkdirSync(join(ws, 'models'), { recursive: true });
  mkdirSync(join(ws, '.vscode'), { recursive: true });
  copyFileSync(join(root, 'samples', 'ankle-boot.png'), join(ws, 'ankle-boot.png'));
  for (const f of ['fashion-swin.onnx', 'fashion-swin.json', 'fashion-mnist.labels.txt']) copyFileSync(join(root, 'media', 'models', f), join(ws, 'models', f));
  writeFileSync(join(ws, '.vscode', 'settings.json'), JSON.stringify({
    'vitInspector.modelPath': join(ws, 'models', 'fashion-swin.onnx'),
    // Not the model's own 0.286/0.353: the trace must use what Classify used.
    'vitInspector.preprocessing.mean': [0.5, 0.5, 0.5],
    'vitInspector.preprocessing.std': [0.5, 0.5, 0.5],
  }));
  return ws;
}

describe('e2e: step through a shifted Swin block in code-server (Light Modern)', function () {
  this.timeout(300_000);
  const ws = makeWorkspace();
  const wb = useWorkbench({ name: 'trace-swin', folder: ws, viewport: { width: 1600, height: 1000 }, settings: { 'workbench.colorTheme': 'Default Light Modern' } });

  it('block 1: M = 7, shift 3, + B recomputed (max |Δ| < 1e-4), the override traced; another token moves the window', async () => {
    await explorerContextMenu(wb.page, 'ankle-boot.png', 'Classify Image');
    const cls = await findWebviewFrame(wb.page, '#step-through', 120_000);
    await cls.locator('#top li').first().waitFor({ timeout: 120_000 });
    const classified = (await cls.locator('#preprocessing').textContent())!;
    assert.match(classified, /mean \[0\.5, 0\.5, 0\.5\] std \[0\.5, 0\.5, 0\.5\]/, `the classify panel's preprocessing: ${classified}`);
    await cls.locator('#step-through').click();
    const tr = await findWebviewFrame(wb.page, '#steps button', 120_000);
    // The traced image is the one classified: the same override.
    assert.match((await tr.locator('#preprocessing').textContent())!, /mean \[0\.5, 0\.5, 0\.5\] std \[0\.5, 0\.5, 0\.5\]/);
    // Block 1 is the first stage's shifted block (SW-MSA); token 0 stays.
    await tr.locator('#layer').fill('1');
    await tr.locator('#go').click();
    await tr.locator('#where[data-layer="1"]').waitFor({ timeout: 120_000 });
    assert.match((await tr.locator('#where').textContent())!, /token 0, window 3 \(after the cyclic shift of 3\), position 32/);
    const read = async (id: string): Promise<string> => {
      await tr.locator(`#steps button[aria-label*="${id}"]`).first().click();
      return (await tr.locator('#formula').textContent())!;
    };
    assert.match(await read('Window partition'), /M×M = 7×7/);
    assert.match(await read('Cyclic shift'), /rolled by ⌊M\/2⌋ = 3/);
    await read('relative position bias');
    assert.equal(await tr.locator('#step').getAttribute('data-id'), 'bias');
    const bias = Number(await tr.locator('#verdict').getAttribute('data-maxdiff'));
    assert.ok(bias < 1e-4, `+ B recomputed from the scores, B̂ and the index: max |Δ| ${bias}`);
    assert.match((await tr.locator('#verdict').textContent())!, /^✓/);
    // The window of token 0 after the shift: it wraps round the image's corners (rows 10..13, 0..2).
    const before = (await tr.locator('#patches').getAttribute('data-window'))!.split(',').map(Number);
    assert.equal(before.length, 49);
    assert.ok(before.includes(0) && before.includes(195), `token 0's window wraps round: ${before.join(',')}`);
    await screenshot(wb.page, 'trace-swin-bias');
    // Another token, clicked on the image: row 7, column 7 of the 14×14 grid = token 105.
    const box = (await tr.locator('#patches').boundingBox())!;
    await tr.locator('#patches').click({ position: { x: box.width * (7.5 / 14), y: box.height * (7.5 / 14) } });
    await tr.locator('#where[data-token="105"]').waitFor({ timeout: 120_000 });
    assert.equal(await tr.locator('#step').getAttribute('data-id'), 'bias', 'the step shown stays + B');
    const after = (await tr.locator('#patches').getAttribute('data-window'))!.split(',').map(Number);
    assert.notDeepEqual(after, before, 'the window drawn moved');
    assert.ok(after.includes(105) && !after.includes(0), `token 105's window: ${after.join(',')}`);
    assert.ok(Number(await tr.locator('#verdict').getAttribute('data-maxdiff')) < 1e-4);
    await screenshot(wb.page, 'trace-swin-other-token');
    // A narrow window (694 px): the panel still fits, the image still shows.
    await wb.page.setViewportSize({ width: 694, height: 1000 });
    await tr.locator('#patches').waitFor();
    const wide = await tr.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(wide <= 0, `the step-through scrolls sideways by ${wide} px at 694 px`);
    await screenshot(wb.page, 'trace-swin-694');
    assert.deepEqual((await notifications(wb.page)).filter((x) => x.severity === 'error'), []);
  });
});
