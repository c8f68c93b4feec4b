/**
 * Host side of the inference process: starts it on first use, restarts it after it
 * dies (the request in flight fails with a clear message, the next one succeeds),
 * and cancels requests. No `vscode` here: the CLI and tests use it too.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { UserError } from '../core/errors';
import type { FromWorker, Methods, ToWorker } from './rpc';

export interface CancelSignal {
  readonly isCancellationRequested: boolean;
  onCancellationRequested(listener: () => void): { dispose(): void };
}

interface Pending {
  resolve(v: unknown): void;
  progress?: (message: string, data?: unknown) => void;
  reject(e: Error): void;
  method: string;
  /** The process it was sent to: when that one dies, only its requests fail. */
  child: ChildProcess;
}

export class RuntimeClient {
  private child: ChildProcess | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private queue: Promise<unknown> = Promise.resolve();
  /** Process-wide settings, sent first to every process started. */
  private settings: Methods['configure']['params'] | null = null;
  /** After dispose() nothing starts a process again: a request still queued then fails instead. */
  private disposed = false;

  constructor(
    private readonly script: string,
    private readonly log: (level: 'info' | 'warn' | 'error', message: string) => void = () => {},
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /**
   * `progress` hears the steps the process reports while this request runs (e.g. "compiling GPU
   * kernels on webgpu, first run only"), and with `data` a partial result (explain's map so far).
   */
  request<M extends keyof Methods>(method: M, params: Methods[M]['params'], token?: CancelSignal, progress?: (message: string, data?: unknown) => void): Promise<Methods[M]['result']> {
    if (method === 'configure') this.settings = params as Methods['configure']['params'];
    const run = () => this.send(method, params, token, progress);
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    return p as Promise<Methods[M]['result']>;
  }

  private send<M extends keyof Methods>(method: M, params: Methods[M]['params'], token?: CancelSignal, progress?: (message: string, data?: unknown) => void): Promise<unknown> {
    if (token?.isCancellationRequested) return Promise.reject(new UserError('Cancelled.'));
    if (this.disposed) return Promise.reject(new UserError(`The inference process was shut down before "${method}" ran.`));
    const fresh = !this.child || !this.child.connected;
    const child = this.ensure();
    // A new process gets the settings first (the IPC channel keeps the order).
    if (fresh && this.settings && method !== 'configure') child.send({ kind: 'request', id: this.nextId++, method: 'configure', params: this.settings } satisfies ToWorker);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const sub = token?.onCancellationRequested(() => {
        // session.run() cannot be interrupted from JS: end the process; it restarts on the next request.
        this.log('info', `cancelling ${method} #${id}: stopping the inference process`);
        this.pending.delete(id);
        reject(new UserError('Cancelled.'));
        this.kill();
      });
      this.pending.set(id, {
        method,
        child,
        progress,
        resolve: (v) => (sub?.dispose(), resolve(v)),
        reject: (e) => (sub?.dispose(), reject(e)),
      });
      child.send({ kind: 'request', id, method, params } satisfies ToWorker);
    });
  }

  private ensure(): ChildProcess {
    if (this.child && this.child.connected) return this.child;
    const child = fork(this.script, [], { serialization: 'advanced', stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    this.log('info', `inference process started (pid ${child.pid})`);
    child.stdout?.on('data', (d) => this.log('info', String(d).trimEnd()));
    child.stderr?.on('data', (d) => this.log('warn', String(d).trimEnd()));
    child.on('message', (m: FromWorker) => this.onMessage(m));
    child.on('exit', (code, signal) => {
      if (this.child === child) this.child = undefined;
      const why = signal ? `signal ${signal}` : `exit code ${code}`;
      this.log(code === 0 ? 'info' : 'warn', `inference process ended (${why})`);
      for (const [id, p] of this.pending) {
        if (p.child !== child) continue;
        p.reject(new UserError(`The inference process stopped unexpectedly (${why}) while running "${p.method}". It restarts on the next request; if this repeats, see the "ViT Inspector" output.`));
        this.pending.delete(id);
      }
    });
    this.child = child;
    return child;
  }

  private onMessage(m: FromWorker): void {
    if (m.kind === 'log') return this.log(m.level, m.message);
    const p = this.pending.get(m.id);
    if (!p) return; // cancelled meanwhile, or the settings sent to a new process
    if (m.kind === 'progress') {
      this.log('info', m.message);
      return p.progress?.(m.message, m.data);
    }
    this.pending.delete(m.id);
    if (m.kind === 'result') p.resolve(m.result);
    else {
      if (!m.userError) this.log('error', m.stack ?? m.message);
      p.reject(m.userError ? new UserError(m.message, m.detail) : new Error(m.message));
    }
  }

  kill(): void {
    this.child?.kill('SIGKILL');
    this.child = undefined;
  }

  /** Ends the process for good (a queued request would otherwise start a new one nobody stops). */
  dispose(): void {
    this.disposed = true;
    this.kill();
  }
}
