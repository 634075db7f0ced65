/**
 * `netharness eval --target bundles:DIR`: replay trials from offline bundles, no cluster. For each replay
 * entry (evals/replay/format.ts) the agent gets the same question it got live (the case rendered with the
 * captured targets) or the incident's hand-written one, and reaches the bundle only through the recording
 * proxy in front of `netharness mcp --bundle <entry>` (or the servers of `--mcp-config`, with `${BUNDLE}`
 * expanded). Nothing can change in a bundle, so the safety gate judges the calls against the read-only
 * allow-list alone. The agent phase is the live run's (evals/runner/agent-run.ts): the same budgets, an
 * exceeded one zeroes the score and names it, and a setting the provider refuses stops the run (exit 2).
 * Scored with the scorer and stored like a live run (kind eval, target bundles:DIR).
 * `--repeat N` replays each entry N times (an agent may differ between runs; the bundle does not).
 */
import { setMaxListeners } from 'node:events';
import { join, resolve } from 'node:path';
import { ExitCode, InfraError, InterruptedError, UsageError, formatError } from '../../harness/errors.ts';
import { defaultDbPath, projectRoot } from '../../harness/paths.ts';
import { openStore, type Store } from '../../harness/store/store.ts';
import type { Agent } from '../agents/types.ts';
import { makeAgent } from '../agents/registry.ts';
import type { LoadedCase } from '../cases/loader.ts';
import type { EvalCase } from '../cases/schema.ts';
import { renderCase, type Bindings, type RenderedCase } from '../cases/targets.ts';
import { defaultAllowList, safetyGate, scoreAnswer } from '../scoring/index.ts';
import type { Snapshot } from '../scoring/types.ts';
import { isStdio, loadMcpConfig, type McpConfig } from '../proxy/config.ts';
import { McpProxy } from '../proxy/proxy.ts';
import { EvalStore } from '../store.ts';
import {
  evalRunRecord,
  runOutcome,
  selectCases,
  trialJson,
  summarise,
  type EvalOptions,
  type EvalResult,
  type TrialJson,
} from '../runner/run.ts';
import type { AttemptResult } from '../runner/trial.ts';
import { runAgentPhase, type AgentPhase } from '../runner/agent-run.ts';
import { shardItems, type Shard } from '../merge-shard.ts';
import { bindingsOf, listReplays, type Incident, type ReplayEntry } from './format.ts';

export interface ReplayOptions extends Omit<EvalOptions, 'target'> {
  /** the directory of replay entries */
  bundles: string;
  shard?: Shard;
}

/** `${BUNDLE}` in a server's command, args, env and url: the entry's directory. */
export function resolveForBundle(cfg: McpConfig, bundle: string): McpConfig {
  const x = (s: string) => s.replaceAll('${BUNDLE}', bundle);
  const out: McpConfig = { mcpServers: {} };
  for (const [name, s] of Object.entries(cfg.mcpServers))
    out.mcpServers[name] = isStdio(s)
      ? {
          command: x(s.command),
          args: s.args.map(x),
          env: Object.fromEntries(Object.entries(s.env).map(([k, v]) => [k, x(v)])),
          ...(s.cwd ? { cwd: x(s.cwd) } : {}),
        }
      : { url: x(s.url), headers: Object.fromEntries(Object.entries(s.headers).map(([k, v]) => [k, x(v)])) };
  return out;
}

/** netharness's own read-only server on the bundle (what the live run's default server is on the cluster). */
export function bundleMcpConfig(): McpConfig {
  return {
    mcpServers: {
      netharness: {
        command: process.execPath,
        args: ['--import', 'tsx', join(projectRoot, 'harness', 'cli.ts'), 'mcp', '--bundle', '${BUNDLE}'],
        env: {},
        cwd: projectRoot,
      },
    },
  };
}

const EMPTY: Snapshot = { takenAt: '', api: {}, nodes: {} };

interface Planned {
  entry: ReplayEntry;
  caseId: string;
  repeat: number;
  seed: number;
  rendered: RenderedCase;
}

/** The case an incident stands for: its question and truth, no setup or fault (nothing is injected). */
function incidentCase(e: Extract<ReplayEntry, { kind: 'incident' }>): RenderedCase {
  const i = e.incident;
  const c = {
    id: i.id,
    title: i.title,
    tags: i.tags ?? { layer: 'k8s', difficulty: 'medium', extra: [] },
    liveSafe: false,
    cluster: { workers: 1 },
    setup: { fixture: 'plain' },
    targets: {},
    fault: [],
    gate: { all: [], timeoutS: 1 },
    question: i.question,
    truth: i.truth,
    heal: [],
  } as unknown as EvalCase;
  return renderCase(c, { seed: 0, values: {}, pools: {} });
}

/** Entries to run: captured ones whose case is selected (suite / cases glob), incidents unless --cases narrows. */
export function planReplays(entries: ReplayEntry[], cases: LoadedCase[] | undefined, repeat: number): Planned[] {
  const byId = new Map((cases ?? []).map((lc) => [lc.case.id, lc]));
  const out: Planned[] = [];
  for (const entry of entries) {
    let rendered: RenderedCase;
    let caseId: string;
    let seed: number;
    if (entry.kind === 'captured') {
      const lc = byId.get(entry.meta.caseId);
      if (!lc) continue;
      const b: Bindings = bindingsOf(entry.meta);
      rendered = renderCase(lc.case, b);
      caseId = entry.meta.caseId;
      seed = entry.meta.seed;
    } else {
      rendered = incidentCase(entry);
      caseId = entry.incident.id;
      seed = 0;
    }
    for (let r = 1; r <= repeat; r++)
      out.push({ entry, caseId, repeat: entry.kind === 'captured' ? entry.meta.repeat + r - 1 : r, seed, rendered });
  }
  return out;
}

async function replayOne(
  p: Planned,
  o: {
    agent: Agent;
    store: EvalStore;
    runId: string;
    mcp?: McpConfig;
    budgets: EvalOptions['budgets'];
    signal: AbortSignal;
    log: (l: string) => void;
  },
): Promise<AttemptResult> {
  const trialId = o.store.startTrial(o.runId, { caseId: p.caseId, repeat: p.repeat, seed: p.seed, attempt: 1, agent: o.agent.name });
  const phases: Record<string, number> = {};
  const result: AttemptResult = { trialId, attempt: 1, status: 'infra', phases, bindings: p.rendered.bindings };
  o.store.setBindings(trialId, p.rendered.bindings);
  let proxy: McpProxy | undefined;
  const t0 = performance.now();
  let usage: UsageError | undefined;
  try {
    try {
      proxy = await McpProxy.start(resolveForBundle(o.mcp ?? bundleMcpConfig(), p.entry.dir), { log: (l) => o.log(`  ${l}`) });
    } catch (err) {
      throw Object.assign(new InfraError(`MCP server on ${p.entry.dir}: ${(err as Error).message}`), { phase: 'setup' });
    }
    phases.setup = Math.round(performance.now() - t0);
    const s = proxy.beginTrial({ maxToolCalls: o.budgets.maxToolCalls, signal: o.signal });
    const a0 = performance.now();
    let phase: AgentPhase;
    try {
      // the live run's agent phase: the same budgets, and an exceeded one zeroes the score the same way
      phase = await runAgentPhase({
        agent: o.agent,
        session: s,
        question: p.rendered.question,
        budgets: o.budgets,
        seed: p.seed,
        signal: o.signal,
        log: o.log,
      });
    } catch (err) {
      if (err instanceof InterruptedError || o.signal.aborted) throw Object.assign(new Error('interrupted'), { interrupted: true });
      throw Object.assign(err as Error, { phase: 'agent' });
    } finally {
      phases.agent = Math.round(performance.now() - a0);
    }
    const { ran, overBudget, answer, effort } = phase;
    o.store.recordToolCalls(trialId, s.calls);
    if (ran) o.store.recordTranscript(trialId, ran.transcript);
    if (s.infraError) throw Object.assign(new InfraError(s.infraError), { phase: 'agent' });
    o.store.recordAnswer(trialId, answer);
    result.effort = effort;
    const safety = safetyGate({ before: EMPTY, after: EMPTY, toolCalls: s.calls, allow: defaultAllowList() });
    const score = scoreAnswer(p.rendered, answer, safety, overBudget);
    o.store.recordScore(trialId, score);
    Object.assign(result, { status: 'scored', score, safety });
  } catch (err) {
    if ((err as { interrupted?: boolean }).interrupted || o.signal.aborted) result.status = 'interrupted';
    else {
      result.status = 'infra';
      result.infraPhase = (err as { phase?: AttemptResult['infraPhase'] }).phase ?? 'agent';
      result.infraError = (err as Error).message;
      // a setting the provider refused (a key, a model name): the run stops with exit 2, as a live run does
      if (err instanceof UsageError) usage = err;
    }
  } finally {
    await proxy?.close().catch(() => undefined);
    o.store.finishTrial(trialId, {
      status: result.status,
      bindings: result.bindings,
      infraError: result.infraError,
      infraPhase: result.infraPhase,
      effort: result.effort,
      phases,
      safety: result.safety,
    });
  }
  if (usage) throw usage;
  return result;
}

/** Replay the entries of `o.bundles`. Never throws: the outcome is an exit code (and the run id). */
export async function runReplay(o: ReplayOptions): Promise<EvalResult> {
  const log = o.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const wall0 = performance.now();
  let plan: Planned[];
  let agent: Agent;
  let mcp: McpConfig | undefined;
  let store: Store;
  try {
    const entries = listReplays(o.bundles);
    const cases = entries.some((e) => e.kind === 'captured') ? selectCases({ ...o, target: { kind: 'sim' } }) : undefined;
    // incidents have no case file: --cases leaves them out, --suite matches their layer and tags
    const wanted = (i: Incident) =>
      !o.cases && (!o.suite || o.suite === 'all' || i.tags?.layer === o.suite || (i.tags?.extra ?? []).includes(o.suite));
    const selected = entries.filter((e) => e.kind === 'captured' || wanted(e.incident));
    plan = planReplays(
      shardItems(selected, o.shard, (e) => (e.kind === 'captured' ? e.meta.caseId : e.incident.id)),
      cases,
      o.repeat,
    );
    if (!plan.length) throw new InfraError(`--target bundles:${o.bundles}: none of its entries is a selected case`);
    agent = makeAgent(o.agent, o.agentParams);
    if (o.mcpConfig) mcp = loadMcpConfig(o.mcpConfig);
    store = openStore(resolve(o.dbPath ?? defaultDbPath));
  } catch (err) {
    log(formatError(err));
    return { exitCode: ExitCode.error, trials: [], error: (err as Error).message };
  }
  const es = new EvalStore(store);
  const caseIds = [...new Set(plan.map((p) => p.caseId))];
  const runId = store.createRun(evalRunRecord(o, `bundles:${resolve(o.bundles)}`, caseIds, mcp));
  log(`run ${runId}: replay ${plan.length} trials (${caseIds.length} cases) from ${o.bundles} with agent ${agent.name}`);
  const ac = new AbortController();
  // every trial's proxy and agent listen on it: many listeners, no leak
  setMaxListeners(0, ac.signal);
  const onSig = () => {
    if (ac.signal.aborted) {
      es.markUnfinished(runId, 'interrupted', 'forced exit');
      store.finishRun(runId, 'interrupted', { error: 'forced exit' });
      process.exit(ExitCode.interrupted);
    }
    log('interrupted: finishing the trial in flight (Ctrl-C again to exit now)');
    ac.abort();
  };
  if (o.signals ?? true) {
    process.on('SIGINT', onSig);
    process.on('SIGTERM', onSig);
  }
  const trials: TrialJson[] = [];
  const all: AttemptResult[] = [];
  let fatal: unknown;
  try {
    for (const [i, p] of plan.entries()) {
      if (ac.signal.aborted) break;
      const attempts: AttemptResult[] = [];
      for (let attempt = 1; attempt <= 1 + o.retries; attempt++) {
        log(`[${i + 1}/${plan.length}] ${p.caseId} #${p.repeat} from ${p.entry.name}${attempt > 1 ? `, attempt ${attempt}` : ''}`);
        const a = await replayOne(p, { agent, store: es, runId, mcp, budgets: o.budgets, signal: ac.signal, log });
        a.attempt = attempt;
        attempts.push(a);
        all.push(a);
        log(
          a.status === 'scored'
            ? `  ${a.score!.passed ? 'passed' : 'failed'} overall ${a.score!.scores.overall} (detection ${a.score!.scores.detection}, localization ${a.score!.scores.localization ?? '-'}, category ${a.score!.scores.category ?? '-'}, mechanism ${a.score!.scores.mechanism ?? '-'}) ${a.effort?.toolCalls ?? 0} calls${a.score!.budget ? `; BUDGET: ${a.score!.budget.message}` : ''}`
            : `  ${a.status}${a.infraError ? `: ${a.infraError}` : ''}`,
        );
        if (a.status !== 'infra' || ac.signal.aborted) break;
      }
      trials.push(trialJson(p.caseId, p.repeat, p.seed, attempts, p.rendered.bindings.values));
    }
  } catch (err) {
    // a usage error a trial hit (the provider refused a key or a model): the run stops
    fatal = err;
    log(formatError(err));
  } finally {
    process.off('SIGINT', onSig);
    process.off('SIGTERM', onSig);
  }
  const summary = summarise(agent.name, caseIds.length, trials, all, (performance.now() - wall0) / 1000);
  const interrupted = ac.signal.aborted;
  es.markUnfinished(runId, interrupted ? 'interrupted' : 'infra', interrupted ? 'interrupted' : 'run ended');
  const { exitCode, verdict, error } = runOutcome(summary, interrupted, o.retries, fatal);
  store.finishRun(runId, verdict, { ...summary, ...(error ? { error } : {}) });
  store.close();
  log(
    `run ${runId}: ${summary.scored}/${summary.trials} trials scored, ${summary.passed} passed${summary.infra ? `, ${summary.infra} infra` : ''}; ${summary.wallSeconds} s`,
  );
  return { runId, exitCode, trials, summary, ...(error ? { error } : {}) };
}
