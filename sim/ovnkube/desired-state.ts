/**
 * The exact NB rows one zone's ovnkube-controller owns, computed from cluster state. Pure.
 *
 * Topology per zone (IC: every node is its own zone): ovn_cluster_router (rtos-/rtots-/rtoj- ports,
 * static routes incl. the IC catch-all), node switch with k8s-<node> and pod LSPs, join switch,
 * GR_<node> with rtoj-/rtoe- ports + default route + cluster-subnet SNAT, ext_<node>,
 * transit_switch with local tstor-<node> and remote tstor-<remote> ports.
 *
 * EgressIP rows as ovn-org/ovn-kubernetes go-controller/pkg/ovn/egressip.go writes them: priority-102 no-reroute policies, QoS mark rule (103),
 * address sets, priority-100 reroute LRPs on the pod node only, SNATs on GR_<egressNode> in the
 * egress node's DB only.
 */
import {
  CLUSTER_NETWORK_V4,
  CLUSTER_NETWORK_V6,
  GATEWAY_V4,
  GATEWAY_V6,
  JOIN_SUBNET_V4,
  JOIN_SUBNET_V6,
  hasV4,
  hasV6,
  nodeAddressing,
  stripPrefix,
  type NodeAddressing,
} from '../topology.ts';
import type { IpStack } from '../types.ts';
import {
  EPHEMERAL_PORT_RANGE,
  LEGACY_NAME_KEY,
  NODE_CONNECTION_MARK,
  NO_REROUTE_PRIORITY,
  QOS_MARK_PRIORITY,
  REPLY_TRAFFIC_MARK,
  REROUTE_PRIORITY,
  egressIpServedPodsAS,
  egressSvcServedPodsAS,
  ipFamilyValue,
  lrpIds,
  natIds,
  nodeIpsAS,
  qosIds,
  type Family,
} from './ids.ts';
import { matchLabelSelector } from '../../harness/k8s/label-selector.ts';
import { ipToMac, isV6, type EgressIPInfo, type NamespaceInfo, type NodeInfo, type PodInfo } from './k8s.ts';
import type {
  AddressSet,
  LogicalRouter,
  LogicalRouterPolicy,
  LogicalRouterPort,
  LogicalRouterStaticRoute,
  LogicalSwitch,
  LogicalSwitchPort,
  NAT,
  NbRow,
  QoS,
} from './nb-model.ts';

export const CLUSTER_ROUTER = 'ovn_cluster_router';
export const JOIN_SWITCH = 'join';
export const TRANSIT_SWITCH = 'transit_switch';
export const TRANSIT_SWITCH_TNL_KEY = '16711683';
export const gwRouter = (node: string): string => `GR_${node}`;
export const extSwitch = (node: string): string => `ext_${node}`;
export const mgmtPort = (node: string): string => `k8s-${node}`;
export const podPortName = (ns: string, pod: string): string => `${ns}_${pod}`;
export const CLUSTER_ROUTER_JOIN_IP = { v4: '100.64.0.1/16', v6: 'fd98::1/64' };

export interface DesiredOptions {
  /** Older ovnkube: EIP NATs/LRPs carry only external_ids name=<eipName> (before upstream commit 1642012bf; migrated by go-controller/pkg/ovn/external_ids_syncer). */
  legacyExternalIds?: boolean;
  /** Fault #8: Succeeded/Failed pods stay programmed. */
  programCompletedPods?: boolean;
  /** Fault #9: "ns/pod" -> IPs the controller still believes the pod has. */
  podIpOverride?: Map<string, string[]>;
  /** QoS action mark needs OVN >= 23.06 (NB schema with QoS.action key "mark"). Default true. */
  qosMarkSupported?: boolean;
  /** node -> chassis id (options:chassis of GR_<node>, requested-chassis of remote ports) */
  chassisIds?: Record<string, string>;
}

export interface ZoneState {
  /** local node (= zone) name */
  zone: string;
  ipStack: IpStack;
  nodes: NodeInfo[];
  pods: PodInfo[];
  namespaces: NamespaceInfo[];
  eips: EgressIPInfo[];
  opts?: DesiredOptions;
}

export function families(stack: IpStack): Family[] {
  const f: Family[] = [];
  if (hasV4(stack)) f.push('v4');
  if (hasV6(stack)) f.push('v6');
  return f;
}

export function familyOf(ip: string): Family {
  return isV6(ip) ? 'v6' : 'v4';
}

const ipN = (f: Family): string => (f === 'v4' ? 'ip4' : 'ip6');
const clusterNet = (f: Family): string => (f === 'v4' ? CLUSTER_NETWORK_V4 : CLUSTER_NETWORK_V6);
const joinNet = (f: Family): string => (f === 'v4' ? JOIN_SUBNET_V4 : JOIN_SUBNET_V6);

export function chassisOf(node: string, opts?: DesiredOptions): string {
  return opts?.chassisIds?.[node] ?? node;
}

/** A pod ovnkube would SNAT (util.PodNeedsSNAT + the sim's "Running" rule). */
export function podEligible(p: PodInfo, opts?: DesiredOptions): boolean {
  if (p.hostNetwork || !p.node || p.ips.length === 0) return false;
  if (p.phase === 'Running') return true;
  return !!opts?.programCompletedPods && (p.phase === 'Succeeded' || p.phase === 'Failed');
}

/** Pod has a logical switch port (scheduled, IPs, not completed). */
export function podHasPort(p: PodInfo): boolean {
  return !p.hostNetwork && !!p.node && p.ips.length > 0 && p.phase !== 'Succeeded' && p.phase !== 'Failed';
}

export interface PodAssignment {
  pod: PodInfo;
  /** IPs used for the rows (the pod's IPs, or stale ones under fault #9) */
  ips: string[];
  eip: EgressIPInfo;
  /** other matching EIPs on standby */
  standby: string[];
}

export function eipSelectsPod(e: EgressIPInfo, p: PodInfo, nsLabels: Map<string, Record<string, string>>): boolean {
  const nl = nsLabels.get(p.namespace);
  if (!nl) return false;
  return matchLabelSelector(e.namespaceSelector, nl) && matchLabelSelector(e.podSelector ?? {}, p.labels);
}

/**
 * Oldest EgressIP first (creationTimestamp, then name). Written again, on purpose, in the EgressIP check
 * (harness/checks/egressip/expected.ts): the check is an independent oracle of this twin, so the two share no
 * EgressIP logic (only the generic label-selector matcher); a shared comparator would hide a bug here from the check.
 */
const eipOrder = (a: EgressIPInfo, b: EgressIPInfo): number =>
  a.creationTimestamp < b.creationTimestamp
    ? -1
    : a.creationTimestamp > b.creationTimestamp
      ? 1
      : a.name < b.name
        ? -1
        : a.name > b.name
          ? 1
          : 0;

/**
 * Which EgressIP serves each eligible pod. A pod matched by several EgressIPs is served by the
 * oldest one that has an assignment; the others are on standby (podAssignmentState.standbyEgressIPNames).
 */
export function podAssignments(s: Pick<ZoneState, 'pods' | 'namespaces' | 'eips' | 'opts'>): Map<string, PodAssignment> {
  const memo = assignmentMemo.get(s.pods);
  if (memo && !s.opts?.podIpOverride && memo.completed === !!s.opts?.programCompletedPods && sameInputs(memo, s)) return memo.out;
  const out = computeAssignments(s);
  // only the feed's frozen lists: an array someone may still change is never a memo key
  if (!s.opts?.podIpOverride && Object.isFrozen(s.pods))
    assignmentMemo.set(s.pods, {
      eips: [...s.eips],
      ns: s.namespaces.map((n) => [n.name, n.labels] as const),
      completed: !!s.opts?.programCompletedPods,
      out,
    });
  return out;
}

/**
 * The assignment does not depend on the zone: every zone computes it from the same views. The zones
 * share one pod list between two pod events (pod-feed.ts), so the answer is kept per list and reused
 * while the EgressIP views and the namespaces' label objects are the same ones (and no fault override).
 */
const assignmentMemo = new WeakMap<
  readonly PodInfo[],
  { eips: EgressIPInfo[]; ns: (readonly [string, Record<string, string>])[]; completed: boolean; out: Map<string, PodAssignment> }
>();

function sameInputs(
  m: { eips: EgressIPInfo[]; ns: (readonly [string, Record<string, string>])[] },
  s: Pick<ZoneState, 'namespaces' | 'eips'>,
): boolean {
  return (
    m.eips.length === s.eips.length &&
    m.eips.every((e, i) => e === s.eips[i]) &&
    m.ns.length === s.namespaces.length &&
    m.ns.every(([name, labels], i) => s.namespaces[i].name === name && sameLabels(s.namespaces[i].labels, labels))
  );
}

/** The same labels object, or both empty (a namespace without labels gets a fresh {} per view). */
const sameLabels = (a: Record<string, string>, b: Record<string, string>): boolean =>
  a === b || (Object.keys(a).length === 0 && Object.keys(b).length === 0);

function computeAssignments(s: Pick<ZoneState, 'pods' | 'namespaces' | 'eips' | 'opts'>): Map<string, PodAssignment> {
  const nsLabels = new Map(s.namespaces.map((n) => [n.name, n.labels]));
  const eips = [...s.eips].sort(eipOrder);
  const out = new Map<string, PodAssignment>();
  for (const p of s.pods) {
    if (!podEligible(p, s.opts)) continue;
    const matching = matchingEips(eips, p, nsLabels);
    const active = matching.find((e) => e.status.length > 0);
    if (!active) continue;
    const key = `${p.namespace}/${p.name}`;
    const ips = s.opts?.podIpOverride?.get(key) ?? p.ips;
    out.set(key, { pod: p, ips, eip: active, standby: matching.filter((e) => e !== active).map((e) => e.name) });
  }
  return out;
}

/**
 * The EgressIPs (in order) whose selectors match a pod. Every zone computes this for every pod on
 * every reconcile; the views are shared frozen objects (k8s.ts), so the answer is remembered per pod
 * view and reused while the same EgressIP views and the same namespace labels object are passed.
 */
const matchMemo = new WeakMap<
  PodInfo,
  { eips: readonly EgressIPInfo[]; nsl: Record<string, string> | undefined; matching: EgressIPInfo[] }
>();

function matchingEips(eips: readonly EgressIPInfo[], p: PodInfo, nsLabels: Map<string, Record<string, string>>): EgressIPInfo[] {
  const nsl = nsLabels.get(p.namespace);
  const m = matchMemo.get(p);
  if (m && m.nsl === nsl && m.eips.length === eips.length && m.eips.every((e, i) => e === eips[i])) return m.matching;
  const matching = eips.filter((e) => eipSelectsPod(e, p, nsLabels));
  if (Object.isFrozen(p) && Object.isFrozen(nsl ?? {}) && eips.every((e) => Object.isFrozen(e)))
    matchMemo.set(p, { eips: [...eips], nsl, matching });
  return matching;
}

export function addressingOf(n: Pick<NodeInfo, 'name' | 'id'>, stack: IpStack): NodeAddressing {
  return nodeAddressing({ name: n.name, id: n.id }, stack);
}

/** Nexthop for a status item as seen from the pod's zone (getNextHop): local GR join IP or remote transit IP. */
export function nextHop(zone: string, egressNode: NodeAddressing | undefined, f: Family): string | undefined {
  if (!egressNode) return undefined;
  const a = egressNode.name === zone ? egressNode.joinIp[f] : egressNode.transitIp[f];
  return a ? stripPrefix(a) : undefined;
}

/** All rows the zone's ovnkube-controller owns. */
export function desiredState(s: ZoneState): NbRow[] {
  return [...topologyRows(s), ...egressIpRows(s)];
}

export function topologyRows(s: ZoneState): NbRow[] {
  const fams = families(s.ipStack);
  const local = s.nodes.find((n) => n.name === s.zone);
  if (!local) return [];
  const L = addressingOf(local, s.ipStack);
  const node = s.zone;
  const GR = gwRouter(node);
  const rows: NbRow[] = [];
  const pick = (fa: Partial<Record<Family, string>>): string[] => fams.map((f) => fa[f]).filter((x): x is string => !!x);
  const first = (fa: Partial<Record<Family, string>>): string => pick(fa)[0] ?? '';

  // ovn_cluster_router
  rows.push(<LogicalRouter>{
    table: 'Logical_Router',
    name: CLUSTER_ROUTER,
    options: { always_learn_from_arp_request: 'false', mcast_relay: 'false' },
    external_ids: { 'k8s-cluster-router': 'yes', 'k8s-ovn-topo-version': '11' },
  });
  rows.push(<LogicalRouterPort>{
    table: 'Logical_Router_Port',
    router: CLUSTER_ROUTER,
    name: `rtos-${node}`,
    mac: ipToMac(stripPrefix(first(L.routerIp))),
    networks: fams.map((f) => `${L.routerIp[f]}/${stripNet(L.podSubnet[f])}`).filter((x) => !x.startsWith('undefined')),
    options: {},
    external_ids: {},
  });
  rows.push(<LogicalRouterPort>{
    table: 'Logical_Router_Port',
    router: CLUSTER_ROUTER,
    name: 'rtoj-ovn_cluster_router',
    mac: ipToMac(stripPrefix(first(CLUSTER_ROUTER_JOIN_IP))),
    networks: pick(CLUSTER_ROUTER_JOIN_IP),
    options: {},
    external_ids: {},
  });
  rows.push(<LogicalRouterPort>{
    table: 'Logical_Router_Port',
    router: CLUSTER_ROUTER,
    name: `rtots-${node}`,
    mac: ipToMac(stripPrefix(first(L.transitIp))),
    networks: pick(L.transitIp),
    options: { 'requested-tnl-key': String(L.id) },
    external_ids: { node },
  });

  // node switch with management port and local pods
  const other: Record<string, string> = {};
  if (L.podSubnet.v4) other.subnet = L.podSubnet.v4;
  if (L.podSubnet.v6) other.ipv6_prefix = L.podSubnet.v6.split('/')[0];
  if (L.mgmtIp.v4) other.exclude_ips = L.mgmtIp.v4;
  rows.push(<LogicalSwitch>{ table: 'Logical_Switch', name: node, other_config: other, external_ids: {} });
  rows.push(<LogicalSwitchPort>{
    table: 'Logical_Switch_Port',
    switch: node,
    name: `stor-${node}`,
    type: 'router',
    addresses: ['router'],
    port_security: [],
    options: { 'router-port': `rtos-${node}` },
    external_ids: {},
  });
  const mgmtAddr = `${ipToMac(first(L.mgmtIp))} ${pick(L.mgmtIp).join(' ')}`;
  rows.push(<LogicalSwitchPort>{
    table: 'Logical_Switch_Port',
    switch: node,
    name: mgmtPort(node),
    type: '',
    addresses: [mgmtAddr],
    port_security: [],
    options: {},
    external_ids: {},
  });
  for (const p of s.pods) {
    if (p.node !== node || !podHasPort(p)) continue;
    const addr = `${ipToMac(p.ips[0])} ${p.ips.join(' ')}`;
    rows.push(<LogicalSwitchPort>{
      table: 'Logical_Switch_Port',
      switch: node,
      name: podPortName(p.namespace, p.name),
      type: '',
      addresses: [addr],
      port_security: [addr],
      options: { 'requested-chassis': chassisOf(node, s.opts), 'iface-id-ver': p.uid },
      external_ids: { namespace: p.namespace, pod: 'true' },
    });
  }

  // join switch
  rows.push(<LogicalSwitch>{ table: 'Logical_Switch', name: JOIN_SWITCH, other_config: {}, external_ids: {} });
  rows.push(<LogicalSwitchPort>{
    table: 'Logical_Switch_Port',
    switch: JOIN_SWITCH,
    name: 'jtor-ovn_cluster_router',
    type: 'router',
    addresses: ['router'],
    port_security: [],
    options: { 'router-port': 'rtoj-ovn_cluster_router' },
    external_ids: {},
  });
  rows.push(<LogicalSwitchPort>{
    table: 'Logical_Switch_Port',
    switch: JOIN_SWITCH,
    name: `jtor-${GR}`,
    type: 'router',
    addresses: ['router'],
    port_security: [],
    options: { 'router-port': `rtoj-${GR}` },
    external_ids: {},
  });

  // gateway router
  const nodeIps = pick(L.nodeIp).map(stripPrefix);
  rows.push(<LogicalRouter>{
    table: 'Logical_Router',
    name: GR,
    options: {
      chassis: chassisOf(node, s.opts),
      always_learn_from_arp_request: 'false',
      dynamic_neigh_routers: 'true',
      'snat-ct-zone': '0',
      lb_force_snat_ip: 'router_ip',
    },
    external_ids: { physical_ip: nodeIps[0] ?? '', physical_ips: nodeIps.join(',') },
  });
  rows.push(<LogicalRouterPort>{
    table: 'Logical_Router_Port',
    router: GR,
    name: `rtoj-${GR}`,
    mac: ipToMac(stripPrefix(first(L.joinIp))),
    networks: pick(L.joinIp),
    options: {},
    external_ids: {},
  });
  rows.push(<LogicalRouterPort>{
    table: 'Logical_Router_Port',
    router: GR,
    name: `rtoe-${GR}`,
    mac: L.mac,
    networks: pick(L.nodeIp),
    options: {},
    external_ids: {},
  });
  for (const f of fams) {
    rows.push(<LogicalRouterStaticRoute>{
      table: 'Logical_Router_Static_Route',
      router: GR,
      ip_prefix: f === 'v4' ? '0.0.0.0/0' : '::/0',
      nexthop: f === 'v4' ? GATEWAY_V4 : GATEWAY_V6,
      output_port: `rtoe-${GR}`,
      external_ids: {},
    });
    rows.push(<LogicalRouterStaticRoute>{
      table: 'Logical_Router_Static_Route',
      router: GR,
      ip_prefix: clusterNet(f),
      nexthop: stripPrefix(CLUSTER_ROUTER_JOIN_IP[f]),
      external_ids: {},
    });
    const nip = L.nodeIp[f];
    if (nip)
      rows.push(<NAT>{
        table: 'NAT',
        router: GR,
        type: 'snat',
        external_ip: stripPrefix(nip),
        logical_ip: clusterNet(f),
        external_port_range: '',
        options: { stateless: 'false' },
        external_ids: {},
      });
  }

  // external switch
  rows.push(<LogicalSwitch>{ table: 'Logical_Switch', name: extSwitch(node), other_config: {}, external_ids: {} });
  rows.push(<LogicalSwitchPort>{
    table: 'Logical_Switch_Port',
    switch: extSwitch(node),
    name: `etor-${GR}`,
    type: 'router',
    addresses: [L.mac],
    port_security: [],
    options: { 'router-port': `rtoe-${GR}`, 'nat-addresses': 'router' },
    external_ids: {},
  });
  rows.push(<LogicalSwitchPort>{
    table: 'Logical_Switch_Port',
    switch: extSwitch(node),
    name: `breth0_${node}`,
    type: 'localnet',
    addresses: ['unknown'],
    port_security: [],
    options: { network_name: 'physnet' },
    external_ids: {},
  });

  // transit switch + IC routes
  rows.push(<LogicalSwitch>{
    table: 'Logical_Switch',
    name: TRANSIT_SWITCH,
    other_config: {
      'interconn-ts': TRANSIT_SWITCH,
      'requested-tnl-key': TRANSIT_SWITCH_TNL_KEY,
      mcast_snoop: 'true',
      mcast_flood_unregistered: 'true',
    },
    external_ids: {},
  });
  rows.push(<LogicalSwitchPort>{
    table: 'Logical_Switch_Port',
    switch: TRANSIT_SWITCH,
    name: `tstor-${node}`,
    type: 'router',
    addresses: ['router'],
    port_security: [],
    options: { 'router-port': `rtots-${node}`, 'requested-tnl-key': String(L.id) },
    external_ids: { node },
  });
  for (const f of fams) {
    const gw = L.joinIp[f];
    if (gw)
      rows.push(<LogicalRouterStaticRoute>{
        table: 'Logical_Router_Static_Route',
        router: CLUSTER_ROUTER,
        ip_prefix: clusterNet(f),
        nexthop: stripPrefix(gw),
        policy: 'src-ip',
        external_ids: {},
      });
  }
  for (const r of s.nodes) {
    if (r.name === node || r.id <= 0) continue;
    const R = addressingOf(r, s.ipStack);
    const tips = pick(R.transitIp);
    rows.push(<LogicalSwitchPort>{
      table: 'Logical_Switch_Port',
      switch: TRANSIT_SWITCH,
      name: `tstor-${r.name}`,
      type: 'remote',
      addresses: [`${ipToMac(stripPrefix(tips[0]))} ${tips.join(' ')}`],
      port_security: [],
      options: { 'requested-tnl-key': String(R.id), 'requested-chassis': chassisOf(r.name, s.opts) },
      external_ids: { node: r.name },
    });
    for (const f of fams) {
      const t = R.transitIp[f];
      if (!t) continue;
      if (R.podSubnet[f])
        rows.push(<LogicalRouterStaticRoute>{
          table: 'Logical_Router_Static_Route',
          router: CLUSTER_ROUTER,
          ip_prefix: R.podSubnet[f],
          nexthop: stripPrefix(t),
          external_ids: { 'ic-node': r.name },
        });
      const j = R.joinIp[f];
      if (j)
        rows.push(<LogicalRouterStaticRoute>{
          table: 'Logical_Router_Static_Route',
          router: CLUSTER_ROUTER,
          ip_prefix: `${stripPrefix(j)}/${f === 'v4' ? 32 : 128}`,
          nexthop: stripPrefix(t),
          external_ids: { 'ic-node': r.name },
        });
    }
  }
  return rows;
}

function stripNet(cidr: string | undefined): string {
  return cidr ? cidr.split('/')[1] : '';
}

/** Rows every zone creates at init (InitClusterEgressPolicies), plus the per-pod rows for this zone (addPodEgressIPAssignment). */
export function egressIpRows(s: ZoneState): NbRow[] {
  const fams = families(s.ipStack);
  const local = s.nodes.find((n) => n.name === s.zone);
  if (!local) return [];
  const rows: NbRow[] = [...egressIpInitRows(s, fams)];
  const byName = new Map(s.nodes.map((n) => [n.name, addressingOf(n, s.ipStack)]));
  const assignments = podAssignments(s);
  const served: Record<Family, Set<string>> = { v4: new Set(), v6: new Set() };
  for (const a of assignments.values()) rows.push(...podEgressRows(s, a, byName, served));
  for (const f of fams) {
    const as = egressIpServedPodsAS(f);
    rows.push(<AddressSet>{ table: 'Address_Set', name: as.name, addresses: [...served[f]].sort(), external_ids: as.externalIds });
  }
  return rows;
}

function egressIpInitRows(s: ZoneState, fams: Family[]): NbRow[] {
  const rows: NbRow[] = [];
  for (const f of fams) {
    const ip = ipN(f);
    const cn = clusterNet(f);
    const fam = ipFamilyValue(f);
    rows.push(noReroute(`${ip}.src == ${cn} && ${ip}.dst == ${cn}`, 'EIP-No-Reroute-Pod-To-Pod', fam));
    rows.push(noReroute(`${ip}.src == ${cn} && ${ip}.dst == ${joinNet(f)}`, 'EIP-No-Reroute-Pod-To-Join', fam));
    const eipAS = egressIpServedPodsAS(f);
    const svcAS = egressSvcServedPodsAS(f);
    const nodeAS = nodeIpsAS(f);
    rows.push(
      noReroute(
        `(${ip}.src == $${eipAS.name} || ${ip}.src == $${svcAS.name}) && ${ip}.dst == $${nodeAS.name}`,
        'EIP-No-Reroute-Pod-To-Node',
        fam,
        { pkt_mark: NODE_CONNECTION_MARK },
      ),
    );
    rows.push(<AddressSet>{ table: 'Address_Set', name: svcAS.name, addresses: [], external_ids: svcAS.externalIds });
    const nodeIps = new Set<string>();
    for (const n of s.nodes) {
      const hostIps =
        n.hostIps.length > 0 ? n.hostIps : Object.values(addressingOf(n, s.ipStack).nodeIp).map((c) => stripPrefix(c as string));
      for (const h of hostIps) if (familyOf(h) === f) nodeIps.add(h);
    }
    rows.push(<AddressSet>{ table: 'Address_Set', name: nodeAS.name, addresses: [...nodeIps].sort(), external_ids: nodeAS.externalIds });
    rows.push(<QoS>{
      table: 'QoS',
      switch: s.zone,
      priority: QOS_MARK_PRIORITY,
      direction: 'from-lport',
      match: `${ip}.src == $${eipAS.name} && ct.trk && ct.rpl`,
      action: s.opts?.qosMarkSupported === false ? {} : { mark: REPLY_TRAFFIC_MARK },
      external_ids: qosIds('EgressIP-Mark-Reply-Traffic', f),
    });
  }
  rows.push(noReroute(`pkt.mark == ${REPLY_TRAFFIC_MARK}`, 'EIP-No-Reroute-reply-traffic', 'ip'));
  return rows;
}

function noReroute(match: string, name: string, ipFamily: string, options: Record<string, string> = {}): LogicalRouterPolicy {
  return {
    table: 'Logical_Router_Policy',
    router: CLUSTER_ROUTER,
    priority: NO_REROUTE_PRIORITY,
    match,
    action: 'allow',
    nexthops: [],
    options,
    external_ids: lrpIds(NO_REROUTE_PRIORITY, name, ipFamily),
  };
}

function podEgressRows(s: ZoneState, a: PodAssignment, byName: Map<string, NodeAddressing>, served: Record<Family, Set<string>>): NbRow[] {
  const rows: NbRow[] = [];
  const { pod, eip } = a;
  const fams = families(s.ipStack);
  const rowName = `${eip.name}_${pod.namespace}/${pod.name}`;
  const legacy = !!s.opts?.legacyExternalIds;
  for (const f of fams) {
    const podIp = a.ips.find((ip) => familyOf(ip) === f);
    if (!podIp) continue;
    const items = eip.status.filter((it) => familyOf(it.egressIP) === f && byName.has(it.node));
    if (items.length === 0) continue;
    // reroute LRP: pod node only
    if (pod.node === s.zone) {
      const nexthops: string[] = [];
      for (const it of items) {
        const nh = nextHop(s.zone, byName.get(it.node), f);
        if (nh && !nexthops.includes(nh)) nexthops.push(nh);
      }
      if (nexthops.length > 0) {
        rows.push(<LogicalRouterPolicy>{
          table: 'Logical_Router_Policy',
          router: CLUSTER_ROUTER,
          priority: REROUTE_PRIORITY,
          match: `${ipN(f)}.src == ${podIp}`,
          action: 'reroute',
          nexthops,
          options: {},
          external_ids: legacy ? { [LEGACY_NAME_KEY]: eip.name } : lrpIds(REROUTE_PRIORITY, rowName, ipFamilyValue(f)),
        });
        served[f].add(podIp);
      }
    }
    // SNAT on GR_<egressNode>: egress node's DB only, every selected pod
    for (const it of items) {
      if (it.node !== s.zone) continue;
      rows.push(<NAT>{
        table: 'NAT',
        router: gwRouter(s.zone),
        type: 'snat',
        external_ip: it.egressIP,
        logical_ip: podIp,
        logical_port: mgmtPort(s.zone),
        external_port_range: EPHEMERAL_PORT_RANGE,
        options: { stateless: 'false' },
        external_ids: legacy ? { [LEGACY_NAME_KEY]: eip.name } : natIds(eip.name, pod.namespace, pod.name, f),
      });
    }
  }
  return rows;
}
