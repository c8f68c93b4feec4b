/**
 * z₀ as the graph assembles it (core/trace/embedding.ts): a token's path back from block 0's input to
 * its origin for the three orders models use — ViT/DeiT (prepend, then + E_pos over every token),
 * timm's no_embed_class (+ E_pos on the patches, then prepend class and registers) and DINOv2 (prepend
 * the class token, + E_pos, then insert the registers) — and the tree plan.ts reads from real exports.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { TensorInfo } from '../../../src/core/onnx/model';
import { type EmbedNode, hasPosition, learnedKind, tokenPath } from '../../../src/core/trace/embedding';
import { traceCapture, traceModel } from '../../../src/core/trace/model';
import { extraTokenNames } from '../../../src/core/trace/selection';
import { fixture } from '../../skip';
import { models } from '../helpers/attentionReference';

const table = (name: string, dims: number[]): TensorInfo => ({ name, dims }) as unknown as TensorInfo;
const patches: EmbedNode = { op: 'patches', output: 'patches' };
const cls: EmbedNode = { op: 'learned', table: table('cls_token', [1, 1, 8]) };
const reg: EmbedNode = { op: 'learned', table: table('register_tokens', [1, 4, 8]) };
/** [op, index, part?] of each hop, first (block 0's input) to last (the origin) */
const path = (tree: EmbedNode, t: number): (string | number)[][] | null => tokenPath(tree, t)?.map((h) => [h.node.op, h.index, ...(h.part !== undefined ? [h.part] : [])]) ?? null;

describe('trace: the embedding as the graph assembles it', () => {
  it('ViT/DeiT: [x_class; patches] + E_pos: a patch at sequence index t takes E_pos[t], the class token E_pos[0]', () => {
    const vit: EmbedNode = { op: 'position', output: 'z0', table: table('pos_embed', [1, 17, 8]), part: { op: 'concat', output: 'cat', parts: [cls, patches], lengths: [1, 16] } };
    assert.deepEqual(path(vit, 7), [['position', 7], ['concat', 7, 1], ['patches', 6]]);
    assert.deepEqual(path(vit, 0), [['position', 0], ['concat', 0, 0], ['learned', 0]]);
    assert.equal(path(vit, 17), null, 'past the 17 tokens');
  });

  it('timm no_embed_class: E_pos on the patches first, then class and registers prepended (a register has no position)', () => {
    const timm: EmbedNode = { op: 'concat', output: 'z0', parts: [cls, reg, { op: 'position', output: 'pp', table: table('pos_embed', [1, 16, 8]), part: patches }], lengths: [1, 4, 16] };
    assert.deepEqual(path(timm, 7), [['concat', 7, 2], ['position', 2], ['patches', 2]], 'patch 2 takes E_pos[2] of the patches-only table');
    assert.deepEqual(path(timm, 3), [['concat', 3, 1], ['learned', 2]], 'register 2');
    assert.equal(hasPosition(timm), true);
  });

  it('DINOv2: class prepended, + E_pos, then the registers inserted between the class token and the patches', () => {
    const added: EmbedNode = { op: 'position', output: 'add', table: table('pos_embed', [1, 17, 8]), part: { op: 'concat', output: 'cat', parts: [cls, patches], lengths: [1, 16] } };
    const dino: EmbedNode = { op: 'concat', output: 'z0', parts: [{ op: 'slice', output: 's0', start: 0, part: added }, reg, { op: 'slice', output: 's1', start: 1, part: added }], lengths: [1, 4, 16] };
    assert.deepEqual(path(dino, 7), [['concat', 7, 2], ['slice', 2], ['position', 3], ['concat', 3, 1], ['patches', 2]], 'token 7 is patch 2: E_pos[3]');
    assert.deepEqual(path(dino, 0), [['concat', 0, 0], ['slice', 0], ['position', 0], ['concat', 0, 0], ['learned', 0]]);
    assert.deepEqual(path(dino, 1), [['concat', 1, 1], ['learned', 0]], 'register 0: no position');
  });

  it('learned tokens are named as the exporters name them', () => {
    assert.deepEqual(['cls_token', 'class_token', 'dist_token', 'register_tokens', 'embeddings.mask_token'].map((n) => learnedKind(table(n, [1, 1, 8]))), ['class', 'class', 'distillation', 'register', 'token']);
  });

  it('the names the detection\'s counts give: class, distillation, registers numbered (a registers-only model has no class token)', () => {
    assert.deepEqual(extraTokenNames(5, 4), ['class', 'register 0', 'register 1', 'register 2', 'register 3']);
    assert.deepEqual(extraTokenNames(2, 0), ['class', 'distillation']);
    assert.deepEqual(extraTokenNames(4, 4), ['register 0', 'register 1', 'register 2', 'register 3']);
    assert.deepEqual(extraTokenNames(1, 0), ['class']);
    assert.deepEqual(extraTokenNames(0, 0), []);
  });

  it('the tree read from the exports: tiny_registers (DINOv2 order), tiny_deit (class, distillation, patches + E_pos), tiny_interpolated', () => {
    const shape = (e: EmbedNode): unknown => (e.op === 'concat' ? { concat: e.lengths, parts: e.parts.map(shape) } : e.op === 'slice' ? { slice: e.start, of: shape(e.part) } : e.op === 'position' ? { position: typeof e.table === 'string' ? e.table : e.table.dims, of: shape(e.part) } : e.op === 'learned' ? e.table.name : 'patches');
    const taps = (name: string) => traceCapture(traceModel(fixture(join(models, `${name}.onnx`))), 0).taps;
    const added = { position: [1, 17, 32], of: { concat: [1, 16], parts: ['cls_token', 'patches'] } };
    assert.deepEqual(shape(taps('tiny_registers').embedTree!), { concat: [1, 4, 16], parts: [{ slice: 0, of: added }, 'register_tokens', { slice: 1, of: added }] });
    assert.deepEqual(shape(taps('tiny_deit').embedTree!), { position: [1, 18, 32], of: { concat: [1, 1, 16], parts: ['cls_token', 'dist_token', 'patches'] } });
    // the position table resized in the graph (bicubic from 2×2): a computed tensor, captured
    const interp = taps('tiny_interpolated').embedTree!;
    assert.ok(interp.op === 'position' && typeof interp.table === 'string', 'a computed E_pos');
    assert.equal(taps('tiny_swin').embedTree, null, 'Swin has no class token or absolute position here');
  });
});
