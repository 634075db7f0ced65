/**
 * Bad input, attacked on purpose: each request must get the exact Status code and reason, the
 * server must keep serving, and nothing may be half-stored. Also the API semantics that clients
 * lean on (watch windows, bookmarks, finalizers, graceful deletion, dryRun, paging).
 */
import http2 from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, podManifest, startTestCluster, type HttpResult, type TestCluster } from './helpers.ts';

let tc: TestCluster;
const PODS = { group: '', version: 'v1', resource: 'pods' };
const CMS = { group: '', version: 'v1', resource: 'configmaps' };

beforeAll(async () => {
  tc = await startTestCluster({ historySize: 200, bookmarkIntervalMs: 100 });
});

afterAll(async () => {
  await tc?.cluster.stop();
});

function expectStatus(r: HttpResult, code: number, reason: string): Record<string, unknown> {
  expect(r.status, r.text).toBe(code);
  const s = r.json();
  expect(s.kind).toBe('Status');
  expect(s.status).toBe('Failure');
  expect(s.code).toBe(code);
  expect(s.reason).toBe(reason);
  return s;
}

/** The server still answers, and the store holds exactly what it held. */
async function stillServingAndUnchanged(before: number): Promise<void> {
  const r = await api(tc, 'GET', '/api/v1/namespaces/default/configmaps');
  expect(r.status).toBe(200);
  expect(tc.cluster.store.list(CMS, { namespace: 'default' }).length).toBe(before);
}

const cmCount = () => tc.cluster.store.list(CMS, { namespace: 'default' }).length;
const post = (path: string, body: string | Buffer, contentType = 'application/json', token?: string | null) =>
  api(tc, 'POST', path, { body, contentType, token });

describe('bad input', () => {
  it('malformed JSON and YAML -> 400 BadRequest', async () => {
    const n = cmCount();
    expectStatus(await post('/api/v1/namespaces/default/configmaps', '{"apiVersion":"v1",'), 400, 'BadRequest');
    expectStatus(await post('/api/v1/namespaces/default/configmaps', 'a: [b\n c: :', 'application/yaml'), 400, 'BadRequest');
    expectStatus(await post('/api/v1/namespaces/default/configmaps', '[1,2]'), 400, 'BadRequest');
    expectStatus(await post('/api/v1/namespaces/default/configmaps', ''), 400, 'BadRequest');
    await stillServingAndUnchanged(n);
  });

  it('unknown kinds, resources, groups and names -> 404 NotFound', async () => {
    expectStatus(await api(tc, 'GET', '/api/v1/namespaces/default/widgets'), 404, 'NotFound');
    expectStatus(await api(tc, 'GET', '/apis/nope.example.com/v1/things'), 404, 'NotFound');
    expectStatus(await api(tc, 'GET', '/apis/project.openshift.io/v1'), 404, 'NotFound');
    expectStatus(await api(tc, 'GET', '/apis/apps/v2/deployments'), 404, 'NotFound');
    const s = expectStatus(await api(tc, 'GET', '/api/v1/namespaces/default/pods/ghost'), 404, 'NotFound');
    expect(s.message).toBe('pods "ghost" not found');
    expectStatus(await api(tc, 'GET', '/api/v1/namespaces/default/nodes'), 404, 'NotFound');
    const body = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } });
    expectStatus(await post('/api/v1/namespaces/no-such-ns/configmaps', body), 404, 'NotFound');
    // kind in the body that does not belong to the URL
    expectStatus(
      await post('/api/v1/namespaces/default/configmaps', JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x' } })),
      400,
      'BadRequest',
    );
  });

  it('invalid names per kind -> 422 Invalid with field metadata.name', async () => {
    const n = cmCount();
    for (const name of ['Bad_Name', '-lead', 'a'.repeat(254), 'UPPER']) {
      const s = expectStatus(
        await post('/api/v1/namespaces/default/configmaps', JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name } })),
        422,
        'Invalid',
      );
      expect((s.details as { causes: { field: string }[] }).causes[0].field).toBe('metadata.name');
    }
    // namespaces and services are DNS labels: dots are not allowed there, though fine in a ConfigMap
    expectStatus(
      await post('/api/v1/namespaces', JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a.b' } })),
      422,
      'Invalid',
    );
    expectStatus(
      await post(
        '/api/v1/namespaces/default/services',
        JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: '1svc' }, spec: { ports: [{ port: 80 }] } }),
      ),
      422,
      'Invalid',
    );
    expect(
      (
        await post(
          '/api/v1/namespaces/default/configmaps',
          JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a.b' } }),
        )
      ).status,
    ).toBe(201);
    tc.cluster.store.delete(CMS, 'default', 'a.b');
    expectStatus(
      await post(
        '/api/v1/namespaces/default/configmaps',
        JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ok', labels: { 'bad key!': 'v' } } }),
      ),
      422,
      'Invalid',
    );
    await stillServingAndUnchanged(n);
  });

  it('missing required fields -> 422 with field causes (built-in and CRD schema)', async () => {
    let s = expectStatus(
      await post(
        '/api/v1/namespaces/default/pods',
        JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'nocontainers' }, spec: {} }),
      ),
      422,
      'Invalid',
    );
    expect((s.details as { causes: { field: string; reason: string }[] }).causes).toContainEqual({
      reason: 'FieldValueRequired',
      message: 'Required value',
      field: 'spec.containers',
    });
    s = expectStatus(
      await post(
        '/api/v1/namespaces/default/pods',
        JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'noimage' }, spec: { containers: [{ name: 'c' }] } }),
      ),
      422,
      'Invalid',
    );
    expect((s.details as { causes: { field: string }[] }).causes[0].field).toBe('spec.containers[0].image');
    s = expectStatus(
      await post(
        '/apis/k8s.ovn.org/v1/egressips',
        JSON.stringify({ apiVersion: 'k8s.ovn.org/v1', kind: 'EgressIP', metadata: { name: 'e1' }, spec: { egressIPs: ['1.2.3.4'] } }),
      ),
      422,
      'Invalid',
    );
    expect(s.message).toBe('EgressIP "e1" is invalid: spec.namespaceSelector: Required value');
    s = expectStatus(
      await post(
        '/apis/k8s.ovn.org/v1/egressips',
        JSON.stringify({
          apiVersion: 'k8s.ovn.org/v1',
          kind: 'EgressIP',
          metadata: { name: 'e1' },
          spec: { egressIPs: [1], namespaceSelector: {} },
        }),
      ),
      422,
      'Invalid',
    );
    expect((s.details as { causes: { field: string }[] }).causes[0].field).toBe('spec.egressIPs[0]');
    s = expectStatus(
      await post(
        '/apis/chaos-mesh.org/v1alpha1/namespaces/default/podchaos',
        JSON.stringify({
          apiVersion: 'chaos-mesh.org/v1alpha1',
          kind: 'PodChaos',
          metadata: { name: 'pc' },
          spec: { action: 'pod-explode', mode: 'one', selector: {} },
        }),
      ),
      422,
      'Invalid',
    );
    expect((s.details as { causes: { field: string; reason: string }[] }).causes[0]).toMatchObject({
      field: 'spec.action',
      reason: 'FieldValueNotSupported',
    });
    s = expectStatus(
      await post(
        '/apis/chaos-mesh.org/v1alpha1/namespaces/default/podchaos',
        JSON.stringify({
          apiVersion: 'chaos-mesh.org/v1alpha1',
          kind: 'PodChaos',
          metadata: { name: 'pc' },
          spec: { action: 'pod-kill', mode: 'one', selector: {}, duration: 'ten seconds' },
        }),
      ),
      422,
      'Invalid',
    );
    expect((s.details as { causes: { field: string }[] }).causes[0].field).toBe('spec.duration');
    s = expectStatus(
      await post(
        '/apis/ptp.openshift.io/v1/namespaces/openshift-ptp/ptpconfigs',
        JSON.stringify({
          apiVersion: 'ptp.openshift.io/v1',
          kind: 'PtpConfig',
          metadata: { name: 'p' },
          spec: { profile: [{ name: 'x', ptpSchedulingPriority: 0 }] },
        }),
      ),
      422,
      'Invalid',
    );
    expect((s.details as { causes: { field: string }[] }).causes[0].field).toBe('spec.profile[0].ptpSchedulingPriority');
    expect(tc.cluster.store.list({ group: 'k8s.ovn.org', version: 'v1', resource: 'egressips' })).toHaveLength(0);
    expect(tc.cluster.store.get(PODS, 'default', 'nocontainers')).toBeUndefined();
  });

  it('wrong content types -> 415, unacceptable Accept -> 406', async () => {
    const n = cmCount();
    const body = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ct' } });
    expectStatus(await post('/api/v1/namespaces/default/configmaps', body, 'text/plain'), 415, 'UnsupportedMediaType');
    expectStatus(
      await post('/api/v1/namespaces/default/configmaps', Buffer.from('k8s\0garbage'), 'application/vnd.kubernetes.protobuf'),
      400,
      'BadRequest',
    );
    tc.cluster.store.create(CMS, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'patchme', namespace: 'default' },
      data: { a: '1' },
    });
    expectStatus(
      await api(tc, 'PATCH', '/api/v1/namespaces/default/configmaps/patchme', {
        body: '{"data":{"a":"2"}}',
        contentType: 'application/json',
      }),
      415,
      'UnsupportedMediaType',
    );
    // strategic merge patch is for built-in kinds only
    tc.cluster.store.create(
      { group: 'k8s.ovn.org', version: 'v1', resource: 'egressips' },
      {
        apiVersion: 'k8s.ovn.org/v1',
        kind: 'EgressIP',
        metadata: { name: 'smp' },
        spec: { egressIPs: ['1.1.1.1'], namespaceSelector: {} },
      },
    );
    expectStatus(
      await api(tc, 'PATCH', '/apis/k8s.ovn.org/v1/egressips/smp', {
        body: '{"spec":{"egressIPs":["2.2.2.2"]}}',
        contentType: 'application/strategic-merge-patch+json',
      }),
      415,
      'UnsupportedMediaType',
    );
    expectStatus(await api(tc, 'GET', '/api/v1/namespaces/default/configmaps', { accept: 'application/xml' }), 406, 'NotAcceptable');
    expect(tc.cluster.store.get(CMS, 'default', 'patchme')?.data).toEqual({ a: '1' });
    tc.cluster.store.delete(CMS, 'default', 'patchme');
    await stillServingAndUnchanged(n);
  });

  it('oversized bodies -> 413', async () => {
    const n = cmCount();
    const big = JSON.stringify({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'big' },
      data: { x: 'a'.repeat(3 * 1024 * 1024 + 10) },
    });
    expectStatus(await post('/api/v1/namespaces/default/configmaps', big), 413, 'RequestEntityTooLarge');
    await stillServingAndUnchanged(n);
  });

  it('unknown query parameters -> 400 naming the parameter', async () => {
    const s = expectStatus(await api(tc, 'GET', '/api/v1/namespaces/default/pods?labelSelektor=app%3Dweb'), 400, 'BadRequest');
    expect(s.message).toContain('"labelSelektor"');
    expectStatus(await api(tc, 'GET', '/api/v1/namespaces/default/pods?labelSelector=app%20in%20(a'), 400, 'BadRequest');
    expectStatus(await api(tc, 'GET', '/api/v1/namespaces/default/pods?fieldSelector=spec.nodeName~x'), 400, 'BadRequest');
    expectStatus(await api(tc, 'GET', '/api/v1/namespaces/default/pods?limit=abc'), 400, 'BadRequest');
    expectStatus(await api(tc, 'GET', '/api/v1/namespaces/default/pods?continue=garbage!!'), 400, 'BadRequest');
    expectStatus(
      await api(tc, 'POST', '/api/v1/namespaces/default/configmaps?dryRun=Some', { body: '{}', contentType: 'application/json' }),
      400,
      'BadRequest',
    );
  });

  it('namespace in the body differs from the URL -> 400, name differs on PUT -> 400', async () => {
    const n = cmCount();
    expectStatus(
      await post(
        '/api/v1/namespaces/default/configmaps',
        JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'mm', namespace: 'kube-system' } }),
      ),
      400,
      'BadRequest',
    );
    tc.cluster.store.create(CMS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'put1', namespace: 'default' } });
    expectStatus(
      await api(tc, 'PUT', '/api/v1/namespaces/default/configmaps/put1', {
        body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'other' } }),
        contentType: 'application/json',
      }),
      400,
      'BadRequest',
    );
    expectStatus(
      await api(tc, 'PATCH', '/api/v1/namespaces/default/configmaps/put1', {
        body: '{"metadata":{"namespace":"kube-system"}}',
        contentType: 'application/merge-patch+json',
      }),
      400,
      'BadRequest',
    );
    tc.cluster.store.delete(CMS, 'default', 'put1');
    expect(tc.cluster.store.get(CMS, 'kube-system', 'mm')).toBeUndefined();
    await stillServingAndUnchanged(n);
  });

  it('authentication and authorization: 401 anonymous, 403 read-only writes, 405 wrong method', async () => {
    expectStatus(await api(tc, 'GET', '/api/v1/pods', { token: null }), 401, 'Unauthorized');
    expectStatus(await api(tc, 'GET', '/api/v1/pods', { token: 'forged' }), 401, 'Unauthorized');
    expect((await api(tc, 'GET', '/version', { token: null })).status).toBe(200);
    expect((await api(tc, 'GET', '/readyz', { token: null })).status).toBe(200);
    const n = cmCount();
    const s = expectStatus(
      await post(
        '/api/v1/namespaces/default/configmaps',
        JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ro' } }),
        'application/json',
        tc.readonlyToken,
      ),
      403,
      'Forbidden',
    );
    expect(s.message).toContain('cannot create resource "configmaps"');
    expect((await api(tc, 'GET', '/api/v1/namespaces/default/configmaps', { token: tc.readonlyToken })).status).toBe(200);
    expectStatus(
      await api(tc, 'POST', '/api/v1/namespaces/default/configmaps/x', { body: '{}', contentType: 'application/json' }),
      405,
      'MethodNotAllowed',
    );
    expectStatus(
      await api(tc, 'PUT', '/api/v1/namespaces/default/configmaps', { body: '{}', contentType: 'application/json' }),
      405,
      'MethodNotAllowed',
    );
    await stillServingAndUnchanged(n);
  });

  it('conflicts: AlreadyExists and stale resourceVersion -> 409', async () => {
    const cm = tc.cluster.store.create(CMS, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c409', namespace: 'default' },
      data: { v: '1' },
    });
    expectStatus(
      await post(
        '/api/v1/namespaces/default/configmaps',
        JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c409' } }),
      ),
      409,
      'AlreadyExists',
    );
    tc.cluster.store.mutate(CMS, 'default', 'c409', (o) => ((o.data as Record<string, string>).v = '2'));
    const stale = { ...cm, data: { v: 'stale' } };
    expectStatus(
      await api(tc, 'PUT', '/api/v1/namespaces/default/configmaps/c409', { body: JSON.stringify(stale), contentType: 'application/json' }),
      409,
      'Conflict',
    );
    expect(tc.cluster.store.get(CMS, 'default', 'c409')?.data).toEqual({ v: '2' });
  });

  it('a raw HTTP request without TLS is refused without hurting the server', async () => {
    const port = Number(new URL(tc.cluster.server).port);
    await new Promise<void>((resolve) => {
      const req = http2.request({ host: '127.0.0.1', port, path: '/api', method: 'GET' }, (res) => {
        res.resume();
        res.on('end', () => resolve());
      });
      req.on('error', () => resolve());
      req.end();
    });
    expect((await api(tc, 'GET', '/api')).status).toBe(200);
  });
});

describe('semantics clients rely on', () => {
  it('create fills generateName, uid, creationTimestamp, resourceVersion, generation; dryRun stores nothing', async () => {
    const r = await post(
      '/api/v1/namespaces/default/configmaps',
      JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'gen-' } }),
    );
    expect(r.status).toBe(201);
    const md = r.json().metadata as Record<string, unknown>;
    expect(md.name).toMatch(/^gen-[a-z0-9]{5}$/);
    expect(md.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(md.resourceVersion).toMatch(/^\d+$/);
    expect(md.creationTimestamp).toMatch(/Z$/);
    const n = cmCount();
    const d = await post(
      '/api/v1/namespaces/default/configmaps?dryRun=All',
      JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dry' } }),
    );
    expect(d.status).toBe(201);
    expect(tc.cluster.store.get(CMS, 'default', 'dry')).toBeUndefined();
    expect((await api(tc, 'DELETE', `/api/v1/namespaces/default/configmaps/${md.name}?dryRun=All`)).status).toBe(200);
    expect(cmCount()).toBe(n);
  });

  it('list with limit/continue pages through everything exactly once', async () => {
    for (let i = 0; i < 25; i++)
      tc.cluster.store.create(CMS, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: `page-${String(i).padStart(2, '0')}`, namespace: 'netharness', labels: { page: 'yes' } },
      });
    const names: string[] = [];
    let cont = '';
    let pages = 0;
    do {
      const r = await api(
        tc,
        'GET',
        `/api/v1/namespaces/netharness/configmaps?labelSelector=page%3Dyes&limit=10${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`,
      );
      const body = r.json() as { items: { metadata: { name: string } }[]; metadata: { continue?: string } };
      names.push(...body.items.map((i) => i.metadata.name));
      cont = body.metadata.continue ?? '';
      pages++;
    } while (cont);
    expect(pages).toBe(3);
    expect(names).toHaveLength(25);
    expect(new Set(names).size).toBe(25);
  });

  it('watch: 410 Expired when too old, events after a resourceVersion, BOOKMARKs on request', async () => {
    const start = tc.cluster.store.currentRV;
    for (let i = 0; i < 250; i++)
      tc.cluster.store.create(CMS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `churn-${i}`, namespace: 'kube-public' } });
    const s = expectStatus(
      await api(tc, 'GET', `/api/v1/namespaces/kube-public/configmaps?watch=true&resourceVersion=${start}`),
      410,
      'Expired',
    );
    expect(s.message).toContain('too old resource version');
    const from = tc.cluster.store.currentRV;
    tc.cluster.store.create(CMS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'after', namespace: 'kube-public' } });
    const r = await api(
      tc,
      'GET',
      `/api/v1/namespaces/kube-public/configmaps?watch=true&resourceVersion=${from}&allowWatchBookmarks=true&timeoutSeconds=1`,
    );
    const events = r.text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; object: { metadata: { name?: string } } });
    expect(events[0]).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'after' } } });
    expect(events.some((e) => e.type === 'BOOKMARK')).toBe(true);
  });

  it('a watch that times out while bookmarks and events keep coming ends cleanly (no write after end)', async () => {
    // the timeout ends the response; a bookmark or an event before its 'finish' was a write after end, an
    // 'error' on the response that nothing handled (an uncaught exception in the sim: CI at 8557001)
    const fast = await startTestCluster({ bookmarkIntervalMs: 1 });
    const uncaught: Error[] = [];
    const onUncaught = (e: Error) => uncaught.push(e);
    process.on('uncaughtException', onUncaught);
    let n = 0;
    const churn = setInterval(
      () =>
        fast.cluster.store.create(CMS, {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: `churn-${n++}`, namespace: 'default' },
        }),
      1,
    );
    try {
      const rs = await Promise.all(
        Array.from({ length: 30 }, () =>
          api(fast, 'GET', '/api/v1/namespaces/default/configmaps?watch=true&allowWatchBookmarks=true&timeoutSeconds=1'),
        ),
      );
      expect(rs.map((r) => r.status)).toEqual(rs.map(() => 200));
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      clearInterval(churn);
      process.off('uncaughtException', onUncaught);
      await fast.cluster.stop();
    }
    expect(uncaught.map((e) => e.message)).toEqual([]);
  });

  it('finalizers hold deletion; removing the last one deletes', async () => {
    tc.cluster.store.create(CMS, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'fin', namespace: 'default', finalizers: ['example.com/hold'] },
    });
    const r = await api(tc, 'DELETE', '/api/v1/namespaces/default/configmaps/fin');
    expect(r.status).toBe(200);
    const held = tc.cluster.store.get(CMS, 'default', 'fin');
    expect(held?.metadata.deletionTimestamp).toBeTruthy();
    const p = await api(tc, 'PATCH', '/api/v1/namespaces/default/configmaps/fin', {
      body: '{"metadata":{"finalizers":null}}',
      contentType: 'application/merge-patch+json',
    });
    expect(p.status).toBe(200);
    expect(tc.cluster.store.get(CMS, 'default', 'fin')).toBeUndefined();
  });

  it('graceful pod deletion with a kubelet; immediate without one', async () => {
    tc.cluster.store.create(PODS, podManifest('gp'));
    const r = await api(tc, 'DELETE', '/api/v1/namespaces/default/pods/gp');
    expect(r.status).toBe(200);
    const md = (r.json() as { metadata: { deletionTimestamp?: string; deletionGracePeriodSeconds?: number } }).metadata;
    expect(md.deletionGracePeriodSeconds).toBe(30);
    expect(tc.cluster.store.get(PODS, 'default', 'gp')).toBeDefined();
    tc.cluster.store.delete(PODS, 'default', 'gp', { gracePeriodSeconds: 0 });
    expect(tc.cluster.store.get(PODS, 'default', 'gp')).toBeUndefined();
    const rt = tc.cluster.ctx.services.podRuntime;
    tc.cluster.ctx.services.podRuntime = undefined;
    try {
      tc.cluster.store.create(PODS, podManifest('gp2'));
      expect((await api(tc, 'DELETE', '/api/v1/namespaces/default/pods/gp2')).status).toBe(200);
      expect(tc.cluster.store.get(PODS, 'default', 'gp2')).toBeUndefined();
    } finally {
      tc.cluster.ctx.services.podRuntime = rt;
    }
  });

  it('namespace deletion removes its objects; deletecollection by selector', async () => {
    expect(
      (await post('/api/v1/namespaces', JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'tmp-ns' } }))).status,
    ).toBe(201);
    for (const n of ['a', 'b', 'c'])
      tc.cluster.store.create(CMS, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: n, namespace: 'tmp-ns', labels: { del: n === 'c' ? 'no' : 'yes' } },
      });
    expect((await api(tc, 'DELETE', '/api/v1/namespaces/tmp-ns/configmaps?labelSelector=del%3Dyes')).status).toBe(200);
    expect(tc.cluster.store.list(CMS, { namespace: 'tmp-ns' }).map((o) => o.metadata.name)).toEqual(['c']);
    expect((await api(tc, 'DELETE', '/api/v1/namespaces/tmp-ns')).status).toBe(200);
    await new Promise((r) => setTimeout(r, 10));
    expect(tc.cluster.store.list(CMS, { namespace: 'tmp-ns' })).toHaveLength(0);
    expect(tc.cluster.store.get({ group: '', version: 'v1', resource: 'namespaces' }, undefined, 'tmp-ns')).toBeUndefined();
  });

  it('status subresource: main writes keep status, /status writes only status', async () => {
    tc.cluster.store.create(PODS, podManifest('st'));
    const cur = tc.cluster.store.get(PODS, 'default', 'st');
    const body = JSON.stringify({ ...cur, status: { phase: 'Running' }, metadata: { ...cur?.metadata, labels: { changed: 'yes' } } });
    const put = await api(tc, 'PUT', '/api/v1/namespaces/default/pods/st', { body, contentType: 'application/json' });
    expect((put.json() as { status: { phase: string } }).status.phase).toBe('Pending');
    const ps = await api(tc, 'PATCH', '/api/v1/namespaces/default/pods/st/status', {
      body: '{"status":{"phase":"Running"},"metadata":{"labels":{"x":"y"}}}',
      contentType: 'application/merge-patch+json',
    });
    const o = ps.json() as { status: { phase: string }; metadata: { labels: Record<string, string> } };
    expect(o.status.phase).toBe('Running');
    expect(o.metadata.labels).toEqual({ changed: 'yes' });
  });

  it('discovery: aggregated when asked first, plain otherwise', async () => {
    const agg = await api(tc, 'GET', '/apis', {
      accept:
        'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json',
    });
    expect(agg.headers['content-type']).toBe('application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
    expect(agg.json().kind).toBe('APIGroupDiscoveryList');
    const plain = await api(tc, 'GET', '/apis', { accept: 'application/json, */*' });
    expect(plain.headers['content-type']).toBe('application/json');
    expect(plain.json().kind).toBe('APIGroupList');
    expect((await api(tc, 'GET', '/openapi/v2')).status).toBe(404);
    const idx = (await api(tc, 'GET', '/openapi/v3')).json() as { paths: Record<string, { serverRelativeURL: string }> };
    const apps = await api(tc, 'GET', idx.paths['apis/apps/v1'].serverRelativeURL);
    const doc = apps.json() as {
      paths: Record<string, { patch?: { parameters: { name: string }[]; 'x-kubernetes-group-version-kind': { kind: string } } }>;
    };
    const patch = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'].patch;
    expect(patch?.['x-kubernetes-group-version-kind'].kind).toBe('Deployment');
    expect(patch?.parameters.map((p) => p.name)).toContain('fieldValidation');
  });

  it('Table output honours includeObject', async () => {
    const accept = 'application/json;as=Table;v=v1;g=meta.k8s.io';
    const t = (await api(tc, 'GET', '/api/v1/nodes', { accept })).json() as {
      kind: string;
      columnDefinitions: { name: string }[];
      rows: { cells: unknown[]; object: { kind: string } }[];
    };
    expect(t.kind).toBe('Table');
    expect(t.columnDefinitions.map((c) => c.name).slice(0, 5)).toEqual(['Name', 'Status', 'Roles', 'Age', 'Version']);
    expect(t.rows[0].object.kind).toBe('PartialObjectMetadata');
    const full = (await api(tc, 'GET', '/api/v1/nodes?includeObject=Object', { accept })).json() as {
      rows: { object: { kind: string } }[];
    };
    expect(full.rows[0].object.kind).toBe('Node');
    const none = (await api(tc, 'GET', '/api/v1/nodes?includeObject=None', { accept })).json() as { rows: { object?: unknown }[] };
    expect(none.rows[0].object).toBeUndefined();
  });

  it('CRDs created over the API are served at once and honour printer columns', async () => {
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.example.com' },
      spec: {
        group: 'example.com',
        scope: 'Namespaced',
        names: { plural: 'widgets', singular: 'widget', kind: 'Widget', shortNames: ['wd'] },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            additionalPrinterColumns: [{ name: 'Size', type: 'integer', jsonPath: '.spec.size' }],
            schema: {
              openAPIV3Schema: {
                type: 'object',
                properties: {
                  spec: {
                    type: 'object',
                    required: ['size'],
                    properties: { size: { type: 'integer', minimum: 1, maximum: 10 }, color: { type: 'string', pattern: '^[a-z]+$' } },
                  },
                },
              },
            },
          },
        ],
      },
    };
    expect((await post('/apis/apiextensions.k8s.io/v1/customresourcedefinitions', JSON.stringify(crd))).status).toBe(201);
    const disc = (await api(tc, 'GET', '/apis/example.com/v1')).json() as { resources: { name: string }[] };
    expect(disc.resources.map((r) => r.name)).toContain('widgets');
    const w = (size: unknown, color = 'red') =>
      JSON.stringify({
        apiVersion: 'example.com/v1',
        kind: 'Widget',
        metadata: { name: `w${String(size)}${color}` },
        spec: { size, color },
      });
    expect((await post('/apis/example.com/v1/namespaces/default/widgets', w(3))).status).toBe(201);
    expectStatus(await post('/apis/example.com/v1/namespaces/default/widgets', w(11)), 422, 'Invalid');
    expectStatus(await post('/apis/example.com/v1/namespaces/default/widgets', w('big')), 422, 'Invalid');
    expectStatus(await post('/apis/example.com/v1/namespaces/default/widgets', w(2, 'Red!')), 422, 'Invalid');
    const t = (
      await api(tc, 'GET', '/apis/example.com/v1/namespaces/default/widgets', { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' })
    ).json() as { columnDefinitions: { name: string }[]; rows: { cells: unknown[] }[] };
    expect(t.columnDefinitions.map((c) => c.name)).toEqual(['Name', 'Size']);
    expect(t.rows[0].cells).toEqual(['w3red', 3]);
    expect((await api(tc, 'DELETE', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com')).status).toBe(200);
    expectStatus(await api(tc, 'GET', '/apis/example.com/v1/namespaces/default/widgets'), 404, 'NotFound');
  });
});
