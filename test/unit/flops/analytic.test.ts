import assert from 'node:assert/strict';
import { analyticFlops } from '../../../src/core/flops/analytic';
import { ROLES } from '../../../src/core/terms';
import { preset, type ModelConfig } from '../../../src/core/flops/config';

const G = 1e9;
const relErr = (a: number, b: number) => Math.abs(a - b) / b;

describe('analytic MACs: Swin against the official flops()', () => {
  // Totals printed by microsoft/Swin-Transformer's model.flops(), in MACs (the repo calls them FLOPs).
  const official: [string, { imageSize?: number; windowSize?: number }, number, number][] = [
    // name, override, official flops() in G, our exact count
    ['swin-t', {}, 4.494, 4_494_405_120],
    ['swin-s', {}, 8.747, 8_746_520_064],
    ['swin-b', {}, 15.438, 15_438_473_216],
    ['swin-b', { imageSize: 384, windowSize: 12 }, 47.105, 47_105_253_376],
    ['swin-l', {}, 34.487, 34_487_049_216],
    ['swin-l', { imageSize: 384, windowSize: 12 }, 103.952, 103_952_265_216],
  ];
  for (const [name, o, gmacs, exact] of official) {
    it(`${name} ${o.imageSize ?? 224}² window ${o.windowSize ?? 7}: ${gmacs}G within 0.1%, exactly ${exact}`, () => {
      const r = analyticFlops(preset(name, o));
      assert.ok(relErr(r.macs, gmacs * G) < 1e-3, `${r.macs} vs ${gmacs}G`);
      assert.equal(r.macs, exact);
      assert.equal(r.flops, 2 * exact);
    });
  }

  it('rounds to the Swin paper table (4.5, 8.7, 15.4, 34.5; 47.0–47.1 and 103.9 at 384²)', () => {
    const g = (n: string, o = {}) => analyticFlops(preset(n, o)).macs / G;
    assert.equal(g('swin-t').toFixed(1), '4.5');
    assert.equal(g('swin-s').toFixed(1), '8.7');
    assert.equal(g('swin-b').toFixed(1), '15.4');
    assert.equal(g('swin-l').toFixed(1), '34.5');
    // The paper prints 47.0 and 103.9 where the official code gives 47.105 and 103.952.
    assert.ok(Math.abs(g('swin-b', { imageSize: 384, windowSize: 12 }) - 47.05) <= 0.06);
    assert.ok(Math.abs(g('swin-l', { imageSize: 384, windowSize: 12 }) - 103.9) <= 0.06);
  });

  it('Swin-T by role: hwC² is the same in every stage, so qkv = 3·hwC²·Σdepths and proj = hwC²·Σdepths', () => {
    const r = analyticFlops(preset('swin-t'));
    const hwC2 = 56 * 56 * 96 * 96; // = 28·28·192² = 14·14·384² = 7·7·768²
    assert.equal(r.byRole.qkv, 3 * hwC2 * 12);
    assert.equal(r.byRole.attnProj, hwC2 * 12);
    assert.equal(r.byRole.mlp, 8 * hwC2 * 12);
    // QKᵀ = nW·(M²)²·C = M²·hwC per block: 49·(3136·96·2 + 784·192·2 + 196·384·6 + 49·768·2)
    assert.equal(r.byRole.attnScores, 49 * (3136 * 96 * 2 + 784 * 192 * 2 + 196 * 384 * 6 + 49 * 768 * 2));
    assert.equal(r.byRole.attnValues, r.byRole.attnScores);
    assert.equal(r.byRole.patchEmbed, 3136 * 96 * 48);
    assert.equal(r.byRole.merge, 2 * hwC2 * 3); // (h/2)(w/2)·4C·2C = 2hwC² per merging, 3 of them
    assert.equal(r.byRole.head, 768 * 1000);
    // norms: patch embed, 2 per block, 3 mergings (hwC each), the official final term 768·3136//16
    assert.equal(r.byRole.norm, 3136 * 96 + 2 * (3136 * 96 * 2 + 784 * 192 * 2 + 196 * 384 * 6 + 49 * 768 * 2) + (3136 * 96 + 784 * 192 + 196 * 384) + 768 * 196);
    assert.equal(r.byRole.other, 0);
    assert.equal(ROLES.reduce((s, k) => s + r.byRole[k], 0), r.macs);
  });

  it('Swin-T stages: Ω(MSA) = 4hwC² + 2(hw)²C and Ω(W-MSA) = 4hwC² + 2M²hwC per block', () => {
    const { stages } = analyticFlops(preset('swin-t'));
    assert.deepEqual(stages.map((s) => [s.name, s.tokens, s.dim, s.window, s.heads, s.depth]), [
      ['stage1', [56, 56], 96, 7, 3, 2],
      ['stage2', [28, 28], 192, 7, 6, 2],
      ['stage3', [14, 14], 384, 7, 12, 6],
      ['stage4', [7, 7], 768, 7, 24, 2],
    ]);
    assert.equal(stages[0].msaMacs, 115_605_504 + 1_888_223_232);
    assert.equal(stages[0].wmsaMacs, 115_605_504 + 29_503_488);
    assert.equal(stages[0].ratio, 2_003_828_736 / 145_108_992);
    assert.equal(stages[3].ratio, 1); // 7×7 map, 7×7 window: W-MSA is global MSA
    // Stage 1: QKᵀ + A·V = 2·49·3136·96 of a block of 2·3136·96 (norms) + 145,108,992 + 8·3136·96²
    assert.equal(stages[0].quadraticFraction, 29_503_488 / (2 * 3136 * 96 + 145_108_992 + 8 * 3136 * 96 * 96));
    assert.ok(stages[0].msaQuadraticFraction > 0.84 && stages[0].msaQuadraticFraction < 0.85);
    assert.equal(stages.reduce((s, x) => s + x.macs, 0) + 14_450_688 + 3136 * 96 + 768 * 196 + 768_000, analyticFlops(preset('swin-t')).macs);
  });

  it('clips the window to a map no larger than it, and pads maps that are not multiples of M', () => {
    const r = analyticFlops(preset('swin-t', { windowSize: 12 }));
    assert.deepEqual(r.stages.map((s) => s.window), [12, 12, 12, 7]);
    // stage 3: 14×14 padded to 24×24 for 12×12 windows
    assert.equal(r.stages[2].wmsaMacs, 4 * 576 * 384 ** 2 + 2 * 144 * 576 * 384);
    // stage 1: 56 → 60
    assert.equal(r.stages[0].wmsaMacs, 4 * 3600 * 96 ** 2 + 2 * 144 * 3600 * 96);
  });

  it('with global attention every Swin stage costs Ω(MSA) per block', () => {
    const win = analyticFlops(preset('swin-t'));
    const glob = analyticFlops(preset('swin-t'), { attention: 'global' });
    const delta = win.stages.reduce((s, st) => s + st.depth * (st.msaMacs - (st.wmsaMacs as number)), 0);
    assert.equal(glob.macs - win.macs, delta);
  });
});

describe('analytic MACs: ViT and DeiT', () => {
  const papers: [string, string, number][] = [
    // name, the papers' rounding (G), our exact count (linear layers + QKᵀ + A·V + patch embed + head + norms)
    ['vit-b/16', '17.6', 17_567_610_624],
    ['vit-l/16', '61.6', 61_564_597_248],
    ['deit-s', '4.6', 4_600_773_504],
    ['deit-t', '1.3', 1_254_628_800],
    ['vit-b/32', '4.4', 4_410_146_304],
  ];
  for (const [name, rounded, exact] of papers) {
    it(`${name}: ${rounded}G at the papers' rounding, exactly ${exact}`, () => {
      const r = analyticFlops(preset(name));
      assert.equal((r.macs / G).toFixed(1), rounded);
      assert.equal(r.macs, exact);
    });
  }

  it('ViT-B/16 term by term with N = 197 tokens, C = 768, 12 blocks', () => {
    const r = analyticFlops(preset('vit-b/16'));
    const N = 197, C = 768;
    assert.equal(r.byRole.patchEmbed, 196 * C * 3 * 16 * 16);
    assert.equal(r.byRole.qkv, 12 * 3 * N * C * C);
    assert.equal(r.byRole.attnScores, 12 * N * N * C);
    assert.equal(r.byRole.attnValues, 12 * N * N * C);
    assert.equal(r.byRole.attnProj, 12 * N * C * C);
    assert.equal(r.byRole.mlp, 12 * 2 * N * C * 4 * C);
    assert.equal(r.byRole.norm, 25 * N * C);
    assert.equal(r.byRole.head, C * 1000);
    // Without norms: the usual "linear layers + attention matmuls" count.
    assert.equal(r.macs - r.byRole.norm, 17_563_828_224);
    const [s] = r.stages;
    assert.deepEqual([s.tokens, s.window, s.wmsaMacs, s.ratio], [[14, 14], null, null, null]);
    assert.equal(s.msaMacs, 4 * N * C * C + 2 * N * N * C);
  });

  it("reproduces the Swin paper's ViT/DeiT rows (55.4, 190.7, 17.5) only when the class token is left out", () => {
    const g = (name: string, imageSize: number, extraTokens: number) =>
      (analyticFlops({ ...preset(name, { imageSize }), extraTokens } as ModelConfig).macs / G).toFixed(1);
    assert.equal(g('vit-b/16', 384, 0), '55.4');
    assert.equal(g('vit-l/16', 384, 0), '190.7');
    assert.equal(g('deit-b', 224, 0), '17.5');
    assert.equal(g('vit-b/16', 384, 1), '55.5');
    assert.equal(g('vit-l/16', 384, 1), '191.1');
  });
});
