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

export type ModelSource = string | { key: string; bytes: Uint8Array; externalFolder?: string };

export function modelSource(p: string): ModelSource {
  if (isPickleCheckpoint(p)) throw new UserError(pickleMessage(p));
  if (!isCheckpointPath(p)) return p;
  const b = buildCheckpoint(p);
  let memo: Uint8Array | undefined;
  return {
    key: `ckpt|${checkpointKey(p)}`,
    // Serialised only when a session is made (a cached session needs no bytes).
    get bytes(): Uint8Array {
      return (memo ??= modelToBytes(b.model));
    },
    externalFolder: b.folder,
  };
}

/** The session options that point ONNX Runtime at a source's external data. */
export function externalDataOptions(source: ModelSource): { extra?: { session: Record<string, string> } } {
  return typeof source !== 'string' && source.externalFolder ? { extra: { session: { model_external_initializers_file_folder_path: source.externalFolder } } } : {};
}
