/**
 * Synthetic clusters for tests and benchmarks: an ApiState and, per node, the NB rows ovnkube would write
 * (ovn-org/ovn-kubernetes go-controller/pkg/ovn/egressip.go: InitClusterEgressPolicies, addPodEgressIPAssignment), rendered exactly as `ovn-nbctl --format=json list <Table>`
 * prints them (openvswitch/ovs lib/table.c).
 * Built independently of expected.ts so the two can check each other.
 */
import { randomUUID } from 'node:crypto';
import type { ApiState, EgressIPInfo, Family, NodeInfo, PodInfo } from './model.ts';
import { DUMP_SEPARATOR } from './collect.ts';
import { joinIpFromNodeId, servedPodsAddressSetName } from './net.ts';
import { hashForOVN } from '../../ovn/ids.ts';

export interface SynthOptions {
  nodes?: number;
  eips?: number;
  podsPerEip?: number;
  ipsPerEip?: number;
  stack?: 'ipv4' | 'ipv6' | 'dual';
  legacy?: boolean;
  /** deterministic uuids (tests) instead of random */
  seedUuids?: boolean;
}

export interface SynthNat {
  _uuid: string;
  type: string;
  external_ip: string;
  logical_ip: string;
  logical_port: string;
  external_ids: Record<string, string>;
}
export interface SynthLrp {
  _uuid: string;
  priority: number;
  match: string;
  action: string;
  nexthops: string[];
  external_ids: Record<string, string>;
  options: Record<string, string>;
}
export interface SynthAs {
  _uuid: string;
  name: string;
  addresses: string[];
  external_ids: Record<string, string>;
}
export interface SynthRouter {
  _uuid: string;
  name: string;
  nat: string[];
  policies: string[];
}
export interface SynthNode {
  nat: SynthNat[];
  lrp: SynthLrp[];
  as: SynthAs[];
  routers: SynthRouter[];
}

export interface SynthCluster {
  api: ApiState;
  nb: Map<string, SynthNode>;
}

let uuidCounter = 0;
function uuid(seeded: boolean): string {
  if (!seeded) return randomUUID();
  uuidCounter++;
  return `00000000-0000-4000-8000-${uuidCounter.toString(16).padStart(12, '0')}`;
}

const fams = (stack: 'ipv4' | 'ipv6' | 'dual'): Family[] => (stack === 'ipv4' ? ['v4'] : stack === 'ipv6' ? ['v6'] : ['v4', 'v6']);

/** Pod k of node `node`: 10.(128+node).x.y for the first 127 nodes, 11.x.y.z.. beyond (valid IPv4 at any scale). */
export function synthPodIp(node: number, k: number, f: Family): string {
  if (f === 'v6') return `fd01:0:0:${node.toString(16)}::${(k + 1).toString(16)}`;
  if (node < 128) return `10.${128 + node}.${(k >> 8) & 255}.${k & 255}`;
  const m = node - 128;
  return `${11 + (m >> 8)}.${m & 255}.${(k >> 8) & 255}.${k & 255}`;
}

export function synthEipIp(j: number, r: number, f: Family): string {
  const n = j * 4 + r + 10;
  return f === 'v4' ? `172.20.${(n >> 8) & 255}.${n & 255}` : `fd00:126::${(0x1000 + n).toString(16)}`;
}

function ids(ownerType: string, keys: [string, string][]): Record<string, string> {
  const o: Record<string, string> = { 'k8s.ovn.org/owner-controller': 'default-network-controller', 'k8s.ovn.org/owner-type': ownerType };
  for (const [k, v] of keys) o[k] = v;
  o['k8s.ovn.org/id'] = ['default-network-controller', ownerType, ...keys.map(([, v]) => v)].join(':');
  return o;
}

export function synthCluster(o: SynthOptions = {}): SynthCluster {
  const nNodes = o.nodes ?? 6;
  const nEips = o.eips ?? 2;
  const perEip = o.podsPerEip ?? 5;
  const ipsPerEip = Math.min(o.ipsPerEip ?? 1, nNodes);
  const stack = o.stack ?? 'ipv4';
  const F = fams(stack);
  const seeded = o.seedUuids ?? true;
  uuidCounter = 0;
  const nodes: NodeInfo[] = [];
  for (let i = 1; i <= nNodes; i++) {
    const n: NodeInfo = { name: `node-${i}`, id: i, joinIp: {}, transitIp: {}, primaryIfAddr: {}, egressAssignable: true };
    for (const f of F) {
      n.joinIp[f] = joinIpFromNodeId(i, f);
      n.transitIp[f] = f === 'v4' ? `100.88.0.${i + 1}` : `fd97::${(i + 1).toString(16)}`;
      n.primaryIfAddr[f] = f === 'v4' ? `192.168.126.${10 + i}/24` : `fd00:126::${(10 + i).toString(16)}/64`;
    }
    nodes.push(n);
  }
  const eips: EgressIPInfo[] = [];
  const pods: PodInfo[] = [];
  const namespaces: ApiState['namespaces'] = [];
  const perNodeCount = new Array(nNodes + 1).fill(0);
  const nb = new Map<string, SynthNode>();
  for (const n of nodes) {
    const lr: SynthRouter = { _uuid: uuid(seeded), name: 'ovn_cluster_router', nat: [], policies: [] };
    const gr: SynthRouter = { _uuid: uuid(seeded), name: `GR_${n.name}`, nat: [], policies: [] };
    const node: SynthNode = { nat: [], lrp: [], as: [], routers: [lr, gr] };
    // non-EIP rows that must be ignored: GR cluster-subnet SNAT, priority 1004 policy
    const grSnat: SynthNat = {
      _uuid: uuid(seeded),
      type: 'snat',
      external_ip: '192.168.126.11',
      logical_ip: '10.128.0.0/14',
      logical_port: '',
      external_ids: {},
    };
    node.nat.push(grSnat);
    gr.nat.push(grSnat._uuid);
    const p1004: SynthLrp = {
      _uuid: uuid(seeded),
      priority: 1004,
      match: `inport == "rtos-${n.name}" && ip4.dst == 192.168.126.11 /* ${n.name} */`,
      action: 'reroute',
      nexthops: ['10.128.0.2'],
      external_ids: {},
      options: {},
    };
    node.lrp.push(p1004);
    lr.policies.push(p1004._uuid);
    for (const f of F) {
      const ip = f === 'v4' ? 'ip4' : 'ip6';
      const cn = f === 'v4' ? '10.128.0.0/14' : 'fd01::/48';
      const join = f === 'v4' ? '100.64.0.0/16' : 'fd98::/64';
      const fam = f === 'v4' ? 'ip4' : 'ip6';
      const mk = (match: string, name: string, options: Record<string, string> = {}): void => {
        const r: SynthLrp = {
          _uuid: uuid(seeded),
          priority: 102,
          match,
          action: 'allow',
          nexthops: [],
          external_ids: o.legacy
            ? {}
            : ids('EgressIP', [
                ['priority', '102'],
                ['k8s.ovn.org/name', name],
                ['ip-family', fam],
                ['network', 'default'],
              ]),
          options,
        };
        node.lrp.push(r);
        lr.policies.push(r._uuid);
      };
      mk(`${ip}.src == ${cn} && ${ip}.dst == ${cn}`, 'EIP-No-Reroute-Pod-To-Pod');
      mk(`${ip}.src == ${cn} && ${ip}.dst == ${join}`, 'EIP-No-Reroute-Pod-To-Join');
      mk(
        `(${ip}.src == $${servedPodsAddressSetName(f)} || ${ip}.src == $${hashForOVN(`default-network-controller:EgressIP:egresssvc-served-pods:${f}:default`)}) && ${ip}.dst == $${hashForOVN(`default-network-controller:ClusterNodeIPs:node-ips:${f}`)}`,
        'EIP-No-Reroute-Pod-To-Node',
        { pkt_mark: '1008' },
      );
      node.as.push({
        _uuid: uuid(seeded),
        name: servedPodsAddressSetName(f),
        addresses: [],
        external_ids: ids('EgressIP', [
          ['k8s.ovn.org/name', 'egressip-served-pods'],
          ['ip-family', f],
          ['network', 'default'],
        ]),
      });
    }
    const reply: SynthLrp = {
      _uuid: uuid(seeded),
      priority: 102,
      match: 'pkt.mark == 42',
      action: 'allow',
      nexthops: [],
      external_ids: o.legacy
        ? {}
        : ids('EgressIP', [
            ['priority', '102'],
            ['k8s.ovn.org/name', 'EIP-No-Reroute-reply-traffic'],
            ['ip-family', 'ip'],
            ['network', 'default'],
          ]),
      options: {},
    };
    node.lrp.push(reply);
    lr.policies.push(reply._uuid);
    nb.set(n.name, node);
  }
  let podIdx = 0;
  for (let j = 0; j < nEips; j++) {
    const ns = `eip-ns-${j}`;
    namespaces.push({ name: ns, labels: { 'kubernetes.io/metadata.name': ns, egress: 'yes' } });
    const status: EgressIPInfo['status'] = [];
    const specIps: string[] = [];
    for (let r = 0; r < ipsPerEip; r++) {
      const egressNode = nodes[(j + r) % nNodes].name;
      for (const f of F) {
        const ip = synthEipIp(j, r, f);
        specIps.push(ip);
        status.push({ node: egressNode, egressIP: ip });
      }
    }
    const eipName = `eip-${j}`;
    eips.push({
      name: eipName,
      creationTimestamp: `2026-01-01T00:00:${String(j % 60).padStart(2, '0')}Z`,
      egressIPs: specIps,
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } },
      podSelector: { matchLabels: { app: 'client' } },
      status,
    });
    for (let k = 0; k < perEip; k++) {
      const nodeNum = (podIdx % nNodes) + 1;
      podIdx++;
      const kk = perNodeCount[nodeNum]++;
      const nodeName = `node-${nodeNum}`;
      const podName = `client-${j}-${k}`;
      const ipsByF: Partial<Record<Family, string>> = {};
      for (const f of F) ipsByF[f] = synthPodIp(nodeNum, kk, f);
      pods.push({
        namespace: ns,
        name: podName,
        node: nodeName,
        ips: F.map((f) => ipsByF[f] as string),
        phase: 'Running',
        hostNetwork: false,
        labels: { app: 'client' },
        terminating: false,
      });
      const podNode = nb.get(nodeName) as SynthNode;
      for (const f of F) {
        const pip = ipsByF[f] as string;
        const fam = f === 'v4' ? 'ip4' : 'ip6';
        const items = status.filter((s) => (s.egressIP.includes(':') ? 'v6' : 'v4') === f);
        const nexthops = items.map((s) => {
          const en = nodes.find((n) => n.name === s.node) as NodeInfo;
          return (s.node === nodeName ? en.joinIp[f] : en.transitIp[f]) as string;
        });
        const rowName = `${eipName}_${ns}/${podName}`;
        const lrp: SynthLrp = {
          _uuid: uuid(seeded),
          priority: 100,
          match: `${fam}.src == ${pip}`,
          action: 'reroute',
          nexthops,
          external_ids: o.legacy
            ? { name: eipName }
            : ids('EgressIP', [
                ['priority', '100'],
                ['k8s.ovn.org/name', rowName],
                ['ip-family', fam],
                ['network', 'default'],
              ]),
          options: {},
        };
        podNode.lrp.push(lrp);
        podNode.routers[0].policies.push(lrp._uuid);
        (podNode.as.find((a) => a.name === servedPodsAddressSetName(f)) as SynthAs).addresses.push(pip);
        for (const s of items) {
          const en = nb.get(s.node) as SynthNode;
          const nat: SynthNat = {
            _uuid: uuid(seeded),
            type: 'snat',
            external_ip: s.egressIP,
            logical_ip: pip,
            logical_port: `k8s-${s.node}`,
            external_ids: o.legacy
              ? { name: eipName }
              : ids('EgressIP', [
                  ['k8s.ovn.org/name', rowName],
                  ['ip-family', fam],
                ]),
          };
          en.nat.push(nat);
          en.routers[1].nat.push(nat._uuid);
        }
      }
    }
  }
  return { api: { eips, namespaces, pods, nodes }, nb };
}

// ---------- rendering as ovn-nbctl --format=json ----------

type JsonCell = unknown;

function uuidCell(u: string): JsonCell {
  return ['uuid', u];
}

/** A set column: 1 element bare, otherwise ["set",[...]] (openvswitch/ovs lib/table.c, the OVSDB JSON encoding of RFC 7047). */
function setCell(v: JsonCell[]): JsonCell {
  return v.length === 1 ? v[0] : ['set', v];
}

function mapCell(m: Record<string, string>): JsonCell {
  return [
    'map',
    Object.keys(m)
      .sort()
      .map((k) => [k, m[k]]),
  ];
}

function table(headings: string[], rows: JsonCell[][]): string {
  return JSON.stringify({ data: rows, headings });
}

export function renderNatJson(rows: SynthNat[]): string {
  return table(
    ['_uuid', 'type', 'external_ip', 'logical_ip', 'logical_port', 'external_ids'],
    rows.map((r) => [
      uuidCell(r._uuid),
      r.type,
      r.external_ip,
      r.logical_ip,
      r.logical_port ? r.logical_port : ['set', []],
      mapCell(r.external_ids),
    ]),
  );
}

export function renderLrpJson(rows: SynthLrp[]): string {
  return table(
    ['_uuid', 'priority', 'match', 'action', 'nexthops', 'external_ids', 'options'],
    rows.map((r) => [uuidCell(r._uuid), r.priority, r.match, r.action, setCell(r.nexthops), mapCell(r.external_ids), mapCell(r.options)]),
  );
}

export function renderAsJson(rows: SynthAs[]): string {
  return table(
    ['_uuid', 'name', 'addresses', 'external_ids'],
    rows.map((r) => [uuidCell(r._uuid), r.name, setCell(r.addresses), mapCell(r.external_ids)]),
  );
}

export function renderRouterJson(rows: SynthRouter[]): string {
  return table(
    ['_uuid', 'name', 'nat', 'policies'],
    rows.map((r) => [uuidCell(r._uuid), r.name, setCell(r.nat.map(uuidCell)), setCell(r.policies.map(uuidCell))]),
  );
}

/** What the per-node exec prints. */
export function renderNodeDump(n: SynthNode): string {
  return [
    renderNatJson(n.nat),
    DUMP_SEPARATOR,
    renderLrpJson(n.lrp),
    DUMP_SEPARATOR,
    renderAsJson(n.as),
    DUMP_SEPARATOR,
    renderRouterJson(n.routers),
  ].join('\n');
}
