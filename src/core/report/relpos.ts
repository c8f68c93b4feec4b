/**
 * The relative position bias of every Swin block, read from the model's own weights.
 *
 * Exports hold it in one of two forms, found from the Add between QKᵀ and the Softmax:
 *  - folded (torch.onnx.export's default constant folding): a [1, heads, N, N] constant, the
 *    table already gathered through the index. The table is recovered by inverting the official
 *    index; every repeated entry must agree, else it is "a constant added to the scores".
 *  - raw: the table [(2Mh−1)(2Mw−1), heads] and a Gather by the index stay in the graph; the table
 *    is read as is, and the index (when its values are in the file) is checked against the official one.
 * The window's height and width come from window_partition's 6-D view (B, H/Mh, Mh, W/Mw, Mw, C),
 * so non-square windows are read right; weights are read only here, never to show structure.
 */
import * as path from 'node:path';
import { UserError } from '../errors';
import type { OnnxModel, TensorInfo } from '../onnx/model';
import { numElements } from '../onnx/model';
import { loadFloatValues, loadTensorValues } from '../onnx/reader';
import { loadModel } from '../checkpoint';
import { inferShapes } from '../onnx/shapes';
import { analyzeGraph } from '../arch/analysis';
import { VALUE_VIEW } from '../graph/ops';
import type { AttentionInfo, GraphAnalysis } from '../graph/structure';
import { chain } from '../graph/walk';
import { detectArchitecture, type Detection } from '../arch/detect';
import { relativePositionIndex, tableFromBias, tableRows } from '../swin/relpos';
import { evalConst } from '../swin/evalConst';
import { windowShape } from '../swin/windowShape';
import { isSwinFamily } from '../terms';

/** Largest bias constant read: [heads, N, N] floats of a big window (48 heads, 24×24 window ≈ 64 MB). */
const MAX_BIAS_BYTES = 256 << 20;

export type RelposStatus =
  /** The table was read (folded constant inverted, or the raw table). */
  | 'ok'
  /** The file holds the structure only: the weights' bytes are absent. */
  | 'missing-weights'
  /** The constant added to the scores is not a table gathered by the official index. */
  | 'not-relative'
  /** The bias is computed by nodes at run time (not a constant the file holds). */
  | 'runtime'
  /** Nothing is added to this block's scores. */
  | 'none';

export interface RelposLayer {
  /** "stage1.block0", as the attention command names blocks. */
  name: string;
  /** The block's module path in the export (`features.1.0`), when node names carry one. */
  scope: string | null;
  stage: number;
  block: number;
  heads: number;
  /** [Mh, Mw]. */
  window: [number, number];
  shifted: boolean;
  /**
   * Where the bias is held: a folded [heads, N, N] constant, a raw table + Gather, Swin V2's
   * continuous position bias computed from constants in the graph (16·sigmoid(MLP(coords)) gathered
   * by the index; the table shown is 16·sigmoid of the MLP's output), or none.
   */
  source: 'folded' | 'table' | 'cpb' | null;
  /** The initializer (or constant) read. */
  tensor: string | null;
  status: RelposStatus;
  /** One sentence for the user when status is not "ok". */
  message: string | null;
  /** Head-major: table[h·R + r] = relative_position_bias_table[r, h], R = (2Mh−1)(2Mw−1); null unless ok. */
  table: Float32Array | null;
  /** Parameters this table counts for: (2Mh−1)(2Mw−1)·heads. */
  params: number;
}

export interface RelposReport {
  file: string;
  layers: RelposLayer[];
}

/**
 * The tensor behind `name` through value-preserving views: an initializer, a folded value
 * (onnx/shapes' constant folding), a Constant node's output; `constant` is that node.
 */
function behindViews(a: GraphAnalysis, name: string): { tensor: string; constant: number | null } | null {
  const c = chain(a, name, {
    direction: 'back',
    constants: true,
    through: VALUE_VIEW,
    stopAt: (p, via) => !!a.shapes.tensors.get(via)?.value || a.nodes[p].opType === 'Constant',
    maxSteps: 8,
  });
  if (c.end === null && c.path.length >= 8) return null;
  return { tensor: c.tensor, constant: c.end !== null && a.nodes[c.end].opType === 'Constant' && !a.shapes.tensors.get(c.tensor)?.value ? c.end : null };
}

/** A Constant node's tensor value. */
function constantValue(a: GraphAnalysis, node: number): TensorInfo | null {
  const v = a.nodes[node].attributes.find((x) => x.name === 'value');
  return v && v.type === 'tensor' ? v.value : null;
}

/** Values of a constant tensor: an initializer, a Constant node, or a folded value, through view ops. */
function constValues(a: GraphAnalysis, name: string, maxBytes: number): { values: number[] | null; init: TensorInfo | null } {
  const b = behindViews(a, name);
  if (!b) return { values: null, init: null };
  const init = a.initializers.get(b.tensor);
  if (init) return { values: loadTensorValues(a.model, init, maxBytes), init };
  const folded = a.shapes.tensors.get(b.tensor)?.value;
  if (folded) return { values: folded, init: null };
  const t = b.constant === null ? null : constantValue(a, b.constant);
  return t ? { values: loadTensorValues(a.model, t, maxBytes), init: t } : { values: null, init: null };
}

/** The initializer or Constant behind a tensor name (through view ops), for its dims and data location. */
function constTensor(a: GraphAnalysis, name: string): TensorInfo | null {
  // The folded value does not stop this search: the source's dims and data location are wanted.
  const c = chain(a, name, { direction: 'back', constants: true, through: VALUE_VIEW, stopAt: (p) => a.nodes[p].opType === 'Constant', maxSteps: 8 });
  if (c.end !== null) return constantValue(a, c.end);
  return c.path.length >= 8 ? null : a.initializers.get(c.tensor) ?? null;
}

const dataMissing = (t: TensorInfo): boolean => (t.data.location === 'external' && !t.data.exists) || t.data.location === 'none';

/** The module path of the block (the Softmax's scope without its attention module), if named. */
function blockScope(a: GraphAnalysis, at: AttentionInfo): string | null {
  const name = a.nodes[at.softmax].name;
  if (!name.startsWith('/')) return null;
  const parts = name.split('/').slice(1, -1).filter(Boolean);
  if (!parts.length) return null;
  const last = parts[parts.length - 1];
  const block = /^(attn|attention|self_attn|self)$/i.test(last.split('.').pop() ?? '') && parts.length > 1 ? parts[parts.length - 2] : last;
  return block;
}

interface Found {
  source: 'folded' | 'table' | 'cpb';
  tensor: TensorInfo | null;
  tensorName: string;
  /** For 'table': the Gather's indices tensor. */
  indices?: string;
  /** For 'folded': the name of the constant added. */
  value?: string;
}

/** Whether a Sigmoid (V2's 16·sigmoid) is among the few nodes producing this tensor. */
function sigmoidNear(a: GraphAnalysis, name: string): boolean {
  return chain(a, name, {
    direction: 'back',
    through: (p) => VALUE_VIEW.has(a.nodes[p].opType) || a.nodes[p].opType === 'Mul',
    stopAt: (p) => a.nodes[p].opType === 'Sigmoid',
    // Past the 16 of 16·sigmoid: the input that is not a scalar.
    next: (p) => a.nodes[p].inputs.find((x) => x && !(a.shapes.tensors.get(x)?.value?.length === 1)) ?? a.nodes[p].inputs[0],
    maxSteps: 6,
  }).end !== null;
}

/** The bias added to one block's scores: a folded [1?, heads, N, N] constant, or a Gather from a table. */
function findBias(a: GraphAnalysis, at: AttentionInfo, Mh: number, Mw: number): Found | 'runtime' | null {
  const N = at.tokens;
  const R = tableRows(Mh, Mw);
  let runtime = false;
  for (const add of at.scoreAdds) {
    const n = a.nodes[add];
    if (n.opType !== 'Add') continue;
    for (const inp of n.inputs) {
      if (!inp) continue;
      const shape = a.shapes.tensors.get(inp)?.shape;
      if (!shape) continue;
      const dims = [...shape];
      while (dims.length > 3 && dims[0] === 1) dims.shift();
      const isBiasShape = dims.length === 3 && dims[0] === at.heads && dims[1] === N && dims[2] === N;
      if (!isBiasShape) continue;
      // Swin V2: 16·sigmoid(cpb_mlp(coords)) gathered by the index, computed from constants by graph nodes.
      if (sigmoidNear(a, inp)) return { source: 'cpb', tensor: null, tensorName: inp, value: inp };
      if (!a.isConst(inp)) {
        runtime = true;
        continue;
      }
      // A table and a Gather by the index, behind view ops (Reshape/Transpose/Unsqueeze)?
      const gather = chain(a, inp, { direction: 'back', constants: true, through: VALUE_VIEW, stopAt: (p) => a.nodes[p].opType === 'Gather', maxSteps: 8 }).end;
      if (gather !== null) {
        const pn = a.nodes[gather];
        const t = constTensor(a, pn.inputs[0]);
        const tdims = t ? t.dims.filter((d) => d !== 1 || t.dims.length <= 2) : null;
        if (t && tdims && numElements(t.dims) === R * at.heads && (t.dims[t.dims.length - 1] === at.heads || at.heads === 1)) {
          return { source: 'table', tensor: t, tensorName: t.name || pn.inputs[0], indices: pn.inputs[1] };
        }
      }
      const t = constTensor(a, inp);
      if (t && numElements(t.dims) === at.heads * N * N) return { source: 'folded', tensor: t, tensorName: t.name || inp, value: inp };
      if (a.shapes.tensors.get(inp)?.value) return { source: 'folded', tensor: null, tensorName: inp, value: inp };
      runtime = true;
    }
  }
  return runtime ? 'runtime' : null;
}

function readLayer(a: GraphAnalysis, at: AttentionInfo, stage: number, block: number, shifted: boolean): RelposLayer {
  const win = windowShape(a, at);
  const base = {
    name: `stage${stage}.block${block}`,
    scope: blockScope(a, at),
    stage,
    block,
    heads: at.heads,
    shifted,
  };
  if (!win) {
    return {
      ...base,
      window: [0, 0],
      source: null,
      tensor: null,
      status: 'none',
      message: `The window of this block (${at.tokens} tokens) could not be read from the graph.`,
      table: null,
      params: 0,
    };
  }
  const [Mh, Mw] = win;
  const R = tableRows(Mh, Mw);
  const layer: RelposLayer = { ...base, window: [Mh, Mw], source: null, tensor: null, status: 'none', message: 'Nothing is added to this block\'s attention scores: it has no relative position bias.', table: null, params: 0 };
  const found = findBias(a, at, Mh, Mw);
  if (found === null) return layer;
  if (found === 'runtime') {
    return { ...layer, status: 'runtime', message: 'The bias added to the scores is computed by the graph at run time; the file holds no constant table to show.' };
  }
  layer.source = found.source;
  layer.tensor = found.tensorName;
  layer.message = null;
  layer.params = R * at.heads;
  if (found.tensor && dataMissing(found.tensor)) {
    return { ...layer, status: 'missing-weights', message: `The weights are missing (structure-only file: ${found.tensor.data.location === 'external' ? `external data "${found.tensor.data.file}" not found` : 'no data'}); the index is built from the model's window, but the table's values are not in the file.` };
  }
  if (found.source === 'cpb') {
    let missing = false;
    const leaf = (name: string): ArrayLike<number> | null => {
      const t = constTensor(a, name);
      if (t && dataMissing(t)) missing = true;
      if (!t || dataMissing(t)) return null;
      return loadFloatValues(a.model, t, MAX_BIAS_BYTES);
    };
    const v = evalConst(a, found.tensorName, leaf);
    layer.params = 0;
    if (!v) {
      return { ...layer, status: missing ? 'missing-weights' : 'runtime', message: missing ? 'Swin V2\'s continuous position bias: the weights of its MLP are missing (structure-only file), so the bias cannot be computed; the index is built from the model\'s window.' : 'Swin V2\'s continuous position bias is computed by the graph at run time from ops this view does not evaluate.' };
    }
    const rec = tableFromBias(v.data, at.heads, Mh, Mw);
    if (!rec.ok) return { ...layer, status: 'not-relative', message: 'The computed bias is not gathered by the official index: shown as a constant added to the scores.' };
    return { ...layer, status: 'ok', table: rec.table };
  }
  if (found.source === 'table') {
    const { values } = constValues(a, found.tensorName, MAX_BIAS_BYTES);
    if (!values) return { ...layer, status: 'missing-weights', message: 'The table\'s values could not be read from the file (weights missing).' };
    if (found.indices) {
      const idx = constValues(a, found.indices, MAX_BIAS_BYTES).values;
      const official = relativePositionIndex(Mh, Mw);
      if (idx && (idx.length !== official.length || idx.some((v, k) => v !== official[k]))) {
        return { ...layer, status: 'not-relative', message: 'The table is gathered by an index that is not the official relative_position_index: shown as a constant added to the scores.' };
      }
    }
    // [R, heads] row-major → head-major.
    const table = new Float32Array(at.heads * R);
    for (let r = 0; r < R; r++) for (let h = 0; h < at.heads; h++) table[h * R + r] = values[r * at.heads + h];
    return { ...layer, status: 'ok', table };
  }
  const values = found.tensor ? loadFloatValues(a.model, found.tensor, MAX_BIAS_BYTES) : (a.shapes.tensors.get(found.value ?? '')?.value ?? null);
  if (!values) return { ...layer, status: 'missing-weights', message: 'The bias constant\'s values could not be read from the file (weights missing).' };
  const rec = tableFromBias(values, at.heads, Mh, Mw);
  if (!rec.ok) {
    return {
      ...layer,
      status: 'not-relative',
      params: at.heads * Mh * Mw * Mh * Mw,
      message: `A constant added to the scores, not a relative position bias: head ${rec.head}, pair (${rec.pair[0]}, ${rec.pair[1]}) holds ${rec.other} where the index says it repeats ${rec.first} (table row ${rec.row}).`,
    };
  }
  return { ...layer, status: 'ok', table: rec.table };
}

/** Swin blocks of a detected model with their attention info, in order. */
function swinBlocks(a: GraphAnalysis, det: Detection): { at: AttentionInfo; stage: number; block: number; shifted: boolean }[] {
  const bySoftmax = new Map(a.attentions.map((at) => [at.softmax, at]));
  const out: { at: AttentionInfo; stage: number; block: number; shifted: boolean }[] = [];
  det.stages.forEach((st, si) => {
    st.blocks.forEach((b, bi) => {
      const at = bySoftmax.get(b.softmax);
      if (at) out.push({ at, stage: si + 1, block: bi, shifted: b.shifted });
    });
  });
  return out;
}

/** Every Swin block's bias table of an already-analysed model. */
export function relposOfAnalysis(a: GraphAnalysis, det: Detection, display = 'The model'): RelposReport {
  if (!isSwinFamily(det.family)) {
    const what = det.family === 'vit' ? 'a ViT (global attention, with a position embedding added once, not a bias per block)' : 'not a Swin Transformer';
    throw new UserError(`${display} has no Swin window-attention blocks: it is ${what}. Relative position bias is a Swin feature; open a Swin model.`);
  }
  const layers = swinBlocks(a, det).map((b) => readLayer(a, b.at, b.stage, b.block, b.shifted));
  return { file: a.model.path ?? '', layers };
}

/** Reads an ONNX file's Swin relative position bias tables (the only place weights are read). */
export function readRelpos(model: OnnxModel | string): RelposReport {
  const m = typeof model === 'string' ? loadModel(model) : model;
  const shapes = inferShapes(m);
  const a = analyzeGraph(m, shapes);
  const det = detectArchitecture(a);
  return relposOfAnalysis(a, det, m.path ? path.basename(m.path) : 'The model');
}

/** The `vit-inspect relpos --json` document (DESIGN.md): tables as number[heads][(2Mh−1)(2Mw−1)]. */
export function relposDocument(r: RelposReport): { layers: { name: string; heads: number; window: [number, number]; shifted: boolean; source: string | null; status: RelposStatus; message: string | null; table: number[][] | null }[] } {
  return {
    layers: r.layers.map((l) => {
      const R = tableRows(l.window[0], l.window[1]);
      const table = l.table ? Array.from({ length: l.heads }, (_, h) => Array.from(l.table!.subarray(h * R, (h + 1) * R))) : null;
      return { name: l.name, heads: l.heads, window: l.window, shifted: l.shifted, source: l.source, status: l.status, message: l.message, table };
    }),
  };
}

/** One block as the relative-position view gets it (plain numbers: at most (2M−1)²·heads per table). */
export type RelposBlockView = Omit<RelposLayer, 'stage' | 'block' | 'table'> & {
  /** Head-major [heads][(2Mh−1)(2Mw−1)], flattened; null unless status is "ok". */
  table: number[] | null;
};

export function relposViews(r: RelposReport): RelposBlockView[] {
  return r.layers.map((l) => ({
    name: l.name,
    scope: l.scope,
    heads: l.heads,
    window: l.window,
    shifted: l.shifted,
    source: l.source,
    tensor: l.tensor,
    status: l.status,
    message: l.message,
    table: l.table ? Array.from(l.table) : null,
    params: l.params,
  }));
}
