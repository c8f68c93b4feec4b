/**
 * Checkpoints through the inference process (moved from test/unit/checkpoint/build.test.ts, which
 * checks the graphs themselves): classify with config.json's labels, attention, export, inspect.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { inspectModel } from '../../src/core/arch/inspect';
import { attentionDocument } from '../../src/core/attention/document';
import { exportCheckpoint } from '../../src/core/checkpoint/export';
import { useRuntime } from './useRuntime';
import { maxAbs } from '../unit/helpers/maxAbs';

const FIX = resolve('test/fixtures/checkpoints');
const ref: { fixtures: Record<string, { params: number }> } = JSON.parse(readFileSync(resolve('test/fixtures/reference/checkpoints.json'), 'utf8'));

describe('checkpoints through the inference process', function () {
  this.timeout(120_000);
  const client = useRuntime();

  it('classify a checkpoint folder: labels from config.json, preprocessing from preprocessor_config.json, the same logits as its ONNX export', async () => {
    const image = resolve('test/fixtures/images/checker.png');
    const r = await client.request('classify', { model: join(FIX, 'hf-vit'), images: [image], topK: 5, order: ['cpu'] });
    assert.equal(r.labels.source, 'config.json');
    assert.equal(r.preprocessing.source, 'preprocessor_config.json');
    const res = r.results[0];
    assert.ok(res.ok);
    if (!res.ok) return;
    assert.deepEqual(res.top.map((t) => t.label).sort(), ['goldfish', 'great white shark', 'hammerhead', 'tench', 'tiger shark']);
    const dir = mkdtempSync(join(tmpdir(), 'ckpt-cls-'));
    try {
      exportCheckpoint(join(FIX, 'hf-vit'), join(dir, 'vit.onnx'));
      const e = await client.request('classify', { model: join(dir, 'vit.onnx'), images: [image], topK: 5, order: ['cpu'] });
      assert.ok(e.results[0].ok);
      if (e.results[0].ok) assert.ok(maxAbs(res.logits, e.results[0].logits) < 1e-6);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('classify a timm checkpoint: labels from config.json\'s label_names, preprocessing from its pretrained_cfg', async () => {
    const r = await client.request('classify', { model: join(FIX, 'timm-vit'), images: [resolve('test/fixtures/images/checker.png')], topK: 1, order: ['cpu'] });
    assert.equal(r.labels.source, 'config.json');
    assert.equal(r.preprocessing.source, 'config.json (timm)');
    assert.ok(r.results[0].ok && ['tench', 'goldfish', 'great white shark', 'tiger shark', 'hammerhead'].includes(r.results[0].top[0].label));
  });

  it('attention from a timm checkpoint: one map per block over the patch grid, with rollout', async () => {
    const r = await client.request('attention', { model: join(FIX, 'timm-deit-distilled'), image: resolve('test/fixtures/images/checker.png'), order: ['cpu'] });
    assert.equal(r.family, 'vit');
    assert.deepEqual(r.layers.map((l) => [l.name, l.heads, l.extraTokens, l.grid]), [
      ['encoder.block0', 2, 2, [4, 4]],
      ['encoder.block1', 2, 2, [4, 4]],
    ]);
    assert.equal(attentionDocument(r).rollout?.length, 16);
  });

  // Swin maps that are not whole windows: hf_B pads 14→16 and 7→8 and then rolls (torchvision, HF); timm_B_padded rolls
  // and then pads, and takes stage 3's window from timm's input_resolution 14 // 4 = 3. References: the torch modules
  // run on image.png (tools/make_swin_checkpoint_fixtures.py), and torch's own roll/pad/partition of the token indices.
  const padded: Record<string, { windows: number[]; shifts: number[] }> = {
    hf_B: { windows: [4, 4, 4, 4, 4, 4], shifts: [0, 2, 0, 2, 0, 0] },
    timm_B_padded: { windows: [4, 4, 4, 4, 3, 3], shifts: [0, 2, 0, 2, 0, 0] },
  };
  for (const [name, plan] of Object.entries(padded)) {
    it(`${name}: a Swin checkpoint on padded maps gives torch's logits and attention, each map placed back where torch's roll and pad put its tokens`, async () => {
      const dir = join(FIX, 'swin', name);
      const want: { slots: number[][]; image: { file: string; logits: number[]; attention: number[][] } } = JSON.parse(readFileSync(join(dir, 'reference.json'), 'utf8'));
      const r = await client.request('attention', { model: dir, image: join(dir, want.image.file), order: ['cpu'] });
      assert.equal(r.family, 'swin');
      assert.deepEqual(r.warnings, []);
      const dl = maxAbs(r.logits, want.image.logits);
      assert.ok(dl <= 1e-4, `${name}: logits max |Δ| ${dl}`);
      assert.deepEqual(r.layers.map((l) => [l.grid, l.window, l.shift]), plan.windows.map((m, i) => [[[14, 14], [7, 7], [4, 4]][Math.floor(i / 2)], m, plan.shifts[i]]));
      const doc = attentionDocument(r);
      r.layers.forEach((l, i) => {
        const d = maxAbs(l.data!, want.image.attention[i]);
        assert.ok(d < 1e-5, `${name} ${l.name}: attention max |Δ| ${d}`);
        // Mean attention each token receives in its window (padding queries left out), placed by torch's slots.
        const [G, H, N] = l.dims;
        const slots = want.slots[i];
        const exp = new Float64Array(l.grid[0] * l.grid[1]);
        for (let w = 0; w < G; w++) {
          const q = [...Array(N).keys()].filter((k) => slots[w * N + k] >= 0);
          for (let j = 0; j < N; j++) {
            if (slots[w * N + j] < 0) continue;
            let sum = 0;
            for (let h = 0; h < H; h++) for (const k of q) sum += l.data![((w * H + h) * N + k) * N + j];
            exp[slots[w * N + j]] = sum / (q.length * H);
          }
        }
        const dm = maxAbs(doc.layers[i].map, exp);
        assert.ok(dm < 1e-6, `${name} ${l.name}: map max |Δ| ${dm} against torch's placement`);
      });
    });
  }

  it('classify refuses a base model (no head) and says what it is', async () => {
    await assert.rejects(client.request('classify', { model: join(FIX, 'hf-vit-base'), images: [resolve('test/fixtures/images/checker.png')], topK: 5, order: ['cpu'] }), {
      name: 'UserError',
      message: /model\.safetensors outputs last_hidden_state \[batch, 17, 32\], one vector per token: it is a base model without a classification head/,
    });
  });

  it('export runs in the inference process (the editor\'s Export Model to ONNX…)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ckpt-rpc-export-'));
    try {
      const r = await client.request('exportOnnx', { checkpoint: join(FIX, 'hf-vit-sharded', 'model.safetensors.index.json'), out: join(dir, 'vit.onnx') });
      assert.equal(r.data, null);
      assert.equal(inspectModel(r.model).params, ref.fixtures['hf-vit-sharded'].params);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('inspect in the process takes a sharded index', async () => {
    const r = await client.request('inspect', { model: join(FIX, 'hf-vit-sharded', 'model.safetensors.index.json') });
    assert.equal(r.params, ref.fixtures['hf-vit-sharded'].params);
  });
});
