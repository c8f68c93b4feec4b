import assert from 'node:assert/strict';

/** The largest |a[i] − b[i]|: how far a result is from its reference (which must be as long). */
export const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  assert.equal(a.length, b.length, 'lengths differ');
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

/** The index of the largest value (the first of equals): a top-1 class. */
export const argmax = (a: ArrayLike<number>): number => {
  let k = 0;
  for (let i = 1; i < a.length; i++) if (a[i] > a[k]) k = i;
  return k;
};
