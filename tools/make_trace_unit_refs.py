"""Reference values for the step-through's recomputations (test/unit/trace), from PyTorch:
scaled dot-product attention for one query, LayerNorm, GELU, the patch-embedding Conv, and Swin's
window of a token after torch.roll + the official window_partition, its relative position bias row
and its mask row. Run with /usr/bin/python3 tools/make_trace_unit_refs.py."""
import json, os
import torch
import torch.nn.functional as F

torch.manual_seed(19)
out = {}

q = torch.randn(8); k = torch.randn(5, 8); v = torch.randn(5, 8); scale = 8 ** -0.5
scores = (k @ q) * scale; w = scores.softmax(-1); ctx = w @ v
out["attention"] = dict(q=q.tolist(), k=k.tolist(), v=v.tolist(), scale=scale, scores=scores.tolist(), weights=w.tolist(), context=ctx.tolist())

x = torch.randn(12); g = torch.randn(12); b = torch.randn(12)
out["layerNorm"] = dict(x=x.tolist(), gamma=g.tolist(), beta=b.tolist(), eps=1e-6, y=F.layer_norm(x, (12,), g, b, 1e-6).tolist())
gx = torch.linspace(-6, 6, 49, dtype=torch.float64)
out["gelu"] = dict(x=gx.tolist(), y=F.gelu(gx).tolist())

img = torch.randn(1, 3, 8, 8); cw = torch.randn(6, 3, 4, 4); cb = torch.randn(6)
conv = F.conv2d(img, cw, cb, stride=4)  # [1, 6, 2, 2]
out["patchEmbedding"] = dict(H=8, W=8, p=4, input=img.flatten().tolist(), weight=cw.flatten().tolist(), bias=cb.tolist(),
                             patches=[dict(row=r, col=c, y=conv[0, :, r, c].tolist()) for r in range(2) for c in range(2)])

def window_partition(x, M):  # official
    B, H, W, C = x.shape
    x = x.view(B, H // M, M, W // M, M, C)
    return x.permute(0, 1, 3, 2, 4, 5).contiguous().view(-1, M, M, C)

def official_mask(H, W, M, s):
    img_mask = torch.zeros((1, H, W, 1))
    cnt = 0
    for h in (slice(0, -M), slice(-M, -s), slice(-s, None)):
        for w_ in (slice(0, -M), slice(-M, -s), slice(-s, None)):
            img_mask[:, h, w_, :] = cnt; cnt += 1
    mw = window_partition(img_mask, M).view(-1, M * M)
    am = mw.unsqueeze(1) - mw.unsqueeze(2)
    return am.masked_fill(am != 0, -100.0).masked_fill(am == 0, 0.0)

def rel_index(M):
    coords = torch.stack(torch.meshgrid([torch.arange(M), torch.arange(M)], indexing="ij"))
    cf = torch.flatten(coords, 1)
    rel = (cf[:, :, None] - cf[:, None, :]).permute(1, 2, 0).contiguous()
    rel[:, :, 0] += M - 1; rel[:, :, 1] += M - 1; rel[:, :, 0] *= 2 * M - 1
    return rel.sum(-1)

H = W = 8; M = 4; heads = 3
table = torch.randn((2 * M - 1) ** 2, heads)
idx = rel_index(M)
cases = []
for s in (0, 2):
    ids = torch.arange(H * W, dtype=torch.float32).view(1, H, W, 1)
    rolled = torch.roll(ids, shifts=(-s, -s), dims=(1, 2)) if s else ids
    wins = window_partition(rolled, M).view(-1, M * M)  # [nW, M²] token ids
    mask = official_mask(H, W, M, s) if s else None
    for token in (0, 9, 27, 63):
        win, pos = [(i, j) for i in range(wins.shape[0]) for j in range(M * M) if int(wins[i, j]) == token][0]
        for head in (0, 2):
            cases.append(dict(shift=s, token=token, head=head, window=win, position=pos, keys=[int(t) for t in wins[win]],
                              index=idx[pos].tolist(), bias=table[idx[pos].flatten()][:, head].tolist(),
                              mask=(mask[win, pos].tolist() if s else [0.0] * (M * M))))
out["swin"] = dict(H=H, W=W, M=M, heads=heads, table=table.flatten().tolist(), cases=cases)

path = os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "reference", "trace_unit.json")
with open(path, "w") as f: json.dump(out, f)
print("wrote", path)
