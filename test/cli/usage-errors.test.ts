/**
 * Every bad flag or param of `scenario` exits 2 before anything exists: no run row, no run directory, no sim
 * work directory, no cluster object. The error is the first line printed and names the field; with --json,
 * stdout carries a JSON error object.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../harness/store/store.ts';
import { ROOT, quickScenarioArgs, runCli, stopSim } from '../support/cli.ts';

const base = mkdtempSync(join(tmpdir(), 'nh-usage-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
const KUBECONFIG = join(ROOT, 'test', 'harness', 'fixtures', 'kubeconfig.yaml');
const notKubeconfig = join(base, 'not-a-kubeconfig.txt');
writeFileSync(notKubeconfig, 'this is a shopping list, not a kubeconfig\n');
const aFile = join(base, 'a-file');
writeFileSync(aFile, 'x');

interface Case {
  name: string;
  args: (dir: string) => string[];
  /** the first stderr line must match */
  first: RegExp;
}

const CASES: Case[] = [
  { name: '--port 0', args: () => ['--port', '0'], first: /--port: expected a TCP port 1\.\.65535, got '0'/ },
  { name: '--port 70000', args: () => ['--port', '70000'], first: /--port: expected a TCP port 1\.\.65535/ },
  { name: '--port abc', args: () => ['--port', 'abc'], first: /--port: expected a TCP port/ },
  { name: '--context without --kubeconfig', args: () => ['--context', 'x'], first: /--context needs --kubeconfig/ },
  {
    name: '--context not in the kubeconfig',
    args: () => ['--kubeconfig', KUBECONFIG, '--context', 'nope'],
    first: /--context: no context 'nope'/,
  },
  { name: '--kubeconfig that is not one', args: () => ['--kubeconfig', notKubeconfig], first: /kubeconfig/ },
  { name: '--kubeconfig missing', args: (d) => ['--kubeconfig', join(d, 'nope.yaml')], first: /--kubeconfig: no file at/ },
  { name: 'namespacePrefix too long', args: () => ['--param', `namespacePrefix=${'a'.repeat(51)}`], first: /namespacePrefix.*at most 50/ },
  { name: 'empty image', args: () => ['--param', 'image='], first: /image.*not empty/ },
  { name: 'eips=0x2', args: () => ['--param', 'eips=0x2'], first: /--param eips=0x2: expected integer/ },
  { name: 'eips=2e0', args: () => ['--param', 'eips=2e0'], first: /--param eips=2e0: expected integer/ },
  { name: 'eips=1.5', args: () => ['--param', 'eips=1.5'], first: /--param eips=1\.5: expected integer/ },
  { name: 'unknown param', args: () => ['--param', 'pods=3'], first: /unknown param 'pods'/ },
  { name: 'bad enum', args: () => ['--param', 'ipStack=ipv5'], first: /ipStack/ },
  { name: '--db under a file', args: () => ['--db', join(aFile, 'nh.db')], first: /--db: .* is a file, not a directory/ },
  { name: '--workdir under a file', args: () => ['--workdir', join(aFile, 'sim')], first: /--workdir: .* is a file, not a directory/ },
  {
    // corenet-6498 --quick sizes its embedded cluster 3+3
    name: 'egressNodes above the embedded cluster workers',
    args: () => ['--param', 'egressNodes=4'],
    first: /param egressNodes: 4 asked for, but the embedded cluster of this scenario \(--nodes 3\+3\) has 3 worker nodes/,
  },
  {
    name: '--port with --kubeconfig',
    args: () => ['--kubeconfig', KUBECONFIG, '--port', '6443'],
    first: /--port is for the embedded cluster/,
  },
];

describe('scenario usage errors before side effects', { timeout: 300_000 }, () => {
  for (const c of CASES) {
    it(`${c.name}: exit 2, first line names it, nothing created`, async () => {
      // each case makes its own fixtures: a shared one vanished once under a full parallel run
      mkdirSync(base, { recursive: true });
      const dir = mkdtempSync(join(base, 'case-'));
      writeFileSync(notKubeconfig, 'this is a shopping list, not a kubeconfig\n');
      writeFileSync(aFile, 'x');
      const db = join(dir, 'nh.db');
      const workdir = join(dir, 'sim');
      const extra = c.args(dir);
      const args = ['scenario', 'corenet-6498', '--quick', ...(extra.includes('--db') ? [] : ['--db', db])];
      if (!extra.includes('--workdir') && !extra.includes('--kubeconfig')) args.push('--workdir', workdir);
      const r = await runCli([...args, ...extra, '--json']);
      expect(r.code, r.stderr).toBe(2);
      const firstLine = r.stderr.split('\n').find((l) => l.trim()) ?? '';
      expect(firstLine).toMatch(/^error: /);
      expect(firstLine).toMatch(c.first);
      const j = JSON.parse(r.stdout) as { error: { message: string; exitCode: number } };
      expect(j.error.exitCode).toBe(2);
      expect(j.error.message).toMatch(c.first);
      // nothing exists: no run row, no run directory, no sim work directory
      if (existsSync(db)) {
        const store = openStore(db);
        expect(store.listRuns()).toEqual([]);
        store.close();
      }
      expect(existsSync(join(dir, 'runs'))).toBe(false);
      expect(existsSync(workdir)).toBe(false);
    });
  }
});

describe('usage errors that need the live cluster, before side effects', { timeout: 300_000 }, () => {
  // a live cluster given with --kubeconfig: the embedded one, API only (its nodes are there, nothing runs on them)
  const simDir = join(base, 'live-sim');
  let kubeconfig = '';
  const kubectl = (args: string[]): string => execFileSync('kubectl', ['--kubeconfig', kubeconfig, ...args], { encoding: 'utf8' });
  beforeAll(async () => {
    const r = await runCli(['sim', '--detach', '--api-only', '--nodes', '1+2', '--workdir', simDir]);
    const m = /KUBECONFIG=(\S+)/.exec(r.stdout);
    if (r.code !== 0 || !m) throw new Error(`sim did not start (exit ${r.code}): ${r.stderr.slice(-800)}`);
    kubeconfig = m[1];
  });
  afterAll(() => stopSim(simDir));

  it('egressNodes above the workers of a live cluster: exit 2 naming it, no run row or directory, nothing on the cluster', async () => {
    const dir = mkdtempSync(join(base, 'live-'));
    const db = join(dir, 'nh.db');
    const before = {
      ns: kubectl(['get', 'ns', '-o', 'name']),
      labels: kubectl(['get', 'nodes', '-o', 'jsonpath={.items[*].metadata.labels}']),
    };
    const r = await runCli(quickScenarioArgs('corenet-6498', { kubeconfig, db, params: { egressNodes: 3 }, json: true }));
    expect(r.code, r.stderr).toBe(2);
    const firstLine = r.stderr.split('\n').find((l) => l.trim()) ?? '';
    expect(firstLine).toMatch(/^error: param egressNodes: 3 asked for, but the cluster at https:\/\/127\.0\.0\.1:\d+ has 2 worker nodes/);
    expect((JSON.parse(r.stdout) as { error: { exitCode: number } }).error.exitCode).toBe(2);
    if (existsSync(db)) {
      const store = openStore(db);
      expect(store.listRuns()).toEqual([]);
      store.close();
    }
    expect(existsSync(join(dir, 'runs'))).toBe(false);
    expect({
      ns: kubectl(['get', 'ns', '-o', 'name']),
      labels: kubectl(['get', 'nodes', '-o', 'jsonpath={.items[*].metadata.labels}']),
    }).toEqual(before);

    // the boundary: as many as there are workers passes this check (the run then starts and is recorded)
    const ok = await runCli(quickScenarioArgs('corenet-6498', { kubeconfig, db, params: { egressNodes: 2, timeoutSeconds: 1 } }));
    expect(ok.stderr).not.toMatch(/param egressNodes/);
    const store = openStore(db);
    expect(store.listRuns().length).toBe(1);
    store.close();
  });
});
