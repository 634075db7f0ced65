/**
 * The scenario runner: params, cluster, timed steps, checks, defers, signals, recording, summary, exit code.
 *
 * Verdicts and exit codes: passed 0, failed 1 (a check failed), error 2 (infra or usage error, or a scenario
 * bug), interrupted 130 (SIGINT/SIGTERM; a second signal forces an immediate exit after marking the run).
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { connect, type Cluster } from '../cluster/connect.ts';
import { ExitCode, InfraError, UsageError } from '../errors.ts';
import { defaultDbPath, projectRoot } from '../paths.ts';
import { openStore, type Store } from '../store/store.ts';
import { resolveParams } from './params.ts';
import { createProgress, formatMs, type Progress } from './progress.ts';
import {
  CheckFailedError,
  InterruptedError,
  type CheckOptions,
  type CheckOutcome,
  type Measurement,
  type RunEvent,
  type Scenario,
  type StepContext,
  type StepFn,
  type SummaryTable,
  type Target,
  type TestContext,
} from './scenario.ts';
import { startSim, type SimHandle } from './sim-target.ts';
import { fmtNum, stats } from './stats.ts';

export type RunVerdict = 'passed' | 'failed' | 'error' | 'interrupted';

export type TargetOptions =
  { kind: 'sim'; workdir?: string; keep?: boolean; port?: number } | { kind: 'kubeconfig'; path?: string; context?: string };

export interface RunOptions {
  params?: { file?: string; pairs?: string[] };
  quick?: boolean;
  target: TargetOptions;
  dbPath?: string;
  /** the database's directory by default; artifacts go to <resultsDir>/runs/<uuid>/ */
  resultsDir?: string;
  progress?: Progress;
  /** install SIGINT/SIGTERM handlers (default true) */
  handleSignals?: boolean;
  /** for tests: a ready cluster (skips connect/start) */
  cluster?: Cluster;
}

export interface MeasurementStat {
  name: string;
  unit: string;
  group: string;
  count: number;
  p50: number | null;
  p95: number | null;
  max: number | null;
}

export interface RunSummary {
  runId: string;
  scenario: string;
  target: string;
  verdict: RunVerdict;
  exitCode: number;
  startedAt: string;
  endedAt: string;
  durationMs: number;
  params: Record<string, unknown>;
  steps: { total: number; passed: number; failed: number; error: number; interrupted: number };
  checks: { total: number; passed: number; failed: number; error: number };
  findings: Record<string, number>;
  measurements: MeasurementStat[];
  tables: SummaryTable[];
  error?: string;
  artifactsDir: string;
  db: string;
}

export interface RunResult {
  runId: string;
  verdict: RunVerdict;
  exitCode: number;
  summary: RunSummary;
}

const EXIT: Record<RunVerdict, number> = {
  passed: ExitCode.ok,
  failed: ExitCode.checkFailed,
  error: ExitCode.error,
  interrupted: ExitCode.interrupted,
};

function errMessage(err: unknown): string {
  if (err instanceof UsageError || err instanceof InfraError) return `${err.message}${err.hint ? ` (hint: ${err.hint})` : ''}`;
  if (err instanceof Error) return err.message;
  return String(err);
}

function gitSha(): string | undefined {
  const r = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: projectRoot, encoding: 'utf8', timeout: 5000 });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

async function clusterVersion(cluster: Cluster): Promise<string | undefined> {
  try {
    const api = cluster.kc.makeApiClient(k8s.VersionApi);
    const v = await Promise.race([api.getCode(), new Promise<undefined>((r) => setTimeout(() => r(undefined), 3000).unref())]);
    return v?.gitVersion;
  } catch {
    return undefined;
  }
}

/** Run a scenario end to end. Never throws: every outcome is a verdict and an exit code. */
export async function runScenario(scn: Scenario, opts: RunOptions): Promise<RunResult> {
  const progress = opts.progress ?? createProgress();
  const started = Date.now();
  const startedAt = new Date(started).toISOString();
  const quick = !!opts.quick;
  let targetLabel =
    opts.target.kind === 'sim'
      ? 'sim'
      : `kubeconfig:${opts.target.path ?? process.env.KUBECONFIG ?? '~/.kube/config'}${opts.target.context ? `#${opts.target.context}` : ''}`;
  const dbPath = resolve(opts.dbPath ?? defaultDbPath);
  // artifacts live next to the database: results/runs/<uuid>/ by default
  const resDir = resolve(opts.resultsDir ?? dirname(dbPath));

  // 1. params (usage errors exit 2 before anything is recorded)
  let params: Record<string, unknown>;
  try {
    params = resolveParams(scn.meta.params, {
      quick: quick ? (scn.meta.quick as Record<string, unknown>) : undefined,
      file: opts.params?.file,
      pairs: opts.params?.pairs,
    }) as Record<string, unknown>;
  } catch (err) {
    progress.close();
    return earlyExit(scn, targetLabel, startedAt, err, resDir, dbPath);
  }
  if (opts.target.kind === 'sim' && scn.meta.sim) {
    // Sim timings are real ones divided by the speed factor: say so wherever times are reported.
    const so = scn.meta.sim(params, quick);
    const speed = so.speed ?? 1;
    targetLabel = `sim (nodes ${so.nodes ?? '3+3'}, speed ${speed}${speed > 1 ? `: sim waits are 1/${speed} of real ones` : ''})`;
  }

  // 2. store
  let store: Store;
  try {
    store = openStore(dbPath);
  } catch (err) {
    progress.close();
    return earlyExit(scn, targetLabel, startedAt, err, resDir, dbPath);
  }
  const runId = store.createRun({
    kind: 'scenario',
    name: scn.meta.name,
    target: targetLabel,
    params,
    gitSha: gitSha(),
    versions: { netharness: process.env.npm_package_version ?? '0.1.0', node: process.version },
    startedAt,
  });
  const artifactsDir = join(resDir, 'runs', runId);
  mkdirSync(artifactsDir, { recursive: true });
  progress.info(`run ${runId}: scenario ${scn.meta.name}${quick ? ' (quick)' : ''} on ${targetLabel}`);

  // 3. signals
  const main = new AbortController();
  const cleanup = new AbortController();
  let phase: 'main' | 'cleanup' = 'main';
  let interrupted = false;
  let sim: SimHandle | undefined;
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    signals++;
    interrupted = true;
    if (signals === 1) {
      progress.info(`${sig}: interrupting; running cleanups (send ${sig} again to force)`);
      main.abort(new InterruptedError(`interrupted by ${sig}`));
    } else {
      progress.info(`${sig} again: forcing exit without the remaining cleanups`);
      cleanup.abort(new InterruptedError(`forced by ${sig}`));
      try {
        store.finishRun(runId, 'interrupted', { forced: true, error: `forced by a second ${sig}` });
        store.close();
      } catch {
        /* best effort */
      }
      if (sim && !(opts.target.kind === 'sim' && opts.target.keep)) sim.stopSync();
      progress.close();
      process.exit(ExitCode.interrupted);
    }
  };
  const handleSignals = opts.handleSignals !== false;
  // keep the process alive while a scenario awaits something that holds no handle (a pure promise)
  const keepAlive = setInterval(() => undefined, 1 << 30);
  if (handleSignals) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }

  // 4. state shared by every context
  const defers: { fn: () => Promise<void> | void; name: string }[] = [];
  const tables: SummaryTable[] = [];
  const reported = new WeakSet<object>();
  let checkFailed = false;
  const currentSignal = (): AbortSignal => (phase === 'main' ? main.signal : cleanup.signal);

  let cluster: Cluster | undefined = opts.cluster;
  let target: Target =
    opts.target.kind === 'sim'
      ? { kind: 'sim', workdir: '' }
      : { kind: 'kubeconfig', path: opts.target.path ?? '', context: opts.target.context };

  const kubectl = async (args: string[], o: { input?: string; timeoutMs?: number } = {}): Promise<string> => {
    const c = cluster;
    const base: string[] = [];
    if (c?.kubeconfigPath) base.push('--kubeconfig', c.kubeconfigPath);
    if (target.kind === 'kubeconfig' && target.context) base.push('--context', target.context);
    return new Promise<string>((res, rej) => {
      const child = execFile(
        'kubectl',
        [...base, ...args],
        { timeout: o.timeoutMs ?? 120_000, maxBuffer: 256 * 1024 * 1024, signal: currentSignal() },
        (err, stdout, stderr) => {
          if (err) rej(new InfraError(`kubectl ${args.join(' ')} failed: ${(stderr || err.message).trim().slice(0, 500)}`));
          else res(stdout);
        },
      );
      if (o.input !== undefined) child.stdin?.end(o.input);
    });
  };

  const makeContext = (path: readonly string[], stepId: number | undefined): StepContext => {
    const ctx: StepContext = {
      name: path[path.length - 1] ?? scn.meta.name,
      path,
      runId,
      get cluster(): Cluster {
        if (!cluster) throw new InfraError('no cluster connection yet');
        return cluster;
      },
      get signal(): AbortSignal {
        return currentSignal();
      },
      log: (message) => progress.log(path.length ? path : [scn.meta.name], message),
      step: (name, fn) => runStep(path, stepId, name, fn),
      defer: (fn, name) => {
        defers.push({ fn, name: name ?? `cleanup ${defers.length + 1}` });
      },
      record: (m: Measurement) => store.recordMeasurement(runId, { ...m, stepId }),
      event: (e: RunEvent) => store.recordEvent(runId, e),
      check: async (name: string, fn: () => Promise<CheckOutcome> | CheckOutcome, o: CheckOptions = {}): Promise<CheckOutcome> => {
        const t0 = performance.now();
        let outcome: CheckOutcome;
        try {
          outcome = await fn();
        } catch (err) {
          const ms = performance.now() - t0;
          if (!(err instanceof InterruptedError) && !currentSignal().aborted) {
            store.recordCheck(runId, { name, status: 'error', durationMs: ms, stepId, summary: errMessage(err) });
            progress.check(name, false, ms, `error: ${errMessage(err)}`);
          }
          throw err;
        }
        const ms = performance.now() - t0;
        store.recordCheck(runId, {
          name,
          status: outcome.ok ? 'passed' : 'failed',
          durationMs: ms,
          stepId,
          summary: outcome.summary,
          data: outcome.data,
          findings: outcome.findings,
        });
        progress.check(name, outcome.ok, ms, outcome.summary);
        if (!outcome.ok) {
          checkFailed = true;
          if (!o.soft) throw new CheckFailedError(name, outcome);
        }
        return outcome;
      },
      kubectl,
    };
    return ctx;
  };

  const statusOf = (err: unknown): 'failed' | 'error' | 'interrupted' => {
    if (err instanceof InterruptedError || currentSignal().aborted || (err instanceof Error && err.name === 'AbortError'))
      return 'interrupted';
    if (err instanceof CheckFailedError) return 'failed';
    return 'error';
  };

  async function runStep(parentPath: readonly string[], parentId: number | undefined, name: string, fn: StepFn): Promise<void> {
    if (currentSignal().aborted) throw new InterruptedError();
    const path = [...parentPath, name];
    const stepId = store.startStep(runId, { path, parentId });
    progress.stepStart(path);
    const t0 = performance.now();
    try {
      await fn(makeContext(path, stepId));
      const ms = performance.now() - t0;
      store.finishStep(stepId, { status: 'passed', durationMs: ms });
      progress.stepEnd(path, 'passed', ms);
    } catch (err) {
      const ms = performance.now() - t0;
      const status = statusOf(err);
      const first = !(err && typeof err === 'object' && reported.has(err));
      store.finishStep(stepId, { status, durationMs: ms, error: errMessage(err) });
      progress.stepEnd(path, status, ms, first ? errMessage(err) : undefined);
      if (err && typeof err === 'object') reported.add(err);
      throw err;
    }
  }

  // 5. run
  let failure: unknown;
  try {
    if (!cluster) {
      if (opts.target.kind === 'sim') {
        const simOpts = scn.meta.sim ? scn.meta.sim(params, quick) : {};
        const workdir = opts.target.workdir ?? join(resDir, 'sim', `run-${runId.slice(0, 8)}`);
        await runStep([], undefined, 'start embedded cluster', async (s) => {
          sim = await startSim({
            ...simOpts,
            workdir,
            port: opts.target.kind === 'sim' ? opts.target.port : undefined,
            log: (l) => s.log(l),
            signal: main.signal,
          });
        });
        if (sim) {
          const handle = sim;
          target = { kind: 'sim', workdir: handle.workdir };
          if (!(opts.target.kind === 'sim' && opts.target.keep)) defers.push({ fn: () => handle.stop(), name: 'stop embedded cluster' });
          else
            progress.info(
              `keeping the embedded cluster: KUBECONFIG=${handle.kubeconfig}; stop it with: netharness sim stop --workdir ${handle.workdir}`,
            );
          cluster = connect({ kubeconfig: handle.kubeconfig });
        }
      } else {
        cluster = connect({ kubeconfig: opts.target.path, context: opts.target.context });
      }
    }
    if (main.signal.aborted) throw main.signal.reason;
    const cv = cluster ? await clusterVersion(cluster) : undefined;
    if (cv) store.db.prepare("UPDATE runs SET versions = json_set(versions, '$.cluster', ?) WHERE id = ?").run(cv, runId);
    const root = makeContext([], undefined);
    const t: TestContext<Record<string, unknown>> = {
      get name() {
        return root.name;
      },
      path: root.path,
      runId,
      get cluster() {
        return root.cluster;
      },
      get signal() {
        return root.signal;
      },
      log: root.log,
      step: root.step,
      defer: root.defer,
      record: root.record,
      event: root.event,
      check: root.check,
      kubectl: root.kubectl,
      params,
      target,
      quick,
      artifactsDir,
      summarize: (table: SummaryTable) => {
        const i = tables.findIndex((x) => x.title === table.title);
        if (i >= 0) tables[i] = table;
        else tables.push(table);
      },
    };
    await Promise.race([
      scn.fn(t, params),
      new Promise<never>((_, rej) => {
        if (main.signal.aborted) rej(main.signal.reason);
        main.signal.addEventListener('abort', () => rej(main.signal.reason), { once: true });
      }),
    ]);
  } catch (err) {
    failure = err;
  }

  // 6. defers, LIFO, whatever happened
  phase = 'cleanup';
  let deferError: unknown;
  while (defers.length) {
    const d = defers.pop();
    if (!d) break;
    const t0 = performance.now();
    const path = [`cleanup: ${d.name}`];
    const stepId = store.startStep(runId, { path });
    progress.stepStart(path);
    try {
      await d.fn();
      const ms = performance.now() - t0;
      store.finishStep(stepId, { status: 'passed', durationMs: ms });
      progress.stepEnd(path, 'passed', ms);
    } catch (err) {
      const ms = performance.now() - t0;
      store.finishStep(stepId, { status: 'error', durationMs: ms, error: errMessage(err) });
      progress.stepEnd(path, 'error', ms, errMessage(err));
      deferError ??= err;
    }
  }
  if (handleSignals) {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  clearInterval(keepAlive);

  // 7. verdict
  let verdict: RunVerdict;
  if (interrupted || failure instanceof InterruptedError) verdict = 'interrupted';
  else if (failure instanceof CheckFailedError) verdict = 'failed';
  else if (failure !== undefined) verdict = 'error';
  else if (deferError !== undefined) verdict = 'error';
  else if (checkFailed) verdict = 'failed';
  else verdict = 'passed';
  const errorText =
    failure !== undefined && !(failure instanceof CheckFailedError)
      ? errMessage(failure)
      : deferError !== undefined
        ? `cleanup failed: ${errMessage(deferError)}`
        : undefined;

  const summary = buildSummary(store, runId, {
    scenario: scn.meta.name,
    target: targetLabel,
    verdict,
    startedAt,
    durationMs: Date.now() - started,
    params,
    tables,
    error: errorText,
    artifactsDir,
    db: dbPath,
  });
  store.finishRun(runId, verdict, summary as unknown as Record<string, unknown>);
  store.close();
  writeSummaryFiles(summary);
  progress.close();
  return { runId, verdict, exitCode: EXIT[verdict], summary };
}

function earlyExit(scn: Scenario, target: string, startedAt: string, err: unknown, resDir: string, db: string): RunResult {
  const summary: RunSummary = {
    runId: '',
    scenario: scn.meta.name,
    target,
    verdict: 'error',
    exitCode: ExitCode.error,
    startedAt,
    endedAt: new Date().toISOString(),
    durationMs: 0,
    params: {},
    steps: { total: 0, passed: 0, failed: 0, error: 0, interrupted: 0 },
    checks: { total: 0, passed: 0, failed: 0, error: 0 },
    findings: {},
    measurements: [],
    tables: [],
    error: errMessage(err),
    artifactsDir: join(resDir, 'runs'),
    db,
  };
  return { runId: '', verdict: 'error', exitCode: ExitCode.error, summary };
}

interface SummaryInput {
  scenario: string;
  target: string;
  verdict: RunVerdict;
  startedAt: string;
  durationMs: number;
  params: Record<string, unknown>;
  tables: SummaryTable[];
  error?: string;
  artifactsDir: string;
  db: string;
}

export function buildSummary(store: Store, runId: string, s: SummaryInput): RunSummary {
  const d = store.getRun(runId);
  const steps = { total: d.steps.length, passed: 0, failed: 0, error: 0, interrupted: 0 };
  for (const st of d.steps) if (st.status !== 'running') steps[st.status]++;
  const checks = { total: d.checks.length, passed: 0, failed: 0, error: 0 };
  for (const c of d.checks) checks[c.status]++;
  const findings: Record<string, number> = {};
  for (const f of d.findings) findings[f.kind] = (findings[f.kind] ?? 0) + 1;
  const groups = new Map<string, { name: string; unit: string; group: string; values: number[] }>();
  for (const m of d.measurements) {
    const group = m.labels.scenario ?? m.labels.group ?? '';
    const key = `${group}\u0000${m.name}\u0000${m.unit}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { name: m.name, unit: m.unit, group, values: [] }));
    g.values.push(m.value);
  }
  const measurements = [...groups.values()].map((g) => {
    const st = stats(g.values);
    return { name: g.name, unit: g.unit, group: g.group, count: st.count, p50: st.p50, p95: st.p95, max: st.max };
  });
  return {
    runId,
    scenario: s.scenario,
    target: s.target,
    verdict: s.verdict,
    exitCode: EXIT[s.verdict],
    startedAt: s.startedAt,
    endedAt: new Date().toISOString(),
    durationMs: s.durationMs,
    params: s.params,
    steps,
    checks,
    findings,
    measurements,
    tables: s.tables,
    ...(s.error ? { error: s.error } : {}),
    artifactsDir: s.artifactsDir,
    db: s.db,
  };
}

/** Plain-text table with aligned columns. */
export function renderTable(columns: string[], rows: (string | number | null)[][]): string {
  const cells = rows.map((r) => r.map((c) => (c === null || c === undefined ? '-' : typeof c === 'number' ? fmtNum(c) : c)));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string =>
    r
      .map((c, i) => (c ?? '').padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

export function renderSummaryText(s: RunSummary): string {
  const out: string[] = [];
  out.push(`scenario ${s.scenario}  run ${s.runId}  target ${s.target}`);
  out.push(
    `verdict ${s.verdict.toUpperCase()} (exit ${s.exitCode}) in ${formatMs(s.durationMs)}; steps ${s.steps.passed}/${s.steps.total} passed; checks ${s.checks.passed}/${s.checks.total} passed`,
  );
  if (s.error) out.push(`error: ${s.error}`);
  const fk = Object.entries(s.findings);
  if (fk.length) out.push(`findings: ${fk.map(([k, n]) => `${k}=${n}`).join(', ')}`);
  for (const t of s.tables) {
    out.push('', t.title, renderTable(t.columns, t.rows));
  }
  if (s.measurements.length && !s.tables.length) {
    out.push(
      '',
      'measurements',
      renderTable(
        ['group', 'name', 'unit', 'n', 'p50', 'p95', 'max'],
        s.measurements.map((m) => [m.group || '-', m.name, m.unit, m.count, m.p50, m.p95, m.max]),
      ),
    );
  }
  out.push('', `results: ${s.artifactsDir}  db: ${s.db}`);
  return out.join('\n');
}

export function renderSummaryMarkdown(s: RunSummary): string {
  const md = (columns: string[], rows: (string | number | null)[][]): string =>
    [
      `| ${columns.join(' | ')} |`,
      `|${columns.map(() => '---').join('|')}|`,
      ...rows.map(
        (r) => `| ${r.map((c) => (c === null ? '-' : typeof c === 'number' ? fmtNum(c) : String(c).replace(/\|/g, '\\|'))).join(' | ')} |`,
      ),
    ].join('\n');
  const out: string[] = [];
  out.push(`# ${s.scenario}: ${s.verdict}`, '');
  out.push(
    `- run: \`${s.runId}\``,
    `- target: ${s.target}`,
    `- started: ${s.startedAt}`,
    `- duration: ${formatMs(s.durationMs)}`,
    `- exit code: ${s.exitCode}`,
  );
  out.push(`- steps: ${s.steps.passed}/${s.steps.total} passed`, `- checks: ${s.checks.passed}/${s.checks.total} passed`);
  if (s.error) out.push(`- error: ${s.error}`);
  out.push('', '## Params', '', '```json', JSON.stringify(s.params, null, 2), '```');
  for (const t of s.tables) out.push('', `## ${t.title}`, '', md(t.columns, t.rows));
  if (Object.keys(s.findings).length) out.push('', '## Findings', '', md(['kind', 'count'], Object.entries(s.findings)));
  if (s.measurements.length)
    out.push(
      '',
      '## Measurements',
      '',
      md(
        ['group', 'name', 'unit', 'n', 'p50', 'p95', 'max'],
        s.measurements.map((m) => [m.group || '-', m.name, m.unit, m.count, m.p50, m.p95, m.max]),
      ),
    );
  return `${out.join('\n')}\n`;
}

export function writeSummaryFiles(s: RunSummary): void {
  try {
    mkdirSync(s.artifactsDir, { recursive: true });
    writeFileSync(join(s.artifactsDir, 'summary.json'), `${JSON.stringify(s, null, 2)}\n`);
    writeFileSync(join(s.artifactsDir, 'summary.md'), renderSummaryMarkdown(s));
  } catch {
    /* the DB has it all; a read-only results dir must not change the verdict */
  }
}
