/**
 * Attention capture: the model's own attention, from one run. The reader finds each attention
 * block's Softmax (by structure: fed by a QKᵀ product, feeding the product with V), the writer
 * adds its output as a graph output, and one session.run returns the logits and every attention
 * tensor: [1, heads, N, N] for a ViT, [windows, heads, M², M²] for a Swin. Runs in the inference
 * process; the tensors travel to the host as typed arrays.
 *
 * The modified model is planned once per model file (path, size, mtime) and input size; its bytes
 * are made (streamed from the original file, weights byte for byte) only when ONNX Runtime opens
 * a session for it, and the session is cached like any other.
 */
import { linkSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve, sep } from 'node:path';
import type * as ortType from 'onnxruntime-node';
import { analyzeGraph } from '../core/arch/analysis';
import type { ArchConfig } from '../core/arch/detect';
import { detectArchitecture } from '../core/arch/detect';
import { UserError, isUserError } from '../core/errors';
import type { CapturedLayer } from '../core/inference/attentionMaps';
import { decodeImage, toTensor } from '../core/inference/image';
import { labelOf, resolveLabels } from '../core/inference/labels';
import type { Preprocessing, PreprocessingOverrides } from '../core/inference/preprocess';
import { resolvePreprocessing } from '../core/inference/preprocess';
import type { TopEntry } from '../core/inference/topk';
import { topK } from '../core/inference/topk';
import type { OnnxModel, ValueInfo } from '../core/onnx/model';
import { DataType } from '../core/onnx/proto';
import { readModel } from '../core/onnx/reader';
import { graphInputs, imageInput, inferShapes } from '../core/onnx/shapes';
import { addGraphOutputs, modelToBytes, writeModel } from '../core/onnx/writer';
import { type OpenSession, openSession, ort } from './sessions';

/**
 * Attention bytes above which only the requested layers are captured. ViT-B/16 at 384² has
 * 12 × 12 × 577² floats (192 MiB) and is captured whole; ViT-L/16 at 384², 24 × 16 × 577² floats
 * (488 MiB), is not.
 */
export const DEFAULT_MAX_ATTENTION_BYTES = 256 * 1024 * 1024;

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
}

export interface AttentionResult {
  model: string;
  ep: string;
  failures: { ep: string; reason: string }[];
  loadMs: number;
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
  /** Bytes of all the attention tensors (float32), and of those returned. */
  totalBytes: number;
  capturedBytes: number;
  warnings: string[];
  timings: { prepare: number; decode: number; preprocess: number; run: number };
  original: { width: number; height: number; format: string };
  cropped?: { width: number; height: number; rgb: Uint8Array };
}

/** Fused attention operators: they compute the Softmax inside, so there is nothing to tap. */
const FUSED_ATTENTION = new Set([
  'Attention',
  'MultiHeadAttention',
  'PackedAttention',
  'PackedMultiHeadAttention',
  'GroupQueryAttention',
  'DecoderMaskedMultiHeadAttention',
  'DecoderMaskedSelfAttention',
  'SparseAttention',
  'QAttention',
  'QOrderedAttention',
  'LongformerAttention',
]);

/** What a capture of one model file at one input size needs: decided once, cached. */
export interface CapturePlan {
  key: string;
  display: string;
  /** The model with the attention outputs added (weights still in the original file). */
  model: OnnxModel;
  family: 'vit' | 'swin';
  config: ArchConfig;
  imageSize: [number, number];
  inputName: string;
  channels: 1 | 3;
  logitsName: string;
  /** Layers without data; dims are those expected for batch 1. */
  layers: Omit<CapturedLayer, 'data'>[];
  bytes: number[];
  /** The model declared a fixed batch > 1, rewritten to 1. */
  batchWas: number | null;
  warnings: string[];
  external: boolean;
  /** External data files named by the model but absent (a structure-only model: it cannot run). */
  missingWeights: string[];
}

const plans = new Map<string, CapturePlan>();
const models = new Map<string, OnnxModel>();
const MAX_PLANS = 4;

function fileKey(path: string): string {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new UserError(`The model ${path} does not exist. Check the vitInspector.modelPath setting.`);
  }
  return `${resolve(path)}|${st.size}|${st.mtimeMs}`;
}

function remember<T>(m: Map<string, T>, key: string, v: T): T {
  m.set(key, v);
  while (m.size > MAX_PLANS) m.delete(m.keys().next().value as string);
  return v;
}

/** The model's structure, read once per file version. */
function readCached(modelPath: string): { key: string; model: OnnxModel } {
  const key = fileKey(modelPath);
  return { key, model: models.get(key) ?? remember(models, key, readModel(modelPath)) };
}

const dimsOf = (v: ValueInfo): (number | string | null)[] | null => (v.type && v.type.kind === 'tensor' ? v.type.shape : null);

/** A ValueInfo with its first dimension replaced (drops the span: the writer re-encodes it). */
function withBatch(v: ValueInfo, b: number): ValueInfo {
  const t = v.type;
  if (!t || t.kind !== 'tensor' || !t.shape || !t.shape.length) return v;
  return { name: v.name, type: { ...t, shape: [b, ...t.shape.slice(1)] }, docString: v.docString };
}

/**
 * Plans the capture for a model file: finds the attention blocks and what each one is, refuses
 * models without (tappable) attention, and adds the Softmax outputs as graph outputs.
 * `imageSize` binds a dynamic input size (ignored when the model declares one).
 */
export function planCapture(modelPath: string, opts: { imageSize?: number } = {}): CapturePlan {
  const { key: fk, model } = readCached(modelPath);
  const key = `${fk}|${opts.imageSize ?? ''}`;
  return plans.get(key) ?? remember(plans, key, makePlan(model, basename(modelPath), key, opts.imageSize));
}

/**
 * The preprocessing of a capture. A model with a dynamic input size and no preprocessing file
 * runs at the size its shapes fit (224, else the size its position embedding was made for),
 * not at a guessed 224 it cannot take.
 */
export function capturePreprocessing(modelPath: string, overrides: PreprocessingOverrides = {}): Preprocessing {
  const { model } = readCached(modelPath);
  const g = model.graph;
  const img = imageInput(g);
  if (!img) throw new UserError(`${basename(modelPath)} has no image input (a 4-D float tensor), so it cannot be run on an image.`);
  const shape = dimsOf(graphInputs(g)[img.index]) ?? [];
  const channels = shape[1] === 1 ? 1 : 3;
  const declared = typeof shape[2] === 'number' ? shape[2] : null;
  const pre = resolvePreprocessing(modelPath, declared, channels, overrides);
  if (declared !== null || overrides.crop !== undefined || pre.source !== 'ImageNet defaults') return pre;
  const fit = inferShapes(model).imageSize?.[0];
  return fit && fit !== pre.crop ? resolvePreprocessing(modelPath, fit, channels, overrides) : pre;
}

function makePlan(original: OnnxModel, display: string, key: string, imageSize: number | undefined): CapturePlan {
  const g0 = original.graph;
  const warnings: string[] = [];

  const fused = new Map<string, number>();
  for (const n of g0.nodes) {
    if (!FUSED_ATTENTION.has(n.opType)) continue;
    const k = `${n.domain && n.domain !== 'ai.onnx' ? `${n.domain}.` : ''}${n.opType}`;
    fused.set(k, (fused.get(k) ?? 0) + 1);
  }
  const fusedText = [...fused].map(([k, c]) => `${k} ×${c}`).join(', ');
  const fusedError = (): UserError =>
    new UserError(
      `${display} computes attention with fused operators (${fusedText}) that keep the Softmax inside, so there is no attention tensor to tap. Export the model without attention fusion (torch.onnx.export with dynamo=False and opset 17, or without ONNX Runtime's transformer optimizer) and open that file.`,
    );

  const img = imageInput(g0);
  if (!img) throw new UserError(`${display} has no image input (a 4-D float tensor), so it cannot be run on an image.`);
  const inputs = graphInputs(g0);
  if (inputs.length > 1) throw new UserError(`${display} has ${inputs.length} inputs (${inputs.map((i) => i.name).join(', ')}); an image classifier has one.`);
  const inShape = dimsOf(inputs[img.index]) ?? [];
  const c = inShape[1];
  const channels = typeof c === 'number' ? c : 3;
  if (channels !== 1 && channels !== 3) throw new UserError(`${display} takes ${channels}-channel input; only 1 (grey) or 3 (RGB) channels are supported.`);
  const [h, w] = [inShape[2], inShape[3]];
  if (typeof h === 'number' && typeof w === 'number' && h !== w) throw new UserError(`${display} takes ${h}×${w} input; only square inputs are supported.`);

  // A fixed batch > 1: run it at batch 1 (graph input and outputs rewritten, value_info hints dropped).
  let model = original;
  const b0 = inShape[0];
  let batchWas: number | null = null;
  if (typeof b0 === 'number' && b0 > 1) {
    batchWas = b0;
    model = {
      ...original,
      graph: {
        ...g0,
        inputs: g0.inputs.map((v) => (v.name === inputs[img.index].name ? withBatch(v, 1) : v)),
        outputs: g0.outputs.map((v) => (dimsOf(v)?.[0] === b0 ? withBatch(v, 1) : v)),
        valueInfo: [],
      },
    };
  }
  const batchError = (detail: string): UserError =>
    new UserError(
      `${display} was exported for a fixed batch of ${batchWas} images and cannot run on one (${detail}). Export it with batch 1 or a dynamic batch axis (torch.onnx.export(..., dynamic_axes={"input": {0: "batch"}})).`,
    );

  const shapes = inferShapes(model, typeof h === 'number' ? {} : { imageSize });
  if (batchWas !== null && shapes.conflicts.length) throw batchError(shapes.conflicts[0].message);
  const a = analyzeGraph(model, shapes);
  const det = detectArchitecture(a);
  if (det.family === 'other' || !det.stages.length) {
    if (fused.size) throw fusedError();
    throw new UserError(
      `${display}: no attention Softmax found — not a ViT/Swin. Attention maps need a vision transformer whose attention blocks compute Softmax(QKᵀ)·V as separate operators.`,
    );
  }
  if (fused.size) warnings.push(`${display} also has fused attention operators (${fusedText}); their attention cannot be captured.`);
  const family = det.family;
  const config = det.config;
  const atBySoftmax = new Map(a.attentions.map((x) => [x.softmax, x]));
  const size = shapes.imageSize ?? [imageSize ?? 224, imageSize ?? 224];

  const layers: Omit<CapturedLayer, 'data'>[] = [];
  const elemTypes: number[] = [];
  det.stages.forEach((st, si) => {
    st.blocks.forEach((bk, bi) => {
      const at = atBySoftmax.get(bk.softmax);
      if (!at) throw new Error(`no attention info for Softmax node ${bk.softmax}`);
      const output = model.graph.nodes[bk.softmax].outputs[0];
      const N = at.tokens;
      const heads = at.heads;
      const name = family === 'vit' ? `encoder.block${layers.length}` : `stage${si + 1}.block${bi}`;
      let grid: [number, number] = [st.tokens[0], st.tokens[1]];
      let extraTokens = 0;
      let window: number | null = null;
      let groups = 1;
      if (family === 'vit') {
        extraTokens = config.extraTokens;
        if (!(grid[0] > 0 && grid[1] > 0) || extraTokens + grid[0] * grid[1] !== N) {
          // No patch grid found: take the largest square that leaves a few extra tokens.
          const side = Math.floor(Math.sqrt(N));
          const sq = [side, side - 1].find((s) => s > 0 && N - s * s >= 0 && N - s * s <= 8);
          if (sq === undefined) throw new UserError(`${display}: cannot tell the patch grid of an attention block over ${N} tokens.`);
          grid = [sq, sq];
          extraTokens = N - sq * sq;
        }
      } else {
        window = st.window;
        if (window === null || window * window !== N) throw new UserError(`${display}: the windows of ${name} hold ${N} tokens, not a square M×M; only square windows are supported.`);
        if (!(grid[0] > 0 && grid[1] > 0) && !(at.windows > 0)) throw new UserError(`${display}: cannot tell the token grid of ${name} (its shapes are unknown).`);
        groups = Math.ceil(grid[0] / window) * Math.ceil(grid[1] / window);
        if (at.windows > 0 && at.windows !== groups) {
          // The stage grid does not fit the window count: a square map of that many windows.
          const side = Math.round(Math.sqrt(at.windows));
          if (side * side !== at.windows) throw new UserError(`${display}: ${name} has ${at.windows} windows, which does not fit a ${grid[0]}×${grid[1]} map; its layout is not one ViT Inspector reads.`);
          grid = [side * window, side * window];
          groups = at.windows;
          warnings.push(`${name}: the token grid was taken as ${grid[0]}×${grid[1]} from its ${groups} windows.`);
        }
        if (bk.shift >= window) throw new UserError(`${display}: ${name} shifts its windows by ${bk.shift}, not less than the window ${window}.`);
      }
      const patch = config.patchSize ?? Math.round(size[0] / (family === 'vit' ? grid[0] : st.tokens[0]));
      layers.push({
        name,
        output,
        stage: si,
        block: bi,
        heads,
        tokens: N,
        window,
        shifted: bk.shifted && bk.shift > 0,
        shift: bk.shifted ? bk.shift : 0,
        grid,
        cell: family === 'vit' ? patch : patch * 2 ** si,
        extraTokens,
        dims: [groups, heads, N, N],
      });
      elemTypes.push(shapes.tensors.get(output)?.dtype ?? DataType.FLOAT);
    });
  });
  const external = model.graph.initializers.some((t) => t.data.location === 'external');
  const missing = [...new Set(model.graph.initializers.flatMap((t) => (t.data.location === 'external' && !t.data.exists ? [t.data.file] : [])))];
  const withOutputs = addGraphOutputs(
    model,
    layers.map((l, i) => ({ name: l.output, elemType: elemTypes[i] })),
  );
  return {
    key,
    display,
    model: withOutputs,
    family,
    config,
    imageSize: [size[0], size[1]],
    inputName: inputs[img.index].name,
    channels: channels as 1 | 3,
    logitsName: g0.outputs[0].name,
    layers,
    bytes: layers.map((l) => l.dims.reduce((x, y) => x * y, 1) * 4),
    batchWas,
    warnings,
    external,
    missingWeights: missing,
  };
}

const fmtMB = (b: number): string => `${(b / 1024 / 1024).toFixed(b < 10 * 1024 * 1024 ? 1 : 0)} MiB`;

/** Which layers to capture under the byte limit, and the warnings that says so. */
export function chooseLayers(bytes: readonly number[], requested: number[] | undefined, maxBytes: number): { layers: number[]; warnings: string[] } {
  const L = bytes.length;
  if (requested) {
    const bad = requested.filter((i) => !Number.isInteger(i) || i < 0 || i >= L);
    if (bad.length) throw new UserError(`Layer ${bad[0]} does not exist: the model has attention layers 0 to ${L - 1}.`);
  }
  const want = requested ? [...new Set(requested)].sort((x, y) => x - y) : Array.from({ length: L }, (_, i) => i);
  const total = bytes.reduce((x, y) => x + y, 0);
  const sum = (ls: number[]): number => ls.reduce((x, i) => x + bytes[i], 0);
  if (sum(want) <= maxBytes) return { layers: want, warnings: [] };
  let pick: number[];
  if (!requested) pick = [L - 1];
  else {
    pick = [];
    let used = 0;
    for (const i of want) {
      if (pick.length && used + bytes[i] > maxBytes) continue;
      pick.push(i);
      used += bytes[i];
    }
  }
  const dropped = want.filter((i) => !pick.includes(i));
  const warnings = [
    `The attention of ${requested ? `the ${want.length} requested layers` : `all ${L} layers`} would take ${fmtMB(requested ? sum(want) : total)} (limit ${fmtMB(maxBytes)}); captured only layer${pick.length > 1 ? 's' : ''} ${pick.join(', ')} (${fmtMB(sum(pick))})${dropped.length ? `, not ${dropped.length > 8 ? `${dropped.length} others` : dropped.join(', ')}` : ''}. Pick the layers to capture to see others.`,
  ];
  return { layers: pick, warnings };
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

const externalSessions = new Map<string, Promise<OpenSession>>();

async function openCaptureSession(plan: CapturePlan, order: string[]): Promise<OpenSession> {
  if (!plan.external) {
    // Bytes made only if the session is not cached already (openSession reads them to create one).
    let memo: Uint8Array | undefined;
    const source = {
      key: `attention|${plan.key}`,
      get bytes(): Uint8Array {
        return (memo ??= modelToBytes(plan.model));
      },
    };
    return openSession(source, order);
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
    externalSessions.set(k, s);
    s.catch(() => externalSessions.delete(k));
    while (externalSessions.size > 1) {
      const [oldest, o] = externalSessions.entries().next().value as [string, Promise<OpenSession>];
      externalSessions.delete(oldest);
      void o.then((x) => x.session.release()).catch(() => undefined);
    }
  }
  return s;
}

/** IEEE half → float. */
function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/** A float32 copy or view that owns its whole buffer (a view into a larger buffer would send all of it). */
function toFloat32(t: ortType.Tensor): Float32Array {
  const d = t.data as unknown;
  if (d instanceof Float32Array) return d.byteOffset === 0 && d.byteLength === d.buffer.byteLength ? d : d.slice();
  if (t.type === 'float16') {
    const u = d as Uint16Array;
    if (typeof (globalThis as { Float16Array?: unknown }).Float16Array === 'function' && !(d instanceof Uint16Array)) return Float32Array.from(d as ArrayLike<number>);
    return Float32Array.from(u, halfToFloat);
  }
  if (d instanceof Float64Array) return Float32Array.from(d);
  throw new UserError(`An attention output has type ${t.type}; only float32 and float16 models are supported.`);
}

export async function attention(p: AttentionParams): Promise<AttentionResult> {
  const t0 = performance.now();
  const pre = capturePreprocessing(p.model, p.overrides);
  const plan = planCapture(p.model, { imageSize: pre.crop });
  if (plan.missingWeights.length) {
    throw new UserError(`${plan.display}'s weights are missing (external data ${plan.missingWeights.join(', ')} not found beside it): it shows its structure, but cannot be run.`);
  }
  const { layers: chosen, warnings: sizeWarnings } = chooseLayers(plan.bytes, p.layers, p.maxBytes ?? DEFAULT_MAX_ATTENTION_BYTES);
  const s = await openCaptureSession(plan, p.order);
  const t1 = performance.now();

  const decoded = await decodeImage(p.image, p.maxPixels);
  const t2 = performance.now();
  const tensor = await toTensor(decoded, pre);
  const t3 = performance.now();
  const o = ort();
  const fetches = [plan.logitsName, ...chosen.map((i) => plan.layers[i].output)];
  let out: ortType.InferenceSession.ReturnType;
  try {
    out = await s.session.run({ [plan.inputName]: new o.Tensor('float32', tensor.data, tensor.dims) }, fetches);
  } catch (e) {
    if (isUserError(e)) throw e;
    const msg = String((e as Error).message ?? e).split('\n')[0];
    if (plan.batchWas !== null) throw new UserError(`${plan.display} was exported for a fixed batch of ${plan.batchWas} images and cannot run on one (${msg}). Export it with batch 1 or a dynamic batch axis.`);
    throw new UserError(`ONNX Runtime could not run ${plan.display} on ${basename(p.image)}: ${msg}`);
  }
  const t4 = performance.now();

  const logits = toFloat32(out[plan.logitsName] as ortType.Tensor);
  const want = new Set(chosen);
  const layers: CapturedLayer[] = plan.layers.map((l, i) => {
    if (!want.has(i)) return { ...l, dims: [...l.dims] as CapturedLayer['dims'], data: null };
    const t = out[l.output] as ortType.Tensor;
    const data = toFloat32(t);
    const [groups, heads, N] = l.dims;
    if (data.length !== groups * heads * N * N) {
      throw new Error(`attention output ${l.output} has ${data.length} values [${t.dims.join(', ')}], expected [${l.dims.join(', ')}]`);
    }
    return { ...l, dims: [...l.dims] as CapturedLayer['dims'], data };
  });
  const warnings = [...plan.warnings, ...sizeWarnings];
  if (plan.batchWas !== null) warnings.push(`${plan.display} declares a batch of ${plan.batchWas}; it was run on one image.`);
  if (plan.family === 'vit' && chosen.length < plan.layers.length) warnings.push('Rollout needs the attention of every layer, so it is not available for this capture.');

  let top: TopEntry[] | undefined;
  let labelsFound: AttentionResult['labels'];
  if (p.topK) {
    const labels = resolveLabels(p.model, logits.length, { labelsFile: p.labelsFile });
    top = topK(logits, p.topK, (i) => labelOf(labels, i));
    labelsFound = { source: labels.source, warning: labels.warning };
  }
  return {
    model: p.model,
    ep: s.ep,
    failures: s.failures,
    loadMs: s.loadMs,
    family: plan.family,
    config: plan.config,
    imageSize: plan.imageSize,
    inputName: plan.inputName,
    preprocessing: pre,
    logits,
    top,
    labels: labelsFound,
    layers,
    totalBytes: plan.bytes.reduce((x, y) => x + y, 0),
    capturedBytes: chosen.reduce((x, i) => x + plan.bytes[i], 0),
    warnings,
    timings: { prepare: t1 - t0, decode: t2 - t1, preprocess: t3 - t2, run: t4 - t3 },
    original: tensor.original,
    cropped: p.withImage ? tensor.cropped : undefined,
  };
}
