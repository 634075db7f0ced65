/**
 * Temporary directories for tests that are removed when the test file ends (nothing left in /tmp after
 * `npm test`). `tempDir('nh-x-')` is `mkdtempSync(join(tmpdir(), 'nh-x-'))` plus that cleanup.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

const made: string[] = [];
// registered when the first test file imports this module: runs after the file's own afterAll hooks
// (vitest runs after-hooks in reverse order), so a sim stopped there is stopped before its workdir goes
afterAll(() => {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
});

export function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  made.push(d);
  return d;
}
