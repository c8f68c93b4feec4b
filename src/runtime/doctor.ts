/**
 * GPU self-check (`vit-inspect doctor`, the "Run GPU self-check" button): what a person with a GPU
 * runs first. Every provider probed; on each one that starts, the embedded models and a synthesised
 * ViT-B/16-size attention layer (197 tokens, C = 768, 12 heads) run on the same inputs as on the
 * CPU provider: the largest logit/output difference, the top-1, the first run (shader compilation)
 * and the median warm run against the CPU's. A provider is asked for first in its order (on
 * purpose), so a software adapter is checked too; the report says what it is.
 */
import { basename, dirname } from 'node:path';
import type * as ortType from 'onnxruntime-node';
import { synthesizeAttentionLayer, randomInput } from '../core/flops/synthesize';
import { DEFAULT_PROVIDER_ORDER, adapterText, type ProviderOptions, type ProviderStatus } from '../core/session/providers';
import { modelToBytes } from '../core/onnx/writer';
import type { DoctorCheck, DoctorResult } from '../shared/providers';

export type { DoctorCheck, DoctorResult } from '../shared/providers';
import { probeProviders } from './probe';
import { openSession, ort, type OpenSession } from './sessions';

export interface DoctorParams {
  /** Model files to run (the embedded models). */
  models: string[];
  /** Timed warm runs per workload and provider (median reported; default 3). */
  repeats?: number;
}

/** Parity bound of the check: outputs of order 1–10 agree to float32 rounding on a correct GPU. */
export const DOCTOR_TOLERANCE = 1e-4;

interface Workload {
  name: string;
  source: { key: string; bytes: Uint8Array } | string;
  feeds(o: typeof ortType, s: ortType.InferenceSession): Record<string, ortType.Tensor>;
  classifier: boolean;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function randomFeeds(o: typeof ortType, s: ortType.InferenceSession): Record<string, ortType.Tensor> {
  const feeds: Record<string, ortType.Tensor> = {};
  s.inputMetadata.forEach((m, i) => {
    const dims = m.isTensor ? m.shape.map((d, k) => (typeof d === 'number' && d > 0 ? d : k === 0 ? 1 : 224)) : [1];
    feeds[m.name] = new o.Tensor('float32', randomInput(dims.reduce((a, b) => a * b, 1), 7 + i), dims);
  });
  return feeds;
}

async function runOn(w: Workload, order: string[], repeats: number): Promise<{ s: OpenSession; out: Float32Array; firstMs: number; ms: number }> {
  const o = ort();
  const s = await openSession(w.source, order, { cache: false });
  try {
    const feeds = w.feeds(o, s.session);
    const name = s.session.outputNames[0];
    let t = performance.now();
    const first = await s.session.run(feeds);
    const firstMs = performance.now() - t;
    const times: number[] = [];
    for (let i = 0; i < repeats; i++) {
      t = performance.now();
      await s.session.run(feeds);
      times.push(performance.now() - t);
    }
    return { s, out: Float32Array.from(first[name].data as Float32Array), firstMs, ms: median(times) };
  } finally {
    await s.session.release();
  }
}

const argmax = (a: Float32Array): number => a.reduce((k, v, i) => (v > a[k] ? i : k), 0);

export async function doctor(p: DoctorParams, probeScript: string, options: ProviderOptions = {}): Promise<DoctorResult> {
  const o = ort();
  const supported = o.listSupportedBackends();
  const platform = `${process.platform}-${process.arch}`;
  // The absolute onnxruntime-node folder, so a fix reads the same as in the providers table.
  const ortDir = dirname(require.resolve('onnxruntime-node/package.json'));
  const providers = await probeProviders(probeScript, [...DEFAULT_PROVIDER_ORDER], supported, platform, ortDir, options);
  const repeats = p.repeats ?? 3;
  const layer = synthesizeAttentionLayer({ h: 1, w: 197, dim: 768, heads: 12, window: null, shifted: false });
  const workloads: Workload[] = [
    ...p.models.map((m) => ({ name: basename(m), source: m, feeds: randomFeeds, classifier: true })),
    {
      name: 'attention layer 197 tokens, C 768, 12 heads (ViT-B/16)',
      source: { key: 'doctor:attention:vit-b16', bytes: modelToBytes(layer.model) },
      feeds: (oo: typeof ortType) => ({ x: new oo.Tensor('float32', randomInput(197 * 768, 5), [1, 197, 768]) }),
      classifier: false,
    },
  ];
  const targets = providers.filter((x) => x.works && x.name !== 'cpu').map((x) => x.name);
  const checks: DoctorCheck[] = [];
  for (const w of workloads) {
    const cpu = await runOn(w, ['cpu'], repeats);
    for (const ep of targets) {
      try {
        const r = await runOn(w, [ep], repeats);
        if (r.s.ep !== ep) throw new Error(r.s.failures.find((f) => f.ep === ep)?.reason ?? `did not start on ${ep}`);
        let d = 0;
        for (let i = 0; i < r.out.length; i++) d = Math.max(d, Math.abs(r.out[i] - cpu.out[i]));
        if (r.out.length !== cpu.out.length) d = Infinity;
        checks.push({ workload: w.name, ep, error: null, maxAbsDiff: d, top1Same: w.classifier ? argmax(r.out) === argmax(cpu.out) : null, firstRunMs: r.firstMs, ms: r.ms, cpuMs: cpu.ms, ratio: r.ms / cpu.ms });
      } catch (e) {
        checks.push({ workload: w.name, ep, error: String((e as Error).message ?? e).split('\n')[0], maxAbsDiff: null, top1Same: null, firstRunMs: null, ms: null, cpuMs: cpu.ms, ratio: null });
      }
    }
  }
  const env: Record<string, string> = {};
  for (const k of ['VK_ICD_FILENAMES', 'VK_DRIVER_FILES', 'CUDA_VISIBLE_DEVICES', 'LD_LIBRARY_PATH']) if (process.env[k]) env[k] = process.env[k]!;
  return { platform, ortVersion: o.env.versions.common, node: process.version, env, providers, checks, verdict: verdict(providers, checks) };
}

function verdict(providers: ProviderStatus[], checks: DoctorCheck[]): string[] {
  const lines: string[] = [];
  for (const p of providers) {
    if (p.name === 'cpu') continue;
    if (!p.compiled) continue;
    if (!p.works) {
      lines.push(`${p.name}: does not start (${p.reason})${p.fix ? `. To use it: ${p.fix}` : ''}`);
      continue;
    }
    const mine = checks.filter((c) => c.ep === p.name);
    const failed = mine.filter((c) => c.error);
    const off = mine.filter((c) => !c.error && (c.maxAbsDiff! > DOCTOR_TOLERANCE || c.top1Same === false));
    const ran = mine.filter((c) => !c.error);
    const ratio = ran.length ? Math.exp(ran.reduce((a, c) => a + Math.log(c.ratio!), 0) / ran.length) : null;
    const speed = ratio === null ? '' : ratio < 1 ? `, ${(1 / ratio).toFixed(1)}× faster than cpu (geometric mean of warm runs)` : `, ${ratio.toFixed(1)}× slower than cpu (geometric mean of warm runs)`;
    const what = p.name === 'webgpu' ? ` on ${adapterText(p.adapter)}` : '';
    if (failed.length) lines.push(`${p.name}${what}: starts, but ${failed.map((c) => `${c.workload} failed (${c.error})`).join('; ')}`);
    else if (off.length) lines.push(`${p.name}${what}: WRONG RESULTS on ${off.map((c) => `${c.workload} (max |Δ| ${c.maxAbsDiff!.toExponential(1)}${c.top1Same === false ? ', top-1 differs' : ''})`).join(', ')}: please report this output`);
    else lines.push(`${p.name}${what}: works, outputs within ${DOCTOR_TOLERANCE} of cpu${speed}`);
  }
  if (!lines.length) lines.push('only the CPU provider is in this build');
  // Say why there is no parity or speed figure rather than leaving the reader to infer it.
  if (!providers.some((p) => p.works && p.name !== 'cpu')) lines.push('No provider other than cpu starts here, so there is nothing to compare the CPU with: no parity or speed result.');
  return lines;
}
