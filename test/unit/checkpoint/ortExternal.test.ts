/**
 * The ONNX Runtime rules the checkpoint path is built on (issue 17, checked with onnxruntime-node
 * 1.30), pinned so an upgrade that changes them fails here and not in a user's session: a model
 * FILE whose external data lies outside its folder is refused (`..`, an absolute path, a symlink
 * resolved outside), while a model loaded from a BUFFER with
 * session.model_external_initializers_file_folder_path reads the data from that folder at any
 * offset, unaligned included — which is how src/runtime/modelSource.ts hands ONNX Runtime a checkpoint.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as ortType from 'onnxruntime-node';
import { externalTensor, readCheckpoint, readTensorBytes } from '../../../src/core/checkpoint/safetensors';
import { GraphBuilder } from '../../../src/core/onnx/builder';
import type { TensorInfo } from '../../../src/core/onnx/model';
import { DataType } from '../../../src/core/onnx/proto';
import { modelToBytes } from '../../../src/core/onnx/writer';
import { safetensors } from '../helpers/safetensors';

const ort = require('onnxruntime-node') as typeof ortType;

describe('ONNX Runtime and external data: the rules a checkpoint session relies on', function () {
  this.timeout(60_000);
  let dir: string;
  let weights: TensorInfo;
  let want: Float32Array;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ort-ext-'));
    mkdirSync(join(dir, 'model'));
    mkdirSync(join(dir, 'data'));
    // The helper writes no header padding: with a 1-byte tensor first, the next one starts at an odd offset.
    const file = join(dir, 'data', 'model.safetensors');
    // The metadata's length moves the data start: the first length that leaves w off a 4-byte boundary.
    for (let k = 0; k < 4; k++) {
      writeFileSync(file, safetensors({ pad: { dtype: 'U8', shape: [1] }, w: { dtype: 'F32', shape: [2, 3] } }, { note: 'x'.repeat(k) }));
      if (readCheckpoint(file).tensors.get('w')!.offset % 4 !== 0) break;
    }
    const w = readCheckpoint(file).tensors.get('w')!;
    assert.equal(w.offset % 4 !== 0, true, `w at offset ${w.offset}: the test needs it unaligned`);
    weights = externalTensor(w, 'w');
    const bytes = readTensorBytes(w);
    want = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** y = Identity(w), w an external initializer whose location is `location`. */
  const graph = (location: string): Uint8Array => {
    const g = new GraphBuilder({ opset: 17 });
    g.addTensor({ ...weights, data: { ...(weights.data as Extract<TensorInfo['data'], { location: 'external' }>), file: location } });
    g.node('Identity', ['w'], ['y']);
    g.output('y', DataType.FLOAT, [2, 3]);
    return modelToBytes(g.build());
  };

  it('onnxruntime-node is 1.30.x (the version these rules were checked with)', () => {
    const pkg = JSON.parse(readFileSync(require.resolve('onnxruntime-node/package.json'), 'utf8')) as { version: string };
    assert.match(pkg.version, /^1\.30\./);
  });

  it('a model file is refused external data outside its folder: "..", an absolute path, a symlink out', async () => {
    const cases: [string, string, RegExp][] = [
      ['dotdot.onnx', '../data/model.safetensors', /External data path escapes model directory/],
      ['absolute.onnx', join(dir, 'data', 'model.safetensors'), /Absolute path not allowed/],
      ['link.onnx', 'model.safetensors', /External data path escapes model directory/],
    ];
    symlinkSync('../data/model.safetensors', join(dir, 'model', 'model.safetensors'));
    for (const [name, location, err] of cases) {
      writeFileSync(join(dir, 'model', name), graph(location));
      await assert.rejects(ort.InferenceSession.create(join(dir, 'model', name)), err, name);
    }
  });

  it('a model from a buffer reads its external data from model_external_initializers_file_folder_path, at an unaligned offset', async () => {
    const s = await ort.InferenceSession.create(graph('model.safetensors'), { extra: { session: { model_external_initializers_file_folder_path: join(dir, 'data') } } });
    try {
      const y = (await s.run({})).y.data as Float32Array;
      assert.deepEqual(Array.from(y), Array.from(want));
    } finally {
      await s.release();
    }
  });
});
