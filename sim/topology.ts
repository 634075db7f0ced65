/**
 * Addressing plan of the embedded cluster, as OpenShift + OVN-Kubernetes lays it out.
 * Pure: every part of the sim derives node IPs, pod subnets, join and transit IPs from here.
 *
 * - cluster network 10.128.0.0/14, host prefix /23 (node i: 10.128.(2(i-1)).0/23); v6 fd01::/48, /64 per node
 * - machine network 192.168.126.0/24 (node i: 192.168.126.(10+i)); v6 fd00:126::/64 (::(10+i))
 * - join subnet 100.64.0.0/16 (GR_<node> rtoj port 100.64.0.(i+1)); v6 fd98::/64
 * - transit switch 100.88.0.0/16 (node i: 100.88.0.(i+1)); v6 fd97::/64
 * - service network 172.30.0.0/16; v6 fd02::/112
 * Node ids are 1-based, matching k8s.ovn.org/node-id.
 */
import type { IpStack, SimNodeSpec } from './types.ts';

export const CLUSTER_NETWORK_V4 = '10.128.0.0/14';
export const CLUSTER_NETWORK_V6 = 'fd01::/48';
export const HOST_PREFIX_V4 = 23;
export const HOST_PREFIX_V6 = 64;
export const MACHINE_NETWORK_V4 = '192.168.126.0/24';
export const MACHINE_NETWORK_V6 = 'fd00:126::/64';
export const JOIN_SUBNET_V4 = '100.64.0.0/16';
export const JOIN_SUBNET_V6 = 'fd98::/64';
export const TRANSIT_SUBNET_V4 = '100.88.0.0/16';
export const TRANSIT_SUBNET_V6 = 'fd97::/64';
export const SERVICE_NETWORK_V4 = '172.30.0.0/16';
export const SERVICE_NETWORK_V6 = 'fd02::/112';
/** The machine-network gateway every node's default route points at. */
export const GATEWAY_V4 = '192.168.126.1';
export const GATEWAY_V6 = 'fd00:126::1';

export interface FamilyAddrs<T> {
  v4?: T;
  v6?: T;
}

export interface NodeAddressing {
  name: string;
  id: number;
  /** primary NIC address with prefix, e.g. 192.168.126.11/24 */
  nodeIp: FamilyAddrs<string>;
  /** pod subnet, e.g. 10.128.0.0/23 */
  podSubnet: FamilyAddrs<string>;
  /** management port (k8s-<node>) IP: .2 of the pod subnet */
  mgmtIp: FamilyAddrs<string>;
  /** ovn_cluster_router port on the node switch: .1 of the pod subnet */
  routerIp: FamilyAddrs<string>;
  /** GR_<node> join port (rtoj-GR_<node>) with prefix, e.g. 100.64.0.2/16 */
  joinIp: FamilyAddrs<string>;
  /** transit switch port IP with prefix, e.g. 100.88.0.2/16 */
  transitIp: FamilyAddrs<string>;
  /** a stable MAC for the node's br-ex */
  mac: string;
}

export function hasV4(stack: IpStack): boolean {
  return stack === 'ipv4' || stack === 'dual';
}

export function hasV6(stack: IpStack): boolean {
  return stack === 'ipv6' || stack === 'dual';
}

export function nodeAddressing(node: Pick<SimNodeSpec, 'name' | 'id'>, stack: IpStack): NodeAddressing {
  const i = node.id;
  if (i < 1 || i > 240) throw new RangeError(`node id ${i} out of range 1..240`);
  const a: NodeAddressing = {
    name: node.name,
    id: i,
    nodeIp: {},
    podSubnet: {},
    mgmtIp: {},
    routerIp: {},
    joinIp: {},
    transitIp: {},
    mac: nodeMac(i),
  };
  if (hasV4(stack)) {
    // 10.128.0.0/14 holds 512 /23s; node i gets the (i-1)th.
    const base = (i - 1) * 2;
    const o2 = 128 + Math.floor(base / 256);
    const o3 = base % 256;
    a.podSubnet.v4 = `10.${o2}.${o3}.0/${HOST_PREFIX_V4}`;
    a.routerIp.v4 = `10.${o2}.${o3}.1`;
    a.mgmtIp.v4 = `10.${o2}.${o3}.2`;
    a.nodeIp.v4 = `192.168.126.${10 + i}/24`;
    a.joinIp.v4 = `100.64.0.${i + 1}/16`;
    a.transitIp.v4 = `100.88.0.${i + 1}/16`;
  }
  if (hasV6(stack)) {
    const h = i.toString(16);
    a.podSubnet.v6 = `fd01:0:0:${h}::/${HOST_PREFIX_V6}`;
    a.routerIp.v6 = `fd01:0:0:${h}::1`;
    a.mgmtIp.v6 = `fd01:0:0:${h}::2`;
    a.nodeIp.v6 = `fd00:126::${(10 + i).toString(16)}/64`;
    a.joinIp.v6 = `fd98::${(i + 1).toString(16)}/64`;
    a.transitIp.v6 = `fd97::${(i + 1).toString(16)}/64`;
  }
  return a;
}

function nodeMac(i: number): string {
  return `0a:58:c0:a8:7e:${(10 + i).toString(16).padStart(2, '0')}`;
}

/** The labels an OpenShift node carries (arch/os/hostname, RHCOS, master + control-plane or worker role). */
export function nodeLabels(n: Pick<SimNodeSpec, 'name' | 'role'>): Record<string, string> {
  const labels: Record<string, string> = {
    'beta.kubernetes.io/arch': 'amd64',
    'beta.kubernetes.io/os': 'linux',
    'kubernetes.io/arch': 'amd64',
    'kubernetes.io/hostname': n.name,
    'kubernetes.io/os': 'linux',
    'node.openshift.io/os_id': 'rhcos',
  };
  if (n.role === 'control-plane') {
    labels['node-role.kubernetes.io/master'] = '';
    labels['node-role.kubernetes.io/control-plane'] = '';
  } else labels['node-role.kubernetes.io/worker'] = '';
  return labels;
}

/** The host part of a CIDR: '192.168.126.11/24' -> '192.168.126.11' */
export function stripPrefix(cidr: string): string {
  return cidr.split('/')[0];
}

/** Default node names: 3 masters + N workers, like a small OpenShift cluster. */
export function defaultNodes(controlPlane = 3, workers = 3): SimNodeSpec[] {
  const nodes: SimNodeSpec[] = [];
  for (let m = 0; m < controlPlane; m++) nodes.push({ name: `master-${m}`, role: 'control-plane', id: nodes.length + 1 });
  for (let w = 0; w < workers; w++) nodes.push({ name: `worker-${w}`, role: 'worker', id: nodes.length + 1 });
  return nodes;
}

/** '3+3' or '6' (3 control-plane + rest workers) or '1+5'. */
export function parseNodeCount(spec: string): SimNodeSpec[] {
  const m = /^(\d+)(?:\+(\d+))?$/.exec(spec.trim());
  if (!m) throw new Error(`--nodes expects N or CP+WORKERS (e.g. 6 or 3+3), got '${spec}'`);
  if (m[2] !== undefined) {
    const cp = Number(m[1]);
    const w = Number(m[2]);
    if (cp < 1 || cp + w > 240) throw new Error(`--nodes: need 1..240 nodes with at least one control-plane node, got '${spec}'`);
    return defaultNodes(cp, w);
  }
  const total = Number(m[1]);
  if (total < 1 || total > 240) throw new Error(`--nodes: need 1..240 nodes, got '${spec}'`);
  const cp = total >= 4 ? 3 : 1;
  return defaultNodes(cp, total - cp);
}
