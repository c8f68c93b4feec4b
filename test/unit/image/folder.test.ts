import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listImages, resultPaths, toCsv } from '../../../src/core/image/folder';

describe('Classify Folder helpers', () => {
  it('lists every image under the folder, sorted, skipping dot-folders and node_modules', () => {
    const d = mkdtempSync(join(tmpdir(), 'vit-folder-'));
    for (const sub of ['b', 'a', '.git', 'node_modules']) mkdirSync(join(d, sub));
    for (const f of ['b/2.PNG', 'a/1.jpg', 'a/notes.txt', '.git/x.png', 'node_modules/y.png', 'z.webp', 'c.tiff']) writeFileSync(join(d, f), '');
    assert.deepEqual(
      listImages(d).map((p) => p.slice(d.length + 1)),
      ['a/1.jpg', 'b/2.PNG', 'c.tiff', 'z.webp'],
    );
    assert.equal(listImages(d, 2).length, 2);
  });

  it('writes a CSV with relative paths, quoting what needs it, and errors in their own column', () => {
    const csv = toCsv('/data/photos', [
      { image: '/data/photos/cat, 1.png', index: 3, label: 'T-shirt/top', prob: 0.5 },
      { image: '/data/photos/broken.png', error: 'cannot be decoded: "bad"' },
    ]);
    assert.equal(csv, 'image,class_index,label,probability,error\n"cat, 1.png",3,T-shirt/top,0.500000,\nbroken.png,,,,"cannot be decoded: ""bad"""\n');
  });

  it('puts the results next to the folder, named after it', () => {
    assert.deepEqual(resultPaths('/data/photos'), { csv: '/data/photos.vit-inspector.csv', json: '/data/photos.vit-inspector.json' });
  });
});
