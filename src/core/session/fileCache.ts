/**
 * What is cached per model file: a key that changes when the file does (path, size, mtime), and a
 * small least-recently-used map. Plans, parsed models and ONNX Runtime sessions all key on it, so a
 * file saved again gets fresh ones.
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { UserError } from '../errors';
import { checkpointKey, isCheckpointPath } from '../checkpoint';

/** `path|size|mtime` of a model file; a missing file is the user's error. */
export function fileKey(path: string): string {
  // A checkpoint is several files (shards, config.json): its key changes with any of them.
  if (isCheckpointPath(path)) return `ckpt:${checkpointKey(path)}`;
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new UserError(`The model ${path} does not exist: check the path given (--model, Select Model or the vitInspector.modelPath setting).`);
  }
  return `${resolve(path)}|${st.size}|${st.mtimeMs}`;
}

/** A map keeping the `max` most recently used entries; `evict` is told of each one dropped. */
export class LruCache<V> {
  private readonly map = new Map<string, V>();

  constructor(
    private readonly max: number,
    private readonly evict: (v: V) => void = () => undefined,
  ) {}

  get(key: string): V | undefined {
    const v = this.map.get(key);
    if (v === undefined) return undefined;
    this.map.delete(key);
    this.map.set(key, v); // most recently used last
    return v;
  }

  set(key: string, v: V): V {
    this.map.delete(key);
    this.map.set(key, v);
    while (this.map.size > this.max) {
      const [oldest, o] = this.map.entries().next().value as [string, V];
      this.map.delete(oldest);
      this.evict(o);
    }
    return v;
  }

  /** The cached value, or `make()`'s, kept. */
  getOrSet(key: string, make: () => V): V {
    return this.get(key) ?? this.set(key, make());
  }

  /** Drops `key` (told to `evict`). */
  delete(key: string): void {
    const v = this.map.get(key);
    if (v === undefined) return;
    this.map.delete(key);
    this.evict(v);
  }

  /** Drops `key` only while it still holds `v` (a failed promise, say, replaced meanwhile). */
  deleteIf(key: string, v: V): void {
    if (this.map.get(key) === v) this.map.delete(key);
  }

  clear(): void {
    for (const v of this.map.values()) this.evict(v);
    this.map.clear();
  }
}
