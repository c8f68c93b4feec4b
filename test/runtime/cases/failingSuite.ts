/**
 * Run only by exits.test.ts, in a child mocha with no `exit` option: every test here fails on
 * purpose, the ways the suite's tests can fail, with an inference process running. The child must
 * still end on its own within seconds (all handles closed).
 */
import assert from 'node:assert/strict';
import { useRuntime } from '../useRuntime';

describe('deliberately failing (run by test/runtime/exits.test.ts)', function () {
  this.timeout(60_000);
  const client = useRuntime();

  it('fails an assertion after the process started', async () => {
    assert.ok((await client.request('ping', {})).pid > 0);
    assert.fail('deliberate failure 1');
  });

  it('fails while requests are still queued (they must not start a new process after dispose)', async () => {
    void client.request('debugBlock', { ms: 2000 }).catch(() => undefined);
    void client.request('ping', {}).catch(() => undefined);
    void client.request('ping', {}).catch(() => undefined);
    assert.fail('deliberate failure 2');
  });
});

describe('deliberately failing in a hook (run by test/runtime/exits.test.ts)', function () {
  this.timeout(60_000);
  const client = useRuntime({ each: true });
  beforeEach(async () => {
    await client.request('ping', {});
    throw new Error('deliberate failure 3: a hook after the process started');
  });
  it('never runs', () => assert.fail('unreachable'));
});
