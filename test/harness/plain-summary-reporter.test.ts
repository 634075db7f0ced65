/**
 * The closing `tests: N passed, N failed, N skipped` line of CI logs: a file whose beforeAll failed (vitest then
 * marks its tests skipped) counts as a failure, so a failed run never reads "0 failed".
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const FIX = join(ROOT, 'test/support/fixtures/summary');

function summary(file: string): { line: string; code: number | null } {
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/vitest/vitest.mjs'), 'run', '--root', FIX, file], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { line: /tests: .*/.exec(r.stdout)?.[0] ?? `no summary line in: ${r.stdout}${r.stderr}`, code: r.status };
}

describe('plain summary reporter', () => {
  it('counts a failed beforeAll as one failure, its tests as skipped', () => {
    expect(summary('hook-fails.fixture.ts')).toEqual({ line: 'tests: 0 passed, 1 failed, 2 skipped', code: 1 });
  });
  it('counts passed and failed tests', () => {
    expect(summary('passes.fixture.ts')).toEqual({ line: 'tests: 1 passed, 1 failed, 0 skipped', code: 1 });
  });
});
