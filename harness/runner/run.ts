/**
 * The scenario runner: params, cluster, timed steps, checks, defers, signals, recording, summary, exit code.
 *
 * Verdicts and exit codes: passed 0, failed 1 (a check failed), error 2 (infra or usage error, or a scenario
 * bug), interrupted 130 (SIGINT/SIGTERM; a second signal forces an immediate exit after marking the run).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { connect, httpStatusOf, type Cluster } from '../cluster/connect.ts';
import { UNAUTHORIZED } from '../cluster/exec.ts';
import { ExitCode, InfraError, InterruptedError, UsageError } from '../errors.ts';
import { defaultDbPath, VERSION } from '../constants.ts';
import { openStore, type Store } from '../store/store.ts';
import { resolveParams } from './params.ts';
import { createProgress, type Progress } from './progress.ts';
import { createStepRecorder, errMessage } from './recorder.ts';
import {
  CheckFailedError,
  type Measurement,
  type RunEvent,
  type Scenario,
  type StepContext,
  type SummaryTable,
  type Target,
  type TestContext,
} from './scenario.ts';
import { startSim, stopSimInBackground, type SimHandle } from './sim-target.ts';
import { scrubSecrets } from '../store/scrub.ts';
import { describeCrashedRuns } from './crash.ts';
import { workersOf } from '../scenario-kit/egressip.ts';
import { installRunSignals } from './signals.ts';
import { hostShell } from './host.ts';
import { buildSummary, EXIT, writeSummaryFiles, type RunSummary, type RunVerdict } from './summary.ts';
import { gitSha } from '../git.ts';

// the summary module's API stays importable from here (commands and benches import the runner)
export { buildSummary, renderSummaryMarkdown, renderSummaryText, renderTable, writeSummaryFiles } from './summary.ts';
export type { MeasurementStat, RunSummary, RunVerdict } from './summary.ts';

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
  /** --metrics-profile: Prometheus series collected over the run (harness/metrics/run.ts) */
  metrics?: import('../metrics/run.ts').RunMetricsOptions;
}

export interface RunResult {
  runId: string;
  verdict: RunVerdict;
  exitCode: number;
  summary: RunSummary;
  /** set when the run never started (a usage or setup error before any record): the command reports it first */
  earlyError?: unknown;
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

  // 2. the target and the output places, checked before anything is recorded or made: a kubeconfig that
  // does not load, a --context it lacks, a --port out of range, a results path under a file are usage errors
  let preconnected: Cluster | undefined;
  try {
    if (
      opts.target.kind === 'sim' &&
      opts.target.port !== undefined &&
      !(Number.isInteger(opts.target.port) && opts.target.port >= 1 && opts.target.port <= 65535)
    )
      throw new UsageError(`--port: expected a TCP port 1..65535, got '${opts.target.port}'`);
    if (opts.target.kind === 'kubeconfig' && !opts.cluster)
      preconnected = connect({ kubeconfig: opts.target.path, context: opts.target.context });
    checkWritableDir(resDir, opts.resultsDir ? '--results' : '--db');
    checkWritableDir(dirname(dbPath), '--db');
    if (opts.target.kind === 'sim' && opts.target.workdir) checkWritableDir(opts.target.workdir, '--workdir');
  } catch (err) {
    progress.close();
    return earlyExit(scn, targetLabel, startedAt, err, resDir, dbPath);
  }

  // 2b. what the params need of the cluster, against the target: still before anything is recorded or made
  try {
    await checkClusterNeeds(scn, params, quick, opts.target, preconnected);
  } catch (err) {
    progress.close();
    return earlyExit(scn, targetLabel, startedAt, err, resDir, dbPath);
  }

  // 3. store
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
    versions: { netharness: VERSION, node: process.version },
    startedAt,
  });
  const artifactsDir = join(resDir, 'runs', runId);
  mkdirSync(artifactsDir, { recursive: true });
  progress.info(`run ${runId}: scenario ${scn.meta.name}${quick ? ' (quick)' : ''} on ${targetLabel}`);
  for (const line of describeCrashedRuns(store, store.crashedOnOpen)) progress.info(line);

  // 3. signals
  let sim: SimHandle | undefined;
  // the embedded cluster this run started (or is starting), until it is stopped: a third signal's immediate
  // exit still has it stopped (in the background, in its own process group)
  let simToStop: string | undefined;
  const tables: SummaryTable[] = [];
  const keepSim = opts.target.kind === 'sim' && !!opts.target.keep;
  const finalize = (verdict: RunVerdict, errorText: string | undefined): RunSummary => {
    recorder.abandonOpenSteps('interrupted before it finished');
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
    // the summary files are scrubbed like the database (a token in a param or an error text never lands on disk)
    const clean = scrubSecrets(summary);
    writeSummaryFiles(clean);
    return clean;
  };
  const signals = installRunSignals({
    install: opts.handleSignals !== false,
    info: (m) => progress.info(m),
    onExit: (sig) => {
      try {
        finalize('interrupted', `exited at once on a third ${sig}; cleanups still pending were skipped`);
      } catch {
        /* best effort: the next command marks the run crashed */
      }
      if (simToStop && !keepSim) {
        stopSimInBackground(simToStop);
        progress.info(`the embedded cluster is being stopped in the background (netharness sim status --workdir ${simToStop})`);
      }
      progress.close();
      process.exit(ExitCode.interrupted);
    },
  });

  // 4. state shared by every context
  // The cleanup signal is for the defers only. After an interrupt the runner stops awaiting the scenario's body,
  // but the body runs on in the background (a call that takes no signal returns later); its next wait must see
  // the aborted main signal and end, not the cleanup one, or it holds the process for the scenario's timeout
  // after the verdict.
  const inDefer = new AsyncLocalStorage<true>();
  const currentSignal = (): AbortSignal => (signals.phase === 'cleanup' && inDefer.getStore() ? signals.cleanup : signals.main);
  const deferred =
    (fn: () => Promise<void> | void): (() => Promise<void>) =>
    () =>
      inDefer.run(true, async () => fn());

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
        // cleanups are not aborted by a forced interrupt (a delete must still happen): their deadline bounds them
        { timeout: o.timeoutMs ?? 120_000, maxBuffer: 256 * 1024 * 1024, signal: signals.phase === 'main' ? signals.main : undefined },
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
      step: (name, fn) => recorder.step(path, stepId, name, fn),
      defer: (fn, name) => recorder.defer(deferred(fn), name),
      record: (m: Measurement) => store.recordMeasurement(runId, { ...m, stepId }),
      event: (e: RunEvent) => store.recordEvent(runId, e),
      check: (name, fn, o) => recorder.check(stepId, name, fn, o),
      kubectl,
      get $() {
        return hostShell(currentSignal(), (line) => progress.log(path.length ? path : [scn.meta.name], line));
      },
    };
    return ctx;
  };

  const recorder = createStepRecorder({ store, runId, progress, signal: currentSignal, context: makeContext, forced: signals.cleanup });
  const runStep = recorder.step;

  // 5. run
  let failure: unknown;
  try {
    if (!cluster) {
      if (opts.target.kind === 'sim') {
        const simOpts = scn.meta.sim ? scn.meta.sim(params, quick) : {};
        const workdir = opts.target.workdir ?? join(resDir, 'sim', `run-${runId.slice(0, 8)}`);
        simToStop = workdir;
        store.recordEvent(runId, { kind: 'sim-start', target: workdir, details: { keep: keepSim } });
        await runStep([], undefined, 'start embedded cluster', async (s) => {
          sim = await startSim({
            ...simOpts,
            workdir,
            port: opts.target.kind === 'sim' ? opts.target.port : undefined,
            log: (l) => s.log(l),
            signal: signals.main,
          });
        });
        if (sim) {
          const handle = sim;
          target = { kind: 'sim', workdir: handle.workdir };
          if (!keepSim)
            recorder.defer(
              async () => {
                await handle.stop();
                simToStop = undefined;
                store.recordEvent(runId, { kind: 'sim-stopped', target: handle.workdir });
              },
              'stop embedded cluster',
              // the stop runs in its own process group and must finish: a half-done stop is what leaks
              { forcedGraceMs: 120_000 },
            );
          else
            progress.info(
              `keeping the embedded cluster: KUBECONFIG=${handle.kubeconfig}; stop it with: netharness sim stop --workdir ${handle.workdir}`,
            );
          cluster = connect({ kubeconfig: handle.kubeconfig });
        }
      } else {
        cluster = preconnected ?? connect({ kubeconfig: opts.target.path, context: opts.target.context });
      }
    }
    if (signals.main.aborted) throw signals.main.reason;
    if (cluster) await checkCredentials(cluster, signals.main);
    const cv = cluster ? await clusterVersion(cluster) : undefined;
    if (cv) store.setRunVersion(runId, 'cluster', cv);
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
      get $() {
        return root.$;
      },
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
        if (signals.main.aborted) rej(signals.main.reason);
        signals.main.addEventListener('abort', () => rej(signals.main.reason), { once: true });
      }),
    ]);
  } catch (err) {
    failure = err;
  }

  // 5b. the metrics profile, while the cluster is still up (before the defers stop it); never fails the run
  if (opts.metrics && !signals.interrupted) {
    const { collectRunMetrics } = await import('../metrics/run.ts');
    const info = (m: string): void => progress.info(m);
    await collectRunMetrics({ store, runId, cluster, from: started, metrics: opts.metrics, info, signal: signals.main });
  }

  // 6. defers, LIFO, whatever happened
  signals.enterCleanup();
  const deferError = await recorder.runDefers();
  signals.dispose();

  // 7. verdict
  let verdict: RunVerdict;
  if (signals.interrupted || failure instanceof InterruptedError) verdict = 'interrupted';
  else if (failure instanceof CheckFailedError) verdict = 'failed';
  else if (failure !== undefined) verdict = 'error';
  else if (deferError !== undefined) verdict = 'error';
  else if (recorder.checkFailed) verdict = 'failed';
  else verdict = 'passed';
  const errorText =
    failure !== undefined && !(failure instanceof CheckFailedError)
      ? errMessage(failure)
      : deferError !== undefined
        ? `cleanup failed: ${errMessage(deferError)}`
        : undefined;

  const summary = finalize(verdict, errorText);
  progress.close();
  return { runId, verdict, exitCode: EXIT[verdict], summary };
}

/** Workers of the embedded cluster a CP+WORKERS `--nodes` spec makes (other forms: the sim's own rule, unknown here). */
function simWorkers(spec: string | undefined): number | undefined {
  const m = /^\d+\+(\d+)$/.exec(spec?.trim() ?? '');
  return m ? Number(m[1]) : undefined;
}

/**
 * The scenario's `requires` against the target: the embedded cluster's planned workers, or a live cluster's
 * (one node list, bounded; when the cluster cannot be read here the run goes on and reports that itself).
 */
async function checkClusterNeeds(
  scn: Scenario,
  params: Record<string, unknown>,
  quick: boolean,
  target: TargetOptions,
  preconnected: Cluster | undefined,
): Promise<void> {
  const need = scn.meta.requires?.(params)?.workers;
  if (!need || !(need.atLeast > 0)) return;
  let have: number | undefined;
  let where: string;
  if (target.kind === 'sim') {
    const spec = scn.meta.sim?.(params, quick).nodes;
    have = simWorkers(spec);
    where = `the embedded cluster of this scenario (--nodes ${spec})`;
  } else {
    if (!preconnected) return;
    where = `the cluster at ${preconnected.server}`;
    let timer: NodeJS.Timeout | undefined;
    try {
      const nodes = await Promise.race([
        preconnected.core.listNode(),
        new Promise<undefined>((res) => {
          timer = setTimeout(() => res(undefined), 15_000);
          timer.unref();
        }),
      ]);
      if (nodes) have = workersOf(nodes.items).length;
    } catch {
      return; // unreachable, refused, forbidden: said by the run itself, with its cause
    } finally {
      clearTimeout(timer);
    }
  }
  if (have !== undefined && need.atLeast > have)
    throw new UsageError(
      `param ${need.param}: ${need.atLeast} asked for, but ${where} has ${have} worker node${have === 1 ? '' : 's'}`,
      `pass ${need.param} of at most ${have}`,
    );
}

/**
 * One cheap authenticated read before the scenario: refused credentials are said as such here, not later as a
 * confusing step failure ("node is not Ready"). A 403 is fine (RBAC may deny this read).
 */
async function checkCredentials(cluster: Cluster, signal: AbortSignal): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  try {
    // settles on the first of: the answer, 20 s (then: no verdict on the credentials), the interrupt
    await Promise.race([
      cluster.core.listNamespace({ limit: 1 }),
      new Promise<void>((res) => (timer = setTimeout(res, 20_000))),
      new Promise<void>((_, rej) => {
        onAbort = () => rej(signal.reason);
        signal.addEventListener('abort', onAbort, { once: true });
      }),
    ]);
  } catch (err) {
    if (err instanceof InterruptedError) throw err;
    if (httpStatusOf(err) === 401)
      throw new InfraError(`${UNAUTHORIZED} by ${cluster.server}`, 'log in again (the token may have expired) or pick another --context');
    // unreachable: the scenario's first step says so with its own context (a test double may need no cluster)
  } finally {
    if (timer) clearTimeout(timer);
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}

/** `dir` exists as a directory or can be made: an existing file on the way is a usage error naming the flag. */
function checkWritableDir(dir: string, flag: string): void {
  let p = resolve(dir);
  for (;;) {
    if (existsSync(p)) {
      if (!statSync(p).isDirectory())
        throw new UsageError(
          `${flag}: ${p} is a file, not a directory`,
          `pass a path whose directories are directories (the results go to ${resolve(dir)})`,
        );
      return;
    }
    const up = dirname(p);
    if (up === p) return;
    p = up;
  }
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
  return { runId: '', verdict: 'error', exitCode: ExitCode.error, summary, earlyError: err };
}
