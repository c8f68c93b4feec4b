/**
 * What a Swin checkpoint is, before any node is written: its layout (Hugging Face Swin / Swinv2,
 * timm's current or older layout), the config read exactly (HF config.json fields; timm's
 * architecture name table or model_args, pretrained_cfg), every stage's width, heads, map, window
 * and shift, checked against the tensors' shapes (the bias table [(2M−1)², heads] fixes heads and
 * window), and the checkpoint keys of each layout. A contradiction is a UserError naming both sides.
 */
import * as path from 'node:path';
import { UserError } from '../errors';
import { tableRows } from '../swin/relpos';
import type { Checkpoint, SafetensorsTensor } from './safetensors';

/** config.json as the registry hands it to a builder (the shape of src/core/checkpoint/config.ts's CheckpointConfig). */
export interface SwinCheckpointConfig {
  file: string | null;
  kind: 'hf' | 'timm' | 'none';
  architecture: string | null;
  json: Record<string, unknown>;
}

export type Layout = 'hf' | 'hf-v2' | 'timm' | 'timm-old';
export const isHf = (l: Layout): boolean => l === 'hf' || l === 'hf-v2';

/** What a block needs, resolved from config and shapes before any node is written. */
export interface StagePlan {
  dim: number;
  heads: number;
  depth: number;
  /** Token map of the stage (before padding). */
  res: number;
  /** Window used (timm clamps it to the map), and the shift of the odd blocks. */
  window: number;
  shift: number;
  /**
   * timm rolls the H×W map and pads it after (SwinTransformerBlock._attn); Hugging Face and
   * torchvision pad to whole windows first and roll the padded map. Equal unless the map is padded.
   */
  shiftBeforePad: boolean;
  mlpHidden: number;
  /** Swin V2: the window the continuous position bias's coordinates are normalised by (pretrained_window_sizes, else the window). */
  coordsWindow: number;
}

export interface Plan {
  layout: Layout;
  inputName: string;
  imageSize: number;
  channels: number;
  patch: number;
  embed: number;
  stages: StagePlan[];
  eps: number;
  act: string;
  qkvBias: boolean;
  /** HF: 'swin.' / 'swinv2.', or '' for the base model; timm: ''. */
  prefix: string;
  head: string | null;
  architecture: string;
}

// ---------------------------------------------------------------------------------------------
// Config fields, read exactly.

function field(cfg: SwinCheckpointConfig, obj: Record<string, unknown>, prefix: string) {
  const where = (f: string): string => `${cfg.file ? path.basename(cfg.file) : 'config.json'} field "${prefix}${f}"`;
  const get = (f: string): unknown => (obj[f] === null ? undefined : obj[f]);
  const whole = (f: string, v: unknown): number => {
    if (Array.isArray(v)) throw new UserError(`${where(f)} is ${JSON.stringify(v)}: only square sizes and windows are supported.`);
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new UserError(`${where(f)} is ${JSON.stringify(v)}, not a positive whole number.`);
    return v;
  };
  return {
    has: (f: string): boolean => get(f) !== undefined,
    /** A positive int; a square pair [n, n] (image_size, window_size may be either) reads as n. */
    int(f: string, def?: number): number {
      const v = get(f) ?? def;
      if (v === undefined) throw new UserError(`${where(f)} is missing; the checkpoint cannot be built without it.`);
      return whole(f, Array.isArray(v) && v.length === 2 && v[0] === v[1] ? v[0] : v);
    },
    num(f: string, def: number): number {
      const v = get(f) ?? def;
      if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new UserError(`${where(f)} is ${JSON.stringify(v)}, not a positive number.`);
      return v;
    },
    bool(f: string, def: boolean): boolean {
      const v = get(f) ?? def;
      if (typeof v !== 'boolean') throw new UserError(`${where(f)} is ${JSON.stringify(v)}, not true or false.`);
      return v;
    },
    str(f: string, def: string): string {
      const v = get(f) ?? def;
      if (typeof v !== 'string') throw new UserError(`${where(f)} is ${JSON.stringify(v)}, not a string.`);
      return v;
    },
    ints(f: string, def?: number[], zero = false): number[] {
      const v = get(f) ?? def;
      if (v === undefined) throw new UserError(`${where(f)} is missing; the checkpoint cannot be built without it.`);
      if (!Array.isArray(v) || !v.length || !v.every((x) => typeof x === 'number' && Number.isInteger(x) && (x > 0 || (zero && x === 0))))
        throw new UserError(`${where(f)} is ${JSON.stringify(v)}, not a list of positive whole numbers.`);
      return v as number[];
    },
    where,
  };
}

// ---------------------------------------------------------------------------------------------
// The plan: config read exactly, checked against the tensors' shapes.

/** timm's Swin table: name → embed_dim, depths, num_heads (window and image size are in the name). */
export const TIMM_SWIN_SIZES: Record<string, { embed: number; depths: number[]; heads: number[] }> = {
  tiny: { embed: 96, depths: [2, 2, 6, 2], heads: [3, 6, 12, 24] },
  small: { embed: 96, depths: [2, 2, 18, 2], heads: [3, 6, 12, 24] },
  base: { embed: 128, depths: [2, 2, 18, 2], heads: [4, 8, 16, 32] },
  large: { embed: 192, depths: [2, 2, 18, 2], heads: [6, 12, 24, 48] },
};

const HF_ACTS = new Set(['gelu', 'relu', 'gelu_new', 'gelu_pytorch_tanh', 'gelu_fast', 'silu', 'swish']);

/** Blocks per stage found in the file: `<stage key>.blocks.<b>.` prefixes. */
function blocksInFile(ckpt: Checkpoint, stageKey: (s: number) => string): number[] {
  const depths: number[] = [];
  for (let s = 0; ; s++) {
    const pre = `${stageKey(s)}.blocks.`;
    const ids = new Set<number>();
    for (const k of ckpt.tensors.keys()) if (k.startsWith(pre)) ids.add(Number(k.slice(pre.length).split('.')[0]));
    if (!ids.size) break;
    depths.push(Math.max(...ids) + 1);
  }
  return depths;
}

/** Window side m of a table with (2m−1)² rows, or null. */
function windowOfTable(rows: number): number | null {
  const side = Math.round(Math.sqrt(rows));
  return side * side === rows && side % 2 === 1 ? (side + 1) / 2 : null;
}

export function hfPlan(ckpt: Checkpoint, cfg: SwinCheckpointConfig, v2: boolean): Plan {
  const f = field(cfg, cfg.json, '');
  const model = v2 ? 'swinv2' : 'swin';
  const prefix = ckpt.tensors.has(`${model}.embeddings.patch_embeddings.projection.weight`) ? `${model}.` : '';
  const arch = cfg.architecture ?? (v2 ? 'Swinv2Model' : 'SwinModel');
  const headed = /ForImageClassification$/.test(arch) || ckpt.tensors.has('classifier.weight');
  if (f.bool('use_absolute_embeddings', false))
    throw new UserError(`${f.where('use_absolute_embeddings')} is true: Swin with an absolute position embedding is not built from a checkpoint yet; open its ONNX export.`);
  const act = f.str('hidden_act', 'gelu');
  if (!HF_ACTS.has(act)) throw new UserError(`${f.where('hidden_act')} is "${act}", which this builder does not know (${[...HF_ACTS].join(', ')}).`);
  const depths = f.ints('depths', [2, 2, 6, 2]);
  const heads = f.ints('num_heads', [3, 6, 12, 24]);
  if (heads.length !== depths.length) throw new UserError(`${f.where('num_heads')} has ${heads.length} entries but ${f.where('depths')} has ${depths.length} stages.`);
  const inFile = blocksInFile(ckpt, (s) => `${prefix}encoder.layers.${s}`);
  if (inFile.length > depths.length || inFile.some((d, s) => d > depths[s]))
    throw new UserError(`${f.where('depths')} is ${JSON.stringify(depths)} but the checkpoint holds ${JSON.stringify(inFile)} blocks per stage.`);
  const pretrained = v2 && f.has('pretrained_window_sizes') ? f.ints('pretrained_window_sizes', undefined, true) : null;
  if (pretrained && pretrained.length !== depths.length)
    throw new UserError(`${f.where('pretrained_window_sizes')} has ${pretrained.length} entries but ${f.where('depths')} has ${depths.length} stages.`);
  return commonPlan(ckpt, {
    layout: v2 ? 'hf-v2' : 'hf',
    pretrainedWindows: pretrained,
    inputName: 'pixel_values',
    imageSize: f.int('image_size', 224),
    channels: f.int('num_channels', 3),
    patch: f.int('patch_size', 4),
    embed: f.int('embed_dim', 96),
    depths,
    heads,
    headsFrom: f.where('num_heads'),
    window: f.int('window_size', 7),
    windowFrom: f.where('window_size'),
    mlpRatio: f.num('mlp_ratio', 4),
    eps: f.num('layer_norm_eps', 1e-5),
    act,
    qkvBias: f.bool('qkv_bias', true),
    prefix,
    head: headed ? 'classifier' : null,
    architecture: arch,
  });
}

export function timmPlan(ckpt: Checkpoint, cfg: SwinCheckpointConfig): Plan {
  const arch = cfg.architecture ?? '';
  const m = /^swin_(tiny|small|base|large)_patch(\d+)_window(\d+)_(\d+)/.exec(arch);
  const named = m ? { ...TIMM_SWIN_SIZES[m[1]], patch: Number(m[2]), window: Number(m[3]), image: Number(m[4]) } : null;
  const args = field(cfg, (cfg.json.model_args as Record<string, unknown>) ?? {}, 'model_args.');
  const pre = field(cfg, (cfg.json.pretrained_cfg as Record<string, unknown>) ?? {}, 'pretrained_cfg.');
  const from = (f: string): string => (args.has(f) ? args.where(f) : `the architecture name "${arch}"`);
  if (ckpt.tensors.has('absolute_pos_embed'))
    throw new UserError(`${arch} has an absolute position embedding (absolute_pos_embed, timm's ape=True), which this builder does not build yet; open its ONNX export.`);
  const old = ckpt.tensors.has('layers.0.downsample.reduction.weight');
  const layout: Layout = old ? 'timm-old' : 'timm';
  const inFile = blocksInFile(ckpt, (s) => `layers.${s}`);
  if (!inFile.length) throw new UserError(`${path.basename(ckpt.files[0] ?? ckpt.path)} holds no layers.0.blocks.* tensors: it is not a timm Swin checkpoint.`);
  // Heads and window: model_args, else the name's table, else the bias tables' shapes (which are checked below either way).
  const table0 = ckpt.tensors.get('layers.0.blocks.0.attn.relative_position_bias_table');
  const tableHeads = (s: number): number => ckpt.tensors.get(`layers.${s}.blocks.0.attn.relative_position_bias_table`)?.shape[1] ?? 0;
  const depths = args.has('depths') ? args.ints('depths') : (named?.depths ?? inFile);
  const heads = args.has('num_heads') ? args.ints('num_heads') : (named?.heads ?? depths.map((_, s) => tableHeads(s)));
  if (heads.length !== depths.length) throw new UserError(`${from('num_heads')} gives ${heads.length} stages of heads but ${from('depths')} gives ${depths.length}.`);
  if (inFile.length !== depths.length || inFile.some((d, s) => d !== depths[s]))
    throw new UserError(`${from('depths')} gives depths ${JSON.stringify(depths)} but the checkpoint holds ${JSON.stringify(inFile)} blocks per stage.`);
  const window = args.has('window_size') ? args.int('window_size') : (named?.window ?? (table0 ? windowOfTable(table0.shape[0]) : null) ?? 7);
  const inputSize = pre.has('input_size') ? pre.ints('input_size') : null;
  const imageSize = args.has('img_size') ? args.int('img_size') : inputSize && inputSize.length === 3 ? inputSize[1] : (named?.image ?? 224);
  if (inputSize && inputSize.length === 3 && (inputSize[1] !== imageSize || inputSize[2] !== imageSize))
    throw new UserError(`${pre.where('input_size')} is ${JSON.stringify(inputSize)} but ${from('img_size')} gives ${imageSize}: only square inputs of the size the model was built for are supported.`);
  const conv = ckpt.tensors.get('patch_embed.proj.weight');
  const patch = args.has('patch_size') ? args.int('patch_size') : (named?.patch ?? conv?.shape[2] ?? 4);
  const embed = args.has('embed_dim') ? args.int('embed_dim') : (named?.embed ?? conv?.shape[0] ?? 96);
  const head = ckpt.tensors.has('head.fc.weight') ? 'head.fc' : ckpt.tensors.has('head.weight') ? 'head' : null;
  return commonPlan(ckpt, {
    layout,
    pretrainedWindows: null,
    inputName: 'input',
    imageSize,
    channels: args.has('in_chans') ? args.int('in_chans') : 3,
    patch,
    embed,
    depths,
    heads,
    headsFrom: from('num_heads'),
    window,
    windowFrom: from('window_size'),
    mlpRatio: args.has('mlp_ratio') ? args.num('mlp_ratio', 4) : 4,
    eps: 1e-5,
    act: 'gelu',
    qkvBias: args.has('qkv_bias') ? args.bool('qkv_bias', true) : true,
    prefix: '',
    head,
    architecture: arch,
  });
}

/** The plan's fields as read from the config (the stages are resolved from them and the shapes). */
type PlanInput = Omit<Plan, 'stages'> & {
  pretrainedWindows: number[] | null;
  depths: number[];
  heads: number[];
  headsFrom: string;
  window: number;
  windowFrom: string;
  mlpRatio: number;
};

function commonPlan(ckpt: Checkpoint, p: PlanInput): Plan {
  const T = (name: string): SafetensorsTensor | undefined => ckpt.tensors.get(name);
  const k = keys(p.layout, p.prefix);
  const conv = T(`${k.patch}.weight`);
  if (conv && (conv.shape.length !== 4 || conv.shape[0] !== p.embed || conv.shape[1] !== p.channels || conv.shape[2] !== p.patch || conv.shape[3] !== p.patch))
    throw new UserError(
      `Tensor ${k.patch}.weight has shape [${conv.shape.join(', ')}] but the config gives embed_dim ${p.embed}, ${p.channels} channels and patch_size ${p.patch} ([${p.embed}, ${p.channels}, ${p.patch}, ${p.patch}]).`,
    );
  const timm = !isHf(p.layout);
  // Hugging Face pads the image to whole patches (SwinPatchEmbeddings.maybe_pad); timm's PatchEmbed
  // (strict_img_size, no dynamic_img_pad) does not, and its stride-p conv drops the remainder.
  const grid = timm ? Math.floor(p.imageSize / p.patch) : Math.ceil(p.imageSize / p.patch);
  if (grid < 1) throw new UserError(`${p.architecture || 'The model'}'s image size ${p.imageSize} is smaller than its patch size ${p.patch}.`);
  let res = grid;
  const stages: StagePlan[] = [];
  for (let s = 0; s < p.depths.length; s++) {
    // The map after patch merging, which pads an odd map (HF, timm and torchvision alike).
    if (s > 0) res = Math.ceil(res / 2);
    const dim = p.embed * 2 ** s;
    // The map a block's window and shift are decided from: HF uses the map itself (set_shift_and_window_size);
    // timm its input_resolution, grid // 2^s, one less than the map after an odd map was merged.
    const decided = timm ? Math.floor(grid / 2 ** s) : res;
    if (decided < 1)
      throw new UserError(`Stage ${s + 1} of a ${p.imageSize}×${p.imageSize} image in patches of ${p.patch} has no tokens left in timm (input_resolution ${grid} // 2^${s} = 0): timm cannot build this model either.`);
    const small = decided <= p.window;
    // HF Swin keeps the config's window (its bias is [heads, M², M²]); timm and HF Swinv2 shrink the window (and table) to the map.
    const window = small ? (p.layout === 'hf' ? p.window : decided) : p.window;
    if (small && p.layout === 'hf' && res < p.window)
      throw new UserError(
        `Stage ${s + 1}'s token map is ${res}×${res}, smaller than ${p.windowFrom} = ${p.window}: Hugging Face's Swin cannot run this configuration either (its bias is for ${p.window}×${p.window} windows). Use a larger image_size or a smaller window.`,
      );
    const shift = small ? 0 : Math.floor(p.window / 2);
    // timm's shifted-window mask is built for input_resolution in whole windows; on a larger real map it fits only when that is the same number of windows.
    if (timm && shift && Math.ceil(decided / window) !== Math.ceil(res / window))
      throw new UserError(
        `Stage ${s + 1}'s token map is ${res}×${res} but timm builds its shifted-window mask for ${decided}×${decided} (input_resolution ${grid} // 2^${s}), ${Math.ceil(decided / window) ** 2} windows of ${window}×${window} where the map has ${Math.ceil(res / window) ** 2}: timm cannot run this image size either. Use an image size whose token maps stay even before each patch merging.`,
      );
    // The bias table fixes heads and window: [(2m−1)², heads].
    const tname = `${k.block(s, 0)}.${k.table}`;
    const table = T(tname);
    const cpb = T(`${k.block(s, 0)}.${k.cpb}.2.weight`);
    if (p.layout === 'hf-v2' && cpb && cpb.shape[0] !== p.heads[s])
      throw new UserError(`${p.headsFrom} gives ${p.heads[s]} heads for stage ${s + 1} but tensor ${k.block(s, 0)}.${k.cpb}.2.weight has shape [${cpb.shape.join(', ')}] (${cpb.shape[0]} heads).`);
    if (table && p.layout !== 'hf-v2') {
      if (table.shape.length !== 2) throw new UserError(`Tensor ${tname} has shape [${table.shape.join(', ')}], not [(2M−1)², heads].`);
      if (table.shape[1] !== p.heads[s])
        throw new UserError(`${p.headsFrom} gives ${p.heads[s]} heads for stage ${s + 1} but tensor ${tname} has shape [${table.shape.join(', ')}] (${table.shape[1]} heads).`);
      if (table.shape[0] !== tableRows(window)) {
        const m = windowOfTable(table.shape[0]);
        throw new UserError(
          `${p.windowFrom} gives a ${window}×${window} window for stage ${s + 1} (a table of (2·${window}−1)² = ${tableRows(window)} rows) but tensor ${tname} has shape [${table.shape.join(', ')}]${m ? ` (a ${m}×${m} window)` : ''}.`,
        );
      }
    }
    if (dim % p.heads[s] !== 0) throw new UserError(`Stage ${s + 1} is ${dim} wide, which ${p.headsFrom} = ${p.heads[s]} heads do not divide.`);
    const fc1 = T(`${k.block(s, 0)}.${k.fc1}.weight`);
    const mlpHidden = fc1 ? fc1.shape[0] : Math.round(dim * p.mlpRatio);
    if (fc1 && Math.abs(fc1.shape[0] - dim * p.mlpRatio) >= 1 && isHf(p.layout))
      throw new UserError(`config.json mlp_ratio ${p.mlpRatio} gives an MLP of ${Math.round(dim * p.mlpRatio)} for stage ${s + 1} but tensor ${k.block(s, 0)}.${k.fc1}.weight has shape [${fc1.shape.join(', ')}].`);
    const pw = p.pretrainedWindows?.[s] ?? 0;
    stages.push({ dim, heads: p.heads[s], depth: p.depths[s], res, window, shift, shiftBeforePad: timm, mlpHidden, coordsWindow: pw > 0 ? pw : window });
  }
  return { ...p, stages };
}

/** Checkpoint keys of each layout. */
export function keys(layout: Layout, prefix: string) {
  if (isHf(layout)) {
    const enc = `${prefix}encoder.layers`;
    return {
      patch: `${prefix}embeddings.patch_embeddings.projection`,
      patchNorm: `${prefix}embeddings.norm`,
      block: (s: number, b: number) => `${enc}.${s}.blocks.${b}`,
      norm1: 'layernorm_before',
      qkv: null as string | null,
      q: 'attention.self.query',
      k: 'attention.self.key',
      v: 'attention.self.value',
      attn: 'attention.self',
      table: 'attention.self.relative_position_bias_table',
      index: 'attention.self.relative_position_index',
      coords: 'attention.self.relative_coords_table',
      cpb: 'attention.self.continuous_position_bias_mlp',
      logitScale: 'attention.self.logit_scale',
      mask: null as string | null,
      proj: 'attention.output.dense',
      norm2: 'layernorm_after',
      fc1: 'intermediate.dense',
      mlpAct: 'intermediate.intermediate_act_fn',
      fc2: 'output.dense',
      /** The merging before stage s (s ≥ 1): at the end of stage s−1 in HF. */
      merge: (s: number) => `${enc}.${s - 1}.downsample`,
      norm: `${prefix}layernorm`,
      pool: `${prefix}pooler`,
      sequential: new Set<string>(),
    };
  }
  return {
    patch: 'patch_embed.proj',
    patchNorm: 'patch_embed.norm',
    block: (s: number, b: number) => `layers.${s}.blocks.${b}`,
    norm1: 'norm1',
    qkv: 'attn.qkv' as string | null,
    q: '',
    k: '',
    v: '',
    attn: 'attn',
    table: 'attn.relative_position_bias_table',
    index: 'attn.relative_position_index',
    coords: 'attn.relative_coords_table',
    cpb: 'attn.cpb_mlp',
    logitScale: 'attn.logit_scale',
    mask: 'attn_mask' as string | null,
    proj: 'attn.proj',
    norm2: 'norm2',
    fc1: 'mlp.fc1',
    mlpAct: 'mlp.act',
    fc2: 'mlp.fc2',
    merge: (s: number) => (layout === 'timm' ? `layers.${s}.downsample` : `layers.${s - 1}.downsample`),
    norm: 'norm',
    pool: 'head.global_pool',
    sequential: new Set(['layers', 'blocks']),
  };
}

/** The number of classes config.json names (HF id2label, timm num_classes), if any. */
export function classCount(cfg: SwinCheckpointConfig): { field: string; count: number } | null {
  const j = cfg.json;
  if (cfg.kind === 'hf' && j.id2label && typeof j.id2label === 'object' && !Array.isArray(j.id2label)) return { field: 'id2label', count: Object.keys(j.id2label).length };
  if (cfg.kind === 'timm' && typeof j.num_classes === 'number') return { field: 'num_classes', count: j.num_classes };
  return null;
}
