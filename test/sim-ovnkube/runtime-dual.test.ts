import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GVR } from '../../sim/ovnkube/k8s.ts';
import { eipObj, makeEnv, nsObj, podObj, type Env } from './harness.ts';

const nodes = [
  { name: 'w1', role: 'worker' as const, id: 1 },
  { name: 'w2', role: 'worker' as const, id: 2 },
];

describe('dual-stack zones against real ovsdb-server NBs', () => {
  let env: Env;
  beforeAll(async () => {
    env = await makeEnv(nodes, 'dual');
    env.store.create(GVR.namespaces, nsObj('prod'));
    for (let i = 0; i < 3; i++)
      env.store.create(GVR.pods, podObj('prod', `web-${i}`, 'w1', [`10.128.0.${10 + i}`, `fd01:0:0:1::${(10 + i).toString(16)}`]));
    env.store.create(
      GVR.egressips,
      eipObj('eip-d', ['192.168.126.100', 'fd00:126::100'], 'prod', [
        { node: 'w2', egressIP: '192.168.126.100' },
        { node: 'w2', egressIP: 'fd00:126::100' },
      ]),
    );
    for (const n of nodes) await env.startZone(n.name);
    await env.idle();
  });
  afterAll(async () => env?.close());

  it('one reroute per family on the pod node, with v4 and v6 transit nexthops', () => {
    const out = env.servers.get('w1')!.nbctl('lr-policy-list', 'ovn_cluster_router');
    const l100 = out.split('\n').filter((l) => /^\s+100 /.test(l));
    expect(l100).toHaveLength(6);
    expect(l100.filter((l) => l.includes('ip4.src') && l.includes('100.88.0.3'))).toHaveLength(3);
    expect(l100.filter((l) => l.includes('ip6.src') && l.includes('fd97::3'))).toHaveLength(3);
    expect(out).toContain('ip6.src == fd01::/48 && ip6.dst == fd98::/64');
  });

  it('one SNAT per family on the egress node', () => {
    const out = env.servers.get('w2')!.nbctl('lr-nat-list', 'GR_w2');
    expect(out.split('\n').filter((l) => l.startsWith('snat') && l.includes('192.168.126.100'))).toHaveLength(3);
    expect(out.split('\n').filter((l) => l.startsWith('snat') && l.includes('fd00:126::100'))).toHaveLength(3);
    const v6 = JSON.parse(env.servers.get('w2')!.nbctl('--format=json', 'find', 'NAT', 'external_ip="fd00:126::100"')) as {
      headings: string[];
      data: unknown[][];
    };
    const ids = v6.data[0][v6.headings.indexOf('external_ids')] as [string, [string, string][]];
    expect(Object.fromEntries(ids[1])['ip-family']).toBe('ip6');
  });

  it('a lost NB connection is reported once (the supervisor restarts the controller)', async () => {
    let broken = 0;
    await env.stopZone('w1');
    await env.startZone('w1', () => broken++);
    await env.servers.get('w1')!.stop();
    const end = Date.now() + 5000;
    while (broken === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    expect(broken).toBe(1);
    expect(env.logs.get('w1')!.some((l) => l.startsWith('E') && l.includes('Lost the connection to the OVN northbound database'))).toBe(
      true,
    );
    await env.stopZone('w1');
  });
});
