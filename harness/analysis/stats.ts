/**
 * Statistics for comparing and analysing stored runs (pure): the Mann–Whitney U test on two independent samples,
 * Pearson and Spearman correlation, and a least-squares slope for trends.
 *
 * Mann–Whitney U: exact two-sided p from the distribution of U (Mann & Whitney 1947) when there are no ties and
 * n1 + n2 <= 40; otherwise the normal approximation with tie correction and continuity correction (as
 * scipy.stats.mannwhitneyu does with method='asymptotic', https://github.com/scipy/scipy,
 * scipy/stats/_mannwhitneyu.py).
 */

export interface MannWhitney {
  /** U of the first sample (number of pairs where a > b, ties count 1/2) */
  u: number;
  /** two-sided p-value */
  p: number;
  method: 'exact' | 'asymptotic';
}

/** Ranks 1..n with ties given their average rank. */
export function ranks(values: readonly number[]): number[] {
  const idx = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const r = new Array<number>(values.length);
  for (let i = 0; i < idx.length;) {
    let j = i;
    while (j + 1 < idx.length && idx[j + 1][0] === idx[i][0]) j++;
    const avg = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) r[idx[k][1]] = avg;
    i = j + 1;
  }
  return r;
}

/** Number of ways to get each U in 0..n1*n2 for samples of size n1, n2 without ties (recursive counts, memoised). */
function uDistribution(n1: number, n2: number): number[] {
  // c[i][j][u]: arrangements of i x's and j y's with U = u; c(i,j,u) = c(i-1,j,u-j) + c(i,j-1,u)
  let prev: number[][] = [];
  for (let i = 0; i <= n1; i++) {
    const row: number[][] = [];
    for (let j = 0; j <= n2; j++) {
      const size = i * j + 1;
      const cur = new Array<number>(size).fill(0);
      if (i === 0 || j === 0) cur[0] = 1;
      else {
        const a = prev[j];
        const b = row[j - 1];
        for (let u = 0; u < size; u++) cur[u] = (u - j >= 0 && u - j < a.length ? a[u - j] : 0) + (u < b.length ? b[u] : 0);
      }
      row.push(cur);
    }
    prev = row;
  }
  return prev[n2];
}

export function mannWhitneyU(a: readonly number[], b: readonly number[]): MannWhitney | null {
  const n1 = a.length;
  const n2 = b.length;
  if (n1 === 0 || n2 === 0) return null;
  const r = ranks([...a, ...b]);
  const r1 = r.slice(0, n1).reduce((s, x) => s + x, 0);
  const u = r1 - (n1 * (n1 + 1)) / 2;
  const hasTies = new Set([...a, ...b]).size < n1 + n2;
  if (!hasTies && n1 + n2 <= 40) {
    const dist = uDistribution(n1, n2);
    const total = dist.reduce((s, x) => s + x, 0);
    const lo = Math.min(u, n1 * n2 - u);
    let tail = 0;
    for (let k = 0; k <= lo; k++) tail += dist[k];
    return { u, p: Math.min(1, (2 * tail) / total), method: 'exact' };
  }
  const n = n1 + n2;
  const counts = new Map<number, number>();
  for (const x of r) counts.set(x, (counts.get(x) ?? 0) + 1);
  let tieTerm = 0;
  for (const t of counts.values()) tieTerm += t ** 3 - t;
  const sigma = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1))));
  if (sigma === 0) return { u, p: 1, method: 'asymptotic' };
  const mu = (n1 * n2) / 2;
  const z = (Math.abs(u - mu) - 0.5) / sigma;
  return { u, p: Math.min(1, 2 * (1 - normalCdf(Math.max(0, z)))), method: 'asymptotic' };
}

/** Standard normal CDF (Abramowitz & Stegun 7.1.26 erf approximation, |error| < 1.5e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + y) : 0.5 * (1 - y);
}

/** Pearson's r; null with fewer than 3 pairs or a constant side. */
export function pearson(x: readonly number[], y: readonly number[]): number | null {
  const n = Math.min(x.length, y.length);
  if (n < 3) return null;
  const mx = x.slice(0, n).reduce((s, v) => s + v, 0) / n;
  const my = y.slice(0, n).reduce((s, v) => s + v, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  if (sxx === 0 || syy === 0) return null;
  return sxy / Math.sqrt(sxx * syy);
}

/** Spearman's rho (Pearson on ranks). */
export function spearman(x: readonly number[], y: readonly number[]): number | null {
  const n = Math.min(x.length, y.length);
  if (n < 3) return null;
  return pearson(ranks(x.slice(0, n)), ranks(y.slice(0, n)));
}

/** Least-squares slope of y over x; null with fewer than 2 points or constant x. */
export function slope(x: readonly number[], y: readonly number[]): number | null {
  const n = Math.min(x.length, y.length);
  if (n < 2) return null;
  const mx = x.slice(0, n).reduce((s, v) => s + v, 0) / n;
  const my = y.slice(0, n).reduce((s, v) => s + v, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
  }
  return sxx === 0 ? null : sxy / sxx;
}
