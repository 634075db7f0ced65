/**
 * Repeat statistics for eval summaries and reports (pure). Per case, n trials of which c passed:
 *   pass@k = 1 - C(n-c, k) / C(n, k)   (some of k tries passes; Chen et al. 2021, the unbiased estimator)
 *   pass^k = C(c, k) / C(n, k)         (all of k tries pass; the "consistency" view MCPMark and k8s-ai-bench report)
 * averaged over cases, with the standard error sd / sqrt(cases) over the per-case estimates (trials of one
 * case are not independent, so cases are the units). k8s-ai-bench's site uses the biased plug-ins
 * 1-(1-c/n)^k and (c/n)^k instead; these are the unbiased ones. McNemar's exact test compares two agents
 * on the same trials (microsoft/OpenRCA issue #23 shows why a baseline needs one).
 */

export interface CaseCount {
  caseId: string;
  /** trials scored (infra errors excluded) */
  n: number;
  /** trials passed */
  c: number;
}

/** Unbiased pass@k of one case; undefined when n < k. */
export function passAtK(n: number, c: number, k: number): number | undefined {
  if (!Number.isInteger(k) || k < 1 || c < 0 || c > n || n < k) return undefined;
  if (n - c < k) return 1;
  let p = 1;
  for (let j = n - c + 1; j <= n; j++) p *= 1 - k / j;
  return 1 - p;
}

/** Unbiased pass^k of one case; undefined when n < k. */
export function passHatK(n: number, c: number, k: number): number | undefined {
  if (!Number.isInteger(k) || k < 1 || c < 0 || c > n || n < k) return undefined;
  if (c < k) return 0;
  let p = 1;
  for (let j = 0; j < k; j++) p *= (c - j) / (n - j);
  return p;
}

export interface Estimate {
  mean: number;
  /** standard error over cases (0 with one case) */
  stderr: number;
  /** cases that had at least k trials */
  cases: number;
}

export function meanStderr(xs: readonly number[]): Estimate | undefined {
  if (!xs.length) return undefined;
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  if (xs.length < 2) return { mean, stderr: 0, cases: xs.length };
  const v = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1);
  return { mean, stderr: Math.sqrt(v / xs.length), cases: xs.length };
}

/** pass@k or pass^k over a suite: the mean of the per-case estimates of the cases with >= k trials. */
export function suiteEstimate(counts: readonly CaseCount[], k: number, kind: 'pass@k' | 'pass^k'): Estimate | undefined {
  const f = kind === 'pass@k' ? passAtK : passHatK;
  return meanStderr(counts.map((x) => f(x.n, x.c, k)).filter((x): x is number => x !== undefined));
}

/** Pass counts per case from trial outcomes. */
export function countByCase(trials: readonly { caseId: string; passed: boolean }[]): CaseCount[] {
  const m = new Map<string, CaseCount>();
  for (const t of trials) {
    const x = m.get(t.caseId) ?? { caseId: t.caseId, n: 0, c: 0 };
    x.n++;
    if (t.passed) x.c++;
    m.set(t.caseId, x);
  }
  return [...m.values()];
}

/**
 * McNemar's exact test on paired outcomes (agent A vs B on the same trials): two-sided p of the discordant
 * pairs under a fair coin. b = A passed and B failed, c = the reverse.
 */
export function mcnemarExact(pairs: readonly [boolean, boolean][]): { b: number; c: number; p: number } {
  let b = 0;
  let c = 0;
  for (const [x, y] of pairs) {
    if (x && !y) b++;
    else if (!x && y) c++;
  }
  const n = b + c;
  if (n === 0) return { b, c, p: 1 };
  const lo = Math.min(b, c);
  // P(X <= lo) for X ~ Binomial(n, 1/2), doubled, capped at 1; log-space so large n does not overflow
  let logC = 0;
  let tail = 0;
  for (let i = 0; i <= lo; i++) {
    if (i > 0) logC += Math.log(n - i + 1) - Math.log(i);
    tail += Math.exp(logC - n * Math.LN2);
  }
  return { b, c, p: Math.min(1, 2 * tail) };
}
