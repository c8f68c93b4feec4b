#!/usr/bin/python3
"""Make the fp16 / int8 / ORT-optimised / fused-attention twins of the tiny fixtures (issue 9).

  /usr/bin/python3 tools/make_quant_fixtures.py

Needs Debian's python3-onnx and python3-numpy, and the repo's node_modules (onnxruntime-node,
through tools/ort_run.cjs: calibration runs and ORT's own optimised graphs). Starts from the
complete fp32 fixtures made by make_fixtures.py (tiny_vit.onnx, tiny_swin.onnx) and rewrites
them the way the tools users get their files from do:

  <m>_fp16.onnx      every float tensor float16 (initializers, constants, Casts, input and output),
                     as onnxconverter-common's float16 conversion writes it
  <m>_int8_dyn.onnx  ORT quantize_dynamic's form: DynamicQuantizeLinear -> MatMulInteger -> Cast ->
                     Mul(scale_a * scale_w) [-> Add bias], int8 weights, per tensor
  <m>_qdq.onnx       ORT quantize_static's QDQ form: int8 weights per output channel through
                     DequantizeLinear(axis), Q/DQ pairs on every MatMul/Gemm/Conv activation input
                     (both inputs of QK^T and A.V too), calibrated on the fixture images; ViT with uint8
                     activations (asymmetric), Swin with int8 activations (zero point 0)
  <m>_ort_extended.onnx, <m>_ort_all.onnx   what InferenceSession writes to optimizedModelFilePath
  tiny_vit_fused_attention.onnx   each attention block as one com.microsoft.Attention op
                     (qkv projection, heads, softmax, A.V inside; out projection after)
  tiny_vit_int4.onnx each weighted MatMul as com.microsoft.MatMulNBits (4-bit, block 16)
  vit_b_16_int8_dyn.onnx / vit_b_16_qdq.onnx   structure-only ViT-B/16 in the two int8 forms
                     (weights as int8 external data that is absent, like the fp32 structure file)
  <file>.expected.json   family, PyTorch's param count and config: those of the fp32 twin
  <file>.json            the twin's preprocessing sidecar
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = os.path.join(ROOT, "test", "fixtures", "models")
REF = os.path.join(ROOT, "test", "fixtures", "reference")
ORT_RUN = os.path.join(ROOT, "tools", "ort_run.cjs")
MS = "com.microsoft"


def node_run(model, feeds):
    """Runs a model with ONNX Runtime (CPU) through tools/ort_run.cjs; returns {name: array}."""
    with tempfile.TemporaryDirectory() as d:
        mp = os.path.join(d, "m.onnx")
        onnx.save(model, mp)
        ip, op = os.path.join(d, "in.json"), os.path.join(d, "out.json")
        with open(ip, "w") as f:
            json.dump({"inputs": [{"name": k, "dims": list(v.shape), "data": v.reshape(-1).tolist()} for k, v in feeds.items()]}, f)
        subprocess.run(["node", ORT_RUN, "run", mp, ip, op], check=True)
        out = json.load(open(op))["outputs"]
        return {k: np.array(v["data"], dtype=np.float32).reshape(v["dims"]) for k, v in out.items()}


def ort_optimize(src, level, dst):
    subprocess.run(["node", ORT_RUN, "optimize", src, level, dst], check=True)


def ref_inputs(name):
    ref = json.load(open(os.path.join(REF, name + ".json")))
    return [np.array(im["input"], dtype=np.float32)[None] for im in ref["images"]]


def inits(g):
    return {t.name: t for t in g.initializer}


def producers(g):
    return {o: n for n in g.node for o in n.output}


def replace_init(g, name, arr):
    for i, t in enumerate(g.initializer):
        if t.name == name:
            g.initializer.remove(t)
            break
    g.initializer.append(numpy_helper.from_array(arr, name))


def prune(g):
    """Drops nodes and initializers no graph output depends on."""
    prod = producers(g)
    need = set(o.name for o in g.output)
    stack = list(need)
    keep = set()
    while stack:
        t = stack.pop()
        n = prod.get(t)
        if n is None or id(n) in keep:
            continue
        keep.add(id(n))
        for i in n.input:
            if i and i not in need:
                need.add(i)
                stack.append(i)
    nodes = [n for n in g.node if id(n) in keep]
    del g.node[:]
    g.node.extend(nodes)
    used = set(i for n in g.node for i in n.input)
    for t in list(g.initializer):
        if t.name not in used:
            g.initializer.remove(t)


def weighted(g):
    """(node, weight name, transposed) for MatMul/Gemm with a 2-D float initializer weight."""
    it = inits(g)
    out = []
    for n in g.node:
        if n.op_type == "MatMul" and n.input[1] in it and len(it[n.input[1]].dims) == 2:
            out.append((n, n.input[1], False))
        elif n.op_type == "Gemm" and n.input[1] in it:
            tb = next((a.i for a in n.attribute if a.name == "transB"), 0)
            ta = next((a.i for a in n.attribute if a.name == "transA"), 0)
            assert ta == 0
            out.append((n, n.input[1], bool(tb)))
    return out


def set_opset(m, domain, version):
    for o in m.opset_import:
        if o.domain == domain:
            o.version = max(o.version, version)
            return
    m.opset_import.append(helper.make_opsetid(domain, version))


def finish(m, path, twin, what):
    onnx.checker.check_model(m)
    onnx.save(m, path)
    exp = json.load(open(os.path.join(MODELS, twin + ".expected.json")))
    exp = {**exp, "model": os.path.basename(path), "twin": twin + ".onnx", "made": what,
           "numNodes": len(m.graph.node), "numInitializers": len(m.graph.initializer)}
    exp["softmaxCount"] = sum(1 for n in m.graph.node if n.op_type == "Softmax")
    side = os.path.join(MODELS, twin + ".json")
    if os.path.exists(side):  # the twin's preprocessing sidecar, so both are fed the same tensor
        shutil.copyfile(side, path[:-5] + ".json")
    with open(path[:-5] + ".expected.json", "w") as f:
        json.dump(exp, f, indent=2)
        f.write("\n")
    print(f"{os.path.basename(path)}: {os.path.getsize(path) / 1e3:.0f} kB, {len(m.graph.node)} nodes", flush=True)


# ------------------------------------------------------------------------------ fp16

def to_fp16(m):
    g = m.graph
    for t in list(g.initializer):
        if t.data_type == TensorProto.FLOAT:
            replace_init(g, t.name, numpy_helper.to_array(t).astype(np.float16))
    for n in g.node:
        for a in n.attribute:
            if a.name == "value" and a.type == onnx.AttributeProto.TENSOR and a.t.data_type == TensorProto.FLOAT:
                a.t.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(a.t).astype(np.float16), a.t.name))
            if n.op_type == "Cast" and a.name == "to" and a.i == TensorProto.FLOAT:
                a.i = TensorProto.FLOAT16
    for v in list(g.input) + list(g.output) + list(g.value_info):
        if v.type.tensor_type.elem_type == TensorProto.FLOAT:
            v.type.tensor_type.elem_type = TensorProto.FLOAT16
    return m


# ------------------------------------------------------------------------------ dynamic int8

def quant_sym(w, axis=None):
    """Symmetric int8: scale = max|w| / 127 (per tensor, or per slice along `axis`)."""
    if axis is None:
        s = np.float32(max(np.abs(w).max(), 1e-8) / 127.0)
        return np.clip(np.round(w / s), -127, 127).astype(np.int8), s
    red = tuple(i for i in range(w.ndim) if i != axis)
    s = (np.maximum(np.abs(w).max(axis=red), 1e-8) / 127.0).astype(np.float32)
    shape = [1] * w.ndim
    shape[axis] = -1
    return np.clip(np.round(w / s.reshape(shape)), -127, 127).astype(np.int8), s


def dynamic_int8(m, per_channel=False):
    g = m.graph
    it = inits(g)
    new_nodes = []
    todo = {id(n): (n, w, tb) for n, w, tb in weighted(g)}
    for n in g.node:
        if id(n) not in todo:
            new_nodes.append(n)
            continue
        _, wname, tb = todo[id(n)]
        w = numpy_helper.to_array(it[wname]).astype(np.float32)
        if tb:
            w = w.T
        q, s = quant_sym(w, axis=1 if per_channel else None)
        base = n.name.replace("/", "_").strip("_") or wname
        g.initializer.extend([
            numpy_helper.from_array(q, wname + "_quantized"),
            numpy_helper.from_array(np.array(s, dtype=np.float32), wname + "_scale"),
            numpy_helper.from_array(np.zeros(np.shape(s), dtype=np.int8), wname + "_zero_point"),
        ])
        x = n.input[0]
        y = n.output[0]
        new_nodes += [
            helper.make_node("DynamicQuantizeLinear", [x], [x + "_quantized", x + "_scale", x + "_zero_point"], name=base + "_QuantizeLinear"),
            helper.make_node("MatMulInteger", [x + "_quantized", wname + "_quantized", x + "_zero_point", wname + "_zero_point"], [y + "_int32"], name=base + "_MatMulInteger"),
            helper.make_node("Cast", [y + "_int32"], [y + "_cast"], to=TensorProto.FLOAT, name=base + "_cast"),
            helper.make_node("Mul", [x + "_scale", wname + "_scale"], [y + "_scales"], name=base + "_scales_mul"),
        ]
        if n.op_type == "Gemm" and len(n.input) > 2 and n.input[2]:
            new_nodes += [helper.make_node("Mul", [y + "_cast", y + "_scales"], [y + "_scaled"], name=base + "_output_scale_mul"),
                          helper.make_node("Add", [y + "_scaled", n.input[2]], [y], name=base + "_bias_add")]
        else:
            new_nodes.append(helper.make_node("Mul", [y + "_cast", y + "_scales"], [y], name=base + "_output_scale_mul"))
    del g.node[:]
    g.node.extend(new_nodes)
    prune(g)
    return m


# ------------------------------------------------------------------------------ QDQ

def qdq(m, name, act_uint8):
    g = m.graph
    it = inits(g)
    prod = producers(g)
    targets = []  # activation tensors to quantize
    for n in g.node:
        if n.op_type in ("MatMul", "Gemm", "Conv"):
            for k, x in enumerate(n.input[:2]):
                if x and x not in it and x not in targets:
                    targets.append(x)
    # calibration: min/max of each target over the fixture images
    cal = onnx.ModelProto()
    cal.CopyFrom(m)
    for t in targets:
        cal.graph.output.append(helper.make_tensor_value_info(t, TensorProto.FLOAT, None))
    lo = {t: 0.0 for t in targets}
    hi = {t: 0.0 for t in targets}
    for x in ref_inputs(name):
        out = node_run(cal, {g.input[0].name: x})
        for t in targets:
            lo[t] = min(lo[t], float(out[t].min()))
            hi[t] = max(hi[t], float(out[t].max()))
    new_nodes = []
    done = {}

    def act(x):
        if x in done:
            return done[x]
        if act_uint8:
            s = max(hi[x] - lo[x], 1e-8) / 255.0
            zp = np.array(int(np.clip(round(-lo[x] / s), 0, 255)), dtype=np.uint8)
        else:
            s = max(abs(lo[x]), abs(hi[x]), 1e-8) / 127.0
            zp = np.array(0, dtype=np.int8)
        g.initializer.extend([numpy_helper.from_array(np.array(s, dtype=np.float32), x + "_scale"),
                              numpy_helper.from_array(zp, x + "_zero_point")])
        new_nodes.append(helper.make_node("QuantizeLinear", [x, x + "_scale", x + "_zero_point"], [x + "_QuantizeLinear_Output"], name=x + "_QuantizeLinear"))
        new_nodes.append(helper.make_node("DequantizeLinear", [x + "_QuantizeLinear_Output", x + "_scale", x + "_zero_point"], [x + "_DequantizeLinear_Output"], name=x + "_DequantizeLinear"))
        done[x] = x + "_DequantizeLinear_Output"
        return done[x]

    for n in list(g.node):
        if n.op_type not in ("MatMul", "Gemm", "Conv"):
            new_nodes.append(n)
            continue
        ins = list(n.input)
        for k in range(min(2, len(ins))):
            x = ins[k]
            if x in it and k == 1:
                w = numpy_helper.to_array(it[x]).astype(np.float32)
                tb = n.op_type == "Gemm" and any(a.name == "transB" and a.i for a in n.attribute)
                axis = 0 if (n.op_type == "Conv" or tb) else 1
                if w.ndim >= 2:
                    q, s = quant_sym(w, axis)
                    zp = np.zeros(s.shape, dtype=np.int8)
                    g.initializer.extend([numpy_helper.from_array(q, x + "_quantized"),
                                          numpy_helper.from_array(s, x + "_scale"),
                                          numpy_helper.from_array(zp, x + "_zero_point")])
                    new_nodes.append(helper.make_node("DequantizeLinear", [x + "_quantized", x + "_scale", x + "_zero_point"], [x + "_DequantizeLinear_Output"], name=x + "_DequantizeLinear", axis=axis))
                    ins[k] = x + "_DequantizeLinear_Output"
            elif x and x not in it:
                ins[k] = act(x)
        n2 = onnx.NodeProto()
        n2.CopyFrom(n)
        del n2.input[:]
        n2.input.extend(ins)
        new_nodes.append(n2)
    del g.node[:]
    g.node.extend(new_nodes)
    # QDQ graphs from ORT are in topological order: Q/DQ were appended right before their users,
    # but an activation Q/DQ must follow its producer; sort to be safe.
    topo_sort(g)
    prune(g)
    return m


def topo_sort(g):
    prod = producers(g)
    avail = set(i.name for i in g.input) | set(t.name for t in g.initializer)
    nodes = list(g.node)
    out = []
    placed = set()
    while len(out) < len(nodes):
        progress = False
        for n in nodes:
            if id(n) in placed:
                continue
            if all((not i) or i in avail or i not in prod for i in n.input):
                out.append(n)
                placed.add(id(n))
                avail.update(n.output)
                progress = True
        assert progress, "cycle"
    del g.node[:]
    g.node.extend(out)


# ------------------------------------------------------------------------------ fused attention

def fused_attention(m):
    """Each torchvision MHA block as com.microsoft.Attention (B=1): in_proj + heads + softmax + A.V."""
    g = m.graph
    it = inits(g)
    prod = producers(g)
    cons = {}
    for n in g.node:
        for i in n.input:
            cons.setdefault(i, []).append(n)
    heads = 2
    for sm in [n for n in g.node if n.op_type == "Softmax"]:
        # the Gemm out-projection after A.V, and the in-projection MatMul feeding the block
        av = cons[sm.output[0]][0]
        t = av.output[0]
        gemm = None
        for _ in range(6):
            nxt = cons[t][0]
            if nxt.op_type == "Gemm":
                gemm = nxt
                break
            t = nxt.output[0]
        # the in_proj MatMul: the first weighted MatMul before the block (walk back from QK^T)
        qk = prod[sm.input[0]]
        def dyn(n):
            return next(i for i in n.input if i and i not in it and prod.get(i) is not None and prod[i].op_type != "Constant")
        x = dyn(qk)
        inproj = None
        for _ in range(20):
            p = prod[x]
            if p.op_type == "MatMul" and p.input[1] in it:
                inproj = p
                break
            x = dyn(p)
        ln = inproj.input[0]
        if prod[ln].op_type == "Transpose":  # torchvision's MHA works on [S, B, C]; Attention takes [B, S, C]
            ln = prod[ln].input[0]
        w = numpy_helper.to_array(it[inproj.input[1]])  # [C, 3C]
        add = cons[inproj.output[0]][0]
        b = numpy_helper.to_array(it[add.input[0] if add.input[0] in it else add.input[1]])
        C = w.shape[0]
        wn, bn = inproj.input[1] + "_attention", inproj.input[1] + "_attention_bias"
        g.initializer.extend([numpy_helper.from_array(w, wn), numpy_helper.from_array(b, bn),
                              numpy_helper.from_array(np.array([-1, C], dtype=np.int64), wn + "_shape")])
        out = sm.name.replace("Softmax", "Attention").strip("/").replace("/", "_")
        g.node.extend([helper.make_node("Attention", [ln, wn, bn], [out + "_output"], name=out, domain=MS, num_heads=heads),
                       helper.make_node("Reshape", [out + "_output", wn + "_shape"], [out + "_tokens"], name=out + "_reshape")])
        gemm.input[0] = out + "_tokens"
    topo_sort(g)
    prune(g)
    set_opset(m, MS, 1)
    return m


# ------------------------------------------------------------------------------ int4

def int4(m):
    """Each weighted MatMul as com.microsoft.MatMulNBits (bits 4, block 16, symmetric, zero point 8)."""
    g = m.graph
    it = inits(g)
    blk = 16
    new_nodes = []
    for n in g.node:
        if not (n.op_type == "MatMul" and n.input[1] in it):
            new_nodes.append(n)
            continue
        w = numpy_helper.to_array(it[n.input[1]]).astype(np.float32)  # [K, N]
        K, N = w.shape
        nb = (K + blk - 1) // blk
        wt = np.zeros((N, nb * blk), dtype=np.float32)
        wt[:, :K] = w.T
        wb = wt.reshape(N, nb, blk)
        scale = np.maximum(np.abs(wb).max(axis=2), 1e-8) / 7.0
        q = (np.clip(np.round(wb / scale[:, :, None]), -8, 7) + 8).astype(np.uint8)
        packed = (q[:, :, 0::2] | (q[:, :, 1::2] << 4)).astype(np.uint8)  # [N, nb, blk/2]
        name = n.input[1]
        g.initializer.extend([numpy_helper.from_array(packed, name + "_Q4"),
                              numpy_helper.from_array(scale.reshape(-1).astype(np.float32), name + "_scales")])
        new_nodes.append(helper.make_node("MatMulNBits", [n.input[0], name + "_Q4", name + "_scales"], list(n.output), name=n.name + "_Q4",
                                          domain=MS, K=K, N=N, bits=4, block_size=blk))
    del g.node[:]
    g.node.extend(new_nodes)
    prune(g)
    set_opset(m, MS, 1)
    return m


# ------------------------------------------------------------------------------ structure-only int8

def structure_int8(src, dst_dyn, dst_qdq):
    """ViT-B/16 structure-only in the two int8 forms: int8 weights declared as absent external data."""
    m = onnx.load(src, load_external_data=False)
    g = m.graph
    it = inits(g)

    def absent(name, dims, dtype):
        t = TensorProto()
        t.name = name
        t.data_type = dtype
        t.dims.extend(dims)
        t.data_location = TensorProto.EXTERNAL
        size = int(np.prod(dims)) * (1 if dtype in (TensorProto.INT8, TensorProto.UINT8) else 4)
        for k, v in (("location", "vit_b_16_int8.onnx.data"), ("offset", "0"), ("length", str(size))):
            e = t.external_data.add()
            e.key, e.value = k, v
        return t

    def make(kind):
        mm = onnx.ModelProto()
        mm.CopyFrom(m)
        gg = mm.graph
        its = inits(gg)
        new_nodes = []
        for n in gg.node:
            wname = n.input[1] if len(n.input) > 1 else None
            if n.op_type not in ("MatMul", "Gemm") or wname not in its:
                new_nodes.append(n)
                continue
            dims = list(its[wname].dims)
            if n.op_type == "Gemm":
                dims = dims[::-1]
            x, y = n.input[0], n.output[0]
            gg.initializer.append(absent(wname + "_quantized", dims, TensorProto.INT8))
            if kind == "dyn":
                gg.initializer.extend([numpy_helper.from_array(np.array(0.01, dtype=np.float32), wname + "_scale"),
                                       numpy_helper.from_array(np.array(0, dtype=np.int8), wname + "_zero_point")])
                nn_ = [helper.make_node("DynamicQuantizeLinear", [x], [x + "_q", x + "_s", x + "_zp"]),
                       helper.make_node("MatMulInteger", [x + "_q", wname + "_quantized", x + "_zp", wname + "_zero_point"], [y + "_i32"]),
                       helper.make_node("Cast", [y + "_i32"], [y + "_f"], to=TensorProto.FLOAT),
                       helper.make_node("Mul", [x + "_s", wname + "_scale"], [y + "_sc"])]
                if n.op_type == "Gemm":
                    nn_ += [helper.make_node("Mul", [y + "_f", y + "_sc"], [y + "_m"]), helper.make_node("Add", [y + "_m", n.input[2]], [y])]
                else:
                    nn_.append(helper.make_node("Mul", [y + "_f", y + "_sc"], [y]))
                new_nodes += nn_
            else:
                gg.initializer.extend([numpy_helper.from_array(np.full(dims[1], 0.01, dtype=np.float32), wname + "_scale"),
                                       numpy_helper.from_array(np.zeros(dims[1], dtype=np.int8), wname + "_zero_point"),
                                       numpy_helper.from_array(np.array(0.05, dtype=np.float32), x + "_scale"),
                                       numpy_helper.from_array(np.array(128, dtype=np.uint8), x + "_zero_point")])
                new_nodes += [helper.make_node("QuantizeLinear", [x, x + "_scale", x + "_zero_point"], [x + "_Q"]),
                              helper.make_node("DequantizeLinear", [x + "_Q", x + "_scale", x + "_zero_point"], [x + "_DQ"]),
                              helper.make_node("DequantizeLinear", [wname + "_quantized", wname + "_scale", wname + "_zero_point"], [wname + "_DQ"], axis=1)]
                if n.op_type == "Gemm":
                    new_nodes.append(helper.make_node("Gemm", [x + "_DQ", wname + "_DQ", n.input[2]], [y]))
                else:
                    new_nodes.append(helper.make_node("MatMul", [x + "_DQ", wname + "_DQ"], [y]))
        del gg.node[:]
        gg.node.extend(new_nodes)
        prune(gg)
        return mm

    for kind, dst in (("dyn", dst_dyn), ("qdq", dst_qdq)):
        mm = make(kind)
        onnx.save(mm, dst)
        exp = json.load(open(os.path.join(MODELS, "vit_b_16.expected.json")))
        exp = {**exp, "model": os.path.basename(dst), "twin": "vit_b_16.onnx", "structureOnly": True,
               "made": "int8 " + ("dynamic" if kind == "dyn" else "QDQ") + " form of vit_b_16.onnx, weights absent"}
        with open(dst[:-5] + ".expected.json", "w") as f:
            json.dump(exp, f, indent=2)
            f.write("\n")
        print(f"{os.path.basename(dst)}: {os.path.getsize(dst) / 1e3:.0f} kB", flush=True)


def main():
    only = sys.argv[1:]
    for name in ("tiny_vit", "tiny_swin"):
        if only:
            break
        src = os.path.join(MODELS, name + ".onnx")
        finish(to_fp16(onnx.load(src)), os.path.join(MODELS, name + "_fp16.onnx"), name, "fp16 conversion of " + name)
        finish(dynamic_int8(onnx.load(src), per_channel=(name == "tiny_swin")), os.path.join(MODELS, name + "_int8_dyn.onnx"), name, "dynamic int8 of " + name)
        finish(qdq(onnx.load(src), name, act_uint8=(name == "tiny_vit")), os.path.join(MODELS, name + "_qdq.onnx"), name, "QDQ int8 of " + name)
        for level in ("extended", "all"):
            dst = os.path.join(MODELS, f"{name}_ort_{level}.onnx")
            ort_optimize(src, level, dst)
            finish(onnx.load(dst), dst, name, f"ONNX Runtime optimizedModelFilePath at '{level}' from " + name)
    src = os.path.join(MODELS, "tiny_vit.onnx")
    if only and "fused" not in only:
        return
    finish(fused_attention(onnx.load(src)), os.path.join(MODELS, "tiny_vit_fused_attention.onnx"), "tiny_vit", "com.microsoft.Attention per block of tiny_vit")
    finish(int4(onnx.load(src)), os.path.join(MODELS, "tiny_vit_int4.onnx"), "tiny_vit", "com.microsoft.MatMulNBits (4-bit) of tiny_vit")
    structure_int8(os.path.join(MODELS, "vit_b_16.onnx"), os.path.join(MODELS, "vit_b_16_int8_dyn.onnx"), os.path.join(MODELS, "vit_b_16_qdq.onnx"))


if __name__ == "__main__":
    sys.exit(main())
