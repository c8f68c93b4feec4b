import assert from 'node:assert/strict';

import { cancelSignal, useRuntime } from './useRuntime';


describe('inference process', function () {
  this.timeout(60_000);
  const client = useRuntime({ each: true });

  it('probes providers for real: cpu works, a provider not in the build is said so', async () => {
    const r = await client.request('providers', { order: ['dml', 'cpu'] });
    const cpu = r.providers.find((p) => p.name === 'cpu')!;
    assert.equal(cpu.works, true);
    const dml = r.providers.find((p) => p.name === 'dml')!;
    if (process.platform !== 'win32') {
      assert.equal(dml.compiled, false);
      assert.equal(dml.works, null);
      assert.match(dml.reason!, /not in onnxruntime-node's build/);
    }
    // The version shown to the user is the onnxruntime-node actually installed (not a pin that breaks on every bump).
    assert.equal(r.ortVersion, (require('onnxruntime-node/package.json') as { version: string }).version);
    assert.match(r.ortVersion, /^\d+\.\d+\.\d+/);
  });

  it('fails the request in flight when the process dies, and the next one succeeds on a new process', async () => {
    const first = (await client.request('ping', {})).pid;
    await assert.rejects(client.request('debugCrash', {}), /stopped unexpectedly .*debugCrash/);
    const second = (await client.request('ping', {})).pid;
    assert.notEqual(first, second);
  });

  it('cancels a request that blocks the process, then serves the next one', async () => {
    const t0 = Date.now();
    await assert.rejects(client.request('debugBlock', { ms: 30_000 }, cancelSignal(300)), /Cancelled/);
    assert.ok(Date.now() - t0 < 10_000, 'cancellation took too long');
    assert.ok((await client.request('ping', {})).pid > 0);
  });

  it('runs queued requests one at a time, in order', async () => {
    const order: number[] = [];
    await Promise.all([1, 2, 3].map((i) => client.request('debugBlock', { ms: 50 }).then(() => order.push(i))));
    assert.deepEqual(order, [1, 2, 3]);
  });
});
