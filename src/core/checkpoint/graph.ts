/**
 * What every checkpoint builder needs to write the graph a torch export gives: the checkpoint's
 * tensors as initializers that stay in the safetensors file (cast to float32 when stored in
 * fp16/bf16; an fp16 checkpoint's graph is rewritten to compute in fp16 on a provider that runs
 * fp16: fp16.ts), PyTorch's scope names (`/vit/encoder/layer.0/attention/attention/query/MatMul`), and
 * the few modules a transformer is made of (Linear, LayerNorm, the activations), each emitted as
 * the ops torch.onnx.export writes for it.
 */
import * as path from 'node:path';
import { UserError } from '../errors';
import type { TensorInfo } from '../onnx/model';
import { float, GraphBuilder } from '../onnx/builder';
import { DataType } from '../onnx/proto';
import { type Checkpoint, type SafetensorsTensor, SAFETENSORS_DTYPES, externalTensor } from './safetensors';

/**
 * The scope of a module key as torch's exporter writes it: a numbered child joins its list's name
 * (`layer.0`); a container that has a forward of its own (nn.Sequential, e.g. timm's `blocks`) is
 * a scope too, so `blocks.0` sits inside `blocks`.
 */
export function torchScope(moduleKey: string, sequential: ReadonlySet<string> = new Set()): string {
  const parts = moduleKey.split('.').filter((p) => p.length > 0);
  const out: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    if (/^\d+$/.test(p) && out.length) {
      const list = parts[i - 1];
      const joined = `${sequential.has(list) ? out[out.length - 1] : out.pop()}.${p}`;
      out.push(joined);
    } else out.push(p);
  }
  return out.length ? `/${out.join('/')}` : '';
}

/** The checkpoint's tensors as the graph's weights; records which were used. */
export class Weights {
  readonly used = new Set<string>();
  private readonly made = new Map<string, string>();

  constructor(
    readonly g: GraphBuilder,
    readonly ckpt: Checkpoint,
  ) {}

  /** The display name of the file holding `name` (or of the checkpoint when it is absent). */
  fileOf(name: string): string {
    const t = this.ckpt.tensors.get(name);
    return path.basename(t ? t.file : this.ckpt.files[0] ?? this.ckpt.path);
  }

  has(name: string): boolean {
    return this.ckpt.tensors.has(name);
  }

  /** The tensor, or a UserError naming the file and the tensor the architecture needs. */
  need(name: string, why = ''): SafetensorsTensor {
    const t = this.ckpt.tensors.get(name);
    if (!t) {
      const where = this.ckpt.files.map((f) => path.basename(f)).join(', ') || path.basename(this.ckpt.path);
      throw new UserError(`${where} lacks the tensor ${name}${why ? ` (${why})` : ''}, which this architecture needs: the checkpoint is incomplete or is not the model its config.json names.`);
    }
    return t;
  }

  /** Checks a tensor's shape; `dims` entries of -1 match anything. */
  shape(name: string, dims: number[], what = ''): SafetensorsTensor {
    const t = this.need(name);
    const ok = t.shape.length === dims.length && dims.every((d, i) => d < 0 || d === t.shape[i]);
    if (!ok)
      throw new UserError(
        `${this.fileOf(name)}: tensor ${name} has shape [${t.shape.join(', ')}] but ${what || 'the config'} gives [${dims.map((d) => (d < 0 ? '?' : d)).join(', ')}].`,
      );
    return t;
  }

  /**
   * The tensor as a float32 graph value: the initializer (bytes in the safetensors file) and, for
   * fp16/bf16, a Cast to float32 that ONNX Runtime folds at load. `rows` takes a block of rows of
   * the first axis in place (timm's fused qkv split into q, k and v) without copying.
   */
  value(name: string, scope: string, rows?: { start: number; count: number; label: string }): string {
    const t = this.need(name);
    const key = rows ? `${name}[${rows.label}]` : name;
    const hit = this.made.get(key);
    if (hit) return hit;
    this.used.add(name);
    if (t.dtype !== 'F32' && t.dtype !== 'F16' && t.dtype !== 'BF16')
      throw new UserError(`${this.fileOf(name)}: tensor ${name} is ${t.dtype}, not a floating-point weight.`);
    let info: TensorInfo = externalTensor(t, key);
    if (rows) {
      const rowBytes = (t.length / t.shape[0]) | 0;
      const data = info.data as Extract<TensorInfo['data'], { location: 'external' }>;
      info = { ...info, dims: [rows.count, ...t.shape.slice(1)], data: { ...data, offset: t.offset + rows.start * rowBytes, length: rows.count * rowBytes } };
    }
    this.g.addTensor(info);
    let out = key;
    if (t.dtype !== 'F32') out = this.g.op('Cast', [key], { to: DataType.FLOAT }, `${scope}/Cast_${this.made.size}`);
    this.made.set(key, out);
    return out;
  }

  /** Tensors in the checkpoint that the graph did not use (named in a warning: PyTorch counts them, the graph cannot). */
  unused(): string[] {
    return [...this.ckpt.tensors.keys()].filter((k) => !this.used.has(k));
  }

  /** The checkpoint's floating-point storage: what the model's precision is ('fp32', 'fp16', 'bf16' or 'mixed'). */
  precision(): string {
    const kinds = new Set([...this.ckpt.tensors.values()].filter((t) => SAFETENSORS_DTYPES[t.dtype].dataType !== DataType.INT64).map((t) => t.dtype));
    if (kinds.size === 1) return { F32: 'fp32', F16: 'fp16', BF16: 'bf16' }[[...kinds][0] as string] ?? 'mixed';
    return 'mixed';
  }
}

/** nn.Linear on the last axis, as exported: MatMul with the transposed weight, then Add of the bias. */
export function linear(w: Weights, x: string, key: string, scope: string, opts: { rows?: { start: number; count: number; label: string }; bias?: boolean } = {}): string {
  const g = w.g;
  const weight = w.value(`${key}.weight`, scope, opts.rows);
  const wt = g.op('Transpose', [weight], { perm: [1, 0] }, `${scope}/Transpose`);
  let y = g.op('MatMul', [x, wt], {}, `${scope}/MatMul`);
  const hasBias = opts.bias ?? w.has(`${key}.bias`);
  if (hasBias) y = g.op('Add', [w.value(`${key}.bias`, scope, opts.rows), y], {}, `${scope}/Add`);
  return y;
}

/** nn.LayerNorm over the last axis (opset 17 LayerNormalization). */
export function layerNorm(w: Weights, x: string, key: string, scope: string, eps: number): string {
  return w.g.op('LayerNormalization', [x, w.value(`${key}.weight`, scope), w.value(`${key}.bias`, scope)], { axis: -1, epsilon: float(eps) }, `${scope}/LayerNormalization`);
}

/** The activations transformers' ACT2FN and timm name, as torch exports them. */
export const ACTIVATIONS = ['gelu', 'gelu_new', 'gelu_pytorch_tanh', 'gelu_fast', 'quick_gelu', 'relu', 'silu', 'swish'] as const;

export function activation(g: GraphBuilder, x: string, act: string, scope: string): string {
  const c = (v: number): string => g.float32([v], []);
  switch (act) {
    case 'gelu': {
      // nn.GELU(): x · ½(1 + erf(x / √2)), the form torch exports at opset 17.
      const e = g.op('Erf', [g.op('Div', [x, c(Math.SQRT2)], {}, `${scope}/Div`)], {}, `${scope}/Erf`);
      const m = g.op('Mul', [x, g.op('Add', [e, c(1)], {}, `${scope}/Add`)], {}, `${scope}/Mul`);
      return g.op('Mul', [m, c(0.5)], {}, `${scope}/Mul_1`);
    }
    case 'gelu_new':
    case 'gelu_pytorch_tanh':
    case 'gelu_fast': {
      // ½x(1 + tanh(√(2/π)(x + 0.044715x³)))
      const x3 = g.op('Mul', [g.op('Mul', [x, x], {}, `${scope}/Mul`), x], {}, `${scope}/Mul_1`);
      const inner = g.op('Mul', [g.op('Add', [x, g.op('Mul', [x3, c(0.044715)], {}, `${scope}/Mul_2`)], {}, `${scope}/Add`), c(Math.sqrt(2 / Math.PI))], {}, `${scope}/Mul_3`);
      const t = g.op('Add', [g.op('Tanh', [inner], {}, `${scope}/Tanh`), c(1)], {}, `${scope}/Add_1`);
      return g.op('Mul', [g.op('Mul', [x, c(0.5)], {}, `${scope}/Mul_4`), t], {}, `${scope}/Mul_5`);
    }
    case 'quick_gelu':
      return g.op('Mul', [x, g.op('Sigmoid', [g.op('Mul', [x, c(1.702)], {}, `${scope}/Mul`)], {}, `${scope}/Sigmoid`)], {}, `${scope}/Mul_1`);
    case 'relu':
      return g.op('Relu', [x], {}, `${scope}/Relu`);
    case 'silu':
    case 'swish':
      return g.op('Mul', [x, g.op('Sigmoid', [x], {}, `${scope}/Sigmoid`)], {}, `${scope}/Mul`);
    default:
      throw new Error(`activation ${act} not handled`);
  }
}
