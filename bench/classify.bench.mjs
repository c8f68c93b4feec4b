// Classify speed (issue 5), as ratios measured in the same run, A/B in turns:
//  1. one image end to end — JPEG decode + preprocess + run + top-k, through the inference
//     process and its IPC — against a bare session.run on the same tensor, for ViT-B/16 and
//     Swin-T with random full weights made from the structure-only fixtures (goal ≤ 1.10×);
//  2. folder throughput: 16 images in one classify request against 16 bare runs (goal ≥ 0.9×);
//  3. the extension host: dist/extension.js never loads onnxruntime-node or sharp, and its
//     module load time (goal: activation adds < 100 ms).
// Run: node scripts/build.mjs && node bench/classify.bench.mjs
import * as esbuild from 'esbuild';
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './lib/stats.mjs';
import { withRandomWeights } from './lib/weights.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const req = createRequire(path.join(root, 'package.json'));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vit-classify-bench-'));
const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');
console.log(`load average ${load()} on ${os.cpus().length} cores`);

try {
  const bundle = path.join(tmp, 'lib.cjs');
  fs.writeFileSync(path.join(tmp, 'lib.ts'), [
    `export { readModel } from '${path.join(root, 'src/core/onnx/reader')}';`,
    `export { writeModel } from '${path.join(root, 'src/core/onnx/writer')}';`,
    `export { RuntimeClient } from '${path.join(root, 'src/runtime/client')}';`,
  ].join('\n'));
  await esbuild.build({ entryPoints: [path.join(tmp, 'lib.ts')], bundle: true, outfile: bundle, format: 'cjs', platform: 'node', target: 'node20', external: ['onnxruntime-node', 'sharp'], logLevel: 'warning' });
  const { readModel, writeModel, RuntimeClient } = req(bundle);
  const ort = req('onnxruntime-node');
  const sharp = req('sharp');

  // Random fp32 weights for every external (absent) initializer (bench/lib/weights.mjs).
  function fullCopy(name) {
    const file = path.join(tmp, `${name}.onnx`);
    writeModel(withRandomWeights(readModel(path.join(root, 'test/fixtures/models', `${name}.onnx`))).model, file);
    return file;
  }

  // A 320×240 photo-like JPEG: decode, resize (shorter side 256, bicubic) and crop all do real work.
  const w = 320, h = 240;
  const rgb = Buffer.alloc(w * h * 3);
  for (let i = 0; i < w * h; i++) rgb.set([(i * 7) % 256, ((i / w) * 3) % 256, (i * 13) % 251], i * 3);
  const images = [];
  for (let k = 0; k < 16; k++) {
    const f = path.join(tmp, `img${k}.jpg`);
    await sharp(rgb, { raw: { width: w, height: h, channels: 3 } }).modulate({ hue: k * 20 }).jpeg({ quality: 90 }).toFile(f);
    images.push(f);
  }

  const client = new RuntimeClient(path.join(root, 'dist', 'runtime.js'));
  console.log('\nmodel      bare run ms   classify ms (JPEG → top-k, via the process)   ratio   goal ≤ 1.10×');
  const folderRows = [];
  for (const name of ['vit_b_16', 'swin_t']) {
    const file = fullCopy(name);
    const session = await ort.InferenceSession.create(file, { executionProviders: ['cpu'] });
    const x = new ort.Tensor('float32', new Float32Array(3 * 224 * 224).map((_, i) => Math.sin(i) * 2), [1, 3, 224, 224]);
    const bare = async () => {
      const t = performance.now();
      await session.run({ [session.inputNames[0]]: x });
      return performance.now() - t;
    };
    const e2e = async (imgs) => {
      const t = performance.now();
      const r = await client.request('classify', { model: file, images: imgs, topK: 5, order: ['cpu'] });
      if (!r.results.every((y) => y.ok)) throw new Error(JSON.stringify(r.results.find((y) => !y.ok)));
      return performance.now() - t;
    };
    for (let i = 0; i < 2; i++) await bare(), await e2e([images[0]]);
    const A = [], B = [];
    for (let i = 0; i < 10; i++) A.push(await bare()), B.push(await e2e([images[i % images.length]]));
    const ratio = median(B) / median(A);
    console.log(`${name.padEnd(10)} ${median(A).toFixed(1).padStart(11)}   ${median(B).toFixed(1).padStart(11)}${' '.repeat(33)}${ratio.toFixed(3).padStart(6)}   ${ratio <= 1.1 ? 'PASS' : 'FAIL'}`);
    // Folder: 16 images in one request vs 16 bare runs (the exports have a fixed batch of 1).
    const FA = [], FB = [];
    for (let i = 0; i < 3; i++) {
      let t = 0;
      for (let k = 0; k < 16; k++) t += await bare();
      FA.push(t);
      FB.push(await e2e(images));
    }
    folderRows.push([name, 16000 / median(FA), 16000 / median(FB)]);
    await session.release();
  }
  client.dispose();
  console.log('\nfolder     bare img/s   classify img/s   ratio   goal ≥ 0.9×');
  for (const [name, a, b] of folderRows) console.log(`${name.padEnd(10)} ${a.toFixed(2).padStart(10)}   ${b.toFixed(2).padStart(14)}   ${(b / a).toFixed(3).padStart(5)}   ${b / a >= 0.9 ? 'PASS' : 'FAIL'}`);

  // The extension host: loading dist/extension.js (vscode stubbed) and what it pulls in.
  const ext = path.join(root, 'dist', 'extension.js');
  const Module = req('node:module');
  const origLoad = Module._load;
  const loaded = [];
  Module._load = function (request, ...rest) {
    loaded.push(request);
    if (request === 'vscode') return new Proxy({}, { get: () => new Proxy(function () {}, { get: () => ({}) }) });
    return origLoad.call(this, request, ...rest);
  };
  const t = performance.now();
  req(ext);
  const ms = performance.now() - t;
  Module._load = origLoad;
  const heavy = loaded.filter((m) => /onnxruntime|sharp/.test(m));
  console.log(`\nextension host: dist/extension.js loads in ${ms.toFixed(1)} ms (${(fs.statSync(ext).size / 1024).toFixed(0)} KB); onnxruntime-node/sharp loaded: ${heavy.length ? heavy.join(', ') : 'none'} — goal < 100 ms: ${ms < 100 && !heavy.length ? 'PASS' : 'FAIL'}`);
  console.log(`load average ${load()} at the end`);
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
