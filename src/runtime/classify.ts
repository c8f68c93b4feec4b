/** Classify images with an ONNX model: decode → preprocess → run → top-k. */
import { basename } from 'node:path';
import { UserError, isUserError } from '../core/errors';
import { decodeImage, toTensor } from '../core/inference/image';
import { checkImageInput } from '../core/inference/imageInputCheck';
import { labelOf, resolveLabels } from '../core/inference/labels';
import { resolvePreprocessing } from '../core/inference/preprocess';
import { topK } from '../core/inference/topk';
import type { ClassifyParams, ClassifyResult, ImageResult } from './rpc';
import { openSession, ort } from './sessions';

export async function classify(p: ClassifyParams): Promise<ClassifyResult> {
  const s = await openSession(p.model, p.order);
  const input = s.session.inputMetadata[0];
  if (!input || !input.isTensor) throw new UserError(`${basename(p.model)} has no tensor input; it is not an image classifier.`);
  const { channels, height: inputSize } = checkImageInput(basename(p.model), s.session.inputNames, input.name, input.shape);
  const pre = resolvePreprocessing(p.model, inputSize, channels, p.overrides ?? {});
  const outName = s.session.outputNames[0];
  const outMeta = s.session.outputMetadata[0];
  const outShape = outMeta && outMeta.isTensor ? outMeta.shape : [];
  const numClasses = typeof outShape[outShape.length - 1] === 'number' ? (outShape[outShape.length - 1] as number) : null;
  const labels = resolveLabels(p.model, numClasses, { labelsFile: p.labelsFile });

  // Decode and preprocess image i+1 (sharp works on libuv's threads) while image i runs.
  type Prepared = { tensor: Awaited<ReturnType<typeof toTensor>>; decode: number; preprocess: number } | { error: string };
  const prepare = async (image: string): Promise<Prepared> => {
    try {
      const t0 = performance.now();
      const decoded = await decodeImage(image, p.maxPixels);
      const t1 = performance.now();
      const tensor = await toTensor(decoded, pre);
      return { tensor, decode: t1 - t0, preprocess: performance.now() - t1 };
    } catch (e) {
      if (!isUserError(e)) throw e;
      return { error: e.message };
    }
  };
  const results: ImageResult[] = [];
  let next = p.images.length ? prepare(p.images[0]) : null;
  for (let i = 0; i < p.images.length; i++) {
    const image = p.images[i];
    const prepared = await next!;
    next = i + 1 < p.images.length ? prepare(p.images[i + 1]) : null;
    if ('error' in prepared) {
      results.push({ image, ok: false, error: prepared.error });
      continue;
    }
    const { tensor } = prepared;
    const t2 = performance.now();
    const out = await s.session.run({ [input.name]: new (ort().Tensor)('float32', tensor.data, tensor.dims) });
    const t3 = performance.now();
    const logits = Float32Array.from(out[outName].data as Float32Array);
    results.push({
      image,
      ok: true,
      top: topK(logits, p.topK, (k) => labelOf(labels, k)),
      logits,
      timings: { decode: prepared.decode, preprocess: prepared.preprocess, run: t3 - t2 },
      original: tensor.original,
      cropped: p.withImage ? tensor.cropped : undefined,
    });
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
