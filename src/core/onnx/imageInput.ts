/**
 * The image input of a vision model and the sizes it may take: the first graph input of rank 4
 * that is not an initializer, its declared size, and for a symbolic size the sizes a fixed
 * position embedding was made for.
 */
import type { OnnxGraph } from './model';
import { attrInt, attrInts } from './model';
import { isFloatType } from './proto';

/** The graph inputs that are not initializers (old exporters list weights as inputs too). */
export function graphInputs(g: OnnxGraph): OnnxGraph['inputs'] {
  const inits = new Set(g.initializers.map((t) => t.name));
  return g.inputs.filter((i) => !inits.has(i.name));
}

/** The image input: the first graph input of rank 4 that is not an initializer. */
export function imageInput(g: OnnxGraph): { name: string; index: number } | null {
  const ins = graphInputs(g);
  for (let i = 0; i < ins.length; i++) {
    const t = ins[i].type;
    if (t && t.kind === 'tensor' && t.shape && t.shape.length === 4 && isFloatType(t.elemType)) return { name: ins[i].name, index: i };
  }
  return null;
}

/** The image size a model declares ([h, w]), or null when its input size is symbolic. */
export function declaredImageSize(g: OnnxGraph): [number, number] | null {
  const img = imageInput(g);
  if (!img) return null;
  const t = graphInputs(g)[img.index].type;
  if (!t || t.kind !== 'tensor' || !t.shape) return null;
  const [, , h, w] = t.shape;
  return typeof h === 'number' && typeof w === 'number' && h > 0 && w > 0 ? [h, w] : null;
}

/** Channels of an image input with a symbolic channel dimension: what its first Conv takes, else 3. */
export function imageChannels(g: OnnxGraph, input: string): number {
  const inits = new Map(g.initializers.map((t) => [t.name, t]));
  for (const n of g.nodes) {
    if (n.opType !== 'Conv' || n.inputs[0] !== input) continue;
    const w = inits.get(n.inputs[1]);
    if (w && w.dims.length >= 3) return w.dims[1] * attrInt(n, 'group', 1);
  }
  return 3;
}

/** Image sizes a model with a dynamic input may have been made for (from a fixed position embedding). */
export function candidateSizes(g: OnnxGraph): number[] {
  const img = imageInput(g);
  const out: number[] = [];
  if (!img) return out;
  const inits = new Map(g.initializers.map((t) => [t.name, t]));
  for (const n of g.nodes) {
    if (n.opType !== 'Conv' || n.inputs[0] !== img.name) continue;
    const w = inits.get(n.inputs[1]);
    const stride = attrInts(n, 'strides')?.[0] ?? 1;
    if (!w || w.dims.length !== 4 || stride <= 1) continue;
    const dim = w.dims[0];
    for (const t of g.initializers) {
      if (t.dims.length !== 3 || t.dims[0] !== 1 || t.dims[2] !== dim) continue;
      for (const extra of [1, 2, 0, 3, 4]) {
        const grid = Math.sqrt(t.dims[1] - extra);
        if (Number.isInteger(grid) && grid > 0) out.push(grid * stride);
      }
    }
  }
  return [...new Set(out)].slice(0, 6);
}
