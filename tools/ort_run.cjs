#!/usr/bin/env node
// Helper of make_quant_fixtures.py (tools only, never used by tests): runs a model with ONNX
// Runtime's CPU provider, or writes the graph ORT optimised at a level.
//   node tools/ort_run.cjs run MODEL IN.json OUT.json   IN: {inputs: [{name, dims, data}]} (float32; cast to the model's type)
//                                                       OUT: {outputs: {name: {dims, data}}} (float32)
//   node tools/ort_run.cjs optimize MODEL LEVEL OUT.onnx  LEVEL: basic | extended | all
const fs = require('fs');
const path = require('path');
const ort = require(path.join(__dirname, '..', 'node_modules', 'onnxruntime-node'));

function f32ToF16(v) {
  const f = new Float32Array([v]);
  const x = new Uint32Array(f.buffer)[0];
  const sign = (x >>> 16) & 0x8000;
  let exp = ((x >>> 23) & 0xff) - 127 + 15;
  let mant = x & 0x7fffff;
  if (exp >= 31) return sign | 0x7c00;
  if (exp <= 0) {
    if (exp < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - exp;
    let h = mant >> shift;
    if ((mant >> (shift - 1)) & 1) h += 1;
    return sign | h;
  }
  let h = sign | (exp << 10) | (mant >> 13);
  if (mant & 0x1000) h += 1;
  return h;
}
function f16ToF32(h) {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

async function main() {
  const [cmd, model, a, b] = process.argv.slice(2);
  if (cmd === 'optimize') {
    const opts = { graphOptimizationLevel: a, optimizedModelFilePath: b, executionProviders: ['cpu'] };
    const s = await ort.InferenceSession.create(model, opts);
    await s.release?.();
    return;
  }
  const s = await ort.InferenceSession.create(model, { executionProviders: ['cpu'], graphOptimizationLevel: 'disabled' });
  const spec = JSON.parse(fs.readFileSync(a, 'utf8'));
  const feeds = {};
  const meta = s.inputMetadata ?? [];
  for (const inp of spec.inputs) {
    const m = Array.isArray(meta) ? meta.find((x) => x.name === inp.name) : undefined;
    const type = m && m.type ? m.type : 'float32';
    feeds[inp.name] = type === 'float16'
      ? new ort.Tensor('float16', Uint16Array.from(inp.data, f32ToF16), inp.dims)
      : new ort.Tensor('float32', Float32Array.from(inp.data), inp.dims);
  }
  const out = await s.run(feeds);
  const res = {};
  for (const [k, t] of Object.entries(out)) {
    const data = t.type === 'float16' ? Array.from(t.data, f16ToF32) : Array.from(t.data, Number);
    res[k] = { dims: [...t.dims], type: t.type, data };
  }
  fs.writeFileSync(b, JSON.stringify({ outputs: res }));
}
main().catch((e) => {
  console.error(e.stack || String(e));
  process.exit(1);
});
