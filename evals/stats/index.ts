/**
 * Eval statistics over scored trials (pure): per case, category, layer, agent (model) and MCP server, and per
 * scoring level (the scorer's levels, evals/cases/schema.ts LEVELS, plus overall):
 *   - pass@1 with its standard error across cases (cases are the units: the repeats of one case are not independent);
 *   - unbiased pass@k = 1 - C(n-c, k) / C(n, k) (Chen et al. 2021, "Evaluating Large Language Models Trained on Code",
 *     arXiv:2107.03374, eq. 1) and pass^k = C(c, k) / C(n, k) (all k tries pass), averaged over the cases with n >= k;
 *     the per-case formulas are evals/scoring/stats.ts (one of each);
 *   - effort per trial: tool calls, tokens, agent seconds, cost (USD, when the agent reported one);
 *   - a paired comparison of two runs on the same cases: McNemar's exact test on trials matched by (case, repeat),
 *     and a paired bootstrap over cases (cases resampled with replacement) of the pass@1 difference, 95% percentile CI.
 * A level that does not apply to a trial (null: a control has no entities to localise) is left out of that level.
 */
import { LEVELS, type Level } from '../cases/schema.ts';
import { mcnemarExact, passAtK, passHatK, meanStderr, type CaseCount, type Estimate } from '../scoring/stats.ts';
import { mulberry32 } from '../../harness/random.ts';

export type { Estimate } from '../scoring/stats.ts';

export const STAT_LEVELS = [...LEVELS, 'overall'] as const;
export type StatLevel = Level | 'overall';

export interface TrialEffort {
  toolCalls: number;
  inputTokens: number;
  outputTokens: number;
  seconds: number;
  /** null when the agent reported no cost (the reference agent, a model without a price) */
  costUsd: number | null;
  /** tokens per model step (model agents; empty for playbooks and baselines); they sum to the totals above */
  usageSteps?: { step: number; inputTokens: number; outputTokens: number }[];
}

/** One scored trial, as the statistics see it. */
export interface TrialOutcome {
  runId: string;
  trialId: number;
  caseId: string;
  repeat: number;
  /** the agent, with its model when it has one ('openai/gpt-4o-mini', 'reference') */
  agent: string;
  /** the MCP servers the agent had ('netharness', 'netharness+kubernetes') */
  mcpServer: string;
  category: string;
  layer: string;
  control: boolean;
  /** per level: passed, failed, or null (does not apply) */
  passes: Record<StatLevel, boolean | null>;
  scores: Record<StatLevel, number | null>;
  effort: TrialEffort;
  /** safety violations of the trial */
  violations: number;
}

export interface LevelStats {
  level: StatLevel;
  trials: number;
  cases: number;
  /** mean over cases of c/n, with its standard error across cases */
  pass1: Estimate | null;
  /** index k-1: pass@k over the cases with n >= k (null when none has k trials) */
  passAtK: (Estimate | null)[];
  passHatK: (Estimate | null)[];
}

export interface Stat {
  mean: number;
  total: number;
}

export interface EffortStats {
  trials: number;
  toolCalls: Stat;
  inputTokens: Stat;
  outputTokens: Stat;
  seconds: Stat;
  /** over the trials that reported a cost; null when none did */
  costUsd: (Stat & { trials: number }) | null;
  /** per model step k (1-based): the trials that reached it and their mean tokens at that step (empty without model steps) */
  perStep: { step: number; trials: number; inputTokens: number; outputTokens: number }[];
}

export interface GroupStats {
  trials: number;
  cases: number;
  /** the largest k with a pass@k (the most trials of one case) */
  kMax: number;
  levels: Record<StatLevel, LevelStats>;
  effort: EffortStats;
  violations: number;
  trialsWithViolations: number;
}

/** Pass counts per case at one level (trials where the level does not apply are left out). */
export function caseCounts(outcomes: readonly TrialOutcome[], level: StatLevel): CaseCount[] {
  const m = new Map<string, CaseCount>();
  for (const o of outcomes) {
    const p = o.passes[level];
    if (p === null) continue;
    const x = m.get(o.caseId) ?? { caseId: o.caseId, n: 0, c: 0 };
    x.n++;
    if (p) x.c++;
    m.set(o.caseId, x);
  }
  return [...m.values()];
}

function estimateAt(counts: readonly CaseCount[], k: number, f: (n: number, c: number, k: number) => number | undefined): Estimate | null {
  return meanStderr(counts.map((x) => f(x.n, x.c, k)).filter((x): x is number => x !== undefined)) ?? null;
}

export function levelStats(outcomes: readonly TrialOutcome[], level: StatLevel, kMax: number): LevelStats {
  const counts = caseCounts(outcomes, level);
  const ks = Array.from({ length: kMax }, (_, i) => i + 1);
  return {
    level,
    trials: counts.reduce((a, x) => a + x.n, 0),
    cases: counts.length,
    pass1: meanStderr(counts.map((x) => x.c / x.n)) ?? null,
    passAtK: ks.map((k) => estimateAt(counts, k, passAtK)),
    passHatK: ks.map((k) => estimateAt(counts, k, passHatK)),
  };
}

const stat = (xs: readonly number[]): Stat => {
  const total = xs.reduce((a, b) => a + b, 0);
  return { mean: xs.length ? total / xs.length : 0, total };
};

export function effortStats(outcomes: readonly TrialOutcome[]): EffortStats {
  const costs = outcomes.map((o) => o.effort.costUsd).filter((c): c is number => c !== null);
  return {
    trials: outcomes.length,
    toolCalls: stat(outcomes.map((o) => o.effort.toolCalls)),
    inputTokens: stat(outcomes.map((o) => o.effort.inputTokens)),
    outputTokens: stat(outcomes.map((o) => o.effort.outputTokens)),
    seconds: stat(outcomes.map((o) => o.effort.seconds)),
    costUsd: costs.length ? { ...stat(costs), trials: costs.length } : null,
    perStep: stepStats(outcomes),
  };
}

/** Mean tokens at each model step over the trials that reached it (how the context grows step by step). Pure. */
export function stepStats(outcomes: readonly TrialOutcome[]): EffortStats['perStep'] {
  const by = new Map<number, { inputs: number[]; outputs: number[] }>();
  for (const o of outcomes)
    for (const s of o.effort.usageSteps ?? []) {
      const e = by.get(s.step) ?? { inputs: [], outputs: [] };
      e.inputs.push(s.inputTokens);
      e.outputs.push(s.outputTokens);
      by.set(s.step, e);
    }
  return [...by.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([step, e]) => ({ step, trials: e.inputs.length, inputTokens: stat(e.inputs).mean, outputTokens: stat(e.outputs).mean }));
}

/** The most trials any case has at the overall level (the largest k pass@k can use). */
export function maxTrialsPerCase(outcomes: readonly TrialOutcome[]): number {
  return Math.max(0, ...caseCounts(outcomes, 'overall').map((x) => x.n));
}

export function groupStats(outcomes: readonly TrialOutcome[], kMax = maxTrialsPerCase(outcomes)): GroupStats {
  const k = Math.max(1, kMax);
  return {
    trials: outcomes.length,
    cases: new Set(outcomes.map((o) => o.caseId)).size,
    kMax: k,
    levels: Object.fromEntries(STAT_LEVELS.map((l) => [l, levelStats(outcomes, l, k)])) as Record<StatLevel, LevelStats>,
    effort: effortStats(outcomes),
    violations: outcomes.reduce((a, o) => a + o.violations, 0),
    trialsWithViolations: outcomes.filter((o) => o.violations > 0).length,
  };
}

export const DIMENSIONS = ['case', 'category', 'layer', 'agent', 'mcpServer'] as const;
export type Dimension = (typeof DIMENSIONS)[number];

const dimValue = (o: TrialOutcome, d: Dimension): string => (d === 'case' ? o.caseId : o[d]);

export interface Breakdown {
  /** the dimension values of this group, e.g. { agent: 'reference', mcpServer: 'netharness' } */
  key: Partial<Record<Dimension, string>>;
  stats: GroupStats;
}

/** Statistics per combination of `dims` (e.g. ['agent', 'mcpServer'], ['agent', 'category']), groups sorted by key. */
export function breakdown(outcomes: readonly TrialOutcome[], dims: readonly Dimension[], kMax?: number): Breakdown[] {
  const m = new Map<string, TrialOutcome[]>();
  for (const o of outcomes) {
    const k = JSON.stringify(dims.map((d) => dimValue(o, d)));
    const list = m.get(k);
    if (list) list.push(o);
    else m.set(k, [o]);
  }
  return [...m.entries()]
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([k, list]) => {
      const vals = JSON.parse(k) as string[];
      return { key: Object.fromEntries(dims.map((d, i) => [d, vals[i]])), stats: groupStats(list, kMax) };
    });
}

// ---------------------------------------------------------------- paired comparison

export interface PairedComparison {
  level: StatLevel;
  /** trials matched by (case, repeat) */
  pairs: number;
  /** McNemar's exact test on the matched trials: b = A passed and B failed, c = the reverse */
  mcnemar: { b: number; c: number; p: number };
  /** cases in both, and the paired bootstrap over them of mean(pass1_B - pass1_A) */
  bootstrap: { cases: number; diff: number; lo: number; hi: number; resamples: number };
  pass1A: number | null;
  pass1B: number | null;
}

/** A vs B on the same cases (B - A: positive means B is better). */
export function pairedComparison(
  a: readonly TrialOutcome[],
  b: readonly TrialOutcome[],
  o: { level?: StatLevel; resamples?: number; seed?: number } = {},
): PairedComparison {
  const level = o.level ?? 'overall';
  const resamples = o.resamples ?? 2000;
  const key = (t: TrialOutcome) => `${t.caseId}\u0000${t.repeat}`;
  const bBy = new Map(b.filter((t) => t.passes[level] !== null).map((t) => [key(t), t]));
  const pairs: [boolean, boolean][] = [];
  for (const t of a) {
    const pa = t.passes[level];
    const u = bBy.get(key(t));
    if (pa === null || !u) continue;
    pairs.push([pa, u.passes[level] === true]);
  }
  const ca = new Map(caseCounts(a, level).map((x) => [x.caseId, x.c / x.n]));
  const cb = new Map(caseCounts(b, level).map((x) => [x.caseId, x.c / x.n]));
  const diffs = [...ca.keys()].filter((k) => cb.has(k)).map((k) => (cb.get(k) as number) - (ca.get(k) as number));
  const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((x, y) => x + y, 0) / xs.length : 0);
  const rnd = mulberry32(o.seed ?? 1);
  const boots: number[] = [];
  if (diffs.length)
    for (let r = 0; r < resamples; r++) {
      let s = 0;
      for (let i = 0; i < diffs.length; i++) s += diffs[Math.floor(rnd() * diffs.length)];
      boots.push(s / diffs.length);
    }
  boots.sort((x, y) => x - y);
  const q = (p: number) => (boots.length ? boots[Math.min(boots.length - 1, Math.max(0, Math.floor(p * boots.length)))] : 0);
  const p1 = (m: Map<string, number>) => (m.size ? mean([...m.values()]) : null);
  return {
    level,
    pairs: pairs.length,
    mcnemar: mcnemarExact(pairs),
    bootstrap: { cases: diffs.length, diff: mean(diffs), lo: q(0.025), hi: q(0.975), resamples: diffs.length ? resamples : 0 },
    pass1A: p1(ca),
    pass1B: p1(cb),
  };
}
