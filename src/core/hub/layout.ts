/**
 * Where a model's configs and labels are: beside it, then — for a model in `onnx/`, the
 * Transformers.js repo layout (onnx/model.onnx, onnx/model_fp16.onnx, … with config.json and
 * preprocessor_config.json at the repo root) — in the parent folder.
 */
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export function configDirs(modelPath: string): string[] {
  const dir = dirname(modelPath);
  return basename(dir) === 'onnx' ? [dir, dirname(dir)] : [dir];
}

/** The first `name` in configDirs, with how to call it in messages ("config.json" or "../config.json"). */
export function findSidecar(modelPath: string, name: string): { path: string; source: string } | undefined {
  const dirs = configDirs(modelPath);
  for (let i = 0; i < dirs.length; i++) {
    const path = join(dirs[i], name);
    if (existsSync(path)) return { path, source: i === 0 ? name : `../${name}` };
  }
  return undefined;
}
