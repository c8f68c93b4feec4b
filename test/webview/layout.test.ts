// Layouts that fit (issue 13): the architecture view, the classify panel and the providers panel
// at 420, 800 and 1400 px in the dark and the light theme. What must stay on screen: the tree's
// Module-name column, the top classes, the providers' "why not / what to do" text; and no page
// is wider than its viewport. Screenshots go to test-results/webview/layout-<panel>-<w>-<theme>.png.
import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { inspectModel } from '../../src/core/arch/inspect';
import type { AttentionResult } from '../../src/runtime/capture';
import { browserSuite, recording, withPanel, type Theme } from './harness';
import { root } from './browser';
import { messages, tinyCaptures } from './classifyMessages';
import { readRelpos, relposViews } from '../../src/core/report/relpos';
import { embeddingsOfFile } from '../../src/core/report/embeddings';
import { sampleMessage } from './traceSample';
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { readImageFolder } from '../../src/core/evaluate/layout';
import { score, type Prediction } from '../../src/core/evaluate/metrics';
import { compareDocument, latencyRows } from '../../src/core/compare/document';
import type { EvaluateView } from '../../src/shared/protocol';

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

/** The tiny ViT's capture, made once before the suite's tests (call the result inside a test). */
function tinyVitCapture(): () => AttentionResult {
  let vit: AttentionResult | undefined;
  before(async function () {
    this.timeout(90_000);
    [vit] = await tinyCaptures();
  });
  return () => vit!;
}

describe('webview: layouts at 420, 800 and 1400 px, dark and light', function () {
  this.timeout(120_000);
  const env = browserSuite();
  const swin = inspectModel(join(root, 'test', 'fixtures', 'models', 'swin_t.onnx'), { details: true });
  const vit = tinyVitCapture();

  for (const width of WIDTHS)
    for (const theme of THEMES)
      it(`${width} px, ${theme}: tree names, top classes and providers' reasons are inside the viewport`, async () => {
        await withPanel(env, 'architecture', { width, height: 800, theme }, async (arch) => {
          await arch.send({ type: 'architecture', result: swin });
          // The Module name column (header and rows) is on screen and wide enough to read a name.
          await assertInside(arch.page, '.tree-head .name', width, 100);
          assert.ok((await assertInside(arch.page, '.tree-row .name', width, 100)) >= 5);
          await assertInside(arch.page, '.tree-head .num', width);
          await assertNoPageScroll(arch.page, width, 'architecture');
          await arch.screenshot(`layout-architecture-${width}-${theme}`);
        });

        await withPanel(env, 'classify', { width, height: 1000, theme }, async (cls) => {
          for (const m of messages(vit(), 'tiny_vit')) await cls.send(m);
          assert.equal(await assertInside(cls.page, '#top li .name', width), 5);
          await assertInside(cls.page, '#top li .prob', width);
          await assertInside(cls.page, '#image', width, Math.min(300, width - 60));
          await assertInside(cls.page, '#colorscale', width);
          await assertNoPageScroll(cls.page, width, 'classify');
          await cls.screenshot(`layout-classify-${width}-${theme}`);
        });

        await withPanel(env, 'providers', { width, height: 700, theme }, async (prov) => {
          await prov.send(...recording('providers'));
          // The reasons wrap instead of running off the edge.
          await assertInside(prov.page, 'tr[data-provider="cuda"] td:last-child', width);
          await assertInside(prov.page, 'tr[data-provider="webgpu"] td:last-child', width);
          await assertNoPageScroll(prov.page, width, 'providers');
          await prov.screenshot(`layout-providers-${width}-${theme}`);
        });
      });
});

describe('webview: every panel at 360 px (the narrowest editor group)', function () {
  this.timeout(120_000);
  const env = browserSuite();
  const pages: Record<string, unknown[]> = {
    complexity: [{ type: 'complexity', model: null, unit: 'MACs' }],
    windows: [{ type: 'windows', stages: [{ name: 'Swin-T stage1', H: 56, W: 56, M: 7 }, { name: 'Swin-T stage2', H: 28, W: 28, M: 7 }], model: null, image: null }],
    trace: [sampleMessage()],
    folder: [{ type: 'folder', folder: '/home/user/photos/a-folder-with-a-long-name', model: 'fashion-vit.onnx', ep: 'cpu', rows: [{ image: 'sub/dir/a-rather-long-image-file-name-0001.png', label: 'Ankle boot', index: 9, prob: 0.93 }, { image: 'broken.png', error: 'broken.png is not an image ViT Inspector can decode (truncated PNG).' }], written: ['/home/user/photos/a-folder-with-a-long-name.vit-inspector.csv'], done: true }],
  };
  for (const [panel, msgs] of Object.entries(pages))
    it(`${panel}: no wider than the viewport`, async () => {
      await withPanel(env, panel, { width: 360, height: 800 }, async (p) => {
        await p.send(...msgs);
        await assertNoPageScroll(p.page, 360, panel);
        await p.screenshot(`layout-${panel}-360`);
        assert.deepEqual(p.errors, []);
      });
    });
});

// Issue 23: every panel read as a user reads it. At 420, 800 and 1400 px in the dark, light and
// high-contrast themes: no text cut by a box that hides or scrolls its overflow, the module tree
// takes the width it has, and every warning/error reads at ≥ 4.5:1 against what is behind it.
/** Elements whose content is cut: overflow hidden/auto/scroll/clip and content wider than the box. */
const clipped = (page: Page, allow: string[]) =>
  page.evaluate((allowed) => {
    const out: string[] = [];
    for (const el of Array.from(document.querySelectorAll<HTMLElement>('body *'))) {
      if (!el.getClientRects().length || allowed.some((a) => el.matches(a))) continue;
      const ox = getComputedStyle(el).overflowX;
      if (ox === 'visible') continue;
      if (el.scrollWidth > el.clientWidth + 1) out.push(`${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}.${el.className} "${(el.textContent ?? '').slice(0, 40)}" ${el.scrollWidth} > ${el.clientWidth}`);
    }
    return out;
  }, allow);

/** WCAG contrast of each warning/error text against its effective background; returns those under 4.5. */
const lowContrast = (page: Page) =>
  page.evaluate(() => {
    const rgb = (c: string) => (c.match(/[\d.]+/g) ?? []).map(Number);
    const lum = ([r, g, b]: number[]) => {
      const f = (v: number) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const bg = (el: Element | null): number[] => {
      for (; el; el = el.parentElement) {
        const c = rgb(getComputedStyle(el).backgroundColor);
        if (c.length >= 3 && (c.length < 4 || c[3] > 0.5)) return c;
      }
      return rgb(getComputedStyle(document.body).backgroundColor);
    };
    const bad: string[] = [];
    let n = 0;
    for (const el of Array.from(document.querySelectorAll('.error, .warning, .warnings > li'))) {
      if (!el.getClientRects().length) continue;
      n++;
      const [a, b] = [lum(rgb(getComputedStyle(el).color)), lum(bg(el))];
      const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
      if (ratio < 4.5) bad.push(`"${(el.textContent ?? '').slice(0, 40)}" ${ratio.toFixed(2)}:1`);
    }
    return { n, bad };
  });


// The panels that landed after issue 23 was filed (Evaluate, Compare Models, Explain), fed what the host sends.
const fashionLabels = readFileSync(join(root, 'media', 'models', 'fashion-mnist.labels.txt'), 'utf8').split(/\r?\n/).filter(Boolean);
/** Evaluate on samples/labelled: every image right but the first Shirt (taken for a T-shirt/top) — full-strength diagonal shades. */
function evaluateView(): EvaluateView {
  const dir = join(root, 'samples', 'labelled');
  const folder = readImageFolder(dir, fashionLabels, 10);
  const firstShirt = folder.images.findIndex((x) => x.truth === 6);
  const predictions: Prediction[] = folder.images.map((x, i) => {
    const top = i === firstShirt ? [0, 6, 2, 3, 4] : [x.truth, ...[0, 1, 2, 3, 4, 5].filter((c) => c !== x.truth).slice(0, 4)];
    return { path: relative(dir, x.path), truth: x.truth, top, probs: [0.9, 0.04, 0.03, 0.02, 0.01] };
  });
  const s = score(predictions, fashionLabels);
  return {
    folder: dir, imageBase: null, images: predictions.length, unmatched: ['not-a-class'], empty: [], note: null, agreement: null, ep: 'cpu',
    models: [{ name: 'fashion-vit (embedded)', path: 'fashion-vit.onnx', labels: fashionLabels, accuracy: s.accuracy, top5: s.top5, perClass: s.perClass, confusion: s.confusion, imagesPerSecond: 123.4, predictions }],
    unreadable: [{ path: 'Bag/broken.png', reason: 'broken.png cannot be decoded: the file is truncated or corrupt.' }],
    written: [`${dir}.evaluate.csv`, `${dir}.evaluate.json`],
  };
}
function compareMessage(): unknown {
  const fx = (n: string) => inspectModel(join(root, 'media', 'models', `${n}.onnx`));
  const doc = compareDocument([{ name: 'fashion-vit (embedded)', arch: fx('fashion-vit') }, { name: 'fashion-swin (embedded)', arch: fx('fashion-swin') }]);
  doc.latency = latencyRows([{ model: 'fashion-vit (embedded)', ep: 'cpu', ms: [1, 1.2, 1.1] }, { model: 'fashion-swin (embedded)', ep: 'cpu', ms: [2.2, 2.4, 2.3] }]);
  return { type: 'compare', doc, pending: null, latencyError: 'webgpu did not start here: no usable GPU adapter.' };
}
/** An occlusion map over the tiny ViT's 4×4 grid, as the Explain section draws it when every run is in. */
const explained = (classIndex: number) => ({ type: 'explained', partial: false, method: 'occlusion', class: classIndex, label: 'disc', prob: 0.8, grid: [4, 4], window: 8, stride: 8, runs: 16, done: 16, total: 16, ms: 12.5, ep: 'cpu', inputSize: 32, map: Array.from({ length: 16 }, (_, i) => (i - 5) / 40) });

describe('webview: every panel at 420, 800 and 1400 px in dark, light and high contrast (issue 23)', function () {
  this.timeout(600_000);
  const env = browserSuite();
  const swin = inspectModel(join(root, 'test', 'fixtures', 'models', 'swin_t.onnx'), { details: true });
  const fixture = (n: string) => join(root, 'test', 'fixtures', 'models', `${n}.onnx`);
  const vit = tinyVitCapture();
  const doctor = {
    type: 'doctor',
    report: 'ViT Inspector GPU self-check (vit-inspect doctor)\nproviders\nprovider  status  ms  adapter / why not\ncuda      fails   3   libcublasLt.so.12: cannot open shared object file — Install the CUDA 12 runtime and cuDNN 9, then run: cd /home/user/a/long/path/node_modules/onnxruntime-node && ONNXRUNTIME_NODE_INSTALL=cuda12 node script/install.js',
    result: { platform: 'linux-x64', ortVersion: '1.30.0', node: 'v20.0.0', env: {}, providers: [], checks: [], verdict: ['No provider other than cpu starts here, so there is nothing to compare the CPU with: no parity or speed result.'] },
  };
  /** Each panel with what a user would see in it; `then` clicks into the state to check. */
  const panels: Array<{ panel: string; name?: string; msgs: () => unknown[]; then?: (p: Page) => Promise<void>; allow?: string[] }> = [
    {
      panel: 'architecture',
      msgs: () => [{ type: 'architecture', result: swin }],
      then: async (p) => {
        await p.fill('#search', 'QKᵀ');
        await p.locator('.tree-row.kind-op').first().click();
      },
      // Long names end in an ellipsis inside the tree row by design; the full text is in the tooltip and the details.
      allow: ['.tree-row .name', '.tree-row .kind', '.tree-row .shape', '.tree-viewport'],
    },
    { panel: 'classify', msgs: () => messages(vit(), 'tiny_vit'), allow: ['.mv-label', '.model-view-scroll'] },
    { panel: 'classify', name: 'explain', msgs: () => [...messages(vit(), 'tiny_vit'), explained(vit().top![0].index)], then: async (p) => p.locator('#explain').scrollIntoViewIfNeeded(), allow: ['.mv-label', '.model-view-scroll'] },
    { panel: 'evaluate', msgs: () => [{ type: 'evaluate', view: evaluateView() }], then: async (p) => p.click('button.cell[data-row="6"][data-col="0"]') },
    { panel: 'compare', msgs: () => [compareMessage()] },
    { panel: 'providers', msgs: () => [...recording('providers'), doctor], then: async (p) => p.click('#doctor-result details.report summary') },
    { panel: 'relpos', msgs: () => [{ type: 'relpos', model: 'swin_t.onnx', path: fixture('swin_t'), blocks: relposViews(readRelpos(fixture('swin_t'))), select: null, note: null }], allow: ['figure.matrix'] },
    { panel: 'embeddings', msgs: () => [{ type: 'embeddings', model: 'fashion-vit.onnx', doc: embeddingsOfFile(join(root, 'media', 'models', 'fashion-vit.onnx')), error: null, imageSize: 28, distance: [] }] },
    { panel: 'complexity', msgs: () => [{ type: 'complexity', model: null, unit: 'MACs' }] },
    { panel: 'trace', msgs: () => [sampleMessage()], then: async (p) => p.click('[data-step="4"]') },
    { panel: 'windows', msgs: () => [{ type: 'windows', stages: [{ name: 'Swin-T stage 1', H: 56, W: 56, M: 7 }], model: null, image: null }] },
    {
      panel: 'folder',
      msgs: () => [{ type: 'folder', folder: '/home/user/photos', model: 'fashion-vit.onnx', ep: 'cpu', rows: [{ image: 'a.png', label: 'Ankle boot', index: 9, prob: 0.93 }, { image: 'broken.png', error: 'broken.png cannot be decoded: the file is truncated or corrupt.' }], written: ['/home/user/photos.vit-inspector.csv'], done: true }],
    },
  ];
  for (const width of WIDTHS)
    for (const theme of [...THEMES, 'hc'] as Theme[])
      it(`${width} px, ${theme}: no text cut, warnings/errors ≥ 4.5:1, the tree uses the width`, async () => {
        const problems: string[] = [];
        for (const { panel, name = panel, msgs, then, allow = [] } of panels) {
          await withPanel(env, panel, { width, height: 900, theme }, async (p) => {
            await p.send(...msgs());
            if (then) await then(p.page);
            await p.page.waitForTimeout(50);
            // At 420 px a wide number table may scroll sideways inside its box; from 800 px on, nothing scrolls.
            // (not the complexity tables: their Ω(W-MSA) column scrolled out of sight at 420 px — issue 23).
            const cut = await clipped(p.page, [...allow, ...(width < 800 ? [panel === 'complexity' ? '.none' : '.table-scroll', 'pre.report'] : [])]);
            problems.push(...cut.map((c) => `${name}: cut: ${c}`));
            const { bad } = await lowContrast(p.page);
            problems.push(...bad.map((b) => `${name}: contrast ${b}`));
            const sw = await p.page.evaluate(() => document.documentElement.scrollWidth);
            if (sw > width) problems.push(`${name}: page ${sw} px wide in ${width} px`);
            if (panel === 'architecture') {
              const tree = (await p.page.locator('.tree-pane').boundingBox())!;
              // Side by side with the details (≤ 400 px) from 800 px on: the tree takes the rest.
              const layout = (await p.page.locator('.arch-layout').boundingBox())!;
              const details = (await p.page.locator('#details').boundingBox())!;
              // Side by side from 800 px on: the details take at most 400 px and the tree all the rest.
              if (width >= 800 && (details.width > 400.5 || tree.width + 16 + details.width < layout.width - 2)) problems.push(`architecture: the tree is ${tree.width.toFixed(0)} px of ${layout.width.toFixed(0)} (details ${details.width.toFixed(0)})`);
              if (width >= 1400) {
                const stages = await p.page.$$eval('.tree-row.kind-stage .name', (els) => els.filter((e) => e.scrollWidth > e.clientWidth + 1).map((e) => e.textContent));
                problems.push(...stages.map((s) => `architecture: stage name cut: ${s}`));
              }
            }
            if (width !== 800) await p.screenshot(`issue23-${name}-${width}-${theme}`);
          });
        }
        assert.deepEqual(problems, []);
      });
});

// Issue 23: the classify panel's Provider dropdown (a vscode-single-select) drew Dark Modern's
// #313131 in the light theme because the harness lacked the variables it reads; what it shows
// must be the theme's own dropdown colours, as VS Code gives them.
describe('webview: the Provider dropdown follows the theme', function () {
  this.timeout(120_000);
  const env = browserSuite();
  const vit = tinyVitCapture();
  const expected: Record<string, { bg: string; fg: string }> = { dark: { bg: 'rgb(49, 49, 49)', fg: 'rgb(204, 204, 204)' }, light: { bg: 'rgb(255, 255, 255)', fg: 'rgb(59, 59, 59)' }, hc: { bg: 'rgb(0, 0, 0)', fg: 'rgb(255, 255, 255)' } };
  for (const theme of [...THEMES, 'hc'] as Theme[])
    it(`${theme}: the dropdown's face has the theme's dropdown background and foreground`, async () => {
      await withPanel(env, 'classify', { width: 800, height: 900, theme }, async (p) => {
        for (const m of messages(vit(), 'tiny_vit')) await p.send(m);
        const face = await p.page.locator('#ep').evaluate((el) => {
          const f = el.shadowRoot?.querySelector('.select-face');
          const cs = f ? getComputedStyle(f) : null;
          return cs ? { bg: cs.backgroundColor, fg: cs.color } : null;
        });
        assert.deepEqual(face, expected[theme]);
      });
    });
});

// Issue 23: at 1600 px the tree used ~1100 px and an empty details column kept the rest.
describe('webview: the module tree takes the width while nothing is selected', function () {
  this.timeout(120_000);
  const env = browserSuite();
  const swin = inspectModel(join(root, 'test', 'fixtures', 'models', 'swin_t.onnx'), { details: true });
  for (const width of [694, 1600])
    it(`${width} px: the tree is as wide as its row, the details appear on selection`, async () => {
      await withPanel(env, 'architecture', { width, height: 900, theme: 'light' }, async (p) => {
        await p.send({ type: 'architecture', result: swin });
        const layout = (await p.page.locator('.arch-layout').boundingBox())!;
        const tree = (await p.page.locator('.tree-pane').boundingBox())!;
        assert.ok(tree.width >= layout.width - 2, `the tree is ${tree.width.toFixed(0)} px of ${layout.width.toFixed(0)}`);
        await p.page.locator('.tree-row.kind-stage').first().click();
        assert.ok(((await p.page.locator('#details').boundingBox())?.width ?? 0) > 200, 'the details pane shows the selected stage');
        // Issue 23: with the details open at 694 px the Swin stage names were cut ("stage 1 (56×56 tokens, 96…").
        const cut = await p.page.$$eval('.tree-row.kind-stage .name', (els) => els.filter((e) => e.scrollWidth > e.clientWidth + 1).map((e) => e.textContent));
        const geo = await p.page.$eval('.tree-row.kind-stage .name', (e) => `name ${e.clientWidth}/${e.scrollWidth} px in a ${(e.closest('.tree-pane') as HTMLElement).clientWidth} px tree`);
        assert.deepEqual(cut, [], `stage names cut with a row selected (${geo})`);
        await p.screenshot(`issue23-architecture-selected-${width}-light`);
      });
    });
});

/** WCAG contrast of each element's text against what is behind it, translucent backgrounds composited (rgb() and color(srgb …)). */
const textContrast = (page: Page, sel: string) =>
  page.$$eval(sel, (els) => {
    const parse = (c: string): number[] => {
      const n = (c.match(/-?[\d.]+(e-?\d+)?/g) ?? []).map(Number);
      if (c.startsWith('color(')) return [n[0] * 255, n[1] * 255, n[2] * 255, n.length > 3 ? n[3] : 1];
      return [n[0] ?? 0, n[1] ?? 0, n[2] ?? 0, n.length > 3 ? n[3] : c === 'transparent' ? 0 : 1];
    };
    const behind = (el: Element | null): number[] => {
      const layers: number[][] = [];
      for (; el; el = el.parentElement) {
        const c = parse(getComputedStyle(el).backgroundColor);
        if (c[3] > 0) layers.push(c);
        if (c[3] >= 1) break;
      }
      let out = [255, 255, 255];
      for (const [r, g, b, a] of layers.reverse()) out = [r * a + out[0] * (1 - a), g * a + out[1] * (1 - a), b * a + out[2] * (1 - a)];
      return out;
    };
    const lum = ([r, g, b]: number[]) => {
      const f = (v: number) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    return els.map((el) => {
      const [a, b] = [lum(parse(getComputedStyle(el).color)), lum(behind(el))];
      return { text: (el.textContent ?? '').trim(), ratio: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05) };
    });
  });

// Issue 23, the panels that landed after it: the confusion matrix drew the theme's text on full-strength
// chart blue (#1a85ff in Light Modern, #3794ff in Dark Modern: about 2.5:1), so a class's own count — the
// number a user reads first — was the hardest to read. Every count must read at ≥ 4.5:1 in every theme.
describe('webview: the confusion matrix counts are readable in every theme', function () {
  this.timeout(120_000);
  const env = browserSuite();
  for (const theme of [...THEMES, 'hc'] as Theme[])
    it(`${theme}: every cell's count ≥ 4.5:1 against its shade (a full diagonal included)`, async () => {
      await withPanel(env, 'evaluate', { width: 1000, height: 900, theme }, async (p) => {
        await p.send({ type: 'evaluate', view: evaluateView() });
        const cells = await textContrast(p.page, '#confusion button.cell');
        assert.equal(cells.length, 100);
        assert.ok(cells.some((c) => c.text === '4'), 'a class with all 4 images right: the darkest shade');
        assert.deepEqual(cells.filter((c) => c.ratio < 4.5).map((c) => `"${c.text}" ${c.ratio.toFixed(2)}:1`), []);
        await p.screenshot(`issue23-confusion-${theme}`);
      });
    });
});

// Issue 23, the step-through: its buttons were Chromium's own (light grey in a dark editor, the step shown
// marked by nothing but the focus ring). The step shown and Trace are the theme's primary button, the
// other steps, Previous and Next its secondary button; a disabled button reads as disabled.
describe('webview: Step Through\'s buttons follow the theme', function () {
  this.timeout(120_000);
  const env = browserSuite();
  const expected: Record<string, { primary: string; secondary: string; fg: string }> = {
    dark: { primary: 'rgb(0, 120, 212)', secondary: 'rgb(49, 49, 49)', fg: 'rgb(204, 204, 204)' },
    light: { primary: 'rgb(0, 95, 184)', secondary: 'rgb(229, 229, 229)', fg: 'rgb(59, 59, 59)' },
    hc: { primary: 'rgb(0, 0, 0)', secondary: 'rgb(0, 0, 0)', fg: 'rgb(255, 255, 255)' },
  };
  for (const theme of [...THEMES, 'hc'] as Theme[])
    it(`${theme}: the step shown and Trace primary, the other steps secondary, Previous disabled on step 1`, async () => {
      await withPanel(env, 'trace', { width: 1000, height: 900, theme }, async (p) => {
        await p.send(sampleMessage());
        const look = (sel: string) => p.page.$eval(sel, (e) => ({ bg: getComputedStyle(e).backgroundColor, fg: getComputedStyle(e).color, opacity: getComputedStyle(e).opacity }));
        const want = expected[theme];
        const current = await look('#steps button[aria-current="step"]');
        assert.equal(current.bg, want.primary, 'the step shown');
        assert.equal((await look('#go')).bg, want.primary, 'Trace');
        const other = await look('#steps button:not([aria-current])');
        assert.deepEqual([other.bg, other.fg], [want.secondary, want.fg], 'another step');
        assert.equal((await look('#next')).bg, want.secondary, 'Next');
        assert.equal((await look('#prev')).opacity, '0.5', 'Previous on the first step');
        // The step buttons' text reads at ≥ 4.5:1 on their own face.
        const low = (await textContrast(p.page, '#steps button, #go, #next')).filter((c) => c.ratio < 4.5);
        assert.deepEqual(low.map((c) => `"${c.text}" ${c.ratio.toFixed(2)}:1`), []);
        await p.screenshot(`issue23-trace-buttons-${theme}`);
      });
    });
});

// Issue 23 round 2, seen in code-server: an editor split in two (~600 px) left the Swin stage rows'
// full names pushing MACs past the tree's edge ("723.1"); a long config path or graph name wrapped
// mid-word ("…/worksp" + "ace-…", "features.1." + "0/attn") instead of after a "/".
describe('webview: stage rows keep Params and MACs; paths wrap after a separator', function () {
  this.timeout(120_000);
  const env = browserSuite();
  const swin = inspectModel(join(root, 'test', 'fixtures', 'models', 'swin_t.onnx'), { details: true });
  const vit = tinyVitCapture();

  for (const width of [520, 600, 660])
    it(`${width} px: every row's Params and MACs lie inside the row, uncut`, async () => {
      await withPanel(env, 'architecture', { width, height: 900, theme: 'dark' }, async (p) => {
        await p.send({ type: 'architecture', result: swin });
        const out = await p.page.$$eval('.tree-row', (rows) =>
          rows.flatMap((row) => {
            const r = row.getBoundingClientRect();
            return Array.from(row.querySelectorAll<HTMLElement>('.num')).flatMap((n) => {
              const b = n.getBoundingClientRect();
              const bad = b.right > r.right + 0.5 || b.left < r.left - 0.5 || n.scrollWidth > n.clientWidth + 1;
              return bad ? [`${row.querySelector('.name')?.textContent}: ${n.className} "${n.textContent}" at ${b.left.toFixed(0)}–${b.right.toFixed(0)} in a row ${r.left.toFixed(0)}–${r.right.toFixed(0)}`] : [];
            });
          }),
        );
        assert.ok((await p.page.locator('.tree-row.kind-stage').count()) >= 4, 'Swin-T\'s four stages are in view');
        assert.deepEqual(out, []);
        await p.screenshot(`issue23-architecture-stages-${width}`);
      });
    });

  /** Text nodes inside `sel` that are laid out on more than one line (a segment between <wbr>s split). */
  const splitSegments = (page: Page, sel: string) =>
    page.$$eval(sel, (els) =>
      els.flatMap((el) =>
        Array.from(el.childNodes)
          .filter((n) => n.nodeType === Node.TEXT_NODE)
          .flatMap((n) => {
            const range = document.createRange();
            range.selectNodeContents(n);
            const lines = new Set(Array.from(range.getClientRects()).map((r) => Math.round(r.top)));
            return lines.size > 1 ? [`"${n.textContent}" on ${lines.size} lines`] : [];
          }),
      ),
    );

  it('420 px: the classify panel\'s config path breaks only after a "/"', async () => {
    await withPanel(env, 'classify', { width: 420, height: 1000, theme: 'dark' }, async (p) => {
      const [classified, ...rest] = messages(vit(), 'tiny_vit') as Array<{ view: Record<string, unknown> }>;
      classified.view.preprocessingFile = '/work/wt-a23/test-results/e2e/workspace-round2-1600-dark/models/tiny_vit.json';
      await p.send(classified, ...rest);
      const code = p.page.locator('#preprocessing-file code');
      assert.equal(await code.textContent(), classified.view.preprocessingFile, 'the path reads as it is');
      const lines = await code.evaluate((el) => new Set(Array.from(el.getClientRects()).map((r) => Math.round(r.top))).size);
      assert.ok(lines > 1, 'the path wraps at this width (else the test proves nothing)');
      assert.deepEqual(await splitSegments(p.page, '#preprocessing-file code'), []);
      await p.screenshot('issue23-classify-config-path-420');
    });
  });

  it('694 px: the details wrapped under the tree take the whole width; the stage names are whole', async () => {
    await withPanel(env, 'architecture', { width: 694, height: 900, theme: 'dark' }, async (p) => {
      await p.send({ type: 'architecture', result: swin });
      await p.page.locator('.tree-row.kind-stage').first().click();
      const tree = (await p.page.locator('.tree-pane').boundingBox())!;
      const details = (await p.page.locator('#details').boundingBox())!;
      assert.ok(details.y >= tree.y + tree.height - 1, 'the details are under the tree at this width');
      assert.ok(details.width >= tree.width - 2, `the details are ${details.width.toFixed(0)} px under a ${tree.width.toFixed(0)} px tree`);
      const cut = await p.page.$$eval('.tree-row.kind-stage .name', (els) => els.filter((e) => e.scrollWidth > e.clientWidth + 1).map((e) => e.textContent));
      assert.deepEqual(cut, []);
      // The other rows' Output shapes are whole too (the patch mergings' "[1, 28, 28, 192]" read "[1, 28, 28, 19…").
      const shapes = await p.page.$$eval('.tree-row:not(.kind-stage) .shape', (els) => els.filter((e) => e.scrollWidth > e.clientWidth + 1).map((e) => e.textContent));
      assert.deepEqual(shapes, []);
    });
  });

  for (const width of [420, 694])
    it(`${width} px: the explain section's labels sit on the line of their fields`, async () => {
      await withPanel(env, 'classify', { width, height: 1200, theme: 'dark' }, async (p) => {
        await p.send(...messages(vit(), 'tiny_vit'));
        const apart = await p.page.$$eval('#explain label[for]', (labels) =>
          labels.flatMap((l) => {
            const field = document.getElementById(l.getAttribute('for')!);
            if (!field || !field.getClientRects().length || !l.getClientRects().length) return [];
            const a = l.getBoundingClientRect(), b = field.getBoundingClientRect();
            const sameLine = a.top < b.bottom && b.top < a.bottom;
            return sameLine ? [] : [`"${l.textContent}" at y ${a.top.toFixed(0)}, its field at y ${b.top.toFixed(0)}`];
          }),
        );
        assert.ok((await p.page.locator('#explain label[for]').count()) >= 4);
        assert.deepEqual(apart, []);
        await assertNoPageScroll(p.page, width, 'classify');
      });
    });

  it('660 px: the details pane\'s graph names break only after a "/"', async () => {
    await withPanel(env, 'architecture', { width: 660, height: 900, theme: 'dark' }, async (p) => {
      await p.send({ type: 'architecture', result: swin });
      await p.page.fill('#search', 'scale');
      await p.page.locator('.tree-row', { has: p.page.locator('.kind', { hasText: 'Mul' }) }).first().click();
      await p.page.locator('#explain').waitFor();
      assert.match(await p.page.innerText('#explain'), /1\/√32/);
      assert.ok((await p.page.locator('ul.io-list .io-name').count()) >= 2);
      assert.deepEqual(await splitSegments(p.page, 'ul.io-list .io-name, #node-name, #raw-name code'), []);
      await p.screenshot('issue23-architecture-details-names-660');
    });
  });
});
