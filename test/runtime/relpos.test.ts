import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readRelpos } from '../../src/core/report/relpos';
import { tableRows } from '../../src/core/swin/relpos';
import { useRuntime } from './useRuntime';

const models = resolve('test/fixtures/models');
const ref = JSON.parse(readFileSync(resolve('test/fixtures/reference/relpos.json'), 'utf8')) as {
  models: Record<string, { model: string; blocks: { name: string; heads: number; window: [number, number]; table: number[][] }[] }>;
};

describe('relpos through the inference process (the host never reads the bias tables)', function () {
  this.timeout(120_000);
  const client = useRuntime();

  for (const name of ['relpos_w3x5', 'relpos_w4_raw']) {
    it(`${name}: every block's table equals PyTorch's relative_position_bias_table, as binary float32`, async () => {
      const m = ref.models[name];
      const r = await client.request('relpos', { model: join(models, m.model) });
      assert.equal(r.layers.length, m.blocks.length);
      r.layers.forEach((l, k) => {
        const b = m.blocks[k];
        assert.deepEqual([l.name, l.status, l.window, l.heads], [b.name, 'ok', b.window, b.heads]);
        assert.ok(l.table instanceof Float32Array, 'the table crosses the process as a Float32Array');
        const R = tableRows(b.window[0], b.window[1]);
        let max = 0;
        for (let row = 0; row < R; row++) for (let h = 0; h < b.heads; h++) max = Math.max(max, Math.abs(l.table[h * R + row] - b.table[row][h]));
        assert.ok(max <= 1e-6, `${l.name}: max |Δ| ${max}`);
      });
    });
  }

  it('the report equals the core\'s on Swin V2 (computed CPB) and on a structure-only Swin-T', async () => {
    for (const f of ['tiny_swin_v2.onnx', 'swin_t.onnx']) {
      const file = join(models, f);
      assert.deepEqual(await client.request('relpos', { model: file }), readRelpos(file), f);
    }
  });

  it('a ViT is a user error in the user\'s terms, not a crash of the process', async () => {
    await assert.rejects(client.request('relpos', { model: join(models, 'tiny_vit.onnx') }), (e: Error) => e.name === 'UserError' && /no Swin window-attention blocks.*ViT/.test(e.message));
    const r = await client.request('relpos', { model: join(models, 'relpos_w4.onnx') });
    assert.equal(r.layers[0].status, 'ok');
  });
});
