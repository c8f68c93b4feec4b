import type { ModelConfig } from '../flops/config';
import type { ArchConfig } from './detect';
import { isSwinFamily, type Family } from '../terms';

/** A detected config in the analytic counter's terms; null for a non-transformer ('other'). */
export function toFlopsConfig(family: Family, c: ArchConfig): ModelConfig | null {
  if ((family !== 'vit' && !isSwinFamily(family)) || !c.patchSize || !c.embedDim || !c.depths || !c.heads || !c.imageSize) return null;
  // Swin V2 in Swin's terms: same stages and windows (its CPB MLP is not in the analytic formulas).
  const swin = isSwinFamily(family);
  return {
    family: swin ? 'swin' : 'vit',
    imageSize: c.imageSize,
    patchSize: c.patchSize,
    embedDim: c.embedDim,
    depths: c.depths,
    heads: c.heads,
    mlpRatio: c.mlpRatio ?? 4,
    windowSize: swin ? c.windowSize : null,
    numClasses: c.numClasses ?? 0,
    extraTokens: c.extraTokens ?? (family === 'vit' ? 1 : 0),
  };
}
