/**
 * Data model of the EgressIP rule-consistency check (rows as ovn-org/ovn-kubernetes go-controller/pkg/ovn/egressip.go writes them):
 * the API state it reads, the NB rows it reads per node, and the findings it reports.
 */
import type { LabelSelector } from '../../k8s/label-selector.ts';

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
  nexthops: string[];
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

export interface Expected {
  nodes: Map<string, ExpectedNode>;
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
