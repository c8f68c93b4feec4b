/** One list of image extensions: the menus' `when` regexes in package.json, the dialog filter and the folder walk agree on it. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { IMAGE_EXTENSION_LIST, IMAGE_EXTENSIONS } from '../../../src/core/image/folder';

const pkg = JSON.parse(readFileSync(resolve('package.json'), 'utf8'));

/** Every `resourceExtname =~ /…/` in the menus, as a RegExp. */
function menuRegexes(): RegExp[] {
  const out: RegExp[] = [];
  for (const items of Object.values(pkg.contributes.menus as Record<string, { when?: string }[]>)) {
    for (const item of items) {
      const m = /resourceExtname =~ \/(.+)\/(\w*)/.exec(item.when ?? '');
      if (m && /png/.test(m[1])) out.push(new RegExp(m[1], m[2]));
    }
  }
  return out;
}

describe('image extensions', () => {
  it('package.json menus offer the image commands on exactly the extensions ViT Inspector reads', () => {
    const regexes = menuRegexes();
    assert.ok(regexes.length >= 1, 'no image menu in package.json');
    const others = ['.onnx', '.safetensors', '.txt', '.svg', '.heic', '.json'];
    for (const re of regexes) {
      for (const ext of IMAGE_EXTENSION_LIST) {
        assert.ok(re.test(`.${ext}`), `${re} misses .${ext}`);
        assert.ok(re.test(`.${ext.toUpperCase()}`), `${re} misses .${ext.toUpperCase()}`);
      }
      for (const o of others) assert.ok(!re.test(o), `${re} accepts ${o}`);
    }
  });

  it('the folder walk matches the same list', () => {
    for (const ext of IMAGE_EXTENSION_LIST) assert.ok(IMAGE_EXTENSIONS.test(`a/b.${ext}`));
    assert.ok(!IMAGE_EXTENSIONS.test('a/b.onnx'));
    assert.ok(!IMAGE_EXTENSIONS.test('a/png'));
  });
});
