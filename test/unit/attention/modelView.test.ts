import assert from 'node:assert/strict';
import { layerMap, layerQueryMap, rolloutMap } from '../../../src/core/attention/document';
import type { CapturedLayer } from '../../../src/core/attention/maps';
import { canRollout, modelView, tokenAt } from '../../../src/core/attention/modelView';

/** A ViT-like capture: `depth` blocks of `heads` heads over a class token + g×g patches, rows softmax-normalised. */
function vitCapture(depth: number, heads: number, g: number, seed = 7): CapturedLayer[] {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const N = 1 + g * g;
  return Array.from({ length: depth }, (_, i) => {
    const data = new Float32Array(heads * N * N);
    for (let r = 0; r < heads * N; r++) {
      let sum = 0;
      for (let j = 0; j < N; j++) sum += data[r * N + j] = Math.exp(4 * rand());
      for (let j = 0; j < N; j++) data[r * N + j] /= sum;
    }
    return { name: `encoder.block${i}`, output: `attn${i}`, stage: 0, block: i, heads, tokens: N, window: null, shifted: false, shift: 0, grid: [g, g], cell: 8, extraTokens: 1, dims: [1, heads, N, N], data };
  });
}

const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i])));
const meanOf = (maps: ArrayLike<number>[]) => Float32Array.from(maps[0], (_, i) => maps.reduce((t, m) => t + m[i], 0) / maps.length);

describe('model view (layers × heads for one query)', () => {
  const layers = vitCapture(4, 3, 4);

  it('has one row per captured layer and one cell per head; uncaptured layers are left out', () => {
    const partial = layers.map((l, i) => (i === 2 ? { ...l, data: null } : l));
    const rows = modelView(partial, { kind: 'class' });
    assert.deepEqual(rows.map((r) => [r[0].layer, r.length]), [[0, 3], [1, 3], [3, 3]]);
    assert.equal(canRollout(partial), false);
    assert.throws(() => modelView(partial, { kind: 'rollout' }));
  });

  it('class token: each cell is that head alone, and the heads average to the layer’s mean map', () => {
    for (const row of modelView(layers, { kind: 'class' })) {
      const l = layers[row[0].layer];
      row.forEach((c) => assert.ok(maxAbs(c.map, layerMap(l, c.head)) < 1e-7));
      assert.ok(maxAbs(meanOf(row.map((c) => c.map)), layerMap(l, 'mean')) < 1e-6);
    }
  });

  it('patch: the pixel position picks the token of each layer’s grid; cells are that query’s row per head', () => {
    assert.deepEqual(tokenAt(layers[0], 20, 9), [1, 2]);
    assert.deepEqual(tokenAt(layers[0], 1e6, -3), [0, 3]);
    for (const row of modelView(layers, { kind: 'patch', x: 20, y: 9 })) for (const c of row) assert.ok(maxAbs(c.map, layerQueryMap(layers[c.layer], 1, 2, c.head)) < 1e-7);
  });

  it('rollout: the heads of block l average to the rollout through blocks 0..l (Â is linear in the fused heads)', () => {
    const rows = modelView(layers, { kind: 'rollout' });
    rows.forEach((row, l) => {
      const d = maxAbs(meanOf(row.map((c) => c.map)), rolloutMap(layers.slice(0, l + 1))!);
      assert.ok(d < 1e-6, `block ${l}: max |Δ| = ${d}`);
    });
    // and a head alone differs from the mean (the check can fail)
    assert.ok(maxAbs(rows[3][0].map, rolloutMap(layers)!) > 1e-4);
  });
});
