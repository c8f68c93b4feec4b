/**
 * The typed request/response protocol between the extension host (or CLI) and the
 * inference process. Messages go over Node's IPC channel with 'advanced' serialization,
 * so typed arrays travel as binary (structured clone), never as JSON number arrays.
 */
import type { EmbeddingsDocument } from '../core/report/embeddings';
import type { RelposReport } from '../core/report/relpos';
import type { Fp16Policy, ProviderOptions } from '../core/session/providers';
import type { DoctorParams, DoctorResult } from './doctor';
import type { Preprocessing, PreprocessingOverrides } from '../core/image/preprocess';
import type { TopEntry } from '../core/classify/topk';
import type { ImageTensor } from '../core/image/decode';
import type { BatchChoice } from '../core/classify/batch';
import type { InspectResult } from '../core/arch/inspect';
import type { PlacementParams } from './placement';
import type { PlacementResult, ProvidersResult } from '../shared/providers';
import type { TimeAttentionParams, TimeAttentionResult } from './timing';
import type { AttentionParams, AttentionResult } from './capture';
import type { ExportResult } from '../core/checkpoint/export';
import type { ExplainParams, ExplainResult } from './explain';
import type { TraceParams, TraceReply } from './trace';
import type { LatencyParams, LatencyResult } from './latency';
import type { SessionSummary } from './sessions';

export interface ClassifyParams {
  model: string;
  images: string[];
  topK: number;
  order: string[];
  overrides?: PreprocessingOverrides;
  labelsFile?: string;
  maxPixels?: number;
  /** Also return the cropped RGB image the model saw (for the panel). */
  withImage?: boolean;
  /** Images per run when the model's batch dimension is symbolic (default: chosen from free memory). */
  batch?: number;
}

export type ImageResult =
  | {
      image: string;
      ok: true;
      top: TopEntry[];
      logits: Float32Array;
      /** ms; `run` is this image's share of its batch's run, `batch` the images in that run. */
      timings: { decode: number; preprocess: number; run: number; batch: number };
      original: { width: number; height: number; format: string };
      /** The size after the resize and the crop box in the resized image. */
      steps: ImageTensor['steps'];
      cropped?: { width: number; height: number; rgb: Uint8Array };
    }
  /** `detail`: the library's own words behind `error` (e.g. the decoder's), for the details and the log. */
  | { image: string; ok: false; error: string; detail?: string };

export interface ClassifyResult extends SessionSummary {
  model: string;
  preprocessing: Preprocessing;
  labels: { source: string; warning?: string; count: number };
  inputName: string;
  /** The element type the input was fed in (the model's declared type). */
  inputType: string;
  numClasses: number | null;
  batch: BatchChoice;
  /** Where decode + preprocess ran: a worker thread overlaps them with the runs (more than one image). */
  prepared: 'worker thread' | 'inference thread';
  results: ImageResult[];
}

export interface ConfigureParams {
  /** Options of the WebGPU and CUDA providers (settings vitInspector.webgpu.*, vitInspector.cuda.*). */
  providerOptions?: ProviderOptions;
  /** Whether fp16 checkpoints compute in fp16 (default 'auto': on the providers that run fp16; see runsFp16). */
  fp16Compute?: Fp16Policy;
}

/** Each method: its params and its result. */
export interface Methods {
  providers: { params: { order: string[] }; result: ProvidersResult };
  classify: { params: ClassifyParams; result: ClassifyResult };
  /** Structure, config, params and MACs of a model file (weights stay on disk). Runs here, not in the host: a pathological file cannot stall the editor. */
  inspect: { params: { model: string; imageSize?: number; details?: boolean }; result: InspectResult };
  timeAttention: { params: TimeAttentionParams; result: TimeAttentionResult };
  /** Position-embedding similarity and patch-filter components (reads those two weights): here, so a large model does not stall the editor. */
  embeddings: { params: { model: string }; result: EmbeddingsDocument };
  /** Swin's relative position bias per block (reads the bias tables, up to 256 MB each): here, like embeddings. */
  relpos: { params: { model: string }; result: RelposReport };
  /** One run returning the logits and the attention Softmax outputs (see runtime/capture.ts). */
  attention: { params: AttentionParams; result: AttentionResult };
  /** Tensors of a capture kept here (attention with keep); null once it is not kept any more. */
  attentionLayers: { params: { capture: string; layers: number[] }; result: { index: number; data: Float32Array }[] | null };
  /** A class-specific occlusion or RISE map (runtime/explain.ts); progress as runs finish. */
  explain: { params: ExplainParams; result: ExplainResult };
  /** One token through one forward pass, step by step, each step recomputed (see runtime/trace.ts). */
  trace: { params: TraceParams; result: TraceReply };
  /** Which provider ran each node (one profiled run). */
  placement: { params: PlacementParams; result: PlacementResult };
  /** A safetensors checkpoint as a standard ONNX file (copies its weights: here, not in the host). */
  exportOnnx: { params: { checkpoint: string; out: string }; result: ExportResult };
  /** Compare Models: per-image session.run times of several models on the same images, alternated rounds. */
  latency: { params: LatencyParams; result: LatencyResult };
  /** Process-wide settings; the client sends them again to a restarted process. */
  configure: { params: ConfigureParams; result: { pid: number } };
  /** GPU self-check: every provider probed, models and an attention layer run, parity and speed against cpu. */
  doctor: { params: DoctorParams; result: DoctorResult };
  ping: { params: Record<string, never>; result: { pid: number } };
  /** Diagnostics, used by tests of restart and cancellation: sleep (blocking the thread like a long run) or crash. */
  debugBlock: { params: { ms: number }; result: { pid: number } };
  debugCrash: { params: Record<string, never>; result: never };
  /** The next run on `ep` fails as a lost device would (tests of the fallback). */
  debugFailNextRun: { params: { ep: string }; result: { pid: number } };
}
export type Method = keyof Methods;

export type ToWorker =
  | { kind: 'request'; id: number; method: Method; params: unknown }
  | { kind: 'cancel'; id: number };

export type FromWorker =
  | { kind: 'result'; id: number; result: unknown }
  /** `detail`: a UserError's raw text (the library's own words), kept for the user's message and the log. */
  | { kind: 'error'; id: number; message: string; userError: boolean; detail?: string; stack?: string }
  | { kind: 'log'; level: 'info' | 'warn' | 'error'; message: string }
  /** A step of a long request the user should see (e.g. "compiling GPU kernels, first run only"); `data`: a partial result (explain's map so far). */
  | { kind: 'progress'; id: number; message: string; data?: unknown };
