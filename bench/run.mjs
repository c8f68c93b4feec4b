// `npm run bench`: every bench in this folder, one after the other (never in parallel: they time things).
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { loadavg } from 'node:os';

const benches = readdirSync(new URL('.', import.meta.url)).filter((f) => f.endsWith('.bench.mjs')).sort();
console.log(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} on ${(await import("node:os")).cpus().length} cores — timings taken while the machine is busy are not worth much`);
for (const b of benches) {
  console.log(`\n=== ${b} ===`);
  execFileSync(process.execPath, [new URL(b, import.meta.url).pathname], { stdio: 'inherit' });
}
