/**
 * ONNX Runtime sessions, cached (LRU) by model file, its size and mtime, the provider order and
 * the provider options: a changed file gets a new session. Providers are tried one by one in the
 * user's order, because a provider that cannot start makes create() throw even with 'cpu' listed
 * after it. A session on a GPU provider is warmed up once (its first run compiles the shaders) and
 * stays warm in the cache; a run that fails on a GPU provider (device lost, out of memory, a shader
 * that does not compile) is retried on the next provider of the order.
 */
import { basename } from 'node:path';
import type * as ortType from 'onnxruntime-node';
import { UserError, isUserError } from '../core/errors';
import { checkExternalData } from '../core/attention/capture';
import { LruCache, fileKey } from '../core/session/fileCache';
import {
  type AdapterInfo,
  type Fp16Policy,
  type ProviderOptions,
  computeText,
  executionProviderConfig,
  explainFailure,
  runsFp16,
  skipSoftwareAdapter,
  usableOrder,
} from '../core/session/providers';
import { type ModelSource, externalDataOptions, modelSource } from './modelSource';

export interface OpenSession {
  session: ortType.InferenceSession;
  ep: string;
  /** Providers tried before `ep`, and why each failed (a provider that failed mid-run too). */
  failures: { ep: string; reason: string }[];
  /** Time to create the session, ms (its warm-up not included). */
  loadMs: number;
  /** The first run on zero inputs of a new session on a GPU provider (shader compilation), ms; null when none ran. */
  warmUpMs: number | null;
  /** The GPU adapter, when the provider is webgpu and it is known. */
  adapter?: AdapterInfo | null;
  /** An fp16 checkpoint's graph is computed in fp16 on this provider (runsFp16), not cast to float32. */
  fp16: boolean;
  /** The precision the user is shown ("fp16 (computed in fp16 on cuda)", "fp16 weights, computed in fp32"); null for fp32 weights or an ONNX file. */
  compute: string | null;
  /** What it was opened from, to open it again on the next provider if a run fails. */
  source: ModelSource;
  sessionOptions: ortType.InferenceSession.SessionOptions;
  cacheKey: string | null;
}

/** What a result says of the session that ran it: the provider, why the others failed, its load and warm-up times. */
export interface SessionSummary {
  ep: string;
  failures: { ep: string; reason: string }[];
  loadMs: number;
  /** First run of a new GPU session on zeros (shader compilation), ms; null when none ran. */
  warmUpMs: number | null;
  /** A checkpoint's precision as computed on `ep` (OpenSession.compute), when its weights are not fp32. */
  compute?: string;
}

export function sessionSummary(s: OpenSession): SessionSummary {
  return { ep: s.ep, failures: s.failures, loadMs: s.loadMs, warmUpMs: s.warmUpMs, ...(s.compute ? { compute: s.compute } : {}) };
}

/** The first line of an error's message: ONNX Runtime's go on with a C++ stack the user cannot act on. */
export function firstLine(e: unknown): string {
  return String((e as Error)?.message ?? e).split('\n')[0];
}

/**
 * A failed session.run in the user's terms: what could not run (on what), in ONNX Runtime's first
 * line. A UserError (the fallback provider could not load the model either) already is: passed on.
 */
export function runFailure(e: unknown, display: string, on?: string): UserError {
  if (isUserError(e)) return e;
  return new UserError(`ONNX Runtime could not run ${display}${on ? ` on ${on}` : ''}: ${firstLine(e)}`);
}


const MAX_SESSIONS = 3;
const release = (s: Promise<OpenSession>): void => void s.then((o) => o.session.release()).catch(() => undefined);
const cache = new LruCache<Promise<OpenSession>>(MAX_SESSIONS, release);

export function ort(): typeof ortType {
  return require('onnxruntime-node');
}

// ------------------------------------------------------------------ process-wide settings

let providerOptions: ProviderOptions = {};
/** The provider options of every session from now on (sessions made with others are dropped). */
export function setProviderOptions(o: ProviderOptions): void {
  if (JSON.stringify(o) === JSON.stringify(providerOptions)) return;
  providerOptions = o;
  clearSessions();
}
export function getProviderOptions(): ProviderOptions {
  return providerOptions;
}

let fp16Policy: Fp16Policy = 'auto';
/**
 * Whether fp16 checkpoints are computed in fp16: 'auto' on the providers that run fp16
 * (runsFp16), 'always' on any (the tests force it on the CPU provider, which none here run), 'never'.
 */
export function setFp16Policy(p: Fp16Policy): void {
  if (p === fp16Policy) return;
  fp16Policy = p;
  clearSessions();
}

let progress: (message: string, data?: unknown) => void = () => undefined;
/** Where "compiling GPU kernels" goes while a request runs (the worker sends it to the host). */
export function setProgress(report: (message: string, data?: unknown) => void): void {
  progress = report;
}
/** A step of the current request for the host (runs done of an explanation, with its map so far as `data`). */
export function reportProgress(message: string, data?: unknown): void {
  progress(message, data);
}

/**
 * How the WebGPU adapter is found before a session is tried on it: the worker probes it in a
 * child process (whose Vulkan loader log names the device). Unset in-process (tests, benches):
 * then no provider is skipped for its adapter.
 */
export type AdapterProbe = () => Promise<{ works: boolean; reason: string | null; adapter: AdapterInfo | null; shaderF16?: boolean | null }>;
let adapterProbe: AdapterProbe | null = null;
let adapterResult: ReturnType<AdapterProbe> | null = null;
export function setAdapterProbe(probe: AdapterProbe | null): void {
  adapterProbe = probe;
  adapterResult = null;
}
function webgpuAdapter(): ReturnType<AdapterProbe> | null {
  if (!adapterProbe) return null;
  return (adapterResult ??= adapterProbe());
}

/** Test hook: the next run on `ep` fails as a lost device would. */
let failNextRunOn: string | null = null;
export function failNextRun(ep: string | null): void {
  failNextRunOn = ep;
}

// ------------------------------------------------------------------ opening

/**
 * `cache: false` (synthesised timing graphs): not kept, so a sweep does not evict the user's
 * model; the caller releases the session (and times its own warm-up).
 */
export async function openSession(
  model: ModelSource,
  order: string[],
  opts: { cache?: boolean; sessionOptions?: ortType.InferenceSession.SessionOptions } = {},
): Promise<OpenSession> {
  // A checkpoint (file, index or folder) opens as its built graph's bytes.
  if (typeof model === 'string') model = modelSource(model);
  // Sessions with special options (profiling) are never shared.
  if (opts.cache === false || opts.sessionOptions) {
    if (typeof model === 'string') checkExternalData(model);
    return create(model, order, opts.sessionOptions ?? {}, false);
  }
  const key = `${typeof model === 'string' ? fileKey(model) : model.key}|${order.join(',')}`;
  const hit = cache.get(key);
  if (!hit && typeof model === 'string') checkExternalData(model);
  if (hit) {
    // A cached session was warmed up when it was made, not now.
    const s = await hit;
    return { ...s, loadMs: 0, warmUpMs: null, failures: [...s.failures] };
  }
  const p = create(model, order, {}, true).then((s) => ({ ...s, cacheKey: key }));
  // A session that failed to open leaves the cache (the next request tries again).
  cache.set(key, p).catch(() => cache.deleteIf(key, p));
  return p;
}

async function create(model: ModelSource, order: string[], extra: ortType.InferenceSession.SessionOptions, warm: boolean): Promise<OpenSession> {
  const o = ort();
  const eps = usableOrder(order, o.listSupportedBackends());
  const failures: { ep: string; reason: string }[] = [];
  const t0 = performance.now();
  // The last failure was the model's, not a provider's: then "tried cuda, webgpu, cpu" would mislead.
  let modelError = false;
  for (const ep of eps) {
    let adapter: AdapterInfo | null | undefined;
    // Whether the WebGPU device has shader-f16, as the probe found (also where the log names no adapter: D3D12, Metal).
    let shaderF16: boolean | null = null;
    if (ep === 'webgpu') {
      const probed = await webgpuAdapter();
      if (probed) {
        adapter = probed.adapter;
        shaderF16 = probed.shaderF16 ?? probed.adapter?.shaderF16 ?? null;
        if (!probed.works) {
          failures.push({ ep, reason: probed.reason ?? 'no WebGPU adapter' });
          continue;
        }
        const skip = skipSoftwareAdapter(ep, order, probed.adapter);
        if (skip) {
          failures.push({ ep, reason: skip });
          continue;
        }
      }
    }
    let session: ortType.InferenceSession;
    // An fp16 checkpoint: its fp16-compute graph on a provider that runs fp16, else the graph cast to float32.
    const built = typeof model === 'string' ? null : model;
    const fp16 = !!built?.fp16Bytes && runsFp16(ep, { description: adapter?.description, shaderF16 }, fp16Policy).fp16;
    try {
      const opts: ortType.InferenceSession.SessionOptions = {
        ...extra,
        ...externalDataOptions(model),
        executionProviders: [executionProviderConfig(ep, providerOptions) as ortType.InferenceSession.ExecutionProviderConfig],
        logSeverityLevel: 3,
      };
      session = typeof model === 'string' ? await o.InferenceSession.create(model, opts) : await o.InferenceSession.create(fp16 ? model.fp16Bytes!() : model.bytes, opts);
    } catch (e) {
      const message = String((e as Error).message ?? e);
      const bundled = o.listSupportedBackends().find((b) => b.name === ep)?.bundled ?? true;
      // Provider failures get the same short reason as Show Execution Providers; model errors stay as they are.
      const reason = ep === 'cpu' ? message.split('\n')[0] : explainFailure(ep, message, '', bundled).reason;
      failures.push({ ep, reason });
      // A model ONNX Runtime cannot parse (or whose data it cannot read) fails the same way on every provider: stop here.
      if (ep === 'cpu' || /protobuf|ModelProto|Load model|INVALID_GRAPH|INVALID_PROTOBUF|NOT_IMPLEMENTED|external data|ExternalData|No such file/i.test(reason)) {
        modelError = ep !== 'cpu' || failures.length > 1;
        break;
      }
      continue;
    }
    const loadMs = performance.now() - t0;
    const warmUpMs = warm && ep !== 'cpu' ? await warmUp(session, ep) : null;
    const compute = computeText(built?.weights ?? null, fp16, ep);
    return { session, ep, failures, loadMs, warmUpMs, adapter, fp16, compute, source: model, sessionOptions: extra, cacheKey: null };
  }
  const name = typeof model === 'string' ? basename(model) : model.key;
  const last = failures[failures.length - 1];
  const tried = failures.length > 1 && !modelError ? ` (tried ${failures.map((f) => f.ep).join(', ')})` : '';
  throw new UserError(`ONNX Runtime cannot load ${name}: ${last?.reason ?? 'no execution provider available'}${tried}.`);
}

/** Zero inputs of the session's declared shapes (dynamic dimensions: batch 1, others 224), or null when a type is not one we can make. */
export function zeroFeeds(session: ortType.InferenceSession): Record<string, ortType.Tensor> | null {
  const o = ort();
  const feeds: Record<string, ortType.Tensor> = {};
  for (const m of session.inputMetadata) {
    if (!m.isTensor) return null;
    const dims = m.shape.map((d, i) => (typeof d === 'number' && d > 0 ? d : i === 0 ? 1 : 224));
    const n = dims.reduce((a, b) => a * b, 1);
    if (m.type === 'float32') feeds[m.name] = new o.Tensor('float32', new Float32Array(n), dims);
    else if (m.type === 'float16') feeds[m.name] = new o.Tensor('float16', new Uint16Array(n), dims);
    else if (m.type === 'int64') feeds[m.name] = new o.Tensor('int64', new BigInt64Array(n), dims);
    else return null;
  }
  return feeds;
}

/**
 * The first run of a session on a GPU provider compiles its shaders (seconds on a software
 * adapter): done once here, on zeros, so the user's first run is timed warm. A model whose
 * dynamic size 224 does not fit just skips it (its first real run then compiles).
 */
async function warmUp(session: ortType.InferenceSession, ep: string): Promise<number | null> {
  const feeds = zeroFeeds(session);
  if (!feeds) return null;
  progress(`compiling GPU kernels on ${ep}, first run only`);
  const t = performance.now();
  try {
    await session.run(feeds);
    return performance.now() - t;
  } catch (e) {
    // Not fatal (the first real run compiles instead, or fails with its own message), but the user is told why
    // in the progress notification and the log rather than left with a silently slow or failing first run.
    const reason = firstLine(e);
    progress(`warm-up on ${ep} failed (${reason}); the first run compiles the GPU kernels instead`);
    return null;
  }
}

// ------------------------------------------------------------------ running

/**
 * session.run, with the fallback a GPU needs: when the run fails on a provider other than the
 * CPU (device lost, out of device memory, a shader compile error), the session is dropped, the
 * failure recorded in `s.failures`, and the run repeated on the next provider of `order`; `s` then
 * holds that session. A failure on the CPU provider is the model's or the input's: thrown as is.
 */
export async function runSession(
  s: OpenSession,
  feeds: Record<string, ortType.Tensor>,
  order: string[],
  fetches?: string[],
): Promise<ortType.InferenceSession.ReturnType> {
  for (;;) {
    try {
      if (failNextRunOn === s.ep) {
        failNextRunOn = null;
        throw new Error(`WebGPU device lost (Destroyed): forced by a test (failNextRun ${s.ep})`);
      }
      return fetches ? await s.session.run(feeds, fetches) : await s.session.run(feeds);
    } catch (e) {
      if (s.ep === 'cpu' || isUserError(e)) throw e;
      const reason = `failed while running: ${firstLine(e)}`;
      const failed = s.ep;
      if (s.cacheKey) cache.delete(s.cacheKey);
      else void s.session.release().catch(() => undefined);
      const rest = usableOrder(order, ort().listSupportedBackends());
      const next = rest.slice(rest.indexOf(failed) + 1);
      const again = await create(s.source, next.length ? next : ['cpu'], s.sessionOptions, false);
      s.failures = [...s.failures, { ep: failed, reason }, ...again.failures];
      s.session = again.session;
      s.ep = again.ep;
      s.adapter = again.adapter;
      s.fp16 = again.fp16;
      s.compute = again.compute;
      s.cacheKey = null;
    }
  }
}

export function clearSessions(): void {
  cache.clear();
}
