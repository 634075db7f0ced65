/**
 * One trial of a case, as attempts: set up (the fixture, reused while healthy), draw the targets from the
 * seed, inject, pass the gate, snapshot, run the agent through the recording proxy, take its answer,
 * snapshot again, score (safety gate included), heal. An attempt that fails for a reason that is not the
 * agent's (setup, draw, inject, gate, snapshot, a server that died, an AgentInfraError) is recorded as
 * 'infra' with its phase and retried with the same seed; it is never scored as a wrong answer.
 */
import type * as k8s from '@kubernetes/client-node';
import type { Cluster } from '../../harness/cluster/connect.ts';
import { InfraError, InterruptedError, UsageError } from '../../harness/errors.ts';
import type { Agent, Budgets } from '../agents/types.ts';
import type { LoadedCase } from '../cases/loader.ts';
import { drawTargets, renderCase, type Bindings } from '../cases/targets.ts';
import { diffSnapshots, safetyGate, scoreAnswer, type AllowList } from '../scoring/index.ts';
import type { SafetyResult, TrialScore } from '../scoring/types.ts';
import type { McpProxy, TrialSession } from '../proxy/proxy.ts';
import type { Effort, EvalStore, TrialPhase } from '../store.ts';
import { buildFixture, setupKey, targetEnv, type Fixture } from './fixture.ts';
import { describeCondition, GateChecker, podGateResult } from './gate.ts';
import { heal, type HealResult } from './heal.ts';
import { injectStep, type StepEnv, type Undo } from './inject.ts';
import { takeSnapshot, withoutSubjects } from './snapshot.ts';
import { runAgentPhase } from './agent-run.ts';

export interface RunnerContext {
  cluster: Cluster;
  proxy: McpProxy;
  agent: Agent;
  budgets: Budgets;
  store: EvalStore;
  runId: string;
  allow: AllowList;
  /** the sim's speed factor (1 on a live cluster): divides the fault steps' waits */
  speed: number;
  /** the main phase's signal (Ctrl-C aborts it) */
  signal: AbortSignal;
  /** the cleanup signal (a second Ctrl-C aborts it): heals run on it */
  cleanupSignal: AbortSignal;
  log(line: string): void;
  fixtures: FixtureCache;
  /** per wait inside a phase (fixture, fault steps, heal) */
  timeoutMs: number;
  /** `eval --capture`: write the trial's offline bundle once its gate holds (evals/replay/capture.ts) */
  capture?: (t: {
    caseId: string;
    repeat: number;
    seed: number;
    bindings: Bindings;
    regate: () => Promise<unknown>;
    podsHoldGate: (pods: k8s.V1Pod[]) => string | undefined;
  }) => Promise<unknown>;
}

/** The fixture of the last trial, reused by the next one with the same setup while healthy. */
export class FixtureCache {
  current?: Fixture;
  async ensure(
    cluster: Cluster,
    lc: LoadedCase,
    o: { timeoutMs: number; signal: AbortSignal; log: (l: string) => void },
  ): Promise<Fixture> {
    const key = setupKey(lc.case.setup);
    if (this.current?.key === key) return this.current;
    await this.drop();
    this.current = await buildFixture(cluster, lc.case.setup, o);
    return this.current;
  }
  /** tear the fixture down (after a failed heal, a setup change, or the end of the run) */
  async drop(signal?: AbortSignal): Promise<void> {
    const fx = this.current;
    this.current = undefined;
    if (fx) await fx.teardown(signal);
  }
}

export interface AttemptResult {
  trialId: number;
  attempt: number;
  status: 'scored' | 'infra' | 'interrupted';
  bindings?: Bindings;
  infraError?: string;
  infraPhase?: TrialPhase;
  score?: TrialScore;
  safety?: SafetyResult;
  effort?: Effort;
  phases: Record<string, number>;
  heal?: HealResult;
}

const phaseError = (phase: TrialPhase, err: unknown): { phase: TrialPhase; err: unknown } => ({ phase, err });

function isInterrupt(err: unknown, signal: AbortSignal): boolean {
  return err instanceof InterruptedError || (signal.aborted && (err as Error)?.name !== 'InfraError');
}

export { AGENT_GRACE_MS } from './agent-run.ts';

export async function runAttempt(
  ctx: RunnerContext,
  lc: LoadedCase,
  repeat: number,
  seed: number,
  attempt: number,
): Promise<AttemptResult> {
  const c = lc.case;
  const trialId = ctx.store.startTrial(ctx.runId, { caseId: c.id, repeat, seed, attempt, agent: ctx.agent.name });
  const phases: Record<string, number> = {};
  const timed = async <T>(phase: TrialPhase | 'snapshotBefore' | 'snapshotAfter', fn: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      phases[phase] = Math.round((performance.now() - t0) * 10) / 10;
    }
  };
  const env: StepEnv = { cluster: ctx.cluster, signal: ctx.signal, log: ctx.log, speed: ctx.speed, timeoutMs: ctx.timeoutMs };
  const undos: Undo[] = [];
  let fixture: Fixture | undefined;
  let bindings: Bindings | undefined;
  let session: TrialSession | undefined;
  let healSteps: LoadedCase['case']['heal'] = [];
  // only once a fault step ran: before that, a gate that holds is not this trial's doing
  let healGate: LoadedCase['case']['gate']['all'] = [];
  const result: AttemptResult = { trialId, attempt, status: 'infra', phases };
  let usage: UsageError | undefined;
  try {
    fixture = await timed('setup', async () => {
      try {
        return await ctx.fixtures.ensure(ctx.cluster, lc, { timeoutMs: ctx.timeoutMs, signal: ctx.signal, log: ctx.log });
      } catch (err) {
        throw phaseError('setup', err);
      }
    });
    const rendered = await timed('draw', async () => {
      try {
        bindings = await drawTargets(c, seed, await targetEnv(ctx.cluster, fixture!));
        ctx.store.setBindings(trialId, bindings);
        return renderCase(c, bindings);
      } catch (err) {
        throw phaseError('draw', err);
      }
    });
    healSteps = rendered.heal;
    result.bindings = bindings;
    await timed('inject', async () => {
      healGate = rendered.gate.all;
      try {
        for (const step of rendered.fault) {
          const u = await injectStep(env, step);
          if (u) undos.push(u);
        }
      } catch (err) {
        throw phaseError('inject', err);
      }
    });
    await timed('gate', async () => {
      try {
        await new GateChecker(env).wait(rendered.gate.all, rendered.gate.timeoutS * 1000);
      } catch (err) {
        throw phaseError('gate', err);
      }
    });
    if (ctx.capture) {
      const t0 = performance.now();
      try {
        await ctx.capture({
          caseId: c.id,
          repeat,
          seed,
          bindings: bindings!,
          regate: () => new GateChecker(env).wait(rendered.gate.all, rendered.gate.timeoutS * 1000),
          podsHoldGate: (pods) => {
            const failed = rendered.gate.all
              .filter((g) => g.kind === 'pod')
              .map((g) => ({ g, r: podGateResult(g, pods) }))
              .find((x) => !x.r.ok);
            return failed ? `${describeCondition(failed.g)} (listed: ${failed.r.seen})` : undefined;
          },
        });
      } catch (err) {
        throw phaseError('snapshot', err);
      } finally {
        phases.capture = Math.round(performance.now() - t0);
      }
    }
    // a fault that keeps acting (node actions, chaos) changes the cluster by itself: a first snapshot shows
    // what moves without the agent, and those objects / rows are left out of the comparison
    const churn = rendered.fault.some((f) => f.kind === 'node-action' || f.kind === 'chaos');
    let volatile = new Set<string>();
    const before = await timed('snapshotBefore', async () => {
      try {
        await ctx.proxy.ensureUp();
        const s0 = churn ? await takeSnapshot(ctx.cluster) : undefined;
        if (s0) await new Promise((r) => setTimeout(r, Math.max(250, 5000 / ctx.speed)));
        const s1 = await takeSnapshot(ctx.cluster);
        if (s0) volatile = new Set(diffSnapshots(s0, s1).violations.map((v) => v.subject));
        return s1;
      } catch (err) {
        throw phaseError('snapshot', err);
      }
    });
    session = ctx.proxy.beginTrial({ maxToolCalls: ctx.budgets.maxToolCalls, signal: ctx.signal });
    const s = session;
    ctx.log(`  agent ${ctx.agent.name} working (budget ${ctx.budgets.maxToolCalls} calls, ${ctx.budgets.maxSeconds} s)`);
    const { ran, overBudget, answer, effort } = await timed('agent', async () => {
      try {
        return await runAgentPhase({
          agent: ctx.agent,
          session: s,
          question: rendered.question,
          budgets: ctx.budgets,
          seed,
          signal: ctx.signal,
          log: ctx.log,
        });
      } catch (err) {
        // Ctrl-C is not the agent's phase failing; a setting the provider refused stops the run (exit 2) after the heal
        throw err instanceof InterruptedError ? err : phaseError('agent', err);
      }
    });
    ctx.store.recordToolCalls(trialId, s.calls);
    if (ran) ctx.store.recordTranscript(trialId, ran.transcript);
    if (s.infraError) throw phaseError('agent', new InfraError(s.infraError));
    ctx.store.recordAnswer(trialId, answer);
    result.effort = effort;
    const after = await timed('snapshotAfter', async () => {
      try {
        return await takeSnapshot(ctx.cluster);
      } catch (err) {
        throw phaseError('snapshot', err);
      }
    });
    const safety = safetyGate({
      before: withoutSubjects(before, volatile),
      after: withoutSubjects(after, volatile),
      toolCalls: s.calls,
      allow: ctx.allow,
    });
    if (volatile.size) ctx.log(`  safety: ${volatile.size} objects/rows changed by themselves before the agent started; not compared`);
    const score = scoreAnswer(rendered, answer, safety, overBudget);
    ctx.store.recordScore(trialId, score);
    Object.assign(result, { status: 'scored', score, safety });
  } catch (e) {
    const { phase, err } = (e as { phase?: TrialPhase; err?: unknown }).phase
      ? (e as { phase: TrialPhase; err: unknown })
      : { phase: 'agent' as TrialPhase, err: e };
    if (isInterrupt(err, ctx.signal)) {
      result.status = 'interrupted';
      if (session) ctx.store.recordToolCalls(trialId, session.calls);
    } else {
      result.status = 'infra';
      result.infraPhase = phase;
      result.infraError = err instanceof Error ? err.message : String(err);
      if (err instanceof UsageError) usage = err;
      if (session && !(err instanceof InterruptedError) && phase !== 'agent') ctx.store.recordToolCalls(trialId, session.calls);
    }
  } finally {
    const healEnv: StepEnv = { ...env, signal: ctx.cleanupSignal };
    try {
      result.heal = await timed('heal', () =>
        heal(healEnv, {
          undos,
          steps: healSteps,
          gate: healGate,
          namespaces: fixture?.namespaces ?? [],
          checks: fixture?.healthChecks ?? [],
          verifyMs: Math.max(5_000, 60_000 / ctx.speed),
        }),
      );
      if (!result.heal.ok) {
        ctx.log(`  heal: ${result.heal.problems.join('; ')}; the fixture is rebuilt for the next trial`);
        await ctx.fixtures.drop(ctx.cleanupSignal).catch(() => undefined);
      }
    } catch (err) {
      result.heal = { ok: false, restartedOvnkube: false, problems: [(err as Error).message], ms: phases.heal ?? 0 };
      await ctx.fixtures.drop().catch(() => undefined);
    }
    ctx.store.finishTrial(trialId, {
      status: result.status,
      bindings: result.bindings,
      infraError: result.infraError,
      infraPhase: result.infraPhase,
      effort: result.effort,
      phases: { ...phases, ...(result.heal && !result.heal.ok ? { healFailed: 1 } : {}) },
      safety: result.safety,
    });
  }
  if (usage) throw usage;
  return result;
}
