/**
 * The step-through on Swin V2 against PyTorch (test/fixtures/reference/trace_v2.json,
 * tools/make_trace_v2_refs.py): tiny_swin_v2.onnx through the inference process, on an unshifted and
 * two shifted blocks. q, k (before the normalisation to unit length), v, the scores entering the
 * softmax (cos(q, k)·τ + B + mask), the softmax row, the context, the block output, τ and the
 * continuous position bias row ≤ 1e-4 from the torchvision module's; the token's window, position
 * and keys those of the official window_partition of the rolled map; and every step shown as V2
 * computes it (scaled cosine attention, CPB, res-post-norm, PatchMergingV2), recomputed within 1e-4.
 */
import assert from 'node:assert/strict';
import { maxAbs } from '../unit/helpers/maxAbs';
import { assertChecked, assertWindow, assertWithin, attentionDiffs, readTraceReference, traceImage as image, tracer, type AttentionCase } from './traceReference';
import { useRuntime } from './useRuntime';

const ref = readTraceReference<AttentionCase & { window: number; position: number; shift: number; keys: number[]; tau: number; bias: number[] }>('trace_v2.json');

describe('trace: Swin V2 step by step, against PyTorch', function () {
  this.timeout(120_000);
  const client = useRuntime();
  // the 32×32 image as the reference feeds it: no resampling (the model has no preprocessing sidecar)
  const trace = tracer(client, image, { resize: 32, crop: 32 });

  for (const c of ref.cases) {
    it(`${c.model} block ${c.layer} head ${c.head} token ${c.token}${c.shift ? ` (shifted by ${c.shift})` : ' (unshifted)'}: q, k, v, scores, weights, context, output, τ and B ≤ 1e-4`, async () => {
      const r = await trace(c);
      const t = r.tensors;
      const scores = r.steps.find((s) => s.id === 'scores')!;
      assertWithin({ ...attentionDiffs(t, c), tau: Math.abs(scores.numbers!.scale! - c.tau), bias: maxAbs(t.bias!.row, c.bias) });
      assert.equal(t.k.length, c.k.length);
      assertWindow(r, c);
      // every recomputation shown agrees with the model's own tensor; nothing is missing
      assertChecked(r, 15);
      assert.deepEqual(r.steps.filter((s) => s.unavailable).map((s) => s.id), [], 'steps unavailable');
      assert.deepEqual(r.warnings, []);
    });
  }

  it('shows V2 as it computes: cosine attention with the head\'s τ, CPB 16·σ(·), res-post-norm, the reduction before the merge\'s LayerNorm', async () => {
    const c = ref.cases.find((x) => x.layer === 1)!;
    const r = await trace(c);
    const ids = r.steps.map((s) => s.id);
    const step = (id: string) => r.steps.find((s) => s.id === id)!;
    // no LayerNorm before attention or the MLP: after them, before each residual add
    assert.ok(!ids.includes('norm1') && !ids.includes('norm2'), `pre-norm steps shown: ${ids.join(', ')}`);
    const order = ['q', 'k', 'v', 'scores', 'bias', 'mask', 'softmax', 'context', 'concat', 'projectionOut', 'postNorm1', 'residual1', 'mlp', 'postNorm2', 'residual2', 'mergeGroup', 'mergeReduction', 'mergeNorm'];
    assert.deepEqual(ids.filter((id) => order.includes(id)), order);
    assert.match(step('scores').formula, /cosine/);
    assert.match(step('scores').formula, new RegExp(`τ = exp\\(min\\(logit_scale, ln 100\\)\\) = ${c.tau.toPrecision(6).replace(/0+$/, '')}`));
    assert.deepEqual(step('scores').check!.recomputedFrom, ['q', 'k', 'logit_scale']);
    assert.match(step('bias').formula, /16·σ/);
    assert.match(step('postNorm1').formula, /post-norm/);
    assert.match(step('residual1').formula, /LN\(MSA\(z\)\) \+ z/);
    assert.match(step('q').formula, /q = z·W_Q/);
    // the + B step's row is what enters the mask add: the scaled cosines + B
    const cos = step('scores').values!;
    const biased = step('bias').values!;
    assert.ok(maxAbs(biased, cos.map((s, j) => s + r.tensors.bias!.row[j])) <= 1e-5);
    assert.ok(r.tensors.mask!.includes(-100), 'token 255 sits where the rolled map joins sub-windows');
  });
});
