// In a real VS Code (code-server) with the packaged .vsix installed: open samples/, run
// "ViT Inspector: Show Execution Providers" from the command palette, read the panel.
import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  explorerContextMenu,
  findWebviewFrame,
  notifications,
  root,
  screenshot,
  useWorkbench,
  waitForActivation,
} from './harness';
import { workingProvider } from './views';

describe('e2e: ViT Inspector in code-server', function () {
  this.timeout(120_000);

  const wb = useWorkbench({ name: 'providers', folder: join(root, 'samples'), codeServerLog: true });

  it('Show Execution Providers opens a panel where cpu works', async () => {
    // The probe runs in the inference process; wait for the cpu row to report its result.
    const { frame, text } = await workingProvider(wb.page, 'cpu', { panelMs: 90_000, probeMs: 60_000 });
    assert.match(text, /\bworks\b/, text);
    // The editor tab is the panel's.
    const tab = wb.page.locator('.tabs-container .tab', { hasText: 'Execution Providers' });
    assert.equal(await tab.count(), 1, 'an editor tab titled "Execution Providers"');
    const status = await frame.locator('[role=status]').innerText();
    assert.match(status, /ONNX Runtime \d+\.\d+/);
    // Let the "probing" progress notification close before the picture is taken.
    await wb.page
      .locator('.notification-toast', { hasText: /probing/i })
      .waitFor({ state: 'detached', timeout: 15_000 })
      .catch(() => console.log('    (the "probing execution providers" progress notification is still showing)'));
    await screenshot(wb.page, 'providers');
  });

  it('the extension activated without an error notification', async () => {
    await waitForActivation(wb.cs);
    const errors = (await notifications(wb.page)).filter((n) => n.severity === 'error');
    assert.deepEqual(errors, [], `error notifications: ${JSON.stringify(errors)}`);
    assert.doesNotMatch(wb.cs.extensionHostLog(), /Activating extension '?vit-inspector\.vit-inspector'? failed/);
  });

  it('with nothing configured, Classify Image on a sample uses the embedded Fashion-MNIST model', async () => {
    await explorerContextMenu(wb.page, 'ankle-boot.png', 'Classify Image');
    const frame = await findWebviewFrame(wb.page, '#top li', 120_000);
    assert.equal(await frame.locator('#model-name').innerText(), 'fashion-vit (embedded)');
    assert.match(await frame.locator('#labels').innerText(), /fashion-mnist\.labels\.txt/);
    const labels = await frame.locator('#top li .name').allInnerTexts();
    const known = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
    assert.ok(labels.every((l) => known.includes(l)), labels.join(', '));
    // The samples were picked from the test set among images both embedded models get right.
    assert.equal(labels[0], 'Ankle boot');
    await screenshot(wb.page, 'classify-embedded');
  });
});
