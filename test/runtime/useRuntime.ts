/**
 * One suite's inference process (like test/e2e/harness.ts's useWorkbench): registers the hooks that
 * start a RuntimeClient and always stop it, whatever happened, so a failing test never leaves a
 * process behind to keep mocha alive. The value returned stands for the current client.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { RuntimeClient, type CancelSignal } from '../../src/runtime/client';

export const runtimeScript = resolve('dist/runtime.js');

export interface RuntimeSuiteOptions {
  /** A fresh process for every test (beforeEach/afterEach) instead of one for the suite. */
  each?: boolean;
  /** Runs first in `before` (e.g. useSoftwareVulkan, which sets the environment the process inherits). */
  setup?: (ctx: Mocha.Context) => void;
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

export function useRuntime(opts: RuntimeSuiteOptions = {}): RuntimeClient {
  let client: RuntimeClient | undefined;
  const start = () => (client = new RuntimeClient(runtimeScript, opts.log));
  const stop = () => {
    client?.dispose();
    client = undefined;
  };
  before(function () {
    assert.ok(existsSync(runtimeScript), `${runtimeScript} is missing: build first (node scripts/build.mjs)`);
    opts.setup?.(this);
    if (!opts.each) start();
  });
  if (opts.each) {
    beforeEach(start);
    afterEach(stop);
  }
  after(stop);
  const current = (): RuntimeClient => {
    assert.ok(client, 'no inference process: useRuntime() gives one only inside its suite’s tests');
    return client;
  };
  return new Proxy({} as RuntimeClient, {
    get(_, key) {
      const c = current();
      const v = Reflect.get(c, key, c) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(c) : v;
    },
  });
}

/** A cancellation token the test cancels by hand (`cancel()`), or by itself after `ms`. */
export function cancelSignal(ms?: number): CancelSignal & { cancel(): void } {
  const listeners: (() => void)[] = [];
  let cancelled = false;
  const token = {
    get isCancellationRequested() {
      return cancelled;
    },
    onCancellationRequested(l: () => void) {
      listeners.push(l);
      return { dispose: () => undefined };
    },
    cancel() {
      cancelled = true;
      for (const l of listeners) l();
    },
  };
  if (ms !== undefined) setTimeout(() => token.cancel(), ms);
  return token;
}
