import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { parseArgs, dims, intList } from '../../../src/cli/args';

describe('command-line arguments', () => {
  it('parses flags, values and positionals', () => {
    const a = parseArgs(['m.onnx', '--image', '384', '--json', '--windows=2,4,7'], new Set(['json']));
    assert.deepEqual(a.positionals, ['m.onnx']);
    assert.equal(a.flags.get('image'), '384');
    assert.equal(a.flags.get('json'), true);
    assert.deepEqual(intList(a, 'windows'), [2, 4, 7]);
  });
  it('rejects malformed sizes and non-integer lists with a user error', () => {
    assert.throws(() => dims(parseArgs(['--hw', '56by56'], new Set()), 'hw'), { name: 'UserError' });
    assert.throws(() => intList(parseArgs(['--windows', '2,3.5'], new Set()), 'windows'), /not an integer/);
    assert.throws(() => parseArgs(['--image'], new Set()), /needs a value/);
  });
  it('keeps every value of a repeated flag, -o as --out, and says what is wrong in our words', () => {
    const a = parseArgs(['d', '--model', 'a.onnx', '--model', 'b.onnx', '-o', 'x.onnx'], new Set());
    assert.deepEqual(a.repeated?.get('model'), ['a.onnx', 'b.onnx']);
    assert.equal(a.flags.get('model'), 'b.onnx');
    assert.equal(a.flags.get('out'), 'x.onnx');
    assert.throws(() => parseArgs(['m', '-o'], new Set()), /--out needs a value/);
    assert.throws(() => parseArgs(['m', '-x'], new Set()), /Unknown option -x: options are spelled --name/);
    assert.throws(() => parseArgs(['--json=1'], new Set(['json'])), /--json takes no value/);
  });
  it('a closed pipe (vit-inspect … | head) ends the CLI quietly, with no stack trace', () => {
    const r = spawnSync('sh', ['-c', `"${process.execPath}" dist/cli.js arch test/fixtures/models/swin_t.onnx --json | head -c 1`], { encoding: 'utf8' });
    assert.equal(r.stdout, '{');
    assert.doesNotMatch(r.stderr, /EPIPE|internal error|\n\s+at /);
  });
});
