/**
 * Run one check: validate its params, collect, evaluate, summarise. Shared by the CLI, the waits, MCP
 * and evals so a check's verdict is computed in one place.
 */
import type { Cluster } from '../cluster/connect.ts';
import { UsageError } from '../errors.ts';
import type { Check, CheckCollectOptions, CheckResult } from './types.ts';

/** The check's params from raw input (CLI `--param`, MCP args); a UsageError names the field. */
export function parseCheckParams(check: Check<never, never, string>, rawParams: unknown): never {
  const parsed = (
    check.params as unknown as {
      safeParse(x: unknown): { success: boolean; data?: unknown; error?: { issues: { path: PropertyKey[]; message: string }[] } };
    }
  ).safeParse(rawParams ?? {});
  if (!parsed.success) {
    const issue = parsed.error?.issues[0];
    throw new UsageError(`check ${check.name}: param ${issue?.path.join('.') || '(params)'}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data as never;
}

/** Evaluate and summarise an observation: the verdict of one collect (durationMs from `t0`, a performance.now()). */
export function judge(check: Check<never, never, string>, observed: never, params: never, t0: number): CheckResult {
  const findings = check.evaluate(observed, params);
  const summary = check.summarise(observed, findings);
  return { check: check.name, passed: findings.length === 0, findings, summary, durationMs: performance.now() - t0 };
}

export async function runCheck(
  check: Check<never, never, string>,
  cluster: Cluster,
  rawParams: unknown,
  opts: CheckCollectOptions = {},
): Promise<CheckResult> {
  const params = parseCheckParams(check, rawParams);
  const t0 = performance.now();
  const observed = await check.collect(cluster, params, opts);
  return judge(check, observed, params, t0);
}
