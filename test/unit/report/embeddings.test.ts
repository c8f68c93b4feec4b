import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { jacobiEigen, topEigenpairs, tridiagonalEigen } from '../../../src/core/vit/eigen';
import { embeddingsOfFile } from '../../../src/core/report/embeddings';
import { inspectModel } from '../../../src/core/arch/inspect';
import { componentTile, patchFilterComponents } from '../../../src/core/vit/patchFilters';
import { positionEmbeddingKind, positionSimilarity, sincos1d, sincos2d } from '../../../src/core/vit/positionEmbedding';
import { maxAbs } from '../helpers/maxAbs';

const models = resolve('test/fixtures/models');
interface EmbRef {
  model: string;
  positionTensor: string;
  extraRows: number;
  grid: [number, number];
  similarity: number[];
  filterTensor: string;
  filterDims: number[];
  explained: number[];
  components: number[][];
}
const ref = JSON.parse(readFileSync(resolve('test/fixtures/reference/vit_embeddings.json'), 'utf8')) as {
  embeddings: EmbRef[];
  sincos2d: { dim: number; grid: [number, number]; table: number[] };
  positionVariants: { model: string; grid: [number, number]; extraRows: number; kind: string; interpolatedFrom: [number, number] | null; similarity: number[] }[];
};

function rng(seed: number): () => number {
  let s = seed;
  return () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.5;
}

describe('position embeddings and patch-embedding filters (ViT paper, Figure 7)', () => {
  for (const r of ref.embeddings) {
    it(`${r.model}: similarity and filter components equal numpy on the same initializers (≤ 1e-5)`, () => {
      const doc = embeddingsOfFile(join(models, r.model));
      assert.ok(doc.positions, doc.notes.join(' '));
      assert.equal(doc.positions.tensor, r.positionTensor);
      assert.equal(doc.positions.extraRows, r.extraRows);
      assert.deepEqual(doc.positions.grid, r.grid);
      assert.equal(doc.positions.kind, 'learned');
      assert.equal(doc.positions.interpolatedFrom, null);
      assert.ok(maxAbs(doc.positions.similarity, r.similarity) <= 1e-5, `similarity off by ${maxAbs(doc.positions.similarity, r.similarity)}`);
      const f = doc.patchFilters;
      assert.ok(f, doc.notes.join(' '));
      assert.equal(f.tensor, r.filterTensor);
      assert.deepEqual([f.filters, f.channels, ...f.patch], r.filterDims);
      assert.equal(f.explained.length, r.explained.length);
      assert.ok(maxAbs(f.explained, r.explained) <= 1e-5, `explained off by ${maxAbs(f.explained, r.explained)}`);
      // Components equal numpy's rows of Vᵀ up to sign.
      r.components.forEach((v, i) => {
        let dot = 0;
        for (let t = 0; t < v.length; t++) dot += v[t] * f.components[i][t];
        assert.ok(Math.abs(Math.abs(dot) - 1) <= 1e-5, `component ${i}: |cos| = ${Math.abs(dot)}`);
      });
    });
  }

  it('the reference names both position-embedding variants (a lost one would drop its test silently)', () => {
    assert.deepEqual(ref.positionVariants.map((v) => v.model), ['tiny_sincos.onnx', 'tiny_interpolated.onnx']);
  });

  for (const v of ref.positionVariants) {
    it(`${v.model}: a ${v.interpolatedFrom ? 'run-time interpolated' : v.kind} position embedding is found, said, and its similarity equals numpy's on the PyTorch module (≤ 1e-5)`, () => {
      const doc = embeddingsOfFile(join(models, v.model));
      const p = doc.positions;
      assert.ok(p, doc.notes.join(' '));
      assert.deepEqual([p.grid, p.extraRows, p.kind, p.interpolatedFrom], [v.grid, v.extraRows, v.kind, v.interpolatedFrom]);
      assert.ok(maxAbs(p.similarity, v.similarity) <= 1e-5, `similarity off by ${maxAbs(p.similarity, v.similarity)}`);
      assert.match(doc.notes.join(' '), v.interpolatedFrom ? /stored for a 2×2 grid and interpolated to 4×4/ : /fixed sin-cos 2-D table, not learned/);
      // Detected as the one-block ViT it is (tools/make_vit_fixtures.py): the patch grid the model runs on, not the stored one.
      const r = inspectModel(join(models, v.model));
      assert.equal(r.family, 'vit');
      assert.deepEqual([r.config.imageSize, r.config.patchSize, r.config.embedDim, r.config.depths, r.config.heads, r.config.extraTokens, r.config.numClasses], [32, 8, 32, [1], [2], 1, 10]);
    });
  }

  it('a trained model (embedded fashion-vit) has the paper\'s structure: neighbours far more similar than the rest', () => {
    const doc = embeddingsOfFile(resolve('media/models/fashion-vit.onnx'));
    const p = doc.positions!;
    assert.deepEqual(p.grid, [7, 7]);
    const P = 49;
    let near = 0;
    let n = 0;
    let far = 0;
    let m = 0;
    for (let i = 0; i < P; i++)
      for (let j = 0; j < P; j++) {
        const d = Math.abs(Math.floor(i / 7) - Math.floor(j / 7)) + Math.abs((i % 7) - (j % 7));
        if (d === 1) {
          near += p.similarity[i * P + j];
          n++;
        } else if (d >= 4) {
          far += p.similarity[i * P + j];
          m++;
        }
      }
    assert.ok(near / n > 0.3 && far / m < 0.1, `neighbours ${near / n}, far ${far / m}`);
  });

  it('the MAE 2-D sin-cos table is recognised (and matches MAE\'s numpy code), a 1-D one too, random values are "learned"', () => {
    const s = ref.sincos2d;
    assert.ok(maxAbs(sincos2d(s.dim, s.grid), s.table) < 1e-9);
    const D = 16;
    const withCls = new Float64Array((1 + 9) * D);
    withCls.set(sincos2d(D, [3, 3]), D);
    assert.equal(positionEmbeddingKind(withCls, 10, D, 1, [3, 3]), 'sin-cos 2-D');
    assert.equal(positionEmbeddingKind(sincos1d(D, 10, true), 10, D, 1, [3, 3]), 'sin-cos 1-D');
    const r = rng(3);
    assert.equal(positionEmbeddingKind(Float64Array.from({ length: 10 * D }, r), 10, D, 1, [3, 3]), 'learned');
    // Similarity of a 2-D sin-cos table is highest for the nearest patches.
    const sim = positionSimilarity(withCls, 10, D, 1, [3, 3]);
    assert.ok(sim[4 * 9 + 5] > sim[4 * 9 + 8] && sim[0 * 9 + 1] > sim[0 * 9 + 2]);
  });

  it('Lanczos finds the same top 28 eigenpairs as Jacobi on a 150-filter × 192-value matrix', () => {
    const D = 150;
    const n = 192;
    const r = rng(7);
    const w = Float64Array.from({ length: D * n }, r);
    const pc = patchFilterComponents(w, [D, 3, 8, 8], 28);
    // Reference: Jacobi on XcᵀXc formed explicitly.
    const mean = new Float64Array(n);
    for (let f = 0; f < D; f++) for (let t = 0; t < n; t++) mean[t] += w[f * n + t] / D;
    const C = new Float64Array(n * n);
    let total = 0;
    for (let f = 0; f < D; f++)
      for (let i = 0; i < n; i++) {
        const xi = w[f * n + i] - mean[i];
        total += xi * xi;
        for (let j = 0; j < n; j++) C[i * n + j] += xi * (w[f * n + j] - mean[j]);
      }
    const ex = jacobiEigen(C, n);
    assert.ok(maxAbs(pc.explained, ex.values.slice(0, 28).map((v) => v / total)) < 1e-10);
    for (let i = 0; i < 28; i++) {
      let dot = 0;
      for (let t = 0; t < n; t++) dot += ex.vectors[i][t] * pc.components[i][t];
      assert.ok(Math.abs(Math.abs(dot) - 1) < 1e-5, `component ${i}`);
    }
  });

  it('tridiagonal QL agrees with Jacobi; Lanczos on the whole space is exact', () => {
    const m = 40;
    const r = rng(11);
    const d = Array.from({ length: m }, r);
    const e = Array.from({ length: m - 1 }, r);
    const T = new Float64Array(m * m);
    for (let i = 0; i < m; i++) T[i * m + i] = d[i];
    for (let i = 0; i < m - 1; i++) T[(i + 1) * m + i] = T[i * m + i + 1] = e[i];
    const ql = Array.from(tridiagonalEigen(d, e).values).sort((a, b) => b - a);
    assert.ok(maxAbs(ql, jacobiEigen(T, m).values) < 1e-12);
    // A PSD operator with a known spectrum 1, 1/2, …: all of it.
    const n = 30;
    const top = topEigenpairs((x, y) => x.forEach((v, i) => (y[i] = v / (i + 1))), n, n);
    assert.ok(maxAbs(top.values, Array.from({ length: n }, (_, i) => 1 / (i + 1))) < 1e-12);
  });

  it('component tiles are RGB p×p images spanning 0..255', () => {
    const t = componentTile([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 3, 2, 2);
    assert.equal(t.length, 16);
    assert.deepEqual(Array.from(t.subarray(0, 4)), [0, 93, 185, 255]);
    assert.deepEqual(Array.from(t.subarray(12, 16)), [70, 162, 255, 255]);
  });

  it('bad input: Swin has no position embedding (said, not an empty grid); ResNet is "other" and says so; weights absent are said', () => {
    const swin = embeddingsOfFile(join(models, 'tiny_swin.onnx'));
    assert.equal(swin.positions, null);
    assert.match(swin.notes.join(' '), /No absolute position embedding.*relative position bias/);
    assert.ok(swin.patchFilters);
    const resnet = embeddingsOfFile(join(models, 'resnet18.onnx'));
    assert.equal(resnet.family, 'other');
    assert.deepEqual([resnet.positions, resnet.patchFilters], [null, null]);
    assert.match(resnet.notes.join(' '), /No vision transformer/);
    const big = embeddingsOfFile(join(models, 'vit_b_16.onnx'));
    assert.deepEqual([big.positions, big.patchFilters], [null, null]);
    assert.match(big.notes.join(' '), /position embedding .* weights are missing \(its external data file vit_b_16\.onnx\.data is missing\)/);
    assert.match(big.notes.join(' '), /patch-embedding filters .* weights are missing/);
  });

  it('vit-inspect embeddings --json prints the document; a non-ONNX file exits 2 with a message', () => {
    const cli = resolve('dist/cli.js');
    const out = JSON.parse(execFileSync(process.execPath, [cli, 'embeddings', join(models, 'tiny_deit.onnx'), '--json'], { encoding: 'utf8' }));
    const want = embeddingsOfFile(join(models, 'tiny_deit.onnx'));
    assert.deepEqual(out.positions.grid, [4, 4]);
    assert.equal(out.positions.similarity.length, 256);
    assert.ok(maxAbs(out.patchFilters.explained, want.patchFilters!.explained) === 0);
    const bad = spawnSync(process.execPath, [cli, 'embeddings', resolve('test/fixtures/models/labels.txt')], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /not an \.onnx file/);
  });
});
