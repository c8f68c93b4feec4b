// Checkpoints (issue 17) on a ViT-L/16-size timm checkpoint (dim 1024, 24 blocks, 16 heads, 224²,
// 1000 classes: 304M params, 1.2 GB fp32), written here as a sparse file (header + a hole: no disk
// used; pass --dense for random bytes on disk), then, each in a fresh child process:
//   A. `arch` from the header: readCheckpoint + build + inspect, cold and warm (second call in the
//      same process), wall time and peak RSS — goal: ≤ 100 ms warm, ≤ 100 MB RSS;
//   B. ONNX Runtime session creation + first run from the checkpoint (graph bytes + external data
//      read in place) against the same weights as a standard ONNX file (exported here, or the
//      torch export given with --onnx FILE) — goal: ≤ 1.1×;
//   C. per-run time, same comparison — goal: ≤ 1.02×.
// Run: node scripts/build.mjs --tests && node bench/checkpoint.bench.mjs [--dense] [--onnx torch_export.onnx] [--arch-only] [--keep]
// (--dense: the warm measurement then reuses the first build: the numbers are only indicative)
// Unmeasured so far: the development machine was shared and loaded; numbers from it mean nothing.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './lib/stats.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = path.join(root, 'out', 'src', 'core');
if (!fs.existsSync(path.join(out, 'checkpoint', 'index.js'))) throw new Error('build first: node scripts/build.mjs --tests');
const args = process.argv.slice(2);
const keep = args.includes('--keep');
const dense = args.includes('--dense');
const onnxArg = args.includes('--onnx') ? path.resolve(args[args.indexOf('--onnx') + 1]) : null;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vit-ckpt-bench-'));

/** timm vit_large_patch16_224's tensors, in its state-dict order. */
function vitLarge() {
  const C = 1024, L = 24, H = 4096, P = 16, N = (224 / P) ** 2 + 1;
  const t = [['cls_token', [1, 1, C]], ['pos_embed', [1, N, C]], ['patch_embed.proj.weight', [C, 3, P, P]], ['patch_embed.proj.bias', [C]]];
  for (let i = 0; i < L; i++)
    for (const [k, s] of [['norm1.weight', [C]], ['norm1.bias', [C]], ['attn.qkv.weight', [3 * C, C]], ['attn.qkv.bias', [3 * C]], ['attn.proj.weight', [C, C]], ['attn.proj.bias', [C]],
      ['norm2.weight', [C]], ['norm2.bias', [C]], ['mlp.fc1.weight', [H, C]], ['mlp.fc1.bias', [H]], ['mlp.fc2.weight', [C, H]], ['mlp.fc2.bias', [C]]])
      t.push([`blocks.${i}.${k}`, s]);
  t.push(['norm.weight', [C]], ['norm.bias', [C]], ['head.weight', [1000, C]], ['head.bias', [1000]]);
  return t;
}

function writeCheckpoint(dir) {
  fs.mkdirSync(dir, { recursive: true });
  const header = {};
  let off = 0;
  for (const [name, shape] of vitLarge()) {
    const n = shape.reduce((a, b) => a * b, 1) * 4;
    header[name] = { dtype: 'F32', shape, data_offsets: [off, off + n] };
    off += n;
  }
  header.__metadata__ = { format: 'pt' };
  let text = Buffer.from(JSON.stringify(header));
  text = Buffer.concat([text, Buffer.alloc((8 - (text.length % 8)) % 8, 0x20)]);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(text.length));
  const file = path.join(dir, 'model.safetensors');
  const fd = fs.openSync(file, 'w');
  fs.writeSync(fd, Buffer.concat([len, text]));
  const start = 8 + text.length;
  if (dense) {
    // small random values: 4 MB chunks of floats in [-0.02, 0.02]
    const chunk = new Float32Array(1 << 20);
    for (let p = 0; p < off; p += chunk.byteLength) {
      for (let i = 0; i < chunk.length; i++) chunk[i] = (Math.random() - 0.5) * 0.04;
      fs.writeSync(fd, Buffer.from(chunk.buffer, 0, Math.min(chunk.byteLength, off - p)), 0, Math.min(chunk.byteLength, off - p), start + p);
    }
  }
  fs.ftruncateSync(fd, start + off);
  fs.closeSync(fd);
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ architecture: 'vit_large_patch16_224', num_classes: 1000, pretrained_cfg: { input_size: [3, 224, 224], crop_pct: 0.9, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] } }));
  return { file, bytes: start + off };
}

/** Runs `code` in a fresh node process; it prints one JSON line. */
function child(code) {
  const js = `const out = ${JSON.stringify(out)}; ${code}`;
  return JSON.parse(execFileSync(process.execPath, ['-e', js], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 26 }).trim().split('\n').pop());
}

const ckptDir = path.join(tmp, 'vit-large');
const { file, bytes } = writeCheckpoint(ckptDir);
// a second copy (sparse: free) warms the process up without filling the build cache for the first
const warmDir = path.join(tmp, 'vit-large-warm');
if (!dense) writeCheckpoint(warmDir);
console.log(`checkpoint: ${file} (${(bytes / 1e9).toFixed(2)} GB, ${dense ? 'random bytes' : 'sparse'})`);

// A. arch from the header
const arch = [];
for (let i = 0; i < 3; i++)
  arch.push(child(`
    const { inspectModel } = require(out + '/arch/inspect.js');
    const t0 = performance.now(); const r = inspectModel(${JSON.stringify(dense ? ckptDir : warmDir)}); const cold = performance.now() - t0;
    // warm: the code is loaded and compiled, the checkpoint not built yet (its build cache is per file version)
    const t1 = performance.now(); inspectModel(${JSON.stringify(ckptDir)}); const warm = performance.now() - t1;
    console.log(JSON.stringify({ cold, warm, params: r.params, rssMB: process.resourceUsage().maxRSS / 1024 }));`));
console.log(`A. arch: params ${arch[0].params.toLocaleString('en-US')}; cold ${median(arch.map((a) => a.cold)).toFixed(1)} ms, warm ${median(arch.map((a) => a.warm)).toFixed(1)} ms, peak RSS ${median(arch.map((a) => a.rssMB)).toFixed(0)} MB (goal ≤ 100 ms warm, ≤ 100 MB)`);

if (args.includes('--arch-only')) {
  if (!keep) fs.rmSync(tmp, { recursive: true, force: true });
  process.exit(0);
}

// B/C. session + first run, then runs, checkpoint vs a standard ONNX file of the same weights
let onnx = onnxArg;
if (!onnx) {
  onnx = path.join(tmp, 'export', 'vit-large.onnx');
  fs.mkdirSync(path.dirname(onnx));
  const t0 = Date.now();
  child(`const { exportCheckpoint } = require(out + '/checkpoint/export.js'); exportCheckpoint(${JSON.stringify(ckptDir)}, ${JSON.stringify(onnx)}); console.log('{}');`);
  console.log(`exported ${onnx} in ${Date.now() - t0} ms`);
}
const session = (src) =>
  child(`
    const ort = require('onnxruntime-node');
    const { modelSource, externalDataOptions } = require(${JSON.stringify(path.join(root, 'out', 'src', 'runtime', 'modelSource.js'))});
    (async () => {
      const t0 = performance.now();
      const s0 = modelSource(${JSON.stringify(src)});
      const s = typeof s0 === 'string' ? await ort.InferenceSession.create(s0) : await ort.InferenceSession.create(s0.bytes, externalDataOptions(s0));
      const x = new ort.Tensor('float32', new Float32Array(3 * 224 * 224).fill(0.1), [1, 3, 224, 224]);
      await s.run({ [s.inputNames[0]]: x });
      const first = performance.now() - t0;
      const runs = [];
      for (let i = 0; i < 5; i++) { const t = performance.now(); await s.run({ [s.inputNames[0]]: x }); runs.push(performance.now() - t); }
      runs.sort((a, b) => a - b);
      console.log(JSON.stringify({ first, run: runs[2], rssMB: process.resourceUsage().maxRSS / 1024 }));
    })();`);
const ck = [session(ckptDir), session(ckptDir)];
const ox = [session(onnx), session(onnx)];
const f = (xs, k) => median(xs.map((x) => x[k]));
console.log(`B. session + first run: checkpoint ${f(ck, 'first').toFixed(0)} ms, ONNX ${f(ox, 'first').toFixed(0)} ms → ${(f(ck, 'first') / f(ox, 'first')).toFixed(3)}× (goal ≤ 1.1×)`);
console.log(`C. per run: checkpoint ${f(ck, 'run').toFixed(1)} ms, ONNX ${f(ox, 'run').toFixed(1)} ms → ${(f(ck, 'run') / f(ox, 'run')).toFixed(3)}× (goal ≤ 1.02×); peak RSS ${f(ck, 'rssMB').toFixed(0)} / ${f(ox, 'rssMB').toFixed(0)} MB`);
if (!keep) fs.rmSync(tmp, { recursive: true, force: true });
else console.log(`kept ${tmp}`);
