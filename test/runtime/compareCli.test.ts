/**
 * `vit-inspect compare` (dist/cli.js) prints the Compare Models panel's document: the structure
 * (params, MACs per stage and role, Ω) equals core/compare's from each model's arch, the latency
 * rows are the panel's (every sample × round timed, ratios to the first model), and the accuracy
 * section equals the one built from evaluateFolder, as the panel builds it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { relative, resolve } from 'node:path';
import { inspectModel } from '../../src/core/arch/inspect';
import { compareDocument, compareEvaluation, type CompareDocument } from '../../src/core/compare/document';
import { evaluateFolder } from '../../src/runtime/evaluate';
import { fixture } from '../skip';
import { useRuntime } from './useRuntime';

const MODELS = ['fashion-vit', 'fashion-swin'].map((n) => fixture(resolve('media', 'models', `${n}.onnx`)));
const NAMES = ['fashion-vit.onnx', 'fashion-swin.onnx'];
const DIR = fixture(resolve('samples', 'labelled'));
const cli = (...args: string[]) => spawnSync(process.execPath, [resolve('dist/cli.js'), 'compare', ...args], { encoding: 'utf8', timeout: 200_000 });

describe('vit-inspect compare (dist/cli.js)', function () {
  this.timeout(240_000);
  const client = useRuntime();

  it("--json: the panel document's params, MACs, Ω, latency rows and accuracy", async () => {
    const r = cli(...MODELS, '--folder', DIR, '--resolutions', '28,224', '--rounds', '2', '--ep', 'cpu', '--json');
    assert.equal(r.status, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as CompareDocument;
    const panel = compareDocument(MODELS.map((m, i) => ({ name: NAMES[i], arch: inspectModel(m) })), [28, 224]);
    assert.deepEqual(doc.models, JSON.parse(JSON.stringify(panel.models)));
    assert.deepEqual(doc.omega, panel.omega);
    assert.deepEqual([doc.models[0].params, doc.models[1].params], [307082, 238430]);

    assert.deepEqual(doc.latency!.map((l) => [l.model, l.ep, l.runs]), [[NAMES[0], 'cpu', 20], [NAMES[1], 'cpu', 20]], '10 samples × 2 rounds per model');
    assert.equal(doc.latency![0].ratio, 1);
    assert.ok(Math.abs(doc.latency![1].ratio - doc.latency![1].msPerImage / doc.latency![0].msPerImage) < 1e-9);

    const e = await evaluateFolder(client, MODELS, DIR, undefined, ['cpu']);
    assert.deepEqual(doc.evaluation, compareEvaluation(DIR, NAMES, e.doc, e.runs, (p) => relative(DIR, p)));
    assert.equal(doc.evaluation!.images, 40);
    assert.ok(doc.evaluation!.disagreements.length > 0, 'the two models disagree on some samples');
  });

  it('bad input exits 2 with the reason on stderr', () => {
    const one = cli(MODELS[0]);
    assert.equal(one.status, 2);
    assert.match(one.stderr, /two or more models/);
    const res = cli(...MODELS, '--resolutions', 'big');
    assert.equal(res.status, 2);
    assert.match(res.stderr, /--resolutions is a list of input sizes/);
    const csv = cli(...MODELS, '--labels', 'x.csv');
    assert.equal(csv.status, 2);
    assert.match(csv.stderr, /give --folder too/);
  });
});
