/**
 * Window sweeps: Ω(MSA) against Ω(W-MSA) across window sizes M, for one attention layer on an
 * h×w×C map or for a whole Swin model, and the window where W-MSA stops being cheaper.
 *
 * Without padding W-MSA is cheaper for every M² < hw (2M²hwC < 2(hw)²C). With Swin's padding
 * to multiples of M, a window that fits badly (56 with M = 48 pads to 96×96) can cost more
 * than global attention long before M reaches the map size: that is the crossover we report.
 */
import { UserError, checkPositiveInt } from '../errors';
import { analyticFlops } from './analytic';
import { type ModelConfig, MAX_TOKENS, resolveConfig } from './config';
import { omegaMsa, omegaWmsa } from './complexity';
import { padToWindow, shiftSize } from '../swin/window';

export interface SweepRow {
  /** M, or null for the global-MSA row. */
  window: number | null;
  /** Global attention: constant down the table. */
  msaMacs: number;
  /** Window attention with this M (the global row repeats msaMacs). */
  wmsaMacs: number;
  /** msaMacs / wmsaMacs. */
  ratio: number;
  /** wmsaMacs < msaMacs. */
  cheaper: boolean;
}

export interface LayerSweepRow extends SweepRow {
  /** The map after padding to multiples of M. */
  padded: [number, number];
  numWindows: number;
  /** The SW-MSA shift for this M: ⌊M/2⌋. */
  shift: number;
}

export interface Crossover {
  /** Smallest whole M for which W-MSA costs at least MSA (M = min(h, w) at the latest). */
  window: number;
  /** Where the unpadded formulas meet: M = √(hw). */
  formula: number;
}

export interface LayerSweep {
  h: number;
  w: number;
  dim: number;
  heads: number;
  rows: LayerSweepRow[];
  crossover: Crossover;
}

export interface ModelSweepRow extends SweepRow {
  /** The window each stage really uses (Swin clips it to maps no larger than it). */
  stageWindows: number[];
}

export interface ModelSweep {
  /** Stage-1 token grid, the largest map the windows must fit. */
  tokens: [number, number];
  rows: ModelSweepRow[];
  /** Smallest M for which the whole model with W-MSA costs at least the model with global MSA. */
  crossover: { window: number };
}

/** Most windows a user can list (each row is a few multiplications; this only stops runaway input). */
const MAX_WINDOWS = 10_000;

/** The default windows: 2, 4, 7, 8, 12, 14, 16, then 24, 28, 32, 48, 56, 64, 96, … up to the map side, and the side itself. */
export function defaultWindows(maxWindow: number): number[] {
  const set = new Set([2, 4, 7, 8, 12, 14, 16, maxWindow]);
  // 3b, 3.5b, 4b for b = 8, 16, 32, …: the 12/14/16 pattern scaled (24, 28, 32; 48, 56, 64; …).
  for (let b = 8; 3 * b <= maxWindow; b *= 2) [3 * b, 3.5 * b, 4 * b].forEach((m) => set.add(m));
  return [...set].filter((m) => m <= maxWindow).sort((a, b) => a - b);
}

/** Checks a window list against the map: whole, ≥ 1, no larger than the map's shorter side. */
export function checkWindows(windows: readonly unknown[], h: number, w: number): number[] {
  if (!Array.isArray(windows) || windows.length === 0) throw new UserError('Give at least one window size, e.g. 2,4,7,14.');
  if (windows.length > MAX_WINDOWS) throw new UserError(`${windows.length} window sizes is too many; give at most ${MAX_WINDOWS}.`);
  const side = Math.min(h, w);
  return windows.map((m) => {
    if (typeof m !== 'number' || !Number.isFinite(m)) throw new UserError(`Window size "${String(m)}" is not a number; give whole numbers like 7 or 12.`);
    if (!Number.isInteger(m)) throw new UserError(`Window size ${m} is not a whole number; windows are M×M tokens, e.g. 7 or 12.`);
    if (m <= 0) throw new UserError(`Window size ${m} must be at least 1.`);
    if (m > side) throw new UserError(`Window size ${m} is larger than the ${h}×${w} feature map; use at most ${side} (Swin clips windows to the shorter side).`);
    return m;
  });
}

function checkMap(h: unknown, w: unknown, dim: unknown, heads: unknown): void {
  for (const [v, what] of [[h, 'Height h'], [w, 'Width w'], [dim, 'Channels C'], [heads, 'Heads']] as const) checkPositiveInt(v, what);
  if ((h as number) * (w as number) > MAX_TOKENS) {
    throw new UserError(`${h}×${w} = ${(h as number) * (w as number)} tokens is more than ${MAX_TOKENS}; use a smaller map.`);
  }
  if ((dim as number) % (heads as number) !== 0) {
    throw new UserError(`Dim ${dim} is not divisible by ${heads} heads; pick a head count that divides it, e.g. ${nearestDivisor(dim as number, heads as number)}.`);
  }
}

/** The divisor of dim closest to the head count asked for, to suggest instead. */
function nearestDivisor(dim: number, heads: number): number {
  for (let d = 0; ; d++) {
    if (heads - d >= 1 && dim % (heads - d) === 0) return heads - d;
    if (dim % (heads + d) === 0) return heads + d;
  }
}

/** First M in 1..side where f(M) ≥ base (there always is one: M = side puts the map in one window). */
function firstNotCheaper(side: number, base: number, cost: (m: number) => number): number {
  for (let m = 1; m <= side; m++) if (cost(m) >= base) return m;
  return side;
}

/** Ω(MSA) vs Ω(W-MSA) for one attention layer on an h×w map of width C, across windows. */
export function layerSweep(opts: { h: number; w: number; dim: number; heads?: number; windows?: readonly number[] }): LayerSweep {
  const { h, w, dim } = opts;
  const heads = opts.heads ?? 1;
  checkMap(h, w, dim, heads);
  const windows = checkWindows(opts.windows ?? defaultWindows(Math.min(h, w)), h, w);
  const msa = omegaMsa(h, w, dim);
  const rows: LayerSweepRow[] = [{ window: null, msaMacs: msa, wmsaMacs: msa, ratio: 1, cheaper: false, padded: [h, w], numWindows: 1, shift: 0 }];
  for (const M of windows) {
    const { Hp, Wp } = padToWindow(h, w, M);
    const wmsa = omegaWmsa(h, w, dim, M);
    rows.push({ window: M, msaMacs: msa, wmsaMacs: wmsa, ratio: msa / wmsa, cheaper: wmsa < msa, padded: [Hp, Wp], numWindows: (Hp / M) * (Wp / M), shift: shiftSize(h, w, M) });
  }
  const crossover = { window: firstNotCheaper(Math.min(h, w), msa, (m) => omegaWmsa(h, w, dim, m)), formula: Math.sqrt(h * w) };
  return { h, w, dim, heads, rows, crossover };
}

/** Whole-model MACs of a Swin across windows, against the same model with global MSA in every block. */
export function modelSweep(config: ModelConfig, windowList?: readonly number[]): ModelSweep {
  const c = resolveConfig(config);
  if (c.family !== 'swin') {
    throw new UserError('A ViT already uses global attention and has no window to sweep; sweep its token grid as a custom map instead (h×w = patch grid, C = width).');
  }
  const gh = Math.floor(c.imageSize[0] / c.patchSize);
  const gw = Math.floor(c.imageSize[1] / c.patchSize);
  const windows = checkWindows(windowList ?? defaultWindows(Math.min(gh, gw)), gh, gw);
  const global = analyticFlops(c, { attention: 'global' }).macs;
  const at = (M: number) => analyticFlops({ ...c, windowSize: M });
  const rows: ModelSweepRow[] = [{ window: null, msaMacs: global, wmsaMacs: global, ratio: 1, cheaper: false, stageWindows: c.depths.map((_, i) => Math.min(Math.floor(gh / 2 ** i), Math.floor(gw / 2 ** i))) }];
  for (const M of windows) {
    const r = at(M);
    rows.push({ window: M, msaMacs: global, wmsaMacs: r.macs, ratio: global / r.macs, cheaper: r.macs < global, stageWindows: r.stages.map((s) => s.window as number) });
  }
  return { tokens: [gh, gw], rows, crossover: { window: firstNotCheaper(Math.min(gh, gw), global, (m) => at(m).macs) } };
}
