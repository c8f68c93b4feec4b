// The relative-position view (webview/relpos) in real Chromium, fed what the host sends for the
// committed tiny Swins (tables read from their weights) and the structure-only Swin-T.
import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import { readRelpos, relposViews } from '../../src/core/report/relpos';
import { relativePositionIndex, tableRows } from '../../src/core/swin/relpos';
import { inspectModel } from '../../src/core/arch/inspect';
import { panelSuite } from './harness';
import { root } from './browser';

const fixture = (name: string) => join(root, 'test', 'fixtures', 'models', `${name}.onnx`);
const message = (name: string, select: string | null = null) => ({ type: 'relpos', model: `${name}.onnx`, path: fixture(name), blocks: relposViews(readRelpos(fixture(name))), select, note: null });

describe('webview: relative position bias', function () {
  this.timeout(60_000);
  const w4 = message('relpos_w4');
  const suite = panelSuite('relpos', { height: 1400, width: 1100 });

  it('draws each head\'s (2M−1)×(2M−1) table with a colour bar centred on 0, values on hover', async () => {
    const p = suite.panel;
    await p.send(w4);
    const b = w4.blocks[0];
    assert.equal(await p.page.locator('canvas.table').count(), b.heads);
    const size = await p.page.evaluate(() => { const c = document.querySelector('canvas.table') as HTMLCanvasElement; return [c.width, c.height]; });
    const cell = size[0] / 7;
    assert.equal(size[1] / cell, 7);
    let range = 0;
    for (const v of b.table!) range = Math.max(range, Math.abs(v));
    assert.equal(await p.page.getAttribute('#colorbar', 'data-range'), range.toFixed(4));
    // Hover head 1 at row 3, column 3: Δh = 0, Δw = 0, table row 24.
    const box = (await p.page.locator('canvas.table[data-head="1"]').boundingBox())!;
    await p.page.mouse.move(box.x + (3.5 * cell * box.width) / size[0], box.y + (3.5 * cell * box.height) / size[1]);
    assert.match((await p.page.textContent('#hover'))!, /head 1, Δh = 0, Δw = 0 \(table row r = 24\)/);
    assert.equal(Number(await p.page.getAttribute('#hover', 'data-value')), b.table![1 * 49 + 24]);
    // The largest entry is drawn in full red or blue, a colour of the diverging map's ends.
    const R = tableRows(4);
    let at = 0;
    for (let k = 0; k < R; k++) if (Math.abs(b.table![k]) > Math.abs(b.table![at])) at = k;
    const px = await p.page.evaluate(([r, c, s]) => Array.from((document.querySelector('canvas.table[data-head="0"]') as HTMLCanvasElement).getContext('2d')!.getImageData((c + 0.5) * s, (r + 0.5) * s, 1, 1).data), [Math.floor(at / 7), at % 7, cell]);
    assert.deepEqual(px.slice(0, 3), b.table![at] > 0 ? [178, 24, 43] : [33, 102, 172]);
    assert.deepEqual(await p.cspViolations(), []);
    assert.deepEqual(p.errors, []);
  });

  it('shows the bias B = B̂[index] of one window and the index built step by step on M', async () => {
    const p = suite.panel;
    await p.send(w4);
    const b = w4.blocks[0];
    const dims = await p.page.evaluate(() => { const c = document.getElementById('bias') as HTMLCanvasElement; return [c.width, c.height]; });
    assert.equal(dims[0], dims[1]);
    const cell = dims[0] / 16;
    const box = (await p.page.locator('#bias').boundingBox())!;
    // query 5 (1, 1) → key 0 (0, 0): Δ = (1, 1), index (1+3)·7 + (1+3) = 32
    await p.page.mouse.move(box.x + (0.5 * cell * box.width) / dims[0], box.y + (5.5 * cell * box.height) / dims[1]);
    assert.match((await p.page.textContent('#bias-hover'))!, /query 5 \(1, 1\) → key 0 \(0, 0\): Δ = \(1, 1\)/);
    assert.equal(Number(await p.page.getAttribute('#bias-hover', 'data-value')), b.table![32]);
    await p.page.click('[data-step="3"]');
    const idx = relativePositionIndex(4);
    const row1 = await p.page.$$eval('#index tr:nth-child(3) td', (tds) => tds.map((t) => Number(t.textContent)));
    assert.deepEqual(row1, Array.from(idx.subarray(16, 32)));
    await p.page.click('[data-step="1"]');
    assert.equal(await p.page.locator('#delta-h').count(), 1);
    await p.page.click('[data-step="0"]');
    assert.match((await p.page.textContent('#coords'))!, /5: \(1, 1\)/);
    await p.page.click('[data-step="4"]');
    await p.screenshot('relpos');
    assert.deepEqual(p.errors, []);
  });

  it('a non-square 3×5 window: 5×9 tables; the block asked for is selected', async () => {
    const p = suite.panel;
    const m = message('relpos_w3x5', 'features.3.1');
    await p.send(m);
    assert.equal(await p.page.inputValue('#block'), '3');
    const size = await p.page.evaluate(() => { const c = document.querySelector('canvas.table') as HTMLCanvasElement; return [c.width, c.height]; });
    assert.equal(size[0] / size[1], 9 / 5);
    assert.equal(await p.page.locator('canvas.table').count(), 4);
  });

  it('a structure-only Swin-T: the index is shown, the tables say the weights are missing', async () => {
    const p = suite.panel;
    await p.send(message('swin_t'));
    assert.match((await p.page.textContent('#table-message'))!, /weights are missing/);
    // Said once, not in the block line as well (issue 23).
    assert.equal((await p.page.evaluate(() => document.body.innerText)).toLowerCase().split('weights are missing').length - 1, 1);
    assert.equal(await p.page.locator('canvas.table').count(), 0);
    await p.page.click('[data-step="3"]');
    assert.match((await p.page.textContent('#index-section h2'))!, /7×7 window/);
    assert.equal(await p.page.locator('#index tr').count(), 17);
  });

  it('a constant whose repeats disagree is shown as a constant added to the scores, not as a table', async () => {
    const p = suite.panel;
    await p.send(message('relpos_disagree'));
    assert.equal(await p.page.getAttribute('#table-message', 'data-status'), 'not-relative');
    assert.match((await p.page.textContent('#table-message'))!, /constant added to the scores/);
  });
});

describe('webview: links to the relative position bias', function () {
  this.timeout(60_000);
  const arch = panelSuite('architecture', { height: 900, width: 1200 });
  it('the architecture view of a Swin offers it for the model and for a chosen block', async () => {
    const p = arch.panel;
    await p.send({ type: 'architecture', result: inspectModel(fixture('relpos_w4'), { details: true }) });
    await p.page.click('#relpos');
    await p.page.fill('#search', 'features.1.1');
    await p.page.locator('.tree-row.kind-block').first().click();
    await p.page.click('#block-relpos');
    const posted = await p.posted();
    assert.deepEqual(posted.filter((m) => m.type === 'command'), [
      { type: 'command', command: 'showRelativePositionBias' },
      { type: 'command', command: 'showRelativePositionBias', block: 'features.1.1' },
    ]);
  });
  it('a block, its attention or a stage offers "Step through block N…", which asks the host to trace that block (a stage: its first)', async () => {
    const p = arch.panel;
    await p.send({ type: 'architecture', result: inspectModel(fixture('swin_t'), { details: true }) });
    // swin_t's blocks across stages: features.1 = stage 1 (blocks 0, 1), features.3 = stage 2 (blocks 2, 3), features.5 = stage 3 (blocks 4…9);
    // the first attention module found is block 0's
    for (const [search, kind, layer] of [['features.3.1', 'block', 3], ['attn', 'attention', 0], ['stage 3', 'stage', 4]] as const) {
      await p.page.fill('#search', search);
      await p.page.locator(`.tree-row.kind-${kind}`).first().click();
      assert.equal(await p.page.getAttribute('#block-trace', 'data-layer'), String(layer), search);
      assert.equal(await p.page.textContent('#block-trace'), `Step through block ${layer}…`);
      await p.page.click('#block-trace');
      assert.deepEqual((await p.posted()).at(-1), { type: 'stepThrough', layer }, search);
    }
    // a module that is not a block, its attention or a stage (a LayerNorm) offers none
    await p.page.fill('#search', 'norm1');
    await p.page.locator('.tree-row.kind-norm').first().click();
    assert.match((await p.page.textContent('#details h2'))!, /norm1/);
    assert.equal(await p.page.locator('#block-trace').count(), 0);
    assert.deepEqual(p.errors, []);
  });
  it('the tree names Swin stages and patch merging, and every entry explains itself on hover and in the details', async () => {
    const p = arch.panel;
    await p.send({ type: 'architecture', result: inspectModel(fixture('swin_t'), { details: true }) });
    await p.page.fill('#search', 'patch merging');
    const row = p.page.locator('.tree-row', { hasText: 'patch merging' }).first();
    assert.match((await row.getAttribute('title'))!, /^Patch merging: each 2×2 group .* 4C → 2C = 192: 56×56 → 28×28 tokens\.\nIn the graph: features\.2$/);
    await p.page.fill('#search', 'stage 3');
    await p.page.locator('.tree-row', { hasText: 'stage 3 (14×14 tokens, 384 channels, window 7, heads 12)' }).first().click();
    assert.match((await p.page.textContent('#explain'))!, /^6 Swin blocks on 14×14 tokens of C = 384/);
    // The row shows the paper's term; the raw name is found by search and kept in the details (issue 23).
    await p.page.fill('#search', 'Mul_2');
    await p.page.locator('.tree-row', { hasText: 'Scale' }).first().click();
    assert.match((await p.page.textContent('#explain'))!, /Scale: × 0\.1768 = 1\/√32/);
    assert.match((await p.page.textContent('#raw-name'))!, /In the graph: Mul_2/);
    // Search looks through the explanations: "scale" finds the Scale ops.
    await p.page.fill('#search', 'dot products do not grow');
    assert.ok((await p.page.locator('.tree-row.kind-op', { hasText: 'Scale' }).count()) > 0);
    assert.deepEqual(p.errors.filter((e) => !/Failed to load resource/.test(e)), []);
  });
});

describe('webview: Ω terms linked to the layers they count (complexity panel)', function () {
  this.timeout(60_000);
  const suite = panelSuite('complexity', { height: 1400 });
  it('each term says which layers it counts; a stage\'s Ω cells add up their terms with its numbers', async () => {
    const p = suite.panel;
    await p.send({ type: 'complexity', model: null, unit: 'MACs' });
    const titles = await p.page.$$eval('#omega .term', (ts) => ts.map((t) => t.getAttribute('title')!));
    assert.equal(titles.length, 4);
    assert.match(titles[0], /Q, K, V projection .* output projection/);
    assert.match(titles[1], /QKᵀ .* ·V .* all hw tokens/);
    assert.match(titles[3], /inside each M×M window/);
    const cells = await p.page.$$eval('#stage-table tbody tr:first-child td', (tds) => tds.map((t) => [t.textContent, t.getAttribute('title')]));
    // Swin-T stage 1 (56×56, C = 96, M = 7): 115,605,504 + 1,888,223,232 = 2,003,828,736; 115,605,504 + 29,503,488 = 145,108,992.
    assert.equal(cells[4][1], '4hwC² = 115,605,504 (Q, K, V and the projection) + 2(hw)²C = 1,888,223,232 (QKᵀ and ·V over all 3136 tokens)');
    assert.equal(cells[4][0], (115605504 + 1888223232).toLocaleString('en-US'));
    assert.equal(cells[5][1], '4hwC² = 115,605,504 (Q, K, V and the projection) + 2M²hwC = 29,503,488 (QKᵀ and ·V inside 7×7 windows)');
    assert.equal(cells[5][0], (115605504 + 29503488).toLocaleString('en-US'));
  });
});
