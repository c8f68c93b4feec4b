/**
 * The GPU path for real: ONNX Runtime's WebGPU provider (Dawn on Vulkan) on the software Vulkan
 * driver that scripts/setup-test-env.mjs provisions (.cache/vulkan-icd.json). Every check compares
 * against the CPU provider in the same process. Without the setup these tests fail and say so; when
 * the setup found no driver it could provide, they are skipped with its reason printed.
 */
import assert from 'node:assert/strict';

import { resolve } from 'node:path';
import { DEFAULT_PROVIDER_ORDER, SOFTWARE_ADAPTER_LABEL } from '../../src/core/session/providers';
import { readModel } from '../../src/core/onnx/reader';
import { useRuntime } from './useRuntime';
import { useSoftwareVulkan } from '../softwareVulkan';
import { argmax, maxAbs } from '../unit/helpers/maxAbs';

const models = ['fashion-vit', 'fashion-swin'].map((m) => resolve('media/models', `${m}.onnx`));
const images = ['ankle-boot', 'bag', 'coat'].map((i) => resolve('samples', `${i}.png`));
const GPU = ['webgpu', 'cpu'];

describe('GPU: WebGPU on a software Vulkan device', function () {
  this.timeout(300_000);
  const client = useRuntime({ setup: useSoftwareVulkan });

  it('providers: webgpu works and names its adapter, a software one labelled as such', async () => {
    const r = await client.request('providers', { order: ['webgpu', 'cpu'] });
    const w = r.providers.find((p) => p.name === 'webgpu')!;
    assert.equal(w.works, true, `webgpu: ${w.reason}`);
    assert.ok(w.adapter, 'the adapter is named');
    assert.match(w.adapter.description, /SwiftShader|llvmpipe/);
    assert.equal(w.adapter.software, true);
    assert.equal(w.adapter.type, 'cpu');
    assert.match(w.adapter.vendor, /^(Google|Mesa)$/);
    assert.equal(w.adapter.label, SOFTWARE_ADAPTER_LABEL);
  });

  it('a software adapter is not picked by the default order, only when webgpu is listed first', async () => {
    const r = await client.request('classify', { model: models[0], images: images.slice(0, 1), topK: 1, order: [...DEFAULT_PROVIDER_ORDER] });
    assert.equal(r.ep, 'cpu');
    const w = r.failures.find((f) => f.ep === 'webgpu');
    assert.ok(w, JSON.stringify(r.failures));
    assert.match(w.reason, /SwiftShader|llvmpipe/);
    assert.match(w.reason, /not used automatically over cpu \(list webgpu first/);
  });

  for (const model of models) {
    it(`classify ${model.split('/').pop()}: on webgpu, logits within 1e-4 of cpu, same top-1; the first session warms up apart from the run`, async () => {
      const cpu = await client.request('classify', { model, images, topK: 1, order: ['cpu'] });
      const gpu = await client.request('classify', { model, images, topK: 1, order: GPU });
      assert.equal(gpu.ep, 'webgpu', JSON.stringify(gpu.failures));
      assert.equal(cpu.warmUpMs, null);
      assert.ok(typeof gpu.warmUpMs === 'number' && gpu.warmUpMs > 0, `warm-up ${gpu.warmUpMs}`);
      gpu.results.forEach((g, i) => {
        const c = cpu.results[i];
        assert.ok(g.ok && c.ok);
        const d = maxAbs(g.logits, c.logits);
        console.log(`      ${g.image.split('/').pop()}: max |Δlogit| webgpu vs cpu = ${d.toExponential(2)}`);
        assert.ok(d <= 1e-4, `max |Δlogit| = ${d}`);
        assert.equal(argmax(g.logits), argmax(c.logits));
      });
      // Cached and warm: the next request neither loads nor warms up.
      const again = await client.request('classify', { model, images: images.slice(0, 1), topK: 1, order: GPU });
      assert.equal(again.ep, 'webgpu');
      assert.equal(again.warmUpMs, null);
      assert.equal(again.loadMs, 0);
    });

    it(`attention ${model.split('/').pop()}: every captured map within 1e-4 of cpu on webgpu`, async () => {
      const cpu = await client.request('attention', { model, image: images[0], order: ['cpu'] });
      const gpu = await client.request('attention', { model, image: images[0], order: GPU });
      assert.equal(gpu.ep, 'webgpu', JSON.stringify(gpu.failures));
      assert.equal(argmax(gpu.logits), argmax(cpu.logits));
      assert.ok(maxAbs(gpu.logits, cpu.logits) <= 1e-4);
      assert.ok(gpu.layers.length >= 2);
      let worst = 0;
      gpu.layers.forEach((l, i) => {
        assert.ok(l.data && cpu.layers[i].data, `${l.name} captured`);
        worst = Math.max(worst, maxAbs(l.data!, cpu.layers[i].data!));
      });
      console.log(`      ${gpu.layers.length} layers, max |Δattention| = ${worst.toExponential(2)}`);
      assert.ok(worst <= 1e-4, `max |Δattention| = ${worst}`);
    });

    it(`placement ${model.split('/').pop()}: every node on WebGpuExecutionProvider, no copies`, async () => {
      const r = await client.request('placement', { model, order: GPU });
      assert.equal(r.ep, 'webgpu');
      assert.ok(r.nodes > 20, `${r.nodes} nodes`);
      assert.deepEqual(r.byProvider.map((b) => b.provider), ['WebGpuExecutionProvider'], JSON.stringify(r.fallback.slice(0, 5)));
      assert.equal(r.fallback.length, 0);
      assert.equal(r.copies, 0);
    });
  }

  it('placement: a node forced onto the CPU (forceCpuNodeNames) runs there, with host/device copies around it', async () => {
    // A Softmax in the middle of the graph: its input must come to the host and its output go back.
    const softmax = (await client.request('attention', { model: models[0], image: images[0], order: ['cpu'] })).layers[0].output;
    const node = nodeNameOf(models[0], softmax);
    // Every WebGPU option the settings pass, as the extension sends them.
    await client.request('configure', { providerOptions: { webgpu: { validationMode: 'basic', preferredLayout: 'NCHW', forceCpuNodeNames: [node] }, cuda: { deviceId: 0 } } });
    try {
      const r = await client.request('placement', { model: models[0], order: GPU });
      assert.equal(r.ep, 'webgpu');
      assert.deepEqual(r.fallback.filter((f) => f.op === 'Softmax').map((f) => [f.name, f.provider]), [[node, 'CPUExecutionProvider']]);
      assert.ok(r.copies >= 2, `${r.copies} copies`);
      console.log(`      ${node} on CPU: ${r.copies} Memcpy kernels; providers ${r.byProvider.map((b) => `${b.provider} ${b.nodes}`).join(', ')}`);
    } finally {
      await client.request('configure', { providerOptions: {} });
    }
  });

  it('Measure: MSA, W-MSA and SW-MSA timed on webgpu, shader compilation apart', async () => {
    for (const shifted of [false, true]) {
      const r = await client.request('timeAttention', { h: 14, w: 14, dim: 32, heads: 2, windows: shifted ? [7] : [null, 7], shifted, order: GPU, warmup: 1, repeats: 1, budgetMs: 5_000 });
      assert.equal(r.ep, 'webgpu', JSON.stringify(r.failures));
      for (const row of r.rows) {
        assert.equal(row.ep, 'webgpu');
        assert.ok(row.ms > 0 && typeof row.firstRunMs === 'number');
      }
      if (shifted) assert.equal(r.rows[0].shift, 3);
      console.log(`      ${r.rows.map((x) => `${x.window === null ? 'MSA' : shifted ? 'SW-MSA' : 'W-MSA'} M=${x.window ?? '-'}: first ${x.firstRunMs!.toFixed(0)} ms, warm ${x.ms.toFixed(2)} ms`).join('; ')}`);
    }
  });

  it('a run that fails on webgpu (device lost) falls back to cpu with the reason, and the next request is on webgpu again', async () => {
    const cpu = await client.request('classify', { model: models[0], images: images.slice(0, 2), topK: 1, order: ['cpu'] });
    await client.request('debugFailNextRun', { ep: 'webgpu' });
    const r = await client.request('classify', { model: models[0], images: images.slice(0, 2), topK: 1, order: GPU });
    assert.equal(r.ep, 'cpu');
    const f = r.failures.find((x) => x.ep === 'webgpu');
    assert.ok(f, JSON.stringify(r.failures));
    assert.match(f.reason, /failed while running: WebGPU device lost/);
    r.results.forEach((g, i) => {
      const c = cpu.results[i];
      assert.ok(g.ok && c.ok);
      assert.deepEqual(Array.from(g.logits), Array.from(c.logits));
    });
    const next = await client.request('classify', { model: models[0], images: images.slice(0, 1), topK: 1, order: GPU });
    assert.equal(next.ep, 'webgpu');
    assert.deepEqual(next.failures, []);
  });

  it('doctor: runs the embedded models and a ViT-B/16 attention layer on webgpu, parity with cpu, adapter and ratio reported', async () => {
    const r = await client.request('doctor', { models, repeats: 1 });
    const w = r.providers.find((p) => p.name === 'webgpu')!;
    assert.equal(w.works, true);
    const mine = r.checks.filter((c) => c.ep === 'webgpu');
    assert.equal(mine.length, 3);
    for (const c of mine) {
      assert.equal(c.error, null, c.error ?? '');
      assert.ok(c.maxAbsDiff! <= 1e-4, `${c.workload}: ${c.maxAbsDiff}`);
      assert.ok(c.ratio! > 0 && c.firstRunMs! > 0);
      if (c.top1Same !== null) assert.equal(c.top1Same, true);
    }
    const line = r.verdict.find((v) => v.startsWith('webgpu'))!;
    assert.match(line, /works, outputs within 0\.0001 of cpu/);
    assert.match(line, /software Vulkan \(SwiftShader\/llvmpipe\): correct, not fast/);
    console.log(`      ${r.verdict.join('\n      ')}`);
  });
});

/** The name of the node that writes `output` (read from the model file with the project's reader). */
function nodeNameOf(model: string, output: string): string {
  const n = readModel(model).graph.nodes.find((x) => x.outputs.includes(output));
  assert.ok(n, `a node writes ${output}`);
  return n.name;
}
