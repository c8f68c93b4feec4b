/**
 * Compare Models scores a labelled folder as Evaluate Model on Folder does: the
 * vitInspector.preprocessing.* settings and the folder's labels CSV reach its runs (they were
 * ignored: Compare scored the models' default preprocessing and read only class subfolders).
 * The path the panel takes: evaluateSource(folder) → compareOnFolder with scoringSettings(config).
 */
import assert from 'node:assert/strict';
import { copyFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type * as vscode from 'vscode';
import { useTempDir } from '../unit/helpers/tempDir';
import { useRuntime } from './useRuntime';
import { compareOnFolder, evaluateFolder } from '../../src/runtime/evaluate';
import { evaluateSource } from '../../src/core/evaluate/layout';
import { scoringSettings } from '../../src/extension/preprocessing';

const DIR = resolve('samples/labelled');
const MODELS = ['fashion-vit', 'fashion-swin'].map((m) => resolve('media/models', `${m}.onnx`));
const NAMES = ['fashion-vit.onnx', 'fashion-swin.onnx'];

/** A workspace configuration holding `values` (the vitInspector section's keys), else each key's default. */
const config = (values: Record<string, unknown>) => ({ get: (key: string, dflt?: unknown) => (key in values ? values[key] : dflt) }) as unknown as vscode.WorkspaceConfiguration;

describe('compare: the preprocessing settings and a labels CSV reach the accuracy', function () {
  this.timeout(300_000);
  const client = useRuntime();
  const tmpDir = useTempDir('vit-compare-csv-');

  it("resize 56, crop 28 (the centre zoomed 2×): each model's accuracy and the agreement are Evaluate's under the same settings, not the defaults'", async () => {
    const cfg = config({ 'preprocessing.resize': 56, 'preprocessing.crop': 28 });
    const settings = scoringSettings(cfg);
    assert.deepEqual({ resize: settings.overrides?.resize, crop: settings.overrides?.crop }, { resize: 56, crop: 28 });
    const { dir, csv } = evaluateSource(DIR);
    assert.equal(csv, undefined, 'samples/labelled is read by its class subfolders');
    const { evaluation } = await compareOnFolder(client, MODELS, NAMES, dir, csv, ['cpu'], settings);
    const evaluated = (await evaluateFolder(client, MODELS, dir, undefined, ['cpu'], { overrides: settings.overrides })).doc;
    const plain = (await evaluateFolder(client, MODELS, dir, undefined, ['cpu'])).doc;
    assert.equal(evaluation.images, 40);
    assert.deepEqual(
      evaluation.accuracy.map((a) => [a.accuracy, a.top5]),
      evaluated.models.map((m) => [m.accuracy, m.top5]),
    );
    assert.equal(evaluation.agreement, evaluated.agreement);
    // The zoom must change what the default preprocessing gives, or this test could not fail.
    assert.notDeepEqual(
      evaluated.models.map((m) => m.accuracy),
      plain.models.map((m) => m.accuracy),
      `the zoomed accuracy ${evaluated.models.map((m) => m.accuracy)} equals the default's`,
    );
  });

  it('a folder of images with a file,label CSV (no class subfolders) is scored by the CSV, as Evaluate scores it', async () => {
    const tmp = tmpDir();
    const lines = ['file,label'];
    for (const cls of ['bag', 'sneaker', 'Trouser'])
      for (const f of readdirSync(join(DIR, cls)).sort()) {
        copyFileSync(join(DIR, cls, f), join(tmp, `${cls}-${f}`));
        lines.push(`${cls}-${f},${cls}`);
      }
    writeFileSync(join(tmp, 'labels.csv'), lines.join('\n') + '\n');
    const { dir, csv } = evaluateSource(tmp);
    assert.equal(csv, join(tmp, 'labels.csv'));
    const { evaluation } = await compareOnFolder(client, MODELS, NAMES, dir, csv, ['cpu'], scoringSettings(config({})));
    const evaluated = (await evaluateFolder(client, MODELS, dir, csv, ['cpu'])).doc;
    assert.equal(evaluation.images, 12);
    assert.equal(evaluated.images, 12);
    assert.deepEqual(evaluation.accuracy.map((a) => a.accuracy), evaluated.models.map((m) => m.accuracy));
    assert.ok(evaluation.accuracy.every((a) => a.accuracy >= 0.8), JSON.stringify(evaluation.accuracy));
  });
});
