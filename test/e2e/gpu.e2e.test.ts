// The GPU path in a real VS Code (code-server): with the software Vulkan driver the setup
// provisions in the environment code-server inherits, and webgpu listed first in the settings,
// Show Execution Providers names the software adapter, and Classify Image runs on webgpu: the
// status bar says `webgpu` and the panel's timings show the one-time GPU warm-up apart from the run.
import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import { useSoftwareVulkan } from '../softwareVulkan';
import {
  explorerContextMenu,
  findWebviewFrame,
  root,
  screenshot,
  useWorkbench,
} from './harness';
import { workingProvider } from './views';

describe('e2e: the GPU path (webgpu on software Vulkan) in code-server', function () {
  this.timeout(10 * 60_000);

  const wb = useWorkbench({
    name: 'gpu',
    folder: join(root, 'samples'),
    // webgpu first, on purpose: a software adapter is never picked from the default order.
    settings: { 'vitInspector.executionProviders': ['webgpu', 'cpu'] },
    setup: useSoftwareVulkan, // VK_ICD_FILENAMES, inherited by code-server and its inference process
    setupTimeoutMs: 10 * 60_000,
    failurePrefix: 'gpu-failed-',
  });

  it('Show Execution Providers: webgpu works, on the software adapter, labelled as such', async () => {
    const { frame, text } = await workingProvider(wb.page, 'webgpu', { panelMs: 120_000, probeMs: 120_000 });
    assert.match(text, /SwiftShader|llvmpipe/, text);
    assert.match(text, /software Vulkan \(SwiftShader\/llvmpipe\): correct, not fast/, text);
    assert.match(await frame.locator('[role=status]').innerText(), /runs on:?\s*webgpu/i);
    await screenshot(wb.page, 'gpu-providers');
  });

  it('Classify Image runs on webgpu: the status bar says so, and the warm-up is timed apart from the run', async () => {
    await explorerContextMenu(wb.page, 'ankle-boot.png', 'Classify Image');
    // The first run compiles the GPU kernels (SwiftShader: tens of seconds on a busy machine).
    const frame = await findWebviewFrame(wb.page, '#top li', 8 * 60_000);
    const labels = await frame.locator('#top li .name').allInnerTexts();
    assert.equal(labels[0], 'Ankle boot');
    const item = wb.page.locator('.statusbar-item', { hasText: /^\s*webgpu\s*$/ });
    await item.first().waitFor({ timeout: 30_000 });
    assert.equal(await item.count(), 1, 'one status bar item reading "webgpu"');
    const timings = await frame.locator('#timings').innerText();
    assert.match(timings, /GPU warm-up [\d.]+ ?(ms|s) \(first run only\)/, timings);
    assert.match(timings, /\brun [\d.]+/, timings);
    await screenshot(wb.page, 'gpu-classify');
  });
});
