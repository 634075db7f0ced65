import { existsSync, writeFileSync } from 'node:fs';
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
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { createMcpServer } from '../../mcp/server.ts';
import { selectTools } from '../../mcp/tools/index.ts';
import { runCheckOnTarget } from '../../mcp/consistency.ts';
import { FakeTarget, sampleObjects } from '../mcp/fake-target.ts';
import { tempDir } from '../support/tmp.ts';

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
    const dir = tempDir('nh-fake-check-');
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
      await program.parseAsync([
        'node',
        'x',
        'check',
        'fake-test-check',
        '--kubeconfig',
        kubeconfig,
        '--param',
        'bad=3',
        '--json',
        '--no-record',
      ]); // never the user's default database
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
  const dir = tempDir('nh-fake-check-');
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

describe('the MCP tool list derives from the registry', () => {
  /** A fake that collects through the read-only source: every node without the egress-assignable label is "broken". */
  const mcpFake: Check<z.ZodObject<{ nodes: z.ZodOptional<z.ZodArray<z.ZodString>> }>, { nodes: string[] }, 'fake-broken'> = {
    name: 'fake-mcp-check',
    description: 'a check only this test registers, with a read-only collect',
    findingKinds: { 'fake-broken': 'a node without the egress-assignable label' },
    params: z.strictObject({ nodes: z.array(z.string()).optional() }),
    collect: async () => {
      throw new Error('not used through MCP');
    },
    async collectFrom(src, p) {
      const nodes = await src.list({ apiVersion: 'v1', kind: 'Node' });
      // one allow-listed read per node, through the server's argv guard
      for (const n of nodes) await src.nodeExec(n.metadata?.name ?? '', 'nbdb', ['ovn-nbctl', 'show']);
      return {
        nodes: nodes
          .filter((n) => n.metadata?.labels?.['k8s.ovn.org/egress-assignable'] === undefined)
          .map((n) => n.metadata?.name ?? '')
          .filter((n) => !p.nodes || p.nodes.includes(n)),
      };
    },
    evaluate: (o) =>
      o.nodes.map((n) => ({ kind: 'fake-broken' as const, subject: `node/${n}`, node: n, message: `${n} is not egress-assignable` })),
    summarise: (o, f) => ({ headline: `fake-mcp: ${f.length} broken`, counts: { broken: o.nodes.length } }),
    mcp: { nodes: true, reads: [{ group: '', resource: 'nodes' }], exec: 'openshift-ovn-kubernetes' },
  };
  /** A fake whose collect tries a write: the server's guard refuses it before anything runs. */
  const writer: typeof mcpFake = {
    ...mcpFake,
    name: 'fake-writer',
    async collectFrom(src) {
      await src.nodeExec('ovn-worker', 'nbdb', ['ovn-nbctl', 'lr-nat-del', 'GR_ovn-worker']);
      return { nodes: [] };
    },
  };
  const reg: (() => void)[] = [];
  afterEach(() => {
    while (reg.length) reg.pop()!();
  });

  async function client(target: FakeTarget, withChecks = true) {
    const server = createMcpServer({ target, tools: selectTools(), ...(withChecks ? { consistencyCheck: runCheckOnTarget } : {}) });
    const [a, b] = InMemoryTransport.createLinkedPair();
    await server.connect(a);
    const c = new Client({ name: 'test', version: '0' });
    await c.connect(b);
    return c;
  }
  const textOf = (r: unknown) => (r as { content: { text: string }[] }).content[0]?.text ?? '';

  it('a fake check registered in a test is an MCP tool (listed read-only, runs its collectFrom through the target) and goes again', async () => {
    expect(selectTools().map((t) => t.name)).not.toContain('fake_mcp_check');
    reg.push(registerCheck(mcpFake as unknown as Check<never, never, string>));
    const tool = selectTools().find((t) => t.name === 'fake_mcp_check');
    expect(tool).toMatchObject({ toolset: 'analysis', exec: 'openshift-ovn-kubernetes' });
    expect(tool!.reads).toContainEqual({ group: '', resource: 'nodes' });
    expect(tool!.description).toContain('fake-broken');
    const target = new FakeTarget(sampleObjects(), () => ({ stdout: 'switch x\n' }));
    const c = await client(target);
    const listed = (await c.listTools()).tools.find((t) => t.name === 'fake_mcp_check');
    expect(listed?.annotations).toMatchObject({ readOnlyHint: true, destructiveHint: false });
    const r = await c.callTool({ name: 'fake_mcp_check', arguments: {} });
    expect(r.isError).toBeFalsy();
    expect(textOf(r)).toMatch(
      /^fake-mcp: 1 broken\nfake-broken node=ovn-worker2 subject=node\/ovn-worker2: ovn-worker2 is not egress-assignable$/,
    );
    expect(target.calls.filter((x) => x.op === 'nodeExec')).toHaveLength(2);
    const j = JSON.parse(textOf(await c.callTool({ name: 'fake_mcp_check', arguments: { nodes: ['ovn-worker'], format: 'json' } })));
    expect(j).toEqual({ check: 'fake-mcp-check', passed: true, counts: { broken: 0 }, findings: [] });
    const bad = await c.callTool({ name: 'fake_mcp_check', arguments: { nodes: ['--all'] } });
    expect(bad.isError).toBe(true);
    await c.close();
    reg.pop()!();
    expect(selectTools().map((t) => t.name)).not.toContain('fake_mcp_check');
  });

  it('without the check runner the tool says it is not available; a collect that tries a write is refused by the argv guard', async () => {
    reg.push(registerCheck(mcpFake as unknown as Check<never, never, string>));
    reg.push(registerCheck(writer as unknown as Check<never, never, string>));
    const off = await client(new FakeTarget(sampleObjects()), false);
    const na = await off.callTool({ name: 'fake_mcp_check', arguments: {} });
    expect(na.isError).toBe(true);
    expect(textOf(na)).toMatch(/not available/);
    await off.close();
    const target = new FakeTarget(sampleObjects());
    const c = await client(target);
    const w = await c.callTool({ name: 'fake_writer_check', arguments: {} });
    expect(w.isError).toBe(true);
    expect(textOf(w)).toMatch(/refused to run/);
    expect(target.calls.filter((x) => x.op === 'nodeExec')).toEqual([]);
    await c.close();
  });

  it('egressip and ptp are the built-in MCP check tools (egressip_consistency_check, ptp_check), both with a read-only collect', () => {
    const names = selectTools().map((t) => t.name);
    expect(names).toContain('egressip_consistency_check');
    expect(names.filter((n) => n.endsWith('_check')).sort()).toEqual(['egressip_consistency_check', 'ptp_check']);
  });
});
