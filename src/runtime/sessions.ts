/**
 * ONNX Runtime sessions, cached (LRU) by model file, its size and mtime, and the
 * provider order: a changed file gets a new session. Providers are tried one by one
 * in the user's order, because a provider that cannot start makes create() throw
 * even with 'cpu' listed after it.
 */
import { basename } from 'node:path';
import type * as ortType from 'onnxruntime-node';
import { UserError } from '../core/errors';
import { LruCache, fileKey } from '../core/inference/fileCache';
import { explainFailure, usableOrder } from '../core/inference/providers';

export interface OpenSession {
  session: ortType.InferenceSession;
  ep: string;
  /** Providers tried before `ep`, and why each failed. */
  failures: { ep: string; reason: string }[];
  loadMs: number;
}

const MAX_SESSIONS = 3;
const release = (s: Promise<OpenSession>): void => void s.then((o) => o.session.release()).catch(() => undefined);
const cache = new LruCache<Promise<OpenSession>>(MAX_SESSIONS, release);

export function ort(): typeof ortType {
  return require('onnxruntime-node');
}

/**
 * `cache: false` (synthesised timing graphs): not kept, so a sweep does not evict the user's
 * model; the caller releases the session.
 */
export async function openSession(
  model: string | { key: string; bytes: Uint8Array },
  order: string[],
  opts: { cache?: boolean; sessionOptions?: ortType.InferenceSession.SessionOptions } = {},
): Promise<OpenSession> {
  // Sessions with special options (profiling) are never shared.
  if (opts.cache === false || opts.sessionOptions) return create(model, order, opts.sessionOptions);
  const key = `${typeof model === 'string' ? fileKey(model) : model.key}|${order.join(',')}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const p = create(model, order);
  cache.set(key, p);
  p.catch(() => cache.deleteIf(key, p));
  return p;
}

async function create(model: string | { key: string; bytes: Uint8Array }, order: string[], extra: ortType.InferenceSession.SessionOptions = {}): Promise<OpenSession> {
  const o = ort();
  const eps = usableOrder(order, o.listSupportedBackends());
  const failures: { ep: string; reason: string }[] = [];
  const t0 = performance.now();
  for (const ep of eps) {
    try {
      const opts: ortType.InferenceSession.SessionOptions = { ...extra, executionProviders: [ep], logSeverityLevel: 3 };
      const session = typeof model === 'string' ? await o.InferenceSession.create(model, opts) : await o.InferenceSession.create(model.bytes, opts);
      return { session, ep, failures, loadMs: performance.now() - t0 };
    } catch (e) {
      const message = String((e as Error).message ?? e);
      const bundled = o.listSupportedBackends().find((b) => b.name === ep)?.bundled ?? true;
      // Provider failures get the same short reason as Show Execution Providers; model errors stay as they are.
      const reason = ep === 'cpu' ? message.split('\n')[0] : explainFailure(ep, message, '', bundled).reason;
      failures.push({ ep, reason });
      // A model ONNX Runtime cannot parse fails the same way on every provider: stop here.
      if (ep === 'cpu' || /protobuf|ModelProto|Load model|INVALID_GRAPH|INVALID_PROTOBUF|NOT_IMPLEMENTED/i.test(reason)) break;
    }
  }
  const name = typeof model === 'string' ? basename(model) : model.key;
  const last = failures[failures.length - 1];
  throw new UserError(`ONNX Runtime cannot load ${name}: ${last?.reason ?? 'no execution provider available'}${failures.length > 1 ? ` (tried ${failures.map((f) => f.ep).join(', ')})` : ''}.`);
}
