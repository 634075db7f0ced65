/**
 * The runner's metrics hook: after the scenario, before its defers stop the cluster, collect the
 * `--metrics-profile` over the run's time range and at its step boundaries, and store the series.
 * Never fails the run: an unreachable Prometheus or a broken query is a warning (printed, and kept as a
 * run event `metrics-warning` naming the query); the collection itself is an event `metrics-collected`.
 */
import type { Cluster } from '../cluster/connect.ts';
import type { Store } from '../store/store.ts';
import { recordMetricSeries } from '../store/metrics.ts';
import { connectPrometheus, type ClientOptions, type PromClient } from './client.ts';
import { sleep } from '../wait/poll.ts';
import { collectProfile, type Boundary } from './collect.ts';
import type { MetricsProfile } from './profile.ts';

export interface RunMetricsOptions extends ClientOptions {
  profile: MetricsProfile;
  /** the file it came from (events and messages) */
  profilePath: string;
  /** range-query resolution; default: run duration / 200, between 2 s and 30 s */
  stepSeconds?: number;
}

export interface RunMetricsContext {
  store: Store;
  runId: string;
  cluster: Cluster | undefined;
  /** ms since epoch */
  from: number;
  metrics: RunMetricsOptions;
  info: (line: string) => void;
  signal?: AbortSignal;
}

export function defaultStep(spanSeconds: number): number {
  return Math.min(30, Math.max(2, Math.ceil(spanSeconds / 200)));
}

/** The ends of the run's top-level steps, as instant-query boundaries. */
export function stepBoundaries(store: Store, runId: string): Boundary[] {
  return store.stepEnds(runId).map((r) => ({ name: r.name, at: new Date(r.endedAt) }));
}

export async function collectRunMetrics(c: RunMetricsContext): Promise<void> {
  try {
    await collect(c);
  } catch (e) {
    // a store or programming error here must not turn a passed run into an error: say it and go on
    c.info(`warning: metrics: collection failed: ${e instanceof Error ? e.message : String(e)}`);
  }
}

async function collect(c: RunMetricsContext): Promise<void> {
  const { store, runId, metrics } = c;
  const warn = (message: string, details: Record<string, unknown>): void => {
    c.info(`warning: metrics: ${message}`);
    store.recordEvent(runId, { kind: 'metrics-warning', target: metrics.profilePath, details: { message, ...details } });
  };
  let client;
  try {
    client = await connectPrometheus(c.cluster, metrics);
    await client.buildInfo(c.signal);
  } catch (e) {
    warn(`no series collected: ${e instanceof Error ? e.message : String(e)}`, {});
    return;
  }
  // A Prometheus that started with the cluster may not have scraped twice yet when a short run ends (seen on a
  // loaded machine and on quick runs): wait, bounded, for two scrapes of a target, so the range below holds
  // samples and rate()/increase() have the two points they need.
  if (!(await scrapedTwice(client, c.signal))) warn('Prometheus has not scraped any target twice yet (waited 30 s)', {});
  const end = new Date();
  const start = new Date(c.from);
  const stepSeconds = metrics.stepSeconds ?? defaultStep((end.getTime() - start.getTime()) / 1000);
  const res = await collectProfile(
    client,
    metrics.profile,
    { start, end, stepSeconds, boundaries: stepBoundaries(store, runId) },
    c.signal,
  );
  for (const w of res.warnings)
    warn(`query '${w.metricName}' failed (${w.query}): ${w.message}`, { metricName: w.metricName, query: w.query });
  const points = recordMetricSeries(store, runId, res.series);
  const names = new Set(res.series.map((s) => s.metricName)).size;
  store.recordEvent(runId, {
    kind: 'metrics-collected',
    target: metrics.profilePath,
    details: {
      source: client.describe,
      metrics: names,
      series: res.series.length,
      points,
      queries: res.queries,
      warnings: res.warnings.length,
      stepSeconds,
      durationMs: Math.round(res.durationMs),
    },
  });
  c.info(
    `metrics: ${res.series.length} series of ${names}/${metrics.profile.length} metrics (${points} points) from ${client.describe} in ${(res.durationMs / 1000).toFixed(1)} s${res.warnings.length ? `, ${res.warnings.length} warning(s)` : ''}`,
  );
}

async function scrapedTwice(client: PromClient, signal?: AbortSignal, timeoutMs = 30_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await client.query('count_over_time(up[10m]) >= 2', undefined, signal)).length > 0) return true;
    } catch (_e) {
      // not answering yet: same as no sample
    }
    if (Date.now() > deadline || signal?.aborted) return false;
    await sleep(1000);
  }
}
