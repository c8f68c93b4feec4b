// Summaries of repeated timings, shared by the benches.

/** The median; for an even count, the mean of the two middle values. */
export function median(xs) {
  if (!xs.length) throw new Error('median of no values');
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

/** The 95th percentile, nearest rank. */
export function p95(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(0.95 * s.length) - 1)];
}

/** Milliseconds of each of `runs` calls of fn, after `warmup` untimed calls (to let the JIT settle). */
export function timeRuns(fn, runs, warmup = 20) {
  for (let i = 0; i < warmup; i++) fn();
  const t = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    t.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return t;
}

/** A page's idle frame intervals (rAF to rAF, ms) over n frames: how long "one frame" is in that browser. */
export function idleFrames(page, n = 30) {
  return page.evaluate(
    (count) =>
      new Promise((res) => {
        const ts = [];
        const tick = (t) => (ts.push(t), ts.length > count ? res(ts.slice(1).map((x, i) => x - ts[i])) : requestAnimationFrame(tick));
        requestAnimationFrame(tick);
      }),
    n,
  );
}
