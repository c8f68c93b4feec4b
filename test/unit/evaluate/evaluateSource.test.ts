/**
 * Evaluate Model on Folder from the right-click: a right-clicked CSV, or the one `file,label` CSV in a
 * folder, names the classes (read by readLabelsCsv); a folder without one falls back to its class
 * subfolders; an unrelated CSV is not taken for labels; two labels CSVs ask which.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evaluateSource, readLabelsCsv } from '../../../src/core/evaluate/layout';
import { isUserError } from '../../../src/core/errors';

const LABELS = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

describe('evaluate: the labels CSV a right-click finds', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'vit-evalsrc-'));
    for (const f of ['a.png', 'b.png']) copyFileSync('samples/bag.png', join(dir, f));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a folder holding a file,label CSV uses it, and its lines become the images with their classes', () => {
    writeFileSync(join(dir, 'notes.csv'), 'when,what\n1,2\n');
    writeFileSync(join(dir, 'truth.csv'), 'file,label\na.png,Bag\nb.png,ankle boot\n');
    const s = evaluateSource(dir);
    assert.deepEqual(s, { dir, csv: join(dir, 'truth.csv') });
    const read = readLabelsCsv(s.csv!, s.dir, LABELS, 10);
    assert.deepEqual(read.images.map((i) => [i.path, i.truth]), [[join(dir, 'a.png'), 8], [join(dir, 'b.png'), 9]]);
  });

  it('a right-clicked CSV is used with its folder as the base; a folder without one has no CSV', () => {
    writeFileSync(join(dir, 'x.csv'), 'a.png,Bag\n');
    assert.deepEqual(evaluateSource(join(dir, 'x.csv')), { dir, csv: join(dir, 'x.csv') });
    assert.deepEqual(evaluateSource(dir), { dir, csv: undefined }, 'no header: not found by looking');
  });

  it('two labels CSVs: a UserError that says to right-click the one to use', () => {
    writeFileSync(join(dir, 'one.csv'), 'file,label\na.png,Bag\n');
    writeFileSync(join(dir, 'two.csv'), 'image,class\nb.png,Bag\n');
    assert.throws(() => evaluateSource(dir), (e: Error) => isUserError(e) && /2 labels CSVs \(one\.csv, two\.csv\).*right-click/.test(e.message));
  });

  it('a CSV whose labels are none of the model\'s: a UserError naming the labels seen', () => {
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'truth.csv'), 'file,label\na.png,cat\nb.png,dog\n');
    const s = evaluateSource(dir);
    assert.throws(() => readLabelsCsv(s.csv!, s.dir, LABELS, 10), (e: Error) => isUserError(e) && /No line of .*truth\.csv names a class of the model \(labels seen: cat, dog\)/.test(e.message));
  });
});
