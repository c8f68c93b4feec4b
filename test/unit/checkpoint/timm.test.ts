/** timm configs: heads from the architecture name's size table or model_args, checked against the tensors. */
import assert from 'node:assert/strict';
import fs, { closeSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspectModel } from '../../../src/core/arch/inspect';
import { type Spec, header, safetensors } from '../helpers/safetensors';

/** A timm ViT's tensor names and shapes (dim C, depth L, patch p, image s). */
function timmVit(C: number, L: number, p: number, s: number, classes = 10): Spec {
  const t: Spec = {
    'patch_embed.proj.weight': { dtype: 'F32', shape: [C, 3, p, p] },
    'patch_embed.proj.bias': { dtype: 'F32', shape: [C] },
    cls_token: { dtype: 'F32', shape: [1, 1, C] },
    pos_embed: { dtype: 'F32', shape: [1, (s / p) ** 2 + 1, C] },
    'norm.weight': { dtype: 'F32', shape: [C] },
    'norm.bias': { dtype: 'F32', shape: [C] },
    'head.weight': { dtype: 'F32', shape: [classes, C] },
    'head.bias': { dtype: 'F32', shape: [classes] },
  };
  for (let i = 0; i < L; i++) {
    const B = `blocks.${i}`;
    for (const [k, shape] of [
      ['norm1.weight', [C]], ['norm1.bias', [C]], ['attn.qkv.weight', [3 * C, C]], ['attn.qkv.bias', [3 * C]], ['attn.proj.weight', [C, C]], ['attn.proj.bias', [C]],
      ['norm2.weight', [C]], ['norm2.bias', [C]], ['mlp.fc1.weight', [4 * C, C]], ['mlp.fc1.bias', [4 * C]], ['mlp.fc2.weight', [C, 4 * C]], ['mlp.fc2.bias', [C]],
    ] as [string, number[]][])
      t[`${B}.${k}`] = { dtype: 'F32', shape };
  }
  return t;
}

describe('timm ViT configs', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'timm-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  const make = (name: string, spec: Spec, config: Record<string, unknown>): string => {
    const d = join(dir, name);
    mkdirSync(d);
    writeFileSync(join(d, 'model.safetensors'), safetensors(spec, { format: 'pt' }));
    writeFileSync(join(d, 'config.json'), JSON.stringify(config));
    return d;
  };

  it('heads from the name (vit_tiny: 3 heads, embed_dim 192); the image size from pretrained_cfg', () => {
    const d = make('tiny', timmVit(192, 1, 16, 32), { architecture: 'vit_tiny_patch16_32', pretrained_cfg: { input_size: [3, 32, 32] } });
    const r = inspectModel(d);
    assert.deepEqual(r.config.heads, [3]);
    assert.equal(r.config.embedDim, 192);
    assert.equal(r.config.imageSize, 32);
    // params: every tensor of the file (as PyTorch counts them)
    const C = 192;
    assert.equal(r.params, C * 3 * 256 + C + C + 5 * C + 2 * C + 10 * C + 10 + (2 * C + 3 * C * C + 3 * C + C * C + C + 2 * C + 4 * C * C + 4 * C + 4 * C * C + C));
  });

  it('a name whose size contradicts the tensors is refused, naming both', () => {
    const d = make('small', timmVit(192, 1, 16, 32), { architecture: 'vit_small_patch16_32' });
    assert.throws(() => inspectModel(d), /names vit_small_patch16_32 \(a small model: embed_dim 384\) but patch_embed\.proj\.weight has shape \[192, 3, 16, 16\] \(embed_dim 192\)/);
  });

  it('model_args: num_heads wins over the name; a depth or embed_dim that contradicts the tensors is refused', () => {
    const spec = timmVit(64, 2, 16, 32);
    assert.deepEqual(inspectModel(make('args', spec, { architecture: 'vit_base_patch16_32', model_args: { num_heads: 4, embed_dim: 64 } })).config.heads, [4]);
    assert.throws(() => inspectModel(make('depth', spec, { architecture: 'vit_base_patch16_32', model_args: { num_heads: 4, depth: 12 } })), /"model_args\.depth" is 12 but the checkpoint holds 2 blocks/);
    assert.throws(() => inspectModel(make('unknown', spec, { architecture: 'vit_weird_patch16_32' })), /neither in "model_args\.num_heads" nor known from its name/);
    // parts not built (a pre-norm, register tokens) are refused by name, not silently left out
    assert.throws(() => inspectModel(make('prenorm', { ...spec, 'norm_pre.weight': { dtype: 'F32', shape: [64] }, 'norm_pre.bias': { dtype: 'F32', shape: [64] } }, { architecture: 'vit_base_patch16_clip_32', model_args: { num_heads: 4 } })),
      /model\.safetensors holds 2 tensor\(s\) that vit_base_patch16_clip_32 as ViT Inspector builds it does not use \(norm_pre\.weight, norm_pre\.bias\)/);
    assert.throws(() => inspectModel(make('regs', spec, { architecture: 'vit_base_patch16_32', model_args: { num_heads: 4, reg_tokens: 4 } })), /"model_args\.reg_tokens" = 4 \(register tokens\), which ViT Inspector does not build yet/);
  });

  it('a ViT-L/16-size checkpoint (1.22 GB, sparse) opens from its header: 304,326,632 params as timm counts them, no weight read', () => {
    const d = join(dir, 'large');
    mkdirSync(d);
    const spec = timmVit(1024, 24, 16, 224, 1000);
    const head: Record<string, unknown> = {};
    let off = 0;
    for (const [name, t] of Object.entries(spec)) {
      const n = t.shape.reduce((a, b) => a * b, 1) * 4;
      head[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [off, off + n] };
      off += n;
    }
    const h = header(null, JSON.stringify(head));
    const file = join(d, 'model.safetensors');
    const fd = openSync(file, 'w');
    writeSync(fd, h);
    ftruncateSync(fd, h.length + off); // the weights are a hole: nothing written, nothing on disk
    closeSync(fd);
    writeFileSync(join(d, 'config.json'), JSON.stringify({ architecture: 'vit_large_patch16_224', num_classes: 1000 }));
    assert.ok(statSync(file).size > 1.2e9);
    // Every byte read from the checkpoint while it is inspected: the 8-byte length and the header only.
    let read = 0;
    const realRead = fs.readSync;
    const realReadFile = fs.readFileSync;
    (fs as { readSync: unknown }).readSync = (...a: Parameters<typeof fs.readSync>) => {
      const n = (realRead as (...x: unknown[]) => number)(...a);
      read += n;
      return n;
    };
    (fs as { readFileSync: unknown }).readFileSync = (...a: Parameters<typeof fs.readFileSync>) => {
      if (String(a[0]) === file) throw new Error('the whole checkpoint was read');
      return (realReadFile as (...x: unknown[]) => unknown)(...a);
    };
    let r: ReturnType<typeof inspectModel>;
    const t0 = performance.now();
    try {
      r = inspectModel(d);
    } finally {
      fs.readSync = realRead;
      fs.readFileSync = realReadFile;
    }
    const ms = performance.now() - t0;
    assert.equal(r.params, 304_326_632);
    assert.deepEqual([r.config.embedDim, r.config.depths, r.config.heads, r.config.patchSize, r.config.imageSize], [1024, [24], [16], 16, 224]);
    assert.ok(read <= h.length, `${read} bytes read, the header is ${h.length}`);
    console.log(`      inspected in ${ms.toFixed(0)} ms (cold, in-process), ${read} bytes read of ${statSync(file).size}`);
  });
});
