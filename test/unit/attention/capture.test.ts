import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { isUserError } from '../../../src/core/errors';
import { maxRowSumError } from '../../../src/core/attention/maps';
import { captureFetches, capturedLayers, chooseLayers, planCapture } from '../../../src/core/attention/capture';
import { modelToBytes } from '../../../src/core/onnx/writer';
import { models } from '../helpers/attentionReference';

describe('attention capture: planning (no inference)', () => {
  it('Swin-T (torchvision export): 12 blocks, window 7, shift 3 in odd blocks except stage 4 (7×7 map: no shift)', () => {
    const p = planCapture(join(models, 'swin_t.onnx'));
    assert.equal(p.family, 'swin');
    assert.deepEqual(p.layers.map((l) => l.shift), [0, 3, 0, 3, 0, 3, 0, 3, 0, 3, 0, 0]);
    assert.deepEqual(p.layers.map((l) => l.dims[0]), [64, 64, 16, 16, 4, 4, 4, 4, 4, 4, 1, 1]);
    assert.deepEqual(p.layers.map((l) => l.grid[0]), [56, 56, 28, 28, 14, 14, 14, 14, 14, 14, 7, 7]);
    assert.deepEqual(p.layers.map((l) => l.cell), [4, 4, 8, 8, 16, 16, 16, 16, 16, 16, 32, 32]);
    assert.deepEqual(p.missingWeights, ['swin_t.onnx.data']);
  });

  it('ViT-L/16 at 224²: 24 layers of 16 × 197² floats; at 384² the 488 MiB would be over the limit and only the last layer is captured', () => {
    const p = planCapture(join(models, 'vit_l_16.onnx'));
    assert.equal(p.layers.length, 24);
    assert.ok(p.bytes.every((b) => b === 16 * 197 * 197 * 4));
    assert.deepEqual(chooseLayers(p.bytes, undefined, 256 * 2 ** 20), { layers: Array.from({ length: 24 }, (_, i) => i), warnings: [] });
    const at384 = new Array(24).fill(16 * 577 * 577 * 4);
    const c = chooseLayers(at384, undefined, 256 * 2 ** 20);
    assert.deepEqual(c.layers, [23]);
    assert.match(c.warnings[0], /all 24 layers would take 488 MiB \(limit 256 MiB\); captured only layer 23/);
    const picked = chooseLayers(at384, [3, 7, 3], 256 * 2 ** 20);
    assert.deepEqual(picked, { layers: [3, 7], warnings: [] });
    assert.throws(() => chooseLayers(at384, [24], 1e9), (e: unknown) => isUserError(e) && /Layer 24 does not exist/.test((e as Error).message));
  });

  it('fused com.microsoft.Attention: refused for the attention maps; with allowFused (the step-through) its 2 blocks are layers and no map output is added', () => {
    const file = join(models, 'tiny_vit_fused_attention.onnx');
    assert.throws(() => planCapture(file), (e: unknown) => isUserError(e) && /fused operators \(com\.microsoft\.Attention ×2\)/.test((e as Error).message));
    const p = planCapture(file, { allowFused: true });
    assert.deepEqual(p.layers.map((l) => [l.heads, l.tokens, l.grid]), [[2, 17, [4, 4]], [2, 17, [4, 4]]]);
    assert.deepEqual(p.model.graph.outputs.map((o) => o.name), ['logits'], 'a fused op\'s output is no attention map');
  });

  it('ResNet-18: a UserError saying there is no attention', () => {
    assert.throws(() => planCapture(join(models, 'resnet18.onnx')), (e: unknown) => isUserError(e) && /no attention Softmax found — not a ViT\/Swin/.test((e as Error).message));
  });
});

describe('attention capture: Swin V2 (tiny_swin_v2) run by ONNX Runtime on the committed PyTorch input', () => {
  it('captures all 4 blocks (windows 4, shift 2 in odd blocks), rows sum to 1, logits equal PyTorch\'s within 1e-4', async () => {
    const ref = JSON.parse(readFileSync(join(models, '..', 'reference', 'tiny_swin_v2.json'), 'utf8')) as { input: number[][][][]; logits: number[][] };
    const p = planCapture(join(models, 'tiny_swin_v2.onnx'));
    assert.equal(p.family, 'swin');
    assert.deepEqual(p.layers.map((l) => [l.name, l.dims, l.window, l.shift, l.grid]), [
      ['stage1.block0', [16, 2, 16, 16], 4, 0, [16, 16]],
      ['stage1.block1', [16, 2, 16, 16], 4, 2, [16, 16]],
      ['stage2.block0', [4, 4, 16, 16], 4, 0, [8, 8]],
      ['stage2.block1', [4, 4, 16, 16], 4, 2, [8, 8]],
    ]);
    const all = p.layers.map((_, i) => i);
    const session = await ort.InferenceSession.create(modelToBytes(p.model), { executionProviders: ['cpu'], logSeverityLevel: 3 });
    const input = new Float32Array(ref.input.flat(3));
    const out = await session.run({ [p.inputName]: new ort.Tensor('float32', input, [1, 3, 32, 32]) }, captureFetches(p, all));
    const logits = out[p.logitsName].data as Float32Array;
    const want = ref.logits[0];
    const d = Math.max(...want.map((v, k) => Math.abs(v - logits[k])));
    assert.ok(d <= 1e-4, `max |Δlogit| = ${d}`);
    const layers = capturedLayers(p, all, (name) => ({ data: out[name].data as Float32Array, dims: out[name].dims }));
    assert.equal(layers.length, 4);
    for (const l of layers) {
      assert.ok(l.data, l.name);
      assert.ok(maxRowSumError({ data: l.data, dims: l.dims }) < 1e-5, l.name);
    }
    await session.release();
  });
});
