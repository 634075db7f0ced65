/**
 * Heal after a trial (and after an error or Ctrl-C): undo the fault steps (reverse order), switch off every
 * library fault still on, run the case's heal steps, then verify the cluster is healthy: every node Ready,
 * every OVN-Kubernetes pod Ready, the checks of the fixture pass (harness/checks/registry.ts), and the case's
 * readiness gate no longer holds (the fault is gone, not just switched off). When that does not come, restart ovnkube-controller on every node (delete the ovnkube-node pods: the documented
 * heal of the fault library's startup-sync faults) and verify again.
 */
import type { Cluster } from '../../harness/cluster/connect.ts';
import { InfraError } from '../../harness/errors.ts';
import { getCheck } from '../../harness/checks/registry.ts';
import { runCheck } from '../../harness/checks/run.ts';
import { OVN_NAMESPACE, OVNKUBE_NODE_SELECTOR } from '../../harness/checks/egressip/collect.ts';
import { api } from '../../harness/scenario-kit/egressip.ts';
import { nodeReady, podReady, sleep } from '../../harness/wait/index.ts';
import type { FaultStep, GateCondition } from '../cases/schema.ts';
import { describeCondition, GateChecker } from './gate.ts';
import { injectStep, libraryFaultsOn, switchLibraryFaultOff, type StepEnv, type Undo } from './inject.ts';

export interface HealResult {
  ok: boolean;
  /** the ovnkube-node pods were restarted to get there */
  restartedOvnkube: boolean;
  /** what failed on the way (undo errors, the last unhealthy reason) */
  problems: string[];
  ms: number;
}

/** One look at the cluster: undefined when healthy, else what is wrong. */
export async function unhealthy(
  cluster: Cluster,
  checks: readonly string[],
  signal?: AbortSignal,
  namespaces: readonly string[] = [],
): Promise<string | undefined> {
  for (const ns of namespaces) {
    const ds = (await api(`list deployments in ${ns}`, cluster.apps.listNamespacedDeployment({ namespace: ns }))).items;
    const notReady = ds.filter((d) => {
      const want = d.spec?.replicas ?? 1;
      return (d.status?.readyReplicas ?? 0) !== want || (d.status?.updatedReplicas ?? 0) !== want || (d.status?.replicas ?? 0) !== want;
    });
    if (notReady.length) return `deployments not rolled out: ${notReady.map((d) => `${ns}/${d.metadata?.name}`).join(', ')}`;
  }
  const nodes = (await api('list nodes', cluster.core.listNode())).items;
  const down = nodes.filter((n) => !nodeReady(n)).map((n) => n.metadata?.name);
  if (down.length) return `nodes not Ready: ${down.join(', ')}`;
  const pods = (await api(`list pods in ${OVN_NAMESPACE}`, cluster.core.listNamespacedPod({ namespace: OVN_NAMESPACE }))).items;
  const bad = pods.filter((p) => p.metadata?.deletionTimestamp || !podReady(p)).map((p) => p.metadata?.name);
  if (bad.length) return `${OVN_NAMESPACE} pods not Ready: ${bad.join(', ')}`;
  if (pods.filter((p) => p.metadata?.labels?.app === 'ovnkube-node').length < nodes.length) return 'an ovnkube-node pod is missing';
  for (const name of checks) {
    const check = getCheck(name);
    if (!check) continue;
    const r = await runCheck(check, cluster, {}, { signal, concurrency: 8 });
    if (!r.passed) return `check ${name}: ${r.findings.length} findings (${[...new Set(r.findings.map((f) => f.kind))].join(', ')})`;
  }
  return undefined;
}

/** Still visible: every condition of the case's gate (but check-passes, the controls' gate) holds. */
async function faultStillVisible(env: StepEnv, gate: readonly GateCondition[]): Promise<string | undefined> {
  const conds = gate.filter((c) => c.kind !== 'check-passes');
  if (!conds.length) return undefined;
  const g = new GateChecker(env);
  for (const c of conds) {
    const r = await g.evaluate(c).catch(() => ({ ok: false, seen: '' }));
    if (!r.ok) return undefined;
  }
  return `the fault is still visible (${conds.map(describeCondition).join('; ')})`;
}

export interface WaitHealthyOptions {
  checks?: readonly string[];
  namespaces?: readonly string[];
  timeoutMs: number;
  signal?: AbortSignal;
  /** a further condition looked at once the cluster is healthy (the case's fault still visible) */
  also?: () => Promise<string | undefined>;
  /** told each new reason the cluster is not yet healthy (progress on a long wait) */
  onWait?: (why: string) => void;
}

/**
 * Poll unhealthy() (and `also`) until the cluster is healthy or the time is up: undefined when healthy, else the
 * last reason. A just-started cluster (the embedded one, after `sim --detach`) answers /readyz before its
 * ovnkube-node pods are Ready, and a healed one takes a while: both are waited for, not failed at once.
 */
export async function waitUntilHealthy(cluster: Cluster, o: WaitHealthyOptions): Promise<string | undefined> {
  const t0 = performance.now();
  let last: string | undefined;
  for (;;) {
    const before = last;
    try {
      last = (await unhealthy(cluster, o.checks ?? [], o.signal, o.namespaces)) ?? (await o.also?.());
    } catch (err) {
      if (o.signal?.aborted) throw err;
      last = (err as Error).message;
    }
    if (!last) return undefined;
    if (performance.now() - t0 > o.timeoutMs) return last;
    if (last !== before) o.onWait?.(last);
    await sleep(250, o.signal);
  }
}

function waitHealthy(
  env: StepEnv,
  checks: readonly string[],
  gate: readonly GateCondition[],
  timeoutMs: number,
  namespaces: readonly string[] = [],
): Promise<string | undefined> {
  return waitUntilHealthy(env.cluster, { checks, namespaces, timeoutMs, signal: env.signal, also: () => faultStillVisible(env, gate) });
}

export async function restartOvnkubeNodes(env: StepEnv): Promise<void> {
  const pods = (
    await api(
      'list ovnkube-node pods',
      env.cluster.core.listNamespacedPod({ namespace: OVN_NAMESPACE, labelSelector: OVNKUBE_NODE_SELECTOR }),
    )
  ).items;
  env.log(`heal: restarting ovnkube-node on ${pods.length} nodes`);
  await Promise.all(
    pods.map((p) =>
      env.cluster.core
        .deleteNamespacedPod({ namespace: OVN_NAMESPACE, name: p.metadata?.name ?? '', gracePeriodSeconds: 0 })
        .catch(() => undefined),
    ),
  );
}

export interface HealOptions {
  undos: Undo[];
  steps: readonly FaultStep[];
  checks: readonly string[];
  /** the fixture's namespaces: their Deployments must be rolled out again */
  namespaces?: readonly string[];
  /** the case's rendered gate: healed means it no longer holds */
  gate: readonly GateCondition[];
  /** how long to wait for health before (and after) restarting ovnkube */
  verifyMs: number;
}

export async function heal(env: StepEnv, o: HealOptions): Promise<HealResult> {
  const t0 = performance.now();
  const problems: string[] = [];
  for (const u of [...o.undos].reverse()) {
    try {
      await u.run(env);
    } catch (err) {
      if (env.signal?.aborted) throw err;
      problems.push(`${u.what}: ${(err as Error).message}`);
    }
  }
  try {
    for (const id of await libraryFaultsOn(env.cluster)) await switchLibraryFaultOff(env.cluster, id);
  } catch (err) {
    problems.push(`library faults off: ${(err as Error).message}`);
  }
  for (const s of o.steps) {
    try {
      await injectStep(env, s);
    } catch (err) {
      if (env.signal?.aborted) throw err;
      problems.push(`heal step ${s.kind}: ${(err as Error).message}`);
    }
  }
  let bad = await waitHealthy(env, o.checks, o.gate, o.verifyMs, o.namespaces);
  let restartedOvnkube = false;
  if (bad) {
    restartedOvnkube = true;
    env.log(`heal: ${bad}`);
    await restartOvnkubeNodes(env);
    bad = await waitHealthy(env, o.checks, o.gate, Math.max(o.verifyMs, 30_000), o.namespaces);
  }
  if (bad) problems.push(`still unhealthy: ${bad}`);
  return { ok: !bad, restartedOvnkube, problems, ms: performance.now() - t0 };
}

export function healError(r: HealResult): InfraError {
  return new InfraError(
    `heal failed: ${r.problems.join('; ')}`,
    'the cluster is left as it is; inspect it, or restart the embedded cluster',
  );
}
