/**
 * The step-through on Swin V2 without inference: where its taps are on torchvision's swin_v2_t
 * (structure-only) and the tiny V2 fixture — q and k before F.normalize, τ from logit_scale clamped at
 * ln 100, the LayerNorms after attention and the MLP (res-post-norm), PatchMergingV2's LayerNorm after
 * the reduction — V1 Swin-T having none of these; and the scaled cosine scores recomputed from the
 * PyTorch reference's q, k, τ, B and the official mask equal to PyTorch's scores.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cosineScores } from '../../../src/core/trace/attention';
import { traceCapture, traceModel } from '../../../src/core/trace/model';
import { maskRow } from '../../../src/core/trace/window';
import { fixture } from '../../skip';
import { fixtures, models } from '../helpers/attentionReference';
import { maxAbs } from '../helpers/maxAbs';

interface Case { layer: number; window: number; position: number; shift: number; tau: number; bias: number[]; q: number[]; k: number[][]; scores: number[] }

describe('trace: Swin V2 (no inference)', () => {
  for (const [name, blocks, merges] of [['swin_v2_t', 12, [1, 3, 9]], ['tiny_swin_v2', 4, [1]]] as const) {
    it(`${name}: every block's cosine q/k, τ from logit_scale (clamp ln 100), post-norms, and the merge's LayerNorm after the reduction`, () => {
      const m = traceModel(fixture(join(models, `${name}.onnx`)));
      assert.equal(m.ranges.layers, blocks);
      for (let L = 0; L < blocks; L++) {
        const { taps, fetches } = traceCapture(m, L);
        assert.deepEqual(taps.missing, [], `block ${L}`);
        assert.ok(taps.postNorm, `block ${L}: res-post-norm`);
        const c = taps.cosine;
        assert.ok(c, `block ${L}: scaled cosine attention`);
        assert.notEqual(c.q, taps.qIn, 'q tapped before the normalising Div');
        assert.notEqual(c.k, taps.kIn, 'k tapped before the normalising Div and the transpose');
        assert.ok(c.logitScale && /logit_scale/.test(c.logitScale.name), `block ${L}: logit_scale is ${c.logitScale?.name}`);
        assert.ok(Math.abs(c.clampMax! - Math.log(100)) < 1e-6);
        assert.equal(c.eps, Math.fround(1e-12), 'F.normalize\'s ε (float32)');
        assert.equal(taps.postFactor * taps.qFactor * taps.kFactor, 1, 'no 1/√d besides τ');
        assert.ok(taps.biased, `block ${L}: the add of the CPB`);
        // the norms are the ones after attention and the MLP, their inputs W_O's and fc2's outputs through the window reverse
        assert.ok(taps.norm1 && taps.norm2 && taps.fc1 && taps.fc2 && taps.residual1 && taps.output);
        assert.ok(taps.norm2.input === taps.fc2.output, `block ${L}: LN(MLP(x))`);
        assert.equal(taps.fc1.input, taps.residual1, 'the MLP reads z\' itself');
        assert.equal(!!taps.merge, (merges as readonly number[]).includes(L), `block ${L}: merge`);
        if (taps.merge) assert.ok(taps.merge.normAfter && taps.merge.norm.input === taps.merge.reduction.output, 'PatchMergingV2: LN after the reduction');
        for (const t of [c.q, c.k, c.scaled, c.tau]) assert.ok(fetches.includes(t), `${t} captured`);
      }
    });
  }

  it('Swin-T (V1): no cosine, no post-norm, LN before the merge\'s reduction', () => {
    const m = traceModel(fixture(join(models, 'swin_t.onnx')));
    for (const L of [0, 1]) {
      const { taps } = traceCapture(m, L);
      assert.equal(taps.cosine, null);
      assert.equal(taps.postNorm, false);
      if (taps.merge) assert.equal(taps.merge.normAfter, false);
    }
  });

  it('scaled cosine scores: cos(q, k)·τ + B (+ the official mask) from the reference\'s q, k, τ, B equal PyTorch\'s', () => {
    const ref = JSON.parse(readFileSync(fixture(join(fixtures, 'reference', 'trace_v2.json')), 'utf8')) as { cases: Case[] };
    for (const c of ref.cases) {
      const grid = c.layer < 2 ? 16 : 8;
      const mask = c.shift ? maskRow(grid, grid, 4, c.shift, c.window, c.position) : undefined;
      const d = maxAbs(cosineScores(c.q, c.k, c.tau, 1e-12, c.bias, mask), c.scores);
      assert.ok(d <= 1e-5, `block ${c.layer}: max |Δ| ${d}`);
      // without τ (the V1 reading, scale 1) it is far off
      assert.ok(maxAbs(cosineScores(c.q, c.k, 1, 1e-12, c.bias, mask), c.scores) > 1e-2);
    }
  });
});
