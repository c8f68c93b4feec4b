import assert from 'node:assert/strict';
import { isUserError } from '../../../src/core/errors';

/** fn throws a UserError whose message matches (what a user would read). */
export function throwsUserError(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isUserError(e), `expected a UserError, got ${String(e)}`);
    assert.match((e as Error).message, message);
    return true;
  });
}
