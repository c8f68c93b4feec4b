/**
 * Running images in batches when the model's batch dimension is symbolic. How many per run:
 * what fits a quarter of the free memory (at most 2 GiB), counting for each image its input
 * tensor and ~64× that for the activations ONNX Runtime keeps alive (ViT-B/16 at 224² peaks
 * near 40 MB per image on the CPU provider), capped at 8: beyond that a CPU gains nothing and
 * progress and cancellation get coarser.
 */
export const MAX_AUTO_BATCH = 8;
const ACTIVATIONS_PER_INPUT = 64;

export interface BatchChoice {
  size: number;
  /** Why this size, said in --json and the log. */
  reason: string;
}

export function chooseBatchSize(o: { dynamic: boolean; fixed: number | null; inputBytes: number; freeMemory: number; images: number; override?: number }): BatchChoice {
  if (!o.dynamic) return { size: 1, reason: o.fixed !== null && o.fixed !== 1 ? `the model's batch is fixed at ${o.fixed}; one image per run` : "the model's batch dimension is fixed at 1" };
  if (o.override !== undefined) return { size: Math.max(1, Math.min(o.override, o.images)), reason: `--batch ${o.override}` };
  const perImage = o.inputBytes * (1 + ACTIVATIONS_PER_INPUT);
  const budget = Math.min(o.freeMemory / 4, 2 ** 31);
  const fits = Math.max(1, Math.floor(budget / perImage));
  const size = Math.max(1, Math.min(fits, MAX_AUTO_BATCH, o.images));
  return { size, reason: `dynamic batch: ${size} per run (memory allows ${fits}, cap ${MAX_AUTO_BATCH}, ${o.images} image(s))` };
}

/**
 * Batch sizes for `n` images at `size` per run, ramping up 1, 2, 4, … so the first run starts
 * after one image is ready and the rest are prepared while it runs.
 */
export function batchPlan(n: number, size: number): number[] {
  const out: number[] = [];
  let next = 1;
  for (let left = n; left > 0; ) {
    const b = Math.min(next, size, left);
    out.push(b);
    left -= b;
    next = Math.min(size, next * 2);
  }
  return out;
}
