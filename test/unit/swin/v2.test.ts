import assert from 'node:assert/strict';
import * as path from 'node:path';
import { analyzeGraph } from '../../../src/core/arch/analysis';
import { detectArchitecture } from '../../../src/core/arch/detect';
import { countParams } from '../../../src/core/arch/parameters';
import { countGraphMacs } from '../../../src/core/flops/graph';
import { readModel } from '../../../src/core/onnx/reader';
import { inferShapes } from '../../../src/core/onnx/shapes';
import { cpbCoordsTables, hasContinuousPositionBias, hasCosineScale } from '../../../src/core/swin/v2';

const MODELS = path.join(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'models');
const analyse = (n: string) => {
  const m = readModel(path.join(MODELS, `${n}.onnx`));
  return analyzeGraph(m, inferShapes(m));
};

describe('swin/v2: Swin V2 read from the graph (scaled cosine attention, continuous position bias)', () => {
  it('swin_v2_t: every block has the per-head exp(logit_scale) and the CPB; family "swin-v2"', () => {
    const a = analyse('swin_v2_t');
    assert.equal(a.attentions.length, 12);
    assert.ok(a.attentions.every((at) => hasCosineScale(a, at) && hasContinuousPositionBias(a, at)));
    assert.equal(detectArchitecture(a).family, 'swin-v2');
  });

  it('Swin V1 (tiny_swin, swin_t) has neither: family "swin"', () => {
    for (const n of ['tiny_swin', 'swin_t']) {
      const a = analyse(n);
      assert.ok(a.attentions.every((at) => !hasCosineScale(a, at) && !hasContinuousPositionBias(a, at)), n);
      assert.equal(detectArchitecture(a).family, 'swin', n);
      assert.equal(cpbCoordsTables(a).size, 0, n);
    }
  });

  it('the relative_coords_table buffer [1, 2M−1, 2M−1, 2] is excluded from params; the CPB MLP weights are counted', () => {
    for (const [n, M] of [['swin_v2_t', 8], ['tiny_swin_v2', 4]] as const) {
      const a = analyse(n);
      const tables = [...cpbCoordsTables(a)];
      assert.deepEqual(tables.map((t) => a.initializers.get(t)!.dims), [[1, 2 * M - 1, 2 * M - 1, 2]], n);
      const p = countParams(a);
      assert.ok(p.excluded.some((x) => x.name === tables[0] && /relative_coords_table/.test(x.reason)), n);
      assert.ok([...p.perTensor.keys()].some((k) => /cpb_mlp\.0\.bias/.test(k)), n);
    }
  });

  it('swin_v2_t at 256²: the CPB MLP (2 → 512 → heads on (2M−1)² = 225 coordinates per block) is in the graph MACs', () => {
    const a = analyse('swin_v2_t');
    const c = countGraphMacs(a);
    let cpb = 0;
    a.nodes.forEach((n, i) => {
      if (/cpb_mlp/.test(n.name)) cpb += c.nodes[i].macs;
    });
    const heads = [3, 3, 6, 6, 12, 12, 12, 12, 12, 12, 24, 24];
    assert.equal(cpb, heads.reduce((s, h) => s + 225 * (2 * 512 + 512 * h), 0));
    assert.equal(cpb, 18662400);
    assert.equal(c.macs, 5939690496);
    assert.equal(c.uncounted.length, 0);
  });
});
