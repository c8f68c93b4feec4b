// Occlusion speed (issue 20), as a ratio measured in the same run, A/B in turns: ViT-B/16 (random
// full weights made from the structure-only fixture) at 16-pixel windows, 196 runs, through the
// explain request (perturbation + run + p(class), one request, progress per batch) against 196
// bare session.run calls on occluded inputs of the same shape (goal ≤ 1.1×; the request also runs
// the clear image once, as it must for p(class)). Unmeasured so far: the shared
// 2-core machine gives no trustworthy figure; run it on an idle machine.
// Run: node scripts/build.mjs && node bench/explain.bench.mjs
import * as os from 'node:os';
import * as path from 'node:path';
import { benchTemp, bundleExports, req, root } from './lib/bundle.mjs';
import { median } from './lib/stats.mjs';
import { writeRandomFixture } from './lib/weights.mjs';

const { dir: tmp, cleanup } = benchTemp('explain');
console.log(`load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} on ${os.cpus().length} cores`);
const ROUNDS = Number(process.env.VIT_BENCH_ROUNDS ?? 3);

let client;
try {
  const { RuntimeClient, occlude, occlusionGrid } = await bundleExports(tmp, 'lib', [
    ['RuntimeClient', 'src/runtime/client'],
    ['occlude, occlusionGrid', 'src/core/explain/occlusion'],
  ]);
  const ort = req('onnxruntime-node');
  const sharp = req('sharp');

  const model = path.join(tmp, 'vit_b_16.onnx');
  await writeRandomFixture(tmp, 'vit_b_16', model);
  const image = path.join(tmp, 'image.png');
  const rgb = Buffer.alloc(224 * 224 * 3);
  for (let i = 0; i < rgb.length; i++) rgb[i] = (i * 37) % 251;
  await sharp(rgb, { raw: { width: 224, height: 224, channels: 3 } }).png().toFile(image);

  client = new RuntimeClient(path.join(root, 'dist/runtime.js'));
  // The same tensor the request feeds: ImageNet normalisation of the 224² image (no resize needed).
  const mean = [0.485, 0.456, 0.406];
  const std = [0.229, 0.224, 0.225];
  const clear = new Float32Array(3 * 224 * 224);
  for (let c = 0; c < 3; c++) for (let p = 0; p < 224 * 224; p++) clear[c * 224 * 224 + p] = (rgb[p * 3 + c] / 255 - mean[c]) / std[c];
  const g = occlusionGrid(224, 224, 16, 16);
  const inputs = Array.from({ length: g.grid[0] * g.grid[1] }, (_, i) => {
    const x = new Float32Array(clear.length);
    occlude(clear, [3, 224, 224], g, i, x);
    return x;
  });
  const session = await ort.InferenceSession.create(model, { executionProviders: ['cpu'] });
  const bare = async () => {
    const t0 = performance.now();
    for (const x of inputs) await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', x, [1, 3, 224, 224]) });
    return performance.now() - t0;
  };
  const request = async () => {
    const t0 = performance.now();
    const r = await client.request('explain', { model, image, method: 'occlusion', order: ['cpu'], window: 16, stride: 16 });
    if (r.runs !== 196) throw new Error(`expected 196 runs, got ${r.runs}`);
    return performance.now() - t0;
  };
  await request(); // the session opens (and stays cached) in the inference process
  await bare();
  const a = [];
  const b = [];
  for (let i = 0; i < ROUNDS; i++) {
    a.push(await request());
    b.push(await bare());
  }
  const ratio = median(a) / median(b);
  console.log(`occlusion, ViT-B/16, 196 windows of 16 px: explain request ${median(a).toFixed(0)} ms, 196 bare session.run ${median(b).toFixed(0)} ms, ratio ${ratio.toFixed(3)}× (goal ≤ 1.1×)`);
} finally {
  client?.dispose();
  cleanup();
}
