/**
 * The only way a test here may skip: with a reason, printed as `SKIPPED: <reason>` (scripts/test.mjs
 * counts and lists those lines). Under CI (CI=true) nothing may skip: the test fails with the same
 * reason, so a machine that cannot run it shows up red, not green with the check untested.
 */
import { existsSync } from 'node:fs';

export const underCI = (): boolean => /^(1|true|yes)$/i.test(process.env.CI ?? '');

/** Skips this test (or the hook's suite) saying why; under CI throws instead. */
export function skipBecause(ctx: Mocha.Context, reason: string): never {
  if (underCI()) throw new Error(`cannot run: ${reason} (CI=true: a test that cannot run fails)`);
  console.log(`      SKIPPED: ${reason}`);
  ctx.skip();
}

/** A committed fixture: missing is always a failure (a lost fixture must not turn the run green). */
export function fixture(file: string): string {
  if (!existsSync(file)) throw new Error(`${file} is missing: it is a committed fixture (git checkout -- it, or remake it with tools/)`);
  return file;
}
