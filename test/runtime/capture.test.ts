import assert from 'node:assert/strict';
import { closeSync, copyFileSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { maxRowSumError, windowGeometry, windowQueryAttention } from '../../src/core/attention/maps';
import { attentionDocument, layerMap, rolloutMap } from '../../src/core/attention/document';
import { makeTensor } from '../../src/core/onnx/builder';
import type { OnnxModel, OnnxNode, TensorInfo, ValueInfo } from '../../src/core/onnx/model';
import { DataType } from '../../src/core/onnx/proto';
import { readModel } from '../../src/core/onnx/reader';
import { writeModel } from '../../src/core/onnx/writer';
import { planCapture } from '../../src/core/attention/capture';
import { useRuntime } from './useRuntime';
import { box, checkMaskPattern, fixtures, imagePath, maxAbs, models, receivedByHand, reference, refTensor, support } from '../unit/helpers/attentionReference';
import { dynamicTinySwin, fusedMhaModel } from '../unit/helpers/models';


/** A model whose attention is one fused com.microsoft MultiHeadAttention: nothing to tap. */
function fusedModel(file: string): void {
  writeModel(fusedMhaModel(), file);
}

/** tiny_vit with its input declared for a batch of 2 (and optionally a Reshape that hard-codes that batch). */
function batchedModel(file: string, hardcode: boolean): void {
  const m = readModel(join(models, 'tiny_vit.onnx'));
  const g = m.graph;
  const b2 = (v: ValueInfo): ValueInfo => (v.type?.kind === 'tensor' && v.type.shape ? { name: v.name, type: { ...v.type, shape: [2, ...v.type.shape.slice(1)] } } : v);
  let nodes = g.nodes;
  if (hardcode) {
    // The patch-embedding reshape's constant [1, 32, 16] becomes [2, 32, 16], as a static export at batch 2 would have it.
    const reshape = g.nodes.find((n) => n.opType === 'Reshape')!;
    nodes = g.nodes.map((n): OnnxNode =>
      n.outputs[0] === reshape.inputs[1]
        ? { name: n.name, opType: n.opType, domain: n.domain, inputs: n.inputs, outputs: n.outputs, attributes: [{ name: 'value', type: 'tensor', value: makeTensor('', [2, 32, 16], [3], DataType.INT64) }] }
        : n,
    );
  }
  const out: OnnxModel = { ...m, graph: { ...g, nodes, inputs: g.inputs.map(b2), outputs: g.outputs.map(b2) } };
  writeModel(out, file);
}

/** tiny_vit with its large weights moved to an external data file beside it. */
function externalModel(dir: string): string {
  const src = join(models, 'tiny_vit.onnx');
  const m = readModel(src);
  const fd = openSync(src, 'r');
  const chunks: Buffer[] = [];
  let offset = 0;
  const inits = m.graph.initializers.map((t): TensorInfo => {
    if (t.data.location !== 'inline' || t.data.encoding !== 'raw' || t.data.length < 1024) return t;
    const buf = Buffer.alloc(t.data.length);
    readSync(fd, buf, 0, t.data.length, t.data.offset);
    chunks.push(buf);
    const e: TensorInfo = { name: t.name, dataType: t.dataType, dims: t.dims, data: { location: 'external', file: 'weights.bin', path: join(dir, 'weights.bin'), offset, length: buf.length, exists: true } };
    offset += buf.length;
    return e;
  });
  closeSync(fd);
  writeFileSync(join(dir, 'weights.bin'), Buffer.concat(chunks));
  const file = join(dir, 'ext_vit.onnx');
  writeModel({ ...m, graph: { ...m.graph, initializers: inits } }, file);
  copyFileSync(join(models, 'tiny_vit.json'), join(dir, 'ext_vit.json'));
  return file;
}

describe('attention capture through the inference process (ONNX Runtime, cpu)', function () {
  this.timeout(120_000);
  const client = useRuntime();
  let tmp: string;
  before(() => (tmp = mkdtempSync(join(tmpdir(), 'vit-attention-test-'))));
  after(() => rmSync(tmp, { recursive: true, force: true }));

  for (const name of ['tiny_vit', 'tiny_swin', 'tiny_deit']) {
    it(`${name}: every captured attention tensor equals PyTorch's within 1e-5 and its rows sum to 1`, async function () {
      const ref = reference(name);
      for (const img of ref.images) {
        const r = await client.request('attention', { model: join(models, `${name}.onnx`), image: imagePath(img), order: ['cpu'] });
        assert.equal(r.ep, 'cpu');
        assert.equal(r.family, ref.family);
        assert.ok(r.logits instanceof Float32Array);
        assert.ok(maxAbs(r.logits, img.logits) < 1e-4);
        assert.equal(r.layers.length, img.attention.length);
        assert.deepEqual(r.warnings, []);
        r.layers.forEach((l, i) => {
          assert.ok(l.data instanceof Float32Array, `${l.name}: not a Float32Array`);
          const want = refTensor(img.attention[i]);
          assert.deepEqual(l.dims, [...want.dims], `${l.name} dims`);
          const d = maxAbs(l.data, want.data);
          assert.ok(d < 1e-5, `${img.image} ${l.name}: max |Δ| = ${d}`);
          const rs = maxRowSumError({ data: l.data, dims: l.dims });
          assert.ok(rs < 1e-5, `${img.image} ${l.name}: row sums off by ${rs}`);
          if (ref.blocks) {
            const b = ref.blocks[i];
            assert.deepEqual([l.grid, l.window, l.shift, l.shifted, l.heads, l.dims[0]], [b.grid, b.window, b.shift, b.shift > 0, b.heads, b.windows], l.name);
          } else {
            assert.deepEqual([l.grid, l.window, l.extraTokens], [[4, 4], null, name === 'tiny_deit' ? 2 : 1]);
          }
        });
        if (img.rollout) {
          const d = maxAbs(rolloutMap(r.layers)!, img.rollout);
          assert.ok(d < 1e-5, `${img.image}: rollout max |Δ| = ${d}`);
        }
      }
    });
  }

  it('the --json document: ViT class-token maps and rollout; Swin received maps over each stage grid, no rollout', async () => {
    const img = reference('tiny_vit').images[2];
    const v = await client.request('attention', { model: join(models, 'tiny_vit.onnx'), image: imagePath(img), order: ['cpu'] });
    const doc = attentionDocument(v);
    assert.deepEqual(Object.keys(doc), ['family', 'ep', 'layers', 'rollout', 'distance']);
    assert.deepEqual(doc.layers.map((l) => [l.name, l.heads, l.window, l.shifted, l.grid, l.map.length]), [
      ['encoder.block0', 2, null, false, [4, 4], 16],
      ['encoder.block1', 2, null, false, [4, 4], 16],
    ]);
    const t1 = refTensor(img.attention[1]);
    assert.ok(maxAbs(doc.layers[1].map, Array.from({ length: 16 }, (_, k) => (t1.data[1 + k] + t1.data[289 + 1 + k]) / 2)) < 1e-5);
    assert.ok(maxAbs(doc.rollout!, img.rollout!) < 1e-5);
    JSON.parse(JSON.stringify(doc));

    const simg = reference('tiny_swin').images[2];
    const s = await client.request('attention', { model: join(models, 'tiny_swin.onnx'), image: imagePath(simg), order: ['cpu'], withImage: true, topK: 3 });
    const sdoc = attentionDocument(s);
    assert.equal(sdoc.rollout, null);
    assert.deepEqual(sdoc.layers.map((l) => [l.name, l.window, l.shifted, l.grid, l.map.length]), [
      ['stage1.block0', 4, false, [16, 16], 256],
      ['stage1.block1', 4, true, [16, 16], 256],
      ['stage2.block0', 4, false, [8, 8], 64],
      ['stage2.block1', 4, true, [8, 8], 64],
    ]);
    sdoc.layers.forEach((l, i) => {
      const want = receivedByHand(refTensor(simg.attention[i]), l.grid[0], l.grid[1], 4, l.shifted ? 2 : 0);
      assert.ok(maxAbs(l.map, want) < 1e-5, l.name);
    });
    assert.equal(s.cropped!.width, 32);
    assert.equal(s.top!.length, 3);
  });

  it('keep: the tensors stay in the inference process and attentionLayers hands out the same ones; an unknown capture is null', async () => {
    const model = join(models, 'tiny_vit.onnx');
    const image = join(fixtures, 'images', 'disc.png');
    const plain = await client.request('attention', { model, image, order: ['cpu'] });
    const kept = await client.request('attention', { model, image, order: ['cpu'], summary: true, keep: true });
    assert.deepEqual(kept.layers.map((l) => l.data), [null, null]);
    assert.ok(kept.kept && kept.summary);
    const got = await client.request('attentionLayers', { capture: kept.kept, layers: [1, 0, 7] });
    assert.deepEqual(got!.map((x) => x.index), [1, 0]);
    for (const { index, data } of got!) assert.deepEqual(data, plain.layers[index].data);
    assert.equal(await client.request('attentionLayers', { capture: 'gone', layers: [0] }), null);
  });

  it('above the byte limit only the chosen layers come back, with a warning; rollout is then unavailable', async () => {
    const model = join(models, 'tiny_vit.onnx');
    const image = join(fixtures, 'images', 'disc.png');
    const one = 2 * 17 * 17 * 4;
    const r = await client.request('attention', { model, image, order: ['cpu'], maxBytes: one });
    assert.deepEqual(r.layers.map((l) => l.data !== null), [false, true]);
    assert.equal(r.totalBytes, 2 * one);
    assert.equal(r.capturedBytes, one);
    assert.match(r.warnings.join('\n'), /captured only layer 1 .*Pick the layers/);
    assert.match(r.warnings.join('\n'), /Rollout needs the attention of every layer/);
    const doc = attentionDocument(r);
    assert.deepEqual([doc.layers.length, doc.rollout], [1, null]);
    const first = await client.request('attention', { model, image, order: ['cpu'], maxBytes: one, layers: [0] });
    assert.deepEqual(first.layers.map((l) => l.data !== null), [true, false]);
    assert.deepEqual(first.warnings.filter((w) => /limit/.test(w)), []);
  });

  it('ResNet-18 → UserError "no attention Softmax found — not a ViT/Swin"; the process keeps serving', async () => {
    await assert.rejects(client.request('attention', { model: join(models, 'resnet18.onnx'), image: join(fixtures, 'images', 'disc.png'), order: ['cpu'] }), {
      name: 'UserError',
      message: /no attention Softmax found — not a ViT\/Swin/,
    });
    assert.ok((await client.request('ping', {})).pid > 0);
  });

  it('fused attention (com.microsoft.MultiHeadAttention) → UserError naming the op and what to do', async () => {
    const file = join(tmp, 'fused.onnx');
    fusedModel(file);
    await assert.rejects(client.request('attention', { model: file, image: join(fixtures, 'images', 'disc.png'), order: ['cpu'] }), {
      name: 'UserError',
      message: /fused operators \(com\.microsoft\.MultiHeadAttention ×1\).*no attention tensor to tap.*Export the model without attention fusion/,
    });
  });

  it('a structure-only model (weights absent) → UserError, not a crash', async () => {
    await assert.rejects(client.request('attention', { model: join(models, 'swin_t.onnx'), image: join(fixtures, 'images', 'disc.png'), order: ['cpu'] }), {
      name: 'UserError',
      message: /weights are missing \(external data swin_t\.onnx\.data/,
    });
  });

  it('batch > 1: a batch-agnostic graph runs at batch 1 (with a note); one that hard-codes the batch is refused', async () => {
    const ok = join(tmp, 'b2.onnx');
    batchedModel(ok, false);
    copyFileSync(join(models, 'tiny_vit.json'), join(tmp, 'b2.json'));
    const img = reference('tiny_vit').images[0];
    const r = await client.request('attention', { model: ok, image: imagePath(img), order: ['cpu'] });
    assert.match(r.warnings.join('\n'), /declares a batch of 2; it was run on one image/);
    assert.ok(maxAbs(r.layers[0].data!, img.attention[0].data) < 1e-5);
    const bad = join(tmp, 'b2fixed.onnx');
    batchedModel(bad, true);
    await assert.rejects(client.request('attention', { model: bad, image: imagePath(img), order: ['cpu'] }), {
      name: 'UserError',
      message: /exported for a fixed batch of 2 images and cannot run on one .*dynamic batch axis/,
    });
  });

  it('tiny_swin made dynamic, at 24×24: stage 2 is 6×6 padded to 8×8; the mask pattern, maps and shifted windows all fit', async () => {
    const dyn = dynamicTinySwin();
    const file = join(tmp, 'dyn_swin.onnx');
    writeModel(dyn, file);
    writeFileSync(join(tmp, 'dyn_swin.json'), JSON.stringify({ imageSize: 24, resize: 24, crop: 24, interpolation: 'bilinear' }));
    const r = await client.request('attention', { model: file, image: join(fixtures, 'images', 'disc.png'), order: ['cpu'] });
    assert.deepEqual(r.imageSize, [24, 24]);
    assert.deepEqual(r.layers.map((l) => [l.grid[0], l.window, l.shift, l.dims[0]]), [[12, 4, 0, 9], [12, 4, 2, 9], [6, 4, 0, 4], [6, 4, 2, 4]]);
    let masked = 0;
    for (const l of r.layers) {
      const t = { data: l.data!, dims: l.dims };
      assert.ok(maxRowSumError(t) < 1e-5);
      masked += checkMaskPattern(t, l.grid[0], l.grid[1], l.window!, l.shift);
      assert.ok(maxAbs(layerMap(l), receivedByHand(t, l.grid[0], l.grid[1], l.window!, l.shift)) < 1e-6, l.name);
    }
    assert.ok(masked > 0);
    // Stage 2, SW-MSA, hand-derived: padded rows/cols 6, 7; windows start at −2.
    const l = r.layers[3];
    const t = { data: l.data!, dims: l.dims };
    const g = windowGeometry(6, 6, 4, 2);
    assert.deepEqual(support(windowQueryAttention(t, g, 2, 2), 6), box(2, 5, 2, 5)); // window rows 2–5 (no padding in it)
    assert.deepEqual(support(windowQueryAttention(t, g, 1, 1), 6), box(0, 1, 0, 1)); // wrapped corner: padding and far side masked
    assert.deepEqual(support(windowQueryAttention(t, g, 1, 4), 6), box(0, 1, 2, 5));
  });

  it('a model with external data runs from a temporary copy that links to its data file', async () => {
    const dir = mkdtempSync(join(tmp, 'ext-'));
    const file = externalModel(dir);
    assert.equal(planCapture(file).external, true);
    const img = reference('tiny_vit').images[1];
    const r = await client.request('attention', { model: file, image: imagePath(img), order: ['cpu'] });
    r.layers.forEach((l, i) => assert.ok(maxAbs(l.data!, img.attention[i].data) < 1e-5, l.name));
  });
});
