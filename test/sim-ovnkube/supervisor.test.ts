import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ovnkube } from '../../sim/ovnkube/index.ts';
import { GVR } from '../../sim/ovnkube/k8s.ts';
import { connectNb } from '../../sim/ovnkube/nb-conn.ts';
import type { KubeObject } from '../../sim/types.ts';
import { makeEnv, type Env } from './harness.ts';

const nodes = [
  { name: 'w1', role: 'worker' as const, id: 1 },
  { name: 'w2', role: 'worker' as const, id: 2 },
];

function ovnkubeNode(node: string, restartCount: number, running = true): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `ovnkube-node-${node}`, namespace: 'openshift-ovn-kubernetes', labels: { app: 'ovnkube-node' } },
    spec: { nodeName: node, containers: [{ name: 'ovnkube-controller', image: 'x' }] },
    status: {
      phase: running ? 'Running' : 'Pending',
      containerStatuses: [
        {
          name: 'ovnkube-controller',
          restartCount,
          ready: running,
          state: running ? { running: { startedAt: 'x' } } : { waiting: { reason: 'ContainerCreating' } },
        },
      ],
    },
  };
}

const until = async (fn: () => boolean, ms = 5000): Promise<void> => {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('Ovnkube part: supervises zone controllers by ovnkube-node pods', () => {
  let env: Env;
  let ok: Ovnkube;
  beforeAll(async () => {
    env = await makeEnv(nodes);
    env.store.create(GVR.namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'openshift-ovn-kubernetes' } });
    env.store.create(GVR.pods, ovnkubeNode('w1', 0));
    ok = await Ovnkube.start(env.ctx, { connect: (n) => connectNb(env.servers.get(n)?.sock ?? '', 5000), podlessGraceMs: 200 });
  });
  afterAll(async () => {
    await ok?.stop();
    await env?.close();
  });

  const starts = (n: string) => ok.zones.get(n)?.logs.filter((l) => l.includes('Starting ovnkube-controller in zone')).length ?? 0;

  it('starts the zone of a Running ovnkube-node pod, and pod-less zones after the grace period', async () => {
    await until(() => !!ok.zones.get('w1')?.ctrl);
    expect(env.servers.get('w1')?.nbctl('ls-list')).toContain('transit_switch');
    await until(() => !!ok.zones.get('w2')?.ctrl);
    expect(ok.cm).toBeDefined();
  });

  it('restarts on a restartCount change and stops when the pod is not Running', async () => {
    const before = starts('w1');
    env.store.mutate(
      GVR.pods,
      'openshift-ovn-kubernetes',
      'ovnkube-node-w1',
      (p) => {
        p.status = ovnkubeNode('w1', 1).status;
      },
      { subresource: 'status' },
    );
    await until(() => starts('w1') === before + 1);
    env.store.mutate(
      GVR.pods,
      'openshift-ovn-kubernetes',
      'ovnkube-node-w1',
      (p) => {
        p.status = ovnkubeNode('w1', 1, false).status;
      },
      { subresource: 'status' },
    );
    await until(() => !ok.zones.get('w1')?.ctrl);
    expect(ok.zones.get('w1')?.logs.some((l) => l.includes('Stopping ovnkube-controller in zone w1'))).toBe(true);
  });

  it('crashloop fault: the start panics and the container is shown in CrashLoopBackOff', async () => {
    ok.faults.setOne('ovnkube-controller-crashloop', '{"node":"w1"}');
    env.store.mutate(
      GVR.pods,
      'openshift-ovn-kubernetes',
      'ovnkube-node-w1',
      (p) => {
        p.status = ovnkubeNode('w1', 2).status;
      },
      { subresource: 'status' },
    );
    const waiting = () =>
      (
        env.store.get(GVR.pods, 'openshift-ovn-kubernetes', 'ovnkube-node-w1')?.status as {
          containerStatuses: { state: { waiting?: { reason: string } } }[];
        }
      ).containerStatuses[0].state.waiting?.reason;
    await until(() => waiting() === 'CrashLoopBackOff');
    expect(ok.zones.get('w1')?.logs.some((l) => l.startsWith('panic:'))).toBe(true);
    ok.faults.setOne('ovnkube-controller-crashloop', 'off');
    await until(() => !!ok.zones.get('w1')?.ctrl);
  });
});
