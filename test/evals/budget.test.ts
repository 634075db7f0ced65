/**
 * The runner's budgets, pure parts: the meter stops an agent the moment --max-steps / --max-tokens is exceeded
 * (its signal aborts, naming the budget), an agent that never reports is judged on its result's totals, and an
 * exceeded budget zeroes the score (and stays zeroed on a rescore) while naming the budget. The end-to-end
 * path (a scripted agent through `netharness eval`) is in test/evals/fault-kinds.test.ts. Also the k8s fault
 * step's merge-patch body (a patch's own metadata never replaces the object's name).
 */
import { describe, expect, it } from 'vitest';
import { loadCases } from '../../evals/cases/loader.ts';
import { renderCase, type Bindings } from '../../evals/cases/targets.ts';
import { BudgetMeter, exceededBudget } from '../../evals/runner/budget.ts';
import { mergePatchBody } from '../../evals/runner/inject.ts';
import { defaultAllowList, scoreAnswer } from '../../evals/scoring/index.ts';
import { rescoreTrials } from '../../evals/scoring/rescore.ts';

const budgets = { maxSteps: 3, maxToolCalls: 10, maxTokens: 1000, maxSeconds: 60 };

describe('BudgetMeter', () => {
  it('aborts its signal on the step that exceeds --max-steps, naming the budget', () => {
    const m = new BudgetMeter(budgets);
    for (let i = 0; i < 3; i++) m.spend({ steps: 1, inputTokens: 10 });
    expect(m.signal.aborted).toBe(false);
    expect(m.outcome).toBeUndefined();
    m.spend({ steps: 1 });
    expect(m.signal.aborted).toBe(true);
    expect(m.outcome).toMatchObject({ exceeded: 'steps', limit: 3, used: 4 });
    expect(m.outcome!.message).toMatch(/over budget: 4 steps used, --max-steps 3/);
    expect((m.signal.reason as Error).message).toBe(m.outcome!.message);
    // the first budget exceeded stays the outcome
    m.spend({ inputTokens: 5000 });
    expect(m.outcome!.exceeded).toBe('steps');
  });

  it('counts input plus output tokens against --max-tokens; exactly at the limit is within budget', () => {
    const m = new BudgetMeter(budgets);
    m.spend({ steps: 1, inputTokens: 900, outputTokens: 100 });
    expect(m.outcome).toBeUndefined();
    m.spend({ outputTokens: 1 });
    expect(m.outcome).toMatchObject({ exceeded: 'tokens', limit: 1000, used: 1001 });
  });

  it('ignores junk reports (negative, NaN, non-numbers)', () => {
    const m = new BudgetMeter(budgets);
    m.spend({ steps: -5, inputTokens: Number.NaN, outputTokens: 'x' as unknown as number });
    m.spend({ steps: Infinity });
    expect(m.spent).toEqual({ steps: 0, inputTokens: 0, outputTokens: 0 });
  });

  it('an agent that never reported is judged on its result when it returns', () => {
    const m = new BudgetMeter(budgets);
    expect(m.settle({ steps: 3, usage: { inputTokens: 500, outputTokens: 500 } })).toBeUndefined();
    expect(m.settle({ steps: 9, usage: { inputTokens: 0, outputTokens: 0 } })).toMatchObject({ exceeded: 'steps', used: 9 });
    expect(new BudgetMeter(budgets).settle(undefined)).toBeUndefined();
    expect(new BudgetMeter(budgets).timedOut(61.04)).toMatchObject({ exceeded: 'seconds', limit: 60, used: 61 });
  });

  it('exceededBudget checks steps before tokens', () => {
    expect(exceededBudget(budgets, { steps: 4, inputTokens: 2000, outputTokens: 0 })?.exceeded).toBe('steps');
    expect(exceededBudget(budgets, { steps: 3, inputTokens: 2000, outputTokens: 0 })?.exceeded).toBe('tokens');
    expect(exceededBudget(budgets, { steps: 3, inputTokens: 1000, outputTokens: 0 })).toBeUndefined();
  });
});

describe('an exceeded budget in the score', () => {
  const lc = loadCases().find((l) => l.case.id === 'northd-stopped-on-node')!;
  const bindings: Bindings = {
    seed: 1,
    values: { node: 'worker-2', ovnkubePod: 'ovnkube-node-abcde' },
    pools: { workers: ['worker-1', 'worker-2', 'worker-3'] },
  };
  const rc = renderCase(lc.case, bindings);
  const right = {
    submitted: {
      detected: true,
      category: 'ovn/process-down',
      entities: ['worker-2', 'ovn-northd'],
      mechanism: 'ovn-northd is not running on worker-2, so NB changes never reach the southbound DB.',
      remediation: 'restart ovn-northd (delete the ovnkube-node pod)',
    },
    text: '',
  };
  const over = { exceeded: 'steps' as const, limit: 2, used: 3, message: 'over budget: 3 steps used, --max-steps 2' };

  it('zeroes a right answer and names the budget; within budget the same answer passes', () => {
    expect(scoreAnswer(rc, right).passed).toBe(true);
    const s = scoreAnswer(rc, right, undefined, over);
    expect(s.passed).toBe(false);
    expect(s.scores).toEqual({ detection: 0, localization: 0, category: 0, mechanism: 0, remediation: 0, overall: 0 });
    expect(s.budget).toEqual(over);
    expect(scoreAnswer(rc, right).budget).toBeUndefined();
  });

  it('a rescore keeps the trial zeroed on its stored budget', () => {
    const base = {
      trialId: 1,
      caseId: lc.case.id,
      repeat: 1,
      bindings,
      answer: right,
      safety: { ok: true, violations: [] },
      toolCalls: [],
    };
    const cases = new Map([[lc.case.id, lc.case]]);
    const [a, b] = rescoreTrials(
      [
        { ...base, budget: over },
        { ...base, trialId: 2, budget: null },
      ],
      cases,
      defaultAllowList(),
    );
    expect(a.status === 'rescored' && a.score.passed).toBe(false);
    expect(a.status === 'rescored' && a.score.budget?.exceeded).toBe('steps');
    expect(b.status === 'rescored' && b.score.passed).toBe(true);
  });
});

describe('the k8s fault step: merge-patch body', () => {
  it("keeps the object's name and namespace when the patch carries metadata", () => {
    const ref = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'worker-2' } };
    const b = mergePatchBody(ref, { metadata: { labels: { 'k8s.ovn.org/egress-assignable': null } } } as never);
    expect(b).toEqual({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'worker-2', labels: { 'k8s.ovn.org/egress-assignable': null } },
    });
    const ns = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'client', namespace: 'tenant-a' } };
    const d = mergePatchBody(ns, { metadata: { name: 'other', namespace: 'x', annotations: { a: 'b' } }, spec: { replicas: 0 } } as never);
    expect(d.metadata).toEqual({ name: 'client', namespace: 'tenant-a', annotations: { a: 'b' } });
    expect((d as unknown as { spec: unknown }).spec).toEqual({ replicas: 0 });
  });
});
