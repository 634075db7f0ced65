/**
 * evals/stats against direct combinatorics: pass@k and pass^k equal the fraction of k-subsets of the n trials
 * (enumerated) with at least one / only passes; pass@1 with its standard error across cases by hand; McNemar's
 * exact p against the binomial sum enumerated over all outcomes; the paired bootstrap's interval; breakdowns.
 */
import { describe, expect, it } from 'vitest';
import { passAtK, passHatK } from '../../evals/scoring/stats.ts';
import {
  STAT_LEVELS,
  breakdown,
  caseCounts,
  groupStats,
  pairedComparison,
  type StatLevel,
  type TrialOutcome,
} from '../../evals/stats/index.ts';
import { mulberry32 } from '../../harness/random.ts';

/** every k-subset of 0..n-1 */
function* subsets(n: number, k: number, from = 0, acc: number[] = []): Generator<number[]> {
  if (acc.length === k) {
    yield acc;
    return;
  }
  for (let i = from; i < n; i++) yield* subsets(n, k, i + 1, [...acc, i]);
}

/** fraction of k-subsets of n trials (the first c passed) where pred holds for the passes in the subset */
function enumerate(n: number, c: number, k: number, pred: (passes: number) => boolean): number {
  let all = 0;
  let hit = 0;
  for (const s of subsets(n, k)) {
    all++;
    if (pred(s.filter((i) => i < c).length)) hit++;
  }
  return hit / all;
}

function outcome(caseId: string, repeat: number, passed: boolean, extra: Partial<TrialOutcome> = {}): TrialOutcome {
  const passes = Object.fromEntries(STAT_LEVELS.map((l) => [l, passed])) as Record<StatLevel, boolean | null>;
  return {
    runId: 'r',
    trialId: 0,
    caseId,
    repeat,
    agent: 'a',
    mcpServer: 'netharness',
    category: 'OVN/x',
    layer: 'ovn',
    control: false,
    passes,
    scores: Object.fromEntries(STAT_LEVELS.map((l) => [l, passed ? 1 : 0])) as Record<StatLevel, number | null>,
    effort: { toolCalls: 4, inputTokens: 100, outputTokens: 10, seconds: 2, costUsd: null },
    violations: 0,
    ...extra,
  };
}

describe('pass@k and pass^k', () => {
  it('equal the enumerated fraction of k-subsets for every n <= 8, c <= n, k <= n', () => {
    let checked = 0;
    for (let n = 1; n <= 8; n++)
      for (let c = 0; c <= n; c++)
        for (let k = 1; k <= n; k++) {
          expect(passAtK(n, c, k), `pass@${k} n=${n} c=${c}`).toBeCloseTo(
            enumerate(n, c, k, (p) => p >= 1),
            12,
          );
          expect(passHatK(n, c, k), `pass^${k} n=${n} c=${c}`).toBeCloseTo(
            enumerate(n, c, k, (p) => p === k),
            12,
          );
          checked++;
        }
    expect(checked).toBe(240); // sum over n of (n + 1) * n
    expect(passAtK(3, 1, 4)).toBeUndefined(); // k > n
  });

  it('a group: pass@1 is the mean over cases of c/n with the standard error across cases; pass@k per k', () => {
    // case a: 3/5 passed, case b: 5/5, case c: 0/5
    const o = [
      ...[1, 1, 1, 0, 0].map((p, i) => outcome('a', i + 1, p === 1)),
      ...[1, 1, 1, 1, 1].map((p, i) => outcome('b', i + 1, p === 1)),
      ...[0, 0, 0, 0, 0].map((p, i) => outcome('c', i + 1, p === 1)),
    ];
    const g = groupStats(o);
    expect(g.kMax).toBe(5);
    const l = g.levels.overall;
    expect(l.pass1?.mean).toBeCloseTo((0.6 + 1 + 0) / 3, 12);
    // sd of (0.6, 1, 0) = sqrt(((0.6-0.5333)^2 + (1-0.5333)^2 + (0-0.5333)^2) / 2) = 0.50332; / sqrt(3)
    expect(l.pass1?.stderr).toBeCloseTo(0.503322 / Math.sqrt(3), 5);
    // pass@2 of case a: 1 - C(2,2)/C(5,2) = 0.9
    expect(l.passAtK[1]?.mean).toBeCloseTo((0.9 + 1 + 0) / 3, 12);
    // pass^2 of case a: C(3,2)/C(5,2) = 0.3
    expect(l.passHatK[1]?.mean).toBeCloseTo((0.3 + 1 + 0) / 3, 12);
    expect(l.passAtK[4]?.mean).toBeCloseTo(2 / 3, 12);
    expect(l.passHatK[4]?.mean).toBeCloseTo(1 / 3, 12);
    expect(g.effort.toolCalls).toEqual({ mean: 4, total: 60 });
    expect(g.effort.costUsd).toBeNull();
  });

  it('a level that does not apply is left out of that level only; cases with fewer than k trials are left out of pass@k', () => {
    const ctl = outcome('ctl', 1, true);
    ctl.passes.localization = null;
    const o = [ctl, outcome('x', 1, false), outcome('x', 2, true)];
    const g = groupStats(o);
    expect(g.levels.localization.cases).toBe(1);
    expect(g.levels.detection.cases).toBe(2);
    expect(g.levels.overall.passAtK[1]?.cases).toBe(1); // only x has 2 trials
    expect(g.levels.overall.passAtK[1]?.mean).toBe(1);
    expect(caseCounts(o, 'localization')).toEqual([{ caseId: 'x', n: 2, c: 1 }]);
  });

  it('effort: cost over the trials that reported one; violations counted', () => {
    const o = [
      outcome('a', 1, true, { effort: { toolCalls: 2, inputTokens: 10, outputTokens: 1, seconds: 1, costUsd: 0.25 } }),
      outcome('a', 2, true, { violations: 2 }),
    ];
    const g = groupStats(o);
    expect(g.effort.costUsd).toEqual({ mean: 0.25, total: 0.25, trials: 1 });
    expect(g.violations).toBe(2);
    expect(g.trialsWithViolations).toBe(1);
  });

  it('breakdown per agent x category', () => {
    const o = [
      outcome('a', 1, true, { agent: 'm1', category: 'OVN/x' }),
      outcome('b', 1, false, { agent: 'm1', category: 'k8s/y' }),
      outcome('a', 1, false, { agent: 'm2', category: 'OVN/x' }),
    ];
    const b = breakdown(o, ['agent', 'category']);
    expect(b.map((x) => [x.key.agent, x.key.category, x.stats.levels.overall.pass1?.mean])).toEqual([
      ['m1', 'OVN/x', 1],
      ['m1', 'k8s/y', 0],
      ['m2', 'OVN/x', 0],
    ]);
  });
});

describe('paired comparison', () => {
  /** two-sided exact McNemar p enumerated: P(|X - n/2| >= |b - n/2|) for X ~ Bin(n, 1/2) */
  function mcnemarEnumerated(b: number, c: number): number {
    const n = b + c;
    if (n === 0) return 1;
    let hit = 0;
    for (let mask = 0; mask < 2 ** n; mask++) {
      let x = 0;
      for (let i = 0; i < n; i++) if (mask & (1 << i)) x++;
      if (Math.abs(x - n / 2) >= Math.abs(b - n / 2)) hit++;
    }
    return Math.min(1, hit / 2 ** n);
  }

  it("McNemar's exact p equals the enumerated binomial tail for every b + c <= 12", () => {
    for (let b = 0; b <= 12; b++)
      for (let c = 0; b + c <= 12; c++) {
        const a: TrialOutcome[] = [];
        const z: TrialOutcome[] = [];
        for (let i = 0; i < b; i++) {
          a.push(outcome(`b${i}`, 1, true));
          z.push(outcome(`b${i}`, 1, false));
        }
        for (let i = 0; i < c; i++) {
          a.push(outcome(`c${i}`, 1, false));
          z.push(outcome(`c${i}`, 1, true));
        }
        a.push(outcome('same', 1, true));
        z.push(outcome('same', 1, true));
        const r = pairedComparison(a, z, { resamples: 10 });
        expect(r.mcnemar.b).toBe(b);
        expect(r.mcnemar.c).toBe(c);
        expect(r.pairs).toBe(b + c + 1);
        expect(r.mcnemar.p, `b=${b} c=${c}`).toBeCloseTo(mcnemarEnumerated(b, c), 12);
      }
  });

  it('trials pair by case and repeat; the bootstrap interval holds the observed difference and is reproducible', () => {
    const cases = Array.from({ length: 20 }, (_, i) => `case-${i}`);
    const a = cases.flatMap((c, i) => [1, 2, 3].map((r) => outcome(c, r, i % 4 === 0)));
    const b = cases.flatMap((c, i) => [1, 2, 3].map((r) => outcome(c, r, i % 2 === 0)));
    b.push(outcome('only-b', 1, true)); // unpaired: left out
    const r = pairedComparison(a, b, { seed: 7 });
    expect(r.pairs).toBe(60);
    expect(r.mcnemar).toMatchObject({ b: 0, c: 15 });
    expect(r.mcnemar.p).toBeCloseTo(2 / 2 ** 15, 12);
    expect(r.bootstrap.cases).toBe(20);
    expect(r.bootstrap.diff).toBeCloseTo(0.25, 12);
    expect(r.bootstrap.lo).toBeGreaterThan(0);
    expect(r.bootstrap.lo).toBeLessThanOrEqual(0.25);
    expect(r.bootstrap.hi).toBeGreaterThanOrEqual(0.25);
    expect(pairedComparison(a, b, { seed: 7 })).toEqual(r);
    const same = pairedComparison(a, a);
    expect(same.mcnemar.p).toBe(1);
    expect([same.bootstrap.lo, same.bootstrap.hi]).toEqual([0, 0]);
  });

  it('mulberry32 is uniform enough for resampling', () => {
    const r = mulberry32(42);
    const bins = [0, 0, 0, 0];
    for (let i = 0; i < 40_000; i++) bins[Math.floor(r() * 4)]++;
    for (const b of bins) expect(Math.abs(b - 10_000)).toBeLessThan(400);
  });
});
