import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { biasFromTable, offsetOfRow, relativePositionIndex, relativePositionSteps, tableFromBias, tableRows } from '../../../src/core/swin';
import { readRelpos, relposDocument } from '../../../src/core/report/relpos';
import { main } from '../../../src/cli/main';
import { inspectModel } from '../../../src/core/arch/inspect';
import { throwsUserError } from '../helpers/assert';

const ROOT = path.join(__dirname, '..', '..', '..', '..');
const MODELS = path.join(ROOT, 'test', 'fixtures', 'models');
const ref = JSON.parse(fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'reference', 'relpos.json'), 'utf8')) as {
  models: Record<string, { model: string; window: [number, number]; relativePositionIndex: number[]; blocks: { name: string; heads: number; window: [number, number]; shift: [number, number]; table: number[][] }[] }>;
};

describe('swin/relpos: the relative position index, step by step', () => {
  it('builds coords → differences → +(M−1) → row × (2M−1) + column on M = 2', () => {
    const s = relativePositionSteps(2);
    assert.deepEqual(Array.from(s.coordsH), [0, 0, 1, 1]);
    assert.deepEqual(Array.from(s.coordsW), [0, 1, 0, 1]);
    // token 3 (1,1) against token 0 (0,0): Δ = (1, 1) → shifted (2, 2) → 2·3 + 2 = 8
    const k = 3 * 4 + 0;
    assert.deepEqual([s.deltaH[k], s.deltaW[k], s.shiftedH[k], s.shiftedW[k], s.rowPart[k], s.index[k]], [1, 1, 2, 2, 6, 8]);
    assert.deepEqual(Array.from(s.index), [4, 3, 1, 0, 5, 4, 2, 1, 7, 6, 4, 3, 8, 7, 5, 4]);
  });
  it('equals the official relative_position_index for M = 4, 7 and a 3×5 window', () => {
    for (const name of ['relpos_w4', 'relpos_w7', 'relpos_w3x5']) {
      const m = ref.models[name];
      assert.deepEqual(Array.from(relativePositionIndex(m.window[0], m.window[1])), m.relativePositionIndex, name);
    }
  });
  it('maps table rows back to offsets (Δh, Δw)', () => {
    assert.deepEqual(offsetOfRow(0, 7), { dh: -6, dw: -6 });
    assert.deepEqual(offsetOfRow(84, 7), { dh: 0, dw: 0 });
    assert.deepEqual(offsetOfRow(tableRows(3, 5) - 1, 3, 5), { dh: 2, dw: 4 });
  });
  it('inverts the gather: table → B → table, and rejects a constant whose repeats disagree', () => {
    const heads = 3;
    const table = Float32Array.from({ length: heads * tableRows(4, 6) }, (_, i) => Math.sin(i) * 3);
    const B = biasFromTable(table, heads, 4, 6);
    const back = tableFromBias(B, heads, 4, 6);
    assert.ok(back.ok);
    if (back.ok) assert.deepEqual(Array.from(back.table), Array.from(table));
    B[5] += 1e-3;
    const bad = tableFromBias(B, heads, 4, 6);
    assert.equal(bad.ok, false);
    throwsUserError(() => tableFromBias(new Float32Array(10), 2, 4), /2 heads and 16 tokens/);
  });
});

describe('swin/relpos: tables read from the model equal PyTorch\'s relative_position_bias_table', () => {
  for (const name of ['relpos_w4', 'relpos_w7', 'relpos_w3x5', 'relpos_w4_raw']) {
    it(`${name}: every block, every head (≤ 1e-6)`, () => {
      const m = ref.models[name];
      const r = readRelpos(path.join(MODELS, m.model));
      assert.equal(r.layers.length, m.blocks.length);
      r.layers.forEach((l, k) => {
        const b = m.blocks[k];
        assert.equal(l.name, b.name);
        assert.equal(l.status, 'ok', `${l.name}: ${l.message}`);
        assert.equal(l.message, null);
        assert.equal(l.source, name.endsWith('_raw') ? 'table' : 'folded');
        assert.deepEqual(l.window, b.window);
        assert.equal(l.heads, b.heads);
        assert.equal(l.shifted, b.shift.some((s) => s > 0) && !(name === 'relpos_w7' && l.stage === 2), `${l.name} shifted`);
        assert.equal(l.params, tableRows(b.window[0], b.window[1]) * b.heads);
        const R = tableRows(b.window[0], b.window[1]);
        let max = 0;
        for (let r = 0; r < R; r++) for (let h = 0; h < b.heads; h++) max = Math.max(max, Math.abs(l.table![h * R + r] - b.table[r][h]));
        assert.ok(max <= 1e-6, `${l.name}: max |diff| ${max}`);
      });
      const doc = relposDocument(r);
      const b0 = m.blocks[0];
      assert.equal(doc.layers[0].table!.length, b0.heads);
      assert.equal(doc.layers[0].table![1][7], Math.fround(b0.table[7][1]));
    });
  }
  it('a folded constant whose repeated entries disagree is "a constant added to the scores"', () => {
    const r = readRelpos(path.join(MODELS, 'relpos_disagree.onnx'));
    assert.equal(r.layers[0].status, 'not-relative');
    assert.match(r.layers[0].message!, /constant added to the scores/);
    assert.equal(r.layers[0].table, null);
    assert.equal(r.layers[1].status, 'ok');
  });
  it('a structure-only Swin-T: 12 blocks, windows 7×7, tables say the weights are missing', () => {
    const r = readRelpos(path.join(MODELS, 'swin_t.onnx'));
    assert.equal(r.layers.length, 12);
    assert.deepEqual(r.layers.map((l) => l.heads), [3, 3, 6, 6, 12, 12, 12, 12, 12, 12, 24, 24]);
    for (const l of r.layers) {
      assert.deepEqual(l.window, [7, 7]);
      assert.equal(l.status, 'missing-weights');
      assert.match(l.message!, /weights are missing/);
      assert.equal(l.params, 169 * l.heads);
    }
    assert.deepEqual(r.layers.map((l) => l.shifted), [false, true, false, true, false, true, false, true, false, true, false, false]);
  });
  it('a ViT has no Swin blocks: a clear message', () => {
    throwsUserError(() => readRelpos(path.join(MODELS, 'tiny_vit.onnx')), /no Swin window-attention blocks.*ViT/);
    throwsUserError(() => readRelpos(path.join(MODELS, 'resnet18.onnx')), /no Swin window-attention blocks/);
  });
});

describe('swin/relpos: vit-inspect relpos', () => {
  async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const o = process.stdout.write;
    const e = process.stderr.write;
    process.stdout.write = ((s: string) => (out.push(s), true)) as typeof process.stdout.write;
    process.stderr.write = ((s: string) => (err.push(s), true)) as typeof process.stderr.write;
    try {
      const code = await main(argv);
      return { code, out: out.join(''), err: err.join('') };
    } finally {
      process.stdout.write = o;
      process.stderr.write = e;
    }
  }
  it('--json: table[h][r] = relative_position_bias_table[r, h] for every block', async () => {
    const m = ref.models.relpos_w3x5;
    const r = await run(['relpos', path.join(MODELS, m.model), '--json']);
    assert.equal(r.code, 0, r.err);
    const doc = JSON.parse(r.out) as { layers: { name: string; heads: number; window: number[]; shifted: boolean; table: number[][] }[] };
    assert.deepEqual(doc.layers.map((l) => [l.name, l.heads, l.window, l.shifted]), m.blocks.map((b) => [b.name, b.heads, b.window, b.shift.some((s) => s > 0)]));
    doc.layers.forEach((l, k) => l.table.forEach((row, h) => row.forEach((v, rr) => assert.ok(Math.abs(v - m.blocks[k].table[rr][h]) <= 1e-6))));
  });
  it('a ViT: exit 2 with the message on stderr', async () => {
    const r = await run(['relpos', path.join(MODELS, 'tiny_vit.onnx')]);
    assert.equal(r.code, 2);
    assert.match(r.err, /no Swin window-attention blocks/);
  });
});

describe('swin/relpos: Swin V2\'s continuous position bias (tiny_swin_v2)', () => {
  it('shows the bias the model adds, 16·sigmoid(cpb_mlp(coords)), computed from the graph: equals PyTorch\'s (≤ 1e-4 of 16)', () => {
    const v2 = JSON.parse(fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'reference', 'tiny_swin_v2.json'), 'utf8')) as { blocks: { name: string; heads: number; window: [number, number]; bias: number[][] }[] };
    const r = readRelpos(path.join(MODELS, 'tiny_swin_v2.onnx'));
    assert.equal(r.layers.length, v2.blocks.length);
    r.layers.forEach((l, k) => {
      const b = v2.blocks[k];
      assert.equal(l.name, b.name);
      assert.equal(l.source, 'cpb');
      assert.equal(l.status, 'ok', l.message ?? '');
      const R = tableRows(b.window[0], b.window[1]);
      let max = 0;
      for (let rr = 0; rr < R; rr++) for (let h = 0; h < b.heads; h++) max = Math.max(max, Math.abs(l.table![h * R + rr] - b.bias[rr][h]));
      assert.ok(max <= 1e-4, `${l.name}: max |diff| ${max}`);
      assert.ok(Math.min(...l.table!) > 0 && Math.max(...l.table!) < 16, '16·sigmoid is in (0, 16)');
    });
  });
});

describe('swin/relpos: torchvision swin_v2_t, structure-only', () => {
  it('12 blocks with 8×8 windows; the CPB MLP\'s weights are missing, so the bias is not computed and says why', () => {
    const r = readRelpos(path.join(MODELS, 'swin_v2_t.onnx'));
    assert.deepEqual(r.layers.map((l) => l.heads), [3, 3, 6, 6, 12, 12, 12, 12, 12, 12, 24, 24]);
    for (const l of r.layers) {
      assert.deepEqual(l.window, [8, 8]);
      assert.equal(l.source, 'cpb');
      assert.equal(l.status, 'missing-weights');
      assert.match(l.message!, /continuous position bias: the weights of its MLP are missing/);
    }
  });
});

describe('swin/relpos: parameters of the folded bias', () => {
  it('counted as the (2Mh−1)(2Mw−1)·heads tables PyTorch holds, square and non-square windows alike', () => {
    for (const name of ['relpos_w4', 'relpos_w7', 'relpos_w3x5', 'relpos_w4_raw']) {
      assert.equal(inspectModel(path.join(MODELS, `${name}.onnx`)).params, (ref.models[name] as unknown as { params: number }).params, name);
    }
  });
});
