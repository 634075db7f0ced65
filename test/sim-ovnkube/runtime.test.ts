import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GVR } from '../../sim/ovnkube/k8s.ts';
import { eipObj, eipSnats, makeEnv, nsObj, podObj, reroutes, setEipStatus, type Env } from './harness.ts';

const nodes = [
  { name: 'w1', role: 'worker' as const, id: 1 },
  { name: 'w2', role: 'worker' as const, id: 2 },
  { name: 'w3', role: 'worker' as const, id: 3 },
];
const EIP = '192.168.126.100';
const podIp = (i: number): string => `10.128.0.${10 + i}`;

describe('zone controllers against real ovsdb-server NB', () => {
  let env: Env;
  beforeAll(async () => {
    env = await makeEnv(nodes);
    env.store.create(GVR.namespaces, nsObj('prod'));
    for (let i = 0; i < 5; i++) env.store.create(GVR.pods, podObj('prod', `web-${i}`, 'w1', podIp(i)));
    env.store.create(GVR.egressips, eipObj('eip-a', [EIP], 'prod', [{ node: 'w2', egressIP: EIP }]));
    for (const n of nodes) await env.startZone(n.name);
    await env.idle();
  });
  afterAll(async () => env?.close());

  it('egress node: lr-nat-list GR_w2 shows the 5 EgressIP SNATs', () => {
    const s = env.servers.get('w2');
    expect(s && eipSnats(s, 'GR_w2', EIP)).toHaveLength(5);
    expect(eipSnats(env.servers.get('w1')!, 'GR_w1', EIP)).toHaveLength(0);
  });

  it('pod node: lr-policy-list shows 5 priority-100 reroutes via the egress node transit IP', () => {
    const l = reroutes(env.servers.get('w1')!);
    expect(l).toHaveLength(5);
    for (const line of l) expect(line).toMatch(/100\s+ip4\.src == 10\.128\.0\.1\d\s+reroute\s+100\.88\.0\.3/);
    expect(reroutes(env.servers.get('w2')!)).toHaveLength(0);
    const all = env.servers.get('w3')!.nbctl('lr-policy-list', 'ovn_cluster_router');
    expect(all).toContain('pkt.mark == 42');
    expect(all).toContain('pkt_mark=1008');
  });

  it('find NAT --format=json carries the upstream external_ids', () => {
    const out = JSON.parse(env.servers.get('w2')!.nbctl('--format=json', 'find', 'NAT', 'type=snat', `external_ip="${EIP}"`)) as {
      headings: string[];
      data: unknown[][];
    };
    const h = (c: string): number => out.headings.indexOf(c);
    expect(out.data).toHaveLength(5);
    const row = out.data.find((r) => r[h('logical_ip')] === podIp(0));
    expect(row?.[h('logical_port')]).toBe('k8s-w2');
    expect(row?.[h('external_port_range')]).toBe('32768-60999');
    expect(row?.[h('options')]).toEqual(['map', [['stateless', 'false']]]);
    expect(row?.[h('external_ids')]).toEqual([
      'map',
      [
        ['ip-family', 'ip4'],
        ['k8s.ovn.org/id', 'default-network-controller:EgressIP:eip-a_prod/web-0:ip4'],
        ['k8s.ovn.org/name', 'eip-a_prod/web-0'],
        ['k8s.ovn.org/owner-controller', 'default-network-controller'],
        ['k8s.ovn.org/owner-type', 'EgressIP'],
      ],
    ]);
  });

  it('topology: transit switch with remote ports, IC route, address sets', () => {
    const s = env.servers.get('w1')!;
    expect(s.nbctl('--bare', '--columns=type', 'find', 'Logical_Switch_Port', 'name=tstor-w2').trim()).toBe('remote');
    expect(s.nbctl('lr-route-list', 'ovn_cluster_router')).toMatch(/10\.128\.0\.0\/14\s+100\.64\.0\.2 src-ip/);
    expect(s.nbctl('--bare', '--columns=addresses', 'find', 'Address_Set', 'name=a8519615025667110816').trim().split(/\s+/).sort()).toEqual(
      [0, 1, 2, 3, 4].map(podIp).sort(),
    );
  });

  it('the zone writes k8s.ovn.org/pod-networks on its pods', () => {
    const ann = env.store.get(GVR.pods, 'prod', 'web-1')?.metadata.annotations?.['k8s.ovn.org/pod-networks'];
    expect(JSON.parse(ann ?? '{}')).toMatchObject({
      default: { ip_addresses: ['10.128.0.11/23'], mac_address: '0a:58:0a:80:00:0b', gateway_ips: ['10.128.0.1'], role: 'primary' },
    });
  });

  it('event-driven: an out-of-band lr-nat-del persists across unrelated events until a restart sync heals it', async () => {
    const w2 = env.servers.get('w2')!;
    w2.nbctl('lr-nat-del', 'GR_w2', 'snat', podIp(0));
    expect(eipSnats(w2, 'GR_w2', EIP)).toHaveLength(4);
    env.store.create(GVR.pods, podObj('prod', 'other', 'w3', '10.128.4.10', { app: 'other' }));
    await env.idle();
    expect(eipSnats(w2, 'GR_w2', EIP)).toHaveLength(4);
    await env.restartZone('w2');
    await env.idle();
    expect(eipSnats(w2, 'GR_w2', EIP)).toHaveLength(5);
    expect(
      env.logs
        .get('w2')!
        .some((l) => l.includes('Adding pod egress IP status: {w2 192.168.126.100} for EgressIP: eip-a and pod: prod/web-0')),
    ).toBe(true);
  });

  it("pod delete / add events touch only that pod's rows", async () => {
    env.store.delete(GVR.pods, 'prod', 'web-4');
    await env.idle();
    expect(reroutes(env.servers.get('w1')!)).toHaveLength(4);
    expect(eipSnats(env.servers.get('w2')!, 'GR_w2', EIP)).toHaveLength(4);
    env.store.create(GVR.pods, podObj('prod', 'web-4', 'w1', podIp(4)));
    await env.idle();
    expect(reroutes(env.servers.get('w1')!)).toHaveLength(5);
    expect(eipSnats(env.servers.get('w2')!, 'GR_w2', EIP)).toHaveLength(5);
  });

  it('status move w2 -> w3: nexthops and SNATs follow', async () => {
    setEipStatus(env.store, 'eip-a', [{ node: 'w3', egressIP: EIP }]);
    await env.idle();
    expect(reroutes(env.servers.get('w1')!).every((l) => /100\.88\.0\.4\s*$/.test(l))).toBe(true);
    expect(eipSnats(env.servers.get('w2')!, 'GR_w2', EIP)).toHaveLength(0);
    expect(eipSnats(env.servers.get('w3')!, 'GR_w3', EIP)).toHaveLength(5);
  });

  it('restart sync deletes stale rows with the upstream log strings', async () => {
    await env.stopZone('w3');
    setEipStatus(env.store, 'eip-a', [{ node: 'w2', egressIP: EIP }]);
    await env.idle();
    expect(eipSnats(env.servers.get('w3')!, 'GR_w3', EIP)).toHaveLength(5); // controller down: stale
    await env.startZone('w3');
    await env.idle();
    expect(eipSnats(env.servers.get('w3')!, 'GR_w3', EIP)).toHaveLength(0);
    expect(
      env.logs.get('w3')!.filter((l) => l.includes('syncStaleSNATRules found NAT') && l.includes('with invalid logical port')),
    ).toHaveLength(5);
  });
});
