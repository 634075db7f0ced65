import { afterEach, describe, expect, it } from 'vitest';
import { GVR } from '../../sim/ovnkube/k8s.ts';
import { CrashLoopError } from '../../sim/ovnkube/zone-controller.ts';
import { FaultSwitch, FAULTS_CONFIGMAP, FAULTS_NAMESPACE } from '../../sim/ovnkube/faults.ts';
import { eipObj, eipSnats, makeEnv, nsObj, podObj, reroutes, setEipStatus, newStore, type Env } from './harness.ts';
import type { SimContext } from '../../sim/types.ts';

const nodes = [
  { name: 'w1', role: 'worker' as const, id: 1 },
  { name: 'w2', role: 'worker' as const, id: 2 },
  { name: 'w3', role: 'worker' as const, id: 3 },
];
const EIP = '192.168.126.100';
const EIP2 = '192.168.126.101';
const podIp = (i: number): string => `10.128.0.${10 + i}`;

let env: Env | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

async function setup(
  opts: { pods?: number; status?: { node: string; egressIP: string }[]; ips?: string[]; sel?: Record<string, unknown> } = {},
): Promise<Env> {
  const e = await makeEnv(nodes);
  e.store.create(GVR.namespaces, nsObj('prod'));
  for (let i = 0; i < (opts.pods ?? 3); i++) e.store.create(GVR.pods, podObj('prod', `web-${i}`, 'w1', podIp(i)));
  e.store.create(GVR.egressips, eipObj('eip-a', opts.ips ?? [EIP], 'prod', opts.status ?? [{ node: 'w2', egressIP: EIP }], opts.sel));
  for (const n of nodes) await e.startZone(n.name);
  await e.idle();
  env = e;
  return e;
}

const srv = (e: Env, n: string) => {
  const s = e.servers.get(n);
  if (!s) throw new Error(n);
  return s;
};
const logs = (e: Env, n: string): string[] => e.logs.get(n) ?? [];
const restartAll = async (e: Env): Promise<void> => {
  for (const n of nodes) await e.restartZone(n.name);
  await e.idle();
};

describe('fault library: symptoms appear, and heal when switched off + restart', () => {
  it('#1 eip-stale-snat-lrp-after-failover', async () => {
    const e = await setup();
    e.faults.setOne('eip-stale-snat-lrp-after-failover', 'on');
    await e.stopZone('w2'); // egress node reboots
    setEipStatus(e.store, 'eip-a', [{ node: 'w3', egressIP: EIP }]);
    await e.idle();
    await e.startZone('w2');
    await e.idle();
    expect(eipSnats(srv(e, 'w2'), 'GR_w2', EIP)).toHaveLength(3);
    expect(eipSnats(srv(e, 'w3'), 'GR_w3', EIP)).toHaveLength(3);
    expect(reroutes(srv(e, 'w1')).every((l) => l.includes('100.88.0.3') && l.includes('100.88.0.4'))).toBe(true);
    expect(logs(e, 'w2').some((l) => l.includes('syncStaleSNATRules'))).toBe(false);
    e.faults.setOne('eip-stale-snat-lrp-after-failover', 'off');
    await restartAll(e);
    expect(eipSnats(srv(e, 'w2'), 'GR_w2', EIP)).toHaveLength(0);
    expect(reroutes(srv(e, 'w1')).every((l) => !l.includes('100.88.0.3') && l.includes('100.88.0.4'))).toBe(true);
    expect(logs(e, 'w2').some((l) => l.includes('syncStaleSNATRules found NAT') && l.includes('with invalid logical port'))).toBe(true);
    expect(logs(e, 'w1').some((l) => l.includes('syncStaleEgressReroutePolicy will remove stale nexthops for LRP'))).toBe(true);
  });

  it('#2 eip-missing-pod-delete-on-restart', async () => {
    const e = await setup();
    e.faults.setOne('eip-missing-pod-delete-on-restart', 'on');
    await e.stopZone('w1');
    await e.stopZone('w2');
    e.store.delete(GVR.pods, 'prod', 'web-2');
    await e.startZone('w1');
    await e.startZone('w2');
    await e.idle();
    expect(reroutes(srv(e, 'w1')).some((l) => l.includes(podIp(2)))).toBe(true);
    expect(eipSnats(srv(e, 'w2'), 'GR_w2', EIP)).toHaveLength(3);
    e.faults.setOne('eip-missing-pod-delete-on-restart', 'off');
    await restartAll(e);
    expect(reroutes(srv(e, 'w1'))).toHaveLength(2);
    expect(eipSnats(srv(e, 'w2'), 'GR_w2', EIP)).toHaveLength(2);
    expect(logs(e, 'w1').some((l) => l.includes('syncStaleEgressReroutePolicy will delete'))).toBe(true);
  });

  it('#3 eip-pod-delete-ignored-after-cleanup: the leftover LRP follows the EgressIP', async () => {
    const e = await setup();
    e.faults.setOne('eip-pod-delete-ignored-after-cleanup', 'on');
    await restartAll(e);
    e.store.delete(GVR.pods, 'prod', 'web-1');
    await e.idle();
    setEipStatus(e.store, 'eip-a', [{ node: 'w3', egressIP: EIP }]);
    await e.idle();
    const l = reroutes(srv(e, 'w1'));
    expect(l).toHaveLength(3);
    expect(l.find((x) => x.includes(podIp(1)))).toMatch(/100\.88\.0\.4/);
    e.faults.setOne('eip-pod-delete-ignored-after-cleanup', 'off');
    await restartAll(e);
    expect(reroutes(srv(e, 'w1'))).toHaveLength(2);
  });

  it('#4 eip-stale-nexthop-deleted-node', async () => {
    const e = await setup();
    e.faults.setOne('eip-stale-nexthop-deleted-node', 'on');
    await e.stopZone('w2');
    e.store.delete(GVR.nodes, undefined, 'w2');
    setEipStatus(e.store, 'eip-a', [{ node: 'w3', egressIP: EIP }]);
    await e.idle();
    expect(reroutes(srv(e, 'w1')).every((l) => l.includes('100.88.0.3') && l.includes('100.88.0.4'))).toBe(true);
    e.faults.setOne('eip-stale-nexthop-deleted-node', 'off');
    await e.restartZone('w1');
    await e.idle();
    expect(reroutes(srv(e, 'w1')).every((l) => !l.includes('100.88.0.3'))).toBe(true);
  });

  it('#5 eip-valid-nexthops-removed-at-startup', async () => {
    const e = await setup();
    e.faults.setOne('eip-valid-nexthops-removed-at-startup', 'on');
    await e.restartZone('w1');
    await e.idle();
    expect(reroutes(srv(e, 'w1'))).toHaveLength(0);
    expect(logs(e, 'w1').some((l) => l.includes('syncStaleEgressReroutePolicy will delete'))).toBe(true);
    // a pod event re-adds that pod's LRP (the handler)
    e.store.mutate(GVR.pods, 'prod', 'web-0', (p) => {
      p.metadata.labels = { ...p.metadata.labels, touched: 'yes' };
    });
    await e.idle();
    expect(reroutes(srv(e, 'w1'))).toHaveLength(1);
    e.faults.setOne('eip-valid-nexthops-removed-at-startup', 'off');
    await e.restartZone('w1');
    await e.idle();
    expect(reroutes(srv(e, 'w1'))).toHaveLength(3);
  });

  it('#6 eip-overzealous-snat-delete', async () => {
    const e = await setup({
      ips: [EIP, EIP2],
      status: [
        { node: 'w2', egressIP: EIP },
        { node: 'w3', egressIP: EIP2 },
      ],
    });
    expect(eipSnats(srv(e, 'w2'), 'GR_w2', EIP)).toHaveLength(3);
    e.faults.setOne('eip-overzealous-snat-delete', 'on');
    setEipStatus(e.store, 'eip-a', [
      { node: 'w2', egressIP: EIP },
      { node: 'w1', egressIP: EIP2 },
    ]);
    await e.idle();
    expect(eipSnats(srv(e, 'w2'), 'GR_w2', EIP)).toHaveLength(0);
    expect(eipSnats(srv(e, 'w1'), 'GR_w1', EIP2)).toHaveLength(3);
    e.faults.setOne('eip-overzealous-snat-delete', 'off');
    await e.restartZone('w2');
    await e.idle();
    expect(eipSnats(srv(e, 'w2'), 'GR_w2', EIP)).toHaveLength(3);
  });

  it('#7 eip-duplicate-snat: duplicate rows and the multiple-results error', async () => {
    const e = await setup();
    e.faults.setOne('eip-duplicate-snat', 'on');
    e.store.create(GVR.pods, podObj('prod', 'web-9', 'w1', podIp(9)));
    await e.idle();
    expect(eipSnats(srv(e, 'w2'), 'GR_w2', EIP).filter((l) => l.includes(podIp(9)))).toHaveLength(2);
    e.store.delete(GVR.pods, 'prod', 'web-9');
    await e.idle();
    expect(eipSnats(srv(e, 'w2'), 'GR_w2', EIP).filter((l) => l.includes(podIp(9)))).toHaveLength(2);
    expect(logs(e, 'w2').some((l) => l.includes('unexpectedly found multiple results for provided predicate'))).toBe(true);
    e.faults.setOne('eip-duplicate-snat', 'off');
    await e.restartZone('w2');
    await e.idle();
    expect(eipSnats(srv(e, 'w2'), 'GR_w2', EIP)).toHaveLength(3);
  });

  it('#8 eip-completed-pods-programmed', async () => {
    const e = await setup();
    const complete = (name: string): void => {
      e.store.mutate(
        GVR.pods,
        'prod',
        name,
        (p) => {
          p.status = { ...p.status, phase: 'Succeeded' };
        },
        { subresource: 'status' },
      );
    };
    complete('web-0');
    await e.idle();
    expect(reroutes(srv(e, 'w1'))).toHaveLength(2); // fixed behaviour
    e.faults.setOne('eip-completed-pods-programmed', 'on');
    complete('web-1');
    await e.idle();
    expect(reroutes(srv(e, 'w1'))).toHaveLength(2);
    expect(reroutes(srv(e, 'w1')).some((l) => l.includes(podIp(1)))).toBe(true);
    e.faults.setOne('eip-completed-pods-programmed', 'off');
    await restartAll(e);
    expect(reroutes(srv(e, 'w1'))).toHaveLength(1);
  });

  it('#9 eip-stale-pod-ip-on-recreate', async () => {
    const e = await setup();
    e.faults.setOne('eip-stale-pod-ip-on-recreate', 'on');
    e.store.delete(GVR.pods, 'prod', 'web-0');
    await e.idle();
    e.store.create(GVR.pods, podObj('prod', 'web-0', 'w1', podIp(50)));
    await e.idle();
    expect(reroutes(srv(e, 'w1')).some((l) => l.includes(`${podIp(0)} `))).toBe(true);
    expect(reroutes(srv(e, 'w1')).some((l) => l.includes(podIp(50)))).toBe(false);
    expect(eipSnats(srv(e, 'w2'), 'GR_w2', EIP).some((l) => l.includes(podIp(50)))).toBe(false);
    e.faults.setOne('eip-stale-pod-ip-on-recreate', 'off');
    await restartAll(e);
    expect(reroutes(srv(e, 'w1')).some((l) => l.includes(podIp(50)))).toBe(true);
    expect(reroutes(srv(e, 'w1')).some((l) => l.includes(`${podIp(0)} `))).toBe(false);
  });

  it('#10 eip-notin-selector-leak', async () => {
    const e = await setup({ sel: { matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['dev'] }] } });
    expect(reroutes(srv(e, 'w1'))).toHaveLength(3);
    e.faults.setOne('eip-notin-selector-leak', 'on');
    e.store.delete(GVR.egressips, undefined, 'eip-a');
    await e.idle();
    expect(reroutes(srv(e, 'w1'))).toHaveLength(3);
    expect(eipSnats(srv(e, 'w2'), 'GR_w2', EIP)).toHaveLength(3);
    e.faults.setOne('eip-notin-selector-leak', 'off');
    await restartAll(e);
    expect(reroutes(srv(e, 'w1'))).toHaveLength(0);
    expect(eipSnats(srv(e, 'w2'), 'GR_w2', EIP)).toHaveLength(0);
    expect(logs(e, 'w1').some((l) => l.includes('because there are no existing nodes assigned to its EgressIP eip-a'))).toBe(true);
  });

  it('#16 legacy external_ids: written by an old ovnkube, not migrated under the fault, migrated after', async () => {
    const e = await setup();
    e.faults.setOne('ovnkube-legacy-external-ids', 'on');
    await restartAll(e);
    const legacy = (): number =>
      srv(e, 'w2').nbctl('--bare', '--columns=_uuid', 'find', 'nat', 'external_ids:name=eip-a').trim().split('\n').filter(Boolean).length;
    expect(legacy()).toBe(3);
    e.faults.setOne('ovnkube-legacy-external-ids', 'off');
    e.faults.setOne('eip-legacy-nats-not-migrated', 'on');
    await restartAll(e);
    expect(legacy()).toBe(3);
    e.faults.setOne('eip-legacy-nats-not-migrated', 'off');
    await restartAll(e);
    expect(legacy()).toBe(0);
    expect(eipSnats(srv(e, 'w2'), 'GR_w2', EIP)).toHaveLength(3);
    expect(logs(e, 'w2').some((l) => l.includes('Migrated 3 legacy EgressIP NATs'))).toBe(true);
  });

  it('ovnkube-controller-crashloop: start panics; switching off lets it start', async () => {
    const e = await setup();
    e.faults.setOne('ovnkube-controller-crashloop', '{"node":"w1"}');
    await e.stopZone('w1');
    await expect(e.startZone('w1')).rejects.toBeInstanceOf(CrashLoopError);
    expect(logs(e, 'w1').some((l) => l.startsWith('panic: runtime error'))).toBe(true);
    await e.startZone('w2').then(() => e.stopZone('w2')); // other nodes unaffected
    e.faults.setOne('ovnkube-controller-crashloop', 'off');
    await e.startZone('w1');
    await e.idle();
    expect(reroutes(srv(e, 'w1'))).toHaveLength(3);
  });
});

describe('fault switch through the Kubernetes API', () => {
  it('creates netharness/netharness-faults and follows its data', () => {
    const store = newStore();
    const ctx = { store, workdir: '/tmp', nodes: [], ipStack: 'ipv4', speed: 1, log: () => undefined, services: {} } as SimContext;
    const fs = FaultSwitch.bind(ctx);
    expect(store.get(GVR.configmaps, FAULTS_NAMESPACE, FAULTS_CONFIGMAP)).toBeDefined();
    const cat = store.get(GVR.configmaps, FAULTS_NAMESPACE, 'netharness-faults-catalogue')?.data as Record<string, string>;
    expect(JSON.parse(cat['eip-duplicate-snat'])).toMatchObject({ id: 'eip-duplicate-snat', failureClass: 'duplicate SNATs' });
    const seen: string[][] = [];
    fs.onChange((c) => seen.push([...c]));
    store.mutate(GVR.configmaps, FAULTS_NAMESPACE, FAULTS_CONFIGMAP, (cm) => {
      cm.data = { 'eip-duplicate-snat': 'on', 'stale-sb': '{"node":"worker-1"}' };
    });
    expect(fs.on('eip-duplicate-snat')).toBe(true);
    expect(fs.on('stale-sb', 'worker-1')).toBe(true);
    expect(fs.on('stale-sb', 'worker-2')).toBe(false);
    store.mutate(GVR.configmaps, FAULTS_NAMESPACE, FAULTS_CONFIGMAP, (cm) => {
      cm.data = { 'eip-duplicate-snat': 'off' };
    });
    expect(fs.on('eip-duplicate-snat')).toBe(false);
    expect(seen.length).toBe(2);
    fs.stop();
  });
});
