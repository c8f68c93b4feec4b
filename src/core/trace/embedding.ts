/**
 * The ViT paper's eq. 1, z₀ = [x_class; x_p¹E; …; x_p^N E] + E_pos, as a graph really assembles it:
 * a tree of Concats of learned tokens and the patch tokens, Slices and the Add of the position
 * embedding (plan.ts finds it), in the model's own order — timm's no_embed_class adds E_pos to the
 * patches before prepending, DINOv2 inserts its registers after the add. tokenPath follows one
 * sequence index of block 0's input back to where it comes from.
 */
import type { TensorInfo } from '../onnx/model';

/** How block 0's input is assembled on the token axis (axis 1 of [B, N, C]). */
export type EmbedNode =
  | { op: 'concat'; output: string; parts: EmbedNode[]; lengths: number[] }
  | { op: 'slice'; output: string; start: number; part: EmbedNode }
  /** + E_pos: an initializer, or (a name) a table the graph computes from constants at run time (resized to the grid), captured */
  | { op: 'position'; output: string; table: TensorInfo | string; part: EmbedNode }
  /** a learned token (class, distillation, registers): an initializer, maybe expanded to the batch */
  | { op: 'learned'; table: TensorInfo }
  /** anything else: the patch tokens (the patch embedding's output, flattened) */
  | { op: 'patches'; output: string };

/** One node on a token's path: the token's index in that node's output, and (Concat) which part it came from. */
export interface EmbedHop {
  node: EmbedNode;
  index: number;
  part?: number;
}

/**
 * The path of sequence index `token` from block 0's input (the first hop) back to its origin (the
 * last: a learned token or the patches, with its row there); null when the index falls outside.
 */
export function tokenPath(tree: EmbedNode, token: number): EmbedHop[] | null {
  const hops: EmbedHop[] = [];
  let node = tree;
  let index = token;
  for (let guard = 0; guard < 32; guard++) {
    const hop: EmbedHop = { node, index };
    hops.push(hop);
    if (node.op === 'learned' || node.op === 'patches') return hops;
    if (node.op === 'concat') {
      let off = 0;
      let j = 0;
      while (j < node.lengths.length && index >= off + node.lengths[j]) off += node.lengths[j++];
      if (j === node.lengths.length) return null;
      hop.part = j;
      index -= off;
      node = node.parts[j];
    } else {
      if (node.op === 'slice') index += node.start;
      node = node.part;
    }
  }
  return null;
}

/** What a learned token is, by the name its exporters give it (timm, torchvision, Hugging Face). */
export function learnedKind(t: TensorInfo): 'register' | 'distillation' | 'class' | 'token' {
  return /reg/i.test(t.name) ? 'register' : /dist/i.test(t.name) ? 'distillation' : /cls|class/i.test(t.name) ? 'class' : 'token';
}

/** The subtree adds the position embedding somewhere. */
export function hasPosition(e: EmbedNode): boolean {
  return e.op === 'position' || (e.op === 'slice' && hasPosition(e.part)) || (e.op === 'concat' && e.parts.some(hasPosition));
}
