import { describe, expect, it } from 'vitest';
import { desiredState, egressIpRows, podAssignments, topologyRows } from '../../sim/ovnkube/desired-state.ts';
import { egressIpServedPodsAS, egressSvcServedPodsAS, fnv1a64, hashForOVN, nodeIpsAS } from '../../sim/ovnkube/ids.ts';
import type { LogicalRouterPolicy, NAT, NbRow } from '../../sim/ovnkube/nb-model.ts';
import { eip, node, ns, pod, zone } from './fixtures.ts';

const lrps = (rows: NbRow[], prio?: number): LogicalRouterPolicy[] =>
  rows.filter((r): r is LogicalRouterPolicy => r.table === 'Logical_Router_Policy' && (prio === undefined || r.priority === prio));
const nats = (rows: NbRow[]): NAT[] => rows.filter((r): r is NAT => r.table === 'NAT' && r.logical_port !== undefined);

const nodes = [node('w1', 1), node('w2', 2), node('w3', 3)];
const pods5 = [0, 1, 2, 3, 4].map((i) => pod('prod', `web-${i}`, 'w1', 1, i));
const E = eip('eip-a', ['192.168.126.100'], [{ node: 'w2', egressIP: '192.168.126.100' }]);
const base = { ipStack: 'ipv4' as const, nodes, pods: pods5, namespaces: [ns('prod')], eips: [E] };

describe('ids: FNV-1a-64 address set names (upstream fixtures)', () => {
  it('matches the egressip_test.go hashes', () => {
    expect(egressIpServedPodsAS('v4').name).toBe('a8519615025667110816');
    expect(egressSvcServedPodsAS('v4').name).toBe('a13607449821398607916');
    expect(nodeIpsAS('v4').name).toBe('a1042611113178530741');
    expect(hashForOVN('egressip-served-pods_v4')).toBe('a12749576804119081385');
    expect(hashForOVN('egresssvc-served-pods_v4')).toBe('a16335301576733828072');
    expect(fnv1a64('')).toBe('14695981039346656037');
  });
  it('address set external_ids carry the id the hash is computed from', () => {
    expect(egressIpServedPodsAS('v4').externalIds).toEqual({
      'k8s.ovn.org/owner-controller': 'default-network-controller',
      'k8s.ovn.org/owner-type': 'EgressIP',
      'k8s.ovn.org/name': 'egressip-served-pods',
      'ip-family': 'v4',
      network: 'default',
      'k8s.ovn.org/id': 'default-network-controller:EgressIP:egressip-served-pods:v4:default',
    });
  });
});

describe('desired state: topology', () => {
  const rows = topologyRows(zone('w1', base));
  const get = (table: string, name: string) => rows.find((r) => r.table === table && 'name' in r && r.name === name);
  it('has the per-zone routers, switches and ports', () => {
    for (const [t, n] of [
      ['Logical_Router', 'ovn_cluster_router'],
      ['Logical_Router', 'GR_w1'],
      ['Logical_Switch', 'w1'],
      ['Logical_Switch', 'join'],
      ['Logical_Switch', 'ext_w1'],
      ['Logical_Switch', 'transit_switch'],
      ['Logical_Router_Port', 'rtos-w1'],
      ['Logical_Router_Port', 'rtots-w1'],
      ['Logical_Router_Port', 'rtoj-GR_w1'],
      ['Logical_Router_Port', 'rtoe-GR_w1'],
      ['Logical_Switch_Port', 'k8s-w1'],
      ['Logical_Switch_Port', 'tstor-w1'],
      ['Logical_Switch_Port', 'prod_web-0'],
    ])
      expect(get(t, n), `${t} ${n}`).toBeDefined();
  });
  it('pod LSP addresses are "<mac> <ip>"', () => {
    expect(get('Logical_Switch_Port', 'prod_web-0')).toMatchObject({ switch: 'w1', addresses: ['0a:58:0a:80:00:0a 10.128.0.10'] });
  });
  it('remote transit ports are type=remote with requested-tnl-key', () => {
    expect(get('Logical_Switch_Port', 'tstor-w2')).toMatchObject({
      type: 'remote',
      addresses: ['0a:58:64:58:00:03 100.88.0.3/16'],
      options: { 'requested-tnl-key': '2', 'requested-chassis': 'w2' },
    });
    expect(get('Logical_Router_Port', 'rtots-w1')).toMatchObject({ networks: ['100.88.0.2/16'] });
  });
  it('static routes: IC catch-all, remote node subnets via transit IPs, GR default route', () => {
    const sr = rows.filter((r) => r.table === 'Logical_Router_Static_Route');
    expect(sr).toContainEqual(
      expect.objectContaining({ router: 'ovn_cluster_router', ip_prefix: '10.128.0.0/14', nexthop: '100.64.0.2', policy: 'src-ip' }),
    );
    expect(sr).toContainEqual(expect.objectContaining({ router: 'ovn_cluster_router', ip_prefix: '10.128.2.0/23', nexthop: '100.88.0.3' }));
    expect(sr).toContainEqual(expect.objectContaining({ router: 'ovn_cluster_router', ip_prefix: '10.128.4.0/23', nexthop: '100.88.0.4' }));
    expect(sr).toContainEqual(
      expect.objectContaining({ router: 'GR_w1', ip_prefix: '0.0.0.0/0', nexthop: '192.168.126.1', output_port: 'rtoe-GR_w1' }),
    );
  });
  it('GR default SNAT of the cluster subnet to the node IP', () => {
    expect(rows).toContainEqual(
      expect.objectContaining({ table: 'NAT', router: 'GR_w1', type: 'snat', external_ip: '192.168.126.11', logical_ip: '10.128.0.0/14' }),
    );
  });
});

describe('desired state: EgressIP rows (init and per-pod rows)', () => {
  it('priority-102 no-reroute policies and the QoS mark rule exist in every zone', () => {
    const rows = egressIpRows(zone('w3', { ...base, eips: [] }));
    const p = lrps(rows, 102);
    expect(p.map((x) => [x.match, x.options])).toEqual([
      ['ip4.src == 10.128.0.0/14 && ip4.dst == 10.128.0.0/14', {}],
      ['ip4.src == 10.128.0.0/14 && ip4.dst == 100.64.0.0/16', {}],
      ['(ip4.src == $a8519615025667110816 || ip4.src == $a13607449821398607916) && ip4.dst == $a1042611113178530741', { pkt_mark: '1008' }],
      ['pkt.mark == 42', {}],
    ]);
    expect(p[3].external_ids).toMatchObject({
      'k8s.ovn.org/name': 'EIP-No-Reroute-reply-traffic',
      'ip-family': 'ip',
      'k8s.ovn.org/id': 'default-network-controller:EgressIP:102:EIP-No-Reroute-reply-traffic:ip:default',
    });
    expect(p[0].external_ids['k8s.ovn.org/id']).toBe('default-network-controller:EgressIP:102:EIP-No-Reroute-Pod-To-Pod:ip4:default');
    const qos = rows.find((r) => r.table === 'QoS');
    expect(qos).toMatchObject({
      switch: 'w3',
      priority: 103,
      direction: 'from-lport',
      action: { mark: 42 },
      match: 'ip4.src == $a8519615025667110816 && ct.trk && ct.rpl',
    });
    const nodeIps = rows.find((r) => r.table === 'Address_Set' && r.name === 'a1042611113178530741');
    expect(nodeIps).toMatchObject({ addresses: ['192.168.126.11', '192.168.126.12', '192.168.126.13'] });
  });

  it('pod node with a remote egress node: 5 reroutes via the egress node transit IP, no SNAT', () => {
    const rows = desiredState(zone('w1', base));
    const r100 = lrps(rows, 100);
    expect(r100).toHaveLength(5);
    expect(r100[0]).toMatchObject({
      router: 'ovn_cluster_router',
      match: 'ip4.src == 10.128.0.10',
      action: 'reroute',
      nexthops: ['100.88.0.3'],
      options: {},
    });
    expect(r100[0].external_ids).toEqual({
      'k8s.ovn.org/owner-controller': 'default-network-controller',
      'k8s.ovn.org/owner-type': 'EgressIP',
      priority: '100',
      'k8s.ovn.org/name': 'eip-a_prod/web-0',
      'ip-family': 'ip4',
      network: 'default',
      'k8s.ovn.org/id': 'default-network-controller:EgressIP:100:eip-a_prod/web-0:ip4:default',
    });
    expect(nats(rows)).toHaveLength(0);
    const as = rows.find((r) => r.table === 'Address_Set' && r.name === 'a8519615025667110816');
    expect(as).toMatchObject({ addresses: pods5.map((p) => p.ips[0]).sort() });
  });

  it('egress node: SNATs on GR_<egressNode> for every selected pod, exact columns', () => {
    const rows = desiredState(zone('w2', base));
    const n = nats(rows);
    expect(n).toHaveLength(5);
    expect(n[0]).toEqual({
      table: 'NAT',
      router: 'GR_w2',
      type: 'snat',
      external_ip: '192.168.126.100',
      logical_ip: '10.128.0.10',
      logical_port: 'k8s-w2',
      external_port_range: '32768-60999',
      options: { stateless: 'false' },
      external_ids: {
        'k8s.ovn.org/owner-controller': 'default-network-controller',
        'k8s.ovn.org/owner-type': 'EgressIP',
        'k8s.ovn.org/name': 'eip-a_prod/web-0',
        'ip-family': 'ip4',
        'k8s.ovn.org/id': 'default-network-controller:EgressIP:eip-a_prod/web-0:ip4',
      },
    });
    expect(lrps(rows, 100)).toHaveLength(0);
    // a third node has neither
    const w3 = desiredState(zone('w3', base));
    expect(nats(w3)).toHaveLength(0);
    expect(lrps(w3, 100)).toHaveLength(0);
  });

  it('local egress node: nexthop is the local GR join IP; K IPs give K nexthops', () => {
    const e2 = eip(
      'eip-a',
      ['192.168.126.100', '192.168.126.101'],
      [
        { node: 'w1', egressIP: '192.168.126.100' },
        { node: 'w3', egressIP: '192.168.126.101' },
      ],
    );
    const rows = desiredState(zone('w1', { ...base, eips: [e2] }));
    expect(lrps(rows, 100)[0].nexthops).toEqual(['100.64.0.2', '100.88.0.4']);
    expect(nats(rows)).toHaveLength(5);
    expect(nats(rows).every((n) => n.external_ip === '192.168.126.100' && n.logical_port === 'k8s-w1')).toBe(true);
  });

  it('only Running, non-hostNetwork pods are selected; selector mismatch selects none', () => {
    const pods = [...pods5];
    pods[0] = { ...pods[0], phase: 'Succeeded' };
    pods[1] = { ...pods[1], hostNetwork: true };
    pods[2] = { ...pods[2], labels: { app: 'db' } };
    expect(lrps(desiredState(zone('w1', { ...base, pods })), 100)).toHaveLength(2);
    expect(lrps(desiredState(zone('w1', { ...base, pods, opts: { programCompletedPods: true } })), 100)).toHaveLength(3);
    expect(lrps(desiredState(zone('w1', { ...base, namespaces: [ns('other')] })), 100)).toHaveLength(0);
  });

  it('a pod matched by two EgressIPs is served by the older one, the other is standby', () => {
    const older = eip('eip-old', ['192.168.126.120'], [{ node: 'w3', egressIP: '192.168.126.120' }], 'prod', '2026-11-21T09:00:00Z');
    const a = podAssignments({ ...base, eips: [E, older] });
    expect(a.get('prod/web-0')?.eip.name).toBe('eip-old');
    expect(a.get('prod/web-0')?.standby).toEqual(['eip-a']);
    const rows = desiredState(zone('w1', { ...base, eips: [E, older] }));
    expect(lrps(rows, 100).every((l) => l.nexthops[0] === '100.88.0.4' && l.external_ids['k8s.ovn.org/name'].startsWith('eip-old_'))).toBe(
      true,
    );
  });

  it('legacy external_ids: only name=<eipName>', () => {
    const rows = desiredState(zone('w2', { ...base, opts: { legacyExternalIds: true } }));
    expect(nats(rows)[0].external_ids).toEqual({ name: 'eip-a' });
    const r1 = desiredState(zone('w1', { ...base, opts: { legacyExternalIds: true } }));
    expect(lrps(r1, 100)[0].external_ids).toEqual({ name: 'eip-a' });
  });

  it('IPv6: ip6 matches, fd97:: transit nexthops, v6 address set names', () => {
    const nodes6 = [node('w1', 1, 'ipv6'), node('w2', 2, 'ipv6')];
    const pods6 = [pod('prod', 'web-0', 'w1', 1, 0, 'ipv6')];
    const e6 = eip('eip6', ['fd00:126::100'], [{ node: 'w2', egressIP: 'fd00:126::100' }]);
    const s = { ipStack: 'ipv6' as const, nodes: nodes6, pods: pods6, namespaces: [ns('prod')], eips: [e6] };
    const r1 = desiredState(zone('w1', s));
    const l = lrps(r1, 100);
    expect(l).toHaveLength(1);
    expect(l[0]).toMatchObject({ match: `ip6.src == ${pods6[0].ips[0]}`, nexthops: ['fd97::3'] });
    expect(l[0].external_ids['ip-family']).toBe('ip6');
    const v6as = egressIpServedPodsAS('v6');
    expect(lrps(r1, 102).map((p) => p.match)).toContain(
      `(ip6.src == $${v6as.name} || ip6.src == $${egressSvcServedPodsAS('v6').name}) && ip6.dst == $${nodeIpsAS('v6').name}`,
    );
    expect(lrps(r1, 102).map((p) => p.match)).toContain('ip6.src == fd01::/48 && ip6.dst == fd98::/64');
    const r2 = desiredState(zone('w2', s));
    expect(nats(r2)[0]).toMatchObject({
      external_ip: 'fd00:126::100',
      logical_ip: pods6[0].ips[0],
      external_ids: expect.objectContaining({ 'ip-family': 'ip6' }),
    });
  });

  it('dual-stack: one LRP and one NAT per family matching the EgressIP families', () => {
    const nodesD = [node('w1', 1, 'dual'), node('w2', 2, 'dual')];
    const podsD = [pod('prod', 'web-0', 'w1', 1, 0, 'dual')];
    const eD = eip(
      'eipd',
      ['192.168.126.100', 'fd00:126::100'],
      [
        { node: 'w2', egressIP: '192.168.126.100' },
        { node: 'w2', egressIP: 'fd00:126::100' },
      ],
    );
    const s = { ipStack: 'dual' as const, nodes: nodesD, pods: podsD, namespaces: [ns('prod')], eips: [eD] };
    const l = lrps(desiredState(zone('w1', s)), 100);
    expect(l.map((x) => [x.match.slice(0, 3), x.nexthops])).toEqual([
      ['ip4', ['100.88.0.3']],
      ['ip6', ['fd97::3']],
    ]);
    expect(nats(desiredState(zone('w2', s))).map((n) => [n.external_ip, n.logical_ip])).toEqual([
      ['192.168.126.100', podsD[0].ips[0]],
      ['fd00:126::100', podsD[0].ips[1]],
    ]);
    // v4-only EgressIP on a dual-stack cluster: v4 rows only
    const e4 = eip('eip4', ['192.168.126.100'], [{ node: 'w2', egressIP: '192.168.126.100' }]);
    const l4 = lrps(desiredState(zone('w1', { ...s, eips: [e4] })), 100);
    expect(l4).toHaveLength(1);
    expect(l4[0].match).toMatch(/^ip4\.src/);
    expect(egressIpRows(zone('w1', s)).filter((r) => r.table === 'QoS')).toHaveLength(2);
  });

  it('no assignment (empty status) -> no per-pod rows', () => {
    const rows = desiredState(zone('w1', { ...base, eips: [{ ...E, status: [] }] }));
    expect(lrps(rows, 100)).toHaveLength(0);
  });
});
