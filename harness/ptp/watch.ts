/**
 * `ptp watch`: the PTP agent (aneeshkp/ptp-operator-mcp-server ptp_agent.py) as a command. Discovers the
 * linuxptp-daemon nodes, subscribes to each node's cloud-event-proxy REST API v2 (POST /subscriptions with
 * ResourceAddress + EndpointUri, through the service proxy) and receives the events on a local HTTP endpoint;
 * a node whose subscription fails, or every node when no endpoint reachable from the sidecar is known, is
 * polled (GET <resource>/CurrentState). Events go through the watch rules; events and alerts are recorded.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Cluster } from '../cluster/connect.ts';
import { InfraError } from '../errors.ts';
import { apiRequest, currentState, listDaemonPods, publisherProxyPath, resourceAddress, RESOURCES, type ResourceName } from './cluster.ts';
import { WatchRules, eventsFromCloudEvent, type Alert, type PtpEvent, type WatchRulesConfig } from './rules.ts';

export interface WatchOptions {
  cluster: Cluster;
  rules: WatchRulesConfig;
  /** CurrentState poll period (fallback); default 5 s */
  intervalMs?: number;
  /** the consumer URL the sidecar POSTs events to; default: the local listener when the API server is on loopback */
  endpoint?: string;
  /** local listener (host, port 0 = any) */
  listen?: { host: string; port: number };
  /** never subscribe, only poll */
  pollOnly?: boolean;
  signal: AbortSignal;
  onEvent?: (e: PtpEvent) => void;
  onAlert?: (a: Alert) => void;
  log?: (line: string) => void;
}

export interface WatchSummary {
  nodes: string[];
  subscribed: string[];
  polled: string[];
  events: number;
  alerts: Alert[];
  summary: Record<string, Record<string, string>>;
}

const WATCHED: ResourceName[] = ['lockState', 'osClockSyncState', 'clockClass', 'syncState'];

function isLoopback(server: string): boolean {
  try {
    const h = new URL(server).hostname;
    return h === '127.0.0.1' || h === 'localhost' || h === '::1' || h === '[::1]';
  } catch {
    return false;
  }
}

export async function runWatch(o: WatchOptions): Promise<WatchSummary> {
  const log = o.log ?? (() => undefined);
  const rules = new WatchRules(o.rules);
  const alerts: Alert[] = [];
  let events = 0;
  const handle = (e: PtpEvent): void => {
    events++;
    o.onEvent?.(e);
    for (const a of rules.ingest(e)) {
      alerts.push(a);
      o.onAlert?.(a);
    }
  };
  const nodes = [...new Set((await listDaemonPods(o.cluster)).map((p) => p.node))];
  if (!nodes.length)
    throw new InfraError('no linuxptp-daemon pods in openshift-ptp', 'is the PTP operator installed and its daemon scheduled?');

  // the local consumer endpoint
  let server: http.Server | undefined;
  let endpoint = o.endpoint;
  if (!o.pollOnly) {
    server = http.createServer((req, res) => {
      if (req.method === 'GET') {
        res.writeHead(200).end('OK');
        return;
      }
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        // cloud-event-proxy validates the EndpointUri with an empty POST that must answer 204 (redhat-cne/rest-api v2 createSubscription)
        if (chunks.length === 0) {
          res.writeHead(204).end();
          return;
        }
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
          for (const ce of Array.isArray(body) ? body : [body]) for (const e of eventsFromCloudEvent(ce, 'event')) handle(e);
        } catch {
          log('ptp watch: an event body that is not JSON was ignored');
        }
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((res, rej) => {
      server!.once('error', rej);
      server!.listen(o.listen?.port ?? 0, o.listen?.host ?? '127.0.0.1', () => res());
    });
    const addr = server.address() as AddressInfo;
    if (!endpoint && isLoopback(o.cluster.server)) endpoint = `http://127.0.0.1:${addr.port}/event`;
    log(`ptp watch: listening for events on ${addr.address}:${addr.port}${endpoint ? ` (EndpointUri ${endpoint})` : ''}`);
  }

  // subscriptions
  const subs: { node: string; id: string }[] = [];
  const subscribed: string[] = [];
  const polled: string[] = [];
  for (const node of nodes) {
    if (!endpoint || o.pollOnly) {
      polled.push(node);
      continue;
    }
    let ok = true;
    for (const r of WATCHED) {
      try {
        const a = await apiRequest(o.cluster, 'POST', publisherProxyPath(node, '/subscriptions'), {
          body: { ResourceAddress: resourceAddress(node, r), EndpointUri: endpoint },
          timeoutMs: 10_000,
          signal: o.signal,
        });
        if (a.status === 201 || a.status === 200) {
          const id = (JSON.parse(a.body) as { SubscriptionId?: string; id?: string }).SubscriptionId;
          if (id) subs.push({ node, id });
        } else if (a.status !== 409) {
          ok = false;
          log(`ptp watch: subscribe ${node} ${RESOURCES[r]}: HTTP ${a.status} ${a.body.slice(0, 120)}`);
        }
      } catch (err) {
        ok = false;
        log(`ptp watch: subscribe ${node} ${RESOURCES[r]}: ${(err as Error).message}`);
      }
    }
    (ok ? subscribed : polled).push(node);
  }
  log(
    `ptp watch: ${nodes.length} node(s): ${subscribed.length} subscribed, ${polled.length} polled every ${(o.intervalMs ?? 5000) / 1000} s`,
  );

  // polling (fallback nodes; and one initial read of every node for a baseline)
  const last = new Map<string, string>();
  const poll = async (targets: string[]): Promise<void> => {
    await Promise.all(
      targets.map(async (node) => {
        for (const r of WATCHED) {
          if (o.signal.aborted) return;
          try {
            const ce = await currentState(o.cluster, node, r, 10_000);
            for (const e of eventsFromCloudEvent(ce, 'poll', node)) {
              const key = `${e.resource}\u0000${e.dataType}`;
              const changed = last.get(key) !== e.value;
              last.set(key, e.value);
              // notifications only when they change (the rules count changes); metrics always (offset rule)
              if (changed || e.dataType === 'metric') handle({ ...e, time: Date.now() });
            }
          } catch (err) {
            if (!o.signal.aborted) log(`ptp watch: CurrentState ${node} ${RESOURCES[r]}: ${(err as Error).message}`);
          }
        }
      }),
    );
  };
  await poll(nodes);
  const interval = o.intervalMs ?? 5000;
  await new Promise<void>((resolve) => {
    if (o.signal.aborted) return resolve();
    let busy = false;
    const t = setInterval(() => {
      for (const a of rules.tick(Date.now())) {
        alerts.push(a);
        o.onAlert?.(a);
      }
      if (busy || !polled.length) return;
      busy = true;
      void poll(polled).finally(() => {
        busy = false;
      });
    }, interval);
    o.signal.addEventListener(
      'abort',
      () => {
        clearInterval(t);
        resolve();
      },
      { once: true },
    );
  });

  // clean up: delete our subscriptions, close the listener
  await Promise.all(
    subs.map((s) =>
      apiRequest(o.cluster, 'DELETE', publisherProxyPath(s.node, `/subscriptions/${encodeURIComponent(s.id)}`), { timeoutMs: 5000 }).catch(
        () => undefined,
      ),
    ),
  );
  if (server) await new Promise<void>((res) => server!.close(() => res()));
  return { nodes, subscribed, polled, events, alerts, summary: rules.summary() };
}
