#!/usr/bin/python3
"""Fixtures for the rest of the ViT paper (issue 11): a tiny hybrid ViT, a tiny ViT with register
tokens, and references for position-embedding similarity, patch-filter principal components and
mean attention distance.

  /usr/bin/python3 tools/make_vit_fixtures.py

Outputs (see tools/README.md):
  test/fixtures/models/tiny_hybrid.onnx (+ .expected.json, .json sidecar)
  test/fixtures/models/tiny_registers.onnx (+ .expected.json, .json sidecar)
  test/fixtures/models/tiny_sincos.onnx, tiny_interpolated.onnx   MAE 2-D sin-cos / run-time resized position embeddings
  test/fixtures/reference/tiny_hybrid.json, tiny_registers.json   inputs, logits, attention (as make_fixtures.py)
  test/fixtures/reference/vit_embeddings.json   numpy similarity / PCA on the ONNX initializers,
                                                MAE's 2-D sin-cos table, mean attention distances
"""
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_fixtures as mf  # noqa: E402

MODELS, REF = mf.MODELS, mf.REF


class ConvStem(nn.Module):
    """A plain CNN stem of stride 8 (three stride-2 3×3 convs with BatchNorm and ReLU)."""

    def __init__(self, widths=(16, 24, 32)):
        super().__init__()
        layers, c = [], 3
        for w in widths:
            layers += [nn.Conv2d(c, w, 3, 2, 1, bias=False), nn.BatchNorm2d(w), nn.ReLU()]
            c = w
        self.stem = nn.Sequential(*layers)

    def forward(self, x):
        return self.stem(x)


class BasicBlock(nn.Module):
    """ResNet's basic block (stride 1): conv-BN-ReLU-conv-BN, plus the identity, ReLU."""

    def __init__(self, c):
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.conv2 = nn.Conv2d(c, c, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c)

    def forward(self, x):
        return torch.relu(x + self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x))))))


class ResNetStem(nn.Module):
    """The conv stem of stride 8 followed by one residual stage, as R50+ViT's backbone is ResNet stages."""

    def __init__(self):
        super().__init__()
        self.stem = ConvStem().stem
        self.layer1 = BasicBlock(32)

    def forward(self, x):
        return self.layer1(self.stem(x))


class HybridEmbed(nn.Module):
    """timm's HybridEmbed: CNN feature map, then a 1×1 'patch' projection to the width."""

    def __init__(self, dim, resnet=False):
        super().__init__()
        self.backbone = ResNetStem() if resnet else ConvStem()
        self.proj = nn.Conv2d(32, dim, 1, 1)

    def forward(self, x):
        return self.proj(self.backbone(x)).flatten(2).transpose(1, 2)


def add_encoder(m, dim, depth, heads, num_classes):
    """What follows the embeddings in every tiny ViT here: m.blocks (pre-norm), m.norm and m.head."""
    m.blocks = nn.Sequential(*[mf.Block(dim, heads, 4.0) for _ in range(depth)])
    m.norm = nn.LayerNorm(dim, eps=1e-6)
    m.head = nn.Linear(dim, num_classes)


def encode(m, x):
    """The logits from the class token after add_encoder's blocks and norm."""
    return m.head(m.norm(m.blocks(x))[:, 0])


class TinyHybrid(nn.Module):
    def __init__(self, img=32, dim=32, depth=2, heads=2, num_classes=10, resnet=False):
        super().__init__()
        self.patch_embed = HybridEmbed(dim, resnet)
        n = (img // 8) ** 2
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, n + 1, dim))
        add_encoder(self, dim, depth, heads, num_classes)

    def forward(self, x):
        x = self.patch_embed(x)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], 1) + self.pos_embed
        return encode(self, x)


class TinyRegisters(nn.Module):
    """DINOv2-style: the position embedding covers class token + patches; the register tokens are
    inserted after it (between the class token and the patches) and kept to the end."""

    def __init__(self, img=32, patch=8, dim=32, depth=2, heads=2, registers=4, num_classes=10):
        super().__init__()
        self.patch_embed = mf.PatchEmbed(patch, dim)
        n = (img // patch) ** 2
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.register_tokens = nn.Parameter(torch.zeros(1, registers, dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, n + 1, dim))
        add_encoder(self, dim, depth, heads, num_classes)

    def forward(self, x):
        x = self.patch_embed(x)
        B = x.shape[0]
        x = torch.cat([self.cls_token.expand(B, -1, -1), x], 1) + self.pos_embed
        x = torch.cat([x[:, :1], self.register_tokens.expand(B, -1, -1), x[:, 1:]], 1)
        return encode(self, x)


class TinyPosVariant(nn.Module):
    """A timm-style ViT whose position embedding is either MAE's fixed 2-D sin-cos table
    (`sincos`) or stored for a 2×2 grid and resized to the 4×4 patch grid at run time
    (`interpolated`, bicubic as timm's resample_abs_pos_embed)."""

    def __init__(self, variant, img=32, patch=8, dim=32, depth=1, heads=2, num_classes=10):
        super().__init__()
        self.variant = variant
        self.patch_embed = mf.PatchEmbed(patch, dim)
        g = img // patch
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        if variant == "sincos":
            table = np.concatenate([np.zeros((1, dim)), mae_sincos(dim, g)], 0)
            self.register_buffer("pos_embed", torch.tensor(table, dtype=torch.float32).unsqueeze(0))
        else:
            self.pos_embed = nn.Parameter(torch.zeros(1, 1 + 4, dim))
        self.g = g
        add_encoder(self, dim, depth, heads, num_classes)

    def forward(self, x):
        x = self.patch_embed(x)
        pos = self.pos_embed
        if self.variant == "interpolated":
            D = pos.shape[-1]
            grid = pos[:, 1:].reshape(1, 2, 2, D).permute(0, 3, 1, 2)
            grid = torch.nn.functional.interpolate(grid, size=(self.g, self.g), mode="bicubic", align_corners=False)
            pos = torch.cat([pos[:, :1], grid.permute(0, 2, 3, 1).reshape(1, self.g * self.g, D)], 1)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], 1) + pos
        return encode(self, x)


def mae_sincos(dim, gs):
    def one_d(embed_dim, pos):
        omega = np.arange(embed_dim // 2, dtype=np.float64) / (embed_dim / 2.0)
        omega = 1.0 / 10000 ** omega
        out = np.einsum("m,d->md", pos.reshape(-1), omega)
        return np.concatenate([np.sin(out), np.cos(out)], axis=1)
    grid = np.meshgrid(np.arange(gs, dtype=np.float32), np.arange(gs, dtype=np.float32))
    grid = np.stack(grid, axis=0).reshape([2, 1, gs, gs])
    return np.concatenate([one_d(dim // 2, grid[0]), one_d(dim // 2, grid[1])], axis=1)


def make_pos_variants():
    """Returns the numpy similarity of each model's stored patch rows (from the PyTorch module)."""
    import onnx
    refs = []
    for i, variant in enumerate(["sincos", "interpolated"]):
        torch.manual_seed(40 + i)
        model = TinyPosVariant(variant).eval()
        mf.randomize(model, seed=940 + i, tiny=True)
        out = os.path.join(MODELS, f"tiny_{variant}.onnx")
        mf.export(model, out, 17, input_shape=(1, 3, 32, 32))
        m = onnx.load(out)
        onnx.checker.check_model(m)
        ops = mf.op_counts(m)
        print(f"tiny_{variant}: {os.path.getsize(out) / 1e3:.0f} kB, Resize nodes {ops.get('Resize', 0)}", flush=True)
        pe = model.pos_embed.detach().double().numpy()[0, 1:]
        u = pe / np.linalg.norm(pe, axis=1, keepdims=True)
        g = 4 if variant == "sincos" else 2
        refs.append({"model": f"tiny_{variant}.onnx", "grid": [g, g], "extraRows": 1,
                     "kind": "sin-cos 2-D" if variant == "sincos" else "learned",
                     "interpolatedFrom": None if variant == "sincos" else [2, 2],
                     "similarity": [float(f"{v:.12g}") for v in (u @ u.T).reshape(-1)]})
    return refs


def macs_of(model, x, heads):
    """Multiply-accumulates of Conv, Linear and the two attention products, by hooks; split into
    the CNN backbone and the rest."""
    out = {"backbone": 0, "transformer": 0}
    hooks = []

    def conv_hook(name):
        def f(m, i, o):
            k = m.kernel_size[0] * m.kernel_size[1] * (m.in_channels // m.groups)
            out["backbone" if ".backbone." in "." + name + "." else "transformer"] += o.numel() * k
        return f

    def lin_hook(m, i, o):
        out["transformer"] += o.numel() * m.in_features

    def attn_hook(m, i, o):
        B, N, C = i[0].shape
        out["transformer"] += 2 * B * N * N * C  # Q·Kᵀ and A·V over all heads
    for name, m in model.named_modules():
        if isinstance(m, nn.Conv2d):
            hooks.append(m.register_forward_hook(conv_hook(name)))
        elif isinstance(m, nn.Linear):
            hooks.append(m.register_forward_hook(lin_hook))
        elif isinstance(m, mf.Attention):
            hooks.append(m.register_forward_hook(attn_hook))
    with torch.no_grad():
        model(x)
    for h in hooks:
        h.remove()
    return out


def patch_positions(grid, extra):
    gh, gw = grid
    N = extra + gh * gw
    rows = np.full(N, -1)
    cols = np.full(N, -1)
    for k in range(gh * gw):
        rows[extra + k], cols[extra + k] = k // gw, k % gw
    return rows[None], cols[None]  # one group


def swin_positions(H, W, M, s):
    """Where torchvision's shifted_window_attention puts each token: pad to whole windows, roll by
    (−s, −s), partition; returned as [nW, M²] rows / cols of the un-shifted map (−1: padding)."""
    Hp, Wp = math.ceil(H / M) * M, math.ceil(W / M) * M
    r = torch.full((Hp, Wp), -1, dtype=torch.int64)
    c = torch.full((Hp, Wp), -1, dtype=torch.int64)
    yy, xx = torch.meshgrid(torch.arange(H), torch.arange(W), indexing="ij")
    r[:H, :W], c[:H, :W] = yy, xx
    if s > 0:
        r = torch.roll(r, shifts=(-s, -s), dims=(0, 1))
        c = torch.roll(c, shifts=(-s, -s), dims=(0, 1))

    def part(t):
        return t.view(Hp // M, M, Wp // M, M).permute(0, 2, 1, 3).reshape(-1, M * M)
    return part(r).numpy(), part(c).numpy()


def mean_attention_distance(attn, rows, cols, cell):
    """attn [G, H, N, N] (float64); keys and queries restricted to patch slots; returns per head."""
    G, H, N, _ = attn.shape
    out = []
    for h in range(H):
        vals = []
        for g in range(G):
            pr, pc = rows[g], cols[g]
            patch = pr >= 0
            d = np.sqrt((pr[:, None] - pr[None, :]) ** 2 + (pc[:, None] - pc[None, :]) ** 2) * cell
            A = attn[g, h][np.ix_(patch, patch)]
            A = A / A.sum(-1, keepdims=True)
            vals.extend((A * d[np.ix_(patch, patch)]).sum(-1))
        out.append(float(np.mean(vals)))
    return out


def initializer(m, name):
    from onnx import numpy_helper
    for t in m.graph.initializer:
        if t.name == name:
            return numpy_helper.to_array(t).astype(np.float64)
    raise KeyError(name)


def embedding_reference(name, pos_name, extra_rows, grid, filt_name):
    import onnx
    m = onnx.load(os.path.join(MODELS, name + ".onnx"))
    pe = initializer(m, pos_name).reshape(-1, initializer(m, pos_name).shape[-1])[extra_rows:]
    u = pe / np.linalg.norm(pe, axis=1, keepdims=True)
    sim = u @ u.T
    w = initializer(m, filt_name)
    X = w.reshape(w.shape[0], -1)
    Xc = X - X.mean(0, keepdims=True)
    _, s, vt = np.linalg.svd(Xc, full_matrices=False)
    k = min(28, Xc.shape[0] - 1, Xc.shape[1])
    return {"model": name + ".onnx", "positionTensor": pos_name, "extraRows": extra_rows, "grid": grid,
            "similarity": [float(f"{v:.12g}") for v in sim.reshape(-1)],
            "filterTensor": filt_name, "filterDims": list(w.shape),
            "explained": [float(f"{v:.12g}") for v in (s[:k] ** 2 / (s ** 2).sum())],
            "singularValues": [float(f"{v:.12g}") for v in s[:k]],
            "components": [[float(f"{v:.9g}") for v in vt[i]] for i in range(min(k, 6))]}


def sincos_reference():
    """MAE's get_2d_sincos_pos_embed (numpy, as in facebookresearch/mae util/pos_embed.py)."""
    def one_d(embed_dim, pos):
        omega = np.arange(embed_dim // 2, dtype=np.float64) / (embed_dim / 2.0)
        omega = 1.0 / 10000 ** omega
        out = np.einsum("m,d->md", pos.reshape(-1), omega)
        return np.concatenate([np.sin(out), np.cos(out)], axis=1)
    D, gs = 16, 3
    grid = np.meshgrid(np.arange(gs, dtype=np.float32), np.arange(gs, dtype=np.float32))
    grid = np.stack(grid, axis=0).reshape([2, 1, gs, gs])
    emb = np.concatenate([one_d(D // 2, grid[0]), one_d(D // 2, grid[1])], axis=1)
    return {"dim": D, "grid": [gs, gs], "table": [float(f"{v:.12g}") for v in emb.reshape(-1)]}


def make_complete(name, model, config, source, imgs):
    import onnx
    model.eval()
    mf.randomize(model, seed=900 + len(name), tiny=True)
    params = mf.count_params(model)
    out = os.path.join(MODELS, name + ".onnx")
    mf.export(model, out, 17, input_shape=(1, 3, 32, 32))
    m = onnx.load(out)
    onnx.checker.check_model(m)
    side = {"imageSize": 32, "mean": mf.IMAGENET_MEAN, "std": mf.IMAGENET_STD, "resize": 32, "crop": 32,
            "interpolation": "bilinear", "labels": "labels.txt"}
    mf.dump_json(os.path.join(MODELS, name + ".json"), side, compact=False)
    x0 = mf.to_tensor(imgs["gradient"], mf.IMAGENET_MEAN, mf.IMAGENET_STD)
    macs = macs_of(model, x0, config["heads"][0])
    exp = {"model": name + ".onnx", "source": source, "family": config.pop("family"), "params": params,
           "config": config, "macs": macs["backbone"] + macs["transformer"], "macsSplit": macs,
           "opset": mf.opset_of(m), "input": {"name": "input", "shape": [1, 3, 32, 32]},
           "output": {"name": "logits", "shape": [1, 10]}, "structureOnly": False,
           "numNodes": len(m.graph.node), "numInitializers": len(m.graph.initializer),
           "softmaxCount": mf.op_counts(m).get("Softmax", 0)}
    if "backbone" in config and config["backbone"]:
        exp["backboneParams"] = mf.count_params(model.patch_embed.backbone)
        config["backbone"]["params"] = exp["backboneParams"]
        config["backbone"]["macs"] = macs["backbone"]
    mf.dump_json(os.path.join(MODELS, name + ".expected.json"), exp, compact=False)
    ref = {"model": name + ".onnx", "family": exp["family"],
           "preprocess": "pixel/255 (float32), then (x - mean) / std per channel, NCHW",
           "mean": mf.IMAGENET_MEAN, "std": mf.IMAGENET_STD,
           "attentionLayout": "[batch, heads, N, N] per block in block order; N = extra tokens + patches",
           "images": []}
    for k, arr in imgs.items():
        x = mf.to_tensor(arr, mf.IMAGENET_MEAN, mf.IMAGENET_STD)
        with torch.enable_grad(), mf.SoftmaxRecorder() as rec:
            logits = model(x)
        attns = rec.out
        assert len(attns) == config["depths"][0]
        ref["images"].append({"image": "images/" + k + ".png", "input": mf.f32list(x[0]),
                              "logits": mf.f32list(logits[0]),
                              "attention": [{"shape": list(a.shape), "data": mf.f32list(a.reshape(-1))} for a in attns]})
    mf.dump_json(os.path.join(REF, name + ".json"), ref)
    print(f"{name}: params {params}, MACs {macs}, onnx {os.path.getsize(out) / 1e3:.0f} kB", flush=True)
    return ref


def distances_of(refname, family, grid, extra, cell, blocks=None):
    ref = json.load(open(os.path.join(REF, refname + ".json")))
    out = []
    for img in ref["images"]:
        per = []
        for i, a in enumerate(img["attention"]):
            A = np.array(a["data"], dtype=np.float64).reshape(a["shape"])
            if family == "vit":
                if A.ndim == 3:  # torchvision MHA: [B·heads, N, N]
                    A = A.reshape(1, -1, A.shape[-2], A.shape[-1])
                rows, cols = patch_positions(grid, extra)
                per.append(mean_attention_distance(A, rows, cols, cell))
            else:
                b = blocks[i]
                rows, cols = swin_positions(b["grid"][0], b["grid"][1], b["window"], b["shift"])
                per.append(mean_attention_distance(A, rows, cols, cell * 2 ** b["stage"]))
        out.append({"image": img["image"], "layers": per})
    return out


def tiny_config(family, extra_tokens, registers, backbone):
    """The expected config of a 32×32, patch-8, width-32, 2-block, 2-head fixture, keys in the order written."""
    return {"family": family, "imageSize": 32, "patchSize": 8, "embedDim": 32, "depths": [2], "heads": [2],
            "windowSize": None, "shiftSize": None, "extraTokens": extra_tokens, "registers": registers,
            "numClasses": 10, "mlpRatio": 4.0, "backbone": backbone}


def main():
    torch.set_num_threads(1)
    imgs = mf.write_images()
    torch.manual_seed(11)
    make_complete("tiny_hybrid", TinyHybrid(),
                  tiny_config("vit-hybrid", 1, 0, {"kind": "conv", "stride": 8, "featureMap": [4, 4]}),
                  "tools/make_vit_fixtures.py TinyHybrid: conv stem (3×3 s2 conv+BN+ReLU ×3, stride 8) → "
                  "4×4×32 feature map → 1×1 projection to 32 → cls + pos → 2 blocks, 2 heads", imgs)
    torch.manual_seed(13)
    make_complete("tiny_hybrid_resnet", TinyHybrid(resnet=True),
                  tiny_config("vit-hybrid", 1, 0, {"kind": "resnet", "stride": 8, "featureMap": [4, 4]}),
                  "tools/make_vit_fixtures.py TinyHybrid(resnet=True): the conv stem then one ResNet basic block "
                  "(residual add) → 1×1 projection → 2 blocks", imgs)
    torch.manual_seed(12)
    make_complete("tiny_registers", TinyRegisters(),
                  tiny_config("vit", 5, 4, None),
                  "tools/make_vit_fixtures.py TinyRegisters: DINOv2-style, patch 8, dim 32, cls + 4 register "
                  "tokens (inserted after the position embedding), 2 blocks, 2 heads", imgs)
    variants = make_pos_variants()
    swin_blocks = json.load(open(os.path.join(REF, "tiny_swin.json")))["blocks"]
    doc = {
        "note": "similarity: cosine of the patch rows of the position embedding (numpy, float64, on the ONNX "
                "initializer). explained: s_i^2 / sum s^2 of the SVD of the filters flattened to C*p*p and "
                "centred on the mean filter; components: rows of V^T (sign arbitrary). distance: mean over patch "
                "queries of sum_k w_qk d(q,k) in input pixels, keys restricted to patches and renormalised "
                "(Swin: per window, token positions from torch.roll + window partition), per image, layer, head.",
        "embeddings": [
            embedding_reference("tiny_vit", "encoder.pos_embedding", 1, [4, 4], "conv_proj.weight"),
            embedding_reference("tiny_deit", "pos_embed", 2, [4, 4], "patch_embed.proj.weight"),
            embedding_reference("tiny_registers", "pos_embed", 1, [4, 4], "patch_embed.proj.weight"),
        ],
        "sincos2d": sincos_reference(),
        "positionVariants": variants,
        "distance": {
            "tiny_vit": distances_of("tiny_vit", "vit", [4, 4], 1, 8),
            "tiny_deit": distances_of("tiny_deit", "vit", [4, 4], 2, 8),
            "tiny_registers": distances_of("tiny_registers", "vit", [4, 4], 5, 8),
            "tiny_hybrid": distances_of("tiny_hybrid", "vit", [4, 4], 1, 8),
            "tiny_hybrid_resnet": distances_of("tiny_hybrid_resnet", "vit", [4, 4], 1, 8),
            "tiny_swin": distances_of("tiny_swin", "swin", None, 0, 2, swin_blocks),
        },
    }
    mf.dump_json(os.path.join(REF, "vit_embeddings.json"), doc)
    print("reference/vit_embeddings.json", os.path.getsize(os.path.join(REF, "vit_embeddings.json")) // 1000, "kB")


if __name__ == "__main__":
    main()
