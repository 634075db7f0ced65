/**
 * The live-cluster path of the metrics client: with no --prometheus-url, a cluster that has the Route
 * openshift-monitoring/thanos-querier is read at https://<route host> with the kubeconfig user's bearer
 * token, trusting the kubeconfig's CA. Here: a real Prometheus (Debian's, empty scrape config) behind an
 * HTTPS front that, like OpenShift's kube-rbac-proxy/oauth-proxy, refuses requests without that token;
 * an HTTPS server answering the Route API as kube-apiserver would; one self-signed certificate (openssl).
 * A cluster without the Route falls back to the service proxy.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../harness/cluster/connect.ts';
import { connectPrometheus, SERVICE_PROXY_BASE } from '../../harness/metrics/client.ts';
import { tempDir } from '../support/tmp.ts';

const TOKEN = 'route-test-token-9f8e7d';
let dir: string;
let prom: ChildProcess;
let promPort: number;
let front: https.Server;
let api: https.Server;
let routeExists = true;
const apiSeen: string[] = [];

const listen = (s: http.Server | https.Server): Promise<number> =>
  new Promise((r) => s.listen(0, '127.0.0.1', () => r((s.address() as AddressInfo).port)));

function kubeconfig(server: string, ca: Buffer): string {
  const p = join(dir, `kc-${Math.random().toString(36).slice(2)}`);
  writeFileSync(
    p,
    `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: '${server}', certificate-authority-data: ${ca.toString('base64')}}
users:
- name: u
  user: {token: ${TOKEN}}
contexts:
- name: x
  context: {cluster: c, user: u}
current-context: x
`,
  );
  return p;
}

beforeAll(async () => {
  dir = tempDir('nh-route-');
  const r = spawnSync('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
    '-keyout',
    join(dir, 'key.pem'),
    '-out',
    join(dir, 'cert.pem'),
  ]);
  if (r.status !== 0) throw new Error(`openssl: ${r.stderr.toString()}`);
  const tls = { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };

  // a real Prometheus with nothing to scrape: its own API answers vector(1) and prometheus_build_info
  writeFileSync(join(dir, 'prometheus.yml'), 'global: {scrape_interval: 15s}\n');
  const free = http.createServer();
  promPort = await listen(free);
  await new Promise<void>((res) => free.close(() => res()));
  prom = spawn(
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
    ],
    { stdio: 'ignore' },
  );
  for (let i = 0; i < 100; i++) {
    const ok = await fetch(`http://127.0.0.1:${promPort}/-/ready`).then(
      (x) => x.ok,
      () => false,
    );
    if (ok) break;
    await new Promise((res) => setTimeout(res, 100));
  }

  // the route's front: bearer token or 401, then forwarded to Prometheus
  front = https.createServer(tls, (req, res) => {
    if (req.headers.authorization !== `Bearer ${TOKEN}`) {
      res.writeHead(401, { 'Content-Type': 'text/plain' });
      res.end('Unauthorized\n');
      return;
    }
    const up = http.request({ host: '127.0.0.1', port: promPort, path: req.url, method: 'GET' }, (u) => {
      res.writeHead(u.statusCode ?? 502, u.headers);
      u.pipe(res);
    });
    up.end();
  });
  const frontPort = await listen(front);

  // kube-apiserver's answer for the Route (route.openshift.io/v1), or its 404
  api = https.createServer(tls, (req, res) => {
    apiSeen.push(`${req.headers.authorization} ${req.url}`);
    if (req.url === '/apis/route.openshift.io/v1/namespaces/openshift-monitoring/routes/thanos-querier' && routeExists) {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(
        JSON.stringify({
          apiVersion: 'route.openshift.io/v1',
          kind: 'Route',
          metadata: { name: 'thanos-querier', namespace: 'openshift-monitoring' },
          spec: { host: `127.0.0.1:${frontPort}`, port: { targetPort: 'web' }, tls: { termination: 'reencrypt' } },
        }),
      );
      return;
    }
    res.writeHead(404, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 }));
  });
  await listen(api);
}, 60_000);

afterAll(async () => {
  prom?.kill('SIGTERM');
  await Promise.all([front, api].map((s) => new Promise<void>((r) => (s ? s.close(() => r()) : r()))));
});

describe('connectPrometheus on a live-like cluster', () => {
  it('finds the thanos-querier route and reads it with the kubeconfig token, trusting the kubeconfig CA', async () => {
    routeExists = true;
    const cert = readFileSync(join(dir, 'cert.pem'));
    const cluster = connect({ kubeconfig: kubeconfig(`https://127.0.0.1:${(api.address() as AddressInfo).port}`, cert) });
    const c = await connectPrometheus(cluster);
    expect(c.describe).toMatch(/^route openshift-monitoring\/thanos-querier \(https:\/\/127\.0\.0\.1:\d+\)$/);
    expect(await c.buildInfo()).toMatch(/^2\./);
    const v = await c.query('vector(41) + 1');
    expect(v).toEqual([{ labels: {}, points: [[expect.any(Number), 42]] }]);
    const end = new Date();
    const range = await c.queryRange('vector(1)', new Date(end.getTime() - 60_000), end, 15);
    expect(range[0].points).toHaveLength(5);
    expect(apiSeen.at(-1)).toBe(`Bearer ${TOKEN} /apis/route.openshift.io/v1/namespaces/openshift-monitoring/routes/thanos-querier`);
  });

  it('a wrong token is an infra error saying so; bad PromQL is a query error', async () => {
    routeExists = true;
    const cert = readFileSync(join(dir, 'cert.pem'));
    const cluster = connect({ kubeconfig: kubeconfig(`https://127.0.0.1:${(api.address() as AddressInfo).port}`, cert) });
    const wrong = await connectPrometheus(cluster, { token: 'nope' });
    await expect(wrong.query('up')).rejects.toThrow(/HTTP 401 \(check the token/);
    const right = await connectPrometheus(cluster);
    await expect(right.query('sum(rate(x[1m]')).rejects.toThrow(/bad_data/);
  });

  it('without the route it uses the service proxy of the API server', async () => {
    routeExists = false;
    const cert = readFileSync(join(dir, 'cert.pem'));
    const server = `https://127.0.0.1:${(api.address() as AddressInfo).port}`;
    const c = await connectPrometheus(connect({ kubeconfig: kubeconfig(server, cert) }));
    expect(c.describe).toBe(`service openshift-monitoring/thanos-querier:web via the API server ${server}`);
    // this API server has no such service: the answer is kube-apiserver's 404 Status, not the Prometheus API
    await expect(c.query('up')).rejects.toThrow(/HTTP 404/);
    expect(apiSeen.at(-1)).toMatch(new RegExp(`^Bearer ${TOKEN} ${SERVICE_PROXY_BASE.replace(/[/]/g, '\\/')}/api/v1/query\\?query=up$`));
  });
});
