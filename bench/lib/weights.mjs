// Random fp32 weights for the structure-only fixtures (their external data is never committed),
// generated while the writer streams the file: a 1.2 GB model needs no 1.2 GB buffer. Seeded, so
// every run writes the same bytes.
import * as path from 'node:path';
import { bundleExports, root } from './bundle.mjs';

/** n floats uniform in [−scale/2, scale/2) from xorshift32 started at `seed`. */
export function randomFloats(n, scale = 1, seed = 0x9e3779b9) {
  const out = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = ((s >>> 0) / 4294967296 - 0.5) * scale;
  }
  return out;
}

// One block of B random floats in ±0.05; tensor byte k is block byte (k + salt) mod 4B. B is odd
// (not a divisor of any tensor size), so tensors differ, and salts are multiples of 4, so float
// boundaries line up.
let block;
const fill = (salt) => (target, offset) => {
  block ??= new Uint8Array(randomFloats(1_000_003, 0.1).buffer);
  let o = 0;
  let p = (offset + salt) % block.length;
  while (o < target.length) {
    const n = Math.min(target.length - o, block.length - p);
    target.set(block.subarray(p, p + n), o);
    o += n;
    p = 0;
  }
};

/**
 * The model (as readModel gives it) with every external initializer generated inline for the
 * writer; inline constants keep their bytes. Returns { model, params } (params: values generated).
 * An external tensor that is not fp32 is refused: its real values would be needed.
 */
export function withRandomWeights(structure) {
  let params = 0;
  let salt = 0;
  const initializers = structure.graph.initializers.map((t) => {
    if (t.data.location !== 'external') return t;
    if (t.dataType !== 1) throw new Error(`external initializer ${t.name} is not float32 (type ${t.dataType}); its real values are needed and absent`);
    const n = t.dims.reduce((a, b) => a * b, 1);
    params += n;
    salt = (salt + 4 * 7919) % (4 * 1_000_003);
    return { name: t.name, dataType: t.dataType, dims: t.dims, data: { location: 'generated', length: n * 4, fill: fill(salt) } };
  });
  return { model: { ...structure, graph: { ...structure.graph, initializers } }, params };
}

/**
 * The structure-only fixture test/fixtures/models/NAME.onnx with random weights, written to FILE by
 * the project's ONNX reader and writer (bundled into DIR): the ViT-B/16 the speed benches time.
 */
export async function writeRandomFixture(dir, name, file) {
  const { readModel, writeModel } = await bundleExports(dir, 'onnx-io', [
    ['readModel', 'src/core/onnx/reader'],
    ['writeModel', 'src/core/onnx/writer'],
  ]);
  writeModel(withRandomWeights(readModel(path.join(root, 'test/fixtures/models', `${name}.onnx`))).model, file);
}
