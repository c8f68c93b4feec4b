import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { matchClass, normaliseClassName, readImageFolder, readLabelsCsv } from '../../../src/core/evaluate/layout';
import { isUserError } from '../../../src/core/errors';

const LABELS = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
const png = 'samples/bag.png';

describe('evaluate: labelled folder layout', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'vit-eval-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const put = (folder: string, n: number) => {
    mkdirSync(join(dir, folder), { recursive: true });
    for (let i = 0; i < n; i++) copyFileSync(png, join(dir, folder, `${i}.png`));
  };

  it('matches names ignoring case, spaces, _, - and /, and class indices', () => {
    assert.equal(normaliseClassName('T-shirt/top'), 'tshirttop');
    assert.equal(matchClass('t_shirt top', LABELS, 10), 0);
    assert.equal(matchClass('ANKLE-BOOT', LABELS, 10), 9);
    assert.equal(matchClass('ankle_boot', LABELS, 10), 9);
    assert.equal(matchClass('7', LABELS, 10), 7);
    assert.equal(matchClass('10', LABELS, 10), null, 'an index out of range matches nothing');
    assert.equal(matchClass('boots', LABELS, 10), null);
    assert.equal(matchClass('Sandal', null, 10), null, 'without labels a name matches nothing');
    assert.equal(matchClass('3', null, 10), 3);
  });

  it('reads one subfolder per class; unmatched folders listed, empty classes reported', () => {
    put('Ankle_Boot', 2);
    put('3', 1);
    put('boots', 1);
    put('coat', 0);
    const f = readImageFolder(dir, LABELS, 10);
    assert.deepEqual(f.images.map((x) => x.truth).sort(), [3, 9, 9]);
    assert.deepEqual(f.unmatched, ['boots']);
    assert.deepEqual(f.empty, ['coat']);
    assert.equal(f.note, undefined);
  });

  it('a model without labels accepts only index-named folders and says so', () => {
    put('Sandal', 1);
    put('5', 2);
    const f = readImageFolder(dir, null, 10);
    assert.deepEqual(f.images.map((x) => x.truth), [5, 5]);
    assert.deepEqual(f.unmatched, ['Sandal']);
    assert.match(f.note!, /no labels.*index \(0 to 9\)/);
  });

  it('no class matched, or no subfolders: a UserError in the user\'s terms', () => {
    put('boots', 1);
    assert.throws(() => readImageFolder(dir, LABELS, 10), (e) => isUserError(e) && /boots match none/.test((e as Error).message));
    const flat = mkdtempSync(join(tmpdir(), 'vit-eval-flat-'));
    copyFileSync(png, join(flat, 'a.png'));
    try {
      assert.throws(() => readImageFolder(flat, LABELS, 10), (e) => isUserError(e) && /no class subfolders \(it holds 1 images directly\)/.test((e as Error).message));
    } finally {
      rmSync(flat, { recursive: true, force: true });
    }
  });

  it('reads a CSV of file,label (header optional, quotes, indices), files relative to the folder', () => {
    put('x', 2);
    const csv = join(dir, 'labels.csv');
    writeFileSync(csv, 'file,label\nx/0.png,"T-shirt/top"\nx/1.png,8\nx/1.png,boots\n');
    const f = readLabelsCsv(csv, dir, LABELS, 10);
    assert.deepEqual(f.images, [{ path: join(dir, 'x/0.png'), truth: 0 }, { path: join(dir, 'x/1.png'), truth: 8 }]);
    assert.deepEqual(f.unmatched, ['boots']);
    writeFileSync(csv, 'x/0.png\n');
    assert.throws(() => readLabelsCsv(csv, dir, LABELS, 10), (e) => isUserError(e) && /line 1: expected file,label/.test((e as Error).message));
  });
});
