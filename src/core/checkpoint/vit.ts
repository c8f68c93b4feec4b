/**
 * ViT and DeiT checkpoints → the graph torch.onnx.export gives for them (opset 17):
 *
 *   Conv patch embedding → flatten(2).transpose(1, 2) → Concat [class, (distillation,) patches]
 *   → Add position embedding → per block: LayerNorm → q, k, v (MatMul + Add) → Reshape/Transpose
 *   → q·kᵀ → Mul(1/√d) → Softmax → ·v → Transpose/Reshape → output projection → Add residual
 *   → LayerNorm → MLP (Linear, activation, Linear) → Add residual; final LayerNorm; the head on
 *   the class token (DeiT with teacher / timm distilled: the mean of both heads, as in eval).
 *
 * Hugging Face: modeling_vit.py / modeling_deit.py (ViTForImageClassification, DeiTForImageClassification,
 * DeiTForImageClassificationWithTeacher, ViTModel, DeiTModel). timm: vision_transformer.py / deit.py
 * (vit_*, deit_*, deit_*_distilled), whose fused `attn.qkv` is split by rows into q, k and v in
 * place (rows [0, C) are q, [C, 2C) k, [2C, 3C) v: timm's reshape(B, N, 3, heads, d)).
 */
import { UserError } from '../errors';
import type { OnnxModel } from '../onnx/model';
import { GraphBuilder } from '../onnx/builder';
import { DataType } from '../onnx/proto';
import { type CheckpointBuilder, type CheckpointConfig, ConfigReader } from './config';
import { ACTIVATIONS, Weights, activation, layerNorm, linear, torchScope } from './graph';
import type { Checkpoint } from './safetensors';

/** One transformer's tensors and sizes, whichever library saved it. */
interface ViTSpec {
  library: 'hf' | 'timm';
  inputName: string;
  /** Module keys (tensor names without .weight/.bias). */
  patch: string;
  cls: string;
  dist: string | null;
  pos: string;
  norm: string;
  /** The scopes of the embedding ops (class token concat, position add). */
  embedScope: string;
  block(i: number): BlockKeys;
  depth: number;
  heads: number;
  eps: number;
  act: string;
  imageSize: number;
  /** Heads on the class (and distillation) token; 'mean' averages the two as in eval. */
  head: { cls: string | null; dist: string | null; pooler: string | null };
  sequential: Set<string>;
}

interface BlockKeys {
  scope: string;
  ln1: string;
  /** Separate q, k, v Linear modules (HF), or one fused qkv (timm). */
  qkv: { q: string; k: string; v: string } | { fused: string };
  attnScope: string;
  proj: string;
  ln2: string;
  fc1: string;
  actScope: string;
  fc2: string;
  /** Scopes of the two residual Adds. */
  add1: string;
  add2: string;
}

const layerCount = (ckpt: Checkpoint, re: RegExp): number => {
  let n = 0;
  for (const k of ckpt.tensors.keys()) {
    const m = re.exec(k);
    if (m) n = Math.max(n, Number(m[1]) + 1);
  }
  return n;
};

// ------------------------------------------------------------------ Hugging Face

const HF_HEADED = ['ViTForImageClassification', 'DeiTForImageClassification', 'DeiTForImageClassificationWithTeacher'];
const HF_BASE = ['ViTModel', 'DeiTModel'];

function hfSpec(ckpt: Checkpoint, cfg: CheckpointConfig): ViTSpec {
  const c = new ConfigReader(cfg);
  const arch = cfg.architecture ?? '';
  const deit = arch.startsWith('DeiT') || cfg.json.model_type === 'deit';
  const base = deit ? 'deit' : 'vit';
  // Models saved with a head carry the `vit.`/`deit.` prefix; a saved base model has none.
  const prefix = ckpt.tensors.has(`${base}.embeddings.cls_token`) ? `${base}.` : '';
  const E = `${prefix}embeddings`;
  const act = c.str('hidden_act', 'gelu');
  if (!(ACTIVATIONS as readonly string[]).includes(act)) throw new UserError(`config.json field "hidden_act" is "${act}", not one of ${ACTIVATIONS.join(', ')}.`);
  const depth = layerCount(ckpt, new RegExp(`^${prefix.replace('.', '\\.')}encoder\\.layer\\.(\\d+)\\.`));
  const teacher = arch === 'DeiTForImageClassificationWithTeacher';
  const headed = HF_HEADED.includes(arch) || (!HF_BASE.includes(arch) && ckpt.tensors.has('classifier.weight'));
  return {
    library: 'hf',
    inputName: 'pixel_values',
    patch: `${E}.patch_embeddings.projection`,
    cls: `${E}.cls_token`,
    dist: deit ? `${E}.distillation_token` : null,
    pos: `${E}.position_embeddings`,
    norm: `${prefix}layernorm`,
    embedScope: torchScope(E),
    depth,
    heads: c.int('num_attention_heads'),
    eps: c.num('layer_norm_eps', 1e-12),
    act,
    imageSize: c.size('image_size', 224),
    head: {
      cls: teacher ? 'cls_classifier' : headed ? 'classifier' : null,
      dist: teacher ? 'distillation_classifier' : null,
      pooler: !headed && ckpt.tensors.has(`${prefix}pooler.dense.weight`) ? `${prefix}pooler.dense` : null,
    },
    sequential: new Set(),
    block(i) {
      const L = `${prefix}encoder.layer.${i}`;
      const A = `${L}.attention.attention`;
      return {
        scope: torchScope(L),
        ln1: `${L}.layernorm_before`,
        qkv: { q: `${A}.query`, k: `${A}.key`, v: `${A}.value` },
        attnScope: torchScope(A),
        proj: `${L}.attention.output.dense`,
        ln2: `${L}.layernorm_after`,
        fc1: `${L}.intermediate.dense`,
        actScope: `${torchScope(`${L}.intermediate`)}/intermediate_act_fn`,
        fc2: `${L}.output.dense`,
        add1: torchScope(L),
        add2: torchScope(`${L}.output`),
      };
    },
  };
}

function checkHfConfig(w: Weights, s: ViTSpec, cfg: CheckpointConfig, dim: number, hidden: number): void {
  const c = new ConfigReader(cfg);
  const contra = (field: string, value: unknown, tensor: string, says: string): never => {
    throw new UserError(`config.json field "${field}" is ${JSON.stringify(value)} but ${w.fileOf(tensor)} holds ${tensor} with shape [${w.need(tensor).shape.join(', ')}] (${says}): the config does not belong to these weights.`);
  };
  const pw = `${s.patch}.weight`;
  if (c.has('hidden_size') && c.int('hidden_size') !== dim) contra('hidden_size', c.int('hidden_size'), pw, `hidden size ${dim}`);
  if (c.has('num_channels') && c.int('num_channels') !== w.need(pw).shape[1]) contra('num_channels', c.int('num_channels'), pw, `${w.need(pw).shape[1]} channels`);
  if (c.has('num_hidden_layers') && c.int('num_hidden_layers') !== s.depth)
    throw new UserError(`config.json field "num_hidden_layers" is ${c.int('num_hidden_layers')} but the checkpoint holds ${s.depth} layers (${s.block(0).ln1}.weight … ${s.block(s.depth - 1).ln1}.weight).`);
  const fc1 = `${s.block(0).fc1}.weight`;
  if (c.has('intermediate_size') && c.int('intermediate_size') !== hidden) contra('intermediate_size', c.int('intermediate_size'), fc1, `intermediate size ${hidden}`);
  const qkvBias = c.bool('qkv_bias', true);
  const qb = `${(s.block(0).qkv as { q: string }).q}.bias`;
  if (qkvBias !== w.has(qb))
    throw new UserError(`config.json field "qkv_bias" is ${qkvBias} but ${w.fileOf(`${s.patch}.weight`)} ${w.has(qb) ? 'holds' : 'lacks'} ${qb}: the config does not belong to these weights.`);
}

// ------------------------------------------------------------------ timm

/** timm's vit_* / deit_* sizes by name (vision_transformer.py, deit.py): embed_dim, heads. */
export const TIMM_VIT_SIZES: Record<string, { dim: number; heads: number }> = {
  tiny: { dim: 192, heads: 3 },
  small: { dim: 384, heads: 6 },
  base: { dim: 768, heads: 12 },
  large: { dim: 1024, heads: 16 },
  huge: { dim: 1280, heads: 16 },
};

const TIMM_NAME = /^(vit|deit)_(tiny|small|base|large|huge)_/;

/** model_args this builder does not implement: refused by name rather than built wrong. */
const TIMM_UNSUPPORTED: [string, (v: unknown) => boolean, string][] = [
  ['reg_tokens', (v) => typeof v === 'number' && v > 0, 'register tokens'],
  ['class_token', (v) => v === false, 'no class token'],
  ['global_pool', (v) => v !== undefined && v !== 'token', 'pooling other than the class token'],
  ['no_embed_class', (v) => v === true, 'position embedding without the class token'],
  ['pre_norm', (v) => v === true, 'a norm before the blocks'],
  ['fc_norm', (v) => v === true, 'a norm after pooling'],
  ['init_values', (v) => typeof v === 'number' && v > 0, 'layer scale'],
  ['dynamic_img_size', (v) => v === true, 'a dynamic image size'],
];

function timmSpec(ckpt: Checkpoint, cfg: CheckpointConfig): ViTSpec {
  const arch = cfg.architecture ?? '';
  const c = new ConfigReader(cfg);
  const args = c.sub('model_args');
  for (const [field, bad, what] of TIMM_UNSUPPORTED) {
    const v = (cfg.json.model_args as Record<string, unknown> | undefined)?.[field] ?? (field === 'global_pool' ? cfg.json.global_pool : undefined);
    if (bad(v)) throw new UserError(`config.json: ${arch} has ${field === 'global_pool' ? '"global_pool"' : `"model_args.${field}"`} = ${JSON.stringify(v)} (${what}), which ViT Inspector does not build yet.`);
  }
  if ([...ckpt.tensors.keys()].some((k) => k.startsWith('patch_embed.backbone.')))
    throw new UserError(`${arch} is a hybrid ViT (a CNN backbone in patch_embed.backbone), which ViT Inspector does not build from a checkpoint yet; open its ONNX export.`);
  if (ckpt.tensors.has('blocks.0.ls1.gamma')) throw new UserError(`${arch}: the checkpoint holds blocks.0.ls1.gamma (layer scale, DeiT III / CaiT style), which ViT Inspector does not build yet.`);
  const depth = layerCount(ckpt, /^blocks\.(\d+)\./);
  const dim = ckpt.tensors.get('patch_embed.proj.weight')?.shape[0] ?? 0;
  let heads: number;
  if (args.has('num_heads')) heads = args.int('num_heads');
  else {
    const m = TIMM_NAME.exec(arch);
    if (!m) throw new UserError(`config.json: the number of heads of ${arch} is neither in "model_args.num_heads" nor known from its name (vit_/deit_ + tiny, small, base, large, huge); add "model_args": {"num_heads": …}.`);
    const size = TIMM_VIT_SIZES[m[2]];
    if (dim && size.dim !== dim)
      throw new UserError(`config.json names ${arch} (a ${m[2]} model: embed_dim ${size.dim}) but patch_embed.proj.weight has shape [${ckpt.tensors.get('patch_embed.proj.weight')!.shape.join(', ')}] (embed_dim ${dim}); give "model_args" with "embed_dim" and "num_heads".`);
    heads = size.heads;
  }
  if (args.has('embed_dim') && dim && args.int('embed_dim') !== dim)
    throw new UserError(`config.json field "model_args.embed_dim" is ${args.int('embed_dim')} but patch_embed.proj.weight has shape [${ckpt.tensors.get('patch_embed.proj.weight')!.shape.join(', ')}] (embed_dim ${dim}).`);
  if (args.has('depth') && args.int('depth') !== depth)
    throw new UserError(`config.json field "model_args.depth" is ${args.int('depth')} but the checkpoint holds ${depth} blocks (blocks.0 … blocks.${depth - 1}).`);
  const pre = c.sub('pretrained_cfg');
  const inputSize = (cfg.json.pretrained_cfg as { input_size?: unknown } | undefined)?.input_size;
  let imageSize: number;
  if (args.has('img_size')) imageSize = args.size('img_size');
  else if (Array.isArray(inputSize) && inputSize.length === 3 && typeof inputSize[1] === 'number') imageSize = inputSize[1];
  else if (/_(\d+)(\.|$)/.test(arch)) imageSize = Number(/_(\d+)(\.|$)/.exec(arch)![1]);
  else imageSize = pre.int('input_size', 224);
  const distilled = ckpt.tensors.has('dist_token') || /distilled/.test(arch);
  return {
    library: 'timm',
    inputName: 'input',
    patch: 'patch_embed.proj',
    cls: 'cls_token',
    dist: distilled ? 'dist_token' : null,
    pos: 'pos_embed',
    norm: 'norm',
    embedScope: '',
    depth,
    heads,
    eps: 1e-6, // timm: partial(nn.LayerNorm, eps=1e-6)
    act: 'gelu',
    imageSize,
    head: { cls: ckpt.tensors.has('head.weight') ? 'head' : null, dist: distilled && ckpt.tensors.has('head_dist.weight') ? 'head_dist' : null, pooler: null },
    sequential: new Set(['blocks']),
    block(i) {
      const B = `blocks.${i}`;
      const sc = torchScope(B, this.sequential);
      return {
        scope: sc,
        ln1: `${B}.norm1`,
        qkv: { fused: `${B}.attn.qkv` },
        attnScope: `${sc}/attn`,
        proj: `${B}.attn.proj`,
        ln2: `${B}.norm2`,
        fc1: `${B}.mlp.fc1`,
        actScope: `${sc}/mlp/act`,
        fc2: `${B}.mlp.fc2`,
        add1: sc,
        add2: sc,
      };
    },
  };
}

// ------------------------------------------------------------------ the graph

function buildViT(ckpt: Checkpoint, cfg: CheckpointConfig, s: ViTSpec): OnnxModel {
  const g = new GraphBuilder({ opset: 17, name: cfg.architecture ?? 'vit', producer: 'vit-inspector checkpoint builder' });
  const w = new Weights(g, ckpt);
  const sc = (key: string): string => torchScope(key, s.sequential);
  if (s.depth === 0) w.need(s.block(0).ln1 + '.weight', 'the first transformer block');

  // Sizes from the tensors; every config value is checked against them.
  const pw = w.need(`${s.patch}.weight`);
  if (pw.shape.length !== 4 || pw.shape[2] !== pw.shape[3]) throw new UserError(`${w.fileOf(pw.name)}: tensor ${pw.name} has shape [${pw.shape.join(', ')}], not a square patch convolution [C, channels, p, p].`);
  const [dim, channels, patch] = pw.shape;
  if (s.library === 'hf') {
    const cp = new ConfigReader(cfg);
    if (cp.has('patch_size') && cp.size('patch_size') !== patch)
      throw new UserError(`config.json field "patch_size" is ${cp.size('patch_size')} but ${w.fileOf(pw.name)} holds ${pw.name} with shape [${pw.shape.join(', ')}] (patch ${patch}): the config does not belong to these weights.`);
  } else {
    const args = new ConfigReader(cfg).sub('model_args');
    if (args.has('patch_size') && args.size('patch_size') !== patch)
      throw new UserError(`config.json field "model_args.patch_size" is ${args.size('patch_size')} but ${pw.name} has shape [${pw.shape.join(', ')}] (patch ${patch}).`);
  }
  if (dim % s.heads !== 0) throw new UserError(`config.json gives ${s.heads} attention heads, which do not divide the hidden size ${dim} of ${pw.name}.`);
  const d = dim / s.heads;
  const hidden = w.need(`${s.block(0).fc1}.weight`).shape[0];
  if (s.library === 'hf') checkHfConfig(w, s, cfg, dim, hidden);
  if (s.imageSize % patch !== 0) throw new UserError(`The image size ${s.imageSize} (config.json) is not a multiple of the patch size ${patch}.`);
  const grid = s.imageSize / patch;
  const extra = 1 + (s.dist ? 1 : 0);
  const tokens = grid * grid + extra;
  w.shape(s.cls, [1, 1, dim], 'the hidden size');
  if (s.dist) w.shape(s.dist, [1, 1, dim], 'the hidden size');
  const pos = w.need(s.pos);
  if (pos.shape.length !== 3 || pos.shape[1] !== tokens || pos.shape[2] !== dim) {
    const n = pos.shape[1] - extra;
    const side = Math.round(Math.sqrt(Math.max(0, n)));
    const made = side * side === n ? ` (it was made for ${side * patch}×${side * patch} images)` : '';
    throw new UserError(
      `${w.fileOf(s.pos)}: tensor ${s.pos} has shape [${pos.shape.join(', ')}] but image size ${s.imageSize} (config.json) with patch ${patch} needs [1, ${tokens}, ${dim}]${made}; fix the image size in config.json.`,
    );
  }

  // Patch embedding, then the class (and distillation) token and the position embedding.
  const x = g.input(s.inputName, DataType.FLOAT, ['batch', channels, s.imageSize, s.imageSize]);
  const pScope = sc(s.patch);
  const conv = g.op('Conv', [x, w.value(`${s.patch}.weight`, pScope), w.value(`${s.patch}.bias`, pScope)], { dilations: [1, 1], group: 1, kernel_shape: [patch, patch], pads: [0, 0, 0, 0], strides: [patch, patch] }, `${pScope}/Conv`);
  const peScope = pScope.slice(0, pScope.lastIndexOf('/'));
  const flat = g.op('Reshape', [conv, g.int64([0, dim, -1])], {}, `${peScope}/Reshape`);
  const patches = g.op('Transpose', [flat], { perm: [0, 2, 1] }, `${peScope}/Transpose`);
  const E = s.embedScope;
  const batch = g.op('Slice', [g.op('Shape', [x], {}, `${E}/Shape`), g.int64([0]), g.int64([1]), g.int64([0])], {}, `${E}/Slice`);
  const tokShape = g.op('Concat', [batch, g.int64([1, dim])], { axis: 0 }, `${E}/Concat`);
  const toks = [g.op('Expand', [w.value(s.cls, E), tokShape], {}, `${E}/Expand`)];
  if (s.dist) toks.push(g.op('Expand', [w.value(s.dist, E), tokShape], {}, `${E}/Expand_1`));
  const seq = g.op('Concat', [...toks, patches], { axis: 1 }, `${E}/Concat_1`);
  let h = g.op('Add', [seq, w.value(s.pos, E)], {}, `${E}/Add`);

  const scale = g.float32([1 / Math.sqrt(d)], []);
  const headShape = g.int64([0, 0, s.heads, d]);
  const mergeShape = g.int64([0, 0, dim]);
  for (let i = 0; i < s.depth; i++) {
    const b = s.block(i);
    const ln1 = layerNorm(w, h, b.ln1, sc(b.ln1), s.eps);
    let q: string, k: string, v: string;
    if ('fused' in b.qkv) {
      const f = b.qkv.fused;
      w.shape(`${f}.weight`, [3 * dim, dim], `3 × the embed dim ${dim}`);
      const part = (j: number, label: string, suffix: string): string => {
        const rows = { start: j * dim, count: dim, label };
        const scope = sc(f);
        const y = linearNamed(w, ln1, f, scope, rows, suffix);
        return y;
      };
      q = part(0, 'q', '');
      k = part(1, 'k', '_1');
      v = part(2, 'v', '_2');
    } else {
      for (const key of [b.qkv.q, b.qkv.k, b.qkv.v]) w.shape(`${key}.weight`, [dim, dim], `the hidden size ${dim}`);
      q = linear(w, ln1, b.qkv.q, sc(b.qkv.q));
      k = linear(w, ln1, b.qkv.k, sc(b.qkv.k));
      v = linear(w, ln1, b.qkv.v, sc(b.qkv.v));
    }
    const A = b.attnScope;
    const split = (t: string, n: string): string => g.op('Transpose', [g.op('Reshape', [t, headShape], {}, `${A}/Reshape${n}`)], { perm: [0, 2, 1, 3] }, `${A}/Transpose${n}`);
    const qh = split(q, '');
    const kh = split(k, '_1');
    const vh = split(v, '_2');
    const kt = g.op('Transpose', [kh], { perm: [0, 1, 3, 2] }, `${A}/Transpose_3`);
    const scores = g.op('Mul', [g.op('MatMul', [qh, kt], {}, `${A}/MatMul`), scale], {}, `${A}/Mul`);
    const probs = g.op('Softmax', [scores], { axis: -1 }, `${A}/Softmax`);
    const ctx = g.op('MatMul', [probs, vh], {}, `${A}/MatMul_1`);
    const merged = g.op('Reshape', [g.op('Transpose', [ctx], { perm: [0, 2, 1, 3] }, `${A}/Transpose_4`), mergeShape], {}, `${A}/Reshape_3`);
    w.shape(`${b.proj}.weight`, [dim, dim], `the hidden size ${dim}`);
    const attnOut = linear(w, merged, b.proj, sc(b.proj));
    h = g.op('Add', [attnOut, h], {}, `${b.add1}/Add`);
    const ln2 = layerNorm(w, h, b.ln2, sc(b.ln2), s.eps);
    w.shape(`${b.fc1}.weight`, [hidden, dim], `the MLP size of block 0`);
    w.shape(`${b.fc2}.weight`, [dim, hidden], `the MLP size of block 0`);
    const mlp = linear(w, activation(g, linear(w, ln2, b.fc1, sc(b.fc1)), s.act, b.actScope), b.fc2, sc(b.fc2));
    h = g.op('Add', [mlp, h], {}, `${b.add2}/Add_1`);
  }
  const normed = layerNorm(w, h, s.norm, sc(s.norm), s.eps);

  // Heads on the class (and distillation) token, as Linear on a 2-D input exports: Gemm(transB=1).
  const token = (j: number): string => g.op('Gather', [normed, g.int64([j], [])], { axis: 1 }, `/Gather${j ? `_${j}` : ''}`);
  const gemm = (x2: string, key: string): string => {
    const s2 = sc(key);
    w.shape(`${key}.weight`, [-1, dim], `the hidden size ${dim}`);
    return g.op('Gemm', [x2, w.value(`${key}.weight`, s2), w.value(`${key}.bias`, s2)], { alpha: { float: 1 }, beta: { float: 1 }, transB: 1 }, `${s2}/Gemm`);
  };
  if (s.head.cls) {
    let logits = gemm(token(0), s.head.cls);
    if (s.head.dist) logits = g.op('Div', [g.op('Add', [logits, gemm(token(1), s.head.dist)], {}, '/Add_1'), g.float32([2], [])], {}, '/Div');
    g.node('Identity', [logits], ['logits'], {}, '/Identity');
    const classes = w.need(`${s.head.cls}.weight`).shape[0];
    g.output('logits', DataType.FLOAT, ['batch', classes]);
  } else {
    g.node('Identity', [normed], ['last_hidden_state'], {}, '/Identity');
    g.output('last_hidden_state', DataType.FLOAT, ['batch', tokens, dim]);
    if (s.head.pooler) {
      const pooled = g.op('Tanh', [gemm(token(0), s.head.pooler)], {}, `${sc(s.head.pooler).replace(/\/dense$/, '')}/activation/Tanh`);
      g.node('Identity', [pooled], ['pooler_output'], {}, '/Identity_1');
      g.output('pooler_output', DataType.FLOAT, ['batch', dim]);
    }
  }
  const model = g.build();
  // A tensor the graph does not use is a part of the model this builder does not make (timm's
  // norm_pre, fc_norm, reg_token, q_norm …): its outputs would be wrong, so it is refused. Only
  // parts the architecture itself leaves out are allowed (a masked-image-modelling mask token,
  // the pooler a headed model does not use).
  const ignorable = (k: string): boolean => /(^|\.)mask_token$/.test(k) || (s.head.cls !== null && /(^|\.)pooler\.dense\.(weight|bias)$/.test(k));
  const unused = w.unused().filter((k) => !ignorable(k));
  if (unused.length)
    throw new UserError(
      `${w.fileOf(unused[0])} holds ${unused.length} tensor(s) that ${cfg.architecture ?? 'this architecture'} as ViT Inspector builds it does not use (${unused.slice(0, 5).join(', ')}${unused.length > 5 ? ', …' : ''}): the model has parts that are not built, so its outputs would be wrong. Its tensors are listed by vit-inspect tensors.`,
    );
  const skipped = w.unused();
  if (skipped.length) model.warnings.push(`Not part of the forward pass and not counted: ${skipped.join(', ')}.`);
  return model;
}

/** linear() with torch's numbering of repeated ops in one scope (MatMul, MatMul_1, …) for the fused qkv's three parts. */
function linearNamed(w: Weights, x: string, key: string, scope: string, rows: { start: number; count: number; label: string }, suffix: string): string {
  const g = w.g;
  const weight = w.value(`${key}.weight`, scope, rows);
  const wt = g.op('Transpose', [weight], { perm: [1, 0] }, `${scope}/Transpose${suffix}`);
  let y = g.op('MatMul', [x, wt], {}, `${scope}/MatMul${suffix}`);
  if (w.has(`${key}.bias`)) y = g.op('Add', [w.value(`${key}.bias`, scope, rows), y], {}, `${scope}/Add${suffix}`);
  return y;
}

export const vitBuilders: CheckpointBuilder[] = [
  {
    supports: [...HF_HEADED, ...HF_BASE].map((a) => `Hugging Face ${a}`),
    matches: (cfg, ckpt) =>
      cfg.kind === 'hf' &&
      ([...HF_HEADED, ...HF_BASE].includes(cfg.architecture ?? '') ||
        ((cfg.json.model_type === 'vit' || cfg.json.model_type === 'deit') && !Array.isArray(cfg.json.architectures))) &&
      [...ckpt.tensors.keys()].some((k) => k.endsWith('embeddings.patch_embeddings.projection.weight')),
    build: (ckpt, cfg) => buildViT(ckpt, cfg, hfSpec(ckpt, cfg)),
  },
  {
    supports: ['timm vit_*', 'timm deit_* (distilled too)'],
    matches: (cfg, ckpt) => cfg.kind === 'timm' && /^(vit|deit)\d?_/.test(cfg.architecture ?? '') && ckpt.tensors.has('patch_embed.proj.weight'),
    build: (ckpt, cfg) => buildViT(ckpt, cfg, timmSpec(ckpt, cfg)),
  },
];
