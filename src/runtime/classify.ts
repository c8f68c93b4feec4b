/** Classify images with an ONNX model: decode → preprocess → run → top-k. */
import { basename } from 'node:path';
import { UserError, isUserError } from '../core/errors';
import { decodeImage, toTensor } from '../core/inference/image';
import { labelOf, resolveLabels } from '../core/inference/labels';
import { resolvePreprocessing } from '../core/inference/preprocess';
import { topK } from '../core/inference/topk';
import type { ClassifyParams, ClassifyResult, ImageResult } from './rpc';
import { openSession, ort } from './sessions';

export async function classify(p: ClassifyParams): Promise<ClassifyResult> {
  const s = await openSession(p.model, p.order);
  const input = s.session.inputMetadata[0];
  if (!input || !input.isTensor) throw new UserError(`${basename(p.model)} has no tensor input; it is not an image classifier.`);
  if (s.session.inputMetadata.length > 1)
    throw new UserError(`${basename(p.model)} has ${s.session.inputMetadata.length} inputs (${s.session.inputNames.join(', ')}); an image classifier has one.`);
  const shape = input.shape;
  if (shape.length !== 4) throw new UserError(`${basename(p.model)}'s input "${input.name}" has shape [${shape.join(', ')}]; an image model takes [batch, channels, height, width].`);
  const [, c, h, w] = shape;
  const channels = typeof c === 'number' ? c : 3;
  if (channels !== 1 && channels !== 3) throw new UserError(`${basename(p.model)} takes ${channels}-channel input; only 1 (grey) or 3 (RGB) channels are supported.`);
  if (typeof h === 'number' && typeof w === 'number' && h !== w) throw new UserError(`${basename(p.model)} takes ${h}×${w} input; only square inputs are supported.`);
  const inputSize = typeof h === 'number' ? h : null;
  const pre = resolvePreprocessing(p.model, inputSize, channels as 1 | 3, p.overrides ?? {});
  const outName = s.session.outputNames[0];
  const outMeta = s.session.outputMetadata[0];
  const outShape = outMeta && outMeta.isTensor ? outMeta.shape : [];
  const numClasses = typeof outShape[outShape.length - 1] === 'number' ? (outShape[outShape.length - 1] as number) : null;
  const labels = resolveLabels(p.model, numClasses, { labelsFile: p.labelsFile });

  const results: ImageResult[] = [];
  for (const image of p.images) {
    try {
      const t0 = performance.now();
      const decoded = await decodeImage(image, p.maxPixels);
      const t1 = performance.now();
      const tensor = await toTensor(decoded, pre);
      const t2 = performance.now();
      const out = await s.session.run({ [input.name]: new (ort().Tensor)('float32', tensor.data, tensor.dims) });
      const t3 = performance.now();
      const logits = Float32Array.from(out[outName].data as Float32Array);
      results.push({
        image,
        ok: true,
        top: topK(logits, p.topK, (i) => labelOf(labels, i)),
        logits,
        timings: { decode: t1 - t0, preprocess: t2 - t1, run: t3 - t2 },
        original: tensor.original,
        cropped: p.withImage ? tensor.cropped : undefined,
      });
    } catch (e) {
      if (!isUserError(e)) throw e;
      results.push({ image, ok: false, error: e.message });
    }
  }
  return {
    model: p.model,
    ep: s.ep,
    failures: s.failures,
    loadMs: s.loadMs,
    preprocessing: pre,
    labels: { source: labels.source, warning: labels.warning, count: labels.names?.length ?? 0 },
    inputName: input.name,
    numClasses,
    results,
  };
}
