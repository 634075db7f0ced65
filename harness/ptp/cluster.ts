/**
 * Reaching PTP on a cluster, as on OpenShift (openshift/ptp-operator): the linuxptp-daemon pods in
 * openshift-ptp (label app=linuxptp-daemon), their metrics (`curl -s localhost:9091/metrics` exec'd in
 * linuxptp-daemon-container, as the conformance suite does: ptp-operator test/pkg/metrics), pmc, and the
 * cloud-event-proxy REST API v2 through the API server's service proxy to
 * `ptp-event-publisher-service-<node>` port 9043 (redhat-cne/rest-api v2: /api/ocloudNotifications/v2).
 * All through the kubeconfig.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { Cluster } from '../cluster/connect.ts';
import { describeApiError, execIn } from '../cluster/exec.ts';
import { InfraError } from '../errors.ts';
import { PTP_NAMESPACE } from '../constants.ts';

export { PTP_NAMESPACE };
export const DAEMON_SELECTOR = 'app=linuxptp-daemon';
export const DAEMON_CONTAINER = 'linuxptp-daemon-container';
export const SIDECAR_CONTAINER = 'cloud-event-proxy';
export const METRICS_ARGV = ['curl', '-s', 'localhost:9091/metrics'];
export const REST_BASE = '/api/ocloudNotifications/v2';
export const PUBLISHER_PORT = 9043;
export const PTP_GROUP = 'ptp.openshift.io';
export const PTP_VERSION = 'v1';

/** cloud-event-proxy's resource addresses (redhat-cne sdk-go pkg/event/ptp resource.go), v2 */
export const RESOURCES = {
  syncState: 'sync/sync-status/sync-state',
  lockState: 'sync/ptp-status/lock-state',
  osClockSyncState: 'sync/sync-status/os-clock-sync-state',
  clockClass: 'sync/ptp-status/clock-class',
} as const;
export type ResourceName = keyof typeof RESOURCES;

export const resourceAddress = (node: string, r: ResourceName): string => `/cluster/node/${node}/${RESOURCES[r]}`;

/** The publisher service is named after the node's short host name (cloud-event-proxy consumer example). */
export const publisherService = (node: string): string => `ptp-event-publisher-service-${node.split('.')[0]}`;

export interface DaemonPod {
  node: string;
  pod: string;
  phase: string;
  ready: boolean;
  restarts: number;
  containers: { name: string; ready: boolean; restarts: number }[];
}

/** A pod as the API returns it (client-node's V1Pod, or a read-only source's object), the fields a DaemonPod needs. */
export interface PodLike {
  metadata?: { name?: string; deletionTimestamp?: unknown; labels?: Record<string, string> };
  spec?: { nodeName?: string };
  status?: {
    phase?: string;
    conditions?: { type?: string; status?: string }[];
    containerStatuses?: { name: string; ready?: boolean; restartCount?: number }[];
  };
}

/** The linuxptp-daemon pods among `items` (scheduled, not terminating), sorted by node. */
export function daemonPodsOf(items: readonly PodLike[]): DaemonPod[] {
  return items
    .filter((p) => p.spec?.nodeName && p.metadata?.name && !p.metadata.deletionTimestamp)
    .map((p) => {
      const cs = p.status?.containerStatuses ?? [];
      return {
        node: p.spec!.nodeName!,
        pod: p.metadata!.name!,
        phase: p.status?.phase ?? 'Unknown',
        ready: (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
        restarts: cs.reduce((a, c) => a + (c.restartCount ?? 0), 0),
        containers: cs.map((c) => ({ name: c.name, ready: !!c.ready, restarts: c.restartCount ?? 0 })),
      };
    })
    .sort((a, b) => a.node.localeCompare(b.node));
}

export async function listDaemonPods(cluster: Cluster): Promise<DaemonPod[]> {
  let items;
  try {
    items = (await cluster.core.listNamespacedPod({ namespace: PTP_NAMESPACE, labelSelector: DAEMON_SELECTOR })).items;
  } catch (err) {
    throw new InfraError(
      `list linuxptp-daemon pods (ns ${PTP_NAMESPACE}, ${DAEMON_SELECTOR}): ${describeApiError(err)}`,
      'is the PTP operator installed? (oc get pods -n openshift-ptp)',
    );
  }
  return daemonPodsOf(items as PodLike[]);
}

/**
 * `curl -s localhost:9043/api/ocloudNotifications/v2/<resource>/CurrentState` from inside the daemon pod (hostNetwork:
 * the sidecar listens on the node), for a reader that can exec but not reach the service proxy (the MCP server's
 * read-only source; its argv guard allows exactly this URL shape).
 */
export const currentStateInPodArgv = (node: string, r: ResourceName): string[] => [
  'curl',
  '-s',
  `localhost:${PUBLISHER_PORT}${REST_BASE}${resourceAddress(node, r)}/CurrentState`,
];

/** `curl -s localhost:9091/metrics` in the daemon container. Rejects with InfraError when the exec fails. */
export async function readMetricsText(cluster: Cluster, pod: string, timeoutMs = 15_000): Promise<string> {
  const r = await execIn(cluster, { namespace: PTP_NAMESPACE, pod, container: DAEMON_CONTAINER }, METRICS_ARGV, { timeoutMs });
  if (r.exitCode !== 0)
    throw new InfraError(
      `curl of localhost:9091/metrics in ${PTP_NAMESPACE}/${pod} exited ${r.exitCode}: ${r.stderr.trim().slice(0, 300)}`,
    );
  return r.stdout;
}

export interface HttpAnswer {
  status: number;
  body: string;
}

/** A request to the API server (any path), authenticated from the kubeconfig. */
export async function apiRequest(
  cluster: Cluster,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  opts: { body?: unknown; timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<HttpAnswer> {
  const url = new URL(path, cluster.server.endsWith('/') ? cluster.server : `${cluster.server}/`);
  const ro: https.RequestOptions = { method, headers: { accept: 'application/json' } };
  await cluster.kc.applyToHTTPSOptions(ro);
  const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  if (payload) ro.headers = { ...(ro.headers as Record<string, string>), 'content-type': 'application/json' };
  const lib = url.protocol === 'http:' ? http : https;
  return new Promise<HttpAnswer>((resolve, reject) => {
    const req = lib.request(url, { ...ro, signal: opts.signal, timeout: opts.timeoutMs ?? 15_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timed out after ${opts.timeoutMs ?? 15_000} ms`)));
    req.on('error', (err) => reject(new InfraError(`${method} ${url.pathname}: ${err.message}`)));
    if (payload) req.write(payload);
    req.end();
  });
}

/** The service-proxy path of a node's cloud-event-proxy REST API v2 (`rest` starts with '/'). */
export const publisherProxyPath = (node: string, rest: string): string =>
  `/api/v1/namespaces/${PTP_NAMESPACE}/services/${publisherService(node)}:${PUBLISHER_PORT}/proxy${REST_BASE}${rest}`;

/** GET `<resource>/CurrentState` of a node: the cloud event, parsed. */
export async function currentState(cluster: Cluster, node: string, r: ResourceName, timeoutMs = 10_000): Promise<unknown> {
  const path = publisherProxyPath(node, `${resourceAddress(node, r)}/CurrentState`);
  const a = await apiRequest(cluster, 'GET', path, { timeoutMs });
  if (a.status !== 200)
    throw new InfraError(
      `GET ${resourceAddress(node, r)}/CurrentState via ${publisherService(node)}: HTTP ${a.status} ${a.body.slice(0, 200)}`,
    );
  try {
    return JSON.parse(a.body) as unknown;
  } catch {
    throw new InfraError(`CurrentState of ${node} ${r}: not JSON: ${a.body.slice(0, 200)}`);
  }
}

/** The first notification value of a CurrentState event (LOCKED, HOLDOVER, FREERUN ...) and its metric, if any. */
export function stateOf(ev: unknown): { value?: string; metric?: number } {
  const values = (ev as { data?: { values?: { data_type?: string; dataType?: string; value?: unknown }[] } })?.data?.values ?? [];
  const note = values.find((v) => (v.data_type ?? v.dataType) === 'notification');
  const metric = values.find((v) => (v.data_type ?? v.dataType) === 'metric');
  return {
    value: note?.value === undefined ? undefined : String(note.value),
    metric: metric?.value === undefined ? undefined : Number(metric.value),
  };
}

/** PtpOperatorConfig `default`: is the event publisher (cloud-event-proxy) enabled? */
export async function eventPublisherEnabled(cluster: Cluster): Promise<boolean> {
  try {
    const o = (await cluster.custom.getNamespacedCustomObject({
      group: PTP_GROUP,
      version: PTP_VERSION,
      namespace: PTP_NAMESPACE,
      plural: 'ptpoperatorconfigs',
      name: 'default',
    })) as { spec?: { ptpEventConfig?: { enableEventPublisher?: boolean } } };
    return o.spec?.ptpEventConfig?.enableEventPublisher === true;
  } catch {
    return false;
  }
}
