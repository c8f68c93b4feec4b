/**
 * The messages between the extension host and its webviews: one discriminated union
 * each way. Every message from a webview is checked by `parseWebviewMessage` before use.
 */
import type { DoctorResult, ProvidersResult, PlacementResult } from './providers';
import type { TopEntry } from '../core/classify/topk';
import type { ModelConfig } from '../core/flops/config';
import type { InspectResult } from '../core/arch/inspect';
import type { CapturedLayer } from '../core/attention/maps';
import type { AttentionSummary } from '../core/attention/summary';
import type { RelposBlockView } from '../core/report/relpos';
import type { TraceResult } from '../core/trace/types';
import type { TracePick, TracePickRanges } from './tracePick';

export type { RelposBlockView };
import type { EmbeddingsDocument } from '../core/report/embeddings';
import type { ClassScore, Prediction } from '../core/evaluate/metrics';
import type { CompareDocument } from '../core/compare/document';

/** Mean attention distance per layer and head (pixels), for one image or averaged over a folder. */
export interface DistanceSeries {
  label: string;
  images: number;
  layers: { name: string; heads: number[] }[];
}

/** What the classify panel shows for one image. Pixels travel as binary (Uint8Array), not JSON. */
export interface ClassifyView {
  imageName: string;
  imagePath: string;
  modelName: string;
  modelPath: string;
  ep: string;
  failures: { ep: string; reason: string }[];
  /** A checkpoint with fp16/bf16 weights: how `ep` computed it ("fp16 (computed in fp16 on cuda)", "fp16 weights, computed in fp32"). */
  compute?: string;
  /** The crop the model saw, RGB 8-bit. */
  pixels: { width: number; height: number; rgb: Uint8Array };
  original: { width: number; height: number; format: string };
  top: TopEntry[];
  /** warmUp: the first run of a new GPU session (shader compilation, once per model), apart from `run`. */
  timings: { decode: number; preprocess: number; run: number; load: number; warmUp?: number | null };
  labelsSource: string;
  labelsWarning?: string;
  preprocessing: string;
  /** The config file the preprocessing was read from (config.json, preprocessor_config.json, <model>.json); absent for the defaults. */
  preprocessingFile?: string;
  /** preprocessingFile as shown: workspace-relative inside the workspace (the whole path is the tooltip). */
  preprocessingFileShown?: string;
  /** Patch grid and (Swin) first-stage windows, in input pixels. */
  grid: { patch: number; window: number | null; family: string } | null;
}

export interface FolderRow {
  image: string;
  label?: string;
  index?: number;
  prob?: number;
  error?: string;
}

/** One model's scores on a labelled folder, with its per-image predictions (paths relative to the folder). */
export interface EvaluateModelView {
  name: string;
  path: string;
  labels: string[];
  accuracy: number;
  top5: number;
  perClass: ClassScore[];
  confusion: number[][];
  imagesPerSecond: number;
  predictions: Prediction[];
}

/** What Evaluate Model on Folder shows. */
export interface EvaluateView {
  folder: string;
  /** What Evaluate was pointed at when it is not `folder` itself (a labels CSV): a revived panel's Run again evaluates it again. */
  source?: string;
  /** The folder as a webview URI (thumbnails of the images under it); null when not shown. */
  imageBase: string | null;
  images: number;
  models: EvaluateModelView[];
  unmatched: string[];
  empty: string[];
  unreadable: { path: string; reason: string }[];
  note: string | null;
  agreement: number | null;
  ep: string;
  /** The CSV and JSON written beside the folder. */
  written: string[];
}

export type PanelKind = 'providers' | 'architecture' | 'classify' | 'folder' | 'windows' | 'complexity' | 'relpos' | 'embeddings' | 'evaluate' | 'compare' | 'trace';

/** Host → webview. */
export type HostMessage =
  | ({ type: 'providers' } & ProvidersResult)
  | ({ type: 'placement' } & PlacementResult)
  /** The GPU self-check, and the same as plain text (what `vit-inspect doctor` prints). */
  | { type: 'doctor'; result: DoctorResult; report: string }
  | { type: 'classified'; view: ClassifyView; providers: string[] }
  | { type: 'attentionUnavailable'; message: string }
  /**
   * `summary` (core/attention/summary.ts): the maps every view but "click a patch" draws; then each
   * layer's `data` is null here and `summary.layers[i]` says whether it was captured. The tensors
   * follow on demand (wantAttentionLayers → attentionLayers), one message per request.
   */
  | { type: 'attention'; family: 'vit' | 'swin'; ep: string; inputSize: number; layers: CapturedLayer[]; warnings: string[]; summary?: AttentionSummary }
  | { type: 'attentionLayers'; layers: { index: number; data: Float32Array }[] }
  | { type: 'complexity'; model: { name: string; config: ModelConfig } | null; unit: 'MACs' | 'FLOPs' }
  | { type: 'measured'; h: number; w: number; dim: number; heads: number; ep: string; matmulGflops: number; rows: { window: number | null; ms: number; gflops: number; macs: number }[] }
  | { type: 'architecture'; result: InspectResult }
  | { type: 'relpos'; model: string; path: string; blocks: RelposBlockView[]; select: string | null; note: string | null }
  | { type: 'windows'; stages: { name: string; H: number; W: number; M: number }[]; model: string | null; image: string | null }
  | { type: 'folder'; folder: string; model: string; ep: string; rows: FolderRow[]; written: string[]; done: boolean }
  | { type: 'embeddings'; model: string; doc: EmbeddingsDocument | null; error: string | null; imageSize: number | null; distance: DistanceSeries[] }
  /** A class-specific explanation (runtime/explain.ts): `partial` while batches finish (occlusion: NaN where not run yet). */
  | { type: 'explained'; partial: boolean; method: ExplainMethod; class: number; label: string; prob: number; grid: [number, number]; window: number | null; stride: number | null; runs: number; done: number; total: number; ms: number; ep: string; inputSize: number; map: Float32Array }
  | { type: 'explainFailed'; message: string }
  | { type: 'evaluate'; view: EvaluateView }
  /** Evaluate Model on Folder is running: `model` (index of `models`) has classified `done` of `total` images. */
  | { type: 'evaluateProgress'; folder: string; model: string; index: number; models: number; done: number; total: number }
  /** Compare Models; `pending`: what is still being measured (latency, a folder), null when all is in. */
  | { type: 'compare'; doc: CompareDocument; pending: string | null; latencyError: string | null }
  /** The forward-pass step-through: `prefix` tokens before the patches (ViT), `grid` the patch grid (ViT) or window (Swin). */
  | { type: 'trace'; model: string; image: string; layers: number; heads: number; grid: [number, number]; prefix: string[]; doc: TraceResult
      /** the image the model saw (after resize and crop): the rows are drawn over it; the preprocessing that made it */
      pixels?: { width: number; height: number; rgb: Uint8Array }; preprocessing?: string }
  /** Before each trace: what is asked and what the model has (null: not known before the run), so the pickers work even when it fails. */
  | { type: 'tracePick'; pick: TracePick; ranges: TracePickRanges | null; prefix: string[]; imagePath: string; modelPath: string }
  | { type: 'busy'; message: string }
  /** `tensors`: a checkpoint whose architecture is not built still lists its tensors. cause 'image': the image is at fault (another model cannot help). `detail`: the library's raw words behind the message. */
  | { type: 'error'; message: string; detail?: string; tensors?: { name: string; dtype: string; shape: number[]; bytes: number }[]; cause?: 'image' }
  | { type: 'theme'; kind: 'light' | 'dark' | 'high-contrast' };

/** Explain a class (the classify panel's Explain section): by index from the top-k, or by name. */
/** Occlusion sensitivity, RISE, or (ViT/DeiT with a dynamic sequence length) token dropping. */
export type ExplainMethod = 'occlusion' | 'rise' | 'drop';
export interface ExplainRequest { type: 'explain'; method: ExplainMethod; class?: number; className?: string; window?: number; stride?: number; masks?: number; seed?: number }

/** Webview → host. */
export type WebviewMessage =
  | { type: 'ready' }
  | ExplainRequest
  | { type: 'cancelExplain' }
  | { type: 'refresh' }
  | { type: 'copy'; text: string }
  | { type: 'openSettings'; query: string }
  | { type: 'rerun'; ep?: string }
  | { type: 'wantAttention' }
  /** The attention tensors of these layers (indices into the attention message's layers). */
  | { type: 'wantAttentionLayers'; layers: number[] }
  | { type: 'showDistance' }
  | { type: 'distanceFolder' }
  | { type: 'placement' }
  | { type: 'doctor' }
  | { type: 'pickModel' }
  | { type: 'openFile'; path: string }
  | { type: 'measure'; h: number; w: number; dim: number; heads: number; windows: (number | null)[] }
  | { type: 'reinspect'; imageSize: number | null }
  | { type: 'command'; command: 'compareComplexity' | 'showShiftedWindows' | 'selectModel' | 'showRelativePositionBias' | 'showEmbeddings' | 'exportOnnx'; block?: string }
  | { type: 'trace'; layer: number; head: number; token: number }
  /** Open the step-through from the classify panel (the layer, head and query patch shown) or a block of the architecture view. */
  | { type: 'stepThrough'; layer?: number; head?: number; token?: number }
  | { type: 'cancel' }
  /** Evaluate / Compare: add a model (a quick pick) and run again. */
  | { type: 'addModel' }
  /** Evaluate: an image of the folder in the classify panel (attention: with its maps), with `model` (the path of the model whose details are shown) when given. */
  | { type: 'showImage'; path: string; attention: boolean; model?: string }
  /** Compare: pick a labelled folder to score every model on. */
  | { type: 'pickFolder' }
  | { type: 'save'; format: 'svg' | 'png' | 'csv' | 'md'; name: string; data: string };

const isStr = (v: unknown, max = 1_000_000): v is string => typeof v === 'string' && v.length <= max;

/** Validate an untrusted message from a webview; undefined if it is not one we accept. */
export function parseWebviewMessage(raw: unknown): WebviewMessage | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const m = raw as Record<string, unknown>;
  switch (m.type) {
    case 'ready':
    case 'refresh':
      return { type: m.type };
    case 'copy':
      return isStr(m.text) ? { type: 'copy', text: m.text } : undefined;
    case 'openSettings':
      return isStr(m.query, 200) ? { type: 'openSettings', query: m.query } : undefined;
    case 'rerun':
      return m.ep === undefined || (isStr(m.ep, 20) && /^[a-z]+$/.test(m.ep)) ? { type: 'rerun', ep: m.ep as string | undefined } : undefined;
    case 'pickModel':
      return { type: 'pickModel' };
    case 'wantAttention':
      return { type: 'wantAttention' };
    case 'wantAttentionLayers':
      return Array.isArray(m.layers) && m.layers.length <= 10_000 && m.layers.every((v) => Number.isInteger(v) && (v as number) >= 0 && (v as number) < 10_000)
        ? { type: 'wantAttentionLayers', layers: m.layers as number[] }
        : undefined;
    case 'showDistance':
      return { type: 'showDistance' };
    case 'distanceFolder':
      return { type: 'distanceFolder' };
    case 'placement':
      return { type: 'placement' };
    case 'doctor':
      return { type: 'doctor' };
    case 'measure': {
      const ints = [m.h, m.w, m.dim, m.heads].every((v) => Number.isInteger(v) && (v as number) > 0 && (v as number) <= 1e6);
      const wins = Array.isArray(m.windows) && m.windows.length <= 64 && m.windows.every((v) => v === null || (Number.isInteger(v) && (v as number) > 0));
      return ints && wins ? { type: 'measure', h: m.h as number, w: m.w as number, dim: m.dim as number, heads: m.heads as number, windows: m.windows as (number | null)[] } : undefined;
    }
    case 'save':
      return ['svg', 'png', 'csv', 'md'].includes(m.format as string) && isStr(m.name, 200) && /^[\w.-]+$/.test(m.name as string) && isStr(m.data, 50_000_000)
        ? { type: 'save', format: m.format as 'svg', name: m.name as string, data: m.data as string }
        : undefined;
    case 'reinspect':
      return m.imageSize === null || (Number.isInteger(m.imageSize) && (m.imageSize as number) > 0 && (m.imageSize as number) <= 10_000) ? { type: 'reinspect', imageSize: m.imageSize as number | null } : undefined;
    case 'command':
      if (!['compareComplexity', 'showShiftedWindows', 'selectModel', 'showRelativePositionBias', 'showEmbeddings', 'exportOnnx'].includes(m.command as string)) return undefined;
      if (m.block !== undefined && !isStr(m.block, 500)) return undefined;
      return m.block === undefined ? { type: 'command', command: m.command as 'selectModel' } : { type: 'command', command: m.command as 'selectModel', block: m.block as string };
    case 'explain': {
      const opt = (v: unknown, min: number, max: number) => v === undefined || (Number.isInteger(v) && (v as number) >= min && (v as number) <= max);
      if (m.method !== 'occlusion' && m.method !== 'rise' && m.method !== 'drop') return undefined;
      if (!opt(m.class, 0, 1e9) || !opt(m.window, 1, 1e5) || !opt(m.stride, 1, 1e5) || !opt(m.masks, 1, 1e6) || !opt(m.seed, 0, 2 ** 32 - 1)) return undefined;
      if (m.className !== undefined && !isStr(m.className, 200)) return undefined;
      const out: ExplainRequest = { type: 'explain', method: m.method };
      for (const k of ['class', 'className', 'window', 'stride', 'masks', 'seed'] as const) if (m[k] !== undefined) (out as unknown as Record<string, unknown>)[k] = m[k];
      return out;
    }
    case 'cancelExplain':
      return { type: 'cancelExplain' };
    case 'trace': {
      const ok = [m.layer, m.head, m.token].every((v) => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 1e6);
      return ok ? { type: 'trace', layer: m.layer as number, head: m.head as number, token: m.token as number } : undefined;
    }
    case 'stepThrough': {
      const out: { type: 'stepThrough'; layer?: number; head?: number; token?: number } = { type: 'stepThrough' };
      for (const k of ['layer', 'head', 'token'] as const) {
        const v = m[k];
        if (v === undefined) continue;
        if (!Number.isInteger(v) || (v as number) < 0 || (v as number) > 1e6) return undefined;
        out[k] = v as number;
      }
      return out;
    }
    case 'openFile':
      return isStr(m.path, 4096) ? { type: 'openFile', path: m.path } : undefined;
    case 'cancel':
    case 'addModel':
    case 'pickFolder':
      return { type: m.type };
    case 'showImage':
      if (!isStr(m.path, 4096) || typeof m.attention !== 'boolean' || (m.model !== undefined && !isStr(m.model, 4096))) return undefined;
      return { type: 'showImage', path: m.path, attention: m.attention, ...(m.model !== undefined ? { model: m.model } : {}) };
    default:
      return undefined;
  }
}
