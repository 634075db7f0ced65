/**
 * vitest globalSetup: after the whole run, list the /tmp/nh-* and /tmp/nhk-* directories the run made and left
 * (a test that leaks). They are reported, never removed here (another process may be using one); with
 * NH_TMP_CHECK=1 (CI) a leak fails the run. Sim runtime dirs (/tmp/nh-<6 hex>) belong to live sims: skipped.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const TMP = '/tmp';
const OURS = /^nhk?-[a-z][a-z0-9-]*-[A-Za-z0-9]{6}$/;

function ours(): Map<string, number> {
  const out = new Map<string, number>();
  for (const d of readdirSync(TMP)) {
    if (!OURS.test(d)) continue;
    try {
      out.set(d, statSync(join(TMP, d)).birthtimeMs || statSync(join(TMP, d)).ctimeMs);
    } catch {
      /* gone */
    }
  }
  return out;
}

export default function setup(): () => void {
  const before = new Set(ours().keys());
  const started = Date.now();
  return () => {
    const left = [...ours()].filter(([d, t]) => !before.has(d) && t >= started - 1000).map(([d]) => d);
    if (!left.length) return;
    const byPrefix = new Map<string, number>();
    for (const d of left) {
      const p = d.slice(0, -6);
      byPrefix.set(p, (byPrefix.get(p) ?? 0) + 1);
    }
    const msg = `tests left ${left.length} directories in /tmp: ${[...byPrefix].map(([p, n]) => `${p}* x${n}`).join(', ')}`;
    if (process.env.NH_TMP_CHECK === '1') throw new Error(`${msg} (remove them in the test: test/support/tmp.ts tempDir())`);
    process.stderr.write(`warning: ${msg}\n`);
  };
}
