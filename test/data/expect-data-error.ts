import { expect } from 'vitest';
import { DataError } from '../../src/data/errors';

/** `fn` throws a DataError (whose message matches `pattern`, when given); returns it. */
export function expectDataError(fn: () => unknown, pattern?: RegExp): DataError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(DataError);
  if (pattern) expect((caught as DataError).message).toMatch(pattern);
  return caught as DataError;
}
