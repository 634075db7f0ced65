import { describe, it, expect } from 'vitest';
import { synthCluster, renderNodeDump, type SynthCluster, type SynthNode } from '../../harness/checks/egressip/synthetic.ts';
import { parseNodeDump } from '../../harness/checks/egressip/collect.ts';
import { evaluateEgressIP } from '../../harness/checks/egressip/index.ts';
import { decodeCell, parseTableJson, OvsdbParseError } from '../../harness/checks/egressip/ovsdb-json.ts';
import { FINDING_KINDS, type EgressIPFinding, type FindingKind, type NodeDump } from '../../harness/checks/egressip/model.ts';
import { servedPodsAddressSetName } from '../../harness/checks/egressip/net.ts';

/** Render every node as `ovn-nbctl --format=json` text and parse it back, as the real check does. */
function actualOf(c: SynthCluster): Map<string, NodeDump> {
  return new Map([...c.nb].map(([name, n]) => [name, parseNodeDump(name, renderNodeDump(n))]));
}

function run(c: SynthCluster): EgressIPFinding[] {
  return evaluateEgressIP(c.api, actualOf(c)).findings;
}

const kinds = (fs: EgressIPFinding[]): FindingKind[] => [...new Set(fs.map((f) => f.kind))].sort() as FindingKind[];
const egressNodeOf = (c: SynthCluster, j = 0): string => c.api.eips[j].status[0].node;
const podNodeOf = (c: SynthCluster, ns: string, pod: string): string =>
  c.api.pods.find((p) => p.namespace === ns && p.name === pod)?.node ?? '';
const nbOf = (c: SynthCluster, node: string): SynthNode => c.nb.get(node) as SynthNode;
const eipSnats = (n: SynthNode) => n.nat.filter((r) => r.external_ids['k8s.ovn.org/owner-type'] === 'EgressIP' || r.external_ids.name);
const reroutes = (n: SynthNode) => n.lrp.filter((r) => r.priority === 100);
function addRef(n: SynthNode, router: 'lr' | 'gr', kind: 'nat' | 'policies', uuid: string): void {
  n.routers[router === 'lr' ? 0 : 1][kind].push(uuid);
}

describe('ovn-nbctl --format=json parsing', () => {
  it('decodes uuid, set, map and scalar cells', () => {
    expect(decodeCell(['uuid', 'abc'])).toBe('abc');
    expect(decodeCell(['set', []])).toEqual([]);
    expect(decodeCell(['set', ['a', 'b']])).toEqual(['a', 'b']);
    expect(
      decodeCell([
        'set',
        [
          ['uuid', 'u1'],
          ['uuid', 'u2'],
        ],
      ]),
    ).toEqual(['u1', 'u2']);
    expect(decodeCell(['map', [['stateless', 'false']]])).toEqual({ stateless: 'false' });
    expect(decodeCell(100)).toBe(100);
    expect(decodeCell('snat')).toBe('snat');
  });

  it('parses an example NAT row (all columns, alphabetical headings)', () => {
    const text = JSON.stringify({
      data: [
        [
          ['uuid', '5a7c'],
          ['set', []],
          ['set', []],
          [
            'map',
            [
              ['ip-family', 'ip4'],
              ['k8s.ovn.org/id', 'default-network-controller:EgressIP:egressip-prod_ns1/web-1:ip4'],
              ['k8s.ovn.org/name', 'egressip-prod_ns1/web-1'],
              ['k8s.ovn.org/owner-controller', 'default-network-controller'],
              ['k8s.ovn.org/owner-type', 'EgressIP'],
            ],
          ],
          '172.18.0.33',
          ['set', []],
          '32768-60999',
          ['set', []],
          '10.244.1.3',
          'k8s-ovn-worker',
          '',
          ['map', [['stateless', 'false']]],
          0,
          'snat',
        ],
      ],
      headings: [
        '_uuid',
        'allowed_ext_ips',
        'exempted_ext_ips',
        'external_ids',
        'external_ip',
        'external_mac',
        'external_port_range',
        'gateway_port',
        'logical_ip',
        'logical_port',
        'match',
        'options',
        'priority',
        'type',
      ],
    });
    const [row] = parseTableJson(text, 'NAT');
    expect(row._uuid).toBe('5a7c');
    expect(row.external_ip).toBe('172.18.0.33');
    expect(row.logical_port).toBe('k8s-ovn-worker');
    expect((row.external_ids as Record<string, string>)['k8s.ovn.org/owner-type']).toBe('EgressIP');
  });

  it('rejects malformed output with a clear error', () => {
    expect(() => parseTableJson('ovn-nbctl: database connection failed', 'NAT')).toThrow(OvsdbParseError);
    expect(() => parseTableJson('{"data":[[1,2]],"headings":["a"]}', 'NAT')).toThrow(/2 cells for 1 headings/);
    expect(() => parseTableJson('{"rows":[]}', 'NAT')).toThrow(/expected/);
    expect(() => parseNodeDump('n1', '{"data":[],"headings":[]}')).toThrow(/expected 4 tables/);
  });
});

describe('diffEgressIP: consistent clusters', () => {
  for (const stack of ['ipv4', 'ipv6', 'dual'] as const) {
    for (const legacy of [false, true]) {
      it(`${stack}${legacy ? ' legacy external_ids' : ''}: no findings, counts follow the per-pod rules`, () => {
        const c = synthCluster({ nodes: 5, eips: 3, podsPerEip: 7, ipsPerEip: 2, stack, legacy });
        const r = evaluateEgressIP(c.api, actualOf(c));
        expect(r.findings).toEqual([]);
        const fam = stack === 'dual' ? 2 : 1;
        // SNATs: P * K per family; LRPs: P per family
        expect(r.counts.snat).toBe(3 * 7 * 2 * fam);
        expect(r.counts.lrp).toBe(3 * 7 * fam);
        expect(r.counts.expectedSnat).toBe(r.counts.snat);
        expect(r.counts.pods).toBe(21);
      });
    }
  }
});

describe('diffEgressIP: every finding kind', () => {
  const base = (o: Parameters<typeof synthCluster>[0] = {}) => synthCluster({ nodes: 4, eips: 2, podsPerEip: 4, ...o });

  it('missing-snat', () => {
    const c = base();
    const n = nbOf(c, egressNodeOf(c));
    const gone = eipSnats(n)[0];
    n.nat = n.nat.filter((r) => r !== gone);
    const f = run(c);
    expect(kinds(f)).toEqual(['missing-snat']);
    expect(f[0]).toMatchObject({ node: egressNodeOf(c), egressip: 'eip-0', namespace: 'eip-ns-0', pod: 'client-0-0', actual: 'absent' });
  });

  it('stale-snat (no pod) and stale-snat on a router other than GR_<node>', () => {
    const c = base();
    const node = egressNodeOf(c);
    const n = nbOf(c, node);
    n.nat.push({
      _uuid: 'stale-1',
      type: 'snat',
      external_ip: '172.20.0.10',
      logical_ip: '10.200.0.9',
      logical_port: `k8s-${node}`,
      external_ids: { 'k8s.ovn.org/owner-type': 'EgressIP', 'k8s.ovn.org/name': 'eip-0_eip-ns-0/gone' },
    });
    addRef(n, 'gr', 'nat', 'stale-1');
    const other = nbOf(c, 'node-4');
    other.nat.push({
      _uuid: 'stale-2',
      type: 'snat',
      external_ip: '172.20.0.10',
      logical_ip: c.api.pods[0].ips[0],
      logical_port: 'k8s-node-4',
      external_ids: { name: 'eip-0' },
    });
    addRef(other, 'lr', 'nat', 'stale-2');
    const f = run(c);
    expect(kinds(f)).toEqual(['stale-snat']);
    expect(f).toHaveLength(2);
    expect(f.find((x) => x.node === node)).toMatchObject({ egressip: 'eip-0', actual: expect.stringContaining('10.200.0.9') });
    expect(f.find((x) => x.node === 'node-4')).toMatchObject({
      egressip: 'eip-0',
      pod: 'client-0-0',
      actual: expect.stringContaining('ovn_cluster_router'),
    });
  });

  it('stale-snat for the old egress node after failover (the CORENET-6498 bug)', () => {
    const c = base();
    const old = egressNodeOf(c);
    // the EIP moved to node-3, whose DB got the rows; the old node kept its SNATs
    const moved = 'node-3';
    const e = c.api.eips[0];
    e.status = [{ node: moved, egressIP: e.status[0].egressIP }];
    // the new egress node got the SNATs; the old node kept its own
    const n3 = nbOf(c, moved);
    for (const s of eipSnats(nbOf(c, old)).filter((r) => r.external_ip === e.status[0].egressIP)) {
      const copy = { ...s, _uuid: `${s._uuid}-new`, logical_port: `k8s-${moved}` };
      n3.nat.push(copy);
      addRef(n3, 'gr', 'nat', copy._uuid);
    }
    // fix nexthops on pod nodes to the new node
    for (const [name, n] of c.nb) {
      for (const l of reroutes(n)) {
        if (!l.external_ids['k8s.ovn.org/name']?.startsWith('eip-0_')) continue;
        l.nexthops = [name === moved ? '100.64.0.4' : '100.88.0.4'];
      }
    }
    const f = run(c);
    expect(kinds(f)).toEqual(['stale-snat']);
    expect(f.every((x) => x.node === old && x.egressip === 'eip-0')).toBe(true);
    expect(f).toHaveLength(4);
  });

  it('duplicate-snat', () => {
    const c = base();
    const n = nbOf(c, egressNodeOf(c));
    const s = eipSnats(n)[1];
    n.nat.push({ ...s, _uuid: 'dup-1' });
    addRef(n, 'gr', 'nat', 'dup-1');
    const f = run(c);
    expect(kinds(f)).toEqual(['duplicate-snat']);
    expect(f[0].actual).toMatch(/2 rows/);
  });

  it('wrong-snat-ip and wrong-snat-port', () => {
    const c = base();
    const n = nbOf(c, egressNodeOf(c));
    const [a, b] = eipSnats(n);
    a.external_ip = '172.20.9.9';
    b.logical_port = 'k8s-node-4';
    const f = run(c);
    expect(kinds(f)).toEqual(['wrong-snat-ip', 'wrong-snat-port']);
    expect(f.find((x) => x.kind === 'wrong-snat-ip')).toMatchObject({ actual: expect.stringContaining('172.20.9.9') });
    expect(f.find((x) => x.kind === 'wrong-snat-port')).toMatchObject({ actual: expect.stringContaining('k8s-node-4') });
  });

  it('missing-lrp, stale-lrp, duplicate-lrp', () => {
    const c = base();
    const pn = podNodeOf(c, 'eip-ns-0', 'client-0-0');
    const n = nbOf(c, pn);
    const [first, second] = reroutes(n);
    n.lrp = n.lrp.filter((r) => r !== first);
    n.lrp.push({ ...second, _uuid: 'dup-lrp' });
    addRef(n, 'lr', 'policies', 'dup-lrp');
    n.lrp.push({ ...second, _uuid: 'stale-lrp', match: 'ip4.src == 10.250.0.1' });
    addRef(n, 'lr', 'policies', 'stale-lrp');
    const f = run(c);
    expect(kinds(f)).toEqual(['duplicate-lrp', 'missing-lrp', 'stale-lrp']);
    expect(f.find((x) => x.kind === 'missing-lrp')).toMatchObject({ node: pn, pod: 'client-0-0', egressip: 'eip-0' });
  });

  it('missing-nexthop, stale-nexthop, wrong-nexthop (ECMP EIP with 2 IPs)', () => {
    const c = base({ ipsPerEip: 2 });
    const all = [...c.nb.values()].flatMap(reroutes);
    all[0].nexthops = all[0].nexthops.slice(0, 1);
    all[1].nexthops = [...all[1].nexthops, '100.88.0.99'];
    all[2].nexthops = [all[2].nexthops[0], '100.88.0.98'];
    const f = run(c);
    expect(kinds(f)).toEqual(['missing-nexthop', 'stale-nexthop', 'wrong-nexthop']);
    expect(f.find((x) => x.kind === 'stale-nexthop')?.actual).toContain('100.88.0.99');
  });

  it('missing-no-reroute (per family, per node)', () => {
    const c = base({ stack: 'dual' });
    const n = nbOf(c, 'node-2');
    n.lrp = n.lrp.filter((r) => !(r.priority === 102 && r.match.startsWith('ip6.src == fd01::/48 && ip6.dst == fd98::/64')));
    n.lrp = n.lrp.filter((r) => r.match !== 'pkt.mark == 42');
    const f = run(c);
    expect(kinds(f)).toEqual(['missing-no-reroute']);
    expect(f.map((x) => x.expected).sort()).toEqual([
      '102 EIP-No-Reroute-Pod-To-Join (ip6) on ovn_cluster_router',
      '102 EIP-No-Reroute-reply-traffic (pkt.mark == 42) on ovn_cluster_router',
    ]);
  });

  it('address-set-drift (missing IP, extra IP, missing set)', () => {
    const c = base();
    const n = nbOf(c, 'node-1');
    const set = n.as[0];
    const removed = set.addresses.shift();
    set.addresses.push('10.201.0.1');
    const n2 = nbOf(c, 'node-2');
    n2.as = [];
    const f = run(c);
    expect(kinds(f)).toEqual(['address-set-drift']);
    expect(f.find((x) => x.expected === `${removed} in egressip-served-pods v4`)).toBeTruthy();
    expect(f.find((x) => x.actual === '10.201.0.1 present')).toBeTruthy();
    expect(f.find((x) => x.node === 'node-2')?.expected).toContain(servedPodsAddressSetName('v4'));
  });

  it('unassigned-eip and eip-assigned-twice', () => {
    const c = base();
    c.api.eips[0].egressIPs.push('172.20.99.1');
    c.api.eips[1].status.push({ node: 'node-4', egressIP: c.api.eips[0].status[0].egressIP });
    const f = run(c).filter((x) => x.kind === 'unassigned-eip' || x.kind === 'eip-assigned-twice');
    expect(kinds(f)).toEqual(['eip-assigned-twice', 'unassigned-eip']);
    expect(f.find((x) => x.kind === 'eip-assigned-twice')).toMatchObject({ egressip: 'eip-0,eip-1' });
  });

  it('legacy external_ids: stale rows still name the EgressIP and pod via logical_ip', () => {
    const c = base({ legacy: true });
    const n = nbOf(c, egressNodeOf(c));
    const s = eipSnats(n)[0];
    c.api.pods = c.api.pods.filter((p) => !p.ips.includes(s.logical_ip));
    c.api.pods.push({
      namespace: 'eip-ns-0',
      name: 'renamed',
      node: 'node-1',
      ips: [s.logical_ip],
      phase: 'Running',
      hostNetwork: false,
      labels: { app: 'other' },
      terminating: false,
    });
    const f = run(c);
    expect(f.find((x) => x.kind === 'stale-snat')).toMatchObject({ egressip: 'eip-0', namespace: 'eip-ns-0', pod: 'renamed' });
    expect(f.find((x) => x.kind === 'stale-lrp')).toMatchObject({ egressip: 'eip-0', pod: 'renamed' });
  });

  it('pods in transition (terminating, pending) are neither expected nor stale', () => {
    const c = base();
    c.api.pods[0].terminating = true;
    c.api.pods[1].phase = 'Pending';
    const n = nbOf(c, podNodeOf(c, c.api.pods[1].namespace, c.api.pods[1].name));
    n.lrp = n.lrp.filter((r) => r.match !== `ip4.src == ${c.api.pods[1].ips[0]}`);
    expect(run(c)).toEqual([]);
  });

  it('completed and hostNetwork pods are not expected (their rows are stale)', () => {
    const c = base();
    c.api.pods[0].phase = 'Succeeded';
    const f = run(c);
    expect(kinds(f)).toEqual(['address-set-drift', 'stale-lrp', 'stale-snat']);
  });

  it('the vocabulary is fixed', () => {
    expect(FINDING_KINDS).toHaveLength(17);
  });
});
