/**
 * `netharness monitor egressip [--interval 30s] [--count N] [--window 5] [--kubeconfig P] [--context C]
 *   [--db PATH | --no-record] [--json]`: run the EgressIP consistency check on a schedule until Ctrl-C (or N
 * ticks), record each tick's rule counts per node, print the changes since the previous tick, and flag churn
 * (counts that go and come back within --window ticks). Recorded as one run (kind check, name egressip-monitor):
 * a checks row per tick with its findings, snat_rules / lrp_rules per node and tick, a `rule-churn` event per flag.
 * Exit 0 when every tick was consistent and nothing churned, 1 otherwise, 130 on Ctrl-C (the run is finished
 * with what it saw), 2 on a usage error.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { ChurnTracker, type Tick } from '../analysis/churn.ts';
import { kubeconfigLabel } from '../checks/record.ts';
import { defaultDbPath, VERSION } from '../constants.ts';
import { ExitCode, InterruptedError, UsageError } from '../errors.ts';
import { openStore, type Store } from '../store/store.ts';
import { sleep } from '../wait/poll.ts';

interface MonitorOptions {
  interval: string;
  count?: string;
  window: string;
  kubeconfig?: string;
  context?: string;
  db?: string;
  record?: boolean;
  json?: boolean;
}

function positiveInt(v: string | undefined, flag: string, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new UsageError(`${flag}: expected an integer 1..${max}, got '${v}'`);
  return n;
}

function tickLine(t: Tick, at: string, consistent: boolean, findings: number, snat: number, lrp: number, nodes: number): string {
  const parts = [
    `[${at.slice(11, 19)}] tick ${t.tick}: ${consistent ? 'consistent' : `${findings} findings`}, ${snat} SNAT / ${lrp} LRP on ${nodes} nodes`,
  ];
  if (t.changes.length) parts.push(`changes: ${t.changes.map((c) => `${c.node} ${c.rule} ${c.from}->${c.to}`).join(', ')}`);
  if (t.churn.length) parts.push(`CHURN: ${t.churn.map((c) => `${c.node} ${c.rule} [${c.history.join(',')}]`).join(', ')}`);
  return parts.join('; ');
}

export function registerMonitor(program: Command): void {
  const monitor = program.command('monitor').description('watch a cluster over time');
  monitor
    .command('egressip')
    .description('run the EgressIP check on a schedule; rule counts per node, their changes, churn; until Ctrl-C')
    .option('--interval <duration>', 'time between checks (1s..24h)', '30s')
    .option('--count <n>', 'stop after N checks (default: until Ctrl-C)')
    .option('--window <n>', 'ticks a count may go and come back in to be churn', '5')
    .option('--kubeconfig <path>', 'kubeconfig (default $KUBECONFIG, then ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context')
    .option('--db <path>', 'results database the run is recorded in (default results/netharness.db)')
    .option('--no-record', 'do not record in the results database')
    .option('--json', 'one JSON object per tick on stdout (JSON lines)')
    .action(async (o: MonitorOptions) => {
      // the check (client-node) and the step parser (zod) are loaded by the action, not by `--help`
      const [{ connect }, { checkEgressIP, toCheckFinding }, { parseStep }] = await Promise.all([
        import('../cluster/connect.ts'),
        import('../checks/egressip/index.ts'),
        import('../metrics/profile.ts'),
      ]);
      const intervalS = parseStep(o.interval, '--interval');
      const count = positiveInt(o.count, '--count', 1_000_000);
      const window = positiveInt(o.window, '--window', 1000) as number;
      const cluster = connect({ kubeconfig: o.kubeconfig, context: o.context });
      const store: Store | undefined = o.record === false ? undefined : openStore(resolve(o.db ?? defaultDbPath));
      const runId = store?.createRun({
        kind: 'check',
        name: 'egressip-monitor',
        target: kubeconfigLabel(o.kubeconfig, o.context),
        params: { interval: o.interval, count: count ?? null, window },
        versions: { netharness: VERSION, node: process.version },
      });
      if (runId) process.stderr.write(`recording as run ${runId} (netharness report ${runId.slice(0, 8)})\n`);
      const abort = new AbortController();
      let signalled: NodeJS.Signals | undefined;
      const onSignal = (sig: NodeJS.Signals): void => {
        if (signalled) process.exit(130); // second Ctrl-C: leave now
        signalled = sig;
        abort.abort(new InterruptedError(`interrupted by ${sig}`));
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      const tracker = new ChurnTracker(window);
      let inconsistent = 0;
      let churned = 0;
      let ticks = 0;
      let errors = 0;
      let error: string | undefined;
      try {
        while (!abort.signal.aborted && (count === undefined || ticks < count)) {
          const started = performance.now();
          const at = new Date().toISOString();
          let r: Awaited<ReturnType<typeof checkEgressIP>>;
          try {
            r = await checkEgressIP(cluster);
          } catch (err) {
            if (abort.signal.aborted) break;
            // one failed read (API or a node's NB DB) is a warning; the monitor keeps going
            errors++;
            const msg = err instanceof Error ? err.message : String(err);
            process.stderr.write(`[${at.slice(11, 19)}] check error (tick skipped): ${msg}\n`);
            if (store && runId)
              store.recordCheck(runId, {
                name: `egressip tick error ${errors}`,
                check: 'egressip',
                status: 'error',
                durationMs: performance.now() - started,
                at,
                summary: msg,
              });
            await sleep(intervalS * 1000, abort.signal).catch(() => undefined);
            continue;
          }
          if (abort.signal.aborted) break;
          ticks++;
          const t = tracker.add(r.perNode);
          if (!r.consistent) inconsistent++;
          churned += t.churn.length;
          if (store && runId) {
            store.recordCheck(runId, {
              name: `egressip tick ${t.tick}`,
              check: 'egressip',
              status: r.consistent ? 'passed' : 'failed',
              durationMs: r.durationMs,
              at,
              summary: `${r.counts.snat} SNAT, ${r.counts.lrp} LRP on ${r.counts.nodes} nodes; ${r.findings.length} findings`,
              data: { counts: r.counts, changes: t.changes, churn: t.churn },
              findings: r.findings.map(toCheckFinding),
            });
            for (const [node, c] of Object.entries(r.perNode)) {
              const labels = { tick: String(t.tick), node };
              store.recordMeasurement(runId, { name: 'snat_rules', value: c.snat, unit: 'count', labels, at });
              store.recordMeasurement(runId, { name: 'lrp_rules', value: c.lrp, unit: 'count', labels, at });
            }
            store.recordMeasurement(runId, {
              name: 'check_seconds',
              value: r.durationMs / 1000,
              unit: 's',
              labels: { tick: String(t.tick) },
              at,
            });
            for (const c of t.churn) store.recordEvent(runId, { kind: 'rule-churn', target: c.node, at, details: { ...c, tick: t.tick } });
          }
          process.stdout.write(
            o.json
              ? `${JSON.stringify({ tick: t.tick, at, consistent: r.consistent, findings: r.findings.length, counts: r.counts, perNode: r.perNode, changes: t.changes, churn: t.churn })}\n`
              : `${tickLine(t, at, r.consistent, r.findings.length, r.counts.snat, r.counts.lrp, r.counts.nodes)}\n`,
          );
          if (count !== undefined && ticks >= count) break;
          await sleep(Math.max(0, intervalS * 1000 - (performance.now() - started)), abort.signal).catch(() => undefined);
        }
      } catch (err) {
        if (!(err instanceof InterruptedError)) error = err instanceof Error ? err.message : String(err);
        if (!error && !signalled) throw err;
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        const failed = inconsistent > 0 || churned > 0 || (errors > 0 && ticks === 0);
        if (store && runId) {
          store.finishRun(runId, error ? 'error' : signalled && ticks === 0 ? 'interrupted' : failed ? 'failed' : 'passed', {
            headline: `${ticks} checks, ${inconsistent} inconsistent, ${churned} churn flags, ${errors} check errors`,
            ticks,
            errors,
            inconsistent,
            churn: churned,
            ...(signalled ? { stoppedBy: signalled } : {}),
            ...(error ? { error } : {}),
          });
          store.close();
        }
        if (!o.json)
          process.stderr.write(
            `monitor: ${ticks} checks, ${inconsistent} inconsistent, ${churned} churn flags${signalled ? ` (stopped by ${signalled})` : ''}\n`,
          );
        process.exitCode = signalled ? ExitCode.interrupted : error ? ExitCode.error : failed ? ExitCode.checkFailed : ExitCode.ok;
      }
      if (error) throw new Error(`monitor egressip: ${error}`);
    });
}
