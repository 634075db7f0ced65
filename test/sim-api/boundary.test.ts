/**
 * One code path to every cluster: nothing outside sim/ imports sim/. Two exceptions, by rule:
 * - harness/commands/sim.ts is the launcher of the sim: it loads sim/launcher.ts lazily by URL;
 * - bench/<part>.bench.ts where sim/<part>/ exists benchmarks that sim part in-process (it is not a
 *   client of a cluster). Every other bench (checks, mcp, ...) must go through a kubeconfig.
 */
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const SCANNED = ['harness', 'mcp', 'scenarios', 'chaos', 'evals', 'bench'];
const ALLOWED = new Set(['harness/commands/sim.ts', 'bench/cluster.bench.ts']); // the whole-cluster bench measures startCluster() itself

function allowed(rel: string): boolean {
  if (ALLOWED.has(rel)) return true;
  const m = /^bench\/([a-z0-9-]+)\.bench\.ts$/.exec(rel);
  return !!m && existsSync(join(ROOT, 'sim', m[1])) && statSync(join(ROOT, 'sim', m[1])).isDirectory();
}

function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    if (n === 'node_modules') continue;
    if (statSync(p).isDirectory()) out.push(...files(p));
    else if (/\.(ts|js|mjs|cjs|mts)$/.test(n)) out.push(p);
  }
  return out;
}

/** static imports, re-exports, dynamic import('...') and require('...') specifiers */
function specifiers(src: string): string[] {
  const out: string[] = [];
  const re =
    /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)|new URL\(\s*['"]([^'"]+)['"]/g;
  for (const m of src.matchAll(re)) out.push(m[1] ?? m[2] ?? m[3] ?? m[4] ?? m[5]);
  return out;
}

describe('module boundary', () => {
  it('nothing outside sim/ imports sim/', () => {
    const offenders: string[] = [];
    for (const d of SCANNED) {
      for (const f of files(join(ROOT, d))) {
        const rel = relative(ROOT, f);
        if (allowed(rel)) continue;
        for (const s of specifiers(readFileSync(f, 'utf8'))) {
          if (/(^|\/)sim(\/|$)/.test(s) && s.startsWith('.')) offenders.push(`${rel} -> ${s}`);
        }
      }
    }
    expect(offenders).toEqual([]);
  });

  it('the detector finds the kinds of import it must', () => {
    expect(
      specifiers(`import { x } from '../sim/types.ts';\nconst m = await import('../../sim/cluster.ts');\nexport * from "../sim/a.ts";`),
    ).toEqual(['../sim/types.ts', '../../sim/cluster.ts', '../sim/a.ts']);
  });

  it('the sim command reaches sim/ only through the launcher', () => {
    const src = readFileSync(join(ROOT, 'harness/commands/sim.ts'), 'utf8');
    const sims = specifiers(src).filter((s) => s.includes('sim/'));
    expect(new Set(sims)).toEqual(new Set(['../../sim/launcher.ts']));
  });
});
