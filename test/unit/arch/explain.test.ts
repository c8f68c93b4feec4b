import assert from 'node:assert/strict';
import * as path from 'node:path';
import { inspectModel } from '../../../src/core/arch/inspect';
import type { TreeNode } from '../../../src/core/arch/tree';

const MODELS = path.join(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'models');
const all = (t: TreeNode, out: TreeNode[] = []): TreeNode[] => (out.push(t), t.children.forEach((c) => all(c, out)), out);

describe('arch/explain: every number explained, with this model\'s values', () => {
  const swinT = all(inspectModel(path.join(MODELS, 'swin_t.onnx')).tree);
  it('Swin-T: stages named with tokens, channels, window and heads; patch merging between them', () => {
    assert.deepEqual(swinT.filter((t) => t.kind === 'stage').map((t) => t.label), [
      'stage 1 (56×56 tokens, 96 channels, window 7, heads 3)',
      'stage 2 (28×28 tokens, 192 channels, window 7, heads 6)',
      'stage 3 (14×14 tokens, 384 channels, window 7, heads 12)',
      'stage 4 (7×7 tokens, 768 channels, window 7, heads 24)',
    ]);
    const merges = swinT.filter((t) => t.label === 'patch merging');
    assert.equal(merges.length, 3);
    assert.match(merges[0].explain!, /C → 4C = 384, LayerNorm, then a linear layer 4C → 2C = 192: 56×56 → 28×28 tokens/);
    assert.match(merges[2].explain!, /14×14 → 7×7/);
  });
  it('Swin-T: the scale read from the graph, QKᵀ, +B, +mask, Softmax, ·V, projection, MLP, head', () => {
    const lines = swinT.map((t) => t.explain ?? '');
    const has = (re: RegExp, n = 1) => assert.ok(lines.filter((l) => re.test(l)).length >= n, `${re}`);
    has(/^Scale: × 0\.1768 = 1\/√32 \(d = 32\)/, 12);
    has(/^Q, K, V: one linear layer C → 3C \(96 → 288\)/);
    has(/^QKᵀ: each of the 49 queries of its 7×7 window against its 49 keys/);
    has(/^\+B: the relative position bias.*\(2·7−1\)² = 169-entry table per head/, 12);
    has(/^\+mask: -100 where query and key come from different regions/, 5);
    has(/^Softmax over the 49 keys/);
    has(/^·V: /);
    has(/^Projection: the 3 heads concatenated back to C = 96/);
    has(/^MLP: C → rC → C \(96 → 384 → 96, r = 4\)/);
    has(/^Patch embedding: each 4×4×3 patch of the image → a C = 96 token, by a 4×4 convolution with stride 4 on a 56×56 grid/);
    has(/^Classification head: C → classes \(768 → 1000\)/);
    has(/^SW-MSA block \(windows shifted by 3\)/, 5);
  });
  it('DeiT: class and distillation tokens, position embedding, global attention', () => {
    const lines = all(inspectModel(path.join(MODELS, 'tiny_deit.onnx')).tree).map((t) => t.explain ?? '');
    assert.ok(lines.some((l) => /^Prepends 2 learned tokens \(class, distillation or register\)/.test(l)), 'tokens');
    assert.ok(lines.some((l) => /^Position embedding: a learned 18×32 table/.test(l)), 'position embedding');
    assert.ok(lines.some((l) => /^Multi-head self-attention SoftMax\(QKᵀ\/√d\)V over all 18 tokens: 2 heads of d = 16/.test(l)), 'attention');
    assert.ok(lines.some((l) => /^Scale: × 0\.25 = 1\/√16/.test(l)), 'scale');
  });
  it('a QDQ export: the 1/√d scale is found behind the QuantizeLinear/DequantizeLinear pair before QKᵀ, in every block', () => {
    const nodes = all(inspectModel(path.join(MODELS, 'tiny_vit_qdq.onnx')).tree);
    const scales = nodes.filter((t) => /^Scale: × 0\.25 = 1\/√16 \(d = 16\)/.test(t.explain ?? ''));
    assert.equal(scales.length, 2);
    assert.ok(scales.every((t) => t.op === 'Div'), scales.map((t) => t.op).join());
  });
});
