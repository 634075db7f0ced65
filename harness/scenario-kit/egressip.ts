/**
 * Shared setup of the EgressIP chaos scenarios (node-reboot, ovn-pod-restart): label egress nodes,
 * create namespaces + client Deployments + EgressIPs from free primary-subnet addresses, wait for
 * assignment and consistent rules, and the helpers around a disruption (busiest egress node, the
 * ovnkube-node pod on a node, rule counts, the fault-library switch). Everything made is removed by
 * `t.defer`. Used by every EgressIP scenario (corenet-6498, node-reboot, ovn-pod-restart) and bench/corenet.
 */
import type * as k8s from '@kubernetes/client-node';
import { z } from 'zod';
import type { Cluster } from '../cluster/connect.ts';
import { httpStatusOf } from '../cluster/connect.ts';
import { describeApiError } from '../cluster/exec.ts';
import { InfraError, UsageError } from '../errors.ts';
import type { ClusterNeeds, StepContext, TestContext } from '../runner/scenario.ts';
import { pickFreeEgressIPs } from '../checks/egressip/free-ips.ts';
import { listEgressIPs, OVN_NAMESPACE, OVNKUBE_NODE_SELECTOR } from '../checks/egressip/collect.ts';
import type { EgressIPCheckResult, Family } from '../checks/egressip/index.ts';
import { egressIPNodes, waitForConsistent, waitForDeploymentReady, waitForEgressIPsAssigned } from '../wait/index.ts';
import { FAULTS_CONFIGMAP, FAULTS_NAMESPACE, faultIdParam, type FaultId } from '../../faults/index.ts';

export const EGRESS_LABEL = 'k8s.ovn.org/egress-assignable';
export const RUN_LABEL = 'netharness.io/scenario';
export const EIP_GROUP = { group: 'k8s.ovn.org', version: 'v1', plural: 'egressips' };
export { FAULTS_CONFIGMAP, FAULTS_NAMESPACE, faultIdParam, type FaultId };

export async function api<T>(what: string, p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    throw new InfraError(`${what}: ${describeApiError(err)}`);
  }
}

export async function ignoreNotFound(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (err) {
    if (httpStatusOf(err) !== 404) throw err;
  }
}

export function familiesOf(ipStack: 'ipv4' | 'ipv6' | 'dual'): Family[] {
  return ipStack === 'ipv4' ? ['v4'] : ipStack === 'ipv6' ? ['v6'] : ['v4', 'v6'];
}

export function workersOf(nodes: k8s.V1Node[]): k8s.V1Node[] {
  return nodes.filter((n) => {
    const l = n.metadata?.labels ?? {};
    return (
      'node-role.kubernetes.io/worker' in l && !('node-role.kubernetes.io/master' in l) && !('node-role.kubernetes.io/control-plane' in l)
    );
  });
}

export async function setNodeLabel(cluster: Cluster, node: string, key: string, value: string | null): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const n = await api(`read node ${node}`, cluster.core.readNode({ name: node }));
    const labels = { ...(n.metadata?.labels ?? {}) };
    if (value === null) delete labels[key];
    else labels[key] = value;
    n.metadata = { ...n.metadata, labels };
    try {
      await cluster.core.replaceNode({ name: node, body: n });
      return;
    } catch (err) {
      if (httpStatusOf(err) === 409 && attempt < 10) continue;
      throw new InfraError(`label node ${node}: ${describeApiError(err)}`);
    }
  }
}

/**
 * A Deployment of `replicas` idle pods (the client pods EgressIP serves): restricted-v2 security context,
 * no grace period, tiny requests. Used by the scenarios (`client`) and the eval fixtures.
 */
export function pauseDeployment(o: {
  namespace: string;
  name: string;
  replicas: number;
  image: string;
  container?: string;
  labels?: Record<string, string>;
}): k8s.V1Deployment {
  const app = { app: o.name };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: o.name, namespace: o.namespace, labels: { ...app, ...o.labels } },
    spec: {
      replicas: o.replicas,
      selector: { matchLabels: app },
      template: {
        metadata: { labels: app },
        spec: {
          terminationGracePeriodSeconds: 0,
          containers: [
            {
              name: o.container ?? o.name,
              image: o.image,
              resources: { requests: { cpu: '1m', memory: '8Mi' } },
              securityContext: {
                allowPrivilegeEscalation: false,
                runAsNonRoot: true,
                capabilities: { drop: ['ALL'] },
                seccompProfile: { type: 'RuntimeDefault' },
              },
            },
          ],
        },
      },
    },
  };
}

const clientDeployment = (ns: string, replicas: number, image: string): k8s.V1Deployment =>
  pauseDeployment({ namespace: ns, name: 'client', replicas, image, container: 'pause' });

/**
 * The EgressIP load every EgressIP scenario takes, declared once: `z.object({ ...egressIPLoadParams({ eips: 2,
 * podsPerEip: 5 }), <the scenario's own params> })`. Only the sizes' defaults differ between scenarios.
 */
export function egressIPLoadParams(defaults: { eips: number; podsPerEip: number }) {
  return {
    eips: z.number().int().min(1).max(200).default(defaults.eips),
    podsPerEip: z.number().int().min(1).max(5000).default(defaults.podsPerEip),
    ipStack: z.enum(['ipv4', 'ipv6', 'dual']).default('ipv4'),
    /** how many workers get k8s.ovn.org/egress-assignable (0: all workers; at least 2 for failover) */
    egressNodes: z.number().int().min(0).default(0),
    /** image of the client pods the EgressIPs select */
    image: z.string().trim().min(1, 'an image reference, not empty').default('registry.k8s.io/pause:3.10'),
    /** parallel node reads of the consistency check */
    concurrency: z.number().int().min(1).max(64).default(8),
    /** sim only: switch this fault of the fault library on for the run (ids: sim/ovnkube/FAULTS.md) */
    fault: faultIdParam,
    /** the fault's value: 'on' or its JSON params */
    faultValue: z.string().default('on'),
  };
}

/**
 * What an EgressIP load needs of the cluster (a scenario's `requires`): `egressNodes` workers, so that asking for more
 * than there are is a usage error before the run starts, not a silent cap.
 */
export const egressNodesRequired = (p: { egressNodes: number }): ClusterNeeds => ({
  workers: { atLeast: p.egressNodes, param: 'egressNodes' },
});

/** The parsed EgressIP load params of a scenario (egressIPLoadParams). */
export type EgressIPLoad = z.output<z.ZodObject<ReturnType<typeof egressIPLoadParams>>>;

/**
 * A scenario's EgressIP load from its params: the fault switched on (if any, switched off by a defer), then
 * setupEgressIPs with eips, podsPerEip, ipStack, egressNodes, image and concurrency.
 */
export async function setupEgressIPLoad(
  t: TestContext<unknown>,
  scenario: string,
  p: EgressIPLoad,
  o: Pick<EgressIPSetupOptions, 'timeoutMs' | 'namespacePrefix' | 'intervalMs'>,
): Promise<EgressIPSetup> {
  if (p.fault) await switchFault(t, p.fault, p.faultValue);
  return setupEgressIPs(t, {
    scenario,
    eips: p.eips,
    podsPerEip: p.podsPerEip,
    families: familiesOf(p.ipStack),
    egressNodes: p.egressNodes,
    image: p.image,
    concurrency: p.concurrency,
    ...o,
  });
}

export interface EgressIPSetupOptions {
  /** scenario name, for labels (and namespace names unless namespacePrefix is given) */
  scenario: string;
  /** namespaces (and EgressIPs) are named `<namespacePrefix>-<run tag>-<i>`; default: scenario */
  namespacePrefix?: string;
  /** poll interval of the readiness and consistency waits (default 500 ms) */
  intervalMs?: number;
  eips: number;
  podsPerEip: number;
  families: Family[];
  /** at most this many workers get the egress label (0: all; at least 2) */
  egressNodes: number;
  image: string;
  timeoutMs: number;
  concurrency: number;
}

export interface EgressIPSetup {
  namespaces: string[];
  eipNames: string[];
  egressNodes: string[];
  workers: string[];
  ips: Record<Family, string[]>;
}

/**
 * Steps 'preflight', 'create workloads', 'create egress ips' (with a consistency check after setup).
 * Everything it creates is removed by defers.
 */
export async function setupEgressIPs(t: TestContext<unknown>, o: EgressIPSetupOptions): Promise<EgressIPSetup> {
  const cluster = t.cluster;
  const tag = t.runId.slice(0, 8);
  const prefix = o.namespacePrefix ?? o.scenario;
  const intervalMs = o.intervalMs ?? 500;
  const namespaces = Array.from({ length: o.eips }, (_, i) => `${prefix}-${tag}-${i}`);
  const setup: EgressIPSetup = { namespaces, eipNames: [...namespaces], egressNodes: [], workers: [], ips: { v4: [], v6: [] } };

  await t.step('preflight', async (s) => {
    const nodes = await api('list nodes', cluster.core.listNode());
    const workers = workersOf(nodes.items);
    setup.workers = workers.map((w) => w.metadata?.name ?? '');
    if (workers.length < 2) throw new InfraError(`need at least 2 worker nodes for EgressIP failover, found ${workers.length}`);
    await listEgressIPs(cluster);
    if (o.egressNodes > workers.length)
      throw new UsageError(
        `param egressNodes: ${o.egressNodes} egress nodes asked for, but the cluster has ${workers.length} workers`,
        'pass egressNodes=0 (all workers) or at most the number of workers',
      );
    const want = o.egressNodes === 0 ? workers.length : o.egressNodes;
    if (want < 2) throw new UsageError('egressNodes must allow at least 2 egress-assignable workers');
    const already = workers.filter((w) => EGRESS_LABEL in (w.metadata?.labels ?? {})).map((w) => w.metadata?.name ?? '');
    setup.egressNodes = setup.workers.slice(0, want);
    s.log(
      `${workers.length} workers; egress-assignable: ${setup.egressNodes.join(', ')}${already.length ? ` (already labelled: ${already.join(', ')})` : ''}`,
    );
    for (const n of setup.egressNodes) {
      if (already.includes(n)) continue;
      // after an interrupt the runner's defers may already have run: create nothing more (see runScenario)
      s.signal.throwIfAborted();
      await setNodeLabel(cluster, n, EGRESS_LABEL, '');
      t.defer(() => setNodeLabel(cluster, n, EGRESS_LABEL, null), `unlabel ${n}`);
    }
  });

  await t.step('create workloads', async (s) => {
    const start = performance.now();
    for (const ns of namespaces) {
      s.signal.throwIfAborted();
      t.defer(async () => {
        await ignoreNotFound(cluster.core.deleteNamespace({ name: ns }));
      }, `delete namespace ${ns}`);
      await api(
        `create namespace ${ns}`,
        cluster.core.createNamespace({ body: { metadata: { name: ns, labels: { [RUN_LABEL]: o.scenario, 'netharness.io/run': tag } } } }),
      );
      await api(
        `create deployment ${ns}/client`,
        cluster.apps.createNamespacedDeployment({ namespace: ns, body: clientDeployment(ns, o.podsPerEip, o.image) }),
      );
    }
    await Promise.all(
      namespaces.map((ns) =>
        waitForDeploymentReady(cluster, ns, 'client', o.podsPerEip, { timeoutMs: o.timeoutMs, signal: s.signal, intervalMs }),
      ),
    );
    const ms = performance.now() - start;
    s.record({ name: 'pods_ready_seconds', value: ms / 1000, unit: 's', labels: { phase: 'setup', pods: String(o.eips * o.podsPerEip) } });
    s.log(`${o.eips * o.podsPerEip} pods Ready in ${(ms / 1000).toFixed(1)} s`);
  });

  await t.step('create egress ips', async (s) => {
    const nodes = (await api('list nodes', cluster.core.listNode())).items;
    const used = (await listEgressIPs(cluster)).flatMap((e) => [...e.egressIPs, ...e.status.map((x) => x.egressIP)]);
    for (const f of o.families) {
      setup.ips[f] = pickFreeEgressIPs(nodes, used, o.eips, f);
      if (setup.ips[f].length < o.eips)
        throw new InfraError(`only ${setup.ips[f].length} free ${f} addresses in the nodes' primary subnet for ${o.eips} EgressIPs`);
    }
    const start = performance.now();
    for (let i = 0; i < o.eips; i++) {
      s.signal.throwIfAborted();
      const name = setup.eipNames[i];
      t.defer(async () => {
        await ignoreNotFound(cluster.custom.deleteClusterCustomObject({ ...EIP_GROUP, name }));
      }, `delete egressip ${name}`);
      const body = {
        apiVersion: 'k8s.ovn.org/v1',
        kind: 'EgressIP',
        metadata: { name, labels: { [RUN_LABEL]: o.scenario, 'netharness.io/run': tag } },
        spec: {
          egressIPs: o.families.map((f) => setup.ips[f][i]),
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': namespaces[i] } },
          podSelector: { matchLabels: { app: 'client' } },
        },
      };
      await api(`create egressip ${name}`, cluster.custom.createClusterCustomObject({ ...EIP_GROUP, body }));
    }
    s.log(`EgressIPs ${o.families.map((f) => `${setup.ips[f][0]}..${setup.ips[f][o.eips - 1]}`).join(' + ')}`);
    await waitForEgressIPsAssigned(cluster, setup.eipNames, { timeoutMs: o.timeoutMs, signal: s.signal, minItems: o.families.length });
    const w = await waitForConsistent(cluster, { timeoutMs: o.timeoutMs, signal: s.signal, intervalMs, concurrency: o.concurrency });
    const counts = recordRuleCounts(s, w.result, { phase: 'setup' });
    s.record({ name: 'time_to_consistent_seconds', value: (performance.now() - start) / 1000, unit: 's', labels: { phase: 'setup' } });
    await t.check('egressip consistent after setup', () => ({
      ok: w.consistent,
      findings: w.result.findings,
      summary: `${w.result.counts.snat} SNATs, ${w.result.counts.lrp} LRPs on ${w.result.counts.nodes} nodes; max/node ${counts.maxSnat} SNAT, ${counts.maxLrp} LRP${w.consistent ? '' : `; ${w.result.findings.length} findings after ${Math.round(o.timeoutMs / 1000)} s`}`,
      data: { counts: w.result.counts, perNode: w.result.perNode },
    }));
  });
  return setup;
}

/** The egress node holding the most of `eipNames`. */
export async function busiestEgressNode(cluster: Cluster, eipNames: string[]): Promise<{ node: string; eips: string[] }> {
  const m = await egressIPNodes(cluster);
  const byNode = new Map<string, string[]>();
  for (const name of eipNames) for (const n of m.get(name) ?? []) byNode.set(n, [...(byNode.get(n) ?? []), name]);
  const best = [...byNode].sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]))[0];
  if (!best) throw new InfraError('no EgressIP of this run is assigned to a node');
  return { node: best[0], eips: best[1] };
}

/** Scale `<ns>/client` to `replicas` (read-modify-write with conflict retry). */
export async function scaleClientDeployment(cluster: Cluster, ns: string, replicas: number): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const d = await api(`read deployment ${ns}/client`, cluster.apps.readNamespacedDeployment({ namespace: ns, name: 'client' }));
    if (d.spec?.replicas === replicas) return;
    d.spec = { ...(d.spec as k8s.V1DeploymentSpec), replicas };
    try {
      await cluster.apps.replaceNamespacedDeployment({ namespace: ns, name: 'client', body: d });
      return;
    } catch (err) {
      if (httpStatusOf(err) === 409 && attempt < 10) continue;
      throw new InfraError(`scale ${ns}/client to ${replicas}: ${describeApiError(err)}`);
    }
  }
}

/** Nodes that run selected client pods, most pods first. */
export async function podNodes(cluster: Cluster, namespaces: string[]): Promise<string[]> {
  const count = new Map<string, number>();
  for (const ns of namespaces) {
    const pods = await api(`list pods in ${ns}`, cluster.core.listNamespacedPod({ namespace: ns, labelSelector: 'app=client' }));
    for (const p of pods.items) if (p.spec?.nodeName) count.set(p.spec.nodeName, (count.get(p.spec.nodeName) ?? 0) + 1);
  }
  return [...count].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([n]) => n);
}

export async function ovnkubePodOn(cluster: Cluster, node: string): Promise<k8s.V1Pod | undefined> {
  const list = await api(
    'list ovnkube-node pods',
    cluster.core.listNamespacedPod({
      namespace: OVN_NAMESPACE,
      labelSelector: OVNKUBE_NODE_SELECTOR,
      fieldSelector: `spec.nodeName=${node}`,
    }),
  );
  return list.items.find((p) => !p.metadata?.deletionTimestamp);
}

export function recordRuleCounts(
  s: StepContext,
  r: EgressIPCheckResult,
  labels: Record<string, string>,
): { maxSnat: number; maxLrp: number } {
  let maxSnat = 0;
  let maxLrp = 0;
  for (const [node, c] of Object.entries(r.perNode)) {
    s.record({ name: 'snat_rules', value: c.snat, unit: 'count', labels: { ...labels, node } });
    s.record({ name: 'lrp_rules', value: c.lrp, unit: 'count', labels: { ...labels, node } });
    maxSnat = Math.max(maxSnat, c.snat);
    maxLrp = Math.max(maxLrp, c.lrp);
  }
  s.record({ name: 'snat_rules_max_per_node', value: maxSnat, unit: 'count', labels });
  s.record({ name: 'lrp_rules_max_per_node', value: maxLrp, unit: 'count', labels });
  return { maxSnat, maxLrp };
}

/**
 * Switch a fault of the sim's fault library on (ConfigMap netharness/netharness-faults; value 'on' or
 * JSON params) and defer switching it off. On a real cluster the ConfigMap is inert.
 */
/**
 * Merge `data` into the sim's fault library (ConfigMap netharness/netharness-faults), creating it (and its
 * namespace) when missing; retried on a write conflict. `what` names the change in the error.
 */
export async function patchFaultLibrary(cluster: Cluster, data: Record<string, string>, what: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    let cm: k8s.V1ConfigMap | undefined;
    try {
      cm = await cluster.core.readNamespacedConfigMap({ namespace: FAULTS_NAMESPACE, name: FAULTS_CONFIGMAP });
    } catch (err) {
      if (httpStatusOf(err) !== 404) throw new InfraError(`read ${FAULTS_NAMESPACE}/${FAULTS_CONFIGMAP}: ${describeApiError(err)}`);
    }
    try {
      if (!cm) {
        await ignoreConflict(cluster.core.createNamespace({ body: { metadata: { name: FAULTS_NAMESPACE } } }));
        await cluster.core.createNamespacedConfigMap({
          namespace: FAULTS_NAMESPACE,
          body: { metadata: { name: FAULTS_CONFIGMAP, namespace: FAULTS_NAMESPACE }, data },
        });
      } else {
        cm.data = { ...(cm.data ?? {}), ...data };
        await cluster.core.replaceNamespacedConfigMap({ namespace: FAULTS_NAMESPACE, name: FAULTS_CONFIGMAP, body: cm });
      }
      return;
    } catch (err) {
      if (httpStatusOf(err) === 409 && attempt < 10) continue;
      throw new InfraError(`${what}: ${describeApiError(err)}`);
    }
  }
}

/**
 * Switch a fault of the sim's fault library on (ConfigMap netharness/netharness-faults; value 'on' or
 * JSON params) and defer switching it off. On a real cluster the ConfigMap is inert.
 */
export async function switchFault(t: TestContext<unknown>, id: FaultId, value = 'on'): Promise<void> {
  await patchFaultLibrary(t.cluster, { [id]: value }, `switch fault ${id}`);
  t.event({ kind: 'fault-on', target: id, details: { value } });
  t.defer(async () => {
    await patchFaultLibrary(t.cluster, { [id]: 'off' }, `switch fault ${id}`);
  }, `switch fault ${id} off`);
}

async function ignoreConflict(p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (err) {
    if (httpStatusOf(err) !== 409) throw err;
  }
}
