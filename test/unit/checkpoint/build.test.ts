/**
 * Checkpoints built into graphs, checked against the torch modules they were made from
 * (tools/make_checkpoint_fixtures.py): params exact, logits and attention maps through ONNX
 * Runtime, the module tree in PyTorch's names, MACs and the exported ONNX file (the same through the
 * inference process: test/runtime/checkpoint.test.ts).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type * as ortType from 'onnxruntime-node';
import { inspectModel } from '../../../src/core/arch/inspect';
import type { TreeNode } from '../../../src/core/arch/tree';
import { buildCheckpoint, loadModel } from '../../../src/core/checkpoint';
import { INLINE_LIMIT, exportCheckpoint } from '../../../src/core/checkpoint/export';
import { activation, torchScope } from '../../../src/core/checkpoint/graph';
import { GraphBuilder } from '../../../src/core/onnx/builder';
import { type OnnxModel, attrFloat } from '../../../src/core/onnx/model';
import { DataType } from '../../../src/core/onnx/proto';
import { readCheckpoint } from '../../../src/core/checkpoint/safetensors';
import { type Spec, safetensors } from '../helpers/safetensors';
import { planCapture } from '../../../src/core/attention/capture';
import { readModel } from '../../../src/core/onnx/reader';
import { modelToBytes } from '../../../src/core/onnx/writer';
import { embeddingsOfFile } from '../../../src/core/report/embeddings';

const FIX = resolve('test/fixtures/checkpoints');
const REF = resolve('test/fixtures/reference/checkpoints.json');
const ort = require('onnxruntime-node') as typeof ortType;

interface Ref {
  input: { shape: number[]; data: number[] };
  fixtures: Record<string, { params: number; logits?: number[]; hidden?: { shape: number[]; data: number[] }; attention: number[][]; attentionShape: number[] }>;
}
const ref: Ref = JSON.parse(readFileSync(REF, 'utf8'));
const NAMES = ['hf-vit', 'hf-vit-fp16', 'hf-vit-bf16', 'hf-vit-sharded', 'hf-vit-base', 'hf-deit-teacher', 'hf-deit', 'timm-vit', 'timm-deit-distilled', 'timm-vit-fp16'];

const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

async function runBytes(bytes: Uint8Array, folder: string | null, fetch?: string[]): Promise<ortType.InferenceSession.ReturnType> {
  const s = await ort.InferenceSession.create(bytes, folder ? { extra: { session: { model_external_initializers_file_folder_path: folder } } } : {});
  try {
    const x = new ort.Tensor('float32', Float32Array.from(ref.input.data), ref.input.shape);
    return await s.run({ [s.inputNames[0]]: x }, fetch ?? s.outputNames);
  } finally {
    await s.release();
  }
}

function find(tree: TreeNode, path: string[]): TreeNode | undefined {
  let t: TreeNode | undefined = tree;
  for (const p of path) t = t?.children.find((c) => c.name === p);
  return t;
}

describe('checkpoints built into graphs', function () {
  this.timeout(120_000);

  it('the fixtures and references are all there (a missing one fails)', () => {
    assert.deepEqual(Object.keys(ref.fixtures).sort(), [...NAMES].sort());
    for (const n of NAMES) assert.ok(existsSync(join(FIX, n, 'config.json')), n);
  });

  it('torch scopes: a numbered child joins its list, an nn.Sequential is a scope of its own', () => {
    assert.equal(torchScope('vit.encoder.layer.0.attention.attention.query'), '/vit/encoder/layer.0/attention/attention/query');
    assert.equal(torchScope('blocks.11.attn.qkv', new Set(['blocks'])), '/blocks/blocks.11/attn/qkv');
  });

  for (const name of NAMES) {
    it(`${name}: params as PyTorch counts them, and ONNX Runtime's output matches the torch module`, async () => {
      const want = ref.fixtures[name];
      const r = inspectModel(join(FIX, name));
      assert.equal(r.params, want.params);
      assert.equal(buildCheckpoint(join(FIX, name)).torchParams, want.params);
      assert.equal(r.family, 'vit');
      assert.equal(r.config.patchSize, 8);
      assert.equal(r.config.embedDim, 32);
      assert.deepEqual(r.config.depths, [2]);
      assert.deepEqual(r.config.heads, [2]);
      assert.equal(r.config.extraTokens, name.includes('deit') ? 2 : 1);
      assert.equal(r.config.precision, name.endsWith('fp16') ? 'fp16' : name.endsWith('bf16') ? 'bf16' : 'fp32');
      assert.deepEqual(r.warnings, []);
      const b = buildCheckpoint(join(FIX, name));
      const out = await runBytes(modelToBytes(b.model), b.folder);
      const got = out[b.model.graph.outputs[0].name].data as Float32Array;
      // fp32: ≤ 1e-4; fp16/bf16 against torch on the same rounded weights in float32 (measured ≈ 1e-6)
      const d = maxAbs(got, want.logits ?? want.hidden!.data);
      assert.ok(d <= 1e-4, `${name}: max |Δ| ${d}`);
    });
  }

  it('the attention maps captured from a checkpoint are the torch module\'s attention probabilities', async () => {
    for (const name of ['hf-vit', 'hf-deit-teacher', 'timm-deit-distilled', 'hf-vit-bf16']) {
      const want = ref.fixtures[name];
      const plan = planCapture(join(FIX, name, 'model.safetensors'));
      assert.equal(plan.family, 'vit');
      assert.equal(plan.layers.length, 2);
      assert.ok(plan.externalFolder);
      const out = await runBytes(modelToBytes(plan.model), plan.externalFolder, plan.layers.map((l) => l.output));
      plan.layers.forEach((l, i) => {
        const t = out[l.output];
        assert.deepEqual(t.dims.slice(1), want.attentionShape);
        const d = maxAbs(t.data as Float32Array, want.attention[i]);
        assert.ok(d < 1e-5, `${name} ${l.name}: max |Δ| ${d}`);
      });
    }
  });

  it('the module tree reads like PyTorch\'s, with params and MACs per module', () => {
    const hf = inspectModel(join(FIX, 'hf-vit'));
    const q = find(hf.tree, ['vit', 'encoder', 'layer.0', 'attention', 'attention', 'query']);
    assert.ok(q, JSON.stringify(hf.tree.children.map((c) => c.name)));
    assert.equal(q!.params, 32 * 32 + 32);
    assert.equal(find(hf.tree, ['classifier'])?.params, 32 * 5 + 5);
    const timm = inspectModel(join(FIX, 'timm-deit-distilled'));
    const qkv = find(timm.tree, ['blocks', 'blocks.1', 'attn', 'qkv']);
    assert.equal(qkv?.params, 32 * 96 + 96);
    assert.ok(find(timm.tree, ['head_dist']));
    // MACs as the papers count them: patch embedding, qkv, q·kᵀ, ·v, projection, MLP, heads
    const macs = (T: number, heads: number): number => 16 * 32 * 3 * 64 + 2 * (T * 32 * 96 + 2 * 2 * T * T * 16 + T * 32 * 32 + 2 * T * 32 * 64) + heads * 32 * 5;
    assert.equal(hf.macs, macs(17, 1));
    assert.equal(timm.macs, macs(18, 2));
    assert.equal(inspectModel(join(FIX, 'hf-deit-teacher')).macs, macs(18, 2));
  });

  it('config read exactly: layer_norm_eps (Hugging Face default 1e-12, timm 1e-6), hidden_act', () => {
    const eps = (m: OnnxModel): number[] => [...new Set(m.graph.nodes.filter((n) => n.opType === 'LayerNormalization').map((n) => Math.fround(attrFloat(n, 'epsilon', NaN))))];
    assert.deepEqual(eps(loadModel(join(FIX, 'hf-vit'))), [Math.fround(1e-6)]);
    assert.deepEqual(eps(loadModel(join(FIX, 'timm-vit'))), [Math.fround(1e-6)]);
    const dir = mkdtempSync(join(tmpdir(), 'ckpt-cfg-'));
    try {
      const cfg = JSON.parse(readFileSync(join(FIX, 'hf-vit', 'config.json'), 'utf8'));
      delete cfg.layer_norm_eps;
      cfg.hidden_act = 'gelu_new';
      copyFileSync(join(FIX, 'hf-vit', 'model.safetensors'), join(dir, 'model.safetensors'));
      writeFileSync(join(dir, 'config.json'), JSON.stringify(cfg));
      const m = loadModel(dir);
      assert.deepEqual(eps(m), [Math.fround(1e-12)]);
      assert.equal(m.graph.nodes.filter((n) => n.opType === 'Tanh').length, 2, 'one tanh GELU per block');
      assert.equal(m.graph.nodes.filter((n) => n.opType === 'Erf').length, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the activations compute their definitions (ONNX Runtime against the formulas)', async () => {
    const xs = [-3, -1.5, -0.5, 0, 0.25, 1, 2.5];
    const sig = (x: number): number => 1 / (1 + Math.exp(-x));
    const want: Record<string, (x: number) => number> = {
      gelu_new: (x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3))),
      gelu_pytorch_tanh: (x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3))),
      quick_gelu: (x) => x * sig(1.702 * x),
      relu: (x) => Math.max(0, x),
      silu: (x) => x * sig(x),
      // nn.GELU's exact values at these points (torch.nn.functional.gelu in float64)
      gelu: (x) => ({ [-3]: -0.00404969, [-1.5]: -0.1002108, [-0.5]: -0.15426877, 0: 0, 0.25: 0.14967658, 1: 0.84134475, 2.5: 2.48447584 })[x]!,
    };
    for (const [act, f] of Object.entries(want)) {
      const g = new GraphBuilder({ opset: 17 });
      const x = g.input('x', DataType.FLOAT, [xs.length]);
      g.node('Identity', [activation(g, x, act, '/act')], ['y']);
      g.output('y', DataType.FLOAT, [xs.length]);
      const s = await ort.InferenceSession.create(modelToBytes(g.build()));
      const y = (await s.run({ x: new ort.Tensor('float32', Float32Array.from(xs), [xs.length]) })).y.data as Float32Array;
      await s.release();
      assert.ok(maxAbs(y, xs.map(f)) < 1e-6, act);
    }
  });

  it('a base model (no head) outputs its hidden states; with a pooler, pooler_output too, its params counted', () => {
    const m = loadModel(join(FIX, 'hf-vit-base'));
    assert.deepEqual(m.graph.outputs.map((o) => o.name), ['last_hidden_state']);
    const dir = mkdtempSync(join(tmpdir(), 'ckpt-pooler-'));
    try {
      const base = readCheckpoint(join(FIX, 'hf-vit-base'));
      const spec: Spec = Object.fromEntries([...base.tensors.values()].map((t) => [t.name, { dtype: t.dtype, shape: t.shape }]));
      spec['pooler.dense.weight'] = { dtype: 'F32', shape: [32, 32] };
      spec['pooler.dense.bias'] = { dtype: 'F32', shape: [32] };
      writeFileSync(join(dir, 'model.safetensors'), safetensors(spec));
      copyFileSync(join(FIX, 'hf-vit-base', 'config.json'), join(dir, 'config.json'));
      const r = inspectModel(dir);
      assert.deepEqual(r.outputs.map((o) => o.name), ['last_hidden_state', 'pooler_output']);
      assert.equal(r.params, ref.fixtures['hf-vit-base'].params + 32 * 32 + 32);
      assert.ok(find(r.tree, ['pooler']));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('position embeddings and patch filters read from the checkpoint in place (ViT paper, Figure 7)', () => {
    const doc = embeddingsOfFile(join(FIX, 'hf-vit'));
    assert.deepEqual(doc.positions?.grid, [4, 4]);
    assert.equal(doc.positions?.similarity.length, 256);
    assert.ok(Math.abs(doc.positions!.similarity[0] - 1) < 1e-6);
    assert.deepEqual(doc.patchFilters?.patch, [8, 8]);
  });

  describe('export to ONNX', () => {
    let dir: string;
    before(() => (dir = mkdtempSync(join(tmpdir(), 'ckpt-export-'))));
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('a standard ONNX file with the weights inline gives the checkpoint\'s logits; the configs are copied beside it', async () => {
      const out = join(dir, 'deit.onnx');
      const r = exportCheckpoint(join(FIX, 'hf-deit-teacher'), out);
      assert.equal(r.data, null);
      assert.ok(existsSync(join(dir, 'config.json')) && existsSync(join(dir, 'preprocessor_config.json')));
      const s = await ort.InferenceSession.create(out);
      const x = new ort.Tensor('float32', Float32Array.from(ref.input.data), ref.input.shape);
      const got = (await s.run({ [s.inputNames[0]]: x })).logits.data as Float32Array;
      await s.release();
      assert.ok(maxAbs(got, ref.fixtures['hf-deit-teacher'].logits!) < 1e-4);
      // our reader sees the same model: same params, no external data
      const m = readModel(out);
      assert.ok(m.graph.initializers.every((t) => t.data.location !== 'external'));
      assert.equal(inspectModel(out).params, ref.fixtures['hf-deit-teacher'].params);
    });

    it('above the inline limit the weights go to OUT.onnx.data beside it (fp16 kept, with its Casts)', async () => {
      const sub = mkdtempSync(join(dir, 'ext-'));
      const out = join(sub, 'vit16.onnx');
      const r = exportCheckpoint(join(FIX, 'timm-vit-fp16'), out, { inlineLimit: 0 });
      assert.equal(r.data, `${out}.data`);
      assert.ok(statSync(r.data!).size >= 24069 * 2);
      const s = await ort.InferenceSession.create(out);
      const x = new ort.Tensor('float32', Float32Array.from(ref.input.data), ref.input.shape);
      const got = (await s.run({ [s.inputNames[0]]: x })).logits.data as Float32Array;
      await s.release();
      assert.ok(maxAbs(got, ref.fixtures['timm-vit-fp16'].logits!) < 1e-4);
    });

    it('the threshold: weights up to the limit stay inline, one byte more goes to OUT.onnx.data; the limit is under protobuf\'s 2 GiB', async () => {
      assert.ok(INLINE_LIMIT < 2 ** 31 && INLINE_LIMIT >= 2 ** 31 - 128 * 1024 * 1024, `INLINE_LIMIT ${INLINE_LIMIT}`);
      const b = buildCheckpoint(join(FIX, 'hf-vit'));
      const total = b.model.graph.initializers.reduce((s, t) => s + (t.data.location === 'external' ? t.data.length : 0), 0);
      assert.equal(total, ref.fixtures['hf-vit'].params * 4, 'fp32: the weights are the params × 4 bytes');
      const at = mkdtempSync(join(dir, 'at-'));
      const inline = exportCheckpoint(join(FIX, 'hf-vit'), join(at, 'model.onnx'), { inlineLimit: total });
      assert.equal(inline.data, null);
      assert.ok(!existsSync(join(at, 'model.onnx.data')));
      const over = mkdtempSync(join(dir, 'over-'));
      const ext = exportCheckpoint(join(FIX, 'hf-vit'), join(over, 'model.onnx'), { inlineLimit: total - 1 });
      assert.equal(ext.data, join(over, 'model.onnx.data'));
      assert.ok(readModel(ext.model).graph.initializers.some((t) => t.data.location === 'external' && t.data.file === 'model.onnx.data'));
      // Both load in a plain onnxruntime session from their paths and give torch's logits.
      for (const m of [inline.model, ext.model]) {
        const s = await ort.InferenceSession.create(m);
        const x = new ort.Tensor('float32', Float32Array.from(ref.input.data), ref.input.shape);
        const got = (await s.run({ [s.inputNames[0]]: x }))[s.outputNames[0]].data as Float32Array;
        await s.release();
        assert.ok(maxAbs(got, ref.fixtures['hf-vit'].logits!) < 1e-4, m);
      }
    });

    it('vit-inspect export CHECKPOINT -o OUT.onnx --json; refuses to overwrite another model\'s config.json', () => {
      const sub = mkdtempSync(join(dir, 'cli-'));
      const out = join(sub, 'model.onnx');
      const doc = JSON.parse(execFileSync(process.execPath, [resolve('dist/cli.js'), 'export', join(FIX, 'timm-vit'), '-o', out, '--json'], { encoding: 'utf8' }));
      assert.equal(doc.model, out);
      assert.equal(doc.architecture, 'vit_tiny_patch8_32');
      assert.deepEqual(doc.copied, [join(sub, 'config.json')]);
      assert.throws(() => exportCheckpoint(join(FIX, 'hf-vit'), join(sub, 'other.onnx')), /already exists and is another model's config\.json/);
    });
  });
});
