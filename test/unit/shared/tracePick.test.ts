// The step-through's picks from an inspection alone: the blocks, heads and tokens of the embedded
// ViT and Swin, and the block an architecture-tree module is.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { inspectModel } from '../../../src/core/arch/inspect';
import { blockLayer, pickProblem, pickRanges } from '../../../src/shared/tracePick';

const model = (n: string) => inspectModel(join(__dirname, '..', '..', '..', '..', 'media', 'models', `${n}.onnx`), { details: true });

describe('shared/tracePick', () => {
  it('ViT: 6 blocks of 4 heads over the class token and 7×7 patches; out-of-range picks quote the ranges', () => {
    const r = pickRanges(model('fashion-vit'))!;
    assert.deepEqual(r, { layers: 6, heads: [4, 4, 4, 4, 4, 4], tokens: [50, 50, 50, 50, 50, 50] });
    assert.equal(pickProblem(r, { layer: 5, head: 3, token: 49 }), null);
    assert.equal(pickProblem(r, { layer: 6, head: 0, token: 0 }), 'Block 6 does not exist: this model has blocks 0..5.');
    assert.equal(pickProblem(r, { layer: 0, head: 4, token: 0 }), 'Head 4 does not exist in block 0: it has heads 0..3.');
    assert.equal(pickProblem(r, { layer: 0, head: 0, token: 50 }), 'Token 50 does not exist in block 0: it has tokens 0..49.');
  });

  it('Swin: each stage’s blocks with its heads and grid; a tree block (or a collapsed run) is its block index', () => {
    const info = model('fashion-swin');
    assert.deepEqual(pickRanges(info), { layers: 6, heads: [2, 2, 4, 4, 4, 4], tokens: [196, 196, 49, 49, 49, 49] });
    assert.equal(blockLayer(info, '/features/features.1/features.1.1'), 1);
    assert.equal(blockLayer(info, '/features/features.3/features.3.0*2x2'), 2);
    assert.equal(blockLayer(info, '/features/features.3/features.3.2/attn'), 4);
    assert.equal(blockLayer(info, '/features/features.3/features.3.2/mlp'), null);
    assert.equal(blockLayer(info, '/features/features.3'), 2);
  });

  it('a model that is not a ViT/Swin has no ranges', () => {
    assert.equal(pickRanges({ family: 'other', stages: [], config: { extraTokens: 0 } as never }), null);
  });
});
