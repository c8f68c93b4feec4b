/**
 * `vit-inspect trace IMAGE --model M --layer L --head H --token T [--json]` (DESIGN.md's contract):
 * the JSON document has the contract's fields, equal to what the inference process's trace request
 * gives; without --json a readable summary, one line per step with its shape and check; bad input
 * (a block, head or token out of range; a model that is not a ViT/Swin; a structure-only file) ends
 * with the reason on stderr, a non-zero status and no stack trace.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import type { TraceResult } from '../../src/core/trace/types';
import { fixture } from '../skip';
import { fixtures, models } from '../unit/helpers/attentionReference';
import { useRuntime } from './useRuntime';

const image = fixture(join(fixtures, 'images', 'disc.png'));
const cli = (...a: string[]) => spawnSync(process.execPath, [resolve('dist/cli.js'), 'trace', image, '--ep', 'cpu', ...a], { encoding: 'utf8', timeout: 100_000 });

describe('vit-inspect trace (the CLI)', function () {
  this.timeout(120_000);
  const client = useRuntime();

  it('--json: the contract\'s fields for a shifted Swin block, the same numbers as the trace request', async () => {
    const model = fixture(join(models, 'tiny_swin.onnx'));
    const r = cli('--model', model, '--layer', '1', '--head', '1', '--token', '5', '--json');
    assert.equal(r.status, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as TraceResult;
    assert.equal(doc.family, 'swin');
    assert.deepEqual([doc.layer, doc.head, doc.token, doc.shift], [1, 1, 5, 2]);
    assert.ok(Number.isInteger(doc.window) && Number.isInteger(doc.position));
    const t = doc.tensors;
    assert.equal(t.q.length, 8); // d = 16 / 2 heads; the 4×4 window's 16 keys
    assert.equal(t.k.length, 16);
    assert.equal(t.v.length, 16);
    for (const x of [t.scores, t.weights]) assert.equal(x.length, 16);
    assert.ok(Math.abs(t.weights.reduce((a, b) => a + b, 0) - 1) < 1e-5);
    assert.equal(t.context.length, 8);
    assert.equal(t.output.length, 16);
    for (const s of doc.steps) {
      assert.equal(typeof s.id, 'string');
      assert.equal(typeof s.title, 'string');
      assert.ok(Array.isArray(s.shape));
      if (s.check) assert.ok(Array.isArray(s.check.recomputedFrom) && s.check.maxAbsDiff <= 1e-4, s.id);
    }
    for (const id of ['windowPartition', 'cyclicShift', 'q', 'scores', 'bias', 'mask', 'softmax', 'context', 'mergeGroup', 'head']) assert.ok(doc.steps.some((s) => s.id === id), id);
    const same: TraceResult = await client.request('trace', { model, image, layer: 1, head: 1, token: 5, order: ['cpu'] });
    assert.deepEqual(doc.steps.map((s) => [s.id, s.formula, s.check?.maxAbsDiff]), same.steps.map((s) => [s.id, s.formula, s.check?.maxAbsDiff]));
    assert.deepEqual(doc.tensors.weights, same.tensors.weights);
  });

  it('without --json: one line per step with its shape, formula and check, then the top classes', () => {
    const r = cli('--model', fixture(join(models, 'tiny_vit.onnx')), '--layer', '1', '--head', '0', '--token', '5');
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.split('\n');
    assert.match(lines[0], /^tiny_vit\.onnx \(vit\) on cpu: block 1, head 0, token 5/);
    const softmax = lines.find((l) => l.startsWith('softmax '))!;
    assert.match(softmax, /\[17\]\s+softmax over the 17 scores.*max \|Δ\| [\d.e-]+ \(from scores\)/);
    assert.match(lines.find((l) => l.startsWith('scores '))!, /scale 1\/√16 = 0\.25 read from the graph/);
    assert.match(r.stdout, /^top: \w+ \d+\.\d%/m);
  });

  it('bad input: the valid ranges, a refusal, the weights needed — on stderr, status ≠ 0, no stack trace', () => {
    const tiny = fixture(join(models, 'tiny_vit.onnx'));
    for (const [args, re] of [
      [['--model', tiny, '--layer', '9', '--head', '0', '--token', '0'], /Layer 9 does not exist: this model has blocks 0\.\.1/],
      [['--model', tiny, '--layer', '0', '--head', '2', '--token', '0'], /Head 2 does not exist in block 0: pick 0\.\.1/],
      [['--model', tiny, '--layer', '0', '--head', '0', '--token', '17'], /Token 17 does not exist in block 0: pick 0\.\.16/],
      [['--model', fixture(join(models, 'resnet18.onnx')), '--layer', '0', '--head', '0', '--token', '0'], /not a ViT\/Swin/],
      [['--model', fixture(join(models, 'vit_b_16.onnx')), '--layer', '0', '--head', '0', '--token', '0'], /weights are missing/],
    ] as const) {
      const r = cli(...args);
      assert.notEqual(r.status, 0, args.join(' '));
      assert.match(r.stderr, re);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
  });
});
