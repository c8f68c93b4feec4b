/**
 * The sha256 of a file while it is being written, on a worker thread: the download's thread only
 * says how far the file is final, and the worker reads those bytes back (from the page cache) and
 * hashes them, overlapped with the transfer. Hashing inline cost a download ~30 % of a plain
 * copy's time (sha256 ~1.7 GB/s against ~0.5 GB/s over loopback). Where no worker can be started
 * the file is hashed from disk on this thread at the end.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Worker } from 'node:worker_threads';

// Plain CommonJS, evaluated: no separate file to find in the bundled extension or the CLI.
const SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { openSync, readSync, closeSync } = require('node:fs');
const buf = Buffer.allocUnsafe(4 << 20);
const jobs = new Map();
function close(id, j) { if (j.fd !== undefined) try { closeSync(j.fd); } catch {} jobs.delete(id); }
parentPort.on('message', (m) => {
  let j = jobs.get(m.id);
  if (m.op === 'open') return void jobs.set(m.id, { path: m.path, hash: createHash('sha256'), at: 0 });
  if (!j) return m.buf && parentPort.postMessage({ spare: m.buf }, [m.buf]);
  if (m.op === 'close') return close(m.id, j);
  // A restart from byte 0: the file was truncated or replaced (a new inode), so it is opened again.
  // Bytes that were just written, handed over from memory (no read back).
  if (m.op === 'feed') { if (!j.error) { j.hash.update(Buffer.from(m.buf, m.at, m.n)); j.at += m.n; } return void parentPort.postMessage({ spare: m.buf }, [m.buf]); }
  if (m.op === 'reset') { if (j.fd !== undefined) try { closeSync(j.fd); } catch {} Object.assign(j, { fd: undefined, error: undefined, hash: createHash('sha256'), at: 0 }); return; }
  try {
    if (!j.error) {
      if (j.fd === undefined && m.n > 0) j.fd = openSync(j.path, 'r');
      while (j.at < m.n) {
        const k = readSync(j.fd, buf, 0, Math.min(buf.length, m.n - j.at), j.at);
        if (k === 0) throw new Error('the file is shorter than the bytes written to it');
        j.hash.update(buf.subarray(0, k));
        j.at += k;
      }
    }
  } catch (e) { j.error = String(e && e.message); }
  if (m.op === 'digest') {
    parentPort.postMessage(j.error ? { id: m.id, error: j.error } : { id: m.id, sha: j.hash.digest('hex') });
    close(m.id, j);
  }
});
`;

export interface FileHash {
  /** Bytes [0, n) of the file are written and will not change (until reset()); those not fed are read from the file. */
  upTo(n: number): void;
  /** The next bytes of the file (written or being written); b's ArrayBuffer is moved to the worker (so not a pooled one). */
  feed(b: Buffer): void;
  /** How many leading bytes of the file the hash has been given (upTo or feed). */
  readonly fed: number;
  /** The file starts over from byte 0 (truncated). */
  reset(): void;
  /** The sha256 (hex) of the file's first n bytes, n ≥ every upTo(). Ends the job. */
  digest(n: number): Promise<string>;
  /** Ends the job without a digest (a failed or cancelled download). */
  close(): void;
}

let worker: Worker | undefined;
let unusable = false;
let nextId = 1;
/** Jobs opened and not yet ended. */
let jobs = 0;
/** Digests asked of the worker: the file and length, to hash here if the worker stops. */
const waiting = new Map<number, { path: string; n: number; resolve: (sha: Promise<string> | string) => void }>();
let idle: NodeJS.Timeout | undefined;
/** Batch buffers the worker has hashed and sent back: reused, so a download's memory stays flat between GCs. */
const spares: ArrayBuffer[] = [];

/** A buffer of `size` bytes that owns its ArrayBuffer (so it can be moved to the worker by feed()). */
export function batchBuffer(size: number): Buffer {
  const i = spares.findIndex((b) => b.byteLength === size);
  return i >= 0 ? Buffer.from(spares.splice(i, 1)[0]) : Buffer.allocUnsafeSlow(size);
}

/** The shared worker, started on first use; it holds the process open only while a digest is awaited. */
function theWorker(): Worker | undefined {
  if (worker || unusable) return worker;
  try {
    const w = new Worker(SOURCE, { eval: true });
    w.unref();
    w.on('message', (m: { id: number; sha?: string; error?: string; spare?: ArrayBuffer }) => {
      if (m.spare) return void (spares.length < 4 && spares.push(m.spare));
      const p = waiting.get(m.id);
      if (!p) return;
      waiting.delete(m.id);
      p.resolve(m.sha ?? Promise.reject(new Error(`hashing the download failed: ${m.error}`)));
      if (waiting.size > 0) return;
      w.unref();
      // Let go when idle for a while (the extension host lives long); the next download starts another.
      clearTimeout(idle);
      idle = setTimeout(() => {
        if (worker !== w || waiting.size > 0 || jobs > 0) return;
        worker = undefined;
        void w.terminate();
      }, 30_000).unref();
    });
    const stopped = (): void => {
      if (worker === w) worker = undefined;
      for (const p of waiting.values()) p.resolve(sha256File(p.path, p.n));
      waiting.clear();
    };
    w.on('error', stopped);
    w.on('exit', stopped);
    worker = w;
  } catch {
    unusable = true;
  }
  return worker;
}

/** Starts hashing `path` as it is written (the file may not exist yet). */
export function hashFile(path: string): FileHash {
  const w = theWorker();
  if (!w) return { upTo: () => undefined, feed: () => undefined, fed: 0, reset: () => undefined, close: () => undefined, digest: (n) => sha256File(path, n) };
  const id = nextId++;
  jobs++;
  let open = true;
  const end = (): boolean => {
    if (!open) return false;
    open = false;
    jobs--;
    return true;
  };
  const post = (m: object): void => {
    if (open && worker === w) w.postMessage({ id, ...m });
  };
  let fed = 0;
  post({ op: 'open', path });
  return {
    upTo: (n) => {
      fed = Math.max(fed, n);
      post({ op: 'upTo', n });
    },
    feed: (b) => {
      fed += b.length;
      if (open && worker === w) w.postMessage({ id, op: 'feed', buf: b.buffer, at: b.byteOffset, n: b.length }, [b.buffer as ArrayBuffer]);
    },
    get fed() {
      return fed;
    },
    reset: () => {
      fed = 0;
      post({ op: 'reset' });
    },
    close: () => {
      post({ op: 'close' });
      end();
    },
    digest: (n) => {
      const live = open && worker === w;
      if (!end()) return Promise.reject(new Error('the hash job has ended'));
      if (!live) return sha256File(path, n); // the worker stopped: hashed here instead
      const done = new Promise<string>((resolve) => waiting.set(id, { path, n, resolve }));
      w.ref();
      w.postMessage({ id, op: 'digest', n });
      return done;
    },
  };
}

/** The sha256 (hex) of the first n bytes of a file, read on this thread. */
export async function sha256File(path: string, n = Infinity): Promise<string> {
  const h = createHash('sha256');
  if (n > 0) for await (const c of createReadStream(path, { end: n - 1, highWaterMark: 1 << 20 })) h.update(c as Buffer);
  return h.digest('hex');
}
