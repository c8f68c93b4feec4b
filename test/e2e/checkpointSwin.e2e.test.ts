// A timm Swin safetensors checkpoint in a real VS Code (code-server) with the packaged .vsix
// (issue 17's "done when" for Swin): right-click the checkpoint folder → Open Architecture View
// (params as PyTorch counts them) → Relative position bias (each head's table B̂, the values torch's
// module holds) → Export to ONNX… from the view's toolbar → the exported file classifies an image
// exactly as the checkpoint does (the CLI on both). Screenshots in test-results/e2e/.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { explorerContextMenu, findWebviewFrame, notifications, root, screenshot, useWorkbench } from './harness';
import { resultsDir } from '../webview/browser';

const FIXTURE = join(root, 'test', 'fixtures', 'checkpoints', 'swin', 'timm_A');
interface Reference { params: number; relpos: { name: string; table: number[] }[] }
const ref = JSON.parse(readFileSync(join(FIXTURE, 'reference.json'), 'utf8')) as Reference;

function makeWorkspace(): string {
  const ws = join(resultsDir('e2e'), 'workspace-checkpoint-swin');
  rmSync(ws, { recursive: true, force: true });
  mkdirSync(join(ws, 'swin-checkpoint'), { recursive: true });
  // what timm saves: model.safetensors + config.json (no reference, no preprocessor_config.json)
  for (const f of readdirSync(FIXTURE).filter((n) => n !== 'reference.json')) copyFileSync(join(FIXTURE, f), join(ws, 'swin-checkpoint', f));
  copyFileSync(join(root, 'samples', 'bag.png'), join(ws, 'bag.png'));
  return ws;
}

interface Classified { results: { top: { index: number; prob: number }[]; logits: number[] }[] }
function classifyCli(model: string, image: string): Classified {
  const out = execFileSync(process.execPath, [join(root, 'dist', 'cli.js'), 'classify', image, '--model', model, '--json'], { encoding: 'utf8' });
  return JSON.parse(out) as Classified;
}

describe('e2e: a timm Swin checkpoint in code-server: architecture, relative position bias, Export to ONNX', function () {
  this.timeout(240_000);
  const ws = makeWorkspace();
  const folder = join(ws, 'swin-checkpoint');
  const wb = useWorkbench({ name: 'checkpoint-swin', folder: ws, settings: { 'vitInspector.modelPath': folder }, escapeAfterEach: true, viewport: { width: 1600, height: 1000 } });

  it('right-click the folder → Open Architecture View: Swin, PyTorch\'s parameter count', async () => {
    await explorerContextMenu(wb.page, 'swin-checkpoint', 'Open Architecture View');
    const frame = await findWebviewFrame(wb.page, '#family', 120_000);
    assert.equal(await frame.locator('#family').innerText(), 'Swin Transformer');
    assert.equal((await frame.locator('#params').innerText()).split(' ')[0].replace(/,/g, ''), String(ref.params));
    await screenshot(wb.page, 'checkpoint-swin-architecture');
  });

  it('→ Relative position bias: each head\'s 7×7 table B̂ with the values of torch\'s module', async () => {
    const arch = await findWebviewFrame(wb.page, '#relpos', 30_000);
    await arch.locator('#relpos').click();
    const frame = await findWebviewFrame(wb.page, 'canvas.table', 60_000);
    const heads = 2;
    const R = ref.relpos[0].table.length / heads; // (2M − 1)² for M = 4
    const side = Math.round(Math.sqrt(R));
    assert.equal(side * side, R);
    assert.equal(await frame.locator('canvas.table').count(), heads);
    assert.match(await frame.locator('#source').innerText(), /read from the table/);
    // named with its folder, as Select Model names it: every checkpoint file is model.safetensors
    assert.equal(await frame.locator('h1').innerText(), 'Relative position bias — swin-checkpoint/model.safetensors');
    // hover cells of head 1: the value shown is torch's table entry (head-major, row r = i·(2M−1) + j)
    const canvas = frame.locator('canvas.table').nth(1);
    const box = (await canvas.boundingBox())!;
    for (const [i, j] of [[0, 0], [2, 3], [side - 1, side - 2]]) {
      await canvas.hover({ position: { x: ((j + 0.5) * box.width) / side, y: ((i + 0.5) * box.height) / side } });
      const shown = Number(await frame.locator('#hover').getAttribute('data-value'));
      const want = ref.relpos[0].table[R + i * side + j];
      assert.ok(Math.abs(shown - want) <= 1e-6, `head 1 cell (${i}, ${j}): shown ${shown}, torch ${want}`);
    }
    await screenshot(wb.page, 'checkpoint-swin-relpos');
  });

  it('→ Export to ONNX… from the toolbar: model.onnx with its config beside it, classifying as the checkpoint does', async () => {
    await explorerContextMenu(wb.page, 'swin-checkpoint', 'Open Architecture View');
    const arch = await findWebviewFrame(wb.page, '#export-onnx', 60_000);
    // code-server's save dialog is VS Code's own: a quick input holding the suggested path
    const input = wb.page.locator('.quick-input-widget input');
    const openDialog = async (): Promise<void> => {
      await arch.locator('#export-onnx').click();
      await input.waitFor({ state: 'visible', timeout: 30_000 });
      await wb.page.waitForFunction(() => /onnx\/model\.onnx$/.test((document.querySelector('.quick-input-widget input') as HTMLInputElement | null)?.value ?? ''), undefined, { timeout: 10_000 }).catch(() => undefined);
      assert.match(await input.inputValue(), /swin-checkpoint\/onnx\/model\.onnx$/, 'the suggested file, in onnx/ beside the checkpoint');
    };
    // cancelled: nothing is left behind
    await openDialog();
    await input.press('Escape');
    await input.waitFor({ state: 'hidden', timeout: 10_000 });
    await wb.page.waitForTimeout(500);
    assert.ok(!existsSync(join(folder, 'onnx')), 'a cancelled export leaves no onnx/ folder');
    await openDialog();
    await input.press('Enter');
    const out = join(folder, 'onnx', 'model.onnx');
    const deadline = Date.now() + 120_000;
    let done = false;
    while (!done && Date.now() < deadline) {
      done = (await notifications(wb.page)).some((n) => /Exported model\.onnx/.test(n.text));
      if (!done) await wb.page.waitForTimeout(500);
    }
    assert.ok(done, 'a notification says the model was exported');
    assert.ok(existsSync(out), 'the exported file');
    assert.ok(existsSync(join(folder, 'onnx', 'config.json')), 'config.json copied beside it');
    await screenshot(wb.page, 'checkpoint-swin-export');
    const image = join(ws, 'bag.png');
    const a = classifyCli(folder, image).results[0];
    const b = classifyCli(out, image).results[0];
    assert.deepEqual(b.top.map((t) => t.index), a.top.map((t) => t.index), 'the same top classes');
    const d = Math.max(...a.logits.map((v, k) => Math.abs(v - b.logits[k])));
    assert.ok(d <= 1e-5, `logits of the export against the checkpoint: max |Δ| ${d}`);
    assert.deepEqual((await notifications(wb.page)).filter((n) => n.severity === 'error'), []);
  });
});
