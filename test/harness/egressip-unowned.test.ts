/**
 * Issue 9 item 8 on the embedded cluster: rows made by hand with real `ovn-nbctl` (kubectl exec into the
 * nbdb container of ovnkube-node, as a QE engineer would) are found by the EgressIP check, with the node
 * named, and kinds that say ovnkube does not own them; the clean cluster passes first.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type RunningCluster } from '../../sim/cluster.ts';
import { defaultNodes } from '../../sim/topology.ts';
import type { KubeObject } from '../../sim/types.ts';
import { GVR } from '../../sim/ovnkube/k8s.ts';
import { kubectlBin } from '../sim-api/helpers.ts';
import { connect } from '../../harness/cluster/connect.ts';
import { egressipCheck } from '../../harness/checks/egressip/index.ts';
import type { CheckFinding } from '../../harness/checks/types.ts';

const nodes = defaultNodes(1, 3);
const EIP = '192.168.126.110';
const NO_POD_IP = '10.250.77.7';
let sim: RunningCluster;
let dir: string;

function kubectl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      kubectlBin(),
      args,
      { env: { ...process.env, KUBECONFIG: sim.kubeconfigPath, HOME: dir, KUBECACHEDIR: join(dir, 'kc') }, timeout: 60_000 },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: unknown }).code as number) || 1 : 0, stdout: String(stdout), stderr: String(stderr) }),
    );
  });
}

async function until(fn: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const ovnkubeNodePod = (node: string): string | undefined =>
  sim.store
    .list(GVR.pods, { namespace: 'openshift-ovn-kubernetes' })
    .find(
      (p) =>
        p.metadata.labels?.app === 'ovnkube-node' && (p.spec as { nodeName?: string }).nodeName === node && !p.metadata.deletionTimestamp,
    )?.metadata.name;

async function nbctl(node: string, ...args: string[]): Promise<string> {
  const r = await kubectl(['exec', '-n', 'openshift-ovn-kubernetes', ovnkubeNodePod(node) ?? '', '-c', 'nbdb', '--', 'ovn-nbctl', ...args]);
  if (r.code !== 0) throw new Error(`ovn-nbctl ${args.join(' ')} on ${node}: ${r.stderr}`);
  return r.stdout;
}

const eipNode = (): string =>
  ((sim.store.get(GVR.egressips, undefined, 'eip-own')?.status as { items?: { node: string }[] } | undefined)?.items ?? [])[0]?.node ?? '';
const podIps = (): string[] =>
  sim.store
    .list(GVR.pods, { namespace: 'prod' })
    .map((p) => (p.status as { podIP?: string } | undefined)?.podIP ?? '')
    .filter(Boolean);

async function check(): Promise<CheckFinding[]> {
  const cluster = connect({ kubeconfig: sim.kubeconfigPath });
  const params = egressipCheck.params.parse({ concurrency: 4 });
  const o = await egressipCheck.collect(cluster, params, {});
  return egressipCheck.evaluate(o, params);
}

function pod(name: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'prod', labels: { app: 'web' } },
    spec: { nodeName: 'worker-0', containers: [{ name: 'web', image: 'quay.io/example/web:1' }] },
  };
}

describe('EgressIP check on the embedded cluster: rows ovnkube does not own', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nhk-unowned-'));
    sim = await startCluster({ workdir: join(dir, 'sim'), nodes, speed: 20, log: () => undefined });
    const { store } = sim;
    await until(
      () =>
        nodes.every((n) => {
          const p = ovnkubeNodePod(n.name);
          return (store.get(GVR.pods, 'openshift-ovn-kubernetes', p ?? '')?.status as { phase?: string } | undefined)?.phase === 'Running';
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
    for (let i = 0; i < 3; i++) store.create(GVR.pods, pod(`web-${i}`));
    store.create(GVR.egressips, {
      apiVersion: 'k8s.ovn.org/v1',
      kind: 'EgressIP',
      metadata: { name: 'eip-own' },
      spec: {
        egressIPs: [EIP],
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'prod' } },
        podSelector: { matchLabels: { app: 'web' } },
      },
    });
    await until(() => eipNode() !== '' && podIps().length === 3, 30_000, 'EgressIP assigned, pods with IPs');
    await until(async () => (await check()).length === 0, 60_000, 'the check to pass on the clean cluster');
  }, 180_000);

  afterAll(async () => {
    await sim?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the clean cluster passes', async () => {
    expect(await check()).toEqual([]);
  }, 60_000);

  it('lr-nat-add GR_<egress node> snat <EgressIP> <an IP no pod has>: unowned-snat on the egress node', async () => {
    const node = eipNode();
    await nbctl(node, 'lr-nat-add', `GR_${node}`, 'snat', EIP, NO_POD_IP);
    const f = await check();
    await nbctl(node, 'lr-nat-del', `GR_${node}`, 'snat', NO_POD_IP);
    expect(f.map((x) => x.kind)).toEqual(['unowned-snat']);
    expect(f[0].node).toBe(node);
    expect(f[0].labels?.egressip).toBe('eip-own');
    expect(f[0].actual).toContain(NO_POD_IP);
  }, 60_000);

  it('a hand-made SNAT for a served pod on a non-egress node: unowned-snat naming that node and pod', async () => {
    const ip = podIps()[0];
    await nbctl('worker-0', 'lr-nat-add', 'GR_worker-0', 'snat', EIP, ip);
    const f = await check();
    await nbctl('worker-0', 'lr-nat-del', 'GR_worker-0', 'snat', ip);
    expect(f.map((x) => x.kind)).toEqual(['unowned-snat']);
    expect(f[0].node).toBe('worker-0');
    expect(f[0].subject).toMatch(/^pod\/prod\/web-\d$/);
  }, 60_000);

  it('a deleted SNAT re-added by hand with the right IPs but no external_ids: unowned-snat, not missing-snat', async () => {
    const node = eipNode();
    const ip = podIps()[1];
    await nbctl(node, 'lr-nat-del', `GR_${node}`, 'snat', ip);
    const gone = await check();
    expect(gone.map((x) => x.kind)).toContain('missing-snat');
    await nbctl(node, '--may-exist', 'lr-nat-add', `GR_${node}`, 'snat', EIP, ip);
    const f = await check();
    expect(f.map((x) => x.kind)).not.toContain('missing-snat');
    const u = f.filter((x) => x.kind === 'unowned-snat');
    expect(u).toHaveLength(1);
    expect(u[0].node).toBe(node);
    expect(u[0].message).toMatch(/as expected, but has no ovnkube external_ids/);
  }, 60_000);
});
