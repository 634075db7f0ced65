import { describe, it, expect } from 'vitest';
import { countByCase, mcnemarExact, meanStderr, passAtK, passHatK, suiteEstimate } from '../../evals/scoring/stats.ts';

function choose(n: number, k: number): number {
  if (k < 0 || k > n) return 0;
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return r;
}

describe('repeat statistics', () => {
  it('pass@k and pass^k equal their binomial definitions', () => {
    for (let n = 1; n <= 10; n++)
      for (let c = 0; c <= n; c++)
        for (let k = 1; k <= n; k++) {
          expect(passAtK(n, c, k)).toBeCloseTo(1 - choose(n - c, k) / choose(n, k), 12);
          expect(passHatK(n, c, k)).toBeCloseTo(choose(c, k) / choose(n, k), 12);
        }
  });
  it('edge cases: k = 1 is the pass rate, fewer trials than k is undefined, bad input is undefined', () => {
    expect(passAtK(5, 2, 1)).toBeCloseTo(0.4);
    expect(passHatK(5, 2, 1)).toBeCloseTo(0.4);
    expect(passAtK(3, 3, 5)).toBeUndefined();
    expect(passAtK(3, 4, 1)).toBeUndefined();
    expect(passHatK(3, 1, 0)).toBeUndefined();
    expect(passAtK(10, 0, 3)).toBe(0);
    expect(passHatK(10, 10, 3)).toBe(1);
  });
  it('suite estimates average over cases with a standard error over cases', () => {
    const counts = countByCase([
      { caseId: 'a', passed: true },
      { caseId: 'a', passed: false },
      { caseId: 'b', passed: true },
      { caseId: 'b', passed: true },
    ]);
    expect(counts).toEqual([
      { caseId: 'a', n: 2, c: 1 },
      { caseId: 'b', n: 2, c: 2 },
    ]);
    const e = suiteEstimate(counts, 1, 'pass@k')!;
    expect(e.mean).toBeCloseTo(0.75);
    expect(e.stderr).toBeCloseTo(0.25);
    expect(suiteEstimate(counts, 2, 'pass^k')!.mean).toBeCloseTo(0.5);
    expect(suiteEstimate(counts, 3, 'pass@k')).toBeUndefined();
    expect(meanStderr([])).toBeUndefined();
  });
  it("McNemar's exact test: no discordance p = 1; 10 to 0 is significant; 6 to 4 is not", () => {
    expect(mcnemarExact([[true, true]]).p).toBe(1);
    expect(mcnemarExact(Array.from({ length: 10 }, () => [true, false] as [boolean, boolean])).p).toBeCloseTo(2 / 1024, 10);
    const mixed = [...Array.from({ length: 6 }, () => [true, false]), ...Array.from({ length: 4 }, () => [false, true])] as [
      boolean,
      boolean,
    ][];
    expect(mcnemarExact(mixed).p).toBeCloseTo(0.7539, 3);
    expect(mcnemarExact(Array.from({ length: 2000 }, (_, i) => [i % 3 === 0, i % 3 !== 0] as [boolean, boolean])).p).toBeLessThan(1e-10);
  });
});
