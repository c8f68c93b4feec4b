/**
 * Token dropping for ViT/DeiT: the patch token removed from the sequence instead of painted over.
 * The graph is cut at the position-embedding Add (x = [class, (dist, registers,) patches] + E_pos,
 * the ViT paper's eq. 1): its output becomes the input of the rest of the encoder, so the rest
 * can be fed a sequence one token shorter. The map is p(class) − p(class | token j dropped), one
 * value per patch, row-major over the patch grid. Only where the rest of the graph takes any
 * sequence length: a graph with the length baked into its reshapes (a fixed-shape export) refuses
 * to run on the shorter sequence, and that is said in the user's terms, never a wrong map.
 */
import { UserError } from '../errors';
import { linkGraph } from '../graph/graphIndex';
import { walk } from '../graph/walk';
import type { OnnxModel, OnnxNode, ValueInfo } from '../onnx/model';
import type { Family } from '../terms';

export interface EmbeddedSequence {
  /** The position-embedding Add's output: [B, N, C], N = extra tokens + patches. */
  name: string;
  tokens: number;
  dim: number;
}

/** Why a family has no patch sequence to drop tokens from, or null when it has one. */
export function dropUnsupported(family: Family, display: string): string | null {
  if (family === 'swin' || family === 'swin-v2')
    return `${display} is a Swin model: its tokens are attended in fixed windows and merged between stages, so a token cannot be removed from one sequence. Use occlusion (or RISE) for Swin.`;
  if (family === 'vit-hybrid')
    return `${display} is a hybrid ViT: its tokens are cells of the CNN backbone's feature map, which see overlapping regions of the image, not one patch each. Use occlusion (or RISE) for hybrid models.`;
  if (family !== 'vit') return `${display} is not a ViT/DeiT model, so it has no patch-token sequence to remove tokens from. Use occlusion (or RISE).`;
  return null;
}

/** The first Add of a [B, N, C] sequence and a learned [1, N, C] initializer: the position embedding. */
export function findEmbeddedSequence(m: OnnxModel, display: string): EmbeddedSequence {
  const inits = new Map(m.graph.initializers.map((t) => [t.name, t]));
  for (const n of m.graph.nodes) {
    if (n.opType !== 'Add' || n.inputs.length !== 2) continue;
    const pos = inits.get(n.inputs[1]) ?? inits.get(n.inputs[0]);
    if (pos && pos.dims.length === 3 && pos.dims[0] === 1 && pos.dims[1] > 1) return { name: n.outputs[0], tokens: pos.dims[1], dim: pos.dims[2] };
  }
  throw new UserError(`${display} has no learned position embedding (an Add of a [1, N, C] weight to the token sequence) where its graph could be cut, so tokens cannot be removed. Use occlusion.`);
}

/** The nodes the graph's outputs need, with `cut` treated as a graph input (its producer not passed). */
function neededNodes(nodes: readonly OnnxNode[], outputs: readonly string[], cut: string): OnnxNode[] {
  const keep = new Set<number>();
  walk(linkGraph(nodes), outputs, {
    direction: 'back',
    through: (_, via) => via !== cut,
    constants: true,
    onPass: (i) => keep.add(i),
    // Subgraphs (If/Loop) may read outer tensors.
    follow: (i) => [...nodes[i].inputs, ...nodes[i].attributes.flatMap((a) => (a.type === 'graph' ? a.value.nodes.flatMap((sn) => sn.inputs) : []))],
  });
  return nodes.filter((_, i) => keep.has(i));
}

/**
 * The rest of the graph after the position embedding: input `seq.name` ([batch, tokens, C], the
 * sequence length symbolic), the model's outputs. Original inputs still read by the rest (e.g. a
 * Shape of the image for the batch size) stay inputs. value_info is dropped: its shapes were
 * inferred for the full sequence.
 */
export function restAfterEmbedding(m: OnnxModel, seq: EmbeddedSequence, batch: number | string): OnnxModel {
  const nodes = neededNodes(m.graph.nodes, m.graph.outputs.map((o) => o.name), seq.name);
  const read = new Set(nodes.flatMap((n) => n.inputs));
  const input: ValueInfo = { name: seq.name, type: { kind: 'tensor', elemType: 1, shape: [batch, 'tokens', seq.dim] } };
  return {
    ...m,
    graph: {
      ...m.graph,
      nodes,
      inputs: [input, ...m.graph.inputs.filter((i) => read.has(i.name))],
      initializers: m.graph.initializers.filter((t) => read.has(t.name)),
      valueInfo: [],
    },
  };
}

/** The [n, N − 1, C] batch of sequences with patch token `first + k` removed from sequence `seq` ([N, C]), k < n. */
export function dropTokens(seq: Float32Array, tokens: number, dim: number, extra: number, first: number, n: number): Float32Array {
  const out = new Float32Array(n * (tokens - 1) * dim);
  for (let k = 0; k < n; k++) {
    const drop = extra + first + k;
    const base = k * (tokens - 1) * dim;
    out.set(seq.subarray(0, drop * dim), base);
    out.set(seq.subarray((drop + 1) * dim), base + drop * dim);
  }
  return out;
}
