/**
 * Typed views of the API objects ovnkube reads (nodes, pods, namespaces, EgressIPs) and label
 * selector matching. Pure.
 */
import type { KubeObject } from '../types.ts';

export { GVR } from '../gvr.ts';

export { OVN_NAMESPACE };
export const EGRESS_ASSIGNABLE_LABEL = 'k8s.ovn.org/egress-assignable';

export const ANN = {
  nodeId: 'k8s.ovn.org/node-id',
  transitIp: 'k8s.ovn.org/node-transit-switch-port-ifaddr',
  nodeSubnets: 'k8s.ovn.org/node-subnets',
  primaryIfaddr: 'k8s.ovn.org/node-primary-ifaddr',
  hostCidrs: 'k8s.ovn.org/host-cidrs',
  gwRouterLrpIfaddr: 'k8s.ovn.org/node-gateway-router-lrp-ifaddr',
  l3GatewayConfig: 'k8s.ovn.org/l3-gateway-config',
  zoneName: 'k8s.ovn.org/zone-name',
  chassisId: 'k8s.ovn.org/node-chassis-id',
} as const;

import type { LabelSelector as Selector, LabelSelectorOperator } from '../../harness/k8s/label-selector.ts';
import { OVN_NAMESPACE } from '../constants.ts';

export type LabelSelector = Selector<LabelSelectorOperator>;

/** True when a selector has only NotIn expressions (bug #10's trigger). */
export function isNotInOnly(sel: LabelSelector | undefined): boolean {
  if (!sel) return false;
  const ex = sel.matchExpressions ?? [];
  return Object.keys(sel.matchLabels ?? {}).length === 0 && ex.length > 0 && ex.every((e) => e.operator === 'NotIn');
}

export interface NodeInfo {
  name: string;
  /** k8s.ovn.org/node-id (from the annotation, else the sim node spec) */
  id: number;
  labels: Record<string, string>;
  ready: boolean;
  /** primary NIC CIDRs from k8s.ovn.org/node-primary-ifaddr (else from the addressing plan) */
  primaryIfaddr: { ipv4?: string; ipv6?: string };
  /** k8s.ovn.org/host-cidrs, stripped of prefixes */
  hostIps: string[];
  deleting: boolean;
}

export interface PodInfo {
  namespace: string;
  name: string;
  uid: string;
  node: string;
  ips: string[];
  labels: Record<string, string>;
  phase: string;
  hostNetwork: boolean;
  deleting: boolean;
  creationTimestamp: string;
}

export interface NamespaceInfo {
  name: string;
  labels: Record<string, string>;
}

export interface EgressIPStatusItem {
  node: string;
  egressIP: string;
}

export interface EgressIPInfo {
  name: string;
  uid: string;
  creationTimestamp: string;
  egressIPs: string[];
  namespaceSelector: LabelSelector;
  podSelector?: LabelSelector;
  status: EgressIPStatusItem[];
}

function parseJson<T>(s: string | undefined): T | undefined {
  if (s === undefined) return undefined;
  try {
    return JSON.parse(s) as T;
  } catch {
    return undefined;
  }
}

export function nodeInfo(o: KubeObject, fallbackId?: number): NodeInfo {
  const ann = o.metadata.annotations ?? {};
  const idAnn = Number(ann[ANN.nodeId]);
  const conditions = (o.status?.conditions as { type: string; status: string }[] | undefined) ?? [];
  const ready = conditions.find((c) => c.type === 'Ready')?.status === 'True';
  const primary = parseJson<{ ipv4?: string; ipv6?: string }>(ann[ANN.primaryIfaddr]) ?? {};
  const hostCidrs = parseJson<string[]>(ann[ANN.hostCidrs]) ?? [];
  return {
    name: o.metadata.name,
    id: Number.isInteger(idAnn) && idAnn > 0 ? idAnn : (fallbackId ?? 0),
    labels: o.metadata.labels ?? {},
    ready,
    primaryIfaddr: { ipv4: primary.ipv4 || undefined, ipv6: primary.ipv6 || undefined },
    hostIps: hostCidrs.map((c) => c.split('/')[0]),
    deleting: !!o.metadata.deletionTimestamp,
  };
}

/**
 * Views of the store's objects, by object. The store hands out frozen objects (a write replaces
 * the object), and every zone controller sees every pod event: one view per object version is
 * computed once for all of them instead of once per zone.
 */
const podInfos = new WeakMap<KubeObject, PodInfo>();

/** The typed view of a pod. Frozen (and shared) when the object is the store's frozen one. */
export function podInfo(o: KubeObject): PodInfo {
  if (!Object.isFrozen(o)) return readPodInfo(o);
  let p = podInfos.get(o);
  if (!p) {
    p = readPodInfo(o);
    Object.freeze(p.ips);
    podInfos.set(o, Object.freeze(p));
  }
  return p;
}

function readPodInfo(o: KubeObject): PodInfo {
  const spec = (o.spec ?? {}) as { nodeName?: string; hostNetwork?: boolean };
  const status = (o.status ?? {}) as { phase?: string; podIP?: string; podIPs?: { ip: string }[] };
  let ips = (status.podIPs ?? []).map((p) => p.ip).filter(Boolean);
  if (ips.length === 0 && status.podIP) ips = [status.podIP];
  if (ips.length === 0) {
    // fall back to the ovn pod-networks annotation
    const pn = parseJson<Record<string, { ip_addresses?: string[] }>>(o.metadata.annotations?.['k8s.ovn.org/pod-networks']);
    ips = (pn?.default?.ip_addresses ?? []).map((c) => c.split('/')[0]);
  }
  return {
    namespace: o.metadata.namespace ?? '',
    name: o.metadata.name,
    uid: o.metadata.uid ?? '',
    node: spec.nodeName ?? '',
    ips,
    labels: o.metadata.labels ?? {},
    phase: status.phase ?? 'Pending',
    hostNetwork: !!spec.hostNetwork,
    deleting: !!o.metadata.deletionTimestamp,
    creationTimestamp: o.metadata.creationTimestamp ?? '',
  };
}

export function namespaceInfo(o: KubeObject): NamespaceInfo {
  return { name: o.metadata.name, labels: o.metadata.labels ?? {} };
}

const egressIpInfos = new WeakMap<KubeObject, EgressIPInfo>();

/** The typed view of an EgressIP; one shared view per frozen store object (see podInfo). */
export function egressIpInfo(o: KubeObject): EgressIPInfo {
  if (!Object.isFrozen(o)) return readEgressIpInfo(o);
  let e = egressIpInfos.get(o);
  if (!e) egressIpInfos.set(o, (e = Object.freeze(readEgressIpInfo(o))));
  return e;
}

function readEgressIpInfo(o: KubeObject): EgressIPInfo {
  const spec = (o.spec ?? {}) as { egressIPs?: string[]; namespaceSelector?: LabelSelector; podSelector?: LabelSelector };
  const status = (o.status ?? {}) as { items?: EgressIPStatusItem[] };
  return {
    name: o.metadata.name,
    uid: o.metadata.uid ?? '',
    creationTimestamp: o.metadata.creationTimestamp ?? '',
    egressIPs: spec.egressIPs ?? [],
    namespaceSelector: spec.namespaceSelector ?? {},
    podSelector: spec.podSelector,
    status: status.items ?? [],
  };
}

export function isV6(ip: string): boolean {
  return ip.includes(':');
}

/** Whether `ip` lies in `cidr` (v4 or v6). */
export function cidrContains(cidr: string, ip: string): boolean {
  const [net, lenS] = cidr.split('/');
  const len = Number(lenS);
  if (isV6(net) !== isV6(ip)) return false;
  const a = ipToBigInt(net);
  const b = ipToBigInt(ip);
  if (a === undefined || b === undefined) return false;
  const bits = isV6(ip) ? 128 : 32;
  const shift = BigInt(bits - len);
  return a >> shift === b >> shift;
}

export function ipToBigInt(ip: string): bigint | undefined {
  if (!isV6(ip)) {
    const p = ip.split('.').map(Number);
    if (p.length !== 4 || p.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) return undefined;
    return BigInt(((p[0] << 24) >>> 0) + (p[1] << 16) + (p[2] << 8) + p[3]);
  }
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, undefined];
  const hs = head ? head.split(':') : [];
  const ts = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const fill = tail === undefined ? 0 : 8 - hs.length - ts.length;
  const groups = [...hs, ...Array<string>(fill).fill('0'), ...ts];
  if (groups.length !== 8) return undefined;
  let v = 0n;
  for (const g of groups) {
    const n = parseInt(g || '0', 16);
    if (Number.isNaN(n) || n < 0 || n > 0xffff) return undefined;
    v = (v << 16n) | BigInt(n);
  }
  return v;
}

/** ovn-kubernetes util.IPAddrToHWAddr: 0a:58 + the last 4 bytes of the address. */
export function ipToMac(ip: string): string {
  const v = ipToBigInt(ip) ?? 0n;
  const last4 = Number(v & 0xffffffffn);
  const b = [(last4 >>> 24) & 255, (last4 >>> 16) & 255, (last4 >>> 8) & 255, last4 & 255];
  return ['0a', '58', ...b.map((x) => x.toString(16).padStart(2, '0'))].join(':');
}
