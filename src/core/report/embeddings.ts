/**
 * The learned embeddings of a ViT on the user's own model — the ViT paper's Figure 7 left
 * (principal components of the patch-embedding filters) and centre (position-embedding
 * similarity) — and the `vit-inspect embeddings --json` document:
 *
 *   { positions: { grid, similarity, kind, interpolatedFrom, tensor, extraRows } | null,
 *     patchFilters: { patch, explained, channels, filters, components, tensor } | null,
 *     notes: string[] }
 *
 * This is the one place that reads weights (two tensors); the rest of the extension reads only
 * structure. When a tensor's bytes cannot be had (external data missing) the view says so.
 */
import * as path from 'node:path';
import { UserError } from '../errors';
import type { OnnxModel, TensorInfo } from '../onnx/model';
import { numElements } from '../onnx/model';
import { isFloatType } from '../onnx/proto';
import { loadTensorValues } from '../onnx/reader';
import { isCheckpointPath, loadModel } from '../checkpoint';
import { inferShapes } from '../onnx/shapes';
import { DATA_INPUT_ONLY, POSITION_SOURCE_PATH } from '../graph/ops';
import type { GraphAnalysis } from '../graph/structure';
import { walk } from '../graph/walk';
import { analyzeGraph } from '../arch/analysis';
import type { Detection } from '../arch/detect';
import { detectArchitecture } from '../arch/detect';
import type { PositionEmbeddingKind } from '../vit/positionEmbedding';
import { positionEmbeddingKind, positionSimilarity } from '../vit/positionEmbedding';
import { patchFilterComponents, PAPER_COMPONENTS } from '../vit/patchFilters';
import { isSwinFamily } from '../terms';

export interface PositionsReport {
  /** Patch grid of the similarity maps [gh, gw]. */
  grid: [number, number];
  /** (gh·gw)² cosine similarities, row-major: row i is patch i's map over the grid. */
  similarity: number[];
  kind: PositionEmbeddingKind;
  /** The stored grid when the model resizes its embedding to the patch grid at run time (Resize in the graph); the maps are of the stored grid. */
  interpolatedFrom: [number, number] | null;
  /** Initializer holding the embedding. */
  tensor: string;
  /** Rows of the stored embedding before the patches (class / distillation tokens), left out. */
  extraRows: number;
}

export interface PatchFiltersReport {
  patch: [number, number];
  /** s_i² / Σ s² of the top components, descending. */
  explained: number[];
  channels: number;
  filters: number;
  /** The components, each channels·p² values [c][y][x]. */
  components: number[][];
  tensor: string;
}

export interface EmbeddingsDocument {
  family: string;
  positions: PositionsReport | null;
  patchFilters: PatchFiltersReport | null;
  /** Why a part is null, or anything else to know (interpolation, weights missing). */
  notes: string[];
}


interface FoundPositions {
  /** The initializer holding the patch rows: [.., N, D] rows, or a [.., D, h, w] grid (what an exporter leaves when it folds the reshape before a Resize). */
  init: TensorInfo;
  layout: 'rows' | 'grid';
  /** Small [.., r, D] initializers concatenated before it (the class token's row, when stored apart). */
  extras: TensorInfo[];
  interpolated: boolean;
}

/** The Add that adds a constant [.., T, D] (T = patches + a few extra tokens) to the token sequence, and the initializers behind it. */
export function findPositionEmbedding(a: GraphAnalysis, det: Detection): FoundPositions | null {
  const D = det.config.embedDim;
  const grid = det.stages[0]?.tokens;
  if (!D || !grid) return null;
  const P = grid[0] * grid[1];
  for (const i of a.shapes.order) {
    const n = a.nodes[i];
    if (n.opType !== 'Add' || n.inputs.length !== 2) continue;
    for (let s = 0; s < 2; s++) {
      const x = n.inputs[s];
      const other = n.inputs[1 - s];
      if (!x || !other || !a.isConst(x) || a.isConst(other)) continue;
      const sh = a.shapes.tensors.get(x)?.shape;
      if (!sh || sh.length < 2 || sh[sh.length - 1] !== D) continue;
      const T = sh[sh.length - 2];
      if (T < P || T - P > 8) continue;
      // Walk back to the initializers it is made of; note a Resize (run-time interpolation).
      let interpolated = false;
      const leaves: TensorInfo[] = [];
      const take = (name: string | undefined): void => {
        const init = name ? a.initializers.get(name) : undefined;
        if (init && isFloatType(init.dataType) && !leaves.includes(init)) leaves.push(init);
      };
      take(x);
      walk(a, x, {
        direction: 'back',
        constants: true,
        through: POSITION_SOURCE_PATH,
        maxSteps: 64,
        // Only the data input of a resize, crop, view or lookup: its sizes and indices are no table.
        follow: (p) => (DATA_INPUT_ONLY.has(a.nodes[p].opType) ? [a.nodes[p].inputs[0]] : a.nodes[p].inputs),
        onPass: (p) => {
          if (a.nodes[p].opType === 'Resize' || a.nodes[p].opType === 'Upsample') interpolated = true;
          for (const inp of DATA_INPUT_ONLY.has(a.nodes[p].opType) ? [a.nodes[p].inputs[0]] : a.nodes[p].inputs) take(inp);
        },
      });
      const rows = (t: TensorInfo): number => (t.dims[t.dims.length - 1] === D ? numElements(t.dims) / D : 0);
      const gridCells = (t: TensorInfo): number => (t.dims.length >= 3 && t.dims[t.dims.length - 3] === D ? t.dims[t.dims.length - 2] * t.dims[t.dims.length - 1] : 0);
      const need = interpolated ? 4 : P;
      const main = [...leaves].sort((p, q) => Math.max(rows(q), gridCells(q)) - Math.max(rows(p), gridCells(p)))[0];
      if (!main || Math.max(rows(main), gridCells(main)) < need) continue;
      const layout = rows(main) >= gridCells(main) ? 'rows' : 'grid';
      const extras = leaves.filter((t) => t !== main && rows(t) > 0 && rows(t) <= 8);
      return { init: main, layout, extras: layout === 'grid' ? extras : [], interpolated };
    }
  }
  return null;
}

/** The stored embedding as [N, D] rows: extra rows first, then the patches (a [D, h, w] grid transposed). */
function positionRows(f: FoundPositions, main: number[], extras: number[][], D: number): { values: number[]; grid: [number, number] | null } {
  if (f.layout === 'rows') return { values: main, grid: null };
  const dims = f.init.dims;
  const h = dims[dims.length - 2];
  const w = dims[dims.length - 1];
  const out: number[] = [];
  for (const e of extras) out.push(...e);
  for (let r = 0; r < h * w; r++) for (let c = 0; c < D; c++) out.push(main[c * h * w + r]);
  return { values: out, grid: [h, w] };
}

function missingWeights(t: TensorInfo): string | null {
  if (t.data.location === 'external' && !t.data.exists) return `its external data file ${t.data.file} is missing`;
  if (t.data.location === 'none') return 'the model holds no data for it';
  return null;
}

export interface EmbeddingsOptions {
  /** Principal components to report (default 28, as in the paper). */
  components?: number;
}

/** The embeddings document of an already-read model. */
export function embeddingsOfModel(model: OnnxModel, options: EmbeddingsOptions = {}): EmbeddingsDocument {
  const shapes = inferShapes(model);
  const a = analyzeGraph(model, shapes);
  const det = detectArchitecture(a);
  const notes: string[] = [];
  const doc: EmbeddingsDocument = { family: det.family, positions: null, patchFilters: null, notes };
  if (det.family === 'other') {
    notes.push('No vision transformer was found in this model (no attention over patch tokens), so it has no patch or position embeddings to show.');
    return doc;
  }

  // Position embeddings.
  const grid = det.stages[0]?.tokens;
  const found = findPositionEmbedding(a, det);
  if (!found) {
    notes.push(
      isSwinFamily(det.family)
        ? 'No absolute position embedding: this Swin model encodes position only as a relative position bias inside each window (see `vit-inspect relpos`).'
        : 'No position embedding was found (no constant [tokens, D] is added to the patch tokens): the model may encode position another way (relative bias, convolution).',
    );
  } else {
    const t = found.init;
    const D = det.config.embedDim ?? t.dims[t.dims.length - 1];
    const parts = [t, ...found.extras];
    const missing = parts.map(missingWeights).find((m) => m);
    let values: number[] | null = null;
    let storedGrid: [number, number] | null = null;
    if (missing) notes.push(`The position embedding (${t.name}) cannot be shown: the weights are missing (${missing}). The architecture is still viewable.`);
    else {
      const main = loadTensorValues(model, t, 1 << 30);
      const extras = found.extras.map((e) => loadTensorValues(model, e, 1 << 30));
      if (!main || extras.some((e) => !e)) notes.push(`The position embedding (${t.name}) could not be read.`);
      else ({ values, grid: storedGrid } = positionRows(found, main, extras as number[][], D));
    }
    if (values && grid) {
      const N0 = values.length / D;
      let g: [number, number] = [grid[0], grid[1]];
      let extraRows = N0 - g[0] * g[1];
      let from: [number, number] | null = null;
      if (storedGrid) {
        g = storedGrid;
        extraRows = N0 - g[0] * g[1];
        if (g[0] !== grid[0] || g[1] !== grid[1]) from = g;
      } else if (found.interpolated || extraRows < 0) {
        const s = Math.floor(Math.sqrt(N0));
        const e = N0 - s * s;
        if (e <= 8) {
          if (s !== grid[0] || s !== grid[1]) from = [s, s];
          g = [s, s];
          extraRows = e;
        }
      }
      if (extraRows < 0 || extraRows > 8) {
        notes.push(`The position embedding ${t.name} has ${N0} rows, which do not fit the ${grid[0]}×${grid[1]} patch grid.`);
      } else {
        const kind = positionEmbeddingKind(values, N0, D, extraRows, g);
        if (from) notes.push(`The position embedding is stored for a ${from[0]}×${from[1]} grid and interpolated to ${grid[0]}×${grid[1]} when the model runs; the maps show the stored ${from[0]}×${from[1]} grid.`);
        if (kind !== 'learned') notes.push(`The position embedding is a fixed ${kind} table, not learned.`);
        doc.positions = { grid: g, similarity: Array.from(positionSimilarity(values, N0, D, extraRows, g)), kind, interpolatedFrom: from, tensor: t.name, extraRows };
      }
    }
  }

  // Patch-embedding filters.
  const pe = a.patchEmbed;
  const w = pe !== null ? a.weightOf.get(pe) : undefined;
  const backbone = (det.config as { backbone?: unknown }).backbone;
  if (backbone) {
    notes.push('This is a hybrid ViT: its patch embedding projects the CNN backbone\'s feature map, not pixels, so its filters are not RGB patches.');
  } else if (!w || w.dims.length !== 4) {
    notes.push('No patch-embedding Conv (kernel = stride) on the image was found, so there are no filters to show.');
  } else {
    const missing = missingWeights(w);
    if (missing) notes.push(`The patch-embedding filters (${w.name}) cannot be shown: the weights are missing (${missing}). The architecture is still viewable.`);
    else {
      const values = loadTensorValues(model, w, 1 << 30);
      if (!values) notes.push(`The patch-embedding filters (${w.name}) could not be read.`);
      else {
        const pc = patchFilterComponents(values, w.dims, options.components ?? PAPER_COMPONENTS);
        doc.patchFilters = { patch: pc.patch, explained: pc.explained, channels: pc.channels, filters: pc.filters, components: pc.components.map((c) => Array.from(c)), tensor: w.name };
      }
    }
  }
  return doc;
}

/** The embeddings document of an ONNX file (reads two weight tensors; everything else stays on disk). */
export function embeddingsOfFile(file: string, options: EmbeddingsOptions = {}): EmbeddingsDocument {
  if (!file.toLowerCase().endsWith('.onnx') && !isCheckpointPath(file)) throw new UserError(`${path.basename(file)} is not an .onnx file or a safetensors checkpoint.`);
  return embeddingsOfModel(loadModel(file), options);
}
