/** A temporary folder for a suite's tests, removed after them: the one set-up instead of each suite's own. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * Makes a folder before the suite's tests (before each test with `each`, so each gets an empty
 * one) and removes it after; the result gives its path. Call it in a describe() body.
 */
export function useTempDir(prefix: string, opts: { each?: boolean } = {}): () => string {
  let dir = '';
  const make = (): void => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  };
  const remove = (): void => fs.rmSync(dir, { recursive: true, force: true });
  if (opts.each) {
    beforeEach(make);
    afterEach(remove);
  } else {
    before(make);
    after(remove);
  }
  return () => dir;
}
