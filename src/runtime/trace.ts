/**
 * `trace` in the inference process: one run of the model with the traced block's tensors added as
 * graph outputs (core/trace/model.ts decides which), then the steps assembled and recomputed
 * (core/trace/assemble.ts). Sessions are opened and cached as the attention capture's are.
 */
import type * as ortType from 'onnxruntime-node';
import { capturePreprocessing, checkWeightsPresent } from '../core/attention/capture';
import { decodeImage, toTensor } from '../core/image/decode';
import type { PreprocessingOverrides } from '../core/image/preprocess';
import { labelOf, resolveLabels } from '../core/classify/labels';
import { loadTensorValues } from '../core/onnx/reader';
import type { TensorInfo } from '../core/onnx/model';
import { outputToFloat32 } from '../core/session/dtype';
import { assembleTrace, type Captured } from '../core/trace/assemble';
import { traceCapture, traceModel } from '../core/trace/model';
import { checkSelection } from '../core/trace/selection';
import type { TraceResult } from '../core/trace/types';
import { DEFAULT_PROVIDER_ORDER } from '../core/session/providers';
import { openCaptureSession, runCapture } from './capture';

export interface TraceParams {
  model: string;
  image: string;
  layer: number;
  head: number;
  token: number;
  /** execution providers to try, in order (default: the setting's default order) */
  order?: string[];
  overrides?: PreprocessingOverrides;
  labelsFile?: string;
  maxPixels?: number;
  /** Also return the cropped RGB image the model saw (the panel draws the rows over it). */
  withImage?: boolean;
}

/** The trace document, with what the panel shows beside it (not part of `vit-inspect trace --json`). */
export interface TraceReply extends TraceResult {
  /** the preprocessing applied (resize, crop, mean, std and where they came from) */
  preprocessing?: string;
  /** withImage: the image the model saw, after resize and crop */
  cropped?: { width: number; height: number; rgb: Uint8Array };
}

/** float16 / bfloat16 when the run's activations are in half precision (any captured float tensor), else undefined. */
function halfPrecision(tensors: ortType.Tensor[]): 'float16' | 'bfloat16' | undefined {
  if (tensors.some((t) => t?.type === 'float16')) return 'float16';
  if (tensors.some((t) => (t?.type as string) === 'bfloat16')) return 'bfloat16';
  return undefined;
}

/** Weights read for a recomputation at most (one ViT-L MLP matrix is 16 MiB). */
const MAX_WEIGHT_BYTES = 256 << 20;

export async function trace(params: TraceParams): Promise<TraceReply> {
  const p = { ...params, order: params.order ?? [...DEFAULT_PROVIDER_ORDER] };
  const pre = capturePreprocessing(p.model, p.overrides);
  const m = traceModel(p.model, pre.size?.[0]);
  checkWeightsPresent(m.capture);
  checkSelection(m.ranges, p.layer, p.head, p.token);
  const { plan, taps, fetches } = traceCapture(m, p.layer);
  const s = await openCaptureSession(plan, p.order);
  const decoded = await decodeImage(p.image, p.maxPixels);
  const tensor = toTensor(decoded, pre);
  const out = await runCapture(s, plan, tensor, p.image, p.order, fetches);
  const cache = new Map<string, Captured>();
  const get = (name: string): Captured | undefined => {
    let c = cache.get(name);
    if (!c) {
      const t = out[name] as ortType.Tensor | undefined;
      if (!t) return undefined;
      // a dynamic quantization's zero point is an 8-bit integer tap, not logits
      const ints = t.type === 'uint8' || t.type === 'int8';
      c = { data: ints ? Float32Array.from(t.data as ArrayLike<number>) : outputToFloat32(t.type, t.data, plan.display), dims: t.dims };
      cache.set(name, c);
    }
    return c;
  };
  const weightCache = new Map<string, ArrayLike<number> | null>();
  const weights = (t: TensorInfo): ArrayLike<number> | null => {
    if (!weightCache.has(t.name)) weightCache.set(t.name, loadTensorValues(plan.model, t, MAX_WEIGHT_BYTES));
    return weightCache.get(t.name)!;
  };
  const L = plan.layers[p.layer];
  const at = m.a.attentions.find((x) => x.softmax === m.det.stages[L.stage].blocks[L.block].softmax)!;
  const logits = get(taps.logits);
  const labels = resolveLabels(p.model, logits?.data.length ?? 0, { labelsFile: p.labelsFile });
  const r = assembleTrace({
    family: m.family,
    layer: p.layer,
    head: p.head,
    token: p.token,
    taps,
    out: get,
    input: { data: tensor.data, dims: tensor.dims },
    weights,
    heads: L.heads,
    dim: at.dim,
    headDim: at.headDim,
    tokens: L.tokens,
    extraTokens: m.extraTokens,
    grid: L.grid,
    window: L.window,
    shift: L.shift,
    shiftBeforePad: L.shiftBeforePad,
    biasTable: m.biasTables[p.layer] ?? null,
    stage: L.stage,
    patch: m.capture.config.patchSize,
    backbone: m.capture.config.backbone,
    mlpRatio: m.capture.config.mlpRatio,
    labels: (i) => labelOf(labels, i),
    precision: halfPrecision(Object.values(out) as ortType.Tensor[]),
  });
  return {
    ...r, model: p.model, ep: s.ep, ranges: m.ranges, warnings: [...(r.warnings ?? []), ...plan.warnings],
    preprocessing: pre.summary, ...(p.withImage ? { cropped: tensor.cropped } : {}),
  };
}
