/**
 * Setup fixtures of eval cases (evals/cases/schema.ts `setup`), and the TargetEnv the draw reads from.
 * A fixture is built once and reused by consecutive trials with the same setup while the heal keeps the
 * cluster healthy (building one costs seconds; reusing it is the point of `--target sim` reuse).
 *
 * Names are neutral (`tenant-a`, `client`, `egress-tenant-a`): nothing an agent can list hints at a fault.
 */
import type * as k8s from '@kubernetes/client-node';
import { httpStatusOf, type Cluster } from '../../harness/cluster/connect.ts';
import { InfraError } from '../../harness/errors.ts';
import { pickFreeEgressIPs, stripPrefix } from '../../harness/checks/egressip/free-ips.ts';
import { listEgressIPs, OVN_NAMESPACE, OVNKUBE_NODE_SELECTOR } from '../../harness/checks/egressip/collect.ts';
import {
  api,
  EGRESS_LABEL,
  EIP_GROUP,
  ignoreNotFound,
  pauseDeployment,
  setNodeLabel,
  workersOf,
} from '../../harness/scenario-kit/egressip.ts';
import { waitFor, waitForConsistent, waitForDeploymentReady, waitForEgressIPsAssigned } from '../../harness/wait/index.ts';
import { DAEMON_SELECTOR, PTP_NAMESPACE } from '../../harness/ptp/cluster.ts';
import type { Setup, Pool, Derivation } from '../cases/schema.ts';
import type { TargetEnv } from '../cases/targets.ts';

export const MANAGED_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_VALUE = 'netharness';
const APP = 'client';

export interface FixtureOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  log: (line: string) => void;
  image?: string;
}

export interface Fixture {
  /** JSON of the setup it was built from: trials with the same key reuse it */
  key: string;
  setup: Setup;
  namespaces: string[];
  egressIPs: string[];
  /** the checks that must pass on a healthy cluster with this fixture (heal verifies them) */
  healthChecks: string[];
  /** nodes this fixture labelled egress-assignable (removed on teardown) */
  labelled: string[];
  teardown(signal?: AbortSignal): Promise<void>;
}

export const setupKey = (s: Setup): string => JSON.stringify(s);

const letters = (i: number): string =>
  i < 26 ? String.fromCharCode(97 + i) : `${String.fromCharCode(97 + Math.floor(i / 26) - 1)}${String.fromCharCode(97 + (i % 26))}`;

const webDeployment = (ns: string, replicas: number, image: string): k8s.V1Deployment =>
  pauseDeployment({ namespace: ns, name: APP, replicas, image, labels: { [MANAGED_LABEL]: MANAGED_VALUE } });

/** Wait until none of these namespaces exists (a terminating one from an earlier run included). */
export async function waitNamespacesGone(
  cluster: Cluster,
  names: readonly string[],
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<void> {
  if (!names.length) return;
  await waitFor(
    async () => {
      for (const name of names) {
        try {
          await cluster.core.readNamespace({ name });
          return undefined;
        } catch (err) {
          if (httpStatusOf(err) !== 404) throw err;
        }
      }
      return true;
    },
    { timeoutMs, intervalMs: 200, signal, describe: `namespaces ${names.join(', ')} to be gone` },
  );
}

export async function listWorkers(cluster: Cluster): Promise<k8s.V1Node[]> {
  return workersOf((await api('list nodes', cluster.core.listNode())).items);
}

/** Build the fixture of a setup; everything it makes is removed by teardown(). */
export async function buildFixture(cluster: Cluster, setup: Setup, o: FixtureOptions): Promise<Fixture> {
  const fx: Fixture = {
    key: setupKey(setup),
    setup,
    namespaces: [],
    egressIPs: [],
    healthChecks: [],
    labelled: [],
    teardown: async () => undefined,
  };
  if (setup.fixture === 'plain') return fx;
  if (setup.fixture === 'ptp') {
    const pods = await api(
      'list PTP daemon pods',
      cluster.core.listNamespacedPod({ namespace: PTP_NAMESPACE, labelSelector: DAEMON_SELECTOR }),
    );
    if (!pods.items.length)
      throw new InfraError(
        `setup ptp: no linuxptp-daemon pods in ${PTP_NAMESPACE} on this target`,
        'PTP cases need the PTP operator (a live cluster with PTP, or an embedded cluster with a PTP topology)',
      );
    fx.healthChecks = ['ptp'];
    return fx;
  }
  // egressip
  const image = o.image ?? 'registry.k8s.io/pause:3.10';
  fx.healthChecks = ['egressip'];
  const families = setup.ipStack === 'ipv4' ? (['v4'] as const) : setup.ipStack === 'ipv6' ? (['v6'] as const) : (['v4', 'v6'] as const);
  fx.namespaces = Array.from({ length: setup.namespaces }, (_, i) => `tenant-${letters(i)}`);
  fx.egressIPs = fx.namespaces.map((ns) => `egress-${ns}`);
  fx.teardown = async (signal?: AbortSignal) => {
    for (const name of fx.egressIPs) await ignoreNotFound(cluster.custom.deleteClusterCustomObject({ ...EIP_GROUP, name }));
    for (const ns of fx.namespaces) await ignoreNotFound(cluster.core.deleteNamespace({ name: ns }));
    for (const n of fx.labelled) await setNodeLabel(cluster, n, EGRESS_LABEL, null).catch(() => undefined);
    // gone, not just terminating: the next fixture (or run) creates the same names
    await waitNamespacesGone(cluster, fx.namespaces, o.timeoutMs, signal);
  };
  await waitNamespacesGone(cluster, fx.namespaces, o.timeoutMs, o.signal);
  try {
    const nodes = (await api('list nodes', cluster.core.listNode())).items;
    const workers = workersOf(nodes);
    if (workers.length < setup.egressNodes)
      throw new InfraError(`setup egressip: ${setup.egressNodes} egress nodes wanted, the target has ${workers.length} workers`);
    const names = workers.map((w) => w.metadata?.name ?? '').sort();
    const already = names.filter((n) => EGRESS_LABEL in (workers.find((w) => w.metadata?.name === n)?.metadata?.labels ?? {}));
    const want = names.slice(0, setup.egressNodes);
    for (const n of want) {
      if (already.includes(n)) continue;
      await setNodeLabel(cluster, n, EGRESS_LABEL, '');
      fx.labelled.push(n);
    }
    // labelled by someone else and not wanted: leave them (a live cluster's own egress nodes)
    for (const ns of fx.namespaces) {
      await api(
        `create namespace ${ns}`,
        cluster.core.createNamespace({ body: { metadata: { name: ns, labels: { [MANAGED_LABEL]: MANAGED_VALUE } } } }),
      );
      await api(
        `create deployment ${ns}/${APP}`,
        cluster.apps.createNamespacedDeployment({ namespace: ns, body: webDeployment(ns, setup.podsPerNamespace, image) }),
      );
    }
    await Promise.all(
      fx.namespaces.map((ns) =>
        waitForDeploymentReady(cluster, ns, APP, setup.podsPerNamespace, { timeoutMs: o.timeoutMs, signal: o.signal, intervalMs: 250 }),
      ),
    );
    const used = (await listEgressIPs(cluster)).flatMap((e) => [...e.egressIPs, ...e.status.map((x) => x.egressIP)]);
    const ips = families.map((f) => {
      const free = pickFreeEgressIPs(nodes, used, fx.namespaces.length, f);
      if (free.length < fx.namespaces.length)
        throw new InfraError(`setup egressip: only ${free.length} free ${f} addresses for ${fx.namespaces.length} EgressIPs`);
      return free;
    });
    for (const [i, name] of fx.egressIPs.entries()) {
      await api(
        `create egressip ${name}`,
        cluster.custom.createClusterCustomObject({
          ...EIP_GROUP,
          body: {
            apiVersion: 'k8s.ovn.org/v1',
            kind: 'EgressIP',
            metadata: { name, labels: { [MANAGED_LABEL]: MANAGED_VALUE } },
            spec: {
              egressIPs: ips.map((l) => l[i]!),
              namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': fx.namespaces[i]! } },
              podSelector: { matchLabels: { app: APP } },
            },
          },
        }),
      );
    }
    await waitForEgressIPsAssigned(cluster, fx.egressIPs, { timeoutMs: o.timeoutMs, signal: o.signal, minItems: families.length });
    const w = await waitForConsistent(cluster, { timeoutMs: o.timeoutMs, signal: o.signal, intervalMs: 250, concurrency: 8 });
    if (!w.consistent)
      throw new InfraError(
        `setup egressip: the rules are not consistent ${Math.round(o.timeoutMs / 1000)} s after setup (${w.result.findings.length} findings)`,
      );
    o.log(`fixture egressip: ${fx.namespaces.length} namespaces x ${setup.podsPerNamespace} pods, EgressIPs on ${want.join(', ')}`);
    return fx;
  } catch (err) {
    await fx.teardown().catch(() => undefined);
    throw err;
  }
}

const annotationIp = (n: k8s.V1Node | undefined, key: string): string | undefined => {
  const raw = n?.metadata?.annotations?.[key];
  if (!raw) return undefined;
  try {
    const j = JSON.parse(raw) as { ipv4?: string; ipv6?: string };
    return j.ipv4 ? stripPrefix(j.ipv4) : j.ipv6 ? stripPrefix(j.ipv6) : undefined;
  } catch {
    return undefined;
  }
};

/** Read the pools of the target (after setup) and answer derivations for the draw. */
export async function targetEnv(cluster: Cluster, fx: Fixture): Promise<TargetEnv> {
  const nodes = (await api('list nodes', cluster.core.listNode())).items;
  const workers = workersOf(nodes);
  const name = (n: k8s.V1Node) => n.metadata?.name ?? '';
  const eips = (await listEgressIPs(cluster)).filter((e) => fx.egressIPs.includes(e.name));
  const pods: k8s.V1Pod[] = [];
  for (const ns of fx.namespaces)
    pods.push(...(await api(`list pods in ${ns}`, cluster.core.listNamespacedPod({ namespace: ns, labelSelector: `app=${APP}` }))).items);
  const live = pods.filter((p) => !p.metadata?.deletionTimestamp && p.status?.phase === 'Running');
  let ptpPods: k8s.V1Pod[] = [];
  if (fx.setup.fixture === 'ptp')
    ptpPods = (
      await api('list PTP daemon pods', cluster.core.listNamespacedPod({ namespace: PTP_NAMESPACE, labelSelector: DAEMON_SELECTOR }))
    ).items;
  const pools: Record<Pool, string[]> = {
    workers: workers.map(name),
    'egress-nodes': workers.filter((w) => EGRESS_LABEL in (w.metadata?.labels ?? {})).map(name),
    'non-egress-workers': workers.filter((w) => !(EGRESS_LABEL in (w.metadata?.labels ?? {}))).map(name),
    egressips: eips.map((e) => e.name),
    'egressip-namespaces': [...fx.namespaces],
    'served-pods': live.map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`),
    'ptp-nodes': [...new Set(ptpPods.flatMap((p) => (p.spec?.nodeName ? [p.spec.nodeName] : [])))],
  };
  const podOf = (ref: string) => live.find((p) => `${p.metadata?.namespace}/${p.metadata?.name}` === ref);
  const podOnNode = async (namespace: string, selector: string, node: string): Promise<string> => {
    const l = await api(
      `list pods ${selector} on ${node}`,
      cluster.core.listNamespacedPod({ namespace, labelSelector: selector, fieldSelector: `spec.nodeName=${node}` }),
    );
    return l.items.find((p) => !p.metadata?.deletionTimestamp)?.metadata?.name ?? '';
  };
  const derive = async (kind: Derivation, of: string): Promise<string> => {
    switch (kind) {
      case 'egressip-node':
        return eips.find((e) => e.name === of)?.status[0]?.node ?? '';
      case 'egressip-ip':
        return eips.find((e) => e.name === of)?.egressIPs[0] ?? '';
      case 'egressip-of-namespace':
        return fx.egressIPs[fx.namespaces.indexOf(of)] ?? '';
      case 'namespace-of-pod':
        return of.includes('/') ? of.split('/')[0]! : '';
      case 'pod-node':
        return podOf(of)?.spec?.nodeName ?? '';
      case 'pod-ip':
        return podOf(of)?.status?.podIP ?? '';
      case 'ovnkube-node-pod':
        return podOnNode(OVN_NAMESPACE, OVNKUBE_NODE_SELECTOR, of);
      case 'ptp-daemon-pod':
        return podOnNode(PTP_NAMESPACE, DAEMON_SELECTOR, of);
      case 'transit-ip':
        return (
          annotationIp(
            nodes.find((n) => name(n) === of),
            'k8s.ovn.org/node-transit-switch-port-ifaddr',
          ) ?? ''
        );
    }
  };
  return { pool: (p) => pools[p], derive };
}
