// Step Through the Forward Pass in a real VS Code (code-server) with the packaged .vsix: classify a
// sample with the embedded ViT, open the step-through from the classify panel, step to the softmax,
// click another patch; the softmax recomputed from the scores agrees with the model's own row.
// Screenshots in test-results/e2e/ (trace-softmax, trace-other-patch).
import * as assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { explorerContextMenu, findWebviewFrame, notifications, root, screenshot, useWorkbench } from './harness';
import { resultsDir } from '../webview/browser';

function makeWorkspace(): string {
  const ws = join(resultsDir('e2e'), 'workspace-trace');
  rmSync(ws, { recursive: true, force: true });
  mkdirSync(ws, { recursive: true });
  copyFileSync(join(root, 'samples', 'ankle-boot.png'), join(ws, 'ankle-boot.png'));
  return ws;
}

describe('e2e: step through the forward pass in code-server', function () {
  this.timeout(240_000);
  const ws = makeWorkspace();
  const wb = useWorkbench({ name: 'trace', folder: ws, viewport: { width: 1400, height: 1000 } });

  it('classify → Step through… → the softmax (recomputed, max |Δ| < 1e-4) → another patch', async () => {
    await explorerContextMenu(wb.page, 'ankle-boot.png', 'Classify Image');
    const cls = await findWebviewFrame(wb.page, '#step-through', 120_000);
    await cls.locator('#top li').first().waitFor({ timeout: 120_000 });
    await cls.locator('#step-through').click();
    const tr = await findWebviewFrame(wb.page, '#steps button', 120_000);
    // The class token of block 0, head 0 (no attention shown: the defaults).
    assert.equal(await tr.locator('#where').getAttribute('data-token'), '0');
    const n = await tr.locator('#steps button').count();
    await tr.locator('[data-step="0"]').click();
    for (let i = 0; i < n && (await tr.locator('#step').getAttribute('data-id')) !== 'softmax'; i++) await tr.locator('#next').click();
    assert.equal(await tr.locator('#step').getAttribute('data-id'), 'softmax');
    const first = Number(await tr.locator('#verdict').getAttribute('data-maxdiff'));
    assert.ok(first < 1e-4, `softmax recomputed from the scores: max |Δ| ${first}`);
    await screenshot(wb.page, 'trace-softmax');
    // fashion-vit: 7×7 patches after the class token; the patch at row 2, column 5 is token 1 + 19 = 20.
    const box = (await tr.locator('#patches').boundingBox())!;
    await tr.locator('#patches').click({ position: { x: box.width * (5.5 / 7), y: box.height * (2.5 / 7) } });
    await tr.locator('#where[data-token="20"]').waitFor({ timeout: 120_000 });
    assert.equal(await tr.locator('#step').getAttribute('data-id'), 'softmax', 'the step shown stays the softmax');
    const other = Number(await tr.locator('#verdict').getAttribute('data-maxdiff'));
    assert.ok(other < 1e-4, `token 20's softmax: max |Δ| ${other}`);
    await screenshot(wb.page, 'trace-other-patch');
    assert.deepEqual((await notifications(wb.page)).filter((x) => x.severity === 'error'), []);
  });
});
