/**
 * Checkpoints as models: a safetensors checkpoint (a file, a sharded index, or the folder holding
 * them) with config.json beside it becomes the OnnxModel a torch export of the same model gives,
 * its weights external data in the checkpoint's own files. `loadModel` is what every consumer of
 * a MODEL argument reads; an ONNX file goes to the ONNX reader unchanged.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../errors';
import type { OnnxModel } from '../onnx/model';
import { readModel } from '../onnx/reader';
import { BUILDERS } from './builders';
import { SWIN_BUFFER } from './swin';
import { type CheckpointConfig, readConfig } from './config';
import { type Checkpoint, SAFETENSORS_DTYPES, isPickleCheckpoint, pickleMessage, readCheckpoint } from './safetensors';

export type { CheckpointBuilder, CheckpointConfig } from './config';

const INDEX_SUFFIX = '.safetensors.index.json';

/** Is this a safetensors checkpoint (file, index, or a folder holding one) rather than an ONNX file? */
export function isCheckpointPath(p: string): boolean {
  if (/\.safetensors$/i.test(p) || p.toLowerCase().endsWith(INDEX_SUFFIX)) return true;
  try {
    if (!fs.statSync(p).isDirectory()) return false;
    return fs.readdirSync(p).some((f) => /\.safetensors$/i.test(f) || f.toLowerCase().endsWith(INDEX_SUFFIX));
  } catch {
    return false;
  }
}

/**
 * The file a MODEL argument stands for: a checkpoint folder → its index or model.safetensors (so
 * config.json, preprocessor_config.json and labels are found beside it); anything else as given.
 */
export function modelFile(p: string): string {
  let dir: boolean;
  try {
    dir = fs.statSync(p).isDirectory();
  } catch {
    return p;
  }
  if (!dir) return p;
  const files = fs.readdirSync(p);
  const index = files.find((f) => f.toLowerCase().endsWith(INDEX_SUFFIX));
  if (index) return path.join(p, index);
  if (files.includes('model.safetensors')) return path.join(p, 'model.safetensors');
  const st = files.filter((f) => /\.safetensors$/i.test(f));
  if (st.length === 1) return path.join(p, st[0]);
  const onnx = files.filter((f) => /\.onnx$/i.test(f));
  if (onnx.length === 1 && st.length === 0) return path.join(p, onnx[0]);
  if (st.length > 1) throw new UserError(`${p} holds several .safetensors files (${st.join(', ')}) and no index: open the one you mean.`);
  // an older Hugging Face or timm download: pytorch_model.bin / *.pth only
  const pickle = files.find((f) => isPickleCheckpoint(f));
  if (pickle && onnx.length === 0) throw new UserError(pickleMessage(path.join(p, pickle)));
  throw new UserError(`${p} is a folder with no model in it (a .onnx file, model.safetensors or model.safetensors.index.json).`);
}

/** One row of a checkpoint's tensor list (what is shown when its architecture is not built). */
export interface TensorRow {
  name: string;
  dtype: string;
  shape: number[];
  bytes: number;
}

export function tensorRows(ckpt: Checkpoint): TensorRow[] {
  return [...ckpt.tensors.values()].map((t) => ({ name: t.name, dtype: t.dtype, shape: [...t.shape], bytes: t.length }));
}

/** Every architecture a builder makes, for the message about one that none does. */
export function supportedArchitectures(): string[] {
  return BUILDERS.flatMap((b) => b.supports);
}

/** A checkpoint whose architecture no builder makes: a UserError that still carries the tensor list for a view. */
export class UnsupportedCheckpointError extends UserError {
  constructor(
    message: string,
    readonly tensors: TensorRow[],
  ) {
    super(message);
  }
}

export interface BuiltCheckpoint {
  ckpt: Checkpoint;
  config: CheckpointConfig;
  model: OnnxModel;
  /** The real folder of the checkpoint's files: where ONNX Runtime is told to find the external data. */
  folder: string;
  /** Parameters as PyTorch counts them: every floating-point tensor of the checkpoint. */
  torchParams: number;
}

const built = new Map<string, BuiltCheckpoint>();
const MAX_BUILT = 4;

/** Changes when any file of the checkpoint or its config does. */
export function checkpointKey(p: string): string {
  const file = modelFile(p);
  const dir = path.dirname(file);
  const parts = [path.resolve(file)];
  for (const f of [file, path.join(dir, 'config.json')]) {
    try {
      const st = fs.statSync(f);
      parts.push(`${st.size}:${st.mtimeMs}`);
    } catch {
      parts.push('-');
    }
  }
  return parts.join('|');
}

/** Reads a checkpoint's headers and config and builds its graph (cached per file version). */
export function buildCheckpoint(p: string): BuiltCheckpoint {
  const key = checkpointKey(p);
  const hit = built.get(key);
  if (hit) return hit;
  const file = modelFile(p);
  const ckpt = readCheckpoint(file);
  const config = readConfig(ckpt);
  const name = path.basename(file);
  const builder = BUILDERS.find((b) => b.matches(config, ckpt));
  if (!builder) {
    const what =
      config.kind === 'none'
        ? config.file
          ? `its config.json names no architecture ("architectures"/"model_type" for Hugging Face, "architecture" for timm)`
          : 'there is no config.json beside it to say which architecture it is'
        : `its config.json names ${config.architecture}, which ViT Inspector does not build`;
    throw new UnsupportedCheckpointError(
      `${name} holds ${ckpt.tensors.size} tensors, but ${what}; its tensors are still listed (vit-inspect tensors). Supported: ${supportedArchitectures().join(', ')}.`,
      tensorRows(ckpt),
    );
  }
  const model = builder.build(ckpt, config);
  model.path = path.resolve(file);
  model.fileSize = fs.statSync(file).size;
  model.metadata.push({ key: 'checkpoint', value: `${config.kind === 'timm' ? 'timm' : 'Hugging Face'} ${config.architecture ?? ''}`.trim() });
  const folders = new Set(ckpt.files.map((f) => path.dirname(f)));
  if (folders.size > 1) throw new UserError(`The shards of ${name} resolve to different folders (${[...folders].join(', ')}); ONNX Runtime reads external data from one folder. Put the shards together.`);
  let torchParams = 0;
  // Buffers saved beside the weights (Swin's index, mask, coords table) are not parameters to PyTorch.
  for (const t of ckpt.tensors.values()) if (['F32', 'F16', 'BF16'].includes(t.dtype) && !SWIN_BUFFER.test(t.name)) torchParams += t.length / SAFETENSORS_DTYPES[t.dtype].bytes;
  const b: BuiltCheckpoint = { ckpt, config, model, folder: [...folders][0], torchParams };
  built.set(key, b);
  while (built.size > MAX_BUILT) built.delete(built.keys().next().value as string);
  return b;
}

/**
 * Bytes on disk of a MODEL argument's weights, for the views: a checkpoint's files (the shards of
 * a sharded one, not its index's few bytes); an ONNX file's own size. Null for an ONNX file (its
 * OnnxModel.fileSize says it; that field stays the size of `path`, which the writer checks).
 */
export function checkpointFiles(p: string): { bytes: number; files: number } | null {
  if (!isCheckpointPath(p)) return null;
  const files = [...new Set(buildCheckpoint(p).ckpt.files)];
  return { bytes: files.reduce((a, f) => a + fs.statSync(f).size, 0), files: files.length };
}

/**
 * The model behind a MODEL argument: an ONNX file read by the ONNX reader, a safetensors
 * checkpoint built into its graph; a pickle checkpoint is refused with the one-line conversion.
 */
export function loadModel(p: string): OnnxModel {
  if (isPickleCheckpoint(p)) throw new UserError(pickleMessage(p));
  if (isCheckpointPath(p)) return buildCheckpoint(p).model;
  return readModel(modelFile(p));
}

/** The folder ONNX Runtime must read a built model's external data from, or null for an ONNX file (its own folder). */
export function externalDataFolder(p: string): string | null {
  return isCheckpointPath(p) ? buildCheckpoint(p).folder : null;
}
