import { spawnSync } from 'node:child_process';
import { projectRoot } from './paths.ts';

/** The commit the harness runs from, recorded with each run; undefined outside a git checkout. */
export function gitSha(): string | undefined {
  const r = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: projectRoot, encoding: 'utf8', timeout: 5000 });
  return r.status === 0 ? r.stdout.trim() : undefined;
}
