/**
 * Decode + preprocess off the inference process's JS thread. session.run() blocks that thread
 * for the whole run, so work queued on it (even sharp's callbacks) waits for the run to end;
 * in a worker thread the next images are decoded and resized while the current batch runs.
 * The same file is the worker's entry (dist/prepare.js) and the host side (Preparer).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import { isUserError } from '../core/errors';
import { decodeImage, toTensor, type ImageTensor } from '../core/image/decode';
import type { Preprocessing } from '../core/image/preprocess';

export type Prepared =
  | { ok: true; tensor: ImageTensor; decode: number; preprocess: number }
  | { ok: false; error: string; detail?: string };

interface Job {
  id: number;
  image: string;
  pre: Preprocessing;
  maxPixels?: number;
  withImage: boolean;
}
type Reply = { id: number; prepared: Prepared } | { id: number; bug: string };

/** One image: decode, then the model's preprocessing. A user error (unreadable file) is a result, not a throw. */
export async function prepareImage(image: string, pre: Preprocessing, maxPixels: number | undefined, withImage = true): Promise<Prepared> {
  try {
    const t0 = performance.now();
    const decoded = await decodeImage(image, maxPixels);
    const t1 = performance.now();
    const tensor = toTensor(decoded, pre);
    if (!withImage) tensor.cropped = { width: tensor.cropped.width, height: tensor.cropped.height, rgb: new Uint8Array(0) };
    return { ok: true, tensor, decode: t1 - t0, preprocess: performance.now() - t1 };
  } catch (e) {
    if (!isUserError(e)) throw e;
    return { ok: false, error: e.message, detail: e.detail };
  }
}

/** Host side: jobs go to one worker thread, answered in order; without the worker script, in this thread. */
export class Preparer {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(p: Prepared): void; reject(e: Error): void }>();

  /** Whether the worker script was built (checked once, not per image). */
  readonly threaded: boolean;

  constructor(private readonly script = join(__dirname, 'prepare.js')) {
    this.threaded = existsSync(script);
  }

  prepare(image: string, pre: Preprocessing, maxPixels: number | undefined, withImage: boolean): Promise<Prepared> {
    if (!this.threaded) return prepareImage(image, pre, maxPixels, withImage);
    const w = this.ensure();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      w.postMessage({ id, image, pre, maxPixels, withImage } satisfies Job);
    });
  }

  private ensure(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(this.script);
    w.unref(); // never keeps the inference process alive
    w.on('message', (m: Reply) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if ('bug' in m) p.reject(new Error(m.bug));
      else p.resolve(m.prepared);
    });
    const fail = (e: Error) => {
      if (this.worker === w) this.worker = undefined;
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
    w.on('error', fail);
    w.on('exit', (code) => fail(new Error(`the image preparation thread exited (code ${code})`)));
    this.worker = w;
    return w;
  }

  dispose(): void {
    void this.worker?.terminate();
    this.worker = undefined;
  }
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  // One job at a time, in order: started together, the queued images' decodes ran at once on
  // libuv's threads, delaying the first (the first run waits for it) and taking both cores from
  // ONNX Runtime's two threads instead of one.
  let chain = Promise.resolve();
  port.on('message', (job: Job) => {
    const bug = (e: Error) => port.postMessage({ id: job.id, bug: e.stack ?? String(e) } satisfies Reply);
    chain = chain
      .then(() => prepareImage(job.image, job.pre, job.maxPixels, job.withImage))
      .then((prepared) => {
        const transfer = prepared.ok ? [prepared.tensor.data.buffer as ArrayBuffer, ...(job.withImage ? [prepared.tensor.cropped.rgb.buffer as ArrayBuffer] : [])] : [];
        port.postMessage({ id: job.id, prepared } satisfies Reply, transfer);
      })
      .catch(bug); // the chain goes on after a failed job
  });
}
