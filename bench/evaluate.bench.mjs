// Evaluate throughput (issue 20) against Classify Folder's on the same folder, A/B in turns, in one
// run: Classify Folder's path (classify requests of 16 images, top-1) against evaluateFolder (the
// same requests with top-5, plus the labelled-folder reading and the scoring). Goal ≥ 0.95×.
// Run: node scripts/build.mjs && node bench/evaluate.bench.mjs [DIR] (default samples/labelled, the embedded ViT)
import * as esbuild from 'esbuild';
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './lib/stats.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const req = createRequire(path.join(root, 'package.json'));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vit-evaluate-bench-'));
console.log(`load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} on ${os.cpus().length} cores`);
const dir = path.resolve(process.argv[2] ?? path.join(root, 'samples/labelled'));
const model = path.join(root, 'media/models/fashion-vit.onnx');
const ROUNDS = 7;
let client;
try {
  const bundle = path.join(tmp, 'lib.cjs');
  fs.writeFileSync(path.join(tmp, 'lib.ts'), [
    `export { RuntimeClient } from '${path.join(root, 'src/runtime/client')}';`,
    `export { evaluateFolder } from '${path.join(root, 'src/runtime/evaluate')}';`,
    `export { listImages } from '${path.join(root, 'src/core/image/folder')}';`,
  ].join('\n'));
  await esbuild.build({ entryPoints: [path.join(tmp, 'lib.ts')], bundle: true, outfile: bundle, format: 'cjs', platform: 'node', target: 'node20', external: ['onnxruntime-node', 'sharp'], logLevel: 'warning' });
  const { RuntimeClient, evaluateFolder, listImages } = req(bundle);
  client = new RuntimeClient(path.join(root, 'dist/runtime.js'));
  const images = listImages(dir);
  const classifyFolder = async () => {
    for (let i = 0; i < images.length; i += 16) await client.request('classify', { model, images: images.slice(i, i + 16), topK: 1, order: ['cpu'] });
  };
  const evaluate = () => evaluateFolder(client, [model], dir, undefined, ['cpu']);
  await classifyFolder(); // warm: session loaded, files in the page cache
  await evaluate();
  const a = [];
  const b = [];
  for (let r = 0; r < ROUNDS; r++) {
    let t = performance.now();
    await classifyFolder();
    a.push(performance.now() - t);
    t = performance.now();
    await evaluate();
    b.push(performance.now() - t);
  }
  const ratio = median(a) / median(b);
  console.log(`${images.length} images: Classify Folder ${median(a).toFixed(0)} ms, evaluate ${median(b).toFixed(0)} ms (median of ${ROUNDS}, alternated)`);
  console.log(`evaluate throughput ${ratio.toFixed(3)}× Classify Folder's (goal ≥ 0.95×) ${ratio >= 0.95 ? 'ok' : 'MISSED'}`);
} finally {
  client?.dispose();
  fs.rmSync(tmp, { recursive: true, force: true });
}
