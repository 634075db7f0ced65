/**
 * The agent phase of a trial, the same for a live trial (evals/runner/trial.ts) and a replayed one
 * (evals/replay/run.ts): run the agent through its recording-proxy session under the budgets, and turn what
 * came back into the answer and the effort that are stored and scored.
 *
 * Budgets (evals/runner/budget.ts): the meter stops the agent when --max-steps / --max-tokens is exceeded,
 * the timer when --max-seconds runs out; an agent that returned is judged on its own totals too. An exceeded
 * budget is the agent's failure: the trial is scored, zeroed and names the budget (scoreAnswer's `budget`),
 * never an infrastructure error. Errors that are not the agent's are thrown: InterruptedError (Ctrl-C),
 * AgentInfraError / InfraError (a provider or server that failed), UsageError (a setting the provider refused).
 */
import { InfraError, InterruptedError, UsageError } from '../../harness/errors.ts';
import { AgentInfraError, type Agent, type AgentAnswer, type AgentResult, type Budgets, type StepTokens } from '../agents/types.ts';
import type { TrialSession } from '../proxy/proxy.ts';
import type { Effort } from '../store.ts';
import { BudgetMeter, type BudgetOutcome } from './budget.ts';

/** How long an agent may take to stop once its signal aborted. */
export const AGENT_GRACE_MS = 3000;

function abandonAfter(signal: AbortSignal, ms: number): Promise<never> {
  return new Promise((_, reject) => {
    const go = () => setTimeout(() => reject(signal.reason ?? new Error('aborted')), ms).unref();
    if (signal.aborted) go();
    else signal.addEventListener('abort', go, { once: true });
  });
}

export interface AgentPhase {
  /** what the agent returned (absent when it was stopped before returning) */
  ran?: AgentResult;
  /** the budget it exceeded */
  overBudget?: BudgetOutcome;
  answer: AgentAnswer;
  effort: Effort;
}

/**
 * Run `agent` on `session` (ended before this returns). `signal` is the run's (Ctrl-C): when it aborts, an
 * InterruptedError is thrown. The tool calls stay in `session.calls` for the caller to record.
 */
export async function runAgentPhase(o: {
  agent: Agent;
  session: TrialSession;
  question: string;
  budgets: Budgets;
  seed: number;
  signal: AbortSignal;
  log: (line: string) => void;
}): Promise<AgentPhase> {
  const s = o.session;
  const t0 = performance.now();
  const timer = AbortSignal.timeout(o.budgets.maxSeconds * 1000);
  const meter = new BudgetMeter(o.budgets);
  const agentSignal = AbortSignal.any([o.signal, timer, meter.signal]);
  let ran: AgentResult | undefined;
  let overBudget: BudgetOutcome | undefined;
  // the steps as reported to the meter: the per-step usage of an agent stopped before it returned
  const reported: StepTokens[] = [];
  const spend = (u: Parameters<BudgetMeter['spend']>[0]) => {
    if ((u.steps ?? 0) > 0)
      reported.push({ step: reported.length + 1, inputTokens: u.inputTokens ?? 0, outputTokens: u.outputTokens ?? 0 });
    meter.spend(u);
  };
  try {
    ran = await Promise.race([
      o.agent.run({
        question: o.question,
        connect: () => s.connect(),
        budgets: o.budgets,
        seed: o.seed,
        signal: agentSignal,
        log: o.log,
        spend,
      }),
      // an agent that does not stop at its signal is not waited for (Ctrl-C, the time budget)
      abandonAfter(agentSignal, AGENT_GRACE_MS),
    ]);
  } catch (err) {
    if (o.signal.aborted) throw new InterruptedError();
    if (err instanceof AgentInfraError || err instanceof UsageError) throw err;
    if (s.infraError) throw new InfraError(s.infraError);
    if (meter.outcome) overBudget = meter.outcome;
    else if (timer.aborted) overBudget = meter.timedOut((performance.now() - t0) / 1000);
    else throw new InfraError(`agent ${o.agent.name} failed: ${(err as Error).message}`);
  } finally {
    await s.end();
  }
  const seconds = (performance.now() - t0) / 1000;
  // an agent that returned (did not stop at its signal, or never reported its spending) is judged on its totals
  overBudget ??= meter.settle(ran) ?? (timer.aborted ? meter.timedOut(seconds) : undefined);
  if (overBudget) o.log(`  ${overBudget.message}`);
  const submitted = s.submitted ?? ran?.answer.submitted;
  const answer: AgentAnswer = {
    ...(submitted ? { submitted } : {}),
    text: ran?.answer.text ?? (overBudget ? `(stopped: ${overBudget.message})` : ''),
  };
  const effort: Effort = {
    toolCalls: s.toolCalls,
    resultBytes: s.calls.reduce((a, x) => a + x.resultBytes, 0),
    inputTokens: Math.max(ran?.usage.inputTokens ?? 0, meter.spent.inputTokens),
    outputTokens: Math.max(ran?.usage.outputTokens ?? 0, meter.spent.outputTokens),
    ...(ran?.usage.costUsd !== undefined ? { costUsd: ran.usage.costUsd } : {}),
    steps: Math.max(ran?.steps ?? 0, meter.spent.steps),
    ...(ran?.stepUsage?.length ? { usageSteps: ran.stepUsage } : reported.length ? { usageSteps: reported } : {}),
    seconds: Math.round(seconds * 1000) / 1000,
    ...(overBudget ? { budget: overBudget } : {}),
  };
  return { ...(ran ? { ran } : {}), ...(overBudget ? { overBudget } : {}), answer, effort };
}
