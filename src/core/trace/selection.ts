/** The user's choice of layer, head and token, checked against the model with the valid ranges in the message. */
import { UserError } from '../errors';

export interface TraceRanges {
  layers: number;
  /** heads of each layer */
  heads: number[];
  /** tokens of each layer (ViT: the sequence length; Swin: the stage grid h·w) */
  tokens: number[];
}

export function checkSelection(r: TraceRanges, layer: number, head: number, token: number): void {
  const whole = (v: number) => Number.isInteger(v) && v >= 0;
  if (!whole(layer) || layer >= r.layers) throw new UserError(`Layer ${layer} does not exist: this model has blocks 0..${r.layers - 1}.`);
  if (!whole(head) || head >= r.heads[layer]) throw new UserError(`Head ${head} does not exist in block ${layer}: pick 0..${r.heads[layer] - 1}.`);
  if (!whole(token) || token >= r.tokens[layer]) throw new UserError(`Token ${token} does not exist in block ${layer}: pick 0..${r.tokens[layer] - 1}.`);
}

/**
 * The names of the sequence indices before the patches, in the order timm and DINOv2 put them:
 * the class token, the distillation token(s), then the registers, numbered. The trace names them
 * from the graph where it can (assemble.ts); this is what the detection's counts say.
 */
export function extraTokenNames(extra: number, registers: number): string[] {
  const named = Math.max(0, extra - registers); // class + distillation (none: registers only, timm's class_token=False)
  return [...Array.from({ length: named }, (_, i) => (i === 0 ? 'class' : 'distillation')), ...Array.from({ length: Math.max(0, extra - named) }, (_, i) => `register ${i}`)];
}
