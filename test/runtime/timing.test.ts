import assert from 'node:assert/strict';

import { isUserError } from '../../src/core/errors';
import { omegaMsa, omegaWmsa } from '../../src/core/flops/complexity';
import { useRuntime } from './useRuntime';

describe('timeAttention in the inference process', function () {
  this.timeout(120_000);
    const client = useRuntime({ each: true });

  it('times global MSA and SW-MSA rows and the MatMul baseline (finite numbers; speed not asserted)', async () => {
    const r = await client.request('timeAttention', { h: 16, w: 16, dim: 32, heads: 2, windows: [null, 4], shifted: true, order: ['cpu'], warmup: 1, repeats: 1, budgetMs: 5000 });
    assert.equal(r.ep, 'cpu');
    assert.deepEqual(r.rows.map((x) => x.window), [null, 4]);
    assert.deepEqual(r.rows.map((x) => x.shift), [0, 2]);
    assert.deepEqual(r.rows.map((x) => x.macs), [omegaMsa(16, 16, 32), omegaWmsa(16, 16, 32, 4)]);
    for (const row of r.rows) {
      assert.equal(row.repeats, 1);
      assert.ok(Number.isFinite(row.ms) && row.ms > 0, `ms ${row.ms}`);
      assert.ok(Number.isFinite(row.gflops) && row.gflops > 0);
      assert.equal(row.ep, 'cpu');
    }
    assert.ok(Number.isFinite(r.matmulGflops) && r.matmulGflops > 0);
  });

  it('refuses a size that would not fit in memory before timing anything', async () => {
    await assert.rejects(
      client.request('timeAttention', { h: 10_000, w: 10_000, dim: 96, heads: 3, windows: [null, 7], order: ['cpu'] }),
      (e: unknown) => isUserError(e) && /global MSA .* would need about/.test((e as Error).message),
    );
  });
});
