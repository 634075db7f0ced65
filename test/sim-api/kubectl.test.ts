/**
 * Real kubectl (1.32) against the sim API: the commands users type, checked on their output.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectl, kubectlBin, podManifest, startTestCluster, type TestCluster } from './helpers.ts';

let tc: TestCluster;
const PODS = { group: '', version: 'v1', resource: 'pods' };

beforeAll(async () => {
  tc = await startTestCluster();
  const s = tc.cluster.store;
  const pod = podManifest('web-1');
  pod.spec.containers.push({ name: 'sidecar', image: 'registry.example/side:1' });
  const created = s.create(PODS, pod);
  s.mutate(
    PODS,
    'default',
    'web-1',
    (o) => {
      o.status = {
        phase: 'Running',
        podIP: '10.128.4.10',
        hostIP: '192.168.126.14',
        containerStatuses: [
          { name: 'app', ready: true, restartCount: 1, state: { running: { startedAt: '2026-01-01T00:00:00Z' } } },
          { name: 'sidecar', ready: true, restartCount: 0, state: { running: {} } },
        ],
      };
    },
    { subresource: 'status' },
  );
  s.create(PODS, {
    ...podManifest('db-1'),
    metadata: { name: 'db-1', namespace: 'default', labels: { app: 'db' } },
    spec: { nodeName: 'worker-1', containers: [{ name: 'db', image: 'db:1' }] },
  });
  s.create(PODS, podManifest('ovnkube-node-abcde', 'openshift-ovn-kubernetes'));
  s.create(
    { group: '', version: 'v1', resource: 'events' },
    {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'web-1.1', namespace: 'default' },
      involvedObject: { kind: 'Pod', name: 'web-1', namespace: 'default', uid: created.metadata.uid, apiVersion: 'v1' },
      reason: 'Pulled',
      message: 'Container image "registry.example/app:1" already present on machine',
      type: 'Normal',
      count: 1,
      firstTimestamp: new Date().toISOString(),
      lastTimestamp: new Date().toISOString(),
      source: { component: 'kubelet', host: 'worker-0' },
    },
  );
  for (let i = 1; i <= 5; i++) tc.runtime.append({ namespace: 'default', pod: 'web-1', container: 'app' }, `app line ${i}`);
  tc.runtime.append({ namespace: 'default', pod: 'web-1', container: 'sidecar' }, 'sidecar says hi');
});

afterAll(async () => {
  await tc?.cluster.stop();
});

describe('kubectl get', () => {
  it('uses kubectl 1.32', async () => {
    const r = await kubectl(tc, ['version', '-o', 'json']);
    expect(r.code).toBe(0);
    const v = JSON.parse(r.stdout) as { clientVersion: { minor: string }; serverVersion: { gitVersion: string } };
    expect(v.serverVersion.gitVersion).toBe('v1.31.6');
    if (kubectlBin() !== 'kubectl') expect(v.clientVersion.minor).toBe('32');
  });

  it('nodes as a table with the usual columns, wide adds addresses and node info', async () => {
    const r = await kubectl(tc, ['get', 'nodes']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION$/);
    expect(lines).toHaveLength(7);
    expect(lines[1]).toMatch(/^master-0\s+Ready\s+control-plane,master\s+\S+\s+v1\.31\.6$/);
    expect(lines[4]).toMatch(/^worker-0\s+Ready\s+worker\s/);
    const w = await kubectl(tc, ['get', 'nodes', '-o', 'wide']);
    expect(w.stdout.split('\n')[0]).toMatch(/INTERNAL-IP\s+EXTERNAL-IP\s+OS-IMAGE\s+KERNEL-VERSION\s+CONTAINER-RUNTIME/);
    expect(w.stdout).toContain('192.168.126.11');
    expect(w.stdout).toContain('Red Hat Enterprise Linux CoreOS');
    expect(w.stdout).toContain('cri-o://');
  });

  it('pods: table, wide, json, yaml, jsonpath', async () => {
    const t = await kubectl(tc, ['get', 'pods']);
    expect(t.stdout).toMatch(/NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE/);
    expect(t.stdout).toMatch(/web-1\s+2\/2\s+Running\s+1\s+/);
    const w = await kubectl(tc, ['get', 'pods', '-o', 'wide']);
    expect(w.stdout).toMatch(/IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES/);
    expect(w.stdout).toMatch(/web-1\s+2\/2\s+Running\s+1\s+\S+\s+10\.128\.4\.10\s+worker-0\s+<none>\s+<none>/);
    const j = await kubectl(tc, ['get', 'pod', 'web-1', '-o', 'json']);
    expect((JSON.parse(j.stdout) as { metadata: { name: string } }).metadata.name).toBe('web-1');
    const y = await kubectl(tc, ['get', 'pod', 'web-1', '-o', 'yaml']);
    expect(y.stdout).toContain('name: web-1');
    const jp = await kubectl(tc, ['get', 'pods', '-o', 'jsonpath={.items[*].metadata.name}']);
    expect(jp.stdout.split(' ').sort()).toEqual(['db-1', 'web-1']);
  });

  it('label and field selectors, all namespaces', async () => {
    expect((await kubectl(tc, ['get', 'pods', '-l', 'app=web', '-o', 'name'])).stdout.trim()).toBe('pod/web-1');
    expect((await kubectl(tc, ['get', 'pods', '-l', 'app in (db,cache)', '-o', 'name'])).stdout.trim()).toBe('pod/db-1');
    expect((await kubectl(tc, ['get', 'pods', '-l', 'app!=web', '-o', 'name'])).stdout.trim()).toBe('pod/db-1');
    expect((await kubectl(tc, ['get', 'pods', '--field-selector', 'spec.nodeName=worker-1', '-o', 'name'])).stdout.trim()).toBe('pod/db-1');
    expect((await kubectl(tc, ['get', 'pods', '--field-selector', 'status.phase=Running', '-o', 'name'])).stdout.trim()).toBe('pod/web-1');
    const all = await kubectl(tc, ['get', 'pods', '-A']);
    expect(all.stdout).toMatch(/NAMESPACE\s+NAME\s+READY/);
    expect(all.stdout).toMatch(/openshift-ovn-kubernetes\s+ovnkube-node-abcde/);
  });

  it('get -w prints the table and then changes', async () => {
    const child = spawn(kubectlBin(), ['get', 'pods', '-w'], {
      env: { ...process.env, KUBECONFIG: tc.kubeconfig, KUBECACHEDIR: join(tc.dir, 'kubecache'), HOME: tc.dir },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await waitFor(() => out.includes('web-1'));
      tc.cluster.store.create(PODS, podManifest('watched-1'));
      await waitFor(() => out.includes('watched-1'));
      expect(out.split('\n')[0]).toMatch(/^NAME\s+READY\s+STATUS/);
    } finally {
      child.kill();
      tc.cluster.store.delete(PODS, 'default', 'watched-1', { gracePeriodSeconds: 0 });
    }
  });

  it('EgressIP printer columns as upstream', async () => {
    tc.cluster.store.create(
      { group: 'k8s.ovn.org', version: 'v1', resource: 'egressips' },
      {
        apiVersion: 'k8s.ovn.org/v1',
        kind: 'EgressIP',
        metadata: { name: 'eip-a' },
        spec: { egressIPs: ['192.168.126.200'], namespaceSelector: { matchLabels: { env: 'a' } } },
        status: { items: [{ node: 'worker-1', egressIP: '192.168.126.200' }] },
      },
    );
    const r = await kubectl(tc, ['get', 'eip']);
    expect(r.stdout).toMatch(/NAME\s+EGRESSIPS\s+ASSIGNED NODE\s+ASSIGNED EGRESSIPS/);
    expect(r.stdout).toMatch(/eip-a\s+192\.168\.126\.200\s+worker-1\s+192\.168\.126\.200/);
  });

  it('api-resources lists core, apps, CRD kinds', async () => {
    const r = await kubectl(tc, ['api-resources']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/pods\s+po\s+v1\s+true\s+Pod/);
    expect(r.stdout).toMatch(/egressips\s+eip\s+k8s\.ovn\.org\/v1\s+false\s+EgressIP/);
    expect(r.stdout).toMatch(/podchaos\s+chaos-mesh\.org\/v1alpha1\s+true\s+PodChaos/);
    expect(r.stdout).toMatch(/ptpconfigs\s+ptp\.openshift\.io\/v1\s+true\s+PtpConfig/);
    expect(r.stdout).toMatch(/clusterversions\s+config\.openshift\.io\/v1\s+false\s+ClusterVersion/);
  });
});

describe('kubectl describe', () => {
  it('pod, with events found by field selector', async () => {
    const r = await kubectl(tc, ['describe', 'pod', 'web-1']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Name:\s+web-1/);
    expect(r.stdout).toMatch(/Node:\s+worker-0/);
    expect(r.stdout).toMatch(/Normal\s+Pulled\s+.*kubelet\s+Container image/);
  });

  it('node', async () => {
    const r = await kubectl(tc, ['describe', 'node', 'worker-0']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Name:\s+worker-0/);
    expect(r.stdout).toMatch(/Roles:\s+worker/);
    expect(r.stdout).toContain('InternalIP:  192.168.126.14');
    expect(r.stdout).toContain('web-1');
  });
});

describe('kubectl writes', () => {
  const manifest = (replicas: number, image = 'nginx:1') => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: front
  labels: {app: front}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: front}}
  template:
    metadata: {labels: {app: front}}
    spec:
      containers:
      - name: web
        image: ${image}
        env: [{name: A, value: "1"}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: front-cfg}
data: {k: v}
---
apiVersion: k8s.ovn.org/v1
kind: EgressIP
metadata: {name: eip-front}
spec:
  egressIPs: [192.168.126.150]
  namespaceSelector: {matchLabels: {app: front}}
`;

  it('apply creates, re-apply is unchanged, a change is configured', async () => {
    let r = await kubectl(tc, ['apply', '-f', '-'], { input: manifest(2) });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('deployment.apps/front created');
    expect(r.stdout).toContain('configmap/front-cfg created');
    expect(r.stdout).toContain('egressip.k8s.ovn.org/eip-front created');
    r = await kubectl(tc, ['apply', '-f', '-'], { input: manifest(2) });
    expect(r.stdout).toContain('deployment.apps/front unchanged');
    expect(r.stdout).toContain('egressip.k8s.ovn.org/eip-front unchanged');
    r = await kubectl(tc, ['apply', '-f', '-'], { input: manifest(3, 'nginx:2') });
    expect(r.stdout).toContain('deployment.apps/front configured');
    const d = tc.cluster.store.get({ group: 'apps', version: 'v1', resource: 'deployments' }, 'default', 'front');
    expect((d?.spec as { replicas: number }).replicas).toBe(3);
    expect(d?.metadata.generation).toBe(2);
    expect(JSON.stringify(d?.spec)).toContain('nginx:2');
  });

  it('apply reports server-side validation errors', async () => {
    const r = await kubectl(tc, ['apply', '-f', '-'], {
      input: 'apiVersion: k8s.ovn.org/v1\nkind: EgressIP\nmetadata: {name: eip-bad}\nspec: {egressIPs: [1.2.3.4]}\n',
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('spec.namespaceSelector: Required value');
  });

  it('apply rejects unknown custom-resource fields (kubectl sends fieldValidation=Strict)', async () => {
    const r = await kubectl(tc, ['apply', '-f', '-'], {
      input:
        'apiVersion: k8s.ovn.org/v1\nkind: EgressIP\nmetadata: {name: eip-typo}\nspec: {egressIPs: [1.2.3.4], namespaceSelector: {}, podSelectr: {}}\n',
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('unknown field "spec.podSelectr"');
    expect(tc.cluster.store.get({ group: 'k8s.ovn.org', version: 'v1', resource: 'egressips' }, undefined, 'eip-typo')).toBeUndefined();
  });

  it('create, label, annotate, patch (merge, json, strategic), delete', async () => {
    let r = await kubectl(tc, ['create', 'configmap', 'cm1', '--from-literal=a=1']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('configmap/cm1 created');
    r = await kubectl(tc, ['create', 'configmap', 'cm1', '--from-literal=a=1']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('configmaps "cm1" already exists');
    r = await kubectl(tc, ['label', 'configmap', 'cm1', 'tier=gold']);
    expect(r.stdout).toContain('configmap/cm1 labeled');
    r = await kubectl(tc, ['annotate', 'configmap', 'cm1', 'note=hello']);
    expect(r.stdout).toContain('configmap/cm1 annotated');
    r = await kubectl(tc, ['patch', 'configmap', 'cm1', '--type', 'merge', '-p', '{"data":{"b":"2"}}']);
    expect(r.stdout).toContain('configmap/cm1 patched');
    r = await kubectl(tc, ['patch', 'configmap', 'cm1', '--type', 'json', '-p', '[{"op":"remove","path":"/data/a"}]']);
    expect(r.stdout).toContain('configmap/cm1 patched');
    const cm = tc.cluster.store.get({ group: '', version: 'v1', resource: 'configmaps' }, 'default', 'cm1');
    expect(cm?.data).toEqual({ b: '2' });
    expect(cm?.metadata.labels).toEqual({ tier: 'gold' });
    expect(cm?.metadata.annotations).toEqual({ note: 'hello' });
    r = await kubectl(tc, [
      'patch',
      'deployment',
      'front',
      '-p',
      '{"spec":{"template":{"spec":{"containers":[{"name":"web","env":[{"name":"B","value":"2"}]}]}}}}',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const d = tc.cluster.store.get({ group: 'apps', version: 'v1', resource: 'deployments' }, 'default', 'front');
    const c = (d?.spec as { template: { spec: { containers: { name: string; image: string; env: unknown[] }[] } } }).template.spec
      .containers;
    expect(c).toHaveLength(1);
    expect(c[0].image).toBe('nginx:2');
    expect(c[0].env).toEqual([
      { name: 'A', value: '1' },
      { name: 'B', value: '2' },
    ]);
    r = await kubectl(tc, ['delete', 'configmap', 'cm1']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('configmap "cm1" deleted');
    r = await kubectl(tc, ['get', 'configmap', 'cm1']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('configmaps "cm1" not found');
  });

  it('typed-client commands that post protobuf: create deployment, expose, create secret/namespace', async () => {
    let r = await kubectl(tc, ['create', 'deployment', 'typed', '--image=nginx:1', '--replicas=2', '--port=80']);
    expect(r.code, r.stderr).toBe(0);
    const d = tc.cluster.store.get({ group: 'apps', version: 'v1', resource: 'deployments' }, 'default', 'typed');
    expect(d?.spec).toMatchObject({
      replicas: 2,
      selector: { matchLabels: { app: 'typed' } },
      template: { spec: { containers: [{ name: 'nginx', image: 'nginx:1', ports: [{ containerPort: 80 }] }] } },
    });
    r = await kubectl(tc, ['expose', 'deployment', 'typed', '--port=8080', '--target-port=80']);
    expect(r.code, r.stderr).toBe(0);
    expect(tc.cluster.store.get({ group: '', version: 'v1', resource: 'services' }, 'default', 'typed')?.spec).toMatchObject({
      ports: [{ port: 8080, targetPort: 80, protocol: 'TCP' }],
      selector: { app: 'typed' },
    });
    r = await kubectl(tc, ['create', 'secret', 'generic', 'sec1', '--from-literal=k=v']);
    expect(r.code, r.stderr).toBe(0);
    expect(tc.cluster.store.get({ group: '', version: 'v1', resource: 'secrets' }, 'default', 'sec1')?.data).toEqual({
      k: Buffer.from('v').toString('base64'),
    });
    r = await kubectl(tc, ['create', 'namespace', 'typed-ns']);
    expect(r.code, r.stderr).toBe(0);
    r = await kubectl(tc, ['get', 'svc', 'typed', '-o', 'wide']);
    expect(r.stdout).toMatch(/typed\s+ClusterIP\s+172\.30\.\d+\.\d+\s+<none>\s+8080\/TCP\s+\S+\s+app=typed/);
  });

  it('delete a pod waits for the kubelet side to finish graceful deletion', async () => {
    tc.cluster.store.create(PODS, podManifest('doomed'));
    const p = kubectl(tc, ['delete', 'pod', 'doomed']);
    await waitFor(() => !!tc.cluster.store.get(PODS, 'default', 'doomed')?.metadata.deletionTimestamp);
    // the kubelet stops the containers and deletes with grace 0
    tc.cluster.store.delete(PODS, 'default', 'doomed', { gracePeriodSeconds: 0 });
    const r = await p;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('pod "doomed" deleted');
  });
});

describe('kubectl logs and exec', () => {
  it('logs -c and --tail', async () => {
    let r = await kubectl(tc, ['logs', 'web-1', '-c', 'app']);
    expect(r.stdout).toBe('app line 1\napp line 2\napp line 3\napp line 4\napp line 5\n');
    r = await kubectl(tc, ['logs', 'web-1', '-c', 'app', '--tail', '2']);
    expect(r.stdout).toBe('app line 4\napp line 5\n');
    r = await kubectl(tc, ['logs', 'web-1', '-c', 'sidecar']);
    expect(r.stdout).toBe('sidecar says hi\n');
    r = await kubectl(tc, ['logs', 'web-1', '-c', 'nope']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('container nope is not valid for pod web-1');
  });

  it('logs -f streams new lines', async () => {
    const child = spawn(kubectlBin(), ['logs', '-f', 'web-1', '-c', 'app', '--tail', '1'], {
      env: { ...process.env, KUBECONFIG: tc.kubeconfig, KUBECACHEDIR: join(tc.dir, 'kubecache'), HOME: tc.dir },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await waitFor(() => out.includes('app line 5'));
      tc.runtime.append({ namespace: 'default', pod: 'web-1', container: 'app' }, 'live line');
      await waitFor(() => out.includes('live line'));
      expect(out).toBe('app line 5\nlive line\n');
    } finally {
      child.kill();
    }
  });

  it('exec -c runs in the container and propagates exit codes', async () => {
    let r = await kubectl(tc, ['exec', 'web-1', '-c', 'sidecar', '--', 'whoami']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('sidecar@web-1\n');
    r = await kubectl(tc, ['exec', 'web-1', '-c', 'app', '--', 'sh', '-c', 'exit 7']);
    expect(r.code).toBe(7);
    expect(r.stderr).toContain('command terminated with exit code 7');
    r = await kubectl(tc, ['exec', '-i', 'web-1', '-c', 'app', '--', 'cat'], { input: 'from stdin\n' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('from stdin\n');
  });
});

describe('kubectl auth can-i', () => {
  it('admin may do anything', async () => {
    for (const args of [
      ['delete', 'pods'],
      ['create', 'pods', '--subresource=exec'],
      ['*', '*'],
    ]) {
      const r = await kubectl(tc, ['auth', 'can-i', ...args]);
      expect(r.stdout.trim(), args.join(' ')).toBe('yes');
    }
  });

  it('read-only: get pods yes, delete pods no, create pods/exec only in openshift-ovn-kubernetes, and it really is denied', async () => {
    const ro = { context: 'netharness-sim-readonly' };
    expect((await kubectl(tc, ['auth', 'can-i', 'get', 'pods'], ro)).stdout.trim()).toBe('yes');
    // `can-i create pods/exec` would mean a pod *named* exec; subresources go in --subresource.
    expect((await kubectl(tc, ['auth', 'can-i', 'get', 'pods', '--subresource=log'], ro)).stdout.trim()).toBe('yes');
    // exec only where the read-only role binds it (mcp/rbac/readonly-clusterrole.yaml)
    expect(
      (await kubectl(tc, ['auth', 'can-i', 'create', 'pods', '--subresource=exec', '-n', 'openshift-ovn-kubernetes'], ro)).stdout.trim(),
    ).toBe('yes');
    expect((await kubectl(tc, ['auth', 'can-i', 'create', 'pods', '--subresource=exec'], ro)).stdout.trim()).toBe('no');
    expect((await kubectl(tc, ['auth', 'can-i', 'create', 'pods'], ro)).stdout.trim()).toBe('no');
    const del = await kubectl(tc, ['auth', 'can-i', 'delete', 'pods'], ro);
    expect(del.stdout.trim()).toBe('no');
    expect(del.code).toBe(1);
    const r = await kubectl(tc, ['delete', 'pod', 'db-1'], ro);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(
      'User "system:serviceaccount:netharness:mcp-readonly" cannot delete resource "pods" in API group "" in the namespace "default"',
    );
    expect(tc.cluster.store.get(PODS, 'default', 'db-1')).toBeDefined();
    const g = await kubectl(tc, ['get', 'nodes'], ro);
    expect(g.code, g.stderr).toBe(0);
  });
});

async function waitFor(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
}
