#!/usr/bin/python3
"""PyTorch's logits for tiny_vit_int4.onnx (issue 21): the reference its runtime test compares with.

  /usr/bin/python3 tools/make_int4_reference.py

Needs Debian's python3-torch, python3-torchvision and python3-onnx. The int4 model is tiny_vit with
every weighted MatMul as com.microsoft.MatMulNBits (tools/make_quant_fixtures.py): 4-bit weights in
blocks of 16 along K, one float scale per block, zero point 8. Its exact float computation is
tiny_vit's with each such weight replaced by its dequantized value (q − 8)·scale, so:

  1. rebuild tiny_vit in PyTorch as tools/make_fixtures.py made it, and check it still gives the
     committed reference logits (reference/tiny_vit.json);
  2. unpack each MatMulNBits weight of tiny_vit_int4.onnx, find the PyTorch parameter (or the slice of
     MultiheadAttention's in_proj_weight) that tiny_vit.onnx's MatMul had as that weight, and set it to
     the dequantized values;
  3. run PyTorch on the same input tensors and write reference/tiny_vit_int4.json: logits and the
     attention (softmax) of both blocks per image, laid out as in reference/tiny_vit.json.
"""
import json
import os
import sys

import numpy as np
import onnx
import torch
from onnx import numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_fixtures as mf  # noqa: E402

MODELS, REF = mf.MODELS, mf.REF


def dequantize(node, inits):
    """[K, N] float32 weight of a MatMulNBits node (bits 4, no zero points: zero point 8)."""
    a = {x.name: helper_attr(x) for x in node.attribute}
    K, N, bits, blk = a["K"], a["N"], a["bits"], a["block_size"]
    assert bits == 4 and len(node.input) == 3, node.name
    packed = numpy_helper.to_array(inits[node.input[1]]).astype(np.uint8)  # [N, nb, blk/2]
    scales = numpy_helper.to_array(inits[node.input[2]]).astype(np.float32)
    nb = (K + blk - 1) // blk
    q = np.empty((N, nb, blk), dtype=np.int32)
    q[:, :, 0::2] = packed & 0x0F  # the low nibble is the even element
    q[:, :, 1::2] = packed >> 4
    w = (q - 8).astype(np.float32) * scales.reshape(N, nb, 1)
    return w.reshape(N, nb * blk)[:, :K].T.copy()


def helper_attr(x):
    return onnx.helper.get_attribute_value(x)


def main():
    torch.manual_seed(77)  # tiny_vit is tiny_models()[0] in make_fixtures.make_tiny
    name, ctor = mf.tiny_models()[0][:2]
    assert name == "tiny_vit"
    model = ctor().eval()
    mf.randomize(model, seed=500, tiny=True)
    ref = json.load(open(os.path.join(REF, "tiny_vit.json")))
    with torch.no_grad():
        for im in ref["images"]:
            got = model(torch.tensor(im["input"], dtype=torch.float32)[None])[0].numpy()
            d = np.abs(got - np.array(im["logits"], dtype=np.float32)).max()
            assert d < 1e-5, f"the rebuilt tiny_vit differs from reference/tiny_vit.json by {d} on {im['image']}"

    fp32 = onnx.load(os.path.join(MODELS, "tiny_vit.onnx"))
    fp32_inits = {t.name: numpy_helper.to_array(t) for t in fp32.graph.initializer}
    int4 = onnx.load(os.path.join(MODELS, "tiny_vit_int4.onnx"))
    inits = {t.name: t for t in int4.graph.initializer}
    params = {n: p for n, p in model.named_parameters() if p.dim() == 2}
    replaced = []
    with torch.no_grad():
        for node in int4.graph.node:
            if node.op_type != "MatMulNBits":
                continue
            original = node.input[1][: -len("_Q4")]
            w32 = fp32_inits[original]  # [K, N]: y = x @ w32, so the PyTorch weight holds w32.T
            K, N = w32.shape
            hit = None
            for pname, p in params.items():
                if p.shape[1] != K or p.shape[0] % N:
                    continue
                for r in range(0, p.shape[0], N):
                    if np.array_equal(p[r : r + N].numpy(), w32.T):
                        hit = (pname, r)
                        break
                if hit:
                    break
            assert hit, f"no PyTorch weight holds {original} {list(w32.shape)}"
            pname, r = hit
            wq = dequantize(node, inits)
            params[pname][r : r + N] = torch.from_numpy(wq.T)
            replaced.append(f"{pname}[{r}:{r + N}]")
        assert len(replaced) == sum(1 for n in int4.graph.node if n.op_type == "MatMulNBits")
        out = {
            "model": "tiny_vit_int4.onnx",
            "note": ("PyTorch (float32) on tiny_vit with each MatMulNBits weight of tiny_vit_int4.onnx dequantized, "
                     "(q - 8) * scale per block of 16 along K: the int4 model's exact computation. "
                     "Inputs: those of reference/tiny_vit.json. Made by tools/make_int4_reference.py."),
            "replaced": replaced,
            "images": [],
        }
    for im in ref["images"]:
        x = torch.tensor(im["input"], dtype=torch.float32)[None]
        # grad enabled so torchvision's MultiheadAttention takes the Python path, which calls F.softmax
        with torch.enable_grad(), mf.SoftmaxRecorder() as rec:
            logits = model(x)
        # torch's MHA computes softmax on [B*heads, N, N]: as [B, heads, N, N], like reference/tiny_vit.json
        attns = [a.reshape(1, 2, a.shape[-2], a.shape[-1]) for a in rec.out]
        assert len(attns) == 2, len(attns)
        out["images"].append({"image": im["image"], "logits": mf.f32list(logits[0]),
                              "attention": [{"shape": list(a.shape), "data": mf.f32list(a.reshape(-1))} for a in attns]})
    mf.dump_json(os.path.join(REF, "tiny_vit_int4.json"), out)
    d = max(np.abs(np.array(a["logits"]) - np.array(b["logits"])).max() for a, b in zip(out["images"], ref["images"]))
    print(f"tiny_vit_int4.json: {len(replaced)} weights dequantized; max |logit - fp32 logit| = {d:.4f}")


if __name__ == "__main__":
    main()
