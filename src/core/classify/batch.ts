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
 * Batch sizes for `n` images at up to `size` per run: one image first, so the first run starts
 * as soon as one image is ready (the next batch is prepared while it runs), then the rest in
 * as few runs as `size` allows, of near-equal sizes (16 at 8 → 1, 8, 7; not 1, 8, 6, 1).
 */
export function batchPlan(n: number, size: number): number[] {
  if (n <= 0) return [];
  if (size <= 1) return new Array(n).fill(1);
  const rest = n - 1;
  const runs = Math.ceil(rest / size);
  const out = [1];
  for (let i = 0; i < runs; i++) out.push(Math.floor(rest / runs) + (i < rest % runs ? 1 : 0));
  return out;
}
