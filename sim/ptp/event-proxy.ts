/**
 * The cloud-event-proxy sidecar's REST API v2 (O-RAN O-Cloud Notification API v3), one publisher per PTP
 * node, served through the API server's service proxy as Service `ptp-event-publisher-service-<node>` port
 * 9043 in openshift-ptp, as OpenShift serves it at
 * http://ptp-event-publisher-service-<node>.openshift-ptp.svc.cluster.local:9043/api/ocloudNotifications/v2.
 *
 * Routes and answers as redhat-cne/rest-api v2/server.go + v2/routes.go:
 *   POST   /subscriptions            {ResourceAddress, EndpointUri} -> 201 with SubscriptionId, UriLocation;
 *                                    the EndpointUri is validated first with an empty POST that must answer 204;
 *                                    an unknown resource or a bad body -> 400 {"error": ...}
 *   GET    /subscriptions            -> 200 [subscriptions]
 *   DELETE /subscriptions            -> 200 {"status":"deleted all subscriptions"}
 *   GET    /subscriptions/{id}       -> 200 subscription | 400 {"error":"subscription not found"}
 *   DELETE /subscriptions/{id}       -> 200 {"status":"OK"}
 *   GET    /publishers               -> 200 [publishers] (one per resource the node publishes)
 *   GET    /{resourceAddress}/CurrentState -> 200 the current cloud event of that resource
 *   GET    /health                   -> 200 OK
 * Events (redhat-cne/sdk-go pkg/event/ptp types.go, resource.go; the v2 JSON of cloudevents/sdk-go): types
 * event.sync.ptp-status.ptp-state-change (lock-state), event.sync.sync-status.os-clock-sync-state-change,
 * event.sync.ptp-status.ptp-clock-class-change, event.sync.sync-status.synchronization-state-change; a value
 * list of a notification (enumeration LOCKED / HOLDOVER / FREERUN) and a metric (decimal64.3 offset, or the
 * clock class). Events are published only on a change (cloud-event-proxy plugins/ptp_operator/metrics/
 * manager.go) and POSTed to every subscriber of the resource, in order.
 *
 * What the node's state is comes from the emulated PTP stack through `read()`; this module only publishes it.
 */
import { randomUUID } from 'node:crypto';
import http, { type IncomingMessage } from 'node:http';
import type { ServiceProxyHandler, ServiceProxyRegistry } from '../api/service-proxy.ts';
import type { KubeObject, SimContext, Stoppable } from '../types.ts';
import type { NodePtpView } from './types.ts';

export const PTP_NAMESPACE = 'openshift-ptp';
export const PUBLISHER_PORT = 9043;
export const API_BASE = '/api/ocloudNotifications/v2';

export type SyncState = 'LOCKED' | 'HOLDOVER' | 'FREERUN';

/** What cloud-event-proxy knows about one node (its ptp4l / phc2sys / clock class view). */
export interface PublishedState {
  /** ptp4l (or ts2phc) of the profile: the interface alias (`ens1fx`), its state and master offset (ns) */
  lockState: { iface: string; state: SyncState; offsetNs: number };
  /** phc2sys: CLOCK_REALTIME's state and offset (ns) */
  osClockSyncState: { state: SyncState; offsetNs: number };
  /** the clock class the node's ptp4l announces / reports */
  clockClass: { iface: string; value: number };
}

export const RESOURCE_KINDS = ['lockState', 'osClockSyncState', 'clockClass', 'syncState'] as const;
export type ResourceKind = (typeof RESOURCE_KINDS)[number];

/** Resource suffix under /cluster/node/<node> and event type (sdk-go pkg/event/ptp resource.go, types.go). */
export const RESOURCE: Record<ResourceKind, { path: string; type: string }> = {
  lockState: { path: '/sync/ptp-status/lock-state', type: 'event.sync.ptp-status.ptp-state-change' },
  osClockSyncState: { path: '/sync/sync-status/os-clock-sync-state', type: 'event.sync.sync-status.os-clock-sync-state-change' },
  clockClass: { path: '/sync/ptp-status/clock-class', type: 'event.sync.ptp-status.ptp-clock-class-change' },
  syncState: { path: '/sync/sync-status/sync-state', type: 'event.sync.sync-status.synchronization-state-change' },
};

export const publisherServiceName = (node: string): string => `ptp-event-publisher-service-${node.split('.')[0]}`;

/** The overall sync-state (O-RAN 7.2.3.1): LOCKED only when the PTP and the OS clock are; the worse of the two otherwise. */
export function overallState(s: PublishedState): SyncState {
  const rank: Record<SyncState, number> = { LOCKED: 0, HOLDOVER: 1, FREERUN: 2 };
  return rank[s.lockState.state] >= rank[s.osClockSyncState.state] ? s.lockState.state : s.osClockSyncState.state;
}

export interface DataValue {
  ResourceAddress: string;
  data_type: 'notification' | 'metric';
  value_type: 'enumeration' | 'decimal64.3';
  value: string | number;
}

export interface CloudEvent {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  time: string;
  data: { version: '1.0'; values: DataValue[] };
}

/** The cloud event of one resource of a node's state (pure). */
export function cloudEvent(node: string, kind: ResourceKind, s: PublishedState, now: Date, id: string = randomUUID()): CloudEvent {
  const base = `/cluster/node/${node}`;
  const r = RESOURCE[kind];
  let values: DataValue[];
  switch (kind) {
    case 'lockState': {
      const addr = `${base}/${s.lockState.iface}/master`;
      values = [
        { ResourceAddress: addr, data_type: 'notification', value_type: 'enumeration', value: s.lockState.state },
        { ResourceAddress: addr, data_type: 'metric', value_type: 'decimal64.3', value: s.lockState.offsetNs },
      ];
      break;
    }
    case 'osClockSyncState': {
      const addr = `${base}/CLOCK_REALTIME`;
      values = [
        { ResourceAddress: addr, data_type: 'notification', value_type: 'enumeration', value: s.osClockSyncState.state },
        { ResourceAddress: addr, data_type: 'metric', value_type: 'decimal64.3', value: s.osClockSyncState.offsetNs },
      ];
      break;
    }
    case 'clockClass': {
      const addr = `${base}/${s.clockClass.iface}/master`;
      values = [{ ResourceAddress: addr, data_type: 'metric', value_type: 'decimal64.3', value: s.clockClass.value }];
      break;
    }
    case 'syncState':
      values = [{ ResourceAddress: `${base}${r.path}`, data_type: 'notification', value_type: 'enumeration', value: overallState(s) }];
      break;
  }
  return { specversion: '1.0', id, source: r.path, type: r.type, time: now.toISOString(), data: { version: '1.0', values } };
}

/** What changes publish: the notification value (metrics alone do not, except the clock class itself). */
function signature(kind: ResourceKind, s: PublishedState): string {
  switch (kind) {
    case 'lockState':
      return s.lockState.state;
    case 'osClockSyncState':
      return s.osClockSyncState.state;
    case 'clockClass':
      return String(s.clockClass.value);
    case 'syncState':
      return overallState(s);
  }
}

export interface Subscription {
  SubscriptionId: string;
  ResourceAddress: string;
  EndpointUri: string;
  UriLocation: string;
}

export interface PublisherOptions {
  node: string;
  /** the node's current state; undefined while PTP is not running there */
  read: () => PublishedState | undefined;
  now?: () => Date;
  log?: (line: string) => void;
  /** lines for the cloud-event-proxy container's log */
  containerLog?: (line: string) => void;
  /** false while the sidecar does not run (enableEventPublisher off): the Service has no endpoints */
  enabled?: () => boolean;
}

/** The state a freshly (re)started cloud-event-proxy reports until it has parsed the daemon's logs again. */
export const INITIAL_STATE = (iface: string): PublishedState => ({
  lockState: { iface, state: 'FREERUN', offsetNs: 0 },
  osClockSyncState: { state: 'FREERUN', offsetNs: 0 },
  clockClass: { iface, value: 248 },
});

export class EventPublisher {
  readonly node: string;
  private subs = new Map<string, Subscription>();
  private last = new Map<ResourceKind, string>();
  private queue: Promise<void> = Promise.resolve();
  /** when set, the published state is frozen at this (stale state after a sidecar restart) */
  private frozen: PublishedState | undefined;
  private readonly now: () => Date;
  private readonly publisherIds: Record<ResourceKind, string>;
  /** delivered events (for the container log and tests through the log) */
  delivered = 0;

  constructor(private readonly o: PublisherOptions) {
    this.node = o.node;
    this.now = o.now ?? (() => new Date());
    this.publisherIds = Object.fromEntries(RESOURCE_KINDS.map((k) => [k, randomUUID()])) as Record<ResourceKind, string>;
  }

  private resourceAddress(kind: ResourceKind): string {
    return `/cluster/node/${this.node}${RESOURCE[kind].path}`;
  }

  /** The state the API answers with. */
  state(): PublishedState | undefined {
    return this.frozen ?? this.o.read();
  }

  /** The sidecar restarted; `stale` keeps it on its initial FREERUN view (OCPBUGS stale sidecar state) until `unfreeze`. */
  restart(stale: boolean): void {
    const cur = this.o.read();
    this.last.clear();
    this.o.containerLog?.(`I${klogTime(this.now())} 1 main.go:131] starting cloud event proxy, api version 2.0, port ${PUBLISHER_PORT}`);
    if (stale) this.frozen = INITIAL_STATE(cur?.lockState.iface ?? 'ens1fx');
    this.tick();
  }

  unfreeze(): void {
    this.frozen = undefined;
    this.tick();
  }

  get isFrozen(): boolean {
    return this.frozen !== undefined;
  }

  /** Publishes what changed since the last tick to the subscribers of each changed resource. */
  tick(): void {
    const s = this.state();
    if (!s) return;
    for (const kind of RESOURCE_KINDS) {
      const sig = signature(kind, s);
      const prev = this.last.get(kind);
      this.last.set(kind, sig);
      if (prev === undefined || prev === sig) continue;
      const ev = cloudEvent(this.node, kind, s, this.now());
      this.o.containerLog?.(
        `I${klogTime(this.now())} 1 metrics.go:224] publishing event for ${this.resourceAddress(kind)} with last state ${prev} and current state ${sig}`,
      );
      for (const sub of this.subs.values()) if (this.resourceAddress(kind).startsWith(sub.ResourceAddress)) this.deliver(sub, ev);
    }
  }

  private deliver(sub: Subscription, ev: CloudEvent): void {
    const body = JSON.stringify(ev);
    this.queue = this.queue.then(async () => {
      const code = await post(sub.EndpointUri, body).catch((e: Error) => e.message);
      if (code === 204 || code === 200 || code === 202) this.delivered++;
      else this.o.log?.(`cloud-event-proxy ${this.node}: event to ${sub.EndpointUri} failed: ${code}`);
    });
  }

  /** Waits for the events queued so far. */
  flush(): Promise<void> {
    return this.queue;
  }

  /** Through the API server's service proxy. */
  readonly handler: ServiceProxyHandler = (req, res, path) => {
    void (async () => {
      const body = req.method === 'POST' ? await readBody(req) : undefined;
      const a = await this.handle(req.method ?? 'GET', path, body);
      res.writeHead(a.status, { 'Content-Type': a.contentType, 'Content-Length': Buffer.byteLength(a.body) });
      res.end(a.body);
    })().catch((e: Error) => {
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error: e.message }));
    });
  };

  /** One request of the REST API (path from /api/ocloudNotifications/v2 on), as rest-api v2 answers it. */
  async handle(method: string, path: string, body?: string): Promise<HttpAnswer> {
    if (this.o.enabled && !this.o.enabled()) {
      // no cloud-event-proxy container: kube-apiserver's answer for a Service without endpoints
      const svc = publisherServiceName(this.node);
      return json(503, {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: `no endpoints available for service "${svc}"`,
        reason: 'ServiceUnavailable',
        code: 503,
      });
    }
    const p = path.split('?')[0];
    if (!p.startsWith(API_BASE)) return json(404, { error: `404 page not found: ${p}` });
    const rest = decodeURIComponent(p.slice(API_BASE.length)) || '/';
    const m = method.toUpperCase();
    if (rest === '/health' && m === 'GET') return { status: 200, body: 'OK', contentType: 'text/plain; charset=utf-8' };
    if (rest === '/subscriptions' || rest === '/subscriptions/') {
      if (m === 'GET') return json(200, [...this.subs.values()]);
      if (m === 'DELETE') {
        this.subs.clear();
        return json(200, { status: 'deleted all subscriptions' });
      }
      if (m === 'POST') return this.subscribe(body ?? '');
    }
    const sm = /^\/subscriptions\/([^/]+)$/.exec(rest);
    if (sm) {
      const sub = this.subs.get(sm[1]);
      if (m === 'GET') return sub ? json(200, sub) : json(400, { error: 'subscription not found' });
      if (m === 'DELETE') {
        if (!sub) return json(400, { error: 'subscription not found' });
        this.subs.delete(sm[1]);
        return json(200, { status: 'OK' });
      }
    }
    if ((rest === '/publishers' || rest === '/publishers/') && m === 'GET') {
      return json(
        200,
        RESOURCE_KINDS.map((k) => ({
          ResourceAddress: this.resourceAddress(k),
          EndpointUri: `http://localhost:${PUBLISHER_PORT}${API_BASE}/dummy`,
          SubscriptionId: this.publisherIds[k],
          UriLocation: `http://localhost:${PUBLISHER_PORT}${API_BASE}/publishers/${this.publisherIds[k]}`,
        })),
      );
    }
    const cs = /^(\/.*)\/CurrentState$/.exec(rest);
    if (cs && m === 'GET') {
      const kind = this.kindOf(cs[1]);
      if (!kind) return json(400, { error: 'subscription not found' });
      const st = this.state();
      if (!st) return json(400, { error: 'event not found' });
      return json(200, cloudEvent(this.node, kind, st, this.now()));
    }
    return json(405, { error: `${m} ${rest} is not a route of ${API_BASE}` });
  }

  private kindOf(address: string): ResourceKind | undefined {
    return RESOURCE_KINDS.find((k) => this.resourceAddress(k) === address.replace(/\/+$/, ''));
  }

  private async subscribe(text: string): Promise<HttpAnswer> {
    let body: { ResourceAddress?: unknown; EndpointUri?: unknown };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      return json(400, { error: 'marshalling error' });
    }
    const address = typeof body?.ResourceAddress === 'string' ? body.ResourceAddress.replace(/\/+$/, '') : '';
    const endpoint = typeof body?.EndpointUri === 'string' ? body.EndpointUri : '';
    const known =
      RESOURCE_KINDS.some((k) => this.resourceAddress(k).startsWith(address)) && address.startsWith(`/cluster/node/${this.node}/`);
    if (!address || !known) return json(400, { error: `no publisher found for resource address ${address || '(empty)'}` });
    if (endpoint) {
      let url: URL;
      try {
        url = new URL(endpoint);
        if (url.protocol !== 'http:') throw new Error('not http');
      } catch {
        return json(400, { error: `invalid EndpointUri ${endpoint}` });
      }
      // rest-api v2 createSubscription: the endpoint must answer an empty POST with 204
      const code = await post(url.toString(), '').catch((e: Error) => e.message);
      if (code !== 204) {
        return json(400, {
          error:
            typeof code === 'number'
              ? 'return url validation check failed for create subscription.check endpointURI'
              : `Post "${endpoint}": ${code}`,
        });
      }
    }
    for (const s of this.subs.values())
      if (s.ResourceAddress === address && s.EndpointUri === endpoint) return json(409, { error: 'subscription already exists', ...s });
    const id = randomUUID();
    const sub: Subscription = {
      ResourceAddress: address,
      EndpointUri: endpoint,
      SubscriptionId: id,
      UriLocation: `http://localhost:${PUBLISHER_PORT}${API_BASE}/subscriptions/${id}`,
    };
    this.subs.set(id, sub);
    this.o.containerLog?.(`I${klogTime(this.now())} 1 routes.go:88] subscription created successfully.`);
    return json(201, sub);
  }
}

function klogTime(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${p(d.getUTCMilliseconds() * 1000, 6)}`;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > 64 * 1024) {
        reject(new Error('body too large'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export interface HttpAnswer {
  status: number;
  body: string;
  contentType: string;
}

function json(status: number, body: unknown): HttpAnswer {
  return { status, body: JSON.stringify(body), contentType: 'application/json' };
}

/** POSTs a body (JSON) to a consumer endpoint; resolves the status code. */
function post(url: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: 'POST', headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) }, timeout: 5000 },
      (r) => {
        r.resume();
        r.on('end', () => resolve(r.statusCode ?? 0));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Registers one publisher per node on the service proxy (Service `ptp-event-publisher-service-<node>`, port
 * 9043 by number and by the name `publisher-port`). Returns the publishers and the unregister function.
 */
export function registerPublishers(
  registry: ServiceProxyRegistry,
  publishers: EventPublisher[],
): { byNode: Map<string, EventPublisher>; unregister: () => void } {
  const offs: (() => void)[] = [];
  const byNode = new Map<string, EventPublisher>();
  for (const p of publishers) {
    byNode.set(p.node, p);
    const svc = publisherServiceName(p.node);
    offs.push(registry.register(PTP_NAMESPACE, svc, PUBLISHER_PORT, p.handler));
    offs.push(registry.register(PTP_NAMESPACE, svc, 'publisher-port', p.handler));
  }
  return { byNode, unregister: () => offs.forEach((f) => f()) };
}

/** The Service object of a node's publisher (cloud-event-proxy's `ptp-event-publisher-service-<node>`). */
export function publisherServiceObject(node: string): {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  spec: Record<string, unknown>;
} {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: publisherServiceName(node), namespace: PTP_NAMESPACE, labels: { app: 'linuxptp-daemon' } },
    spec: {
      selector: { app: 'linuxptp-daemon' },
      internalTrafficPolicy: 'Local',
      ports: [{ name: 'publisher-port', port: PUBLISHER_PORT, targetPort: PUBLISHER_PORT, protocol: 'TCP' }],
      type: 'ClusterIP',
    },
  };
}

/** cloud-event-proxy's view of a node, from the emulator's (ptp4l with a slave port, phc2sys, the clock class). */
export function publishedStateOf(v: NodePtpView): PublishedState | undefined {
  const p4 = v.ptp4l.find((p) => p.metricIface) ?? v.ptp4l[0];
  if (!p4) return undefined;
  const iface = p4.metricIface ?? alias(p4.ports[0]?.iface ?? 'ens1f0');
  const phc = v.processes.find((p) => p.process === 'phc2sys');
  // the class linuxptp-daemon reads with `pmc GET PARENT_DATA_SET` (gm.ClockClass): the grandmaster's while the clock
  // follows one, its own (255 slave-only, 248 free-running BC) otherwise
  const cls = p4.reportedClockClass;
  return {
    // a T-BC's lock-state carries the T-BC-STATUS offset (the estimated phase error in holdover: ParseTBCLogs SetLastOffset)
    lockState: {
      iface,
      state: p4.running ? p4.clockState : 'FREERUN',
      offsetNs: !p4.running ? 0 : p4.tbc && p4.holdoverPhaseErrorNs !== undefined ? p4.holdoverPhaseErrorNs : p4.offsetNs,
    },
    osClockSyncState: {
      state: phc && phc.running ? phc.clockState : 'FREERUN',
      offsetNs: phc && phc.running ? phc.offsetNs : 0,
    },
    clockClass: { iface, value: cls },
  };
}

/** ens1f0 -> ens1fx (the metric / event interface alias, cloud-event-proxy plugins/ptp_operator/docs/configurations.md) */
export const alias = (iface: string): string => iface.replace(/\d+$/, 'x');

const PODS = { group: '', version: 'v1', resource: 'pods' };
const SERVICES = { group: '', version: 'v1', resource: 'services' };

export interface EventProxyRuntime extends Stoppable {
  publisher(node: string): EventPublisher | undefined;
}

/**
 * Starts the publishers for every PTP node of ctx.services.ptp (added as nodes get a profile), their Services,
 * the change-driven publishing and the sidecar-restart detection (a cloud-event-proxy container restart or a
 * new daemon pod re-initialises the publisher; `staleOnRestart(node)` decides whether it then stays stale).
 */
export function startEventProxy(ctx: SimContext, opts: { staleOnRestart?: (node: string) => boolean } = {}): EventProxyRuntime {
  const ptp = ctx.services.ptp;
  const registry = ctx.services.serviceProxy;
  const publishers = new Map<string, EventPublisher>();
  const offs: (() => void)[] = [];
  if (!ptp || !registry) return { publisher: () => undefined, stop: async () => undefined };
  const sidecarLog = (node: string, line: string) => {
    const pod = ptp.node(node)?.daemonPod;
    if (pod) ctx.services.appendLog?.({ namespace: PTP_NAMESPACE, pod, container: 'cloud-event-proxy' }, line);
  };
  const ensure = (node: string): EventPublisher => {
    let p = publishers.get(node);
    if (p) return p;
    p = new EventPublisher({
      node,
      read: () => {
        const v = ptp.node(node);
        return v && ptp.eventPublisher() ? publishedStateOf(v) : undefined;
      },
      log: ctx.log,
      containerLog: (line) => sidecarLog(node, line),
      enabled: () => ptp.eventPublisher(),
    });
    publishers.set(node, p);
    offs.push(registerPublishers(registry, [p]).unregister);
    const svc = publisherServiceObject(node);
    if (!ctx.store.get(SERVICES, PTP_NAMESPACE, svc.metadata.name)) {
      try {
        ctx.store.create(SERVICES, svc as unknown as KubeObject);
      } catch {
        /* created meanwhile */
      }
    }
    p.tick();
    return p;
  };
  for (const v of ptp.nodes()) ensure(v.node);
  // cloud-event-proxy listens on the node's host network: `curl localhost:9043/...` in the daemon pod reaches it
  offs.push(ptp.registerLocalHttp(PUBLISHER_PORT, (r) => ensure(r.node).handle(r.method, r.path, r.body)));
  offs.push(
    ptp.onChange((c) => {
      const p = ensure(c.node);
      p.tick();
    }),
  );
  // offsets move without a state change; a periodic tick keeps CurrentState's metric current and publishes what changed
  const timer = setInterval(
    () => {
      for (const v of ptp.nodes()) ensure(v.node).tick();
    },
    Math.max(50, 1000 / ctx.speed),
  );
  offs.push(() => clearInterval(timer));
  // sidecar restarts: the cloud-event-proxy container's restartCount grows, or the daemon pod is replaced
  const seen = new Map<string, { uid: string; restarts: number }>();
  offs.push(
    ctx.store.watch(
      PODS,
      (ev) => {
        const pod = ev.object;
        const node = (pod.spec as { nodeName?: string } | undefined)?.nodeName;
        if (!node || pod.metadata.labels?.app !== 'linuxptp-daemon' || ev.type === 'DELETED') return;
        const cs = (
          (pod.status as { containerStatuses?: { name: string; restartCount?: number; ready?: boolean }[] } | undefined)
            ?.containerStatuses ?? []
        ).find((c) => c.name === 'cloud-event-proxy');
        if (!cs) return;
        const cur = { uid: pod.metadata.uid ?? '', restarts: cs.restartCount ?? 0 };
        const prev = seen.get(node);
        seen.set(node, cur);
        if (prev && (prev.uid !== cur.uid || cur.restarts > prev.restarts)) {
          const p = ensure(node);
          p.restart(opts.staleOnRestart?.(node) ?? false);
        }
      },
      { namespace: PTP_NAMESPACE },
    ),
  );
  return {
    publisher: (node) => publishers.get(node),
    stop: async () => {
      for (const f of offs.splice(0)) f();
      await Promise.all([...publishers.values()].map((p) => p.flush()));
    },
  };
}
