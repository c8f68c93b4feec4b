import type { Services } from './context';

/** Patch size and (Swin) window of a model, for the grid over the image; null when unknown. */
export function describeForGrid(_model: string, _services: Services): { patch: number; window: number | null; family: string } | null {
  return null;
}
