/**
 * compare on two real quick runs of corenet-6498 (node-reboot only) on the embedded cluster: a healthy one through
 * the CLI, and one with the fault ovnkube-slow-nb-sync (every ovnkube-controller reconcile waits) started through
 * the opt-in harness MCP toolset (`mcp --toolsets harness --allow-runs`, a real SDK client over stdio, served with
 * no cluster connection) and polled with harness_run_status. compare of healthy vs slowed exits 1 and names
 * node-reboot/convergence_seconds; the same run against itself exits 0.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { connectMcp } from '../support/mcp.ts';
import { runCli } from '../support/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'nh-slow-fault-'));
const db = join(dir, 'nh.db');
/** cluster seconds per reconcile; the quick preset runs at speed 60, so 4 s of real time */
const SLOW_SECONDS = 240;
let healthy = '';
let client: Client;
let serverLog = '';

type TextContent = { type: string; text: string };
const call = async (name: string, args: Record<string, unknown>): Promise<{ text: string; isError: boolean }> => {
  const r = (await client.callTool({ name, arguments: args })) as { content: TextContent[]; isError?: boolean };
  return { text: r.content[0]?.text ?? '', isError: r.isError === true };
};

beforeAll(async () => {
  const r = await runCli(['scenario', 'corenet-6498', '--quick', '--param', 'scenarios=node-reboot', '--db', db]);
  const m = /run ([0-9a-f-]{36})/.exec(r.stdout + r.stderr);
  if (r.code !== 0 || !m) throw new Error(`healthy quick run failed (exit ${r.code}): ${(r.stdout + r.stderr).slice(-1500)}`);
  healthy = m[1];
  // a kubeconfig that does not exist: the harness-only server must not need one
  client = await connectMcp(['--toolsets', 'harness', '--allow-runs', '--db', db], {
    name: 'slow-fault-test',
    env: { ...(process.env as Record<string, string>), KUBECONFIG: join(dir, 'no-such-kubeconfig') },
    onStderr: (s) => (serverLog += s),
  });
}, 300_000);

afterAll(async () => {
  await client?.close().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

describe('a slowing fault through the harness MCP toolset, then compare', () => {
  let slowed = '';

  it('mcp --toolsets harness serves with no cluster connection', async () => {
    const names = (await client.listTools()).tools.map((t) => t.name).sort();
    expect(names).toEqual([
      'harness_compare',
      'harness_run_show',
      'harness_run_start',
      'harness_run_status',
      'harness_runs_list',
      'harness_trend',
    ]);
    expect(serverLog).toMatch(/serving 6 tools for no cluster/);
  });

  it('harness_run_start runs a real quick scenario with the fault; harness_run_status polls it to exit 0 with its run id', async () => {
    const bad = await call('harness_run_start', { scenario: 'corenet-6498', params: { 'bad key': 'x' } });
    expect(bad.isError).toBe(true);
    const start = await call('harness_run_start', {
      scenario: 'corenet-6498',
      quick: true,
      params: { scenarios: 'node-reboot', fault: 'ovnkube-slow-nb-sync', faultValue: JSON.stringify({ seconds: SLOW_SECONDS }) },
    });
    expect(start.isError, start.text).toBe(false);
    const { job } = JSON.parse(start.text) as { job: number };
    let status: { state: string; exitCode: number | null; runId: string | null; tail: string[] } | undefined;
    let sawRunning = false;
    const deadline = Date.now() + 400_000;
    while (Date.now() < deadline) {
      const s = await call('harness_run_status', { job });
      expect(s.isError, s.text).toBe(false);
      status = JSON.parse(s.text) as typeof status;
      if (status?.state === 'running') sawRunning = true;
      if (status?.state === 'exited') break;
      await new Promise((r) => setTimeout(r, 2000));
    }
    expect(sawRunning).toBe(true);
    expect(status?.state, JSON.stringify(status?.tail)).toBe('exited');
    expect(status?.exitCode, status?.tail.join('\n')).toBe(0); // slow, not broken: the run passes
    expect(status?.runId).toMatch(/^[0-9a-f-]{36}$/);
    slowed = status?.runId ?? '';
    const list = JSON.parse((await call('harness_runs_list', { limit: 5 })).text) as { id: string; verdict: string }[];
    expect(list.map((r) => r.id)).toEqual([slowed, healthy]);
    const show = await call('harness_run_show', { run: slowed.slice(0, 8) });
    expect(show.text).toContain(slowed);
    expect(show.text).toContain('ovnkube-slow-nb-sync');
  }, 480_000);

  it('compare healthy vs slowed exits 1 naming the slowed convergence; a run with itself exits 0', async () => {
    expect(slowed).not.toBe('');
    const r = await runCli(['compare', healthy, slowed, '--db', db, '--json']);
    expect(r.code, r.stderr).toBe(1);
    const j = JSON.parse(r.stdout) as { regressions: string[]; comparisons: { key: string; delta: number | null; verdict: string }[] };
    expect(j.regressions).toContain('node-reboot/convergence_seconds');
    // every reconcile after the reboot waits SLOW_SECONDS / 60 = 4 s
    const conv = j.comparisons.find((c) => c.key === 'node-reboot/convergence_seconds');
    expect(conv?.delta).toBeGreaterThan(3);
    const text = await runCli(['compare', healthy, slowed, '--db', db]);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/^REGRESSION: .*node-reboot\/convergence_seconds/m);
    const viaMcp = JSON.parse((await call('harness_compare', { base: healthy, new: slowed })).text) as { regressions: string[] };
    expect(viaMcp.regressions).toEqual(j.regressions);
    const same = await runCli(['compare', slowed, slowed, '--db', db]);
    expect(same.code, same.stdout).toBe(0);
  }, 120_000);
});
