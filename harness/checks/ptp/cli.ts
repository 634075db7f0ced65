/**
 * `netharness check ptp [--kubeconfig P] [--context C] [--db P | --no-record] [--json] [--concurrency N] [--node N]... [--clock-class N] [--skip-sidecar] [--since D]`
 * Exit 0 healthy, 1 findings, 2 error (as `check egressip`). `--json` prints the CheckResult. The run is recorded
 * in the results database (runs.kind = 'check').
 */
import type { Command } from 'commander';
import type { Cluster } from '../../cluster/connect.ts';
import { ExitCode, UsageError } from '../../errors.ts';
import { renderTable } from '../../runner/summary.ts';
import { formatMs } from '../../runner/progress.ts';
import type { CheckResult } from '../types.ts';
import { checkTargetOptions, recordOptionsOf, reportRecorded, type CheckTargetOptions } from '../cli-options.ts';
import { recordCheckRun } from '../record.ts';
// the check (and client-node under it) is loaded by the action, not by `netharness --help`
import type { ptpCheck, PtpFindingKind } from './index.ts';

/** ptpCheck.description, here so the command's help does not load the check (test/cli/help-snapshot pins both) */
export const PTP_CHECK_DESCRIPTION =
  'PTP clock state per node and profile: processes up, roles as configured, clock_state LOCKED, offsets within thresholds, clock class, sidecar CurrentState = metrics';

export async function runPtpCheck(
  cluster: Cluster,
  params: Parameters<typeof ptpCheck.evaluate>[1],
  opts: { concurrency?: number; timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<CheckResult<PtpFindingKind>> {
  const { ptpCheck } = await import('./index.ts');
  const t0 = performance.now();
  const observed = await ptpCheck.collect(cluster, params, opts);
  const findings = ptpCheck.evaluate(observed, params);
  return {
    check: 'ptp',
    passed: findings.length === 0,
    findings,
    summary: ptpCheck.summarise(observed, findings),
    durationMs: performance.now() - t0,
  };
}

export function renderPtpCheck(r: CheckResult<PtpFindingKind>, limit = 200): string {
  const out = [`${r.summary.headline} in ${formatMs(r.durationMs)}`];
  if (r.findings.length) {
    const shown = r.findings.slice(0, limit);
    out.push(
      '',
      renderTable(
        ['kind', 'node', 'profile', 'expected', 'actual', 'message'],
        shown.map((f) => [f.kind, f.node ?? '', f.labels?.profile ?? '', f.expected ?? '', f.actual ?? '', f.message]),
      ),
    );
    if (shown.length < r.findings.length) out.push(`(first ${shown.length} of ${r.findings.length}; --json for all)`);
  }
  return out.join('\n');
}

/** `--since`: a whole number of seconds, minutes or hours (`30s`, `10m`, `1h`; a bare number is seconds). */
export function durationSeconds(v: string): number {
  const m = /^(\d{1,7})(s|m|h)?$/.exec(v.trim());
  const n = m ? Number(m[1]) * (m[2] === 'h' ? 3600 : m[2] === 'm' ? 60 : 1) : NaN;
  if (!m || n < 1 || n > 7 * 24 * 3600)
    throw new UsageError(`--since: expected a duration like 30s, 10m or 1h (1 s to 7 days), got '${v}'`);
  return n;
}

export function registerPtpCheck(check: Command): void {
  checkTargetOptions(check.command('ptp').description(PTP_CHECK_DESCRIPTION))
    .option('--json', 'machine-readable result on stdout')
    .option('--concurrency <n>', 'daemon pods read in parallel (default 8)')
    .option('--node <name...>', 'only these nodes')
    .option(
      '--clock-class <n>',
      "expected clock class for every profile (default 6: the grandmaster's class, PARENT_DATA_SET gm.ClockClass)",
    )
    .option('--skip-sidecar', "do not compare the cloud-event-proxy's CurrentState")
    .option(
      '--since <duration>',
      'also judge the daemon log of this last window (30s, 10m, 1h): restarts, clock jumps, FAULTY, holdover that healed before the check ran',
    )
    .action(
      async (
        o: CheckTargetOptions & {
          json?: boolean;
          concurrency?: string;
          node?: string[];
          clockClass?: string;
          skipSidecar?: boolean;
          since?: string;
        },
      ) => {
        const [{ connect }, { ptpCheck }] = await Promise.all([import('../../cluster/connect.ts'), import('./index.ts')]);
        const sinceSeconds = o.since === undefined ? undefined : durationSeconds(o.since);
        const concurrency = o.concurrency === undefined ? 8 : Number(o.concurrency);
        if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256)
          throw new UsageError(`--concurrency: expected an integer 1..256, got '${o.concurrency}'`);
        const parsed = ptpCheck.params.safeParse({
          ...(o.node?.length ? { nodes: o.node } : {}),
          ...(o.clockClass !== undefined ? { clockClass: Number(o.clockClass) } : {}),
          ...(o.skipSidecar ? { skipSidecar: true } : {}),
          ...(sinceSeconds !== undefined ? { sinceSeconds } : {}),
        });
        if (!parsed.success)
          throw new UsageError(
            `--clock-class / --node / --since: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
          );
        const cluster = connect({ kubeconfig: o.kubeconfig, context: o.context });
        const { value: r, runId } = await recordCheckRun(
          recordOptionsOf(o, 'ptp', { ...parsed.data, concurrency }),
          // the check names a node that runs no PTP as `node X`; here the field is the flag
          () =>
            runPtpCheck(cluster, parsed.data, { concurrency }).catch(async (e: unknown) => {
              const { NotPtpNodesError } = await import('./index.ts');
              throw e instanceof NotPtpNodesError ? new UsageError(`--${e.message}`, e.hint) : e;
            }),
          (x) => x,
        );
        process.stdout.write(o.json ? `${JSON.stringify({ ...r, ...(runId ? { runId } : {}) }, null, 2)}\n` : `${renderPtpCheck(r)}\n`);
        reportRecorded(runId);
        process.exitCode = r.passed ? ExitCode.ok : ExitCode.checkFailed;
      },
    );
}
