import { statSync } from 'node:fs';
import type { Services } from './context';
import type { ModelConfig } from '../core/flops';

const cache = new Map<string, ModelConfig | null>();

/** The detected config of a model (cached by path, size and mtime); null when not a ViT/Swin. */
export function modelConfig(path: string): ModelConfig | null {
  const st = statSync(path);
  const key = `${path}|${st.size}|${st.mtimeMs}`;
  if (cache.has(key)) return cache.get(key)!;
  const config = detect(path);
  cache.set(key, config);
  return config;
}

function detect(_path: string): ModelConfig | null {
  return null; // wired to core/arch once detection lands
}

/** Patch size and (Swin) window of a model, for the grid over the image; null when unknown. */
export function describeForGrid(model: string, _services: Services): { patch: number; window: number | null; family: string } | null {
  try {
    const c = modelConfig(model);
    return c ? { patch: c.patchSize, window: c.family === 'swin' ? c.windowSize ?? null : null, family: c.family } : null;
  } catch {
    return null;
  }
}
