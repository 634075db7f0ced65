/**
 * The pure part of the EgressIP check: expected rows (from the API) vs the NB rows of every node.
 * Handles IPv4, IPv6, dual-stack, and both current (`k8s.ovn.org/*`) and legacy (`name=<eip>`) external_ids.
 */
import { canonIp, familyOf, ipKey, legacyServedPodsAddressSetName, servedPodsAddressSetName, v4Key, type IpKey } from './net.ts';
import { rowOf, sizeOf } from './rows-by-node.ts';
import type {
  ActualState,
  AddressSetRow,
  EgressIPFinding,
  Expected,
  ExpectedLrp,
  ExpectedNode,
  ExpectedSnat,
  Family,
  NatRow,
  NodeDump,
  PolicyRow,
  ServedIndex,
} from './model.ts';

export const CLUSTER_ROUTER = 'ovn_cluster_router';
export const REROUTE_PRIORITY = 100;
export const NO_REROUTE_PRIORITY = 102;
const OWNER_TYPE = 'k8s.ovn.org/owner-type';
const NAME = 'k8s.ovn.org/name';

/** The EgressIP name of a row: current `k8s.ovn.org/name` = "<eip>_<ns>/<pod>", or legacy `name` = "<eip>". */
export function eipNameOf(ids: Record<string, string>): string | undefined {
  const n = ids[NAME];
  if (n !== undefined && ids[OWNER_TYPE] === 'EgressIP') {
    const i = n.indexOf('_');
    return i > 0 ? n.slice(0, i) : n;
  }
  return ids.name;
}

export function isEgressIPNat(r: NatRow): boolean {
  if (r.type !== 'snat') return false;
  if (r.external_ids[OWNER_TYPE] === 'EgressIP') return true;
  // legacy rows: only external_ids:name=<eip>, a single-IP logical_ip
  return r.external_ids[OWNER_TYPE] === undefined && r.external_ids.name !== undefined && !r.logical_ip.includes('/');
}

/**
 * Rows ovnkube owns carry its external_ids: `k8s.ovn.org/owner-type=EgressIP` (current) or `name=<eip>`
 * (legacy). ovnkube's cleanup only ever touches rows it can attribute, so a row without them is never
 * removed or corrected by it (ovn-org/ovn-kubernetes go-controller/pkg/ovn/egressip.go builds its
 * predicates on these external_ids).
 */
export function isOvnkubeOwned(ids: Record<string, string>): boolean {
  return ids[OWNER_TYPE] === 'EgressIP' || (ids[OWNER_TYPE] === undefined && ids.name !== undefined);
}

/** An ovnkube-owned EgressIP reroute (priority 100 on ovn_cluster_router). */
export function isReroutePolicy(p: PolicyRow): boolean {
  return p.router === CLUSTER_ROUTER && p.priority === REROUTE_PRIORITY && isOvnkubeOwned(p.external_ids);
}

/** A SNAT nobody attributes to an EgressIP that nevertheless translates to an EgressIP, on any gateway router. */
export function isUnownedEgressSnat(r: NatRow, eipIps: ReadonlyMap<string, string>): boolean {
  return r.type === 'snat' && !isEgressIPNat(r) && r.router.startsWith('GR_') && eipIps.has(canonIp(r.external_ip));
}

const SRC_TERM = /ip[46]\.src\s*==\s*(\{[^}]*\}|[0-9A-Fa-f.:]+(?:\/\d+)?)/g;

/** The single IPs a match selects by source (`ipN.src == IP` or `ipN.src == {IP, ...}`); subnets and $sets are not expanded. */
export function srcIpsOfMatch(match: string): string[] {
  const out: string[] = [];
  for (const m of match.matchAll(SRC_TERM)) {
    const v = m[1];
    for (const t of v.startsWith('{') ? v.slice(1, -1).split(/[\s,]+/) : [v]) {
      const x = t.replace(/^"|"$/g, '');
      if (x && !x.includes('/')) out.push(canonIp(x));
    }
  }
  return out;
}

const SRC_MATCH = /^\s*\(?\s*(ip4|ip6)\.src\s*==\s*([0-9A-Fa-f.:]+)\s*\)?\s*$/;
const IP_CHARS = /^[0-9A-Fa-f.:]+$/;

/** The pod IP of a reroute match `ip4.src == 10.128.0.5`, or undefined. */
export function podIpOfMatch(match: string): string | undefined {
  // the form ovnkube writes, without the regex's match arrays (one per reroute row at scale)
  if (match.length > 11 && (match.startsWith('ip4.src == ') || match.startsWith('ip6.src == '))) {
    const ip = match.slice(11);
    if (IP_CHARS.test(ip)) return canonIp(ip);
  }
  const m = SRC_MATCH.exec(match);
  return m ? canonIp(m[2]) : undefined;
}

function podLabel(exp: Expected, ip: string): { namespace?: string; pod?: string; eip?: string } {
  const r = exp.podByIp.get(ip);
  return r ? { namespace: r.namespace, pod: r.name, eip: exp.servedBy.get(r)?.name } : {};
}

/** A map value that is one item or, only when there are several, an array (no 1-element arrays per row at scale). */
function addTo<T extends object>(m: Map<string, T | T[]>, k: string, v: T): void {
  const cur = m.get(k);
  if (cur === undefined) m.set(k, v);
  else if (Array.isArray(cur)) cur.push(v);
  else m.set(k, [cur, v]);
}

function listOf<T extends object>(v: T | T[] | undefined): T[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

function groupBy<T>(rows: T[], key: (r: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const r of rows) {
    const k = key(r);
    const l = m.get(k);
    if (l) l.push(r);
    else m.set(k, [r]);
  }
  return m;
}

/** A SNAT for a pod IP that should not be there: named by its own EgressIP, else by the pod the IP belongs to. */
function staleSnat(node: string, exp: Expected, ip: string, r: NatRow, expected: string, actual: string): EgressIPFinding {
  const pl = podLabel(exp, ip);
  return {
    kind: 'stale-snat',
    node,
    egressip: eipNameOf(r.external_ids) ?? pl.eip,
    namespace: pl.namespace,
    pod: pl.pod,
    expected,
    actual,
  };
}

function missingSnat(node: string, gr: string, ip: string, w: ExpectedSnat): EgressIPFinding {
  return {
    kind: 'missing-snat',
    node,
    egressip: w.eip,
    namespace: w.namespace,
    pod: w.pod,
    expected: `${w.externalIp} -> ${ip} on ${gr}`,
    actual: 'absent',
  };
}

function diffSnats(node: string, en: ExpectedNode | undefined, dump: NodeDump, exp: Expected, out: EgressIPFinding[]): number {
  const gr = `GR_${node}`;
  // one pass sorts the rows: ovnkube's EgressIP SNATs, and SNATs to an EgressIP that lack its external_ids
  const eipNats: NatRow[] = [];
  const unowned: NatRow[] = [];
  for (const r of dump.nat) {
    if (isEgressIPNat(r)) eipNats.push(r);
    else if (isUnownedEgressSnat(r, exp.eipIps)) unowned.push(r);
  }
  const expectedByIp: ReadonlyMap<string, ExpectedSnat | ExpectedSnat[]> = en?.snats ?? new Map();
  // rows that act on EgressIP traffic without ovnkube's external_ids: judged by what they do
  const covered = new Set<string>();
  for (const r of unowned) {
    const ip = canonIp(r.logical_ip);
    const ext = canonIp(r.external_ip);
    const w = r.router === gr ? listOf(expectedByIp.get(ip)).find((x) => x.externalIp === ext) : undefined;
    const pl = podLabel(exp, ip);
    const eip = w?.eip ?? exp.eipIps.get(ext);
    let does: string;
    if (w) {
      // the traffic is right, but ovnkube will neither update nor remove it
      covered.add(`${ip}|${ext}`);
      does = `SNATs served pod ${pl.namespace}/${pl.pod} to its EgressIP as expected, but has no ovnkube external_ids`;
    } else if (!pl.pod) does = `SNATs ${r.logical_ip} (no pod has this IP) to EgressIP ${ext}`;
    else if (pl.eip)
      does = `SNATs served pod ${pl.namespace}/${pl.pod} to ${ext} on ${r.router}, which is not where its EgressIP ${pl.eip} egresses`;
    else does = `SNATs pod ${pl.namespace}/${pl.pod}, which no EgressIP serves, to EgressIP ${ext}`;
    out.push({
      kind: 'unowned-snat',
      node,
      egressip: eip,
      namespace: pl.namespace,
      pod: pl.pod,
      expected: w
        ? `an ovnkube-owned SNAT (external_ids k8s.ovn.org/owner-type=EgressIP)`
        : `no SNAT to ${ext} for ${r.logical_ip} on ${r.router}`,
      actual: `${ext} -> ${r.logical_ip} on ${r.router}, external_ids {${Object.keys(r.external_ids).join(',')}} (row ${r.uuid.slice(0, 8)})`,
      message: `unowned-snat on ${node}: a row ovnkube does not own (it will never clean it up) ${does}`,
    });
  }
  const actualByIp = new Map<string, NatRow | NatRow[]>();
  for (const r of eipNats) {
    const ip = canonIp(r.logical_ip);
    if (r.router !== gr) {
      if (exp.ignoredIps.has(ip)) continue;
      out.push(staleSnat(node, exp, ip, r, `EgressIP SNATs only on ${gr}`, `${r.external_ip} -> ${ip} on ${r.router || '(no router)'}`));
      continue;
    }
    addTo(actualByIp, ip, r);
  }
  for (const [ip, got] of actualByIp) {
    if (exp.ignoredIps.has(ip)) continue;
    const wanted = expectedByIp.get(ip);
    // the common case, one row for one expected SNAT, without building lists
    if (!Array.isArray(got) && wanted !== undefined && !Array.isArray(wanted) && canonIp(got.external_ip) === wanted.externalIp) {
      if (got.logical_port !== wanted.logicalPort) {
        const w = wanted;
        out.push({
          kind: 'wrong-snat-port',
          node,
          egressip: w.eip,
          namespace: w.namespace,
          pod: w.pod,
          expected: `logical_port ${w.logicalPort}`,
          actual: `logical_port ${got.logical_port || '(empty)'} for ${w.externalIp} -> ${ip}`,
        });
      }
      continue;
    }
    const rows = listOf(got);
    const want = listOf(wanted);
    const byExt = groupBy(rows, (r) => canonIp(r.external_ip));
    const wantByExt = new Map(want.map((w) => [w.externalIp, w]));
    const unmatchedActual: NatRow[] = [];
    for (const [ext, rs] of byExt) {
      const w = wantByExt.get(ext);
      if (rs.length > 1) {
        const pl = podLabel(exp, ip);
        out.push({
          kind: 'duplicate-snat',
          node,
          egressip: w?.eip ?? eipNameOf(rs[0].external_ids),
          namespace: w?.namespace ?? pl.namespace,
          pod: w?.pod ?? pl.pod,
          expected: `1 SNAT ${ext} -> ${ip}`,
          actual: `${rs.length} rows (${rs.map((r) => r.uuid.slice(0, 8)).join(', ')})`,
        });
      }
      if (w) {
        for (const r of rs) {
          if (r.logical_port !== w.logicalPort) {
            out.push({
              kind: 'wrong-snat-port',
              node,
              egressip: w.eip,
              namespace: w.namespace,
              pod: w.pod,
              expected: `logical_port ${w.logicalPort}`,
              actual: `logical_port ${r.logical_port || '(empty)'} for ${ext} -> ${ip}`,
            });
            break;
          }
        }
        wantByExt.delete(ext);
      } else unmatchedActual.push(rs[0]);
    }
    const unmatchedWant = [...wantByExt.values()].filter((w) => !covered.has(`${ip}|${w.externalIp}`));
    const pairs = Math.min(unmatchedActual.length, unmatchedWant.length);
    for (let i = 0; i < pairs; i++) {
      const w = unmatchedWant[i];
      out.push({
        kind: 'wrong-snat-ip',
        node,
        egressip: w.eip,
        namespace: w.namespace,
        pod: w.pod,
        expected: `${w.externalIp} -> ${ip}`,
        actual: `${unmatchedActual[i].external_ip} -> ${ip}`,
      });
    }
    for (const r of unmatchedActual.slice(pairs))
      out.push(staleSnat(node, exp, ip, r, 'no SNAT', `${r.external_ip} -> ${ip} (${r.logical_port || 'no port'})`));
    for (const w of unmatchedWant.slice(pairs)) out.push(missingSnat(node, gr, ip, w));
  }
  for (const [ip, wanted] of expectedByIp) {
    if (actualByIp.has(ip)) continue;
    for (const w of listOf(wanted)) if (!covered.has(`${ip}|${w.externalIp}`)) out.push(missingSnat(node, gr, ip, w));
  }
  return eipNats.length;
}

function diffLrps(node: string, en: ExpectedNode | undefined, dump: NodeDump, exp: Expected, out: EgressIPFinding[]): number {
  const reroutes = dump.policies.filter(isReroutePolicy);
  const actualByIp = new Map<string, PolicyRow | PolicyRow[]>();
  for (const p of reroutes) {
    const ip = podIpOfMatch(p.match);
    if (!ip) {
      out.push({
        kind: 'stale-lrp',
        node,
        egressip: eipNameOf(p.external_ids),
        expected: 'reroute match "ipN.src == <pod IP>"',
        actual: `match "${p.match}"`,
      });
      continue;
    }
    addTo(actualByIp, ip, p);
  }
  const wants = en?.lrps ?? new Map<string, ExpectedLrp>();
  const coveredLrp = new Set<string>();
  for (const p of dump.policies) {
    if (p.router !== CLUSTER_ROUTER || (p.priority !== REROUTE_PRIORITY && p.priority !== NO_REROUTE_PRIORITY)) continue;
    if (isOvnkubeOwned(p.external_ids) || p.external_ids[OWNER_TYPE] !== undefined) continue;
    for (const ip of srcIpsOfMatch(p.match)) {
      const pod = exp.podByIp.get(ip);
      const eip = pod ? exp.servedBy.get(pod) : undefined;
      if (!pod || !eip) continue;
      const w = wants.get(ip);
      const sameHops =
        !!w &&
        p.priority === REROUTE_PRIORITY &&
        p.action === 'reroute' &&
        p.nexthops.length === w.nexthops.length &&
        p.nexthops
          .map(canonIp)
          .sort()
          .every((x, i) => x === w.nexthops[i]);
      if (sameHops) coveredLrp.add(ip);
      const does =
        p.priority === NO_REROUTE_PRIORITY
          ? `keeps served pod ${pod.namespace}/${pod.name} from being rerouted (priority 102 ${p.action})`
          : sameHops
            ? `reroutes served pod ${pod.namespace}/${pod.name} as expected, but has no ovnkube external_ids`
            : `sends served pod ${pod.namespace}/${pod.name} ${p.action === 'reroute' ? `to ${p.nexthops.join(',') || '(no nexthop)'}` : `to ${p.action}`}`;
      out.push({
        kind: 'unowned-lrp',
        node,
        egressip: eip.name,
        namespace: pod.namespace,
        pod: pod.name,
        expected: sameHops ? 'an ovnkube-owned reroute (external_ids k8s.ovn.org/owner-type=EgressIP)' : `only ovnkube's rows act on ${ip}`,
        actual: `${p.priority} "${p.match}" ${p.action}${p.nexthops.length ? ` ${p.nexthops.join(',')}` : ''} (row ${p.uuid.slice(0, 8)})`,
        message: `unowned-lrp on ${node}: a policy ovnkube does not own (it will never clean it up) ${does}`,
      });
    }
  }
  for (const [ip, got] of actualByIp) {
    if (exp.ignoredIps.has(ip)) continue;
    const w = wants.get(ip);
    if (!Array.isArray(got) && w) {
      const nh = got.nexthops;
      if (
        nh.length === w.nexthops.length &&
        (nh.length === 1
          ? canonIp(nh[0]) === w.nexthops[0]
          : nh
              .map(canonIp)
              .sort()
              .every((x, i) => x === w.nexthops[i]))
      )
        continue;
    }
    const rows = listOf(got);
    const pl = podLabel(exp, ip);
    if (rows.length > 1) {
      out.push({
        kind: 'duplicate-lrp',
        node,
        egressip: w?.eip ?? eipNameOf(rows[0].external_ids),
        namespace: w?.namespace ?? pl.namespace,
        pod: w?.pod ?? pl.pod,
        expected: `1 reroute for ${ip}`,
        actual: `${rows.length} rows`,
      });
    }
    if (!w) {
      out.push({
        kind: 'stale-lrp',
        node,
        egressip: eipNameOf(rows[0].external_ids) ?? pl.eip,
        namespace: pl.namespace,
        pod: pl.pod,
        expected: 'no reroute',
        actual: `${rows[0].match} -> ${rows[0].nexthops.join(',')}`,
      });
      continue;
    }
    const have = new Set(rows[0].nexthops.map(canonIp));
    const missing = w.nexthops.filter((n) => !have.has(n));
    const wantSet = new Set(w.nexthops);
    const extra = [...have].filter((n) => !wantSet.has(n));
    if (missing.length || extra.length) {
      const kind = missing.length && extra.length ? 'wrong-nexthop' : missing.length ? 'missing-nexthop' : 'stale-nexthop';
      out.push({
        kind,
        node,
        egressip: w.eip,
        namespace: w.namespace,
        pod: w.pod,
        expected: `nexthops ${w.nexthops.join(',')}`,
        actual: `nexthops ${[...have].sort().join(',') || '(none)'}`,
      });
    }
  }
  for (const [ip, w] of wants) {
    if (!actualByIp.has(ip) && !coveredLrp.has(ip))
      out.push({
        kind: 'missing-lrp',
        node,
        egressip: w.eip,
        namespace: w.namespace,
        pod: w.pod,
        expected: `100 ${w.family === 'v4' ? 'ip4' : 'ip6'}.src == ${ip} reroute ${w.nexthops.join(',')}`,
        actual: 'absent',
      });
  }
  return reroutes.length;
}

type NoRerouteKind = 'Pod-To-Pod' | 'Pod-To-Join' | 'Pod-To-Node' | 'reply-traffic';

function classifyNoReroute(p: PolicyRow): { kind: NoRerouteKind; family?: Family } | undefined {
  const name = p.external_ids[NAME];
  const fam = p.external_ids['ip-family'];
  const family: Family | undefined =
    fam === 'ip4' ? 'v4' : fam === 'ip6' ? 'v6' : p.match.includes('ip6.') ? 'v6' : p.match.includes('ip4.') ? 'v4' : undefined;
  if (name?.startsWith('EIP-No-Reroute-')) {
    const k = name.slice('EIP-No-Reroute-'.length) as NoRerouteKind;
    if (['Pod-To-Pod', 'Pod-To-Join', 'Pod-To-Node', 'reply-traffic'].includes(k)) return { kind: k, family };
  }
  if (/pkt\.mark\s*==\s*42/.test(p.match)) return { kind: 'reply-traffic' };
  if (/\.dst\s*==\s*\$/.test(p.match)) return { kind: 'Pod-To-Node', family };
  if (/\.dst\s*==\s*(100\.64\.|fd98:)/i.test(p.match)) return { kind: 'Pod-To-Join', family };
  if (/\.src\s*==\s*\S+\/\d+\s*&&\s*ip[46]\.dst\s*==\s*\S+\/\d+/.test(p.match)) return { kind: 'Pod-To-Pod', family };
  return undefined;
}

function diffNoReroute(node: string, dump: NodeDump, exp: Expected, out: EgressIPFinding[]): void {
  const have = new Set<string>();
  for (const p of dump.policies) {
    if (p.router !== CLUSTER_ROUTER || p.priority !== NO_REROUTE_PRIORITY || p.action !== 'allow') continue;
    const c = classifyNoReroute(p);
    if (!c) continue;
    have.add(c.kind === 'reply-traffic' ? c.kind : `${c.kind}/${c.family ?? '?'}`);
  }
  for (const f of exp.families) {
    for (const k of ['Pod-To-Pod', 'Pod-To-Join', 'Pod-To-Node'] as const) {
      if (!have.has(`${k}/${f}`))
        out.push({
          kind: 'missing-no-reroute',
          node,
          expected: `102 EIP-No-Reroute-${k} (${f === 'v4' ? 'ip4' : 'ip6'}) on ${CLUSTER_ROUTER}`,
          actual: 'absent',
        });
    }
  }
  if (exp.families.length && !have.has('reply-traffic'))
    out.push({
      kind: 'missing-no-reroute',
      node,
      expected: `102 EIP-No-Reroute-reply-traffic (pkt.mark == 42) on ${CLUSTER_ROUTER}`,
      actual: 'absent',
    });
}

const SET_NAMES: Record<Family, { cur: string; legacy: string }> = {
  v4: { cur: servedPodsAddressSetName('v4'), legacy: legacyServedPodsAddressSetName('v4') },
  v6: { cur: servedPodsAddressSetName('v6'), legacy: legacyServedPodsAddressSetName('v6') },
};

export function findServedPodsSet(sets: AddressSetRow[], f: Family): AddressSetRow | undefined {
  const byIds = sets.find(
    (s) =>
      s.external_ids[NAME] === 'egressip-served-pods' &&
      s.external_ids['ip-family'] === f &&
      (s.external_ids.network ?? 'default') === 'default',
  );
  if (byIds) return byIds;
  const { cur, legacy } = SET_NAMES[f];
  return sets.find((s) => s.name === cur) ?? sets.find((s) => s.name === legacy);
}

function diffAddressSets(node: string, en: ExpectedNode | undefined, dump: NodeDump, exp: Expected, out: EgressIPFinding[]): void {
  const lrps: ReadonlyMap<string, ExpectedLrp> = en?.lrps ?? new Map();
  for (const f of exp.families) {
    // the served pods of family f are the node's expected reroutes of that family (expected.ts sets both together),
    // read from the reroutes instead of a second set per node
    const set = findServedPodsSet(dump.addressSets, f);
    const label = `egressip-served-pods ${f}`;
    if (!set) {
      let wantSize = 0;
      for (const w of lrps.values()) if (w.family === f) wantSize++;
      out.push({
        kind: 'address-set-drift',
        node,
        expected: `address set ${label} (${SET_NAMES[f].cur}) with ${wantSize} IPs`,
        actual: 'address set absent',
      });
      continue;
    }
    const have = new Set(set.addresses.map(canonIp));
    for (const [ip, w] of lrps) {
      if (w.family === f && !have.has(ip)) {
        const pl = podLabel(exp, ip);
        out.push({
          kind: 'address-set-drift',
          node,
          egressip: pl.eip,
          namespace: pl.namespace,
          pod: pl.pod,
          expected: `${ip} in ${label}`,
          actual: 'absent',
        });
      }
    }
    for (const ip of have) {
      if (lrps.get(ip)?.family !== f && !exp.ignoredIps.has(ip)) {
        const pl = podLabel(exp, ip);
        out.push({
          kind: 'address-set-drift',
          node,
          egressip: pl.eip,
          namespace: pl.namespace,
          pod: pl.pod,
          expected: `${ip} not in ${label}`,
          actual: `${ip} present`,
        });
      }
    }
  }
}

// ---------- the per-node shortcut: a node whose rows all match, in one lookup per row ----------
//
// Each predicate below is true only when the full diff of that part of the node would report nothing (it
// returns false on anything it does not recognise, and the full diff decides). A consistent cluster at
// scale thus builds no per-node maps or groups: every row is one lookup in the served-IP index and one
// stamp, and the counts of matched rows are compared with the expected counts per node.

function nextStamp(ix: ServedIndex): number {
  ix.stamp = ix.stamp >= 0x7ffffffe ? 1 : ix.stamp + 1;
  if (ix.stamp === 1) ix.seen.fill(0);
  return ix.stamp;
}

/** The node's EgressIP SNATs are exactly the expected ones, or undefined (then the full diff runs). Returns their count. */
function snatsMatch(n: number, node: string, dump: NodeDump, exp: Expected): number | undefined {
  const ix = exp.index;
  const gr = `GR_${node}`;
  const port = `k8s-${node}`;
  const ignored = exp.ignoredIps.size ? exp.ignoredIps : undefined;
  const stamp = nextStamp(ix);
  let hits = 0;
  let eipRows = 0;
  for (const r of dump.nat) {
    if (!isEgressIPNat(r)) {
      if (isUnownedEgressSnat(r, exp.eipIps)) return undefined;
      continue;
    }
    eipRows++;
    const key = ipKey(r.logical_ip);
    if (ignored?.has(canonIp(r.logical_ip))) {
      // a pod in transition: its rows are neither expected nor stale, but they stand for an expected SNAT of its IP
      const row = r.router === gr && n >= 0 ? rowOf(ix.snatRows, n, key) : -1;
      if (row >= 0 && ix.seen[row] !== stamp) {
        ix.seen[row] = stamp;
        hits++;
      }
      continue;
    }
    const row = n >= 0 ? rowOf(ix.snatRows, n, key) : -1;
    if (row < 0 || r.router !== gr || ix.seen[row] === stamp || r.logical_port !== port) return undefined;
    let ext: string | undefined;
    for (const it of ix.eipFam[row].items) if (it.nodeIdx === n) ext = it.ext;
    if (canonIp(r.external_ip) !== ext) return undefined;
    ix.seen[row] = stamp;
    hits++;
  }
  return hits === (n >= 0 ? sizeOf(ix.snatRows, n) : 0) ? eipRows : undefined;
}

/** The pod IP of a reroute match as a key, read in place for the form ovnkube writes (`ip4.src == 10.128.0.5`). */
function rerouteKey(match: string): IpKey | undefined {
  if (match.length > 11 && (match.startsWith('ip4.src == ') || match.startsWith('ip6.src == '))) {
    const k = v4Key(match, 11);
    if (k !== undefined) return k;
  }
  const ip = podIpOfMatch(match);
  return ip === undefined ? undefined : ipKey(ip);
}

/** Whether an unowned policy's source IPs include a served pod's (then the full diff judges it). */
function selectsServedPod(p: PolicyRow, ix: ServedIndex): boolean {
  for (const ip of srcIpsOfMatch(p.match)) if (ix.servedIps.has(ip)) return true;
  return false;
}

function sameHops(have: readonly string[], want: readonly string[]): boolean {
  if (have.length !== want.length) return false;
  if (have.length === 1) return canonIp(have[0]) === want[0];
  return have
    .map(canonIp)
    .sort()
    .every((x, i) => x === want[i]);
}

/** The node's reroutes are exactly the expected ones and no unowned policy selects a served pod; returns the reroute count. */
function lrpsMatch(n: number, dump: NodeDump, exp: Expected): number | undefined {
  const ix = exp.index;
  const ignored = exp.ignoredIps.size ? exp.ignoredIps : undefined;
  const stamp = nextStamp(ix);
  let hits = 0;
  let reroutes = 0;
  for (const p of dump.policies) {
    if (p.router !== CLUSTER_ROUTER || (p.priority !== REROUTE_PRIORITY && p.priority !== NO_REROUTE_PRIORITY)) continue;
    if (!isOvnkubeOwned(p.external_ids)) {
      if (p.external_ids[OWNER_TYPE] === undefined && selectsServedPod(p, ix)) return undefined;
      continue;
    }
    if (p.priority !== REROUTE_PRIORITY) continue;
    reroutes++;
    const key = rerouteKey(p.match);
    if (key === undefined) return undefined;
    const row = n >= 0 ? rowOf(ix.lrpRows, n, key) : -1;
    if (ignored?.has(podIpOfMatch(p.match) as string)) {
      if (row >= 0 && ix.seen[row] !== stamp) {
        ix.seen[row] = stamp;
        hits++;
      }
      continue;
    }
    if (row < 0 || ix.seen[row] === stamp || !sameHops(p.nexthops, ix.nexthops[row])) return undefined;
    ix.seen[row] = stamp;
    hits++;
  }
  return hits === (n >= 0 ? sizeOf(ix.lrpRows, n) : 0) ? reroutes : undefined;
}

/** The node's served-pods address sets hold exactly its expected reroutes' pod IPs, per family. */
function addressSetsMatch(n: number, dump: NodeDump, exp: Expected): boolean {
  const ix = exp.index;
  for (const f of exp.families) {
    const fam = f === 'v4' ? 0 : 1;
    const set = findServedPodsSet(dump.addressSets, f);
    if (!set) return false;
    const stamp = nextStamp(ix);
    let hits = 0;
    for (const a of set.addresses) {
      const row = n >= 0 ? rowOf(ix.lrpRows, n, ipKey(a)) : -1;
      if (row >= 0 && ix.family[row] === fam) {
        if (ix.seen[row] !== stamp) {
          ix.seen[row] = stamp;
          hits++;
        }
      } else if (!exp.ignoredIps.has(canonIp(a))) return false;
    }
    if (hits !== (n >= 0 ? ix.servedWant[f][n] : 0)) return false;
  }
  return true;
}

export interface DiffOptions {
  /** false: the full diff on every node (the reference the per-node shortcut is tested against) */
  shortcut?: boolean;
}

export interface DiffCounts {
  /** EgressIP SNAT rows per node */
  snat: Record<string, number>;
  /** priority-100 reroute rows per node */
  lrp: Record<string, number>;
}

/** Pure: findings for every node in `actual`, plus the API-level findings. Optional `counts` receives row counts per node. */
export function diffEgressIP(expected: Expected, actual: ActualState, counts?: DiffCounts, opts: DiffOptions = {}): EgressIPFinding[] {
  const out: EgressIPFinding[] = [...expected.apiFindings];
  const names = [...actual.keys()].sort();
  const shortcut = opts.shortcut !== false && expected.index.regular;
  for (const node of names) {
    const dump = actual.get(node);
    if (!dump) continue;
    const n = expected.index.nodeIdx.get(node) ?? -1;
    const s =
      (shortcut ? snatsMatch(n, node, dump, expected) : undefined) ?? diffSnats(node, expected.nodes.get(node), dump, expected, out);
    const l = (shortcut ? lrpsMatch(n, dump, expected) : undefined) ?? diffLrps(node, expected.nodes.get(node), dump, expected, out);
    diffNoReroute(node, dump, expected, out);
    if (!shortcut || !addressSetsMatch(n, dump, expected)) diffAddressSets(node, expected.nodes.get(node), dump, expected, out);
    if (counts) {
      counts.snat[node] = s;
      counts.lrp[node] = l;
    }
  }
  return out;
}

/** Helper for callers that only have an IP: its family's OVN match prefix. */
export function matchFor(ip: string): string {
  return `${familyOf(ip) === 'v4' ? 'ip4' : 'ip6'}.src == ${ip}`;
}
