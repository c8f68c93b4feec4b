// The classify panel's Explain section (webview/classify/explainView.ts) in real Chromium, fed what
// the host sends after a real occlusion run of the tiny ViT on disc.png (runtime/explain.ts, CPU).
import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import type { AttentionResult } from '../../src/runtime/capture';
import { explain, type ExplainResult } from '../../src/runtime/explain';
import { panelSuite } from './harness';
import { messages, tinyCaptures } from './classifyMessages';
import { root } from './browser';

describe('webview: the Explain section of the classify panel', function () {
  this.timeout(60_000);
  let vit: AttentionResult;
  let occ: ExplainResult;
  before(async function () {
    this.timeout(90_000);
    [vit] = await tinyCaptures();
    occ = await explain({ model: join(root, 'test/fixtures/models/tiny_vit.onnx'), image: join(root, 'test/fixtures/images/disc.png'), method: 'occlusion', order: ['cpu'], class: vit.top![1].index });
  });
  const suite = panelSuite('classify', { height: 1600 });
  const explained = (partial: boolean, done: number) => {
    const map = Array.from(occ.map, (v, i) => (i < done ? v : NaN));
    return { type: 'explained', partial, method: occ.method, class: occ.class, label: occ.label, prob: occ.prob, grid: occ.grid, window: occ.window, stride: occ.stride, runs: done, done, total: occ.runs, ms: 12.5, ep: occ.ep, inputSize: 32, map };
  };

  it('asks for the class chosen from the top-k, or by name, with the method\'s own settings', async () => {
    const page = suite.panel.page;
    await suite.panel.send(messages(vit, 'tiny_vit')[0]);
    assert.equal(await page.locator('#explain-class option').count(), 6); // the top 5 and "by name"
    assert.equal(await page.isVisible('#explain-window'), true);
    await page.selectOption('#explain-method', 'rise');
    assert.equal(await page.isVisible('#explain-window'), false);
    await page.fill('#explain-masks', '20');
    await page.fill('#explain-seed', '5');
    await page.selectOption('#explain-class', String(vit.top![1].index));
    await page.click('#explain-run');
    assert.equal(await page.isVisible('#explain-cancel'), true);
    await page.click('#explain-cancel');
    await page.selectOption('#explain-method', 'occlusion');
    await page.selectOption('#explain-class', 'name');
    await page.fill('#explain-name', 'Horse');
    await page.fill('#explain-window', '8');
    await page.press('#explain-name', 'Enter');
    const posted = (await suite.panel.posted()).filter((m) => m.type === 'explain' || m.type === 'cancelExplain');
    assert.deepEqual(posted, [
      { type: 'explain', method: 'rise', class: vit.top![1].index, masks: 20, seed: 5 },
      { type: 'cancelExplain' },
      { type: 'explain', method: 'occlusion', className: 'Horse', window: 8 },
    ]);
  });

  it('draws the map as batches finish (positions not run yet left clear), then the runs and time', async () => {
    const page = suite.panel.page;
    await suite.panel.send(messages(vit, 'tiny_vit')[0]);
    await page.click('#explain-run');
    await suite.panel.send(explained(true, 5));
    assert.equal(await page.textContent('#explain-status'), `5/${occ.runs} runs…`);
    assert.equal(await page.getAttribute('#explain-map', 'data-grid'), '4x4');
    // A position not run yet shows the image itself; one that ran is tinted by the map.
    const pixels = await page.evaluate(() => {
      const map = document.getElementById('explain-map') as HTMLCanvasElement;
      const img = document.getElementById('image') as HTMLCanvasElement;
      const at = (c: HTMLCanvasElement, x: number, y: number) => Array.from(c.getContext('2d')!.getImageData(x, y, 1, 1).data);
      const s = map.width / 4;
      return { ranMap: at(map, s / 2, s / 2), ranImage: at(img, s / 2, s / 2), pendingMap: at(map, 3.5 * s, 3.5 * s), pendingImage: at(img, 3.5 * s, 3.5 * s) };
    });
    assert.deepEqual(pixels.pendingMap, pixels.pendingImage);
    assert.notDeepEqual(pixels.ranMap, pixels.ranImage);
    assert.equal(await page.isVisible('#explain-cancel'), true);
    await suite.panel.send(explained(false, occ.runs));
    assert.match((await page.textContent('#explain-status'))!, new RegExp(`Occlusion for ${occ.label} \\(class ${occ.class}, p = ${occ.prob.toFixed(4)}\\): 16 runs in 13 ms on cpu`));
    assert.equal(await page.isVisible('#explain-cancel'), false);
    // The colour bar gives the map's own range, as the attention maps' does.
    const lo = Math.min(...occ.map);
    const hi = Math.max(...occ.map);
    assert.deepEqual([await page.textContent('#explain-low'), await page.textContent('#explain-high')], [lo.toPrecision(3), hi.toPrecision(3)]);
    assert.match((await page.getAttribute('#explain-map', 'aria-label'))!, /occlusion: p\(.+\) − p\(.+ \| window at the mean colour\), 4×4 positions of a 8px window, stride 8px/);
    await suite.panel.screenshot('classify-explain-occlusion');
    assert.deepEqual(await suite.panel.cspViolations(), []);
  });

  it('token dropping is on the method list, says where it applies, and draws one value per patch', async () => {
    const page = suite.panel.page;
    await suite.panel.send(messages(vit, 'tiny_vit')[0]);
    await page.selectOption('#explain-method', 'drop');
    assert.deepEqual([await page.isVisible('#explain-window'), await page.isVisible('#explain-masks'), await page.isVisible('#explain-drop-note')], [false, false, true]);
    assert.match((await page.textContent('#explain-drop-note'))!, /dynamic sequence length.*Swin, hybrid and fixed-shape graphs: use occlusion/);
    await page.click('#explain-run');
    const posted = (await suite.panel.posted()).filter((m) => m.type === 'explain');
    assert.deepEqual(posted.at(-1), { type: 'explain', method: 'drop', class: vit.top![0].index }, 'no window, stride, masks or seed');
    await suite.panel.send({ ...explained(false, occ.runs), method: 'drop' });
    assert.match((await page.textContent('#explain-status'))!, /^Token dropping for /);
    assert.match((await page.getAttribute('#explain-map', 'aria-label'))!, /token dropping: p\(.+\) − p\(.+ \| patch token removed\), 4×4 patches of 8px/);
  });

  it('a failure (a class out of range, a cancel) is said in the section and Explain can run again', async () => {
    const page = suite.panel.page;
    await suite.panel.send(messages(vit, 'tiny_vit')[0]);
    await page.click('#explain-run');
    await suite.panel.send({ type: 'explainFailed', message: 'Cancelled.' });
    assert.equal(await page.textContent('#explain-status'), 'Cancelled.');
    assert.equal(await page.isVisible('#explain-cancel'), false);
    assert.equal(await page.getAttribute('#explain-run', 'disabled'), null);
    assert.equal(await page.locator('#top li').count(), 5); // the classification stays
  });
});
