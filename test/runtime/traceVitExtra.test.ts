/**
 * The step-through of a hybrid ViT and of a ViT with register tokens against PyTorch
 * (test/fixtures/reference/trace_vit_extra.json, tools/make_trace_vit_refs.py): q, k, v, the scores,
 * the softmax row, the context and the block output of the traced token ≤ 1e-4 from PyTorch's; the
 * hybrid's first steps are the backbone's feature-map cell (PyTorch's backbone output) and its
 * projection, checked; the registers model's embedding steps follow the graph (class prepended,
 * + position embedding, registers inserted), every one checked.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fixtures } from '../unit/helpers/attentionReference';
import { maxAbs } from '../unit/helpers/maxAbs';
import { assertChecked, assertWithin, attentionDiffs, readTraceReference, tracer, type AttentionCase } from './traceReference';
import { useRuntime } from './useRuntime';

const ref = readTraceReference<AttentionCase & { embedding: number[]; cell?: number[] }>('trace_vit_extra.json');
const image = join(fixtures, ref.image);

describe('trace: hybrid and register tokens, against PyTorch', function () {
  this.timeout(120_000);
  const client = useRuntime();
  const trace = tracer(client, image);

  it('holds cases for both hybrids and the registers model', () => {
    for (const m of ['tiny_hybrid.onnx', 'tiny_hybrid_resnet.onnx', 'tiny_registers.onnx']) assert.ok(ref.cases.some((c) => c.model === m && c.token > 0), m);
  });

  for (const c of ref.cases) {
    it(`${c.model} block ${c.layer} head ${c.head} token ${c.token}: q, k, v, scores, weights, context, output, embedding ≤ 1e-4; every step shown and checked`, async () => {
      const r = await trace(c);
      const t = r.tensors;
      const diffs: Record<string, number> = { ...attentionDiffs(t, c), embedding: maxAbs(t.embedding!, c.embedding) };
      if (c.cell) {
        // the hybrid's first step: the token's cell of the backbone's feature map, as PyTorch's backbone computes it
        const cell = r.steps.find((s) => s.id === 'patch');
        assert.ok(cell?.values, `no feature-map cell: ${cell?.unavailable}`);
        diffs.cell = maxAbs(cell.values, c.cell);
      }
      assertWithin(diffs);
      const learned = r.token < (r.extraTokens?.length ?? 0);
      assert.deepEqual(r.steps.filter((s) => s.unavailable && !(learned && /learned vector/.test(s.unavailable))).map((s) => s.id), [], 'steps unavailable');
      // every step with values is checked except the ones that have nothing to recompute from
      const unchecked = r.steps.filter((s) => !s.check && !s.unavailable && !['patch', 'flatten', 'probabilities'].includes(s.id)).map((s) => s.id);
      assert.deepEqual(unchecked, [], 'steps shown without a check');
      assertChecked(r);
    });
  }

  it('hybrid: the cell is C_b×p×p of the backbone\'s feature map, flattened, then projected (patch · E + b, checked)', async () => {
    const r = await trace({ model: 'tiny_hybrid_resnet.onnx', layer: 0, head: 0, token: 6 });
    const ids = r.steps.map((s) => s.id);
    assert.deepEqual(ids.slice(0, 5), ['patch', 'flatten', 'projection', 'prepend', 'position']);
    const cell = r.steps[0];
    assert.deepEqual(cell.shape, [32, 1, 1]);
    assert.match(cell.formula, /feature map/);
    assert.match(cell.formula, /\(1, 1\)/, 'token 6 is patch 5: row 1, column 1 of the 4×4 map');
    assert.deepEqual(r.steps[1].shape, [32]);
    assert.ok(r.steps[2].check && r.steps[2].check.maxAbsDiff <= 1e-5, 'projection recomputed from the cell');
  });

  it('registers: class prepended, + position embedding, registers inserted, in the graph\'s order; registers named', async () => {
    const r = await trace({ model: 'tiny_registers.onnx', layer: 0, head: 0, token: 7 });
    assert.deepEqual(r.extraTokens, ['class', 'register 0', 'register 1', 'register 2', 'register 3']);
    const emb = r.steps.filter((s) => ['prepend', 'position', 'registers'].includes(s.id));
    assert.deepEqual(emb.map((s) => s.id), ['prepend', 'position', 'registers']);
    // token 7 is patch 2: index 3 after the class token, E_pos row 3 of 17, then 3 + 4 registers = 7
    assert.match(emb[1].formula, /E_pos\[3\]/);
    assert.match(emb[1].formula, /17×32/);
    for (const s of emb) assert.ok(s.check && s.check.maxAbsDiff <= 1e-5, `${s.id} checked`);
    const reg = await trace({ model: 'tiny_registers.onnx', layer: 0, head: 0, token: 2 });
    const regSteps = reg.steps.filter((s) => ['prepend', 'position', 'registers'].includes(s.id));
    assert.deepEqual(regSteps.map((s) => s.id), ['registers'], 'a register gets no position embedding');
    assert.match(regSteps[0].formula, /register 1/);
    assert.ok(regSteps[0].check && regSteps[0].check.maxAbsDiff === 0, 'the row is the learned register token');
  });
});
