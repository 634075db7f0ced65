/**
 * The per-trial budgets the runner enforces (`--max-steps`, `--max-tokens`, `--max-seconds`; `--max-tool-calls`
 * is enforced call by call by the recording proxy, which refuses calls beyond it and asks for the answer).
 *
 * An agent reports what it spends as it goes (`TrialContext.spend`: a model step, its tokens); the meter aborts
 * the agent's signal the moment a budget is exceeded. An agent that does not report is judged on the usage its
 * result states when it returns. Either way an exceeded budget is the agent's failure: the trial is scored,
 * zeroed and names the budget (evals/scoring/score.ts), never an infrastructure error.
 */
import type { Budgets, Usage } from '../agents/types.ts';
import type { BudgetOutcome } from '../scoring/types.ts';

export type { BudgetOutcome };
export type BudgetName = BudgetOutcome['exceeded'];

export interface Spent {
  steps: number;
  inputTokens: number;
  outputTokens: number;
}

const FLAG: Record<BudgetName, string> = { steps: '--max-steps', tokens: '--max-tokens', seconds: '--max-seconds' };

function outcome(exceeded: BudgetName, limit: number, used: number): BudgetOutcome {
  const unit = exceeded === 'seconds' ? ' s' : exceeded === 'steps' ? ' steps' : ' tokens';
  return {
    exceeded,
    limit,
    used,
    message: `over budget: ${used}${unit} used, ${FLAG[exceeded]} ${limit}; the agent was stopped and the trial fails`,
  };
}

/** The first budget the usage exceeds (steps, then tokens), if any. Pure. */
export function exceededBudget(b: Pick<Budgets, 'maxSteps' | 'maxTokens'>, s: Spent): BudgetOutcome | undefined {
  if (s.steps > b.maxSteps) return outcome('steps', b.maxSteps, s.steps);
  const tokens = s.inputTokens + s.outputTokens;
  if (tokens > b.maxTokens) return outcome('tokens', b.maxTokens, tokens);
  return undefined;
}

/** The time budget ran out (the runner's timer aborted the agent). */
export const secondsExceeded = (limit: number, used: number): BudgetOutcome => outcome('seconds', limit, Math.round(used * 10) / 10);

/** Counts what one trial's agent spends and stops it (aborts `signal`) when a budget is exceeded. */
export class BudgetMeter {
  readonly spent: Spent = { steps: 0, inputTokens: 0, outputTokens: 0 };
  private readonly ac = new AbortController();
  private over?: BudgetOutcome;

  constructor(private readonly budgets: Budgets) {}

  /** aborted (with the outcome's message) once a budget is exceeded */
  get signal(): AbortSignal {
    return this.ac.signal;
  }

  get outcome(): BudgetOutcome | undefined {
    return this.over;
  }

  /** An agent's report: what it spent since its last report (non-negative increments; junk is ignored). */
  spend(u: Partial<Spent>): void {
    const n = (x: unknown): number => (typeof x === 'number' && Number.isFinite(x) && x > 0 ? x : 0);
    this.spent.steps += n(u.steps);
    this.spent.inputTokens += n(u.inputTokens);
    this.spent.outputTokens += n(u.outputTokens);
    this.check(this.spent);
  }

  /** The agent returned: its own totals count too (an agent that never reported is judged on them). */
  settle(r: { steps: number; usage: Usage } | undefined): BudgetOutcome | undefined {
    if (r)
      this.check({
        steps: Math.max(this.spent.steps, r.steps),
        inputTokens: Math.max(this.spent.inputTokens, r.usage.inputTokens),
        outputTokens: Math.max(this.spent.outputTokens, r.usage.outputTokens),
      });
    return this.over;
  }

  private check(s: Spent): void {
    if (this.over) return;
    this.over = exceededBudget(this.budgets, s);
    if (this.over) this.ac.abort(new Error(this.over.message));
  }

  /** the time budget ran out */
  timedOut(seconds: number): BudgetOutcome {
    this.over ??= secondsExceeded(this.budgets.maxSeconds, seconds);
    return this.over;
  }
}
