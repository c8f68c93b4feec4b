/**
 * Classify images with an ONNX model: decode → preprocess (in a worker thread, ahead of the
 * runs) → run, in batches when the batch dimension is symbolic → top-k.
 */
import { freemem } from 'node:os';
import { basename } from 'node:path';
import type * as ortType from 'onnxruntime-node';
import { UserError } from '../core/errors';
import { batchPlan, chooseBatchSize } from '../core/classify/batch';
import { outputToFloat32, toInputData } from '../core/session/dtype';
import { capturePreprocessing } from '../core/attention/capture';
import { checkImageInput } from '../core/image/inputCheck';
import { labelOf, resolveLabels } from '../core/classify/labels';
import { resolvePreprocessing } from '../core/image/preprocess';
import { topK } from '../core/classify/topk';
import { Preparer, prepareImage, type Prepared } from './prepare';
import type { ClassifyParams, ClassifyResult, ImageResult } from './rpc';
import { openSession, ort, runFailure, runSession, sessionSummary } from './sessions';
import { warmCapture } from './capture';

let preparer: Preparer | undefined;

export async function classify(p: ClassifyParams): Promise<ClassifyResult> {
  const s = await openSession(p.model, p.order);
  const display = basename(p.model);
  const input = s.session.inputMetadata[0];
  if (!input || !input.isTensor) throw new UserError(`${display} has no tensor input; it is not an image classifier.`);
  const { channels, height: inputSize } = checkImageInput(display, s.session.inputNames, input.name, input.shape);
  // A model with a symbolic input size and no preprocessing file runs at the size its shapes fit, as capture does.
  const pre = inputSize !== null ? resolvePreprocessing(p.model, inputSize, channels, p.overrides ?? {}) : capturePreprocessing(p.model, p.overrides ?? {});
  const outName = s.session.outputNames[0];
  const outMeta = s.session.outputMetadata[0];
  const outShape = outMeta && outMeta.isTensor ? outMeta.shape : [];
  const numClasses = typeof outShape[outShape.length - 1] === 'number' ? (outShape[outShape.length - 1] as number) : null;
  // [batch, tokens, dim]: hidden states of a base model (ViTModel, DeiTModel), not class scores.
  if (outShape.length === 3)
    throw new UserError(
      `${display} outputs ${outName} [${outShape.join(', ')}], one vector per token: it is a base model without a classification head (e.g. ViTModel), so it has no classes to show. Its architecture, attention and embeddings still work; classify with a …ForImageClassification checkpoint.`,
    );
  const labels = resolveLabels(p.model, numClasses, { labelsFile: p.labelsFile });
  const inputType = input.type;
  const batchDim = input.shape[0];
  const side = pre.size ?? [inputSize ?? 224, inputSize ?? 224];
  const batch = chooseBatchSize({
    dynamic: typeof batchDim !== 'number',
    fixed: typeof batchDim === 'number' ? batchDim : null,
    inputBytes: channels * side[0] * side[1] * (inputType === 'float16' ? 2 : 4),
    freeMemory: freemem(),
    images: p.images.length,
    override: p.batch,
  });

  // One image: nothing to overlap, prepare here. More: a worker thread prepares ahead of the runs.
  const prep = (image: string) =>
    p.images.length === 1 ? prepareImage(image, pre, p.maxPixels, !!p.withImage) : (preparer ??= new Preparer()).prepare(image, pre, p.maxPixels, !!p.withImage);
  const lookahead = Math.max(2, batch.size * 2);
  const queued: Promise<Prepared>[] = [];
  let submitted = 0;
  const fill = (upTo: number) => {
    for (; submitted < Math.min(upTo, p.images.length); submitted++) {
      const q = prep(p.images[submitted]);
      q.catch(() => undefined); // awaited below; a request that fails first must not leave it unhandled
      queued[submitted] = q;
    }
  };

  const results: ImageResult[] = new Array(p.images.length);
  const o = ort();
  let at = 0;
  for (const size of batchPlan(p.images.length, batch.size)) {
    fill(at + size + lookahead);
    const group: { index: number; prepared: Extract<Prepared, { ok: true }> }[] = [];
    for (let i = at; i < at + size; i++) {
      const prepared = await queued[i];
      delete queued[i];
      if (!prepared.ok) results[i] = { image: p.images[i], ok: false, error: prepared.error, detail: prepared.detail };
      else group.push({ index: i, prepared });
    }
    at += size;
    // Images of different sizes (a keep-aspect resize without crop) cannot share a run.
    for (const run of splitByDims(group)) await runGroup(run);
  }

  async function runGroup(group: { index: number; prepared: Extract<Prepared, { ok: true }> }[]): Promise<void> {
    const [, c, h, w] = group[0].prepared.tensor.dims;
    if (inputSize !== null && (h !== inputSize || w !== inputSize)) {
      for (const g of group)
        results[g.index] = { image: p.images[g.index], ok: false, error: `${pre.source} gives this image a ${w}×${h} input but ${display} takes ${inputSize}×${inputSize}; its preprocessing needs a crop (do_center_crop + crop_size).` };
      return;
    }
    const per = c * h * w;
    const data = group.length === 1 ? group[0].prepared.tensor.data : new Float32Array(per * group.length);
    if (group.length > 1) group.forEach((g, k) => data.set(g.prepared.tensor.data, k * per));
    const fed = toInputData(data, inputType, display);
    const t0 = performance.now();
    let out: ortType.InferenceSession.ReturnType;
    try {
      out = await runSession(s, { [input.name]: new o.Tensor(fed.type, fed.data, [group.length, c, h, w]) }, p.order);
    } catch (e) {
      throw runFailure(e, display, group.length === 1 ? basename(p.images[group[0].index]) : `a batch of ${group.length} images`);
    }
    const run = performance.now() - t0;
    const t = out[outName];
    const all = outputToFloat32(t.type, t.data, display);
    const classes = all.length / group.length;
    group.forEach((g, k) => {
      const logits = all.slice(k * classes, (k + 1) * classes);
      const { tensor } = g.prepared;
      results[g.index] = {
        image: p.images[g.index],
        ok: true,
        top: topK(logits, p.topK, (i) => labelOf(labels, i)),
        logits,
        // A batch's run time is shared equally by its images.
        timings: { decode: g.prepared.decode, preprocess: g.prepared.preprocess, run: run / group.length, batch: group.length },
        original: tensor.original,
        steps: tensor.steps,
        cropped: p.withImage ? tensor.cropped : undefined,
      };
    });
  }

  // Classify Image is usually followed by Show Attention: its capture session opens meanwhile.
  // Not for a folder (it would compete with the runs) and not for a checkpoint source.
  if (p.images.length === 1 && typeof p.model === 'string' && p.model.endsWith('.onnx')) warmCapture(p.model, p.order, p.overrides);
  return {
    model: p.model,
    ...sessionSummary(s),
    preprocessing: pre,
    labels: { source: labels.source, warning: labels.warning, count: labels.names?.length ?? 0 },
    inputName: input.name,
    inputType,
    numClasses,
    batch,
    prepared: p.images.length > 1 && (preparer?.threaded ?? false) ? 'worker thread' : 'inference thread',
    results,
  };
}

function splitByDims<T extends { prepared: Extract<Prepared, { ok: true }> }>(group: T[]): T[][] {
  const runs: T[][] = [];
  for (const g of group) {
    const last = runs[runs.length - 1];
    if (last && last[0].prepared.tensor.dims.join() === g.prepared.tensor.dims.join()) last.push(g);
    else runs.push([g]);
  }
  return runs;
}
