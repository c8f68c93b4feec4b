// The model view of the classify panel (issue 13, "Bench"), in Debian's Chromium:
//   1. The model view of ViT-B/16 (12 layers × 12 heads, maps of 14×14) is drawn in ≤ 100 ms.
//   2. Changing the query patch redraws the whole grid (and the large view) in ≤ 33 ms (two frames).
// The panel (dist/webview/classify.js, served and driven as in test/webview/harness.ts) gets a
// capture of ViT-B/16's shape: 12 × [1, 12, 197, 197] attention with softmax-normalised random
// rows (drawing time does not depend on the values, and no 330 MB model has to be made and run).
// Figures: the panel's own data-draw-ms (JS time of the grid draw) and the time from the input
// event to the next frame's requestAnimationFrame callback (what a user waits for).
// Run: node bench/modelview.bench.mjs   (needs dist/webview/classify.js from `node scripts/build.mjs`)
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { benchTemp, bundleExports, root } from './lib/bundle.mjs';
import { idleFrames, median } from './lib/stats.mjs';

process.chdir(root);
const { dir: tmp, cleanup } = benchTemp('modelview');
const GRID_MS = 100;
const QUERY_MS = 33;
const RUNS = 15;

const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');
const f1 = (x) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));

console.log(`load average ${load()} on ${os.cpus().length} cores`);
const bundleFile = path.join(root, 'dist/webview/classify.js');
if (!fs.existsSync(bundleFile)) throw new Error('dist/webview/classify.js is missing: run `node scripts/build.mjs` first');

const { startServer, openPanel, launchBrowser, closeBrowser } = await bundleExports(tmp, 'harness', [['startServer, openPanel, launchBrowser, closeBrowser', 'test/webview/harness']]);

// ViT-B/16: 224², patch 16 → 14×14 patches + the class token = 197 tokens, 12 heads, 12 blocks.
const L = 12, H = 12, G = 14, N = 1 + G * G;
let seed = 0x2545f491;
const rand = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 4294967296);
const layers = Array.from({ length: L }, (_, i) => {
  const data = new Float32Array(H * N * N);
  for (let r = 0; r < H * N; r++) {
    let sum = 0;
    for (let j = 0; j < N; j++) sum += data[r * N + j] = Math.exp(3 * rand());
    for (let j = 0; j < N; j++) data[r * N + j] /= sum;
  }
  return { name: `encoder.layers.encoder_layer_${i}`, output: `attn${i}`, stage: 0, block: i, heads: H, tokens: N, window: null, shifted: false, shift: 0, grid: [G, G], cell: 16, extraTokens: 1, dims: [1, H, N, N], data };
});
const rgb = new Uint8Array(224 * 224 * 3).map((_, i) => (i * 37) & 255);
const classified = {
  type: 'classified',
  view: {
    imageName: 'bench.png', imagePath: '/tmp/bench.png', modelName: 'vit_b_16.onnx', modelPath: '/tmp/vit_b_16.onnx', ep: 'cpu', failures: [],
    pixels: { width: 224, height: 224, rgb }, original: { width: 224, height: 224, format: 'png' },
    top: [{ index: 0, label: 'a', prob: 0.9 }], timings: { decode: 1, preprocess: 1, run: 1, load: 1 },
    labelsSource: 'none', preprocessing: 'none', grid: { patch: 16, window: null, family: 'vit' },
  },
  providers: ['cpu'],
};

let server;
let browser;
try {
  server = await startServer();
  browser = await launchBrowser();
  const panel = await openPanel(browser, server, 'classify', { width: 1400, height: 1400 });
  const { page } = panel;
  await panel.send(classified);
  await panel.send({ type: 'attention', family: 'vit', ep: 'cpu', inputSize: 224, layers, warnings: [] });
  await page.waitForSelector('#model-view[data-draw-ms]', { timeout: 60_000 });
  const cells = await page.locator('#model-view .mv-cell').count();
  const size = await page.$eval('#model-view .mv-canvas', (c) => `${c.width}×${c.height} canvas pixels`);
  const rolloutMs = Number(await page.getAttribute('#model-view', 'data-draw-ms'));
  if (cells !== L * H) throw new Error(`the model view has ${cells} cells, expected ${L * H}`);

  /** Runs `act` at the start of a frame; resolves the grid's data-draw-ms and the time to the next frame. */
  const timed = (act) =>
    page.evaluate(
      (act) =>
        new Promise((res, rej) =>
          requestAnimationFrame(() => {
            const grid = document.querySelector('#model-view');
            grid.removeAttribute('data-draw-ms');
            const t0 = performance.now();
            if (act.kind === 'layer') {
              const sel = document.querySelector('#layer');
              sel.value = act.value;
              sel.dispatchEvent(new Event('change', { bubbles: true }));
            } else {
              const img = document.querySelector('#image');
              const r = img.getBoundingClientRect();
              img.parentElement.dispatchEvent(new MouseEvent('click', { bubbles: true, clientX: r.left + act.x * r.width, clientY: r.top + act.y * r.height }));
            }
            const draw = grid.getAttribute('data-draw-ms');
            if (draw === null) return rej(new Error(`${JSON.stringify(act)} did not redraw the model view`));
            requestAnimationFrame(() => res({ draw: Number(draw), frame: performance.now() - t0 }));
          }),
        ),
      act,
    );

  // Goal 1: the whole grid for the class-token query (leaving rollout for a layer), and back.
  const full = [];
  for (let k = 0; k < RUNS + 2; k++) {
    full.push(await timed({ kind: 'layer', value: String(k % L) }));
    await timed({ kind: 'layer', value: 'rollout' });
  }
  full.splice(0, 2);
  // Goal 2: a new query patch, all 144 maps recoloured and the large view redrawn.
  await page.check('#query-mode');
  const query = [];
  for (let k = 0; k < RUNS + 2; k++) query.push(await timed({ kind: 'patch', x: ((k * 5) % G + 0.5) / G, y: ((k * 3) % G + 0.5) / G }));
  query.splice(0, 2);
  if ((await page.getAttribute('#model-view', 'data-query')) !== 'patch') throw new Error('the model view did not switch to the patch query');

  // Idle frame interval (rAF to rAF): "to frame" cannot be shorter than about one of these.
  const idle = median(await idleFrames(page));
  const row = (what, xs, goal) => {
    const draw = median(xs.map((x) => x.draw));
    const frame = median(xs.map((x) => x.frame));
    console.log(`  ${what.padEnd(44)} ${f1(draw).padStart(7)} ${f1(frame).padStart(9)}   ≤ ${goal} ms  ${frame <= goal ? 'PASS' : 'FAIL'}`);
  };
  console.log(`\nModel view of ViT-B/16: ${cells} maps (${L} layers × ${H} heads of ${G}×${G}) on one ${size}, Chromium, median of ${RUNS}`);
  console.log(`  ${'what'.padEnd(44)} ${'draw ms'.padStart(7)} ${'to frame'.padStart(9)}`);
  row('whole grid, class-token query', full, GRID_MS);
  row('new query patch (grid + large view)', query, QUERY_MS);
  console.log(`  (idle frame interval ${f1(idle)} ms; first draw, rollout query: ${f1(rolloutMs)} ms; load average now ${load()})`);
  await panel.close();
} finally {
  if (browser) await closeBrowser(browser);
  await server?.close();
  cleanup();
}
