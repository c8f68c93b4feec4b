// Compare Window Complexity (webview/complexity) in real Chromium: the paper's numbers, drawn.
import * as assert from 'node:assert/strict';
import { panelSuite } from './harness';

describe('webview: complexity panel', function () {

  const suite = panelSuite('complexity', { height: 1800 });

  it('counts nothing until the host says which model: Swin-T\'s figures drawn meanwhile would pass for the model\'s', async () => {
    // panelSuite loads a fresh page per test; nothing has been sent yet.
    const page = suite.panel.page;
    assert.match((await page.textContent('[role=status]'))!, /Reading the model/);
    assert.equal(await page.$('#stage-table'), null);
    assert.equal(await page.$('#source'), null);
    // The model's table says whose it is (the e2e tests wait for it, not for any table).
    const config = { family: 'swin', imageSize: 224, patchSize: 4, embedDim: 96, depths: [2, 2], heads: [3, 6], windowSize: 7, mlpRatio: 4 };
    await suite.panel.send({ type: 'complexity', model: { name: 'two-stage.onnx', config }, unit: 'MACs' });
    assert.equal(await page.getAttribute('#stage-table', 'data-source'), 'two-stage.onnx');
    assert.equal(await page.locator('#stage-table tbody tr').count(), 2);
    assert.equal(await page.inputValue('#source'), 'model');
  });

  it('shows Swin-T\'s stages with the paper\'s Ω(MSA) and Ω(W-MSA), and the whole-model total', async () => {
    await suite.panel.send({ type: 'complexity', model: null, unit: 'MACs' });
    assert.match((await suite.panel.page.textContent('[role=status]'))!, /swin-t: 4\.49G MACs/);
    // Stage 1: h=w=56, C=96, M=7: 4hwC² + 2(hw)²C = 2,003,828,736 and 4hwC² + 2M²hwC = 145,108,992.
    const stage1 = await suite.panel.page.$$eval('#stage-table tbody tr:first-child td', (tds) => tds.map((t) => t.textContent));
    assert.equal(stage1[4], '2,003,828,736');
    assert.equal(stage1[5], '145,108,992');
    // The short forms a narrow table shows keep three figures: "2.00G" (was "2G" beside "352M").
    const short = await suite.panel.page.$$eval('#stage-table tbody tr td[data-short]', (tds) => tds.map((t) => t.getAttribute('data-short')));
    assert.deepEqual(short.slice(0, 4), ['2.00G', '145M', '352M', '130M']);
    assert.equal(await suite.panel.page.locator('#chart-stages rect.chart-bar').count(), 8);
    assert.ok((await suite.panel.page.locator('#chart-model-sweep circle.point').count()) > 10);
    await suite.panel.screenshot('complexity');
    assert.deepEqual(await suite.panel.cspViolations(), []);
    assert.deepEqual(suite.panel.errors.filter((e) => !/Failed to load resource/.test(e)), []);
  });

  it('doubles every figure when switched to FLOPs', async () => {
    await suite.panel.send({ type: 'complexity', model: null, unit: 'MACs' });
    await suite.panel.page.click('#unit');
    const stage1 = await suite.panel.page.$$eval('#stage-table tbody tr:first-child td', (tds) => tds.map((t) => t.textContent));
    assert.equal(stage1[4], (2 * 2003828736).toLocaleString('en-US'));
    assert.match((await suite.panel.page.textContent('[role=status]'))!, /8\.99G FLOPs/);
  });

  it('sweeps a custom map, asks the host to measure, and overlays the measured times', async () => {
    await suite.panel.send({ type: 'complexity', model: null, unit: 'MACs' });
    await suite.panel.page.selectOption('#source', 'custom');
    await suite.panel.page.fill('#windows', '2,4,7,14');
    await suite.panel.page.dispatchEvent('#windows', 'change');
    const windows = await suite.panel.page.$$eval('#layer-table tbody tr', (trs) => trs.map((t) => t.getAttribute('data-window')));
    assert.deepEqual(windows, ['global', '2', '4', '7', '14']);
    await suite.panel.page.click('#measure');
    const posted = await suite.panel.posted();
    assert.deepEqual(posted[posted.length - 1], { type: 'measure', h: 56, w: 56, dim: 96, heads: 3, windows: [null, 2, 4, 7, 14] });
    await suite.panel.send({ type: 'measured', h: 56, w: 56, dim: 96, heads: 3, ep: 'cpu', matmulGflops: 150, rows: [null, 2, 4, 7, 14].map((w, i) => ({ window: w, ms: 40 / (i + 1), gflops: 10, macs: 1 })) });
    assert.equal(await suite.panel.page.locator('#chart-layer-sweep circle.point[data-series="measured ms (cpu)"]').count(), 5);
    assert.match((await suite.panel.page.textContent('#measured-note'))!, /150\.0 GFLOP\/s/);
  });

  it('says where and why W-MSA is dearer (not one crossover the chart contradicts); round ticks; no blank measured row (issue 23)', async () => {
    await suite.panel.send({ type: 'complexity', model: null, unit: 'MACs' });
    const page = suite.panel.page;
    // Bar ticks are round steps (a quarter of the largest bar gave "501M").
    const ticks = await page.$$eval('#chart-stages svg text[text-anchor="end"]', (ts) => ts.map((t) => t.textContent!));
    const value = (t: string) => Number(t.replace(/[kMGT]$/, '')) * ({ k: 1e3, M: 1e6, G: 1e9, T: 1e12 }[t.slice(-1)] ?? 1);
    const steps = ticks.map(value).slice(1).map((v, i) => v - value(ticks[i]));
    assert.ok(steps.every((d) => Math.abs(d - steps[0]) < 1e-6 * steps[0]), ticks.join(' '));
    const mant = steps[0] / 10 ** Math.floor(Math.log10(steps[0]));
    assert.ok([1, 2, 2.5, 5].some((m) => Math.abs(m - mant) < 1e-9), `step ${steps[0]} (${ticks.join(' ')})`);
    // The placeholders are the values used, short enough to read in the field.
    assert.equal(await page.getAttribute('#image', 'placeholder'), '224');
    assert.equal(await page.getAttribute('#window', 'placeholder'), '7');
    await page.fill('#windows', '7,27,28,32,56');
    await page.dispatchEvent('#windows', 'change');
    // Swin-T: the whole model is dearer at M = 27 (stage 1 padded to 81×81) but cheaper again at 28 and 32.
    const model = (await page.textContent('#model-costlier'))!;
    assert.doesNotMatch(model, /stops being cheaper/);
    assert.match(model, /M = 27 \(padded 56×56 → 81×81\)/);
    assert.doesNotMatch(model, /M = 28\b|M = 32\b/, 'W-MSA is cheaper again at 28 and 32');
    assert.match(model, /padding the map up to a multiple of M/);
    const layer = (await page.textContent('#crossover'))!;
    assert.match(layer, /at M = 56;/);
    // M = 56 covers the map: the process times it as global attention (window null); the row is not blank.
    await page.click('#measure');
    await suite.panel.send({ type: 'measured', h: 56, w: 56, dim: 96, heads: 3, ep: 'cpu', matmulGflops: 150, rows: [null, 7, 27, 28, 32, null].map((w, i) => ({ window: w, ms: 10 + i, gflops: 10, macs: 1 })) });
    await page.waitForSelector('#layer-table tr[data-window="56"]');
    const m56 = await page.$$eval('#layer-table tr[data-window="56"] td', (tds) => tds.map((t) => t.textContent));
    assert.equal(m56[6], '15.00');
    assert.match((await page.textContent('.measured-gap'))!, /M = 56 covers the whole 56×56 map: one window, timed as global attention/);
  });

  it('says what is wrong with a window larger than the map', async () => {
    await suite.panel.send({ type: 'complexity', model: null, unit: 'MACs' });
    await suite.panel.page.selectOption('#source', 'custom');
    await suite.panel.page.fill('#windows', '2,99');
    await suite.panel.page.dispatchEvent('#windows', 'change');
    assert.match((await suite.panel.page.textContent('[role=status]'))!, /larger than the 56×56 feature map/);
  });
});
