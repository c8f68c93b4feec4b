// The .onnx architecture view (webview/architecture) in real Chromium, fed what the host would
// send for the committed torchvision exports: summary card, virtualised tree, search, keyboard.
import * as assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { inspectModel } from '../../src/core/arch/inspect';
import { panelSuite } from './harness';
import { root } from './browser';

const fixture = (name: string) => join(root, 'test', 'fixtures', 'models', `${name}.onnx`);

describe('webview: architecture view', function () {
  this.timeout(60_000);
  const swin = inspectModel(fixture('swin_t'), { details: true });

  const suite = panelSuite('architecture', { height: 900, width: 1200 });

  it('names the family and config of Swin-T in the summary card', async () => {
    await suite.panel.send({ type: 'architecture', result: swin, modelPath: fixture('swin_t') });
    assert.equal(await suite.panel.page.textContent('#family'), 'Swin Transformer');
    assert.equal(await suite.panel.page.textContent('#depths'), '2-2-6-2');
    assert.equal(await suite.panel.page.textContent('#heads'), '3-6-12-24');
    assert.equal(await suite.panel.page.textContent('#window'), '7 (shift 3)');
    assert.match((await suite.panel.page.textContent('#params'))!, /^28,288,354/);
    assert.match((await suite.panel.page.textContent('#macs'))!, /^4\.49\dG/);
    assert.match((await suite.panel.page.textContent('#warnings'))!, /weights are absent/);
    await suite.panel.screenshot('architecture');
    assert.deepEqual(await suite.panel.cspViolations(), []);
    assert.deepEqual(suite.panel.errors.filter((e) => !/Failed to load resource/.test(e)), []);
  });

  it('shows the precision and quantization of an int8 model (ViT-B/16, dynamic) beside its config', async () => {
    const int8 = inspectModel(fixture('vit_b_16_int8_dyn'), { details: true });
    await suite.panel.send({ type: 'architecture', result: int8, modelPath: fixture('vit_b_16_int8_dyn') });
    assert.equal(await suite.panel.page.textContent('#precision'), 'int8 (dynamic quantization)');
    assert.match((await suite.panel.page.textContent('#params'))!, /^86,567,656/);
    await suite.panel.send({ type: 'architecture', result: swin, modelPath: fixture('swin_t') });
    assert.equal(await suite.panel.page.textContent('#precision'), 'fp32');
  });

  it('keeps only the visible rows in the DOM while searching through every node', async () => {
    await suite.panel.send({ type: 'architecture', result: swin, modelPath: fixture('swin_t') });
    await suite.panel.page.fill('#search', 'Softmax');
    const inDom = await suite.panel.page.locator('.tree-row').count();
    const total = await suite.panel.page.evaluate(() => parseInt((document.querySelector('.tree-spacer') as HTMLElement).style.height, 10) / 22);
    assert.ok(total > 12, `search found ${total} rows`);
    assert.ok(inDom <= total && inDom < 80, `${inDom} rows in the DOM`);
    assert.ok(await suite.panel.page.locator('.tree-row .kind', { hasText: 'Softmax' }).count() >= 1);
  });

  it('is keyboard navigable: arrows move and expand, Enter shows the details of the node', async () => {
    await suite.panel.send({ type: 'architecture', result: swin, modelPath: fixture('swin_t') });
    await suite.panel.page.focus('#tree');
    await suite.panel.page.keyboard.press('ArrowDown');
    await suite.panel.page.keyboard.press('Enter');
    assert.equal(await suite.panel.page.textContent('#details h2'), 'features');
    await suite.panel.page.keyboard.press('ArrowDown');
    await suite.panel.page.keyboard.press('ArrowRight');
    await suite.panel.page.keyboard.press('ArrowRight');
    await suite.panel.page.keyboard.press('Enter');
    assert.match((await suite.panel.page.textContent('#details'))!, /Conv|patchEmbed|Output/);
  });

  it('shows the reason when the model cannot be read', async () => {
    await suite.panel.send({ type: 'error', message: 'x.onnx is not a valid ONNX model: the file is damaged.' });
    assert.match((await suite.panel.page.textContent('#error'))!, /not a valid ONNX model/);
    await suite.panel.page.click('#retry');
    assert.deepEqual((await suite.panel.posted()).at(-1), { type: 'refresh' });
  });

  it('a checkpoint of an architecture not built: the reason, then its tensors (name, dtype, shape, bytes)', async () => {
    const tensors = [
      { name: 'bert.embeddings.word_embeddings.weight', dtype: 'F32', shape: [30522, 768], bytes: 93763584 },
      { name: 'bert.pooler.dense.bias', dtype: 'F16', shape: [768], bytes: 1536 },
    ];
    await suite.panel.send({ type: 'error', message: 'model.safetensors holds 2 tensors, but its config.json names BertModel, which ViT Inspector does not build.', tensors });
    assert.match((await suite.panel.page.textContent('#error'))!, /BertModel/);
    const rows = await suite.panel.page.$$eval('#tensors tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    assert.deepEqual(rows, [
      ['bert.embeddings.word_embeddings.weight', 'F32', '[30522, 768]', '93763584'],
      ['bert.pooler.dense.bias', 'F16', '[768]', '1536'],
    ]);
  });

  it('a checkpoint\'s view offers Export to ONNX; an ONNX file\'s does not', async () => {
    const ckpt = inspectModel(join(root, 'test', 'fixtures', 'checkpoints', 'hf-vit'));
    await suite.panel.send({ type: 'architecture', result: ckpt });
    await suite.panel.page.click('#export-onnx');
    assert.deepEqual((await suite.panel.posted()).at(-1), { type: 'command', command: 'exportOnnx' });
    await suite.panel.send({ type: 'architecture', result: swin });
    assert.equal(await suite.panel.page.$('#export-onnx'), null);
  });

  it('a sharded checkpoint opened from its index: the shards\' total size, not the index\'s own', async () => {
    const dir = join(root, 'test', 'fixtures', 'checkpoints', 'hf-vit-sharded');
    const shards = ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'].reduce((a, f) => a + statSync(join(dir, f)).size, 0);
    const r = inspectModel(join(dir, 'model.safetensors.index.json'));
    assert.equal(r.fileSize, shards);
    assert.equal(r.shards, 2);
    await suite.panel.send({ type: 'architecture', result: r });
    assert.match((await suite.panel.page.textContent('#graph-size'))!, new RegExp(`, ${(shards / 1e6).toFixed(1).replace('.', '\\.')} MB in 2 shards$`));
    assert.ok(shards > 0.05e6, `the shards hold ${shards} bytes: more than the 0.0 MB the index showed`);
    const one = inspectModel(join(root, 'test', 'fixtures', 'checkpoints', 'hf-vit'));
    await suite.panel.send({ type: 'architecture', result: one });
    assert.equal(one.shards, undefined);
    assert.match((await suite.panel.page.textContent('#graph-size'))!, / MB file$/);
  });
});
