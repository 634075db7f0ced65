import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { condition, deployment, DEPLOY, events, NODE, pod, POD, startTestSim, waitFor, type TestSim } from './harness.ts';
import type { KubeObject } from '../../sim/types.ts';
import { REBOOTING_ANNOTATION } from '../../sim/controllers/node-lifecycle.ts';
import { debugPodManifest } from '../../harness/chaos/node-actions.ts';

let sim: TestSim | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

const ready = (s: TestSim, n: string) => condition(s.store.get(NODE, undefined, n), 'Ready');
const taintKeys = (s: TestSim, n: string) =>
  ((s.store.get(NODE, undefined, n)?.spec as { taints?: { key: string; effect: string }[] }).taints ?? []).map(
    (t) => `${t.key}:${t.effect}`,
  );
const cs = (p: KubeObject | undefined) =>
  (
    (p?.status?.containerStatuses ?? []) as {
      restartCount: number;
      containerID: string;
      lastState: { terminated?: { exitCode: number; reason: string } };
    }[]
  )[0];

async function runningOn(s: TestSim, name: string, node: string): Promise<KubeObject> {
  return waitFor(() => {
    const p = s.store.get(POD, 'default', name);
    return (p?.spec as { nodeName?: string })?.nodeName === node &&
      p?.status?.phase === 'Running' &&
      condition(p, 'Ready')?.status === 'True'
      ? p
      : undefined;
  }, `${name} running on ${node}`);
}

describe('node lifecycle', () => {
  it('heartbeats keep nodes Ready', async () => {
    sim = await startTestSim({ speed: 100 });
    const s = sim;
    const before = s.store.get(NODE, undefined, 'worker-0')?.metadata.resourceVersion;
    await new Promise((r) => setTimeout(r, 1200));
    expect(ready(s, 'worker-0')).toMatchObject({ status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' });
    expect(s.store.get(NODE, undefined, 'worker-0')?.metadata.resourceVersion).not.toBe(before);
    const lease = s.store.get({ group: 'coordination.k8s.io', version: 'v1', resource: 'leases' }, 'kube-node-lease', 'worker-0');
    expect(lease?.spec).toMatchObject({ holderIdentity: 'worker-0', leaseDurationSeconds: 40 });
    expect((lease?.spec as { renewTime: string }).renewTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  });

  it('reboot: rebooting annotation, Ready=Unknown + unreachable taints, pods restarted with restartCount+1, Ready again', async () => {
    sim = await startTestSim({ speed: 50 });
    const s = sim;
    s.store.create(POD, pod('r', { nodeName: 'worker-1' }));
    const before = cs(await runningOn(s, 'r', 'worker-1'));
    const ref = { namespace: 'default', pod: 'r', container: 'c' };
    s.ctx.services.appendLog!(ref, 'before reboot');
    const bootBefore = (s.store.get(NODE, undefined, 'worker-1')?.status?.nodeInfo as { bootID: string }).bootID;
    const seen = new Set<string>();
    const unwatch = s.store.watch(NODE, (ev) => {
      if (ev.object.metadata.name !== 'worker-1') return;
      const r = condition(ev.object, 'Ready');
      if (r) seen.add(`${r.status}`);
      if (ev.object.metadata.annotations?.[REBOOTING_ANNOTATION] === 'true') seen.add('annotated');
    });
    await s.ctx.services.nodeActions!.reboot('worker-1');
    expect(s.store.get(NODE, undefined, 'worker-1')?.metadata.annotations?.[REBOOTING_ANNOTATION]).toBe('true');
    expect(s.ctx.services.nodeActions!.isReachable('worker-1')).toBe(false);
    await waitFor(() => ready(s, 'worker-1')?.status === 'Unknown', 'NotReady (Unknown)');
    expect(ready(s, 'worker-1')).toMatchObject({ reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' });
    expect(taintKeys(s, 'worker-1')).toEqual(['node.kubernetes.io/unreachable:NoSchedule', 'node.kubernetes.io/unreachable:NoExecute']);
    expect(condition(s.store.get(POD, 'default', 'r'), 'Ready')?.status).toBe('False');
    expect(s.store.get(POD, 'default', 'r')?.status?.phase).toBe('Running');
    await expect(
      s.ctx.services.podRuntime!.exec(ref, ['true'], { stdout: new PassThrough(), stderr: new PassThrough() }, { tty: false }),
    ).rejects.toThrow(/error dialing backend: dial tcp 192\.168\.126\.15:10250/);
    await waitFor(() => ready(s, 'worker-1')?.status === 'True', 'Ready again', 20_000);
    unwatch();
    expect(s.store.get(NODE, undefined, 'worker-1')?.metadata.annotations?.[REBOOTING_ANNOTATION]).toBeUndefined();
    expect(taintKeys(s, 'worker-1')).toEqual([]);
    expect(seen).toEqual(new Set(['True', 'annotated', 'Unknown', 'False']));
    expect((s.store.get(NODE, undefined, 'worker-1')?.status?.nodeInfo as { bootID: string }).bootID).not.toBe(bootBefore);
    const after = cs(await runningOn(s, 'r', 'worker-1'));
    expect(after.restartCount).toBe(before.restartCount + 1);
    expect(after.containerID).not.toBe(before.containerID);
    expect(after.lastState.terminated).toMatchObject({ exitCode: 255, reason: 'Unknown' });
    expect(s.ctx.services.podRuntime!.readLogs(ref, { previous: true }).map((e) => e.line)).toContain('before reboot');
    const reasons = events(s.store, 'worker-1').map((e) => e.reason);
    expect(reasons).toEqual(expect.arrayContaining(['NodeNotReady', 'Rebooted', 'NodeReady', 'Starting']));
    expect(events(s.store, 'r').map((e) => e.reason)).toContain('SandboxChanged');
    expect(s.ctx.services.nodeActions!.isReachable('worker-1')).toBe(true);
  });

  it('a debug pod running `chroot /host systemctl reboot` reboots its node (krkn / oc debug style)', async () => {
    sim = await startTestSim({ speed: 50 });
    const s = sim;
    const debugPod = (name: string, command: string[]): KubeObject =>
      pod(name, {
        nodeName: 'worker-2',
        hostPID: true,
        hostNetwork: true,
        restartPolicy: 'Never',
        containers: [
          {
            name: 'container-00',
            image: 'registry.redhat.io/rhel9/support-tools',
            command,
            securityContext: { privileged: true, runAsUser: 0 },
            volumeMounts: [{ name: 'host', mountPath: '/host' }],
          },
        ],
        volumes: [{ name: 'host', hostPath: { path: '/', type: 'Directory' } }],
      });
    s.store.create(POD, debugPod('worker-2-debug-abcde', ['chroot', '/host', 'systemctl', 'reboot']));
    await waitFor(
      () => s.store.get(NODE, undefined, 'worker-2')?.metadata.annotations?.[REBOOTING_ANNOTATION] === 'true',
      'worker-2 rebooting',
    );
    await waitFor(() => ready(s, 'worker-2')?.status === 'Unknown', 'worker-2 NotReady');
    await waitFor(() => ready(s, 'worker-2')?.status === 'True', 'worker-2 Ready', 20_000);
    expect(s.store.get(POD, 'default', 'worker-2-debug-abcde')?.status?.phase).toBe('Succeeded');

    // exec into a sleeping debug pod: sh -c 'chroot /host systemctl stop kubelet', then start it again
    s.store.create(POD, debugPod('dbg2', ['sleep', 'infinity']));
    await runningOn(s, 'dbg2', 'worker-2');
    const out = new PassThrough();
    const r = await s.ctx.services.podRuntime!.exec(
      { namespace: 'default', pod: 'dbg2', container: 'container-00' },
      ['sh', '-c', 'chroot /host systemctl stop kubelet'],
      { stdout: out, stderr: new PassThrough() },
      { tty: false },
    );
    expect(r.exitCode).toBe(0);
    await waitFor(() => ready(s, 'worker-2')?.status === 'Unknown', 'kubelet stopped -> Unknown');
    expect(s.store.get(POD, 'default', 'dbg2')?.status?.phase).toBe('Running');
    await s.ctx.services.nodeActions!.startKubelet('worker-2');
    await waitFor(() => ready(s, 'worker-2')?.status === 'True', 'kubelet started -> Ready');
    // a plain pod cannot chroot to the host
    s.store.create(POD, pod('plain', { nodeName: 'worker-0', containers: [{ name: 'c', image: 'ubi9', command: ['sleep', 'infinity'] }] }));
    await runningOn(s, 'plain', 'worker-0');
    const err = new PassThrough();
    let errText = '';
    err.on('data', (c: Buffer) => (errText += c.toString()));
    const denied = await s.ctx.services.podRuntime!.exec(
      { namespace: 'default', pod: 'plain', container: 'c' },
      ['chroot', '/host', 'systemctl', 'reboot'],
      { stdout: new PassThrough(), stderr: err },
      { tty: false },
    );
    await new Promise((res) => setImmediate(res));
    expect(denied.exitCode).toBe(125);
    expect(errText).toContain("chroot: cannot change root directory to '/host'");
    expect(s.store.get(NODE, undefined, 'worker-0')?.metadata.annotations?.[REBOOTING_ANNOTATION]).toBeUndefined();
  });

  it('crash via `echo c > /proc/sysrq-trigger`, partition, and pods of a Deployment survive a reboot', async () => {
    sim = await startTestSim({ speed: 50 });
    const s = sim;
    s.store.create(DEPLOY, deployment('app', 3));
    await waitFor(
      () => ((s.store.get(DEPLOY, 'default', 'app')?.status ?? {}) as { availableReplicas?: number }).availableReplicas === 3,
      'app available',
    );
    s.store.create(
      POD,
      pod('crasher', {
        nodeName: 'worker-0',
        hostPID: true,
        containers: [
          {
            name: 'c',
            image: 'ubi9',
            command: ['sh', '-c', 'echo c > /host/proc/sysrq-trigger; chroot /host sh -c "echo c > /proc/sysrq-trigger"'],
            securityContext: { privileged: true },
            volumeMounts: [{ name: 'h', mountPath: '/host' }],
          },
        ],
        volumes: [{ name: 'h', hostPath: { path: '/' } }],
        restartPolicy: 'Never',
      }),
    );
    await waitFor(
      () => s.store.get(NODE, undefined, 'worker-0')?.metadata.annotations?.[REBOOTING_ANNOTATION] === 'true',
      'worker-0 crashed',
    );
    await waitFor(
      () =>
        ready(s, 'worker-0')?.status === 'True' && !s.store.get(NODE, undefined, 'worker-0')?.metadata.annotations?.[REBOOTING_ANNOTATION],
      'worker-0 back',
      20_000,
    );
    await waitFor(
      () => ((s.store.get(DEPLOY, 'default', 'app')?.status ?? {}) as { availableReplicas?: number }).availableReplicas === 3,
      'app available again',
    );
    expect(s.store.list(POD, { labelSelector: 'app=app' })).toHaveLength(3);

    s.ctx.services.nodeActions!.setPartitioned('worker-1', true);
    expect(s.ctx.services.nodeActions!.isReachable('worker-1')).toBe(false);
    await waitFor(() => ready(s, 'worker-1')?.status === 'Unknown', 'partitioned -> Unknown');
    s.ctx.services.nodeActions!.setPartitioned('worker-1', false);
    await waitFor(() => ready(s, 'worker-1')?.status === 'True' && taintKeys(s, 'worker-1').length === 0, 'healed -> Ready');
    expect(s.ctx.services.nodeActions!.isReachable('worker-1')).toBe(true);
  });

  it("runs the harness's debug pods (harness/chaos/node-actions.ts) unchanged: crash via dd, kubelet stop; sleep; start", async () => {
    sim = await startTestSim({ speed: 50 });
    const s = sim;
    const crash = s.store.create(POD, debugPodManifest('worker-0', 'crash') as unknown as KubeObject);
    expect(crash.metadata.name).toMatch(/^worker-0-debug-/);
    await waitFor(() => s.store.get(NODE, undefined, 'worker-0')?.metadata.annotations?.[REBOOTING_ANNOTATION] === 'true', 'crash');
    await waitFor(() => ready(s, 'worker-0')?.status === 'Unknown', 'crash -> Unknown');
    await waitFor(() => ready(s, 'worker-0')?.status === 'True', 'crash -> Ready', 20_000);
    const stop = s.store.create(POD, debugPodManifest('worker-1', 'stop-kubelet', { restartAfterMs: 60_000 }) as unknown as KubeObject);
    await waitFor(() => ready(s, 'worker-1')?.status === 'Unknown', 'kubelet stopped -> Unknown');
    await waitFor(() => ready(s, 'worker-1')?.status === 'True', 'kubelet started again -> Ready', 20_000);
    await waitFor(() => s.store.get(POD, 'default', stop.metadata.name)?.status?.phase === 'Succeeded', 'stop/start debug pod Succeeded');
    s.store.delete(POD, 'default', stop.metadata.name);
    await waitFor(() => !s.store.get(POD, 'default', stop.metadata.name), 'debug pod deleted');
  });

  it('NoExecute taint eviction: a pod tolerating unreachable for 2 s is evicted, one tolerating forever stays', async () => {
    sim = await startTestSim({ speed: 50 });
    const s = sim;
    const unreachable = (seconds?: number) => [
      {
        key: 'node.kubernetes.io/unreachable',
        operator: 'Exists',
        effect: 'NoExecute',
        ...(seconds !== undefined ? { tolerationSeconds: seconds } : {}),
      },
    ];
    s.store.create(POD, pod('short', { nodeName: 'worker-0', tolerations: unreachable(2) }));
    s.store.create(POD, pod('forever', { nodeName: 'worker-0', tolerations: unreachable() }));
    s.store.create(POD, pod('default-300', { nodeName: 'worker-0' }));
    await runningOn(s, 'short', 'worker-0');
    await runningOn(s, 'forever', 'worker-0');
    await s.ctx.services.nodeActions!.stopKubelet('worker-0');
    await waitFor(() => ready(s, 'worker-0')?.status === 'Unknown', 'Unknown');
    await waitFor(
      () => s.store.get(POD, 'default', 'short')?.metadata.deletionTimestamp,
      'short evicted (Terminating: the kubelet is down)',
    );
    expect(events(s.store, 'short').map((e) => e.reason)).toContain('TaintManagerEviction');
    expect(s.store.get(POD, 'default', 'forever')?.metadata.deletionTimestamp).toBeUndefined();
    expect(s.store.get(POD, 'default', 'default-300')?.metadata.deletionTimestamp).toBeUndefined();
    await s.ctx.services.nodeActions!.startKubelet('worker-0');
    await waitFor(() => !s.store.get(POD, 'default', 'short'), 'the kubelet finishes the deletion once back');
    await waitFor(
      () => ready(s, 'worker-0')?.status === 'True' && condition(s.store.get(POD, 'default', 'forever'), 'Ready')?.status === 'True',
      'forever Ready again',
    );
  });
});
