import sharp from 'sharp';
import * as ort from 'onnxruntime-node';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { useRuntime } from './useRuntime';
import { maxAbs } from '../unit/helpers/maxAbs';

const fixtures = resolve('test/fixtures');

interface Reference {
  images: { image: string; input: number[] | number[][][][]; logits: number[] | number[][] }[];
}

const flat = (v: unknown): number[] => (Array.isArray(v) ? (v as unknown[]).flatMap(flat) : [v as number]);
describe('classify through the inference process (decode → preprocess → ONNX Runtime)', function () {
  this.timeout(60_000);
  const client = useRuntime({ each: true });

  for (const name of ['tiny_vit', 'tiny_swin']) {
    it(`${name}: logits equal PyTorch's for the fixture images within 1e-4`, async () => {
      const ref: Reference = JSON.parse(readFileSync(resolve(fixtures, 'reference', `${name}.json`), 'utf8'));
      const images = ref.images.map((i) => resolve(fixtures, 'images', i.image.split('/').pop()!));
      const r = await client.request('classify', { model: resolve(fixtures, 'models', `${name}.onnx`), images, topK: 3, order: ['cpu'] });
      assert.equal(r.ep, 'cpu');
      assert.equal(r.preprocessing.source, `${name}.json`);
      ref.images.forEach((img, i) => {
        const res = r.results[i];
        assert.ok(res.ok, res.ok ? '' : res.error);
        const d = maxAbs(res.logits, flat(img.logits));
        assert.ok(d < 1e-4, `${img.image}: max |Δlogit| = ${d}`);
        assert.equal(res.top[0].label, readFileSync(resolve(fixtures, 'models', 'labels.txt'), 'utf8').split('\n')[res.top[0].index].trim());
      });
    });
  }

  it('reports a corrupt model as a user error and keeps serving', async () => {
    await assert.rejects(client.request('classify', { model: resolve(fixtures, 'images', 'checker.png'), images: [], topK: 1, order: ['cpu'] }), { name: 'UserError', message: /cannot load checker\.png/ });
    const r = await client.request('classify', { model: resolve(fixtures, 'models', 'tiny_vit.onnx'), images: [resolve(fixtures, 'images', 'checker.png')], topK: 1, order: ['cpu'] });
    assert.ok(r.results[0].ok);
  });

  it('lists an unreadable image among the results instead of failing the batch', async () => {
    const r = await client.request('classify', { model: resolve(fixtures, 'models', 'tiny_vit.onnx'), images: [resolve(fixtures, 'images', 'checker.png'), resolve(fixtures, 'models', 'labels.txt')], topK: 1, order: ['cpu'] });
    assert.ok(r.results[0].ok);
    assert.equal(r.results[1].ok, false);
  });

  // Never skipped: each machine has one defined outcome. Linux x64 (CI) has CUDA compiled in and no
  // NVIDIA GPU, so there the fallback itself is what runs.
  it('falls back past a provider that cannot start and says why (or runs on CUDA where it starts)', async () => {
    const compiled = ort.listSupportedBackends().some((b) => b.name === 'cuda');
    const r = await client.request('classify', { model: resolve(fixtures, 'models', 'tiny_vit.onnx'), images: [resolve(fixtures, 'images', 'checker.png')], topK: 1, order: ['cuda', 'cpu'] });
    if (!compiled) {
      // This platform's build has no CUDA: it is passed over without an attempt.
      assert.equal(r.ep, 'cpu');
      assert.deepEqual(r.failures, []);
    } else if (r.ep === 'cpu') {
      assert.equal(r.failures[0].ep, 'cuda');
      assert.ok(r.failures[0].reason.length > 0, 'the failure says why');
    } else assert.equal(r.ep, 'cuda');
  });
});

describe('classify: bad input a user can cause', function () {
  this.timeout(60_000);
  const model = resolve(fixtures, 'models', 'tiny_vit.onnx');
  const dir = mkdtempSync(join(tmpdir(), 'vit-bad-'));
  const client = useRuntime({ each: true });

  it('refuses a PNG whose header claims 30000×30000 pixels without decoding it', async () => {
    // A real PNG signature and IHDR (the CRC is not checked before the size limit).
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452000075300000753008020000000000000000', 'hex');
    writeFileSync(join(dir, 'bomb.png'), png);
    const t = Date.now();
    const r = await client.request('classify', { model, images: [join(dir, 'bomb.png')], topK: 1, order: ['cpu'] });
    assert.equal(r.results[0].ok, false);
    assert.match(r.results[0].ok ? '' : r.results[0].error, /limit|decompression|cannot be decoded/);
    assert.ok(Date.now() - t < 10_000);
  });

  it('classifies the first frame of an animated GIF', async () => {
    // Two 32×32 frames, black then white.
    const frames = Buffer.alloc(32 * 64 * 3);
    frames.fill(255, 32 * 32 * 3);
    const anim = join(dir, 'anim.gif');
    await sharp(frames, { raw: { width: 32, height: 64, channels: 3, pageHeight: 32 } }).gif({ loop: 0 }).toFile(anim);
    assert.equal((await sharp(anim, { pages: -1 }).metadata()).pages, 2);
    const black = join(dir, 'black.png');
    await sharp(Buffer.alloc(32 * 32 * 3), { raw: { width: 32, height: 32, channels: 3 } }).png().toFile(black);
    const r = await client.request('classify', { model, images: [anim, black], topK: 1, order: ['cpu'] });
    assert.ok(r.results[0].ok && r.results[1].ok);
    // The GIF is its first (black) frame: the same logits as a black PNG, not a 32×64 strip.
    assert.deepEqual(Array.from((r.results[0] as { logits: Float32Array }).logits), Array.from((r.results[1] as { logits: Float32Array }).logits));
  });

  it('says so when the preprocessing file disagrees with the model input size', async () => {
    const d = mkdtempSync(join(tmpdir(), 'vit-pp-'));
    copyFileSync(model, join(d, 'tiny_vit.onnx'));
    writeFileSync(join(d, 'tiny_vit.json'), JSON.stringify({ resize: 256, crop: 224 }));
    await assert.rejects(client.request('classify', { model: join(d, 'tiny_vit.onnx'), images: [resolve(fixtures, 'images', 'disc.png')], topK: 1, order: ['cpu'] }), { name: 'UserError', message: /makes 224×224 inputs but the model takes 32×32/ });
  });

  it('warns when the labels file has the wrong count, and still names the classes it can', async () => {
    const d = mkdtempSync(join(tmpdir(), 'vit-lab-'));
    copyFileSync(model, join(d, 'm.onnx'));
    writeFileSync(join(d, 'labels.txt'), 'a\nb\nc\n');
    const r = await client.request('classify', { model: join(d, 'm.onnx'), images: [resolve(fixtures, 'images', 'disc.png')], topK: 10, order: ['cpu'] });
    assert.match(r.labels.warning!, /3 labels but the model has 10 outputs/);
    assert.ok(r.results[0].ok && r.results[0].top.some((t) => t.label === 'class 9'));
  });

  it('serves twenty requests at once, in order, all answered', async () => {
    const img = resolve(fixtures, 'images', 'checker.png');
    const rs = await Promise.all(Array.from({ length: 20 }, () => client.request('classify', { model, images: [img], topK: 1, order: ['cpu'] })));
    assert.equal(rs.length, 20);
    assert.ok(rs.every((r) => r.results[0].ok && r.results[0].top[0].index === (rs[0].results[0] as { top: { index: number }[] }).top[0].index));
  });

  it('says a model that is not an image classifier is not one', async () => {
    await assert.rejects(client.request('classify', { model: resolve(fixtures, 'models', 'dynamic_vit.onnx').replace('dynamic_vit', 'resnet18'), images: [resolve(fixtures, 'images', 'disc.png')], topK: 1, order: ['cpu'] }), { name: 'UserError' });
  });
});
