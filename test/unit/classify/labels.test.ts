/** Class names beside a model: a malformed config.json is the user's error naming the file, never silently "class 0, 1, …". */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isUserError } from '../../../src/core/errors';
import { resolveLabels } from '../../../src/core/classify/labels';

describe('resolveLabels', () => {
  it('reads id2label from config.json beside the model', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vit-labels-'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ id2label: { 0: 'cat', 1: 'dog' } }));
    const labels = resolveLabels(join(dir, 'model.onnx'), 2);
    assert.deepEqual(labels.names, ['cat', 'dog']);
  });

  it('a malformed config.json is a UserError naming the file and the JSON error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vit-labels-'));
    writeFileSync(join(dir, 'config.json'), '{ "id2label": { "0": "cat", } ');
    assert.throws(
      () => resolveLabels(join(dir, 'model.onnx'), 2),
      (e: unknown) => isUserError(e) && /config\.json is not valid JSON \(.+\)/.test((e as Error).message) && (e as Error).message.includes(dir),
    );
  });
});
