/**
 * Convergence and timing helpers: poll until a condition holds, with timeout, interval and AbortSignal.
 * Timeouts are InfraError (WaitTimeoutError) except waitForConsistent, which returns the last check result
 * (an inconsistent cluster is a check verdict, not an infra failure).
 */
import type * as k8s from '@kubernetes/client-node';
import type { Cluster } from '../cluster/connect.ts';
import { describeApiError } from '../cluster/exec.ts';
import { InfraError, InterruptedError } from '../errors.ts';
import { checkEgressIP, type EgressIPCheckOptions, type EgressIPCheckResult } from '../checks/egressip/index.ts';
import { listEgressIPs } from '../checks/egressip/collect.ts';
import { waitUntilPassing } from './check.ts';

export { waitForCheck, waitUntilPassing, type CheckWait } from './check.ts';

export class WaitTimeoutError extends InfraError {
  override name = 'WaitTimeoutError';
}

export interface WaitOptions {
  timeoutMs: number;
  intervalMs?: number;
  signal?: AbortSignal;
  /** what we wait for, for the timeout message: 'node worker-1 Ready' */
  describe?: string;
  /** called with each attempt's error (fn may throw transient errors; they are retried until the timeout) */
  onError?: (err: unknown) => void;
}

export interface Waited<T> {
  value: T;
  ms: number;
  attempts: number;
}

/** Sleep that rejects with InterruptedError when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason instanceof Error ? signal.reason : new InterruptedError());
      return;
    }
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal?.reason instanceof Error ? signal.reason : new InterruptedError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Poll `fn` until it returns a value other than undefined / false / null. Transient errors thrown by `fn`
 * are retried (the last one is reported on timeout); InterruptedError and UsageError propagate.
 */
export async function waitFor<T>(
  fn: () => Promise<T | undefined | false | null> | T | undefined | false | null,
  opts: WaitOptions,
): Promise<Waited<T>> {
  const start = performance.now();
  const interval = opts.intervalMs ?? 1000;
  let attempts = 0;
  let lastErr: unknown;
  for (;;) {
    if (opts.signal?.aborted) throw opts.signal.reason instanceof Error ? opts.signal.reason : new InterruptedError();
    attempts++;
    try {
      const v = await fn();
      if (v !== undefined && v !== false && v !== null) return { value: v as T, ms: performance.now() - start, attempts };
    } catch (err) {
      if (err instanceof InterruptedError || (err instanceof Error && err.name === 'UsageError')) throw err;
      lastErr = err;
      opts.onError?.(err);
    }
    const elapsed = performance.now() - start;
    if (elapsed >= opts.timeoutMs) {
      const why = lastErr ? `; last error: ${lastErr instanceof Error ? lastErr.message : String(lastErr)}` : '';
      throw new WaitTimeoutError(
        `timed out after ${(opts.timeoutMs / 1000).toFixed(0)} s waiting for ${opts.describe ?? 'a condition'} (${attempts} attempts)${why}`,
      );
    }
    await sleep(Math.min(interval, Math.max(0, opts.timeoutMs - elapsed)), opts.signal);
  }
}

// ---------- EgressIP consistency ----------

export interface ConsistencyWait {
  consistent: boolean;
  /** time until the first consistent result (or the timeout) */
  ms: number;
  attempts: number;
  /** the last check result (consistent or not) */
  result: EgressIPCheckResult;
}

/**
 * Run the EgressIP check until it reports no findings, or the timeout; returns the last result either way.
 * (The EgressIP-shaped result scenarios read; `waitForCheck('egressip')` in ./check.ts is the generic form.)
 */
export async function waitForConsistent(
  cluster: Cluster,
  opts: Omit<WaitOptions, 'describe'> & EgressIPCheckOptions & { onAttempt?: (r: EgressIPCheckResult) => void },
): Promise<ConsistencyWait> {
  const w = await waitUntilPassing(
    () => checkEgressIP(cluster, { concurrency: opts.concurrency, execTimeoutMs: opts.execTimeoutMs }),
    (r) => r.consistent,
    { ...opts, describe: 'EgressIP rules to be consistent' },
  );
  return { consistent: w.passed, ms: w.ms, attempts: w.attempts, result: w.result };
}

// ---------- EgressIP failover ----------

/** node names currently holding each EgressIP (status.items). */
export async function egressIPNodes(cluster: Cluster): Promise<Map<string, string[]>> {
  const eips = await listEgressIPs(cluster);
  return new Map(eips.map((e) => [e.name, e.status.map((s) => s.node)]));
}

/**
 * Wait until none of `eipNames` is assigned to `fromNode` any more and each has `minItems` status items
 * (failover done). Returns the time and the new assignment.
 */
export async function waitForEgressIPFailover(
  cluster: Cluster,
  eipNames: string[],
  fromNode: string,
  opts: WaitOptions & { minItems?: number },
): Promise<Waited<Map<string, string[]>>> {
  const want = new Set(eipNames);
  return waitFor(
    async () => {
      const m = await egressIPNodes(cluster);
      for (const name of want) {
        const nodes = m.get(name) ?? [];
        if (nodes.includes(fromNode) || nodes.length < (opts.minItems ?? 1)) return undefined;
      }
      return m;
    },
    { intervalMs: 250, ...opts, describe: opts.describe ?? `EgressIPs ${eipNames.join(',')} to leave ${fromNode}` },
  );
}

/** Wait until every one of `eipNames` has at least `minItems` status items. */
export async function waitForEgressIPsAssigned(
  cluster: Cluster,
  eipNames: string[],
  opts: WaitOptions & { minItems?: number },
): Promise<Waited<Map<string, string[]>>> {
  return waitFor(
    async () => {
      const m = await egressIPNodes(cluster);
      return eipNames.every((n) => (m.get(n)?.length ?? 0) >= (opts.minItems ?? 1)) ? m : undefined;
    },
    {
      intervalMs: 500,
      ...opts,
      describe: opts.describe ?? `EgressIPs ${eipNames.length > 3 ? `${eipNames.length} objects` : eipNames.join(',')} to be assigned`,
    },
  );
}

// ---------- nodes and pods ----------

export function nodeReady(n: k8s.V1Node): boolean {
  return n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** Wait for a node's Ready condition to be (or not be) True. */
export async function waitForNodeReady(cluster: Cluster, node: string, ready: boolean, opts: WaitOptions): Promise<Waited<k8s.V1Node>> {
  return waitFor(
    async () => {
      let n: k8s.V1Node;
      try {
        n = await cluster.core.readNode({ name: node });
      } catch (err) {
        throw new InfraError(`cannot read node ${node}: ${describeApiError(err)}`);
      }
      return nodeReady(n) === ready ? n : undefined;
    },
    { intervalMs: 500, ...opts, describe: opts.describe ?? `node ${node} ${ready ? 'Ready' : 'NotReady'}` },
  );
}

export function podReady(p: k8s.V1Pod): boolean {
  return (
    !p.metadata?.deletionTimestamp &&
    p.status?.phase === 'Running' &&
    (p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false)
  );
}

/** Wait until `count` pods matching the selector in the namespace are Ready (and no more than `count` exist when exact). */
export async function waitForPodsReady(
  cluster: Cluster,
  namespace: string,
  labelSelector: string,
  count: number,
  opts: WaitOptions & { exact?: boolean },
): Promise<Waited<number>> {
  return waitFor(
    async () => {
      const list = await cluster.core.listNamespacedPod({ namespace, labelSelector });
      const ready = list.items.filter(podReady).length;
      if (ready < count) return undefined;
      if (opts.exact && list.items.length !== count) return undefined;
      return ready;
    },
    { intervalMs: 500, ...opts, describe: opts.describe ?? `${count} pods ${labelSelector} Ready in ${namespace}` },
  );
}

/** Wait until a Deployment reports `replicas` ready and updated, with no extra pods. */
export async function waitForDeploymentReady(
  cluster: Cluster,
  namespace: string,
  name: string,
  replicas: number,
  opts: WaitOptions,
): Promise<Waited<number>> {
  return waitFor(
    async () => {
      const d = await cluster.apps.readNamespacedDeployment({ namespace, name });
      const s = d.status ?? {};
      const ok = (s.readyReplicas ?? 0) === replicas && (s.replicas ?? 0) === replicas && (s.updatedReplicas ?? 0) >= replicas;
      return ok ? replicas : undefined;
    },
    { intervalMs: 500, ...opts, describe: opts.describe ?? `deployment ${namespace}/${name} to have ${replicas} ready replicas` },
  );
}
