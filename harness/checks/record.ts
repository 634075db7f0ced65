/**
 * A `netharness check <name>` run is recorded like a scenario run: runs.kind = 'check', one checks row with the
 * verdict, the headline and counts, and the findings (generic columns), so `netharness runs list/show` see it.
 * An error is recorded as verdict `error`, Ctrl-C as `interrupted` (exit 130), and the error is rethrown.
 */
import { InfraError, InterruptedError } from '../errors.ts';
import { openStore, type Store } from '../store/store.ts';
import type { CheckResult } from './types.ts';
import { VERSION } from '../constants.ts';

export interface CheckRunRecord {
  /** results database; false: do not record (`--no-record`) */
  dbPath: string | false;
  /** the check's name */
  check: string;
  /** what it ran against, e.g. `kubeconfig:/path#ctx` */
  target: string;
  params: Record<string, unknown>;
}

/** The target label of a kubeconfig run, as the scenario runner writes it. */
export function kubeconfigLabel(kubeconfig: string | undefined, context: string | undefined): string {
  return `kubeconfig:${kubeconfig ?? process.env.KUBECONFIG ?? '~/.kube/config'}${context ? `#${context}` : ''}`;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Run `fn` (collect + evaluate + summarise) inside a recorded run; returns the result and the run id. */
export async function recordCheckRun<R>(
  rec: CheckRunRecord,
  fn: () => Promise<R>,
  toResult: (r: R) => CheckResult,
): Promise<{ value: R; runId?: string }> {
  if (rec.dbPath === false) return { value: await fn() };
  let store: Store;
  try {
    store = openStore(rec.dbPath);
  } catch (err) {
    throw new InfraError(`check ${rec.check}: cannot record the run: ${message(err)}`, 'pass --db <path>, or --no-record');
  }
  const runId = store.createRun({
    kind: 'check',
    name: rec.check,
    target: rec.target,
    params: rec.params,
    versions: { netharness: VERSION, node: process.version },
  });
  const t0 = performance.now();
  // Ctrl-C: the run ends `interrupted` rather than being found `crashed` on the next open
  const onSignal = (sig: NodeJS.Signals): void => {
    try {
      store.recordCheck(runId, { name: rec.check, check: rec.check, status: 'error', durationMs: performance.now() - t0, summary: sig });
      store.finishRun(runId, 'interrupted', { error: `interrupted by ${sig}` });
      store.close();
    } finally {
      process.exit(130);
    }
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    let value: R;
    try {
      value = await fn();
    } catch (err) {
      const interrupted = err instanceof InterruptedError;
      store.recordCheck(runId, {
        name: rec.check,
        check: rec.check,
        status: 'error',
        durationMs: performance.now() - t0,
        summary: message(err),
      });
      store.finishRun(runId, interrupted ? 'interrupted' : 'error', { error: message(err) });
      throw err;
    }
    const r = toResult(value);
    store.recordCheck(runId, {
      name: r.check,
      check: r.check,
      status: r.passed ? 'passed' : 'failed',
      durationMs: r.durationMs,
      summary: r.summary.headline,
      data: { counts: r.summary.counts },
      findings: r.findings,
    });
    const byKind: Record<string, number> = {};
    for (const f of r.findings) byKind[f.kind] = (byKind[f.kind] ?? 0) + 1;
    store.finishRun(runId, r.passed ? 'passed' : 'failed', {
      headline: r.summary.headline,
      counts: r.summary.counts,
      findings: byKind,
      durationMs: r.durationMs,
    });
    return { value, runId };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    try {
      store.close();
    } catch {
      /* closed by the signal handler */
    }
  }
}
