/**
 * Evaluate on a labelled folder against an independent count: each image of samples/labelled
 * classified on its own, its truth read from its folder by hand, accuracy, top-5, the confusion
 * matrix and per-class scores counted here and compared with what evaluate reports.
 */
import assert from 'node:assert/strict';
import { cpSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { useTempDir } from '../unit/helpers/tempDir';
import { cancelSignal, useRuntime } from './useRuntime';
import { evaluateFolder } from '../../src/runtime/evaluate';

const DIR = resolve('samples/labelled');
const MODELS = ['fashion-vit', 'fashion-swin'].map((m) => resolve('media/models', `${m}.onnx`));
// The fixture's folder names, spelled as tools/make_evaluate_fixture.py spells them, and the class each means.
const TRUTH: Record<string, number> = { 't-shirt_top': 0, Trouser: 1, pullover: 2, DRESS: 3, coat: 4, '5': 5, Shirt: 6, sneaker: 7, bag: 8, ankle_boot: 9 };

describe('evaluate: a labelled folder, against per-image classify', function () {
  this.timeout(300_000);
  const client = useRuntime();
  const tmpDir = useTempDir('vit-eval-rt-');

  it('accuracy, top-5, confusion and per-class scores of the embedded ViT and Swin equal a count by hand; agreement too', async () => {
    const files = Object.keys(TRUTH).flatMap((f) => readdirSync(join(DIR, f)).sort().map((n) => ({ path: join(DIR, f, n), truth: TRUTH[f] })));
    assert.equal(files.length, 40, 'samples/labelled holds 4 images per class (make it with tools/make_evaluate_fixture.py)');
    const { doc } = await evaluateFolder(client, MODELS, DIR, undefined, ['cpu']);
    assert.equal(doc.images, 40);
    assert.deepEqual(doc.unmatched, []);
    const top1s: number[][] = [];
    for (const [k, model] of MODELS.entries()) {
      const confusion = Array.from({ length: 10 }, () => new Array(10).fill(0));
      let correct = 0;
      let top5 = 0;
      const top1: number[] = [];
      for (const f of files) {
        const r = await client.request('classify', { model, images: [f.path], topK: 5, order: ['cpu'] });
        const x = r.results[0];
        assert.ok(x.ok);
        confusion[f.truth][x.top[0].index]++;
        top1.push(x.top[0].index);
        if (x.top[0].index === f.truth) correct++;
        if (x.top.some((t) => t.index === f.truth)) top5++;
      }
      top1s.push(top1);
      const m = doc.models[k];
      assert.equal(m.model, model);
      assert.equal(m.labels[9], 'Ankle boot');
      assert.deepEqual(m.confusion, confusion);
      assert.equal(m.accuracy, correct / 40);
      assert.equal(m.top5, top5 / 40);
      for (let c = 0; c < 10; c++) {
        const col = confusion.reduce((a, row) => a + row[c], 0);
        assert.equal(m.perClass[c].support, 4);
        assert.equal(m.perClass[c].recall, confusion[c][c] / 4);
        assert.equal(m.perClass[c].precision, col ? confusion[c][c] / col : 0);
      }
      assert.ok(m.accuracy >= 0.8, `${model}: the embedded models score ≥ 80 % on Fashion-MNIST test images, got ${m.accuracy}`);
      assert.ok(m.imagesPerSecond > 0);
    }
    assert.equal(doc.agreement, top1s[0].filter((t, i) => t === top1s[1][i]).length / 40);
  });

  it('an image that fails to decode is listed with the reason, unmatched folders listed, the rest scored', async () => {
    const tmp = tmpDir();
    cpSync(join(DIR, 'bag'), join(tmp, 'Bag'), { recursive: true });
    cpSync(join(DIR, 'coat'), join(tmp, 'not-a-class'), { recursive: true });
    writeFileSync(join(tmp, 'Bag', 'broken.png'), 'not a png');
    const { doc } = await evaluateFolder(client, [MODELS[0]], tmp, undefined, ['cpu']);
    assert.equal(doc.images, 5);
    assert.deepEqual(doc.unmatched, ['not-a-class']);
    assert.equal(doc.unreadable.length, 1);
    assert.equal(doc.unreadable[0].path, join('Bag', 'broken.png'));
    assert.ok(doc.unreadable[0].reason.length > 0);
    assert.equal(doc.models[0].perClass[8].support, 4, 'the unreadable image is not scored');
  });

  it('a structure-only model: a UserError saying its weights are needed (what the panel shows)', async () => {
    await assert.rejects(evaluateFolder(client, [resolve('test/fixtures/models/vit_b_16.onnx')], DIR, undefined, ['cpu']), (e: Error) => e.name === 'UserError' && /weights are missing/.test(e.message) && /cannot be run/.test(e.message));
  });

  it('cancelled after the first chunk: the evaluation stops as Cancelled, the next one runs', async () => {
    const token = cancelSignal();
    const seen: number[] = [];
    await assert.rejects(
      evaluateFolder(client, MODELS, DIR, undefined, ['cpu'], { token, onProgress: (_m, done) => (seen.push(done), done === 16 && token.cancel()) }),
      (e: Error) => e.name === 'UserError' && /Cancelled/.test(e.message),
    );
    assert.deepEqual(seen, [16], 'no chunk classified after the cancel, the second model never started');
    const { doc } = await evaluateFolder(client, [MODELS[0]], DIR, undefined, ['cpu']);
    assert.equal(doc.images, 40);
  });
});
