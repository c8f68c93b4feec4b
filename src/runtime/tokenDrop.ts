/**
 * Token dropping (core/explain/tokenDrop.ts) in the inference process: the model with the
 * position-embedded sequence as an extra output gives the clear sequence; the rest of the graph
 * after the position embedding runs that sequence with one patch token removed per run. Checked
 * before any map is made: the rest fed the whole sequence gives the model's own logits back.
 */
import { basename } from 'node:path';
import type * as ortType from 'onnxruntime-node';
import { UserError } from '../core/errors';
import { readModel, readModelFromBytes } from '../core/onnx/reader';
import { addGraphOutputs, modelToBytes } from '../core/onnx/writer';
import { dropTokens, dropUnsupported, findEmbeddedSequence, restAfterEmbedding } from '../core/explain/tokenDrop';
import type { InspectResult } from '../core/arch/inspect';
import { outputToFloat32 } from '../core/session/dtype';
import { batchPlan } from '../core/classify/batch';
import { openSession, ort, runSession, type OpenSession } from './sessions';

export interface DropInput {
  model: string;
  order: string[];
  session: OpenSession;
  info: InspectResult;
  /** The feeds of the clear image (the model's image input). */
  clearFeeds: Record<string, ortType.Tensor>;
  clearLogits: Float32Array;
  /** Image height and width (the patch grid is their ÷ patch size). */
  height: number;
  width: number;
  batch: number;
  /** p(class) of one run's logits. */
  prob: (logits: Float32Array) => number;
  onBatch: (done: number, total: number, probs: Float64Array, grid: [number, number]) => void;
}

const first = (r: ortType.InferenceSession.ReturnType, name: string, display: string): Float32Array => outputToFloat32(r[name].type, r[name].data, display);

export async function tokenDropProbs(d: DropInput): Promise<{ grid: [number, number]; probs: Float64Array; patch: number }> {
  const display = basename(d.model);
  const why = dropUnsupported(d.info.family, display);
  if (why) throw new UserError(why);
  const patch = d.info.config.patchSize;
  if (!patch) throw new UserError(`${display}: the patch size could not be read from the graph, so its tokens cannot be placed on the image. Use occlusion.`);
  const source = d.session.source;
  const m = typeof source === 'string' ? readModel(source) : readModelFromBytes(source.bytes);
  const seq = findEmbeddedSequence(m, display);
  const extra = d.info.config.extraTokens;
  const grid: [number, number] = [Math.floor(d.height / patch), Math.floor(d.width / patch)];
  const patches = seq.tokens - extra;
  if (grid[0] * grid[1] !== patches)
    throw new UserError(`${display}: the sequence has ${seq.tokens} tokens (${extra} class/extra + ${patches}), not ${extra} + ${grid[0]}×${grid[1]} patches of ${patch} px, so the tokens cannot be placed on the image. Use occlusion.`);
  const outName = d.session.session.outputNames[0];

  const withSeq = await openSession({ key: `${d.model}|tokens`, bytes: modelToBytes(addGraphOutputs(m, [{ name: seq.name }])) }, d.order, { cache: false });
  let rest: OpenSession | undefined;
  try {
    const clear = await runSession(withSeq, d.clearFeeds, d.order);
    const clearSeq = first(clear, seq.name, display);
    const restModel = restAfterEmbedding(m, seq, d.batch > 1 ? 'batch' : 1);
    // Inputs of the original model the rest still reads (a Shape of the image, say): fed the clear image, one run at a time.
    const kept = restModel.graph.inputs.slice(1).map((i) => i.name);
    const batch = kept.length ? 1 : d.batch;
    rest = await openSession({ key: `${d.model}|rest`, bytes: modelToBytes(restModel) }, d.order, { cache: false });
    const o = ort();
    const feeds = (data: Float32Array, n: number, tokens: number): Record<string, ortType.Tensor> => {
      const f: Record<string, ortType.Tensor> = { [seq.name]: new o.Tensor('float32', data, [n, tokens, seq.dim]) };
      for (const k of kept) f[k] = d.clearFeeds[k];
      return f;
    };
    // The cut must be exact: the rest on the whole sequence gives the model's own logits.
    const again = first(await runSession(rest, feeds(clearSeq, 1, seq.tokens), d.order), outName, display);
    let diff = 0;
    for (let i = 0; i < again.length; i++) diff = Math.max(diff, Math.abs(again[i] - d.clearLogits[i]) / Math.max(1, Math.abs(d.clearLogits[i])));
    if (!(diff <= 1e-4)) throw new UserError(`${display}: cut after the position embedding, the rest of the graph does not give the model's logits back (differs by ${diff.toExponential(1)}), so token dropping would be wrong here. Use occlusion.`);

    const probs = new Float64Array(patches).fill(NaN);
    let done = 0;
    for (const n of batchPlan(patches, batch)) {
      let out: ortType.InferenceSession.ReturnType;
      try {
        out = await runSession(rest, feeds(dropTokens(clearSeq, seq.tokens, seq.dim, extra, done, n), n, seq.tokens - 1), d.order);
      } catch {
        throw new UserError(`${display} fixes its sequence length at ${seq.tokens} tokens in its graph (reshapes of a fixed-shape export), so a token cannot be removed from it. Export it with a dynamic sequence length, or use occlusion.`);
      }
      const all = first(out, outName, display);
      const per = all.length / n;
      for (let k = 0; k < n; k++) probs[done + k] = d.prob(all.subarray(k * per, (k + 1) * per));
      done += n;
      d.onBatch(done, patches, probs, grid);
    }
    return { grid, probs, patch };
  } finally {
    void withSeq.session.release().catch(() => undefined);
    if (rest) void rest.session.release().catch(() => undefined);
  }
}
