/**
 * What ONNX Runtime opens for a MODEL argument: an ONNX file by its path; a safetensors checkpoint
 * as the bytes of its built graph, whose external data (the checkpoint's own files, read in place)
 * ONNX Runtime finds through `session.model_external_initializers_file_folder_path`. A model file
 * is refused external data outside its folder, but a model from a buffer reads it from that
 * folder at any offset; the folder must hold the real files, so it is the shards' real folder.
 */
import { buildCheckpoint, checkpointKey, isCheckpointPath } from '../core/checkpoint';
import { UserError } from '../core/errors';
import { isPickleCheckpoint, pickleMessage } from '../core/checkpoint/safetensors';
import { modelToBytes } from '../core/onnx/writer';
import type { OnnxModel } from '../core/onnx/model';
import { fp16ComputeEligible, toFp16Compute, weightsPrecision } from '../core/checkpoint/fp16';

export interface BuiltSource {
  key: string;
  bytes: Uint8Array;
  externalFolder?: string;
  /** A checkpoint's weights ('fp16', 'bf16', …), for the precision the user is shown. */
  weights?: string | null;
  /**
   * An fp16 checkpoint's graph computed in fp16 (core/checkpoint/fp16.ts), opened instead of
   * `bytes` on a provider that runs fp16 (runsFp16): the provider is known only once sessions.ts
   * tries it, so the choice is made there.
   */
  fp16Bytes?: () => Uint8Array;
}

export type ModelSource = string | BuiltSource;

/** The source of a checkpoint's built graph (or a graph derived from one, e.g. with attention outputs). */
export function builtSource(key: string, model: OnnxModel, externalFolder?: string): BuiltSource {
  let memo: Uint8Array | undefined;
  let half: Uint8Array | undefined;
  const eligible = !!externalFolder && fp16ComputeEligible(model);
  return {
    key,
    // Serialised only when a session is made (a cached session needs no bytes).
    get bytes(): Uint8Array {
      return (memo ??= modelToBytes(model));
    },
    externalFolder,
    weights: weightsPrecision(model),
    ...(eligible ? { fp16Bytes: () => (half ??= modelToBytes(toFp16Compute(model))) } : {}),
  };
}

export function modelSource(p: string): ModelSource {
  if (isPickleCheckpoint(p)) throw new UserError(pickleMessage(p));
  if (!isCheckpointPath(p)) return p;
  const b = buildCheckpoint(p);
  return builtSource(`ckpt|${checkpointKey(p)}`, b.model, b.folder);
}

/** The session options that point ONNX Runtime at a source's external data. */
export function externalDataOptions(source: ModelSource): { extra?: { session: Record<string, string> } } {
  return typeof source !== 'string' && source.externalFolder ? { extra: { session: { model_external_initializers_file_folder_path: source.externalFolder } } } : {};
}
