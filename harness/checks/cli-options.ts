/** The options every `check <name>` command shares: where the cluster is, and where the run is recorded. */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { defaultDbPath } from '../constants.ts';
import { kubeconfigLabel, type CheckRunRecord } from './record.ts';

export interface CheckTargetOptions {
  kubeconfig?: string;
  context?: string;
  db?: string;
  /** false with --no-record */
  record?: boolean;
}

export function checkTargetOptions(c: Command): Command {
  return c
    .option('--kubeconfig <path>', 'kubeconfig (default $KUBECONFIG, then ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context')
    .option('--db <path>', 'results database the run is recorded in (default results/netharness.db)')
    .option('--no-record', 'do not record the run in the results database');
}

export function recordOptionsOf(o: CheckTargetOptions, check: string, params: Record<string, unknown>): CheckRunRecord {
  return {
    dbPath: o.record === false ? false : resolve(o.db ?? defaultDbPath),
    check,
    target: kubeconfigLabel(o.kubeconfig, o.context),
    params,
  };
}

/** One stderr line naming the recorded run (stdout stays the result). */
export function reportRecorded(runId: string | undefined): void {
  if (runId) process.stderr.write(`recorded as run ${runId} (netharness runs show ${runId.slice(0, 8)})\n`);
}
