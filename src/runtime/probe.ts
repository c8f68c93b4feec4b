/**
 * Does an execution provider actually start here? Each provider is probed in a
 * short-lived process of its own: a GPU driver that crashes or hangs while loading
 * takes down only the probe, and ONNX Runtime's own log (stderr), which names the
 * missing library, can be read. For WebGPU the probe's Vulkan loader logs the device it opens
 * (VK_LOADER_DEBUG=driver), which names the adapter: ONNX Runtime does not.
 */
import { fork } from 'node:child_process';
import type * as ortType from 'onnxruntime-node';
import {
  type AdapterInfo,
  type ProviderOptions,
  adapterFromLog,
  executionProviderConfig,
  explainFailure,
  notCompiledReason,
  type ProviderStatus,
  type SupportedBackend,
} from '../core/session/providers';
import { probeModel, probeModelFp16 } from './probeModel';

const PROBE_TIMEOUT_MS = 30_000;

/** Runs inside the probe process: `runtime.js --probe <ep> [options JSON]`; prints one JSON line. */
export async function probeMain(ep: string, optionsJson?: string): Promise<void> {
  const ort = await import('onnxruntime-node');
  const t0 = performance.now();
  try {
    const options = optionsJson ? (JSON.parse(optionsJson) as ProviderOptions) : {};
    const provider = executionProviderConfig(ep, options) as ortType.InferenceSession.ExecutionProviderConfig;
    const session = await ort.InferenceSession.create(probeModel(), { executionProviders: [provider], logSeverityLevel: 3 });
    const x = new ort.Tensor('float32', Float32Array.from([-1, 2, -3, 4]), [1, 4]);
    const y = (await session.run({ X: x })).Y.data as Float32Array;
    const ok = y[0] === 0 && y[1] === 2 && y[3] === 4;
    await session.release();
    const ms = performance.now() - t0;
    const shaderF16 = ok && ep === 'webgpu' ? await probeShaderF16(ort, provider) : undefined;
    process.stdout.write(JSON.stringify({ ok, ms, message: ok ? '' : 'wrong result from the probe model', shaderF16 }) + '\n');
  } catch (e) {
    process.stdout.write(JSON.stringify({ ok: false, ms: performance.now() - t0, message: String((e as Error).message ?? e) }) + '\n');
  }
}

/**
 * Whether the WebGPU device computes fp16 (has shader-f16): the fp16 probe model runs on it and
 * gives the right values → true; ONNX Runtime says its fp16 kernels need f16 → false; any other
 * failure → null (not known, so not used for fp16).
 */
async function probeShaderF16(ort: typeof ortType, provider: ortType.InferenceSession.ExecutionProviderConfig): Promise<boolean | null> {
  try {
    const session = await ort.InferenceSession.create(probeModelFp16(), { executionProviders: [provider], logSeverityLevel: 3, extra: { session: { disable_cpu_ep_fallback: '1' } } });
    try {
      const y = (await session.run({ X: new ort.Tensor('float32', Float32Array.from([-1, 2, -3, 4]), [1, 4]) })).Y.data as Float32Array;
      return y[0] === 0 && y[1] === 2 && y[2] === 0 && y[3] === 4 ? true : null;
    } finally {
      await session.release();
    }
  } catch (e) {
    return /requires f16|does not support (it|f16)|shader-?f16/i.test(String((e as Error).message ?? e)) ? false : null;
  }
}

export function runProbe(script: string, ep: string, options: ProviderOptions = {}): Promise<{ ok: boolean; ms: number; message: string; log: string; shaderF16?: boolean | null }> {
  return new Promise((resolve) => {
    // The loader's own log names the device; a user's VK_LOADER_DEBUG is kept.
    const env = ep === 'webgpu' && !process.env.VK_LOADER_DEBUG ? { ...process.env, VK_LOADER_DEBUG: 'driver' } : process.env;
    const child = fork(script, ['--probe', ep, JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], env });
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

/** Whether WebGPU starts here, and on which adapter (for the choice of provider in sessions.ts). */
export async function probeWebGpu(script: string, options: ProviderOptions = {}): Promise<{ works: boolean; reason: string | null; adapter: AdapterInfo | null; shaderF16: boolean | null }> {
  const r = await runProbe(script, 'webgpu', options);
  const adapter = adapterFromLog(r.log);
  return { works: r.ok, reason: r.ok ? null : explainFailure('webgpu', r.message, r.log, true).reason, adapter: adapter && { ...adapter, shaderF16: r.shaderF16 ?? null }, shaderF16: r.shaderF16 ?? null };
}

/** Status of every provider in `order` plus every provider the build has. */
export async function probeProviders(script: string, order: string[], supported: SupportedBackend[], platform: string, ortDir?: string, options: ProviderOptions = {}): Promise<ProviderStatus[]> {
  const names = [...order.map((s) => s.toLowerCase())];
  for (const b of supported) if (!names.includes(b.name)) names.push(b.name);
  const out: ProviderStatus[] = [];
  for (const name of names) {
    const backend = supported.find((b) => b.name === name);
    if (!backend) {
      out.push({ name, compiled: false, works: null, ms: null, ...notCompiledReason(name, platform) });
      continue;
    }
    const r = await runProbe(script, name, options);
    const named = name === 'webgpu' ? adapterFromLog(r.log) : null;
    const adapter = name === 'webgpu' ? { adapter: named && { ...named, shaderF16: r.shaderF16 ?? null } } : {};
    if (r.ok) out.push({ name, compiled: true, works: true, reason: null, fix: null, ms: Math.round(r.ms), ...adapter });
    else out.push({ name, compiled: true, works: false, ms: Math.round(r.ms), ...explainFailure(name, r.message, r.log, backend.bundled, ortDir), ...adapter });
  }
  return out;
}
