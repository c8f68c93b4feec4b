// Times the analytic window sweep for Swin-L at 384² across 10 windows (goal: < 50 ms), with the
// crossover search, against a baseline measured in the same run: a plain loop of 1e6 multiply-adds.
// Run: node bench/flops.bench.mjs   (bundles src/core/flops itself with esbuild; no build needed)
import * as esbuild from 'esbuild';
import { fileURLToPath } from 'node:url';
import { median, timeRuns } from './lib/stats.mjs';

const entry = fileURLToPath(new URL('../src/core/flops/index.ts', import.meta.url));
const { outputFiles } = await esbuild.build({ entryPoints: [entry], bundle: true, write: false, format: 'esm', platform: 'node', logLevel: 'warning' });
const { modelSweep, preset } = await import(`data:text/javascript;base64,${Buffer.from(outputFiles[0].text).toString('base64')}`);

const cfg = preset('swin-l', { imageSize: 384, windowSize: 12 });
const windows = [2, 4, 6, 7, 8, 12, 16, 24, 32, 48];
let sink = 0;
const sweepMs = median(timeRuns(() => (sink += modelSweep(cfg, windows).rows.length), 200));
const baseMs = median(timeRuns(() => {
  let s = 0;
  for (let i = 0; i < 1e6; i++) s += i * 1.000001;
  sink += s;
}, 200));

console.log(`swin-l 384² sweep, 10 windows + crossover: ${sweepMs.toFixed(3)} ms median (goal 50 ms: ${(sweepMs / 50).toFixed(4)}× the budget)`);
console.log(`baseline 1e6 multiply-adds:                ${baseMs.toFixed(3)} ms median; sweep/baseline = ${(sweepMs / baseMs).toFixed(2)}×`);
if (sink === 0) console.log('');
process.exitCode = sweepMs < 50 ? 0 : 1;
