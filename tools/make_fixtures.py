#!/usr/bin/python3
"""Make the ONNX test fixtures and their PyTorch reference data.

  /usr/bin/python3 tools/make_fixtures.py              # everything
  /usr/bin/python3 tools/make_fixtures.py --only tiny  # subsets: structure, deit, dynamic, tiny, masks

Needs Debian's python3-torch, python3-torchvision, python3-onnx, python3-pil, python3-numpy.
Deterministic: fixed seeds; re-running re-creates the same files (the ONNX bytes depend
on the torch/onnx versions).

Outputs (see tools/README.md):
  test/fixtures/models/<name>.onnx            structure-only exports (weights' external data deleted)
  test/fixtures/models/<name>.expected.json   family, exact PyTorch param count, config, opset
  test/fixtures/models/tiny_vit.onnx, tiny_swin.onnx, tiny_deit.onnx, dynamic_vit.onnx  complete models
  test/fixtures/models/<tiny>.json            preprocessing sidecars; labels.txt
  test/fixtures/images/*.png                  32x32 RGB fixture images
  test/fixtures/reference/<tiny>.json         input tensors, logits, attention, rollout from PyTorch
  test/fixtures/reference/swin_masks.json     shifted-window masks, region ids, partition mapping, rel-pos index
"""
import argparse
import json
import math
import os
import shutil
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(ROOT, "test", "fixtures")
MODELS = os.path.join(FIX, "models")
IMAGES = os.path.join(FIX, "images")
REF = os.path.join(FIX, "reference")
TMP = os.path.join(ROOT, "tools", ".work", "tmp")

IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]
TINY_LABELS = ["airplane", "automobile", "bird", "cat", "deer",
               "dog", "frog", "horse", "ship", "truck"]


# --------------------------------------------------------------------------- helpers

def f32list(t):
    """Tensor -> nested lists of floats printed with 9 significant digits (round-trips float32)."""
    a = np.asarray(t.detach().cpu().numpy() if torch.is_tensor(t) else t, dtype=np.float32)

    def conv(x):
        if x.ndim == 0:
            return float(f"{float(x):.9g}")
        return [conv(v) for v in x]
    return conv(a)


def dump_json(path, obj, compact=True):
    with open(path, "w") as f:
        if compact:
            json.dump(obj, f, separators=(",", ":"))
        else:
            json.dump(obj, f, indent=1)
        f.write("\n")


@torch.no_grad()
def randomize(model, seed, weight_scale=0.02, tiny=False):
    """Give every parameter (and BatchNorm running stats) distinct random values so the
    exporter cannot merge equal initializers. Deterministic per seed."""
    g = torch.Generator().manual_seed(seed)
    for name, p in model.named_parameters():
        r = torch.randn(p.shape, generator=g)
        leaf = name.rsplit(".", 1)[-1]
        if tiny:
            if p.ndim >= 2 and "token" not in name and "pos" not in name \
                    and "relative_position_bias_table" not in name:
                fan_in = p[0].numel()
                p.copy_(r * (1.6 / math.sqrt(fan_in)))
            elif "relative_position_bias_table" in name or "pos" in name or "token" in name:
                p.copy_(r * 0.5)
            elif leaf == "weight":  # norm scale
                p.copy_(1.0 + 0.1 * r)
            else:  # biases
                p.copy_(0.1 * r)
        else:
            if p.ndim >= 2 or "token" in name or "pos" in name or "relative_position_bias_table" in name:
                p.copy_(r * weight_scale)
            elif leaf == "weight":
                p.copy_(1.0 + 0.02 * r)
            else:
                p.copy_(0.02 * r)
    for name, b in model.named_buffers():
        if name.endswith("running_mean"):
            b.copy_(0.02 * torch.randn(b.shape, generator=g))
        elif name.endswith("running_var"):
            b.copy_(1.0 + 0.1 * torch.rand(b.shape, generator=g))


def swin_blocks(model, block_type):
    """(stage, index in the stage, block) for every block of `block_type` in a torchvision Swin, in
    order; stages count from 1 over the `features` entries that hold blocks."""
    stage = 0
    for feat in model.features:
        blocks = [m for m in feat.modules() if isinstance(m, block_type)]
        if not blocks:
            continue
        stage += 1
        for k, b in enumerate(blocks):
            yield stage, k, b


def count_params(model):
    return int(sum(p.numel() for p in model.parameters()))


def export(model, path, opset, input_shape=(1, 3, 224, 224), dynamic_axes=None, seed=0):
    model.eval()
    torch.manual_seed(seed)
    x = torch.randn(*input_shape)
    # Run with grad enabled: torch 1.13's MultiheadAttention takes its C++ fast path
    # under no_grad, which the ONNX exporter cannot handle.
    with torch.enable_grad():
        torch.onnx.export(model, x, path, opset_version=opset, input_names=["input"],
                          output_names=["logits"], do_constant_folding=True,
                          dynamic_axes=dynamic_axes)


def strip_weights(full_path, out_path, name):
    """Re-save with all tensors >= 1 KiB as external data, then delete the data file."""
    import onnx
    m = onnx.load(full_path)
    loc = name + ".onnx.data"
    data_path = os.path.join(os.path.dirname(out_path), loc)
    if os.path.exists(data_path):
        os.remove(data_path)
    onnx.save_model(m, out_path, save_as_external_data=True, all_tensors_to_one_file=True,
                    location=loc, size_threshold=1024)
    data_size = os.path.getsize(data_path)
    os.remove(data_path)
    return m, data_size


def opset_of(m):
    for o in m.opset_import:
        if o.domain in ("", "ai.onnx"):
            return int(o.version)
    return None


def op_counts(m):
    c = {}
    for n in m.graph.node:
        c[n.op_type] = c.get(n.op_type, 0) + 1
    return c


# --------------------------------------------------------------------------- timm-style ViT / DeiT

class PatchEmbed(nn.Module):
    def __init__(self, patch, dim):
        super().__init__()
        self.proj = nn.Conv2d(3, dim, patch, patch)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)


class Attention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.scale = (dim // heads) ** -0.5
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        B, N, C = x.shape
        qkv = self.qkv(x).reshape(B, N, 3, self.heads, C // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = (q @ k.transpose(-2, -1)) * self.scale
        attn = attn.softmax(dim=-1)
        x = (attn @ v).transpose(1, 2).reshape(B, N, C)
        return self.proj(x)


class Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class Block(nn.Module):
    def __init__(self, dim, heads, mlp_ratio):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class TimmViT(nn.Module):
    """timm VisionTransformer / DistilledVisionTransformer (DeiT) layout, names as in timm."""

    def __init__(self, img=224, patch=16, dim=384, depth=12, heads=6, mlp_ratio=4.0,
                 num_classes=1000, distilled=True):
        super().__init__()
        self.distilled = distilled
        self.patch_embed = PatchEmbed(patch, dim)
        n = (img // patch) ** 2
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.dist_token = nn.Parameter(torch.zeros(1, 1, dim)) if distilled else None
        self.pos_embed = nn.Parameter(torch.zeros(1, n + (2 if distilled else 1), dim))
        self.blocks = nn.Sequential(*[Block(dim, heads, mlp_ratio) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.head = nn.Linear(dim, num_classes)
        self.head_dist = nn.Linear(dim, num_classes) if distilled else None

    def forward(self, x):
        x = self.patch_embed(x)
        B = x.shape[0]
        toks = [self.cls_token.expand(B, -1, -1)]
        if self.distilled:
            toks.append(self.dist_token.expand(B, -1, -1))
        x = torch.cat(toks + [x], dim=1) + self.pos_embed
        x = self.blocks(x)
        x = self.norm(x)
        if self.distilled:
            return (self.head(x[:, 0]) + self.head_dist(x[:, 1])) / 2
        return self.head(x[:, 0])


# --------------------------------------------------------------------------- structure-only

def vit_config(patch, dim, depth, heads, extra_tokens=1):
    """The expected config of an ImageNet ViT at 224² (one stage of `depth` blocks, MLP ratio 4)."""
    return dict(imageSize=224, patchSize=patch, embedDim=dim, depths=[depth], heads=[heads], windowSize=None,
                shiftSize=None, extraTokens=extra_tokens, numClasses=1000, mlpRatio=4.0)


def swin_config(dim, depths, heads):
    """The expected config of an ImageNet Swin at 224² (patch 4, window 7, shift 3, MLP ratio 4)."""
    return dict(imageSize=224, patchSize=4, embedDim=dim, depths=depths, heads=heads, windowSize=7,
                shiftSize=3, extraTokens=0, numClasses=1000, mlpRatio=4.0)


def structure_models():
    import torchvision.models as tvm
    return [
        # name, ctor, family, opset, config
        ("vit_b_16", lambda: tvm.vit_b_16(), "vit", 17, vit_config(16, 768, 12, 12)),
        ("vit_b_32", lambda: tvm.vit_b_32(), "vit", 17, vit_config(32, 768, 12, 12)),
        ("vit_l_16", lambda: tvm.vit_l_16(), "vit", 17, vit_config(16, 1024, 24, 16)),
        ("swin_t", lambda: tvm.swin_t(), "swin", 17, swin_config(96, [2, 2, 6, 2], [3, 6, 12, 24])),
        ("swin_t_opset13", lambda: tvm.swin_t(), "swin", 13, swin_config(96, [2, 2, 6, 2], [3, 6, 12, 24])),
        ("swin_s", lambda: tvm.swin_s(), "swin", 17, swin_config(96, [2, 2, 18, 2], [3, 6, 12, 24])),
        ("swin_b", lambda: tvm.swin_b(), "swin", 17, swin_config(128, [2, 2, 18, 2], [4, 8, 16, 32])),
        ("resnet18", lambda: tvm.resnet18(), "other", 17,
         dict(imageSize=224, patchSize=None, embedDim=None, depths=None, heads=None, windowSize=None,
              shiftSize=None, extraTokens=0, numClasses=1000, mlpRatio=None)),
        ("deit_s_distilled", lambda: TimmViT(224, 16, 384, 12, 6, 4.0, 1000, True), "vit", 17,
         vit_config(16, 384, 12, 6, extra_tokens=2)),
    ]


def make_structure(only_names=None):
    import onnx
    os.makedirs(MODELS, exist_ok=True)
    os.makedirs(TMP, exist_ok=True)
    summary = []
    for i, (name, ctor, family, opset, config) in enumerate(structure_models()):
        if only_names and name not in only_names:
            continue
        t0 = time.time()
        torch.manual_seed(1234 + i)
        model = ctor().eval()
        randomize(model, seed=1000 + i)
        params = count_params(model)
        full = os.path.join(TMP, name + ".full.onnx")
        out = os.path.join(MODELS, name + ".onnx")
        export(model, full, opset)
        m, data_size = strip_weights(full, out, name)
        os.remove(full)
        exp = {
            "model": name + ".onnx",
            "source": ("timm-style DeiT-Small distilled (written in plain torch, timm names)"
                       if name.startswith("deit") else f"torchvision.models.{name.replace('_opset13', '')}()"),
            "family": family,
            "params": params,
            "config": config,
            "opset": opset_of(m),
            "input": {"name": "input", "shape": [1, 3, 224, 224]},
            "output": {"name": "logits", "shape": [1, 1000]},
            "structureOnly": True,
            "externalData": {"location": name + ".onnx.data", "present": False, "bytes": data_size},
            "numNodes": len(m.graph.node),
            "numInitializers": len(m.graph.initializer),
            "softmaxCount": op_counts(m).get("Softmax", 0),
        }
        dump_json(os.path.join(MODELS, name + ".expected.json"), exp, compact=False)
        annotate(name)
        sz = os.path.getsize(out)
        summary.append((name, params, sz))
        print(f"{name}: params {params} onnx {sz / 1e6:.2f} MB (data {data_size / 1e6:.0f} MB deleted) "
              f"nodes {len(m.graph.node)} softmax {exp['softmaxCount']} {time.time() - t0:.0f}s", flush=True)
        del model, m
    return summary


def annotate(name):
    """Add to <name>.expected.json what the export did to the parameters."""
    import onnx
    p = os.path.join(MODELS, name + ".expected.json")
    exp = json.load(open(p))
    m = onnx.load(os.path.join(MODELS, name + ".onnx"), load_external_data=False)
    n_float = sum(int(np.prod(i.dims)) for i in m.graph.initializer if i.data_type == 1)
    exp["initializerFloatElements"] = n_float
    notes = []
    cfg = exp["config"]
    if exp["family"] == "swin":
        M = cfg["windowSize"]
        heads = sum(d * h for d, h in zip(cfg["depths"], cfg["heads"]))
        folded = heads * (M ** 4 - (2 * M - 1) ** 2)
        notes.append(f"relative_position_bias_table[(2M-1)^2, heads] gathered and folded by the exporter into a "
                     f"[1, heads, M^2, M^2] initializer per block: +{folded} elements "
                     f"(params {exp['params']} + {folded} = {exp['params'] + folded})")
    if name.startswith("resnet"):
        notes.append("BatchNorm folded into the preceding Conv (weight+bias per channel -> one Conv bias per channel)")
    exp["exportNotes"] = notes
    dump_json(p, exp, compact=False)


# --------------------------------------------------------------------------- tiny complete models

def fixture_images():
    """Three deterministic 32x32 RGB images (uint8 HWC)."""
    yy, xx = np.mgrid[0:32, 0:32]
    a = np.stack([xx * 8, yy * 8, np.full_like(xx, 128)], -1)
    b = np.zeros((32, 32, 3), np.int64)
    chk = ((yy // 4 + xx // 4) % 2).astype(bool)
    b[chk] = [230, 40, 60]
    b[~chk] = [20, 90, 200]
    r = np.sqrt((yy - 13.5) ** 2 + (xx - 18.5) ** 2)
    c = np.stack([np.where(r < 9, 250, 30 + xx * 3),
                  np.where(r < 9, 200, 60 + (xx + yy) * 2),
                  np.where(r < 9, 20, 240 - yy * 5)], -1)
    c[(xx + 2 * yy) % 11 == 0] = [255, 255, 255]
    return {"gradient": np.clip(a, 0, 255).astype(np.uint8),
            "checker": np.clip(b, 0, 255).astype(np.uint8),
            "disc": np.clip(c, 0, 255).astype(np.uint8)}


def write_images():
    from PIL import Image
    os.makedirs(IMAGES, exist_ok=True)
    imgs = fixture_images()
    for k, v in imgs.items():
        Image.fromarray(v, "RGB").save(os.path.join(IMAGES, k + ".png"))
    # read back from the PNGs so the reference uses exactly the decoded pixels
    out = {}
    for k in imgs:
        arr = np.asarray(Image.open(os.path.join(IMAGES, k + ".png")).convert("RGB"))
        assert (arr == imgs[k]).all()
        out[k] = arr
    return out


def to_tensor(arr_hwc_uint8, mean, std):
    x = torch.from_numpy(arr_hwc_uint8.astype(np.float32) / np.float32(255.0)).permute(2, 0, 1)
    m = torch.tensor(mean, dtype=torch.float32).view(3, 1, 1)
    s = torch.tensor(std, dtype=torch.float32).view(3, 1, 1)
    return ((x - m) / s).unsqueeze(0).contiguous()


class SoftmaxRecorder:
    """Records every torch.nn.functional.softmax / Tensor.softmax output during a forward."""

    def __init__(self):
        self.out = []

    def __enter__(self):
        self._f = F.softmax
        self._t = torch.Tensor.softmax
        rec = self

        rec.depth = 0

        def record(fn, *a, **k):
            rec.depth += 1
            try:
                y = fn(*a, **k)
            finally:
                rec.depth -= 1
            if rec.depth == 0:  # F.softmax calls Tensor.softmax: record the outermost only
                rec.out.append(y.detach().clone())
            return y

        def f(*a, **k):
            return record(rec._f, *a, **k)

        def t(*a, **k):
            return record(rec._t, *a, **k)
        F.softmax = f
        torch.Tensor.softmax = t
        return self

    def __exit__(self, *exc):
        F.softmax = self._f
        torch.Tensor.softmax = self._t


def rollout(attns, extra_tokens):
    """Abnar & Zuidema: A = mean over heads; A + I; rows renormalised; R = A_L @ ... @ A_1.
    Returns R[0, extra_tokens:] (class-token row over the patches)."""
    R = None
    for a in attns:  # [1, H, N, N]
        A = a[0].double().mean(0)
        A = A + torch.eye(A.shape[0], dtype=A.dtype)
        A = A / A.sum(-1, keepdim=True)
        R = A if R is None else A @ R
    return R[0, extra_tokens:].float()


def tiny_models():
    import torchvision
    from torchvision.models.vision_transformer import VisionTransformer
    from torchvision.models.swin_transformer import SwinTransformer
    return [
        ("tiny_vit", lambda: VisionTransformer(image_size=32, patch_size=8, num_layers=2, num_heads=2,
                                               hidden_dim=32, mlp_dim=128, num_classes=10),
         "vit", dict(imageSize=32, patchSize=8, embedDim=32, depths=[2], heads=[2], windowSize=None,
                     shiftSize=None, extraTokens=1, numClasses=10, mlpRatio=4.0),
         "torchvision.models.vision_transformer.VisionTransformer(image_size=32, patch_size=8, "
         "num_layers=2, num_heads=2, hidden_dim=32, mlp_dim=128, num_classes=10)"),
        ("tiny_swin", lambda: SwinTransformer(patch_size=[2, 2], embed_dim=16, depths=[2, 2], num_heads=[2, 4],
                                              window_size=[4, 4], num_classes=10),
         "swin", dict(imageSize=32, patchSize=2, embedDim=16, depths=[2, 2], heads=[2, 4], windowSize=4,
                      shiftSize=2, extraTokens=0, numClasses=10, mlpRatio=4.0),
         "torchvision.models.swin_transformer.SwinTransformer(patch_size=[2,2], embed_dim=16, "
         "depths=[2,2], num_heads=[2,4], window_size=[4,4], num_classes=10)"),
        ("tiny_deit", lambda: TimmViT(32, 8, 32, 2, 2, 4.0, 10, True),
         "vit", dict(imageSize=32, patchSize=8, embedDim=32, depths=[2], heads=[2], windowSize=None,
                     shiftSize=None, extraTokens=2, numClasses=10, mlpRatio=4.0),
         "timm-style DeiT with distillation token (tools/make_fixtures.py TimmViT(32, 8, 32, 2, 2, 4.0, 10, True))"),
    ]


def make_tiny():
    import onnx
    os.makedirs(MODELS, exist_ok=True)
    os.makedirs(REF, exist_ok=True)
    imgs = write_images()
    with open(os.path.join(MODELS, "labels.txt"), "w") as f:
        f.write("\n".join(TINY_LABELS) + "\n")
    for i, (name, ctor, family, config, source) in enumerate(tiny_models()):
        torch.manual_seed(77 + i)
        model = ctor().eval()
        randomize(model, seed=500 + i, tiny=True)
        params = count_params(model)
        out = os.path.join(MODELS, name + ".onnx")
        export(model, out, 17, input_shape=(1, 3, 32, 32))
        m = onnx.load(out)
        onnx.checker.check_model(m)
        side = {"imageSize": 32, "mean": IMAGENET_MEAN, "std": IMAGENET_STD, "resize": 32, "crop": 32,
                "interpolation": "bilinear", "labels": "labels.txt"}
        dump_json(os.path.join(MODELS, name + ".json"), side, compact=False)
        exp = {"model": name + ".onnx", "source": source, "family": family, "params": params,
               "config": config, "opset": opset_of(m),
               "input": {"name": "input", "shape": [1, 3, 32, 32]},
               "output": {"name": "logits", "shape": [1, 10]},
               "structureOnly": False, "numNodes": len(m.graph.node),
               "numInitializers": len(m.graph.initializer),
               "softmaxCount": op_counts(m).get("Softmax", 0)}
        dump_json(os.path.join(MODELS, name + ".expected.json"), exp, compact=False)
        annotate(name)

        ref = {"model": name + ".onnx", "family": family,
               "preprocess": "pixel/255 (float32), then (x - mean) / std per channel, NCHW",
               "mean": IMAGENET_MEAN, "std": IMAGENET_STD, "images": []}
        if family == "vit":
            ref["attentionLayout"] = "[batch, heads, N, N] per block in block order; N = 1 + extra tokens + patches"
            ref["rolloutNote"] = ("Abnar & Zuidema: per layer A = mean over heads, A + I, rows renormalised to "
                                  "sum 1, R = A_L @ ... @ A_1; reported R[0, extraTokens:] (class-token row over "
                                  "the patches, row-major patch grid)")
        else:
            ref["attentionLayout"] = ("[batch*windows, heads, M*M, M*M] per block in block order (windows "
                                      "row-major over the padded, cyclically shifted map in SW-MSA blocks)")
            ref["blocks"] = []
            res = 32 // config["patchSize"]
            for s, d in enumerate(config["depths"]):
                r = res // (2 ** s)
                M = min(config["windowSize"], r)
                for b in range(d):
                    shift = 0 if (b % 2 == 0 or config["windowSize"] >= r) else config["windowSize"] // 2
                    ref["blocks"].append({"stage": s, "block": b, "grid": [r, r], "window": M,
                                          "shift": shift, "windows": (r // M) ** 2,
                                          "heads": config["heads"][s]})
        for k, arr in imgs.items():
            x = to_tensor(arr, IMAGENET_MEAN, IMAGENET_STD)
            # grad enabled so torchvision's MultiheadAttention takes the Python path (the one
            # the exporter traces), which calls F.softmax and so is recorded
            with torch.enable_grad(), SoftmaxRecorder() as rec:
                logits = model(x)
            attns = rec.out
            if family == "vit":
                if name == "tiny_vit":
                    # torch's MHA computes softmax on [B*heads, N, N]: reshape to [B, heads, N, N]
                    attns = [a.reshape(1, config["heads"][0], a.shape[-2], a.shape[-1]) for a in attns]
                assert len(attns) == config["depths"][0], len(attns)
                # cross-check against an independent recomputation for the torchvision model
                if name == "tiny_vit":
                    check_vit_attention(model, x, attns)
            else:
                assert len(attns) == sum(config["depths"]), len(attns)
            for a in attns:
                s = a.sum(-1)
                assert torch.allclose(s, torch.ones_like(s), atol=1e-5)
            entry = {"image": "images/" + k + ".png", "input": f32list(x[0]),
                     "logits": f32list(logits[0]),
                     "attention": [{"shape": list(a.shape), "data": f32list(a.reshape(-1))} for a in attns]}
            if family == "vit":
                entry["rollout"] = f32list(rollout(attns, config["extraTokens"]))
            ref["images"].append(entry)
        p = os.path.join(REF, name + ".json")
        dump_json(p, ref)
        print(f"{name}: params {params} onnx {os.path.getsize(out) / 1e3:.0f} kB, reference "
              f"{os.path.getsize(p) / 1e6:.2f} MB, softmax nodes {exp['softmaxCount']}, "
              f"attention tensors {len(attns)}", flush=True)


@torch.no_grad()
def check_vit_attention(model, x, attns):
    """Recompute torchvision ViT attention by hand and compare with the recorded softmax."""
    B = x.shape[0]
    h = model._process_input(x)
    h = torch.cat([model.class_token.expand(B, -1, -1), h], dim=1)
    h = h + model.encoder.pos_embedding
    for li, layer in enumerate(model.encoder.layers):
        y = layer.ln_1(h)
        mha = layer.self_attention
        qkv = F.linear(y, mha.in_proj_weight, mha.in_proj_bias)
        q, k, v = qkv.chunk(3, dim=-1)
        H = mha.num_heads
        D = q.shape[-1] // H
        q, k = [t.reshape(B, -1, H, D).transpose(1, 2) for t in (q, k)]
        a = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(D), -1)
        assert torch.allclose(a, attns[li], atol=1e-5), (a - attns[li]).abs().max()
        h = layer(h)


def make_dynamic():
    import onnx
    torch.manual_seed(91)
    model = TimmViT(32, 8, 32, 2, 2, 4.0, 10, distilled=False).eval()
    randomize(model, seed=900, tiny=True)
    out = os.path.join(MODELS, "dynamic_vit.onnx")
    export(model, out, 17, input_shape=(1, 3, 32, 32),
           dynamic_axes={"input": {0: "batch", 2: "height", 3: "width"}, "logits": {0: "batch"}})
    m = onnx.load(out)
    onnx.checker.check_model(m)
    dims = [d.dim_param or d.dim_value for d in m.graph.input[0].type.tensor_type.shape.dim]
    exp = {"model": "dynamic_vit.onnx",
           "source": "timm-style ViT (tools/make_fixtures.py TimmViT(32, 8, 32, 2, 2, 4.0, 10, False)) exported "
                     "with dynamic batch, height and width; the position embedding is fixed (17 tokens), so it "
                     "only runs at 32x32",
           "family": "vit", "params": count_params(model),
           "config": dict(imageSize=32, patchSize=8, embedDim=32, depths=[2], heads=[2], windowSize=None,
                          shiftSize=None, extraTokens=1, numClasses=10, mlpRatio=4.0),
           "opset": opset_of(m), "input": {"name": "input", "shape": dims},
           "output": {"name": "logits", "shape": ["batch", 10]}, "structureOnly": False,
           "numNodes": len(m.graph.node), "softmaxCount": op_counts(m).get("Softmax", 0)}
    dump_json(os.path.join(MODELS, "dynamic_vit.expected.json"), exp, compact=False)
    annotate("dynamic_vit")
    print(f"dynamic_vit: input dims {dims}, {os.path.getsize(out) / 1e3:.0f} kB", flush=True)


# --------------------------------------------------------------------------- Swin masks

def window_partition(x, M):
    """official Swin: x [B, H, W, C] -> [B*nW, M, M, C]"""
    B, H, W, C = x.shape
    x = x.view(B, H // M, M, W // M, M, C)
    return x.permute(0, 1, 3, 2, 4, 5).contiguous().view(-1, M, M, C)


def relative_position_index(M):
    coords = torch.stack(torch.meshgrid(torch.arange(M), torch.arange(M), indexing="ij"))
    cf = torch.flatten(coords, 1)
    rel = (cf[:, :, None] - cf[:, None, :]).permute(1, 2, 0).contiguous()
    rel[:, :, 0] += M - 1
    rel[:, :, 1] += M - 1
    rel[:, :, 0] *= 2 * M - 1
    return rel.sum(-1)


def shifted_mask(Hp, Wp, M, s):
    """official Swin: img_mask regions on the padded map, mask [nW, M*M, M*M] 0 / -100."""
    img_mask = torch.zeros((1, Hp, Wp, 1))
    cnt = 0
    for h in (slice(0, -M), slice(-M, -s), slice(-s, None)):
        for w in (slice(0, -M), slice(-M, -s), slice(-s, None)):
            img_mask[:, h, w, :] = cnt
            cnt += 1
    mw = window_partition(img_mask, M).view(-1, M * M)
    attn_mask = mw.unsqueeze(1) - mw.unsqueeze(2)
    attn_mask = attn_mask.masked_fill(attn_mask != 0, float(-100.0)).masked_fill(attn_mask == 0, float(0.0))
    return img_mask[0, :, :, 0].long(), attn_mask


def torchvision_mask(H, W, M, s):
    """The mask torchvision's shifted_window_attention builds (copied logic, for a cross-check)."""
    pad_H = (M - H % M) % M + H
    pad_W = (M - W % M) % M + W
    attn_mask = torch.zeros((pad_H, pad_W))
    h_slices = ((0, -M), (-M, -s), (-s, None))
    w_slices = ((0, -M), (-M, -s), (-s, None))
    count = 0
    for h in h_slices:
        for w in w_slices:
            attn_mask[h[0]:h[1], w[0]:w[1]] = count
            count += 1
    attn_mask = attn_mask.view(pad_H // M, M, pad_W // M, M)
    attn_mask = attn_mask.permute(0, 2, 1, 3).reshape((pad_H // M) * (pad_W // M), M * M)
    attn_mask = attn_mask.unsqueeze(1) - attn_mask.unsqueeze(2)
    return attn_mask.masked_fill(attn_mask != 0, float(-100.0)).masked_fill(attn_mask == 0, float(0.0))


def make_masks():
    os.makedirs(REF, exist_ok=True)
    cases = []
    for (H, W, M, s) in [(8, 8, 4, 2), (14, 14, 7, 3), (12, 20, 4, 2), (10, 10, 4, 2)]:
        Hp = H + (M - H % M) % M
        Wp = W + (M - W % M) % M
        regions, mask = shifted_mask(Hp, Wp, M, s)
        assert torch.equal(mask, torchvision_mask(H, W, M, s))
        # index image of the padded, un-shifted map: value = row * Wp + col
        idx = torch.arange(Hp * Wp).view(1, Hp, Wp, 1)
        shifted = torch.roll(idx, shifts=(-s, -s), dims=(1, 2))
        win = window_partition(shifted, M).view(-1, M * M)  # [nW, M*M]
        rows = (win // Wp).tolist()
        cols = (win % Wp).tolist()
        pos = [[[r, c] for r, c in zip(rr, cc)] for rr, cc in zip(rows, cols)]
        # the un-shifted (regular) partition, for completeness
        reg = window_partition(idx, M).view(-1, M * M)
        nW = mask.shape[0]
        cases.append({
            "H": H, "W": W, "window": M, "shift": s, "paddedH": Hp, "paddedW": Wp,
            "numWindows": nW,
            "regionIds": regions.tolist(),
            "mask": mask.long().tolist(),
            "windowTokens": pos,
            "regularWindowTokens": [[[int(v) // Wp, int(v) % Wp] for v in w] for w in reg.tolist()],
            "relativePositionIndex": relative_position_index(M).tolist(),
        })
        print(f"mask H={H} W={W} M={M} s={s}: padded {Hp}x{Wp}, {nW} windows, "
              f"forbidden pairs {(mask != 0).sum().item()}", flush=True)
    doc = {
        "about": ("Shifted-window reference made by tools/make_fixtures.py with PyTorch, following the official "
                  "Swin code (microsoft/Swin-Transformer, detection variant with padding) and torchvision's "
                  "shifted_window_attention, which agree (asserted)."),
        "conventions": {
            "padding": "H, W are padded at the bottom/right to multiples of the window M before the shift",
            "regionIds": ("[paddedH][paddedW] region id of each position of the padded map in the frame the "
                          "windows are cut from (after torch.roll(x, (-s,-s))): img_mask built with slices "
                          "(0,-M), (-M,-s), (-s,None) on both axes, ids 0..8 row-major"),
            "mask": "[nW][M*M][M*M]; 0 = allowed, -100 = forbidden; mask[w][i][j] = -100 iff region(j) != region(i)",
            "windowTokens": ("[nW][M*M] -> [row, col] in the un-shifted padded map of the token that "
                             "torch.roll(x, (-s,-s), dims=(1,2)) followed by window_partition puts at window w, "
                             "position p (windows row-major, positions row-major within a window); "
                             "row >= H or col >= W means padding"),
            "regularWindowTokens": "same without the shift (W-MSA blocks)",
            "relativePositionIndex": ("[M*M][M*M] index into the (2M-1)^2 bias table: "
                                      "(dy + M - 1) * (2M - 1) + (dx + M - 1), dy = row(i) - row(j)"),
        },
        "cases": cases,
    }
    p = os.path.join(REF, "swin_masks.json")
    dump_json(p, doc)
    print(f"swin_masks.json {os.path.getsize(p) / 1e3:.0f} kB")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", nargs="*", default=None,
                    help="subset: structure deit dynamic tiny masks, or model names like swin_t")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    only = set(args.only or [])
    names = {n for n, *_ in structure_models()}
    want = lambda k: not only or k in only
    t0 = time.time()
    if "annotate" in only:
        for n in sorted(names) + ["tiny_vit", "tiny_swin", "tiny_deit", "dynamic_vit"]:
            annotate(n)
        return
    if want("masks"):
        make_masks()
    if want("tiny"):
        make_tiny()
    if want("dynamic"):
        make_dynamic()
    sel = [n for n in only if n in names]
    if want("structure") or sel:
        make_structure(sel or None)
    shutil.rmtree(TMP, ignore_errors=True)
    print(f"done in {time.time() - t0:.0f}s")


if __name__ == "__main__":
    main()
