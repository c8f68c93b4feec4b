/**
 * fp16 checkpoints computed in fp16 (core/checkpoint/fp16.ts): the graph a torch export of
 * `model.half()` gives, opened on a provider that runs fp16 (runsFp16: cuda, dml, webgpu with
 * shader-f16). No provider here runs fp16 (SwiftShader has no shader-f16), so these tests force
 * it on the CPU provider through the same option the sessions read (fp16Compute "always"), where
 * ONNX Runtime runs the fp16 graph (with its own Casts around the kernels it has in float32 only).
 *
 * Tolerance: 4 fp16 ulps of the largest |logit| (ulp(x) = 2^(⌊log2 x⌋ − 10)): the logits are
 * rounded to fp16 once at the end (½ ulp), and each of the fixtures' 2 (ViT) or 4 (Swin) blocks
 * adds the rounding of fp16 activations, ~2^-11 relative each, mostly averaged out by the sums;
 * measured here: ViT 0.4 ulp, Swin 0.25 ulp. Attention probabilities are held to 2e-3, 4 fp16
 * ulps of a probability in [½, 1) (2^-11 each; measured: ViT 3.5e-4, Swin 1.25e-3). The
 * references are torch's fp32 forward on the weights rounded to fp16
 * (tools/make_checkpoint_fixtures.py, tools/make_swin_checkpoint_fixtures.py).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type * as ortType from 'onnxruntime-node';
import { openSession, setFp16Policy } from '../../src/runtime/sessions';
import { modelSource } from '../../src/runtime/modelSource';
import type { Fp16Policy } from '../../src/core/session/providers';
import { useRuntime } from './useRuntime';
import { useSoftwareVulkan } from '../softwareVulkan';
import { argmax, maxAbs } from '../unit/helpers/maxAbs';

const FIX = resolve('test/fixtures/checkpoints');
const image = resolve('test/fixtures/images/checker.png');

/** 4 fp16 ulps of the largest |value|. */
function fp16Tolerance(values: ArrayLike<number>): number {
  const m = Math.max(...Array.from(values, Math.abs));
  return 4 * 2 ** (Math.floor(Math.log2(m)) - 10);
}

interface Case {
  name: string;
  reference: () => { input: number[]; shape: number[]; logits: number[] };
}
const vitRef = (name: string) => () => {
  const r = JSON.parse(readFileSync(resolve('test/fixtures/reference/checkpoints.json'), 'utf8')) as { input: { shape: number[]; data: number[] }; fixtures: Record<string, { logits: number[] }> };
  assert.ok(r.fixtures[name]?.logits, `${name} has no logits in checkpoints.json`);
  return { input: r.input.data, shape: r.input.shape, logits: r.fixtures[name].logits };
};
const swinRef = (name: string) => () => {
  const r = JSON.parse(readFileSync(join(FIX, name, 'reference.json'), 'utf8')) as { input: number[]; inputShape: number[]; logits: number[] };
  return { input: r.input, shape: r.inputShape, logits: r.logits };
};
const cases: Case[] = [
  { name: 'hf-vit-fp16', reference: vitRef('hf-vit-fp16') },
  { name: 'timm-vit-fp16', reference: vitRef('timm-vit-fp16') },
  { name: 'swin/hf_A_fp16', reference: swinRef('swin/hf_A_fp16') },
];

describe('fp16 checkpoints computed in fp16 (forced on the CPU provider), against the fp32-cast graph and torch', function () {
  this.timeout(120_000);
  after(() => setFp16Policy('auto'));

  it('the fixtures are all there (a missing one fails)', () => {
    for (const c of cases) assert.ok(existsSync(join(FIX, c.name, 'model.safetensors')), `${c.name}/model.safetensors is missing`);
  });

  for (const c of cases) {
    it(`${c.name}: logits within 4 fp16 ulps of the largest logit of the fp32-cast graph's and of torch's, same top-1`, async () => {
      const ref = c.reference();
      const ort = (await import('onnxruntime-node')) as typeof ortType;
      const run = async (policy: Fp16Policy) => {
        setFp16Policy(policy);
        const s = await openSession(modelSource(join(FIX, c.name)), ['cpu'], { cache: false });
        try {
          assert.equal(s.session.inputMetadata[0].isTensor && s.session.inputMetadata[0].type, 'float32', 'the input stays float32');
          const out = await s.session.run({ [s.session.inputNames[0]]: new ort.Tensor('float32', Float32Array.from(ref.input), ref.shape) });
          const y = out[s.session.outputNames[0]];
          assert.equal(y.type, 'float32', 'the logits come back as float32');
          return { fp16: s.fp16, compute: s.compute, logits: Float32Array.from(y.data as Float32Array) };
        } finally {
          await s.session.release();
        }
      };
      const half = await run('always');
      const cast = await run('never');
      assert.equal(half.fp16, true);
      assert.equal(half.compute, 'fp16 (computed in fp16 on cpu)');
      assert.equal(cast.fp16, false);
      assert.equal(cast.compute, 'fp16 weights, computed in fp32');
      const tol = fp16Tolerance(ref.logits);
      const dc = maxAbs(half.logits, cast.logits);
      const dt = maxAbs(half.logits, ref.logits);
      console.log(`      max |Δlogit| fp16 compute vs fp32-cast = ${dc.toExponential(2)}, vs torch = ${dt.toExponential(2)} (tolerance ${tol.toExponential(2)}; fp32-cast vs torch ${maxAbs(cast.logits, ref.logits).toExponential(2)})`);
      assert.ok(dc > 0, 'the fp16 graph computes in fp16: its logits differ from the fp32-cast graph\'s');
      assert.ok(dc <= tol, `vs fp32-cast: ${dc} > ${tol}`);
      assert.ok(dt <= tol, `vs torch: ${dt} > ${tol}`);
      assert.equal(argmax(half.logits), argmax(ref.logits));
      assert.equal(argmax(cast.logits), argmax(ref.logits));
    });
  }

  it('a bf16 checkpoint is not computed in bf16 or fp16, even when forced: cast to float32', async () => {
    setFp16Policy('always');
    const s = await openSession(modelSource(join(FIX, 'hf-vit-bf16')), ['cpu'], { cache: false });
    try {
      assert.equal(s.fp16, false);
      assert.equal(s.compute, 'bf16 weights, computed in fp32');
    } finally {
      await s.session.release();
    }
    setFp16Policy('auto');
    const f = await openSession(modelSource(join(FIX, 'hf-vit')), ['cpu'], { cache: false });
    try {
      assert.equal(f.compute, null, 'fp32 weights: nothing to say');
    } finally {
      await f.session.release();
    }
  });
});

describe('fp16 checkpoints through the inference process: classify and attention on the fp16-compute graph', function () {
  this.timeout(120_000);
  const client = useRuntime();

  for (const c of cases) {
    it(`${c.name}: attention still captured (every block, float32 maps within 2e-3 of the fp32-cast graph's), logits within 4 ulps, the precision said`, async () => {
      const model = join(FIX, c.name);
      await client.request('configure', { fp16Compute: 'never' });
      const cast = await client.request('attention', { model, image, order: ['cpu'], topK: 1 });
      await client.request('configure', { fp16Compute: 'always' });
      const half = await client.request('attention', { model, image, order: ['cpu'], topK: 1 });
      const cls = await client.request('classify', { model, images: [image], topK: 1, order: ['cpu'] });
      await client.request('configure', { fp16Compute: 'auto' });
      const auto = await client.request('classify', { model, images: [image], topK: 1, order: ['cpu'] });
      assert.equal(cast.compute, 'fp16 weights, computed in fp32');
      assert.equal(half.compute, 'fp16 (computed in fp16 on cpu)');
      assert.equal(cls.compute, 'fp16 (computed in fp16 on cpu)');
      assert.equal(auto.compute, 'fp16 weights, computed in fp32', 'cpu does not run fp16 of itself');
      const tol = fp16Tolerance(cast.logits);
      const dl = maxAbs(half.logits, cast.logits);
      assert.ok(dl > 0 && dl <= tol, `logits: ${dl} (tolerance ${tol})`);
      assert.equal(argmax(half.logits), argmax(cast.logits));
      assert.ok(cls.results[0].ok && maxAbs(cls.results[0].logits, half.logits) === 0, 'classify runs the same fp16 graph');
      assert.equal(half.layers.length, cast.layers.length);
      let worst = 0;
      half.layers.forEach((l, i) => {
        assert.ok(l.data instanceof Float32Array, `${l.name}: captured as float32`);
        assert.deepEqual(l.dims, cast.layers[i].dims);
        worst = Math.max(worst, maxAbs(l.data!, cast.layers[i].data!));
        // Each attention row still sums to 1 (within fp16 rounding over N entries).
        const N = l.dims[3];
        for (let r = 0; r < l.data!.length / N; r += 7) {
          let sum = 0;
          for (let j = 0; j < N; j++) sum += l.data![r * N + j];
          assert.ok(Math.abs(sum - 1) < 1e-2, `${l.name} row ${r}: sums to ${sum}`);
        }
      });
      console.log(`      ${half.layers.length} layers; max |Δattention| fp16 vs fp32-cast = ${worst.toExponential(2)}; max |Δlogit| = ${dl.toExponential(2)} (tolerance ${tol.toExponential(2)})`);
      assert.ok(worst > 0 && worst <= 2e-3, `attention: ${worst}`);
    });
  }
});

describe('fp16 checkpoints on WebGPU on the software Vulkan device (no shader-f16)', function () {
  this.timeout(300_000);
  const client = useRuntime({ setup: useSoftwareVulkan });

  it('the probe finds SwiftShader has no shader-f16, so hf-vit-fp16 runs cast to float32 on webgpu', async () => {
    const p = await client.request('providers', { order: ['webgpu', 'cpu'] });
    const wg = p.providers.find((x) => x.name === 'webgpu');
    assert.ok(wg?.works, JSON.stringify(wg));
    assert.equal(wg.adapter?.software, true);
    assert.equal(wg.adapter?.shaderF16, false, 'SwiftShader has no shader-f16 (ONNX Runtime: "requires f16 but the device does not support it")');
    const c = await client.request('classify', { model: join(FIX, 'hf-vit-fp16'), images: [image], topK: 1, order: ['webgpu', 'cpu'] });
    assert.equal(c.ep, 'webgpu', JSON.stringify(c.failures));
    assert.equal(c.compute, 'fp16 weights, computed in fp32');
  });
});
