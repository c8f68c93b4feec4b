import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { analyzeGraph } from '../../src/core/arch/analysis';
import { countParams, detectArchitecture } from '../../src/core/arch/detect';
import type { OnnxModel } from '../../src/core/onnx/model';
import { readModel } from '../../src/core/onnx/reader';
import { inferShapes } from '../../src/core/onnx/shapes';
import { writeModel } from '../../src/core/onnx/writer';

const MODELS = path.resolve(process.cwd(), 'test/fixtures/models');

interface Expected {
  family: string;
  params: number;
  config: Record<string, unknown>;
}

function expectedFixtures(): string[] {
  return fs
    .readdirSync(MODELS)
    .filter((f) => f.endsWith('.expected.json'))
    .map((f) => f.replace('.expected.json', ''))
    .filter((n) => fs.existsSync(path.join(MODELS, `${n}.onnx`)))
    .sort();
}

function detect(m: OnnxModel) {
  const a = analyzeGraph(m, inferShapes(m));
  return { det: detectArchitecture(a), params: countParams(a) };
}

describe('arch detection: family, config and params of every fixture', () => {
  const names = expectedFixtures();

  it('has the fixtures the issue names', () => {
    for (const n of ['vit_b_16', 'vit_b_32', 'vit_l_16', 'swin_t', 'swin_s', 'swin_b', 'deit_s_distilled', 'tiny_vit', 'tiny_swin', 'tiny_deit', 'dynamic_vit']) {
      assert.ok(names.includes(n), `missing fixture ${n}`);
    }
  });

  for (const name of names) {
    it(`${name}: family, params (exactly PyTorch's count) and config`, () => {
      const exp = JSON.parse(fs.readFileSync(path.join(MODELS, `${name}.expected.json`), 'utf8')) as Expected;
      const { det, params } = detect(readModel(path.join(MODELS, `${name}.onnx`)));
      assert.equal(det.family, exp.family);
      assert.equal(params.params, exp.params, `params: ${JSON.stringify(params.adjusted.slice(0, 3))}`);
      const got = Object.fromEntries(Object.keys(exp.config).map((k) => [k, (det.config as unknown as Record<string, unknown>)[k]]));
      assert.deepEqual(got, exp.config);
    });
  }

  it('Swin-T: stages with their token grids, windows and shifted blocks; the bias tables counted as (2M−1)²·heads', () => {
    const { det, params } = detect(readModel(path.join(MODELS, 'swin_t.onnx')));
    assert.deepEqual(
      det.stages.map((s) => [s.tokens, s.dim, s.heads, s.depth, s.window, s.blocks.filter((b) => b.shifted).length]),
      [
        [[56, 56], 96, 3, 2, 7, 1],
        [[28, 28], 192, 6, 2, 7, 1],
        [[14, 14], 384, 12, 6, 7, 3],
        [[7, 7], 768, 24, 2, 7, 0],
      ],
    );
    // Stage 4 is 7×7 with window 7: torchvision drops the shift there.
    assert.deepEqual(det.stages[0].blocks.map((b) => b.shift), [0, 3]);
    const rel = params.adjusted.filter((x) => /relative position/.test(x.reason));
    assert.equal(rel.length, 12);
    assert.deepEqual(rel.slice(0, 2).map((x) => [x.elements, x.counted]), [
      [3 * 49 * 49, 169 * 3],
      [3 * 49 * 49, 169 * 3],
    ]);
  });

  it('ResNet-18 is "other", with PyTorch\'s parameter count despite the exporter folding BatchNorm into the convolutions', function () {
    const f = path.join(MODELS, 'resnet18.onnx');
    if (!fs.existsSync(f)) this.skip();
    const { det, params } = detect(readModel(f));
    assert.equal(det.family, 'other');
    assert.equal(params.params, 11689512);
    assert.equal(det.config.numClasses, 1000);
  });

  it('does not read node or tensor names: an anonymised model is detected the same', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vit-anon-'));
    try {
      for (const name of ['tiny_swin', 'tiny_deit', 'vit_b_16']) {
        const m = readModel(path.join(MODELS, `${name}.onnx`));
        const rename = new Map<string, string>();
        const keep = new Set([...m.graph.inputs, ...m.graph.outputs].map((v) => v.name));
        const nm = (x: string): string => {
          if (!x || keep.has(x)) return x;
          let r = rename.get(x);
          if (!r) rename.set(x, (r = `t${rename.size}`));
          return r;
        };
        const anon: OnnxModel = {
          ...m,
          graph: {
            ...m.graph,
            nodes: m.graph.nodes.map((n, i) => ({ ...n, span: undefined, name: `n${i}`, inputs: n.inputs.map(nm), outputs: n.outputs.map(nm) })),
            initializers: m.graph.initializers.map((t) => ({ ...t, span: undefined, name: nm(t.name) })),
            valueInfo: [],
          },
        };
        const file = path.join(dir, `${name}.onnx`);
        writeModel(anon, file);
        const back = readModel(file);
        assert.ok(back.graph.nodes.every((n) => /^n\d+$/.test(n.name)));
        const a = detect(readModel(path.join(MODELS, `${name}.onnx`)));
        const b = detect(back);
        assert.equal(b.det.family, a.det.family, name);
        assert.deepEqual(b.det.config, a.det.config, name);
        assert.equal(b.params.params, a.params.params, name);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
