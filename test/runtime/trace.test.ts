/**
 * The step-through against PyTorch (test/fixtures/reference/trace_tiny.json, tools/make_trace_refs.py):
 * one run of each tiny fixture through the inference process, q, k, v, the scores, the softmax row,
 * the context and the block output of the traced token ≤ 1e-4 from PyTorch's, for ViT, DeiT (its
 * distillation token) and Swin on unshifted and shifted blocks (window, position and keys equal to the
 * official window_partition of the rolled map); and every step's recomputation agreeing with the model.
 * The fused-attention export of tiny_vit shows and checks the rest of each block against the same reference.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { writeModel } from '../../src/core/onnx/writer';
import { fusedMhaModel } from '../unit/helpers/models';
import { join } from 'node:path';
import { maxAbs } from '../unit/helpers/maxAbs';
import { assertChecked, assertWindow, assertWithin, attentionDiffs, readTraceReference, traceImage as image, tracer, type AttentionCase, type WindowCase } from './traceReference';
import { useRuntime } from './useRuntime';

const ref = readTraceReference<AttentionCase & WindowCase>('trace_tiny.json');

describe('trace: one token step by step, against PyTorch', function () {
  this.timeout(120_000);
  const client = useRuntime();
  const trace = tracer(client, image);

  for (const c of ref.cases) {
    it(`${c.model} block ${c.layer} head ${c.head} token ${c.token}${c.shift ? ` (shifted by ${c.shift})` : c.window !== undefined ? ' (unshifted)' : ''}: q, k, v, scores, weights, context, output ≤ 1e-4`, async () => {
      const r = await trace(c);
      assertWithin(attentionDiffs(r.tensors, c));
      assert.equal(r.tensors.k.length, c.k.length);
      if (c.window !== undefined) assertWindow(r, c);
      // every recomputation shown agrees with the model's own tensor
      assertChecked(r, 12);
      assert.deepEqual(r.steps.filter((s) => s.unavailable && !/learned vector/.test(s.unavailable)).map((s) => s.id), [], 'steps unavailable');
    });
  }

  it('Swin: the shifted block shows + B and + mask (−100 across sub-windows), the last block of a stage the patch merging', async () => {
    const shifted = ref.cases.find((c) => c.shift && c.layer === 1)!;
    const r = await trace(shifted);
    const ids = r.steps.map((s) => s.id);
    for (const id of ['windowPartition', 'cyclicShift', 'scores', 'bias', 'mask', 'softmax', 'mergeGroup', 'mergeNorm', 'mergeReduction', 'head'] as const) assert.ok(ids.includes(id), `no ${id} step`);
    assert.ok(r.tensors.mask!.includes(-100), 'token 255 sits where the rolled map joins sub-windows');
    // the partition step names the token's place in the regular (W-MSA) windows, the shift step where the roll moves it
    const step = (id: string): string => r.steps.find((s) => s.id === id)!.formula;
    assert.match(step('windowPartition'), /token 255 \(row 15, col 15\) is in window 15, position 15 of the regular partition/);
    assert.match(step('cyclicShift'), new RegExp(`moves to window ${r.window}, position ${r.position}$`));
    assert.equal(r.tensors.bias!.row.length, 16);
    assert.deepEqual(r.tensors.merge!.group, [238, 254, 239, 255]);
    const unshifted = await trace(ref.cases.find((c) => c.model === 'tiny_swin.onnx' && !c.shift)!);
    assert.ok(!unshifted.steps.some((s) => s.id === 'mask' || s.id === 'cyclicShift'));
  });

  it('ViT: the scale is read from the graph (1/√16), the class and distillation tokens are named', async () => {
    const r = await trace({ model: 'tiny_deit.onnx', layer: 0, head: 0, token: 1 });
    assert.deepEqual(r.extraTokens, ['class', 'distillation']);
    assert.equal(r.steps.find((s) => s.id === 'scores')!.numbers!.scale, 0.25);
    assert.ok(r.steps.find((s) => s.id === 'projection')!.unavailable);
  });

  it('a layer, head or token out of range names the valid ranges (a UserError)', async () => {
    await assert.rejects(trace({ model: 'tiny_vit.onnx', layer: 2, head: 0, token: 0 }), /blocks 0\.\.1/);
    await assert.rejects(trace({ model: 'tiny_vit.onnx', layer: 0, head: 2, token: 0 }), /pick 0\.\.1/);
    await assert.rejects(trace({ model: 'tiny_vit.onnx', layer: 0, head: 0, token: 17 }), /pick 0\.\.16/);
    await assert.rejects(trace({ model: 'tiny_swin.onnx', layer: 2, head: 0, token: 64 }), /pick 0\.\.63/);
  });

  it('a structure-only file says the weights are needed; a model without attention is refused', async () => {
    await assert.rejects(trace({ model: 'vit_b_16.onnx', layer: 0, head: 0, token: 0 }), /weights are missing/);
    await assert.rejects(trace({ model: 'resnet18.onnx', layer: 0, head: 0, token: 0 }), /not a ViT\/Swin|weights are missing/);
  });

  it('fused attention (com.microsoft.MultiHeadAttention) marks the steps it hides unavailable, with the reason, and says how to export without it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vit-trace-fused-'));
    try {
      const file = join(dir, 'fused.onnx');
      writeModel(fusedMhaModel(), file);
      const r = await client.request('trace', { model: file, image, layer: 0, head: 0, token: 0, order: ['cpu'] });
      for (const id of ['q', 'k', 'v', 'scores', 'softmax', 'context'] as const) assert.match(r.steps.find((s) => s.id === id)?.unavailable ?? '', /fused com\.microsoft\.MultiHeadAttention[\s\S]*without attention fusion/, id);
      assert.ok(r.warnings!.some((w) => /MultiHeadAttention: the steps q, k, v, scores, softmax, context/.test(w)), 'the warning names the hidden steps');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fused attention (com.microsoft.Attention, tiny_vit fused): the rest of each block shown and checked; block output and logits ≤ 1e-4 from PyTorch\'s tiny_vit', async () => {
    for (const c of ref.cases.filter((x) => x.model === 'tiny_vit.onnx')) {
      const r = await trace({ ...c, model: 'tiny_vit_fused_attention.onnx' });
      assert.deepEqual(r.steps.filter((s) => s.unavailable && !/learned vector/.test(s.unavailable)).map((s) => s.id), ['q', 'k', 'v', 'scores', 'softmax', 'context']);
      for (const s of r.steps.filter((x) => x.unavailable && !/learned vector/.test(x.unavailable))) assert.match(s.unavailable!, /fused com\.microsoft\.Attention/);
      const checked = r.steps.filter((s) => s.check).map((s) => s.id);
      for (const id of ['position', 'norm1', 'concat', 'projectionOut', 'residual1', 'norm2', 'mlp', 'residual2', 'finalNorm', 'head'] as const) assert.ok(checked.includes(id), `${id} not checked`);
      for (const s of r.steps.filter((x) => x.check)) assert.ok(s.check!.maxAbsDiff <= 1e-4, `${s.id}: max |Δ| ${s.check!.maxAbsDiff}`);
      assert.ok(maxAbs(r.tensors.output, c.output) <= 1e-4, 'block output');
      assert.ok(maxAbs(r.tensors.logits!, c.logits) <= 1e-4, 'logits');
      assert.deepEqual([r.tensors.q, r.tensors.k, r.tensors.scores, r.tensors.weights, r.tensors.context], [[], [], [], [], []]);
    }
  });
});
