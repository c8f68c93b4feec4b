/**
 * Swin checkpoints built into graphs, checked against the torchvision module they were renamed
 * from (tools/make_swin_checkpoint_fixtures.py): Hugging Face Swin (classification, base model,
 * fp16, a padded map and a map the size of the window), timm's current and older layouts.
 * Params exact, logits through ONNX Runtime, detection, the relative position tables, attention.
 */
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type * as ortType from 'onnxruntime-node';
import { analyzeGraph } from '../../../src/core/arch/analysis';
import { detectArchitecture } from '../../../src/core/arch/detect';
import { countParams } from '../../../src/core/arch/parameters';
import { inspectLoadedModel, inspectModel } from '../../../src/core/arch/inspect';
import { SWIN_BUFFER, type SwinCheckpointConfig, swinBuilders } from '../../../src/core/checkpoint/swin';
import { readCheckpoint } from '../../../src/core/checkpoint/safetensors';
import { isUserError } from '../../../src/core/errors';
import { windowGeometry, windowReceivedAttention } from '../../../src/core/attention/maps';
import { type OnnxModel, attrFloat } from '../../../src/core/onnx/model';
import { inferShapes } from '../../../src/core/onnx/shapes';
import { addGraphOutputs, modelToBytes } from '../../../src/core/onnx/writer';
import { relposOfAnalysis } from '../../../src/core/report/relpos';

const ort = require('onnxruntime-node') as typeof ortType;
const FIX = resolve('test/fixtures/checkpoints/swin');
const NAMES = ['hf_A', 'hf_A_base', 'hf_A_fp16', 'hf_B', 'timm_A', 'timm_A_old', 'hf_v2_A', 'hf_v2_A_pw', 'timm_C_clamped', 'timm_A_old_bf16', 'hf_v2_A_base', 'timm_B_padded'];

interface Ref {
  input: number[];
  inputShape: number[];
  params: number;
  logits?: number[];
  pooled?: number[];
  relpos: { name: string; table: number[] }[];
  /** hf_A, hf_B, timm_B_padded: torch's attention probabilities of every block, [B·nW, heads, N, N] flattened. */
  attention?: number[][];
  /** timm_B_padded: per block, the stage token (row-major) each window slot holds, −1 for padding, from torch's ops on the indices. */
  slots?: number[][];
  config: { image: number; patch: number; embed: number; depths: number[]; heads: number[]; window: number };
}
const ref = (name: string): Ref => JSON.parse(readFileSync(join(FIX, name, 'reference.json'), 'utf8'));

/** config.json as the registry hands it to a builder (Hugging Face: architectures; timm: architecture). */
function configOf(dir: string): SwinCheckpointConfig {
  const file = join(dir, 'config.json');
  const json = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  if (typeof json.architecture === 'string') return { file, kind: 'timm', architecture: json.architecture, json };
  const archs = Array.isArray(json.architectures) ? json.architectures.filter((x): x is string => typeof x === 'string') : [];
  if (archs.length || typeof json.model_type === 'string') return { file, kind: 'hf', architecture: archs[0] ?? (json.model_type as string), json };
  return { file, kind: 'none', architecture: null, json };
}

function build(dir: string): { model: OnnxModel; folder: string } {
  const ckpt = readCheckpoint(dir);
  const cfg = configOf(dir);
  const b = swinBuilders.find((x) => x.matches(cfg, ckpt));
  assert.ok(b, `no Swin builder matches ${dir}`);
  return { model: b.build(ckpt, cfg), folder: dirname(ckpt.files[0]) };
}

const sessions: ortType.InferenceSession[] = [];
async function run(model: OnnxModel, folder: string, input: Ref, fetch?: string[]): Promise<ortType.InferenceSession.ReturnType> {
  const s = await ort.InferenceSession.create(modelToBytes(model), { executionProviders: ['cpu'], extra: { session: { model_external_initializers_file_folder_path: folder } } });
  sessions.push(s);
  const x = new ort.Tensor('float32', Float32Array.from(input.input), input.inputShape);
  return s.run({ [s.inputNames[0]]: x }, fetch ?? s.outputNames);
}

const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

function userError(f: () => unknown, ...names: string[]): void {
  try {
    f();
  } catch (e) {
    assert.ok(isUserError(e), `not a UserError: ${(e as Error).stack}`);
    for (const n of names) assert.ok((e as Error).message.includes(n), `"${(e as Error).message}" does not name ${n}`);
    return;
  }
  assert.fail('no error');
}

/** A copy of a fixture folder with its config.json edited. */
function withConfig(name: string, edit: (c: Record<string, unknown>) => void): string {
  const dir = mkdtempSync(join(tmpdir(), 'swin-ckpt-'));
  cpSync(join(FIX, name), dir, { recursive: true });
  const c = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  edit(c);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(c));
  temps.push(dir);
  return dir;
}
const temps: string[] = [];

describe('Swin checkpoints built into graphs', function () {
  this.timeout(120_000);
  after(async () => {
    for (const s of sessions) await s.release();
    for (const d of temps) rmSync(d, { recursive: true, force: true });
  });

  it('the fixtures are all there (a missing one fails)', () => {
    for (const n of NAMES) for (const f of ['model.safetensors', 'config.json', 'reference.json']) assert.ok(existsSync(join(FIX, n, f)), `${n}/${f}`);
  });

  for (const name of NAMES) {
    it(`${name}: params as PyTorch counts them, detection, and ONNX Runtime's output matches the torch module`, async () => {
      const want = ref(name);
      const { model, folder } = build(join(FIX, name));
      assert.deepEqual(model.warnings, []);
      const r = inspectLoadedModel(model);
      assert.equal(r.params, want.params);
      // What a registry's count over the file's float tensors gives once Swin's buffers are left out.
      let fromFile = 0;
      for (const t of readCheckpoint(join(FIX, name)).tensors.values()) if (t.dtype !== 'I64' && !SWIN_BUFFER.test(t.name)) fromFile += t.shape.reduce((x, y) => x * y, 1);
      assert.equal(fromFile, want.params);
      assert.equal(r.family, name.includes('v2') ? 'swin-v2' : 'swin');
      assert.equal(r.config.patchSize, want.config.patch);
      assert.equal(r.config.embedDim, want.config.embed);
      assert.deepEqual(r.config.depths, want.config.depths);
      assert.deepEqual(r.config.heads, want.config.heads);
      assert.equal(r.config.windowSize, want.config.window);
      assert.equal(r.config.shiftSize, Math.floor(want.config.window / 2));
      assert.deepEqual(r.imageSize, [want.config.image, want.config.image]);
      assert.equal(r.config.precision, name.endsWith('fp16') ? 'fp16' : name.endsWith('bf16') ? 'bf16' : 'fp32');
      const out = await run(model, folder, want);
      const got = out[model.graph.outputs[name.endsWith('base') ? 1 : 0].name].data as Float32Array;
      const d = maxAbs(got, want.logits ?? want.pooled!);
      assert.ok(d <= 1e-4, `${name}: max |Δ| ${d}`);
    });
  }

  it('reads as torchvision\'s own ONNX export of the same architecture (tiny_swin.onnx): params, MACs, config, stages', () => {
    // tiny_swin.onnx: torch.onnx.export of SwinTransformer(patch 2, embed 16, depths [2, 2], heads [2, 4], window 4, 10 classes) at 32², as fixture A.
    const tv = inspectModel(resolve('test/fixtures/models/tiny_swin.onnx'));
    for (const name of ['hf_A', 'timm_A', 'timm_A_old']) {
      const r = inspectLoadedModel(build(join(FIX, name)).model);
      assert.equal(r.params, tv.params, name);
      assert.equal(r.macs, tv.macs, name);
      assert.deepEqual(r.config, tv.config, name);
      assert.deepEqual(r.stages, tv.stages, name);
      assert.equal(r.softmax, tv.softmax, name);
    }
  });

  it('the batch is dynamic: two images in one run give each image\'s own output', async () => {
    for (const name of ['hf_B', 'timm_A_old', 'hf_v2_A']) {
      const want = ref(name);
      const { model, folder } = build(join(FIX, name));
      const two = { ...want, input: [...want.input, ...want.input.map((v) => -v)], inputShape: [2, ...want.inputShape.slice(1)] };
      const neg = { ...want, input: want.input.map((v) => -v) };
      const both = (await run(model, folder, two))[model.graph.outputs[0].name];
      const second = (await run(model, folder, neg))[model.graph.outputs[0].name].data as Float32Array;
      assert.deepEqual(both.dims, [2, want.logits!.length]);
      const data = both.data as Float32Array;
      const n = want.logits!.length;
      assert.ok(maxAbs(data.subarray(0, n), want.logits!) <= 1e-4, name);
      assert.ok(maxAbs(data.subarray(n), second) <= 1e-5, name);
    }
  });

  it('the relative position bias view reads each block\'s table B̂ (kept as the initializer, gathered by the official index)', () => {
    for (const name of NAMES) {
      const want = ref(name);
      const { model } = build(join(FIX, name));
      const a = analyzeGraph(model, inferShapes(model));
      const rep = relposOfAnalysis(a, detectArchitecture(a));
      assert.deepEqual(
        rep.layers.map((l) => l.name),
        want.relpos.map((l) => l.name),
      );
      rep.layers.forEach((l, i) => {
        assert.equal(l.status, 'ok', `${name} ${l.name}: ${l.message}`);
        assert.equal(l.source, name.includes('v2') ? 'cpb' : 'table');
        const d = maxAbs(l.table!, want.relpos[i].table);
        // V1: the table's own floats. V2: 16·sigmoid(MLP) evaluated here in another summation order than torch's: 1e-6 of its range 16.
        assert.ok(d <= (name.includes('v2') ? 16e-6 : 1e-6), `${name} ${l.name}: max |Δ| ${d}`);
      });
      // The table counts as a parameter; the index and the mask do not.
      const pc = countParams(a);
      assert.ok(pc.excluded.some((e) => e.name.endsWith('relative_position_index')));
      if (name.includes('v2')) assert.ok(pc.excluded.some((e) => e.name.endsWith('relative_coords_table')));
      if (a.attentions.length > 1) assert.ok(pc.excluded.some((e) => e.name.endsWith('attn_mask') && /mask/.test(e.reason)));
    }
  });

  it('attention capture: every block\'s Softmax, rows summing to 1, mapped back through the partition, padding and shift', async () => {
    for (const name of ['hf_A', 'hf_B', 'timm_A', 'hf_v2_A', 'timm_C_clamped', 'timm_B_padded']) {
      const want = ref(name);
      const { model, folder } = build(join(FIX, name));
      const a = analyzeGraph(model, inferShapes(model));
      const det = detectArchitecture(a);
      const blocks = det.stages.flatMap((st) => st.blocks.map((b) => ({ st, b })));
      assert.equal(blocks.length, want.config.depths.reduce((x, y) => x + y, 0));
      const names = blocks.map(({ b }) => a.nodes[b.softmax].outputs[0]);
      const tapped = addGraphOutputs(model, names.map((n) => ({ name: n })));
      const out = await run(tapped, folder, want, names);
      blocks.forEach(({ st, b }, i) => {
        const t = out[names[i]];
        if (want.attention) {
          const d = maxAbs(t.data as Float32Array, want.attention[i]);
          assert.ok(d < 1e-5, `${name} block ${i}: attention max |Δ| ${d} against torch`);
        }
        const [G, H, N] = [t.dims[0], t.dims[1], t.dims[2]];
        const data = t.data as Float32Array;
        for (let r = 0; r < G * H * N; r++) {
          let s = 0;
          for (let j = 0; j < N; j++) s += data[r * N + j];
          assert.ok(Math.abs(s - 1) < 1e-5, `${name} block ${i} row ${r}: Σ = ${s}`);
        }
        const g = windowGeometry(st.tokens[0], st.tokens[1], st.window!, b.shift, b.shiftBeforePad);
        if (want.slots) {
          // Which token each window slot holds, from torch's own roll, pad and partition of the token indices (−1: padding).
          const slots = Array.from(g.row, (r, k) => (r < 0 ? -1 : r * st.tokens[1] + g.col[k]));
          assert.deepEqual(slots, want.slots[i], `${name} block ${i}: window slots`);
        }
        const map = windowReceivedAttention({ data, dims: [...t.dims] as [number, number, number, number] }, g);
        assert.equal(map.length, st.tokens[0] * st.tokens[1]);
        assert.ok(map.every((v) => Number.isFinite(v) && v > 0));
      });
      // hf_B: 14×14 padded to 16, 7×7 padded to 8, then a 4×4 map in one unshifted 4×4 window.
      if (name.startsWith('hf_')) assert.ok(want.attention || name.includes('v2'), `${name}: the reference has torch's attention maps`);
      if (name === 'hf_B') {
        assert.deepEqual(det.stages.map((s) => s.tokens), [[14, 14], [7, 7], [4, 4]]);
        assert.deepEqual(det.stages.map((s) => s.blocks.map((b) => b.shift)), [[0, 2], [0, 2], [0, 0]]);
      }
      // timm_B_padded: the same maps as hf_B, but timm decides stage 3's window from input_resolution 14 // 4 = 3 (a 3×3 window, no shift) and pads the 4×4 map to 6×6.
      if (name === 'timm_B_padded') {
        assert.deepEqual(det.stages.map((s) => s.tokens), [[14, 14], [7, 7], [4, 4]]);
        assert.deepEqual(det.stages.map((s) => s.window), [4, 4, 3]);
        assert.deepEqual(det.stages.map((s) => s.blocks.map((b) => b.shift)), [[0, 2], [0, 2], [0, 0]]);
        // The roll of the shifted blocks runs on the 14×14 and 7×7 maps before they are padded: timm's order.
        assert.deepEqual(det.stages.map((s) => s.blocks.map((b) => b.shiftBeforePad ?? false)), [[false, true], [false, true], [false, false]]);
      }
      if (name === 'hf_B') assert.ok(det.stages.every((s) => s.blocks.every((b) => !b.shiftBeforePad)), 'hf_B pads before it rolls');
      // timm_C_clamped: timm shrinks the 8×8 window to the last stage's 4×4 map (one window, no shift).
      if (name === 'timm_C_clamped') {
        assert.deepEqual(det.stages.map((s) => s.window), [8, 8, 4]);
        assert.deepEqual(det.stages.map((s) => s.blocks.map((b) => b.shift)), [[0, 4], [0, 0], [0, 0]]);
      }
    }
  });

  it('node names follow the checkpoint keys, so the module tree reads like PyTorch\'s', () => {
    const hf = inspectLoadedModel(build(join(FIX, 'hf_A')).model);
    const path = (t: typeof hf.tree, p: string[]) => p.reduce<typeof hf.tree | undefined>((n, x) => n?.children.find((c) => c.name === x), t);
    const q = path(hf.tree, ['swin', 'encoder', 'layers.0', 'blocks.0', 'attention', 'self', 'query']);
    assert.equal(q?.params, 16 * 16 + 16);
    assert.equal(path(hf.tree, ['swin', 'encoder', 'layers.0', 'downsample', 'reduction'])?.params, 64 * 32);
    assert.equal(path(hf.tree, ['classifier'])?.params, 32 * 10 + 10);
    const timm = inspectLoadedModel(build(join(FIX, 'timm_A')).model);
    assert.equal(path(timm.tree, ['layers', 'layers.0', 'blocks', 'blocks.1', 'attn', 'qkv'])?.params, 16 * 48 + 48);
    assert.equal(path(timm.tree, ['layers', 'layers.1', 'downsample', 'reduction'])?.params, 64 * 32);
    const old = inspectLoadedModel(build(join(FIX, 'timm_A_old')).model);
    assert.equal(path(old.tree, ['layers', 'layers.0', 'downsample', 'reduction'])?.params, 64 * 32);
    assert.equal(hf.macs, timm.macs);
  });

  it('config read exactly: layer_norm_eps in the blocks and the final norm, nn.LayerNorm\'s 1e-5 in patch embedding and merging (as transformers builds them)', () => {
    const dir = withConfig('hf_A', (c) => (c.layer_norm_eps = 1e-6));
    const eps = new Map<string, number>();
    for (const n of build(dir).model.graph.nodes)
      if (n.opType === 'LayerNormalization') eps.set(n.name.split('/').slice(0, -1).join('/'), Math.fround(attrFloat(n, 'epsilon', NaN)));
    assert.equal(eps.get('/swin/embeddings/norm'), Math.fround(1e-5));
    assert.equal(eps.get('/swin/encoder/layers.0/downsample/norm'), Math.fround(1e-5));
    assert.equal(eps.get('/swin/encoder/layers.1/blocks.1/layernorm_before'), Math.fround(1e-6));
    assert.equal(eps.get('/swin/encoder/layers.0/blocks.0/layernorm_after'), Math.fround(1e-6));
    assert.equal(eps.get('/swin/layernorm'), Math.fround(1e-6));
    const act = withConfig('hf_A', (c) => (c.hidden_act = 'relu'));
    assert.ok(build(act).model.graph.nodes.some((n) => n.opType === 'Relu' && n.name.includes('intermediate')));
  });

  it('a config that contradicts the tensors is a UserError naming both', () => {
    const heads = withConfig('hf_A', (c) => (c.num_heads = [2, 8]));
    userError(() => build(heads), 'num_heads', 'layers.1.blocks.0.attention.self.relative_position_bias_table', '[49, 4]');
    const win = withConfig('hf_A', (c) => (c.window_size = 7));
    userError(() => build(win), 'window_size', 'relative_position_bias_table');
    const depths = withConfig('hf_A', (c) => (c.depths = [2, 1]));
    userError(() => build(depths), 'depths', '[2,2]');
    const embed = withConfig('hf_A', (c) => (c.embed_dim = 24));
    userError(() => build(embed), 'embed_dim', 'patch_embeddings.projection.weight');
    const act = withConfig('hf_A', (c) => (c.hidden_act = 'mish'));
    userError(() => build(act), 'hidden_act', 'mish');
    const timmHeads = withConfig('timm_A', (c) => ((c.model_args as Record<string, unknown>).num_heads = [4, 4]));
    userError(() => build(timmHeads), 'model_args.num_heads', 'layers.0.blocks.0.attn.relative_position_bias_table');
    // Without model_args the architecture name's table applies: swin_tiny has depths [2, 2, 6, 2].
    const named = withConfig('timm_A', (c) => delete c.model_args);
    userError(() => build(named), 'swin_tiny_patch4_window7_224', '[2,2,6,2]');
    const namedHeads = withConfig('timm_A', (c) => {
      c.architecture = 'swin_base_patch2_window4_32';
      c.model_args = { depths: [2, 2], embed_dim: 16, img_size: 32 };
    });
    userError(() => build(namedHeads), 'swin_base_patch2_window4_32', 'heads', 'model_args.depths');
    const labels = withConfig('hf_A', (c) => ((c.id2label as Record<string, string>)['10'] = 'extra'));
    userError(() => build(labels), 'id2label', '11 classes', 'classifier.weight', '[10, 32]');
    const classes = withConfig('timm_A', (c) => (c.num_classes = 1000));
    userError(() => build(classes), 'num_classes', 'head.fc.weight');
    const timmWin = withConfig('timm_A_old', (c) => ((c.model_args as Record<string, unknown>).window_size = 2));
    userError(() => build(timmWin), 'model_args.window_size', 'relative_position_bias_table');
  });

  it('fuzzed config.json fields give a model or a UserError, never another error (300 cases)', () => {
    let seed = 12345;
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)];
    const values = (): unknown => pick([0, -1, 1, 2, 3, 4, 7, 1e9, 0.5, NaN, 'gelu', 'x', true, null, [], [2], [2, 2], [2, 2, 2], [0, 4], [4, 8], {}, [1.5, 2]]);
    const fields = {
      hf_A: ['image_size', 'patch_size', 'embed_dim', 'depths', 'num_heads', 'window_size', 'mlp_ratio', 'qkv_bias', 'hidden_act', 'layer_norm_eps', 'num_channels', 'use_absolute_embeddings'],
      hf_v2_A: ['image_size', 'window_size', 'depths', 'num_heads', 'pretrained_window_sizes', 'layer_norm_eps'],
      timm_A: ['model_args.img_size', 'model_args.window_size', 'model_args.depths', 'model_args.num_heads', 'model_args.embed_dim', 'model_args.patch_size', 'pretrained_cfg.input_size', 'architecture', 'model_args'],
    } as Record<string, string[]>;
    const dirs = new Map<string, string>();
    for (const name of Object.keys(fields)) {
      const dir = mkdtempSync(join(tmpdir(), 'swin-fuzz-'));
      temps.push(dir);
      cpSync(join(FIX, name), dir, { recursive: true });
      dirs.set(name, dir);
    }
    let built = 0;
    for (let i = 0; i < 300; i++) {
      const name = pick(Object.keys(fields));
      const dir = dirs.get(name)!;
      const c = JSON.parse(readFileSync(join(FIX, name, 'config.json'), 'utf8'));
      const f = pick(fields[name]);
      const [a, b] = f.split('.');
      const v = values();
      if (b) (c[a] as Record<string, unknown>)[b] = v;
      else c[a] = v;
      writeFileSync(join(dir, 'config.json'), JSON.stringify(c));
      try {
        const cfg = configOf(dir);
        const ckpt = readCheckpoint(dir);
        const builder = swinBuilders.find((x) => x.matches(cfg, ckpt));
        if (builder) builder.build(ckpt, cfg);
        built++;
      } catch (e) {
        assert.ok(isUserError(e), `${name} ${f} = ${JSON.stringify(v)}: ${(e as Error).stack}`);
      }
    }
    assert.ok(built > 10 && built < 290, `built ${built}`);
  });

  it('a map the library itself cannot run is a UserError saying so: HF Swin\'s window larger than a map, timm\'s mask for another number of windows', () => {
    // hf_B at 20²: stage 3's map is 3×3 under a 4×4 window whose bias is [heads, 16, 16] (HF clamps the partition, not the bias).
    const hf = withConfig('hf_B', (c) => (c.image_size = 20));
    userError(() => build(hf), 'Stage 3', '3×3', 'window_size', 'cannot run');
    // timm_B_padded at 68²: maps 34, 17, 9, but timm builds stage 3 for input_resolution 34 // 4 = 8: a shifted mask for 4 windows on a map of 9.
    const timm = withConfig('timm_B_padded', (c) => {
      (c.model_args as Record<string, unknown>).img_size = 68;
      (c.pretrained_cfg as Record<string, unknown>).input_size = [3, 68, 68];
    });
    userError(() => build(timm), 'Stage 3', '9×9', '8×8', 'timm cannot run');
  });

  it('a saved buffer that is not the official one (relative_position_index, older timm\'s attn_mask) is a UserError naming it', () => {
    const patched = (name: string, tensor: string, edit: (b: Buffer) => void): string => {
      const dir = mkdtempSync(join(tmpdir(), 'swin-ckpt-'));
      temps.push(dir);
      cpSync(join(FIX, name), dir, { recursive: true });
      const t = readCheckpoint(dir).tensors.get(tensor)!;
      const file = join(dir, 'model.safetensors');
      const buf = readFileSync(file);
      edit(buf.subarray(t.offset, t.offset + t.length));
      writeFileSync(file, buf);
      return dir;
    };
    const idx = 'swin.encoder.layers.0.blocks.1.attention.self.relative_position_index';
    userError(() => build(patched('hf_A', idx, (b) => b.writeBigInt64LE(3n, 0))), idx, 'official');
    const mask = 'layers.1.blocks.1.attn_mask';
    userError(() => build(patched('timm_A_old', mask, (b) => b.writeFloatLE(-100, 4))), mask);
  });

  it('a tensor the architecture needs but the file lacks is a UserError naming it and the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'swin-ckpt-'));
    temps.push(dir);
    cpSync(join(FIX, 'hf_A', 'config.json'), join(dir, 'config.json'));
    // Rewrite the header without one tensor (its bytes stay: offsets are relative to the data start).
    const buf = readFileSync(join(FIX, 'hf_A', 'model.safetensors'));
    const n = Number(buf.readBigUInt64LE(0));
    const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8'));
    delete header['swin.encoder.layers.1.blocks.1.attention.self.key.weight'];
    const h = Buffer.from(JSON.stringify(header).padEnd(n, ' '));
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(h.length));
    writeFileSync(join(dir, 'model.safetensors'), Buffer.concat([len, h, buf.subarray(8 + n)]));
    userError(() => build(dir), 'model.safetensors', 'swin.encoder.layers.1.blocks.1.attention.self.key.weight');
  });
});
