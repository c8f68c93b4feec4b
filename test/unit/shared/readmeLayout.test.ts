/** The README's Layout section names every folder under src/core and src/extension, and only folders that exist. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

const readme = readFileSync(resolve('README.md'), 'utf8');
const layout = /## Layout\n+```\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';

/** The "name/" tokens in the lines from `start` up to the next top-level "src/…" or other line starting in column 0. */
function named(start: string): Set<string> {
  const lines = layout.split('\n');
  const i = lines.findIndex((l) => l.startsWith(start));
  assert.ok(i >= 0, `README's Layout has no ${start}`);
  const out = new Set<string>();
  for (const [j, l] of lines.slice(i).entries()) {
    if (j > 0 && /^\S/.test(l)) break;
    const text = j === 0 ? l.slice(start.length) : l;
    for (const m of text.matchAll(/(?:^|\s)([a-z][\w-]*)\/(?=\s|$)/g)) out.add(m[1]);
  }
  return out;
}

const folders = (dir: string) => readdirSync(resolve(dir), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();

describe("README's layout section", () => {
  for (const dir of ['src/core', 'src/runtime', 'src/extension']) {
    it(`names every folder under ${dir} and no folder that is not there`, () => {
      const names = named(`${dir}/`);
      const real = folders(dir);
      assert.deepEqual(real.filter((f) => !names.has(f)), [], `folders under ${dir} the README does not name`);
      assert.deepEqual([...names].filter((n) => !real.includes(n)).sort(), [], `folders the README names under ${dir} that do not exist`);
    });
  }
  it('says webview/ holds one folder per panel', () => {
    assert.match(layout, /^webview\/\s+one folder per panel/m);
    assert.ok(folders('webview').length > 0);
  });
});
