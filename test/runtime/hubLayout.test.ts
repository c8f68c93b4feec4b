// The Transformers.js repo layout: onnx/model*.onnx with config.json and preprocessor_config.json
// at the repo root. The root's preprocessing and labels must be used, through the inference process.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { resolveLabels } from '../../src/core/classify/labels';
import { resolvePreprocessing } from '../../src/core/image/preprocess';
import { useRuntime } from './useRuntime';

const fixtures = resolve('test/fixtures');
const model = join(fixtures, 'models', 'dynamic_vit.onnx');
const photo = join(fixtures, 'preprocess', 'landscape.jpg');
const names = ['tee', 'trouser', 'pullover', 'dress', 'coat', 'sandal', 'shirt', 'sneaker', 'bag', 'boot'];
// google/vit-base-patch16-224's preprocessing, scaled to the fixture's 32×32: an exact resize, mean/std 0.5.
const preprocessor = { do_resize: true, size: { height: 32, width: 32 }, resample: 2, do_normalize: true, image_mean: [0.5, 0.5, 0.5], image_std: [0.5, 0.5, 0.5] };
const config = { model_type: 'vit', architectures: ['ViTForImageClassification'], id2label: Object.fromEntries(names.map((n, i) => [String(i), n])) };

function repo(layout: 'transformers.js' | 'flat', file = 'model_quantized.onnx'): string {
  const root = mkdtempSync(join(tmpdir(), 'vit-tjs-'));
  writeFileSync(join(root, 'config.json'), JSON.stringify(config));
  writeFileSync(join(root, 'preprocessor_config.json'), JSON.stringify(preprocessor));
  const dir = layout === 'flat' ? root : join(root, 'onnx');
  mkdirSync(dir, { recursive: true });
  copyFileSync(model, join(dir, file));
  return join(dir, file);
}

describe('Transformers.js layout: configs and labels one folder up from onnx/', function () {
  this.timeout(120_000);
  const client = useRuntime({ each: true });

  it('every variant name in onnx/ finds the root preprocessor_config.json and config.json', () => {
    for (const f of ['model.onnx', 'model_fp16.onnx', 'model_quantized.onnx', 'model_int8.onnx', 'model_uint8.onnx', 'model_q4.onnx']) {
      const p = resolvePreprocessing(repo('transformers.js', f), 32, 3);
      assert.deepEqual([p.source, p.rules, p.resize, p.crop, p.mean, p.std], ['../preprocessor_config.json', 'huggingface', { mode: 'exact', width: 32, height: 32 }, null, [0.5, 0.5, 0.5], [0.5, 0.5, 0.5]], f);
      const l = resolveLabels(repo('transformers.js', f), 10);
      assert.deepEqual([l.source, l.names], ['../config.json', names], f);
    }
  });

  it('a config beside the model wins over the repo root; a folder not named onnx/ does not look up', () => {
    const m = repo('transformers.js');
    writeFileSync(join(m, '..', 'preprocessor_config.json'), JSON.stringify({ ...preprocessor, image_mean: [0.25, 0.25, 0.25] }));
    assert.deepEqual(resolvePreprocessing(m, 32, 3).mean, [0.25, 0.25, 0.25]);
    const other = mkdtempSync(join(tmpdir(), 'vit-tjs-'));
    writeFileSync(join(other, 'config.json'), JSON.stringify(config));
    mkdirSync(join(other, 'weights'));
    copyFileSync(model, join(other, 'weights', 'model.onnx'));
    assert.equal(resolveLabels(join(other, 'weights', 'model.onnx'), 10).names, null);
  });

  it('classify: the onnx/ model gives the logits of the same model with its configs beside it, with the config\'s labels', async () => {
    const nested = await client.request('classify', { model: repo('transformers.js'), images: [photo], topK: 3, order: ['cpu'] });
    const flat = await client.request('classify', { model: repo('flat'), images: [photo], topK: 3, order: ['cpu'] });
    assert.equal(nested.preprocessing.source, '../preprocessor_config.json');
    assert.equal(nested.labels.source, '../config.json');
    const [a, b] = [nested.results[0], flat.results[0]];
    assert.ok(a.ok && b.ok);
    // 640×480 resized exactly to 32×32, no crop (ImageNet defaults would resize to 37 and crop).
    assert.deepEqual(a.steps.resized, [32, 32]);
    assert.deepEqual(a.logits, b.logits);
    assert.ok(names.includes(a.top[0].label), a.top[0].label);
    assert.deepEqual(a.top.map((t) => t.label), b.top.map((t) => t.label));
    const defaults = await client.request('classify', { model, images: [photo], topK: 3, order: ['cpu'] });
    assert.ok(defaults.results[0].ok);
    assert.notDeepEqual(defaults.results[0].ok && defaults.results[0].logits, a.logits, 'the root config changed nothing: it was not used');
  });
});
