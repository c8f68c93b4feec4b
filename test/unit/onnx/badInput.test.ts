import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { inspectModel } from '../../../src/core/arch/inspect';
import { UserError } from '../../../src/core/errors';
import { GraphBuilder } from '../../../src/core/onnx/builder';
import type { TensorInfo } from '../../../src/core/onnx/model';
import { DataType } from '../../../src/core/onnx/proto';
import { loadTensorValues, readModel } from '../../../src/core/onnx/reader';
import { modelToBytes, writeModel } from '../../../src/core/onnx/writer';
import { useTempDir } from '../helpers/tempDir';

const MODELS = path.resolve(process.cwd(), 'test/fixtures/models');

function isUserError(re: RegExp) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof UserError, `expected a UserError, got ${String(e)}`);
    assert.match(e.message, re);
    return true;
  };
}

function externalModel(location: string, extra: Partial<TensorInfo['data']> = {}): GraphBuilder {
  const g = new GraphBuilder();
  const x = g.input('x', DataType.FLOAT, [1, 4]);
  g.addTensor({
    name: 'w',
    dataType: DataType.FLOAT,
    dims: [4, 4],
    data: { location: 'external', file: location, path: location, offset: 0, length: 64, exists: false, ...extra } as TensorInfo['data'],
  });
  g.output(g.op('MatMul', [x, 'w'], {}, '/fc/MatMul'));
  return g;
}

describe('bad input: every file a user can pick ends in a result or a UserError that says what to do', () => {
  const tmp = useTempDir('vit-bad-');
  const file = (name: string, bytes: Uint8Array): string => {
    const f = path.join(tmp(), name);
    fs.writeFileSync(f, bytes);
    return f;
  };

  it('a zero-byte file', () => {
    assert.throws(() => inspectModel(file('empty.onnx', new Uint8Array(0))), isUserError(/empty \(0 bytes\).*Export or download it again/));
  });

  it('random bytes', () => {
    let s = 42;
    for (let k = 0; k < 20; k++) {
      const bytes = Uint8Array.from({ length: 1000 + k * 500 }, () => ((s = (s * 1103515245 + 12345) % 2147483648), s >> 16) & 255);
      assert.throws(() => inspectModel(file(`random${k}.onnx`, bytes)), isUserError(/not (a valid|an|a complete) ONNX model|is (a|an) /));
    }
  });

  it('a PNG renamed .onnx', () => {
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(200, 7)]);
    assert.throws(() => inspectModel(file('photo.onnx', png)), isUserError(/photo\.onnx is a PNG image, not an ONNX model/));
  });

  it('a model truncated at many offsets: a UserError saying it was cut short (or, at a field boundary, a smaller model)', () => {
    const bytes = fs.readFileSync(path.join(MODELS, 'tiny_vit.onnx'));
    let cut = 0;
    for (const at of [1, 2, 3, 10, 100, 1000, 5000, 20000, 50000, 100000, bytes.length - 100, bytes.length - 1]) {
      try {
        inspectModel(file(`cut${at}.onnx`, bytes.subarray(0, at)));
      } catch (e) {
        assert.ok(e instanceof UserError, `cut at ${at}: ${String(e)}`);
        if (/cut short/.test(e.message)) cut++;
      }
    }
    assert.ok(cut >= 8, `${cut} said "cut short"`);
  });

  it('external data outside the model\'s folder is refused, and never opened', () => {
    const secret = path.join(tmp(), 'secret.bin');
    fs.writeFileSync(secret, Buffer.alloc(64, 1));
    fs.mkdirSync(path.join(tmp(), 'm'), { recursive: true });
    const opened: string[] = [];
    // The module object itself (an `import * as` namespace is read-only): the reader's calls go through it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const rawFs = require('node:fs') as { openSync: typeof fs.openSync; statSync: typeof fs.statSync };
    const { openSync, statSync } = rawFs;
    const spy = <T extends (...a: never[]) => unknown>(f: T) =>
      ((...args: unknown[]) => {
        opened.push(String(args[0]));
        return (f as unknown as (...a: unknown[]) => unknown)(...args);
      }) as unknown as T;
    for (const loc of ['../secret.bin', 'a/../../secret.bin', secret, 'C:\\weights.bin', '..\\secret.bin']) {
      const f = path.join(tmp(), 'm', 'evil.onnx');
      fs.writeFileSync(f, modelToBytes(externalModel(loc).build()));
      opened.length = 0;
      rawFs.openSync = spy(openSync);
      rawFs.statSync = spy(statSync);
      try {
        assert.throws(() => inspectModel(f), isUserError(/Refusing to read external data .* outside the model's folder/), loc);
      } finally {
        rawFs.openSync = openSync;
        rawFs.statSync = statSync;
      }
      assert.ok(opened.some((p) => p.endsWith('evil.onnx')), 'the spy saw the model being opened');
      assert.ok(!opened.some((p) => p.includes('secret') || p.includes('weights.bin')), `${loc}: opened ${opened.join(', ')}`);
    }
  });

  it('external data in the folder but missing: structure, params and MACs, with a warning', () => {
    const f = path.join(tmp(), 'ext.onnx');
    fs.writeFileSync(f, modelToBytes(externalModel('weights/ext.bin').build()));
    const r = inspectModel(f);
    assert.equal(r.params, 16);
    assert.equal(r.macs, 16);
    assert.ok(r.warnings.some((w) => /"weights\/ext\.bin" not found/.test(w)));
    // Present but too short: a different warning.
    fs.mkdirSync(path.join(tmp(), 'weights'), { recursive: true });
    fs.writeFileSync(path.join(tmp(), 'weights', 'ext.bin'), Buffer.alloc(10));
    assert.ok(inspectModel(f).warnings.some((w) => /shorter than the model's tensors need/.test(w)));
  });

  it('a Loop with a subgraph body opens; the body is listed, not traversed', () => {
    const body = new GraphBuilder();
    body.input('i', DataType.INT64, []);
    body.input('cond', DataType.BOOL, []);
    body.input('acc', DataType.FLOAT, [4]);
    body.output(body.op('Identity', ['cond']), DataType.BOOL, []);
    body.output(body.op('Add', ['acc', 'acc']), DataType.FLOAT, [4]);
    const g = new GraphBuilder();
    const x = g.input('x', DataType.FLOAT, [4]);
    const out = g.node('Loop', [g.int64([3], []), '', x], 1, { body: body.build().graph }, '/loop/Loop')[0];
    g.output(out);
    const f = path.join(tmp(), 'loop.onnx');
    writeModel(g.build(), f);
    const r = inspectModel(f, { details: true });
    assert.equal(r.family, 'other');
    assert.ok(r.warnings.some((w) => /1 subgraph .*not traversed/.test(w)));
    assert.deepEqual(r.nodes?.find((n) => n.op === 'Loop')?.attributes.body, { graph: { name: 'graph', nodes: 2 } });
  });

  it('a model file over 2 GB (sparse) is read by ranges: fields past 2^31 are found, nothing large is read', function () {
    this.timeout(60000);
    const g = new GraphBuilder();
    const x = g.input('x', DataType.FLOAT, [1, 8]);
    g.output(g.op('MatMul', [x, g.initializer('w', new Float32Array(64), [8, 8])], {}, '/fc/MatMul'));
    const head = modelToBytes(g.build());
    // An unknown top-level field (number 99) of 2.2 GB of zeros, then metadata past 2^31.
    const big = 2_200_000_000;
    const varint = (v: number): number[] => {
      const o: number[] = [];
      while (v >= 128) {
        o.push((v % 128) | 128);
        v = Math.floor(v / 128);
      }
      o.push(v);
      return o;
    };
    const tag99 = Buffer.from([...varint(99 * 8 + 2), ...varint(big)]);
    const entry = Buffer.concat([Buffer.from([0x0a, 3]), Buffer.from('far'), Buffer.from([0x12, 2]), Buffer.from('ok')]);
    const meta = Buffer.concat([Buffer.from([14 * 8 + 2, entry.length]), entry]);
    const f = path.join(tmp(), 'huge.onnx');
    const fd = fs.openSync(f, 'w');
    try {
      fs.writeSync(fd, head);
      fs.writeSync(fd, tag99);
      const end = head.length + tag99.length + big;
      fs.ftruncateSync(fd, end);
      fs.writeSync(fd, meta, 0, meta.length, end);
    } finally {
      fs.closeSync(fd);
    }
    assert.ok(fs.statSync(f).size > 2 ** 31);
    const rss0 = process.memoryUsage().rss;
    const m = readModel(f);
    assert.deepEqual(m.metadata, [{ key: 'far', value: 'ok' }]);
    assert.equal(m.extra.length, 1);
    assert.ok(m.extra[0].end > 2 ** 31);
    assert.ok(process.memoryUsage().rss - rss0 < 100e6);
    const r = inspectModel(f);
    assert.equal(r.params, 64);
    fs.rmSync(f);
  });

  it('external data at offsets past 2^31 (a sparse 3 GB data file)', function () {
    this.timeout(60000);
    const off = 2 ** 31 + 4096;
    const g = new GraphBuilder();
    const x = g.input('x', DataType.FLOAT, [1, 4]);
    g.addTensor({ name: 'w', dataType: DataType.FLOAT, dims: [4, 4], data: { location: 'external', file: 'big.data', path: '', offset: off, length: 64, exists: true } });
    g.addTensor({ name: 'shape', dataType: DataType.INT64, dims: [2], data: { location: 'external', file: 'big.data', path: '', offset: 3e9, length: 16, exists: true } });
    g.output(g.op('Reshape', [g.op('MatMul', [x, 'w'], {}, '/fc/MatMul'), 'shape']));
    const f = path.join(tmp(), 'farext.onnx');
    writeModel(g.build(), f);
    const data = path.join(tmp(), 'big.data');
    const fd = fs.openSync(data, 'w');
    try {
      fs.ftruncateSync(fd, 3e9 + 16);
      const v = Buffer.alloc(16);
      v.writeBigInt64LE(2n, 0);
      v.writeBigInt64LE(2n, 8);
      fs.writeSync(fd, v, 0, 16, 3e9);
    } finally {
      fs.closeSync(fd);
    }
    const m = readModel(f);
    const w = m.graph.initializers[0];
    assert.equal(w.data.location, 'external');
    if (w.data.location === 'external') {
      assert.equal(w.data.offset, off);
      assert.ok(w.data.exists);
    }
    assert.deepEqual(loadTensorValues(m, m.graph.initializers[1]), [2, 2]);
    const r = inspectModel(f);
    assert.deepEqual(r.warnings, []);
    assert.deepEqual(r.outputs[0].boundShape, [2, 2]);
    fs.rmSync(data);
  });
});
