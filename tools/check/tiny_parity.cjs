// ONNX Runtime parity of the tiny fixtures with the PyTorch reference (logits + every attention tensor).
// Run tools/check/add_attention_outputs.py first, then: node tools/check/tiny_parity.cjs tiny_vit tiny_swin tiny_deit
const path = require('path');
const ROOT = path.resolve(__dirname, '..', '..');
const ort = require(path.join(ROOT, 'node_modules/onnxruntime-node'));
const fs = require('fs');
(async () => {
  for (const n of process.argv.slice(2)) {
    const ref = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/fixtures/reference', n + '.json')));
    const s = await ort.InferenceSession.create(path.join(ROOT, 'tools/.work/check', n + '.attn.onnx'));
    let maxL = 0, maxA = 0;
    for (const im of ref.images) {
      const flat = im.input.flat(3);
      const out = await s.run({ input: new ort.Tensor('float32', Float32Array.from(flat), [1, 3, 32, 32]) });
      const names = s.outputNames;
      const lg = out[names[0]].data;
      im.logits.forEach((v, i) => { maxL = Math.max(maxL, Math.abs(v - lg[i])); });
      im.attention.forEach((a, k) => {
        const t = out[names[k + 1]];
        if (k === 0 && im === ref.images[0]) console.log(n, names[k + 1], 'ort dims', t.dims, 'ref', a.shape);
        a.data.forEach((v, i) => { maxA = Math.max(maxA, Math.abs(v - t.data[i])); });
      });
    }
    console.log(n, 'max |logits diff|', maxL, 'max |attn diff|', maxA);
  }
})();
