import assert from 'node:assert/strict';
import { closeSync, copyFileSync, existsSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { isUserError } from '../../src/core/errors';
import {
  attentionRollout,
  classTokenAttention,
  fuseHeads,
  maxRowSumError,
  queryPatchAttention,
  receivedAttention,
  windowGeometry,
  windowQueryAttention,
  windowReceivedAttention,
  type AttentionTensor,
} from '../../src/core/inference/attention';
import { attentionDocument, layerMap, rolloutMap, stageMaps, type CapturedLayer } from '../../src/core/inference/attentionMaps';
import { GraphBuilder, makeTensor } from '../../src/core/onnx/builder';
import type { OnnxModel, OnnxNode, TensorInfo, ValueInfo } from '../../src/core/onnx/model';
import { DataType } from '../../src/core/onnx/proto';
import { readModel } from '../../src/core/onnx/reader';
import { writeModel } from '../../src/core/onnx/writer';
import { chooseLayers, planCapture } from '../../src/core/inference/capture';
import { RuntimeClient } from '../../src/runtime/client';

const fixtures = resolve('test/fixtures');
const models = join(fixtures, 'models');
const script = resolve('dist/runtime.js');

interface RefImage {
  image: string;
  logits: number[];
  attention: { shape: number[]; data: number[] }[];
  rollout?: number[];
}
interface Reference {
  family: 'vit' | 'swin';
  images: RefImage[];
  blocks?: { stage: number; block: number; grid: [number, number]; window: number; shift: number; windows: number; heads: number }[];
}

const refs = new Map<string, Reference>();
function reference(name: string): Reference {
  let r = refs.get(name);
  if (!r) refs.set(name, (r = JSON.parse(readFileSync(join(fixtures, 'reference', `${name}.json`), 'utf8')) as Reference));
  return r;
}
const haveRef = (name: string): boolean => existsSync(join(fixtures, 'reference', `${name}.json`));
const imagePath = (img: RefImage): string => join(fixtures, 'images', img.image.split('/').pop()!);

/** A reference tensor as [groups, heads, N, N] (PyTorch's MHA gives ViT attention as [heads, N, N] or [1, heads, N, N]). */
function refTensor(a: { shape: number[]; data: number[] }): AttentionTensor {
  const s = a.shape;
  const N = s[s.length - 1];
  const dims: [number, number, number, number] = s.length === 4 ? [s[0], s[1], N, N] : [1, s[0], N, N];
  return { data: Float32Array.from(a.data), dims };
}

const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  assert.equal(a.length, b.length, 'lengths differ');
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

/** A CapturedLayer made from reference data (for the pure maps, no inference process). */
function refSwinLayer(name: string, img: RefImage, i: number): CapturedLayer {
  const b = reference(name).blocks![i];
  const t = refTensor(img.attention[i]);
  return {
    name: `stage${b.stage + 1}.block${b.block}`, output: '', stage: b.stage, block: b.block, heads: b.heads, tokens: b.window * b.window,
    window: b.window, shifted: b.shift > 0, shift: b.shift, grid: b.grid, cell: 2 * 2 ** b.stage, extraTokens: 0,
    dims: [...t.dims] as CapturedLayer['dims'], data: t.data,
  };
}

// ── Independent Swin mapping, written here from the official code (pad → torch.roll(−s) → window_partition), not from core/swin ──

/** For each (window, slot) of a block, the image token index r·W + c it holds, −1 for padding. */
function slotTokens(H: number, W: number, M: number, s: number): number[] {
  const Hp = Math.ceil(H / M) * M;
  const Wp = Math.ceil(W / M) * M;
  const idx: number[][] = [];
  for (let r = 0; r < Hp; r++) idx.push(Array.from({ length: Wp }, (_, c) => (r < H && c < W ? r * W + c : -1)));
  // torch.roll(x, shifts=(-s, -s), dims=(1, 2)): out[i][j] = x[(i + s) mod Hp][(j + s) mod Wp]
  const rolled = idx.map((_, i) => idx[(i + s) % Hp].map((__, j) => idx[(i + s) % Hp][(j + s) % Wp]));
  // window_partition: view(Hp/M, M, Wp/M, M).permute(0, 2, 1, 3): windows row-major, slots row-major inside
  const out: number[] = [];
  for (let a = 0; a < Hp / M; a++) for (let b = 0; b < Wp / M; b++) for (let p = 0; p < M; p++) for (let q = 0; q < M; q++) out.push(rolled[a * M + p][b * M + q]);
  return out;
}

/** Mean attention each token receives in its window (mean over heads and the window's real queries), at its image position. */
function receivedByHand(t: AttentionTensor, H: number, W: number, M: number, s: number): Float64Array {
  const [G, heads, N] = t.dims;
  const tok = slotTokens(H, W, M, s);
  const out = new Float64Array(H * W);
  for (let w = 0; w < G; w++) {
    const queries = tok.slice(w * N, (w + 1) * N).filter((x) => x >= 0).length;
    for (let j = 0; j < N; j++) {
      const key = tok[w * N + j];
      if (key < 0) continue;
      let sum = 0;
      for (let h = 0; h < heads; h++) for (let i = 0; i < N; i++) if (tok[w * N + i] >= 0) sum += t.data[((w * heads + h) * N + i) * N + j];
      out[key] = sum / (heads * queries);
    }
  }
  return out;
}

/** Cells of a map above `eps`, as "r,c" strings. */
function support(map: ArrayLike<number>, W: number, eps = 1e-20): Set<string> {
  const s = new Set<string>();
  for (let k = 0; k < map.length; k++) if (map[k] > eps) s.add(`${Math.floor(k / W)},${k % W}`);
  return s;
}
const box = (r0: number, r1: number, c0: number, c1: number): Set<string> => {
  const s = new Set<string>();
  for (let r = r0; r <= r1; r++) for (let c = c0; c <= c1; c++) s.add(`${r},${c}`);
  return s;
};

/**
 * Checks a captured window-attention tensor against the SW-MSA mask rebuilt here: a pair of slots
 * in different regions of the rolled, padded map (bands (0, −M), (−M, −s), (−s, None) per axis)
 * must get ≈ 0 (exp(−100)), a pair in the same region clearly more. Returns the pairs checked.
 */
function checkMaskPattern(t: AttentionTensor, H: number, W: number, M: number, s: number): number {
  const Hp = Math.ceil(H / M) * M;
  const Wp = Math.ceil(W / M) * M;
  const band = (i: number, L: number): number => (s === 0 ? 0 : i < L - M ? 0 : i < L - s ? 1 : 2);
  const [G, heads, N] = t.dims;
  const cols = Wp / M;
  assert.equal(G, (Hp / M) * cols, 'window count');
  const region = (w: number, k: number): number => band(Math.floor(w / cols) * M + Math.floor(k / M), Hp) * 3 + band((w % cols) * M + (k % M), Wp);
  let masked = 0;
  for (let w = 0; w < G; w++)
    for (let h = 0; h < heads; h++)
      for (let i = 0; i < N; i++)
        for (let j = 0; j < N; j++) {
          const v = t.data[((w * heads + h) * N + i) * N + j];
          if (region(w, i) !== region(w, j)) {
            assert.ok(v < 1e-30, `window ${w} head ${h}: (${i}, ${j}) should be masked, is ${v}`);
            masked++;
          } else assert.ok(v > 1e-30, `window ${w} head ${h}: (${i}, ${j}) should not be masked, is ${v}`);
        }
  return masked;
}

describe('attention maps (pure, from PyTorch reference attention)', () => {
  for (const name of ['tiny_vit', 'tiny_deit']) {
    const extra = name === 'tiny_deit' ? 2 : 1;
    it(`${name}: rollout of the reference attention equals the reference rollout within 1e-5`, function () {
      if (!haveRef(name)) this.skip();
      for (const img of reference(name).images) {
        const layers = img.attention.map(refTensor);
        const r = attentionRollout(layers, { grid: [4, 4], extraTokens: extra });
        const d = maxAbs(r, img.rollout!);
        assert.ok(d < 1e-5, `${img.image}: max |Δ| = ${d}`);
      }
    });

    it(`${name}: class-token map is row 0 over the patch columns (after ${extra} extra token(s)), mean over heads`, function () {
      if (!haveRef(name)) this.skip();
      const img = reference(name).images[0];
      const t = refTensor(img.attention[1]);
      const [, H, N] = t.dims;
      const want = Array.from({ length: 16 }, (_, k) => {
        let s = 0;
        for (let h = 0; h < H; h++) s += t.data[h * N * N + extra + k];
        return s / H;
      });
      assert.ok(maxAbs(classTokenAttention(t, { grid: [4, 4], extraTokens: extra }), want) < 1e-7);
      // head 1 alone, and the patch at (2, 3) as the query
      const head1 = Array.from({ length: 16 }, (_, k) => t.data[N * N + extra + k]);
      assert.ok(maxAbs(classTokenAttention(t, { grid: [4, 4], extraTokens: extra }, 1), head1) < 1e-7);
      const q = extra + 2 * 4 + 3;
      const fromPatch = Array.from({ length: 16 }, (_, k) => (t.data[q * N + extra + k] + t.data[N * N + q * N + extra + k]) / 2);
      assert.ok(maxAbs(queryPatchAttention(t, { grid: [4, 4], extraTokens: extra }, 2, 3), fromPatch) < 1e-7);
    });
  }

  it('tiny_deit: the distillation token (token 1) has its own map and rollout, different from the class token', function () {
    if (!haveRef('tiny_deit')) this.skip();
    const img = reference('tiny_deit').images[0];
    const layers = img.attention.map(refTensor);
    const L = { grid: [4, 4] as [number, number], extraTokens: 2 };
    const t = layers[1];
    const N = 18;
    const want = Array.from({ length: 16 }, (_, k) => (t.data[1 * N + 2 + k] + t.data[N * N + 1 * N + 2 + k]) / 2);
    assert.ok(maxAbs(classTokenAttention(t, L, 'mean', 1), want) < 1e-7);
    assert.ok(maxAbs(attentionRollout(layers, L, { token: 1 }), attentionRollout(layers, L)) > 1e-4);
    assert.throws(() => classTokenAttention(t, L, 'mean', 2), (e: unknown) => isUserError(e) && /Extra token 2 does not exist/.test((e as Error).message));
  });

  it('rollout with a discard ratio drops the lowest fused attentions except entry (0, 0), then adds I and renormalises rows', () => {
    // One head, 1 class token + 2 patches; both layers the same matrix. Sorted: 0.05 (0,0), 0.10 (1,0), 0.15 (2,0), 0.25, …
    const A = [0.05, 0.55, 0.4, 0.1, 0.6, 0.3, 0.15, 0.25, 0.6];
    const t: AttentionTensor = { data: Float32Array.from(A), dims: [1, 1, 3, 3] };
    const L = { grid: [1, 2] as [number, number], extraTokens: 1 };
    // ratio 0.34 → ⌊9 · 0.34⌋ = 3 lowest: (0,0) is kept, (1,0) and (2,0) become 0. Then (A + I), rows / sum.
    const row0 = [1.05 / 2, 0.55 / 2, 0.4 / 2];
    const row1 = [0, 1.6 / 1.9, 0.3 / 1.9];
    const row2 = [0, 0.25 / 1.85, 1.6 / 1.85];
    const expected = [1, 2].map((j) => row0[0] * row0[j] + row0[1] * row1[j] + row0[2] * row2[j]);
    const got = attentionRollout([t, t], L, { discardRatio: 0.34 });
    assert.ok(maxAbs(got, expected) < 1e-6, `${Array.from(got)} vs ${expected}`);
    // Without discarding: row 1 keeps its 0.10, so the result differs.
    const plain = attentionRollout([t, t], L);
    assert.ok(maxAbs(plain, expected) > 1e-3);
    assert.throws(() => attentionRollout([t], L, { discardRatio: 1 }), /discard ratio/);
  });

  it('head fusion: max and min over heads pick element-wise extremes', () => {
    const t: AttentionTensor = { data: Float32Array.from([0.2, 0.8, 0.5, 0.5, 0.9, 0.1, 0.3, 0.7]), dims: [1, 2, 2, 2] };
    assert.deepEqual(Array.from(fuseHeads(t, 0, 'max')), [0.9, 0.8, 0.5, 0.7].map(Math.fround));
    assert.deepEqual(Array.from(fuseHeads(t, 0, 'min')), [0.2, 0.1, 0.3, 0.5].map(Math.fround));
    assert.throws(() => fuseHeads(t, 0, 2), (e: unknown) => isUserError(e) && /heads 0 to 1/.test((e as Error).message));
  });

  it('a ViT without a class token: the map is the mean attention each patch receives (column means)', () => {
    // 4 patches, no extra tokens, one head.
    const A = [0.7, 0.1, 0.1, 0.1, 0.2, 0.2, 0.3, 0.3, 0.25, 0.25, 0.25, 0.25, 0, 0, 0.5, 0.5];
    const t: AttentionTensor = { data: Float32Array.from(A), dims: [1, 1, 4, 4] };
    const got = receivedAttention(t, { grid: [2, 2], extraTokens: 0 });
    assert.ok(maxAbs(got, [1.15 / 4, 0.55 / 4, 1.15 / 4, 1.15 / 4]) < 1e-6);
    assert.throws(() => classTokenAttention(t, { grid: [2, 2], extraTokens: 0 }), /no class token/);
  });

  describe('tiny_swin: window attention back in image coordinates', () => {
    before(function () {
      if (!haveRef('tiny_swin')) this.skip();
    });

    it('reference blocks: stage 1 16×16 and stage 2 8×8, M = 4, SW-MSA blocks shifted by 2', () => {
      const b = reference('tiny_swin').blocks!;
      assert.deepEqual(b.map((x) => [x.grid[0], x.window, x.shift, x.windows]), [[16, 4, 0, 16], [16, 4, 2, 16], [8, 4, 0, 4], [8, 4, 2, 4]]);
    });

    it('"mean received" map of every block equals one computed here from pad → roll → partition of index grids (within 1e-6)', () => {
      for (const img of reference('tiny_swin').images) {
        img.attention.forEach((_, i) => {
          const l = refSwinLayer('tiny_swin', img, i);
          const mine = layerMap(l);
          const theirs = receivedByHand(refTensor(img.attention[i]), l.grid[0], l.grid[1], l.window!, l.shift);
          const d = maxAbs(mine, theirs);
          assert.ok(d < 1e-6, `${img.image} ${l.name}: max |Δ| = ${d}`);
        });
      }
    });

    it("PyTorch's attention is ≈ 0 exactly where the SW-MSA mask rebuilt here forbids a pair (window order and shift as assumed)", () => {
      for (const img of reference('tiny_swin').images) {
        const masked = img.attention.map((_, i) => {
          const l = refSwinLayer('tiny_swin', img, i);
          return checkMaskPattern(refTensor(img.attention[i]), l.grid[0], l.grid[1], l.window!, l.shift);
        });
        assert.equal(masked[0], 0);
        assert.ok(masked[1] > 0 && masked[3] > 0);
      }
    });

    it('the comparison can fail: leaving the shift in place (not undone) gives a different map for SW-MSA blocks', () => {
      const img = reference('tiny_swin').images[2];
      for (const i of [1, 3]) {
        const l = refSwinLayer('tiny_swin', img, i);
        const t = refTensor(img.attention[i]);
        const noUndo = windowReceivedAttention(t, windowGeometry(l.grid[0], l.grid[1], 4, 0));
        const truth = receivedByHand(t, l.grid[0], l.grid[1], 4, l.shift);
        assert.ok(maxAbs(noUndo, truth) > 1e-3, `${l.name}: the shift made no difference`);
      }
    });

    it('query attention of a patch at a shifted-window boundary lands only in its shifted window (hand-derived, 16×16, M = 4, s = 2)', () => {
      const img = reference('tiny_swin').images[1];
      const wmsa = refSwinLayer('tiny_swin', img, 0);
      const swmsa = refSwinLayer('tiny_swin', img, 1);
      const W = 16;
      // W-MSA: (2, 2) is in the regular window rows 0–3, cols 0–3.
      assert.deepEqual(support(windowQueryAttention(refTensor(img.attention[0]), windowGeometry(16, 16, 4, 0), 2, 2), W), box(0, 3, 0, 3));
      // SW-MSA: the windows start at −2, so (2, 2) is the top-left of the window rows 2–5, cols 2–5 (an interior window: no mask).
      const t1 = refTensor(img.attention[1]);
      const g1 = windowGeometry(16, 16, 4, 2);
      const q22 = windowQueryAttention(t1, g1, 2, 2);
      assert.deepEqual(support(q22, W), box(2, 5, 2, 5));
      // …and it is slot 0 of window 0 of the rolled map: its values are that row of the reference, mean over the 2 heads.
      for (let dr = 0; dr < 4; dr++)
        for (let dc = 0; dc < 4; dc++) {
          const j = dr * 4 + dc;
          const want = (t1.data[0 * 256 + j] + t1.data[256 + 0 * 16 + j]) / 2;
          assert.ok(Math.abs(q22[(2 + dr) * W + 2 + dc] - want) < 1e-7);
        }
      // (1, 1) is in the wrapped corner window (rows 14, 15, 0, 1 × cols 14, 15, 0, 1); the mask keeps it in its region {0, 1}².
      const q11 = windowQueryAttention(t1, g1, 1, 1);
      assert.deepEqual(support(q11, W), box(0, 1, 0, 1));
      assert.ok(Math.abs(q11.reduce((x, y) => x + y, 0) - 1) < 1e-5);
      // The same through the CapturedLayer helpers.
      assert.deepEqual(support(layerMap(swmsa), W).size, 256);
      assert.equal(wmsa.shifted, false);
    });

    it('per-stage maps average the blocks of each stage over its own grid (16×16, then 8×8 after patch merging)', () => {
      const img = reference('tiny_swin').images[0];
      const layers = img.attention.map((_, i) => refSwinLayer('tiny_swin', img, i));
      const st = stageMaps(layers);
      assert.deepEqual(st.map((s) => [s.stage, s.grid[0], s.blocks, s.map.length, s.cell]), [[0, 16, 2, 256, 2], [1, 8, 2, 64, 4]]);
      const want = layerMap(layers[2]).map((v, k) => (v + layerMap(layers[3])[k]) / 2);
      assert.ok(maxAbs(st[1].map, want) < 1e-7);
      // Each window's received mass is 1 (every query's row sums to 1 over its window), so a stage map averages 1 / M².
      const mean = st[0].map.reduce((x, y) => x + y, 0) / 256;
      assert.ok(Math.abs(mean - 1 / 16) < 1e-6);
    });

    it('a map whose size is not a multiple of M (padding): padding slots are dropped and real tokens all placed', () => {
      // 5×6 map, M = 4, s = 2: padded to 8×8, 4 windows; uniform attention over each window.
      const g = windowGeometry(5, 6, 4, 2);
      const t: AttentionTensor = { data: new Float32Array(4 * 1 * 16 * 16).fill(1 / 16), dims: [4, 1, 16, 16] };
      const m = windowReceivedAttention(t, g);
      assert.equal(m.length, 30);
      assert.ok(m.every((v) => Math.abs(v - 1 / 16) < 1e-7));
      assert.ok(maxAbs(m, receivedByHand(t, 5, 6, 4, 2)) < 1e-7);
      assert.deepEqual(Array.from(g.slotOf).filter((x) => x < 0), []);
    });
  });
});

describe('attention capture: planning (no inference)', () => {
  it('Swin-T (torchvision export): 12 blocks, window 7, shift 3 in odd blocks except stage 4 (7×7 map: no shift)', () => {
    const p = planCapture(join(models, 'swin_t.onnx'));
    assert.equal(p.family, 'swin');
    assert.deepEqual(p.layers.map((l) => l.shift), [0, 3, 0, 3, 0, 3, 0, 3, 0, 3, 0, 0]);
    assert.deepEqual(p.layers.map((l) => l.dims[0]), [64, 64, 16, 16, 4, 4, 4, 4, 4, 4, 1, 1]);
    assert.deepEqual(p.layers.map((l) => l.grid[0]), [56, 56, 28, 28, 14, 14, 14, 14, 14, 14, 7, 7]);
    assert.deepEqual(p.layers.map((l) => l.cell), [4, 4, 8, 8, 16, 16, 16, 16, 16, 16, 32, 32]);
    assert.deepEqual(p.missingWeights, ['swin_t.onnx.data']);
  });

  it('ViT-L/16 at 224²: 24 layers of 16 × 197² floats; at 384² the 488 MiB would be over the limit and only the last layer is captured', () => {
    const p = planCapture(join(models, 'vit_l_16.onnx'));
    assert.equal(p.layers.length, 24);
    assert.ok(p.bytes.every((b) => b === 16 * 197 * 197 * 4));
    assert.deepEqual(chooseLayers(p.bytes, undefined, 256 * 2 ** 20), { layers: Array.from({ length: 24 }, (_, i) => i), warnings: [] });
    const at384 = new Array(24).fill(16 * 577 * 577 * 4);
    const c = chooseLayers(at384, undefined, 256 * 2 ** 20);
    assert.deepEqual(c.layers, [23]);
    assert.match(c.warnings[0], /all 24 layers would take 488 MiB \(limit 256 MiB\); captured only layer 23/);
    const picked = chooseLayers(at384, [3, 7, 3], 256 * 2 ** 20);
    assert.deepEqual(picked, { layers: [3, 7], warnings: [] });
    assert.throws(() => chooseLayers(at384, [24], 1e9), (e: unknown) => isUserError(e) && /Layer 24 does not exist/.test((e as Error).message));
  });

  it('ResNet-18: a UserError saying there is no attention', () => {
    assert.throws(() => planCapture(join(models, 'resnet18.onnx')), (e: unknown) => isUserError(e) && /no attention Softmax found — not a ViT\/Swin/.test((e as Error).message));
  });
});

/** A model whose attention is one fused com.microsoft MultiHeadAttention: nothing to tap. */
function fusedModel(file: string): void {
  const g = new GraphBuilder({ opset: 17 });
  g.useOpset('com.microsoft', 1);
  const x = g.input('input', DataType.FLOAT, [1, 3, 32, 32]);
  const w = g.initializer('patch.weight', new Float32Array(32 * 3 * 8 * 8).fill(0.01), [32, 3, 8, 8]);
  const p = g.op('Conv', [x, w], { kernel_shape: [8, 8], strides: [8, 8] });
  const tokens = g.op('Transpose', [g.op('Reshape', [p, g.int64([1, 32, 16])])], { perm: [0, 2, 1] });
  const [att] = g.node('MultiHeadAttention', [tokens, tokens, tokens], 1, { num_heads: 2 }, 'mha', 'com.microsoft');
  const pooled = g.op('ReduceMean', [att], { axes: [1], keepdims: 0 });
  const head = g.initializer('head.weight', new Float32Array(32 * 10).fill(0.1), [32, 10]);
  g.node('MatMul', [pooled, head], ['logits']);
  g.output('logits', DataType.FLOAT, [1, 10]);
  writeModel(g.build(), file);
}

/** tiny_vit with its input declared for a batch of 2 (and optionally a Reshape that hard-codes that batch). */
function batchedModel(file: string, hardcode: boolean): void {
  const m = readModel(join(models, 'tiny_vit.onnx'));
  const g = m.graph;
  const b2 = (v: ValueInfo): ValueInfo => (v.type?.kind === 'tensor' && v.type.shape ? { name: v.name, type: { ...v.type, shape: [2, ...v.type.shape.slice(1)] } } : v);
  let nodes = g.nodes;
  if (hardcode) {
    // The patch-embedding reshape's constant [1, 32, 16] becomes [2, 32, 16], as a static export at batch 2 would have it.
    const reshape = g.nodes.find((n) => n.opType === 'Reshape')!;
    nodes = g.nodes.map((n): OnnxNode =>
      n.outputs[0] === reshape.inputs[1]
        ? { name: n.name, opType: n.opType, domain: n.domain, inputs: n.inputs, outputs: n.outputs, attributes: [{ name: 'value', type: 'tensor', value: makeTensor('', [2, 32, 16], [3], DataType.INT64) }] }
        : n,
    );
  }
  const out: OnnxModel = { ...m, graph: { ...g, nodes, inputs: g.inputs.map(b2), outputs: g.outputs.map(b2) } };
  writeModel(out, file);
}

/** tiny_vit with its large weights moved to an external data file beside it. */
function externalModel(dir: string): string {
  const src = join(models, 'tiny_vit.onnx');
  const m = readModel(src);
  const fd = openSync(src, 'r');
  const chunks: Buffer[] = [];
  let offset = 0;
  const inits = m.graph.initializers.map((t): TensorInfo => {
    if (t.data.location !== 'inline' || t.data.encoding !== 'raw' || t.data.length < 1024) return t;
    const buf = Buffer.alloc(t.data.length);
    readSync(fd, buf, 0, t.data.length, t.data.offset);
    chunks.push(buf);
    const e: TensorInfo = { name: t.name, dataType: t.dataType, dims: t.dims, data: { location: 'external', file: 'weights.bin', path: join(dir, 'weights.bin'), offset, length: buf.length, exists: true } };
    offset += buf.length;
    return e;
  });
  closeSync(fd);
  writeFileSync(join(dir, 'weights.bin'), Buffer.concat(chunks));
  const file = join(dir, 'ext_vit.onnx');
  writeModel({ ...m, graph: { ...m.graph, initializers: inits } }, file);
  copyFileSync(join(models, 'tiny_vit.json'), join(dir, 'ext_vit.json'));
  return file;
}

describe('attention capture through the inference process (ONNX Runtime, cpu)', function () {
  this.timeout(120_000);
  let client: RuntimeClient;
  let tmp: string;
  before(() => {
    assert.ok(existsSync(script), 'build first: node scripts/build.mjs');
    client = new RuntimeClient(script);
    tmp = mkdtempSync(join(tmpdir(), 'vit-attention-test-'));
  });
  after(() => {
    client.dispose();
    rmSync(tmp, { recursive: true, force: true });
  });

  for (const name of ['tiny_vit', 'tiny_swin', 'tiny_deit']) {
    it(`${name}: every captured attention tensor equals PyTorch's within 1e-5 and its rows sum to 1`, async function () {
      if (!haveRef(name)) this.skip();
      const ref = reference(name);
      for (const img of ref.images) {
        const r = await client.request('attention', { model: join(models, `${name}.onnx`), image: imagePath(img), order: ['cpu'] });
        assert.equal(r.ep, 'cpu');
        assert.equal(r.family, ref.family);
        assert.ok(r.logits instanceof Float32Array);
        assert.ok(maxAbs(r.logits, img.logits) < 1e-4);
        assert.equal(r.layers.length, img.attention.length);
        assert.deepEqual(r.warnings, []);
        r.layers.forEach((l, i) => {
          assert.ok(l.data instanceof Float32Array, `${l.name}: not a Float32Array`);
          const want = refTensor(img.attention[i]);
          assert.deepEqual(l.dims, [...want.dims], `${l.name} dims`);
          const d = maxAbs(l.data, want.data);
          assert.ok(d < 1e-5, `${img.image} ${l.name}: max |Δ| = ${d}`);
          const rs = maxRowSumError({ data: l.data, dims: l.dims });
          assert.ok(rs < 1e-5, `${img.image} ${l.name}: row sums off by ${rs}`);
          if (ref.blocks) {
            const b = ref.blocks[i];
            assert.deepEqual([l.grid, l.window, l.shift, l.shifted, l.heads, l.dims[0]], [b.grid, b.window, b.shift, b.shift > 0, b.heads, b.windows], l.name);
          } else {
            assert.deepEqual([l.grid, l.window, l.extraTokens], [[4, 4], null, name === 'tiny_deit' ? 2 : 1]);
          }
        });
        if (img.rollout) {
          const d = maxAbs(rolloutMap(r.layers)!, img.rollout);
          assert.ok(d < 1e-5, `${img.image}: rollout max |Δ| = ${d}`);
        }
      }
    });
  }

  it('the --json document: ViT class-token maps and rollout; Swin received maps over each stage grid, no rollout', async () => {
    const img = reference('tiny_vit').images[2];
    const v = await client.request('attention', { model: join(models, 'tiny_vit.onnx'), image: imagePath(img), order: ['cpu'] });
    const doc = attentionDocument(v);
    assert.deepEqual(Object.keys(doc), ['family', 'ep', 'layers', 'rollout', 'distance']);
    assert.deepEqual(doc.layers.map((l) => [l.name, l.heads, l.window, l.shifted, l.grid, l.map.length]), [
      ['encoder.block0', 2, null, false, [4, 4], 16],
      ['encoder.block1', 2, null, false, [4, 4], 16],
    ]);
    const t1 = refTensor(img.attention[1]);
    assert.ok(maxAbs(doc.layers[1].map, Array.from({ length: 16 }, (_, k) => (t1.data[1 + k] + t1.data[289 + 1 + k]) / 2)) < 1e-5);
    assert.ok(maxAbs(doc.rollout!, img.rollout!) < 1e-5);
    JSON.parse(JSON.stringify(doc));

    const simg = reference('tiny_swin').images[2];
    const s = await client.request('attention', { model: join(models, 'tiny_swin.onnx'), image: imagePath(simg), order: ['cpu'], withImage: true, topK: 3 });
    const sdoc = attentionDocument(s);
    assert.equal(sdoc.rollout, null);
    assert.deepEqual(sdoc.layers.map((l) => [l.name, l.window, l.shifted, l.grid, l.map.length]), [
      ['stage1.block0', 4, false, [16, 16], 256],
      ['stage1.block1', 4, true, [16, 16], 256],
      ['stage2.block0', 4, false, [8, 8], 64],
      ['stage2.block1', 4, true, [8, 8], 64],
    ]);
    sdoc.layers.forEach((l, i) => {
      const want = receivedByHand(refTensor(simg.attention[i]), l.grid[0], l.grid[1], 4, l.shifted ? 2 : 0);
      assert.ok(maxAbs(l.map, want) < 1e-5, l.name);
    });
    assert.equal(s.cropped!.width, 32);
    assert.equal(s.top!.length, 3);
  });

  it('above the byte limit only the chosen layers come back, with a warning; rollout is then unavailable', async () => {
    const model = join(models, 'tiny_vit.onnx');
    const image = join(fixtures, 'images', 'disc.png');
    const one = 2 * 17 * 17 * 4;
    const r = await client.request('attention', { model, image, order: ['cpu'], maxBytes: one });
    assert.deepEqual(r.layers.map((l) => l.data !== null), [false, true]);
    assert.equal(r.totalBytes, 2 * one);
    assert.equal(r.capturedBytes, one);
    assert.match(r.warnings.join('\n'), /captured only layer 1 .*Pick the layers/);
    assert.match(r.warnings.join('\n'), /Rollout needs the attention of every layer/);
    const doc = attentionDocument(r);
    assert.deepEqual([doc.layers.length, doc.rollout], [1, null]);
    const first = await client.request('attention', { model, image, order: ['cpu'], maxBytes: one, layers: [0] });
    assert.deepEqual(first.layers.map((l) => l.data !== null), [true, false]);
    assert.deepEqual(first.warnings.filter((w) => /limit/.test(w)), []);
  });

  it('ResNet-18 → UserError "no attention Softmax found — not a ViT/Swin"; the process keeps serving', async () => {
    await assert.rejects(client.request('attention', { model: join(models, 'resnet18.onnx'), image: join(fixtures, 'images', 'disc.png'), order: ['cpu'] }), {
      name: 'UserError',
      message: /no attention Softmax found — not a ViT\/Swin/,
    });
    assert.ok((await client.request('ping', {})).pid > 0);
  });

  it('fused attention (com.microsoft.MultiHeadAttention) → UserError naming the op and what to do', async () => {
    const file = join(tmp, 'fused.onnx');
    fusedModel(file);
    await assert.rejects(client.request('attention', { model: file, image: join(fixtures, 'images', 'disc.png'), order: ['cpu'] }), {
      name: 'UserError',
      message: /fused operators \(com\.microsoft\.MultiHeadAttention ×1\).*no attention tensor to tap.*Export the model without attention fusion/,
    });
  });

  it('a structure-only model (weights absent) → UserError, not a crash', async () => {
    await assert.rejects(client.request('attention', { model: join(models, 'swin_t.onnx'), image: join(fixtures, 'images', 'disc.png'), order: ['cpu'] }), {
      name: 'UserError',
      message: /weights are missing \(external data swin_t\.onnx\.data/,
    });
  });

  it('batch > 1: a batch-agnostic graph runs at batch 1 (with a note); one that hard-codes the batch is refused', async () => {
    const ok = join(tmp, 'b2.onnx');
    batchedModel(ok, false);
    copyFileSync(join(models, 'tiny_vit.json'), join(tmp, 'b2.json'));
    const img = reference('tiny_vit').images[0];
    const r = await client.request('attention', { model: ok, image: imagePath(img), order: ['cpu'] });
    assert.match(r.warnings.join('\n'), /declares a batch of 2; it was run on one image/);
    assert.ok(maxAbs(r.layers[0].data!, img.attention[0].data) < 1e-5);
    const bad = join(tmp, 'b2fixed.onnx');
    batchedModel(bad, true);
    await assert.rejects(client.request('attention', { model: bad, image: imagePath(img), order: ['cpu'] }), {
      name: 'UserError',
      message: /exported for a fixed batch of 2 images and cannot run on one .*dynamic batch axis/,
    });
  });

  it('tiny_swin made dynamic, at 24×24: stage 2 is 6×6 padded to 8×8; the mask pattern, maps and shifted windows all fit', async () => {
    const m = readModel(join(models, 'tiny_swin.onnx'));
    const inp = m.graph.inputs[0];
    const dyn: OnnxModel = {
      ...m,
      graph: {
        ...m.graph,
        inputs: [{ name: inp.name, type: { kind: 'tensor', elemType: DataType.FLOAT, shape: ['batch', 3, 'height', 'width'] } }],
        outputs: m.graph.outputs.map((o) => ({ name: o.name, type: { kind: 'tensor', elemType: DataType.FLOAT, shape: ['batch', 10] } })),
      },
    };
    const file = join(tmp, 'dyn_swin.onnx');
    writeModel(dyn, file);
    writeFileSync(join(tmp, 'dyn_swin.json'), JSON.stringify({ imageSize: 24, resize: 24, crop: 24, interpolation: 'bilinear' }));
    const r = await client.request('attention', { model: file, image: join(fixtures, 'images', 'disc.png'), order: ['cpu'] });
    assert.deepEqual(r.imageSize, [24, 24]);
    assert.deepEqual(r.layers.map((l) => [l.grid[0], l.window, l.shift, l.dims[0]]), [[12, 4, 0, 9], [12, 4, 2, 9], [6, 4, 0, 4], [6, 4, 2, 4]]);
    let masked = 0;
    for (const l of r.layers) {
      const t = { data: l.data!, dims: l.dims };
      assert.ok(maxRowSumError(t) < 1e-5);
      masked += checkMaskPattern(t, l.grid[0], l.grid[1], l.window!, l.shift);
      assert.ok(maxAbs(layerMap(l), receivedByHand(t, l.grid[0], l.grid[1], l.window!, l.shift)) < 1e-6, l.name);
    }
    assert.ok(masked > 0);
    // Stage 2, SW-MSA, hand-derived: padded rows/cols 6, 7; windows start at −2.
    const l = r.layers[3];
    const t = { data: l.data!, dims: l.dims };
    const g = windowGeometry(6, 6, 4, 2);
    assert.deepEqual(support(windowQueryAttention(t, g, 2, 2), 6), box(2, 5, 2, 5)); // window rows 2–5 (no padding in it)
    assert.deepEqual(support(windowQueryAttention(t, g, 1, 1), 6), box(0, 1, 0, 1)); // wrapped corner: padding and far side masked
    assert.deepEqual(support(windowQueryAttention(t, g, 1, 4), 6), box(0, 1, 2, 5));
  });

  it('a model with external data runs from a temporary copy that links to its data file', async () => {
    const dir = mkdtempSync(join(tmp, 'ext-'));
    const file = externalModel(dir);
    assert.equal(planCapture(file).external, true);
    const img = reference('tiny_vit').images[1];
    const r = await client.request('attention', { model: file, image: imagePath(img), order: ['cpu'] });
    r.layers.forEach((l, i) => assert.ok(maxAbs(l.data!, img.attention[i].data) < 1e-5, l.name));
  });
});
