// Show Shifted Windows (webview/windows) in real Chromium: partitions, the cyclic shift and the mask.
import * as assert from 'node:assert/strict';
import { panelSuite } from './harness';

describe('webview: shifted windows panel', function () {
  const stages = { type: 'windows', model: null, image: null, stages: [{ name: 'Swin-T stage 1', H: 56, W: 56, M: 7 }, { name: 'Swin-T stage 3', H: 14, W: 14, M: 7 }] };

  const suite = panelSuite('windows', { height: 1400 });

  it('draws nothing until the host names the stages: no placeholder size passes for the model\'s (CI run 25)', async () => {
    // panelSuite reloads the page before each test; nothing has been sent yet.
    assert.match((await suite.panel.page.textContent('[role=status]'))!, /Reading the model/);
    assert.equal(await suite.panel.page.$('#mask'), null);
  });

  it('starts on the model\'s first stage and counts the windows before and after the shift', async () => {
    await suite.panel.send(stages);
    // 56×56, M=7: 64 windows; a naive shift would need 9×9 = 81; the cyclic shift keeps 64.
    assert.equal(await suite.panel.page.getAttribute('[role=status]', 'data-counts'), '64,81,64');
    assert.match((await suite.panel.page.textContent('[role=status]'))!, /shift s=⌊M\/2⌋=3/);
    // (Chromium's first page load asks for /favicon.ico, which the static server does not have.)
    assert.deepEqual(suite.panel.errors.filter((e) => !/Failed to load resource/.test(e)), []);
  });

  it('draws the mask of a chosen window: the bottom-right window of an 8×8 map mixes four regions', async () => {
    await suite.panel.send(stages);
    await suite.panel.page.fill('#h', '8');
    await suite.panel.page.dispatchEvent('#h', 'change');
    await suite.panel.page.fill('#w', '8');
    await suite.panel.page.dispatchEvent('#w', 'change');
    await suite.panel.page.fill('#m', '4');
    await suite.panel.page.dispatchEvent('#m', 'change');
    await suite.panel.page.selectOption('#window', '3');
    // Window 3 of a 2×2 partition, shift 2: four 2×2 regions of 4 tokens → 4 × 4² = 64 allowed pairs of 256.
    assert.equal(await suite.panel.page.getAttribute('#mask', 'data-allowed'), '64');
    await suite.panel.page.selectOption('#window', '0');
    assert.equal(await suite.panel.page.getAttribute('#mask', 'data-allowed'), '256');
    await suite.panel.page.click('[data-step="2"]');
    await suite.panel.page.selectOption('#window', '3');
    await suite.panel.screenshot('windows');
    assert.deepEqual(await suite.panel.cspViolations(), []);
    assert.deepEqual(suite.panel.errors, []);
  });

  it('a click on a window of the rolled map keeps the scroll, outlines that window and shows its mask (issue 23)', async () => {
    const page = suite.panel.page;
    await page.setViewportSize({ width: 900, height: 600 });
    await suite.panel.send(stages); // 56×56, M = 7: 8×8 windows, cells of 6 px
    await page.click('[data-step="2"]');
    await page.locator('#step').scrollIntoViewIfNeeded();
    const before = await page.evaluate(() => window.scrollY);
    const box = (await page.locator('#step').boundingBox())!;
    const k = box.width / (await page.$eval('#step', (c) => (c as HTMLCanvasElement).width));
    // Window 10 = row 1, column 2 of the 8×8 windows: click the middle of it.
    await page.mouse.click(box.x + (2 * 7 + 3.5) * 6 * k, box.y + (1 * 7 + 3.5) * 6 * k);
    assert.equal(await page.inputValue('#window'), '10');
    assert.equal(await page.getAttribute('#step', 'data-highlight'), '7,14,7,7');
    // The outline is drawn in the theme's focus colour (#0078d4 in Dark Modern) on the window's left edge.
    const px = await page.$eval('#step', (c) => Array.from((c as HTMLCanvasElement).getContext('2d')!.getImageData(14 * 6 + 2, 7 * 6 + 20, 1, 1).data.slice(0, 3)));
    assert.deepEqual(px, [0, 120, 212]);
    // The page did not jump away: the rolled map is still on screen, and so is (some of) its mask.
    const after = await page.evaluate(() => window.scrollY);
    const onScreen = (sel: string) => page.$eval(sel, (el) => { const r = el.getBoundingClientRect(); return r.bottom > 0 && r.top < window.innerHeight; });
    assert.ok(await onScreen('#mask'), 'the mask is in sight');
    assert.ok(Math.abs(after - before) < 600, `scrolled from ${before} to ${after}`);
    assert.ok(await onScreen('#step') || await onScreen('#mask'));
  });

  it('says what is wrong with an impossible size instead of drawing', async () => {
    await suite.panel.send(stages);
    await suite.panel.page.fill('#m', '0');
    await suite.panel.page.dispatchEvent('#m', 'change');
    assert.match((await suite.panel.page.textContent('[role=status]'))!, /positive whole numbers/);
  });

  it('draws the partitions over the linked image when opened on one', async () => {
    const pixel = () => suite.panel.page.evaluate(() => Array.from((document.getElementById('regular') as HTMLCanvasElement).getContext('2d')!.getImageData(150, 150, 1, 1).data));
    await suite.panel.send(stages);
    const plain = await pixel();
    await suite.panel.send({ ...stages, image: '/samples/sneaker.png' });
    await suite.panel.page.waitForFunction(() => {
      const d = (document.getElementById('regular') as HTMLCanvasElement).getContext('2d')!.getImageData(150, 150, 1, 1).data;
      return d[3] > 0;
    });
    assert.notDeepEqual(await pixel(), plain);
    await suite.panel.screenshot('windows-over-image');
    assert.deepEqual(await suite.panel.cspViolations(), []);
  });
});
