import { PassThrough, Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { condition, events, pod, POD, startTestSim, waitFor, type TestSim } from './harness.ts';
import type { ExecResult, ExecStreams, KubeObject, LogEntry } from '../../sim/types.ts';
import { filterLogs } from '../../sim/kubelet/logs.ts';
import { parseScript } from '../../sim/kubelet/shell.ts';
import { ApiStatusError } from '../../sim/api/errors.ts';

let sim: TestSim | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

function sink(): { s: PassThrough; text: () => string } {
  const s = new PassThrough();
  let buf = '';
  s.on('data', (c: Buffer) => (buf += c.toString()));
  return { s, text: () => buf };
}

async function exec(
  s: TestSim,
  ns: string,
  name: string,
  container: string,
  argv: string[],
  stdin?: string,
): Promise<ExecResult & { out: string; err: string }> {
  const o = sink();
  const e = sink();
  const streams: ExecStreams = { stdout: o.s, stderr: e.s, ...(stdin !== undefined ? { stdin: Readable.from([stdin]) } : {}) };
  const r = await s.ctx.services.podRuntime!.exec({ namespace: ns, pod: name, container }, argv, streams, { tty: false });
  await new Promise((res) => setImmediate(res));
  return { ...r, out: o.text(), err: e.text() };
}

const runningPod = (s: TestSim, ns: string, name: string) =>
  waitFor(() => {
    const p = s.store.get(POD, ns, name);
    return p?.status?.phase === 'Running' && condition(p, 'Ready')?.status === 'True' ? p : undefined;
  }, `${name} running`);

const cstatus = (p: KubeObject | undefined, i = 0) =>
  ((p?.status?.containerStatuses ?? []) as Record<string, unknown>[])[i] as {
    restartCount: number;
    containerID: string;
    state: Record<string, Record<string, unknown>>;
    lastState: Record<string, Record<string, unknown>>;
    ready: boolean;
  };

describe('shell subset', () => {
  it('parses lists, pipes, redirections and rejects what it does not emulate', () => {
    const items = parseScript(`echo "a b" 'c' && false || echo $X; echo c > /proc/sysrq-trigger 2>&1`, { X: 'x' });
    expect(items?.map((i) => [i.pipeline.commands.map((c) => c.argv), i.next])).toEqual([
      [[['echo', 'a b', 'c']], '&&'],
      [[['false']], '||'],
      [[['echo', 'x']], ';'],
      [[['echo', 'c']], undefined],
    ]);
    expect(items?.[3].pipeline.commands[0].redirects).toEqual([
      { fd: 1, op: '>', target: '/proc/sysrq-trigger' },
      { fd: 2, op: '>&', target: '1' },
    ]);
    expect(parseScript('for i in 1 2; do echo $i; done')).toBeUndefined();
    expect(parseScript('echo $(date)')).toBeUndefined();
  });
});

describe('pod lifecycle', () => {
  it('Pending -> Running with IPs from the node subnet, container statuses, conditions and events', async () => {
    sim = await startTestSim({ ipStack: 'dual' });
    const s = sim;
    s.store.create(POD, pod('p', { nodeName: 'worker-1' }));
    const p = await runningPod(s, 'default', 'p');
    const st = p.status as Record<string, unknown>;
    expect(st.hostIP).toBe('192.168.126.15');
    expect(st.podIP).toBe('10.128.8.3');
    expect(st.podIPs).toEqual([{ ip: '10.128.8.3' }, { ip: 'fd01:0:0:5::3' }]);
    expect(st.startTime).toMatch(/Z$/);
    const c = cstatus(p);
    expect(c.containerID).toMatch(/^cri-o:\/\/[0-9a-f]{64}$/);
    expect(c).toMatchObject({ ready: true, restartCount: 0, started: true, image: 'registry.k8s.io/pause:3.9' });
    expect(((p.status?.conditions ?? []) as { type: string }[]).map((x) => x.type)).toEqual([
      'PodReadyToStartContainers',
      'Initialized',
      'Ready',
      'ContainersReady',
      'PodScheduled',
    ]);
    expect(events(s.store, 'p').map((e) => `${e.reason}: ${e.message}`)).toEqual(
      expect.arrayContaining([
        'AddedInterface: Add eth0 [10.128.8.3/23 fd01:0:0:5::3/64] from ovn-kubernetes',
        'Pulled: Container image "registry.k8s.io/pause:3.9" already present on machine',
        'Created: Created container c',
        'Started: Started container c',
      ]),
    );
    s.store.create(POD, pod('hn', { nodeName: 'worker-1', hostNetwork: true }));
    const hn = await runningPod(s, 'default', 'hn');
    expect(hn.status?.podIP).toBe('192.168.126.15');
  });

  it('restartPolicy Never/OnFailure finish as Succeeded/Failed; Always restarts with back-off', async () => {
    sim = await startTestSim({ speed: 100 });
    const s = sim;
    const job = (name: string, script: string, restartPolicy: string) =>
      pod(name, {
        restartPolicy,
        containers: [{ name: 'c', image: 'registry.access.redhat.com/ubi9/ubi-minimal', command: ['sh', '-c', script] }],
      });
    s.store.create(POD, job('ok', 'echo hello; sleep 1; echo done', 'Never'));
    s.store.create(POD, job('bad', 'echo oops >&2; exit 3', 'Never'));
    s.store.create(POD, job('retry', 'exit 1', 'Always'));
    const ok = await waitFor(
      () => (s.store.get(POD, 'default', 'ok')?.status?.phase === 'Succeeded' ? s.store.get(POD, 'default', 'ok') : undefined),
      'ok Succeeded',
    );
    expect(cstatus(ok).state.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(condition(ok, 'Ready')).toMatchObject({ status: 'False', reason: 'PodCompleted' });
    expect(s.ctx.services.podRuntime!.readLogs({ namespace: 'default', pod: 'ok', container: 'c' }, {}).map((e) => e.line)).toEqual([
      'hello',
      'done',
    ]);
    const bad = await waitFor(
      () => (s.store.get(POD, 'default', 'bad')?.status?.phase === 'Failed' ? s.store.get(POD, 'default', 'bad') : undefined),
      'bad Failed',
    );
    expect(cstatus(bad).state.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
    const retry = await waitFor(() => {
      const p = s.store.get(POD, 'default', 'retry');
      return cstatus(p)?.restartCount >= 2 ? p : undefined;
    }, 'retry restarted');
    expect(retry.status?.phase).toBe('Running');
    expect(cstatus(retry).lastState.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
  });

  it('graceful deletion: Killing, then the pod is gone; force delete is immediate', async () => {
    sim = await startTestSim();
    const s = sim;
    s.store.create(POD, pod('g', { nodeName: 'worker-0' }));
    await runningPod(s, 'default', 'g');
    s.store.delete(POD, 'default', 'g');
    const t = s.store.get(POD, 'default', 'g');
    expect(t?.metadata.deletionTimestamp).toBeTruthy();
    expect(t?.metadata.deletionGracePeriodSeconds).toBe(30);
    await waitFor(() => !s.store.get(POD, 'default', 'g'), 'pod removed');
    expect(events(s.store, 'g').find((e) => e.reason === 'Killing')?.message).toBe('Stopping container c');
    s.store.create(POD, pod('f', { nodeName: 'worker-0' }));
    await runningPod(s, 'default', 'f');
    s.store.delete(POD, 'default', 'f', { gracePeriodSeconds: 0 });
    expect(s.store.get(POD, 'default', 'f')).toBeUndefined();
  });
});

describe('exec', () => {
  it('runs the built-in commands of workload containers and fails like CRI-O for a missing binary', async () => {
    sim = await startTestSim();
    const s = sim;
    s.store.create(
      POD,
      pod('w', {
        nodeName: 'worker-0',
        containers: [{ name: 'c', image: 'registry.k8s.io/e2e-test-images/agnhost:2.47', env: [{ name: 'FOO', value: 'bar' }] }],
      }),
    );
    await runningPod(s, 'default', 'w');
    expect(await exec(s, 'default', 'w', 'c', ['echo', 'hi', 'there'])).toMatchObject({ exitCode: 0, out: 'hi there\n' });
    expect(await exec(s, 'default', 'w', 'c', ['cat', '/etc/hostname'])).toMatchObject({ exitCode: 0, out: 'w\n' });
    expect(await exec(s, 'default', 'w', 'c', ['hostname'])).toMatchObject({ out: 'w\n' });
    expect((await exec(s, 'default', 'w', 'c', ['env'])).out).toContain('FOO=bar\n');
    expect((await exec(s, 'default', 'w', 'c', ['date'])).out).toMatch(/^\w{3} \w{3} \d{2} \d{2}:\d{2}:\d{2} UTC \d{4}\n$/);
    expect(await exec(s, 'default', 'w', 'c', ['true'])).toMatchObject({ exitCode: 0 });
    const f = await exec(s, 'default', 'w', 'c', ['false']);
    expect(f).toMatchObject({
      exitCode: 1,
      message: 'command terminated with non-zero exit code: error executing command [false], exit code 1',
    });
    expect(await exec(s, 'default', 'w', 'c', ['sh', '-c', 'exit 7'])).toMatchObject({ exitCode: 7 });
    expect(await exec(s, 'default', 'w', 'c', ['sh', '-c', 'echo a | cat; echo $?; nosuch'])).toMatchObject({
      exitCode: 127,
      out: 'a\n0\n',
      err: 'sh: line 1: nosuch: command not found\n',
    });
    expect(await exec(s, 'default', 'w', 'c', ['sh'], 'echo from stdin\n')).toMatchObject({ exitCode: 0, out: 'from stdin\n' });
    expect((await exec(s, 'default', 'w', 'c', ['ls', '/'])).out).toContain('etc\n');
    const t0 = Date.now();
    expect(await exec(s, 'default', 'w', 'c', ['sleep', '5'])).toMatchObject({ exitCode: 0 });
    expect(Date.now() - t0).toBeLessThan(2000);
    const missing = await exec(s, 'default', 'w', 'c', ['ovn-nbctl', 'show']);
    expect(missing.exitCode).toBe(127);
    expect(missing.err).toBe(
      'OCI runtime exec failed: exec failed: unable to start container process: exec: "ovn-nbctl": executable file not found in $PATH: unknown\n',
    );
    expect(missing.message).toBe('command terminated with non-zero exit code: error executing command [ovn-nbctl show], exit code 127');
    await expect(exec(s, 'default', 'w', 'nope', ['true'])).rejects.toThrow('container nope is not valid for pod w');
    // interactive shell (oc debug node/x style): chroot /host nests a host shell on the same stdin
    s.store.create(
      POD,
      pod('dbg', {
        nodeName: 'worker-1',
        hostPID: true,
        containers: [
          {
            name: 'container-00',
            image: 'registry.redhat.io/rhel9/support-tools',
            command: ['/bin/sh'],
            stdin: true,
            tty: true,
            securityContext: { privileged: true },
            volumeMounts: [{ name: 'host', mountPath: '/host' }],
          },
        ],
        volumes: [{ name: 'host', hostPath: { path: '/' } }],
      }),
    );
    await runningPod(s, 'default', 'dbg');
    const repl = await exec(
      s,
      'default',
      'dbg',
      'container-00',
      ['/bin/sh'],
      'hostname\nchroot /host\nhostname\nsystemctl is-active kubelet\nexit 0\nfalse\necho $?\n',
    );
    expect(repl).toMatchObject({ exitCode: 0, out: 'dbg\nworker-1\nactive\n1\n' });
    await expect(exec(s, 'default', 'gone', 'c', ['true'])).rejects.toBeInstanceOf(ApiStatusError);
  });

  it('routes the ovnkube-node containers to ovnExec with the image binaries only; kube-rbac-proxy has no shell', async () => {
    const calls: { node: string; argv: string[] }[] = [];
    sim = await startTestSim({
      workloadOpts: { openshiftNetwork: true },
      services: {
        ovnExec: async (node, argv, streams) => {
          calls.push({ node, argv });
          streams.stdout.write(`ran ${argv.join(' ')} on ${node}\n`);
          return { exitCode: 0 };
        },
      },
    });
    const s = sim;
    const ovnPod = await waitFor(
      () =>
        s.store
          .list(POD, { namespace: 'openshift-ovn-kubernetes', labelSelector: 'app=ovnkube-node' })
          .find((p) => (p.spec as { nodeName?: string }).nodeName === 'worker-1' && p.status?.phase === 'Running'),
      'ovnkube-node on worker-1',
    );
    const name = ovnPod.metadata.name;
    expect(name).toMatch(/^ovnkube-node-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect((ovnPod.spec as { containers: { name: string }[] }).containers.map((c) => c.name)).toEqual(
      expect.arrayContaining(['ovn-controller', 'northd', 'nbdb', 'sbdb', 'ovnkube-controller', 'kube-rbac-proxy-node']),
    );
    expect(ovnPod.status?.podIP).toBe('192.168.126.15');
    const r = await exec(s, 'openshift-ovn-kubernetes', name, 'nbdb', ['ovn-nbctl', '--no-leader-only', 'show']);
    expect(r).toMatchObject({ exitCode: 0, out: 'ran ovn-nbctl --no-leader-only show on worker-1\n' });
    expect(await exec(s, 'openshift-ovn-kubernetes', name, 'ovnkube-controller', ['sh', '-c', 'ovs-vsctl show | head -1'])).toMatchObject({
      exitCode: 0,
    });
    expect(calls.at(-1)).toEqual({ node: 'worker-1', argv: ['sh', '-c', 'ovs-vsctl show | head -1'] });
    const vi = await exec(s, 'openshift-ovn-kubernetes', name, 'ovn-controller', ['vim']);
    expect(vi.exitCode).toBe(127);
    expect(vi.err).toContain('exec: "vim": executable file not found in $PATH: unknown');
    const sh = await exec(s, 'openshift-ovn-kubernetes', name, 'kube-rbac-proxy-node', ['sh', '-c', 'true']);
    expect(sh).toMatchObject({
      exitCode: 127,
      err: 'OCI runtime exec failed: exec failed: unable to start container process: exec: "sh": executable file not found in $PATH: unknown\n',
    });
    expect(
      (await exec(s, 'openshift-ovn-kubernetes', name, 'kube-rbac-proxy-node', ['/usr/local/bin/kube-rbac-proxy', '--version'])).exitCode,
    ).toBe(0);
    expect(calls).toHaveLength(2);
    // control plane: 3 replicas on the masters
    const cp = await waitFor(() => {
      const l = s.store
        .list(POD, { namespace: 'openshift-ovn-kubernetes', labelSelector: 'app=ovnkube-control-plane' })
        .filter((p) => p.status?.phase === 'Running');
      return l.length === 3 ? l : undefined;
    }, 'ovnkube-control-plane pods');
    expect(cp.map((p) => (p.spec as { nodeName: string }).nodeName).sort()).toEqual(['master-0', 'master-1', 'master-2']);
    expect(cp[0].metadata.name).toMatch(/^ovnkube-control-plane-[bcdfghjklmnpqrstvwxz2456789]+-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  });
});

describe('logs', () => {
  it('tailLines, sinceTime, timestamps+limitBytes, follow, and previous after a restart', async () => {
    sim = await startTestSim();
    const s = sim;
    s.store.create(POD, pod('l', { nodeName: 'worker-2' }));
    await runningPod(s, 'default', 'l');
    const rt = s.ctx.services.podRuntime!;
    const ref = { namespace: 'default', pod: 'l', container: 'c' };
    const live: LogEntry[] = [];
    const unfollow = rt.followLogs(ref, (e) => live.push(e));
    for (let i = 1; i <= 10; i++) s.ctx.services.appendLog!(ref, `line ${i}`);
    unfollow();
    s.ctx.services.appendLog!(ref, 'after unfollow');
    expect(live.map((e) => e.line)).toEqual(Array.from({ length: 10 }, (_, i) => `line ${i + 1}`));
    expect(rt.readLogs(ref, { tailLines: 2 }).map((e) => e.line)).toEqual(['line 10', 'after unfollow']);
    expect(rt.readLogs(ref, { sinceTime: live[5].time }).map((e) => e.line)[0]).toMatch(/^line \d+$/);
    expect(rt.readLogs(ref, { sinceSeconds: 3600 }).length).toBe(11);
    expect(live[0].time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    const limited = rt.readLogs(ref, { timestamps: true, limitBytes: 80 });
    expect(limited.reduce((n, e) => n + Buffer.byteLength(`${e.time} ${e.line}\n`), 0)).toBeLessThanOrEqual(81);
    expect(filterLogs([{ time: '2026-01-01T00:00:00.000000000Z', line: 'abcdef' }], { limitBytes: 3 })).toEqual([
      { time: '2026-01-01T00:00:00.000000000Z', line: 'abc' },
    ]);
    expect(() => rt.readLogs(ref, { previous: true })).toThrow('previous terminated container "c" in pod "l" not found');
    // a restart keeps the old instance as previous
    await s.ctx.services.nodeActions!.crash('worker-2');
    const after = await waitFor(
      () => {
        const p = s.store.get(POD, 'default', 'l');
        return cstatus(p)?.restartCount === 1 && condition(p, 'Ready')?.status === 'True' ? p : undefined;
      },
      'restarted after crash',
      20_000,
    );
    expect(after).toBeTruthy();
    expect(rt.readLogs(ref, { previous: true }).map((e) => e.line)).toContain('after unfollow');
    expect(rt.readLogs(ref, {}).map((e) => e.line)).not.toContain('after unfollow');
  });
});

describe('containerChaos', () => {
  it('killContainer restarts (then CrashLoopBackOff); setPodFailure swaps to pause and back', async () => {
    sim = await startTestSim({ speed: 50 });
    const s = sim;
    s.store.create(POD, pod('k', { nodeName: 'worker-0' }));
    await runningPod(s, 'default', 'k');
    const chaos = s.ctx.services.containerChaos!;
    expect(chaos.killContainer({ namespace: 'default', pod: 'k', container: 'c' })).toBe(true);
    await waitFor(
      () => cstatus(s.store.get(POD, 'default', 'k'))?.restartCount === 1 && cstatus(s.store.get(POD, 'default', 'k')).state.running,
      'restarted once',
    );
    expect(cstatus(s.store.get(POD, 'default', 'k')).lastState.terminated).toMatchObject({ exitCode: 137, reason: 'Error' });
    expect(chaos.killContainer({ namespace: 'default', pod: 'k', container: 'c' })).toBe(true);
    await waitFor(() => cstatus(s.store.get(POD, 'default', 'k'))?.state.waiting?.reason === 'CrashLoopBackOff', 'CrashLoopBackOff');
    await waitFor(
      () => cstatus(s.store.get(POD, 'default', 'k'))?.restartCount === 2 && cstatus(s.store.get(POD, 'default', 'k')).state.running,
      'back after back-off',
    );
    expect(chaos.killContainer({ namespace: 'default', pod: 'k', container: 'nope' })).toBe(false);

    expect(chaos.setPodFailure('default', 'k', true)).toBe(true);
    await waitFor(
      () =>
        (s.store.get(POD, 'default', 'k')?.status?.containerStatuses as { image: string; ready: boolean }[])[0].image ===
        'gcr.io/google-containers/pause:latest',
      'pause image',
    );
    expect(condition(s.store.get(POD, 'default', 'k'), 'Ready')?.status).toBe('False');
    expect(chaos.setPodFailure('default', 'k', false)).toBe(true);
    await waitFor(() => {
      const p = s.store.get(POD, 'default', 'k');
      return (
        cstatus(p)?.restartCount === 4 &&
        condition(p, 'Ready')?.status === 'True' &&
        (p?.status?.containerStatuses as { image: string }[])[0].image === 'registry.k8s.io/pause:3.9'
      );
    }, 'own image again');
  });
});
