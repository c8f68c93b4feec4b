#!/usr/bin/python3
"""Copy tiny fixture models with every Softmax output added as a graph output, for tiny_parity.cjs.

  /usr/bin/python3 tools/check/add_attention_outputs.py tiny_vit tiny_swin tiny_deit
writes tools/.work/check/<name>.attn.onnx
"""
import os
import sys

import onnx

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "tools", ".work", "check")
os.makedirs(OUT, exist_ok=True)
for n in sys.argv[1:] or ["tiny_vit", "tiny_swin", "tiny_deit"]:
    m = onnx.load(os.path.join(ROOT, "test", "fixtures", "models", n + ".onnx"))
    for node in m.graph.node:
        if node.op_type == "Softmax":
            m.graph.output.append(onnx.helper.make_empty_tensor_value_info(node.output[0]))
    onnx.save(m, os.path.join(OUT, n + ".attn.onnx"))
