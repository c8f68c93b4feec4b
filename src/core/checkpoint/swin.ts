/**
 * Swin checkpoints → the graph torch.onnx.export gives for them (opset 17), weights left in the
 * safetensors file as external data:
 *  - Hugging Face SwinForImageClassification and SwinModel (`swin.encoder.layers.{s}.blocks.{b}…`,
 *    q/k/v separate, patch merging at the END of stage s, relative_position_index saved);
 *  - timm swin_*: the current layout (patch merging at the START of stage s ≥ 1, nothing but
 *    parameters saved, `head.fc`) and the older one (merging at the end of the stage,
 *    relative_position_index and the shifted blocks' attn_mask saved, `head`);
 *  - Hugging Face Swinv2ForImageClassification and Swinv2Model: scaled cosine attention, the
 *    continuous position bias 16·sigmoid(cpb_mlp(log-spaced coords))[index], res-post-norm, and
 *    patch merging's norm after its reduction.
 *
 * Each block is what the three libraries compute (HF SwinLayer, timm SwinTransformerBlock):
 * LayerNorm → [B, H, W, C] → pad to whole windows → cyclic shift by −⌊M/2⌋ (odd blocks) → window
 * partition (the 6-D view) → attention with the relative position bias B̂[index] (the table stays an
 * initializer, gathered by the official index: src/core/swin/relpos.ts) and the −100 mask of the
 * shifted windows → window reverse → shift back → crop → residual; then LayerNorm → MLP → residual.
 * timm rolls before it pads (and crops before it rolls back): the same unless the map is padded.
 * When a stage's map is no larger than the window there is one window and no shift (HF and timm
 * alike); timm then also shrinks the window (and its table) to the map. What each stage is comes
 * from ./swinPlan (config read exactly, checked against the shapes); this module writes the nodes.
 */
import * as path from 'node:path';
import { UserError } from '../errors';
import type { OnnxModel, TensorInfo } from '../onnx/model';
import { type AttrInput, float, GraphBuilder, makeTensor } from '../onnx/builder';
import { DataType } from '../onnx/proto';
import { attentionMask } from '../swin/mask';
import { relativePositionIndex, tableRows } from '../swin/relpos';
import { type Checkpoint, type SafetensorsTensor, externalTensor, readTensorBytes } from './safetensors';
import { type Plan, type StagePlan, type SwinCheckpointConfig, classCount, hfPlan, isHf, keys, timmPlan } from './swinPlan';

export type { SwinCheckpointConfig } from './swinPlan';
export { TIMM_SWIN_SIZES } from './swinPlan';

export interface SwinCheckpointBuilder {
  supports: string[];
  matches(config: SwinCheckpointConfig, ckpt: Checkpoint): boolean;
  build(ckpt: Checkpoint, config: SwinCheckpointConfig): OnnxModel;
}

// ---------------------------------------------------------------------------------------------
// Tensors of the checkpoint.

class Tensors {
  readonly used = new Set<string>();
  private readonly made = new Map<string, string>();
  constructor(
    readonly g: GraphBuilder,
    readonly ckpt: Checkpoint,
  ) {}

  private files(): string {
    return this.ckpt.files.map((f) => path.basename(f)).join(', ') || path.basename(this.ckpt.path);
  }
  has(name: string): boolean {
    return this.ckpt.tensors.has(name);
  }
  need(name: string, why = ''): SafetensorsTensor {
    const t = this.ckpt.tensors.get(name);
    if (!t) throw new UserError(`${this.files()} lacks the tensor ${name}${why ? ` (${why})` : ''}, which this Swin model needs: the checkpoint is incomplete or is not the model its config.json describes.`);
    return t;
  }
  /** The tensor with its shape checked; -1 matches any size. `what` names where the expected shape comes from. */
  shape(name: string, dims: number[], what: string): SafetensorsTensor {
    const t = this.need(name);
    if (t.shape.length !== dims.length || dims.some((d, i) => d >= 0 && d !== t.shape[i]))
      throw new UserError(`Tensor ${name} in ${path.basename(t.file)} has shape [${t.shape.join(', ')}] but ${what} gives [${dims.map((d) => (d < 0 ? '?' : d)).join(', ')}].`);
    return t;
  }
  /** A float weight as a graph value: the initializer in place, Cast to float32 when stored in fp16/bf16 (folded by ONNX Runtime at load). */
  value(name: string, scope: string): string {
    const hit = this.made.get(name);
    if (hit) return hit;
    const t = this.need(name);
    if (t.dtype !== 'F32' && t.dtype !== 'F16' && t.dtype !== 'BF16') throw new UserError(`Tensor ${name} in ${path.basename(t.file)} is ${t.dtype}, not a floating-point weight.`);
    this.used.add(name);
    this.g.addTensor(externalTensor(t, name));
    const out = t.dtype === 'F32' ? name : this.g.op('Cast', [name], { to: DataType.FLOAT }, `${scope}/Cast_${this.made.size}`);
    this.made.set(name, out);
    return out;
  }
  /** Marks a buffer as read (checked, not an input of the graph). */
  buffer(name: string): void {
    this.used.add(name);
  }
}

/** Integer values of a small saved buffer (relative_position_index), or a UserError naming it. */
function intValues(t: SafetensorsTensor): number[] {
  const b = readTensorBytes(t);
  const out: number[] = [];
  if (t.dtype === 'I64') for (let i = 0; i < b.length; i += 8) out.push(Number(b.readBigInt64LE(i)));
  else if (t.dtype === 'I32') for (let i = 0; i < b.length; i += 4) out.push(b.readInt32LE(i));
  else throw new UserError(`Tensor ${t.name} in ${path.basename(t.file)} is ${t.dtype}; a relative_position_index is an integer buffer.`);
  return out;
}

function floatValues(t: SafetensorsTensor): Float32Array {
  const b = readTensorBytes(t);
  if (t.dtype === 'F32') return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
  const out = new Float32Array(b.length / 2);
  for (let i = 0; i < out.length; i++) {
    const h = b.readUInt16LE(2 * i);
    if (t.dtype === 'BF16') out[i] = new Float32Array(new Uint32Array([h << 16]).buffer)[0];
    else {
      const s = h & 0x8000 ? -1 : 1;
      const e = (h >> 10) & 0x1f;
      const m = h & 0x3ff;
      out[i] = e === 0 ? s * m * 2 ** -24 : e === 31 ? (m ? NaN : s * Infinity) : s * (1 + m / 1024) * 2 ** (e - 15);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Names as torch's exporter writes them.

/** `/swin/encoder/layers.0/blocks.0`: a numbered child joins its list's name; an nn.Sequential (timm's `layers`, `blocks`) is a scope of its own. */
function torchScope(key: string, sequential: ReadonlySet<string>): string {
  const parts = key.split('.').filter(Boolean);
  const out: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    if (/^\d+$/.test(parts[i]) && out.length) {
      const list = parts[i - 1];
      out.push(`${sequential.has(list) ? out[out.length - 1] : out.pop()}.${parts[i]}`);
    } else out.push(parts[i]);
  }
  return out.length ? `/${out.join('/')}` : '';
}

/** Per-scope op numbering (MatMul, MatMul_1, …) as torch writes it. */
class Namer {
  private counts = new Map<string, number>();
  name(scope: string, op: string): string {
    const k = `${scope}/${op}`;
    const n = this.counts.get(k) ?? 0;
    this.counts.set(k, n + 1);
    return n ? `${k}_${n}` : k;
  }
}

// ---------------------------------------------------------------------------------------------
// The graph.

function buildSwin(ckpt: Checkpoint, cfg: SwinCheckpointConfig, p: Plan): OnnxModel {
  const g = new GraphBuilder({ opset: 17, name: p.architecture || 'swin', producer: 'vit-inspector checkpoint builder' });
  const w = new Tensors(g, ckpt);
  const k = keys(p.layout, p.prefix);
  const nm = new Namer();
  const sc = (key: string): string => torchScope(key, k.sequential);
  const op = (type: string, inputs: string[], scope: string, attrs: Record<string, AttrInput> = {}): string => g.op(type, inputs, attrs, nm.name(scope, type));
  const ints = (v: number[]): string => g.int64(v);
  const f32 = (v: number): string => g.float32([v], []);

  const linear = (x: string, key: string, bias = w.has(`${key}.bias`)): string => {
    const s = sc(key);
    const wt = op('Transpose', [w.value(`${key}.weight`, s)], s, { perm: [1, 0] });
    const y = op('MatMul', [x, wt], s);
    return bias ? op('Add', [w.value(`${key}.bias`, s), y], s) : y;
  };
  /** `eps`: the config's layer_norm_eps in the blocks and the final norm; nn.LayerNorm's default 1e-5 where the libraries build it without (patch embedding, patch merging). */
  const layerNorm = (x: string, key: string, dim: number, eps = p.eps): string => {
    const s = sc(key);
    w.shape(`${key}.weight`, [dim], `a width of ${dim}`);
    return op('LayerNormalization', [x, w.value(`${key}.weight`, s), w.value(`${key}.bias`, s)], s, { axis: -1, epsilon: float(eps) });
  };
  const activation = (x: string, scope: string): string => {
    switch (p.act) {
      case 'gelu': {
        const e = op('Erf', [op('Div', [x, f32(Math.SQRT2)], scope)], scope);
        return op('Mul', [op('Mul', [x, op('Add', [e, f32(1)], scope)], scope), f32(0.5)], scope);
      }
      case 'relu':
        return op('Relu', [x], scope);
      case 'silu':
      case 'swish':
        return op('Mul', [x, op('Sigmoid', [x], scope)], scope);
      default: {
        // gelu_new / gelu_pytorch_tanh / gelu_fast: ½x(1 + tanh(√(2/π)(x + 0.044715x³)))
        const x3 = op('Mul', [op('Mul', [x, x], scope), x], scope);
        const inner = op('Mul', [op('Add', [x, op('Mul', [x3, f32(0.044715)], scope)], scope), f32(Math.sqrt(2 / Math.PI))], scope);
        return op('Mul', [op('Mul', [x, f32(0.5)], scope), op('Add', [op('Tanh', [inner], scope), f32(1)], scope)], scope);
      }
    }
  };
  /** torch.roll along one axis by −s (s > 0) or +s: Concat(Slice(x, k:), Slice(x, :k)). */
  const roll = (x: string, axis: number, L: number, by: number, scope: string): string => {
    const kk = ((by % L) + L) % L === 0 ? 0 : by < 0 ? -by : L - by;
    const tail = op('Slice', [x, ints([kk]), ints([L]), ints([axis])], scope);
    const head = op('Slice', [x, ints([0]), ints([kk]), ints([axis])], scope);
    return op('Concat', [tail, head], scope, { axis });
  };

  // Patch embedding: Conv (kernel = stride = patch) → flatten(2).transpose(1, 2) → LayerNorm.
  const x = g.input(p.inputName, DataType.FLOAT, ['batch', p.channels, p.imageSize, p.imageSize]);
  const peScope = sc(k.patch);
  w.shape(`${k.patch}.weight`, [p.embed, p.channels, p.patch, p.patch], `embed_dim ${p.embed}, patch_size ${p.patch}`);
  let img = x;
  // Hugging Face pads the image to whole patches; timm's conv drops the remainder (swinPlan's grid).
  const padPix = isHf(p.layout) ? (p.patch - (p.imageSize % p.patch)) % p.patch : 0;
  if (padPix) img = op('Pad', [img, ints([0, 0, 0, 0, 0, 0, padPix, padPix])], peScope, { mode: 'constant' });
  const conv = op('Conv', [img, w.value(`${k.patch}.weight`, peScope), w.value(`${k.patch}.bias`, peScope)], peScope, {
    kernel_shape: [p.patch, p.patch],
    strides: [p.patch, p.patch],
    pads: [0, 0, 0, 0],
    dilations: [1, 1],
    group: 1,
  });
  const grid0 = p.stages[0].res;
  const embScope = p.layout === 'hf' ? sc(`${p.prefix}embeddings`) : sc('patch_embed');
  let h = op('Transpose', [op('Reshape', [conv, ints([0, p.embed, grid0 * grid0])], embScope)], embScope, { perm: [0, 2, 1] });
  if (w.has(`${k.patchNorm}.weight`) || p.layout === 'hf') h = layerNorm(h, k.patchNorm, p.embed, 1e-5);

  const masks = new Map<string, string>();
  const v2 = p.layout === 'hf-v2';
  p.stages.forEach((st, s) => {
    if (s > 0) h = patchMerging(h, k.merge(s), p.stages[s - 1].res, p.stages[s - 1].dim);
    for (let b = 0; b < st.depth; b++) h = block(h, s, b, st);
  });

  function patchMerging(t: string, key: string, res: number, C: number): string {
    const s = sc(key);
    w.shape(`${key}.reduction.weight`, [2 * C, 4 * C], `patch merging of a ${C}-wide stage`);
    let m = op('Reshape', [t, ints([-1, res, res, C])], s);
    if (res % 2) m = op('Pad', [m, ints([0, 0, 0, 0, 0, 1, 1, 0])], s, { mode: 'constant' });
    const R = res + (res % 2);
    // x0 = x[:, 0::2, 0::2], x1 = x[:, 1::2, 0::2], x2 = x[:, 0::2, 1::2], x3 = x[:, 1::2, 1::2] (src/core/swin/merge.ts)
    const parts = [
      [0, 0],
      [1, 0],
      [0, 1],
      [1, 1],
    ].map(([dh, dw]) => op('Slice', [m, ints([dh, dw]), ints([R, R]), ints([1, 2]), ints([2, 2])], s));
    let y = op('Concat', parts, s, { axis: -1 });
    y = op('Reshape', [y, ints([-1, (R / 2) * (R / 2), 4 * C])], s);
    // V1: norm(4C) then reduction; V2 (PatchMergingV2): reduction then norm(2C).
    if (v2) return layerNorm(linear(y, `${key}.reduction`, false), `${key}.norm`, 2 * C, 1e-5);
    return linear(layerNorm(y, `${key}.norm`, 4 * C, 1e-5), `${key}.reduction`, false);
  }

  function block(t: string, s: number, b: number, st: StagePlan): string {
    const key = k.block(s, b);
    const bs = sc(key);
    const { dim: C, heads, res: H, window: M } = st;
    const shift = b % 2 === 1 ? st.shift : 0;
    const N = M * M;
    const Hp = Math.ceil(H / M) * M;
    const nW = (Hp / M) * (Hp / M);
    const hd = C / heads;
    const tname = `${key}.${k.table}`;
    if (!v2) w.shape(tname, [tableRows(M), heads], `a ${M}×${M} window with ${heads} heads`);
    checkSavedIndex(w, `${key}.${k.index}`, M);
    if (v2 && w.has(`${key}.${k.coords}`)) w.buffer(`${key}.${k.coords}`); // recomputed below from the official formula
    if (k.mask && shift) checkSavedMask(w, `${key}.${k.mask}`, H, M, shift);

    // V1 normalises before the attention; V2 (res-post-norm) after it, on the branch.
    let x = v2 ? t : layerNorm(t, `${key}.${k.norm1}`, C);
    x = op('Reshape', [x, ints([-1, H, H, C])], bs);
    const pad = (y: string): string => (Hp !== H ? op('Pad', [y, ints([0, 0, 0, 0, 0, Hp - H, Hp - H, 0])], bs, { mode: 'constant' }) : y);
    const cyclic = (y: string, L: number, by: number): string => (shift ? roll(roll(y, 1, L, by, bs), 2, L, by, bs) : y);
    // HF / torchvision: F.pad, then torch.roll of the padded map. timm: torch.roll of the H×W map, then F.pad.
    x = st.shiftBeforePad ? pad(cyclic(x, H, -shift)) : cyclic(pad(x), Hp, -shift);
    // window_partition: view(B, Hp/M, M, Wp/M, M, C).permute(0, 1, 3, 2, 4, 5) → [B·nW, M², C]
    x = op('Reshape', [x, ints([-1, Hp / M, M, Hp / M, M, C])], bs);
    x = op('Reshape', [op('Transpose', [x], bs, { perm: [0, 1, 3, 2, 4, 5] }), ints([-1, N, C])], bs);

    const as = sc(`${key}.${k.attn}`);
    let q: string;
    let kk: string;
    let v: string;
    if (k.qkv) {
      w.shape(`${key}.${k.qkv}.weight`, [3 * C, C], `a ${C}-wide stage`);
      const qkv = linear(x, `${key}.${k.qkv}`, p.qkvBias);
      const r = op('Transpose', [op('Reshape', [qkv, ints([-1, N, 3, heads, hd])], as)], as, { perm: [2, 0, 3, 1, 4] });
      [q, kk, v] = [0, 1, 2].map((i) => op('Gather', [r, g.int64([i], [])], as, { axis: 0 }));
      q = op('Mul', [q, f32(hd ** -0.5)], as);
    } else {
      const heads4 = (y: string): string => op('Transpose', [op('Reshape', [y, ints([-1, N, heads, hd])], as)], as, { perm: [0, 2, 1, 3] });
      for (const part of [k.q, k.k, k.v]) w.shape(`${key}.${part}.weight`, [C, C], `a ${C}-wide stage`);
      q = heads4(linear(x, `${key}.${k.q}`, p.qkvBias));
      kk = heads4(linear(x, `${key}.${k.k}`, p.qkvBias && !v2)); // Swinv2's key has no bias
      v = heads4(linear(x, `${key}.${k.v}`, p.qkvBias));
    }
    let scores: string;
    let bias: string;
    if (v2) {
      // Scaled cosine attention: cos(q, k) · exp(clamp(logit_scale, max = log 100)); F.normalize's eps 1e-12.
      const unit = (y: string): string => op('Div', [y, op('Clip', [op('ReduceL2', [y], as, { axes: [-1], keepdims: 1 }), f32(1e-12), ''], as)], as);
      scores = op('MatMul', [unit(q), op('Transpose', [unit(kk)], as, { perm: [0, 1, 3, 2] })], as);
      w.shape(`${key}.${k.logitScale}`, [heads, 1, 1], `${heads} heads`);
      const scale = op('Exp', [op('Clip', [w.value(`${key}.${k.logitScale}`, as), '', f32(Math.log(100))], as)], as);
      scores = op('Mul', [scores, scale], as);
      // Continuous position bias: 16·sigmoid(cpb_mlp(relative_coords_table))[index].
      w.shape(`${key}.${k.cpb}.0.weight`, [-1, 2], 'the continuous position bias MLP (2 → hidden)');
      w.shape(`${key}.${k.cpb}.2.weight`, [heads, w.need(`${key}.${k.cpb}.0.weight`).shape[0]], `${heads} heads`);
      const coords = g.addTensor(makeTensor(`${key}.${k.coords}`, relativeCoordsTable(M, st.coordsWindow), [1, 2 * M - 1, 2 * M - 1, 2]));
      const h0 = op('Relu', [linear(coords, `${key}.${k.cpb}.0`)], sc(`${key}.${k.cpb}.1`));
      const table = op('Reshape', [linear(h0, `${key}.${k.cpb}.2`, false), ints([-1, heads])], as);
      const index = g.addTensor(indexTensor(`${key}.${k.index}`, M));
      const gathered = op('Transpose', [op('Gather', [table, index], as, { axis: 0 })], as, { perm: [2, 0, 1] });
      bias = op('Mul', [op('Sigmoid', [op('Unsqueeze', [gathered, ints([0])], as)], as), f32(16)], as);
    } else {
      scores = op('MatMul', [q, op('Transpose', [kk], as, { perm: [0, 1, 3, 2] })], as);
      if (!k.qkv) scores = op('Div', [scores, f32(Math.sqrt(hd))], as);
      // B = B̂[relative_position_index].view(N, N, heads).permute(2, 0, 1).unsqueeze(0)
      const index = g.addTensor(indexTensor(`${key}.${k.index}`, M));
      bias = op('Unsqueeze', [op('Transpose', [op('Gather', [w.value(tname, as), index], as, { axis: 0 })], as, { perm: [2, 0, 1] }), ints([0])], as);
    }
    scores = op('Add', [scores, bias], as);
    if (shift) {
      const mk = `${H}:${M}:${shift}`;
      let mask = masks.get(mk);
      if (!mask) {
        mask = g.addTensor(makeTensor(`${key}.attn_mask`, attentionMask(H, H, M, shift).values, [1, nW, 1, N, N]));
        masks.set(mk, mask);
      }
      const s5 = op('Add', [op('Reshape', [scores, ints([-1, nW, heads, N, N])], as), mask], as);
      scores = op('Reshape', [s5, ints([-1, heads, N, N])], as);
    }
    const probs = op('Softmax', [scores], as, { axis: -1 });
    const ctx = op('Reshape', [op('Transpose', [op('MatMul', [probs, v], as)], as, { perm: [0, 2, 1, 3] }), ints([-1, N, C])], as);
    w.shape(`${key}.${k.proj}.weight`, [C, C], `a ${C}-wide stage`);
    let y = linear(ctx, `${key}.${k.proj}`);
    // window_reverse → [B, Hp, Wp, C], shift back, crop the padding, back to tokens.
    y = op('Reshape', [y, ints([-1, Hp / M, Hp / M, M, M, C])], bs);
    y = op('Reshape', [op('Transpose', [y], bs, { perm: [0, 1, 3, 2, 4, 5] }), ints([-1, Hp, Hp, C])], bs);
    const crop = (z: string): string => (Hp !== H ? op('Slice', [z, ints([0, 0]), ints([H, H]), ints([1, 2])], bs) : z);
    y = st.shiftBeforePad ? cyclic(crop(y), H, shift) : crop(cyclic(y, Hp, shift));
    y = op('Reshape', [y, ints([-1, H * H, C])], bs);
    if (v2) y = layerNorm(y, `${key}.${k.norm1}`, C);
    const h1 = op('Add', [t, y], bs);

    const ln2 = v2 ? h1 : layerNorm(h1, `${key}.${k.norm2}`, C);
    w.shape(`${key}.${k.fc1}.weight`, [st.mlpHidden, C], `the MLP of stage ${s + 1}`);
    let mlp = linear(activation(linear(ln2, `${key}.${k.fc1}`), sc(`${key}.${k.mlpAct}`)), `${key}.${k.fc2}`);
    if (v2) mlp = layerNorm(mlp, `${key}.${k.norm2}`, C);
    return op('Add', [h1, mlp], bs);
  }

  const last = p.stages[p.stages.length - 1];
  const normed = layerNorm(h, k.norm, last.dim);
  const pool = sc(k.pool);
  const pooled = op('ReduceMean', [normed], pool, { axes: [1], keepdims: 0 });
  if (p.head) {
    const hs = sc(p.head);
    w.shape(`${p.head}.weight`, [-1, last.dim], `the final width ${last.dim}`);
    const classes = w.need(`${p.head}.weight`).shape[0];
    const named = classCount(cfg);
    if (named && named.count !== classes)
      throw new UserError(`${cfg.file ? path.basename(cfg.file) : 'config.json'} ${named.field} names ${named.count} classes but tensor ${p.head}.weight has shape [${w.need(`${p.head}.weight`).shape.join(', ')}] (${classes} classes).`);
    const logits = op('Gemm', [pooled, w.value(`${p.head}.weight`, hs), w.value(`${p.head}.bias`, hs)], hs, { alpha: float(1), beta: float(1), transB: 1 });
    g.node('Identity', [logits], ['logits'], {}, '/Identity');
    g.output('logits', DataType.FLOAT, ['batch', w.need(`${p.head}.weight`).shape[0]]);
  } else {
    g.node('Identity', [normed], ['last_hidden_state'], {}, '/Identity');
    g.output('last_hidden_state', DataType.FLOAT, ['batch', last.res * last.res, last.dim]);
    g.node('Identity', [pooled], ['pooler_output'], {}, '/Identity_1');
    g.output('pooler_output', DataType.FLOAT, ['batch', last.dim]);
  }
  const model = g.build();
  const unused = [...ckpt.tensors.keys()].filter((n) => !w.used.has(n));
  if (unused.length)
    model.warnings.push(
      `${unused.length} tensor(s) of the checkpoint are not part of ${p.architecture || 'the model'}'s forward pass and are not counted (${unused.slice(0, 5).join(', ')}${unused.length > 5 ? ', …' : ''}).`,
    );
  return model;

  /** A saved relative_position_index (HF, older timm) must be the official one: the graph gathers by that. */
  function checkSavedIndex(t: Tensors, name: string, M: number): void {
    const saved = t.ckpt.tensors.get(name);
    if (!saved) return;
    t.buffer(name);
    const official = relativePositionIndex(M);
    const n = saved.shape.reduce((a, d) => a * d, 1);
    if (n !== official.length) throw new UserError(`Tensor ${name} has shape [${saved.shape.join(', ')}] but a ${M}×${M} window's relative_position_index is [${M * M}, ${M * M}].`);
    const vals = intValues(saved);
    const bad = vals.findIndex((v, i) => v !== official[i]);
    if (bad >= 0)
      throw new UserError(
        `Tensor ${name} is not the official relative_position_index of a ${M}×${M} window (entry ${bad} is ${vals[bad]}, the official formula gives ${official[bad]}): this builder gathers the bias by the official index only.`,
      );
  }

  function checkSavedMask(t: Tensors, name: string, H: number, M: number, shift: number): void {
    const saved = t.ckpt.tensors.get(name);
    if (!saved) return;
    t.buffer(name);
    const want = attentionMask(H, H, M, shift);
    const vals = floatValues(saved);
    if (vals.length !== want.values.length || vals.some((v, i) => v !== want.values[i]))
      throw new UserError(`Tensor ${name} is not the shifted-window mask of a ${H}×${H} map in ${M}×${M} windows shifted by ${shift} (0 / −100): the checkpoint does not match its config.`);
  }
}

/**
 * Swin V2's relative_coords_table [1, 2M−1, 2M−1, 2]: the offsets (Δh, Δw) normalised by the
 * (pretrained) window − 1, ×8, then sign·log2(1 + |x|)/log2(8) (log-spaced coordinates).
 */
function relativeCoordsTable(M: number, norm: number): Float32Array {
  const L = 2 * M - 1;
  const out = new Float32Array(L * L * 2);
  // Each step rounded to float32 as torch computes it, so the table matches the module's buffer.
  const r = Math.fround;
  const f = (d: number): number => {
    const x = r(r(norm > 1 ? r(d / (norm - 1)) : d) * 8);
    return r(r(Math.sign(x) * r(Math.log2(r(Math.abs(x) + 1)))) / 3);
  };
  for (let i = 0; i < L; i++)
    for (let j = 0; j < L; j++) {
      out[(i * L + j) * 2] = f(i - (M - 1));
      out[(i * L + j) * 2 + 1] = f(j - (M - 1));
    }
  return out;
}

/** The official relative_position_index [M², M²] as an int64 initializer named after the buffer. */
function indexTensor(name: string, M: number): TensorInfo {
  const idx = relativePositionIndex(M);
  return makeTensor(name, BigInt64Array.from(idx, (v) => BigInt(v)), [M * M, M * M]);
}

// ---------------------------------------------------------------------------------------------

/**
 * Buffers Swin checkpoints may hold that PyTorch does not count as parameters: older timm's float
 * attn_mask, older Hugging Face Swinv2's float relative_coords_table, and the integer indices.
 */
export const SWIN_BUFFER = /(^|\.)(attn_mask|relative_coords_table|relative_position_index)$/;

/** A Hugging Face Swin (V1 or V2): named in `architectures`, or a base model saved with only its `model_type`. */
function hfSwinBuilder(archs: string[], modelType: string, v2: boolean): SwinCheckpointBuilder {
  return {
    supports: archs.map((a) => `Hugging Face ${a}`),
    matches: (cfg, ckpt) =>
      cfg.kind === 'hf' &&
      (archs.includes(cfg.architecture ?? '') || (cfg.json.model_type === modelType && !Array.isArray(cfg.json.architectures))) &&
      [...ckpt.tensors.keys()].some((k) => k.endsWith('embeddings.patch_embeddings.projection.weight')),
    build: (ckpt, cfg) => buildSwin(ckpt, cfg, hfPlan(ckpt, cfg, v2)),
  };
}

export const swinBuilders: SwinCheckpointBuilder[] = [
  hfSwinBuilder(['SwinForImageClassification', 'SwinModel'], 'swin', false),
  hfSwinBuilder(['Swinv2ForImageClassification', 'Swinv2Model'], 'swinv2', true),
  {
    supports: ['timm swin_* (current and older layouts)'],
    matches: (cfg, ckpt) => cfg.kind === 'timm' && /^swin_/.test(cfg.architecture ?? '') && !/^swinv2/.test(cfg.architecture ?? '') && ckpt.tensors.has('patch_embed.proj.weight'),
    build: (ckpt, cfg) => buildSwin(ckpt, cfg, timmPlan(ckpt, cfg)),
  },
];
