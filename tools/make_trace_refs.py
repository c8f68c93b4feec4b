"""PyTorch reference for the step-through (test/runtime/trace.test.ts): q, k, v of one head for one
token, the scores before the softmax (+ B + mask for Swin), the softmax row, the context and the
block output, on the tiny fixtures tools/make_fixtures.py makes (same constructors, seeds and
weights: the logits are checked against its reference first). q, k, v are recomputed from each
module's own weights; the softmax row is checked against the module's own softmax (recorded during
its forward) and the block output is the module's output (a forward hook).
Run with /usr/bin/python3 tools/make_trace_refs.py."""
import json, math, os, sys
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_fixtures as mf  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
lst = lambda t: [float(f"{float(v):.9g}") for v in t.reshape(-1)]


def build(i):
    name, ctor, family, config, _ = mf.tiny_models()[i]
    torch.manual_seed(77 + i)
    model = ctor().eval()
    mf.randomize(model, seed=500 + i, tiny=True)
    return name, model, family, config


def image(img):
    arr = np.asarray(Image.open(os.path.join(ROOT, "test", "fixtures", "images", img + ".png")).convert("RGB"))
    return mf.to_tensor(arr, mf.IMAGENET_MEAN, mf.IMAGENET_STD)


def write_refs(file, doc, cases):
    """test/fixtures/reference/FILE: the cases on images/disc.png, noted with the first line of the script's doc."""
    out = dict(image="images/disc.png", note=doc.split("\n")[0], cases=cases)
    p = os.path.join(ROOT, "test", "fixtures", "reference", file)
    with open(p, "w") as f:
        json.dump(out, f, separators=(",", ":"))
    print("wrote", p, os.path.getsize(p), "bytes;", len(cases), "cases")


def forward(model, x, block):
    box = {}
    h = block.register_forward_hook(lambda m, i, o: box.update(x=i[0].detach().clone(), y=o.detach().clone()))
    with torch.enable_grad(), mf.SoftmaxRecorder() as rec:
        logits = model(x)
    h.remove()
    return logits.detach(), box["x"], box["y"], rec.out


def token_window(z, token, M, s):
    """z [1, H, W, C] rolled by (−s, −s) and cut into M×M windows as the official window_partition does,
    each window's token ids, and the window and position in it of `token`."""
    _, H, W, C = z.shape
    ids = torch.arange(H * W, dtype=torch.float32).view(1, H, W, 1)
    rolled = torch.roll(z, shifts=(-s, -s), dims=(1, 2)) if s else z
    rids = torch.roll(ids, shifts=(-s, -s), dims=(1, 2)) if s else ids
    win = mf.window_partition(rolled, M).reshape(-1, M * M, C)
    wids = mf.window_partition(rids, M).reshape(-1, M * M)
    wi, pos = [(a, b) for a in range(wids.shape[0]) for b in range(M * M) if int(wids[a, b]) == token][0]
    return win, wids, wi, pos


def vit_case(name, model, x, layer, head, token, timm):
    blk = model.blocks[layer] if timm else model.encoder.layers[layer]
    logits, bx, by, soft = forward(model, x, blk)
    with torch.no_grad():
        ln = blk.norm1(bx) if timm else blk.ln_1(bx)
        if timm:
            qkv = blk.attn.qkv(ln)
            heads = blk.attn.heads
        else:
            qkv = F.linear(ln, blk.self_attention.in_proj_weight, blk.self_attention.in_proj_bias)
            heads = blk.self_attention.num_heads
        C = ln.shape[-1]; d = C // heads
        q, k, v = [qkv[0, :, j * C + head * d:j * C + (head + 1) * d] for j in range(3)]
        scores = (k @ q[token]) / math.sqrt(d)
        w = scores.softmax(-1)
        ctx = w @ v
    own = soft[layer].reshape(1, heads, q.shape[0], q.shape[0])[0, head, token]
    assert torch.allclose(own, w, atol=1e-6), (own - w).abs().max()
    return dict(model=name + ".onnx", layer=layer, head=head, token=token, logits=lst(logits[0]),
                q=lst(q[token]), k=[lst(r) for r in k], v=[lst(r) for r in v], scores=lst(scores), weights=lst(w),
                context=lst(ctx), output=lst(by[0, token]))


def swin_case(name, model, x, stage, blockno, layer, head, token, v2=False):
    """One token of a torchvision Swin block; `v2`: Swin V2's (make_trace_v2_refs.py), with the key bias
    zeroed, cos(q, k)·τ + the CPB row instead of q·k/√d + the table's, and no LayerNorm before attention."""
    blk = model.features[2 * stage + 1][blockno]
    logits, bx, by, soft = forward(model, x, blk)
    at = blk.attn
    M = at.window_size[0]
    extra = {}
    with torch.no_grad():
        B, H, W, C = bx.shape
        s = at.shift_size[0] if M < H else 0
        # V2 (res-post-norm): attention reads the block input itself
        win, wids, wi, pos = token_window(bx if v2 else blk.norm1(bx), token, M, s)
        heads = at.num_heads
        d = C // heads
        N = M * M
        if v2:
            bias = at.qkv.bias.clone()
            bias[C:2 * C] = 0  # torchvision: qkv_bias[length:2*length].zero_()
            qkv = F.linear(win[wi], at.qkv.weight, bias)  # [M², 3C]
        else:
            qkv = at.qkv(win[wi])  # [M², 3C]
        q, k, v = [qkv[:, j * C + head * d:j * C + (head + 1) * d] for j in range(3)]
        if v2:
            tau = torch.clamp(at.logit_scale, max=math.log(100.0)).exp().reshape(-1)[head]
            table = 16 * torch.sigmoid(at.cpb_mlp(at.relative_coords_table).view(-1, heads))  # [(2M−1)², heads]
            brow = table[at.relative_position_index.view(-1)].view(N, N, heads)[pos, :, head]
            cos = F.normalize(k, dim=-1) @ F.normalize(q[pos], dim=-1)
            scores = cos * tau + brow
            extra = dict(tau=float(f"{float(tau):.9g}"), bias=lst(brow))
        else:
            table = at.relative_position_bias_table[at.relative_position_index.view(-1)].view(N, N, -1)
            scores = (k @ q[pos]) * d ** -0.5 + table[pos, :, head]
        if s:
            scores = scores + mf.shifted_mask(H, W, M, s)[1][wi, pos]
        w = scores.softmax(-1)
        ctx = w @ v
    own = soft[layer][wi, head, pos]
    assert torch.allclose(own, w, atol=1e-6), (own - w).abs().max()
    return dict(model=name + ".onnx", layer=layer, head=head, token=token, window=wi, position=pos, shift=s,
                keys=[int(t) for t in wids[wi]], logits=lst(logits[0]), **extra,
                q=lst(q[pos]), k=[lst(r) for r in k], v=[lst(r) for r in v], scores=lst(scores), weights=lst(w),
                context=lst(ctx), output=lst(by.reshape(-1, C)[token]))


def main():
    cases = []
    refs = {}
    for i in range(3):
        name, model, family, config = build(i)
        ref = json.load(open(os.path.join(ROOT, "test", "fixtures", "reference", name + ".json")))
        x = image("disc")
        logits = model(x).detach()
        exp = [r for r in ref["images"] if r["image"].endswith("disc.png")][0]["logits"]
        assert torch.allclose(logits[0], torch.tensor(exp), atol=1e-5), f"{name}: not the fixture's weights"
        refs[name] = model
        if name == "tiny_vit":
            cases += [vit_case(name, model, x, 0, 0, 0, False), vit_case(name, model, x, 1, 1, 6, False)]
        elif name == "tiny_deit":
            cases += [vit_case(name, model, x, 1, 0, 1, True), vit_case(name, model, x, 0, 1, 9, True)]
        else:
            # stage 0: block 0 unshifted, block 1 shifted (a token whose window mixes sub-windows);
            # stage 1 (8×8, window 4): block 1 shifted
            cases += [swin_case(name, model, x, 0, 0, 0, 0, 37), swin_case(name, model, x, 0, 1, 1, 1, 255),
                      swin_case(name, model, x, 1, 1, 3, 2, 46)]
    write_refs("trace_tiny.json", __doc__, cases)


if __name__ == "__main__":
    main()
