/**
 * Family and configuration of a vision transformer, read from the graph's structure: the
 * patch-embedding Conv (kernel = stride), the attention Softmax shapes ([B, heads, N, N] for
 * global attention, [B·windows, heads, M², M²] for window attention), the cyclic shift
 * (torch.roll exported as Slice + Concat), patch merging and the MLP widths. Node names are not
 * used, so torchvision, timm and Hugging Face exports are read alike.
 *
 * The parameter count is in parameters.ts.
 */
import { attrInt, attrInts } from '../onnx/model';
import { UNKNOWN } from '../onnx/shapes';
import type { AttentionInfo, Backbone, GraphAnalysis } from '../graph/structure';
import { patchGrid } from './analysis';
import { SHIFT_PATH } from '../graph/ops';
import { sourceOf, walk } from '../graph/walk';
import { countRegisters } from './hybrid';
import { countGraphMacs } from '../flops/graph';
import { countParams, usesOf } from './parameters';
import { type Precision, type Quantization, modelPrecision } from './precision';

import type { Family } from '../terms';
import { isSwinV2Block } from '../swin/v2';

export interface ArchConfig {
  imageSize: number | null;
  patchSize: number | null;
  embedDim: number | null;
  depths: number[] | null;
  heads: number[] | null;
  mlpRatio: number | null;
  windowSize: number | null;
  shiftSize: number | null;
  /** Class + distillation + register tokens before the patches. */
  extraTokens: number;
  /** Register tokens (DINOv2-style), included in extraTokens. */
  registers: number;
  numClasses: number | null;
  /** Element type of the MatMul/Conv weights: fp32, fp16, bf16, int8, or mixed. */
  precision: Precision;
  /** How an int8 model was quantized: ORT's dynamic form, QDQ, or null (not quantized). */
  quantization: Quantization;
  /** Hybrid ViT: the CNN before the transformer; null for a ViT on raw patches and for Swin. */
  backbone: BackboneConfig | null;
}

export interface BackboneConfig {
  kind: 'resnet' | 'conv';
  /** Input pixels per feature-map cell; null when it cannot be resolved (see the warnings). */
  stride: number | null;
  featureMap: [number, number] | null;
  params: number;
  macs: number;
}

export interface StageInfo {
  /** Token grid of the stage (after padding to whole windows for Swin). */
  tokens: [number, number];
  dim: number;
  heads: number;
  depth: number;
  /** Window size M, or null for global attention. */
  window: number | null;
  /**
   * Softmax node of each block, and whether the block's windows are shifted; shiftBeforePad: the
   * roll runs on the map before it is padded to whole windows (timm), not on the padded map.
   */
  blocks: { softmax: number; shifted: boolean; shift: number; shiftBeforePad?: boolean }[];
}

export interface Detection {
  family: Family;
  config: ArchConfig;
  stages: StageInfo[];
}

/** A torch.roll exported as Concat(Slice(x, k:), Slice(x, :k)) along one axis: the shift, else null. */
export function rollShift(a: GraphAnalysis, concat: number): number | null {
  const n = a.nodes[concat];
  if (n.opType !== 'Concat') return null;
  const ins = n.inputs.filter((x) => x);
  if (ins.length !== 2) return null;
  // The two parts, past Q/DQ and other pass-through ops (a QDQ export quantizes around the Concat).
  const parts = ins.map((x) => sourceOf(a, x));
  const slices = parts.map((p) => p.node);
  if (slices[0] !== null && slices[0] === slices[1] && a.nodes[slices[0]].opType === 'Split') return splitRollShift(a, concat, slices[0], parts.map((p) => p.tensor));
  if (slices.some((p) => p === null || a.nodes[p].opType !== 'Slice')) return null;
  const [s0, s1] = slices.map((p) => a.nodes[p as number]);
  if (s0.inputs[0] !== s1.inputs[0]) return null;
  const val = (name: string | undefined): number[] | undefined => (name ? a.shapes.tensors.get(name)?.value : undefined);
  const data = a.shapes.tensors.get(s0.inputs[0])?.shape;
  const axes0 = val(s0.inputs[3]);
  const axes1 = val(s1.inputs[3]);
  const start0 = val(s0.inputs[1]);
  const steps0 = val(s0.inputs[4]);
  if (!data || !axes0 || !axes1 || !start0 || axes0.length !== 1 || axes1.length !== 1) return null;
  if (steps0 && steps0[0] !== 1) return null;
  const rank = data.length;
  const ax = axes0[0] < 0 ? axes0[0] + rank : axes0[0];
  const ax1 = axes1[0] < 0 ? axes1[0] + rank : axes1[0];
  const cAxisRaw = n.attributes.find((x) => x.name === 'axis');
  const cAxis = cAxisRaw && cAxisRaw.type === 'int' ? (cAxisRaw.value < 0 ? cAxisRaw.value + rank : cAxisRaw.value) : 0;
  if (ax !== ax1 || ax !== cAxis) return null;
  const L = data[ax];
  if (L <= 0) return null;
  let s = start0[0];
  if (s < 0) s += L;
  s = Math.min(Math.max(s, 0), L);
  const shift = Math.min(s, L - s);
  return shift > 0 ? shift : null;
}

/** ONNX Runtime's form of the roll: Concat(second, first) of a two-way Split along the same axis. */
function splitRollShift(a: GraphAnalysis, concat: number, split: number, parts: string[]): number | null {
  const sp = a.nodes[split];
  if (sp.outputs.length !== 2 || parts[0] !== sp.outputs[1] || parts[1] !== sp.outputs[0]) return null;
  const data = a.shapes.tensors.get(sp.inputs[0])?.shape;
  if (!data) return null;
  const rank = data.length;
  const norm = (x: number): number => (x < 0 ? x + rank : x);
  const axisOf = (i: number): number => norm(attrInt(a.nodes[i], 'axis', 0));
  if (axisOf(split) !== axisOf(concat)) return null;
  const sizes = (sp.inputs[1] ? a.shapes.tensors.get(sp.inputs[1])?.value : undefined) ?? attrInts(sp, 'split');
  const L = data[axisOf(split)];
  if (!sizes || sizes.length !== 2 || !(L > 0)) return null;
  const shift = Math.min(sizes[0], L - sizes[0]);
  return shift > 0 ? shift : null;
}

/**
 * Whether the attention block's input passes through a cyclic shift, by how much, and the length of
 * the rolled axis: a whole number of windows when the map is padded first (HF, torchvision), the
 * un-padded map when it is rolled first (timm).
 */
function blockShift(a: GraphAnalysis, at: AttentionInfo): { shift: number; rolled: number } {
  const start = at.qkv.length ? a.nodes[at.qkv[0]].inputs.find((x) => x && !a.isConst(x)) : undefined;
  if (!start) return { shift: 0, rolled: 0 };
  const roll = walk(a, start, { direction: 'back', through: SHIFT_PATH, stopAt: (p) => rollShift(a, p) !== null, maxSteps: 60 });
  if (roll === null) return { shift: 0, rolled: 0 };
  const n = a.nodes[roll];
  const shape = a.shapes.tensors.get(n.outputs[0])?.shape;
  const axis = attrInt(n, 'axis', 0);
  const rolled = shape ? (shape[axis < 0 ? axis + shape.length : axis] ?? 0) : 0;
  return { shift: rollShift(a, roll) ?? 0, rolled };
}

function lastDim(a: GraphAnalysis, name: string | undefined): number {
  const s = name ? a.shapes.tensors.get(name)?.shape : null;
  return s && s.length ? s[s.length - 1] : UNKNOWN;
}

function mlpRatioOf(a: GraphAnalysis, after: number | null, dim: number): number | null {
  if (dim <= 0) return null;
  // The first MLP projection after this block's attention that widens the tokens.
  const order = a.shapes.order;
  const startPos = after === null ? 0 : order.indexOf(after);
  for (let k = Math.max(0, startPos); k < order.length; k++) {
    const i = order[k];
    if (a.roles[i] !== 'mlp') continue;
    const out = lastDim(a, a.nodes[i].outputs[0]);
    if (out > 0 && out !== dim) return Math.round((out / dim) * 1000) / 1000;
  }
  return null;
}

function numClassesOf(a: GraphAnalysis): number | null {
  const out = a.model.graph.outputs[0];
  if (!out) return null;
  const d = lastDim(a, out.name);
  if (d > 0) return d;
  const t = out.type;
  if (t && t.kind === 'tensor' && t.shape && typeof t.shape[t.shape.length - 1] === 'number') return t.shape[t.shape.length - 1] as number;
  return null;
}

export function detectArchitecture(a: GraphAnalysis): Detection {
  const imageSize = a.shapes.imageSize ? a.shapes.imageSize[0] : null;
  const pe = a.patchEmbed;
  const peW = pe !== null ? a.weightOf.get(pe) : undefined;
  const patchSize = peW && peW.dims.length >= 4 ? peW.dims[2] : null;
  const numClasses = numClassesOf(a);
  const ats = a.attentions.filter((x) => x.heads > 0 && x.tokens > 0);
  const { precision, quantization } = modelPrecision(a);
  const other: Detection = {
    family: 'other',
    config: { imageSize, patchSize: null, embedDim: null, depths: null, heads: null, mlpRatio: null, windowSize: null, shiftSize: null, extraTokens: 0, registers: 0, numClasses, precision, quantization, backbone: null },
    stages: [],
  };
  if (!ats.length) return other;
  const grid = patchGrid(a);
  const embedDim = peW ? peW.dims[0] : ats[0].dim;
  const gridTokens = grid ? grid[0] * grid[1] : null;
  const windowed = ats.some((x) => x.windows > 1) || (gridTokens !== null && ats[0].tokens < gridTokens);

  if (!windowed) {
    const first = ats[0];
    const extra = gridTokens !== null ? first.tokens - gridTokens : 0;
    const heads = first.heads;
    const bb = a.backbone;
    const stage: StageInfo = {
      tokens: grid ?? [first.tokens, 1],
      dim: first.dim,
      heads,
      depth: ats.length,
      window: null,
      blocks: ats.map((x) => ({ softmax: x.softmax, shifted: false, shift: 0 })),
    };
    return {
      family: bb ? 'vit-hybrid' : 'vit',
      config: {
        imageSize,
        // Hybrid: the effective patch in input pixels, backbone stride × the projection's stride.
        patchSize: bb ? (bb.stride !== null ? bb.stride * bb.projectionStride : null) : patchSize,
        embedDim,
        depths: [ats.length],
        heads: [heads],
        mlpRatio: mlpRatioOf(a, first.proj ?? first.softmax, first.dim),
        windowSize: null,
        shiftSize: null,
        extraTokens: Math.max(0, extra),
        registers: gridTokens !== null && embedDim ? Math.min(Math.max(0, extra), countRegisters(a, embedDim, gridTokens)) : 0,
        numClasses,
        backbone: bb ? backboneConfig(a, bb) : null,
        precision,
        quantization,
      },
      stages: [stage],
    };
  }

  // Swin: stages are runs of blocks of the same width.
  const stages: StageInfo[] = [];
  let shiftSize: number | null = null;
  for (const at of ats) {
    const { shift, rolled } = blockShift(a, at);
    if (shift > 0 && (shiftSize === null || shift < shiftSize)) shiftSize = shift;
    const M = Math.round(Math.sqrt(at.tokens));
    const block = { softmax: at.softmax, shifted: shift > 0, shift, ...(shift > 0 && rolled > 0 && rolled % M !== 0 ? { shiftBeforePad: true } : {}) };
    const last = stages[stages.length - 1];
    if (last && last.dim === at.dim) {
      last.depth++;
      last.blocks.push(block);
    } else {
      const side = at.windows > 0 ? Math.round(Math.sqrt(at.windows * at.tokens)) : UNKNOWN;
      let tokens: [number, number] = [side, side];
      if (grid) {
        const f = 2 ** stages.length;
        const h = Math.ceil(grid[0] / f);
        const w = Math.ceil(grid[1] / f);
        tokens = [h, w];
      }
      stages.push({ tokens, dim: at.dim, heads: at.heads, depth: 1, window: M * M === at.tokens ? M : null, blocks: [block] });
    }
  }
  const first = ats[0];
  return {
    family: ats.some((at) => isSwinV2Block(a, at)) ? 'swin-v2' : 'swin',
    config: {
      imageSize,
      patchSize,
      embedDim,
      depths: stages.map((s) => s.depth),
      heads: stages.map((s) => s.heads),
      mlpRatio: mlpRatioOf(a, first.proj ?? first.softmax, first.dim),
      windowSize: stages[0].window,
      shiftSize,
      extraTokens: 0,
      registers: 0,
      numClasses,
      backbone: null,
      precision,
      quantization,
    },
    stages,
  };
}

/** The backbone's params (every initializer only its nodes use) and MACs: the hybrid's split. */
function backboneConfig(a: GraphAnalysis, bb: Backbone): BackboneConfig {
  const pc = countParams(a);
  const costs = countGraphMacs(a);
  let macs = 0;
  for (const i of bb.nodes) macs += costs.nodes[i].macs;
  let params = 0;
  for (const [name, n] of pc.perTensor) {
    const users = usesOf(a, name);
    if (users.length && users.every((u) => bb.nodes.has(u))) params += n;
  }
  return { kind: bb.kind, stride: bb.stride, featureMap: bb.featureMap, params, macs };
}
