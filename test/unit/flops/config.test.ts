import assert from 'node:assert/strict';
import { analyticFlops } from '../../../src/core/flops/analytic';
import { preset, PRESET_NAMES } from '../../../src/core/flops/config';
import { throwsUserError } from '../helpers/assert';

describe('presets and config checks', () => {
  it('has every preset the CLI offers', () => {
    for (const n of ['swin-t', 'swin-s', 'swin-b', 'swin-l', 'vit-b/16', 'vit-l/16', 'vit-b/32', 'deit-s', 'deit-t', 'deit-b']) {
      assert.ok(PRESET_NAMES.includes(n as never), n);
    }
  });

  it('rejects bad input with a UserError that says what to do', () => {
    throwsUserError(() => preset('swin-x'), /Unknown preset "swin-x".*swin-t/);
    throwsUserError(() => preset('vit-b/16', { windowSize: 7 }), /no window size/);
    throwsUserError(() => analyticFlops(preset('swin-t', { windowSize: 0 })), /Window size must be a positive whole number/);
    throwsUserError(() => analyticFlops(preset('swin-t', { windowSize: 6.5 })), /Window size must be a positive whole number/);
    throwsUserError(() => analyticFlops({ ...preset('swin-t'), heads: [5, 6, 12, 24] }), /dim 96, which 5 heads do not divide/);
    throwsUserError(() => analyticFlops({ ...preset('swin-t'), heads: [3, 6, 12] }), /one head count per stage/);
    throwsUserError(() => analyticFlops({ ...preset('vit-b/16'), imageSize: 200_000, patchSize: 16 }), /more than 100000000/);
    throwsUserError(() => analyticFlops({ ...preset('swin-t'), windowSize: null }), /needs windowSize/);
  });
});
