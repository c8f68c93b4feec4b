import assert from 'node:assert/strict';
import { isUserError } from '../../../src/core/errors';
import {
  attentionRollout,
  classTokenAttention,
  fuseHeads,
  queryPatchAttention,
  receivedAttention,
  type AttentionTensor,
} from '../../../src/core/attention/maps';
import { maxAbs, reference, refTensor } from '../helpers/attentionReference';

describe('attention maps (pure, from PyTorch reference attention)', () => {
  for (const name of ['tiny_vit', 'tiny_deit']) {
    const extra = name === 'tiny_deit' ? 2 : 1;
    it(`${name}: rollout of the reference attention equals the reference rollout within 1e-5`, function () {
      for (const img of reference(name).images) {
        const layers = img.attention.map(refTensor);
        const r = attentionRollout(layers, { grid: [4, 4], extraTokens: extra });
        const d = maxAbs(r, img.rollout!);
        assert.ok(d < 1e-5, `${img.image}: max |Δ| = ${d}`);
      }
    });

    it(`${name}: class-token map is row 0 over the patch columns (after ${extra} extra token(s)), mean over heads`, function () {
      const img = reference(name).images[0];
      const t = refTensor(img.attention[1]);
      const [, H, N] = t.dims;
      const want = Array.from({ length: 16 }, (_, k) => {
        let s = 0;
        for (let h = 0; h < H; h++) s += t.data[h * N * N + extra + k];
        return s / H;
      });
      assert.ok(maxAbs(classTokenAttention(t, { grid: [4, 4], extraTokens: extra }), want) < 1e-7);
      // head 1 alone, and the patch at (2, 3) as the query
      const head1 = Array.from({ length: 16 }, (_, k) => t.data[N * N + extra + k]);
      assert.ok(maxAbs(classTokenAttention(t, { grid: [4, 4], extraTokens: extra }, 1), head1) < 1e-7);
      const q = extra + 2 * 4 + 3;
      const fromPatch = Array.from({ length: 16 }, (_, k) => (t.data[q * N + extra + k] + t.data[N * N + q * N + extra + k]) / 2);
      assert.ok(maxAbs(queryPatchAttention(t, { grid: [4, 4], extraTokens: extra }, 2, 3), fromPatch) < 1e-7);
    });
  }

  it('tiny_deit: the distillation token (token 1) has its own map and rollout, different from the class token', function () {
    const img = reference('tiny_deit').images[0];
    const layers = img.attention.map(refTensor);
    const L = { grid: [4, 4] as [number, number], extraTokens: 2 };
    const t = layers[1];
    const N = 18;
    const want = Array.from({ length: 16 }, (_, k) => (t.data[1 * N + 2 + k] + t.data[N * N + 1 * N + 2 + k]) / 2);
    assert.ok(maxAbs(classTokenAttention(t, L, 'mean', 1), want) < 1e-7);
    assert.ok(maxAbs(attentionRollout(layers, L, { token: 1 }), attentionRollout(layers, L)) > 1e-4);
    assert.throws(() => classTokenAttention(t, L, 'mean', 2), (e: unknown) => isUserError(e) && /Extra token 2 does not exist/.test((e as Error).message));
  });

  it('rollout with a discard ratio drops the lowest fused attentions except entry (0, 0), then adds I and renormalises rows', () => {
    // One head, 1 class token + 2 patches; both layers the same matrix. Sorted: 0.05 (0,0), 0.10 (1,0), 0.15 (2,0), 0.25, …
    const A = [0.05, 0.55, 0.4, 0.1, 0.6, 0.3, 0.15, 0.25, 0.6];
    const t: AttentionTensor = { data: Float32Array.from(A), dims: [1, 1, 3, 3] };
    const L = { grid: [1, 2] as [number, number], extraTokens: 1 };
    // ratio 0.34 → ⌊9 · 0.34⌋ = 3 lowest: (0,0) is kept, (1,0) and (2,0) become 0. Then (A + I), rows / sum.
    const row0 = [1.05 / 2, 0.55 / 2, 0.4 / 2];
    const row1 = [0, 1.6 / 1.9, 0.3 / 1.9];
    const row2 = [0, 0.25 / 1.85, 1.6 / 1.85];
    const expected = [1, 2].map((j) => row0[0] * row0[j] + row0[1] * row1[j] + row0[2] * row2[j]);
    const got = attentionRollout([t, t], L, { discardRatio: 0.34 });
    assert.ok(maxAbs(got, expected) < 1e-6, `${Array.from(got)} vs ${expected}`);
    // Without discarding: row 1 keeps its 0.10, so the result differs.
    const plain = attentionRollout([t, t], L);
    assert.ok(maxAbs(plain, expected) > 1e-3);
    assert.throws(() => attentionRollout([t], L, { discardRatio: 1 }), /discard ratio/);
  });

  it('head fusion: max and min over heads pick element-wise extremes', () => {
    const t: AttentionTensor = { data: Float32Array.from([0.2, 0.8, 0.5, 0.5, 0.9, 0.1, 0.3, 0.7]), dims: [1, 2, 2, 2] };
    assert.deepEqual(Array.from(fuseHeads(t, 0, 'max')), [0.9, 0.8, 0.5, 0.7].map(Math.fround));
    assert.deepEqual(Array.from(fuseHeads(t, 0, 'min')), [0.2, 0.1, 0.3, 0.5].map(Math.fround));
    assert.throws(() => fuseHeads(t, 0, 2), (e: unknown) => isUserError(e) && /heads 0 to 1/.test((e as Error).message));
  });

  it('a ViT without a class token: the map is the mean attention each patch receives (column means)', () => {
    // 4 patches, no extra tokens, one head.
    const A = [0.7, 0.1, 0.1, 0.1, 0.2, 0.2, 0.3, 0.3, 0.25, 0.25, 0.25, 0.25, 0, 0, 0.5, 0.5];
    const t: AttentionTensor = { data: Float32Array.from(A), dims: [1, 1, 4, 4] };
    const got = receivedAttention(t, { grid: [2, 2], extraTokens: 0 });
    assert.ok(maxAbs(got, [1.15 / 4, 0.55 / 4, 1.15 / 4, 1.15 / 4]) < 1e-6);
    assert.throws(() => classTokenAttention(t, { grid: [2, 2], extraTokens: 0 }), /no class token/);
  });
});
