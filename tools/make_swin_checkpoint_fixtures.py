#!/usr/bin/env python3
"""Swin safetensors checkpoint fixtures for test/unit/checkpoint/swin.test.ts.

Run with Debian's torch/torchvision (/usr/bin/python3, no other package):

    /usr/bin/python3 tools/make_swin_checkpoint_fixtures.py

A tiny torchvision SwinTransformer with distinct random weights (bias tables included) is
key-renamed into the layouts users have:
  - Hugging Face SwinForImageClassification / SwinModel: `swin.` prefix, q/k/v split by rows,
    patch merging at the END of stage s (`swin.encoder.layers.{s}.downsample`), the saved
    relative_position_index buffer;
  - timm, current layout: patch merging at the START of stage s+1 (`layers.{s+1}.downsample`),
    no relative_position_index, `head.fc`;
  - timm, older layout: downsample at the end of the stage, relative_position_index and the
    shifted blocks' attn_mask buffers saved, `head`.
torchvision's `features` interleaves [patch embed, stage 1, merging, stage 2, merging, …].
The safetensors files are written by hand (8-byte LE header length, JSON header, raw LE bytes).
References come from the torch module itself: logits (or pooled features), the parameter count
as PyTorch counts it, and each block's relative position table, head-major.
"""
import json
import os
import struct

import torch
from torchvision.models.swin_transformer import SwinTransformer

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'checkpoints', 'swin')
MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]
DTYPES = {torch.float32: 'F32', torch.float16: 'F16', torch.bfloat16: 'BF16', torch.int64: 'I64'}


def write_safetensors(path, tensors):
    header = {'__metadata__': {'format': 'pt'}}
    blobs = []
    off = 0
    for name, t in tensors.items():
        t = t.detach().contiguous().cpu()
        # little-endian on this machine (checked below); numpy has no bfloat16: its raw 16 bits
        b = (t.view(torch.int16) if t.dtype == torch.bfloat16 else t).numpy().tobytes()
        header[name] = {'dtype': DTYPES[t.dtype], 'shape': list(t.shape), 'data_offsets': [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(',', ':')).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def randomize(model, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith('relative_position_bias_table'):
                p.copy_(torch.randn(p.shape, generator=g) * 0.5)
            elif p.dim() == 1 and ('norm' in name or name.startswith('features.0.2')) and name.endswith('weight'):
                p.copy_(1 + 0.2 * torch.randn(p.shape, generator=g))
            elif p.dim() == 1:
                p.copy_(0.1 * torch.randn(p.shape, generator=g))
            else:
                fan_in = p[0].numel()
                p.copy_(torch.randn(p.shape, generator=g) / fan_in ** 0.5)


def stage_blocks(sd, stage):
    """Block indices of a stage in torchvision's features list (features[2s+1])."""
    pre = f'features.{2 * stage + 1}.'
    return sorted({int(k[len(pre):].split('.')[0]) for k in sd if k.startswith(pre)})


def weight_bias(out, sd, dst, src):
    """out[dst.weight], out[dst.bias] = sd[src.weight], sd[src.bias]: one layer renamed, weight first."""
    out[dst + '.weight'] = sd[src + '.weight']
    out[dst + '.bias'] = sd[src + '.bias']


def hf_keys(sd, depths, prefix, head, v2=False):
    """torchvision's Swin → Hugging Face SwinForImageClassification (Swinv2… with `v2`): q/k/v split
    by rows, patch merging at the end of stage s. V2: k has no bias (torchvision zeroes that third
    of qkv.bias at run time), res-post-norm (layernorm_before is applied after the attention), the
    CPB MLP and logit scale instead of the bias table and index. Keys in the order HF saves them."""
    out = {}
    weight_bias(out, sd, f'{prefix}embeddings.patch_embeddings.projection', 'features.0.0')
    weight_bias(out, sd, f'{prefix}embeddings.norm', 'features.0.2')
    for s in range(len(depths)):
        for b in stage_blocks(sd, s):
            tv = f'features.{2 * s + 1}.{b}.'
            hf = f'{prefix}encoder.layers.{s}.blocks.{b}.'
            C = sd[tv + 'norm1.weight'].shape[0]
            norm_before = {hf + 'layernorm_before.weight': sd[tv + 'norm1.weight'], hf + 'layernorm_before.bias': sd[tv + 'norm1.bias']}
            if v2:
                out[hf + 'attention.self.logit_scale'] = sd[tv + 'attn.logit_scale']
                weight_bias(out, sd, hf + 'attention.self.continuous_position_bias_mlp.0', tv + 'attn.cpb_mlp.0')
                out[hf + 'attention.self.continuous_position_bias_mlp.2.weight'] = sd[tv + 'attn.cpb_mlp.2.weight']
            else:
                out.update(norm_before)
                out[hf + 'attention.self.relative_position_bias_table'] = sd[tv + 'attn.relative_position_bias_table']
                out[hf + 'attention.self.relative_position_index'] = sd[tv + 'attn.relative_position_index'].view(int(sd[tv + 'attn.relative_position_index'].numel() ** 0.5), -1)
            for i, n in enumerate(['query', 'key', 'value']):
                out[hf + f'attention.self.{n}.weight'] = sd[tv + 'attn.qkv.weight'][i * C:(i + 1) * C]
                if not (v2 and n == 'key'):
                    out[hf + f'attention.self.{n}.bias'] = sd[tv + 'attn.qkv.bias'][i * C:(i + 1) * C]
            weight_bias(out, sd, hf + 'attention.output.dense', tv + 'attn.proj')
            if v2:
                out.update(norm_before)
            weight_bias(out, sd, hf + 'layernorm_after', tv + 'norm2')
            weight_bias(out, sd, hf + 'intermediate.dense', tv + 'mlp.0')
            weight_bias(out, sd, hf + 'output.dense', tv + 'mlp.3')
        if s < len(depths) - 1:  # torchvision's merging after stage s is features[2s+2]: HF puts it at the end of stage s
            pm = f'features.{2 * s + 2}.'
            out[f'{prefix}encoder.layers.{s}.downsample.reduction.weight'] = sd[pm + 'reduction.weight']
            weight_bias(out, sd, f'{prefix}encoder.layers.{s}.downsample.norm', pm + 'norm')
    weight_bias(out, sd, f'{prefix}layernorm', 'norm')
    if head:
        weight_bias(out, sd, 'classifier', 'head')
    return out


def timm_keys(sd, depths, model, new_layout):
    out = {}
    weight_bias(out, sd, 'patch_embed.proj', 'features.0.0')
    weight_bias(out, sd, 'patch_embed.norm', 'features.0.2')
    for s in range(len(depths)):
        if new_layout and s > 0:  # timm now merges at the start of the next stage
            pm = f'features.{2 * s}.'
            weight_bias(out, sd, f'layers.{s}.downsample.norm', pm + 'norm')
            out[f'layers.{s}.downsample.reduction.weight'] = sd[pm + 'reduction.weight']
        for b in stage_blocks(sd, s):
            tv = f'features.{2 * s + 1}.{b}.'
            tm = f'layers.{s}.blocks.{b}.'
            weight_bias(out, sd, tm + 'norm1', tv + 'norm1')
            out[tm + 'attn.relative_position_bias_table'] = sd[tv + 'attn.relative_position_bias_table']
            if not new_layout:
                N = int(sd[tv + 'attn.relative_position_index'].numel() ** 0.5)
                out[tm + 'attn.relative_position_index'] = sd[tv + 'attn.relative_position_index'].view(N, N)
                blk = model.features[2 * s + 1][b]
                if blk.attn.shift_size[0] > 0:
                    out[tm + 'attn_mask'] = old_timm_mask(blk, s, model)
            weight_bias(out, sd, tm + 'attn.qkv', tv + 'attn.qkv')
            weight_bias(out, sd, tm + 'attn.proj', tv + 'attn.proj')
            weight_bias(out, sd, tm + 'norm2', tv + 'norm2')
            weight_bias(out, sd, tm + 'mlp.fc1', tv + 'mlp.0')
            weight_bias(out, sd, tm + 'mlp.fc2', tv + 'mlp.3')
        if not new_layout and s < len(depths) - 1:
            pm = f'features.{2 * s + 2}.'
            out[f'layers.{s}.downsample.reduction.weight'] = sd[pm + 'reduction.weight']
            weight_bias(out, sd, f'layers.{s}.downsample.norm', pm + 'norm')
    weight_bias(out, sd, 'norm', 'norm')
    out['head.fc.weight' if new_layout else 'head.weight'] = sd['head.weight']
    out['head.fc.bias' if new_layout else 'head.bias'] = sd['head.bias']
    return out


def old_timm_mask(blk, s, model):
    """The [nW, N, N] attn_mask buffer old timm saved for a shifted block (0 / −100), as torchvision computes it."""
    M = blk.attn.window_size[0]
    sh = blk.attn.shift_size[0]
    H = W = model._fixture_grid // (2 ** s)
    img = torch.zeros(H, W)
    cnt = 0
    for h in ((0, -M), (-M, -sh), (-sh, None)):
        for w in ((0, -M), (-M, -sh), (-sh, None)):
            img[h[0]:h[1], w[0]:w[1]] = cnt
            cnt += 1
    win = img.view(H // M, M, W // M, M).permute(0, 2, 1, 3).reshape(-1, M * M)
    mask = win.unsqueeze(1) - win.unsqueeze(2)
    return mask.masked_fill(mask != 0, -100.0).masked_fill(mask == 0, 0.0)


def hf_v2_keys(sd, depths, prefix='swinv2.', head=True):
    """torchvision's Swin V2 → Hugging Face Swinv2ForImageClassification (see hf_keys)."""
    return hf_keys(sd, depths, prefix, head, v2=True)


def v2_tables(model, depths):
    """Swin V2's table: 16·sigmoid(cpb_mlp(relative_coords_table)) [(2M−1)², heads], head-major."""
    out = []
    with torch.no_grad():
        for s in range(len(depths)):
            for b, blk in enumerate(model.features[2 * s + 1]):
                a = blk.attn
                t = 16 * torch.sigmoid(a.cpb_mlp(a.relative_coords_table).view(-1, a.num_heads))
                out.append({'name': f'stage{s + 1}.block{b}', 'table': t.t().contiguous().view(-1).tolist()})
    return out


def rel_tables(model, depths):
    out = []
    for s in range(len(depths)):
        for b, blk in enumerate(model.features[2 * s + 1]):
            t = blk.attn.relative_position_bias_table.detach()  # [(2M−1)², heads]
            out.append({'name': f'stage{s + 1}.block{b}', 'table': t.t().contiguous().view(-1).tolist()})
    return out


def attention_maps(model, x):
    """Every block's attention probabilities [B·nW, heads, N, N], in block order: torchvision's
    shifted_window_attention calls F.softmax once per block, so that call is recorded."""
    import torchvision.models.swin_transformer as tv
    maps = []
    real = tv.F.softmax

    def record(t, *a, **k):
        out = real(t, *a, **k)
        maps.append(out.detach().reshape(-1).tolist())
        return out
    tv.F.softmax = record
    try:
        with torch.no_grad():
            model(x)
    finally:
        tv.F.softmax = real
    return maps


def pooled(model, x):
    f = model.norm(model.features(x))
    return torch.flatten(model.avgpool(f.permute(0, 3, 1, 2)), 1)


def hf_config(arch, image, patch, embed, depths, heads, window, labels):
    return {
        'architectures': [arch],
        'model_type': 'swin',
        'image_size': image,
        'patch_size': patch,
        'num_channels': 3,
        'embed_dim': embed,
        'depths': depths,
        'num_heads': heads,
        'window_size': window,
        'mlp_ratio': 4.0,
        'qkv_bias': True,
        'hidden_act': 'gelu',
        'hidden_dropout_prob': 0.0,
        'attention_probs_dropout_prob': 0.0,
        'drop_path_rate': 0.0,
        'use_absolute_embeddings': False,
        'layer_norm_eps': 1e-5,
        'initializer_range': 0.02,
        'encoder_stride': 32,
        **({'id2label': {str(i): f'class{i}' for i in range(labels)}, 'label2id': {f'class{i}': i for i in range(labels)}} if labels else {}),
    }


def preprocessor(image):
    return {
        'do_normalize': True, 'do_rescale': True, 'do_resize': True, 'image_mean': MEAN, 'image_std': STD,
        'image_processor_type': 'ViTImageProcessor', 'resample': 3, 'rescale_factor': 1 / 255,
        'size': {'height': image, 'width': image},
    }


def timm_config(image, patch, embed, depths, heads, window, classes):
    return {
        'architecture': 'swin_tiny_patch4_window7_224',
        'num_classes': classes,
        'num_features': embed * 2 ** (len(depths) - 1),
        'global_pool': 'avg',
        'model_args': {'img_size': image, 'patch_size': patch, 'embed_dim': embed, 'depths': depths, 'num_heads': heads, 'window_size': window},
        'pretrained_cfg': {
            'tag': 'fixture', 'input_size': [3, image, image], 'interpolation': 'bicubic', 'mean': MEAN, 'std': STD,
            'crop_pct': 0.9, 'crop_mode': 'center', 'num_classes': classes, 'first_conv': 'patch_embed.proj', 'classifier': 'head.fc',
        },
        'label_names': [f'class{i}' for i in range(classes)],
    }


def short(v):
    """Floats with 9 significant digits: every float32 round-trips, the JSON is ~40% smaller."""
    if isinstance(v, float):
        return float(f'{v:.9g}')
    if isinstance(v, list):
        return [short(x) for x in v]
    if isinstance(v, dict):
        return {k: short(x) for k, x in v.items()}
    return v


def torchvision_slots(model, depths):
    """Per block, the stage token (row-major) each window slot holds, −1 for padding: torchvision's
    shifted_window_attention (F.pad, shift 0 when the window covers the padded map, torch.roll,
    partition) applied to the token indices. Hugging Face's SwinLayer does the same."""
    import torch.nn.functional as F
    out = []
    H = model._fixture_grid
    for s in range(len(depths)):
        if s:
            H = -(-H // 2)
        for blk in model.features[2 * s + 1]:
            M = blk.attn.window_size[0]
            sh = blk.attn.shift_size[0]
            idx = torch.arange(H * H, dtype=torch.float32).view(1, H, H, 1)
            p = (M - H % M) % M
            idx = F.pad(idx, (0, 0, 0, p, 0, p), value=-1.0)
            Hp = H + p
            if M >= Hp:
                sh = 0
            if sh:
                idx = torch.roll(idx, shifts=(-sh, -sh), dims=(1, 2))
            out.append(idx.view(1, Hp // M, M, Hp // M, M, 1).permute(0, 1, 3, 2, 4, 5).reshape(-1).long().tolist())
    return out


def image_reference(model, name, size, seed):
    """A size×size PNG of seeded random pixels beside the checkpoint (image.png), and torch's logits
    and attention for it. At the model's own size the configs here neither resize nor crop it, so
    the input is (px/255 − mean)/std, what the inference process computes from the file."""
    from PIL import Image
    px = torch.randint(0, 256, (size, size, 3), generator=torch.Generator().manual_seed(seed), dtype=torch.uint8)
    Image.fromarray(px.numpy(), 'RGB').save(os.path.join(ROOT, name, 'image.png'))
    x = ((px.double() / 255 - torch.tensor(MEAN, dtype=torch.float64)) / torch.tensor(STD, dtype=torch.float64)).float().permute(2, 0, 1).unsqueeze(0)
    with torch.no_grad():
        logits = model(x)[0].tolist()
    return {'file': 'image.png', 'logits': logits, 'attention': attention_maps(model, x)}


def save(name, tensors, config, ref, pre=None):
    d = os.path.join(ROOT, name)
    os.makedirs(d, exist_ok=True)
    write_safetensors(os.path.join(d, 'model.safetensors'), tensors)
    with open(os.path.join(d, 'config.json'), 'w') as f:
        json.dump(config, f, indent=1)
    if pre:
        with open(os.path.join(d, 'preprocessor_config.json'), 'w') as f:
            json.dump(pre, f, indent=1)
    with open(os.path.join(d, 'reference.json'), 'w') as f:
        json.dump(short(ref), f)
    print(name, os.path.getsize(os.path.join(d, 'model.safetensors')), 'bytes')


def main():
    assert struct.pack('=I', 1) == struct.pack('<I', 1), 'little-endian machine needed'
    torch.manual_seed(0)
    # A: grids 16 → 8, windows of 4 divide them: W-MSA / SW-MSA in both stages.
    # B: 14 → 7 → 4 with windows of 4: padding to 16 and 8 (plus the merge of an odd map), then a
    #    stage whose map equals the window (no shift).
    specs = [
        ('A', dict(image=32, patch=2, embed=16, depths=[2, 2], heads=[2, 4], window=4, classes=10), 1),
        ('B', dict(image=28, patch=2, embed=8, depths=[2, 2, 2], heads=[2, 2, 4], window=4, classes=5), 2),
    ]
    for tag, c, seed in specs:
        model = SwinTransformer(patch_size=[c['patch']] * 2, embed_dim=c['embed'], depths=c['depths'], num_heads=c['heads'],
                                window_size=[c['window']] * 2, num_classes=c['classes']).eval()
        assert model.features[0][2].eps == 1e-5
        model._fixture_grid = c['image'] // c['patch']
        randomize(model, seed)
        g = torch.Generator().manual_seed(100 + seed)
        x = torch.randn(1, 3, c['image'], c['image'], generator=g)
        with torch.no_grad():
            logits = model(x)[0].tolist()
            feats = pooled(model, x)[0].tolist()
        params = sum(p.numel() for p in model.parameters())
        sd = model.state_dict()
        tables = rel_tables(model, c['depths'])
        base_ref = {'input': x.view(-1).tolist(), 'inputShape': list(x.shape), 'params': params, 'relpos': tables,
                    'config': {k: c[k] for k in ('image', 'patch', 'embed', 'depths', 'heads', 'window')},
                    'torch': torch.__version__}
        hf_cfg = hf_config('SwinForImageClassification', c['image'], c['patch'], c['embed'], c['depths'], c['heads'], c['window'], c['classes'])
        hf_ref = {**base_ref, 'logits': logits, 'attention': attention_maps(model, x)}
        if tag == 'B':
            hf_ref['slots'] = torchvision_slots(model, c['depths'])
        save(f'hf_{tag}', hf_keys(sd, c['depths'], 'swin.', True), hf_cfg, hf_ref, preprocessor(c['image']))
        if tag == 'B':  # the padded maps through the inference process, from an image file
            os.makedirs(os.path.join(ROOT, 'hf_B'), exist_ok=True)
            hf_ref['image'] = image_reference(model, 'hf_B', c['image'], 202)
            save('hf_B', hf_keys(sd, c['depths'], 'swin.', True), hf_cfg, hf_ref, preprocessor(c['image']))
        if tag != 'A':
            continue
        head_params = sd['head.weight'].numel() + sd['head.bias'].numel()
        base_cfg = hf_config('SwinModel', c['image'], c['patch'], c['embed'], c['depths'], c['heads'], c['window'], 0)
        save('hf_A_base', hf_keys(sd, c['depths'], '', False), base_cfg, {**base_ref, 'params': params - head_params, 'pooled': feats}, preprocessor(c['image']))
        # fp16: the weights rounded to half; the reference runs the rounded weights in float32.
        half = {k: (v.half() if v.is_floating_point() else v) for k, v in hf_keys(sd, c['depths'], 'swin.', True).items()}
        m16 = SwinTransformer(patch_size=[c['patch']] * 2, embed_dim=c['embed'], depths=c['depths'], num_heads=c['heads'],
                              window_size=[c['window']] * 2, num_classes=c['classes']).eval()
        m16.load_state_dict({k: (v.half().float() if v.is_floating_point() else v) for k, v in sd.items()})
        with torch.no_grad():
            logits16 = m16(x)[0].tolist()
        save('hf_A_fp16', half, hf_cfg, {**base_ref, 'logits': logits16, 'relpos': rel_tables(m16, c['depths'])}, preprocessor(c['image']))
        # bf16, older timm layout (its attn_mask buffers in bf16 too): reference on the rounded weights in float32.
        mbf = SwinTransformer(patch_size=[c['patch']] * 2, embed_dim=c['embed'], depths=c['depths'], num_heads=c['heads'],
                              window_size=[c['window']] * 2, num_classes=c['classes']).eval()
        mbf.load_state_dict({k: (v.bfloat16().float() if v.is_floating_point() else v) for k, v in sd.items()})
        mbf._fixture_grid = model._fixture_grid
        with torch.no_grad():
            logits_bf = mbf(x)[0].tolist()
        tcfg_bf = timm_config(c['image'], c['patch'], c['embed'], c['depths'], c['heads'], c['window'], c['classes'])
        save('timm_A_old_bf16', {k: (v.bfloat16() if v.is_floating_point() else v) for k, v in timm_keys(sd, c['depths'], model, False).items()}, tcfg_bf,
             {**base_ref, 'logits': logits_bf, 'relpos': rel_tables(mbf, c['depths'])})
        tcfg = timm_config(c['image'], c['patch'], c['embed'], c['depths'], c['heads'], c['window'], c['classes'])
        save('timm_A', timm_keys(sd, c['depths'], model, True), tcfg, {**base_ref, 'logits': logits})
        save('timm_A_old', timm_keys(sd, c['depths'], model, False), tcfg, {**base_ref, 'logits': logits})
        # Swin V2 (torchvision's SwinTransformerBlockV2 / PatchMergingV2) → Hugging Face Swinv2.
        from torchvision.models.swin_transformer import PatchMergingV2, SwinTransformerBlockV2
        v2 = SwinTransformer(patch_size=[c['patch']] * 2, embed_dim=c['embed'], depths=c['depths'], num_heads=c['heads'],
                             window_size=[c['window']] * 2, num_classes=c['classes'], block=SwinTransformerBlockV2,
                             downsample_layer=PatchMergingV2).eval()
        randomize(v2, 7)
        with torch.no_grad():
            for blk in [b for s in range(len(c['depths'])) for b in v2.features[2 * s + 1]]:
                blk.attn.logit_scale.copy_(torch.log(10 * torch.ones_like(blk.attn.logit_scale)) + 0.3 * torch.randn(blk.attn.logit_scale.shape, generator=g))
                blk.attn.cpb_mlp[2].weight.mul_(8)  # a bias that varies across offsets
            v2_logits = v2(x)[0].tolist()
        # PyTorch's count for the Hugging Face model: torchvision's, less the key third of each qkv.bias (HF's key has no bias).
        v2_params = sum(p.numel() for p in v2.parameters()) - sum(b.attn.qkv.bias.numel() // 3 for s in range(len(c['depths'])) for b in v2.features[2 * s + 1])
        v2cfg = {**hf_cfg, 'architectures': ['Swinv2ForImageClassification'], 'model_type': 'swinv2', 'pretrained_window_sizes': [0] * len(c['depths'])}
        save('hf_v2_A', hf_v2_keys(v2.state_dict(), c['depths']), v2cfg,
             {**base_ref, 'logits': v2_logits, 'params': v2_params, 'relpos': v2_tables(v2, c['depths'])}, preprocessor(c['image']))
        with torch.no_grad():
            v2_feats = pooled(v2, x)[0].tolist()
        v2_head = v2.head.weight.numel() + v2.head.bias.numel()
        v2_base_cfg = {k: v for k, v in v2cfg.items() if k not in ('id2label', 'label2id')}
        save('hf_v2_A_base', hf_v2_keys(v2.state_dict(), c['depths'], '', False), {**v2_base_cfg, 'architectures': ['Swinv2Model']},
             {**base_ref, 'pooled': v2_feats, 'params': v2_params - v2_head, 'relpos': v2_tables(v2, c['depths'])}, preprocessor(c['image']))
        # pretrained_window_sizes > 0 (HF's window12to16-style fine-tunes): coordinates normalised by the pretrained window − 1.
        pw = 6
        with torch.no_grad():
            for blk in [b for s in range(len(c['depths'])) for b in v2.features[2 * s + 1]]:
                M = blk.attn.window_size[0]
                d = torch.arange(-(M - 1), M, dtype=torch.float32)
                t = torch.stack(torch.meshgrid([d, d], indexing='ij')).permute(1, 2, 0).contiguous().unsqueeze(0) / (pw - 1) * 8
                blk.attn.relative_coords_table.copy_(torch.sign(t) * torch.log2(torch.abs(t) + 1.0) / 3.0)
            pw_logits = v2(x)[0].tolist()
        save('hf_v2_A_pw', hf_v2_keys(v2.state_dict(), c['depths']), {**v2cfg, 'pretrained_window_sizes': [pw] * len(c['depths'])},
             {**base_ref, 'logits': pw_logits, 'params': v2_params, 'relpos': v2_tables(v2, c['depths'])}, preprocessor(c['image']))


def timm_clamped():
    """timm shrinks the window to a map smaller than it (and its table to (2r−1)²), where torchvision
    would pad: the reference is torchvision's model with the last stage's attention rebuilt with a
    4×4 window on its 4×4 map (one window, no shift), which is what timm computes."""
    from torchvision.models.swin_transformer import ShiftedWindowAttention
    c = dict(image=32, patch=2, embed=8, depths=[2, 2, 2], heads=[2, 2, 4], window=8, classes=4)
    model = SwinTransformer(patch_size=[2, 2], embed_dim=8, depths=c['depths'], num_heads=c['heads'], window_size=[8, 8], num_classes=4).eval()
    for blk in model.features[5]:
        blk.attn = ShiftedWindowAttention(32, [4, 4], [0, 0], 4)
    model._fixture_grid = 16
    randomize(model, 3)
    x = torch.randn(1, 3, 32, 32, generator=torch.Generator().manual_seed(103))
    with torch.no_grad():
        logits = model(x)[0].tolist()
    ref = {'input': x.view(-1).tolist(), 'inputShape': list(x.shape), 'params': sum(p.numel() for p in model.parameters()),
           'relpos': rel_tables(model, c['depths']), 'logits': logits,
           'config': {k: c[k] for k in ('image', 'patch', 'embed', 'depths', 'heads', 'window')}, 'torch': torch.__version__}
    cfg = timm_config(32, 2, 8, c['depths'], c['heads'], 8, 4)
    save('timm_C_clamped', timm_keys(model.state_dict(), c['depths'], model, True), cfg, ref)


def timm_block_attention(attn, window, shift, mask_res, slots=None):
    """timm 1.0's SwinTransformerBlock._attn + WindowAttention.forward on a torchvision
    ShiftedWindowAttention's weights. Where torchvision and Hugging Face pad the map and then roll
    it, timm rolls the unpadded H×W map and pads after; its mask is get_attn_mask's, built for the
    block's input_resolution (floor(grid / 2^s)) rounded up to whole windows."""
    import torch.nn.functional as F
    import torchvision.models.swin_transformer as tv
    M, s = window, shift
    mask = None
    if s:
        Hm = -(-mask_res // M) * M
        img = torch.zeros(1, Hm, Hm, 1)
        cnt = 0
        for h in ((0, -M), (-M, -s), (-s, None)):
            for w in ((0, -M), (-M, -s), (-s, None)):
                img[:, h[0]:h[1], w[0]:w[1], :] = cnt
                cnt += 1
        win = img.view(1, Hm // M, M, Hm // M, M, 1).permute(0, 1, 3, 2, 4, 5).reshape(-1, M * M)
        mask = win.unsqueeze(1) - win.unsqueeze(2)
        mask = mask.masked_fill(mask != 0, -100.0).masked_fill(mask == 0, 0.0)

    def forward(x):
        B, H, W, C = x.shape
        shifted = torch.roll(x, shifts=(-s, -s), dims=(1, 2)) if s else x
        pad_h = (M - H % M) % M
        pad_w = (M - W % M) % M
        shifted = F.pad(shifted, (0, 0, 0, pad_w, 0, pad_h))
        _, Hp, Wp, _ = shifted.shape
        xw = shifted.view(B, Hp // M, M, Wp // M, M, C).permute(0, 1, 3, 2, 4, 5).reshape(-1, M * M, C)
        B_, N, _ = xw.shape
        if slots is not None:
            # The same roll, pad and partition applied to the token indices: which token each window slot holds (−1: padding).
            idx = torch.arange(H * W, dtype=torch.float32).view(1, H, W, 1)
            idx = torch.roll(idx, shifts=(-s, -s), dims=(1, 2)) if s else idx
            idx = F.pad(idx, (0, 0, 0, pad_w, 0, pad_h), value=-1.0)
            slots.append(idx.view(1, Hp // M, M, Wp // M, M, 1).permute(0, 1, 3, 2, 4, 5).reshape(-1).long().tolist())
        heads = attn.num_heads
        qkv = attn.qkv(xw).reshape(B_, N, 3, heads, -1).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        q = q * (C // heads) ** -0.5
        a = q @ k.transpose(-2, -1) + attn.get_relative_position_bias()
        if mask is not None:
            nw = mask.shape[0]
            assert nw == (Hp // M) * (Wp // M), 'timm itself fails here: its static mask is for another number of windows'
            a = a.view(B_ // nw, nw, heads, N, N) + mask.unsqueeze(1).unsqueeze(0)
            a = a.view(-1, heads, N, N)
        a = tv.F.softmax(a, dim=-1)  # tv.F.softmax: attention_maps records it
        y = attn.proj((a @ v).transpose(1, 2).reshape(B_, N, -1))
        y = y.view(B, Hp // M, Wp // M, M, M, C).permute(0, 1, 3, 2, 4, 5).reshape(B, Hp, Wp, C)
        y = y[:, :H, :W, :].contiguous()
        return torch.roll(y, shifts=(s, s), dims=(1, 2)) if s else y
    return forward


def timm_padded():
    """timm's Swin on maps that are not whole windows (timm 1.0, strict_img_size): a 28² image in
    patches of 2 gives maps 14, 7 and 4 (patch merging pads the odd 7), windows of 4. timm decides
    each stage's window and shift from input_resolution = grid // 2^s = 14, 7, 3, so stage 3 takes a
    3×3 window (table 5² = 25 rows) and no shift, and runs it on the real 4×4 map padded to 6×6.
    Stages 1 and 2 pad 14 → 16 and 7 → 8 after the cyclic shift. The reference is torchvision's
    module with each block's attention computed as timm computes it (timm_block_attention)."""
    from torchvision.models.swin_transformer import ShiftedWindowAttention
    c = dict(image=28, patch=2, embed=8, depths=[2, 2, 2], heads=[2, 2, 4], window=4, classes=5)
    model = SwinTransformer(patch_size=[2, 2], embed_dim=8, depths=c['depths'], num_heads=c['heads'], window_size=[4, 4], num_classes=5).eval()
    grid = c['image'] // c['patch']
    plan = []
    for s in range(len(c['depths'])):
        f = grid // 2 ** s  # timm's input_resolution of the stage
        for b, blk in enumerate(model.features[2 * s + 1]):
            window = f if f <= c['window'] else c['window']
            shift = 0 if f <= window or b % 2 == 0 else c['window'] // 2
            if window != c['window']:
                blk.attn = ShiftedWindowAttention(blk.attn.qkv.in_features, [window, window], [0, 0], c['heads'][s])
            plan.append((blk, window, shift, f))
    randomize(model, 4)
    slots = []
    for blk, window, shift, f in plan:
        blk.attn.forward = timm_block_attention(blk.attn, window, shift, f, slots)
    model._fixture_grid = grid
    x = torch.randn(1, 3, 28, 28, generator=torch.Generator().manual_seed(104))
    with torch.no_grad():
        logits = model(x)[0].tolist()
    block_slots = list(slots)  # one forward's worth, in block order
    ref = {'input': x.view(-1).tolist(), 'inputShape': list(x.shape), 'params': sum(p.numel() for p in model.parameters()),
           'relpos': rel_tables(model, c['depths']), 'logits': logits, 'attention': attention_maps(model, x),
           'windows': [w for _, w, _, _ in plan], 'shifts': [sh for _, _, sh, _ in plan], 'slots': block_slots,
           'config': {k: c[k] for k in ('image', 'patch', 'embed', 'depths', 'heads', 'window')}, 'torch': torch.__version__}
    cfg = timm_config(28, 2, 8, c['depths'], c['heads'], 4, 5)
    cfg['pretrained_cfg']['crop_pct'] = 1.0  # resize to 28 // 1.0 and crop 28: image.png is used as it is
    save('timm_B_padded', timm_keys(model.state_dict(), c['depths'], model, True), cfg, ref)
    ref['image'] = image_reference(model, 'timm_B_padded', 28, 204)
    save('timm_B_padded', timm_keys(model.state_dict(), c['depths'], model, True), cfg, ref)


if __name__ == '__main__':
    main()
    timm_clamped()
    timm_padded()
