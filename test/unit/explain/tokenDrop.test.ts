import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readModel } from '../../../src/core/onnx/reader';
import { dropTokens, dropUnsupported, findEmbeddedSequence, restAfterEmbedding } from '../../../src/core/explain/tokenDrop';
import { fixture } from '../../skip';

const root = join(__dirname, '..', '..', '..', '..');
const model = (n: string) => readModel(fixture(join(root, 'test', 'fixtures', 'models', `${n}.onnx`)));

describe('explain: token dropping (graph cut and sequences)', () => {
  it('finds the position-embedded sequence and cuts the graph there: no patch embedding left, the sequence is the input', () => {
    const m = model('dynamic_vit');
    const seq = findEmbeddedSequence(m, 'dynamic_vit.onnx');
    assert.deepEqual([seq.tokens, seq.dim], [17, 32]);
    const rest = restAfterEmbedding(m, seq, 'batch');
    assert.equal(rest.graph.inputs[0].name, seq.name);
    assert.deepEqual(rest.graph.inputs[0].type, { kind: 'tensor', elemType: 1, shape: ['batch', 'tokens', 32] });
    assert.ok(!rest.graph.nodes.some((n) => n.opType === 'Conv'), 'the patch embedding is cut off');
    assert.ok(!rest.graph.initializers.some((t) => t.name === 'pos_embed' || t.name === 'cls_token'));
    assert.equal(rest.graph.outputs[0].name, m.graph.outputs[0].name);
    assert.ok(rest.graph.nodes.length < m.graph.nodes.length && rest.graph.nodes.some((n) => n.opType === 'Softmax'));
  });

  it('drops exactly patch token first + k of each run, keeping the class token', () => {
    const seq = Float32Array.from({ length: 4 * 2 }, (_, i) => i); // 4 tokens × 2 channels: [cls, p0, p1, p2]
    assert.deepEqual(Array.from(dropTokens(seq, 4, 2, 1, 1, 2)), [/* p1 dropped: */ 0, 1, 2, 3, 6, 7, /* p2 dropped: */ 0, 1, 2, 3, 4, 5]);
  });

  it('Swin, hybrid and other families say why and point to occlusion; ViT has no objection', () => {
    assert.match(dropUnsupported('swin', 'm')!, /Swin.*occlusion/);
    assert.match(dropUnsupported('swin-v2', 'm')!, /Swin.*occlusion/);
    assert.match(dropUnsupported('vit-hybrid', 'm')!, /hybrid.*occlusion/);
    assert.match(dropUnsupported('other', 'm')!, /not a ViT/);
    assert.equal(dropUnsupported('vit', 'm'), null);
  });
});
