import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { inspectModel } from '../../../src/core/arch/inspect';
import { analyzeGraph } from '../../../src/core/arch/analysis';
import { detectArchitecture } from '../../../src/core/arch/detect';
import { findBackbone } from '../../../src/core/arch/hybrid';
import { readModel } from '../../../src/core/onnx/reader';
import { inferShapes } from '../../../src/core/onnx/shapes';
import type { TreeNode } from '../../../src/core/arch/tree';
import { embeddingsOfFile } from '../../../src/core/report/embeddings';

const models = resolve('test/fixtures/models');
const expected = JSON.parse(readFileSync(join(models, 'tiny_hybrid.expected.json'), 'utf8'));

function find(t: TreeNode, pred: (t: TreeNode) => boolean): TreeNode | undefined {
  if (pred(t)) return t;
  for (const c of t.children) {
    const r = find(c, pred);
    if (r) return r;
  }
  return undefined;
}

describe('hybrid ViT (CNN feature map → tokens) and register tokens', () => {
  it('tiny_hybrid: family vit-hybrid, effective patch 8 = stride 8 × 1×1 projection, backbone params and MACs split as PyTorch counts them', () => {
    const r = inspectModel(join(models, 'tiny_hybrid.onnx'));
    assert.equal(r.family, 'vit-hybrid');
    assert.equal(r.config.patchSize, 8);
    assert.deepEqual(r.config.backbone, { kind: 'conv', stride: 8, featureMap: [4, 4], params: expected.backboneParams, macs: expected.macsSplit.backbone });
    assert.equal(r.params, expected.params);
    assert.equal(r.macs, expected.macsSplit.backbone + expected.macsSplit.transformer);
    assert.deepEqual(r.stages.map((s) => [s.name, s.tokens]), [['encoder', [4, 4]]]);
    // The tree has a backbone group holding exactly the backbone's params and MACs, above the encoder.
    const bb = find(r.tree, (t) => t.kind === 'backbone');
    assert.ok(bb);
    assert.deepEqual([bb.params, bb.macs], [expected.backboneParams, expected.macsSplit.backbone]);
    assert.ok(find(r.tree, (t) => t.name === 'class token (Expand)'));
  });

  it('tiny_hybrid_resnet: a backbone with residual stages is a "resnet" backbone; its params and MACs as PyTorch counts them', () => {
    const exp = JSON.parse(readFileSync(join(models, 'tiny_hybrid_resnet.expected.json'), 'utf8'));
    const r = inspectModel(join(models, 'tiny_hybrid_resnet.onnx'));
    assert.deepEqual([r.family, r.config.patchSize, r.params, r.macs], ['vit-hybrid', 8, exp.params, exp.macs]);
    assert.deepEqual(r.config.backbone, { kind: 'resnet', stride: 8, featureMap: [4, 4], params: exp.backboneParams, macs: exp.macsSplit.backbone });
  });

  it('tiny_registers: 4 registers among 5 extra tokens, named in the tree', () => {
    const r = inspectModel(join(models, 'tiny_registers.onnx'));
    assert.deepEqual([r.family, r.config.extraTokens, r.config.registers, r.config.backbone], ['vit', 5, 4, null]);
    assert.ok(find(r.tree, (t) => /^register tokens ×4/.test(t.name) && t.params === 128));
    assert.ok(find(r.tree, (t) => /^class token/.test(t.name) && t.params === 32));
    const deit = inspectModel(join(models, 'tiny_deit.onnx'));
    assert.deepEqual([deit.config.extraTokens, deit.config.registers], [2, 0]);
    assert.ok(find(deit.tree, (t) => /^distillation token/.test(t.name)));
  });

  it('a backbone whose stride cannot be resolved says so and keeps what is known (feature map, kind)', () => {
    const m = readModel(join(models, 'tiny_hybrid.onnx'));
    const a = analyzeGraph(m, inferShapes(m));
    // As if the 4×4 feature map came from a 30×30 image: no whole stride.
    a.shapes.imageSize = [30, 30];
    const bb = findBackbone(a, a.patchEmbed!)!;
    assert.deepEqual([bb.kind, bb.stride, bb.featureMap], ['conv', null, [4, 4]]);
    assert.match(bb.why!, /a 4×4 feature map from a 30×30 image is not a whole, square stride/);
    a.backbone = bb;
    const det = detectArchitecture(a);
    assert.deepEqual([det.family, det.config.patchSize, det.config.backbone?.stride, det.config.backbone?.featureMap], ['vit-hybrid', null, null, [4, 4]]);
  });

  it('ResNet-18 stays "other" and says it is a convolutional network, not a hybrid', () => {
    const r = inspectModel(join(models, 'resnet18.onnx'));
    assert.deepEqual([r.family, r.config.backbone, r.config.patchSize], ['other', null, null]);
    assert.match(r.warnings.join('\n'), /No attention over tokens.*convolutional network.*"other"/);
  });

  it('embeddings of a hybrid: position similarity over the 4×4 grid; no RGB filters, and why', () => {
    const d = embeddingsOfFile(join(models, 'tiny_hybrid.onnx'));
    assert.deepEqual(d.positions?.grid, [4, 4]);
    assert.equal(d.patchFilters, null);
    assert.match(d.notes.join(' '), /hybrid ViT.*feature map, not pixels/);
  });
});
