/**
 * Store methods for the Prometheus series a run collected with its metrics profile (harness/metrics):
 * tables metric_series (one row per metricName x label set x kind) and metric_points (its samples),
 * see migrations.ts. Reports, compare and trend read them back with listMetricSeries / metricNames.
 *
 *   recordMetricSeries(store, runId, [{ metricName, query, kind: 'range', labels, stepSeconds, points }]);
 *   listMetricSeries(store, runId, { metricName: 'egressIPs' }) -> StoredSeries[] (points in time order)
 */
import type { Store } from './store.ts';

export type SeriesKind = 'range' | 'instant';

export interface MetricPoint {
  /** ISO time of the sample */
  at: string;
  /** null where Prometheus answered NaN */
  value: number | null;
  /** instant queries: the step boundary the sample was taken at ('end' for the end of the run) */
  step?: string;
}

export interface MetricSeriesInput {
  metricName: string;
  /** the PromQL as sent (after {{ .elapsed }}) */
  query: string;
  kind: SeriesKind;
  labels: Record<string, string>;
  /** range queries: the resolution */
  stepSeconds?: number;
  points: MetricPoint[];
}

export interface StoredSeries extends MetricSeriesInput {
  id: number;
}

/** Writes the series in one transaction; returns the number of points written. */
export function recordMetricSeries(store: Store, runId: string, series: MetricSeriesInput[]): number {
  const db = store.db;
  const insS = db.prepare('INSERT INTO metric_series (run_id, metric_name, query, kind, labels, step_seconds) VALUES (?, ?, ?, ?, ?, ?)');
  const insP = db.prepare('INSERT INTO metric_points (series_id, at, value, step) VALUES (?, ?, ?, ?)');
  let n = 0;
  db.transaction(() => {
    for (const s of series) {
      const id = Number(
        insS.run(runId, s.metricName, s.query, s.kind, JSON.stringify(sortLabels(s.labels)), s.stepSeconds ?? null).lastInsertRowid,
      );
      for (const p of s.points) {
        // SQLite stores NaN as NULL anyway; say so explicitly. ±Inf are REALs.
        insP.run(id, p.at, p.value === null || Number.isNaN(p.value) ? null : p.value, p.step ?? null);
        n++;
      }
    }
  })();
  return n;
}

function sortLabels(l: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(l).sort(([a], [b]) => a.localeCompare(b)));
}

interface RawSeries {
  id: number;
  metric_name: string;
  query: string;
  kind: SeriesKind;
  labels: string;
  step_seconds: number | null;
}

/** The run's series (by metricName, then labels), each with its points in time order. */
export function listMetricSeries(store: Store, runId: string, opts: { metricName?: string } = {}): StoredSeries[] {
  const db = store.db;
  const rows = (
    opts.metricName
      ? db
          .prepare('SELECT * FROM metric_series WHERE run_id = ? AND metric_name = ? ORDER BY metric_name, labels, id')
          .all(runId, opts.metricName)
      : db.prepare('SELECT * FROM metric_series WHERE run_id = ? ORDER BY metric_name, labels, id').all(runId)
  ) as RawSeries[];
  const pts = db.prepare('SELECT at, value, step FROM metric_points WHERE series_id = ? ORDER BY at, rowid');
  return rows.map((r) => ({
    id: r.id,
    metricName: r.metric_name,
    query: r.query,
    kind: r.kind,
    labels: JSON.parse(r.labels) as Record<string, string>,
    ...(r.step_seconds !== null ? { stepSeconds: r.step_seconds } : {}),
    points: (pts.all(r.id) as { at: string; value: number | null; step: string | null }[]).map((p) => ({
      at: p.at,
      value: p.value,
      ...(p.step !== null ? { step: p.step } : {}),
    })),
  }));
}

/** The metricNames a run has series for, with their series and point counts. */
export function metricNames(store: Store, runId: string): { metricName: string; kind: SeriesKind; series: number; points: number }[] {
  return store.db
    .prepare(
      `SELECT s.metric_name AS metricName, s.kind AS kind, COUNT(DISTINCT s.id) AS series, COUNT(p.rowid) AS points
       FROM metric_series s LEFT JOIN metric_points p ON p.series_id = s.id
       WHERE s.run_id = ? GROUP BY s.metric_name, s.kind ORDER BY s.metric_name`,
    )
    .all(runId) as { metricName: string; kind: SeriesKind; series: number; points: number }[];
}
