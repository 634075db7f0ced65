/**
 * Chaos end to end on the embedded cluster: `kubectl apply -f -` of every rendered template shows
 * AllInjected then AllRecovered, with the effect visible; the injector (client-node over the
 * kubeconfig) does the same and records what happened; the preflight and bad manifests give clear
 * errors. Target pods are made here (ns chaos-e2e, app=e2e; the sim's kubelet runs them); the last
 * suites act on the real ovnkube-node pods (DaemonSet recreates them) and move an EgressIP with a
 * partition of its egress node.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type RunningCluster } from '../../sim/cluster.ts';
import { defaultNodes } from '../../sim/topology.ts';
import type { KubeObject } from '../../sim/types.ts';
import { kubectlBin } from '../sim-api/helpers.ts';
import { renderSchedule, renderTemplate } from '../../harness/chaos/templates.ts';
import { injectChaos, preflightChaosMesh, runSchedule, type ChaosEventInput } from '../../harness/chaos/injector.ts';
import { connect, type Cluster } from '../../harness/cluster/connect.ts';
import { InfraError } from '../../harness/errors.ts';
import { tempDir } from '../support/tmp.ts';

const NS = 'chaos-e2e';
const PODS = { group: '', version: 'v1', resource: 'pods' };
let sim: RunningCluster;
let cluster: Cluster;
let dir: string;

function kubectl(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      kubectlBin(),
      args,
      { env: { ...process.env, KUBECONFIG: sim.kubeconfigPath, HOME: dir, KUBECACHEDIR: join(dir, 'kc') }, timeout: 60_000 },
      (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: unknown }).code as number) || 1 : 0, stdout: String(stdout), stderr: String(stderr) });
      },
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

async function ok(args: string[], input?: string): Promise<string> {
  const r = await kubectl(args, input);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

function targetPod(name: string, node: string, hostNetwork = false): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS, labels: { app: 'e2e', role: hostNetwork ? 'host' : 'web' } },
    spec: {
      nodeName: node,
      hostNetwork,
      containers: [
        { name: 'ovnkube-controller', image: 'quay.io/example/server:1' },
        { name: 'side', image: 'quay.io/example/server:1' },
      ],
    },
  };
}

const stored = (name: string) => sim.store.get(PODS, NS, name);
const restarts = (name: string, container: string) =>
  (
    (stored(name)?.status as { containerStatuses?: Array<{ name: string; restartCount: number }> } | undefined)?.containerStatuses ?? []
  ).find((c) => c.name === container)?.restartCount;

async function until(fn: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  dir = tempDir('nh-chaos-e2e-');
  sim = await startCluster({ workdir: dir, nodes: defaultNodes(1, 2), speed: 20, log: () => {} });
  cluster = connect({ kubeconfig: sim.kubeconfigPath });
  await ok(['create', 'namespace', NS]);
  for (const [name, node, host] of [
    ['web-0', 'worker-0', false],
    ['web-1', 'worker-1', false],
    ['host-0', 'worker-0', true],
    ['host-1', 'worker-1', true],
  ] as const)
    sim.store.create(PODS, targetPod(name, node, host));
  await until(() => restarts('web-0', 'ovnkube-controller') === 0 && restarts('host-1', 'side') === 0, 30_000);
}, 120_000);

afterAll(async () => {
  await sim?.stop();
});

const apply = (yaml: string) => ok(['apply', '-f', '-'], yaml);
const waitCond = (res: string, name: string, cond: string, timeout = '30s') =>
  ok(['wait', '-n', 'chaos-mesh', `--for=condition=${cond}`, `--timeout=${timeout}`, `${res}/${name}`]);
const getJson = async (res: string, name: string) =>
  JSON.parse(await ok(['get', '-n', 'chaos-mesh', res, name, '-o', 'json'])) as KubeObject;

describe('kubectl apply of rendered templates on the embedded cluster', () => {
  it('pod-kill: AllInjected, the pod is gone; delete -> recovered and the finalizer released', async () => {
    const r = renderTemplate('pod-kill', { name: 'e2e-pod-kill', targetNamespace: NS, app: 'e2e', node: 'worker-1' });
    expect(await apply(r.yaml)).toMatch(/podchaos.chaos-mesh.org\/e2e-pod-kill created/);
    await waitCond('podchaos', 'e2e-pod-kill', 'AllInjected');
    const o = await getJson('podchaos', 'e2e-pod-kill');
    const ids = (o.status as { experiment: { containerRecords: Array<{ id: string }> } }).experiment.containerRecords.map((x) => x.id);
    expect(ids).toHaveLength(1);
    expect(ids[0]).toMatch(/^chaos-e2e\/(web|host)-1$/);
    const victim = ids[0].split('/')[1];
    await until(() => !stored(victim) || stored(victim)?.metadata.uid !== undefined);
    expect(o.metadata.finalizers).toEqual(['chaos-mesh/records']);
    await ok(['delete', '-n', 'chaos-mesh', 'podchaos', 'e2e-pod-kill', '--wait=true', '--timeout=30s']);
    expect((await kubectl(['get', '-n', 'chaos-mesh', 'podchaos', 'e2e-pod-kill'])).code).not.toBe(0);
    const ev = await ok([
      'get',
      'events',
      '-n',
      'chaos-mesh',
      '--field-selector',
      'involvedObject.name=e2e-pod-kill',
      '-o',
      'jsonpath={.items[*].reason}',
    ]);
    expect(ev.split(' ')).toEqual(expect.arrayContaining(['Applied', 'Deleted', 'Recovered']));
    // recreate the victim for the next tests
    if (!stored(victim)) sim.store.create(PODS, targetPod(victim, 'worker-1', victim.startsWith('host')));
  });

  it('container-kill: restartCount + 1 on ovnkube-controller only', async () => {
    const before = restarts('web-0', 'ovnkube-controller') ?? 0;
    const side = restarts('web-0', 'side') ?? 0;
    await apply(renderTemplate('container-kill', { name: 'e2e-ck', targetNamespace: NS, app: 'e2e', node: 'worker-0', mode: 'all' }).yaml);
    await waitCond('podchaos', 'e2e-ck', 'AllInjected');
    await until(() => (restarts('web-0', 'ovnkube-controller') ?? 0) === before + 1);
    expect(restarts('web-0', 'side')).toBe(side);
    await ok(['delete', '-n', 'chaos-mesh', 'podchaos', 'e2e-ck', '--timeout=30s']);
  });

  it('pod-failure: not Ready for the duration, AllRecovered after it', async () => {
    await apply(
      renderTemplate('pod-failure', { name: 'e2e-pf', targetNamespace: NS, app: 'e2e', node: 'worker-0', mode: 'all', duration: '8s' })
        .yaml,
    );
    await waitCond('podchaos', 'e2e-pf', 'AllInjected');
    const ready = () =>
      ((stored('web-0')?.status as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions ?? []).find(
        (c) => c.type === 'Ready',
      )?.status;
    await until(() => ready() === 'False', 5000);
    await waitCond('podchaos', 'e2e-pf', 'AllRecovered', '20s');
    await until(() => ready() === 'True', 10_000);
    await ok(['delete', '-n', 'chaos-mesh', 'podchaos', 'e2e-pf']);
  });

  it('network-partition: the node is cut off, then healed after the duration', async () => {
    const na = sim.ctx.services.nodeActions!;
    await apply(
      renderTemplate('network-partition', {
        name: 'e2e-part',
        targetNamespace: NS,
        app: 'e2e',
        node: 'worker-1',
        duration: '8s',
        externalTargets: ['192.168.126.11', '192.168.126.12'],
      }).yaml.replace('labelSelectors:\n      app: e2e', 'labelSelectors:\n      app: e2e\n      role: host'),
    );
    await waitCond('networkchaos', 'e2e-part', 'AllInjected');
    expect(na.isReachable('worker-1')).toBe(false);
    expect(na.isReachable('worker-0')).toBe(true);
    await waitCond('networkchaos', 'e2e-part', 'AllRecovered', '20s');
    await until(() => na.isReachable('worker-1'), 15_000);
    await ok(['delete', '-n', 'chaos-mesh', 'networkchaos', 'e2e-part']);
  });

  it.each([
    ['network-delay', 'networkchaos', { latency: '50ms' }],
    ['network-loss', 'networkchaos', { loss: '10' }],
    ['stress-cpu', 'stresschaos', {}],
    ['time-offset', 'timechaos', {}],
  ] as const)('%s: recorded AllInjected then AllRecovered', async (id, res, extra) => {
    const name = `e2e-${id}`;
    await apply(renderTemplate(id, { name, targetNamespace: NS, app: 'e2e', duration: '5s', ...extra }).yaml);
    await waitCond(res, name, 'AllInjected');
    await waitCond(res, name, 'AllRecovered', '20s');
    const o = await getJson(res, name);
    expect((o.status as { experiment: { desiredPhase: string } }).experiment.desiredPhase).toBe('Stop');
    await ok(['delete', '-n', 'chaos-mesh', res, name]);
  });

  it('schedule: spawns PodChaos children on @every', async () => {
    const inner = renderTemplate('container-kill', { name: 'e2e-sck', targetNamespace: NS, app: 'e2e', node: 'worker-0' });
    await apply(renderSchedule(inner, { name: 'e2e-schedule', schedule: '@every 1s', historyLimit: 2, concurrencyPolicy: 'Allow' }).yaml);
    await until(
      async () =>
        (await ok(['get', 'podchaos', '-n', 'chaos-mesh', '-l', 'managed-by=e2e-schedule', '-o', 'name']))
          .trim()
          .split('\n')
          .filter(Boolean).length >= 2,
      10_000,
    );
    const sched = await getJson('schedules', 'e2e-schedule');
    expect((sched.status as { time?: string }).time).toBeTruthy();
    await ok(['delete', '-n', 'chaos-mesh', 'schedules', 'e2e-schedule']);
    for (const n of (await ok(['get', 'podchaos', '-n', 'chaos-mesh', '-l', 'managed-by=e2e-schedule', '-o', 'name']))
      .trim()
      .split('\n')
      .filter(Boolean))
      await ok(['delete', '-n', 'chaos-mesh', n, '--ignore-not-found']);
  });

  it('an invalid manifest is refused by the API with the field named', async () => {
    const r = await kubectl(
      ['apply', '-f', '-'],
      'apiVersion: chaos-mesh.org/v1alpha1\nkind: PodChaos\nmetadata: {name: bad, namespace: chaos-mesh}\nspec: {action: pod-explode, mode: one, selector: {}}\n',
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/spec.action/);
  });
});

describe('injector over the kubeconfig', () => {
  it('pod-failure with a duration: AllInjected, AllRecovered, recorded with targets and events', async () => {
    const recorded: ChaosEventInput[] = [];
    const res = await injectChaos(
      cluster,
      renderTemplate('pod-failure', { name: 'inj-pf', targetNamespace: NS, app: 'e2e', node: 'worker-0', duration: '2s', mode: 'all' }),
      { recorder: (e) => recorded.push(e) },
    );
    expect(res.targets.sort()).toEqual(['chaos-e2e/host-0', 'chaos-e2e/web-0']);
    // injectedAt/recoveredAt are when the poller saw the conditions (late under load), and Chaos Mesh
    // counts `duration` from creationTimestamp, which metav1.Time truncates to the second. So the robust
    // bound on the 2 s duration is apply -> observed recovery >= 2 s - 1 s.
    expect(Date.parse(res.recoveredAt) - Date.parse(res.appliedAt)).toBeGreaterThanOrEqual(1000);
    expect(res.injectedMs).toBeGreaterThan(0);
    expect(res.injectedMs).toBeLessThan(10_000);
    expect(res.events.map((e) => e.reason)).toEqual(expect.arrayContaining(['Started', 'Applied', 'TimeUp', 'Recovered']));
    expect(recorded.map((e) => e.kind)).toEqual(['chaos-inject', 'chaos-recover']);
    expect(recorded[1].details).toMatchObject({ chaosKind: 'PodChaos', name: 'inj-pf' });
    expect((await kubectl(['get', '-n', 'chaos-mesh', 'podchaos', 'inj-pf'])).code).not.toBe(0);
  });

  it('one-shot container-kill: held, deleted, recovered', async () => {
    const res = await injectChaos(
      cluster,
      renderTemplate('container-kill', { name: 'inj-ck', targetNamespace: NS, app: 'e2e', node: 'worker-1' }),
      { holdMs: 300 },
    );
    expect(res.targets).toHaveLength(1);
    expect(res.deletedAt).toBeDefined();
    expect(Date.parse(res.recoveredAt)).toBeGreaterThanOrEqual(Date.parse(res.injectedAt));
  });

  it('runSchedule: container-kill @every 1s spawns children that inject; delete removes them all', async () => {
    const before = restarts('web-1', 'ovnkube-controller') ?? 0;
    const sched = renderSchedule(
      renderTemplate('container-kill', { name: 'inj-sck', targetNamespace: NS, app: 'e2e', node: 'worker-1', mode: 'all' }),
      { name: 'inj-sched', schedule: '@every 1s', historyLimit: 5, concurrencyPolicy: 'Allow' },
    );
    const recorded: ChaosEventInput[] = [];
    const res = await runSchedule(cluster, sched, { holdMs: 3500, recorder: (e) => recorded.push(e) });
    expect(res.spawned.length).toBeGreaterThanOrEqual(2);
    expect(res.injected.length).toBeGreaterThanOrEqual(2);
    expect((restarts('web-1', 'ovnkube-controller') ?? 0) - before).toBeGreaterThanOrEqual(2);
    expect(recorded.map((e) => (e.details as { phase: string }).phase)).toEqual(['applied', 'removed']);
    expect((await ok(['get', 'podchaos', '-n', 'chaos-mesh', '-l', 'managed-by=inj-sched', '-o', 'name'])).trim()).toBe('');
  }, 60_000);

  it('nothing selected: InfraError naming the condition and the controller message', async () => {
    const err = await injectChaos(
      cluster,
      renderTemplate('pod-kill', { name: 'inj-none', targetNamespace: NS, app: 'nothing-here', node: 'worker-0' }),
      { injectTimeoutMs: 1500, skipPreflight: true },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InfraError);
    expect((err as Error).message).toMatch(/timed out .* waiting for Selected.*no target has been selected/);
    expect((await kubectl(['get', '-n', 'chaos-mesh', 'podchaos', 'inj-none'])).code).not.toBe(0);
  });

  it('preflight passes: CRDs there, chaos-controller-manager Running (a Deployment the sim runs)', async () => {
    await expect(preflightChaosMesh(cluster)).resolves.toBeUndefined();
  });
});

describe('effects on the OVN-Kubernetes pods of the embedded cluster', () => {
  const OVN = 'openshift-ovn-kubernetes';
  const ovnkubeOn = (node: string) =>
    sim.store
      .list(PODS, { namespace: OVN })
      .find(
        (p) =>
          p.metadata.labels?.app === 'ovnkube-node' && (p.spec as { nodeName?: string }).nodeName === node && !p.metadata.deletionTimestamp,
      );
  const ready = (p: KubeObject | undefined) =>
    ((p?.status as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions ?? []).some(
      (c) => c.type === 'Ready' && c.status === 'True',
    );

  it('pod-kill of ovnkube-node: its DaemonSet recreates it (new uid, Ready)', async () => {
    await until(() => ready(ovnkubeOn('worker-1')), 30_000);
    const old = ovnkubeOn('worker-1')!;
    const res = await injectChaos(cluster, renderTemplate('pod-kill', { name: 'e2e-ovnk-kill', node: 'worker-1' }), {});
    expect(res.targets).toEqual([`${OVN}/${old.metadata.name}`]);
    await until(() => {
      const cur = ovnkubeOn('worker-1');
      return !!cur && cur.metadata.uid !== old.metadata.uid && ready(cur);
    }, 30_000);
  }, 60_000);

  it('partition of the egress node: the EgressIP moves to the other egress node, and can come back', async () => {
    const EIP = { group: 'k8s.ovn.org', version: 'v1', resource: 'egressips' };
    for (const n of ['worker-0', 'worker-1']) await ok(['label', 'node', n, 'k8s.ovn.org/egress-assignable=', '--overwrite']);
    await ok(['create', 'namespace', 'eip-e2e']);
    await ok(['run', 'client', '-n', 'eip-e2e', '--image', 'registry.k8s.io/pause:3.10', '--labels', 'app=client']);
    const { pickFreeEgressIPs } = await import('../../harness/checks/egressip/free-ips.ts');
    const nodes = (await cluster.core.listNode()).items;
    const [ip] = pickFreeEgressIPs(nodes, [], 1, 'v4');
    await apply(
      `apiVersion: k8s.ovn.org/v1\nkind: EgressIP\nmetadata: {name: e2e-eip}\nspec:\n  egressIPs: ["${ip}"]\n  namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: eip-e2e}}\n  podSelector: {matchLabels: {app: client}}\n`,
    );
    const holder = () =>
      ((sim.store.get(EIP, undefined, 'e2e-eip')?.status as { items?: Array<{ node: string }> } | undefined)?.items ?? []).map(
        (x) => x.node,
      );
    await until(() => holder().length === 1, 30_000);
    const from = holder()[0];
    const to = from === 'worker-0' ? 'worker-1' : 'worker-0';
    const others = nodes
      .filter((n) => n.metadata?.name !== from)
      .flatMap((n) => (n.status?.addresses ?? []).filter((a) => a.type === 'InternalIP').map((a) => a.address));
    const t0 = Date.now();
    await apply(
      renderTemplate('network-partition', {
        name: 'e2e-eip-part',
        node: from,
        duration: '20s',
        externalTargets: [...others, new URL(sim.server).hostname],
      }).yaml,
    );
    await waitCond('networkchaos', 'e2e-eip-part', 'AllInjected');
    await until(() => holder()[0] === to, 30_000);
    const failoverMs = Date.now() - t0;
    expect(failoverMs).toBeLessThan(30_000);
    await ok(['delete', '-n', 'chaos-mesh', 'networkchaos', 'e2e-eip-part', '--timeout=30s']);
    await until(() => sim.ctx.services.nodeActions!.isReachable(from), 15_000);
    await ok(['delete', 'egressip', 'e2e-eip']);
  }, 120_000);
});

describe('preflight on a cluster without Chaos Mesh running', () => {
  it('InfraError with the OpenShift install steps', async () => {
    const d = tempDir('nh-chaos-pre-');
    const bare = await startCluster({ workdir: d, apiOnly: true, log: () => {} });
    try {
      const err = await preflightChaosMesh(connect({ kubeconfig: bare.kubeconfigPath })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InfraError);
      expect((err as InfraError).message).toMatch(/no chaos-controller-manager pod runs in ns chaos-mesh/);
      expect((err as InfraError).hint).toContain(
        'helm install chaos-mesh chaos-mesh/chaos-mesh -n chaos-mesh --create-namespace --set chaosDaemon.runtime=crio --set chaosDaemon.socketPath=/var/run/crio/crio.sock',
      );
      expect((err as InfraError).hint).toContain('oc adm policy add-scc-to-user privileged -z chaos-daemon -n chaos-mesh');
    } finally {
      await bare.stop();
    }
  });
});
