"""PyTorch reference for the step-through on Swin V2 (test/runtime/traceV2.test.ts): one token of one
head of tiny_swin_v2.onnx's blocks (unshifted and shifted), from the torchvision module that made
the fixture (tools/make_swinv2_fixtures.py: same constructor, seeds and weights; its logits are
checked against that script's reference first). Recomputed from the module's own weights
(make_trace_refs.swin_case with v2=True):

  q, k, v   F.linear of the (rolled) window with the qkv weight, the key bias zeroed as torchvision's
            shifted_window_attention does; q and k before F.normalize
  tau       clamp(logit_scale, max=log 100).exp() of the head
  bias      16·sigmoid(cpb_mlp(relative_coords_table)) gathered by relative_position_index, the token's row
  scores    cos(q, k)·tau + bias (+ mask on a shifted block): what enters the softmax
  weights   their softmax, checked against the module's own softmax (recorded during its forward)
  context   weights · v
  output    the block's output (a forward hook), at the token

Writes test/fixtures/reference/trace_v2.json. Run with /usr/bin/python3 tools/make_trace_v2_refs.py."""
import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_fixtures as mf  # noqa: E402
import make_swinv2_fixtures as v2  # noqa: E402
from make_trace_refs import image, swin_case, write_refs  # noqa: E402

ROOT = os.path.dirname(HERE)


def build():
    """The model of make_swinv2_fixtures.make_tiny, checked against the logits it recorded."""
    from torchvision.models.swin_transformer import SwinTransformer, SwinTransformerBlockV2, PatchMergingV2
    torch.manual_seed(5)
    m = SwinTransformer(patch_size=[2, 2], embed_dim=8, depths=[2, 2], num_heads=[2, 4], window_size=[4, 4], num_classes=10,
                        block=SwinTransformerBlockV2, downsample_layer=PatchMergingV2).eval()
    mf.randomize(m, seed=950, tiny=True)
    ref = json.load(open(os.path.join(ROOT, "test", "fixtures", "reference", "tiny_swin_v2.json")))
    x = torch.tensor(ref["input"], dtype=torch.float32).view(1, 3, 32, 32)
    with torch.no_grad():
        assert torch.allclose(m(x)[0], torch.tensor(ref["logits"]), atol=1e-5), "not the fixture's weights"
    return m


def main():
    torch.set_num_threads(1)
    v2.patch_zero()
    model = build()
    x = image("disc")

    def case(stage, blockno, layer, head, token):
        return swin_case("tiny_swin_v2", model, x, stage, blockno, layer, head, token, v2=True)

    # stage 0 (16×16, window 4): block 0 unshifted, block 1 shifted at a token whose window mixes
    # sub-windows; stage 1 (8×8): block 1 shifted
    cases = [case(0, 0, 0, 1, 37), case(0, 1, 1, 0, 255), case(1, 1, 3, 2, 46)]
    write_refs("trace_v2.json", __doc__, cases)


if __name__ == "__main__":
    main()
