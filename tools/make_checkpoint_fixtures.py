#!/usr/bin/python3
"""Safetensors checkpoint fixtures (issue 17): tiny ViT / DeiT models from torchvision's
VisionTransformer with distinct random weights, their keys renamed into the Hugging Face and timm
layouts, written as safetensors by hand (8-byte little-endian header length, JSON header, raw
little-endian bytes), with the configs those libraries write beside them and reference outputs
from the torch modules.

  /usr/bin/python3 tools/make_checkpoint_fixtures.py

Needs Debian's python3-torch and python3-torchvision (no transformers, timm or safetensors).

Outputs:
  test/fixtures/checkpoints/<name>/model.safetensors (or model-0000k-of-00002.safetensors + index.json)
  test/fixtures/checkpoints/<name>/config.json (+ preprocessor_config.json for Hugging Face)
  test/fixtures/reference/checkpoints.json   per fixture: input tensor, logits (or hidden state),
                                             attention probabilities per layer [heads, N, N], params

The fp16/bf16 fixtures' references are computed in float32 from the weights rounded to fp16/bf16,
which is what the built graph does (a Cast to float32 on each initializer).
"""
import json
import os
import struct

import numpy as np
import torch
import torch.nn as nn
from torchvision.models.vision_transformer import VisionTransformer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "test", "fixtures", "checkpoints")
REF = os.path.join(ROOT, "test", "fixtures", "reference", "checkpoints.json")

IMAGE, PATCH, DIM, DEPTH, HEADS, MLP, CLASSES = 32, 8, 32, 2, 2, 64, 5
EPS = 1e-6  # torchvision's ViT uses LayerNorm(eps=1e-6); the configs say so
LABELS = ["tench", "goldfish", "great white shark", "tiger shark", "hammerhead"]

DTYPES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16"}


def randomize(module, gen):
    """Distinct random values in every parameter (LayerNorm weights around 1)."""
    with torch.no_grad():
        for name, p in module.named_parameters():
            r = torch.randn(p.shape, generator=gen)
            if name.endswith("weight") and ("ln" in name or "norm" in name) and p.dim() == 1:
                p.copy_(1 + 0.1 * r)
            else:
                p.copy_(0.2 * r)


def make_vit(seed, distilled):
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    m = VisionTransformer(image_size=IMAGE, patch_size=PATCH, num_layers=DEPTH, num_heads=HEADS,
                          hidden_dim=DIM, mlp_dim=MLP, num_classes=CLASSES)
    tokens = (IMAGE // PATCH) ** 2 + (2 if distilled else 1)
    m.encoder.pos_embedding = nn.Parameter(torch.zeros(1, tokens, DIM))
    extra = nn.Module()
    if distilled:
        extra.dist_token = nn.Parameter(torch.zeros(1, 1, DIM))
        extra.head_dist = nn.Linear(DIM, CLASSES)
    m.extra = extra
    randomize(m, gen)
    m.eval()
    return m


def forward(m, x, distilled, head="both"):
    """torchvision's forward, with a distillation token when asked, recording attention probabilities."""
    n = x.shape[0]
    t = m._process_input(x)
    toks = [m.class_token.expand(n, -1, -1)]
    if distilled:
        toks.append(m.extra.dist_token.expand(n, -1, -1))
    t = torch.cat(toks + [t], dim=1) + m.encoder.pos_embedding
    attn = []
    for layer in m.encoder.layers:
        y = layer.ln_1(t)
        y, w = layer.self_attention(y, y, y, need_weights=True, average_attn_weights=False)
        attn.append(w[0])
        t = t + y
        t = t + layer.mlp(layer.ln_2(t))
    t = m.encoder.ln(t)
    if head == "none":
        return t, attn
    cls = m.heads.head(t[:, 0])
    if not distilled or head == "cls":
        return cls, attn
    return (cls + m.extra.head_dist(t[:, 1])) / 2, attn


def state(m, distilled):
    """The torchvision module's tensors by role (weights as nn.Linear keeps them: [out, in])."""
    s = {"patch.w": m.conv_proj.weight, "patch.b": m.conv_proj.bias, "cls": m.class_token,
         "pos": m.encoder.pos_embedding, "norm.w": m.encoder.ln.weight, "norm.b": m.encoder.ln.bias,
         "head.w": m.heads.head.weight, "head.b": m.heads.head.bias}
    if distilled:
        s.update({"dist": m.extra.dist_token, "head_dist.w": m.extra.head_dist.weight, "head_dist.b": m.extra.head_dist.bias})
    for i, l in enumerate(m.encoder.layers):
        a = l.self_attention
        s.update({f"{i}.ln1.w": l.ln_1.weight, f"{i}.ln1.b": l.ln_1.bias,
                  f"{i}.qkv.w": a.in_proj_weight, f"{i}.qkv.b": a.in_proj_bias,
                  f"{i}.proj.w": a.out_proj.weight, f"{i}.proj.b": a.out_proj.bias,
                  f"{i}.ln2.w": l.ln_2.weight, f"{i}.ln2.b": l.ln_2.bias,
                  f"{i}.fc1.w": l.mlp[0].weight, f"{i}.fc1.b": l.mlp[0].bias,
                  f"{i}.fc2.w": l.mlp[3].weight, f"{i}.fc2.b": l.mlp[3].bias})
    return {k: v.detach().clone() for k, v in s.items()}


def hf_keys(s, prefix, distilled, head):
    """Hugging Face ViT / DeiT names (modeling_vit.py / modeling_deit.py); a base model (ViTModel) has no prefix."""
    out = {f"{prefix}embeddings.patch_embeddings.projection.weight": s["patch.w"],
           f"{prefix}embeddings.patch_embeddings.projection.bias": s["patch.b"],
           f"{prefix}embeddings.cls_token": s["cls"],
           f"{prefix}embeddings.position_embeddings": s["pos"],
           f"{prefix}layernorm.weight": s["norm.w"], f"{prefix}layernorm.bias": s["norm.b"]}
    if distilled:
        out[f"{prefix}embeddings.distillation_token"] = s["dist"]
    for i in range(DEPTH):
        L = f"{prefix}encoder.layer.{i}"
        q, k, v = s[f"{i}.qkv.w"].chunk(3)
        qb, kb, vb = s[f"{i}.qkv.b"].chunk(3)
        out.update({f"{L}.layernorm_before.weight": s[f"{i}.ln1.w"], f"{L}.layernorm_before.bias": s[f"{i}.ln1.b"],
                    f"{L}.attention.attention.query.weight": q, f"{L}.attention.attention.query.bias": qb,
                    f"{L}.attention.attention.key.weight": k, f"{L}.attention.attention.key.bias": kb,
                    f"{L}.attention.attention.value.weight": v, f"{L}.attention.attention.value.bias": vb,
                    f"{L}.attention.output.dense.weight": s[f"{i}.proj.w"], f"{L}.attention.output.dense.bias": s[f"{i}.proj.b"],
                    f"{L}.layernorm_after.weight": s[f"{i}.ln2.w"], f"{L}.layernorm_after.bias": s[f"{i}.ln2.b"],
                    f"{L}.intermediate.dense.weight": s[f"{i}.fc1.w"], f"{L}.intermediate.dense.bias": s[f"{i}.fc1.b"],
                    f"{L}.output.dense.weight": s[f"{i}.fc2.w"], f"{L}.output.dense.bias": s[f"{i}.fc2.b"]})
    if head == "classifier":
        out.update({"classifier.weight": s["head.w"], "classifier.bias": s["head.b"]})
    elif head == "teacher":
        out.update({"cls_classifier.weight": s["head.w"], "cls_classifier.bias": s["head.b"],
                    "distillation_classifier.weight": s["head_dist.w"], "distillation_classifier.bias": s["head_dist.b"]})
    return out


def timm_keys(s, distilled):
    """timm vision_transformer.py / deit.py names (fused qkv)."""
    out = {"patch_embed.proj.weight": s["patch.w"], "patch_embed.proj.bias": s["patch.b"],
           "cls_token": s["cls"], "pos_embed": s["pos"], "norm.weight": s["norm.w"], "norm.bias": s["norm.b"],
           "head.weight": s["head.w"], "head.bias": s["head.b"]}
    if distilled:
        out.update({"dist_token": s["dist"], "head_dist.weight": s["head_dist.w"], "head_dist.bias": s["head_dist.b"]})
    for i in range(DEPTH):
        B = f"blocks.{i}"
        out.update({f"{B}.norm1.weight": s[f"{i}.ln1.w"], f"{B}.norm1.bias": s[f"{i}.ln1.b"],
                    f"{B}.attn.qkv.weight": s[f"{i}.qkv.w"], f"{B}.attn.qkv.bias": s[f"{i}.qkv.b"],
                    f"{B}.attn.proj.weight": s[f"{i}.proj.w"], f"{B}.attn.proj.bias": s[f"{i}.proj.b"],
                    f"{B}.norm2.weight": s[f"{i}.ln2.w"], f"{B}.norm2.bias": s[f"{i}.ln2.b"],
                    f"{B}.mlp.fc1.weight": s[f"{i}.fc1.w"], f"{B}.mlp.fc1.bias": s[f"{i}.fc1.b"],
                    f"{B}.mlp.fc2.weight": s[f"{i}.fc2.w"], f"{B}.mlp.fc2.bias": s[f"{i}.fc2.b"]})
    return out


def tensor_bytes(t):
    t = t.contiguous()
    if t.dtype == torch.bfloat16:  # numpy has no bfloat16: its bits are the top half of float32
        return (t.float().numpy().view(np.uint32) >> 16).astype("<u2").tobytes()
    return t.numpy().astype(t.numpy().dtype.newbyteorder("<")).tobytes()


def write_safetensors(path, tensors, metadata={"format": "pt"}):
    header, blobs, off = {}, [], 0
    for name, t in tensors.items():  # the order given (the reader must not depend on it)
        b = tensor_bytes(t)
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    if metadata is not None:
        header["__metadata__"] = metadata
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)  # safetensors pads the header with spaces to 8 bytes
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def write_sharded(folder, tensors, shards=2):
    names = list(tensors)
    per = (len(names) + shards - 1) // shards
    weight_map, total = {}, 0
    for k in range(shards):
        file = f"model-{k + 1:05d}-of-{shards:05d}.safetensors"
        part = {n: tensors[n] for n in names[k * per:(k + 1) * per]}
        write_safetensors(os.path.join(folder, file), part)
        for n, t in part.items():
            weight_map[n] = file
            total += t.numel() * t.element_size()
    dump(os.path.join(folder, "model.safetensors.index.json"), {"metadata": {"total_size": total}, "weight_map": weight_map})


def dump(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")


def hf_config(arch, model_type, **kw):
    c = {"architectures": [arch], "model_type": model_type, "hidden_size": DIM, "num_hidden_layers": DEPTH,
         "num_attention_heads": HEADS, "intermediate_size": MLP, "hidden_act": "gelu", "layer_norm_eps": EPS,
         "image_size": IMAGE, "patch_size": PATCH, "num_channels": 3, "qkv_bias": True,
         "hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0, "initializer_range": 0.02,
         "torch_dtype": "float32", "transformers_version": "4.46.0"}
    c.update(kw)
    return c


def labels_cfg():
    return {"id2label": {str(i): l for i, l in enumerate(LABELS)}, "label2id": {l: i for i, l in enumerate(LABELS)}}


def preprocessor(cls):
    return {"image_processor_type": cls, "do_resize": True, "size": {"height": IMAGE, "width": IMAGE}, "resample": 2,
            "do_rescale": True, "rescale_factor": 1 / 255, "do_normalize": True,
            "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5]}


def timm_config(arch, distilled):
    return {"architecture": arch, "num_classes": CLASSES, "num_features": DIM, "global_pool": "token",
            "model_args": {"img_size": IMAGE, "patch_size": PATCH, "embed_dim": DIM, "depth": DEPTH, "num_heads": HEADS,
                           "mlp_ratio": MLP / DIM},
            "pretrained_cfg": {"tag": "fixture", "custom_load": False, "input_size": [3, IMAGE, IMAGE], "fixed_input_size": True,
                               "interpolation": "bicubic", "crop_pct": 1.0, "crop_mode": "center",
                               "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225], "num_classes": CLASSES,
                               "pool_size": None, "first_conv": "patch_embed.proj",
                               "classifier": ["head", "head_dist"] if distilled else "head"},
            "label_names": LABELS}


def rounded(m, dtype):
    """A copy of the module whose weights are rounded to dtype and back (what the graph computes)."""
    import copy
    r = copy.deepcopy(m)
    with torch.no_grad():
        for p in r.parameters():
            p.copy_(p.to(dtype).float())
    return r


def params(tensors):
    return int(sum(t.numel() for t in tensors.values()))


def main():
    os.makedirs(OUT, exist_ok=True)
    x = torch.randn(1, 3, IMAGE, IMAGE, generator=torch.Generator().manual_seed(7))
    vit = make_vit(1, distilled=False)
    deit = make_vit(2, distilled=True)
    # torchvision's own forward and the one here agree (the reference is the module's output)
    with torch.no_grad():
        assert torch.allclose(vit(x), forward(vit, x, False)[0], atol=1e-6)
    refs = {"input": {"shape": list(x.shape), "data": [float(f"{v:.9g}") for v in x.flatten().tolist()]}, "fixtures": {}}

    def emit(name, tensors, files, model, distilled, head, note, sharded=False, dtype=torch.float32):
        folder = os.path.join(OUT, name)
        os.makedirs(folder, exist_ok=True)
        for f in os.listdir(folder):
            os.remove(os.path.join(folder, f))
        cast = {k: v.to(dtype) for k, v in tensors.items()}
        if sharded:
            write_sharded(folder, cast)
        else:
            write_safetensors(os.path.join(folder, "model.safetensors"), cast)
        for fname, obj in files.items():
            dump(os.path.join(folder, fname), obj)
        m = model if dtype == torch.float32 else rounded(model, dtype)
        with torch.no_grad():
            out, attn = forward(m, x, distilled, head)
        entry = {"note": note, "params": params(tensors), "attention": [[float(f"{v:.7g}") for v in a.flatten().tolist()] for a in attn],
                 "attentionShape": list(attn[0].shape)}
        if head == "none":
            entry["hidden"] = {"shape": list(out.shape), "data": [float(f"{v:.7g}") for v in out.flatten().tolist()]}
        else:
            entry["logits"] = [float(f"{v:.9g}") for v in out[0].tolist()]
        refs["fixtures"][name] = entry

    sv, sd = state(vit, False), state(deit, True)
    hf_pre = {"preprocessor_config.json": preprocessor("ViTImageProcessor")}
    vit_cfg = {"config.json": hf_config("ViTForImageClassification", "vit", **labels_cfg())}
    emit("hf-vit", hf_keys(sv, "vit.", False, "classifier"), {**vit_cfg, **hf_pre}, vit, False, "cls", "ViTForImageClassification, fp32")
    emit("hf-vit-fp16", hf_keys(sv, "vit.", False, "classifier"), {**vit_cfg, **hf_pre}, vit, False, "cls", "ViTForImageClassification, fp16", dtype=torch.float16)
    emit("hf-vit-bf16", hf_keys(sv, "vit.", False, "classifier"), {**vit_cfg, **hf_pre}, vit, False, "cls", "ViTForImageClassification, bf16", dtype=torch.bfloat16)
    emit("hf-vit-sharded", hf_keys(sv, "vit.", False, "classifier"), {**vit_cfg, **hf_pre}, vit, False, "cls", "ViTForImageClassification, two shards", sharded=True)
    emit("hf-vit-base", hf_keys(sv, "", False, None), {"config.json": hf_config("ViTModel", "vit"), **hf_pre}, vit, False, "none",
         "ViTModel without pooler: last_hidden_state")
    deit_pre = {"preprocessor_config.json": preprocessor("DeiTImageProcessor")}
    emit("hf-deit-teacher", hf_keys(sd, "deit.", True, "teacher"),
         {"config.json": hf_config("DeiTForImageClassificationWithTeacher", "deit", encoder_stride=16, **labels_cfg()), **deit_pre},
         deit, True, "both", "DeiTForImageClassificationWithTeacher: mean of the class and distillation heads")
    emit("hf-deit", hf_keys(sd, "deit.", True, "classifier"),
         {"config.json": hf_config("DeiTForImageClassification", "deit", encoder_stride=16, **labels_cfg()), **deit_pre},
         deit, True, "cls", "DeiTForImageClassification: the class token's head only")
    emit("timm-vit", timm_keys(sv, False), {"config.json": timm_config("vit_tiny_patch8_32", False)}, vit, False, "cls", "timm vit_*, fused qkv")
    emit("timm-deit-distilled", timm_keys(sd, True), {"config.json": timm_config("deit_tiny_distilled_patch8_32", True)}, deit, True, "both",
         "timm deit_*_distilled: mean of head and head_dist")
    emit("timm-vit-fp16", timm_keys(sv, False), {"config.json": timm_config("vit_tiny_patch8_32", False)}, vit, False, "cls", "timm vit_*, fp16", dtype=torch.float16)
    os.makedirs(os.path.dirname(REF), exist_ok=True)
    with open(REF, "w") as f:
        json.dump(refs, f)
        f.write("\n")
    print("wrote", OUT, REF)


if __name__ == "__main__":
    main()
