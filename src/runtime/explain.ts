/**
 * Class-specific explanations, forward-only (core/explain): occlusion sensitivity and RISE. The
 * image is prepared once; every perturbed input is one run (batched when the model's batch
 * dimension is symbolic), and progress is reported as runs finish.
 */
import { basename } from 'node:path';
import type * as ortType from 'onnxruntime-node';
import { UserError } from '../core/errors';
import { batchPlan, chooseBatchSize } from '../core/classify/batch';
import { outputToFloat32, toInputData } from '../core/session/dtype';
import { checkImageInput } from '../core/image/inputCheck';
import { resolvePreprocessing, type PreprocessingOverrides } from '../core/image/preprocess';
import { capturePreprocessing } from '../core/attention/capture';
import { inspectModel } from '../core/arch/inspect';
import { defaultWindow, occlude, occlusionGrid, occlusionMap } from '../core/explain/occlusion';
import { applyMask, RiseMasks, RiseSaliency } from '../core/explain/rise';
import { chooseClass, classByName, softmaxAt } from '../core/explain/classProb';
import { labelOf, resolveLabels } from '../core/classify/labels';
import { prepareImage } from './prepare';
import { tokenDropProbs } from './tokenDrop';
import { openSession, ort, runFailure, runSession, reportProgress } from './sessions';
import { freemem } from 'node:os';

export interface ExplainParams {
  model: string;
  image: string;
  method: 'occlusion' | 'rise' | 'drop';
  order: string[];
  class?: number;
  /** The class by label (ignoring case, spaces, "_", "-", "/") or index, instead of `class`. */
  className?: string;
  labelsFile?: string;
  window?: number;
  stride?: number;
  masks?: number;
  seed?: number;
  batch?: number;
  /** The vitInspector.preprocessing.* settings: Explain perturbs the input Classify showed. */
  overrides?: PreprocessingOverrides;
}

export interface ExplainResult {
  method: 'occlusion' | 'rise' | 'drop';
  class: number;
  label: string;
  /** p(class) of the clear image. */
  prob: number;
  grid: [number, number];
  window: number | null;
  stride: number | null;
  runs: number;
  ms: number;
  ep: string;
  /** gh·gw row-major (occlusion: per window position; RISE: per input pixel, grid = [H, W]; drop: per patch token). */
  map: Float32Array;
}

/** What a progress message carries as `data`: the map so far (occlusion: NaN where not yet run). */
export interface ExplainPartial {
  class: number;
  label: string;
  prob: number;
  window: number | null;
  stride: number | null;
  ep: string;
  done: number;
  total: number;
  grid: [number, number];
  map: Float32Array;
}

const PARTIAL_EVERY_MS = 150;

export async function explain(p: ExplainParams): Promise<ExplainResult> {
  const s = await openSession(p.model, p.order);
  const display = basename(p.model);
  const input = s.session.inputMetadata[0];
  if (!input || !input.isTensor) throw new UserError(`${display} has no tensor input; it is not an image classifier.`);
  const inputType = input.type;
  const inputName = input.name;
  const { channels, height: inputSize } = checkImageInput(display, s.session.inputNames, input.name, input.shape);
  const pre = inputSize !== null ? resolvePreprocessing(p.model, inputSize, channels, p.overrides ?? {}) : capturePreprocessing(p.model, p.overrides ?? {});
  const prepared = await prepareImage(p.image, pre, undefined, false);
  if (!prepared.ok) throw new UserError(prepared.error);
  const [, c, h, w] = prepared.tensor.dims;
  const clearInput = prepared.tensor.data;
  const outName = s.session.outputNames[0];
  const o = ort();
  const batchDim = input.shape[0];
  const dynamic = typeof batchDim !== 'number';
  const per = c * h * w;

  async function run(inputs: Float32Array[]): Promise<Float32Array[]> {
    const data = inputs.length === 1 ? inputs[0] : new Float32Array(per * inputs.length);
    if (inputs.length > 1) inputs.forEach((x, k) => data.set(x, k * per));
    const fed = toInputData(data, inputType, display);
    let out: ortType.InferenceSession.ReturnType;
    try {
      out = await runSession(s, { [inputName]: new o.Tensor(fed.type, fed.data, [inputs.length, c, h, w]) }, p.order);
    } catch (e) {
      throw runFailure(e, display);
    }
    const t = out[outName];
    const all = outputToFloat32(t.type, t.data, display);
    const n = all.length / inputs.length;
    return inputs.map((_, k) => all.subarray(k * n, (k + 1) * n));
  }

  const [clearLogits] = await run([clearInput]);
  const labels = resolveLabels(p.model, clearLogits.length, { labelsFile: p.labelsFile });
  const cls = p.className !== undefined ? classByName(p.className, labels.names, clearLogits.length) : chooseClass(clearLogits, p.class);
  const clearP = softmaxAt(clearLogits, cls);

  const t0 = performance.now();
  const size0 = (images: number) => chooseBatchSize({ dynamic, fixed: typeof batchDim === 'number' ? batchDim : null, inputBytes: per * 4, freeMemory: freemem(), images, override: p.batch }).size;
  if (p.method === 'drop') {
    // One value per patch token: the window is the patch, so the map lines up as occlusion's default does.
    const fed = toInputData(clearInput, inputType, display);
    let lastAt = -Infinity;
    const r = await tokenDropProbs({
      model: p.model,
      order: p.order,
      session: s,
      info: inspectModel(p.model, { imageSize: h }),
      clearFeeds: { [inputName]: new o.Tensor(fed.type, fed.data, [1, c, h, w]) },
      clearLogits,
      height: h,
      width: w,
      batch: size0(h * w),
      prob: (l) => softmaxAt(l, cls),
      onBatch: (done, total, probs, grid) => {
        const now = performance.now();
        const withMap = done < total && now - lastAt >= PARTIAL_EVERY_MS;
        if (withMap) lastAt = now;
        reportProgress(`${done}/${total} runs`, withMap ? ({ class: cls, label: labelOf(labels, cls), prob: clearP, window: grid[0] ? Math.floor(h / grid[0]) : null, stride: grid[0] ? Math.floor(h / grid[0]) : null, ep: s.ep, done, total, grid, map: Float32Array.from(probs, (q) => clearP - q) } satisfies ExplainPartial) : undefined);
      },
    });
    return { method: 'drop', class: cls, label: labelOf(labels, cls), prob: clearP, grid: r.grid, window: r.patch, stride: r.patch, runs: r.probs.length, ms: performance.now() - t0, ep: s.ep, map: Float32Array.from(occlusionMap(clearP, r.probs)) };
  }
  let total: number;
  let make: (i: number) => Float32Array;
  let take: (i: number, logits: Float32Array, x: Float32Array) => void;
  let finish: () => { map: number[]; grid: [number, number]; window: number | null; stride: number | null };
  let partial: () => ExplainPartial['map'];
  let grid: [number, number];
  let windowStride: [number | null, number | null] = [null, null];
  if (p.method === 'occlusion') {
    let win = p.window;
    if (win === undefined) {
      const info = inspectModel(p.model, { imageSize: h });
      win = defaultWindow(info.family, info.config.patchSize, h, w);
    }
    const g = occlusionGrid(h, w, win, p.stride ?? win);
    total = g.grid[0] * g.grid[1];
    grid = g.grid;
    windowStride = [g.window, g.stride];
    const probs = new Float64Array(total).fill(NaN);
    partial = () => Float32Array.from(probs, (q) => clearP - q);
    make = (i) => {
      const x = new Float32Array(per);
      occlude(clearInput, [c, h, w], g, i, x);
      return x;
    };
    take = (i, logits) => void (probs[i] = softmaxAt(logits, cls));
    finish = () => ({ map: occlusionMap(clearP, probs), grid: g.grid, window: g.window, stride: g.stride });
  } else {
    const masks = new RiseMasks(h, w, { masks: p.masks ?? 1000, seed: p.seed ?? 0 });
    const sal = new RiseSaliency(h * w, masks.keep);
    grid = [h, w];
    partial = () => Float32Array.from(sal.map());
    const kept: Float32Array[] = [];
    total = p.masks ?? 1000;
    make = (i) => {
      const m = masks.next();
      kept[i] = m;
      const x = new Float32Array(per);
      applyMask(clearInput, c, m, x);
      return x;
    };
    take = (i, logits) => {
      sal.add(kept[i], softmaxAt(logits, cls));
      delete kept[i];
    };
    finish = () => ({ map: sal.map(), grid: [h, w], window: null, stride: null });
  }

  const size = size0(total);
  let done = 0;
  let lastPartial = -Infinity;
  for (const n of batchPlan(total, size)) {
    const xs: Float32Array[] = [];
    for (let k = 0; k < n; k++) xs.push(make(done + k));
    const outs = await run(xs);
    outs.forEach((l, k) => take(done + k, l, xs[k]));
    done += n;
    // The map so far rides on the progress message a few times a second (progressive drawing), not on every batch.
    const now = performance.now();
    const withMap = done < total && now - lastPartial >= PARTIAL_EVERY_MS;
    if (withMap) lastPartial = now;
    reportProgress(`${done}/${total} runs`, withMap ? ({ class: cls, label: labelOf(labels, cls), prob: clearP, window: windowStride[0], stride: windowStride[1], ep: s.ep, done, total, grid, map: partial() } satisfies ExplainPartial) : undefined);
  }
  const r = finish();
  return { method: p.method, class: cls, label: labelOf(labels, cls), prob: clearP, grid: r.grid, window: r.window, stride: r.stride, runs: total, ms: performance.now() - t0, ep: s.ep, map: Float32Array.from(r.map) };
}
