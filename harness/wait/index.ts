/**
 * Convergence waits on a cluster (EgressIPs, nodes, pods, checks), on the one poll loop of ./poll.ts.
 * Timeouts are InfraError (WaitTimeoutError) except waitForConsistent, which returns the last check result
 * (an inconsistent cluster is a check verdict, not an infra failure).
 */
import type * as k8s from '@kubernetes/client-node';
import type { Cluster } from '../cluster/connect.ts';
import { describeApiError } from '../cluster/exec.ts';
import { InfraError } from '../errors.ts';
import { checkEgressIP, type EgressIPCheckOptions, type EgressIPCheckResult } from '../checks/egressip/index.ts';
import { listEgressIPs } from '../checks/egressip/collect.ts';
import { waitUntilPassing } from './check.ts';
import { sleep, waitFor, type WaitOptions, type Waited } from './poll.ts';

export { waitForCheck, waitUntilPassing, type CheckWait } from './check.ts';

export { interruption, sleep, waitFor, WaitTimeoutError, type WaitOptions, type Waited } from './poll.ts';

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

/** A failover watch started right before a disruption (a reboot), read once the node is back. */
export interface FailoverWatch {
  /** performance.now() when every EgressIP had left the node; waits at most `graceMs` more, undefined if they did not */
  movedAt(graceMs: number): Promise<number | undefined>;
  /** stop polling (always, in a finally) */
  stop(): void;
}

/**
 * Watch `eipNames` leave `fromNode` (waitForEgressIPFailover in the background) while the caller disrupts it.
 * A timeout or a stop is "did not move" (undefined), not an error: the scenario judges it.
 */
export function watchEgressIPFailover(
  cluster: Cluster,
  eipNames: string[],
  fromNode: string,
  opts: WaitOptions & { minItems?: number },
): FailoverWatch {
  if (eipNames.length === 0) return { movedAt: () => Promise.resolve(undefined), stop: () => undefined };
  const ctl = new AbortController();
  const onAbort = (): void => ctl.abort(opts.signal?.reason);
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const start = performance.now();
  const done = waitForEgressIPFailover(cluster, eipNames, fromNode, { intervalMs: 200, ...opts, signal: ctl.signal }).then(
    (w) => start + w.ms,
    () => undefined,
  );
  return {
    movedAt: (graceMs) => Promise.race([done, sleep(graceMs, opts.signal).then(() => undefined)]),
    stop: () => {
      ctl.abort();
      opts.signal?.removeEventListener('abort', onAbort);
    },
  };
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
