/**
 * `netharness ptp watch [--kubeconfig P] [--context C] [--json] [--interval S] [--endpoint URL] [--poll-only]
 *   [--freerun-minutes N] [--max-state-changes N] [--offset-threshold NS] [--duration S] [--db PATH]`
 * Alerts on stdout (one line each, or one JSON object per line with --json); Ctrl-C ends it cleanly
 * (subscriptions deleted, the summary printed). Exit 0, or 1 when a CRITICAL alert was raised, 2 error.
 */
import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { ExitCode, UsageError } from '../errors.ts';
import { DEFAULT_DB_PATH, openStore } from '../store/store.ts';
import { ptpWatchStore } from '../store/ptp.ts';
import type { Alert } from './rules.ts';

interface WatchCliOptions {
  kubeconfig?: string;
  context?: string;
  json?: boolean;
  interval?: string;
  endpoint?: string;
  listen?: string;
  pollOnly?: boolean;
  freerunMinutes?: string;
  maxStateChanges?: string;
  offsetThreshold?: string;
  duration?: string;
  db?: string;
}

function num(name: string, v: string | undefined, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min) throw new UsageError(`${name}: expected a number >= ${min}, got '${v}'`);
  return n;
}

export const renderAlert = (a: Alert): string =>
  `${a.at} ${a.severity.padEnd(8)} ${a.summary} [nodes: ${a.nodes.join(', ')}]\n    -> ${a.recommendations.join('; ')}`;

export function registerPtpWatch(ptp: Command): void {
  ptp
    .command('watch')
    .description(
      "subscribe to every node's cloud-event-proxy (REST API v2; CurrentState polling as fallback), record events, alert on FREERUN > 5 min, > 10 state changes/hour, |offset| > 100 ns",
    )
    .option('--kubeconfig <path>', 'kubeconfig (default $KUBECONFIG, then ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context')
    .option('--json', 'one JSON object per line (alerts, then the summary)')
    .option('--interval <s>', 'CurrentState poll period in seconds (default 5)')
    .option('--endpoint <url>', 'consumer URL the sidecars can reach (default: the local listener when the API server is on loopback)')
    .option('--listen <host:port>', 'local listener for events (default 127.0.0.1:0)')
    .option('--poll-only', 'do not subscribe; poll CurrentState')
    .option('--freerun-minutes <n>', 'alert when FREERUN lasts longer (default 5)')
    .option('--max-state-changes <n>', 'alert when more state changes per hour (default 10)')
    .option('--offset-threshold <ns>', 'alert when |offset| is above (default 100)')
    .option('--duration <s>', 'stop after this many seconds (default: until Ctrl-C)')
    .option('--db <path>', `results database (default ${DEFAULT_DB_PATH})`)
    .action(async (o: WatchCliOptions) => {
      // the rules (zod), the watcher and client-node are loaded by the action, not by `--help`
      const [{ WatchRulesConfig }, { runWatch }, { connect }] = await Promise.all([
        import('./rules.ts'),
        import('./watch.ts'),
        import('../cluster/connect.ts'),
      ]);
      const rules = WatchRulesConfig.parse({
        ...(o.freerunMinutes !== undefined ? { freerunMinutes: num('--freerun-minutes', o.freerunMinutes, 0) } : {}),
        ...(o.maxStateChanges !== undefined
          ? { maxStateChangesPerHour: Math.floor(num('--max-state-changes', o.maxStateChanges, 0)!) }
          : {}),
        ...(o.offsetThreshold !== undefined ? { offsetThresholdNs: num('--offset-threshold', o.offsetThreshold, 0) } : {}),
      });
      const intervalS = num('--interval', o.interval, 0.1) ?? 5;
      const durationS = num('--duration', o.duration, 0.1);
      let listen: { host: string; port: number } | undefined;
      if (o.listen) {
        const m = /^(.+):(\d{1,5})$/.exec(o.listen);
        if (!m || Number(m[2]) > 65535) throw new UsageError(`--listen: expected host:port, got '${o.listen}'`);
        listen = { host: m[1], port: Number(m[2]) };
      }
      if (o.endpoint && !/^https?:\/\/\S+$/.test(o.endpoint))
        throw new UsageError(`--endpoint: expected an http(s) URL, got '${o.endpoint}'`);
      const cluster = connect({ kubeconfig: o.kubeconfig, context: o.context });
      const store = openStore(o.db ?? DEFAULT_DB_PATH);
      const watchId = randomUUID();
      const rec = ptpWatchStore(store, watchId);
      const ac = new AbortController();
      const stop = (): void => ac.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      const timer = durationS ? setTimeout(stop, durationS * 1000) : undefined;
      try {
        const r = await runWatch({
          cluster,
          rules,
          intervalMs: intervalS * 1000,
          endpoint: o.endpoint,
          listen,
          pollOnly: o.pollOnly,
          signal: ac.signal,
          onEvent: (e) => rec.recordEvent(e),
          onAlert: (a) => {
            rec.recordAlert(a);
            process.stdout.write(o.json ? `${JSON.stringify({ alert: a })}\n` : `${renderAlert(a)}\n`);
          },
          log: (l) => process.stderr.write(`${l}\n`),
        });
        const summary = {
          watchId,
          nodes: r.nodes,
          subscribed: r.subscribed,
          polled: r.polled,
          events: r.events,
          alerts: r.alerts.length,
          latest: r.summary,
        };
        process.stdout.write(
          o.json
            ? `${JSON.stringify({ summary })}\n`
            : `ptp watch ${watchId}: ${r.events} events, ${r.alerts.length} alerts on ${r.nodes.length} node(s)\n`,
        );
        process.exitCode = r.alerts.some((a) => a.severity === 'CRITICAL') ? ExitCode.checkFailed : ExitCode.ok;
      } finally {
        if (timer) clearTimeout(timer);
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        store.close();
      }
    });
}
