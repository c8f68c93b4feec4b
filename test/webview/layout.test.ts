// Layouts that fit (issue 13): the architecture view, the classify panel and the providers panel
// at 420, 800 and 1400 px in the dark and the light theme. What must stay on screen: the tree's
// Module-name column, the top classes, the providers' "why not / what to do" text; and no page
// is wider than its viewport. Screenshots go to test-results/webview/layout-<panel>-<w>-<theme>.png.
import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { inspectModel } from '../../src/core/arch/inspect';
import type { AttentionResult } from '../../src/runtime/attention';
import { browserSuite, openPanel, recording, type Theme } from './harness';
import { root } from './browser';
import { messages, tinyCaptures } from './classifyMessages';

const WIDTHS = [420, 800, 1400];
const THEMES: Theme[] = ['dark', 'light'];

/** Boxes of every element matching `sel` that has a size: [left, right, width]. */
const boxes = (page: Page, sel: string) =>
  page.$$eval(sel, (els) => els.map((e) => e.getBoundingClientRect()).filter((r) => r.width > 0 && r.height > 0).map((r) => [r.left, r.right, r.width]));

async function assertInside(page: Page, sel: string, width: number, minWidth = 1): Promise<number> {
  const bs = await boxes(page, sel);
  assert.ok(bs.length > 0, `${sel}: nothing visible`);
  for (const [l, r, w] of bs) {
    assert.ok(l >= 0 && r <= width + 0.5, `${sel} spans ${l.toFixed(0)}–${r.toFixed(0)} px, the viewport is ${width} px`);
    assert.ok(w >= minWidth, `${sel} is only ${w.toFixed(0)} px wide`);
  }
  return bs.length;
}

async function assertNoPageScroll(page: Page, width: number, what: string): Promise<void> {
  const sw = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(sw <= width, `${what}: the page is ${sw} px wide in a ${width} px viewport`);
}

describe('webview: layouts at 420, 800 and 1400 px, dark and light', function () {
  this.timeout(120_000);
  const env = browserSuite();
  const swin = inspectModel(join(root, 'test', 'fixtures', 'models', 'swin_t.onnx'), { details: true });
  let vit: AttentionResult;
  before(async function () {
    this.timeout(90_000);
    [vit] = await tinyCaptures();
  });

  for (const width of WIDTHS)
    for (const theme of THEMES)
      it(`${width} px, ${theme}: tree names, top classes and providers' reasons are inside the viewport`, async () => {
        const arch = await openPanel(env.browser, env.server, 'architecture', { width, height: 800, theme });
        try {
          await arch.send({ type: 'architecture', result: swin });
          // The Module name column (header and rows) is on screen and wide enough to read a name.
          await assertInside(arch.page, '.tree-head .name', width, 100);
          assert.ok((await assertInside(arch.page, '.tree-row .name', width, 100)) >= 5);
          await assertInside(arch.page, '.tree-head .num', width);
          await assertNoPageScroll(arch.page, width, 'architecture');
          await arch.screenshot(`layout-architecture-${width}-${theme}`);
        } finally {
          await arch.close();
        }

        const cls = await openPanel(env.browser, env.server, 'classify', { width, height: 1000, theme });
        try {
          for (const m of messages(vit, 'tiny_vit')) await cls.send(m);
          assert.equal(await assertInside(cls.page, '#top li .name', width), 5);
          await assertInside(cls.page, '#top li .prob', width);
          await assertInside(cls.page, '#image', width, Math.min(300, width - 60));
          await assertInside(cls.page, '#colorscale', width);
          await assertNoPageScroll(cls.page, width, 'classify');
          await cls.screenshot(`layout-classify-${width}-${theme}`);
        } finally {
          await cls.close();
        }

        const prov = await openPanel(env.browser, env.server, 'providers', { width, height: 700, theme });
        try {
          await prov.send(...recording('providers'));
          // The reasons wrap instead of running off the edge.
          await assertInside(prov.page, 'tr[data-provider="cuda"] td:last-child', width);
          await assertInside(prov.page, 'tr[data-provider="webgpu"] td:last-child', width);
          await assertNoPageScroll(prov.page, width, 'providers');
          await prov.screenshot(`layout-providers-${width}-${theme}`);
        } finally {
          await prov.close();
        }
      });
});

describe('webview: every panel at 360 px (the narrowest editor group)', function () {
  this.timeout(120_000);
  const env = browserSuite();
  const pages: Record<string, unknown[]> = {
    complexity: [{ type: 'complexity', model: null, unit: 'MACs' }],
    windows: [{ type: 'windows', stages: [{ name: 'Swin-T stage1', H: 56, W: 56, M: 7 }, { name: 'Swin-T stage2', H: 28, W: 28, M: 7 }], model: null, image: null }],
    folder: [{ type: 'folder', folder: '/home/user/photos/a-folder-with-a-long-name', model: 'fashion-vit.onnx', ep: 'cpu', rows: [{ image: 'sub/dir/a-rather-long-image-file-name-0001.png', label: 'Ankle boot', index: 9, prob: 0.93 }, { image: 'broken.png', error: 'broken.png is not an image ViT Inspector can decode (truncated PNG).' }], written: ['/home/user/photos/a-folder-with-a-long-name.vit-inspector.csv'], done: true }],
  };
  for (const [panel, msgs] of Object.entries(pages))
    it(`${panel}: no wider than the viewport`, async () => {
      const p = await openPanel(env.browser, env.server, panel, { width: 360, height: 800 });
      try {
        await p.send(...msgs);
        await assertNoPageScroll(p.page, 360, panel);
        await p.screenshot(`layout-${panel}-360`);
        assert.deepEqual(p.errors, []);
      } finally {
        await p.close();
      }
    });
});
