/**
 * The sim API answers hostile input as kube-apiserver does: a deeply nested body is a 400 (never a 500 from a
 * blown stack), an unsupported fieldSelector label is a 400 naming it, supported ones (spec.nodeName on pods,
 * involvedObject.name on events, metadata.name anywhere) still filter.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startTestCluster, type TestCluster } from './helpers.ts';

let tc: TestCluster;
beforeAll(async () => {
  tc = await startTestCluster();
});
afterAll(async () => {
  await tc?.cluster.stop();
});

const deepJson = (depth: number): string => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
const deepArray = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`;

describe('sim API hardening', () => {
  it('a deeply nested create body is a 400 BadRequest, not a 500', async () => {
    for (const depth of [1500, 100_000, 400_000]) {
      const body = `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"deep"},"data":{"x":"y"},"extra":${deepJson(depth)}}`;
      const r = await api(tc, 'POST', '/api/v1/namespaces/default/configmaps', { body, contentType: 'application/json' });
      expect(r.status, `depth ${depth}: ${r.text.slice(0, 200)}`).toBe(400);
      expect(r.json()).toMatchObject({ kind: 'Status', reason: 'BadRequest' });
      expect(r.text).not.toMatch(/call stack/i);
    }
    const arr = await api(tc, 'POST', '/api/v1/namespaces/default/configmaps', {
      body: deepArray(200_000),
      contentType: 'application/json',
    });
    expect(arr.status).toBe(400);
  });

  it('a deeply nested patch is a 400 too; a normal one still applies', async () => {
    await api(tc, 'POST', '/api/v1/namespaces/default/configmaps', {
      body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'p' }, data: { a: '1' } }),
      contentType: 'application/json',
    });
    for (const ct of ['application/merge-patch+json', 'application/strategic-merge-patch+json']) {
      const r = await api(tc, 'PATCH', '/api/v1/namespaces/default/configmaps/p', {
        body: `{"data":${deepJson(50_000)}}`,
        contentType: ct,
      });
      expect(r.status, ct).toBe(400);
      expect(r.text).not.toMatch(/call stack/i);
    }
    const ok = await api(tc, 'PATCH', '/api/v1/namespaces/default/configmaps/p', {
      body: JSON.stringify({ data: { a: '2' } }),
      contentType: 'application/merge-patch+json',
    });
    expect(ok.status).toBe(200);
  });

  it('an unsupported fieldSelector label is a 400 naming it (list, watch, deletecollection)', async () => {
    for (const path of [
      '/api/v1/namespaces/default/pods?fieldSelector=spec.containers.image%3Dnginx',
      '/api/v1/namespaces/default/configmaps?fieldSelector=data.a%3D1',
      '/api/v1/nodes?fieldSelector=status.phase%3DRunning',
      '/api/v1/namespaces/default/configmaps?watch=true&fieldSelector=data.a%3D1',
    ]) {
      const r = await api(tc, 'GET', path);
      expect(r.status, path).toBe(400);
      expect(r.json().message, path).toMatch(/field label not supported: (spec\.containers\.image|data\.a|status\.phase)/);
    }
    const del = await api(tc, 'DELETE', '/api/v1/namespaces/default/configmaps?fieldSelector=data.a%3D2');
    expect(del.status).toBe(400);
    expect((await api(tc, 'GET', '/api/v1/namespaces/default/configmaps/p')).status).toBe(200); // nothing deleted
  });

  it('supported labels still filter', async () => {
    expect((await api(tc, 'GET', '/api/v1/namespaces/default/pods?fieldSelector=spec.nodeName%3Dworker-0')).status).toBe(200);
    expect((await api(tc, 'GET', '/api/v1/events?fieldSelector=involvedObject.name%3Dx,type%3DWarning')).status).toBe(200);
    const byName = await api(tc, 'GET', '/api/v1/namespaces/default/configmaps?fieldSelector=metadata.name%3Dp');
    expect(byName.status).toBe(200);
    expect((byName.json() as unknown as { items: unknown[] }).items).toHaveLength(1);
    expect((await api(tc, 'GET', '/api/v1/nodes?fieldSelector=spec.unschedulable%3Dfalse')).status).toBe(200);
  });
});
