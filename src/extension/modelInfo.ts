import { fileKey } from '../core/session/fileCache';
import type { Services } from './context';
import type { ModelConfig } from '../core/flops';
import type { InspectResult } from '../core/arch/inspect';
import { toFlopsConfig } from '../core/arch/toFlopsConfig';
import type { CancelSignal } from '../runtime/client';
import { isSwinFamily } from '../core/terms';

const cache = new Map<string, Promise<InspectResult>>();

/** Inspect a model in the inference process; cached by path, size, mtime and options. */
export function inspect(services: Services, path: string, opts: { imageSize?: number; details?: boolean } = {}, token?: CancelSignal): Promise<InspectResult> {
  const key = `${fileKey(path)}|${opts.imageSize ?? ''}|${opts.details ? 1 : 0}`;
  let p = cache.get(key);
  if (!p) {
    p = services.runtime.request('inspect', { model: path, ...opts }, token);
    cache.set(key, p);
    p.catch(() => cache.delete(key));
    if (cache.size > 16) cache.delete(cache.keys().next().value!);
  }
  return p;
}

/** The detected config of a model in the analytic counter's terms; null when not a ViT/Swin. */
export async function modelConfig(services: Services, path: string): Promise<ModelConfig | null> {
  const r = await inspect(services, path);
  return toFlopsConfig(r.family, r.config);
}

/** Patch size and (Swin) window of a model, for the grid over the image; null when unknown. */
export async function describeForGrid(services: Services, model: string): Promise<{ patch: number; window: number | null; family: string } | null> {
  try {
    const r = await inspect(services, model);
    return r.config.patchSize ? { patch: r.config.patchSize, window: isSwinFamily(r.family) ? r.config.windowSize : null, family: r.family } : null;
  } catch (e) {
    services.log.warn(`no patch grid for ${model}: ${(e as Error).message}`);
    return null;
  }
}
