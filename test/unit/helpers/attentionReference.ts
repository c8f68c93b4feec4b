/** PyTorch reference attention (test/fixtures/reference/*.json) and an independent Swin mapping, shared by the attention tests. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type AttentionTensor } from '../../../src/core/attention/maps';
import { type CapturedLayer } from '../../../src/core/attention/maps';
import { fixture } from '../../skip';

export const fixtures = resolve('test/fixtures');
export const models = join(fixtures, 'models');

export interface RefImage {
  image: string;
  logits: number[];
  attention: { shape: number[]; data: number[] }[];
  rollout?: number[];
}
export interface Reference {
  family: 'vit' | 'swin';
  images: RefImage[];
  blocks?: { stage: number; block: number; grid: [number, number]; window: number; shift: number; windows: number; heads: number }[];
}

const refs = new Map<string, Reference>();
export function reference(name: string): Reference {
  let r = refs.get(name);
  if (!r) refs.set(name, (r = JSON.parse(readFileSync(fixture(join(fixtures, 'reference', `${name}.json`)), 'utf8')) as Reference));
  return r;
}
export const imagePath = (img: RefImage): string => join(fixtures, 'images', img.image.split('/').pop()!);

/** A reference tensor as [groups, heads, N, N] (PyTorch's MHA gives ViT attention as [heads, N, N] or [1, heads, N, N]). */
export function refTensor(a: { shape: number[]; data: number[] }): AttentionTensor {
  const s = a.shape;
  const N = s[s.length - 1];
  const dims: [number, number, number, number] = s.length === 4 ? [s[0], s[1], N, N] : [1, s[0], N, N];
  return { data: Float32Array.from(a.data), dims };
}

export { maxAbs } from './maxAbs';

/** A CapturedLayer made from reference data (for the pure maps, no inference process). */
export function refSwinLayer(name: string, img: RefImage, i: number): CapturedLayer {
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
export function slotTokens(H: number, W: number, M: number, s: number): number[] {
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
export function receivedByHand(t: AttentionTensor, H: number, W: number, M: number, s: number): Float64Array {
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
export function support(map: ArrayLike<number>, W: number, eps = 1e-20): Set<string> {
  const s = new Set<string>();
  for (let k = 0; k < map.length; k++) if (map[k] > eps) s.add(`${Math.floor(k / W)},${k % W}`);
  return s;
}
export const box = (r0: number, r1: number, c0: number, c1: number): Set<string> => {
  const s = new Set<string>();
  for (let r = r0; r <= r1; r++) for (let c = c0; c <= c1; c++) s.add(`${r},${c}`);
  return s;
};

/**
 * Checks a captured window-attention tensor against the SW-MSA mask rebuilt here: a pair of slots
 * in different regions of the rolled, padded map (bands (0, −M), (−M, −s), (−s, None) per axis)
 * must get ≈ 0 (exp(−100)), a pair in the same region clearly more. Returns the pairs checked.
 */
export function checkMaskPattern(t: AttentionTensor, H: number, W: number, M: number, s: number): number {
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
