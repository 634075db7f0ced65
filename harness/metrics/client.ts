/**
 * A Prometheus HTTP API client (prometheus/docs content/docs/prometheus/latest/querying/api.md):
 * GET /api/v1/query and /api/v1/query_range, JSON answers {status, data: {resultType, result}, errorType, error}.
 *
 * Three ways to the API, as on OpenShift:
 * - `url`: a base URL given with --prometheus-url (and --prometheus-token / NETHARNESS_PROMETHEUS_TOKEN);
 * - `route`: the thanos-querier Route in openshift-monitoring (https://<host>), with the kubeconfig user's
 *   bearer token (the route's oauth/kube-rbac-proxy checks it), found automatically on a live cluster;
 * - `service-proxy`: the API server's service proxy to Service thanos-querier port web, with the
 *   kubeconfig's credentials (the embedded cluster; also any cluster where services/proxy is allowed).
 */
import http from 'node:http';
import https from 'node:https';
import { rootCertificates } from 'node:tls';
import type { Cluster } from '../cluster/connect.ts';
import { InfraError } from '../errors.ts';

export const MONITORING_NAMESPACE = 'openshift-monitoring';
export const THANOS_QUERIER = 'thanos-querier';
export const SERVICE_PROXY_BASE = `/api/v1/namespaces/${MONITORING_NAMESPACE}/services/${THANOS_QUERIER}:web/proxy`;

export type Labels = Record<string, string>;

/** One series of a matrix (query_range) or one sample of a vector (query), values as numbers. */
export interface PromSeries {
  labels: Labels;
  /** [unix seconds, value] */
  points: [number, number][];
}

export interface PromClient {
  /** where it reads from, for messages (no credentials) */
  readonly describe: string;
  /** instant query at `at` (default now): a vector or scalar, each sample as a one-point series */
  query(q: string, at?: Date, signal?: AbortSignal): Promise<PromSeries[]>;
  /** range query: a matrix */
  queryRange(q: string, start: Date, end: Date, stepSeconds: number, signal?: AbortSignal): Promise<PromSeries[]>;
  /** GET /api/v1/status/buildinfo: the server's version (throws when unreachable) */
  buildInfo(signal?: AbortSignal): Promise<string>;
}

/** A query Prometheus rejected or failed (bad PromQL, timeout): the query is named by the caller. */
export class PromQueryError extends Error {
  override name = 'PromQueryError';
  constructor(
    message: string,
    readonly status: number,
    readonly errorType?: string,
  ) {
    super(message);
  }
}

interface ApiAnswer {
  status: 'success' | 'error';
  data?: { resultType: 'matrix' | 'vector' | 'scalar' | 'string'; result: unknown };
  errorType?: string;
  error?: string;
  warnings?: string[];
}

type RawSample = { metric?: Labels; value?: [number, string]; values?: [number, string][] };

/** Prometheus encodes sample values as strings ("NaN", "+Inf" included). */
export function parseValue(v: string): number {
  if (v === '+Inf') return Infinity;
  if (v === '-Inf') return -Infinity;
  return Number(v);
}

/** The result of a successful answer as series (pure). */
export function toSeries(a: ApiAnswer): PromSeries[] {
  const d = a.data;
  if (!d) return [];
  switch (d.resultType) {
    case 'matrix':
      return (d.result as RawSample[]).map((s) => ({
        labels: s.metric ?? {},
        points: (s.values ?? []).map(([t, v]) => [t, parseValue(v)]),
      }));
    case 'vector':
      return (d.result as RawSample[]).map((s) => ({
        labels: s.metric ?? {},
        points: s.value ? [[s.value[0], parseValue(s.value[1])]] : [],
      }));
    case 'scalar': {
      const [t, v] = d.result as [number, string];
      return [{ labels: {}, points: [[t, parseValue(v)]] }];
    }
    default:
      return [];
  }
}

interface Transport {
  describe: string;
  get(pathAndQuery: string, signal?: AbortSignal): Promise<{ status: number; body: string }>;
}

function request(
  url: URL,
  opts: https.RequestOptions,
  signal: AbortSignal | undefined,
  timeoutMs: number,
): Promise<{ status: number; body: string }> {
  const lib = url.protocol === 'http:' ? http : https;
  return new Promise((resolve, reject) => {
    const req = lib.request(url, { ...opts, method: 'GET', signal, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

const TIMEOUT_MS = 60_000;

function joinUrl(base: string, pathAndQuery: string): URL {
  return new URL(base.replace(/\/+$/, '') + pathAndQuery);
}

/** Through the API server's service proxy with the kubeconfig's credentials. */
function serviceProxyTransport(cluster: Cluster): Transport {
  const base = cluster.server.replace(/\/+$/, '') + SERVICE_PROXY_BASE;
  return {
    describe: `service ${MONITORING_NAMESPACE}/${THANOS_QUERIER}:web via the API server ${cluster.server}`,
    async get(pq, signal) {
      const opts: https.RequestOptions = { headers: { Accept: 'application/json' } };
      await cluster.kc.applyToHTTPSOptions(opts);
      return request(joinUrl(base, pq), opts, signal, TIMEOUT_MS);
    },
  };
}

/** A base URL with an optional bearer token (route or --prometheus-url). `ca`: extra trusted CA (the kubeconfig's). */
function urlTransport(
  base: string,
  token: string | undefined,
  o: { ca?: string | Buffer; insecure?: boolean; describe?: string } = {},
): Transport {
  return {
    describe: o.describe ?? base,
    get(pq, signal) {
      const headers: Record<string, string> = { Accept: 'application/json' };
      if (token) headers.Authorization = `Bearer ${token}`;
      const opts: https.RequestOptions = { headers, rejectUnauthorized: !o.insecure };
      // the kubeconfig's CA in addition to the system's (a route's certificate is often the ingress CA)
      if (o.ca) opts.ca = [...rootCertificates, o.ca.toString()];
      return request(joinUrl(base, pq), opts, signal, TIMEOUT_MS);
    },
  };
}

function fromTransport(t: Transport): PromClient {
  const call = async (pq: string, what: string, signal?: AbortSignal): Promise<PromSeries[]> => {
    let r: { status: number; body: string };
    try {
      r = await t.get(pq, signal);
    } catch (e) {
      throw new InfraError(`Prometheus at ${t.describe} not reachable: ${e instanceof Error ? e.message : String(e)}`);
    }
    let a: ApiAnswer | undefined;
    try {
      a = JSON.parse(r.body) as ApiAnswer;
    } catch {
      a = undefined;
    }
    if (!a || typeof a.status !== 'string') {
      // not the Prometheus API (a 503 from the service proxy, a login page, a 401 from the route)
      const hint = r.status === 401 || r.status === 403 ? ' (check the token / RBAC for services/proxy)' : '';
      throw new InfraError(`Prometheus at ${t.describe}: ${what}: HTTP ${r.status}${hint}: ${r.body.slice(0, 200).trim()}`);
    }
    if (a.status !== 'success')
      throw new PromQueryError(`${a.errorType ?? 'error'}: ${a.error ?? `HTTP ${r.status}`}`, r.status, a.errorType);
    return toSeries(a);
  };
  return {
    describe: t.describe,
    query(q, at, signal) {
      const p = new URLSearchParams({ query: q });
      if (at) p.set('time', String(at.getTime() / 1000));
      return call(`/api/v1/query?${p}`, 'query', signal);
    },
    queryRange(q, start, end, step, signal) {
      const p = new URLSearchParams({
        query: q,
        start: String(start.getTime() / 1000),
        end: String(end.getTime() / 1000),
        step: String(step),
      });
      return call(`/api/v1/query_range?${p}`, 'query_range', signal);
    },
    async buildInfo(signal) {
      let r: { status: number; body: string };
      try {
        r = await t.get('/api/v1/status/buildinfo', signal);
      } catch (e) {
        throw new InfraError(`Prometheus at ${t.describe} not reachable: ${e instanceof Error ? e.message : String(e)}`);
      }
      try {
        const a = JSON.parse(r.body) as { status?: string; data?: { version?: string } };
        if (a.status === 'success') return a.data?.version ?? 'unknown';
      } catch {
        /* below */
      }
      // Thanos querier does not serve buildinfo: a query answer proves the API is there
      await call(`/api/v1/query?${new URLSearchParams({ query: 'vector(1)' })}`, 'probe', signal);
      return 'unknown (thanos)';
    },
  };
}

export interface ClientOptions {
  /** --prometheus-url */
  url?: string;
  /** --prometheus-token (or NETHARNESS_PROMETHEUS_TOKEN) */
  token?: string;
  /** accept any TLS certificate for --prometheus-url / the route (NETHARNESS_PROMETHEUS_INSECURE=1) */
  insecure?: boolean;
}

/** The kubeconfig user's bearer token as applyToHTTPSOptions would send it (token, exec or auth provider). */
async function kubeconfigBearer(cluster: Cluster): Promise<string | undefined> {
  const o: https.RequestOptions = { headers: {} };
  await cluster.kc.applyToHTTPSOptions(o);
  const h =
    (o.headers as Record<string, string | undefined>).Authorization ?? (o.headers as Record<string, string | undefined>).authorization;
  return h?.startsWith('Bearer ') ? h.slice(7) : undefined;
}

/** The thanos-querier Route's host, or undefined when there is no such Route (or no Route API). */
async function thanosRouteHost(cluster: Cluster): Promise<string | undefined> {
  const opts: https.RequestOptions = { headers: { Accept: 'application/json' } };
  await cluster.kc.applyToHTTPSOptions(opts);
  const url = joinUrl(cluster.server, `/apis/route.openshift.io/v1/namespaces/${MONITORING_NAMESPACE}/routes/${THANOS_QUERIER}`);
  try {
    const r = await request(url, opts, undefined, 10_000);
    if (r.status !== 200) return undefined;
    const host = (JSON.parse(r.body) as { spec?: { host?: string } }).spec?.host;
    return host || undefined;
  } catch {
    return undefined;
  }
}

/**
 * The client for a run: --prometheus-url when given; otherwise the thanos-querier Route when the cluster
 * has one (live OpenShift); otherwise the service proxy (the embedded cluster).
 */
export async function connectPrometheus(cluster: Cluster | undefined, o: ClientOptions = {}): Promise<PromClient> {
  const token = o.token ?? process.env.NETHARNESS_PROMETHEUS_TOKEN;
  const insecure = o.insecure ?? process.env.NETHARNESS_PROMETHEUS_INSECURE === '1';
  if (o.url) return fromTransport(urlTransport(o.url, token, { insecure }));
  if (!cluster) throw new InfraError('no Prometheus: give --prometheus-url, or run against a cluster');
  const host = await thanosRouteHost(cluster);
  if (host) {
    const bearer = token ?? (await kubeconfigBearer(cluster));
    const ca = cluster.kc.getCurrentCluster()?.caData ? Buffer.from(cluster.kc.getCurrentCluster()?.caData ?? '', 'base64') : undefined;
    return fromTransport(
      urlTransport(`https://${host}`, bearer, {
        ca,
        insecure,
        describe: `route ${MONITORING_NAMESPACE}/${THANOS_QUERIER} (https://${host})`,
      }),
    );
  }
  return fromTransport(serviceProxyTransport(cluster));
}
