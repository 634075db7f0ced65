/**
 * The API server's service proxy (/api/v1/namespaces/{ns}/services/{name}[:port]/proxy/...):
 * port by name and number, URL backends and in-process handlers, RBAC on services/proxy,
 * the Kubernetes errors (Service missing, no such port, nothing registered, backend down),
 * reached by kubectl `get --raw` and @kubernetes/client-node as users do.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, kubectl, startTestCluster, type TestCluster } from './helpers.ts';
import { parseServiceProxyPath, resolveServicePort } from '../../sim/api/service-proxy.ts';

let tc: TestCluster;
let backend: http.Server;
let seen: { url?: string; auth?: string; method?: string; body?: string } = {};
const SVC = { group: '', version: 'v1', resource: 'services' };

beforeAll(async () => {
  tc = await startTestCluster();
  backend = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen = { url: req.url, auth: req.headers.authorization, method: req.method, body: Buffer.concat(chunks).toString() };
      res.writeHead(200, { 'Content-Type': 'application/json', 'X-Backend': 'url' });
      res.end(JSON.stringify({ status: 'success', path: req.url }));
    });
  });
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', () => r()));
  const port = (backend.address() as AddressInfo).port;
  tc.cluster.store.create(SVC, {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'thanos-querier', namespace: 'openshift-monitoring' },
    spec: {
      ports: [
        { name: 'web', port: 9091 },
        { name: 'tenancy', port: 9092 },
      ],
    },
  });
  tc.cluster.store.create(SVC, {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'plain', namespace: 'default' },
    spec: { ports: [{ port: 8080 }] },
  });
  tc.cluster.store.create(SVC, {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'down', namespace: 'default' },
    spec: { ports: [{ name: 'http', port: 80 }] },
  });
  const reg = tc.cluster.ctx.services.serviceProxy;
  if (!reg) throw new Error('the cluster did not expose its service-proxy registry in ctx.services');
  reg.register('openshift-monitoring', 'thanos-querier', 'web', `http://127.0.0.1:${port}`);
  reg.register('default', 'plain', 8080, (_req, res, path, search) => {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end(`handler ${path}${search}`);
  });
  // a port nothing listens on: the dial fails
  const dead = http.createServer();
  await new Promise<void>((r) => dead.listen(0, '127.0.0.1', () => r()));
  const deadPort = (dead.address() as AddressInfo).port;
  await new Promise<void>((r) => dead.close(() => r()));
  reg.register('default', 'down', 'http', `http://127.0.0.1:${deadPort}`);
});

afterAll(async () => {
  await tc?.cluster.stop();
  await new Promise<void>((r) => backend?.close(() => r()));
});

describe('service proxy', () => {
  it('forwards by port name with the path and query, without the caller credentials', async () => {
    const r = await api(tc, 'GET', '/api/v1/namespaces/openshift-monitoring/services/thanos-querier:web/proxy/api/v1/query?query=up');
    expect(r.status).toBe(200);
    expect(r.headers['x-backend']).toBe('url');
    expect(seen.url).toBe('/api/v1/query?query=up');
    expect(seen.auth).toBeUndefined();
  });

  it('forwards by port number and with the http: scheme prefix, POST bodies included', async () => {
    const r = await api(tc, 'POST', '/api/v1/namespaces/openshift-monitoring/services/http:thanos-querier:9091/proxy/api/v1/query', {
      body: 'query=up',
      contentType: 'application/x-www-form-urlencoded',
    });
    expect(r.status).toBe(200);
    expect(seen.method).toBe('POST');
    expect(seen.body).toBe('query=up');
  });

  it('an unnamed single port needs no port token; in-process handlers get path and query', async () => {
    const r = await api(tc, 'GET', '/api/v1/namespaces/default/services/plain/proxy/metrics?x=1');
    expect(r.status).toBe(200);
    expect(r.text).toBe('handler /metrics?x=1');
    const root = await api(tc, 'GET', '/api/v1/namespaces/default/services/plain:8080/proxy');
    expect(root.text).toBe('handler /');
  });

  it('answers as kube-apiserver when the Service, the port or the backend is missing', async () => {
    const nosvc = await api(tc, 'GET', '/api/v1/namespaces/default/services/nope/proxy/');
    expect(nosvc.status).toBe(404);
    expect(nosvc.json().message).toBe('services "nope" not found');
    const noport = await api(tc, 'GET', '/api/v1/namespaces/openshift-monitoring/services/thanos-querier:9999/proxy/');
    expect(noport.status).toBe(503);
    expect(noport.json().message).toBe('no endpoints available for service "thanos-querier"');
    const unregistered = await api(tc, 'GET', '/api/v1/namespaces/openshift-monitoring/services/thanos-querier:tenancy/proxy/');
    expect(unregistered.status).toBe(503);
    const down = await api(tc, 'GET', '/api/v1/namespaces/default/services/down:http/proxy/');
    expect(down.status).toBe(503);
    expect(String(down.json().message)).toMatch(/^error trying to reach service: .*ECONNREFUSED/);
    const bad = await api(tc, 'GET', '/api/v1/namespaces/default/services/ftp:plain:8080/proxy/');
    expect(bad.status).toBe(400);
  });

  it('is authenticated and authorized as services/proxy', async () => {
    const anon = await api(tc, 'GET', '/api/v1/namespaces/default/services/plain/proxy/', { token: null });
    expect(anon.status).toBe(401);
    // the read-only identity is mcp/rbac/readonly-clusterrole.yaml, which grants no services/proxy (as on a real cluster)
    const ro = await api(tc, 'GET', '/api/v1/namespaces/default/services/plain/proxy/', { token: tc.readonlyToken });
    expect(ro.status).toBe(403);
    expect(ro.json().message).toContain('cannot get resource "services/proxy"');
    const roPost = await api(tc, 'POST', '/api/v1/namespaces/default/services/plain/proxy/', { token: tc.readonlyToken, body: '' });
    expect(roPost.status).toBe(403);
    expect(roPost.json().message).toContain('cannot create resource "services/proxy"');
  });

  it('kubectl get --raw and client-node reach the backend', async () => {
    const r = await kubectl(tc, [
      'get',
      '--raw',
      '/api/v1/namespaces/openshift-monitoring/services/thanos-querier:web/proxy/api/v1/query?query=up',
    ]);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ status: 'success', path: '/api/v1/query?query=up' });
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(tc.kubeconfig);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const out = await core.connectGetNamespacedServiceProxyWithPath({ name: 'plain:8080', namespace: 'default', path: 'status' });
    expect(String(out)).toBe('handler /status');
  });

  it('parses ids and ports as utilnet.SplitSchemeNamePort / ResourceLocation', () => {
    expect(parseServiceProxyPath('/api/v1/namespaces/a/services/b/proxy')).toMatchObject({ service: 'b', port: '', path: '/' });
    expect(parseServiceProxyPath('/api/v1/namespaces/a/services/https:b:p/proxy/x/')).toMatchObject({
      scheme: 'https',
      port: 'p',
      path: '/x/',
    });
    expect(parseServiceProxyPath('/api/v1/namespaces/a/services/b')).toBeUndefined();
    expect(() => parseServiceProxyPath('/api/v1/namespaces/a/services/a:b:c:d/proxy')).toThrow(/invalid service request/);
    expect(resolveServicePort([{ name: 'web', port: 1 }], '1', 's').name).toBe('web');
    expect(() =>
      resolveServicePort(
        [
          { name: 'a', port: 1 },
          { name: 'b', port: 2 },
        ],
        '',
        's',
      ),
    ).toThrow(/no endpoints/);
  });
});
