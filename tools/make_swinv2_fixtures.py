#!/usr/bin/python3
"""Swin V2 fixtures (issue 9's Swin V2 part), with Debian's torch 1.13 / torchvision 0.14.

  /usr/bin/python3 tools/make_swinv2_fixtures.py [--only tiny|structure]

Writes:
  test/fixtures/models/tiny_swin_v2.onnx        complete torchvision SwinTransformer with SwinTransformerBlockV2 /
                                                PatchMergingV2 (patch 2, embed 8, depths [2,2], heads [2,4], window 4,
                                                32² input), random weights (seeded)
  test/fixtures/models/tiny_swin_v2.expected.json  family, params (PyTorch's count), config
  test/fixtures/reference/tiny_swin_v2.json     input, logits, and per block the bias the model adds:
                                                16·sigmoid(cpb_mlp(relative_coords_table)) [(2M−1)², heads]
  test/fixtures/models/swin_v2_t.onnx (+ .expected.json)   torchvision swin_v2_t at 256², structure-only
                                                (external data deleted, as make_fixtures.py does)

torch 1.13's exporter has no aten::zero, which V2's attention uses to zero the key bias
(`qkv_bias[length:2*length].zero_()`); the export runs torchvision's own function with that one
line written as a torch.cat of the same values (same outputs).
"""
import argparse
import inspect
import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_fixtures as mf  # noqa: E402

ROOT = os.path.dirname(HERE)
MODELS = os.path.join(ROOT, "test", "fixtures", "models")
REF = os.path.join(ROOT, "test", "fixtures", "reference")


def patch_zero():
    import torchvision.models.swin_transformer as S
    src = inspect.getsource(S.shifted_window_attention)
    old = "        qkv_bias[length : 2 * length].zero_()"
    assert old in src, "torchvision changed: check the V2 key-bias zeroing"
    src = src.replace(old, "        qkv_bias = torch.cat([qkv_bias[:length], torch.zeros_like(qkv_bias[length : 2 * length]), qkv_bias[2 * length :]])")
    exec(compile(src, S.__file__, "exec"), S.__dict__)


def cpb_bias(attn):
    """The [(2M−1)², heads] values the model adds, before the gather: 16·sigmoid(cpb_mlp(table))."""
    t = attn.cpb_mlp(attn.relative_coords_table).view(-1, attn.num_heads)
    return 16 * torch.sigmoid(t)


def make_tiny():
    from torchvision.models.swin_transformer import SwinTransformer, SwinTransformerBlockV2, PatchMergingV2
    torch.manual_seed(5)
    m = SwinTransformer(patch_size=[2, 2], embed_dim=8, depths=[2, 2], num_heads=[2, 4], window_size=[4, 4], num_classes=10,
                        block=SwinTransformerBlockV2, downsample_layer=PatchMergingV2).eval()
    mf.randomize(m, seed=950, tiny=True)
    path = os.path.join(MODELS, "tiny_swin_v2.onnx")
    x = torch.randn(1, 3, 32, 32, generator=torch.Generator().manual_seed(1))
    with torch.enable_grad():
        torch.onnx.export(m, x, path, opset_version=17, input_names=["input"], output_names=["logits"], do_constant_folding=True)
    blocks = []
    with torch.no_grad():
        logits = m(x)
        for stage, k, b in mf.swin_blocks(m, SwinTransformerBlockV2):
            blocks.append({"name": f"stage{stage}.block{k}", "heads": int(b.attn.num_heads), "window": [int(w) for w in b.attn.window_size],
                           "cpbParams": int(sum(p.numel() for p in b.attn.cpb_mlp.parameters())),
                           "bias": mf.f32list(cpb_bias(b.attn))})
    exp = {"model": "tiny_swin_v2.onnx", "family": "swin-v2", "params": mf.count_params(m),
           "source": "torchvision SwinTransformer(patch_size=[2,2], embed_dim=8, depths=[2,2], num_heads=[2,4], window_size=[4,4], "
                     "num_classes=10, block=SwinTransformerBlockV2, downsample_layer=PatchMergingV2)",
           "config": {"imageSize": 32, "patchSize": 2, "embedDim": 8, "depths": [2, 2], "heads": [2, 4], "windowSize": 4, "shiftSize": 2,
                      "extraTokens": 0, "numClasses": 10, "mlpRatio": 4.0}}
    mf.dump_json(os.path.join(MODELS, "tiny_swin_v2.expected.json"), exp, compact=False)
    mf.dump_json(os.path.join(REF, "tiny_swin_v2.json"), {"input": mf.f32list(x), "logits": mf.f32list(logits), "blocks": blocks})
    print("tiny_swin_v2", exp["params"], os.path.getsize(path))


def make_structure():
    import torchvision
    m = torchvision.models.swin_v2_t().eval()
    mf.randomize(m, seed=960)
    full = os.path.join(mf.TMP if hasattr(mf, "TMP") else "/tmp", "swin_v2_t.full.onnx")
    os.makedirs(os.path.dirname(full), exist_ok=True)
    x = torch.randn(1, 3, 256, 256)
    with torch.enable_grad():
        torch.onnx.export(m, x, full, opset_version=17, input_names=["input"], output_names=["logits"], do_constant_folding=True)
    out = os.path.join(MODELS, "swin_v2_t.onnx")
    _, data_size = mf.strip_weights(full, out, "swin_v2_t")
    os.remove(full)
    exp = {"model": "swin_v2_t.onnx", "family": "swin-v2", "params": mf.count_params(m), "externalDataBytes": data_size,
           "source": "torchvision.models.swin_v2_t() at 256², random weights, structure-only",
           "config": {"imageSize": 256, "patchSize": 4, "embedDim": 96, "depths": [2, 2, 6, 2], "heads": [3, 6, 12, 24], "windowSize": 8,
                      "shiftSize": 4, "extraTokens": 0, "numClasses": 1000, "mlpRatio": 4.0}}
    mf.dump_json(os.path.join(MODELS, "swin_v2_t.expected.json"), exp, compact=False)
    print("swin_v2_t", exp["params"], os.path.getsize(out))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", choices=["tiny", "structure"])
    args = ap.parse_args()
    torch.set_num_threads(1)
    patch_zero()
    if args.only in (None, "tiny"):
        make_tiny()
    if args.only in (None, "structure"):
        make_structure()


if __name__ == "__main__":
    main()
