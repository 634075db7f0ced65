/**
 * @kubernetes/client-node 1.x against the sim: typed CRUD, custom objects, watch, informer, exec, log.
 */
import { PassThrough, Writable } from 'node:stream';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { podManifest, startTestCluster, type TestCluster } from './helpers.ts';

let tc: TestCluster;
let kc: k8s.KubeConfig;
let core: k8s.CoreV1Api;

beforeAll(async () => {
  tc = await startTestCluster();
  kc = new k8s.KubeConfig();
  kc.loadFromFile(tc.kubeconfig);
  core = kc.makeApiClient(k8s.CoreV1Api);
});

afterAll(async () => {
  await tc?.cluster.stop();
});

async function waitFor(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('client-node', () => {
  it('CRUD on core kinds with typed errors', async () => {
    const created = await core.createNamespacedConfigMap({
      namespace: 'default',
      body: { metadata: { name: 'cfg', labels: { a: 'b' } }, data: { k: 'v' } },
    });
    expect(created.metadata?.uid).toBeTruthy();
    const got = await core.readNamespacedConfigMap({ name: 'cfg', namespace: 'default' });
    expect(got.data).toEqual({ k: 'v' });
    const list = await core.listNamespacedConfigMap({ namespace: 'default', labelSelector: 'a=b' });
    expect(list.items.map((i) => i.metadata?.name)).toEqual(['cfg']);
    got.data = { k: 'v2' };
    const updated = await core.replaceNamespacedConfigMap({ name: 'cfg', namespace: 'default', body: got });
    expect(updated.data).toEqual({ k: 'v2' });
    // stale resourceVersion -> 409 Conflict
    await expect(core.replaceNamespacedConfigMap({ name: 'cfg', namespace: 'default', body: got })).rejects.toMatchObject({ code: 409 });
    const patched = await core.patchNamespacedConfigMap(
      { name: 'cfg', namespace: 'default', body: { data: { extra: 'x' } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    expect(patched.data).toEqual({ k: 'v2', extra: 'x' });
    await core.deleteNamespacedConfigMap({ name: 'cfg', namespace: 'default' });
    await expect(core.readNamespacedConfigMap({ name: 'cfg', namespace: 'default' })).rejects.toMatchObject({ code: 404 });
    const nodes = await core.listNode();
    expect(nodes.items).toHaveLength(6);
    expect(nodes.items[0].status?.nodeInfo?.kubeletVersion).toMatch(/^v1\.31\./);
  });

  it('custom objects: EgressIP create/get/list and schema validation', async () => {
    const co = kc.makeApiClient(k8s.CustomObjectsApi);
    await co.createClusterCustomObject({
      group: 'k8s.ovn.org',
      version: 'v1',
      plural: 'egressips',
      body: {
        apiVersion: 'k8s.ovn.org/v1',
        kind: 'EgressIP',
        metadata: { name: 'eip-cn' },
        spec: { egressIPs: ['192.168.126.77'], namespaceSelector: { matchLabels: { x: 'y' } } },
      },
    });
    const got = (await co.getClusterCustomObject({ group: 'k8s.ovn.org', version: 'v1', plural: 'egressips', name: 'eip-cn' })) as {
      spec: { egressIPs: string[] };
    };
    expect(got.spec.egressIPs).toEqual(['192.168.126.77']);
    await expect(
      co.createClusterCustomObject({
        group: 'k8s.ovn.org',
        version: 'v1',
        plural: 'egressips',
        body: {
          apiVersion: 'k8s.ovn.org/v1',
          kind: 'EgressIP',
          metadata: { name: 'eip-bad' },
          spec: { egressIPs: 'not-a-list', namespaceSelector: {} },
        },
      }),
    ).rejects.toMatchObject({ code: 422 });
    const ptp = (await co.listNamespacedCustomObject({
      group: 'ptp.openshift.io',
      version: 'v1',
      namespace: 'openshift-ptp',
      plural: 'ptpconfigs',
    })) as { items: unknown[] };
    expect(ptp.items).toEqual([]);
  });

  it('watch delivers ADDED/MODIFIED/DELETED from a resourceVersion', async () => {
    const list = await core.listNamespacedPod({ namespace: 'default' });
    const events: string[] = [];
    const w = new k8s.Watch(kc);
    const ctl = await w.watch(
      '/api/v1/namespaces/default/pods',
      { resourceVersion: list.metadata?.resourceVersion },
      (type, obj: k8s.V1Pod) => events.push(`${type} ${obj.metadata?.name}`),
      () => {},
    );
    try {
      await core.createNamespacedPod({ namespace: 'default', body: podManifest('w1') as k8s.V1Pod });
      await core.patchNamespacedPod(
        { name: 'w1', namespace: 'default', body: { metadata: { labels: { x: '1' } } } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      );
      await core.deleteNamespacedPod({ name: 'w1', namespace: 'default', gracePeriodSeconds: 0 });
      await waitFor(() => events.length >= 3);
      expect(events.slice(0, 3)).toEqual(['ADDED w1', 'MODIFIED w1', 'DELETED w1']);
    } finally {
      ctl.abort();
    }
  });

  it('informer keeps a cache in sync', async () => {
    const informer = k8s.makeInformer(kc, '/api/v1/namespaces/netharness/configmaps', () =>
      core.listNamespacedConfigMap({ namespace: 'netharness' }),
    );
    const seen: string[] = [];
    informer.on('add', (o: k8s.V1ConfigMap) => seen.push(`add ${o.metadata?.name}`));
    informer.on('update', (o: k8s.V1ConfigMap) => seen.push(`update ${o.metadata?.name}`));
    informer.on('delete', (o: k8s.V1ConfigMap) => seen.push(`delete ${o.metadata?.name}`));
    await informer.start();
    try {
      await core.createNamespacedConfigMap({ namespace: 'netharness', body: { metadata: { name: 'inf' }, data: { a: '1' } } });
      await waitFor(() => informer.list().some((c) => c.metadata?.name === 'inf'));
      await core.patchNamespacedConfigMap(
        { name: 'inf', namespace: 'netharness', body: { data: { a: '2' } } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      );
      await waitFor(() => informer.get('inf', 'netharness')?.data?.a === '2');
      await core.deleteNamespacedConfigMap({ name: 'inf', namespace: 'netharness' });
      await waitFor(() => !informer.list().some((c) => c.metadata?.name === 'inf'));
      expect(seen).toEqual(['add inf', 'update inf', 'delete inf']);
    } finally {
      await informer.stop();
    }
  });

  it('exec over websocket with status and stdin', async () => {
    await core.createNamespacedPod({ namespace: 'default', body: podManifest('ex1') as k8s.V1Pod });
    const exec = new k8s.Exec(kc);
    const run = (cmd: string[], stdin: PassThrough | null = null) =>
      new Promise<{ out: string; status: k8s.V1Status }>((resolve, reject) => {
        let out = '';
        const stdout = new Writable({ write: (c: Buffer, _e, cb) => ((out += c.toString()), cb()) });
        exec
          .exec('default', 'ex1', 'app', cmd, stdout, null, stdin, false, (status) => setTimeout(() => resolve({ out, status }), 20))
          .catch(reject);
      });
    const ok = await run(['echo', 'hi', 'there']);
    expect(ok.out).toBe('hi there\n');
    expect(ok.status.status).toBe('Success');
    const bad = await run(['exit', '4']);
    expect(bad.status.status).toBe('Failure');
    expect(bad.status.details?.causes?.[0]).toEqual({ reason: 'ExitCode', message: '4' });
    const stdin = new PassThrough();
    const p = run(['cat'], stdin);
    stdin.end('piped\n');
    expect((await p).out).toBe('piped\n');
  });

  it('log: read and follow', async () => {
    await core.createNamespacedPod({ namespace: 'default', body: podManifest('lg1') as k8s.V1Pod });
    const ref = { namespace: 'default', pod: 'lg1', container: 'app' };
    tc.runtime.append(ref, 'first');
    tc.runtime.append(ref, 'second');
    const text = await core.readNamespacedPodLog({ name: 'lg1', namespace: 'default', container: 'app', tailLines: 1 });
    expect(text).toBe('second\n');
    const log = new k8s.Log(kc);
    let out = '';
    const sink = new Writable({ write: (c: Buffer, _e, cb) => ((out += c.toString()), cb()) });
    const ctl = await log.log('default', 'lg1', 'app', sink, { follow: true, tailLines: 1 });
    try {
      await waitFor(() => out === 'second\n');
      tc.runtime.append(ref, 'third');
      await waitFor(() => out === 'second\nthird\n');
    } finally {
      ctl.abort();
    }
  });
});
