/** The message of the UsageError `fn` throws; the test fails when it throws anything else, or nothing. */
import { expect } from 'vitest';
import { UsageError } from '../../harness/errors.ts';

export function usageMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error('expected a UsageError');
}
