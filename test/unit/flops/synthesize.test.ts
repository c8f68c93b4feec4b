import assert from 'node:assert/strict';
import type * as ortType from 'onnxruntime-node';
import { isUserError } from '../../../src/core/errors';
import { analyzeGraph } from '../../../src/core/arch/analysis';
import {
  attentionLayerMacs,
  randomInput,
  synthesizeAttentionLayer,
  type AttentionLayerGeometry,
  type AttentionLayerParams,
  type AttentionLayerWeights,
} from '../../../src/core/flops/synthesize';
import { omegaMsa, omegaWmsa } from '../../../src/core/flops/complexity';
import { countGraphMacs } from '../../../src/core/flops/graph';
import { readModelFromBytes } from '../../../src/core/onnx/reader';
import { inferShapes } from '../../../src/core/onnx/shapes';
import { modelToBytes } from '../../../src/core/onnx/writer';

const ort: typeof ortType = require('onnxruntime-node');

const mod = (a: number, n: number): number => ((a % n) + n) % n;

/** Which of Swin's three mask bands a row (or column) of the shifted, padded map is in: slices (0,−M), (−M,−s), (−s,None). */
const band = (i: number, L: number, M: number, s: number): number => (i < L - M ? 0 : i < L - s ? 1 : 2);

/**
 * The layer in plain loops, written from the official SwinTransformerBlock / WindowAttention, not
 * from the graph: window slot (p, q) of window (a, b) of the padded map rolled by −s holds padded
 * position ((aM + p + s) mod Hp, (bM + q + s) mod Wp) (zeros beyond h×w), and its output goes back
 * there. The SW-MSA mask is rebuilt here from the region bands; only the random weights are shared.
 */
function referenceAttention(x: Float32Array, g: AttentionLayerGeometry, wt: AttentionLayerWeights): Float64Array {
  const { h, w, dim: C, heads, headDim: d } = g;
  const M = g.window;
  const [Hp, Wp] = g.padded;
  const s = g.shift;
  const N = g.tokens;
  const out = new Float64Array(h * w * C);
  const cols = M === null ? 1 : Wp / M;
  for (let win = 0; win < g.numWindows; win++) {
    // The tokens of this window: padded-map position of each slot (or the token index for MSA).
    const pos: { r: number; c: number; rolled: [number, number] }[] = [];
    for (let n = 0; n < N; n++) {
      if (M === null) pos.push({ r: Math.floor(n / w), c: n % w, rolled: [0, 0] });
      else {
        const R = Math.floor(win / cols) * M + Math.floor(n / M);
        const Cc = (win % cols) * M + (n % M);
        pos.push({ r: mod(R + s, Hp), c: mod(Cc + s, Wp), rolled: [R, Cc] });
      }
    }
    const tok = pos.map(({ r, c }) => (r < h && c < w ? x.subarray((r * w + c) * C, (r * w + c + 1) * C) : new Float32Array(C)));
    // qkv = x·W + b, [N, 3C]
    const qkv = tok.map((t) => {
      const o = new Float64Array(3 * C);
      for (let j = 0; j < 3 * C; j++) {
        let acc = wt.qkvBias[j];
        for (let i = 0; i < C; i++) acc += t[i] * wt.qkvWeight[i * 3 * C + j];
        o[j] = acc;
      }
      return o;
    });
    const merged = Array.from({ length: N }, () => new Float64Array(C));
    for (let hd = 0; hd < heads; hd++) {
      for (let i = 0; i < N; i++) {
        const scores = new Float64Array(N);
        for (let j = 0; j < N; j++) {
          let dot = 0;
          for (let k = 0; k < d; k++) dot += qkv[i][hd * d + k] * qkv[j][C + hd * d + k];
          let sc = dot / Math.sqrt(d);
          if (wt.positionBias) sc += wt.positionBias[(hd * N + i) * N + j];
          if (M !== null && s > 0) {
            const ri = band(pos[i].rolled[0], Hp, M, s) * 3 + band(pos[i].rolled[1], Wp, M, s);
            const rj = band(pos[j].rolled[0], Hp, M, s) * 3 + band(pos[j].rolled[1], Wp, M, s);
            if (ri !== rj) sc += -100;
          }
          scores[j] = sc;
        }
        const mx = Math.max(...scores);
        let sum = 0;
        for (let j = 0; j < N; j++) sum += (scores[j] = Math.exp(scores[j] - mx));
        for (let k = 0; k < d; k++) {
          let acc = 0;
          for (let j = 0; j < N; j++) acc += (scores[j] / sum) * qkv[j][2 * C + hd * d + k];
          merged[i][hd * d + k] = acc;
        }
      }
    }
    for (let n = 0; n < N; n++) {
      const { r, c } = pos[n];
      if (r >= h || c >= w) continue; // padding: cropped away
      for (let j = 0; j < C; j++) {
        let acc = wt.projBias[j];
        for (let i = 0; i < C; i++) acc += merged[n][i] * wt.projWeight[i * C + j];
        out[(r * w + c) * C + j] = acc;
      }
    }
  }
  return out;
}

async function runLayer(bytes: Uint8Array, x: Float32Array, dims: number[]): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], logSeverityLevel: 3 });
  try {
    const r = await session.run({ x: new ort.Tensor('float32', x, dims) });
    assert.deepEqual(r.y.dims, dims);
    return r.y.data as Float32Array;
  } finally {
    await session.release();
  }
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

type Case = Pick<AttentionLayerParams, 'h' | 'w' | 'dim' | 'heads' | 'window' | 'shifted'>;

async function checkAgainstReference(c: Case): Promise<{ y: Float32Array; layer: ReturnType<typeof synthesizeAttentionLayer> }> {
  const layer = synthesizeAttentionLayer(c);
  const x = randomInput(c.h * c.w * c.dim, 11);
  const y = await runLayer(modelToBytes(layer.model), x, [1, c.h * c.w, c.dim]);
  const ref = referenceAttention(x, layer.geometry, layer.weights);
  const err = maxAbsDiff(y, ref);
  assert.ok(err <= 1e-4, `max |onnx − reference| = ${err}`);
  // The comparison is not vacuous: the output has the size of the input and is not flat.
  assert.ok(maxAbsDiff(ref, new Float64Array(ref.length)) > 0.05);
  return { y, layer };
}

const label = (c: Case): string => `${c.window === null ? 'MSA' : c.shifted ? 'SW-MSA' : 'W-MSA'} ${c.h}×${c.w} C${c.dim} ${c.heads} heads${c.window ? ` M${c.window}` : ''}`;

describe('synthesised attention layer (ONNX) against a plain-loop reference', function () {
  this.timeout(60_000);
  const cases: Case[] = [
    { h: 8, w: 8, dim: 16, heads: 2, window: null, shifted: false },
    { h: 5, w: 7, dim: 12, heads: 3, window: null, shifted: false },
    { h: 8, w: 8, dim: 16, heads: 2, window: 4, shifted: false },
    { h: 10, w: 10, dim: 16, heads: 2, window: 4, shifted: false },
    { h: 7, w: 10, dim: 16, heads: 2, window: 4, shifted: false },
    { h: 8, w: 8, dim: 16, heads: 2, window: 4, shifted: true },
    { h: 10, w: 10, dim: 16, heads: 2, window: 4, shifted: true },
    { h: 7, w: 10, dim: 16, heads: 2, window: 4, shifted: true },
    { h: 9, w: 9, dim: 8, heads: 2, window: 3, shifted: true },
  ];
  for (const c of cases) it(`${label(c)} agrees within 1e-4`, async () => void (await checkAgainstReference(c)));

  it('SW-MSA uses shift ⌊M/2⌋, its mask is the −100 region mask, and its output differs from W-MSA', async () => {
    const plain = await checkAgainstReference({ h: 10, w: 10, dim: 16, heads: 2, window: 4, shifted: false });
    const shifted = await checkAgainstReference({ h: 10, w: 10, dim: 16, heads: 2, window: 4, shifted: true });
    assert.equal(shifted.layer.geometry.shift, 2);
    assert.deepEqual(shifted.layer.geometry.padded, [12, 12]);
    assert.equal(shifted.layer.geometry.numWindows, 9);
    assert.deepEqual(shifted.layer.weights.positionBias, plain.layer.weights.positionBias); // same weights: only shift and mask differ
    const mask = shifted.layer.weights.mask!;
    assert.equal(mask.length, 9 * 16 * 16);
    assert.deepEqual([...new Set(mask)].sort((a, b) => a - b), [-100, 0]);
    assert.ok(mask.subarray(0, 256).every((v) => v === 0), 'the top-left window holds one region');
    assert.ok(maxAbsDiff(plain.y, shifted.y) > 1e-2);
    assert.ok(shifted.layer.model.graph.nodes.some((n) => n.opType === 'Concat'), 'cyclic shift present');
    assert.ok(shifted.layer.model.graph.nodes.some((n) => n.opType === 'Pad'), 'padding present');
  });

  it('a window covering the map has no shift and no mask: SW-MSA equals W-MSA', async () => {
    const w = await checkAgainstReference({ h: 4, w: 6, dim: 8, heads: 2, window: 4, shifted: false });
    const sw = await checkAgainstReference({ h: 4, w: 6, dim: 8, heads: 2, window: 4, shifted: true });
    assert.equal(sw.layer.geometry.shift, 0);
    assert.equal(sw.layer.weights.mask, null);
    assert.deepEqual(sw.y, w.y);
  });
});

describe('attention layer MACs and the memory guard', () => {
  it('MatMul MACs equal Ω(MSA) and Ω(W-MSA) on the padded map', () => {
    assert.equal(attentionLayerMacs({ h: 56, w: 56, dim: 96, heads: 3, window: null }), omegaMsa(56, 56, 96));
    assert.equal(attentionLayerMacs({ h: 56, w: 56, dim: 96, heads: 3, window: 7 }), omegaWmsa(56, 56, 96, 7));
    assert.equal(attentionLayerMacs({ h: 56, w: 56, dim: 96, heads: 3, window: 7, shifted: true }), omegaWmsa(56, 56, 96, 7));
    // Padded: 10×10 with M 4 runs on 12×12; 7×10 on 8×12.
    assert.equal(attentionLayerMacs({ h: 10, w: 10, dim: 16, heads: 2, window: 4 }), omegaWmsa(10, 10, 16, 4));
    assert.equal(omegaWmsa(10, 10, 16, 4), 4 * 144 * 256 + 2 * 16 * 144 * 16);
    assert.equal(attentionLayerMacs({ h: 7, w: 10, dim: 16, heads: 2, window: 4 }), 4 * 96 * 256 + 2 * 16 * 96 * 16);
    assert.equal(attentionLayerMacs({ h: 7, w: 10, dim: 16, heads: 2, window: null }), omegaMsa(7, 10, 16));
    // Swin-T stage 1: 4hwC² + 2M²hwC = 115.6M + 57.8M.
    assert.equal(omegaWmsa(56, 56, 96, 7), 4 * 3136 * 96 * 96 + 2 * 49 * 3136 * 96);
  });

  it('the graph counter finds the same MACs in the synthesised graph', () => {
    for (const c of [
      { h: 14, w: 14, dim: 32, heads: 4, window: null, shifted: false },
      { h: 14, w: 14, dim: 32, heads: 4, window: 7, shifted: true },
      { h: 10, w: 13, dim: 24, heads: 3, window: 4, shifted: true },
    ]) {
      const layer = synthesizeAttentionLayer(c);
      const model = readModelFromBytes(modelToBytes(layer.model));
      const counted = countGraphMacs(analyzeGraph(model, inferShapes(model)));
      assert.equal(counted.macs, layer.macs, label(c));
      assert.equal(layer.macs, attentionLayerMacs(c));
    }
  });

  it('refuses a 10⁴×10⁴ global map with a UserError saying how much memory and what to do', () => {
    assert.throws(
      () => synthesizeAttentionLayer({ h: 10_000, w: 10_000, dim: 96, heads: 3, window: null, shifted: false }),
      (e: unknown) => isUserError(e) && /would need about [\d,.]+ GB; pick a smaller map or window/.test((e as Error).message),
    );
  });

  it('honours a lower limit, and accepts Swin-T stage 1 global MSA under the default', () => {
    const big = { h: 56, w: 56, dim: 96, heads: 3, window: null, shifted: false };
    assert.ok(synthesizeAttentionLayer(big).peakBytes < 2 * 1024 ** 3);
    assert.throws(() => synthesizeAttentionLayer({ ...big, maxBytes: 100 * 1024 ** 2 }), (e: unknown) => isUserError(e) && /about 0\.\d GB/.test((e as Error).message));
    assert.doesNotThrow(() => synthesizeAttentionLayer({ ...big, window: 7, maxBytes: 100 * 1024 ** 2 }));
  });

  it('refuses bad geometry with UserErrors', () => {
    const base = { h: 8, w: 8, dim: 16, heads: 2, window: 4, shifted: false };
    for (const bad of [{ heads: 3 }, { window: 9 }, { window: 0 }, { window: 2.5 }, { h: -1 }, { dim: 0 }]) {
      assert.throws(() => synthesizeAttentionLayer({ ...base, ...bad }), (e: unknown) => isUserError(e), JSON.stringify(bad));
    }
  });
});
