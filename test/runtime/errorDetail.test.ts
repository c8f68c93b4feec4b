// Issue 23: a UserError's detail (the library's own words, e.g. the JPEG decoder's) crosses the
// process boundary: worker → client keeps it, a per-image classify failure carries it too.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { UserError, isUserError, userMessage } from '../../src/core/errors';
import { runFailure } from '../../src/runtime/sessions';
import { useRuntime } from './useRuntime';

describe('inference process: UserError.detail reaches the host', function () {
  this.timeout(60_000);
  const client = useRuntime();
  const model = resolve('media/models/fashion-vit.onnx');
  let dir: string;
  let image: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'vit-detail-'));
    image = join(dir, 'truncated.jpg');
    const jpg = readFileSync(resolve('test/fixtures/preprocess/landscape.jpg'));
    writeFileSync(image, jpg.subarray(0, Math.floor(jpg.length * 0.6)));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a rejected request keeps the decoder words as detail; the message stays in the user terms', async () => {
    const e = await client.request('attention', { model, image, order: ['cpu'] }).then(
      () => assert.fail('a truncated JPEG must not run'),
      (x: unknown) => x,
    );
    assert.ok(isUserError(e), String(e));
    assert.match(e.message, /truncated\.jpg cannot be decoded: the file is truncated or corrupt/);
    assert.doesNotMatch(e.message, /VipsJpeg/);
    assert.match(e.detail ?? '', /^VipsJpeg: premature end of JPEG/);
  });

  it('a per-image classify failure carries the detail too', async () => {
    const r = await client.request('classify', { model, images: [image], topK: 5, order: ['cpu'] });
    const x = r.results[0];
    assert.equal(x.ok, false);
    assert.match(!x.ok ? (x.detail ?? '') : '', /^VipsJpeg: premature end of JPEG/);
  });

  it('a failed run is said in the user terms, with ONNX Runtime first line only; a UserError passes as it is', () => {
    const ort = new Error('[ONNXRuntimeError] : 2 : INVALID_ARGUMENT : Got invalid dimensions for input: x\n  at frame 1\n  at frame 2');
    const e = runFailure(ort, 'tiny_vit.onnx', 'disc.png');
    assert.ok(isUserError(e));
    assert.equal(e.message, 'ONNX Runtime could not run tiny_vit.onnx on disc.png: [ONNXRuntimeError] : 2 : INVALID_ARGUMENT : Got invalid dimensions for input: x');
    assert.equal(runFailure('lost', 'm.onnx').message, 'ONNX Runtime could not run m.onnx: lost');
    const user = new UserError('ONNX Runtime cannot load m.onnx: no execution provider available.');
    assert.equal(runFailure(user, 'm.onnx', 'a batch of 4 images'), user);
  });

  it('the CLI and the log print the detail after the message, once', () => {
    assert.equal(userMessage(new UserError('Repo x/y was not found.', 'Repository Not Found')), 'Repo x/y was not found.\n  Repository Not Found');
    assert.equal(userMessage(new UserError('Bad (the decoder says: end).', 'end')), 'Bad (the decoder says: end).');
    assert.equal(userMessage(new UserError('No detail.')), 'No detail.');
  });
});
