/** Cluster-state fixtures for the ovnkube unit tests. */
import { nodeAddressing, stripPrefix } from '../../sim/topology.ts';
import type { IpStack } from '../../sim/types.ts';
import type { EgressIPInfo, NamespaceInfo, NodeInfo, PodInfo } from '../../sim/ovnkube/k8s.ts';
import type { ZoneState } from '../../sim/ovnkube/desired-state.ts';

export function node(name: string, id: number, stack: IpStack = 'ipv4', egress = true): NodeInfo {
  const a = nodeAddressing({ name, id }, stack);
  return {
    name,
    id,
    labels: egress ? { 'k8s.ovn.org/egress-assignable': '' } : {},
    ready: true,
    primaryIfaddr: { ipv4: a.nodeIp.v4, ipv6: a.nodeIp.v6 },
    hostIps: [a.nodeIp.v4, a.nodeIp.v6].filter((x): x is string => !!x).map(stripPrefix),
    deleting: false,
  };
}

/** pod i on node (id) gets .10+i of the node subnet (v4) / ::a+i (v6). */
export function pod(
  ns: string,
  name: string,
  nodeName: string,
  nodeId: number,
  i: number,
  stack: IpStack = 'ipv4',
  labels: Record<string, string> = { app: 'web' },
): PodInfo {
  const a = nodeAddressing({ name: nodeName, id: nodeId }, stack);
  const ips: string[] = [];
  if (a.podSubnet.v4) {
    const [o1, o2, o3] = a.podSubnet.v4.split('.');
    ips.push(`${o1}.${o2}.${o3}.${10 + i}`);
  }
  if (a.podSubnet.v6) ips.push(`${a.podSubnet.v6.split('/')[0]}${(10 + i).toString(16)}`);
  return {
    namespace: ns,
    name,
    uid: `uid-${ns}-${name}`,
    node: nodeName,
    ips,
    labels,
    phase: 'Running',
    hostNetwork: false,
    deleting: false,
    creationTimestamp: '2026-11-21T10:00:00Z',
  };
}

export function ns(name: string, labels: Record<string, string> = {}): NamespaceInfo {
  return { name, labels: { 'kubernetes.io/metadata.name': name, ...labels } };
}

export function eip(
  name: string,
  ips: string[],
  status: { node: string; egressIP: string }[] = [],
  nsName = 'prod',
  created = '2026-11-21T10:00:00Z',
): EgressIPInfo {
  return {
    name,
    uid: `uid-${name}`,
    creationTimestamp: created,
    egressIPs: ips,
    namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': nsName } },
    podSelector: { matchLabels: { app: 'web' } },
    status,
  };
}

export function zone(zoneName: string, s: Omit<ZoneState, 'zone'>): ZoneState {
  return { zone: zoneName, ...s };
}
