import { mkdtempSync, writeFileSync } from 'node:fs';
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
import { UsageError } from '../../harness/errors.ts';

const fake: Check<z.ZodObject<{ bad: z.ZodDefault<z.ZodNumber> }>, { bad: number }, 'fake-broken'> = {
  name: 'fake-test-check',
  description: 'a check only this test registers',
  findingKinds: { 'fake-broken': 'something the fake saw broken' },
  params: z.object({ bad: z.number().int().min(0).default(0) }),
  collect: async (_c, p) => ({ bad: p.bad }),
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
