import assert from 'node:assert/strict';
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
});
