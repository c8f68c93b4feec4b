import assert from 'node:assert/strict';
import { analyticFlops } from '../../../src/core/flops/analytic';
import { preset } from '../../../src/core/flops/config';
import { omegaMsa, omegaWmsa } from '../../../src/core/flops/complexity';
import { defaultWindows, layerSweep, modelSweep } from '../../../src/core/flops/sweep';
import { throwsUserError } from '../helpers/assert';

describe('window sweeps', () => {
  it('default windows: 2, 4, 7, 8, 12, 14, 16, … up to the map side', () => {
    assert.deepEqual(defaultWindows(56), [2, 4, 7, 8, 12, 14, 16, 24, 28, 32, 48, 56]);
    assert.deepEqual(defaultWindows(96), [2, 4, 7, 8, 12, 14, 16, 24, 28, 32, 48, 56, 64, 96]);
    assert.deepEqual(defaultWindows(7), [2, 4, 7]);
  });

  it('one layer at 56×56×96: W-MSA per window with Swin padding, and the crossover at M = 40', () => {
    const s = layerSweep({ h: 56, w: 56, dim: 96, heads: 3 });
    const row = (m: number | null) => s.rows.find((r) => r.window === m)!;
    assert.equal(row(null).msaMacs, 2_003_828_736);
    assert.equal(row(7).wmsaMacs, 145_108_992);
    assert.deepEqual([row(7).padded, row(7).numWindows, row(7).shift], [[56, 56], 64, 3]);
    // 12 does not divide 56: padded to 60×60, 25 windows
    assert.deepEqual([row(12).padded, row(12).numWindows], [[60, 60], 25]);
    assert.equal(row(12).wmsaMacs, 4 * 3600 * 96 * 96 + 2 * 144 * 3600 * 96);
    // 48 pads to 96×96: more than global attention
    assert.equal(row(48).cheaper, false);
    assert.ok(row(48).wmsaMacs > row(48).msaMacs);
    assert.equal(row(56).wmsaMacs, row(56).msaMacs); // one window = global
    // M = 39 pads to 78 and is still (just) cheaper; M = 40 pads to 80 and is not.
    assert.ok(omegaWmsa(56, 56, 96, 39) < omegaMsa(56, 56, 96));
    assert.ok(omegaWmsa(56, 56, 96, 40) >= omegaMsa(56, 56, 96));
    assert.deepEqual(s.crossover, { window: 40, formula: 56 });
  });

  it('windows that divide the map are all cheaper (M² < hw); the crossover comes from one that pads', () => {
    const s = layerSweep({ h: 64, w: 64, dim: 32, windows: [2, 4, 8, 16, 32, 64] });
    assert.ok(s.rows.slice(1, -1).every((r) => r.cheaper));
    assert.equal(s.rows.at(-1)!.wmsaMacs, s.rows[0].msaMacs);
    // 46 pads 64 to 92: 4·8464·32² + 2·46²·8464·32 = 1,180,897,280 > Ω(MSA) = 1,090,519,040; 45 (→ 90) is still cheaper.
    assert.equal(omegaMsa(64, 64, 32), 1_090_519_040);
    assert.equal(omegaWmsa(64, 64, 32, 46), 1_180_897_280);
    assert.equal(omegaWmsa(64, 64, 32, 45), 1_082_937_600);
    assert.equal(s.crossover.window, 46);
  });

  it('Swin-L 384² model sweep: window 12 gives the official total; every window beats global MSA here', () => {
    const cfg = preset('swin-l', { imageSize: 384, windowSize: 12 });
    const s = modelSweep(cfg, [2, 4, 6, 7, 8, 12, 16, 24, 32, 48]);
    assert.deepEqual(s.tokens, [96, 96]);
    assert.equal(s.rows[0].window, null);
    assert.deepEqual(s.rows[0].stageWindows, [96, 48, 24, 12]);
    const m12 = s.rows.find((r) => r.window === 12)!;
    assert.equal(m12.wmsaMacs, 103_952_265_216);
    assert.deepEqual(s.rows.find((r) => r.window === 32)!.stageWindows, [32, 32, 24, 12]);
    assert.ok(s.rows.slice(1).every((r) => r.cheaper && r.msaMacs === s.rows[0].msaMacs));
    assert.equal(s.rows[0].msaMacs, analyticFlops(cfg, { attention: 'global' }).macs);
    // Padding makes the curve jagged: 22 (96 → 110, 48 → 66, 24 → 44) already costs more than global.
    assert.equal(s.crossover.window, 22);
  });

  it('rejects bad windows and maps with a clear UserError', () => {
    throwsUserError(() => layerSweep({ h: 56, w: 56, dim: 96, windows: [0] }), /at least 1/);
    throwsUserError(() => layerSweep({ h: 56, w: 56, dim: 96, windows: [-7] }), /at least 1/);
    throwsUserError(() => layerSweep({ h: 56, w: 56, dim: 96, windows: [7.5] }), /not a whole number/);
    throwsUserError(() => layerSweep({ h: 56, w: 56, dim: 96, windows: [Number.NaN] }), /not a number/);
    throwsUserError(() => layerSweep({ h: 56, w: 40, dim: 96, windows: [48] }), /larger than the 56×40 feature map; use at most 40/);
    throwsUserError(() => layerSweep({ h: 56, w: 56, dim: 96, heads: 5 }), /not divisible by 5 heads.*e\.g\. 4/);
    throwsUserError(() => layerSweep({ h: 20_000, w: 10_000, dim: 96 }), /more than 100000000/);
    throwsUserError(() => layerSweep({ h: 56.5, w: 56, dim: 96 }), /Height h must be a positive whole number/);
    throwsUserError(() => modelSweep(preset('swin-t'), [57]), /larger than the 56×56/);
    throwsUserError(() => modelSweep(preset('vit-b/16')), /ViT already uses global attention/);
  });

  it('a sweep at the 1e8-token limit answers without building anything large', () => {
    const t = Date.now();
    const s = layerSweep({ h: 10_000, w: 10_000, dim: 8, windows: [7, 100, 10_000] });
    assert.ok(Date.now() - t < 2000);
    assert.equal(s.rows.at(-1)!.wmsaMacs, s.rows[0].msaMacs);
  });
});
