/**
 * The opt-in `harness` toolset (`netharness mcp --toolsets harness`): the results database through MCP. Read-only:
 * list runs, show a run's summary / findings / metrics, compare two runs, trend a measurement. Only with
 * `--allow-runs`: start a scenario run on the embedded cluster (a `netharness scenario` child process) and poll it.
 * Not part of the default selection, so the default server stays read-only against the cluster.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod';
import { defineTool, type AnyTool, type ToolResult } from '../registry.ts';
import { ToolError, type Target } from '../target.ts';
import { compareRuns } from '../../harness/compare/index.ts';
import { trend } from '../../harness/analysis/trend.ts';
import { buildReportModel, resolveRunRef } from '../../harness/report/model.ts';
import { renderMarkdown } from '../../harness/report/markdown.ts';
import { metricNames, listMetricSeries } from '../../harness/store/metrics.ts';
import { openStore, type Store } from '../../harness/store/store.ts';
import { projectRoot } from '../../harness/constants.ts';
import { scenarioNames } from '../../scenarios/index.ts';

export interface HarnessToolsOptions {
  dbPath: string;
  allowRuns: boolean;
}

const json = (v: unknown): ToolResult => ({ text: JSON.stringify(v, null, 2) });

function withStore<T>(dbPath: string, fn: (s: Store) => T): T {
  if (!existsSync(dbPath)) throw new Error(`no results database at ${dbPath} (start the server with --db, or record a run first)`);
  const s = openStore(dbPath, { markCrashed: false });
  try {
    return fn(s);
  } finally {
    s.close();
  }
}

/**
 * The target of a server that serves only the harness toolset: its tools read the results database and start
 * runs on their own embedded cluster, so `mcp --toolsets harness` needs no kubeconfig. Any cluster read is an error.
 */
export function noClusterTarget(): Target {
  const fail = (): never => {
    throw new ToolError('no cluster: this server serves only the harness toolset (start it with --kubeconfig or --bundle for the others)');
  };
  return {
    description: 'no cluster (harness toolset only)',
    mode: 'live',
    list: async () => fail(),
    get: async () => fail(),
    logs: async () => fail(),
    nodeExec: async () => fail(),
    nodes: async () => [],
    close: async () => undefined,
  };
}

const runArg = () => z.string().min(1).max(64).describe("Run id, a unique prefix (>= 4 hex chars), or 'latest'.");

interface Job {
  id: number;
  scenario: string;
  child: ChildProcess;
  startedAt: string;
  exitCode: number | null;
  runId?: string;
  tail: string[];
}

export function harnessTools(o: HarnessToolsOptions): AnyTool[] {
  const tools: AnyTool[] = [
    defineTool({
      name: 'harness_runs_list',
      toolset: 'harness',
      title: 'Recorded runs',
      description: 'Runs in the results database, newest first (scenario, check and eval runs): id, kind, name, target, started, verdict.',
      shape: {
        kind: z.enum(['scenario', 'check', 'eval']).optional().describe('Only runs of this kind.'),
        name: z.string().max(200).optional().describe('Only runs of this scenario / check / eval.'),
        limit: z.number().int().min(1).max(200).default(20),
      },
      run: async (_ctx, a) =>
        json(
          withStore(o.dbPath, (s) =>
            s.listRuns({ limit: a.limit, kind: a.kind, name: a.name }).map((r) => ({
              id: r.id,
              kind: r.kind,
              name: r.name,
              target: r.target,
              startedAt: r.startedAt,
              endedAt: r.endedAt,
              verdict: r.verdict,
            })),
          ),
        ),
    }),
    defineTool({
      name: 'harness_run_show',
      toolset: 'harness',
      title: "A run's summary, findings or metrics",
      description:
        "part=summary: the run's Markdown report (verdict, tables, checks, findings by kind and node, measurements); part=findings: the findings as JSON; part=metrics: the stored metric series (names, or one metric's points with metric=<name>).",
      shape: {
        run: runArg(),
        part: z.enum(['summary', 'findings', 'metrics']).default('summary'),
        metric: z.string().max(200).optional().describe('part=metrics: one metricName with its points.'),
      },
      run: async (_ctx, a) =>
        withStore(o.dbPath, (s) => {
          const id = resolveRunRef(s, a.run);
          if (a.part === 'summary') return { text: renderMarkdown(buildReportModel(s, id)) };
          if (a.part === 'findings') return json(s.getRun(id).findings);
          return json(a.metric ? listMetricSeries(s, id, { metricName: a.metric }) : metricNames(s, id));
        }),
    }),
    defineTool({
      name: 'harness_compare',
      toolset: 'harness',
      title: 'Compare two runs',
      description:
        'Per measurement, metric and score: base, new, delta, %, Mann-Whitney p and a verdict with the default thresholds; regressions listed.',
      shape: { base: runArg(), new: runArg() },
      run: async (_ctx, a) =>
        withStore(o.dbPath, (s) => {
          const r = compareRuns(s, resolveRunRef(s, a.base), resolveRunRef(s, a.new));
          return json({ ...r, comparisons: r.comparisons.filter((c) => c.verdict !== 'info' || c.delta !== 0) });
        }),
    }),
    defineTool({
      name: 'harness_trend',
      toolset: 'harness',
      title: 'A measurement across runs',
      description:
        'p50 / p95 / max per run of a scenario, oldest first, with the slope per run. Example: {scenario:"corenet-6498", measurement:"convergence_seconds"}.',
      shape: {
        scenario: z.string().min(1).max(200),
        measurement: z.string().max(200).optional(),
        limit: z.number().int().min(1).max(200).default(50),
      },
      run: async (_ctx, a) => json(withStore(o.dbPath, (s) => trend(s, a.scenario, { measurement: a.measurement, limit: a.limit }))),
    }),
  ];
  if (!o.allowRuns) return tools;

  const jobs = new Map<number, Job>();
  let next = 1;
  tools.push(
    defineTool({
      name: 'harness_run_start',
      toolset: 'harness',
      title: 'Start a scenario run on the embedded cluster',
      description:
        'Starts `netharness scenario <name>` on a new embedded cluster, recorded in the server\'s database; returns a job id to poll with harness_run_status. Example: {scenario:"corenet-6498", quick:true}.',
      shape: {
        scenario: z.string().min(1).max(100),
        quick: z.boolean().default(true).describe("the scenario's quick preset"),
        params: z
          .record(z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/), z.string().max(500))
          .default({})
          .describe('--param k=v'),
      },
      run: async (_ctx, a) => {
        const known = scenarioNames();
        if (!known.includes(a.scenario)) return { text: `unknown scenario '${a.scenario}' (have: ${known.join(', ')})`, isError: true };
        const args = [
          join(projectRoot, 'bin', 'netharness.js'),
          'scenario',
          a.scenario,
          '--db',
          o.dbPath,
          ...(a.quick ? ['--quick'] : []),
          ...Object.entries(a.params).flatMap(([k, v]) => ['--param', `${k}=${v}`]),
        ];
        const child = spawn(process.execPath, args, {
          cwd: projectRoot,
          env: { ...process.env, CI: '1' },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        const job: Job = { id: next++, scenario: a.scenario, child, startedAt: new Date().toISOString(), exitCode: null, tail: [] };
        const onData = (d: Buffer): void => {
          for (const line of d.toString().split('\n').filter(Boolean)) {
            job.tail.push(line);
            if (job.tail.length > 20) job.tail.shift();
            const m = /run ([0-9a-f-]{36})/.exec(line);
            if (m && !job.runId) job.runId = m[1];
          }
        };
        child.stdout?.on('data', onData);
        child.stderr?.on('data', onData);
        child.on('exit', (code, sig) => (job.exitCode = code ?? (sig ? 128 : 2)));
        jobs.set(job.id, job);
        return json({ job: job.id, scenario: a.scenario, startedAt: job.startedAt });
      },
    }),
    defineTool({
      name: 'harness_run_status',
      toolset: 'harness',
      title: 'Poll a started scenario run',
      description:
        'State of a job from harness_run_start: running or its exit code (0 passed, 1 failed, 2 error, 130 interrupted), its run id once known, the last output lines.',
      shape: { job: z.number().int().min(1) },
      run: async (_ctx, a) => {
        const j = jobs.get(a.job);
        if (!j) return { text: `no job ${a.job} (started here: ${[...jobs.keys()].join(', ') || 'none'})`, isError: true };
        return json({
          job: j.id,
          scenario: j.scenario,
          state: j.exitCode === null ? 'running' : 'exited',
          exitCode: j.exitCode,
          runId: j.runId ?? null,
          startedAt: j.startedAt,
          tail: j.tail,
        });
      },
    }),
  );
  return tools;
}
