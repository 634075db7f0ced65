/**
 * Convergence waits on the check registry: run a registered check (harness/checks/registry.ts) until it passes,
 * or the timeout. Any check the registry holds, a test's fake included, can be waited for by name; an unknown
 * name is a UsageError naming the registered ones. A timeout is a verdict (the last result), not an infra error.
 */
import type { Cluster } from '../cluster/connect.ts';
import { UsageError } from '../errors.ts';
import { getCheck, listChecks, type AnyCheck } from '../checks/registry.ts';
import { judge, parseCheckParams } from '../checks/run.ts';
import type { CheckCollectOptions, CheckResult } from '../checks/types.ts';
import { waitFor, WaitTimeoutError, type WaitOptions } from './poll.ts';

export interface CheckWait<R = CheckResult> {
  /** the check passed before the timeout */
  passed: boolean;
  /** time until the first passing result (or the timeout) */
  ms: number;
  attempts: number;
  /** the last result (passing or not) */
  result: R;
}

/**
 * Run `attempt` until `passed(result)`, or the timeout; returns the last result either way. Errors thrown by an
 * attempt are retried as in waitFor (the last one is rethrown on timeout when no attempt produced a result).
 */
export async function waitUntilPassing<R>(
  attempt: () => Promise<R>,
  passed: (r: R) => boolean,
  opts: WaitOptions & { onAttempt?: (r: R) => void },
): Promise<CheckWait<R>> {
  const start = performance.now();
  let last: R | undefined;
  let attempts = 0;
  try {
    const w = await waitFor(async () => {
      attempts++;
      last = await attempt();
      opts.onAttempt?.(last);
      return passed(last) ? { r: last } : undefined;
    }, opts);
    return { passed: true, ms: w.ms, attempts: w.attempts, result: w.value.r };
  } catch (err) {
    if (err instanceof WaitTimeoutError && last !== undefined)
      return { passed: false, ms: performance.now() - start, attempts, result: last };
    throw err;
  }
}

function resolveCheck(check: string | AnyCheck): AnyCheck {
  if (typeof check !== 'string') return check;
  const c = getCheck(check);
  if (!c)
    throw new UsageError(
      `no check '${check}' (registered: ${listChecks()
        .map((x) => x.name)
        .join(', ')})`,
    );
  return c;
}

/** Wait until the registered check `check` (by name, or the unit) reports no findings. */
export async function waitForCheck(
  cluster: Cluster,
  check: string | AnyCheck,
  opts: Omit<WaitOptions, 'describe'> & { params?: unknown; collect?: CheckCollectOptions; onAttempt?: (r: CheckResult) => void },
): Promise<CheckWait> {
  const c = resolveCheck(check);
  // params are validated once, before the first attempt: a usage error is not retried
  const params = parseCheckParams(c, opts.params);
  return waitUntilPassing(
    async () => {
      const t0 = performance.now();
      const observed = await c.collect(cluster, params, { signal: opts.signal, ...opts.collect });
      return judge(c, observed, params, t0);
    },
    (r) => r.passed,
    { ...opts, describe: `check ${c.name} to pass` },
  );
}
