/**
 * Run one check: validate its params, collect, evaluate, summarise. Shared by the CLI, the waits, MCP
 * and evals so a check's verdict is computed in one place.
 */
import type { Cluster } from '../cluster/connect.ts';
import { UsageError } from '../errors.ts';
import type { Check, CheckCollectOptions, CheckResult } from './types.ts';

export async function runCheck(
  check: Check<never, never, string>,
  cluster: Cluster,
  rawParams: unknown,
  opts: CheckCollectOptions = {},
): Promise<CheckResult> {
  const parsed = (
    check.params as unknown as {
      safeParse(x: unknown): { success: boolean; data?: unknown; error?: { issues: { path: PropertyKey[]; message: string }[] } };
    }
  ).safeParse(rawParams ?? {});
  if (!parsed.success) {
    const issue = parsed.error?.issues[0];
    throw new UsageError(`check ${check.name}: param ${issue?.path.join('.') || '(params)'}: ${issue?.message ?? 'invalid'}`);
  }
  const params = parsed.data as never;
  const t0 = performance.now();
  const observed = await check.collect(cluster, params, opts);
  const findings = check.evaluate(observed, params);
  const summary = check.summarise(observed, findings);
  return { check: check.name, passed: findings.length === 0, findings, summary, durationMs: performance.now() - t0 };
}
