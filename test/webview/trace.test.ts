// The forward-pass step-through (webview/trace) in real Chromium, fed a trace document shaped as
// `vit-inspect trace --json` (test/webview/traceSample.ts).
import * as assert from 'node:assert/strict';
import { panelSuite } from './harness';
import { halfImage, sampleMessage, sampleSwinMessage } from './traceSample';

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
    // The new trace keeps the keyboard on the grid, its cursor on the new token.
    await p.send(sampleMessage(10));
    assert.equal(await p.page.evaluate(() => document.activeElement?.id), 'patches');
    assert.equal(await p.page.getAttribute('#patches', 'data-cursor'), '9');
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

describe('webview: step through, a check the graph does not allow or widens', function () {
  this.timeout(60_000);
  const suite = panelSuite('trace', { height: 1200, width: 1000 });

  it('a step whose values are shown but not recomputed says why where the verdict would be; a stated tolerance is shown with its reason', async () => {
    const p = suite.panel;
    const m = sampleMessage();
    const scores = m.doc.steps.findIndex((s) => s.id === 'scores');
    const fused = 'This graph computes q·kᵀ and weights·V with ONNX Runtime\'s fused FusedMatMul: the scores are not recomputed.';
    m.doc.steps[scores] = { ...m.doc.steps[scores], check: undefined, checkUnavailable: fused };
    const ctx = m.doc.steps.findIndex((s) => s.id === 'context');
    const note = 'On x86 CPUs without VNNI, ONNX Runtime\'s u8×s8 kernel adds pairs of products in int16, saturating.';
    m.doc.steps[ctx] = { ...m.doc.steps[ctx], check: { recomputedFrom: ['softmax', 'v'], maxAbsDiff: 0.05, tolerance: 0.0521, note } };
    await p.send(m);
    await p.page.click(`[data-step="${scores}"]`);
    // before: "No recomputation at this step: these are the model's own tensors." — as if none were possible
    assert.equal(await p.page.getAttribute('#verdict', 'data-check-unavailable'), 'true');
    assert.equal(await p.page.textContent('#verdict'), `Not recomputed on this graph: ${fused}`);
    await p.page.click(`[data-step="${ctx}"]`);
    // 5e-2 from the recomputation, within the 5.2e-2 the check states: agreed, with the reason beside it
    assert.equal(await p.page.getAttribute('#verdict', 'class'), 'ok');
    assert.match((await p.page.textContent('#verdict'))!, /^✓ .*max \|Δ\| 5e-2 Expected within 5\.2e-2: On x86 CPUs without VNNI/);
    assert.equal(Number(await p.page.getAttribute('#tolerance', 'data-tolerance')), 0.0521);
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
    // The step list as numbers: the image is not pushed below the fold by 20+ titles.
    assert.equal(await p.page.isVisible('[data-step="3"] .step-title'), false);
    assert.equal(await p.page.getAttribute('[data-step="3"]', 'aria-label'), '4. Scores');
    await p.screenshot('trace-360-light');
    assert.deepEqual(p.errors, []);
  });

  it('Swin\'s + B with the table B̂ beside the grids fits 360 px too', async () => {
    const p = suite.panel;
    await p.send(sampleSwinMessage(0));
    await p.page.click('[data-step="3"]');
    assert.equal(await p.page.locator('#bias-table').count(), 1);
    const wide = await p.page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(wide <= 360, `page is ${wide} px wide`);
    assert.deepEqual(p.errors, []);
  });
});

/** The colour drawn at the centre of a grid cell of #patches (canvas pixels). */
async function cellColour(page: import('playwright-core').Page, cell: number, gw: number): Promise<number[]> {
  return page.evaluate(([i, n]) => {
    const c = document.getElementById('patches') as HTMLCanvasElement;
    const size = c.width / n;
    return [...c.getContext('2d')!.getImageData(Math.floor(((i % n) + 0.5) * size), Math.floor((Math.floor(i / n) + 0.5) * size), 1, 1).data].slice(0, 3);
  }, [cell, gw]);
}
const brightness = (c: number[]): number => c[0] + c[1] + c[2];

describe('webview: step through — the rows over the image the model saw', function () {
  this.timeout(60_000);
  const suite = panelSuite('trace', { height: 1200, width: 1000 });

  it('ViT: the crop under the patch grid, the softmax row coloured on its patches, the class token listed', async () => {
    const p = suite.panel;
    const m = { ...sampleMessage(), pixels: halfImage(), preprocessing: 'shorter side 16 (bilinear), centre crop 16×16, ÷255, mean [0, 0, 0] std [1, 1, 1] — settings' };
    await p.send(m);
    assert.equal(await p.page.textContent('#preprocessing'), `Preprocessing: ${m.preprocessing}`);
    // The query step has no row: the image itself shows (left half black, right half white).
    await p.page.click('[data-step="1"]');
    assert.ok(brightness(await cellColour(p.page, 8, 4)) < 60, 'patch 8 (left half) is the black of the image');
    assert.ok(brightness(await cellColour(p.page, 11, 4)) > 600, 'patch 11 (right half) is the white of the image');
    // The softmax: on the same half of the image, the most attended patch is drawn brighter than the least.
    await p.page.click('[data-step="4"]');
    const w = m.doc.tensors.weights.slice(1);
    const left = [0, 1, 4, 5, 8, 9, 12, 13].filter((i) => i !== 4);
    const hi = left.reduce((a, b) => (w[b] > w[a] ? b : a));
    const lo = left.reduce((a, b) => (w[b] < w[a] ? b : a));
    assert.ok(brightness(await cellColour(p.page, hi, 4)) > brightness(await cellColour(p.page, lo, 4)) + 40, `patch ${hi} (${w[hi]}) brighter than patch ${lo} (${w[lo]})`);
    const box = (await p.page.locator('#patches').boundingBox())!;
    await p.page.mouse.move(box.x + box.width * (2.5 / 4), box.y + box.height * (1.5 / 4));
    assert.match((await p.page.textContent('#hover'))!, /patch 6 \(row 1, column 2\): weights\[7\] = /);
    // The colour scale says what dark and bright mean.
    assert.equal(await p.page.textContent('#colorscale [data-end="high"]'), Math.max(...w).toFixed(4));
    // Blend 0: the image alone shows through the row; 100: the row alone.
    await p.page.locator('#blend').fill('0');
    assert.ok(brightness(await cellColour(p.page, 11, 4)) > 740, 'blend 0: patch 11 is the white of the image');
    await p.page.locator('#blend').fill('100');
    assert.ok(brightness(await cellColour(p.page, 11, 4)) < 740, 'blend 100: the row covers the white of the image (magma\'s brightest is 696)');
    await p.page.locator('#blend').fill('60');
    assert.match((await p.page.textContent('#prefix-values'))!, new RegExp(`class token: weights\\[0\\] = ${m.doc.tensors.weights[0].toFixed(4)}`));
    assert.deepEqual(p.errors, []);
  });

  it('Swin: the token\'s window after the cyclic shift drawn on the image, wrapping round its edges; another token moves it', async () => {
    const p = suite.panel;
    const m = sampleSwinMessage(0);
    await p.send(m);
    await p.page.click('[data-step="5"]'); // the softmax
    // Token 0 (row 0, column 0), shift 2: rolled to (6, 6), window 3 — on the image rows 6, 7, 0, 1 × columns 6, 7, 0, 1.
    const expected = [0, 1, 6, 7, 8, 9, 14, 15, 48, 49, 54, 55, 56, 57, 62, 63];
    assert.equal(await p.page.getAttribute('#patches', 'data-window'), expected.join(','));
    assert.deepEqual([...m.doc.keys!].sort((a, b) => a - b), expected, 'the sample\'s keys are the official window of the rolled map');
    // Inside the window the image (half black, half white) is coloured by the weights; outside it is dimmed.
    const outside = await cellColour(p.page, 3 * 8 + 6, 8); // white half, not in the window
    assert.ok(brightness(outside) < 400, `a token outside the window is dimmed: ${outside}`);
    // Hover: a key of the window tells its weight (by its slot in the window), another token says it is outside.
    const box = (await p.page.locator('#patches').boundingBox())!;
    const at = (r: number, c: number) => p.page.mouse.move(box.x + box.width * ((c + 0.5) / 8), box.y + box.height * ((r + 0.5) / 8));
    await at(7, 7);
    const slot = m.doc.keys!.indexOf(63);
    assert.match((await p.page.textContent('#hover'))!, new RegExp(`token 63 \\(row 7, column 7\\): weights\\[${slot}\\] = `));
    assert.equal(Number(await p.page.getAttribute('#hover', 'data-value')), m.doc.tensors.weights[slot]);
    await at(3, 3);
    assert.match((await p.page.textContent('#hover'))!, /token 27 \(row 3, column 3\): outside this token's window/);
    // The scores step shows q·kᵀ·scale, before + B and + mask (no −100 in it): its own row, not the sum.
    await p.page.click('[data-step="2"]');
    await at(7, 7);
    const raw = m.doc.steps.find((x) => x.id === 'scores')!.values!;
    assert.equal(Number(await p.page.getAttribute('#hover', 'data-value')), raw[slot]);
    assert.ok(Number(await p.page.textContent('#colorscale [data-end="low"]')) > -50, 'no mask in the scores step');
    await p.page.click('[data-step="5"]');
    // The window as attention sees it (the rolled map's 4×4) is drawn beside the image.
    assert.equal(await p.page.locator('#window').count(), 1);
    // A click on the image traces that token of the stage grid (row-major, before the shift).
    await p.page.mouse.click(box.x + box.width * (4.5 / 8), box.y + box.height * (4.5 / 8));
    assert.deepEqual((await p.posted()).at(-1), { type: 'trace', layer: 1, head: 0, token: 36 });
    await p.send(sampleSwinMessage(36));
    const moved = await p.page.getAttribute('#patches', 'data-window');
    assert.equal(moved, [18, 19, 20, 21, 26, 27, 28, 29, 34, 35, 36, 37, 42, 43, 44, 45].join(','), 'token 36: rolled to (2, 2), window 0 — rows and columns 2..5 on the image');
    // The keyboard: Enter on the cursor traces it.
    await p.page.focus('#patches');
    assert.equal(await p.page.getAttribute('#patches', 'data-cursor'), '36');
    await p.page.keyboard.press('ArrowUp');
    await p.page.keyboard.press('Enter');
    assert.deepEqual((await p.posted()).at(-1), { type: 'trace', layer: 1, head: 0, token: 28 });
    assert.deepEqual(p.errors, []);
  });
});

describe('webview: step through — Swin\'s + B', function () {
  this.timeout(60_000);
  const suite = panelSuite('trace', { height: 1200, width: 1000 });

  it('draws scores + B (what enters the softmax), and beside it the table B̂ with the entries this query gathers marked', async () => {
    const p = suite.panel;
    const m = sampleSwinMessage(0);
    await p.send(m);
    await p.page.click('[data-step="3"]');
    assert.equal(await p.page.getAttribute('#step', 'data-id'), 'bias');
    const raw = m.doc.steps.find((x) => x.id === 'scores')!.values!;
    const B = m.doc.tensors.bias!;
    const sum = raw.map((x, j) => x + B.row[j]);
    // The image grid: token 63's slot tells scores + B, and how much of it is B and from which entry of B̂.
    const box = (await p.page.locator('#patches').boundingBox())!;
    await p.page.mouse.move(box.x + box.width * (7.5 / 8), box.y + box.height * (7.5 / 8));
    const slot = m.doc.keys!.indexOf(63);
    const hover = (await p.page.textContent('#hover'))!;
    assert.match(hover, new RegExp(`token 63 \\(row 7, column 7\\): scores \\+ B\\[${slot}\\] = `));
    assert.match(hover, new RegExp(`B ${B.row[slot].toFixed(4)}, B̂\\[${B.index[slot]}\\]`));
    assert.equal(Number(await p.page.getAttribute('#hover', 'data-value')), sum[slot]);
    assert.equal(await p.page.textContent('#colorscale [data-end="low"]'), Math.min(...sum).toFixed(4), 'the scale is that of scores + B, not of B alone');
    // The window as attention sees it: the same sums.
    const win = (await p.page.locator('#window').boundingBox())!;
    await p.page.mouse.move(win.x + win.width * (0.5 / 4), win.y + win.height * (0.5 / 4));
    assert.equal(Number(await p.page.getAttribute('#hover', 'data-value')), sum[0]);
    // The table: 7×7 relative offsets, the 16 gathered by the query's row marked.
    const marked = (await p.page.getAttribute('#bias-table', 'data-marked'))!.split(',').map(Number);
    assert.deepEqual(marked, [...new Set(B.index)].sort((a, b) => a - b));
    assert.equal(marked.length, 16, 'a query gathers 16 distinct entries of B̂');
    // By keyboard: focus starts on the query's own entry (offset 0), the arrows move.
    await p.page.focus('#bias-table');
    const own = B.index[m.doc.position!];
    assert.equal(own, 24, 'the query against itself is the centre offset (0, 0)');
    assert.equal(await p.page.getAttribute('#bias-table', 'data-cursor'), String(own));
    await p.page.keyboard.press('ArrowRight');
    assert.equal(await p.page.getAttribute('#bias-table', 'data-cursor'), String(own + 1));
    assert.match((await p.page.textContent('#hover'))!, /Δrow 0, Δcolumn 1/);
    assert.equal(await p.page.getAttribute('#step', 'data-id'), 'bias', 'arrows on the table do not change the step');
    const tbox = (await p.page.locator('#bias-table').boundingBox())!;
    const cell = (r: number) => p.page.mouse.move(tbox.x + tbox.width * ((r % 7) + 0.5) / 7, tbox.y + tbox.height * (Math.floor(r / 7) + 0.5) / 7);
    await cell(B.index[slot]);
    assert.match((await p.page.textContent('#hover'))!, new RegExp(`B̂\\[${B.index[slot]}\\] \\(Δrow -?\\d, Δcolumn -?\\d\\) = .* → B\\[${slot}\\], key ${slot} of the window`));
    assert.equal(Number(await p.page.getAttribute('#hover', 'data-value')), B.table![B.index[slot]]);
    const unused = Array.from({ length: 49 }, (_, r) => r).find((r) => !marked.includes(r))!;
    await cell(unused);
    assert.match((await p.page.textContent('#hover'))!, /not gathered by this query/);
    await p.screenshot('trace-swin-bias');
    // Other steps have no table.
    await p.page.click('[data-step="2"]');
    assert.equal(await p.page.locator('#bias-table').count(), 0);
    assert.deepEqual(p.errors, []);
  });
});

describe('webview: step through over the image, light theme', function () {
  this.timeout(60_000);
  const suite = panelSuite('trace', { height: 1200, width: 1000, theme: 'light' });

  it('the dimming outside the Swin window follows the theme (light: toward white)', async () => {
    const p = suite.panel;
    await p.send(sampleSwinMessage(0));
    await p.page.click('[data-step="5"]');
    const black = await cellColour(p.page, 3 * 8 + 1, 8); // black half, outside the window
    assert.ok(brightness(black) > 300, `a black token outside the window is dimmed toward the light background: ${black}`);
    await p.screenshot('trace-swin-light');
    assert.deepEqual(p.errors, []);
  });
});
