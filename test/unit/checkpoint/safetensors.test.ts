import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { isPickleCheckpoint, pickleMessage, readCheckpoint, readTensorBytes, externalTensor, MAX_HEADER_BYTES } from '../../../src/core/checkpoint/safetensors';
import { isUserError } from '../../../src/core/errors';
import { DataType } from '../../../src/core/onnx/proto';
import { header, safetensors } from '../helpers/safetensors';

const FIX = resolve('test/fixtures/checkpoints');
const cli = resolve('dist/cli.js');
const image = resolve('samples/bag.png');

/** Runs the CLI; returns its exit code and stderr. */
function run(args: string[]): { code: number; stderr: string; stdout: string } {
  try {
    const stdout = execFileSync(process.execPath, [cli, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return { code: 0, stderr: '', stdout };
  } catch (e) {
    const x = e as { status: number; stderr: string; stdout: string };
    return { code: x.status, stderr: x.stderr, stdout: x.stdout };
  }
}

describe('safetensors reader', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'st-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a header only: names, dtypes, shapes, absolute byte ranges, metadata', () => {
    const file = join(dir, 'one.safetensors');
    writeFileSync(file, safetensors({ a: { dtype: 'F32', shape: [2, 3] }, b: { dtype: 'BF16', shape: [4] }, c: { dtype: 'I64', shape: [] } }, { format: 'pt' }));
    const ck = readCheckpoint(file);
    assert.deepEqual([...ck.tensors.keys()], ['a', 'b', 'c']);
    const a = ck.tensors.get('a')!;
    const n = readFileSync(file).readBigUInt64LE(0);
    assert.equal(a.offset, 8 + Number(n));
    assert.equal(a.length, 24);
    assert.deepEqual(ck.tensors.get('b')!.shape, [4]);
    assert.equal(ck.tensors.get('c')!.length, 8);
    assert.deepEqual(ck.metadata, { format: 'pt' });
    // the bytes are where the header says: the helper fills tensor k with byte k+1
    assert.ok(readTensorBytes(a).every((x) => x === 1));
    assert.ok(readTensorBytes(ck.tensors.get('b')!).every((x) => x === 2));
    const info = externalTensor(a, 'w');
    assert.equal(info.dataType, DataType.FLOAT);
    assert.deepEqual(info.data, { location: 'external', file: 'one.safetensors', path: a.file, offset: a.offset, length: 24, exists: true });
  });

  it('a sharded checkpoint through its index, a folder, and the Hugging Face cache\'s symlinks (real paths kept)', () => {
    const ck = readCheckpoint(join(FIX, 'hf-vit-sharded'));
    assert.equal(ck.files.length, 2);
    assert.equal(ck.tensors.size, readCheckpoint(join(FIX, 'hf-vit', 'model.safetensors')).tensors.size);
    const snap = join(dir, 'snap');
    const blobs = join(dir, 'blobs');
    mkdirSync(snap);
    mkdirSync(blobs);
    copyFileSync(join(FIX, 'hf-vit', 'model.safetensors'), join(blobs, 'abc123'));
    symlinkSync('../blobs/abc123', join(snap, 'model.safetensors'));
    const viaLink = readCheckpoint(snap);
    assert.equal(viaLink.files[0], join(blobs, 'abc123'));
    assert.equal([...viaLink.tensors.values()][0].file, join(blobs, 'abc123'));
  });

  it('pickle checkpoints are recognised, never opened, and the message gives the conversion', () => {
    for (const f of ['pytorch_model.bin', 'model.pt', 'x.pth']) assert.ok(isPickleCheckpoint(f));
    assert.ok(!isPickleCheckpoint('model.safetensors'));
    const m = pickleMessage('/x/pytorch_model.bin');
    assert.match(m, /pytorch_model\.bin is a PyTorch pickle/);
    assert.match(m, /save_file/);
  });

  describe('bad input: a UserError naming the file and the tensor, exit 2 from the CLI', () => {
    const base = { w: { dtype: 'F32', shape: [2, 2] }, v: { dtype: 'F32', shape: [3] } } as const;
    const cases: { what: string; bytes: () => Buffer; want: RegExp }[] = [
      { what: 'shorter than 8 bytes', bytes: () => Buffer.from([1, 2, 3]), want: /3 bytes long, shorter than the 8-byte header length/ },
      { what: 'header length past the end', bytes: () => header(9999, '{}'), want: /header claims 9999 bytes but the file has only/ },
      { what: 'header over 100 MB', bytes: () => header(MAX_HEADER_BYTES + 1, '{}'), want: /over the 100 MB limit/ },
      { what: 'header not JSON', bytes: () => header(null, '{"w": {'), want: /header is not JSON/ },
      { what: 'header not an object', bytes: () => header(null, '[1, 2]'), want: /header is not a JSON object/ },
      { what: 'truncated data', bytes: () => safetensors(base).subarray(0, -4), want: /tensor v ends at byte 28 of the data, past its end \(24 bytes\)/ },
      { what: 'offsets outside the data', bytes: () => safetensors(base, null, { v: [16, 1000] }), want: /tensor v ends at byte 1000/ },
      { what: 'offsets reversed', bytes: () => safetensors(base, null, { v: [28, 16] }), want: /tensor v has data_offsets \[28,16\]/ },
      { what: 'overlapping tensors', bytes: () => safetensors(base, null, { v: [4, 16] }), want: /tensors w and v overlap/ },
      { what: 'size ≠ shape × dtype', bytes: () => safetensors({ w: { dtype: 'F32', shape: [2, 2] }, v: { dtype: 'F32', shape: [3] } }, null, { v: [16, 24] }), want: /tensor v is F32 \[3\] \(12 bytes\) but spans 8 bytes/ },
      { what: 'unknown dtype', bytes: () => safetensors({ w: { dtype: 'F32', shape: [2, 2] }, v: { dtype: 'C64' as 'F32', shape: [3] } }), want: /tensor v has dtype "C64", not one of F32, F16, BF16/ },
      { what: 'shape not sizes', bytes: () => header(null, JSON.stringify({ v: { dtype: 'F32', shape: [-1], data_offsets: [0, 0] } })), want: /tensor v has shape \[-1\]/ },
    ];
    for (const c of cases) {
      it(c.what, () => {
        const file = join(dir, `bad-${c.what.replace(/\W+/g, '_')}.safetensors`);
        writeFileSync(file, c.bytes());
        assert.throws(
          () => readCheckpoint(file),
          (e: unknown) => isUserError(e) && (e as Error).message.startsWith(`bad-`) && c.want.test((e as Error).message),
        );
        // Every command that takes a MODEL: classify and attention would run a session, export would copy weights.
        const out = join(dir, 'never.onnx');
        for (const args of [['arch', file], ['tensors', file], ['classify', image, '--model', file], ['attention', image, '--model', file], ['export', file, '-o', out]]) {
          const r = run(args);
          assert.equal(r.code, 2, `${args[0]}: ${r.stderr}`);
          assert.match(r.stderr, c.want, args[0]);
          assert.match(r.stderr, /bad-.*\.safetensors/, args[0]);
          assert.doesNotMatch(r.stderr, /internal error|at .*\.js:\d+/, args[0]);
        }
        assert.ok(!existsSync(out) && !existsSync(`${out}.data`), 'export wrote nothing');
      });
    }

    it('a tensor the architecture needs but the file lacks', () => {
      const d = join(dir, 'missing');
      mkdirSync(d);
      const src = readCheckpoint(join(FIX, 'hf-vit'));
      const keep = [...src.tensors.values()].filter((t) => t.name !== 'vit.encoder.layer.1.attention.attention.key.weight');
      writeFileSync(join(d, 'model.safetensors'), safetensors(Object.fromEntries(keep.map((t) => [t.name, { dtype: t.dtype, shape: t.shape }]))));
      copyFileSync(join(FIX, 'hf-vit', 'config.json'), join(d, 'config.json'));
      for (const args of [['arch', d], ['classify', image, '--model', d], ['attention', image, '--model', d], ['export', d, '-o', join(dir, 'never.onnx')]]) {
        const r = run(args);
        assert.equal(r.code, 2, `${args[0]}: ${r.stderr}`);
        assert.match(r.stderr, /model\.safetensors lacks the tensor vit\.encoder\.layer\.1\.attention\.attention\.key\.weight/, args[0]);
      }
    });

    it('a config that contradicts the shapes names the field and the tensor', () => {
      for (const [field, value, want] of [
        ['hidden_size', 64, /"hidden_size" is 64 but model\.safetensors holds vit\.embeddings\.patch_embeddings\.projection\.weight with shape \[32, 3, 8, 8\]/],
        ['patch_size', 16, /"patch_size" is 16 but .*projection\.weight with shape \[32, 3, 8, 8\] \(patch 8\)/],
        ['num_hidden_layers', 12, /"num_hidden_layers" is 12 but the checkpoint holds 2 layers/],
        ['intermediate_size', 3072, /"intermediate_size" is 3072 but .*intermediate\.dense\.weight with shape \[64, 32\]/],
        ['image_size', 64, /position_embeddings has shape \[1, 17, 32\] but image size 64 .* needs \[1, 65, 32\] \(it was made for 32×32 images\)/],
        ['num_attention_heads', 5, /5 attention heads, which do not divide the hidden size 32/],
        ['qkv_bias', false, /"qkv_bias" is false but model\.safetensors holds vit\.encoder\.layer\.0\.attention\.attention\.query\.bias/],
        ['hidden_act', 'swiglu', /"hidden_act" is "swiglu", not one of gelu/],
        ['layer_norm_eps', 'small', /"layer_norm_eps" is "small", not a number/],
      ] as const) {
        const d = join(dir, `cfg-${field}`);
        mkdirSync(d);
        symlinkSync(join(FIX, 'hf-vit', 'model.safetensors'), join(d, 'model.safetensors'));
        const cfg = JSON.parse(readFileSync(join(FIX, 'hf-vit', 'config.json'), 'utf8'));
        cfg[field] = value;
        writeFileSync(join(d, 'config.json'), JSON.stringify(cfg));
        for (const args of [['arch', d, '--json'], ['classify', image, '--model', d]]) {
          const r = run(args);
          assert.equal(r.code, 2, `${field} ${args[0]}: ${r.stderr}`);
          assert.match(r.stderr, want, `${field} ${args[0]}`);
        }
      }
    });

    it('a missing config, a config.json that is not JSON, an unknown architecture: exit 2, the supported list', () => {
      const none = join(dir, 'noconfig');
      mkdirSync(none);
      symlinkSync(join(FIX, 'hf-vit', 'model.safetensors'), join(none, 'model.safetensors'));
      let r = run(['arch', none]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /there is no config\.json beside it .*Supported: Hugging Face ViTForImageClassification/);
      writeFileSync(join(none, 'config.json'), '{"architectures": ["BertModel"], "model_type": "bert"}');
      r = run(['arch', none]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /its config\.json names BertModel, which ViT Inspector does not build; .*timm vit_\*/);
      // the tensor list is still there
      const t = run(['tensors', none, '--json']);
      assert.equal(t.code, 0, t.stderr);
      const doc = JSON.parse(t.stdout);
      assert.equal(doc.tensors.length, 40);
      assert.deepEqual(doc.tensors[0], { name: 'vit.embeddings.patch_embeddings.projection.weight', dtype: 'F32', shape: [32, 3, 8, 8], bytes: 24576 });
      writeFileSync(join(none, 'config.json'), '{"architectures": [');
      r = run(['arch', none]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /config\.json beside model\.safetensors is not valid JSON/);
    });

    it('a pickle checkpoint gets the conversion, exit 2', () => {
      const f = join(dir, 'pytorch_model.bin');
      writeFileSync(f, Buffer.from([0x80, 0x02, 0x7d]));
      for (const file of [f, join(dir, 'model.pt'), join(dir, 'vit.pth')]) {
        if (file !== f) copyFileSync(f, file);
        const name = file.split('/').pop()!;
        for (const args of [['arch', file], ['tensors', file], ['classify', image, '--model', file], ['export', file, '-o', join(dir, 'never.onnx')]]) {
          const r = run(args);
          assert.equal(r.code, 2, `${name} ${args[0]}: ${r.stderr}`);
          assert.match(r.stderr, new RegExp(`${name.replace('.', '\\.')} is a PyTorch pickle checkpoint\\. It is not loaded`), `${name} ${args[0]}`);
          // The conversion is one line: python -c "…torch.load('NAME', …weights_only=True)…save_file(…)"
          const line = r.stderr.split('\n')[0];
          assert.match(line, new RegExp(`python -c "import torch; from safetensors\\.torch import save_file; sd = torch\\.load\\('${name.replace('.', '\\.')}', map_location='cpu', weights_only=True\\); save_file\\(.*'model\\.safetensors'\\)"`));
        }
      }
    });

    it('a folder holding only a pickle checkpoint (an older download) gets the same conversion, not "a folder, not an ONNX file"', () => {
      const old = join(dir, 'old-download');
      mkdirSync(old, { recursive: true });
      writeFileSync(join(old, 'pytorch_model.bin'), Buffer.from([0x80, 0x02, 0x7d]));
      writeFileSync(join(old, 'config.json'), '{"architectures": ["ViTForImageClassification"]}');
      const r = run(['arch', old]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /pytorch_model\.bin is a PyTorch pickle checkpoint\. It is not loaded/);
    });
  });
});
