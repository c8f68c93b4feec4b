import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { CapturedLayer } from '../../../src/core/attention/maps';
import { DistanceAverage, attentionDistances, meanAttentionDistance } from '../../../src/core/attention/distance';

interface RefImage {
  image: string;
  attention: { shape: number[]; data: number[] }[];
}
const refDir = resolve('test/fixtures/reference');
const load = <T>(name: string): T => JSON.parse(readFileSync(`${refDir}/${name}.json`, 'utf8')) as T;
const want = load<{ distance: Record<string, { image: string; layers: number[][] }[]> }>('vit_embeddings').distance;

function vitLayers(model: string, extra: number): CapturedLayer[][] {
  const r = load<{ images: RefImage[] }>(model);
  return r.images.map((img) =>
    img.attention.map((a, i) => {
      const N = a.shape[a.shape.length - 1];
      const heads = a.shape.length === 3 ? a.shape[0] : a.shape[1];
      return { name: `encoder.block${i}`, output: '', stage: 0, block: i, heads, tokens: N, window: null, shifted: false, shift: 0, grid: [4, 4], cell: 8, extraTokens: extra, dims: [1, heads, N, N], data: Float32Array.from(a.data) };
    }),
  );
}

function swinLayers(): CapturedLayer[][] {
  const r = load<{ images: RefImage[]; blocks: { stage: number; block: number; grid: [number, number]; window: number; shift: number; windows: number; heads: number }[] }>('tiny_swin');
  return r.images.map((img) =>
    img.attention.map((a, i) => {
      const b = r.blocks[i];
      const N = b.window * b.window;
      return { name: `stage${b.stage + 1}.block${b.block}`, output: '', stage: b.stage, block: b.block, heads: b.heads, tokens: N, window: b.window, shifted: b.shift > 0, shift: b.shift, grid: b.grid, cell: 2 * 2 ** b.stage, extraTokens: 0, dims: [b.windows, b.heads, N, N], data: Float32Array.from(a.data) };
    }),
  );
}

function assertClose(got: number[][], exp: number[][], what: string): void {
  assert.equal(got.length, exp.length, what);
  got.forEach((l, i) =>
    l.forEach((v, h) => {
      const rel = Math.abs(v - exp[i][h]) / Math.abs(exp[i][h]);
      assert.ok(rel <= 1e-4, `${what} layer ${i} head ${h}: ${v} vs PyTorch ${exp[i][h]} (relative ${rel})`);
    }),
  );
}

describe('mean attention distance (ViT paper, Figure 7 right)', () => {
  const cases: [string, number][] = [
    ['tiny_vit', 1],
    ['tiny_deit', 2],
    ['tiny_registers', 5],
    ['tiny_hybrid', 1],
  ];
  for (const [model, extra] of cases) {
    it(`${model}: per layer and head equal to the PyTorch reference (≤ 1e-4 relative)`, () => {
      vitLayers(model, extra).forEach((layers, k) => assertClose(attentionDistances(layers).map((l) => l.heads), want[model][k].layers, `${model} ${want[model][k].image}`));
    });
  }
  it('tiny_swin: within windows, positions after undoing the shift, equal to PyTorch (torch.roll + partition)', () => {
    swinLayers().forEach((layers, k) => assertClose(layers.map(meanAttentionDistance), want.tiny_swin[k].layers, `tiny_swin ${want.tiny_swin[k].image}`));
  });

  it('uniform attention over a 4×4 grid gives the mean pairwise centre distance × patch size; the class token is left out', () => {
    const N = 17;
    const data = new Float32Array(N * N);
    // Every query gives half its attention to the class token: renormalising over patches removes it.
    for (let q = 0; q < N; q++) for (let k = 0; k < N; k++) data[q * N + k] = k === 0 ? 0.5 : 0.5 / 16;
    const l: CapturedLayer = { name: 'b', output: '', stage: 0, block: 0, heads: 1, tokens: N, window: null, shifted: false, shift: 0, grid: [4, 4], cell: 16, extraTokens: 1, dims: [1, 1, N, N], data };
    let s = 0;
    for (let a = 0; a < 16; a++) for (let b = 0; b < 16; b++) s += Math.hypot(Math.floor(a / 4) - Math.floor(b / 4), (a % 4) - (b % 4));
    assert.ok(Math.abs(meanAttentionDistance(l)[0] - (s / 256) * 16) < 1e-5);
    // Attention only to itself: distance 0.
    const self = new Float32Array(N * N);
    for (let q = 0; q < N; q++) self[q * N + q] = 1;
    assert.deepEqual(meanAttentionDistance({ ...l, data: self }), [0]);
  });

  it('the folder average is the mean over images', () => {
    const avg = new DistanceAverage();
    avg.add([{ name: 'a', heads: [1, 2] }]);
    avg.add([{ name: 'a', heads: [3, 6] }]);
    assert.deepEqual(avg.mean(), [{ name: 'a', heads: [2, 4] }]);
    assert.equal(avg.images, 2);
  });
});
