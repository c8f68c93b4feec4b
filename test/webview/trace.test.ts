// The forward-pass step-through (webview/trace) in real Chromium, fed a trace document shaped as
// `vit-inspect trace --json` (test/webview/traceSample.ts).
import * as assert from 'node:assert/strict';
import { panelSuite } from './harness';
import { sampleMessage } from './traceSample';

describe('webview: step through the forward pass', function () {
  this.timeout(60_000);
  const suite = panelSuite('trace', { height: 1200, width: 1000 });

  it('draws every step: formula, shape, tensor and the recomputation verdict', async () => {
    const p = suite.panel;
    const m = sampleMessage();
    await p.send(m);
    assert.equal(await p.page.locator('#steps button').count(), m.doc.steps.length);
    for (let i = 0; i < m.doc.steps.length; i++) {
      const s = m.doc.steps[i];
      await p.page.click(`[data-step="${i}"]`);
      assert.equal(await p.page.getAttribute('#step', 'data-id'), s.id);
      assert.equal(await p.page.textContent('#formula'), s.formula);
      assert.equal(await p.page.textContent('#shape'), `Shape: [${s.shape.join(', ')}]`);
      if (s.check) assert.equal(Number(await p.page.getAttribute('#verdict', 'data-maxdiff')), s.check.maxAbsDiff);
    }
    await p.page.click('[data-step="4"]');
    assert.match((await p.page.textContent('#verdict'))!, /✓ Softmax recomputed from scores: max \|Δ\| 3e-8/);
    // The softmax row over the 4×4 patch grid: hovering patch 6 tells weights[1 + 6].
    const box = (await p.page.locator('#patches').boundingBox())!;
    await p.page.mouse.move(box.x + box.width * (2.5 / 4), box.y + box.height * (1.5 / 4));
    assert.match((await p.page.textContent('#hover'))!, /patch 6 \(row 1, column 2\)/);
    assert.equal(Number(await p.page.getAttribute('#hover', 'data-value')), m.doc.tensors.weights[7]);
    // A vector step: the context strip, its values on focus.
    await p.page.click('[data-step="5"]');
    assert.equal(await p.page.locator('.strip .cell').count(), 4);
    await p.page.focus('.strip .cell[data-index="2"]');
    assert.equal(Number(await p.page.getAttribute('#hover', 'data-value')), m.doc.tensors.context[2]);
    assert.deepEqual(await p.cspViolations(), []);
    assert.deepEqual(p.errors, []);
  });

  it('walks the steps with ←/→, Home and End without asking the host', async () => {
    const p = suite.panel;
    await p.send(sampleMessage());
    await p.page.click('[data-step="0"]');
    const before = (await p.posted()).length;
    await p.page.keyboard.press('ArrowRight');
    assert.equal(await p.page.getAttribute('#step', 'data-id'), 'q');
    await p.page.keyboard.press('End');
    assert.equal(await p.page.getAttribute('#step', 'data-id'), 'residual2');
    assert.equal(await p.page.isDisabled('#next'), true);
    await p.page.keyboard.press('ArrowLeft');
    assert.equal(await p.page.getAttribute('#step', 'data-id'), 'context');
    await p.page.keyboard.press('Home');
    assert.equal(await p.page.getAttribute('#step', 'data-id'), 'position');
    await p.page.click('#next');
    assert.equal(await p.page.getAttribute('#step', 'data-id'), 'q');
    assert.equal((await p.posted()).length, before, 'stepping within a trace must not request a new one');
  });

  it('clicking a patch requests that token, shows progress and cancel; an error ends the wait', async () => {
    const p = suite.panel;
    await p.send(sampleMessage());
    const box = (await p.page.locator('#patches').boundingBox())!;
    await p.page.mouse.click(box.x + box.width * (3.5 / 4), box.y + box.height * (0.5 / 4));
    const last = (await p.posted()).at(-1);
    assert.deepEqual(last, { type: 'trace', layer: 1, head: 0, token: 1 + 3 });
    assert.equal(await p.page.getAttribute('#status', 'aria-busy'), 'true');
    await p.page.click('#cancel');
    assert.deepEqual((await p.posted()).at(-1), { type: 'cancel' });
    await p.send({ type: 'error', message: 'Cancelled: the trace was stopped.' });
    assert.equal(await p.page.getAttribute('#status', 'aria-busy'), 'false');
    assert.equal(await p.page.locator('#cancel').count(), 0);
    await p.send(sampleMessage(4));
    assert.equal(await p.page.getAttribute('#where', 'data-token'), '4');
    // The class token by name.
    await p.page.selectOption('#named', '0');
    await p.page.click('#go');
    assert.deepEqual((await p.posted()).at(-1), { type: 'trace', layer: 1, head: 0, token: 0 });
  });
});

describe('webview: step through — keyboard, ranges, a failed first trace', function () {
  this.timeout(60_000);
  const suite = panelSuite('trace', { height: 1200, width: 1000 });
  const pick = (token = 5) => ({ type: 'tracePick', pick: { layer: 1, head: 0, token }, ranges: { layers: 2, heads: [2, 2], tokens: [17, 17] }, prefix: ['class'], imagePath: '/w/shoe.png', modelPath: '/w/tiny_vit.onnx' });

  it('the patch grid by keyboard: arrows move the cursor, Enter traces that patch', async () => {
    const p = suite.panel;
    await p.send(pick(), sampleMessage());
    await p.page.click('[data-step="4"]');
    await p.page.focus('#patches');
    // The token is 5 = patch 4 (row 1, column 0); → and ↓ go to patch 9.
    assert.equal(await p.page.getAttribute('#patches', 'data-cursor'), '4');
    await p.page.keyboard.press('ArrowRight');
    await p.page.keyboard.press('ArrowDown');
    assert.match((await p.page.textContent('#hover'))!, /patch 9 \(row 2, column 1\)/);
    assert.equal(await p.page.getAttribute('#step', 'data-id'), 'softmax', 'arrows on the grid do not change the step');
    await p.page.keyboard.press('Enter');
    assert.deepEqual((await p.posted()).at(-1), { type: 'trace', layer: 1, head: 0, token: 10 });
  });

  it('an out-of-range pick says the valid ranges and asks the host nothing', async () => {
    const p = suite.panel;
    await p.send(pick(), sampleMessage());
    const before = (await p.posted()).length;
    await p.page.fill('#head', '7');
    await p.page.click('#go');
    assert.match((await p.page.textContent('#status'))!, /Head 7 does not exist in block 1: it has heads 0\.\.1/);
    assert.equal(await p.page.getAttribute('#status', 'aria-busy'), 'false');
    assert.equal((await p.posted()).length, before);
  });

  it('a first trace that fails leaves the pickers to try again, not "working"', async () => {
    const p = suite.panel;
    await p.send(pick(99), { type: 'busy', message: 'Tracing block 1, head 0, token 99…' });
    assert.equal(await p.page.getAttribute('#status', 'aria-busy'), 'true');
    await p.send({ type: 'error', message: 'Token 99 does not exist in block 1: it has tokens 0..16.' });
    assert.equal(await p.page.getAttribute('#status', 'aria-busy'), 'false');
    assert.match((await p.page.textContent('#status'))!, /tokens 0\.\.16/);
    await p.page.fill('#token', '3');
    await p.page.click('#go');
    assert.deepEqual((await p.posted()).at(-1), { type: 'trace', layer: 1, head: 0, token: 3 });
  });

  it('a fused-attention graph: the unavailable steps say so, the warning shows, the rest draws', async () => {
    const p = suite.panel;
    const m = sampleMessage();
    m.doc.warnings = ['Attention is computed by a fused com.microsoft.Attention node: q, k, v, the scores and the softmax are not in the graph.'];
    for (const s of m.doc.steps) if (['q', 'k', 'scores', 'softmax'].includes(s.id)) s.unavailable = 'fused attention (com.microsoft.Attention): no q, k, v tensors';
    await p.send(pick(), m);
    assert.match((await p.page.textContent('#warnings'))!, /fused com\.microsoft\.Attention/);
    await p.page.click('[data-step="3"]');
    assert.equal(await p.page.getAttribute('#verdict', 'data-unavailable'), 'true');
    assert.match((await p.page.textContent('#verdict'))!, /Not shown on this graph: fused attention/);
    await p.page.click('[data-step="5"]');
    assert.equal(await p.page.locator('.strip .cell').count(), 4);
    assert.deepEqual(p.errors, []);
  });
});

describe('webview: step through at 360 px, light theme', function () {
  this.timeout(60_000);
  const suite = panelSuite('trace', { height: 1200, width: 360, theme: 'light' });

  it('fits 360 px: nothing wider than the view', async () => {
    const p = suite.panel;
    await p.send(sampleMessage());
    await p.page.click('[data-step="3"]');
    const wide = await p.page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(wide <= 360, `page is ${wide} px wide`);
    await p.screenshot('trace-360-light');
    assert.deepEqual(p.errors, []);
  });
});
