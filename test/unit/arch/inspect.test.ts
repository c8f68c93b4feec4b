import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { UserError } from '../../../src/core/errors';
import { inspectModel } from '../../../src/core/arch/inspect';
import { collapseRepeats, searchTree, type TreeNode } from '../../../src/core/arch/tree';
import { GraphBuilder } from '../../../src/core/onnx/builder';
import { DataType } from '../../../src/core/onnx/proto';
import { readModel } from '../../../src/core/onnx/reader';
import { addGraphOutputs, writeModel } from '../../../src/core/onnx/writer';
import { useTempDir } from '../helpers/tempDir';

const MODELS = path.resolve(process.cwd(), 'test/fixtures/models');
const fixture = (n: string): string => path.join(MODELS, `${n}.onnx`);

function walk(t: TreeNode, f: (t: TreeNode, depth: number) => void, depth = 0): void {
  f(t, depth);
  for (const c of t.children) walk(c, f, depth + 1);
}
function find(t: TreeNode, id: string): TreeNode | undefined {
  let hit: TreeNode | undefined;
  walk(t, (x) => {
    if (x.id === id) hit = x;
  });
  return hit;
}

describe('arch inspect: the vit-inspect arch document', () => {
  const tmp = useTempDir('vit-inspect-');

  it('Swin-T: summary, MACs at 224², signature, a warning for its absent weights, and plain JSON', () => {
    const r = inspectModel(fixture('swin_t'));
    assert.equal(r.family, 'swin');
    assert.equal(r.params, 28288354);
    assert.deepEqual(r.config.depths, [2, 2, 6, 2]);
    assert.ok(Math.abs(r.macs - 4.49e9) / 4.49e9 < 0.005, String(r.macs));
    assert.deepEqual(r.imageSize, [224, 224]);
    assert.equal(r.opset, 17);
    assert.match(r.producer, /pytorch/);
    assert.deepEqual(r.inputs.map((i) => [i.name, i.dtype, i.boundShape]), [['input', 'float', [1, 3, 224, 224]]]);
    assert.deepEqual(r.outputs[0].boundShape, [1, 1000]);
    assert.equal(r.attentionOutputs.length, 12);
    assert.ok(r.warnings.some((w) => /swin_t\.onnx\.data.*not found/.test(w)), r.warnings.join('\n'));
    assert.deepEqual(
      r.stages.map((s) => [s.name, s.tokens, s.dim, s.window, s.shiftedBlocks]),
      [
        ['stage1', [56, 56], 96, 7, 1],
        ['stage2', [28, 28], 192, 7, 1],
        ['stage3', [14, 14], 384, 7, 3],
        ['stage4', [7, 7], 768, 7, 0],
      ],
    );
    const json = JSON.parse(JSON.stringify(r));
    assert.equal(json.tree.params, r.params);
  });

  it('Swin-T tree: stages → blocks → attention / MLP → ops, with params and MACs summing up', () => {
    const { tree, params, macs } = inspectModel(fixture('swin_t'));
    assert.equal(tree.kind, 'model');
    assert.equal(tree.params, params);
    assert.equal(tree.macs, macs);
    const stage = find(tree, '/features/features.1');
    assert.equal(stage?.kind, 'stage');
    const block = find(tree, '/features/features.1/features.1.0');
    assert.equal(block?.kind, 'block');
    assert.deepEqual(block?.outputShape, [1, 56, 56, 96]);
    assert.equal(find(tree, '/features/features.1/features.1.0/attn')?.kind, 'attention');
    assert.equal(find(tree, '/features/features.1/features.1.0/mlp')?.kind, 'mlp');
    assert.equal(find(tree, '/features/features.1/features.1.0/norm1')?.kind, 'norm');
    assert.equal(find(tree, '/features/features.0')?.kind, 'embed');
    assert.equal(find(tree, '/head')?.kind, 'head');
    // Every module's params and MACs are the sums of its children's.
    walk(tree, (t) => {
      if (!t.children.length) return;
      assert.equal(t.children.reduce((s, c) => s + c.params, 0), t.params, t.id);
      assert.equal(t.children.reduce((s, c) => s + c.macs, 0), t.macs, t.id);
    });
    // Ops carry their op type, node and role; shape arithmetic is folded away, but counted.
    const qkv = find(tree, '/features/features.1/features.1.0/attn/MatMul');
    assert.equal(qkv?.op, 'MatMul');
    assert.equal(qkv?.role, 'qkv');
    assert.deepEqual(qkv?.outputShape, [64, 49, 288]);
    assert.equal(qkv?.macs, 64 * 49 * 96 * 288);
    assert.ok((find(tree, '/features/features.1/features.1.1/attn')?.foldedOps ?? 0) > 100);
  });

  it('repeated blocks collapse to "× N" (Swin: W-MSA/SW-MSA pairs; ViT: 12 identical layers)', () => {
    const swin = collapseRepeats(inspectModel(fixture('swin_t')).tree);
    const s3 = find(swin, '/features/features.5');
    assert.equal(s3?.children.length, 1);
    assert.equal(s3?.children[0].repeat, 3);
    assert.equal(s3?.children[0].period, 2);
    assert.equal(s3?.children[0].children.length, 2);
    assert.equal(s3?.children[0].params, s3?.params);
    // Stage 4 (7×7, window 7) has no shift: two identical blocks.
    const s4 = find(swin, '/features/features.7');
    assert.equal(s4?.children[0].repeat, 2);
    assert.equal(s4?.children[0].period, 1);
    const vit = collapseRepeats(inspectModel(fixture('vit_b_16')).tree);
    const layers = find(vit, '/encoder/layers');
    assert.equal(layers?.kind, 'stage');
    assert.equal(layers?.children.length, 1);
    assert.equal(layers?.children[0].repeat, 12);
    assert.match(layers?.children[0].name ?? '', /encoder_layer_0 … encoder_layer_11/);
  });

  it('nodes without a scope join their neighbours\' module; modules list children in graph order', () => {
    const g = new GraphBuilder();
    const x = g.input('x', DataType.FLOAT, [1, 3, 8, 8]);
    const w = g.initializer('w', new Float32Array(4 * 3 * 2 * 2), [4, 3, 2, 2]);
    const c = g.op('Conv', [x, w], { strides: [2, 2] }, '/stem/conv/Conv');
    const r = g.op('Relu', [c], {}, ''); // no name at all
    const f = g.op('Flatten', [r], {}, 'Flatten_7'); // a name without a scope
    const w2 = g.initializer('w2', new Float32Array(64 * 5), [64, 5]);
    g.output(g.op('MatMul', [f, w2], {}, '/fc/MatMul'));
    const file = path.join(tmp(), 'unscoped.onnx');
    writeModel(g.build(), file);
    const { tree, params } = inspectModel(file);
    assert.deepEqual(tree.children.map((t) => t.id), ['/stem', '/fc']);
    const stem = find(tree, '/stem/conv');
    assert.deepEqual(stem?.children.map((t) => t.op), ['Conv']);
    assert.deepEqual(find(tree, '/fc')?.children.map((t) => t.op), ['Relu', 'Flatten', 'MatMul']);
    assert.equal(tree.params, params);
    assert.equal(params, 48 + 320);
  });

  it('search finds entries by name and by op, with the path to expand', () => {
    const { tree } = inspectModel(fixture('swin_t'));
    const soft = searchTree(tree, 'softmax');
    assert.equal(soft.filter((m) => m.node.op === 'Softmax').length, 12);
    const m0 = soft[0];
    assert.deepEqual(m0.path.slice(0, 3), ['/features', '/features/features.1', '/features/features.1/features.1.0']);
    assert.equal(searchTree(tree, 'reduction').filter((m) => m.node.kind !== 'op').length, 3);
    assert.deepEqual(searchTree(tree, '   '), []);
  });

  it('ViT-B/16 and DeiT: family, extra tokens, MACs near the papers', () => {
    const v = inspectModel(fixture('vit_b_16'));
    assert.equal(v.family, 'vit');
    assert.equal(v.config.extraTokens, 1);
    assert.ok(Math.abs(v.macs - 17.6e9) / 17.6e9 < 0.005);
    assert.deepEqual(v.stages.map((s) => [s.tokens, s.dim, s.window]), [[[14, 14], 768, null]]);
    const d = inspectModel(fixture('deit_s_distilled'));
    assert.equal(d.config.extraTokens, 2);
    assert.ok(Math.abs(d.macs - 4.6e9) / 4.6e9 < 0.02, String(d.macs));
  });

  it('ResNet-18 opens as "other" with its tree and MACs', () => {
    const r = inspectModel(fixture('resnet18'));
    assert.equal(r.family, 'other');
    assert.ok(Math.abs(r.macs - 1.814e9) / 1.814e9 < 0.01, String(r.macs));
    assert.equal(r.tree.params, r.params);
    assert.ok(find(r.tree, '/layer1/layer1.0'));
  });

  it('the attention outputs it names can be added with the writer and returned by onnxruntime', async () => {
    const r = inspectModel(fixture('tiny_vit'));
    const m = readModel(fixture('tiny_vit'));
    const file = path.join(tmp(), 'tiny_vit_attn.onnx');
    writeModel(addGraphOutputs(m, r.attentionOutputs.map((name) => ({ name }))), file);
    const sess = await ort.InferenceSession.create(file);
    const x = new ort.Tensor('float32', new Float32Array(3 * 32 * 32).fill(0.1), [1, 3, 32, 32]);
    const out = await sess.run({ input: x });
    for (const name of r.attentionOutputs) {
      assert.deepEqual(out[name].dims, [2, 17, 17]);
      const row = Array.from((out[name].data as Float32Array).slice(0, 17));
      assert.ok(Math.abs(row.reduce((s, v) => s + v, 0) - 1) < 1e-4);
    }
    assert.deepEqual(out.logits.dims, [1, 10]);
  });

  it('image size: the model\'s own by default; a fixed-size model refuses another; a dynamic one checks it fits', () => {
    assert.deepEqual(inspectModel(fixture('tiny_vit')).imageSize, [32, 32]);
    assert.throws(() => inspectModel(fixture('tiny_vit'), { imageSize: 64 }), (e: unknown) => e instanceof UserError && /32×32 images only/.test(e.message));
    assert.throws(() => inspectModel(fixture('tiny_vit'), { imageSize: 0 }), UserError);
    const d = inspectModel(fixture('dynamic_vit'));
    assert.deepEqual(d.imageSize, [32, 32]);
    assert.ok(d.warnings.some((w) => /dynamic/.test(w)));
    assert.deepEqual(d.inputs[0].shape, ['batch', 3, 'height', 'width']);
    assert.throws(() => inspectModel(fixture('dynamic_vit'), { imageSize: 48 }), (e: unknown) => e instanceof UserError && /does not work at 48×48/.test(e.message));
    assert.equal(inspectModel(fixture('dynamic_vit'), { imageSize: 32 }).config.imageSize, 32);
  });

  it('details: attributes, inputs and outputs with shapes, initializer dims and where the bytes are', () => {
    const r = inspectModel(fixture('vit_b_16'), { details: true });
    assert.ok(r.nodes);
    const conv = r.nodes.find((n) => n.op === 'Conv');
    assert.ok(conv);
    assert.deepEqual(conv.attributes.strides, [16, 16]);
    assert.deepEqual(conv.inputs[1].initializer?.dims, [768, 3, 16, 16]);
    assert.equal(conv.inputs[1].initializer?.location, 'external');
    assert.equal(conv.inputs[1].initializer?.file, 'vit_b_16.onnx.data');
    assert.deepEqual(conv.outputs[0].shape, [1, 768, 14, 14]);
    assert.equal(conv.role, 'patchEmbed');
  });

  it('a model with an If subgraph opens, and says its subgraphs are not traversed', () => {
    const then = new GraphBuilder();
    then.output(then.op('Identity', ['x'], {}, '/then/Identity'));
    const els = new GraphBuilder();
    els.output(els.op('Neg', ['x'], {}, '/else/Neg'));
    const g = new GraphBuilder();
    const x = g.input('x', DataType.FLOAT, [1, 3, 8, 8]);
    const c = g.op('ReduceMax', [x], { keepdims: 0 });
    const b = g.op('Greater', [c, g.float32([0], [])]);
    const y = g.node('If', [b], 1, { then_branch: then.build().graph, else_branch: els.build().graph }, '/If')[0];
    const w = g.initializer('w', new Float32Array(4 * 3 * 2 * 2), [4, 3, 2, 2]);
    g.output(g.op('Conv', [x, w], { strides: [2, 2] }, '/conv/Conv'));
    g.output(y);
    const file = path.join(tmp(), 'if.onnx');
    writeModel(g.build(), file);
    const r = inspectModel(file);
    assert.equal(r.family, 'other');
    assert.ok(r.warnings.some((w2) => /2 subgraphs.*not traversed/.test(w2)), r.warnings.join('\n'));
    assert.equal(r.macs, 4 * 4 * 4 * 12);
  });
});
