/** Small statistics for summaries: nearest-rank quantiles over a copy of the values. */
export function quantile(values: readonly number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export interface Stats {
  count: number;
  min: number | null;
  p50: number | null;
  p95: number | null;
  max: number | null;
  mean: number | null;
}

export function stats(values: readonly number[]): Stats {
  if (values.length === 0) return { count: 0, min: null, p50: null, p95: null, max: null, mean: null };
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  return { count: values.length, min, p50: quantile(values, 0.5), p95: quantile(values, 0.95), max, mean: sum / values.length };
}

/** 3 significant-ish digits for tables. */
export function fmtNum(v: number | null | undefined, digits = 2): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '-';
  if (Number.isInteger(v)) return String(v);
  return v.toFixed(digits);
}
