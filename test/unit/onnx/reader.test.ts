import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { UserError } from '../../../src/core/errors';
import { GraphBuilder, float, makeTensor } from '../../../src/core/onnx/builder';
import { attrInt, numElements } from '../../../src/core/onnx/model';
import { DataType } from '../../../src/core/onnx/proto';
import { loadTensorValues, readModel, readModelFromBytes } from '../../../src/core/onnx/reader';
import { FileSource } from '../../../src/core/onnx/source';
import { addGraphOutputs, modelToBytes, writeModel } from '../../../src/core/onnx/writer';
import { useTempDir } from '../helpers/tempDir';

function smallModel(): GraphBuilder {
  const g = new GraphBuilder({ opset: 17 });
  const x = g.input('x', DataType.FLOAT, [1, 4, 8]);
  const w = g.initializer('w', Float32Array.from({ length: 8 * 8 }, (_, i) => i / 64), [8, 8]);
  const y = g.op('MatMul', [x, w], {}, '/blocks/attn/MatMul');
  const s = g.op('Softmax', [y], { axis: -1 }, '/blocks/attn/Softmax');
  const r = g.op('Reshape', [s, g.int64([1, 32])], {}, '/Reshape');
  const m = g.op('Mul', [r, g.float32([0.5], [])], {}, '/Mul');
  g.output(m, DataType.FLOAT, [1, 32]);
  return g;
}

describe('onnx reader and writer', () => {
  const tmp = useTempDir('vit-onnx-', { each: true });

  it('round-trips a built model: nodes, attributes, initializers, opsets', () => {
    const bytes = modelToBytes(smallModel().build());
    const m = readModelFromBytes(bytes);
    assert.equal(m.irVersion, 8);
    assert.deepEqual(m.opsetImports, [{ domain: '', version: 17 }]);
    assert.deepEqual(
      m.graph.nodes.map((n) => n.opType),
      ['MatMul', 'Softmax', 'Reshape', 'Mul'],
    );
    assert.equal(m.graph.nodes[1].name, '/blocks/attn/Softmax');
    assert.equal(attrInt(m.graph.nodes[1], 'axis'), -1);
    const w = m.graph.initializers.find((t) => t.name === 'w');
    assert.ok(w);
    assert.deepEqual(w.dims, [8, 8]);
    assert.equal(w.dataType, DataType.FLOAT);
    assert.equal(w.data.location, 'inline');
    if (w.data.location === 'inline') {
      assert.equal(w.data.length, 256);
      // The recorded offset points at the weight bytes in the serialised model.
      const f = new Float32Array(bytes.slice(w.data.offset, w.data.offset + 256).buffer);
      assert.equal(f[63], 63 / 64);
    }
    const shape = m.graph.initializers.find((t) => t.dataType === DataType.INT64);
    assert.deepEqual(shape?.values, [1, 32]);
    assert.deepEqual(m.graph.outputs[0].type, { kind: 'tensor', elemType: DataType.FLOAT, shape: [1, 32] });
  });

  it('encodes negative and large int64 attributes exactly', () => {
    const g = new GraphBuilder();
    const x = g.input('x', DataType.FLOAT, [4]);
    g.output(g.op('Slice', [x], { starts: [-3], ends: [2 ** 63 /* INT64_MAX as a double: an exporter's "to the end" */], big: 2 ** 40 + 3, neg: -(2 ** 33) - 5 }));
    const m = readModelFromBytes(modelToBytes(g.build()));
    const n = m.graph.nodes[0];
    assert.equal(attrInt(n, 'big'), 2 ** 40 + 3);
    assert.equal(attrInt(n, 'neg'), -(2 ** 33) - 5);
    const starts = n.attributes.find((a) => a.name === 'starts');
    assert.deepEqual(starts?.value, [-3]);
  });

  it('skips weights: reading a 64 MB model reads only a few KB', () => {
    const dir = tmp();
    const g = new GraphBuilder();
    const x = g.input('x', DataType.FLOAT, [1, 4096]);
    const n = 4096 * 4096;
    g.addTensor({
      name: 'big',
      dataType: DataType.FLOAT,
      dims: [4096, 4096],
      data: { location: 'generated', length: n * 4, fill: (t) => t.fill(7) },
    });
    g.output(g.op('MatMul', [x, 'big']));
    const file = path.join(dir, 'big.onnx');
    writeModel(g.build(), file);
    assert.ok(fs.statSync(file).size > n * 4);
    const m = readModel(file);
    const big = m.graph.initializers[0];
    assert.equal(numElements(big.dims), n);
    assert.equal(big.values, undefined);
    // Count what a read costs.
    const src = new FileSource(file);
    src.close();
    const orig = FileSource.prototype.read;
    let bytes = 0;
    FileSource.prototype.read = function (this: FileSource, p: number, l: number) {
      const b = orig.call(this, p, l);
      bytes += b.length;
      return b;
    };
    try {
      readModel(file);
    } finally {
      FileSource.prototype.read = orig;
    }
    assert.ok(bytes < 512 * 1024, `read ${bytes} bytes`);
  });

  it('rewrites a model keeping weights byte for byte, and adds an output', () => {
    const dir = tmp();
    const a = path.join(dir, 'a.onnx');
    writeModel(smallModel().build(), a);
    const m = readModel(a);
    const b = path.join(dir, 'b.onnx');
    writeModel(m, b);
    assert.deepEqual(fs.readFileSync(b), fs.readFileSync(a), 'unchanged model rewritten identically');
    const m2 = addGraphOutputs(m, [{ name: m.graph.nodes[1].outputs[0], shape: [1, 4, 8] }]);
    const c = path.join(dir, 'c.onnx');
    writeModel(m2, c);
    const back = readModel(c);
    assert.equal(back.graph.outputs.length, 2);
    assert.equal(back.graph.outputs[1].name, m.graph.nodes[1].outputs[0]);
    const w = back.graph.initializers.find((t) => t.name === 'w');
    assert.ok(w && w.data.location === 'inline');
    const vals = loadTensorValues(back, w);
    assert.equal(vals?.[63], 63 / 64);
  });

  it('rewrites every exported fixture byte for byte (unchanged messages are copied, not re-encoded)', () => {
    const dir = tmp();
    const models = path.resolve(process.cwd(), 'test/fixtures/models');
    const names = fs.readdirSync(models).filter((f) => f.endsWith('.onnx'));
    assert.ok(names.length >= 5);
    for (const n of names) {
      const out = path.join(dir, n);
      writeModel(readModel(path.join(models, n)), out);
      assert.ok(fs.readFileSync(out).equals(fs.readFileSync(path.join(models, n))), n);
    }
  });

  it('refuses to write over the file it reads from', () => {
    const dir = tmp();
    const a = path.join(dir, 'a.onnx');
    writeModel(smallModel().build(), a);
    assert.throws(() => writeModel(readModel(a), a), UserError);
  });

  it('built models run in onnxruntime-node, including an added output', async () => {
    
    const dir = tmp();
    const m = smallModel().build();
    const withOut = addGraphOutputs(m, [{ name: m.graph.nodes[1].outputs[0] }]);
    const file = path.join(dir, 'm.onnx');
    writeModel(withOut, file);
    const sess = await ort.InferenceSession.create(file);
    const x = new ort.Tensor('float32', Float32Array.from({ length: 32 }, (_, i) => i % 3), [1, 4, 8]);
    const out = await sess.run({ x });
    const soft = out[m.graph.nodes[1].outputs[0]];
    assert.deepEqual(soft.dims, [1, 4, 8]);
    const row = Array.from((soft.data as Float32Array).slice(0, 8));
    assert.ok(Math.abs(row.reduce((s, v) => s + v, 0) - 1) < 1e-5);
    assert.deepEqual(out[m.graph.outputs[0].name].dims, [1, 32]);
  });

  it('float attributes and typed initializers survive', () => {
    const g = new GraphBuilder();
    const x = g.input('x', DataType.FLOAT, [2]);
    g.addTensor(makeTensor('i32', Int32Array.from([5, -6]), [2]));
    g.output(g.op('LeakyRelu', [x], { alpha: float(0.25) }));
    const m = readModelFromBytes(modelToBytes(g.build()));
    const a = m.graph.nodes[0].attributes[0];
    assert.equal(a.type, 'float');
    assert.equal(a.value, 0.25);
    assert.deepEqual(m.graph.initializers[0].values, [5, -6]);
  });

  it('refuses bad files with UserErrors that say what to do', () => {
    const dir = tmp();
    const cases: [string, Uint8Array, RegExp][] = [
      ['empty.onnx', new Uint8Array(0), /empty \(0 bytes\)/],
      ['png.onnx', Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]), /PNG image/],
      ['zip.onnx', Buffer.from('PK\x03\x04rest of a checkpoint', 'latin1'), /ZIP archive/],
      ['lfs.onnx', Buffer.from('version https://git-lfs.github.com/spec/v1\noid sha256:00\n'), /Git LFS pointer/],
    ];
    for (const [name, bytes, re] of cases) {
      const f = path.join(dir, name);
      fs.writeFileSync(f, bytes);
      assert.throws(() => readModel(f), (e: unknown) => e instanceof UserError && re.test(e.message), name);
    }
    assert.throws(() => readModel(path.join(dir, 'nope.onnx')), (e: unknown) => e instanceof UserError && /no such file/.test(e.message));
    assert.throws(() => readModel(dir), (e: unknown) => e instanceof UserError && /folder/.test(e.message));
  });

  it('a truncated model is a UserError at every cut', () => {
    const bytes = modelToBytes(smallModel().build());
    let errors = 0;
    for (let cut = 1; cut < bytes.length; cut++) {
      try {
        readModelFromBytes(bytes.subarray(0, cut));
      } catch (e) {
        assert.ok(e instanceof UserError, `cut at ${cut}: ${String(e)}`);
        errors++;
      }
    }
    // A cut exactly between two top-level fields can still be a (smaller) valid model.
    assert.ok(errors > bytes.length * 0.9, `${errors} of ${bytes.length}`);
  });
});
