/**
 * A measurement across the stored runs of one scenario (or check / eval), oldest first: per run n, p50, p95, max,
 * and over the runs the least-squares slope of p50 per run and the change first -> last.
 */
import { measurementSamples } from './runs.ts';
import { slope } from './stats.ts';
import { stats } from '../runner/stats.ts';
import type { RunKind, Store, Verdict } from '../store/store.ts';

export interface TrendPoint {
  runId: string;
  startedAt: string;
  verdict: Verdict;
  n: number;
  p50: number | null;
  p95: number | null;
  max: number | null;
}

export interface Trend {
  name: string;
  key: string;
  unit: string;
  points: TrendPoint[];
  /** change of p50 per run (least squares) */
  slopePerRun: number | null;
  /** p50 of the last run vs the first, in % */
  changePct: number | null;
}

export function trend(store: Store, scenario: string, o: { measurement?: string; limit?: number; kind?: RunKind } = {}): Trend[] {
  const runs = store
    .listRuns({ name: scenario, limit: o.limit ?? 50, ...(o.kind ? { kind: o.kind } : {}) })
    .filter((r) => r.verdict !== 'running')
    .reverse();
  const byKey = new Map<string, Trend>();
  runs.forEach((r) => {
    for (const s of measurementSamples(store.getRun(r.id))) {
      if (o.measurement && s.name !== o.measurement && s.key !== o.measurement) continue;
      let t = byKey.get(s.key);
      if (!t) byKey.set(s.key, (t = { name: s.name, key: s.key, unit: s.unit, points: [], slopePerRun: null, changePct: null }));
      const st = stats(s.values);
      t.points.push({ runId: r.id, startedAt: r.startedAt, verdict: r.verdict, n: st.count, p50: st.p50, p95: st.p95, max: st.max });
    }
  });
  for (const t of byKey.values()) {
    const idx = t.points.map((_, i) => i);
    const ys = t.points.map((p) => p.p50 ?? NaN);
    const ok = idx.filter((i) => Number.isFinite(ys[i]));
    t.slopePerRun = slope(
      ok,
      ok.map((i) => ys[i]),
    );
    const first = t.points.find((p) => p.p50 !== null)?.p50;
    const last = [...t.points].reverse().find((p) => p.p50 !== null)?.p50;
    t.changePct =
      first !== undefined && first !== null && last !== undefined && last !== null && first !== 0
        ? ((last - first) / Math.abs(first)) * 100
        : null;
  }
  return [...byKey.values()].sort((a, b) => a.key.localeCompare(b.key));
}
