// The ViT paper's Figure 7 on a real-size model (issue 11, "Bench"):
//   1. Embeddings views of a ViT-L/16 (1024 wide, 14×14 = 196 patches + class token) computed in
//      ≤ 300 ms: the position-embedding cosine similarity (196², fixed sin-cos check included) and
//      the top 28 principal components of the 1024 patch filters of 3×16×16 (Lanczos on XcᵀXc).
//      Random weights are the hard case for Lanczos (a flat spectrum); a decaying spectrum like a
//      trained model's is timed too.
//   2. Mean attention distance of ViT-B/16 (12 layers × 12 heads × 197² attention) from a capture
//      in ≤ 100 ms.
// The same run also times a baseline (one pass over the filters: Xc·v, what each Lanczos step
// costs half of) so the figures can be read against this machine's speed now.
// Run: node bench/embeddings.bench.mjs   (bundles src/ with esbuild into a temp folder)
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, timeRuns } from './lib/stats.mjs';
import { randomFloats } from './lib/weights.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vit-embeddings-bench-'));
const out = path.join(tmp, 'core.cjs');
await esbuild.build({
  stdin: { contents: "export * from './src/core/vit/positionEmbedding'; export * from './src/core/vit/patchFilters'; export * from './src/core/attention/distance';", resolveDir: root, loader: 'ts' },
  bundle: true, platform: 'node', format: 'cjs', outfile: out, logLevel: 'warning',
});
const core = createRequire(import.meta.url)(out);
fs.rmSync(tmp, { recursive: true, force: true });

const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');
console.log(`load average ${load()} (${os.cpus().length} cores)`);

// 1. ViT-L/16 embeddings.
const D = 1024;
const N = 197;
const grid = [14, 14];
const pe = randomFloats(N * D, 0.04, 11);
const filters = randomFloats(D * 3 * 16 * 16, 0.04, 12);
// A decaying spectrum: filters = Σ_i a_i · u_i vᵢᵀ with a_i = 0.8^i, plus a little noise.
const n = 3 * 16 * 16;
const decaying = new Float32Array(D * n);
{
  const U = randomFloats(D * 64, 1, 13);
  const V = randomFloats(64 * n, 1, 14);
  for (let i = 0; i < 64; i++) {
    const a = 0.8 ** i;
    for (let f = 0; f < D; f++) {
      const u = U[f * 64 + i] * a;
      for (let t = 0; t < n; t++) decaying[f * n + t] += u * V[i * n + t];
    }
  }
  const noise = randomFloats(D * n, 1e-3, 15);
  for (let k = 0; k < decaying.length; k++) decaying[k] += noise[k];
}
const embeddings = (w) => {
  const kind = core.positionEmbeddingKind(pe, N, D, 1, grid);
  const sim = core.positionSimilarity(pe, N, D, 1, grid);
  const pc = core.patchFilterComponents(w, [D, 3, 16, 16], 28);
  return { kind, sim, pc };
};
const baseline = () => {
  const v = new Float64Array(n).fill(1 / n);
  let s = 0;
  for (let f = 0; f < D; f++) for (let t = 0; t < n; t++) s += filters[f * n + t] * v[t];
  return s;
};
const tBase = median(timeRuns(baseline, 20, 5));
const tRandom = timeRuns(() => embeddings(filters), 5, 1);
const tDecay = timeRuns(() => embeddings(decaying), 5, 1);
const tSim = median(timeRuns(() => core.positionSimilarity(pe, N, D, 1, grid), 10, 2));
const r = embeddings(filters);
console.log(`\nViT-L/16 embeddings (position similarity 196², kind check, top 28 filter components of 1024×768):`);
console.log(`  random filters (flat spectrum): median ${median(tRandom).toFixed(0)} ms  [${tRandom.map((x) => x.toFixed(0)).join(', ')}]  goal ≤ 300 ms`);
console.log(`  decaying spectrum (trained-like): median ${median(tDecay).toFixed(0)} ms  [${tDecay.map((x) => x.toFixed(0)).join(', ')}]`);
console.log(`  of which the similarity: ${tSim.toFixed(1)} ms; baseline one Xc·v pass: ${tBase.toFixed(2)} ms (the embeddings cost ${(median(tRandom) / tBase).toFixed(0)}× that)`);
console.log(`  (kind ${r.kind}, top component explains ${(r.pc.explained[0] * 100).toFixed(2)}%)`);

// 2. ViT-B/16 attention distance from a capture.
const L = 12;
const H = 12;
const T = 197;
const layers = [];
for (let l = 0; l < L; l++) {
  const data = randomFloats(H * T * T, 1, 100 + l);
  for (let r = 0; r < H * T; r++) {
    let s = 0;
    for (let j = 0; j < T; j++) s += data[r * T + j] = Math.abs(data[r * T + j]);
    for (let j = 0; j < T; j++) data[r * T + j] /= s;
  }
  layers.push({ name: `encoder.block${l}`, output: '', stage: 0, block: l, heads: H, tokens: T, window: null, shifted: false, shift: 0, grid: [14, 14], cell: 16, extraTokens: 1, dims: [1, H, T, T], data });
}
const tDist = timeRuns(() => core.attentionDistances(layers), 10, 2);
console.log(`\nViT-B/16 mean attention distance (12 layers × 12 heads, 197² each): median ${median(tDist).toFixed(1)} ms  [${tDist.map((x) => x.toFixed(0)).join(', ')}]  goal ≤ 100 ms`);
console.log(`load average ${load()}`);
