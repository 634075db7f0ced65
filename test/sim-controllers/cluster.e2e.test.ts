/**
 * Through startCluster (API over HTTPS, real OVN per node, kubelet, controllers) with kubectl:
 * the OpenShift network pods exist and run, exec into them runs the real binaries, a binary the
 * image lacks fails like CRI-O, a debug pod reboots a node, and logs --previous survive it.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type RunningCluster } from '../../sim/cluster.ts';
import { defaultNodes } from '../../sim/topology.ts';
import { kubectlBin } from '../sim-api/helpers.ts';
import { condition, NODE, POD, waitFor } from './harness.ts';

let sim: RunningCluster;
let dir: string;

function kubectl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      kubectlBin(),
      args,
      { env: { ...process.env, KUBECONFIG: sim.kubeconfigPath, HOME: dir, KUBECACHEDIR: join(dir, 'kc') }, timeout: 60_000 },
      (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: unknown }).code as number) || 1 : 0, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

const ovnkubeNode = (node: string): string | undefined =>
  sim.store
    .list(POD, { namespace: 'openshift-ovn-kubernetes', labelSelector: 'app=ovnkube-node' })
    .find((p) => (p.spec as { nodeName?: string }).nodeName === node && !p.metadata.deletionTimestamp)?.metadata.name;

describe('sim/controllers + sim/kubelet through startCluster and kubectl', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nh-ctrl-e2e-'));
    sim = await startCluster({ workdir: join(dir, 'sim'), nodes: defaultNodes(1, 2), speed: 10, log: () => undefined });
    await waitFor(
      () =>
        ['master-0', 'worker-0', 'worker-1'].every((n) => {
          const p = ovnkubeNode(n);
          return p && sim.store.get(POD, 'openshift-ovn-kubernetes', p)?.status?.phase === 'Running';
        }),
      'ovnkube-node Running',
      90_000,
      100,
    );
  }, 180_000);

  afterAll(async () => {
    await sim?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('kubectl get pods shows ovnkube-node (one per node) and ovnkube-control-plane Running', async () => {
    await waitFor(
      () =>
        sim.store
          .list(POD, { namespace: 'openshift-ovn-kubernetes', labelSelector: 'app=ovnkube-control-plane' })
          .some((p) => p.status?.phase === 'Running'),
      'control plane',
      30_000,
      100,
    );
    await waitFor(
      () =>
        sim.store
          .list(POD, { namespace: 'openshift-ovn-kubernetes', labelSelector: 'app=ovnkube-node' })
          .every((p) => condition(p, 'Ready')?.status === 'True'),
      'ovnkube-node pods Ready (readiness probes 5 s / speed)',
      30_000,
      100,
    );
    const r = await kubectl(['get', 'pods', '-n', 'openshift-ovn-kubernetes', '-o', 'wide']);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n').filter((l) => l.startsWith('ovnkube-node-'));
    expect(lines).toHaveLength(3);
    for (const l of lines) expect(l).toMatch(/\s8\/8\s+Running\s+0\s/);
    expect(r.stdout).toMatch(/ovnkube-control-plane-\w+-\w{5}\s+2\/2\s+Running/);
  });

  it('exec into nbdb runs the real ovn-nbctl; a missing binary fails with exit 127 like CRI-O', async () => {
    const pod = ovnkubeNode('worker-0') ?? '';
    const ok = await kubectl(['exec', '-n', 'openshift-ovn-kubernetes', pod, '-c', 'nbdb', '--', 'ovn-nbctl', '--version']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/ovn-nbctl .*\d+\.\d+/);
    const missing = await kubectl(['exec', '-n', 'openshift-ovn-kubernetes', pod, '-c', 'nbdb', '--', 'vim']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('exec: "vim": executable file not found in $PATH');
    const rbac = await kubectl(['exec', '-n', 'openshift-ovn-kubernetes', pod, '-c', 'kube-rbac-proxy-node', '--', 'sh', '-c', 'true']);
    expect(rbac.code).not.toBe(0);
    expect(rbac.stderr).toContain('exec: "sh": executable file not found in $PATH');
  });

  it("exec passes a real binary's output through as bytes: a UTF-8 character across a 64 KiB pipe read, binary data", async () => {
    const pod = ovnkubeNode('worker-0') ?? '';
    // 'é' starts at byte 65535, so its two bytes land in two pipe reads (the read size is 64 KiB)
    const text = Buffer.concat([Buffer.alloc(65535, 'a'), Buffer.from('é€ end\n')]);
    const binary = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7919) % 256));
    for (const [name, bytes] of [
      ['utf8.txt', text],
      ['binary.bin', binary],
    ] as const) {
      const file = join(dir, name);
      writeFileSync(file, bytes);
      const got = await new Promise<Buffer>((resolve, reject) =>
        execFile(
          kubectlBin(),
          ['exec', '-n', 'openshift-ovn-kubernetes', pod, '-c', 'nbdb', '--', 'cat', file],
          { env: { ...process.env, KUBECONFIG: sim.kubeconfigPath, HOME: dir }, encoding: 'buffer', maxBuffer: 8 << 20, timeout: 60_000 },
          (err, stdout) => (err ? reject(err) : resolve(stdout)),
        ),
      );
      expect(got.length, name).toBe(bytes.length);
      expect(got.equals(bytes), name).toBe(true);
    }
  });

  it('a debug pod reboots worker-1; ovnkube-node restarts with restartCount 1 and logs --previous', async () => {
    const pod = ovnkubeNode('worker-1') ?? '';
    sim.ctx.services.appendLog?.(
      { namespace: 'openshift-ovn-kubernetes', pod, container: 'ovnkube-controller' },
      'I1121 10:00:00.000000    1 before-reboot marker',
    );
    const debug = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'worker-1-debug', namespace: 'default' },
      spec: {
        nodeName: 'worker-1',
        hostPID: true,
        hostNetwork: true,
        restartPolicy: 'Never',
        containers: [
          {
            name: 'container-00',
            image: 'registry.redhat.io/rhel9/support-tools',
            command: ['chroot', '/host', 'systemctl', 'reboot'],
            securityContext: { privileged: true },
            volumeMounts: [{ name: 'host', mountPath: '/host' }],
          },
        ],
        volumes: [{ name: 'host', hostPath: { path: '/', type: 'Directory' } }],
      },
    };
    sim.store.create(POD, debug);
    await waitFor(
      () => condition(sim.store.get(NODE, undefined, 'worker-1'), 'Ready')?.status === 'Unknown',
      'worker-1 NotReady',
      30_000,
      50,
    );
    const nodes = await kubectl(['get', 'nodes']);
    // kubectl prints NotReady for Ready=Unknown, as on a real cluster
    expect(nodes.stdout).toMatch(/worker-1\s+NotReady\s/);
    await waitFor(() => condition(sim.store.get(NODE, undefined, 'worker-1'), 'Ready')?.status === 'True', 'worker-1 Ready', 60_000, 50);
    await waitFor(
      () => {
        const p = sim.store.get(POD, 'openshift-ovn-kubernetes', pod);
        return (
          condition(p, 'Ready')?.status === 'True' &&
          ((p?.status?.containerStatuses ?? []) as { restartCount: number }[]).every((c) => c.restartCount === 1)
        );
      },
      'ovnkube-node restarted',
      60_000,
      50,
    );
    const prev = await kubectl(['logs', '-n', 'openshift-ovn-kubernetes', pod, '-c', 'ovnkube-controller', '--previous']);
    expect(prev.code).toBe(0);
    expect(prev.stdout).toContain('before-reboot marker');
    const ev = await kubectl([
      'get',
      'events',
      '-n',
      'default',
      '--field-selector',
      'involvedObject.name=worker-1',
      '-o',
      'jsonpath={range .items[*]}{.reason}{"\\n"}{end}',
    ]);
    expect(ev.stdout.split('\n')).toEqual(expect.arrayContaining(['NodeNotReady', 'Rebooted', 'NodeReady']));
  });
});
