// The GPU path's cost on this machine: warm-up (the first run compiles the shaders) and warm run of
// the embedded models and a ViT-B/16 attention layer on webgpu, against the CPU provider in the same
// run. Here webgpu runs on the software Vulkan driver the test setup provisions (SwiftShader), so it
// is expected to be much slower than the CPU: a figure, not a goal. On a real GPU the same numbers
// come from `vit-inspect doctor`, which this bench runs (one code path).
//
// Needs: node scripts/build.mjs, node scripts/setup-test-env.mjs (for .cache/vulkan-icd.json).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const marker = `${process.env.VIT_TEST_CACHE || `${root}.cache`}/vulkan-icd.json`;
const env = { ...process.env };
if (existsSync(marker)) {
  const m = JSON.parse(readFileSync(marker, 'utf8'));
  if (m.ok) env.VK_ICD_FILENAMES = m.icd;
  else console.log(`no software Vulkan driver (${m.reason}); webgpu runs only on a real GPU here`);
} else console.log(`${marker} missing (run node scripts/setup-test-env.mjs); webgpu runs only on a real GPU here`);

console.log(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}: timings taken while the machine is busy are not worth much`);
const out = execFileSync(process.execPath, [`${root}dist/cli.js`, 'doctor', '--json'], { env, encoding: 'utf8', maxBuffer: 1 << 24, timeout: 30 * 60_000 });
const r = JSON.parse(out);
const w = r.providers.find((p) => p.name === 'webgpu');
console.log(`webgpu: ${w?.works ? `works on ${w.adapter ? `${w.adapter.vendor} "${w.adapter.description}" (${w.adapter.type})${w.adapter.label ? `, ${w.adapter.label}` : ''}` : 'an adapter the log does not name'}` : `does not start (${w?.reason})`}`);
const pad = (s, n) => String(s).padEnd(n);
console.log(`${pad('provider', 9)}${pad('workload', 56)}${pad('warm-up ms', 12)}${pad('warm ms', 10)}${pad('cpu ms', 9)}${pad('ratio', 8)}max |Δ|`);
for (const c of r.checks)
  console.log(
    c.error
      ? `${pad(c.ep, 9)}${pad(c.workload, 56)}FAILED: ${c.error}`
      : `${pad(c.ep, 9)}${pad(c.workload, 56)}${pad(c.firstRunMs.toFixed(0), 12)}${pad(c.ms.toFixed(1), 10)}${pad(c.cpuMs.toFixed(1), 9)}${pad(`${c.ratio.toFixed(1)}×`, 8)}${c.maxAbsDiff.toExponential(1)}`,
  );
for (const v of r.verdict) console.log(`  ${v}`);
