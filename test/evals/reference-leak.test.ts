/**
 * Must show: the reference agent (the default agent) solves every case of evals/cases at every level
 * (detection, localization, category, mechanism, remediation) and every no-fault control, on one embedded
 * cluster (`netharness eval --json`). And the leak test: no recorded tool output of that run (the
 * eval_tool_calls rows) names a fault id, the fault library's ConfigMaps, a library fault's title or a case's
 * id or title; a scripted agent that asks the eval's MCP server for the fault library ConfigMap (and for the
 * OVN-Kubernetes and PTP daemon logs) gets nothing that names a fault.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAULTS, FAULTS_CATALOGUE_CONFIGMAP, FAULTS_CONFIGMAP } from '../../faults/index.ts';
import { loadCases } from '../../evals/cases/loader.ts';
import { ROOT, runCli, type CliResult } from '../support/cli.ts';

interface TrialOut {
  case: string;
  status: string;
  passed: boolean | null;
  scores: Record<string, number | null> | null;
  effort: { toolCalls: number; resultBytes?: number; seconds: number };
  infraError: string | null;
}
interface RunOut {
  runId: string;
  trials: TrialOut[];
  summary: { wallSeconds: number; passed: number; scored: number };
}

const dir = mkdtempSync(join(tmpdir(), 'eval-reference-'));
const db = join(dir, 'eval.db');
const cases = loadCases().map((lc) => lc.case);
let run: CliResult;
let out: RunOut;

/** Strings that name a cause: every fault id, the library's ConfigMaps, fault titles, case ids and titles. */
const forbidden: string[] = [
  ...FAULTS.map((f) => f.id),
  ...FAULTS.map((f) => f.title),
  FAULTS_CONFIGMAP,
  FAULTS_CATALOGUE_CONFIGMAP,
  ...cases.flatMap((c) => [c.id, c.title]),
];

/** Forbidden strings in a tool result, but those the call itself asked for (a refusal echoes the name it was given). */
function leaks(text: string, args = ''): string[] {
  const t = text.toLowerCase();
  const asked = args.toLowerCase();
  return forbidden.filter((s) => t.includes(s.toLowerCase()) && !asked.includes(s.toLowerCase()));
}

beforeAll(async () => {
  run = await runCli(['eval', '--db', db, '--json']);
  out = JSON.parse(run.stdout || '{}') as RunOut;
}, 900_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the reference agent (default) on the whole suite', () => {
  it('runs every case to a score (exit 0, no infra error)', () => {
    expect(run.code, run.stderr.slice(-4000)).toBe(0);
    expect(out.trials.map((t) => t.case).sort()).toEqual(cases.map((c) => c.id).sort());
    expect(out.trials.filter((t) => t.status !== 'scored').map((t) => `${t.case}: ${t.infraError}`)).toEqual([]);
  });

  it('solves every case and every control at every level', () => {
    const bad = out.trials.flatMap((t) => {
      const c = cases.find((x) => x.id === t.case)!;
      const levels = 'healthy' in c.truth ? ['detection'] : ['detection', 'localization', 'category', 'mechanism', 'remediation'];
      const low = levels.filter((l) => t.scores?.[l] !== 1);
      return t.passed && !low.length ? [] : [`${t.case}: passed=${t.passed} ${JSON.stringify(t.scores)}`];
    });
    expect(bad).toEqual([]);
    expect(cases.filter((c) => 'healthy' in c.truth).length).toBeGreaterThanOrEqual(5);
  });

  it('reaches the cluster only through MCP tool calls (every trial called tools, then submit_rca)', () => {
    const d = new Database(db, { readonly: true });
    const rows = d
      .prepare(
        `SELECT t.case_id AS c, group_concat(k.tool, ' ') AS tools FROM eval_trials t JOIN eval_tool_calls k ON k.trial_id = t.id
         WHERE t.run_id = ? AND t.status = 'scored' GROUP BY t.id ORDER BY t.id`,
      )
      .all(out.runId) as { c: string; tools: string }[];
    d.close();
    expect(rows).toHaveLength(cases.length);
    for (const r of rows) {
      expect(r.tools.split(' ').at(-1), r.c).toBe('submit_rca');
      expect(r.tools.split(' ').length, r.c).toBeGreaterThan(2);
    }
    // numbers for the report: tool calls and result bytes per case
    process.stderr.write(
      `reference: ${out.summary.wallSeconds} s wall\n${out.trials.map((t) => `  ${t.case}: ${t.effort.toolCalls} calls, ${t.effort.resultBytes ?? '?'} B`).join('\n')}\n`,
    );
  });
});

describe('no leak of the answer', () => {
  it('no recorded tool output names a fault id, the fault ConfigMaps, a fault title or a case', () => {
    const d = new Database(db, { readonly: true });
    const rows = d
      .prepare(
        `SELECT t.case_id AS c, k.tool AS tool, k.arguments AS args, k.result AS result FROM eval_tool_calls k
         JOIN eval_trials t ON t.id = k.trial_id WHERE t.run_id = ? AND k.tool != 'submit_rca'`,
      )
      .all(out.runId) as { c: string; tool: string; args: string; result: string | null }[];
    d.close();
    expect(rows.length).toBeGreaterThan(cases.length * 2);
    const hits = rows.flatMap((r) => leaks(r.result ?? '', r.args).map((s) => `${r.c}: ${r.tool} ${r.args} names '${s}'`));
    expect(hits).toEqual([]);
  });

  it('the eval MCP server cannot read the fault library; pod logs name no fault', async () => {
    const script = join(dir, 'script.json');
    const ovn = 'openshift-ovn-kubernetes';
    writeFileSync(
      script,
      JSON.stringify({
        steps: [
          { call: 'k8s_get', args: { kind: 'ConfigMap', namespace: 'netharness', name: FAULTS_CONFIGMAP } },
          { call: 'k8s_get', args: { kind: 'ConfigMap', namespace: 'netharness', name: FAULTS_CATALOGUE_CONFIGMAP } },
          { call: 'k8s_list', args: { kind: 'ConfigMap', namespace: 'netharness' } },
          { call: 'k8s_list', args: { kind: 'ConfigMap' } },
          { call: 'k8s_describe', args: { kind: 'ConfigMap', namespace: 'netharness', name: FAULTS_CONFIGMAP } },
          { call: 'k8s_events', args: {} },
          {
            call: 'k8s_list',
            args: { kind: 'Pod', namespace: ovn, label_selector: 'app=ovnkube-node' },
            capture: { pod: 'ovnkube-node-[a-z0-9]+' },
          },
          ...['ovnkube-controller', 'northd', 'ovn-controller', 'nbdb'].map((container) => ({
            call: 'k8s_pod_logs',
            args: { namespace: ovn, name: '${pod}', container },
          })),
          { call: 'k8s_list', args: { kind: 'Pod', namespace: ovn }, capture: { cp: 'ovnkube-control-plane-[a-z0-9]+-[a-z0-9]+' } },
          { call: 'k8s_pod_logs', args: { namespace: ovn, name: '${cp}', container: 'ovnkube-cluster-manager' } },
          { call: 'ptp_pods', args: {}, capture: { node: 'worker-[0-9]+' } },
          { call: 'ptp_daemon_logs', args: { node: '${node}' } },
          { call: 'ptp_sidecar_logs', args: { node: '${node}' } },
          { submit: { detected: false, entities: [], mechanism: 'nothing wrong', remediation: 'nothing' } },
        ],
        text: 'healthy',
      }),
    );
    const r = await runCli([
      'eval',
      '--cases',
      join(ROOT, 'evals/cases/control-ptp-locked.yaml'),
      '--agent',
      'scripted',
      '--agent-param',
      `script=${script}`,
      '--db',
      db,
      '--json',
    ]);
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    const runId = (JSON.parse(r.stdout) as RunOut).runId;
    const d = new Database(db, { readonly: true });
    const rows = d
      .prepare(
        `SELECT k.tool AS tool, k.arguments AS args, k.result AS result, k.is_error AS err FROM eval_tool_calls k
         JOIN eval_trials t ON t.id = k.trial_id WHERE t.run_id = ? AND k.tool != 'submit_rca' ORDER BY k.seq`,
      )
      .all(runId) as { tool: string; args: string; result: string | null; err: number }[];
    d.close();
    expect(rows.length).toBe(16);
    // the two ConfigMaps of the fault library are refused (forbidden), not merely empty
    for (const row of rows.slice(0, 2)) {
      expect(row.err, row.args).toBe(1);
      expect(row.result ?? '').toMatch(/forbidden|cannot|denied|403/i);
    }
    expect(rows.map((x) => leaks(x.result ?? '', x.args).map((s) => `${x.tool} ${x.args} names '${s}'`)).flat()).toEqual([]);
    // the logs were really read (a refusal would hide a leak, not prove there is none)
    expect(rows.find((x) => /ovnkube-controller/.test(x.args))?.result ?? '').toMatch(/ovnkube|zone|egress/i);
  }, 600_000);
});
