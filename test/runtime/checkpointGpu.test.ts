/**
 * Checkpoints on the GPU path, as test/runtime/gpu.test.ts runs ONNX files: ONNX Runtime's WebGPU
 * provider (Dawn on Vulkan) on the software Vulkan driver of scripts/setup-test-env.mjs. A
 * checkpoint reaches the provider as its built graph's bytes with the weights read in place from
 * the safetensors file (session.model_external_initializers_file_folder_path): the same logits as
 * the cpu provider within 1e-4, and as the torch module where the fixture has a reference (the
 * references of tools/make_checkpoint_fixtures.py and tools/make_swin_checkpoint_fixtures.py).
 * Without the setup these tests fail; a setup that found no driver skips them with its reason.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type * as ortType from 'onnxruntime-node';
import { openSession } from '../../src/runtime/sessions';
import { modelSource } from '../../src/runtime/modelSource';
import { useRuntime } from './useRuntime';
import { useSoftwareVulkan } from '../softwareVulkan';
import { argmax, maxAbs } from '../unit/helpers/maxAbs';

const FIX = resolve('test/fixtures/checkpoints');
const GPU = ['webgpu', 'cpu'];
const images = [resolve('test/fixtures/images/checker.png'), ...['ankle-boot', 'bag'].map((i) => resolve('samples', `${i}.png`))];

/** The checkpoints (folders) and where their torch reference on a fixed input tensor is. */
interface Case {
  dir: string;
  what: string;
  /** The torch module's logits on `input` (tools/make_*checkpoint_fixtures.py). */
  reference: () => { input: number[]; shape: number[]; logits: number[] };
}
const vitRef = (name: string) => () => {
  const r = JSON.parse(readFileSync(resolve('test/fixtures/reference/checkpoints.json'), 'utf8')) as {
    input: { shape: number[]; data: number[] };
    fixtures: Record<string, { logits: number[] }>;
  };
  assert.ok(r.fixtures[name]?.logits, `${name} has no logits in checkpoints.json`);
  return { input: r.input.data, shape: r.input.shape, logits: r.fixtures[name].logits };
};
const swinRef = (name: string) => () => {
  const r = JSON.parse(readFileSync(join(FIX, 'swin', name, 'reference.json'), 'utf8')) as { input: number[]; inputShape: number[]; logits: number[] };
  return { input: r.input, shape: r.inputShape, logits: r.logits };
};
const cases: Case[] = [
  { dir: join(FIX, 'hf-vit'), what: 'HF ViTForImageClassification, fp32', reference: vitRef('hf-vit') },
  { dir: join(FIX, 'hf-vit-fp16'), what: 'HF ViT, fp16 (Cast to float32 in the graph)', reference: vitRef('hf-vit-fp16') },
  { dir: join(FIX, 'hf-deit-teacher'), what: 'HF DeiTForImageClassificationWithTeacher (mean of two heads)', reference: vitRef('hf-deit-teacher') },
  { dir: join(FIX, 'timm-deit-distilled'), what: 'timm deit_*_distilled', reference: vitRef('timm-deit-distilled') },
  { dir: join(FIX, 'swin', 'timm_A'), what: 'timm swin_*, current layout', reference: swinRef('timm_A') },
  { dir: join(FIX, 'swin', 'timm_B_padded'), what: 'timm swin_* on a map of 14 → 7 → 4 tokens (rolled, then padded to whole windows)', reference: swinRef('timm_B_padded') },
];
const label = (c: Case) => c.dir.slice(FIX.length + 1);

describe('GPU: checkpoints on WebGPU on a software Vulkan device', function () {
  this.timeout(300_000);
  const client = useRuntime({ setup: useSoftwareVulkan });

  it('the fixtures are all there (a missing one fails)', () => {
    for (const c of cases) assert.ok(existsSync(join(c.dir, 'model.safetensors')), `${c.dir}/model.safetensors is missing`);
    for (const i of images) assert.ok(existsSync(i), i);
  });

  for (const c of cases) {
    it(`classify ${label(c)} (${c.what}): on webgpu, logits within 1e-4 of cpu, same top-1`, async () => {
      const cpu = await client.request('classify', { model: c.dir, images, topK: 1, order: ['cpu'] });
      const gpu = await client.request('classify', { model: c.dir, images, topK: 1, order: GPU });
      assert.equal(cpu.ep, 'cpu');
      assert.equal(gpu.ep, 'webgpu', JSON.stringify(gpu.failures));
      assert.deepEqual(gpu.failures, []);
      assert.equal(gpu.labels.source, 'config.json');
      gpu.results.forEach((g, i) => {
        const k = cpu.results[i];
        assert.ok(g.ok && k.ok, JSON.stringify([g, k].map((x) => (x.ok ? 'ok' : x.error))));
        const d = maxAbs(g.logits, k.logits);
        console.log(`      ${g.image.split('/').pop()}: max |Δlogit| webgpu vs cpu = ${d.toExponential(2)}`);
        assert.ok(d <= 1e-4, `${label(c)} ${g.image}: max |Δlogit| = ${d}`);
        assert.equal(argmax(g.logits), argmax(k.logits));
      });
    });
  }

  // The padded Swin maps with torch's reference on an image (the whole path: decode, preprocessing from the config, run).
  for (const name of ['timm_B_padded', 'hf_B']) {
    it(`attention swin/${name} on webgpu: torch's logits on its image within 1e-4, every map within 1e-4 of cpu`, async () => {
      const dir = join(FIX, 'swin', name);
      const want = (JSON.parse(readFileSync(join(dir, 'reference.json'), 'utf8')) as { image: { file: string; logits: number[] } }).image;
      const image = join(dir, want.file);
      const cpu = await client.request('attention', { model: dir, image, order: ['cpu'] });
      const gpu = await client.request('attention', { model: dir, image, order: GPU });
      assert.equal(gpu.ep, 'webgpu', JSON.stringify(gpu.failures));
      const dt = maxAbs(gpu.logits, want.logits);
      const dc = maxAbs(gpu.logits, cpu.logits);
      assert.equal(gpu.layers.length, 6);
      let worst = 0;
      gpu.layers.forEach((l, i) => {
        assert.ok(l.data && cpu.layers[i].data, `${l.name} captured`);
        worst = Math.max(worst, maxAbs(l.data!, cpu.layers[i].data!));
      });
      console.log(`      max |Δlogit| webgpu vs torch = ${dt.toExponential(2)}, vs cpu = ${dc.toExponential(2)}; ${gpu.layers.length} layers, max |Δattention| vs cpu = ${worst.toExponential(2)}`);
      assert.ok(dt <= 1e-4, `vs torch: ${dt}`);
      assert.ok(dc <= 1e-4, `vs cpu: ${dc}`);
      assert.ok(worst <= 1e-4, `attention vs cpu: ${worst}`);
    });
  }

  // The torch export's batch size is shape arithmetic on int64 (Shape → Slice → Concat, the class token's Expand shape):
  // ONNX Runtime keeps such nodes on the host by design. Everything that computes on floats runs on the GPU.
  for (const name of ['hf-vit', 'swin/timm_B_padded']) {
    it(`placement ${name}: every float node of the checkpoint graph on WebGpuExecutionProvider; only int64 shape arithmetic on the host`, async () => {
      const r = await client.request('placement', { model: join(FIX, name), order: GPU });
      assert.equal(r.ep, 'webgpu');
      assert.ok(r.nodes > 20, `${r.nodes} nodes`);
      const gpu = r.byProvider.find((b) => b.provider === 'WebGpuExecutionProvider');
      assert.ok(gpu && gpu.nodes > 20, JSON.stringify(r.byProvider));
      for (const f of r.fallback) assert.ok(['Shape', 'Slice', 'Concat'].includes(f.op) && /\/embeddings\//.test(f.name), `${f.name} (${f.op}) on ${f.provider}`);
      assert.equal(r.copies, 0);
      console.log(`      ${r.byProvider.map((b) => `${b.provider} ${b.nodes}`).join(', ')}; host: ${r.fallback.map((f) => f.name).join(', ') || 'none'}; ${r.copies} copies`);
    });
  }
});

/**
 * The torch references are on a fixed input tensor, not an image: these sessions are opened here
 * (the inference process's own openSession and modelSource), fed that tensor on webgpu and on cpu.
 */
describe('GPU: checkpoints on WebGPU against the torch modules (fixed input tensor)', function () {
  this.timeout(300_000);
  before(function () {
    useSoftwareVulkan(this);
  });

  for (const c of cases) {
    it(`${label(c)}: webgpu's logits within 1e-4 of torch's and of cpu's`, async () => {
      const ref = c.reference();
      const ort = (await import('onnxruntime-node')) as typeof ortType;
      const run = async (order: string[]) => {
        const s = await openSession(modelSource(c.dir), order, { cache: false });
        try {
          assert.equal(s.ep, order[0], JSON.stringify(s.failures));
          const x = new ort.Tensor('float32', Float32Array.from(ref.input), ref.shape);
          const out = await s.session.run({ [s.session.inputNames[0]]: x });
          return Float32Array.from(out[s.session.outputNames[0]].data as Float32Array);
        } finally {
          await s.session.release();
        }
      };
      const gpu = await run(['webgpu']);
      const cpu = await run(['cpu']);
      assert.equal(gpu.length, ref.logits.length);
      const dt = maxAbs(gpu, ref.logits);
      const dc = maxAbs(gpu, cpu);
      console.log(`      max |Δlogit| webgpu vs torch = ${dt.toExponential(2)}, vs cpu = ${dc.toExponential(2)} (cpu vs torch ${maxAbs(cpu, ref.logits).toExponential(2)})`);
      assert.ok(dt <= 1e-4, `vs torch: ${dt}`);
      assert.ok(dc <= 1e-4, `vs cpu: ${dc}`);
    });
  }
});
