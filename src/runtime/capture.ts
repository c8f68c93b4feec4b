/**
 * Attention capture in the inference process: opens the session for a capture plan
 * (core/attention/capture.ts finds the Softmax outputs and decides what to capture) and runs it
 * once, returning the logits and every captured attention tensor ([1, heads, N, N] for a ViT,
 * [windows, heads, M², M²] for a Swin) as typed arrays. Sessions are cached like any other.
 */
import { linkSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve, sep } from 'node:path';
import type * as ortType from 'onnxruntime-node';
import type { ArchConfig } from '../core/arch/detect';
import { UserError, isUserError } from '../core/errors';
import type { CapturedLayer } from '../core/attention/maps';
import { type AttentionSummary, attentionSummary } from '../core/attention/summary';
import {
  type CapturePlan,
  DEFAULT_MAX_ATTENTION_BYTES,
  capturePreprocessing,
  captureFetches,
  capturedLayers,
  captureWarnings,
  checkWeightsPresent,
  chooseLayers,
  planCapture,
} from '../core/attention/capture';
import { LruCache } from '../core/session/fileCache';
import { decodeImage, toTensor } from '../core/image/decode';
import { labelOf, resolveLabels } from '../core/classify/labels';
import type { Preprocessing, PreprocessingOverrides } from '../core/image/preprocess';
import type { TopEntry } from '../core/classify/topk';
import { topK } from '../core/classify/topk';
import { outputToFloat32, toInputData } from '../core/session/dtype';
import { writeModel } from '../core/onnx/writer';
import { builtSource } from './modelSource';
import { type OpenSession, type SessionSummary, firstLine, openSession, ort, runFailure, runSession, sessionSummary } from './sessions';

export { DEFAULT_MAX_ATTENTION_BYTES } from '../core/attention/capture';

export interface AttentionParams {
  model: string;
  image: string;
  order: string[];
  overrides?: PreprocessingOverrides;
  maxPixels?: number;
  /**
   * Layers to capture (indices into the block order). Default: all of them while their attention
   * fits in `maxBytes`; above it only these (or, when none are given, the last layer), with a warning.
   */
  layers?: number[];
  /** Limit on the attention returned, in bytes (default DEFAULT_MAX_ATTENTION_BYTES). */
  maxBytes?: number;
  /** Also return top-k classes (with labels found as classify finds them). */
  topK?: number;
  labelsFile?: string;
  /** Also return the cropped RGB image the model saw (for drawing the maps over). */
  withImage?: boolean;
  /** Also return the maps the attention view draws first (core/attention/summary.ts), computed here, off the editor's threads. */
  summary?: boolean;
  /**
   * Keep the tensors in this process: the result's layers carry none (data null) and `kept` names
   * them for keptLayers() (the `attentionLayers` request), so the 22 MB of a ViT-B/16 capture cross
   * the IPC channel only when a view asks for them.
   */
  keep?: boolean;
}

export interface AttentionResult extends SessionSummary {
  model: string;
  family: 'vit' | 'swin';
  config: ArchConfig;
  /** Model input size [height, width]. */
  imageSize: [number, number];
  inputName: string;
  preprocessing: Preprocessing;
  logits: Float32Array;
  top?: TopEntry[];
  /** Where the labels of `top` came from (with topK). */
  labels?: { source: string; warning?: string };
  /** Every attention block in block order; `data` is null for those not captured. */
  layers: CapturedLayer[];
  /** With `summary`: every layer's maps, the rollout and the model view's rollout rows. */
  summary?: AttentionSummary;
  /** With `keep`: the id keptLayers() hands the tensors out by. */
  kept?: string;
  /** Bytes of all the attention tensors (float32), and of those returned. */
  totalBytes: number;
  capturedBytes: number;
  warnings: string[];
  /** ms; `summary`: reading the outputs and, with `summary`, the maps drawn first. */
  timings: { prepare: number; decode: number; preprocess: number; run: number; summary: number };
  original: { width: number; height: number; format: string };
  cropped?: { width: number; height: number; rgb: Uint8Array };
}

/**
 * A model with external data: ONNX Runtime reads the data relative to the model file and refuses
 * any path that leaves its folder (symbolic links included). So the modified model is written to
 * a temporary folder holding hard links to the data files (or, across file systems, beside the
 * original for the moment ONNX Runtime loads it), and removed once the session exists.
 */
function writeForExternalData(plan: CapturePlan): { file: string; cleanup: () => void } {
  const src = plan.model.path as string;
  const files = [...new Set(plan.model.graph.initializers.flatMap((t) => (t.data.location === 'external' ? [t.data.file] : [])))];
  const name = `${basename(src, '.onnx')}.attention-${process.pid}.onnx`;
  const dir = mkdtempSync(join(tmpdir(), 'vit-inspector-attention-'));
  const rmDir = (): void => rmSync(dir, { recursive: true, force: true });
  try {
    for (const f of files) {
      const dest = resolve(dir, f);
      if (!dest.startsWith(dir + sep)) throw new UserError(`${plan.display} refers to external data outside its folder (${f}); ONNX Runtime refuses that.`);
      mkdirSync(dirname(dest), { recursive: true });
      linkSync(resolve(dirname(src), f), dest);
    }
    const file = join(dir, name);
    writeModel(plan.model, file);
    return { file, cleanup: rmDir };
  } catch (e) {
    rmDir();
    if (isUserError(e)) throw e;
  }
  const file = join(dirname(src), `.${name}`);
  try {
    writeModel(plan.model, file);
  } catch (e) {
    throw new UserError(
      `${plan.display} keeps its weights in external data, and the copy with attention outputs could be written neither beside it nor linked to it from a temporary folder (${(e as Error).message}). Copy the model and its data to a writable folder.`,
    );
  }
  return { file, cleanup: () => rmSync(file, { force: true }) };
}

/** Sessions of models with external data (at most one: they are large). */
const externalSessions = new LruCache<Promise<OpenSession>>(1, (o) => void o.then((x) => x.session.release()).catch(() => undefined));

export async function openCaptureSession(plan: CapturePlan, order: string[]): Promise<OpenSession> {
  if (!plan.external || plan.externalFolder) {
    // Bytes made only if the session is not cached already (openSession reads them to create one). A
    // checkpoint's graph reads its weights in place, from the checkpoint's real folder; an fp16 one
    // is computed in fp16 on a provider that runs it, its attention outputs cast back to float32.
    return openSession(builtSource(`attention|${plan.key}`, plan.model, plan.externalFolder ?? undefined), order);
  }
  const k = `${plan.key}|${order.join(',')}`;
  let s = externalSessions.get(k);
  if (!s) {
    s = (async () => {
      const { file, cleanup } = writeForExternalData(plan);
      try {
        return await openSession(file, order, { cache: false });
      } finally {
        cleanup();
      }
    })();
    const made = s;
    externalSessions.set(k, s).catch(() => externalSessions.deleteIf(k, made));
  }
  return s;
}

/**
 * Opens the capture session of `model` in the background, so that Show Attention after a
 * Classify Image finds it warm (issue 22 item 6: loading it on demand was most of the 4.7 s).
 * Speculative: a model without attention, or with external data (large: one session of it at a
 * time), is skipped, and any failure is left for attention() to report when it is asked for.
 */
export function warmCapture(model: string, order: string[], overrides?: PreprocessingOverrides): void {
  setImmediate(() => {
    try {
      const pre = capturePreprocessing(model, overrides);
      const plan = planCapture(model, { imageSize: pre.size?.[0] });
      if (plan.external && !plan.externalFolder) return;
      checkWeightsPresent(plan);
      openCaptureSession(plan, order).catch(() => undefined);
    } catch {
      // Not a model with attention (or not one capture can plan): nothing to warm.
    }
  });
}

/**
 * One run of a capture plan's session on an image tensor, fed in the model's own input type (an
 * fp16 export takes float16); a failure in the user's terms (attention and trace share it).
 */
export async function runCapture(
  s: OpenSession,
  plan: CapturePlan,
  tensor: { data: Float32Array; dims: number[] },
  image: string,
  order: string[],
  fetches: string[],
): Promise<ortType.InferenceSession.ReturnType> {
  const o = ort();
  const meta = s.session.inputMetadata.find((m) => m.name === plan.inputName);
  try {
    const fed = toInputData(tensor.data, meta && meta.isTensor ? meta.type : 'float32', plan.display);
    return await runSession(s, { [plan.inputName]: new o.Tensor(fed.type, fed.data, tensor.dims) }, order, fetches);
  } catch (e) {
    if (plan.batchWas !== null && !isUserError(e))
      throw new UserError(`${plan.display} was exported for a fixed batch of ${plan.batchWas} images and cannot run on one (${firstLine(e)}). Export it with batch 1 or a dynamic batch axis.`);
    throw runFailure(e, plan.display, basename(image));
  }
}

/**
 * The tensors of the last captures made with `keep` (one per panel shown lately), oldest first:
 * as many as fit in DEFAULT_MAX_ATTENTION_BYTES together, and always the newest.
 */
const kept = new Map<string, { layers: CapturedLayer[]; bytes: number }>();
let keptCount = 0;

function keepCapture(layers: CapturedLayer[]): string {
  const id = `${process.pid}:${++keptCount}`;
  kept.set(id, { layers, bytes: layers.reduce((n, l) => n + (l.data?.byteLength ?? 0), 0) });
  let total = [...kept.values()].reduce((n, k) => n + k.bytes, 0);
  for (const [old, k] of kept) {
    if (total <= DEFAULT_MAX_ATTENTION_BYTES || old === id) break;
    kept.delete(old);
    total -= k.bytes;
  }
  return id;
}

/** Tensors of a kept capture's layers (those captured); null when it is no longer kept here. */
export function keptLayers(id: string, indices: readonly number[]): { index: number; data: Float32Array }[] | null {
  const layers = kept.get(id)?.layers;
  if (!layers) return null;
  return indices.flatMap((index) => (layers[index]?.data ? [{ index, data: layers[index].data! }] : []));
}

export async function attention(p: AttentionParams): Promise<AttentionResult> {
  const t0 = performance.now();
  const pre = capturePreprocessing(p.model, p.overrides);
  const plan = planCapture(p.model, { imageSize: pre.size?.[0] });
  checkWeightsPresent(plan);
  const { layers: chosen, warnings: sizeWarnings } = chooseLayers(plan.bytes, p.layers, p.maxBytes ?? DEFAULT_MAX_ATTENTION_BYTES);
  const s = await openCaptureSession(plan, p.order);
  const t1 = performance.now();

  const decoded = await decodeImage(p.image, p.maxPixels);
  const t2 = performance.now();
  const tensor = toTensor(decoded, pre);
  const t3 = performance.now();
  const out = await runCapture(s, plan, tensor, p.image, p.order, captureFetches(plan, chosen));
  const t4 = performance.now();

  const toFloat32 = (t: ortType.Tensor): Float32Array => outputToFloat32(t.type, t.data, plan.display);
  const logits = toFloat32(out[plan.logitsName] as ortType.Tensor);
  const layers = capturedLayers(plan, chosen, (name) => {
    const t = out[name] as ortType.Tensor;
    return { data: toFloat32(t), dims: t.dims };
  });
  const warnings = captureWarnings(plan, chosen, sizeWarnings);

  let top: TopEntry[] | undefined;
  let labelsFound: AttentionResult['labels'];
  if (p.topK) {
    const labels = resolveLabels(p.model, logits.length, { labelsFile: p.labelsFile });
    top = topK(logits, p.topK, (i) => labelOf(labels, i));
    labelsFound = { source: labels.source, warning: labels.warning };
  }
  const summary = p.summary ? attentionSummary(plan.family, layers) : undefined;
  const t5 = performance.now();
  const id = p.keep ? keepCapture(layers) : undefined;
  return {
    model: p.model,
    ...sessionSummary(s),
    family: plan.family,
    config: plan.config,
    imageSize: plan.imageSize,
    inputName: plan.inputName,
    preprocessing: pre,
    logits,
    top,
    labels: labelsFound,
    layers: id ? layers.map((l) => ({ ...l, data: null })) : layers,
    kept: id,
    summary,
    totalBytes: plan.bytes.reduce((x, y) => x + y, 0),
    capturedBytes: chosen.reduce((x, i) => x + plan.bytes[i], 0),
    warnings,
    timings: { prepare: t1 - t0, decode: t2 - t1, preprocess: t3 - t2, run: t4 - t3, summary: t5 - t4 },
    original: tensor.original,
    cropped: p.withImage ? tensor.cropped : undefined,
  };
}
