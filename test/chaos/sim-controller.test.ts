/**
 * The emulated Chaos Mesh controller on an in-memory store (no HTTP, no OVN): selection, effects,
 * status as Chaos Mesh writes it, duration, pause, delete + finalizer, Schedule.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryStore } from '../../sim/api/store.ts';
import { ResourceRegistry, builtinTypes, type ResourceType } from '../../sim/api/resources.ts';
import { ChaosMeshController, startChaosMesh } from '../../sim/chaos/controller.ts';
import type { KubeObject, NodeActions, SimContext, Stoppable } from '../../sim/types.ts';
import { filterPods } from '../../sim/chaos/select.ts';

const CR = (resource: string, kind: string): ResourceType => ({
  group: 'chaos-mesh.org',
  version: 'v1alpha1',
  resource,
  kind,
  listKind: `${kind}List`,
  singular: kind.toLowerCase(),
  namespaced: true,
  verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
  subresources: ['status'],
  strategicPatch: false,
});
const PODS = { group: '', version: 'v1', resource: 'pods' };
const gvr = (resource: string) => ({ group: 'chaos-mesh.org', version: 'v1alpha1', resource });

function pod(
  ns: string,
  name: string,
  node: string,
  labels: Record<string, string>,
  opts: { hostNetwork?: boolean; containers?: string[] } = {},
): KubeObject {
  const containers = opts.containers ?? ['ovnkube-controller', 'ovn-controller'];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels },
    spec: { nodeName: node, hostNetwork: opts.hostNetwork ?? false, containers: containers.map((c) => ({ name: c, image: 'x' })) },
    status: {
      phase: 'Running',
      conditions: [
        { type: 'Ready', status: 'True' },
        { type: 'ContainersReady', status: 'True' },
      ],
      containerStatuses: containers.map((c) => ({
        name: c,
        ready: true,
        restartCount: 0,
        state: { running: { startedAt: '2026-01-01T00:00:00Z' } },
      })),
    },
  };
}

const until = async (fn: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

const conds = (o: KubeObject | undefined) =>
  Object.fromEntries(
    (((o?.status ?? {}) as { conditions?: Array<{ type: string; status: string }> }).conditions ?? []).map((c) => [c.type, c.status]),
  );

describe('sim chaos-mesh controller', () => {
  let store: MemoryStore;
  let ctrl: Stoppable;
  const partitioned = new Set<string>();
  beforeEach(async () => {
    partitioned.clear();
    store = new MemoryStore(
      new ResourceRegistry([
        ...builtinTypes(),
        CR('podchaos', 'PodChaos'),
        CR('networkchaos', 'NetworkChaos'),
        CR('stresschaos', 'StressChaos'),
        CR('timechaos', 'TimeChaos'),
        CR('schedules', 'Schedule'),
      ]),
    );
    for (const ns of ['openshift-ovn-kubernetes', 'app'])
      store.create({ group: '', version: 'v1', resource: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    for (const n of ['worker-0', 'worker-1', 'worker-2']) {
      store.create(
        { group: '', version: 'v1', resource: 'nodes' },
        {
          apiVersion: 'v1',
          kind: 'Node',
          metadata: { name: n, labels: { 'node-role.kubernetes.io/worker': '', zone: n === 'worker-2' ? 'b' : 'a' } },
        },
      );
      store.create(PODS, pod('openshift-ovn-kubernetes', `ovnkube-node-${n}`, n, { app: 'ovnkube-node' }, { hostNetwork: true }));
    }
    for (let i = 0; i < 10; i++)
      store.create(
        PODS,
        pod('app', `web-${i}`, `worker-${i % 3}`, { app: 'web', tier: i < 5 ? 'front' : 'back' }, { containers: ['web'] }),
      );
    const nodeActions: NodeActions = {
      reboot: async () => {},
      stopKubelet: async () => {},
      startKubelet: async () => {},
      crash: async () => {},
      setPartitioned: (n, p) => (p ? partitioned.add(n) : partitioned.delete(n)),
      isReachable: (n) => !partitioned.has(n),
    };
    const ctx: SimContext = { store, workdir: '/tmp', nodes: [], ipStack: 'ipv4', speed: 1, log: () => {}, services: { nodeActions } };
    ctrl = await startChaosMesh(ctx);
  });
  afterEach(async () => ctrl.stop());

  const create = (
    resource: string,
    kind: string,
    name: string,
    spec: Record<string, unknown>,
    extra: Partial<KubeObject['metadata']> = {},
  ) =>
    store.create(gvr(resource), {
      apiVersion: 'chaos-mesh.org/v1alpha1',
      kind,
      metadata: { name, namespace: 'chaos-mesh', ...extra },
      spec,
    });
  const get = (resource: string, name: string) => store.get(gvr(resource), 'chaos-mesh', name);

  it('creates the chaos-mesh namespace and the chaos-controller-manager Deployment', () => {
    expect(store.get({ group: '', version: 'v1', resource: 'namespaces' }, undefined, 'chaos-mesh')).toBeDefined();
    expect(store.get({ group: 'apps', version: 'v1', resource: 'deployments' }, 'chaos-mesh', 'chaos-controller-manager')).toBeDefined();
    expect(ctrl).toBeInstanceOf(ChaosMeshController);
  });

  it('pod-kill deletes the selected ovnkube-node pod; AllInjected; delete -> AllRecovered, finalizer removed', async () => {
    create('podchaos', 'PodChaos', 'kill', {
      action: 'pod-kill',
      mode: 'one',
      selector: {
        namespaces: ['openshift-ovn-kubernetes'],
        labelSelectors: { app: 'ovnkube-node' },
        fieldSelectors: { 'spec.nodeName': 'worker-1' },
      },
    });
    await until(() => conds(get('podchaos', 'kill')).AllInjected === 'True');
    const o = get('podchaos', 'kill')!;
    expect(o.metadata.finalizers).toEqual(['chaos-mesh/records']);
    const exp = (o.status as { experiment: { desiredPhase: string; containerRecords: Array<Record<string, unknown>> } }).experiment;
    expect(exp.desiredPhase).toBe('Run');
    expect(exp.containerRecords).toMatchObject([
      {
        id: 'openshift-ovn-kubernetes/ovnkube-node-worker-1',
        selectorKey: '.',
        phase: 'Injected',
        injectedCount: 1,
        recoveredCount: 0,
        events: [{ type: 'Succeeded', operation: 'Apply' }],
      },
    ]);
    expect(conds(o)).toEqual({ Selected: 'True', AllInjected: 'True', AllRecovered: 'False', Paused: 'False' });
    expect(store.get(PODS, 'openshift-ovn-kubernetes', 'ovnkube-node-worker-1')).toBeUndefined();
    expect(store.get(PODS, 'openshift-ovn-kubernetes', 'ovnkube-node-worker-0')).toBeDefined();
    store.delete(gvr('podchaos'), 'chaos-mesh', 'kill');
    await until(() => get('podchaos', 'kill') === undefined);
    const reasons = store
      .list({ group: '', version: 'v1', resource: 'events' }, { namespace: 'chaos-mesh' })
      .filter((e) => (e.involvedObject as { name: string }).name === 'kill')
      .map((e) => e.reason);
    expect(reasons).toEqual(expect.arrayContaining(['FinalizerInited', 'Updated', 'Applied', 'Deleted', 'Recovered']));
  });

  it('container-kill restarts the container (restartCount + 1)', async () => {
    create('podchaos', 'PodChaos', 'ck', {
      action: 'container-kill',
      mode: 'one',
      containerNames: ['ovnkube-controller'],
      selector: { namespaces: ['openshift-ovn-kubernetes'], labelSelectors: { app: 'ovnkube-node' }, nodes: ['worker-2'] },
    });
    await until(() => conds(get('podchaos', 'ck')).AllInjected === 'True');
    const p = store.get(PODS, 'openshift-ovn-kubernetes', 'ovnkube-node-worker-2')!;
    const cs = (
      p.status as { containerStatuses: Array<{ name: string; restartCount: number; lastState?: { terminated?: { exitCode: number } } }> }
    ).containerStatuses;
    expect(cs.find((c) => c.name === 'ovnkube-controller')).toMatchObject({
      restartCount: 1,
      lastState: { terminated: { exitCode: 137 } },
    });
    expect(cs.find((c) => c.name === 'ovn-controller')?.restartCount).toBe(0);
    expect(
      (get('podchaos', 'ck')!.status as { experiment: { containerRecords: Array<{ id: string }> } }).experiment.containerRecords[0].id,
    ).toBe('openshift-ovn-kubernetes/ovnkube-node-worker-2/ovnkube-controller');
  });

  it('pod-failure fails the containers for the duration, then recovers (TimeUp)', async () => {
    create('podchaos', 'PodChaos', 'pf', {
      action: 'pod-failure',
      mode: 'all',
      duration: '1s',
      selector: {
        namespaces: ['app'],
        labelSelectors: { app: 'web' },
        expressionSelectors: [{ key: 'tier', operator: 'In', values: ['front'] }],
      },
    });
    await until(() => conds(get('podchaos', 'pf')).AllInjected === 'True');
    const ready = (n: string) =>
      (store.get(PODS, 'app', n)!.status as { conditions: Array<{ type: string; status: string }> }).conditions.find(
        (c) => c.type === 'Ready',
      )?.status;
    expect(ready('web-0')).toBe('False');
    expect(ready('web-7')).toBe('True');
    expect((get('podchaos', 'pf')!.status as { experiment: { containerRecords: unknown[] } }).experiment.containerRecords).toHaveLength(5);
    await until(() => conds(get('podchaos', 'pf')).AllRecovered === 'True', 4000);
    expect(ready('web-0')).toBe('True');
    expect((get('podchaos', 'pf')!.status as { experiment: { desiredPhase: string } }).experiment.desiredPhase).toBe('Stop');
  });

  it('partition cuts the node off (setPartitioned) and heals on delete', async () => {
    create('networkchaos', 'NetworkChaos', 'part', {
      action: 'partition',
      mode: 'one',
      direction: 'both',
      externalTargets: ['192.168.126.11'],
      selector: {
        namespaces: ['openshift-ovn-kubernetes'],
        labelSelectors: { app: 'ovnkube-node' },
        fieldSelectors: { 'spec.nodeName': 'worker-0' },
      },
    });
    await until(() => conds(get('networkchaos', 'part')).AllInjected === 'True');
    expect([...partitioned]).toEqual(['worker-0']);
    store.delete(gvr('networkchaos'), 'chaos-mesh', 'part');
    await until(() => get('networkchaos', 'part') === undefined);
    expect(partitioned.size).toBe(0);
  });

  it('pause annotation recovers and sets Paused; unpause re-injects', async () => {
    create('networkchaos', 'NetworkChaos', 'p2', {
      action: 'partition',
      mode: 'one',
      direction: 'both',
      externalTargets: ['1.1.1.1'],
      selector: { namespaces: ['openshift-ovn-kubernetes'], nodes: ['worker-1'] },
    });
    await until(() => conds(get('networkchaos', 'p2')).AllInjected === 'True');
    store.mutate(gvr('networkchaos'), 'chaos-mesh', 'p2', (o) => {
      o.metadata.annotations = { 'experiment.chaos-mesh.org/pause': 'true' };
    });
    await until(() => conds(get('networkchaos', 'p2')).Paused === 'True' && conds(get('networkchaos', 'p2')).AllRecovered === 'True');
    expect(partitioned.size).toBe(0);
    store.mutate(gvr('networkchaos'), 'chaos-mesh', 'p2', (o) => {
      o.metadata.annotations = {};
    });
    await until(() => conds(get('networkchaos', 'p2')).AllInjected === 'True');
    expect([...partitioned]).toEqual(['worker-1']);
    const rec = (
      get('networkchaos', 'p2')!.status as { experiment: { containerRecords: Array<{ injectedCount: number; recoveredCount: number }> } }
    ).experiment.containerRecords[0];
    expect(rec).toMatchObject({ injectedCount: 2, recoveredCount: 1 });
  });

  it('modes: fixed 3 of the web pods, nodeSelectors, stress and time are recorded', async () => {
    create('stresschaos', 'StressChaos', 's', {
      mode: 'fixed',
      value: '3',
      duration: '30s',
      stressors: { cpu: { workers: 1, load: 50 } },
      selector: { namespaces: ['app'], labelSelectors: { app: 'web' } },
    });
    create('timechaos', 'TimeChaos', 't', {
      mode: 'all',
      timeOffset: '-1m',
      duration: '30s',
      selector: { namespaces: ['app'], nodeSelectors: { zone: 'b' } },
    });
    await until(() => conds(get('stresschaos', 's')).AllInjected === 'True' && conds(get('timechaos', 't')).AllInjected === 'True');
    expect((get('stresschaos', 's')!.status as { experiment: { containerRecords: unknown[] } }).experiment.containerRecords).toHaveLength(
      3,
    );
    const ids = (
      get('timechaos', 't')!.status as { experiment: { containerRecords: Array<{ id: string }> } }
    ).experiment.containerRecords.map((r) => r.id);
    expect(ids).toEqual(['app/web-2/web', 'app/web-5/web', 'app/web-8/web']);
  });

  it('nothing selected -> Selected False and a Failed event', async () => {
    create('podchaos', 'PodChaos', 'none', {
      action: 'pod-kill',
      mode: 'one',
      selector: { namespaces: ['app'], labelSelectors: { app: 'nope' } },
    });
    await until(() =>
      store
        .list({ group: '', version: 'v1', resource: 'events' }, { namespace: 'chaos-mesh' })
        .some((e) => e.reason === 'Failed' && String(e.message).includes('no target has been selected')),
    );
    expect(conds(get('podchaos', 'none')).Selected).toBe('False');
  });

  it('a spec the webhook would refuse: Warning Failed event naming the field, status.failedMessage, nothing injected', async () => {
    create('podchaos', 'PodChaos', 'badval', { action: 'pod-kill', mode: 'fixed', value: '0', selector: { namespaces: ['app'] } });
    await until(() =>
      store
        .list({ group: '', version: 'v1', resource: 'events' }, { namespace: 'chaos-mesh' })
        .some((e) => e.reason === 'Failed' && String(e.message).includes('spec.value: Invalid value: "0"')),
    );
    expect((get('podchaos', 'badval')!.status as { failedMessage?: string }).failedMessage).toMatch(/spec.value/);
    expect(store.list(PODS, { namespace: 'app' })).toHaveLength(10);
    store.delete(gvr('podchaos'), 'chaos-mesh', 'badval');
    await until(() => get('podchaos', 'badval') === undefined);
  });

  it('Schedule resumed past startingDeadlineSeconds: MissSchedule, no child; then it runs on', async () => {
    store.create(gvr('schedules'), {
      apiVersion: 'chaos-mesh.org/v1alpha1',
      kind: 'Schedule',
      metadata: { name: 'late', namespace: 'chaos-mesh', annotations: { 'experiment.chaos-mesh.org/pause': 'true' } },
      spec: {
        schedule: '@every 1s',
        startingDeadlineSeconds: 1,
        type: 'StressChaos',
        historyLimit: 3,
        concurrencyPolicy: 'Allow',
        stressChaos: { mode: 'one', duration: '30s', stressors: { cpu: { workers: 1 } }, selector: { namespaces: ['app'] } },
      },
    });
    await new Promise((r) => setTimeout(r, 3500));
    expect(store.list(gvr('stresschaos'), { namespace: 'chaos-mesh', labelSelector: 'managed-by=late' })).toHaveLength(0);
    store.mutate(gvr('schedules'), 'chaos-mesh', 'late', (o) => {
      o.metadata.annotations = {};
    });
    await until(() =>
      store
        .list({ group: '', version: 'v1', resource: 'events' }, { namespace: 'chaos-mesh' })
        .some(
          (e) =>
            e.reason === 'MissSchedule' &&
            /^Missed scheduled time to start a job: \w{3}, \d{2} \w{3} \d{4} [\d:]{8} \+0000$/.test(String(e.message)),
        ),
    );
    await until(() => store.list(gvr('stresschaos'), { namespace: 'chaos-mesh', labelSelector: 'managed-by=late' }).length >= 1, 5000);
  });

  it('Schedule @every spawns children with managed-by, keeps historyLimit', async () => {
    store.create(gvr('schedules'), {
      apiVersion: 'chaos-mesh.org/v1alpha1',
      kind: 'Schedule',
      metadata: { name: 'sch', namespace: 'chaos-mesh' },
      spec: {
        schedule: '@every 1s',
        type: 'PodChaos',
        historyLimit: 2,
        concurrencyPolicy: 'Allow',
        podChaos: { action: 'pod-kill', mode: 'one', selector: { namespaces: ['app'], labelSelectors: { app: 'web' } } },
      },
    });
    await until(() => store.list(gvr('podchaos'), { namespace: 'chaos-mesh', labelSelector: 'managed-by=sch' }).length >= 2, 5000);
    await new Promise((r) => setTimeout(r, 1500));
    expect(store.list(gvr('podchaos'), { namespace: 'chaos-mesh', labelSelector: 'managed-by=sch' }).length).toBeLessThanOrEqual(2);
    const st = store.get(gvr('schedules'), 'chaos-mesh', 'sch')!.status as { time?: string };
    expect(st.time).toBeDefined();
    expect(store.list(PODS, { namespace: 'app' }).length).toBeLessThan(10);
  });
});

describe('filterPods', () => {
  it('pods map, annotation and phase selectors', () => {
    const a = pod('x', 'a', 'n1', { app: 'a' });
    const b = pod('x', 'b', 'n2', { app: 'a' });
    b.metadata.annotations = { k: 'v' };
    (b.status as { phase: string }).phase = 'Pending';
    expect(filterPods([a, b], [], { pods: { x: ['b'] } }, 'default').map((p) => p.metadata.name)).toEqual(['b']);
    expect(filterPods([a, b], [], { namespaces: ['x'], annotationSelectors: { k: 'v' } }, 'default').map((p) => p.metadata.name)).toEqual([
      'b',
    ]);
    expect(filterPods([a, b], [], { namespaces: ['x'], podPhaseSelectors: ['Running'] }, 'default').map((p) => p.metadata.name)).toEqual([
      'a',
    ]);
    expect(filterPods([a, b], [], {}, 'x')).toHaveLength(2);
    expect(filterPods([a, b], [], {}, 'default')).toHaveLength(0);
  });
});

describe('injectedChaos', () => {
  it('lists the injected records of a kind', async () => {
    const { injectedChaos } = await import('../../sim/chaos/controller.ts');
    const store = new MemoryStore(new ResourceRegistry([...builtinTypes(), CR('timechaos', 'TimeChaos')]));
    store.create({ group: '', version: 'v1', resource: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x' } });
    store.create(gvr('timechaos'), {
      apiVersion: 'chaos-mesh.org/v1alpha1',
      kind: 'TimeChaos',
      metadata: { name: 't', namespace: 'x' },
      spec: {},
      status: {
        experiment: {
          containerRecords: [
            { id: 'a/b/c', selectorKey: '.', phase: 'Injected', injectedCount: 1, recoveredCount: 0 },
            { id: 'a/d/c', selectorKey: '.', phase: 'Not Injected', injectedCount: 1, recoveredCount: 1 },
          ],
        },
      },
    });
    expect(injectedChaos(store, 'TimeChaos').map((x) => x.ids)).toEqual([['a/b/c']]);
  });
});
