/**
 * Attention capture, the part that never touches ONNX Runtime: find each attention block's
 * Softmax (by structure: fed by a QKᵀ product, feeding the product with V), decide what each one
 * is (token grid, window, shift, extra tokens) and which to capture under a byte limit, add their
 * outputs as graph outputs, and map one run's outputs back to layers. The inference process
 * (runtime/capture.ts) only opens the session and runs it.
 *
 * The plan is made once per model file (path, size, mtime) and input size; the modified model's
 * bytes are made only when ONNX Runtime opens a session for it.
 */
import { isGlobalAttention } from '../terms';
import { basename } from 'node:path';
import { analyzeGraph } from '../arch/analysis';
import type { ArchConfig } from '../arch/detect';
import { detectArchitecture } from '../arch/detect';
import { FUSED_ATTENTION } from '../graph/ops';
import { UserError } from '../errors';
import type { OnnxModel, ValueInfo } from '../onnx/model';
import { DataType } from '../onnx/proto';
import { externalDataFolder, loadModel } from '../checkpoint';
import { inferShapes } from '../onnx/shapes';
import { graphInputs, imageInput } from '../onnx/imageInput';
import { addGraphOutputs } from '../onnx/writer';
import type { CapturedLayer } from './maps';
import { LruCache, fileKey } from '../session/fileCache';
import { checkImageInput } from '../image/inputCheck';
import type { Preprocessing, PreprocessingOverrides } from '../image/preprocess';
import { resolvePreprocessing } from '../image/preprocess';

/**
 * Attention bytes above which only the requested layers are captured. ViT-B/16 at 384² has
 * 12 × 12 × 577² floats (192 MiB) and is captured whole; ViT-L/16 at 384², 24 × 16 × 577² floats
 * (488 MiB), is not.
 */
export const DEFAULT_MAX_ATTENTION_BYTES = 256 * 1024 * 1024;

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
  /** A checkpoint's real folder: its graph is loaded from bytes and reads its weights from there; null for an ONNX file. */
  externalFolder: string | null;
}

const MAX_PLANS = 4;
const plans = new LruCache<CapturePlan>(MAX_PLANS);
const models = new LruCache<OnnxModel>(MAX_PLANS);

/** The model's structure, read once per file version. */
function readCached(modelPath: string): { key: string; model: OnnxModel } {
  const key = fileKey(modelPath);
  return { key, model: models.getOrSet(key, () => loadModel(modelPath)) };
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
 * `imageSize` binds a dynamic input size (ignored when the model declares one). `allowFused`
 * (the step-through, which shows the rest of a block) keeps blocks computed by a fused attention op
 * as layers without a Softmax output instead of refusing the model.
 */
export function planCapture(modelPath: string, opts: { imageSize?: number; allowFused?: boolean } = {}): CapturePlan {
  const { key: fk, model } = readCached(modelPath);
  const key = `${fk}|${opts.imageSize ?? ''}${opts.allowFused ? '|fused' : ''}`;
  return plans.getOrSet(key, () => ({ ...makePlan(model, basename(modelPath), key, opts.imageSize, !!opts.allowFused), externalFolder: externalDataFolder(modelPath) }));
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
  return fit && fit !== pre.size?.[0] ? resolvePreprocessing(modelPath, fit, channels, overrides) : pre;
}

function makePlan(original: OnnxModel, display: string, key: string, imageSize: number | undefined, allowFused: boolean): Omit<CapturePlan, 'externalFolder'> {
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
  const inShape = dimsOf(inputs[img.index]) ?? [];
  const { channels, height: h } = checkImageInput(display, inputs.map((i) => i.name), img.name, inShape);

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

  const shapes = inferShapes(model, h !== null ? {} : { imageSize });
  if (batchWas !== null && shapes.conflicts.length) throw batchError(shapes.conflicts[0].message);
  const a = analyzeGraph(model, shapes);
  const det = detectArchitecture(a);
  // Blocks read from a fused op's attributes (heads, tokens) still have no Softmax output to tap.
  if (fused.size && a.attentions.some((x) => x.fused) && !(allowFused && det.family !== 'other' && det.stages.length)) throw fusedError();
  if (det.family === 'other' || !det.stages.length) {
    if (fused.size) throw fusedError();
    throw new UserError(
      `${display}: no attention Softmax found — not a ViT/Swin. Attention maps need a vision transformer whose attention blocks compute Softmax(QKᵀ)·V as separate operators.`,
    );
  }
  // (allowFused: the step-through says which of its steps they hide)
  if (fused.size && !allowFused) warnings.push(`${display} also has fused attention operators (${fusedText}); their attention cannot be captured.`);
  // ORT's 'all' level: convolutions in a blocked layout sized for the CPU that saved the file (16 channels with AVX-512, 8 with AVX2)
  if (g0.nodes.some((n) => n.domain === 'com.microsoft.nchwc')) warnings.push(`${display} holds ONNX Runtime's CPU layout operators (com.microsoft.nchwc), sized for the vector width of the machine that optimised it: on a CPU with other vector instructions its values may differ from the model as exported (an AVX-512-optimised file run on an AVX2-only CPU does). Open the model as exported, or one saved at graph_optimization_level ORT_ENABLE_EXTENDED.`);
  // A hybrid's attention is a ViT's: one global sequence over its (effective-stride) patch grid.
  const family: 'vit' | 'swin' = isGlobalAttention(det.family) ? 'vit' : 'swin';
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
        ...(bk.shifted && bk.shiftBeforePad ? { shiftBeforePad: true } : {}),
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
  // a fused op's output is the heads' context, not attention weights: not a map to capture
  const maps = layers.map((l, i) => ({ name: l.output, elemType: elemTypes[i], fused: !!atBySoftmax.get(det.stages[l.stage].blocks[l.block].softmax)?.fused })).filter((l) => !l.fused);
  const withOutputs = addGraphOutputs(model, maps.map(({ name, elemType }) => ({ name, elemType })));
  return {
    key,
    display,
    model: withOutputs,
    family,
    config,
    imageSize: [size[0], size[1]],
    inputName: inputs[img.index].name,
    channels,
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

/** The fetches of a run capturing `chosen` layers: the logits first, then each layer's Softmax output. */
export function captureFetches(plan: CapturePlan, chosen: readonly number[]): string[] {
  return [plan.logitsName, ...chosen.map((i) => plan.layers[i].output)];
}

/**
 * One run's outputs as layers in block order (`data` null for those not captured), checked
 * against the expected [groups, heads, N, N]; `output(name)` gives a fetched tensor as float32.
 */
export function capturedLayers(plan: CapturePlan, chosen: readonly number[], output: (name: string) => { data: Float32Array; dims: readonly number[] }): CapturedLayer[] {
  const want = new Set(chosen);
  return plan.layers.map((l, i) => {
    if (!want.has(i)) return { ...l, dims: [...l.dims] as CapturedLayer['dims'], data: null };
    const t = output(l.output);
    const [groups, heads, N] = l.dims;
    if (t.data.length !== groups * heads * N * N) {
      throw new Error(`attention output ${l.output} has ${t.data.length} values [${t.dims.join(', ')}], expected [${l.dims.join(', ')}]`);
    }
    return { ...l, dims: [...l.dims] as CapturedLayer['dims'], data: t.data };
  });
}

/** The warnings of a capture: the plan's, the byte limit's, the batch rewrite, rollout needing every layer. */
export function captureWarnings(plan: CapturePlan, chosen: readonly number[], sizeWarnings: readonly string[]): string[] {
  const warnings = [...plan.warnings, ...sizeWarnings];
  if (plan.batchWas !== null) warnings.push(`${plan.display} declares a batch of ${plan.batchWas}; it was run on one image.`);
  if (plan.family === 'vit' && chosen.length < plan.layers.length) warnings.push('Rollout needs the attention of every layer, so it is not available for this capture.');
  return warnings;
}

/** A structure-only model (its external data absent) shows its structure but cannot run. */
export function checkWeightsPresent(plan: CapturePlan): void {
  if (plan.missingWeights.length) throw missingWeightsError(plan.display, plan.missingWeights);
}

/** The one message for a model whose external data file is absent: which file, and that its structure still shows. */
export function missingWeightsError(display: string, files: readonly string[]): UserError {
  const list = files.length > 3 ? `${files.slice(0, 3).join(', ')} and ${files.length - 3} more` : files.join(', ');
  return new UserError(
    `${display}'s weights are missing (external data ${list} not found beside it): it shows its structure (architecture view, vit-inspect arch), but cannot be run. Put ${files.length > 1 ? 'those files' : 'that file'} next to the model to run it.`,
  );
}

/**
 * Checked before ONNX Runtime is asked to open a model: an external data file that is not there
 * is the file's problem, not a provider's, and ONNX Runtime's own message (an absolute path, once
 * per provider tried) says neither which file nor what still works.
 */
export function checkExternalData(modelPath: string): void {
  let model: OnnxModel;
  try {
    model = readCached(modelPath).model;
  } catch {
    return; // not a model we can read: ONNX Runtime says why, as before
  }
  const missing = [...new Set(model.graph.initializers.flatMap((t) => (t.data.location === 'external' && !t.data.exists ? [t.data.file] : [])))];
  if (missing.length) throw missingWeightsError(basename(modelPath), missing);
}
