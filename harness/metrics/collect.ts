/**
 * Collects a metrics profile over a time range: range queries (query_range from start to end at a step)
 * and instant queries at each boundary (the ends of the run's steps, and the end of the run), as
 * kube-burner does for a job. A query that fails is a warning naming it; the others still run.
 */
import type { MetricSeriesInput } from '../store/metrics.ts';
import type { PromClient, PromSeries } from './client.ts';
import { renderQuery, type MetricsProfile } from './profile.ts';

export interface Boundary {
  name: string;
  at: Date;
}

export interface CollectWindow {
  start: Date;
  end: Date;
  stepSeconds: number;
  /** where instant queries are evaluated (the end of the run is added as 'end') */
  boundaries: Boundary[];
}

export interface MetricWarning {
  metricName: string;
  query: string;
  message: string;
}

export interface CollectResult {
  series: MetricSeriesInput[];
  warnings: MetricWarning[];
  queries: number;
  durationMs: number;
}

/** Prometheus refuses more than 11000 points per series: a coarser step for long runs. */
export function effectiveStep(start: Date, end: Date, stepSeconds: number): number {
  const span = Math.max(1, (end.getTime() - start.getTime()) / 1000);
  return Math.max(stepSeconds, Math.ceil(span / 11_000));
}

/** Prometheus evaluates a range at start, start+step, ... up to end: start moves back so the last point is `end`
 * itself, or a short run's newest samples (its first scrapes) would fall after the last point. */
export function alignedStart(start: Date, end: Date, stepSeconds: number): Date {
  const stepMs = stepSeconds * 1000;
  const steps = Math.max(0, Math.ceil((end.getTime() - start.getTime()) / stepMs));
  return new Date(end.getTime() - steps * stepMs);
}

const iso = (unixSeconds: number): string => new Date(Math.round(unixSeconds * 1000)).toISOString();

function labelKey(l: Record<string, string>): string {
  return JSON.stringify(Object.entries(l).sort(([a], [b]) => a.localeCompare(b)));
}

export async function collectProfile(
  client: PromClient,
  profile: MetricsProfile,
  w: CollectWindow,
  signal?: AbortSignal,
): Promise<CollectResult> {
  const t0 = performance.now();
  const series: MetricSeriesInput[] = [];
  const warnings: MetricWarning[] = [];
  let queries = 0;
  const elapsed = (w.end.getTime() - w.start.getTime()) / 1000;
  const step = effectiveStep(w.start, w.end, w.stepSeconds);
  const boundaries = [...w.boundaries.filter((b) => b.at >= w.start && b.at < w.end), { name: 'end', at: w.end }];
  const fail = (metricName: string, query: string, e: unknown): void => {
    warnings.push({ metricName, query, message: e instanceof Error ? e.message : String(e) });
  };
  for (const m of profile) {
    if (signal?.aborted) break;
    const query = renderQuery(m.query, elapsed);
    if (!m.instant) {
      queries++;
      let res: PromSeries[];
      try {
        res = await client.queryRange(query, alignedStart(w.start, w.end, step), w.end, step, signal);
      } catch (e) {
        fail(m.metricName, query, e);
        continue;
      }
      for (const s of res)
        series.push({
          metricName: m.metricName,
          query,
          kind: 'range',
          labels: s.labels,
          stepSeconds: step,
          points: s.points.map(([t, v]) => ({ at: iso(t), value: v })),
        });
      continue;
    }
    const byLabels = new Map<string, MetricSeriesInput>();
    for (const b of boundaries) {
      queries++;
      let res: PromSeries[];
      try {
        res = await client.query(query, b.at, signal);
      } catch (e) {
        fail(m.metricName, query, e);
        // a PromQL error repeats at every boundary: one warning is enough
        break;
      }
      for (const s of res) {
        const k = labelKey(s.labels);
        let out = byLabels.get(k);
        if (!out) byLabels.set(k, (out = { metricName: m.metricName, query, kind: 'instant', labels: s.labels, points: [] }));
        for (const [t, v] of s.points) out.points.push({ at: iso(t), value: v, step: b.name });
      }
    }
    series.push(...byLabels.values());
  }
  return { series, warnings, queries, durationMs: performance.now() - t0 };
}
