// Download throughput of the Hub client (issue 18) against a plain stream copy from the same
// local server: a 100 MB LFS file behind the stand-in Hub (127.0.0.1, 302 to the CDN port),
//   A. pull() into a fresh cache: HEAD, GET, .incomplete, sha256 of the whole file, rename, symlink;
//   B. http.get of the same CDN URL piped to a file (no hash).
// The stand-in runs in a child process for both (as a real server would: its sending is not
// charged to the client's thread, and its memory not to the client's RSS).
// Prints MB/s of each, A/B, and the RSS growth during A.
// Goals: A ≥ 0.9 × B; RSS growth ≤ 100 MB.
// Run: node bench/download.bench.mjs [--mb 100] [--runs 3]   (bundles src/core/hub and the stand-in with esbuild)
import * as esbuild from 'esbuild';
import { fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { median } from './lib/stats.mjs';

const arg = (name, d) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : d;
};

// The child: `--serve BUNDLE --mb N` starts the stand-in with the body and sends its URLs back.
if (arg('serve')) {
  const { startStandin } = createRequire(import.meta.url)(arg('serve'));
  const body = Buffer.alloc(Number(arg('mb')) * 1e6);
  for (let i = 0; i < body.length; i += 4) body.writeUInt32LE((i * 2654435761) >>> 0, i);
  const hub = await startStandin([{ repo: 'bench/vit', commit: 'd'.repeat(40), files: { 'config.json': Buffer.from('{"model_type":"vit"}'), 'onnx/model.onnx': body } }]);
  process.send({ endpoint: hub.endpoint, cdn: hub.cdn, sha: createHash('sha256').update(body).digest('hex') });
  process.on('disconnect', () => void hub.close().then(() => process.exit(0)));
} else {
  await main();
}

async function main() {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const MB = Number(arg('mb', 100));
  const RUNS = Number(arg('runs', 3));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vit-dl-bench-'));
  const entry = path.join(tmp, 'entry.ts');
  const bundle = path.join(tmp, 'hub.cjs');
  fs.writeFileSync(entry, `export { pull } from ${JSON.stringify(path.join(root, 'src/core/hub/client'))};\nexport { startStandin } from ${JSON.stringify(path.join(root, 'test/unit/hub/standin'))};\n`);
  await esbuild.build({ entryPoints: [entry], bundle: true, outfile: bundle, format: 'cjs', platform: 'node', target: 'node20', logLevel: 'warning' });
  const { pull } = createRequire(import.meta.url)(bundle);

  const server = fork(fileURLToPath(import.meta.url), ['--serve', bundle, '--mb', String(MB)], { stdio: 'inherit' });
  const hub = await new Promise((resolve, reject) => (server.once('message', resolve), server.once('exit', (c) => reject(new Error(`the stand-in exited (${c})`)))));

  const plainCopy = (out) =>
    new Promise((resolve, reject) =>
      http.get(`${hub.cdn}/blob/${hub.sha}`, (res) => {
        const w = fs.createWriteStream(out);
        res.pipe(w);
        w.on('finish', resolve);
        w.on('error', reject);
      }).on('error', reject),
    );

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
    server.disconnect();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const rate = (ms) => (MB / (ms / 1000)).toFixed(0);
  console.log(`pull():     ${rate(median(a))} MB/s (median of ${RUNS}, sha256 included)  runs ms: ${a.map((x) => x.toFixed(0)).join(' ')}`);
  console.log(`plain copy: ${rate(median(b))} MB/s  runs ms: ${b.map((x) => x.toFixed(0)).join(' ')}`);
  console.log(`ratio A/B:  ${(median(b) / median(a)).toFixed(2)} (goal ≥ 0.9)`);
  console.log(`RSS growth during pull(): ${(rssGrowth / 1e6).toFixed(0)} MB (goal ≤ 100 MB; the stand-in and its body are in a child process)`);
}
