/**
 * The CLI's start stays cheap: a command's definition (its help, its flags) loads commander and small modules,
 * and the implementation (client-node, the AI SDK, the MCP SDK, ECharts, playwright-core, zod schemas) is
 * imported by the action that needs it. Each start below logs every module it loads (test/support/load-log.mjs).
 */
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, ROOT } from '../support/cli.ts';
import { tempDir } from '../support/tmp.ts';
import { PTP_CHECK_DESCRIPTION } from '../../harness/checks/ptp/cli.ts';
import { ptpCheck } from '../../harness/checks/ptp/index.ts';
import { openStore } from '../../harness/store/store.ts';

const HEAVY = ['@kubernetes/client-node', 'ai', '@ai-sdk', '@modelcontextprotocol/sdk', 'echarts', 'playwright-core', 'zod', 'zx'];

/** the node_modules packages a `netharness <args>` start loads, and its exit code */
function packagesLoaded(args: string[]): { code: number | null; packages: Set<string>; stdout: string } {
  const log = join(tempDir('nh-loadlog-'), 'loaded.txt');
  const r = spawnSync(process.execPath, ['--import', join(ROOT, 'test', 'support', 'load-log.mjs'), ...CLI, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, NH_LOAD_LOG: log },
    timeout: 60_000,
  });
  const urls = readFileSync(log, 'utf8').split('\n');
  const packages = new Set(urls.flatMap((u) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(u)?.[1] ?? []));
  return { code: r.status, packages, stdout: r.stdout };
}

const heavyIn = (packages: Set<string>): string[] => [...packages].filter((p) => HEAVY.some((h) => p === h || p.startsWith(`${h}/`)));

describe('CLI start', () => {
  it('--help, check egressip --help and sim --help load none of the heavy packages', () => {
    for (const args of [['--help'], ['check', 'egressip', '--help'], ['sim', '--help']]) {
      const r = packagesLoaded(args);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout).toMatch(/^Usage: netharness/);
      expect(heavyIn(r.packages), args.join(' ')).toEqual([]);
      expect(r.packages.has('commander')).toBe(true);
    }
  });

  it('runs list on an empty database loads better-sqlite3 and nothing heavy', () => {
    const db = join(tempDir('nh-lazy-db-'), 'empty.db');
    openStore(db).close();
    const r = packagesLoaded(['runs', 'list', '--db', db]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('no runs recorded\n');
    expect(r.packages.has('better-sqlite3')).toBe(true);
    expect(heavyIn(r.packages)).toEqual([]);
  });

  it('a command that needs its implementation loads it (the detector sees client-node)', () => {
    const r = packagesLoaded(['check', 'egressip', '--kubeconfig', join(ROOT, 'no-such-kubeconfig'), '--no-record']);
    expect(r.code).toBe(2);
    expect(heavyIn(r.packages)).toContain('@kubernetes/client-node');
  });

  it("check ptp's help text is the check's own description", () => {
    expect(PTP_CHECK_DESCRIPTION).toBe(ptpCheck.description);
  });
});
