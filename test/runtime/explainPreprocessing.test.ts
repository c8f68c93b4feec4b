/**
 * Explain perturbs the input Classify showed: the preprocessing overrides (the
 * vitInspector.preprocessing.* settings the classify panel passes) reach the explained runs, so
 * p(class) of the clear image is the probability Classify gave with the same overrides.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fixture } from '../skip';
import { fixtures, models } from '../unit/helpers/attentionReference';
import { useRuntime } from './useRuntime';

const image = fixture(join(fixtures, 'images', 'disc.png'));
type Overrides = { mean?: [number, number, number]; std?: [number, number, number] };

describe('explain: the preprocessing overrides reach the explained input', function () {
  this.timeout(120_000);
  const client = useRuntime();
  const model = () => fixture(join(models, 'tiny_vit.onnx'));
  const explain = (overrides?: Overrides) => client.request('explain', { model: model(), image, method: 'occlusion', order: ['cpu'], class: 0, overrides });
  const classProb = async (overrides?: Overrides) => {
    const r = await client.request('classify', { model: model(), images: [image], topK: 1000, order: ['cpu'], overrides });
    const one = r.results[0];
    assert.ok(one.ok, 'classified');
    return one.top.find((t) => t.index === 0)!.prob;
  };

  it('mean 0, std 1: p(class) of the clear image is Classify\'s under the same overrides, not the default one', async () => {
    const raw: Overrides = { mean: [0, 0, 0], std: [1, 1, 1] };
    const [plain, over] = [await explain(), await explain(raw)];
    const [cPlain, cOver] = [await classProb(), await classProb(raw)];
    assert.ok(Math.abs(cPlain - cOver) > 1e-4, `the overrides change Classify's p(class 0): ${cPlain} vs ${cOver} (the check could not fail)`);
    assert.ok(Math.abs(over.prob - cOver) < 1e-5, `explain with overrides p=${over.prob}, classify p=${cOver}`);
    assert.ok(Math.abs(plain.prob - cPlain) < 1e-5, `explain without overrides p=${plain.prob}, classify p=${cPlain}`);
    assert.notDeepEqual(Array.from(over.map), Array.from(plain.map));
  });
});
