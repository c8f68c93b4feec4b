/**
 * The checkpoint commands: `export` (a safetensors checkpoint as a standard ONNX file) and
 * `tensors` (a checkpoint's tensor list from its headers, for any architecture).
 */
import { resolve } from 'node:path';
import { exportCheckpoint } from '../core/checkpoint/export';
import { isCheckpointPath, modelFile, tensorRows } from '../core/checkpoint';
import { readCheckpoint, isPickleCheckpoint, pickleMessage } from '../core/checkpoint/safetensors';
import { UserError } from '../core/errors';
import { type Args, str, unknownFlags } from './args';
import { table } from '../core/textTable';
import { print, type Command } from './common';




function checkpointArg(args: Args, usage: string): string {
  if (args.positionals.length !== 1) throw new UserError(`Give one checkpoint: ${usage}`);
  const p = resolve(args.positionals[0]);
  if (isPickleCheckpoint(p)) throw new UserError(pickleMessage(p));
  if (!isCheckpointPath(p)) throw new UserError(`${args.positionals[0]} is not a safetensors checkpoint (model.safetensors, model.safetensors.index.json, or the folder holding them).`);
  return p;
}

export const checkpointCommands: Record<string, Command> = {
  export: {
    summary: 'a safetensors checkpoint (Hugging Face or timm) as a standard ONNX file, config.json and preprocessor_config.json copied beside it',
    usage: 'vit-inspect export CHECKPOINT -o OUT.onnx [--json]',
    async run(args, json) {
      unknownFlags(args, ['out', 'json']);
      const src = checkpointArg(args, this.usage);
      const out = str(args, 'out');
      if (!out) throw new UserError(`Say where to write the ONNX file: ${this.usage}`);
      const r = exportCheckpoint(src, resolve(out));
      if (json) return void print(JSON.stringify(r, null, 2));
      print(`wrote ${r.model} (${r.bytes.toLocaleString('en-US')} bytes${r.data ? `, weights in ${r.data}` : ', weights inline'}) from ${r.architecture ?? 'the checkpoint'}`);
      for (const c of r.copied) print(`copied ${c}`);
    },
  },
  tensors: {
    summary: 'the tensors of a safetensors checkpoint (name, dtype, shape, bytes), read from its headers',
    usage: 'vit-inspect tensors CHECKPOINT [--json]',
    async run(args, json) {
      unknownFlags(args, ['json']);
      const ckpt = readCheckpoint(modelFile(checkpointArg(args, this.usage)));
      const rows = tensorRows(ckpt);
      if (json) return void print(JSON.stringify({ files: ckpt.files, metadata: ckpt.metadata, tensors: rows }, null, 2));
      print(table(['name', 'dtype', 'shape', 'bytes'], rows.map((t) => [t.name, t.dtype, `[${t.shape.join(', ')}]`, t.bytes])));
    },
  },
};
