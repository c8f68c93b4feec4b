import assert from 'node:assert/strict';
import { join } from 'node:path';
import { inspectModel } from '../../../src/core/arch/inspect';
import { compareDocument, latencyRows, latencySchedule, omegaAt, parseResolutions } from '../../../src/core/compare/document';
import { omegaMsa, omegaWmsa } from '../../../src/core/flops/complexity';

const root = join(__dirname, '..', '..', '..', '..');
const model = (n: string) => join(root, 'media', 'models', `${n}.onnx`);

describe('compare: the comparison document', () => {
  const vit = inspectModel(model('fashion-vit'));
  const swin = inspectModel(model('fashion-swin'));
  const doc = compareDocument([{ name: 'vit', arch: vit }, { name: 'swin', arch: swin }]);

  it("params and MACs are each model's arch; the role groups add up to its MACs", () => {
    assert.equal(doc.models[0].params, 307082);
    assert.equal(doc.models[1].params, 238430);
    for (const [m, a] of [[doc.models[0], vit], [doc.models[1], swin]] as const) {
      assert.equal(m.params, a.params);
      assert.equal(m.macs, a.macs);
      assert.equal(Object.values(m.byRole).reduce((x, y) => x + y, 0), a.macs);
      assert.equal(m.byRole.attention, a.byRole.qkv + a.byRole.attnScores + a.byRole.attnValues + a.byRole.attnProj);
    }
    assert.equal(doc.models[1].byRole.merge, 401408, 'Swin: patch merging');
    assert.equal(doc.models[0].byRole.merge, 0, 'ViT merges nothing');
  });

  it("MACs per stage are the stage modules of the tree: Swin's two stages, ViT's one encoder", () => {
    assert.deepEqual(doc.models[1].stages.map((s) => s.macs), [6046208, 10863104]);
    assert.deepEqual(doc.models[0].stages.map((s) => s.macs), [16665600]);
    const swinSum = doc.models[1].stages.reduce((a, s) => a + s.macs!, 0);
    assert.equal(swinSum + swin.byRole.patchEmbed + swin.byRole.merge + swin.byRole.head, swin.macs);
  });

  it('Ω at the model\'s own size is the arch stages\'; at 2× the tokens double per side', () => {
    assert.deepEqual(doc.resolutions, [28, 56]);
    const own = omegaAt(doc.models[1], 28);
    assert.deepEqual(own.map((s) => s.msaMacs), [3261440, 1110144]);
    assert.deepEqual(own.map((s) => s.wmsaMacs), [1417472, 1110144]);
    const big = omegaAt(doc.models[1], 56);
    assert.deepEqual(big[0].tokens, [28, 28]);
    assert.equal(big[0].msaMacs, omegaMsa(28, 28, 32));
    assert.equal(big[0].wmsaMacs, omegaWmsa(28, 28, 32, 7));
    assert.equal(omegaAt(doc.models[0], 56)[0].wmsaMacs, null, 'global attention has no W-MSA');
    assert.equal(doc.omega.length, 4);
  });

  it('resolutions as typed; latency medians and ratios to the first model', () => {
    assert.deepEqual(parseResolutions('224, 384 224;512'), [224, 384, 512]);
    assert.equal(parseResolutions('224, x'), null);
    assert.equal(parseResolutions(''), null);
    assert.equal(parseResolutions('0'), null);
    const rows = latencyRows([{ model: 'a', ep: 'cpu', ms: [3, 1, 2] }, { model: 'b', ep: 'cpu', ms: [4, 8, 6, 2] }]);
    assert.deepEqual(rows.map((r) => [r.msPerImage, r.runs, r.ratio]), [[2, 3, 1], [5, 4, 2.5]]);
  });

  it('latency alternates the models: each once per round, a different one first each round', () => {
    assert.deepEqual(latencySchedule(2, 3), [[0, 1], [1, 0], [0, 1]]);
    const s = latencySchedule(3, 6);
    for (const round of s) assert.deepEqual([...round].sort(), [0, 1, 2]);
    assert.deepEqual(s.map((r) => r[0]), [0, 1, 2, 0, 1, 2], 'every model leads equally often');
    assert.deepEqual(latencySchedule(2, 1), [[0, 1]]);
  });
});
