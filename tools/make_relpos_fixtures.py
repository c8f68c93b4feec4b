#!/usr/bin/python3
"""Fixtures for Swin's relative position bias and patch merging (issue 10), with Debian's torch.

  /usr/bin/python3 tools/make_relpos_fixtures.py

Writes (deterministic, fixed seeds):
  test/fixtures/models/relpos_w4.onnx       torchvision SwinTransformer, window 4×4, complete weights
  test/fixtures/models/relpos_w7.onnx       window 7×7
  test/fixtures/models/relpos_w3x5.onnx     a non-square window 3×5 on a 24×40 input
  test/fixtures/models/relpos_w4_raw.onnx   relpos_w4 exported without constant folding: the raw
                                            table [(2M−1)², heads] and its Gather stay in the graph
  test/fixtures/models/relpos_disagree.onnx relpos_w4 with the first block's folded [1, heads, M², M²]
                                            constant replaced by random values (not a relative bias)
  test/fixtures/reference/relpos.json       per model and block: PyTorch's relative_position_bias_table
                                            [(2Mh−1)(2Mw−1), heads] and relative_position_index; patch
                                            merging of feature maps with distinct values (official order)
"""
import json
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_fixtures as mf  # noqa: E402  (helpers: randomize, export, f32list, dump_json)

ROOT = os.path.dirname(HERE)
MODELS = os.path.join(ROOT, "test", "fixtures", "models")
REF = os.path.join(ROOT, "test", "fixtures", "reference")


def swin(window, image):
    from torchvision.models.swin_transformer import SwinTransformer
    return SwinTransformer(patch_size=[2, 2], embed_dim=8, depths=[2, 2], num_heads=[2, 4],
                           window_size=list(window), num_classes=10)


def blocks_of(model):
    """(stage, block, attn module) for every Swin block, in order."""
    from torchvision.models.swin_transformer import SwinTransformerBlock
    return [(stage, b, m.attn) for stage, b, m in mf.swin_blocks(model, SwinTransformerBlock)]


def export_plain(model, path, shape, fold=True):
    model.eval()
    x = torch.randn(*shape, generator=torch.Generator().manual_seed(0))
    with torch.enable_grad():
        torch.onnx.export(model, x, path, opset_version=17, input_names=["input"], output_names=["logits"],
                          do_constant_folding=fold)


def model_reference(name, model, window, shape):
    blocks = []
    for stage, b, attn in blocks_of(model):
        table = attn.relative_position_bias_table.detach()
        blocks.append({
            "name": f"stage{stage}.block{b}",
            "heads": int(attn.num_heads),
            "window": [int(w) for w in attn.window_size],
            "shift": [int(s) for s in attn.shift_size],
            "table": mf.f32list(table),  # [(2Mh-1)(2Mw-1), heads], as PyTorch holds it
        })
    idx = blocks_of(model)[0][2].relative_position_index.detach().reshape(-1).tolist()
    return {"model": name + ".onnx", "input": list(shape), "window": list(window),
            "params": mf.count_params(model), "relativePositionIndex": [int(v) for v in idx], "blocks": blocks}


def merging_reference():
    """torchvision's _patch_merging_pad (= the official x0..x3 order) on maps of distinct values."""
    from torchvision.models.swin_transformer import _patch_merging_pad
    out = []
    for (H, W, C) in [(4, 4, 1), (4, 6, 2), (5, 3, 2)]:
        x = torch.arange(1, H * W * C + 1, dtype=torch.float32).reshape(1, H, W, C)
        y = _patch_merging_pad(x)[0]
        out.append({"H": H, "W": W, "C": C, "input": x.reshape(-1).tolist(),
                    "outShape": list(y.shape), "output": y.reshape(-1).tolist()})
    return out


def disagreeing(src, dst):
    import onnx
    from onnx import numpy_helper
    m = onnx.load(src)
    prod = {o: n for n in m.graph.node for o in n.output}
    inits = {t.name: t for t in m.graph.initializer}
    rng = np.random.default_rng(3)
    for n in m.graph.node:
        if n.op_type != "Softmax":
            continue
        x = n.input[0]
        p = prod[x]
        while p.op_type != "Add":
            p = prod[p.input[0]]
        const = next(i for i in p.input if i in inits)
        t = inits[const]
        arr = rng.standard_normal(tuple(t.dims)).astype(np.float32)
        t.CopyFrom(numpy_helper.from_array(arr, const))
        break
    onnx.save(m, dst)


def main():
    torch.set_num_threads(1)
    os.makedirs(MODELS, exist_ok=True)
    ref = {"models": {}, "merging": merging_reference()}
    specs = [("relpos_w4", (4, 4), (1, 3, 32, 32)),
             ("relpos_w7", (7, 7), (1, 3, 28, 28)),
             ("relpos_w3x5", (3, 5), (1, 3, 24, 40))]
    for i, (name, window, shape) in enumerate(specs):
        torch.manual_seed(90 + i)
        model = swin(window, shape[2:]).eval()
        mf.randomize(model, seed=900 + i, tiny=True)
        export_plain(model, os.path.join(MODELS, name + ".onnx"), shape)
        ref["models"][name] = model_reference(name, model, window, shape)
        if name == "relpos_w4":
            export_plain(model, os.path.join(MODELS, "relpos_w4_raw.onnx"), shape, fold=False)
            ref["models"]["relpos_w4_raw"] = dict(ref["models"][name], model="relpos_w4_raw.onnx")
    disagreeing(os.path.join(MODELS, "relpos_w4.onnx"), os.path.join(MODELS, "relpos_disagree.onnx"))
    mf.dump_json(os.path.join(REF, "relpos.json"), ref)
    for f in sorted(os.listdir(MODELS)):
        if f.startswith("relpos_"):
            print(f, os.path.getsize(os.path.join(MODELS, f)))


if __name__ == "__main__":
    main()
