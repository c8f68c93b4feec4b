/**
 * The checkpoint commands: `export` (a safetensors checkpoint as a standard ONNX file) and
 * `tensors` (a checkpoint's tensor list from its headers, for any architecture).
 */
import { resolve } from 'node:path';
import { exportCheckpoint } from '../core/checkpoint/export';
import { isCheckpointPath, modelFile, tensorRows } from '../core/checkpoint';
import { readCheckpoint, isPickleCheckpoint, pickleMessage } from '../core/checkpoint/safetensors';
import { UserError } from '../core/errors';
import { type Args, str } from './args';
import { table } from '../core/textTable';
import { print } from './common';

/** The one positional (main() has counted it), a safetensors checkpoint. */
function checkpointArg(args: Args): string {
  const p = resolve(args.positionals[0]);
  if (isPickleCheckpoint(p)) throw new UserError(pickleMessage(p));
  if (!isCheckpointPath(p)) throw new UserError(`${args.positionals[0]} is not a safetensors checkpoint (model.safetensors, model.safetensors.index.json, or the folder holding them).`);
  return p;
}

export async function runExport(args: Args, json: boolean, usage: string): Promise<void> {
  const src = checkpointArg(args);
  const out = str(args, 'out');
  if (!out) throw new UserError(`Say where to write the ONNX file: ${usage}`);
  const r = exportCheckpoint(src, resolve(out));
  if (json) return void print(JSON.stringify(r, null, 2));
  print(`wrote ${r.model} (${r.bytes.toLocaleString('en-US')} bytes${r.data ? `, weights in ${r.data}` : ', weights inline'}) from ${r.architecture ?? 'the checkpoint'}`);
  for (const c of r.copied) print(`copied ${c}`);
}

export async function runTensors(args: Args, json: boolean): Promise<void> {
  const ckpt = readCheckpoint(modelFile(checkpointArg(args)));
  const rows = tensorRows(ckpt);
  if (json) return void print(JSON.stringify({ files: ckpt.files, metadata: ckpt.metadata, tensors: rows }, null, 2));
  print(table(['name', 'dtype', 'shape', 'bytes'], rows.map((t) => [t.name, t.dtype, `[${t.shape.join(', ')}]`, t.bytes])));
}
