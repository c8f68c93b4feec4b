// Download throughput of the Hub client (issue 18) against a plain stream copy from the same
// local server: a 100 MB LFS file behind the stand-in Hub (127.0.0.1, 302 to the CDN port),
//   A. pull() into a fresh cache: HEAD, GET, .incomplete, sha256 of the whole file, rename, symlink;
//   B. http.get of the same CDN URL piped to a file (no hash).
// Prints MB/s of each, A/B, and the RSS growth during A.
// Goals: A ≥ 0.9 × B; RSS growth ≤ 100 MB.
// Run: node bench/download.bench.mjs [--mb 100] [--runs 3]   (bundles src/core/hub and the stand-in with esbuild)
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { median } from './lib/stats.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const arg = (name, d) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : d;
};
const MB = arg('mb', 100);
const RUNS = arg('runs', 3);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vit-dl-bench-'));
const entry = path.join(tmp, 'entry.ts');
fs.writeFileSync(entry, `export { pull } from ${JSON.stringify(path.join(root, 'src/core/hub/client'))};\nexport { startStandin } from ${JSON.stringify(path.join(root, 'test/unit/hub/standin'))};\n`);
await esbuild.build({ entryPoints: [entry], bundle: true, outfile: path.join(tmp, 'hub.cjs'), format: 'cjs', platform: 'node', target: 'node20', logLevel: 'warning' });
const { pull, startStandin } = createRequire(import.meta.url)(path.join(tmp, 'hub.cjs'));

const body = Buffer.alloc(MB * 1e6);
for (let i = 0; i < body.length; i += 4) body.writeUInt32LE((i * 2654435761) >>> 0, i);
const hub = await startStandin([{ repo: 'bench/vit', commit: 'd'.repeat(40), files: { 'config.json': Buffer.from('{"model_type":"vit"}'), 'onnx/model.onnx': body } }]);
const sha = (await import('node:crypto')).createHash('sha256').update(body).digest('hex');

function plainCopy(out) {
  return new Promise((resolve, reject) =>
    http.get(`${hub.cdn}/blob/${sha}`, (res) => {
      const w = fs.createWriteStream(out);
      res.pipe(w);
      w.on('finish', resolve);
      w.on('error', reject);
    }).on('error', reject),
  );
}

const a = [];
const b = [];
let rssGrowth = 0;
try {
  for (let r = 0; r < RUNS; r++) {
    const cache = fs.mkdtempSync(path.join(tmp, 'cache-'));
    globalThis.gc?.();
    const rss0 = process.memoryUsage().rss;
    let peak = rss0;
    // RSS sampled on a timer with the cheap rss() (process.memoryUsage() per progress event cost
    // the pull ~0.1 ms per 64 KB chunk: the bench measured itself)
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 10);
    const t0 = performance.now();
    await pull('bench/vit', { cacheDir: cache, endpoint: hub.endpoint, env: {} });
    a.push(performance.now() - t0);
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage.rss());
    rssGrowth = Math.max(rssGrowth, peak - rss0);
    fs.rmSync(cache, { recursive: true, force: true });
    const out = path.join(tmp, 'plain.bin');
    const t1 = performance.now();
    await plainCopy(out);
    b.push(performance.now() - t1);
    fs.rmSync(out, { force: true });
  }
} finally {
  await hub.close();
  fs.rmSync(tmp, { recursive: true, force: true });
}
const rate = (ms) => (MB / (ms / 1000)).toFixed(0);
console.log(`pull():     ${rate(median(a))} MB/s (median of ${RUNS}, sha256 included)`);
console.log(`plain copy: ${rate(median(b))} MB/s`);
console.log(`ratio A/B:  ${(median(b) / median(a)).toFixed(2)} (goal ≥ 0.9)`);
console.log(`RSS growth during pull(): ${(rssGrowth / 1e6).toFixed(0)} MB (goal ≤ 100 MB; the 100 MB body the server holds is allocated before)`);
