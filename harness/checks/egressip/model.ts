/**
 * Data model of the EgressIP rule-consistency check (rows as ovn-org/ovn-kubernetes go-controller/pkg/ovn/egressip.go writes them):
 * the API state it reads, the NB rows it reads per node, and the findings it reports.
 */
import type { LabelSelector } from '../../k8s/label-selector.ts';
import type { RowsByNode } from './rows-by-node.ts';

export const FINDING_KINDS = [
  'missing-snat',
  'stale-snat',
  'duplicate-snat',
  'wrong-snat-ip',
  'wrong-snat-port',
  'missing-lrp',
  'stale-lrp',
  'duplicate-lrp',
  'wrong-nexthop',
  'missing-nexthop',
  'stale-nexthop',
  'missing-no-reroute',
  'address-set-drift',
  'unassigned-eip',
  'eip-assigned-twice',
  'unowned-snat',
  'unowned-lrp',
] as const;

export type FindingKind = (typeof FINDING_KINDS)[number];

/** A finding of the EgressIP consistency diff (the store keeps egressip / namespace / pod as labels). */
export interface EgressIPFinding {
  kind: FindingKind;
  /** set on findings leaving the check (checkEgressIP), so a scenario's recorded findings name their check */
  check?: 'egressip';
  node?: string;
  egressip?: string;
  namespace?: string;
  pod?: string;
  expected?: string;
  actual?: string;
  /** free text for humans */
  message?: string;
}

export type Family = 'v4' | 'v6';

// ---------- API side ----------

export type { LabelSelector };

export interface EgressIPInfo {
  name: string;
  creationTimestamp: string;
  egressIPs: string[];
  namespaceSelector: LabelSelector;
  podSelector?: LabelSelector;
  status: { node: string; egressIP: string }[];
}

export interface NamespaceInfo {
  name: string;
  labels: Record<string, string>;
}

export interface PodInfo {
  namespace: string;
  name: string;
  node?: string;
  ips: string[];
  phase: string;
  hostNetwork: boolean;
  labels: Record<string, string>;
  terminating: boolean;
}

export interface NodeInfo {
  name: string;
  /** k8s.ovn.org/node-id */
  id?: number;
  /** GR join IP (rtoj-GR_<node>) per family, derived from node-id (or the deprecated lrp-ifaddr annotation) */
  joinIp: Partial<Record<Family, string>>;
  /** k8s.ovn.org/node-transit-switch-port-ifaddr */
  transitIp: Partial<Record<Family, string>>;
  /** k8s.ovn.org/node-primary-ifaddr (with prefix) */
  primaryIfAddr: Partial<Record<Family, string>>;
  egressAssignable: boolean;
}

export interface ApiState {
  eips: EgressIPInfo[];
  namespaces: NamespaceInfo[];
  pods: PodInfo[];
  nodes: NodeInfo[];
}

// ---------- NB side (per node) ----------

export interface NatRow {
  uuid: string;
  type: string;
  external_ip: string;
  logical_ip: string;
  logical_port: string;
  external_ids: Record<string, string>;
  /** name of the Logical_Router holding it ('' if none) */
  router: string;
}

export interface PolicyRow {
  uuid: string;
  priority: number;
  match: string;
  action: string;
  nexthops: readonly string[];
  external_ids: Record<string, string>;
  options: Record<string, string>;
  router: string;
}

export interface AddressSetRow {
  uuid: string;
  name: string;
  addresses: string[];
  external_ids: Record<string, string>;
}

export interface NodeDump {
  node: string;
  nat: NatRow[];
  policies: PolicyRow[];
  addressSets: AddressSetRow[];
}

/** The NB contents of every node, keyed by node name. */
export type ActualState = Map<string, NodeDump>;

// ---------- expected (derived from the API) ----------

export interface ExpectedSnat {
  eip: string;
  namespace: string;
  pod: string;
  logicalIp: string;
  externalIp: string;
  logicalPort: string;
}

export interface ExpectedLrp {
  eip: string;
  namespace: string;
  pod: string;
  family: Family;
  podIp: string;
  nexthops: string[];
}

export interface ExpectedNode {
  name: string;
  /** key: logical (pod) IP -> the SNAT(s) expected for it (one per EgressIP IP assigned to this node, same family; an array only when several) */
  snats: Map<string, ExpectedSnat | ExpectedSnat[]>;
  /** key: pod IP */
  lrps: Map<string, ExpectedLrp>;
  /** egressip-served-pods contents per family (the pod IPs of `lrps`, derived on first read) */
  servedPods: Record<Family, Set<string>>;
}

/** One EgressIP's assignments in one IP family: its status items on nodes the API knows (same family as the IP). */
export interface EipFamily {
  eip: EgressIPInfo;
  family: Family;
  items: { node: string; nodeIdx: number; ext: string; port: string }[];
  /** reroute nexthops (sorted) of a pod on one of its egress nodes (by node name) or on any other node (one shared key), computed on first use */
  nexthops: Map<string, string[]>;
}

/**
 * The served pod IPs as columns, one row per IP and no object per row: built once per check, read by the
 * diff's per-node pass (a node whose rows all match takes one lookup per row in that node's few hundred keys;
 * any other node gets the full diff). Per node, not one cluster-wide map: a lookup among one node's few
 * hundred IPs stays in cache, one in a map of 100k does not.
 */
export interface ServedIndex {
  /**
   * false when the per-IP shortcut is not exact: two served pods (or one pod twice) with one IP on one node's
   * rows, two status items of one EgressIP and family on one node, or two API nodes with one name. Then every
   * node takes the full diff.
   */
  regular: boolean;
  /** API node name -> its position in api.nodes (the per-node arrays below are indexed by it) */
  nodeIdx: Map<string, number>;
  /** per row: the pod, its EgressIP in the IP's family, the family (0 v4, 1 v6), its reroute nexthops ([] when none) */
  pod: PodInfo[];
  eipFam: EipFamily[];
  family: Uint8Array;
  nexthops: string[][];
  /** per egress node: pod IP (ipKey) -> row, for each expected EgressIP SNAT on its GR */
  snatRows: RowsByNode;
  /** per pod node: pod IP (ipKey) -> row, for each expected reroute (and served-pods address) */
  lrpRows: RowsByNode;
  /** per node: expected served-pods addresses per family (pod side) */
  servedWant: Record<Family, Int32Array>;
  /** every served pod IP (built on first use: only a policy without ovnkube's external_ids asks) */
  readonly servedIps: Set<string>;
  /** scratch for the diff: row -> the stamp of the last pass that saw it */
  seen: Int32Array;
  stamp: number;
}

export interface Expected {
  /** expected rows per node as maps (built on first use: the full diff of a node that does not match reads them) */
  nodes: Map<string, ExpectedNode>;
  index: ServedIndex;
  /** IP families in use in the cluster (for the no-reroute rules) */
  families: Family[];
  /** pod IP -> pod, for naming rows in findings */
  podByIp: Map<string, PodInfo>;
  /** pod -> the EgressIP serving it */
  servedBy: Map<PodInfo, EgressIPInfo>;
  /** IPs of pods in transition (terminating, not yet Running): their rows are neither expected nor stale */
  ignoredIps: Set<string>;
  /** every EgressIP IP of the spec (canonical) -> the EgressIP's name: SNATs to it act on EgressIP traffic, whoever owns them */
  eipIps: Map<string, string>;
  /** API-level findings (unassigned-eip, eip-assigned-twice) */
  apiFindings: EgressIPFinding[];
  counts: { pods: number; snat: number; lrp: number };
}
