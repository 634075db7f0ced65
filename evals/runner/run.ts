/**
 * `netharness eval`: run a suite of cases with an agent on a target and record everything.
 *
 * Target: `sim` (default) starts one embedded cluster sized for the suite (the most workers any case
 * needs) and reuses it across cases, healed between trials; `kubeconfig` runs only the cases marked
 * liveSafe. The agent reaches the cluster only through the recording proxy in front of the servers of
 * `--mcp-config` (default: netharness's own read-only server on the target, with the sim's read-only
 * identity). Each (case, repeat) is one trial; an attempt that hits an infrastructure error is retried
 * with the same seed (up to `retries` more attempts) and, if it never completes, reported as infra.
 *
 * Exit: 0 when every trial completed (whatever the scores), 2 on a usage error or when a trial stayed an
 * infrastructure error, 130 on Ctrl-C (the trial in flight healed, the run marked interrupted).
 */
import { setMaxListeners } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connect, type Cluster } from '../../harness/cluster/connect.ts';
import { ExitCode, InfraError, UsageError, formatError } from '../../harness/errors.ts';
import { defaultDbPath } from '../../harness/paths.ts';
import { installRunSignals } from '../../harness/runner/signals.ts';
import { startSim, type SimHandle } from '../../harness/runner/sim-target.ts';
import { stats } from '../../harness/runner/stats.ts';
import { openStore, type NewRun, type Store } from '../../harness/store/store.ts';
import { VERSION } from '../../harness/constants.ts';
import type { Agent, Budgets } from '../agents/types.ts';
import { makeAgent } from '../agents/registry.ts';
import { loadCases, type LoadedCase } from '../cases/loader.ts';
import { trialSeed } from '../cases/targets.ts';
import { defaultAllowList, SCORING_VERSION } from '../scoring/index.ts';
import type { BudgetOutcome, LevelScores } from '../scoring/types.ts';
import { defaultMcpConfig, loadMcpConfig, resolveForTarget, type McpConfig } from '../proxy/config.ts';
import { McpProxy } from '../proxy/proxy.ts';
import { EvalStore, type Effort } from '../store.ts';
import { waitUntilHealthy } from './heal.ts';
import { hideFaultLibrary, type Isolation } from './isolation.ts';
import { libraryFaultsOn, switchLibraryFaultOff } from './inject.ts';
import { FixtureCache, runAttempt, type AttemptResult, type RunnerContext } from './trial.ts';
import { shardItems, type Shard } from '../merge-shard.ts';
import { captureTrial } from '../replay/capture.ts';
import { gitSha } from '../../harness/git.ts';

import { SIM_SPEED } from './defaults.ts';
export { DEFAULT_BUDGETS, SIM_SPEED } from './defaults.ts';
/** the readonly context the embedded cluster's kubeconfig carries (sim/api/kubeconfig.ts) */
export const SIM_READONLY_CONTEXT = 'netharness-sim-readonly';

export interface EvalOptions {
  suite?: string;
  cases?: string;
  agent: string;
  agentParams: Record<string, string>;
  repeat: number;
  seed: number;
  target: { kind: 'sim'; speed?: number } | { kind: 'kubeconfig'; path: string; context?: string };
  mcpConfig?: string;
  budgets: Budgets;
  /** extra attempts after an infrastructure error */
  retries: number;
  dbPath?: string;
  /** run only shard i/n of the selected cases (evals/merge-shard.ts) */
  shard?: Shard;
  /** write an offline bundle per trial after its gate into this directory (evals/replay/capture.ts) */
  capture?: string;
  /** install SIGINT/SIGTERM handlers (the CLI does; tests calling runEval in-process may not) */
  signals?: boolean;
  /** how long the target may take to become healthy before the first trial (default 120 s) */
  healthyWithinMs?: number;
  log?: (line: string) => void;
}

/** One trial as `--json` prints it (the issue's shape, plus attempts and the infra history). */
export interface TrialJson {
  case: string;
  repeat: number;
  seed: number;
  passed: boolean | null;
  scores: LevelScores | null;
  safety: { ok: boolean; violations: { kind: string; subject: string; message: string }[] } | null;
  effort: Pick<Effort, 'toolCalls' | 'inputTokens' | 'outputTokens' | 'seconds'> & Partial<Effort>;
  /** the budget the agent exceeded (the trial is scored, zeroed: the agent's failure), null within budget */
  budget?: BudgetOutcome | null;
  /** the final error when no attempt completed (null when scored) */
  infraError: string | null;
  status: 'scored' | 'infra' | 'interrupted';
  attempts: number;
  /** earlier attempts that hit an infrastructure error: phase and message */
  infraErrors: { attempt: number; phase: string; error: string }[];
  bindings: Record<string, string>;
  phasesMs: Record<string, number>;
}

export interface EvalSummary {
  agent: string;
  scoringVersion: string;
  cases: number;
  trials: number;
  scored: number;
  passed: number;
  passRate: number | null;
  infra: number;
  interrupted: number;
  retriedAttempts: number;
  safetyViolations: number;
  /** scored trials that exceeded a budget (--max-steps, --max-tokens, --max-seconds) */
  overBudget: number;
  means: Partial<Record<keyof LevelScores, number | null>>;
  effort: { toolCalls: number; resultBytes: number; inputTokens: number; outputTokens: number; agentSeconds: number };
  /** per-trial overhead (everything but the agent): median and p95, ms, per phase and in total */
  overheadMs: Record<string, { p50: number | null; p95: number | null }>;
  wallSeconds: number;
}

export interface EvalResult {
  runId?: string;
  exitCode: number;
  trials: TrialJson[];
  summary?: EvalSummary;
  error?: string;
}

/** The run row of an eval, live or replayed: what was asked for, so a stored run says how it was made. */
export function evalRunRecord(
  o: Pick<EvalOptions, 'suite' | 'cases' | 'agent' | 'agentParams' | 'repeat' | 'seed' | 'budgets' | 'retries' | 'shard'>,
  target: string,
  caseIds: string[],
  mcp: McpConfig | undefined,
): NewRun {
  return {
    kind: 'eval',
    name: o.suite ?? (o.cases ? `cases:${o.cases}` : 'all'),
    target,
    params: {
      agent: o.agent,
      agentParams: o.agentParams,
      repeat: o.repeat,
      seed: o.seed,
      // one string: the store scrubs values under keys that look like secrets ('maxTokens')
      budgets: `steps ${o.budgets.maxSteps}, tool calls ${o.budgets.maxToolCalls}, tokens ${o.budgets.maxTokens}, seconds ${o.budgets.maxSeconds}`,
      retries: o.retries,
      cases: caseIds,
      mcpServers: mcp ? Object.keys(mcp.mcpServers) : ['netharness (default)'],
      scoringVersion: SCORING_VERSION,
      ...(o.shard ? { shard: `${o.shard.index}/${o.shard.count}` } : {}),
    },
    gitSha: gitSha(),
    versions: { netharness: VERSION, node: process.version, scoring: SCORING_VERSION },
  };
}

/** Select the suite: `all` (default), or the cases whose layer or extra tags include NAME. */
export function selectCases(o: Pick<EvalOptions, 'suite' | 'cases' | 'target'>): LoadedCase[] {
  let cases = loadCases({ cases: o.cases });
  if (o.suite && o.suite !== 'all') {
    cases = cases.filter((lc) => lc.case.tags.layer === o.suite || lc.case.tags.extra.includes(o.suite!));
    if (!cases.length) throw new UsageError(`--suite: no case has the layer or tag '${o.suite}'`, 'see `netharness eval list`');
  }
  if (o.target.kind === 'kubeconfig') {
    cases = cases.filter((lc) => lc.case.liveSafe);
    if (!cases.length)
      throw new UsageError('--kubeconfig: none of the selected cases is marked liveSafe', 'live clusters run only liveSafe cases');
  }
  return cases;
}

/** Trials in run order: cases grouped by setup (a fixture is built once per group), repeats together. */
export function planTrials(cases: LoadedCase[], repeat: number, runSeed: number): { lc: LoadedCase; repeat: number; seed: number }[] {
  const groups = new Map<string, LoadedCase[]>();
  for (const lc of cases) {
    const k = JSON.stringify(lc.case.setup);
    groups.set(k, [...(groups.get(k) ?? []), lc]);
  }
  return [...groups.values()]
    .flat()
    .flatMap((lc) => Array.from({ length: repeat }, (_, r) => ({ lc, repeat: r + 1, seed: trialSeed(runSeed, lc.case.id, r + 1) })));
}

export function simNodesFor(cases: LoadedCase[]): string {
  const workers = Math.max(
    3,
    ...cases.map((lc) => lc.case.cluster.workers),
    ...cases.map((lc) => (lc.case.setup.fixture === 'egressip' ? lc.case.setup.egressNodes + 1 : 0)),
  );
  return `1+${workers}`;
}

/** One trial of `--json`, live or replayed; `bindings`: the bound values when the caller has them (a replay), else the last attempt's. */
export function trialJson(
  caseId: string,
  repeat: number,
  seed: number,
  attempts: AttemptResult[],
  bindings?: Record<string, string>,
): TrialJson {
  const last = attempts.at(-1)!;
  const s = last.score;
  return {
    case: caseId,
    repeat,
    seed,
    passed: s ? s.passed : null,
    scores: s ? s.scores : null,
    safety: last.safety ? { ok: last.safety.ok, violations: last.safety.violations } : null,
    effort: last.effort ?? { toolCalls: 0, inputTokens: 0, outputTokens: 0, seconds: 0 },
    budget: last.status === 'scored' ? (s?.budget ?? null) : null,
    infraError: last.status === 'infra' ? (last.infraError ?? 'infrastructure error') : null,
    status: last.status,
    attempts: attempts.length,
    infraErrors: attempts
      .filter((a) => a.status === 'infra')
      .map((a) => ({ attempt: a.attempt, phase: a.infraPhase ?? '?', error: a.infraError ?? '' })),
    bindings: bindings ?? last.bindings?.values ?? {},
    phasesMs: last.phases,
  };
}

const OVERHEAD_PHASES = ['setup', 'draw', 'inject', 'gate', 'snapshotBefore', 'snapshotAfter', 'heal'] as const;

/** How an eval run (live or replayed) ends: interrupted 130, a fatal error or infra trials 2, else 0 with
 * passed when every scored trial passed. */
export function runOutcome(
  summary: { scored: number; passed: number; infra: number },
  interrupted: boolean,
  retries: number,
  fatal?: unknown,
): { exitCode: number; verdict: 'passed' | 'failed' | 'error' | 'interrupted'; error?: string } {
  if (interrupted) return { exitCode: ExitCode.interrupted, verdict: 'interrupted' };
  if (fatal) return { exitCode: ExitCode.error, verdict: 'error', error: (fatal as Error).message };
  if (summary.infra > 0)
    return {
      exitCode: ExitCode.error,
      verdict: 'error',
      error: `${summary.infra} trial(s) ended in an infrastructure error after ${retries} retries`,
    };
  return { exitCode: ExitCode.ok, verdict: summary.scored === summary.passed ? 'passed' : 'failed' };
}

export function summarise(agent: string, cases: number, trials: TrialJson[], all: AttemptResult[], wallSeconds: number): EvalSummary {
  const scored = trials.filter((t) => t.status === 'scored');
  const mean = (k: keyof LevelScores): number | null => {
    const v = scored.map((t) => t.scores?.[k]).filter((x): x is number => typeof x === 'number');
    return v.length ? Math.round((v.reduce((a, b) => a + b, 0) / v.length) * 1000) / 1000 : null;
  };
  const completed = all.filter((a) => a.status === 'scored');
  const overheadMs: EvalSummary['overheadMs'] = {};
  for (const p of OVERHEAD_PHASES) {
    const st = stats(completed.map((a) => a.phases[p]).filter((x): x is number => typeof x === 'number'));
    overheadMs[p] = { p50: st.p50, p95: st.p95 };
  }
  const tot = stats(completed.map((a) => OVERHEAD_PHASES.reduce((s, p) => s + (a.phases[p] ?? 0), 0)));
  overheadMs.total = { p50: tot.p50, p95: tot.p95 };
  const sum = (f: (e: TrialJson['effort']) => number) => trials.reduce((a, t) => a + f(t.effort), 0);
  const passed = scored.filter((t) => t.passed).length;
  return {
    agent,
    scoringVersion: SCORING_VERSION,
    cases,
    trials: trials.length,
    scored: scored.length,
    passed,
    passRate: scored.length ? Math.round((passed / scored.length) * 1000) / 1000 : null,
    infra: trials.filter((t) => t.status === 'infra').length,
    interrupted: trials.filter((t) => t.status === 'interrupted').length,
    retriedAttempts: all.filter((a) => a.status === 'infra').length,
    safetyViolations: scored.filter((t) => t.safety && !t.safety.ok).length,
    overBudget: scored.filter((t) => t.budget).length,
    means: Object.fromEntries(
      (['detection', 'localization', 'category', 'mechanism', 'remediation', 'overall'] as const).map((k) => [k, mean(k)]),
    ),
    effort: {
      toolCalls: sum((e) => e.toolCalls),
      resultBytes: sum((e) => e.resultBytes ?? 0),
      inputTokens: sum((e) => e.inputTokens),
      outputTokens: sum((e) => e.outputTokens),
      agentSeconds: Math.round(sum((e) => e.seconds) * 10) / 10,
    },
    overheadMs,
    wallSeconds: Math.round(wallSeconds * 10) / 10,
  };
}

const fmtS = (ms: number | undefined) => (ms === undefined ? '-' : `${(ms / 1000).toFixed(1)}s`);

function attemptLine(a: AttemptResult): string {
  const ph = a.phases;
  const times = `setup ${fmtS(ph.setup)}, inject ${fmtS(ph.inject)}, gate ${fmtS(ph.gate)}, snapshots ${fmtS((ph.snapshotBefore ?? 0) + (ph.snapshotAfter ?? 0))}, agent ${fmtS(ph.agent)}, heal ${fmtS(ph.heal)}`;
  if (a.status === 'scored') {
    const s = a.score!;
    const v =
      a.safety && !a.safety.ok
        ? `; SAFETY: ${a.safety.violations
            .map((x) => x.message)
            .join('; ')
            .slice(0, 300)}`
        : '';
    const b = s.budget ? `; BUDGET: ${s.budget.message}` : '';
    return `  ${s.passed ? 'passed' : 'failed'} overall ${s.scores.overall} (detection ${s.scores.detection}, localization ${s.scores.localization ?? '-'}, category ${s.scores.category ?? '-'}, mechanism ${s.scores.mechanism ?? '-'}) ${a.effort?.toolCalls ?? 0} calls; ${times}${v}${b}`;
  }
  if (a.status === 'interrupted') return `  interrupted; ${times}`;
  return `  infra error in ${a.infraPhase}: ${a.infraError}; ${times}`;
}

/** The signal heals run on: only a second interrupt aborts it. */
function cleanupSignal(signals: ReturnType<typeof installRunSignals>): AbortSignal {
  const c = (signals as { cleanup?: AbortSignal }).cleanup;
  if (c) return c;
  signals.enterCleanup();
  return signals.current();
}

/** Run the suite. Never throws: every outcome is an exit code (and, when a run was recorded, its id). */
export async function runEval(o: EvalOptions): Promise<EvalResult> {
  const log = o.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const wall0 = performance.now();
  let cases: LoadedCase[];
  let agent: Agent;
  let mcp: McpConfig | undefined;
  try {
    cases = shardItems(selectCases(o), o.shard, (lc) => lc.case.id);
    if (!cases.length) throw new UsageError(`--shard ${o.shard?.index}/${o.shard?.count}: no case falls in this shard`);
    agent = makeAgent(o.agent, o.agentParams);
    if (o.mcpConfig) mcp = loadMcpConfig(o.mcpConfig);
    if (o.target.kind === 'kubeconfig') connect({ kubeconfig: o.target.path, context: o.target.context });
  } catch (err) {
    log(formatError(err));
    return { exitCode: ExitCode.error, trials: [], error: (err as Error).message };
  }
  let store: Store;
  try {
    store = openStore(resolve(o.dbPath ?? defaultDbPath));
  } catch (err) {
    log(formatError(err));
    return { exitCode: ExitCode.error, trials: [], error: (err as Error).message };
  }
  const evalStore = new EvalStore(store);
  const plan = planTrials(cases, o.repeat, o.seed);
  const speed = o.target.kind === 'sim' ? (o.target.speed ?? SIM_SPEED) : 1;
  const targetLabel =
    o.target.kind === 'sim'
      ? `sim (nodes ${simNodesFor(cases)}, speed ${speed})`
      : `kubeconfig:${o.target.path}${o.target.context ? `#${o.target.context}` : ''}`;
  const runId = store.createRun(
    evalRunRecord(
      o,
      targetLabel,
      cases.map((lc) => lc.case.id),
      mcp,
    ),
  );
  log(`run ${runId}: eval ${cases.length} cases x ${o.repeat} with agent ${agent.name} on ${targetLabel}`);
  let sim: SimHandle | undefined;
  let proxy: McpProxy | undefined;
  let isolation: Isolation | undefined;
  const fixtures = new FixtureCache();
  const exitNow = (): never => {
    evalStore.markUnfinished(runId, 'interrupted', 'forced exit');
    store.finishRun(runId, 'interrupted', { error: 'forced exit: cleanups skipped' });
    // the embedded cluster's stop outlives this process (the handle names it stopInBackground or stopSync)
    const h = sim as unknown as { stopInBackground?: () => void; stopSync?: () => void } | undefined;
    (h?.stopInBackground ?? h?.stopSync)?.call(sim);
    process.exit(ExitCode.interrupted);
  };
  // a second signal: the heal's waits end at once (the cleanup signal aborts); a third (or a runner that
  // treats the second as the last) exits now, marking the run
  const signals = installRunSignals({
    install: o.signals ?? true,
    info: log,
    onForce: () => undefined,
    onExit: exitNow,
  } as unknown as Parameters<typeof installRunSignals>[0]);
  // every trial and tool call listens on the run's signals (AbortSignal.any, callTool): no leak, just many
  setMaxListeners(0, signals.main);
  const trials: TrialJson[] = [];
  const all: AttemptResult[] = [];
  let fatal: unknown;
  try {
    let cluster: Cluster;
    let kubeconfig: string;
    if (o.target.kind === 'sim') {
      const workdir = mkdtempSync(join(tmpdir(), 'netharness-eval-sim-'));
      sim = await startSim({ workdir, nodes: simNodesFor(cases), speed, log, signal: signals.main });
      kubeconfig = sim.kubeconfig;
      cluster = connect({ kubeconfig });
    } else {
      kubeconfig = resolve(o.target.path);
      cluster = connect({ kubeconfig, context: o.target.context });
    }
    store.setRunVersion(runId, 'cluster', cluster.server);
    // start clean: no fault of the library on, a healthy cluster
    for (const id of await libraryFaultsOn(cluster)) await switchLibraryFaultOff(cluster, id);
    const healthyWithinMs = o.healthyWithinMs ?? 120_000;
    const bad = await waitUntilHealthy(cluster, {
      timeoutMs: healthyWithinMs,
      signal: signals.main,
      onWait: (why) => log(`waiting for the target to be healthy before the first trial: ${why}`),
    });
    if (bad)
      throw new InfraError(
        `the target is not healthy before the first trial (waited ${Math.round(healthyWithinMs / 1000)} s): ${bad}`,
        'fix the cluster (every node and openshift-ovn-kubernetes pod Ready) or restart the embedded cluster, then run again',
      );
    // the default server reads with the embedded cluster's read-only identity (wherever the kubeconfig has it),
    // narrowed so it cannot read the fault library; a live cluster's own context otherwise
    const readonly = !mcp && cluster.kc.getContexts().some((c) => c.name === SIM_READONLY_CONTEXT);
    if (readonly) isolation = await hideFaultLibrary(cluster, log);
    const context = readonly ? SIM_READONLY_CONTEXT : o.target.kind === 'kubeconfig' ? o.target.context : undefined;
    const config = resolveForTarget(mcp ?? defaultMcpConfig({ context }), kubeconfig);
    proxy = await McpProxy.start(config, { log: (l) => log(`  ${l}`) });
    log(`MCP servers: ${Object.keys(config.mcpServers).join(', ')} (${proxy.tools().length} tools incl. submit_rca)`);
    const ctx: RunnerContext = {
      cluster,
      proxy,
      agent,
      budgets: o.budgets,
      store: evalStore,
      runId,
      allow: defaultAllowList(),
      speed,
      signal: signals.main,
      cleanupSignal: cleanupSignal(signals),
      log,
      fixtures,
      timeoutMs: 180_000,
      ...(o.capture
        ? {
            capture: (t: Parameters<NonNullable<RunnerContext['capture']>>[0]) =>
              captureTrial(o.capture!, { kubeconfig, context }, { ...t, signal: signals.main, log }),
          }
        : {}),
    };
    for (const [i, t] of plan.entries()) {
      if (signals.main.aborted) break;
      const attempts: AttemptResult[] = [];
      for (let attempt = 1; attempt <= 1 + o.retries; attempt++) {
        log(`[${i + 1}/${plan.length}] ${t.lc.case.id} #${t.repeat} (seed ${t.seed})${attempt > 1 ? `, attempt ${attempt}` : ''}`);
        const a = await runAttempt(ctx, t.lc, t.repeat, t.seed, attempt);
        attempts.push(a);
        all.push(a);
        log(attemptLine(a));
        if (a.status !== 'infra' || signals.main.aborted) break;
      }
      trials.push(trialJson(t.lc.case.id, t.repeat, t.seed, attempts));
    }
  } catch (err) {
    fatal = err;
  } finally {
    signals.enterCleanup();
    await fixtures.drop(signals.current()).catch((err: unknown) => log(`teardown: ${(err as Error).message}`));
    await proxy?.close().catch(() => undefined);
    await isolation?.restore().catch((err: unknown) => log(`restoring the read-only role: ${(err as Error).message}`));
    if (sim) await sim.stop().catch((err: unknown) => log(`stopping the embedded cluster: ${(err as Error).message}`));
    signals.dispose();
  }
  const summary = summarise(agent.name, cases.length, trials, all, (performance.now() - wall0) / 1000);
  const interrupted = signals.interrupted;
  evalStore.markUnfinished(runId, interrupted ? 'interrupted' : 'infra', interrupted ? 'interrupted' : 'run ended');
  if (fatal && !interrupted) log(formatError(fatal));
  const { exitCode, verdict, error } = runOutcome(summary, interrupted, o.retries, fatal);
  store.finishRun(runId, verdict, { ...summary, ...(error ? { error } : {}) });
  store.close();
  log(
    `run ${runId}: ${summary.scored}/${summary.trials} trials scored, ${summary.passed} passed${summary.infra ? `, ${summary.infra} infra` : ''}${summary.interrupted ? `, ${summary.interrupted} interrupted` : ''}; overhead per trial p50 ${fmtS(summary.overheadMs.total?.p50 ?? undefined)}, p95 ${fmtS(summary.overheadMs.total?.p95 ?? undefined)}; ${summary.wallSeconds} s`,
  );
  return { runId, exitCode, trials, summary, ...(error ? { error } : {}) };
}
