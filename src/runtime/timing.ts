/**
 * Times one synthesised attention layer (global MSA, W-MSA, SW-MSA) per window size on the
 * execution provider the user's order gives, and the machine's own dense fp32 MatMul rate as
 * the baseline, in the same run. Runs in the inference process (it owns onnxruntime-node).
 *
 * Per row: build the layer in memory, open it (cached by a key that encodes every parameter),
 * warm up, then time session.run() with performance.now(); the median is reported. The whole
 * request keeps to a time budget: slow rows get fewer repeats (at least one).
 */
import type * as ortType from 'onnxruntime-node';
import { UserError } from '../core/errors';
import {
  DEFAULT_MAX_LAYER_BYTES,
  attentionLayerGeometry,
  checkAttentionMemory,
  matmulModel,
  randomInput,
  synthesizeAttentionLayer,
} from '../core/flops/synthesize';
import { modelToBytes } from '../core/onnx/writer';
import { openSession, ort } from './sessions';

export interface TimeAttentionParams {
  h: number;
  w: number;
  dim: number;
  heads: number;
  /** Window sizes to time; null = global MSA. */
  windows: (number | null)[];
  /** SW-MSA (cyclic shift + mask) instead of W-MSA. Default false. */
  shifted?: boolean;
  /** Execution providers to try, in order. */
  order: string[];
  /** Untimed runs before timing (default 2). */
  warmup?: number;
  /** Timed runs per row at most (default 10; fewer when the budget is short, never fewer than 1). */
  repeats?: number;
  /** Total time for the request, ms (default 20 000). Every row is timed at least once even past it. */
  budgetMs?: number;
  /** Refuse layers whose estimated peak memory is above this (default 2 GB). */
  maxBytes?: number;
}

export interface TimeAttentionRow {
  /** Window side M; null = global MSA. */
  window: number | null;
  /** Shift used (0 for MSA/W-MSA, or when the window covers the map). */
  shift: number;
  /** Median of the timed runs, ms. */
  ms: number;
  msMin: number;
  repeats: number;
  /** MatMul MACs of the layer (Ω(MSA) or Ω(W-MSA) on the padded map). */
  macs: number;
  /** Achieved rate: 2·MACs / time, GFLOP/s. */
  gflops: number;
  ep: string;
  /** Time to get the session, ms (near 0 when it came from the session cache). */
  loadMs: number;
  /** The first (untimed) warm-up run: on a GPU provider it compiles the shaders. null with no warm-up. */
  firstRunMs: number | null;
}

export interface TimeAttentionResult {
  /** Provider of the rows (the first row's). */
  ep: string;
  /** Providers tried before it, and why each failed. */
  failures: { ep: string; reason: string }[];
  rows: TimeAttentionRow[];
  /** Dense fp32 [n, n]·[n, n] MatMul on the same provider, GFLOP/s: the machine's baseline. */
  matmulGflops: number;
  matmulN: number;
  matmulMs: number;
}

const DEFAULT_BUDGET_MS = 20_000;
/** Side of the baseline MatMul: 2·1024³ ≈ 2.1 GFLOP, ~0.1 s on two cores. */
const MATMUL_N = 1024;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/**
 * Runs `run` up to `warmup` times untimed, then up to `repeats` times timed, fewer if the time
 * left (`budgetMs`) is short; at least once each. Returns the timed durations, ms.
 */
async function measure(run: () => Promise<unknown>, warmup: number, repeats: number, budgetMs: number): Promise<{ times: number[]; firstMs: number | null }> {
  const start = performance.now();
  let last = 0;
  let firstMs: number | null = null;
  for (let i = 0; i < warmup; i++) {
    // The first warm-up run always happens (it allocates, and compiles a GPU's shaders); more only while the budget lasts.
    if (i > 0 && performance.now() - start + last > budgetMs / 2) break;
    const t0 = performance.now();
    await run();
    last = performance.now() - t0;
    firstMs ??= last;
  }
  const times: number[] = [];
  while (times.length < repeats) {
    const spent = performance.now() - start;
    const est = times.length ? Math.max(...times.slice(-2)) : last;
    if (times.length > 0 && spent + est > budgetMs) break;
    const t0 = performance.now();
    await run();
    times.push(performance.now() - t0);
  }
  return { times, firstMs };
}

function checkCount(v: unknown, what: string, min: number, def: number): number {
  if (v === undefined || v === null) return def;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new UserError(`${what} must be a whole number ≥ ${min}, got ${String(v)}.`);
  return v;
}

export async function timeAttention(params: TimeAttentionParams): Promise<TimeAttentionResult> {
  const { h, w, dim, heads, order } = params;
  const shifted = params.shifted ?? false;
  const warmup = checkCount(params.warmup, 'Warm-up runs', 0, 2);
  const repeats = checkCount(params.repeats, 'Repeats', 1, 10);
  const budgetMs = params.budgetMs ?? DEFAULT_BUDGET_MS;
  if (typeof budgetMs !== 'number' || !(budgetMs > 0)) throw new UserError(`The time budget must be a positive number of ms, got ${String(budgetMs)}.`);
  const maxBytes = params.maxBytes ?? DEFAULT_MAX_LAYER_BYTES;
  if (!Array.isArray(params.windows) || params.windows.length === 0) throw new UserError('Give at least one window size to time (null for global MSA).');
  // Check every row before timing any: a size that does not fit is refused up front.
  for (const window of params.windows) checkAttentionMemory(attentionLayerGeometry({ h, w, dim, heads, window, shifted }), maxBytes);

  const o = ort();
  const t0 = performance.now();
  const left = (): number => budgetMs - (performance.now() - t0);
  const x = randomInput(h * w * dim);
  const rows: TimeAttentionRow[] = [];
  let failures: { ep: string; reason: string }[] = [];
  let firstEp: string | undefined;

  // The baseline first gets a tenth of the budget.
  const mm = await openSession({ key: `synth:matmul:n${MATMUL_N}:v1`, bytes: modelToBytes(matmulModel(MATMUL_N)) }, order, { cache: false });
  const a = new o.Tensor('float32', randomInput(MATMUL_N * MATMUL_N, 5), [MATMUL_N, MATMUL_N]);
  const { times: mmTimes } = await measure(() => mm.session.run({ a }), 1, 5, budgetMs / 10);
  const matmulMs = median(mmTimes);
  await mm.session.release();

  for (let i = 0; i < params.windows.length; i++) {
    const window = params.windows[i];
    const rowStart = performance.now();
    const layer = synthesizeAttentionLayer({ h, w, dim, heads, window, shifted, maxBytes });
    const g = layer.geometry;
    const key = `synth:attention:${h}x${w}:c${dim}:h${heads}:m${window ?? 'global'}:s${g.shift}:seed1:v1`;
    const tOpen = performance.now();
    const opened = await openSession({ key, bytes: modelToBytes(layer.model) }, order, { cache: false });
    const loadMs = performance.now() - tOpen;
    if (firstEp === undefined) {
      firstEp = opened.ep;
      failures = opened.failures;
    }
    const feeds: Record<string, ortType.Tensor> = { x: new o.Tensor('float32', x, [1, h * w, dim]) };
    const share = left() / (params.windows.length - i) - (performance.now() - rowStart);
    const { times, firstMs } = await measure(() => opened.session.run(feeds), warmup, repeats, share);
    const ms = median(times);
    await opened.session.release();
    rows.push({
      window: g.window,
      shift: g.shift,
      ms,
      msMin: Math.min(...times),
      repeats: times.length,
      macs: layer.macs,
      gflops: (2 * layer.macs) / ms / 1e6,
      ep: opened.ep,
      loadMs,
      firstRunMs: firstMs,
    });
  }
  return {
    ep: firstEp ?? mm.ep,
    failures,
    rows,
    matmulGflops: (2 * MATMUL_N ** 3) / matmulMs / 1e6,
    matmulN: MATMUL_N,
    matmulMs,
  };
}
