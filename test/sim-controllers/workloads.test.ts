import { afterEach, describe, expect, it } from 'vitest';
import { condition, DEPLOY, deployment, DS, events, pod, POD, RS, startTestSim, waitFor, type TestSim } from './harness.ts';
import type { KubeObject } from '../../sim/types.ts';

let sim: TestSim | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

const running = (s: TestSim, pred: (p: KubeObject) => boolean = () => true) =>
  s.store
    .list(POD)
    .filter((p) => pred(p) && p.status?.phase === 'Running' && !p.metadata.deletionTimestamp && condition(p, 'Ready')?.status === 'True');

const status = (o: KubeObject | undefined) => (o?.status ?? {}) as Record<string, number | undefined>;

describe('scheduler on the store', () => {
  it('binds, writes PodScheduled and the Scheduled event; unschedulable pods get the FitError and are retried', async () => {
    sim = await startTestSim();
    const s = sim;
    s.store.create(POD, pod('a'));
    s.store.create(POD, pod('b', { nodeSelector: { disktype: 'ssd' } }));
    const a = await waitFor(() => running(s).find((p) => p.metadata.name === 'a'), 'pod a running');
    expect((a.spec as { nodeName: string }).nodeName).toMatch(/^worker-/);
    expect(events(s.store, 'a').map((e) => e.reason)).toEqual(
      expect.arrayContaining(['Scheduled', 'AddedInterface', 'Pulled', 'Created', 'Started']),
    );
    const b = await waitFor(() => {
      const p = s.store.get(POD, 'default', 'b');
      return condition(p, 'PodScheduled')?.status === 'False' ? p : undefined;
    }, 'b unschedulable');
    expect(condition(b, 'PodScheduled')).toMatchObject({
      reason: 'Unschedulable',
      message:
        "0/6 nodes are available: 3 node(s) didn't match Pod's node affinity/selector, 3 node(s) had untolerated taint {node-role.kubernetes.io/master: }. preemption: 0/6 nodes are available: 6 Preemption is not helpful for scheduling.",
    });
    expect(events(s.store, 'b').find((e) => e.reason === 'FailedScheduling')).toBeTruthy();
    s.store.mutate({ group: '', version: 'v1', resource: 'nodes' }, undefined, 'worker-2', (n) => {
      n.metadata.labels = { ...n.metadata.labels, disktype: 'ssd' };
    });
    const b2 = await waitFor(() => running(s).find((p) => p.metadata.name === 'b'), 'b scheduled after the label');
    expect((b2.spec as { nodeName: string }).nodeName).toBe('worker-2');
    // cordon: the unschedulable taint appears, new pods avoid the node; uncordon removes it
    const NODES = { group: '', version: 'v1', resource: 'nodes' };
    s.store.mutate(NODES, undefined, 'worker-0', (n) => {
      (n.spec as Record<string, unknown>).unschedulable = true;
    });
    await waitFor(
      () =>
        ((s.store.get(NODES, undefined, 'worker-0')?.spec as { taints?: { key: string }[] }).taints ?? []).some(
          (t) => t.key === 'node.kubernetes.io/unschedulable',
        ),
      'unschedulable taint',
    );
    for (let i = 0; i < 4; i++) s.store.create(POD, pod(`c${i}`));
    await waitFor(() => running(s).filter((p) => p.metadata.name.startsWith('c')).length === 4, 'c pods running');
    expect(
      running(s)
        .filter((p) => p.metadata.name.startsWith('c'))
        .every((p) => (p.spec as { nodeName: string }).nodeName !== 'worker-0'),
    ).toBe(true);
    s.store.mutate(NODES, undefined, 'worker-0', (n) => {
      delete (n.spec as Record<string, unknown>).unschedulable;
    });
    await waitFor(
      () => !((s.store.get(NODES, undefined, 'worker-0')?.spec as { taints?: { key: string }[] }).taints ?? []).length,
      'taint removed',
    );
  });
});

describe('ReplicaSet and Deployment', () => {
  it('creates <deploy>-<hash> and pods <rs>-<5>, converges status, scales up and down', async () => {
    sim = await startTestSim();
    const s = sim;
    s.store.create(DEPLOY, deployment('web', 4));
    await waitFor(() => status(s.store.get(DEPLOY, 'default', 'web')).availableReplicas === 4, 'web available');
    const rss = s.store.list(RS, { namespace: 'default' });
    expect(rss).toHaveLength(1);
    const rs = rss[0];
    const hash = rs.metadata.labels?.['pod-template-hash'];
    expect(rs.metadata.name).toBe(`web-${hash}`);
    expect(rs.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'Deployment', name: 'web', controller: true, blockOwnerDeletion: true });
    expect(rs.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('1');
    const pods = running(s, (p) => p.metadata.labels?.app === 'web');
    expect(pods).toHaveLength(4);
    for (const p of pods) {
      expect(p.metadata.name).toMatch(new RegExp(`^web-${hash}-[bcdfghjklmnpqrstvwxz2456789]{5}$`));
      expect(p.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'ReplicaSet', name: rs.metadata.name, controller: true });
    }
    const d = s.store.get(DEPLOY, 'default', 'web');
    expect(status(d)).toMatchObject({ replicas: 4, readyReplicas: 4, availableReplicas: 4, updatedReplicas: 4, observedGeneration: 1 });
    expect(condition(d, 'Available')).toMatchObject({ status: 'True', reason: 'MinimumReplicasAvailable' });
    expect(condition(d, 'Progressing')).toMatchObject({ status: 'True', reason: 'NewReplicaSetAvailable' });
    expect(events(s.store, 'web').map((e) => e.message)).toContain(`Scaled up replica set web-${hash} to 4 from 0`);
    expect(events(s.store, rs.metadata.name).some((e) => /^Created pod: web-/.test(e.message))).toBe(true);

    s.store.mutate(DEPLOY, 'default', 'web', (o) => {
      (o.spec as { replicas: number }).replicas = 7;
    });
    await waitFor(
      () =>
        status(s.store.get(DEPLOY, 'default', 'web')).availableReplicas === 7 &&
        status(s.store.get(DEPLOY, 'default', 'web')).observedGeneration === 2,
      'scaled to 7',
    );
    s.store.mutate(DEPLOY, 'default', 'web', (o) => {
      (o.spec as { replicas: number }).replicas = 2;
    });
    await waitFor(
      () =>
        s.store.list(POD).filter((p) => p.metadata.labels?.app === 'web').length === 2 &&
        status(s.store.get(DEPLOY, 'default', 'web')).replicas === 2,
      'scaled to 2 (pods gone)',
    );
    expect(events(s.store, 'web').map((e) => e.message)).toContain(`Scaled down replica set web-${hash} to 2 from 7`);
  });

  it('rolls out a new template with RollingUpdate and keeps the old ReplicaSet at 0', async () => {
    sim = await startTestSim();
    const s = sim;
    s.store.create(DEPLOY, deployment('roll', 4));
    await waitFor(() => status(s.store.get(DEPLOY, 'default', 'roll')).availableReplicas === 4, 'roll available');
    const old = s.store.list(RS)[0].metadata.name;
    s.store.mutate(DEPLOY, 'default', 'roll', (o) => {
      const t = (o.spec as { template: { spec: { containers: { image: string }[] } } }).template;
      t.spec.containers[0].image = 'registry.k8s.io/pause:3.10';
    });
    await waitFor(() => {
      const d = s.store.get(DEPLOY, 'default', 'roll');
      const st = status(d);
      return (
        st.observedGeneration === 2 &&
        st.updatedReplicas === 4 &&
        st.availableReplicas === 4 &&
        st.replicas === 4 &&
        condition(d, 'Progressing')?.reason === 'NewReplicaSetAvailable'
      );
    }, 'rollout complete');
    const rss = s.store.list(RS);
    expect(rss).toHaveLength(2);
    const newRs = rss.find((r) => r.metadata.name !== old);
    expect(newRs?.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('2');
    expect((rss.find((r) => r.metadata.name === old)?.spec as { replicas: number }).replicas).toBe(0);
    await waitFor(
      () => s.store.list(POD).every((p) => p.metadata.labels?.['pod-template-hash'] === newRs?.metadata.labels?.['pod-template-hash']),
      'old pods gone',
    );
  });

  it('replaces a deleted pod (graceful deletion through the kubelet) and garbage-collects on delete', async () => {
    sim = await startTestSim();
    const s = sim;
    s.store.create(DEPLOY, deployment('gc', 3));
    await waitFor(() => status(s.store.get(DEPLOY, 'default', 'gc')).availableReplicas === 3, 'gc available');
    const victim = running(s)[0].metadata.name;
    s.store.delete(POD, 'default', victim);
    expect(s.store.get(POD, 'default', victim)?.metadata.deletionTimestamp).toBeTruthy();
    await waitFor(() => !s.store.get(POD, 'default', victim), 'victim removed by the kubelet');
    expect(events(s.store, victim).map((e) => e.reason)).toContain('Killing');
    await waitFor(() => running(s).length === 3, 'replacement running');
    s.store.delete(DEPLOY, 'default', 'gc');
    await waitFor(() => s.store.list(RS).length === 0 && s.store.list(POD).length === 0, 'rs and pods collected');
  });
});

describe('DaemonSet', () => {
  it('runs one pod per eligible node, honours tolerations, follows node additions and reports status', async () => {
    sim = await startTestSim();
    const s = sim;
    const ds = (name: string, tolerations?: unknown[]): KubeObject => ({
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name, namespace: 'default' },
      spec: {
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name } },
          spec: { containers: [{ name: 'c', image: 'registry.k8s.io/pause:3.9' }], ...(tolerations ? { tolerations } : {}) },
        },
      },
    });
    s.store.create(DS, ds('workers-only'));
    s.store.create(DS, ds('everywhere', [{ operator: 'Exists' }]));
    await waitFor(
      () =>
        status(s.store.get(DS, 'default', 'everywhere')).numberReady === 6 &&
        status(s.store.get(DS, 'default', 'workers-only')).numberReady === 3,
      'daemonsets ready',
    );
    expect(status(s.store.get(DS, 'default', 'everywhere'))).toMatchObject({
      desiredNumberScheduled: 6,
      currentNumberScheduled: 6,
      numberReady: 6,
      numberAvailable: 6,
      updatedNumberScheduled: 6,
      numberMisscheduled: 0,
      observedGeneration: 1,
    });
    const pods = running(s, (p) => p.metadata.labels?.app === 'everywhere');
    expect(new Set(pods.map((p) => (p.spec as { nodeName: string }).nodeName)).size).toBe(6);
    for (const p of pods) {
      expect(p.metadata.name).toMatch(/^everywhere-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
      expect(p.metadata.labels?.['controller-revision-hash']).toBeTruthy();
    }
    const workerPods = running(s, (p) => p.metadata.labels?.app === 'workers-only');
    expect(workerPods.map((p) => (p.spec as { nodeName: string }).nodeName).sort()).toEqual(['worker-0', 'worker-1', 'worker-2']);
    // a deleted daemon pod comes back on the same node
    const gone = workerPods[0];
    s.store.delete(POD, 'default', gone.metadata.name);
    await waitFor(
      () =>
        running(
          s,
          (p) =>
            p.metadata.labels?.app === 'workers-only' &&
            (p.spec as { nodeName: string }).nodeName === (gone.spec as { nodeName: string }).nodeName &&
            p.metadata.name !== gone.metadata.name,
        )[0],
      'daemon pod recreated',
    );
  });
});
