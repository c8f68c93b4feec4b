/**
 * A failing test never hangs the run: test/runtime/cases/failingSuite.ts fails on purpose with an
 * inference process running, in a child mocha without `exit` (as the unit and runtime configs are).
 * The child must report its failures and end by itself within seconds; a handle left open (a
 * process started after dispose, a forgotten client) would keep it alive until the timeout here.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

const mocha = resolve('node_modules/mocha/bin/mocha.js');
const failing = resolve('out/test/runtime/cases/failingSuite.js');
/** From mocha's summary to the child's exit: closing the process takes well under a second. */
const EXIT_WITHIN_MS = 15_000;

describe('a failing test never hangs mocha', function () {
  this.timeout(120_000);

  it('a child mocha whose tests fail with the inference process running reports 3 failing and exits within seconds', async () => {
    assert.ok(existsSync(failing), `${failing} is missing: node scripts/build.mjs --tests`);
    const child = spawn(process.execPath, [mocha, '--no-config', '--no-color', '--timeout', '60000', failing], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let summaryAt = 0;
    child.stdout.on('data', (d) => {
      out += d;
      if (!summaryAt && /\d+ failing/.test(out)) summaryAt = Date.now();
    });
    child.stderr.on('data', (d) => (out += d));
    const killer = setTimeout(() => child.kill('SIGKILL'), 100_000);
    try {
      const code = await new Promise<number | null>((res) => child.on('close', (c) => res(c)));
      const exitedAt = Date.now();
      assert.ok(summaryAt, `the child never printed its summary:\n${out}`);
      assert.match(out, /0 passing/);
      assert.match(out, /3 failing/);
      assert.match(out, /deliberate failure 1/);
      assert.match(out, /deliberate failure 2/);
      assert.match(out, /deliberate failure 3/);
      assert.equal(code, 3, `mocha exits with the number of failures:\n${out}`);
      assert.ok(exitedAt - summaryAt < EXIT_WITHIN_MS, `the child stayed alive ${exitedAt - summaryAt} ms after its last test (a handle left open)`);
    } finally {
      clearTimeout(killer);
      child.kill('SIGKILL');
    }
  });
});
