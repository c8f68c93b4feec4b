// Architecture view on a 1.2 GB model: builds ViT-L/16 with full fp32 random weights (inline, so
// the weights sit between the graph's structure bytes) from the structure-only fixture with the
// writer, then, each in a fresh child process, times
//   A. inspectModel (read by ranges + shapes + detection + params + MACs + tree), and
//   B. reading the whole file into memory and decoding it with protobufjs's generic decoder
//      (onnx.proto schema below),
// and prints wall time, peak RSS (process.resourceUsage().maxRSS) and the ratios B/A.
// Goals (issue 3): A under 1 s and under 200 MB peak RSS; A at least 10× faster than B.
// Run: node bench/arch.bench.mjs [--keep]   (bundles src/core itself with esbuild; the temp file is removed)
import * as esbuild from 'esbuild';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './lib/stats.mjs';
import { withRandomWeights } from './lib/weights.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vit-arch-bench-'));
const keep = process.argv.includes('--keep');

const ONNX_PROTO = `
syntax = "proto2";
package onnx;
message AttributeProto {
  enum AttributeType { UNDEFINED = 0; FLOAT = 1; INT = 2; STRING = 3; TENSOR = 4; GRAPH = 5; SPARSE_TENSOR = 11; TYPE_PROTO = 13;
    FLOATS = 6; INTS = 7; STRINGS = 8; TENSORS = 9; GRAPHS = 10; SPARSE_TENSORS = 12; TYPE_PROTOS = 14; }
  optional string name = 1; optional string ref_attr_name = 21; optional string doc_string = 13;
  optional AttributeType type = 20; optional float f = 2; optional int64 i = 3; optional bytes s = 4;
  optional TensorProto t = 5; optional GraphProto g = 6; optional SparseTensorProto sparse_tensor = 22; optional TypeProto tp = 14;
  repeated float floats = 7; repeated int64 ints = 8; repeated bytes strings = 9; repeated TensorProto tensors = 10;
  repeated GraphProto graphs = 11; repeated SparseTensorProto sparse_tensors = 23; repeated TypeProto type_protos = 15;
}
message ValueInfoProto { optional string name = 1; optional TypeProto type = 2; optional string doc_string = 3; repeated StringStringEntryProto metadata_props = 4; }
message NodeProto {
  repeated string input = 1; repeated string output = 2; optional string name = 3; optional string op_type = 4;
  optional string domain = 7; optional string overload = 8; repeated AttributeProto attribute = 5; optional string doc_string = 6;
  repeated StringStringEntryProto metadata_props = 9;
}
message TrainingInfoProto { optional GraphProto initialization = 1; optional GraphProto algorithm = 2;
  repeated StringStringEntryProto initialization_binding = 3; repeated StringStringEntryProto update_binding = 4; }
message ModelProto {
  optional int64 ir_version = 1; repeated OperatorSetIdProto opset_import = 8; optional string producer_name = 2;
  optional string producer_version = 3; optional string domain = 4; optional int64 model_version = 5; optional string doc_string = 6;
  optional GraphProto graph = 7; repeated StringStringEntryProto metadata_props = 14; repeated TrainingInfoProto training_info = 20;
  repeated FunctionProto functions = 25;
}
message StringStringEntryProto { optional string key = 1; optional string value = 2; }
message TensorAnnotation { optional string tensor_name = 1; repeated StringStringEntryProto quant_parameter_tensor_names = 2; }
message GraphProto {
  repeated NodeProto node = 1; optional string name = 2; repeated TensorProto initializer = 5; repeated SparseTensorProto sparse_initializer = 15;
  optional string doc_string = 10; repeated ValueInfoProto input = 11; repeated ValueInfoProto output = 12; repeated ValueInfoProto value_info = 13;
  repeated TensorAnnotation quantization_annotation = 14; repeated StringStringEntryProto metadata_props = 16;
}
message TensorProto {
  message Segment { optional int64 begin = 1; optional int64 end = 2; }
  enum DataLocation { DEFAULT = 0; EXTERNAL = 1; }
  repeated int64 dims = 1; optional int32 data_type = 2; optional Segment segment = 3;
  repeated float float_data = 4 [packed = true]; repeated int32 int32_data = 5 [packed = true]; repeated bytes string_data = 6;
  repeated int64 int64_data = 7 [packed = true]; optional string name = 8; optional string doc_string = 12; optional bytes raw_data = 9;
  repeated StringStringEntryProto external_data = 13; optional DataLocation data_location = 14;
  repeated double double_data = 10 [packed = true]; repeated uint64 uint64_data = 11 [packed = true];
  repeated StringStringEntryProto metadata_props = 16;
}
message SparseTensorProto { optional TensorProto values = 1; optional TensorProto indices = 2; repeated int64 dims = 3; }
message TensorShapeProto { message Dimension { oneof value { int64 dim_value = 1; string dim_param = 2; } optional string denotation = 3; } repeated Dimension dim = 1; }
message TypeProto {
  message Tensor { optional int32 elem_type = 1; optional TensorShapeProto shape = 2; }
  message Sequence { optional TypeProto elem_type = 1; }
  message Map { optional int32 key_type = 1; optional TypeProto value_type = 2; }
  message Optional { optional TypeProto elem_type = 1; }
  message SparseTensor { optional int32 elem_type = 1; optional TensorShapeProto shape = 2; }
  oneof value { Tensor tensor_type = 1; Sequence sequence_type = 4; Map map_type = 5; Optional optional_type = 9; SparseTensor sparse_tensor_type = 8; }
  optional string denotation = 6;
}
message OperatorSetIdProto { optional string domain = 1; optional int64 version = 2; }
message FunctionProto {
  optional string name = 1; repeated string input = 4; repeated string output = 5; repeated string attribute = 6;
  repeated AttributeProto attribute_proto = 11; repeated NodeProto node = 7; optional string doc_string = 8;
  repeated OperatorSetIdProto opset_import = 9; optional string domain = 10; optional string overload = 13;
  repeated ValueInfoProto value_info = 12; repeated StringStringEntryProto metadata_props = 14;
}
`;

const bundle = async (entry, out) => {
  await esbuild.build({ entryPoints: [path.join(root, entry)], bundle: true, outfile: out, format: 'cjs', platform: 'node', target: 'node20', logLevel: 'warning' });
  return out;
};

function child(code) {
  const out = execFileSync(process.execPath, ['-e', code], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 24 });
  return JSON.parse(out.trim().split('\n').pop());
}

try {
  const core = await bundle('src/core/arch/inspect.ts', path.join(tmp, 'inspect.cjs'));
  const io = path.join(tmp, 'io.cjs');
  fs.writeFileSync(path.join(tmp, 'io.ts'), `export { readModel } from '${path.join(root, 'src/core/onnx/reader')}';\nexport { writeModel } from '${path.join(root, 'src/core/onnx/writer')}';\n`);
  await esbuild.build({ entryPoints: [path.join(tmp, 'io.ts')], bundle: true, outfile: io, format: 'cjs', platform: 'node', logLevel: 'warning' });
  const { readModel, writeModel } = (await import(io)).default;

  // 1. ViT-L/16 with every parameter as inline random fp32 (uniform in ±0.05, bench/lib/weights.mjs),
  //    generated while writing.
  const { model, params } = withRandomWeights(readModel(path.join(root, 'test/fixtures/models/vit_l_16.onnx')));
  const file = path.join(tmp, 'vit_l_16_full.onnx');
  const tw = performance.now();
  const bytes = writeModel(model, file);
  console.log(`built ${path.basename(file)}: ${(bytes / 1e9).toFixed(3)} GB, ${params.toLocaleString('en')} random fp32 weights inline, in ${((performance.now() - tw) / 1000).toFixed(1)} s`);

  // 2. inspectModel in a fresh process, three times (median).
  const inspectCode = `
    const t0 = performance.now();
    const { inspectModel } = require(${JSON.stringify(core)});
    const t1 = performance.now();
    const r = inspectModel(${JSON.stringify(file)});
    const t2 = performance.now();
    const rss = process.resourceUsage().maxRSS / 1024;
    const again = [0, 1, 2].map(() => { const t = performance.now(); inspectModel(${JSON.stringify(file)}); return performance.now() - t; }).sort((x, y) => x - y)[1];
    console.log(JSON.stringify({ loadMs: t1 - t0, ms: t2 - t1, againMs: again, maxRssMB: rss,
      family: r.family, params: r.params, macs: r.macs, warnings: r.warnings.length }));`;
  const runsA = [0, 1, 2].map(() => child(inspectCode));
  const a = { ms: median(runsA.map((r) => r.ms)), again: median(runsA.map((r) => r.againMs)), total: median(runsA.map((r) => r.ms + r.loadMs)), rss: median(runsA.map((r) => r.maxRssMB)) };
  const r0 = runsA[0];
  const ok = r0.family === 'vit' && r0.params === 304326632;
  console.log(`A inspectModel:     ${a.ms.toFixed(0)} ms first call in a fresh process (${a.total.toFixed(0)} ms with loading the code; ${a.again.toFixed(0)} ms for a later call), peak RSS ${a.rss.toFixed(0)} MB — ${r0.family}, ${r0.params.toLocaleString('en')} params, ${(r0.macs / 1e9).toFixed(2)} GMACs`);

  // 3. Whole file into memory + protobufjs generic decode, fresh process, twice (median).
  fs.writeFileSync(path.join(tmp, 'onnx.proto'), ONNX_PROTO);
  const decodeCode = `
    const protobuf = require(${JSON.stringify(path.join(root, 'node_modules/protobufjs'))});
    const fs = require('node:fs');
    const ModelProto = protobuf.parse(fs.readFileSync(${JSON.stringify(path.join(tmp, 'onnx.proto'))}, 'utf8')).root.lookupType('onnx.ModelProto');
    const t0 = performance.now();
    const buf = fs.readFileSync(${JSON.stringify(file)});
    const t1 = performance.now();
    const m = ModelProto.decode(buf);
    const t2 = performance.now();
    console.log(JSON.stringify({ readMs: t1 - t0, decodeMs: t2 - t1, ms: t2 - t0, maxRssMB: process.resourceUsage().maxRSS / 1024, nodes: m.graph.node.length }));`;
  const runsB = [0, 1].map(() => child(decodeCode));
  const b = { ms: median(runsB.map((r) => r.ms)), rss: median(runsB.map((r) => r.maxRssMB)) };
  console.log(`B read + protobufjs: ${b.ms.toFixed(0)} ms (read ${median(runsB.map((r) => r.readMs)).toFixed(0)} ms, decode ${median(runsB.map((r) => r.decodeMs)).toFixed(0)} ms), peak RSS ${b.rss.toFixed(0)} MB — ${runsB[0].nodes} nodes`);

  // 4. Graph MAC count of the Swin-B export (issue 4: under 300 ms): read + shapes + roles + MACs,
  //    first call in a fresh process, then the median of five more calls in it.
  const graphCode = `
    const { readModel, inferShapes, analyzeGraph, countGraphMacs } = require(${JSON.stringify(path.join(tmp, 'graph.cjs'))});
    const f = ${JSON.stringify(path.join(root, 'test/fixtures/models/swin_b.onnx'))};
    const run = () => { const t0 = performance.now(); const m = readModel(f); const c = countGraphMacs(analyzeGraph(m, inferShapes(m))); return [performance.now() - t0, c.macs, m.graph.nodes.length]; };
    const [cold, macs, nodes] = run();
    const warm = [1, 2, 3, 4, 5].map(() => run()[0]).sort((x, y) => x - y)[2];
    console.log(JSON.stringify({ cold, warm, macs, nodes }));`;
  fs.writeFileSync(
    path.join(tmp, 'graph.ts'),
    ['onnx/reader', 'onnx/shapes', 'arch/analysis', 'flops/graph'].map((m) => `export * from '${path.join(root, 'src/core', m)}';`).join('\n'),
  );
  await esbuild.build({ entryPoints: [path.join(tmp, 'graph.ts')], bundle: true, outfile: path.join(tmp, 'graph.cjs'), format: 'cjs', platform: 'node', logLevel: 'warning' });
  const sb = child(graphCode);
  console.log(`Swin-B graph count (${sb.nodes} nodes, ${(sb.macs / 1e9).toFixed(2)} GMACs): first call ${sb.cold.toFixed(0)} ms, then ${sb.warm.toFixed(0)} ms median (goal < 300 ms: ${sb.warm < 300 ? 'met' : 'MISSED'} warm, ${sb.cold < 300 ? 'met' : 'missed'} cold)`);

  const speed = b.ms / a.ms;
  console.log(`ratios B/A: time ${speed.toFixed(1)}× for a first call (goal ≥ 10×: ${speed >= 10 ? 'met' : 'MISSED'}), ${(b.ms / a.again).toFixed(1)}× for a later call; memory ${(b.rss / a.rss).toFixed(1)}×`);
  console.log(`goals for A: wall < 1000 ms: ${a.ms < 1000 ? 'met' : 'MISSED'} (${a.ms.toFixed(0)} ms); peak RSS < 200 MB: ${a.rss < 200 ? 'met' : 'MISSED'} (${a.rss.toFixed(0)} MB)`);
  console.log(`load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} on ${os.cpus().length} cores`);
  if (!ok) {
    console.error('inspectModel gave a wrong answer for the generated ViT-L/16');
    process.exitCode = 1;
  }
} finally {
  if (keep) console.log(`kept ${tmp}`);
  else fs.rmSync(tmp, { recursive: true, force: true });
}
