// Evaluate Model on Folder and Compare Models in real Chromium: the confusion matrix drawn from the
// scores core/evaluate counts (a cell's count, its images on click and on Enter, arrow keys between
// cells), the worst mistakes first, the compare view's params/MACs and Ω at typed resolutions, and
// both at 360 px in the light theme.
import * as assert from 'node:assert/strict';
import { join, relative } from 'node:path';
import { readFileSync } from 'node:fs';
import { readImageFolder } from '../../src/core/evaluate/layout';
import { score, type Prediction } from '../../src/core/evaluate/metrics';
import { inspectModel } from '../../src/core/arch/inspect';
import { compareDocument, latencyRows, omegaAt } from '../../src/core/compare/document';
import type { EvaluateView } from '../../src/shared/protocol';
import { browserSuite, openPanel, panelSuite } from './harness';
import { root } from './browser';

const labels = readFileSync(join(root, 'media', 'models', 'fashion-mnist.labels.txt'), 'utf8').split(/\r?\n/).filter(Boolean);
const dir = join(root, 'samples', 'labelled');
const folder = readImageFolder(dir, labels, 10);
// Every image right except: the first two of class 6 (Shirt) taken for 0 (T-shirt/top), one Coat (4) for a Pullover (2).
const wrong = new Map<number, [number, number]>();
const shirts = folder.images.map((x, i) => [x, i] as const).filter(([x]) => x.truth === 6);
wrong.set(shirts[0][1], [0, 0.7]);
wrong.set(shirts[1][1], [0, 0.95]);
wrong.set(folder.images.findIndex((x) => x.truth === 4), [2, 0.55]);
const predictions: Prediction[] = folder.images.map((x, i) => {
  const w = wrong.get(i);
  const top = w ? [w[0], x.truth, 3, 5, 7].filter((v, k, a) => a.indexOf(v) === k).slice(0, 5) : [x.truth, ...[0, 1, 2, 3, 4, 5].filter((c) => c !== x.truth).slice(0, 4)];
  const probs = w ? [w[1], 1 - w[1] - 0.01, 0.004, 0.003, 0.003] : [0.9, 0.04, 0.03, 0.02, 0.01];
  return { path: relative(dir, x.path), truth: x.truth, top, probs };
});
const s = score(predictions, labels);
const view = (): EvaluateView => ({
  folder: dir,
  imageBase: '/samples/labelled',
  images: predictions.length,
  models: [{ name: 'fashion-vit (embedded)', path: 'fashion-vit.onnx', labels, accuracy: s.accuracy, top5: s.top5, perClass: s.perClass, confusion: s.confusion, imagesPerSecond: 123.4, predictions }],
  unmatched: ['not-a-class'],
  empty: [],
  unreadable: [{ path: 'Bag/broken.png', reason: 'broken.png cannot be decoded: the file is truncated or corrupt.' }],
  note: null,
  agreement: null,
  ep: 'cpu',
  written: [`${dir}.evaluate.csv`, `${dir}.evaluate.json`],
});

describe('webview: Evaluate Model on Folder', function () {
  this.timeout(60_000);
  const suite = panelSuite('evaluate', { width: 1100, height: 1400 });

  it('shows accuracy and the confusion matrix of the scores; a cell lists its images with their top classes', async () => {
    const p = suite.panel;
    await p.send({ type: 'evaluate', view: view() });
    assert.equal(await p.page.textContent('#summary .accuracy'), `${(s.accuracy * 100).toFixed(1)}%`);
    assert.equal(s.accuracy, 37 / 40);
    const counts = await p.page.$$eval('#confusion button.cell', (bs) => bs.map((b) => Number(b.getAttribute('data-count'))));
    assert.deepEqual(counts, s.confusion.flat());
    assert.equal(await p.page.getAttribute('button.cell[data-row="6"][data-col="0"]', 'aria-label'), 'true Shirt, predicted T-shirt/top: 2 images');
    await p.page.click('button.cell[data-row="6"][data-col="0"]');
    assert.match((await p.page.textContent('#cell h2'))!, /True Shirt, predicted T-shirt\/top: 2 images/);
    assert.deepEqual(await p.page.$$eval('#cell-images li', (ls) => ls.map((l) => l.getAttribute('data-path'))), [predictions[shirts[0][1]].path, predictions[shirts[1][1]].path]);
    assert.match((await p.page.textContent('#cell-images li'))!, /top: T-shirt\/top 70\.0%, Shirt 29\.0%/);
    // The thumbnails load from the folder.
    assert.equal(await p.page.$$eval('#cell-images img.thumb', (is) => is.filter((i) => (i as HTMLImageElement).naturalWidth > 0).length), 2);
    await p.page.click('#cell-images li [data-action="attention"]');
    assert.deepEqual((await p.posted()).filter((m) => m.type === 'showImage'), [{ type: 'showImage', path: predictions[shirts[0][1]].path, attention: true, model: 'fashion-vit.onnx' }], 'with the model whose details are shown');
    // Warnings in the user's terms.
    assert.match((await p.page.textContent('#unmatched'))!, /not-a-class/);
    assert.match((await p.page.textContent('#warnings'))!, /broken\.png cannot be decoded/);
    assert.deepEqual(p.errors, []);
    assert.deepEqual(await p.cspViolations(), []);
  });

  it('says, above the numbers, the classes left empty and that a model without labels matched only index-named folders', async () => {
    const p = suite.panel;
    const note = 'The model has no labels, so only folders named by class index (0 to 9) are matched; give a labels file to match names.';
    await p.send({ type: 'evaluate', view: { ...view(), unmatched: ['Coat'], empty: ['9'], unreadable: [], note } });
    assert.equal(await p.page.textContent('#unmatched'), 'Folders matching no class of the model (skipped): Coat.');
    assert.equal(await p.page.textContent('#empty'), 'Empty classes (no images): 9.');
    assert.equal(await p.page.textContent('#note'), note);
    // Before the scores: read first.
    assert.equal(await p.page.evaluate(() => !!(document.querySelector('#warnings')!.compareDocumentPosition(document.querySelector('#summary')!) & Node.DOCUMENT_POSITION_FOLLOWING)), true);
    await p.send({ type: 'evaluate', view: { ...view(), unmatched: [], unreadable: [] } });
    assert.equal(await p.page.locator('#warnings').count(), 0, 'no warnings when there is nothing to say');
    assert.deepEqual(p.errors, []);
  });

  it('the matrix is keyboard-accessible: arrows move between cells, Enter opens one', async () => {
    const p = suite.panel;
    await p.send({ type: 'evaluate', view: view() });
    await p.page.focus('button.cell[data-row="0"][data-col="0"]');
    for (const k of ['ArrowDown', 'ArrowDown', 'ArrowRight', 'ArrowRight', 'ArrowUp']) await p.page.keyboard.press(k);
    assert.equal(await p.page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'true Trouser, predicted Pullover: 0 images');
    // Down to Coat (row 4), Enter: its one image predicted as Pullover.
    for (const k of ['ArrowDown', 'ArrowDown', 'ArrowDown']) await p.page.keyboard.press(k);
    await p.page.keyboard.press('Enter');
    assert.match((await p.page.textContent('#cell h2'))!, /True Coat, predicted Pullover: 1 image$/);
    assert.equal(await p.page.evaluate(() => document.activeElement?.getAttribute('data-row')), '4', 'focus stays on the cell');
    assert.equal(await p.page.$$eval('#confusion button.cell[tabindex="0"]', (bs) => bs.length), 1, 'one tab stop in the grid');
  });

  it('the worst mistakes first; progress has a Cancel; an error says why with Retry', async () => {
    const p = suite.panel;
    await p.send({ type: 'evaluate', view: view() });
    assert.deepEqual(await p.page.$$eval('#mistake-list li', (ls) => ls.map((l) => l.getAttribute('data-path'))), [predictions[shirts[1][1]].path, predictions[shirts[0][1]].path, predictions[wrong.size && [...wrong.keys()][2]].path]);
    await p.screenshot('evaluate');
    await p.send({ type: 'evaluateProgress', folder: dir, model: 'fashion-swin (embedded)', index: 1, models: 2, done: 16, total: 40 });
    assert.match((await p.page.textContent('#status'))!, /fashion-swin \(embedded\) \(model 2 of 2\): 16 of 40 images/);
    await p.page.click('#cancel');
    await p.send({ type: 'error', message: 'Cancelled: no results were written.' });
    assert.equal(await p.page.textContent('#error'), 'Cancelled: no results were written.');
    assert.equal(await p.page.locator('#retry').count(), 1);
    assert.equal(await p.page.locator('#progress').count(), 0, 'not left "working"');
    assert.deepEqual((await p.posted()).filter((m) => m.type === 'cancel'), [{ type: 'cancel' }]);
  });
});

describe('webview: Compare Models', function () {
  this.timeout(60_000);
  const fx = (n: string) => join(root, 'media', 'models', `${n}.onnx`);
  const vit = inspectModel(fx('fashion-vit'));
  const swin = inspectModel(fx('fashion-swin'));
  const message = () => {
    const doc = compareDocument([{ name: 'fashion-vit', arch: vit }, { name: 'fashion-swin', arch: swin }]);
    doc.latency = latencyRows([{ model: 'fashion-vit', ep: 'cpu', ms: [1, 1.2, 1.1] }, { model: 'fashion-swin', ep: 'cpu', ms: [2.2, 2.4, 2.3] }]);
    doc.evaluation = { folder: dir, images: 40, accuracy: [{ model: 'fashion-vit', accuracy: 0.9, top5: 1 }, { model: 'fashion-swin', accuracy: 0.9, top5: 1 }], agreement: 0.95, disagreements: [{ path: 'Shirt/a.png', truth: 'Shirt', top1: ['Shirt', 'T-shirt/top'] }, { path: 'Coat/b.png', truth: 'Coat', top1: ['Pullover', 'Coat'] }] };
    return { type: 'compare', doc, pending: null, latencyError: null };
  };
  const suite = panelSuite('compare', { width: 1200, height: 1600 });

  it("params and MACs are each model's arch; Ω follows the resolutions typed", async () => {
    const p = suite.panel;
    await p.send(message());
    const params = await p.page.$$eval('#config tr[data-row="params"] td', (tds) => tds.map((t) => t.textContent));
    assert.deepEqual(params, [vit.params.toLocaleString('en-US'), swin.params.toLocaleString('en-US')]);
    const macs = await p.page.$$eval('#config tr[data-row="MACs"] td', (tds) => tds.map((t) => t.textContent));
    assert.deepEqual(macs, [vit.macs.toLocaleString('en-US'), swin.macs.toLocaleString('en-US')]);
    assert.match((await p.page.textContent('#roles tr[data-row="patch merging"] td:nth-child(3)'))!, /^401,408 /);
    await p.page.fill('#resolutions', '224');
    await p.page.dispatchEvent('#resolutions', 'change');
    const want = omegaAt(message().doc.models[1], 224);
    const wmsa = await p.page.$$eval('#omega tr[data-model="fashion-swin"] td.wmsa', (tds) => tds.map((t) => t.textContent));
    assert.deepEqual(wmsa, want.map((x) => x.wmsaMacs!.toLocaleString('en-US')));
    assert.equal(await p.page.locator('#omega tr[data-resolution="28"]').count(), 0);
    await p.page.fill('#resolutions', '224, x');
    await p.page.dispatchEvent('#resolutions', 'change');
    assert.equal(await p.page.isVisible('#resolutions-error'), true);
    assert.match((await p.page.textContent('#latency'))!, /2\.09×/);
    assert.match((await p.page.textContent('#agreement'))!, /95\.0%; they disagree on 2 images/);
    await p.screenshot('compare');
    assert.deepEqual(p.errors, []);
    assert.deepEqual(await p.cspViolations(), []);
  });
});

describe('webview: evaluate and compare at 360 px, light theme', function () {
  this.timeout(60_000);
  const env = browserSuite();
  for (const panel of ['evaluate', 'compare'])
    it(`${panel}: no wider than the viewport`, async () => {
      const p = await openPanel(env.browser, env.server, panel, { width: 360, height: 900, theme: 'light' });
      try {
        if (panel === 'evaluate') await p.send({ type: 'evaluate', view: view() });
        else {
          const doc = compareDocument([{ name: 'fashion-vit', arch: inspectModel(join(root, 'media', 'models', 'fashion-vit.onnx')) }, { name: 'fashion-swin', arch: inspectModel(join(root, 'media', 'models', 'fashion-swin.onnx')) }]);
          await p.send({ type: 'compare', doc, pending: 'latency', latencyError: null });
        }
        const sw = await p.page.evaluate(() => document.documentElement.scrollWidth);
        const wide = await p.page.evaluate(() => Array.from(document.querySelectorAll('body *')).filter((e) => (e as HTMLElement).scrollWidth > 330).map((e) => `${e.tagName}.${e.className}:${(e as HTMLElement).scrollWidth}/${(e as HTMLElement).clientWidth}`).slice(0, 12));
        assert.ok(sw <= 360, `${panel}: the page is ${sw} px wide in 360 px (${wide.join(' ')})`);
        await p.screenshot(`layout-${panel}-360-light`);
        assert.deepEqual(p.errors, []);
      } finally {
        await p.close();
      }
    });
});
