/**
 * Issue 9 items 4 and 6 as rules over the source, so they stay true:
 * - the runner (and everything else) talks to the store through Store methods: no `<store>.db` outside
 *   harness/store (evals/store.ts, the eval tables' own store over the same file, is the one exception);
 * - wait/ and chaos/ do not import the runner (InterruptedError lives in harness/errors.ts); declaring params
 *   (harness/runner/params.ts) is not the runner;
 * - scenarios import only from harness/index.ts (the scenario author's API), besides node:, zod and each other.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const n of readdirSync(join(ROOT, dir))) {
    const rel = join(dir, n);
    if (statSync(join(ROOT, rel)).isDirectory()) out.push(...tsFiles(rel));
    else if (n.endsWith('.ts')) out.push(rel);
  }
  return out;
}

/** static and dynamic import specifiers of a source file (comments left out) */
function imports(src: string): string[] {
  src = src.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const re = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
  return [...src.matchAll(re)].map((m) => m[1] ?? m[2] ?? m[3]);
}

/** `store.db`, `this.store.db`, `x.db.prepare(...)`: a Store's database handle used directly */
const STORE_DB = /\bstore\.db\b(?!\w)|\.db\.(?:prepare|transaction|exec|pragma)\(/;

describe('module rules (issue 9 items 4 and 6)', () => {
  it('no Store.db outside harness/store', () => {
    const offenders: string[] = [];
    for (const d of ['harness', 'mcp', 'evals', 'scenarios', 'chaos', 'bench'])
      for (const f of tsFiles(d)) {
        if (f.startsWith('harness/store/') || f === 'evals/store.ts') continue;
        readFileSync(join(ROOT, f), 'utf8')
          .split('\n')
          .forEach((l, i) => STORE_DB.test(l) && !/^\s*(\/\/|\*)/.test(l) && offenders.push(`${f}:${i + 1}: ${l.trim()}`));
      }
    expect(offenders).toEqual([]);
  });

  it('wait/ and chaos/ do not import the runner', () => {
    const offenders: string[] = [];
    for (const d of ['harness/wait', 'harness/chaos', 'chaos'])
      for (const f of tsFiles(d))
        for (const s of imports(readFileSync(join(ROOT, f), 'utf8')))
          if (/(^|\/)runner\/(?!params\.ts$)/.test(s)) offenders.push(`${f} -> ${s}`);
    expect(offenders).toEqual([]);
  });

  it('InterruptedError is declared in harness/errors.ts', () => {
    expect(readFileSync(join(ROOT, 'harness/errors.ts'), 'utf8')).toMatch(/export class InterruptedError\b/);
  });

  it('scenarios import only from harness/index.ts (and node:, zod, one another)', () => {
    const offenders: string[] = [];
    for (const f of tsFiles('scenarios'))
      for (const s of imports(readFileSync(join(ROOT, f), 'utf8')))
        if (!(s === '../harness/index.ts' || s.startsWith('node:') || s === 'zod' || /^\.\/[a-z0-9-]+\.ts$/.test(s)))
          offenders.push(`${relative(ROOT, join(ROOT, f))} -> ${s}`);
    expect(offenders).toEqual([]);
  });

  it('the detectors find what they must', () => {
    expect(STORE_DB.test('const rows = store.db.prepare(x)')).toBe(true);
    expect(STORE_DB.test('x.db.transaction(() => 1)()')).toBe(true);
    expect(STORE_DB.test('this.store.dbPath; `--db ${s.db}`')).toBe(false);
    expect(imports("/** import('./<name>.ts') */\nimport { z } from 'zod';")).toEqual(['zod']);
    expect(imports(`import { a } from '../runner/run.ts';\nconst m = await import('./x.ts');`)).toEqual(['../runner/run.ts', './x.ts']);
  });
});
