/**
 * Node actions through the privileged debug pod, over the kubeconfig of an embedded cluster (the
 * sim's kubelet turns the pod's `chroot /host systemctl ...` into its NodeActions): reboot times the
 * NotReady -> Ready cycle and changes the boot id; a kubelet stop with restart comes back; a NotReady
 * timeout is an InfraError saying what to check; the debug pod is cleaned up.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type RunningCluster } from '../../sim/cluster.ts';
import { defaultNodes } from '../../sim/topology.ts';
import { connect, type Cluster } from '../../harness/cluster/connect.ts';
import { crashNode, debugPodManifest, nodeActionCommand, rebootNode, stopKubelet } from '../../harness/chaos/node-actions.ts';
import { InfraError, UsageError } from '../../harness/errors.ts';
import type { ChaosEventInput } from '../../harness/chaos/injector.ts';
import { tempDir } from '../support/tmp.ts';

describe('debug pod manifest', () => {
  it('is what oc debug node creates: pinned, privileged, host namespaces, / at /host, tolerates all', () => {
    const p = debugPodManifest('worker-1', 'reboot', { image: 'img' });
    expect(p.spec).toMatchObject({
      nodeName: 'worker-1',
      hostPID: true,
      hostNetwork: true,
      restartPolicy: 'Never',
      tolerations: [{ operator: 'Exists' }],
      volumes: [{ name: 'host', hostPath: { path: '/' } }],
    });
    expect(p.spec?.containers[0]).toMatchObject({
      image: 'img',
      command: ['chroot', '/host', 'systemctl', 'reboot'],
      securityContext: { privileged: true },
      volumeMounts: [{ name: 'host', mountPath: '/host' }],
    });
    expect(debugPodManifest('w', 'crash').spec?.containers[0].image).toBe('registry.redhat.io/rhel9/support-tools');
  });
  it('commands', () => {
    expect(nodeActionCommand('stop-kubelet')).toEqual(['chroot', '/host', 'systemctl', 'stop', 'kubelet']);
    expect(nodeActionCommand('stop-kubelet', { restartAfterMs: 3000 })).toEqual([
      'chroot',
      '/host',
      'sh',
      '-c',
      'systemctl stop kubelet; sleep 3; systemctl start kubelet',
    ]);
    expect(nodeActionCommand('crash')).toEqual(['chroot', '/host', 'sh', '-c', 'dd if=/dev/urandom of=/proc/sysrq-trigger']);
  });
});

describe('node actions on the embedded cluster', () => {
  let sim: RunningCluster;
  let cluster: Cluster;
  beforeAll(async () => {
    const dir = tempDir('nh-nodeact-');
    sim = await startCluster({ workdir: dir, nodes: defaultNodes(1, 2), speed: 20, log: () => {} });
    cluster = connect({ kubeconfig: sim.kubeconfigPath });
    // nodes Ready
    const end = Date.now() + 30_000;
    for (;;) {
      const nodes = (await cluster.core.listNode()).items;
      if (nodes.every((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))) break;
      if (Date.now() > end) throw new Error('nodes not Ready');
      await new Promise((r) => setTimeout(r, 200));
    }
  }, 120_000);
  afterAll(async () => sim?.stop());

  const debugPods = async () =>
    (await cluster.core.listNamespacedPod({ namespace: 'default', labelSelector: 'app.kubernetes.io/managed-by=netharness' })).items.filter(
      (p) => !p.metadata?.deletionTimestamp,
    );

  it('rebootNode: NotReady then Ready, new boot id, timings, events, debug pod removed', async () => {
    const events: ChaosEventInput[] = [];
    const r = await rebootNode(cluster, 'worker-0', { recorder: (e) => events.push(e), pollMs: 100 });
    expect(r.notReadyAt).toBeDefined();
    expect(r.readyAt).toBeDefined();
    expect(r.toNotReadyMs).toBeGreaterThan(0);
    expect(r.downMs).toBeGreaterThan(0);
    expect(r.totalMs).toBeGreaterThanOrEqual((r.toNotReadyMs ?? 0) + (r.downMs ?? 0) - 5);
    expect(r.bootIdAfter).toBeDefined();
    expect(r.bootIdAfter).not.toBe(r.bootIdBefore);
    expect(events.map((e) => (e.details as { phase: string }).phase)).toEqual(['start', 'done']);
    expect(events[0]).toMatchObject({ kind: 'node-reboot', target: 'worker-0' });
    await new Promise((res) => setTimeout(res, 500));
    expect(await debugPods()).toHaveLength(0);
  }, 60_000);

  it('stopKubelet with restartAfterMs: NotReady, then Ready again', async () => {
    // `sleep 60` in the debug pod: 3 s at speed 20, longer than the sim's 2 s node-monitor grace period
    const r = await stopKubelet(cluster, 'worker-1', {
      restartAfterMs: 60_000,
      notReadyTimeoutMs: 20_000,
      readyTimeoutMs: 20_000,
      pollMs: 100,
    });
    expect(r.notReadyAt).toBeDefined();
    expect(r.readyAt).toBeDefined();
  }, 60_000);

  it('crashNode: NotReady then Ready', async () => {
    const r = await crashNode(cluster, 'worker-1', { pollMs: 100 });
    expect(r.downMs).toBeGreaterThan(0);
  }, 60_000);

  it('NotReady timeout: InfraError with what to check; unknown node: UsageError', async () => {
    const err = await stopKubelet(cluster, 'worker-0', { notReadyTimeoutMs: 150, restartAfterMs: 1000, pollMs: 50 }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(InfraError);
    expect((err as InfraError).message).toMatch(/did not go NotReady within 0 s/);
    expect((err as InfraError).hint).toMatch(/kubectl describe node worker-0/);
    await expect(rebootNode(cluster, 'worker-9')).rejects.toBeInstanceOf(UsageError);
    // let worker-0 come back for whoever runs next
    const end = Date.now() + 30_000;
    while (
      !(await cluster.core.readNode({ name: 'worker-0' })).status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')
    ) {
      if (Date.now() > end) break;
      await new Promise((r) => setTimeout(r, 200));
    }
  }, 60_000);
});
