// Times one attention layer at Swin-T stage 1 (56×56 tokens, C 96, 3 heads): global MSA, W-MSA and
// SW-MSA with M = 7, on the first execution provider that starts (EP=cuda,cpu to choose; default cpu),
// and the machine's own dense fp32 MatMul rate measured in the same run. Prints ms, GFLOP/s, each
// rate against the MatMul rate, and the measured MSA/W-MSA time ratio against the MAC ratio
// Ω(MSA)/Ω(W-MSA). The analytic Swin-L 384² sweep (goal < 50 ms) is timed by bench/flops.bench.mjs.
// Run: node bench/complexity.bench.mjs   (bundles src/runtime/timing.ts itself with esbuild)
import * as esbuild from 'esbuild';
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';

const entry = fileURLToPath(new URL('../src/runtime/timing.ts', import.meta.url));
const here = fileURLToPath(import.meta.url);
const { outputFiles } = await esbuild.build({
  entryPoints: [entry],
  bundle: true,
  write: false,
  format: 'esm',
  platform: 'node',
  external: ['onnxruntime-node'],
  // The bundle is imported from a data: URL; give it a require() that resolves from the project.
  banner: { js: `import { createRequire as __cr } from 'node:module'; const require = __cr(${JSON.stringify(here)});` },
  logLevel: 'warning',
});
const { timeAttention } = await import(`data:text/javascript;base64,${Buffer.from(outputFiles[0].text).toString('base64')}`);
const ort = createRequire(here)('onnxruntime-node');

const cores = cpus().length;
const [l1, l5, l15] = loadavg();
console.log(`machine: ${cores} cores, load average ${l1.toFixed(2)} ${l5.toFixed(2)} ${l15.toFixed(2)} (1/5/15 min); onnxruntime-node ${ort.env.versions.common}`);
if (l1 > cores * 0.5) console.log(`note: the machine is busy (load ${l1.toFixed(2)} on ${cores} cores); absolute times are noisy, the ratios below are measured in the same run.`);

const order = (process.env.EP ?? 'cpu').split(',');
const layer = { h: 56, w: 56, dim: 96, heads: 3, order, warmup: 2, repeats: 10, budgetMs: 60_000 };
const plain = await timeAttention({ ...layer, windows: [null, 7] });
const shifted = await timeAttention({ ...layer, windows: [7], shifted: true });
const mm = Math.max(plain.matmulGflops, shifted.matmulGflops);
const rows = [
  ['MSA (global)', plain.rows[0]],
  ['W-MSA M=7', plain.rows[1]],
  ['SW-MSA M=7, s=3', shifted.rows[0]],
];

const pad = (s, n) => String(s).padStart(n);
console.log(`\nSwin-T stage 1 attention layer, 56×56 tokens, C 96, 3 heads, on ${plain.ep}${plain.failures.length ? ` (failed: ${plain.failures.map((f) => f.ep).join(', ')})` : ''}`);
console.log(`dense fp32 MatMul ${plain.matmulN}×${plain.matmulN}: ${plain.matmulMs.toFixed(1)} ms → ${plain.matmulGflops.toFixed(1)} GFLOP/s (second measurement ${shifted.matmulGflops.toFixed(1)}); baseline = ${mm.toFixed(1)} GFLOP/s`);
console.log(`${'layer'.padEnd(18)}${pad('MACs', 14)}${pad('median ms', 11)}${pad('min ms', 9)}${pad('runs', 6)}${pad('GFLOP/s', 9)}${pad('vs MatMul', 11)}`);
for (const [name, r] of rows) {
  console.log(`${name.padEnd(18)}${pad(r.macs.toLocaleString('en-US'), 14)}${pad(r.ms.toFixed(2), 11)}${pad(r.msMin.toFixed(2), 9)}${pad(r.repeats, 6)}${pad(r.gflops.toFixed(1), 9)}${pad(`${((100 * r.gflops) / mm).toFixed(0)}%`, 11)}`);
}
const [msa, wmsa, swmsa] = rows.map(([, r]) => r);
console.log(`\nΩ(MSA)/Ω(W-MSA) = ${(msa.macs / wmsa.macs).toFixed(2)}× the MACs; measured MSA/W-MSA = ${(msa.ms / wmsa.ms).toFixed(2)}× the time (median), ${(msa.msMin / wmsa.msMin).toFixed(2)}× (min)`);
console.log(`SW-MSA/W-MSA: same MACs, ${(swmsa.ms / wmsa.ms).toFixed(2)}× the time (the cyclic shift and the mask add)`);
console.log(`ms per GMAC: MSA ${((msa.ms * 1e9) / msa.macs).toFixed(2)}, W-MSA ${((wmsa.ms * 1e9) / wmsa.macs).toFixed(2)}, SW-MSA ${((swmsa.ms * 1e9) / swmsa.macs).toFixed(2)}`);
console.log('\nanalytic Swin-L 384² sweep over 10 windows (goal < 50 ms): node bench/flops.bench.mjs');
