#!/usr/bin/python3
"""PyTorch references for the class-specific explanations (issue 20), and a model built to test RISE.

  /usr/bin/python3 tools/make_explain_fixtures.py      # ~10 s

Writes:
  test/fixtures/reference/explain.json   occlusion maps of tiny_vit and tiny_swin (default and custom
                                         windows), computed in PyTorch on the same models; RISE's
                                         bilinear upsampling + shifted crop by F.interpolate
  test/fixtures/models/explain_region.onnx (+ .json)   a 2-class model (dynamic batch) whose class-0
                                         logit depends only on the region rows 8..15, columns 20..27
                                         of a 32x32 input, class 1's is a constant
  test/fixtures/images/explain_region.png  grey with a white square on that region
  (in explain.json) "drop": token dropping on dynamic_vit (the timm-style ViT exported with a dynamic
                                         sequence length): p(class) − p(class | patch token j removed
                                         from the position-embedded sequence), one value per patch

The tiny models are rebuilt exactly as tools/make_fixtures.py builds them (same seeds) and checked
against the committed reference logits before anything is written.
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_fixtures as mf  # noqa: E402

REGION = (8, 16, 20, 28)  # rows [8, 16), columns [20, 28)


def tiny(name):
    for i, (n, ctor, family, config, _source) in enumerate(mf.tiny_models()):
        if n == name:
            torch.manual_seed(77 + i)
            model = ctor().eval()
            mf.randomize(model, seed=500 + i, tiny=True)
            return model, family, config
    raise KeyError(name)


def occlusion(model, x, cls, window, stride):
    """p(cls) − p(cls | window set to 0 in the normalised input), row-major over the positions."""
    _, _, h, w = x.shape
    gh = max(1, (h - window) // stride + 1)
    gw = max(1, (w - window) // stride + 1)
    with torch.enable_grad():  # torchvision's MHA: the Python path, as exported
        clear = F.softmax(model(x), -1)[0, cls].item()
        out = []
        for r in range(gh):
            for c in range(gw):
                y = x.clone()
                y[:, :, r * stride:r * stride + window, c * stride:c * stride + window] = 0
                out.append(clear - F.softmax(model(y), -1)[0, cls].item())
    return clear, [gh, gw], out


def make_occlusion():
    cases = []
    # (model, image, class or None = top-1, window, stride): the defaults are the patch (ViT, 8 px)
    # and ⌊32/7⌋ = 4 px for Swin at 32² (see core/explain/occlusion.ts defaultWindow)
    plan = [("tiny_vit", 2, None, 8, 8), ("tiny_vit", 1, 3, 12, 5),
            ("tiny_swin", 2, None, 4, 4), ("tiny_swin", 0, 5, 10, 6)]
    refs = {}
    for name, img, cls, window, stride in plan:
        if name not in refs:
            refs[name] = json.load(open(os.path.join(mf.REF, name + ".json")))
        model, _family, _config = tiny(name)
        entry = refs[name]["images"][img]
        x = torch.tensor(entry["input"], dtype=torch.float32).unsqueeze(0)
        with torch.enable_grad():
            logits = model(x)[0]
        ref_logits = torch.tensor(entry["logits"])
        d = (logits - ref_logits).abs().max().item()
        assert d < 1e-5, f"{name} rebuilt differs from the committed reference by {d}"
        k = int(logits.argmax()) if cls is None else cls
        clear, grid, m = occlusion(model, x, k, window, stride)
        cases.append({"model": name + ".onnx", "image": entry["image"], "class": cls, "topClass": int(logits.argmax()),
                      "explained": k, "window": window, "stride": stride, "prob": float(f"{clear:.9g}"),
                      "grid": grid, "map": [float(f"{v:.9g}") for v in m]})
        print(f"{name} {entry['image']} class {k} window {window} stride {stride}: grid {grid}, "
              f"max {max(m):.4f} min {min(m):.4f} (rebuilt logits within {d:.1e})")
    return cases


def make_upsample():
    """RISE's mask: (s+1)² cells, bilinear (align_corners=False) to (s+1)·C, cropped H×W at (dy, dx)."""
    g = torch.Generator().manual_seed(20)
    cases = []
    for side, h, w, c, dy, dx in [(8, 28, 28, 4, 0, 0), (8, 28, 28, 4, 3, 1), (5, 16, 16, 4, 2, 3), (4, 9, 9, 3, 1, 2)]:
        cells = (torch.rand(side, side, generator=g) < 0.5).float()
        up = F.interpolate(cells[None, None], size=(side * c, side * c), mode="bilinear", align_corners=False)[0, 0]
        out = up[dy:dy + h, dx:dx + w]
        cases.append({"cells": cells.flatten().tolist(), "side": side, "height": h, "width": w, "cy": c, "cx": c,
                      "dy": dy, "dx": dx, "out": [float(f"{v:.9g}") for v in out.flatten().tolist()]})
    return cases


def dynamic_vit():
    """dynamic_vit as tools/make_fixtures.py make_dynamic builds it, checked against the committed ONNX weights."""
    import onnx
    from onnx import numpy_helper
    torch.manual_seed(91)
    model = mf.TimmViT(32, 8, 32, 2, 2, 4.0, 10, distilled=False).eval()
    mf.randomize(model, seed=900, tiny=True)
    inits = {t.name: numpy_helper.to_array(t) for t in onnx.load(os.path.join(mf.MODELS, "dynamic_vit.onnx")).graph.initializer}
    checked = 0
    for k, v in model.state_dict().items():
        if k in inits:
            assert np.array_equal(inits[k], v.numpy()), f"dynamic_vit rebuilt: {k} differs from the committed model"
            checked += 1
    assert checked >= 4, f"only {checked} weights matched by name"
    return model


def make_drop():
    """Token dropping on dynamic_vit: the position-embedded sequence with patch token j removed, run
    through the blocks, norm and head; p(class) − p(class | token dropped), row-major over the 4×4 patches."""
    model = dynamic_vit()
    # tiny_vit's inputs: ImageNet mean/std at 32², no resize (the test gives dynamic_vit that config beside a copy)
    refs = json.load(open(os.path.join(mf.REF, "tiny_vit.json")))
    cases = []
    for img, cls in [(2, None), (0, 4)]:
        entry = refs["images"][img]
        x = torch.tensor(entry["input"], dtype=torch.float32).unsqueeze(0)
        with torch.no_grad():
            t = model.patch_embed(x)
            seq = torch.cat([model.cls_token.expand(1, -1, -1), t], dim=1) + model.pos_embed
            rest = lambda s: model.head(model.norm(model.blocks(s))[:, 0])
            logits = rest(seq)[0]
            d = (logits - model(x)[0]).abs().max().item()
            assert d < 1e-6, d
            k = int(logits.argmax()) if cls is None else cls
            clear = F.softmax(logits, -1)[k].item()
            m = []
            for j in range(seq.shape[1] - 1):
                keep = [i for i in range(seq.shape[1]) if i != 1 + j]
                m.append(clear - F.softmax(rest(seq[:, keep]), -1)[0, k].item())
        cases.append({"model": "dynamic_vit.onnx", "image": entry["image"], "class": cls, "explained": k, "prob": float(f"{clear:.9g}"),
                      "grid": [4, 4], "patch": 8, "map": [float(f"{v:.9g}") for v in m]})
        print(f"drop dynamic_vit {entry['image']} class {k}: p {clear:.4f}, max {max(m):.4f} min {min(m):.4f}")
    return cases


def make_region_model():
    """logit0 = 12 · mean(x[:, :, 8:16, 20:28]), logit1 = 6: p(class 0) = σ(12·mean − 6) depends on that
    region only, from ≈ 0 with the region at the mean colour (0) to ≈ 1 with it white (1)."""
    import onnx
    from onnx import TensorProto, helper
    r0, r1, c0, c1 = REGION
    ints = lambda name, v: helper.make_tensor(name, TensorProto.INT64, [len(v)], v)
    inits = [ints("starts", [r0, c0]), ints("ends", [r1, c1]), ints("axes", [2, 3]), ints("one", [1]),
             helper.make_tensor("scale", TensorProto.FLOAT, [], [12.0]), helper.make_tensor("six", TensorProto.FLOAT, [], [6.0])]
    nodes = [
        helper.make_node("Slice", ["input", "starts", "ends", "axes"], ["region"]),
        helper.make_node("ReduceMean", ["region"], ["mean"], axes=[1, 2, 3], keepdims=1),  # [N, 1, 1, 1]
        helper.make_node("Flatten", ["mean"], ["mean2"], axis=1),  # [N, 1]
        helper.make_node("Mul", ["mean2", "scale"], ["logit0"]),
        helper.make_node("Sub", ["logit0", "logit0"], ["zero"]),
        helper.make_node("Add", ["zero", "six"], ["logit1"]),
        helper.make_node("Concat", ["logit0", "logit1"], ["logits"], axis=1),
    ]
    graph = helper.make_graph(nodes, "explain_region", [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 3, 32, 32])],
                              [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 2])], inits)
    opset = onnx.OperatorSetIdProto()
    opset.version = 13  # domain left unset (not ""), as torch writes it: the project's writer round-trips it byte for byte
    m = helper.make_model(graph, opset_imports=[opset], producer_name="tools/make_explain_fixtures.py")
    m.ir_version = 8
    onnx.checker.check_model(m)
    onnx.save(m, os.path.join(mf.MODELS, "explain_region.onnx"))
    mf.dump_json(os.path.join(mf.MODELS, "explain_region.json"),
                 {"imageSize": 32, "mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5], "resize": 32, "crop": 32,
                  "interpolation": "bilinear", "labels": ["region", "constant"]}, compact=False)
    from PIL import Image
    a = np.full((32, 32, 3), 128, np.uint8)
    a[r0:r1, c0:c1] = 255
    Image.fromarray(a, "RGB").save(os.path.join(mf.IMAGES, "explain_region.png"))


def main():
    torch.set_num_threads(1)
    make_region_model()
    doc = {"about": "made by tools/make_explain_fixtures.py with PyTorch on the models tools/make_fixtures.py builds",
           "occlusion": make_occlusion(), "drop": make_drop(), "upsample": make_upsample(),
           "region": {"model": "explain_region.onnx", "image": "images/explain_region.png", "rows": [REGION[0], REGION[1]],
                      "columns": [REGION[2], REGION[3]], "class": 0}}
    mf.dump_json(os.path.join(mf.REF, "explain.json"), doc)


if __name__ == "__main__":
    main()
