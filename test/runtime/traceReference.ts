/**
 * What the step-through tests against PyTorch share (trace*.test.ts, references from
 * tools/make_trace_*refs.py): a reference file's cases, the trace request, and the checks every
 * case makes of the traced token's attention tensors, of the window it sits in and of the steps' recomputations.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TraceResult } from '../../src/core/trace/types';
import type { RuntimeClient } from '../../src/runtime/client';
import { fixture } from '../skip';
import { fixtures, models } from '../unit/helpers/attentionReference';
import { maxAbs } from '../unit/helpers/maxAbs';

/** The tensors PyTorch recorded for every case: the token's q, its keys' k and v, the scores, the softmax row, the context, the block output and the logits. */
export interface AttentionCase { model: string; layer: number; head: number; token: number; logits: number[]; q: number[]; k: number[][]; v: number[][]; scores: number[]; weights: number[]; context: number[]; output: number[] }
/** A Swin case's place: the window after the shift, the position in it, the block's shift and the window's tokens. */
export interface WindowCase { window?: number; position?: number; shift?: number; keys?: number[] }

export const traceImage = join(fixtures, 'images', 'disc.png');

export function readTraceReference<C extends AttentionCase>(file: string): { image: string; cases: C[] } {
  return JSON.parse(readFileSync(fixture(join(fixtures, 'reference', file)), 'utf8')) as { image: string; cases: C[] };
}

/** The trace of a case's token on the CPU provider (`overrides`: preprocessing, as the reference fed the image). */
export function tracer(client: RuntimeClient, image: string, overrides?: { resize: number; crop: number }): (c: Pick<AttentionCase, 'model' | 'layer' | 'head' | 'token'>) => Promise<TraceResult> {
  return (c) => client.request('trace', { model: join(models, c.model), image, layer: c.layer, head: c.head, token: c.token, order: ['cpu'], ...(overrides && { overrides }) });
}

/** max |Δ| of each of the case's tensors from the trace's. */
export function attentionDiffs(t: TraceResult['tensors'], c: AttentionCase): Record<string, number> {
  return {
    logits: maxAbs(t.logits!, c.logits),
    q: maxAbs(t.q, c.q),
    k: Math.max(...c.k.map((row, j) => maxAbs(t.k[j], row))),
    v: Math.max(...c.v.map((row, j) => maxAbs(t.v[j], row))),
    scores: maxAbs(t.scores, c.scores),
    weights: maxAbs(t.weights, c.weights),
    context: maxAbs(t.context, c.context),
    output: maxAbs(t.output, c.output),
  };
}

export function assertWithin(diffs: Record<string, number>): void {
  for (const [k, d] of Object.entries(diffs)) assert.ok(d <= 1e-4, `${k}: max |Δ| ${d} from PyTorch`);
}

/** The token's window, position, shift and keys, the official window_partition's of the rolled map. */
export function assertWindow(r: TraceResult, c: WindowCase): void {
  assert.equal(r.window, c.window, 'window after the shift');
  assert.equal(r.position, c.position, 'position in the window');
  assert.equal(r.shift, c.shift, 'the block\'s shift');
  assert.deepEqual(r.keys, c.keys, 'the window\'s tokens, row-major in the rolled map');
}

/** At least `min` steps recomputed (any number by default), every recomputation agreeing with the model's own tensor. */
export function assertChecked(r: TraceResult, min = 0): void {
  const checks = r.steps.filter((s) => s.check);
  assert.ok(checks.length >= min, `only ${checks.length} steps checked`);
  for (const s of checks) assert.ok(s.check!.maxAbsDiff <= 1e-4, `${s.id}: recomputed from ${s.check!.recomputedFrom.join(', ')}: max |Δ| ${s.check!.maxAbsDiff}`);
}
