import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { getCheck, listChecks, registerCheck } from '../../harness/checks/registry.ts';
import { runCheck } from '../../harness/checks/run.ts';
import type { Check } from '../../harness/checks/types.ts';
import type { Cluster } from '../../harness/cluster/connect.ts';
import { registerCheck as registerCheckCommand } from '../../harness/commands/check.ts';
import { InfraError, UsageError } from '../../harness/errors.ts';
import { registerRuns } from '../../harness/commands/runs.ts';
import { openStore } from '../../harness/store/store.ts';
import { waitForCheck } from '../../harness/wait/index.ts';

const fake: Check<z.ZodObject<{ bad: z.ZodDefault<z.ZodNumber>; boom: z.ZodDefault<z.ZodBoolean> }>, { bad: number }, 'fake-broken'> = {
  name: 'fake-test-check',
  description: 'a check only this test registers',
  findingKinds: { 'fake-broken': 'something the fake saw broken' },
  params: z.object({ bad: z.number().int().min(0).default(0), boom: z.boolean().default(false) }),
  collect: async (_c, p) => {
    if (p.boom) throw new InfraError('fake: cluster unreachable');
    return { bad: p.bad };
  },
  evaluate: (o) =>
    Array.from({ length: o.bad }, (_, i) => ({ kind: 'fake-broken' as const, subject: `node-${i}`, message: `broken ${i}` })),
  summarise: (o, f) => ({ headline: `fake: ${f.length} broken`, counts: { bad: o.bad } }),
};

let unregister: (() => void) | undefined;
afterEach(() => {
  unregister?.();
  unregister = undefined;
});

describe('check registry', () => {
  it('lists egressip and ptp; rejects duplicate names', () => {
    const names = listChecks().map((c) => c.name);
    expect(names).toContain('egressip');
    expect(names).toContain('ptp');
    expect(() => registerCheck(getCheck('egressip') as Check<never, never, string>)).toThrow(/twice/);
  });

  it('a fake check registered in a test appears in `check list --json` and can be removed again', async () => {
    unregister = registerCheck(fake as unknown as Check<never, never, string>);
    const out: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => (out.push(String(s)), true));
    try {
      const program = new Command().exitOverride();
      registerCheckCommand(program);
      await program.parseAsync(['node', 'x', 'check', 'list', '--json']);
    } finally {
      spy.mockRestore();
    }
    const rows = JSON.parse(out.join('')) as { name: string; findingKinds: Record<string, string> }[];
    const row = rows.find((r) => r.name === 'fake-test-check');
    expect(row?.findingKinds).toEqual({ 'fake-broken': 'something the fake saw broken' });
    unregister();
    unregister = undefined;
    expect(getCheck('fake-test-check')).toBeUndefined();
  });

  it('a fake check registered in a test runs as `check <name> --param k=v --json` (CheckResult, exit code 1 on findings)', async () => {
    unregister = registerCheck(fake as unknown as Check<never, never, string>);
    const dir = mkdtempSync(join(tmpdir(), 'nh-fake-check-'));
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]\nusers: [{name: u, user: {}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n',
    );
    const out: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => (out.push(String(s)), true));
    const before = process.exitCode;
    let code: typeof process.exitCode;
    try {
      const program = new Command().exitOverride();
      registerCheckCommand(program);
      await program.parseAsync(['node', 'x', 'check', 'fake-test-check', '--kubeconfig', kubeconfig, '--param', 'bad=3', '--json']);
      code = process.exitCode;
    } finally {
      spy.mockRestore();
      process.exitCode = before;
    }
    const r = JSON.parse(out.join('')) as { check: string; passed: boolean; findings: { kind: string }[] };
    expect(r.check).toBe('fake-test-check');
    expect(r.passed).toBe(false);
    expect(r.findings).toHaveLength(3);
    expect(code).toBe(1);
  });

  it('runCheck validates params (usage error names the field) and computes the verdict from findings', async () => {
    const c = fake as unknown as Check<never, never, string>;
    const cluster = {} as Cluster;
    const ok = await runCheck(c, cluster, {});
    expect(ok.passed).toBe(true);
    const bad = await runCheck(c, cluster, { bad: 2 });
    expect(bad.passed).toBe(false);
    expect(bad.findings.map((f) => f.subject)).toEqual(['node-0', 'node-1']);
    expect(bad.summary).toEqual({ headline: 'fake: 2 broken', counts: { bad: 2 } });
    await expect(runCheck(c, cluster, { bad: -1 })).rejects.toThrow(UsageError);
    await expect(runCheck(c, cluster, { bad: -1 })).rejects.toThrow(/param bad/);
  });
});

/** Run the CLI in-process (commander), capturing stdout and the exit code. */
async function cli(register: (p: Command) => void, argv: string[]): Promise<{ out: string; code: typeof process.exitCode }> {
  const out: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => (out.push(String(s)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  const before = process.exitCode;
  try {
    const program = new Command().exitOverride();
    register(program);
    await program.parseAsync(['node', 'x', ...argv]);
    return { out: out.join(''), code: process.exitCode };
  } finally {
    spy.mockRestore();
    err.mockRestore();
    process.exitCode = before;
  }
}

function tmpKubeconfig(): { dir: string; kubeconfig: string } {
  const dir = mkdtempSync(join(tmpdir(), 'nh-fake-check-'));
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]\nusers: [{name: u, user: {}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n',
  );
  return { dir, kubeconfig };
}

describe('a check run is recorded like a scenario run', () => {
  it('`check <fake> --db` records runs.kind=check with its findings; `runs list --kind check` and `runs show` see it', async () => {
    unregister = registerCheck(fake as unknown as Check<never, never, string>);
    const { dir, kubeconfig } = tmpKubeconfig();
    const db = join(dir, 'nh.db');
    const r = await cli(registerCheckCommand, [
      'check',
      'fake-test-check',
      '--kubeconfig',
      kubeconfig,
      '--db',
      db,
      '--param',
      'bad=2',
      '--json',
    ]);
    expect(r.code).toBe(1);
    const res = JSON.parse(r.out) as { runId: string; findings: unknown[] };
    expect(res.findings).toHaveLength(2);
    const store = openStore(db);
    const d = store.getRun(res.runId);
    store.close();
    expect(d.run).toMatchObject({ kind: 'check', name: 'fake-test-check', verdict: 'failed', params: { bad: 2 } });
    expect(d.run.target).toContain(kubeconfig);
    expect(d.checks).toEqual([expect.objectContaining({ name: 'fake-test-check', status: 'failed', summary: 'fake: 2 broken' })]);
    expect(d.findings.map((f) => [f.check, f.kind, f.subject, f.message])).toEqual([
      ['fake-test-check', 'fake-broken', 'node-0', 'broken 0'],
      ['fake-test-check', 'fake-broken', 'node-1', 'broken 1'],
    ]);
    const list = await cli(registerRuns, ['runs', 'list', '--db', db, '--kind', 'check', '--json']);
    expect((JSON.parse(list.out) as { id: string; kind: string }[]).map((x) => [x.id, x.kind])).toEqual([[res.runId, 'check']]);
    const none = await cli(registerRuns, ['runs', '--db', db, '--kind', 'scenario', '--json']);
    expect(JSON.parse(none.out)).toEqual([]);
    const show = await cli(registerRuns, ['runs', 'show', res.runId.slice(0, 8), '--db', db]);
    expect(show.out).toMatch(/check fake-test-check/);
    expect(show.out).toMatch(/fake-broken +node-0/);
    await expect(cli(registerRuns, ['runs', 'list', '--db', db, '--kind', 'bogus'])).rejects.toThrow(
      /--kind: expected one of scenario, eval, check/,
    );
  });

  it('a passing run is recorded passed; an infra error is recorded as verdict error (and rethrown); a usage error records nothing', async () => {
    unregister = registerCheck(fake as unknown as Check<never, never, string>);
    const { dir, kubeconfig } = tmpKubeconfig();
    const db = join(dir, 'nh.db');
    const ok = await cli(registerCheckCommand, ['check', 'fake-test-check', '--kubeconfig', kubeconfig, '--db', db, '--json']);
    expect(ok.code).toBe(0);
    await expect(
      cli(registerCheckCommand, ['check', 'fake-test-check', '--kubeconfig', kubeconfig, '--db', db, '--param', 'boom=true']),
    ).rejects.toThrow(/cluster unreachable/);
    await expect(
      cli(registerCheckCommand, ['check', 'fake-test-check', '--kubeconfig', kubeconfig, '--db', db, '--param', 'bad=-1']),
    ).rejects.toThrow(/param bad/);
    const store = openStore(db);
    const runs = store.listRuns({ kind: 'check' });
    expect(runs.map((x) => x.verdict)).toEqual(['error', 'passed']);
    expect(runs[0].summary).toMatchObject({ error: 'fake: cluster unreachable' });
    expect(store.getRun(runs[0].id).checks[0]).toMatchObject({ status: 'error' });
    store.close();
    // --no-record leaves the database alone
    await cli(registerCheckCommand, ['check', 'fake-test-check', '--kubeconfig', kubeconfig, '--db', join(dir, 'other.db'), '--no-record']);
    expect(existsSync(join(dir, 'other.db'))).toBe(false);
  });
});

describe('the convergence waits take any registered check', () => {
  /** a fake that converges: its i-th collect sees `start - i` broken things */
  function converging(start: number): typeof fake {
    let calls = 0;
    return { ...fake, name: 'fake-converging', collect: async () => ({ bad: Math.max(0, start - calls++) }) };
  }

  it('waitForCheck(name) runs a fake registered in the test until it passes', async () => {
    unregister = registerCheck(converging(3) as unknown as Check<never, never, string>);
    const w = await waitForCheck({} as Cluster, 'fake-converging', { timeoutMs: 10_000, intervalMs: 5 });
    expect(w.passed).toBe(true);
    expect(w.attempts).toBe(4);
    expect(w.result).toMatchObject({ check: 'fake-converging', passed: true, findings: [] });
  });

  it('a check that does not converge returns the last result at the timeout (a verdict, not an infra error)', async () => {
    unregister = registerCheck(converging(1000) as unknown as Check<never, never, string>);
    const seen: number[] = [];
    const w = await waitForCheck({} as Cluster, 'fake-converging', {
      timeoutMs: 60,
      intervalMs: 10,
      onAttempt: (r) => seen.push(r.findings.length),
    });
    expect(w.passed).toBe(false);
    expect(w.result.passed).toBe(false);
    expect(w.result.findings.length).toBeGreaterThan(0);
    expect(seen.length).toBe(w.attempts);
  });

  it('an unknown check name or bad params are usage errors, not retried', async () => {
    unregister = registerCheck(fake as unknown as Check<never, never, string>);
    await expect(waitForCheck({} as Cluster, 'no-such-check', { timeoutMs: 1000 })).rejects.toThrow(
      /no check 'no-such-check' \(registered: .*fake-test-check/,
    );
    await expect(waitForCheck({} as Cluster, 'fake-test-check', { timeoutMs: 1000, params: { bad: 'x' } })).rejects.toThrow(UsageError);
    const w = await waitForCheck({} as Cluster, 'fake-test-check', { timeoutMs: 1000, params: { bad: 0 } });
    expect(w).toMatchObject({ passed: true, attempts: 1 });
  });
});
