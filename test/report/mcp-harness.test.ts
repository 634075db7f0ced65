/**
 * The opt-in `harness` MCP toolset: not in the default selection, listed with --toolsets harness, the run tools only
 * with --allow-runs; its read-only tools answer from a seeded results database.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { harnessTools } from '../../mcp/tools/harness.ts';
import type { ToolContext } from '../../mcp/registry.ts';
import { openStore } from '../../harness/store/store.ts';
import { runCli } from '../support/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'nh-mcp-harness-'));
const db = join(dir, 'nh.db');
const ids: string[] = [];
const ctx = { budgetBytes: 1 << 20, timeoutMs: 10_000 } as unknown as ToolContext; // the harness tools use no target

beforeAll(() => {
  const store = openStore(db);
  try {
    for (const [i, slow] of [1, 1, 3].entries()) {
      const id = store.createRun({ kind: 'scenario', name: 'corenet-6498', target: 'sim', startedAt: `2026-12-0${i + 1}T10:00:00.000Z` });
      for (const [k, v] of [0.5, 0.6, 0.55, 0.52].entries())
        store.recordMeasurement(id, {
          name: 'failover_seconds',
          value: v * slow,
          unit: 's',
          labels: { scenario: 'node-reboot', iteration: String(k + 1) },
        });
      store.recordCheck(id, {
        name: 'egressip',
        status: 'failed',
        durationMs: 5,
        findings: [{ kind: 'missing-snat', node: 'w1', pod: 'p', namespace: 'n' }],
      });
      store.finishRun(id, 'passed', {});
      ids.push(id);
    }
  } finally {
    store.close();
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('mcp --toolsets harness', () => {
  it('is opt-in: not in the default list; its run tools only with --allow-runs', async () => {
    const def = await runCli(['mcp', '--list-tools']);
    expect(def.code, def.stderr).toBe(0);
    expect(def.stdout).not.toMatch(/harness_/);
    const ro = await runCli(['mcp', '--toolsets', 'harness', '--db', db, '--list-tools']);
    expect(ro.code, ro.stderr).toBe(0);
    expect(ro.stdout.match(/^harness_\S+/gm)?.sort()).toEqual([
      'harness_compare',
      'harness_run_show',
      'harness_runs_list',
      'harness_trend',
    ]);
    const rw = await runCli(['mcp', '--toolsets', 'harness', '--allow-runs', '--list-tools']);
    expect(rw.stdout).toMatch(/^harness_run_start /m);
    expect(rw.stdout).toMatch(/^harness_run_status /m);
    const bad = await runCli(['mcp', '--allow-runs', '--list-tools']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--allow-runs needs --toolsets harness/);
  }, 90_000);

  it('lists runs, shows summary / findings, compares and trends from the database', async () => {
    const tools = Object.fromEntries(harnessTools({ dbPath: db, allowRuns: true }).map((t) => [t.name, t]));
    const list = await tools.harness_runs_list.call(ctx, { limit: 5 });
    expect((JSON.parse(list.text) as { id: string }[]).map((r) => r.id)).toEqual([...ids].reverse());
    const show = await tools.harness_run_show.call(ctx, { run: 'latest' });
    expect(show.isError).toBeFalsy();
    expect(show.text).toContain(ids[2]);
    expect(show.text).toMatch(/\| missing-snat \| 1 \|/);
    const findings = await tools.harness_run_show.call(ctx, { run: ids[0].slice(0, 8), part: 'findings' });
    expect((JSON.parse(findings.text) as { kind: string; node: string }[])[0]).toMatchObject({ kind: 'missing-snat', node: 'w1' });
    const cmp = await tools.harness_compare.call(ctx, { base: ids[0], new: ids[2] });
    expect((JSON.parse(cmp.text) as { regressions: string[] }).regressions).toEqual(['node-reboot/failover_seconds']);
    const tr = await tools.harness_trend.call(ctx, { scenario: 'corenet-6498', measurement: 'failover_seconds' });
    expect((JSON.parse(tr.text) as { points: unknown[] }[])[0].points.length).toBe(3);
    const bad = await tools.harness_run_show.call(ctx, { run: 'zz' });
    expect(bad.isError).toBe(true);
    const extra = await tools.harness_compare.call(ctx, { base: ids[0], new: ids[1], sql: 'drop' });
    expect(extra.isError).toBe(true); // strict inputs
    const unknown = await tools.harness_run_start.call(ctx, { scenario: 'no-such' });
    expect(unknown.isError).toBe(true);
    expect(unknown.text).toMatch(/unknown scenario 'no-such' \(have: .*corenet-6498/);
    const poll = await tools.harness_run_status.call(ctx, { job: 7 });
    expect(poll.isError).toBe(true);
  });
});
