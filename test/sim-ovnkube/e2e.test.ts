/**
 * End to end through startCluster (real OVN per node, kubelet, controllers, emulated ovnkube):
 * 1 master + 3 workers, one EgressIP over 5 pods. Reads NB the way QE does: kubectl exec into the
 * ovnkube-node pod's nbdb container, ovn-nbctl / ovn-trace. Then reboots the egress node and checks
 * the rows follow the EgressIP, and that with the stale-SNAT fault on they do not.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type RunningCluster } from '../../sim/cluster.ts';
import { defaultNodes, nodeAddressing } from '../../sim/topology.ts';
import type { KubeObject } from '../../sim/types.ts';
import { kubectlBin } from '../sim-api/helpers.ts';
import { GVR } from '../../sim/ovnkube/k8s.ts';
import { FAULTS_CONFIGMAP, FAULTS_NAMESPACE } from '../../sim/ovnkube/faults.ts';

const nodes = defaultNodes(1, 3);
const EIP = '192.168.126.100';
let sim: RunningCluster;
let dir: string;

function kubectl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      kubectlBin(),
      args,
      {
        env: { ...process.env, KUBECONFIG: sim.kubeconfigPath, HOME: dir, KUBECACHEDIR: join(dir, 'kc') },
        timeout: 60_000,
        maxBuffer: 64 << 20,
      },
      (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: unknown }).code as number) || 1 : 0, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

async function until(fn: () => boolean | Promise<boolean>, ms = 60_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function ovnkubeNodePod(node: string): string | undefined {
  return sim.store
    .list(GVR.pods, { namespace: 'openshift-ovn-kubernetes' })
    .find(
      (p) =>
        p.metadata.labels?.app === 'ovnkube-node' && (p.spec as { nodeName?: string }).nodeName === node && !p.metadata.deletionTimestamp,
    )?.metadata.name;
}

async function nbctl(node: string, ...args: string[]): Promise<string> {
  const pod = ovnkubeNodePod(node);
  if (!pod) return '';
  const r = await kubectl(['exec', '-n', 'openshift-ovn-kubernetes', pod, '-c', 'nbdb', '--', 'ovn-nbctl', ...args]);
  return r.code === 0 ? r.stdout : '';
}

const snats = async (node: string): Promise<string[]> =>
  (await nbctl(node, 'lr-nat-list', `GR_${node}`)).split('\n').filter((l) => l.startsWith('snat') && l.includes(EIP));
const reroutes = async (node: string): Promise<string[]> =>
  (await nbctl(node, 'lr-policy-list', 'ovn_cluster_router')).split('\n').filter((l) => /^\s+100 /.test(l));
const transitIp = (node: string): string => {
  const spec = nodes.find((n) => n.name === node);
  if (!spec) throw new Error(node);
  return (nodeAddressing(spec, 'ipv4').transitIp.v4 ?? '').split('/')[0];
};
const prodPods = (): number => sim.store.list(GVR.pods, { namespace: 'prod' }).length;
const eipStatus = (): { node: string; egressIP: string }[] =>
  (sim.store.get(GVR.egressips, undefined, 'eip-e2e')?.status as { items?: { node: string; egressIP: string }[] } | undefined)?.items ?? [];

function pod(name: string, node: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'prod', labels: { app: 'web' } },
    spec: { nodeName: node, containers: [{ name: 'web', image: 'quay.io/example/web:1' }] },
  };
}

describe('e2e: EgressIP through startCluster', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nhk-e2e-'));
    sim = await startCluster({ workdir: join(dir, 'sim'), nodes, speed: 20, log: () => undefined });
    const { store } = sim;
    await until(
      () =>
        nodes.every((n) => {
          const p = ovnkubeNodePod(n.name);
          const o = p ? store.get(GVR.pods, 'openshift-ovn-kubernetes', p) : undefined;
          return (o?.status as { phase?: string } | undefined)?.phase === 'Running';
        }),
      60_000,
      'ovnkube-node pods Running',
    );
    for (const n of ['worker-1', 'worker-2'])
      store.mutate(GVR.nodes, undefined, n, (o) => {
        o.metadata.labels = { ...o.metadata.labels, 'k8s.ovn.org/egress-assignable': '' };
      });
    store.create(GVR.namespaces, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'prod', labels: { 'kubernetes.io/metadata.name': 'prod' } },
    });
    for (let i = 0; i < 5; i++) store.create(GVR.pods, pod(`web-${i}`, 'worker-0'));
    store.create(GVR.egressips, {
      apiVersion: 'k8s.ovn.org/v1',
      kind: 'EgressIP',
      metadata: { name: 'eip-e2e' },
      spec: {
        egressIPs: [EIP],
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'prod' } },
        podSelector: { matchLabels: { app: 'web' } },
      },
    });
    await until(() => eipStatus().length === 1, 30_000, 'EgressIP assigned');
  }, 180_000);

  afterAll(async () => {
    await sim?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('egress node nbdb: lr-nat-list shows the 5 SNATs; pod node: 5 reroutes via the transit IP', async () => {
    const egress = eipStatus()[0].node;
    expect(['worker-1', 'worker-2']).toContain(egress);
    await until(async () => (await snats(egress)).length === 5, 30_000, '5 SNATs');
    await until(async () => (await reroutes('worker-0')).length === 5, 30_000, '5 reroutes');
    for (const l of await reroutes('worker-0')) expect(l).toContain(transitIp(egress));
    const kubectlGet = await kubectl(['get', 'egressip', 'eip-e2e', '-o', 'jsonpath={.status.items[0].node}']);
    expect(kubectlGet.stdout).toBe(egress);
  }, 90_000);

  it('ovn-trace from a selected pod hits the priority-100 reroute', async () => {
    const p = sim.store.get(GVR.pods, 'prod', 'web-0');
    const ip = (p?.status as { podIP?: string }).podIP ?? '';
    const mac = ['0a', '58', ...ip.split('.').map((x) => Number(x).toString(16).padStart(2, '0'))].join(':');
    const w0 = nodes.find((n) => n.name === 'worker-0');
    if (!w0) throw new Error('worker-0');
    const rtos = [
      '0a',
      '58',
      ...(nodeAddressing(w0, 'ipv4').routerIp.v4 ?? '').split('.').map((x) => Number(x).toString(16).padStart(2, '0')),
    ].join(':');
    const pod0 = ovnkubeNodePod('worker-0') ?? '';
    const flow = `inport == "prod_web-0" && eth.src == ${mac} && eth.dst == ${rtos} && ip4.src == ${ip} && ip4.dst == 8.8.8.8 && ip.ttl == 64 && tcp && tcp.dst == 80`;
    let out = '';
    await until(
      async () => {
        const r = await kubectl(['exec', '-n', 'openshift-ovn-kubernetes', pod0, '-c', 'nbdb', '--', 'ovn-trace', 'worker-0', flow]);
        out = r.stdout + r.stderr;
        return out.includes('lr_in_policy') && out.includes('priority 100');
      },
      30_000,
      'ovn-trace to show the reroute',
    );
    expect(out).toContain(transitIp(eipStatus()[0].node));
  }, 60_000);

  it('reboot the egress node: the EgressIP moves and the rows follow', async () => {
    const old = eipStatus()[0].node;
    const other = old === 'worker-1' ? 'worker-2' : 'worker-1';
    await sim.ctx.services.nodeActions?.reboot(old);
    await until(() => eipStatus()[0]?.node === other, 60_000, 'EgressIP to move');
    await until(async () => (await snats(other)).length === 5, 30_000, 'SNATs on the new egress node');
    await until(
      async () => (await reroutes('worker-0')).every((l) => l.includes(transitIp(other)) && !l.includes(transitIp(old))),
      30_000,
      'reroutes to follow',
    );
    // the old node comes back: its startup sync removes its stale SNATs
    await until(
      async () => ovnkubeNodePod(old) !== undefined && (await nbctl(old, 'show')).length > 0 && (await snats(old)).length === 0,
      90_000,
      'old egress node clean after reboot',
    );
  }, 200_000);

  it('with eip-stale-snat-lrp-after-failover on, the rows do not follow', async () => {
    sim.store.mutate({ group: '', version: 'v1', resource: 'configmaps' }, FAULTS_NAMESPACE, FAULTS_CONFIGMAP, (cm) => {
      cm.data = { ...(cm.data as Record<string, string> | undefined), 'eip-stale-snat-lrp-after-failover': 'on' };
    });
    const old = eipStatus()[0].node;
    const other = old === 'worker-1' ? 'worker-2' : 'worker-1';
    await until(async () => (await snats(old)).length === 5, 30_000, 'SNATs on current egress node');
    await sim.ctx.services.nodeActions?.reboot(old);
    await until(() => eipStatus()[0]?.node === other, 60_000, 'EgressIP to move');
    await until(async () => (await snats(other)).length === 5, 30_000, 'SNATs on the new egress node');
    await until(async () => ovnkubeNodePod(old) !== undefined && (await nbctl(old, 'show')).length > 0, 90_000, 'old node back');
    await new Promise((r) => setTimeout(r, 2000));
    expect(await snats(old)).toHaveLength(5); // stale SNATs stay on the old egress node
    expect((await reroutes('worker-0')).every((l) => l.includes(transitIp(old)) && l.includes(transitIp(other)))).toBe(true);
  }, 200_000);
  it('logs: kubectl logs shows the cluster-manager failover and ovnkube-controller pod status lines', async () => {
    const cp = sim.store
      .list(GVR.pods, { namespace: 'openshift-ovn-kubernetes' })
      .find((p) => p.metadata.labels?.app === 'ovnkube-control-plane' && (p.status as { phase?: string }).phase === 'Running');
    expect(cp).toBeDefined();
    const cm = await kubectl(['logs', '-n', 'openshift-ovn-kubernetes', cp?.metadata.name ?? '', '-c', 'ovnkube-cluster-manager']);
    expect(cm.stdout).toMatch(/Node: worker-\d is detected as unreachable, deleting it from egress assignment/);
    const zone = await kubectl(['logs', '-n', 'openshift-ovn-kubernetes', ovnkubeNodePod('worker-0') ?? '', '-c', 'ovnkube-controller']);
    expect(zone.stdout).toMatch(
      /^I\d{4} [\d:.]+ +\d+ egressip\.go:\d+\] Adding pod egress IP status: \{worker-\d 192\.168\.126\.100\} for EgressIP: eip-e2e and pod: prod\/web-\d/m,
    );
  }, 60_000);

  it('ovnkube-controller-crashloop: CrashLoopBackOff with a panic in --previous logs; heals when off', async () => {
    const setFault = (v: string) =>
      sim.store.mutate({ group: '', version: 'v1', resource: 'configmaps' }, FAULTS_NAMESPACE, FAULTS_CONFIGMAP, (cm) => {
        cm.data = {
          ...(cm.data as Record<string, string> | undefined),
          'eip-stale-snat-lrp-after-failover': 'off',
          'ovnkube-controller-crashloop': v,
        };
      });
    const state = () => {
      const p = sim.store.get(GVR.pods, 'openshift-ovn-kubernetes', ovnkubeNodePod('worker-0') ?? '');
      const cs = (
        (
          p?.status as {
            containerStatuses?: { name: string; restartCount: number; state?: { waiting?: { reason?: string }; running?: unknown } }[];
          }
        )?.containerStatuses ?? []
      ).find((c) => c.name === 'ovnkube-controller');
      return cs;
    };
    setFault('{"node":"worker-0"}');
    await until(() => state()?.state?.waiting?.reason === 'CrashLoopBackOff', 60_000, 'CrashLoopBackOff');
    // the panic is in the previous instance's log when the kubelet restarts the container (else in the current one)
    const prev = await kubectl([
      'logs',
      '-n',
      'openshift-ovn-kubernetes',
      ovnkubeNodePod('worker-0') ?? '',
      '-c',
      'ovnkube-controller',
      '--previous',
    ]);
    const cur = await kubectl(['logs', '-n', 'openshift-ovn-kubernetes', ovnkubeNodePod('worker-0') ?? '', '-c', 'ovnkube-controller']);
    expect(prev.stdout + cur.stdout).toContain('panic: runtime error: invalid memory address or nil pointer dereference');
    // the back-off is short at speed 20: poll the table until it shows the state
    await until(
      async () =>
        (await kubectl(['get', 'pods', '-n', 'openshift-ovn-kubernetes', ovnkubeNodePod('worker-0') ?? ''])).stdout.includes(
          'CrashLoopBackOff',
        ),
      30_000,
      'kubectl get pods to show CrashLoopBackOff',
    );
    // while down, a new selected pod is not programmed on worker-0
    sim.store.create(GVR.pods, pod('web-new', 'worker-0'));
    await new Promise((r) => setTimeout(r, 1500));
    expect((await reroutes('worker-0')).length).toBe(5);
    setFault('off');
    await until(() => !!state()?.state?.running, 90_000, 'ovnkube-controller running again');
    await until(async () => (await reroutes('worker-0')).length === 6, 30_000, 'new pod programmed after the restart sync');
  }, 200_000);

  it('stale-sb: northd on the node is paused while on, resumed when off', async () => {
    const setFault = (v: string) =>
      sim.store.mutate({ group: '', version: 'v1', resource: 'configmaps' }, FAULTS_NAMESPACE, FAULTS_CONFIGMAP, (cm) => {
        cm.data = { ...(cm.data as Record<string, string> | undefined), 'stale-sb': v };
      });
    const paused = async () => {
      const r = await kubectl([
        'exec',
        '-n',
        'openshift-ovn-kubernetes',
        ovnkubeNodePod('worker-1') ?? '',
        '-c',
        'northd',
        '--',
        'ovn-appctl',
        '-t',
        'ovn-northd',
        'is-paused',
      ]);
      return r.stdout.trim();
    };
    setFault('{"node":"worker-1"}');
    await until(async () => (await paused()) === 'true', 30_000, 'northd paused');
    setFault('off');
    await until(async () => (await paused()) === 'false', 30_000, 'northd resumed');
  }, 90_000);
  it('netharness check egressip (the harness check, over the kubeconfig) finds the sim consistent', async () => {
    sim.store.mutate({ group: '', version: 'v1', resource: 'configmaps' }, FAULTS_NAMESPACE, FAULTS_CONFIGMAP, (cm) => {
      cm.data = {};
    });
    // restart every zone so the stale rows of the fault tests are synced away
    for (const n of nodes) {
      const p = ovnkubeNodePod(n.name);
      if (p) sim.store.delete(GVR.pods, 'openshift-ovn-kubernetes', p);
    }
    await until(
      async () => (await snats(eipStatus()[0]?.node ?? '')).length === prodPods() && (await reroutes('worker-0')).length === prodPods(),
      90_000,
      'zones back after pod restarts',
    );
    const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        'npx',
        ['tsx', 'harness/cli.ts', 'check', 'egressip', '--kubeconfig', sim.kubeconfigPath, '--json'],
        { cwd: process.cwd(), env: { ...process.env, HOME: dir }, timeout: 120_000, maxBuffer: 64 << 20 },
        (err, stdout, stderr) => {
          resolve({ code: err ? ((err as { code?: unknown }).code as number) || 1 : 0, stdout: String(stdout), stderr: String(stderr) });
        },
      );
    });
    expect(r.code, r.stdout.slice(0, 2000) + r.stderr.slice(0, 2000)).toBe(0);
  }, 200_000);

  it('the harness check reports the stale SNATs the stale-SNAT fault leaves after a failover', async () => {
    sim.store.mutate({ group: '', version: 'v1', resource: 'configmaps' }, FAULTS_NAMESPACE, FAULTS_CONFIGMAP, (cm) => {
      cm.data = { 'eip-stale-snat-lrp-after-failover': 'on' };
    });
    const old = eipStatus()[0].node;
    const other = old === 'worker-1' ? 'worker-2' : 'worker-1';
    await sim.ctx.services.nodeActions?.reboot(old);
    await until(() => eipStatus()[0]?.node === other, 60_000, 'EgressIP to move');
    await until(
      async () =>
        ovnkubeNodePod(old) !== undefined && (await snats(old)).length === prodPods() && (await snats(other)).length === prodPods(),
      90_000,
      'old node back with stale SNATs',
    );
    const r = await new Promise<{ code: number; stdout: string }>((resolve) => {
      execFile(
        'npx',
        ['tsx', 'harness/cli.ts', 'check', 'egressip', '--kubeconfig', sim.kubeconfigPath, '--json'],
        { cwd: process.cwd(), env: { ...process.env, HOME: dir }, timeout: 120_000, maxBuffer: 64 << 20 },
        (err, stdout) => {
          resolve({ code: err ? ((err as { code?: unknown }).code as number) || 1 : 0, stdout: String(stdout) });
        },
      );
    });
    expect(r.code).toBe(1);
    const res = JSON.parse(r.stdout) as { consistent: boolean; findings: { node?: string }[] };
    expect(res.consistent).toBe(false);
    expect(res.findings.some((f) => f.node === old)).toBe(true);
  }, 200_000);

  it('northd-down: ovn-northd of the node exits while on and is started again when off', async () => {
    const setFault = (v: string) =>
      sim.store.mutate({ group: '', version: 'v1', resource: 'configmaps' }, FAULTS_NAMESPACE, FAULTS_CONFIGMAP, (cm) => {
        cm.data = { ...(cm.data as Record<string, string> | undefined), 'northd-down': v };
      });
    const alive = async () =>
      (
        await kubectl([
          'exec',
          '-n',
          'openshift-ovn-kubernetes',
          ovnkubeNodePod('worker-2') ?? '',
          '-c',
          'northd',
          '--',
          'ovn-appctl',
          '-t',
          'ovn-northd',
          'version',
        ])
      ).code === 0;
    await until(alive, 30_000, 'northd up');
    setFault('{"node":"worker-2"}');
    await until(async () => !(await alive()), 30_000, 'northd down');
    setFault('off');
    await until(alive, 30_000, 'northd up again');
  }, 120_000);
});
