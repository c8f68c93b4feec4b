import assert from 'node:assert/strict';
import { windowGeometry, windowQueryAttention, windowReceivedAttention, type AttentionTensor } from '../../../src/core/attention/maps';
import { layerMap, stageMaps } from '../../../src/core/attention/document';
import { box, checkMaskPattern, maxAbs, receivedByHand, reference, refSwinLayer, refTensor, support } from '../helpers/attentionReference';

describe('attention maps (pure, from PyTorch reference attention)', () => {
  describe('tiny_swin: window attention back in image coordinates', () => {
    it('reference blocks: stage 1 16×16 and stage 2 8×8, M = 4, SW-MSA blocks shifted by 2', () => {
      const b = reference('tiny_swin').blocks!;
      assert.deepEqual(b.map((x) => [x.grid[0], x.window, x.shift, x.windows]), [[16, 4, 0, 16], [16, 4, 2, 16], [8, 4, 0, 4], [8, 4, 2, 4]]);
    });

    it('"mean received" map of every block equals one computed here from pad → roll → partition of index grids (within 1e-6)', () => {
      for (const img of reference('tiny_swin').images) {
        img.attention.forEach((_, i) => {
          const l = refSwinLayer('tiny_swin', img, i);
          const mine = layerMap(l);
          const theirs = receivedByHand(refTensor(img.attention[i]), l.grid[0], l.grid[1], l.window!, l.shift);
          const d = maxAbs(mine, theirs);
          assert.ok(d < 1e-6, `${img.image} ${l.name}: max |Δ| = ${d}`);
        });
      }
    });

    it("PyTorch's attention is ≈ 0 exactly where the SW-MSA mask rebuilt here forbids a pair (window order and shift as assumed)", () => {
      for (const img of reference('tiny_swin').images) {
        const masked = img.attention.map((_, i) => {
          const l = refSwinLayer('tiny_swin', img, i);
          return checkMaskPattern(refTensor(img.attention[i]), l.grid[0], l.grid[1], l.window!, l.shift);
        });
        assert.equal(masked[0], 0);
        assert.ok(masked[1] > 0 && masked[3] > 0);
      }
    });

    it('the comparison can fail: leaving the shift in place (not undone) gives a different map for SW-MSA blocks', () => {
      const img = reference('tiny_swin').images[2];
      for (const i of [1, 3]) {
        const l = refSwinLayer('tiny_swin', img, i);
        const t = refTensor(img.attention[i]);
        const noUndo = windowReceivedAttention(t, windowGeometry(l.grid[0], l.grid[1], 4, 0));
        const truth = receivedByHand(t, l.grid[0], l.grid[1], 4, l.shift);
        assert.ok(maxAbs(noUndo, truth) > 1e-3, `${l.name}: the shift made no difference`);
      }
    });

    it('query attention of a patch at a shifted-window boundary lands only in its shifted window (hand-derived, 16×16, M = 4, s = 2)', () => {
      const img = reference('tiny_swin').images[1];
      const wmsa = refSwinLayer('tiny_swin', img, 0);
      const swmsa = refSwinLayer('tiny_swin', img, 1);
      const W = 16;
      // W-MSA: (2, 2) is in the regular window rows 0–3, cols 0–3.
      assert.deepEqual(support(windowQueryAttention(refTensor(img.attention[0]), windowGeometry(16, 16, 4, 0), 2, 2), W), box(0, 3, 0, 3));
      // SW-MSA: the windows start at −2, so (2, 2) is the top-left of the window rows 2–5, cols 2–5 (an interior window: no mask).
      const t1 = refTensor(img.attention[1]);
      const g1 = windowGeometry(16, 16, 4, 2);
      const q22 = windowQueryAttention(t1, g1, 2, 2);
      assert.deepEqual(support(q22, W), box(2, 5, 2, 5));
      // …and it is slot 0 of window 0 of the rolled map: its values are that row of the reference, mean over the 2 heads.
      for (let dr = 0; dr < 4; dr++)
        for (let dc = 0; dc < 4; dc++) {
          const j = dr * 4 + dc;
          const want = (t1.data[0 * 256 + j] + t1.data[256 + 0 * 16 + j]) / 2;
          assert.ok(Math.abs(q22[(2 + dr) * W + 2 + dc] - want) < 1e-7);
        }
      // (1, 1) is in the wrapped corner window (rows 14, 15, 0, 1 × cols 14, 15, 0, 1); the mask keeps it in its region {0, 1}².
      const q11 = windowQueryAttention(t1, g1, 1, 1);
      assert.deepEqual(support(q11, W), box(0, 1, 0, 1));
      assert.ok(Math.abs(q11.reduce((x, y) => x + y, 0) - 1) < 1e-5);
      // The same through the CapturedLayer helpers.
      assert.deepEqual(support(layerMap(swmsa), W).size, 256);
      assert.equal(wmsa.shifted, false);
    });

    it('per-stage maps average the blocks of each stage over its own grid (16×16, then 8×8 after patch merging)', () => {
      const img = reference('tiny_swin').images[0];
      const layers = img.attention.map((_, i) => refSwinLayer('tiny_swin', img, i));
      const st = stageMaps(layers);
      assert.deepEqual(st.map((s) => [s.stage, s.grid[0], s.blocks, s.map.length, s.cell]), [[0, 16, 2, 256, 2], [1, 8, 2, 64, 4]]);
      const want = layerMap(layers[2]).map((v, k) => (v + layerMap(layers[3])[k]) / 2);
      assert.ok(maxAbs(st[1].map, want) < 1e-7);
      // Each window's received mass is 1 (every query's row sums to 1 over its window), so a stage map averages 1 / M².
      const mean = st[0].map.reduce((x, y) => x + y, 0) / 256;
      assert.ok(Math.abs(mean - 1 / 16) < 1e-6);
    });

    it('a map whose size is not a multiple of M (padding): padding slots are dropped and real tokens all placed', () => {
      // 5×6 map, M = 4, s = 2: padded to 8×8, 4 windows; uniform attention over each window.
      const g = windowGeometry(5, 6, 4, 2);
      const t: AttentionTensor = { data: new Float32Array(4 * 1 * 16 * 16).fill(1 / 16), dims: [4, 1, 16, 16] };
      const m = windowReceivedAttention(t, g);
      assert.equal(m.length, 30);
      assert.ok(m.every((v) => Math.abs(v - 1 / 16) < 1e-7));
      assert.ok(maxAbs(m, receivedByHand(t, 5, 6, 4, 2)) < 1e-7);
      assert.deepEqual(Array.from(g.slotOf).filter((x) => x < 0), []);
    });
  });
});
