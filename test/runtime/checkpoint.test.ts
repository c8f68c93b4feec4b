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
