// The classify panel (webview/classify) in real Chromium, fed what the host sends after a real
// capture of the tiny ViT and Swin fixtures: top-k bars, the patch grid, the attention heatmap.
import * as assert from 'node:assert/strict';
import type { AttentionResult } from '../../src/runtime/capture';
import { panelSuite } from './harness';
import { fullMessages, messages, serveLayers, tinyCaptures } from './classifyMessages';
import { typedBytes } from '../../src/core/attention/summary';

describe('webview: classify panel with attention, the model view and errors', function () {
  this.timeout(60_000);
  let vit: AttentionResult;
  let swin: AttentionResult;
  before(async function () {
    this.timeout(90_000);
    [vit, swin] = await tinyCaptures();
  });
  const suite = panelSuite('classify', { height: 1400 });

  it('shows the top classes, the provider that ran and why the others did not', async () => {
    await suite.panel.send(messages(vit, 'tiny_vit')[0]);
    assert.equal(await suite.panel.page.locator('#top li').count(), 5);
    assert.equal(await suite.panel.page.getAttribute('#top li:first-child', 'data-index'), String(vit.top![0].index));
    // Whose result it is, for a reader (the e2e tests) that has several classify panels to tell apart.
    assert.equal(await suite.panel.page.getAttribute('.classify', 'data-image'), 'disc.png');
    assert.match((await suite.panel.page.textContent('#provider'))!, /^cpu.*cuda — the CUDA provider libraries/);
    assert.deepEqual(suite.panel.errors.filter((e) => !/Failed to load resource/.test(e)), []);
  });

  it('says how a checkpoint with fp16 weights was computed on that provider; nothing for fp32 weights', async () => {
    assert.equal(await suite.panel.page.$('#compute'), null, 'an fp32 model: no precision line');
    const [classified] = messages(vit, 'tiny_vit') as [{ view: Record<string, unknown> }];
    await suite.panel.send({ ...classified, view: { ...classified.view, ep: 'cuda', failures: [], compute: 'fp16 (computed in fp16 on cuda)' } });
    assert.equal(await suite.panel.page.textContent('#compute'), 'fp16 (computed in fp16 on cuda)');
    await suite.panel.send({ ...classified, view: { ...classified.view, compute: 'fp16 weights, computed in fp32' } });
    assert.equal(await suite.panel.page.textContent('#compute'), 'fp16 weights, computed in fp32');
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
    // A patch query needs the tensors: the layer shown is asked for first, then the model view's others.
    assert.match((await suite.panel.page.textContent('#attention-caption'))!, /Loading the attention of encoder\.block1/);
    assert.deepEqual(await serveLayers(suite.panel, vit), [[1], vit.layers.flatMap((l, i) => (l.data && i !== 1 ? [i] : []))]);
    assert.match((await suite.panel.page.textContent('#attention-caption'))!, /where the patch at row 0, column 0 looks/);
    await suite.panel.screenshot('classify-vit-attention');
    assert.deepEqual(await suite.panel.cspViolations(), []);
  });

  it('Step through… carries the attention view’s layer, head and clicked patch over (ViT: after the class token)', async () => {
    for (const m of messages(vit, 'tiny_vit')) await suite.panel.send(m);
    await suite.panel.page.selectOption('#layer', '1');
    await suite.panel.page.selectOption('#head', '1');
    await suite.panel.page.click('#step-through');
    assert.deepEqual((await suite.panel.posted()).at(-1), { type: 'stepThrough', layer: 1, head: 1 });
    await suite.panel.page.check('#query-mode');
    // The 4×4 grid: the bottom-right patch is patch 15, sequence index 16.
    const box = (await suite.panel.page.locator('#image').boundingBox())!;
    await suite.panel.page.click('#image', { position: { x: box.width - 5, y: box.height - 5 } });
    await suite.panel.page.click('#step-through');
    assert.deepEqual((await suite.panel.posted()).at(-1), { type: 'stepThrough', layer: 1, head: 1, token: 16 });
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
    await serveLayers(suite.panel, swin);
    assert.match((await suite.panel.page.textContent('#attention-caption'))!, /its window only/);
    await suite.panel.screenshot('classify-swin-attention');
  });

  it('keeps the classification when the model has no attention to show', async () => {
    await suite.panel.send(messages(vit, 'tiny_vit')[0]);
    await suite.panel.send({ type: 'attentionUnavailable', message: 'resnet18.onnx has no attention Softmax: it is not a ViT or Swin.' });
    assert.equal(await suite.panel.page.locator('#top li').count(), 5);
    assert.match((await suite.panel.page.textContent('#attention-error'))!, /no attention Softmax/);
  });

  // Model view and errors
  const attr = (sel: string, name: string) => suite.panel.page.getAttribute(sel, name);

  it('ViT: a grid of layers × heads for the rollout; a click opens that map large, arrows and Enter move', async () => {
    for (const m of messages(vit, 'tiny_vit')) await suite.panel.send(m);
    const layers = vit.layers.filter((l) => l.data);
    assert.equal(await suite.panel.page.locator('#model-view .mv-cell').count(), layers.reduce((n, l) => n + l.heads, 0));
    assert.equal(await attr('#model-view', 'data-query'), 'rollout');
    assert.match((await suite.panel.page.textContent('#model-view-title'))!, /rollout/);
    const caption = async () => (await suite.panel.page.textContent('#attention-caption'))!;
    await suite.panel.page.click('#model-view .mv-cell[data-layer="1"][data-head="1"]');
    assert.match(await caption(), /Rollout from the class token ending with encoder\.block1, head 1/);
    assert.equal(await attr('#model-view .mv-cell[data-layer="1"][data-head="1"]', 'aria-selected'), 'true');
    // Class-token query: pick a layer; the grid follows; keyboard moves and opens.
    await suite.panel.page.selectOption('#layer', '0');
    assert.equal(await attr('#model-view', 'data-query'), 'class');
    const before = await suite.panel.page.$eval('#heat', (c) => (c as HTMLCanvasElement).toDataURL());
    await suite.panel.page.focus('#model-view .mv-cell[data-layer="0"][data-head="0"]');
    await suite.panel.page.keyboard.press('ArrowRight');
    await suite.panel.page.keyboard.press('ArrowDown');
    await suite.panel.page.keyboard.press('Enter');
    assert.equal(await suite.panel.page.inputValue('#layer'), '1');
    assert.equal(await suite.panel.page.inputValue('#head'), '1');
    assert.match(await caption(), /encoder\.block1: attention from the class token to each patch \(head 1\)/);
    assert.notEqual(await suite.panel.page.$eval('#heat', (c) => (c as HTMLCanvasElement).toDataURL()), before, 'the large map changed');
    // Patch query: the grid answers the clicked patch.
    await suite.panel.page.check('#query-mode');
    await suite.panel.page.click('#image', { position: { x: 10, y: 10 } });
    await serveLayers(suite.panel, vit);
    assert.equal(await attr('#model-view', 'data-query'), 'patch');
    assert.match((await suite.panel.page.textContent('#model-view-title'))!, /where the patch at input pixel x 0, y 0 looks/);
    await suite.panel.screenshot('classify-vit-model-view');
    assert.deepEqual(suite.panel.errors.filter((e) => !/Failed to load resource/.test(e)), []);
    assert.deepEqual(await suite.panel.cspViolations(), []);
  });

  it('a model-view click sets the Head dropdown to that head and scrolls the large view into sight (issue 23)', async () => {
    await suite.panel.page.setViewportSize({ width: 800, height: 500 });
    for (const m of messages(vit, 'tiny_vit')) await suite.panel.send(m);
    const page = suite.panel.page;
    // Rollout (the default): the dropdown read "Mean over heads" while the caption said head 1.
    await page.locator('#model-view .mv-cell[data-layer="1"][data-head="1"]').scrollIntoViewIfNeeded();
    const inView = () => page.$eval('#image', (el) => { const r = el.getBoundingClientRect(); return r.bottom > 0 && r.top < window.innerHeight; });
    assert.equal(await inView(), false, 'the large view is out of sight before the click');
    await page.click('#model-view .mv-cell[data-layer="1"][data-head="1"]');
    assert.match((await page.textContent('#attention-caption'))!, /ending with encoder\.block1, head 1/);
    assert.equal(await page.inputValue('#head'), '1');
    assert.equal(await page.isDisabled('#head'), false);
    assert.equal(await inView(), true, 'the large view it changed is on screen');
    // The dropdown drives the same view: another head, then the mean (the rollout itself).
    await page.selectOption('#head', '0');
    assert.match((await page.textContent('#attention-caption'))!, /ending with encoder\.block1, head 0/);
    assert.equal(await attr('#model-view .mv-cell[data-layer="1"][data-head="0"]', 'aria-selected'), 'true');
    await page.selectOption('#head', 'mean');
    assert.match((await page.textContent('#attention-caption'))!, /Attention rollout/);
    // A class-token layer: the click sets layer and head.
    await page.selectOption('#layer', '0');
    await page.click('#model-view .mv-cell[data-layer="1"][data-head="0"]');
    assert.deepEqual([await page.inputValue('#layer'), await page.inputValue('#head')], ['1', '0']);
    assert.equal(await inView(), true);
  });

  it('the summary draws what the tensors draw, pixel for pixel, from a fraction of the bytes (issue 22 item 6)', async () => {
    const page = suite.panel.page;
    const pixels = () => Promise.all(['#heat', '.mv-canvas'].map((sel) => page.$eval(sel, (c) => (c as HTMLCanvasElement).toDataURL())));
    // Every kind of view: ViT rollout (and a rollout cell), class-token maps (mean, max, a head), a patch query; Swin's block and stage maps.
    const steps: Record<'vit' | 'swin', [string, (() => Promise<unknown>)][]> = {
      vit: [
        ['rollout', async () => undefined],
        ['rollout cell', () => page.click('#model-view .mv-cell[data-layer="1"][data-head="1"]')],
        ['layer 0', () => page.selectOption('#layer', '0')],
        ['layer 0 max', () => page.selectOption('#head', 'max')],
        ['layer 1 head 2', async () => (await page.selectOption('#layer', '1'), await page.selectOption('#head', '1'))],
        ['patch query', async () => (await page.check('#query-mode'), await page.click('#image', { position: { x: 20, y: 12 } }))],
      ],
      swin: [
        ['last block', async () => undefined],
        ['stage 1 mean', () => page.selectOption('#layer', 'stage:0')],
        ['stage 1 head 2', () => page.selectOption('#head', '1')],
        ['block 1 max', async () => (await page.selectOption('#layer', '1'), await page.selectOption('#head', 'max'))],
        ['patch query', async () => (await page.check('#query-mode'), await page.click('#image', { position: { x: 20, y: 12 } }))],
      ],
    };
    for (const [r, name] of [[vit, 'tiny_vit'], [swin, 'tiny_swin']] as const) {
      const shots: Record<string, string[]>[] = [];
      for (const msgs of [fullMessages(r, name), messages(r, name)]) {
        const got: Record<string, string[]> = {};
        for (const m of msgs) await suite.panel.send(m);
        for (const [what, act] of steps[r.family]) {
          await act();
          await serveLayers(suite.panel, r);
          got[what] = await pixels();
        }
        shots.push(got);
      }
      assert.deepEqual(shots[1], shots[0], `${name}: the same maps drawn`);
      const [full, compact] = [fullMessages(r, name)[1], messages(r, name)[1]].map((m) => typedBytes(m));
      assert.equal(full, r.layers.reduce((n, l) => n + (l.data?.byteLength ?? 0), 0));
      assert.ok(compact < full / 3, `${name}: ${compact} bytes posted first, against ${full} for the tensors`);
    }
    assert.deepEqual(suite.panel.errors.filter((e) => !/Failed to load resource/.test(e)), []);
  });

  it('shows a colour bar with the range of the large map, in viridis or magma', async () => {
    for (const m of messages(vit, 'tiny_vit')) await suite.panel.send(m);
    const range = /Range (\S+)–(\S+)\./.exec((await suite.panel.page.textContent('#attention-caption'))!)!;
    assert.equal(await suite.panel.page.textContent('#range-low'), range[1]);
    assert.equal(await suite.panel.page.textContent('#range-high'), range[2]);
    const ends = () => suite.panel.page.$eval('#colorbar', (c) => Array.from((c as HTMLCanvasElement).getContext('2d')!.getImageData(0, 0, 256, 1).data.filter((_, i) => i < 3 || (i >= 1020 && i < 1023))));
    assert.deepEqual(await ends(), [68, 1, 84, 253, 231, 37]); // viridis
    await suite.panel.page.selectOption('#colormap', 'magma');
    assert.deepEqual(await ends(), [0, 0, 4, 252, 253, 191]);
  });

  it('Swin: rows are the stages’ blocks; the block’s window borders (shifted or not) draw over the image', async () => {
    for (const m of messages(swin, 'tiny_swin')) await suite.panel.send(m);
    const labels = await suite.panel.page.$$eval('#model-view .mv-label[role="rowheader"]', (ls) => ls.map((l) => l.textContent));
    assert.deepEqual(labels, swin.layers.filter((l) => l.data).map((l) => `${l.name}${l.shifted ? ' SW' : ' W'}`));
    await suite.panel.page.selectOption('#layer', '1'); // stage1.block1, SW-MSA
    const heat = () => suite.panel.page.$eval('#heat', (c) => (c as HTMLCanvasElement).toDataURL());
    const plain = await heat();
    await suite.panel.page.check('#windows');
    const shifted = await heat();
    assert.notEqual(shifted, plain);
    await suite.panel.page.selectOption('#layer', '0'); // W-MSA: other borders
    assert.notEqual(await heat(), shifted);
    await suite.panel.screenshot('classify-swin-windows');
  });

  it('exports the large view and the model view as PNG', async () => {
    for (const m of messages(vit, 'tiny_vit')) await suite.panel.send(m);
    await suite.panel.page.click('#export');
    await suite.panel.page.click('#export-grid');
    const saves = (await suite.panel.posted()).filter((m) => m.type === 'save');
    assert.deepEqual(saves.map((m) => [m.format, m.name]), [['png', 'disc-attention.png'], ['png', 'disc-model-view.png']]);
    for (const s of saves) assert.ok((s.data as string).startsWith('iVBORw0KGgo'), 'a PNG');
  });

  it('an error stays on screen with Retry and Select another model', async () => {
    await suite.panel.send({ type: 'busy', message: 'Classifying with vit_b_16.onnx…' });
    await suite.panel.send({ type: 'error', message: 'vit_b_16.onnx needs its weights file vit_b_16.onnx.data beside it.' });
    assert.match((await suite.panel.page.textContent('#error'))!, /weights file/);
    assert.equal(await suite.panel.page.textContent('.status'), '');
    await suite.panel.page.click('#retry');
    await suite.panel.page.click('#pick-model');
    assert.deepEqual((await suite.panel.posted()).slice(-2), [{ type: 'rerun' }, { type: 'pickModel' }]);
  });

  it('a corrupt image offers Retry only; the providers that did not start are named, their raw reasons folded; the config file is shown (issue 23)', async () => {
    const [classified] = messages(vit, 'tiny_vit') as Array<{ view: Record<string, unknown> }>;
    classified.view.failures = [{ ep: 'webgpu', reason: 'Dawn: Vulkan shaderUniform*ArrayDynamicIndexing required' }];
    classified.view.preprocessingFile = '/home/user/models/vit/preprocessor_config.json';
    classified.view.preprocessingFileShown = 'models/vit/preprocessor_config.json';
    await suite.panel.send(classified);
    const page = suite.panel.page;
    assert.equal(await page.isVisible('text=shaderUniform'), false, 'the library\'s words are folded');
    assert.match(await page.innerText('#provider'), /webgpu did not start here/);
    await page.click('#provider summary');
    assert.equal(await page.isVisible('text=shaderUniform'), true);
    // Workspace-relative as shown (a narrow column wrapped the whole path over six lines), the whole path in the tooltip.
    assert.equal(await page.innerText('#preprocessing-file'), 'from models/vit/preprocessor_config.json');
    assert.equal(await page.getAttribute('#preprocessing-file code', 'title'), '/home/user/models/vit/preprocessor_config.json');
    await suite.panel.send({ type: 'error', message: 'broken.jpg cannot be decoded: the file is truncated or corrupt (the decoder says: premature end of JPEG file).', cause: 'image' });
    assert.equal(await page.locator('#retry').count(), 1);
    assert.equal(await page.locator('#pick-model').count(), 0, 'another model cannot fix a corrupt image');
  });
});

describe('webview: classify folder errors', function () {
  const suite = panelSuite('folder');
  it('a failed run ends "Classifying…": the error, that nothing was written, Retry and Select another model', async () => {
    assert.match((await suite.panel.page.textContent('h1'))!, /Classifying/);
    await suite.panel.send({ type: 'error', message: 'vit_b_16.onnx needs its weights file vit_b_16.onnx.data beside it.' });
    assert.doesNotMatch((await suite.panel.page.textContent('h1'))!, /Classifying/);
    assert.match((await suite.panel.page.textContent('#error'))!, /weights file/);
    assert.match((await suite.panel.page.textContent('.status'))!, /No result files were written/);
    await suite.panel.page.click('#retry');
    await suite.panel.page.click('#pick-model');
    assert.deepEqual((await suite.panel.posted()).slice(-2), [{ type: 'rerun' }, { type: 'pickModel' }]);
  });
});
