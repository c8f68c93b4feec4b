/**
 * `vit-inspect evaluate` (dist/cli.js) and the bad input as the CLI user meets it: folders
 * matching no class listed, empty classes reported, undecodable images listed with the reason (the
 * rest scored), a model without labels matching only index-named folders and saying so; and
 * `vit-inspect explain` on a structure-only model saying the weights are needed.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { useTempDir } from '../unit/helpers/tempDir';
import type { EvaluateDocument } from '../../src/core/evaluate/document';

const DIR = resolve('samples/labelled');
const VIT = resolve('media/models/fashion-vit.onnx');
const cli = (...args: string[]) => spawnSync(process.execPath, [resolve('dist/cli.js'), ...args], { encoding: 'utf8', timeout: 100_000 });

describe('vit-inspect evaluate (dist/cli.js): bad input', function () {
  this.timeout(120_000);
  const tmpDir = useTempDir('vit-eval-cli-', { each: true });

  it('unmatched folders listed, an empty class reported, an undecodable image listed with the reason; the rest scored (text and --json)', () => {
    const tmp = tmpDir();
    cpSync(join(DIR, 'bag'), join(tmp, 'Bag'), { recursive: true });
    cpSync(join(DIR, 'coat'), join(tmp, 'not-a-class'), { recursive: true });
    mkdirSync(join(tmp, 'ankle_boot'));
    writeFileSync(join(tmp, 'Bag', 'broken.png'), 'not a png');
    const r = cli('evaluate', tmp, '--model', VIT, '--ep', 'cpu');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^5 images in /);
    assert.match(r.stdout, /^folders matching no class \(skipped\): not-a-class$/m);
    assert.match(r.stdout, /^empty classes: ankle_boot$/m);
    assert.match(r.stdout, /^unreadable: Bag\/broken\.png: .*broken\.png.+$/m);
    const j = cli('evaluate', tmp, '--model', VIT, '--ep', 'cpu', '--json');
    assert.equal(j.status, 0, j.stderr);
    const doc = JSON.parse(j.stdout) as EvaluateDocument;
    assert.equal(doc.images, 5, 'every image found, the unreadable one too');
    assert.deepEqual(doc.unmatched, ['not-a-class']);
    assert.deepEqual(doc.empty, ['ankle_boot']);
    assert.deepEqual(doc.unreadable.map((u) => u.path), [join('Bag', 'broken.png')]);
    assert.ok(doc.unreadable[0].reason.length > 0);
    const m = doc.models[0];
    assert.equal(m.perClass[8].support, 4, 'the unreadable image is not scored');
    assert.equal(m.perClass[9].support, 0, 'the empty class has no images');
    assert.equal(m.confusion[8].reduce((a, b) => a + b, 0), 4);
  });

  it('a model without labels: only index-named folders are matched, and stderr says so', () => {
    const tmp = tmpDir();
    mkdirSync(join(tmp, 'model'));
    copyFileSync(VIT, join(tmp, 'model', 'bare.onnx')); // no labels.txt, no config.json beside it
    cpSync(join(DIR, 'bag'), join(tmp, 'f', '8'), { recursive: true });
    cpSync(join(DIR, 'coat'), join(tmp, 'f', 'Coat'), { recursive: true });
    const r = cli('evaluate', join(tmp, 'f'), '--model', join(tmp, 'model', 'bare.onnx'), '--ep', 'cpu', '--json');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /^note: The model has no labels, so only folders named by class index \(0 to 9\) are matched/m);
    const doc = JSON.parse(r.stdout) as EvaluateDocument;
    assert.equal(doc.images, 4);
    assert.deepEqual(doc.unmatched, ['Coat']);
    assert.deepEqual(doc.models[0].labels, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    assert.equal(doc.models[0].perClass[8].support, 4);
    // Named folders only: nothing matches, exit 2 with the reason and the note.
    cpSync(join(DIR, 'coat'), join(tmp, 'g', 'Coat'), { recursive: true });
    const none = cli('evaluate', join(tmp, 'g'), '--model', join(tmp, 'model', 'bare.onnx'), '--ep', 'cpu');
    assert.equal(none.status, 2, none.stdout);
    assert.match(none.stderr, /the folders Coat match none of the model's classes/);
    assert.match(none.stderr, /The model has no labels, so only folders named by class index \(0 to 9\)/);
  });

  it('evaluate with a structure-only model exits 2: its weights are needed (the panel shows the same message from evaluateFolder)', () => {
    const r = cli('evaluate', DIR, '--model', resolve('test/fixtures/models/vit_b_16.onnx'), '--ep', 'cpu');
    assert.equal(r.status, 2, r.stdout);
    assert.match(r.stderr, /vit_b_16\.onnx's weights are missing .* cannot be run/);
  });

  it('explain on a structure-only model exits 2: its weights are needed', () => {
    const r = cli('explain', resolve('test/fixtures/images/disc.png'), '--model', resolve('test/fixtures/models/vit_b_16.onnx'), '--method', 'occlusion', '--ep', 'cpu');
    assert.equal(r.status, 2, r.stdout);
    assert.match(r.stderr, /vit_b_16\.onnx's weights are missing .* cannot be run/);
  });
});
