// Embeddings & attention distance (webview/embeddings) in real Chromium: the ViT paper's Figure 7
// drawn from the core's real numbers for the embedded model and fixtures.
import * as assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { panelSuite } from './harness';
import { embeddingsOfFile } from '../../src/core/report/embeddings';

const doc = (file: string) => embeddingsOfFile(resolve(file));
const distance = [
  { label: 'sneaker.png', images: 1, layers: Array.from({ length: 6 }, (_, l) => ({ name: `encoder.block${l}`, heads: [1, 2, 3, 4].map((h) => 2 + l * 2 + h) })) },
  { label: 'samples/ mean over 8 images', images: 8, layers: Array.from({ length: 6 }, (_, l) => ({ name: `encoder.block${l}`, heads: [1, 2, 3, 4].map((h) => 3 + l + h) })) },
];

describe('webview: embeddings and attention distance panel (Figure 7)', function () {
  this.timeout(60_000);
  const suite = panelSuite('embeddings', { height: 1600 });

  it('fashion-vit: 49 similarity tiles on the 7×7 grid; a clicked patch shows its map large, brightest at itself; 28 filter components with their shares', async () => {
    const d = doc('media/models/fashion-vit.onnx');
    await suite.panel.send({ type: 'embeddings', model: 'fashion-vit.onnx', doc: d, error: null, imageSize: 28, distance: [] });
    const p = suite.panel.page;
    assert.equal(await p.locator('#pos-grid canvas').count(), 49);
    await p.click('#pos-grid canvas[data-patch="24"]');
    assert.equal(await p.getAttribute('#pos-large', 'data-patch'), '24');
    const px = await p.evaluate(() => {
      const c = document.getElementById('pos-large') as HTMLCanvasElement;
      const d = c.getContext('2d')!.getImageData(0, 0, 7, 7).data;
      return { self: Array.from(d.slice(24 * 4, 24 * 4 + 3)), corner: Array.from(d.slice(0, 3)) };
    });
    // Similarity 1 with itself is the top of viridis (#fde725); a far corner is darker.
    assert.deepEqual(px.self, [253, 231, 37]);
    assert.ok(px.corner[0] + px.corner[1] + px.corner[2] < 253 + 231 + 37);
    // Keyboard: right arrow moves the selection.
    await p.focus('#pos-grid canvas[data-patch="24"]');
    await p.keyboard.press('ArrowRight');
    assert.equal(await p.getAttribute('#pos-large', 'data-patch'), '25');
    const shares = await p.$$eval('#pc-tiles canvas', (cs) => cs.map((c) => Number((c as HTMLElement).dataset.explained)));
    assert.equal(shares.length, 28);
    assert.deepEqual(shares, d.patchFilters!.explained);
    assert.match((await p.textContent('#pos-kind'))!, /encoder\.pos_embedding: learned, 7×7 patches \(1 class\/distillation row left out\)/);
    assert.match((await p.textContent('#distance-empty'))!, /Not computed yet/);
    await suite.panel.screenshot('embeddings-fashion-vit');
    assert.deepEqual(await suite.panel.cspViolations(), []);
    assert.deepEqual(suite.panel.errors.filter((e) => !/favicon/.test(e)), []);
  });

  it('the distance scatter: one dot per head and layer for the image and for the folder mean, depth on x, with a legend', async () => {
    await suite.panel.send({ type: 'embeddings', model: 'fashion-vit.onnx', doc: doc('media/models/fashion-vit.onnx'), error: null, imageSize: 28, distance });
    const p = suite.panel.page;
    assert.equal(await p.locator('#distance-plot circle.series-0').count(), 24);
    assert.equal(await p.locator('#distance-plot rect.series-1').count(), 24);
    assert.deepEqual(await p.$$eval('#distance-legend li', (ls) => ls.map((l) => l.textContent)), ['● sneaker.png', '■ samples/ mean over 8 images']);
    // Deeper layers sit further right; a larger distance sits higher (smaller y).
    const pos = await p.$$eval('#distance-plot circle.series-0', (cs) => cs.map((c) => [Number(c.getAttribute('cx')), Number(c.getAttribute('cy'))]));
    assert.ok(pos[4][0] > pos[0][0] && pos[1][1] < pos[0][1]);
    await p.locator('#distance').screenshot({ path: resolve('test-results/webview/embeddings-distance.png') });
    assert.deepEqual(await suite.panel.cspViolations(), []);
  });

  it('bad input is said, not drawn empty: Swin has no position embedding; weights absent; the folder button asks the host', async () => {
    const p = suite.panel.page;
    await suite.panel.send({ type: 'embeddings', model: 'tiny_swin.onnx', doc: doc('test/fixtures/models/tiny_swin.onnx'), error: null, imageSize: 32, distance: [] });
    assert.equal(await p.locator('#pos-grid').count(), 0);
    assert.match((await p.textContent('#notes'))!, /No absolute position embedding.*relative position bias/);
    assert.equal(await p.locator('#pc-tiles canvas').count(), 12);
    await suite.panel.send({ type: 'embeddings', model: 'vit_b_16.onnx', doc: doc('test/fixtures/models/vit_b_16.onnx'), error: null, imageSize: 224, distance: [] });
    assert.match((await p.textContent('#notes'))!, /weights are missing/);
    assert.equal(await p.locator('#pos-grid, #pc-tiles').count(), 0);
    await suite.panel.send({ type: 'embeddings', model: '', doc: null, error: 'The model /x.onnx does not exist.', imageSize: null, distance: [] });
    assert.match((await p.textContent('#embeddings-error'))!, /does not exist/);
    await p.click('#distance-folder');
    assert.ok((await suite.panel.posted()).some((m) => m.type === 'distanceFolder'));
  });
});
