/**
 * `runWatch` against a stand-in API server on loopback that answers the three things the watch uses:
 * the pod list, cloud-event-proxy's REST v2 through the service-proxy path (subscriptions, CurrentState),
 * and, like the sidecar, POSTs events to the subscriber's EndpointUri. Node n1 accepts subscriptions;
 * node n2 refuses them (HTTP 500), so it must be polled.
 */
import * as http from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Cluster } from '../../harness/cluster/connect.ts';
import { runWatch } from '../../harness/ptp/watch.ts';
import { WatchRulesConfig, type Alert, type PtpEvent } from '../../harness/ptp/rules.ts';
import { tempDir } from '../support/tmp.ts';

let server: http.Server;
let cluster: Cluster;
const subscriptions: { node: string; body: { ResourceAddress: string; EndpointUri: string } }[] = [];
const deleted: string[] = [];
let n2State = 'LOCKED';

const ce = (node: string, res: string, value: string | number, type: 'notification' | 'metric') => ({
  id: `${node}-${res}-${value}`,
  type: 'event.sync.ptp-status.ptp-state-change',
  source: `/cluster/node/${node}/${res}`,
  time: new Date().toISOString(),
  data: {
    version: '1.0',
    values: [{ ResourceAddress: `/cluster/node/${node}/${res}`, data_type: type, value_type: 'enumeration', value }],
  },
});

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const json = (code: number, body: unknown) => res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (url.pathname === '/api/v1/namespaces/openshift-ptp/pods')
        return json(200, {
          kind: 'PodList',
          apiVersion: 'v1',
          metadata: {},
          items: ['n1', 'n2'].map((n) => ({
            metadata: { name: `linuxptp-daemon-${n}`, namespace: 'openshift-ptp' },
            spec: { nodeName: n },
            status: { phase: 'Running' },
          })),
        });
      const m =
        /^\/api\/v1\/namespaces\/openshift-ptp\/services\/ptp-event-publisher-service-(n\d):9043\/proxy\/api\/ocloudNotifications\/v2(\/.*)$/.exec(
          url.pathname,
        );
      if (!m) return json(404, { message: 'not found' });
      const [, node, rest] = m;
      if (rest === '/subscriptions' && req.method === 'POST') {
        if (node === 'n2') return json(500, { message: 'boom' });
        const body = JSON.parse(Buffer.concat(chunks).toString()) as { ResourceAddress: string; EndpointUri: string };
        subscriptions.push({ node, body });
        return json(201, { ...body, SubscriptionId: `sub-${subscriptions.length}` });
      }
      if (rest.startsWith('/subscriptions/') && req.method === 'DELETE') {
        deleted.push(rest.slice('/subscriptions/'.length));
        return json(204, {});
      }
      const cs = /^\/cluster\/node\/(n\d)\/(.+)\/CurrentState$/.exec(rest);
      if (cs && req.method === 'GET') {
        const r = cs[2];
        if (r === 'sync/ptp-status/clock-class') return json(200, ce(node, r, 255, 'metric'));
        return json(200, ce(node, r, node === 'n2' && r === 'sync/ptp-status/lock-state' ? n2State : 'LOCKED', 'notification'));
      }
      return json(404, { message: `no ${rest}` });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  const dir = tempDir('ptp-watch-');
  const kc = join(dir, 'kubeconfig');
  writeFileSync(
    kc,
    `apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: http://127.0.0.1:${port}\n    insecure-skip-tls-verify: true\ncontexts:\n- name: c\n  context:\n    cluster: c\n    user: u\ncurrent-context: c\nusers:\n- name: u\n  user:\n    token: t\n`,
  );
  cluster = connect({ kubeconfig: kc });
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

async function post(endpoint: string, body: unknown): Promise<void> {
  await fetch(endpoint, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
}

describe('ptp watch', () => {
  it('subscribes where it can, polls where it cannot, applies the rules, cleans up on abort', async () => {
    const ac = new AbortController();
    const events: PtpEvent[] = [];
    const alerts: Alert[] = [];
    const done = runWatch({
      cluster,
      rules: WatchRulesConfig.parse({ freerunMinutes: 0, offsetThresholdNs: 100 }),
      intervalMs: 50,
      signal: ac.signal,
      onEvent: (e) => events.push(e),
      onAlert: (a) => alerts.push(a),
    });
    // wait for the subscriptions of n1
    for (let i = 0; i < 100 && subscriptions.length < 4; i++) await new Promise((r) => setTimeout(r, 20));
    expect(subscriptions.map((s) => s.body.ResourceAddress).sort()).toEqual([
      '/cluster/node/n1/sync/ptp-status/clock-class',
      '/cluster/node/n1/sync/ptp-status/lock-state',
      '/cluster/node/n1/sync/sync-status/os-clock-sync-state',
      '/cluster/node/n1/sync/sync-status/sync-state',
    ]);
    const endpoint = subscriptions[0].body.EndpointUri;
    expect(endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/event$/);
    // the sidecar of n1 pushes events
    await post(endpoint, ce('n1', 'sync/ptp-status/lock-state', 'FREERUN', 'notification'));
    await post(endpoint, {
      ...ce('n1', 'sync/ptp-status/lock-state', 0, 'metric'),
      data: {
        version: '1.0',
        values: [
          { ResourceAddress: '/cluster/node/n1/sync/ptp-status/lock-state', data_type: 'metric', value_type: 'decimal64.3', value: 4500 },
        ],
      },
    });
    // n2 is polled: its state changes
    n2State = 'HOLDOVER';
    for (let i = 0; i < 100 && !events.some((e) => e.node === 'n2' && e.value === 'HOLDOVER'); i++)
      await new Promise((r) => setTimeout(r, 20));
    for (let i = 0; i < 100 && !alerts.some((a) => a.rule === 'freerun'); i++) await new Promise((r) => setTimeout(r, 20));
    ac.abort();
    const r = await done;
    expect(r.subscribed).toEqual(['n1']);
    expect(r.polled).toEqual(['n2']);
    expect(events.some((e) => e.node === 'n1' && e.via === 'event' && e.value === 'FREERUN')).toBe(true);
    expect(events.some((e) => e.node === 'n2' && e.via === 'poll' && e.value === 'HOLDOVER')).toBe(true);
    expect(alerts.map((a) => `${a.rule}:${a.severity}:${a.nodes[0]}`)).toEqual(
      expect.arrayContaining(['freerun:CRITICAL:n1', 'offset:WARNING:n1']),
    );
    expect(deleted.sort()).toEqual(['sub-1', 'sub-2', 'sub-3', 'sub-4']);
    expect(r.summary.n2['lock-state']).toBe('HOLDOVER');
  }, 20_000);
});
