// The classify panel (webview/classify) in real Chromium, fed what the host sends after a real
// capture of the tiny ViT and Swin fixtures: top-k bars, the patch grid, the attention heatmap.
import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import { attention, type AttentionResult } from '../../src/runtime/attention';
import type { ClassifyView } from '../../src/shared/protocol';
import { panelSuite } from './harness';
import { root } from './browser';

const model = (name: string) => join(root, 'test', 'fixtures', 'models', `${name}.onnx`);
const image = join(root, 'test', 'fixtures', 'images', 'disc.png');

function messages(r: AttentionResult, name: string): unknown[] {
  const view: ClassifyView = {
    imageName: 'disc.png',
    imagePath: image,
    modelName: `${name}.onnx`,
    modelPath: model(name),
    ep: r.ep,
    failures: [{ ep: 'cuda', reason: 'the CUDA provider libraries of onnxruntime-node are not installed' }],
    pixels: r.cropped!,
    original: r.original,
    top: r.top!,
    timings: { decode: 1, preprocess: 1, run: r.timings.run, load: r.loadMs },
    labelsSource: 'labels.txt',
    preprocessing: 'resize 32 bilinear, crop 32',
    grid: { patch: r.config.patchSize!, window: r.config.windowSize, family: r.family },
  };
  return [
    { type: 'classified', view, providers: ['cuda', 'cpu'] },
    { type: 'attention', family: r.family, ep: r.ep, inputSize: r.imageSize[0], layers: r.layers, warnings: r.warnings },
  ];
}

describe('webview: classify panel with attention', function () {
  this.timeout(60_000);
  let vit: AttentionResult;
  let swin: AttentionResult;
  before(async function () {
    this.timeout(90_000);
    [vit, swin] = await Promise.all(['tiny_vit', 'tiny_swin'].map((m) => attention({ model: model(m), image, order: ['cpu'], withImage: true, topK: 5 })));
  });
  const suite = panelSuite('classify', { height: 1100 });

  it('shows the top classes, the provider that ran and why the others did not', async () => {
    await suite.panel.send(messages(vit, 'tiny_vit')[0]);
    assert.equal(await suite.panel.page.locator('#top li').count(), 5);
    assert.equal(await suite.panel.page.getAttribute('#top li:first-child', 'data-index'), String(vit.top![0].index));
    assert.match((await suite.panel.page.textContent('#provider'))!, /^cpu.*cuda — the CUDA provider libraries/);
    assert.deepEqual(suite.panel.errors.filter((e) => !/Failed to load resource/.test(e)), []);
  });

  it('ViT: starts on the rollout, switches layer and head, and answers a clicked patch', async () => {
    for (const m of messages(vit, 'tiny_vit')) await suite.panel.send(m);
    assert.equal(await suite.panel.page.inputValue('#layer'), 'rollout');
    assert.equal(await suite.panel.page.getAttribute('#heat', 'data-grid'), '4x4');
    assert.match((await suite.panel.page.textContent('#attention-caption'))!, /rollout/i);
    await suite.panel.page.selectOption('#layer', '1');
    await suite.panel.page.selectOption('#head', '0');
    assert.match((await suite.panel.page.textContent('#attention-caption'))!, /encoder\.block1: attention from the class token/);
    await suite.panel.page.check('#query-mode');
    await suite.panel.page.click('#image', { position: { x: 10, y: 10 } });
    assert.match((await suite.panel.page.textContent('#attention-caption'))!, /where patch \(0, 0\) looks/);
    await suite.panel.screenshot('classify-vit-attention');
    assert.deepEqual(await suite.panel.cspViolations(), []);
  });

  it('Swin: per-block maps with the shift undone, stage means, and a window-bounded query', async () => {
    for (const m of messages(swin, 'tiny_swin')) await suite.panel.send(m);
    const options = await suite.panel.page.$$eval('#layer option', (os) => os.map((o) => (o as HTMLOptionElement).textContent));
    assert.ok(options.some((o) => /Stage 1 mean \(16×16\)/.test(o!)), options.join(' | '));
    assert.ok(options.some((o) => /stage1\.block1 SW-MSA M=4/.test(o!)), options.join(' | '));
    await suite.panel.page.selectOption('#layer', '1');
    assert.equal(await suite.panel.page.getAttribute('#heat', 'data-grid'), '16x16');
    assert.match((await suite.panel.page.textContent('#attention-caption'))!, /shifted window \(partition and cyclic shift undone\)/);
    await suite.panel.page.check('#query-mode');
    await suite.panel.page.click('#image', { position: { x: 5, y: 5 } });
    assert.match((await suite.panel.page.textContent('#attention-caption'))!, /its window only/);
    await suite.panel.screenshot('classify-swin-attention');
  });

  it('keeps the classification when the model has no attention to show', async () => {
    await suite.panel.send(messages(vit, 'tiny_vit')[0]);
    await suite.panel.send({ type: 'attentionUnavailable', message: 'resnet18.onnx has no attention Softmax: it is not a ViT or Swin.' });
    assert.equal(await suite.panel.page.locator('#top li').count(), 5);
    assert.match((await suite.panel.page.textContent('#attention-error'))!, /no attention Softmax/);
  });
});
