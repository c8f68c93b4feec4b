const path = require('path');
const ROOT = path.resolve(__dirname, '..', '..');
// node tools/check/fashion_accuracy.cjs vit|swin : ONNX Runtime accuracy on the 10k test set + parity with PyTorch logits
const ort = require(path.join(ROOT, 'node_modules/onnxruntime-node'));
const fs = require('fs'), zlib = require('zlib');
const D = '/usr/share/datasets/fashion-mnist/';
(async () => {
  const name = process.argv[2];
  const imgs = zlib.gunzipSync(fs.readFileSync(D + 't10k-images-idx3-ubyte.gz')).subarray(16);
  const labels = zlib.gunzipSync(fs.readFileSync(D + 't10k-labels-idx1-ubyte.gz')).subarray(8);
  const side = JSON.parse(fs.readFileSync(path.join(ROOT, 'media/models', 'fashion-' + name + '.json')));
  const ref = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/fixtures/reference', 'fashion-' + name + '.logits.json')));
  const s = await ort.InferenceSession.create(path.join(ROOT, 'media/models', 'fashion-' + name + '.onnx'), { intraOpNumThreads: 1 });
  let correct = 0, maxd = 0;
  const n = 10000, px = 784;
  for (let i = 0; i < n; i++) {
    const x = new Float32Array(3 * px);
    for (let c = 0; c < 3; c++) for (let p = 0; p < px; p++)
      x[c * px + p] = (imgs[i * px + p] / 255 - side.mean[c]) / side.std[c];
    const out = await s.run({ input: new ort.Tensor('float32', x, [1, 3, 28, 28]) });
    const l = out.logits.data;
    let a = 0; for (let k = 1; k < 10; k++) if (l[k] > l[a]) a = k;
    if (a === labels[i]) correct++;
    if (i < 100) for (let k = 0; k < 10; k++) maxd = Math.max(maxd, Math.abs(l[k] - ref.logits[i][k]));
  }
  console.log(JSON.stringify({ model: name, ortAccuracy: correct / n, maxAbsLogitDiffFirst100: maxd }));
})();
