"""PyTorch reference for the step-through of the hybrid ViT and the ViT with register tokens
(test/runtime/traceHybridRegisters.test.ts): q, k, v of one head for one token, the scores, the
softmax row, the context and the block output, as tools/make_trace_refs.py computes them, on the
fixtures tools/make_vit_fixtures.py makes (same constructors, seeds and weights: the logits are
checked against its reference first). For the hybrid also the backbone's feature-map cell the token
projects (the input of patch_embed.proj), for the registers model the block-0 input row (class +
registers + position embedding as the module assembles them).
Run with /usr/bin/python3 tools/make_trace_vit_refs.py (writes test/fixtures/reference/trace_vit_extra.json)."""
import json, os, sys
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_fixtures as mf  # noqa: E402
import make_vit_fixtures as vf  # noqa: E402
from make_trace_refs import image, lst, vit_case, write_refs  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# name, constructor, the seed make_vit_fixtures.main sets before it
MODELS = [("tiny_hybrid", lambda: vf.TinyHybrid(), 11), ("tiny_hybrid_resnet", lambda: vf.TinyHybrid(resnet=True), 13),
          ("tiny_registers", lambda: vf.TinyRegisters(), 12)]


def build(name, ctor, seed):
    torch.manual_seed(seed)
    model = ctor().eval()
    mf.randomize(model, seed=900 + len(name), tiny=True)  # as make_vit_fixtures.make_complete
    return model


def embedding_row(model, x, token):
    """Block 0's input row of the token (a forward hook on blocks[0])."""
    box = {}
    h = model.blocks[0].register_forward_hook(lambda m, i, o: box.update(x=i[0].detach().clone()))
    with torch.no_grad():
        model(x)
    h.remove()
    return lst(box["x"][0, token])


def cell(model, x, row, col):
    """The backbone's feature-map values the 1×1 projection reads for patch (row, col)."""
    with torch.no_grad():
        f = model.patch_embed.backbone(x)
    return lst(f[0, :, row, col])


def main():
    torch.set_num_threads(1)
    cases = []
    x = image("disc")
    for name, ctor, seed in MODELS:
        model = build(name, ctor, seed)
        ref = json.load(open(os.path.join(ROOT, "test", "fixtures", "reference", name + ".json")))
        exp = [r for r in ref["images"] if r["image"].endswith("disc.png")][0]
        assert torch.allclose(x[0].reshape(-1), torch.tensor(exp["input"]).reshape(-1), atol=1e-6), f"{name}: not the fixture's input"
        with torch.no_grad():
            logits = model(x)
        assert torch.allclose(logits[0], torch.tensor(exp["logits"]), atol=1e-5), f"{name}: not the fixture's weights"
        if name == "tiny_registers":
            # the class token, a register token, a patch token (sequence: class, 4 registers, 16 patches)
            picks = [(0, 1, 0), (1, 0, 2), (1, 1, 11)]
        else:
            picks = [(0, 0, 0), (1, 1, 6)]
        for layer, head, token in picks:
            c = vit_case(name, model, x, layer, head, token, True)
            c["embedding"] = embedding_row(model, x, token)
            if name != "tiny_registers" and token >= 1:
                k = token - 1
                c["cell"] = cell(model, x, k // 4, k % 4)
            cases.append(c)
    write_refs("trace_vit_extra.json", __doc__, cases)


if __name__ == "__main__":
    main()
