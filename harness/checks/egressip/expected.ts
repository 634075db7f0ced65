/**
 * Expected NB rows per node, derived from the API (pure). Rules (ovn-org/ovn-kubernetes go-controller/pkg/ovn/egressip.go: addPodEgressIPAssignment,
 * createReroutePolicyOps, createNATRuleOps, getNextHop):
 * - SNAT on GR_<egressNode> in the egress node's DB for every selected Running non-hostNetwork pod,
 *   logical_port k8s-<egressNode>, external_ip = the EgressIP assigned to that node (same family as the pod IP);
 * - reroute LRP (priority 100, `ip4.src == <podIp>`) on ovn_cluster_router in the pod node's DB, nexthops =
 *   transit IPs of remote egress nodes / the local GR join IP, one per status item of the family;
 * - egressip-served-pods address set on the pod node holding the local served pod IPs.
 * A pod selected by several EgressIPs is served by the oldest one that has an assignment (the others are standby).
 * Pods in transition (terminating, or with IPs but not Running yet) are "don't care".
 */
import { canonIp, familyOf } from './net.ts';
import { matchLabelSelector } from '../../k8s/label-selector.ts';
import type {
  ApiState,
  EgressIPFinding,
  EgressIPInfo,
  Expected,
  ExpectedLrp,
  ExpectedNode,
  ExpectedSnat,
  Family,
  LabelSelector,
  NamespaceInfo,
  PodInfo,
} from './model.ts';

/**
 * Oldest EgressIP first (creationTimestamp, then name): the one that serves a pod several select. Written again,
 * on purpose, in the embedded cluster's ovnkube (sim/ovnkube/desired-state.ts): this check is an independent
 * oracle of that twin and shares none of its EgressIP logic (only the generic label-selector matcher): a shared
 * comparator would hide a twin bug from the check.
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

function newNode(name: string): ExpectedNode {
  const lrps = new Map<string, ExpectedLrp>();
  let served: Record<Family, Set<string>> | undefined;
  return {
    name,
    snats: new Map(),
    lrps,
    // the served pods of a node are its reroutes' pod IPs (set together below): derived on demand, not kept twice
    get servedPods(): Record<Family, Set<string>> {
      if (!served) {
        served = { v4: new Set(), v6: new Set() };
        for (const [ip, w] of lrps) served[w.family].add(ip);
      }
      return served;
    },
  };
}

const hasOwn = Object.prototype.hasOwnProperty;

/**
 * matchLabelSelector with the selector's work done once (it runs once per pod of a selected namespace): a
 * matchLabels-only selector (what EgressIPs use) is a loop over its pairs; any other goes to matchLabelSelector.
 */
function selectorPredicate(sel: LabelSelector | undefined): (labels: Record<string, string>) => boolean {
  if (!sel) return () => true;
  if (sel.matchExpressions?.length) return (labels) => matchLabelSelector(sel, labels);
  const pairs = Object.entries(sel.matchLabels ?? {});
  return (labels) => {
    for (const [k, v] of pairs) if (!hasOwn.call(labels, k) || labels[k] !== v) return false;
    return true;
  };
}

export function podEligible(p: PodInfo): boolean {
  return !p.hostNetwork && !!p.node && p.ips.length > 0 && p.phase === 'Running' && !p.terminating;
}

function podInTransition(p: PodInfo): boolean {
  if (p.hostNetwork || p.ips.length === 0) return false;
  if (p.terminating) return true;
  return p.phase !== 'Running' && p.phase !== 'Succeeded' && p.phase !== 'Failed';
}

/** API-level findings: spec IPs without a status item, an IP assigned twice. */
export function apiFindings(api: ApiState): EgressIPFinding[] {
  const out: EgressIPFinding[] = [];
  const nodeNames = new Set(api.nodes.map((n) => n.name));
  const owners = new Map<string, { eip: string; node: string }[]>();
  for (const e of api.eips) {
    const assigned = new Set(e.status.map((s) => canonIp(s.egressIP)));
    for (const ip of e.egressIPs) {
      if (!assigned.has(canonIp(ip)))
        out.push({
          kind: 'unassigned-eip',
          egressip: e.name,
          expected: `${ip} assigned to an egress node`,
          actual: 'not in status.items',
          message: `EgressIP ${e.name}: ${ip} is not assigned`,
        });
    }
    for (const s of e.status) {
      if (!nodeNames.has(s.node))
        out.push({
          kind: 'unassigned-eip',
          egressip: e.name,
          node: s.node,
          expected: `${s.egressIP} on an existing node`,
          actual: `assigned to missing node ${s.node}`,
        });
      const ip = canonIp(s.egressIP);
      const list = owners.get(ip) ?? [];
      list.push({ eip: e.name, node: s.node });
      owners.set(ip, list);
    }
  }
  for (const [ip, list] of owners) {
    if (list.length < 2) continue;
    out.push({
      kind: 'eip-assigned-twice',
      egressip: [...new Set(list.map((l) => l.eip))].join(','),
      node: [...new Set(list.map((l) => l.node))].join(','),
      expected: `${ip} assigned once`,
      actual: list.map((l) => `${l.eip}@${l.node}`).join(', '),
    });
  }
  return out;
}

export function computeExpected(api: ApiState): Expected {
  const nodes = new Map<string, ExpectedNode>();
  const byName = new Map(api.nodes.map((n) => [n.name, n]));
  for (const n of api.nodes) nodes.set(n.name, newNode(n.name));
  const families = new Set<Family>();
  for (const n of api.nodes) {
    if (n.transitIp.v4 || n.joinIp.v4) families.add('v4');
    if (n.transitIp.v6 || n.joinIp.v6) families.add('v6');
  }
  const ignoredIps = new Set<string>();
  const podsByNs = new Map<string, PodInfo[]>();
  for (const p of api.pods) {
    if (p.hostNetwork) continue;
    if (podInTransition(p)) {
      for (const ip of p.ips) ignoredIps.add(canonIp(ip));
      continue;
    }
    if (!podEligible(p)) continue;
    let l = podsByNs.get(p.namespace);
    if (!l) podsByNs.set(p.namespace, (l = []));
    l.push(p);
  }
  const eips = [...api.eips].sort(eipOrder);
  // namespaces indexed by label, so a matchLabels selector does not scan every namespace
  const nsByLabel = new Map<string, NamespaceInfo[]>();
  for (const ns of api.namespaces) {
    for (const [k, v] of Object.entries(ns.labels)) {
      const key = `${k}=${v}`;
      const l = nsByLabel.get(key);
      if (l) l.push(ns);
      else nsByLabel.set(key, [ns]);
    }
  }
  const candidates = (sel: LabelSelector): NamespaceInfo[] => {
    let best: NamespaceInfo[] | undefined;
    for (const [k, v] of Object.entries(sel.matchLabels ?? {})) {
      const l = nsByLabel.get(`${k}=${v}`) ?? [];
      if (!best || l.length < best.length) best = l;
    }
    return best ?? api.namespaces;
  };
  // pod -> serving eip (oldest with an assignment)
  const served = new Map<PodInfo, EgressIPInfo>();
  for (const e of eips) {
    if (e.status.length === 0) continue;
    const podMatch = selectorPredicate(e.podSelector);
    for (const ns of candidates(e.namespaceSelector)) {
      if (!matchLabelSelector(e.namespaceSelector, ns.labels)) continue;
      for (const p of podsByNs.get(ns.name) ?? []) {
        if (podMatch(p.labels) && !served.has(p)) served.set(p, e);
      }
    }
  }
  // per EgressIP and family: its status items on known nodes, and nexthops per pod node (cached)
  interface EipFam {
    items: { node: string; ext: string; en: ExpectedNode; port: string }[];
    nexthops: Map<string, string[]>;
  }
  const famCache = new Map<EgressIPInfo, Partial<Record<Family, EipFam>>>();
  const eipFam = (e: EgressIPInfo, f: Family): EipFam => {
    let byF = famCache.get(e);
    if (!byF) famCache.set(e, (byF = {}));
    let ef = byF[f];
    if (!ef) {
      const items: EipFam['items'] = [];
      for (const s of e.status) {
        const en = nodes.get(s.node);
        if (en && familyOf(s.egressIP) === f) items.push({ node: s.node, ext: canonIp(s.egressIP), en, port: `k8s-${s.node}` });
      }
      byF[f] = ef = { items, nexthops: new Map() };
    }
    return ef;
  };
  const nexthopsFor = (ef: EipFam, podNodeName: string, f: Family): string[] => {
    let nh = ef.nexthops.get(podNodeName);
    if (!nh) {
      const list: string[] = [];
      for (const it of ef.items) {
        const n = byName.get(it.node);
        const h = n ? (it.node === podNodeName ? n.joinIp[f] : n.transitIp[f]) : undefined;
        if (h && !list.includes(h)) list.push(h);
      }
      nh = list.sort();
      ef.nexthops.set(podNodeName, nh);
    }
    return nh;
  };
  let snatCount = 0;
  let lrpCount = 0;
  for (const [p, e] of served) {
    const podNodeName = p.node ?? '';
    const podNode = nodes.get(podNodeName);
    for (const rawIp of p.ips) {
      const ip = canonIp(rawIp);
      const f = familyOf(ip);
      const ef = eipFam(e, f);
      if (ef.items.length === 0) continue;
      // SNAT in each egress node's DB
      for (const it of ef.items) {
        const snat: ExpectedSnat = {
          eip: e.name,
          namespace: p.namespace,
          pod: p.name,
          logicalIp: ip,
          externalIp: it.ext,
          logicalPort: it.port,
        };
        const l = it.en.snats.get(ip);
        if (!l) it.en.snats.set(ip, snat);
        else if (!Array.isArray(l)) {
          if (l.externalIp === it.ext) continue;
          it.en.snats.set(ip, [l, snat]);
        } else if (!l.some((x) => x.externalIp === it.ext)) l.push(snat);
        else continue;
        snatCount++;
      }
      // reroute LRP in the pod node's DB
      if (podNode) {
        const nexthops = nexthopsFor(ef, podNodeName, f);
        if (nexthops.length) {
          const before = podNode.lrps.size;
          podNode.lrps.set(ip, { eip: e.name, namespace: p.namespace, pod: p.name, family: f, podIp: ip, nexthops });
          if (podNode.lrps.size > before) lrpCount++;
        }
      }
    }
  }
  const eipIps = new Map<string, string>();
  for (const e of api.eips) for (const ip of e.egressIPs) eipIps.set(canonIp(ip), e.name);
  // pod IP -> pod names rows in findings and judges rows ovnkube does not own: a consistent cluster at scale
  // never asks, so the index is built on first use
  let podByIp: Map<string, PodInfo> | undefined;
  return {
    nodes,
    eipIps,
    families: [...families].sort(),
    get podByIp(): Map<string, PodInfo> {
      if (!podByIp) {
        podByIp = new Map();
        for (const p of api.pods) if (!p.hostNetwork) for (const ip of p.ips) podByIp.set(canonIp(ip), p);
      }
      return podByIp;
    },
    servedBy: served,
    ignoredIps,
    apiFindings: apiFindings(api),
    counts: { pods: served.size, snat: snatCount, lrp: lrpCount },
  };
}
