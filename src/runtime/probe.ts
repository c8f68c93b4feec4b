/**
 * Does an execution provider actually start here? Each provider is probed in a
 * short-lived process of its own: a GPU driver that crashes or hangs while loading
 * takes down only the probe, and ONNX Runtime's own log (stderr), which names the
 * missing library, can be read.
 */
import { fork } from 'node:child_process';
import { explainFailure, notCompiledReason, type ProviderStatus, type SupportedBackend } from '../core/inference/providers';
import { probeModel } from './probeModel';

const PROBE_TIMEOUT_MS = 30_000;

/** Runs inside the probe process: `runtime.js --probe <ep>`; prints one JSON line. */
export async function probeMain(ep: string): Promise<void> {
  const ort = await import('onnxruntime-node');
  const t0 = performance.now();
  try {
    const session = await ort.InferenceSession.create(probeModel(), { executionProviders: [ep], logSeverityLevel: 3 });
    const x = new ort.Tensor('float32', Float32Array.from([-1, 2, -3, 4]), [1, 4]);
    const y = (await session.run({ X: x })).Y.data as Float32Array;
    const ok = y[0] === 0 && y[1] === 2 && y[3] === 4;
    await session.release();
    process.stdout.write(JSON.stringify({ ok, ms: performance.now() - t0, message: ok ? '' : 'wrong result from the probe model' }) + '\n');
  } catch (e) {
    process.stdout.write(JSON.stringify({ ok: false, ms: performance.now() - t0, message: String((e as Error).message ?? e) }) + '\n');
  }
}

function runProbe(script: string, ep: string): Promise<{ ok: boolean; ms: number; message: string; log: string }> {
  return new Promise((resolve) => {
    const child = fork(script, ['--probe', ep], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    let out = '';
    let log = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (log += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), PROBE_TIMEOUT_MS);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) return resolve({ ...JSON.parse(line), log });
      const why = signal === 'SIGKILL' ? `did not start within ${PROBE_TIMEOUT_MS / 1000} s` : `the probe process died (${signal ?? `exit code ${code}`})`;
      resolve({ ok: false, ms: 0, message: why, log });
    });
  });
}

/** Status of every provider in `order` plus every provider the build has. */
export async function probeProviders(script: string, order: string[], supported: SupportedBackend[], platform: string, ortDir?: string): Promise<ProviderStatus[]> {
  const names = [...order.map((s) => s.toLowerCase())];
  for (const b of supported) if (!names.includes(b.name)) names.push(b.name);
  const out: ProviderStatus[] = [];
  for (const name of names) {
    const backend = supported.find((b) => b.name === name);
    if (!backend) {
      out.push({ name, compiled: false, works: null, ms: null, ...notCompiledReason(name, platform) });
      continue;
    }
    const r = await runProbe(script, name);
    if (r.ok) out.push({ name, compiled: true, works: true, reason: null, fix: null, ms: Math.round(r.ms) });
    else out.push({ name, compiled: true, works: false, ms: Math.round(r.ms), ...explainFailure(name, r.message, r.log, backend.bundled, ortDir) });
  }
  return out;
}
