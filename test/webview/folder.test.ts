// Issue 23, item 11: Classify Folder's table and the CSV written beside the folder list the images
// in the same order (folder by folder, names by localeCompare), and sorting by Image comes back to it.
// Names chosen so that a plain string sort of the paths disagrees ("a-b.png" < "a/z.png", "B" < "a").
import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { listImages, toCsv, type FolderResultRow } from '../../src/core/image/folder';
import { panelSuite } from './harness';

describe('webview: Classify Folder table vs CSV order', function () {
  const suite = panelSuite('folder');
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'vit-folder-'));
    mkdirSync(join(dir, 'a'));
    for (const f of ['a/z.png', 'a-b.png', 'B.png', 'a.png', 'a/Y.png', 'c10.png', 'c9.png']) writeFileSync(join(dir, f), '');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('the table lists the images in the CSV order, and Image ▲ after ▼ returns to it', async () => {
    const images = listImages(dir);
    const rows: FolderResultRow[] = images.map((image, i) => (i === 2 ? { image, error: `${relative(dir, image)} is empty (0 bytes).` } : { image, index: i, label: `class ${i}`, prob: 1 / (i + 2) }));
    const csvOrder = toCsv(dir, rows).trim().split('\n').slice(1).map((l) => l.split(',')[0]);
    assert.notDeepEqual(csvOrder, [...csvOrder].sort(), 'the fixture must tell the two orders apart');
    const page = suite.panel.page;
    await suite.panel.send({ type: 'folder', folder: dir, model: 'fashion-vit.onnx', ep: 'cpu', rows: rows.map((r) => ({ ...r, image: relative(dir, r.image) })), written: [`${dir}.vit-inspector.csv`], done: true });
    const table = () => page.$$eval('#results tbody tr td:first-child', (tds) => tds.map((t) => t.textContent));
    assert.deepEqual(await table(), csvOrder);
    await page.click('button.sort[data-key="prob"]');
    assert.notDeepEqual(await table(), csvOrder);
    await page.click('button.sort[data-key="image"]');
    assert.deepEqual(await table(), csvOrder);
    await page.click('button.sort[data-key="image"]');
    assert.deepEqual(await table(), [...csvOrder].reverse());
    await page.click('button.sort[data-key="image"]');
    assert.deepEqual(await table(), csvOrder);
  });
});
