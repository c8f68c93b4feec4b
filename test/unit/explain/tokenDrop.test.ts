import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readModel } from '../../../src/core/onnx/reader';
import { dropTokens, dropUnsupported, findEmbeddedSequence, restAfterEmbedding } from '../../../src/core/explain/tokenDrop';
import { fixture } from '../../skip';

const root = join(__dirname, '..', '..', '..', '..');
const models = join(root, 'test', 'fixtures', 'models');
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

  it('keeps exactly the nodes the outputs need past the cut, in graph order, on the tiny fixture models (QDQ, int8, int4, fused, ORT-optimised)', () => {
    const files = readdirSync(models).filter((f) => /^tiny_.*\.onnx$/.test(f));
    assert.ok(files.length >= 20 && files.includes('tiny_vit_qdq.onnx') && files.includes('tiny_vit_int8_dyn.onnx'), files.join(' '));
    for (const f of files) {
      const m = model(f.slice(0, -'.onnx'.length));
      // Cuts after single-output nodes (a cut is the position-embedding Add's output), a third of the way in and near the end.
      const single = m.graph.nodes.flatMap((x, i) => (x.outputs.length === 1 ? [i] : []));
      for (const k of [single[Math.floor(single.length / 3)], single[single.length - 2]]) {
        const cut = m.graph.nodes[k].outputs[0];
        const rest = restAfterEmbedding(m, { name: cut, tokens: 2, dim: 1 }, 'batch');
        const made = new Set(rest.graph.nodes.flatMap((x) => x.outputs));
        const given = new Set([cut, ...m.graph.inputs.map((i) => i.name), ...m.graph.initializers.map((t) => t.name)]);
        const read = new Set(rest.graph.nodes.flatMap((x) => [...x.inputs, ...x.attributes.flatMap((a) => (a.type === 'graph' ? a.value.nodes.flatMap((s) => s.inputs) : []))]));
        const outputs = new Set(m.graph.outputs.map((o) => o.name));
        const where = `${f}, cut after node ${k}`;
        assert.ok(!made.has(cut), `${where}: the cut's producer is dropped`);
        // Closed: whatever a kept node reads is made by a kept node, or given (the cut, an input, a weight).
        for (const x of rest.graph.nodes) for (const t of x.inputs) assert.ok(!t || made.has(t) || given.has(t), `${where}: ${x.name} reads ${t}, made by a dropped node`);
        // Minimal: every kept node's output is read by a kept node or is an output of the model.
        for (const x of rest.graph.nodes) assert.ok(x.outputs.some((o) => read.has(o) || outputs.has(o)), `${where}: ${x.name} is kept but nothing needs it`);
        const order = new Map(m.graph.nodes.map((x, i) => [x, i]));
        assert.ok(rest.graph.nodes.every((x, i) => i === 0 || order.get(rest.graph.nodes[i - 1])! < order.get(x)!), `${where}: graph order kept`);
      }
    }
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
