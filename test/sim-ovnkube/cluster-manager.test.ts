import { afterEach, describe, expect, it } from 'vitest';
import { ClusterManager } from '../../sim/ovnkube/cluster-manager.ts';
import { FaultSwitch } from '../../sim/ovnkube/faults.ts';
import { GVR } from '../../sim/ovnkube/k8s.ts';
import type { NodeActions, SimContext } from '../../sim/types.ts';
import { eipObj, newStore } from './harness.ts';

const nodes = [
  { name: 'w1', role: 'worker' as const, id: 1 },
  { name: 'w2', role: 'worker' as const, id: 2 },
  { name: 'w3', role: 'worker' as const, id: 3 },
];

let cm: ClusterManager | undefined;
afterEach(async () => {
  await cm?.stop();
  cm = undefined;
});

function setup(egress = ['w1', 'w2']) {
  const store = newStore();
  const down = new Set<string>();
  const nodeActions = { isReachable: (n: string) => !down.has(n) } as unknown as NodeActions;
  const ctx: SimContext = { store, workdir: '/tmp', nodes, ipStack: 'ipv4', speed: 1000, log: () => undefined, services: { nodeActions } };
  for (const n of nodes)
    store.create(GVR.nodes, {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: n.name, labels: egress.includes(n.name) ? { 'k8s.ovn.org/egress-assignable': 'true' } : {} },
      status: { conditions: [{ type: 'Ready', status: 'True' }] },
    });
  store.create(GVR.namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
  const faults = new FaultSwitch();
  const logs: string[] = [];
  cm = new ClusterManager({ ctx, faults, log: (l) => logs.push(l), probeIntervalMs: 5000 });
  const status = (name: string) =>
    (store.get(GVR.egressips, undefined, name)?.status as { items?: { node: string; egressIP: string }[] } | undefined)?.items ?? [];
  const setReady = (n: string, ready: boolean) =>
    store.mutate(
      GVR.nodes,
      undefined,
      n,
      (o) => {
        o.status = { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] };
      },
      { subresource: 'status' },
    );
  return { store, down, faults, logs, cm, status, setReady, ctx };
}

const tick = () => new Promise((r) => setTimeout(r, 20));

describe('cluster-manager', () => {
  it('annotates nodes with the k8s.ovn.org annotations', async () => {
    const t = setup();
    await t.cm.start();
    const ann = t.store.get(GVR.nodes, undefined, 'w2')?.metadata.annotations ?? {};
    expect(ann['k8s.ovn.org/node-id']).toBe('2');
    expect(JSON.parse(ann['k8s.ovn.org/node-transit-switch-port-ifaddr'])).toEqual({ ipv4: '100.88.0.3/16' });
    expect(JSON.parse(ann['k8s.ovn.org/node-subnets'])).toEqual({ default: ['10.128.2.0/23'] });
    expect(JSON.parse(ann['k8s.ovn.org/node-primary-ifaddr'])).toEqual({ ipv4: '192.168.126.12/24' });
    expect(JSON.parse(ann['k8s.ovn.org/node-gateway-router-lrp-ifaddr'])).toEqual({ ipv4: '100.64.0.3/16' });
    expect(JSON.parse(ann['k8s.ovn.org/l3-gateway-config']).default['next-hops']).toEqual(['192.168.126.1']);
    expect(ann['k8s.ovn.org/node-chassis-id']).toBe('w2');
  });

  it('assigns, writes status.items, fails over on unreachable and NotReady with the upstream log lines', async () => {
    const t = setup();
    await t.cm.start();
    t.store.create(GVR.egressips, eipObj('e1', ['192.168.126.100'], 'prod'));
    await tick();
    await t.cm.idle();
    const first = t.status('e1');
    expect(first).toHaveLength(1);
    const n0 = first[0].node;
    t.down.add(n0);
    t.cm.probeAll();
    await t.cm.idle();
    expect(t.status('e1')[0].node).not.toBe(n0);
    expect(t.logs.some((l) => l.includes(`Node: ${n0} is detected as unreachable, deleting it from egress assignment`))).toBe(true);
    expect(t.logs.some((l) => l.includes(`Failed reachability check for ${n0}`))).toBe(true);
    const n1 = t.status('e1')[0].node;
    t.setReady(n1, false);
    await tick();
    await t.cm.idle();
    expect(t.status('e1')).toEqual([]); // n0 still unreachable, n1 NotReady
    expect(t.logs.some((l) => l.includes(`No assignable nodes found for EgressIP: e1`))).toBe(true);
    t.down.delete(n0);
    t.cm.probeAll();
    await t.cm.idle();
    expect(t.status('e1')[0].node).toBe(n0);
  });

  it('IP outside every node subnet: unassigned, error log and a Warning event', async () => {
    const t = setup();
    await t.cm.start();
    t.store.create(GVR.egressips, eipObj('bad', ['10.99.0.5'], 'prod'));
    await tick();
    await t.cm.idle();
    expect(t.status('bad')).toEqual([]);
    expect(t.logs.some((l) => l.startsWith('E') && l.includes('does not match any egress-assignable node subnet'))).toBe(true);
    const ev = t.store.list(GVR.events, { namespace: 'default' }).find((e) => (e.involvedObject as { name: string }).name === 'bad');
    expect(ev).toMatchObject({ reason: 'NoMatchingNodeFound', type: 'Warning' });
  });

  it('#13 eip-duplicate-assignment: two EgressIPs get the same IP; off heals', async () => {
    const t = setup();
    await t.cm.start();
    t.faults.setOne('eip-duplicate-assignment', 'on');
    t.store.create(GVR.egressips, {
      ...eipObj('e1', ['192.168.126.100'], 'prod'),
      metadata: { name: 'e1', creationTimestamp: '2026-11-21T10:00:00Z' },
    });
    t.store.create(GVR.egressips, { ...eipObj('e2', ['192.168.126.100'], 'prod'), metadata: { name: 'e2' } });
    await tick();
    await t.cm.idle();
    expect(t.status('e1')).toHaveLength(1);
    expect(t.status('e2')).toHaveLength(1);
    t.faults.setOne('eip-duplicate-assignment', 'off');
    await tick();
    await t.cm.idle();
    const held = [t.status('e1').length, t.status('e2').length].sort();
    expect(held).toEqual([0, 1]);
    expect(t.logs.some((l) => l.includes('is already assigned to EgressIP'))).toBe(true);
  });

  it('#14 eip-stays-unassigned: a node back to Ready is not used until the fault is off', async () => {
    const t = setup(['w1']);
    await t.cm.start();
    t.store.create(GVR.egressips, eipObj('e1', ['192.168.126.100'], 'prod'));
    await tick();
    await t.cm.idle();
    expect(t.status('e1')).toHaveLength(1);
    t.faults.setOne('eip-stays-unassigned', 'on');
    t.setReady('w1', false);
    await tick();
    await t.cm.idle();
    expect(t.status('e1')).toEqual([]);
    t.setReady('w1', true);
    await tick();
    await t.cm.idle();
    expect(t.status('e1')).toEqual([]);
    t.faults.setOne('eip-stays-unassigned', 'off');
    await tick();
    await t.cm.idle();
    expect(t.status('e1')).toEqual([{ node: 'w1', egressIP: '192.168.126.100' }]);
  });
});
