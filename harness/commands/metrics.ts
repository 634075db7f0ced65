/**
 * `netharness metrics query <expr> [--range 10m [--step 15s]] [--time T] [--kubeconfig P [--context C]]
 *    [--prometheus-url U [--prometheus-token T]] [--json]`   PromQL against the cluster's Prometheus
 * `netharness metrics profile <file> [--json]`             validate a metrics profile and list its queries
 * `netharness metrics series <run> [--metric NAME] [--db PATH] [--json]`   the series a run stored
 *
 * The Prometheus is found as for `scenario --metrics-profile` (harness/metrics/client.ts).
 */
import type { Command } from 'commander';
import { UsageError } from '../errors.ts';
import type { PromSeries } from '../metrics/client.ts';
import { defaultDbPath } from '../paths.ts';
import { renderTable } from '../runner/summary.ts';
import { listMetricSeries, metricNames } from '../store/metrics.ts';
import { openStore } from '../store/store.ts';

interface QueryOptions {
  kubeconfig?: string;
  context?: string;
  prometheusUrl?: string;
  prometheusToken?: string;
  time?: string;
  range?: string;
  step?: string;
  json?: boolean;
}

function parseTime(v: string): Date {
  const d = /^\d+(\.\d+)?$/.test(v) ? new Date(Number(v) * 1000) : new Date(v);
  if (Number.isNaN(d.getTime())) throw new UsageError(`--time: expected RFC 3339 or unix seconds (got '${v}')`);
  return d;
}

const labelText = (l: Record<string, string>): string =>
  `{${Object.entries(l)
    .map(([k, v]) => `${k}="${v}"`)
    .join(', ')}}`;

function renderSeries(series: PromSeries[]): string {
  if (series.length === 0) return '(no series)';
  const rows = series.map((s) => {
    const last = s.points[s.points.length - 1];
    return [labelText(s.labels), last ? String(last[1]) : '', String(s.points.length), last ? new Date(last[0] * 1000).toISOString() : ''];
  });
  return renderTable(['series', 'value (last)', 'points', 'at'], rows);
}

export function registerMetrics(program: Command): void {
  const m = program.command('metrics').description("query the cluster's Prometheus, check metric profiles, show a run's stored series");
  m.command('query')
    .description('run a PromQL query (instant, or over --range) against thanos-querier / Prometheus')
    .argument('<expr>', 'PromQL expression')
    .option('--range <duration>', 'a range query over the last <duration> (5m, 1h)')
    .option('--step <duration>', 'range query resolution (default range / 100, at least 1s)')
    .option('--time <time>', 'evaluation time for an instant query / end of the range (RFC 3339 or unix seconds; default now)')
    .option('--kubeconfig <path>', 'the cluster (default $KUBECONFIG, then ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context')
    .option('--prometheus-url <url>', 'Prometheus / Thanos base URL instead of the route / service proxy')
    .option('--prometheus-token <token>', 'bearer token for --prometheus-url (or NETHARNESS_PROMETHEUS_TOKEN)')
    .option('--json', 'the series as JSON on stdout')
    .action(async (expr: string, o: QueryOptions) => {
      if (!expr.trim()) throw new UsageError('<expr>: an empty PromQL expression');
      if (o.step !== undefined && o.range === undefined) throw new UsageError('--step needs --range');
      if (o.context && !o.kubeconfig) throw new UsageError('--context needs --kubeconfig');
      if (o.prometheusUrl !== undefined && !/^https?:\/\/[^/\s]+/.test(o.prometheusUrl))
        throw new UsageError(`--prometheus-url: expected an http(s):// URL (got '${o.prometheusUrl}')`);
      const at = o.time !== undefined ? parseTime(o.time) : new Date();
      // the client (client-node) and the profile parser (zod) are loaded by the actions, not by `--help`
      const [{ connect }, { connectPrometheus, PromQueryError }, { parseStep }] = await Promise.all([
        import('../cluster/connect.ts'),
        import('../metrics/client.ts'),
        import('../metrics/profile.ts'),
      ]);
      const range = o.range !== undefined ? parseStep(o.range, '--range') : undefined;
      const step =
        o.step !== undefined ? parseStep(o.step, '--step') : range !== undefined ? Math.max(1, Math.ceil(range / 100)) : undefined;
      const cluster = o.prometheusUrl ? undefined : connect({ kubeconfig: o.kubeconfig, context: o.context });
      const client = await connectPrometheus(cluster, { url: o.prometheusUrl, token: o.prometheusToken });
      let series: PromSeries[];
      try {
        series =
          range !== undefined && step !== undefined
            ? await client.queryRange(expr, new Date(at.getTime() - range * 1000), at, step)
            : await client.query(expr, at);
      } catch (e) {
        if (e instanceof PromQueryError) throw new UsageError(`query '${expr}' failed: ${e.message}`);
        throw e;
      }
      if (o.json) process.stdout.write(`${JSON.stringify({ source: client.describe, query: expr, series }, null, 2)}\n`);
      else process.stdout.write(`${renderSeries(series)}\n`);
    });

  m.command('profile')
    .description('validate a metrics profile (kube-burner format) and list its queries; exit 2 naming the bad entry')
    .argument('<file>', 'e.g. metrics/profiles/egressip.yaml')
    .option('--json', 'the parsed profile on stdout')
    .action(async (file: string, o: { json?: boolean }) => {
      const { loadMetricsProfile } = await import('../metrics/profile.ts');
      const p = loadMetricsProfile(file);
      if (o.json) process.stdout.write(`${JSON.stringify(p, null, 2)}\n`);
      else
        process.stdout.write(
          `${renderTable(
            ['metricName', 'kind', 'query'],
            p.map((e) => [e.metricName, e.instant ? 'instant' : 'range', e.query]),
          )}\n`,
        );
    });

  m.command('series')
    .description('the Prometheus series a run stored with --metrics-profile')
    .argument('<run>', 'run id or a unique prefix')
    .option('--metric <name>', "one metricName's series with their points")
    .option('--db <path>', 'results database (default results/netharness.db)')
    .option('--json', 'machine-readable on stdout')
    .action((run: string, o: { metric?: string; db?: string; json?: boolean }) => {
      const store = openStore(o.db ?? defaultDbPath, { markCrashed: false });
      try {
        const id = store.resolveRunId(run);
        if (o.metric) {
          const series = listMetricSeries(store, id, { metricName: o.metric });
          if (series.length === 0 && !metricNames(store, id).some((n) => n.metricName === o.metric))
            throw new UsageError(`--metric: run ${id} has no series named '${o.metric}'`, `see: netharness metrics series ${id}`);
          if (o.json) process.stdout.write(`${JSON.stringify({ runId: id, series }, null, 2)}\n`);
          else
            process.stdout.write(
              `${renderTable(
                ['labels', 'kind', 'points', 'last'],
                series.map((s) => [
                  labelText(s.labels),
                  s.kind,
                  String(s.points.length),
                  String(s.points[s.points.length - 1]?.value ?? ''),
                ]),
              )}\n`,
            );
          return;
        }
        const names = metricNames(store, id);
        if (o.json) process.stdout.write(`${JSON.stringify({ runId: id, metrics: names }, null, 2)}\n`);
        else if (names.length === 0) process.stdout.write(`run ${id} has no metric series (run it with --metrics-profile)\n`);
        else
          process.stdout.write(
            `${renderTable(
              ['metricName', 'kind', 'series', 'points'],
              names.map((n) => [n.metricName, n.kind, String(n.series), String(n.points)]),
            )}\n`,
          );
      } finally {
        store.close();
      }
    });
  m.addHelpText('after', '\nExit codes: 0 ok, 2 usage error (bad PromQL, bad profile) or infra error (Prometheus unreachable).');
}
