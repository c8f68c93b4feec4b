/**
 * The step-through traces the image Classify showed: the preprocessing overrides (the
 * vitInspector.preprocessing.* settings the classify panel passes) reach the trace, and the image
 * returned for the panel is the crop the model saw. The patch step's values are that crop's pixels
 * normalised by the mean and std in force.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fixture } from '../skip';
import { fixtures, models } from '../unit/helpers/attentionReference';
import { useRuntime } from './useRuntime';

const image = fixture(join(fixtures, 'images', 'disc.png'));

describe('trace: the preprocessing overrides reach the traced input', function () {
  this.timeout(120_000);
  const client = useRuntime();
  const trace = (overrides?: { mean?: [number, number, number]; std?: [number, number, number] }) =>
    client.request('trace', { model: fixture(join(models, 'tiny_vit.onnx')), image, layer: 0, head: 0, token: 6, order: ['cpu'], overrides, withImage: true });

  it('mean 0, std 1: the traced patch is the crop\'s own pixels / 255, not the model\'s default normalisation', async () => {
    const plain = await trace();
    const raw = await trace({ mean: [0, 0, 0], std: [1, 1, 1] });
    const patchOf = (r: typeof plain) => r.steps.find((s) => s.id === 'patch')!;
    const [a, b] = [patchOf(plain), patchOf(raw)];
    assert.ok(a.values && b.values, 'the patch step has values');
    assert.ok(a.values.some((v, i) => Math.abs(v - b.values![i]) > 1e-3), 'a non-default mean/std changes the traced input');
    // The patch step against the crop returned for the panel: token 6 = patch 5 of the grid.
    const px = raw.cropped!;
    const [, ch, p, q] = [0, ...b.shape];
    const gw = raw.grid![1];
    const [r0, c0] = [Math.floor(5 / gw) * p, (5 % gw) * q];
    let worst = 0;
    for (let c = 0; c < ch; c++)
      for (let y = 0; y < p; y++)
        for (let x = 0; x < q; x++) worst = Math.max(worst, Math.abs(b.values[(c * p + y) * q + x] - px.rgb[((r0 + y) * px.width + c0 + x) * 3 + c] / 255));
    assert.ok(worst < 1e-6, `patch values vs the crop's pixels / 255: max |Δ| ${worst}`);
    assert.match(raw.preprocessing!, /mean \[0, 0, 0\] std \[1, 1, 1\].*settings/, `the preprocessing said: ${raw.preprocessing}`);
    // Different input, different activations: the block's recomputations still agree with the model.
    for (const s of raw.steps.filter((x) => x.check)) assert.ok(s.check!.maxAbsDiff <= 1e-4, `${s.id}: max |Δ| ${s.check!.maxAbsDiff}`);
    assert.notDeepEqual(raw.tensors.q, plain.tensors.q);
  });
});
