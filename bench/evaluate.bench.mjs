// Evaluate throughput (issue 20) against Classify Folder's on the same folder, A/B in turns, in one
// run: Classify Folder's path (classify requests of 16 images, top-1) against evaluateFolder (the
// same requests with top-5, plus the labelled-folder reading and the scoring). Goal ≥ 0.95×.
// Run: node scripts/build.mjs && node bench/evaluate.bench.mjs [DIR] (default samples/labelled, the embedded ViT)
import * as os from 'node:os';
import * as path from 'node:path';
import { benchTemp, bundleExports, root } from './lib/bundle.mjs';
import { median } from './lib/stats.mjs';

const { dir: tmp, cleanup } = benchTemp('evaluate');
console.log(`load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} on ${os.cpus().length} cores`);
const dir = path.resolve(process.argv[2] ?? path.join(root, 'samples/labelled'));
const model = path.join(root, 'media/models/fashion-vit.onnx');
const ROUNDS = 7;
let client;
try {
  const { RuntimeClient, evaluateFolder, listImages } = await bundleExports(tmp, 'lib', [
    ['RuntimeClient', 'src/runtime/client'],
    ['evaluateFolder', 'src/runtime/evaluate'],
    ['listImages', 'src/core/image/folder'],
  ]);
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
  cleanup();
}
