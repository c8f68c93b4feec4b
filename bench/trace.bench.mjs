// The step-through (issue 19, "Bench"): a trace of ViT-B/16 at 224² — one run with the traced
// block's tensors as extra graph outputs (core/trace/model.ts's traceCapture, the inference
// process's own path) — costs at most 1.3× a plain run. A full-weight copy of the structure-only
// fixture is written to a temp folder (random fp32 weights, bench/lib/weights.mjs), and the plain
// and the traced session are timed in turns (A, B, A, B, …) on one random input, so both suffer the
// same machine load; the ratio of the medians is printed. Also timed: assembling the steps of
// another token from the finished run's tensors (core/trace/assemble.ts), against one frame (16 ms).
// Run: node bench/trace.bench.mjs [--keep]   (bundles src/ itself with esbuild; temp files are removed)
import * as os from 'node:os';
import * as path from 'node:path';
import { benchTemp, bundleExports, req } from './lib/bundle.mjs';
import { median } from './lib/stats.mjs';
import { randomFloats, writeRandomFixture } from './lib/weights.mjs';

const { dir: tmp, cleanup } = benchTemp('trace');
const PAIRS = 12;
const LIMIT_RATIO = 1.3;
const FRAME_MS = 16;

try {
  const { writeModel, traceModel, traceCapture, assembleTrace } = await bundleExports(tmp, 'node', [
    ['writeModel', 'src/core/onnx/writer'],
    ['traceModel, traceCapture', 'src/core/trace/model'],
    ['assembleTrace', 'src/core/trace/assemble'],
  ]);
  const ort = req('onnxruntime-node');
  console.log(`load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} on ${os.cpus().length} cores (the ratio is measured in this run, both sides in turns)`);

  const full = path.join(tmp, 'vit_b_16_full.onnx');
  await writeRandomFixture(tmp, 'vit_b_16', full);
  const m = traceModel(full, 224);
  const layer = 6;
  const { plan, taps, fetches } = traceCapture(m, layer);
  const traced = path.join(tmp, 'vit_b_16_trace.onnx');
  writeModel(plan.model, traced);
  const opts = { executionProviders: ['cpu'], logSeverityLevel: 3 };
  const A = await ort.InferenceSession.create(full, opts);
  const B = await ort.InferenceSession.create(traced, opts);
  const feeds = { [A.inputNames[0]]: new ort.Tensor('float32', randomFloats(3 * 224 * 224, 4, 12345), [1, 3, 224, 224]) };
  const time = async (s, f) => {
    const t0 = performance.now();
    const out = await s.run(feeds, f);
    return [performance.now() - t0, out];
  };
  for (let i = 0; i < 2; i++) {
    await time(A);
    await time(B, fetches);
  }
  const a = [];
  const b = [];
  let out;
  for (let i = 0; i < PAIRS; i++) {
    a.push((await time(A))[0]);
    const [tb, o] = await time(B, fetches);
    b.push(tb);
    out = o;
  }
  const ratio = median(b) / median(a);
  console.log(`ViT-B/16 224², block ${layer}: plain ${median(a).toFixed(1)} ms, traced ${median(b).toFixed(1)} ms (${fetches.length} outputs): ${ratio.toFixed(2)}× (goal ≤ ${LIMIT_RATIO}×) ${ratio <= LIMIT_RATIO ? 'OK' : 'OVER'}`);

  // another token from the finished run: assembling its steps (no run)
  const L = plan.layers[layer];
  const at = m.a.attentions.find((x) => x.softmax === m.det.stages[L.stage].blocks[L.block].softmax);
  const get = (n) => (out[n] ? { data: out[n].data, dims: out[n].dims } : undefined);
  const inputT = { data: feeds[A.inputNames[0]].data, dims: [1, 3, 224, 224] };
  const ms = [];
  for (let token = 0; token < 24; token++) {
    const t0 = performance.now();
    assembleTrace({ family: m.family, layer, head: token % 12, token: token * 8, taps, out: get, input: inputT, weights: () => null, heads: L.heads, dim: at.dim, headDim: at.headDim, tokens: L.tokens, extraTokens: m.extraTokens, grid: L.grid, window: L.window, shift: L.shift, biasTable: null, stage: L.stage, patch: 16, mlpRatio: 4, labels: String });
    ms.push(performance.now() - t0);
  }
  console.log(`another token from the finished run (steps assembled, weights not re-read): median ${median(ms).toFixed(2)} ms (goal ≤ ${FRAME_MS} ms) ${median(ms) <= FRAME_MS ? 'OK' : 'OVER'}`);
} finally {
  cleanup();
}
