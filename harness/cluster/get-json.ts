/**
 * The one plain-JSON GET against the API server, shared by the EgressIP check's reads
 * (harness/checks/egressip/collect.ts) and the MCP server's API client (mcp/api-client.ts). No typed
 * deserialization: at thousands of pods client-node's ObjectSerializer costs more than the request.
 * Credentials come from the kubeconfig exactly as client-node applies them (KubeConfig.applyToHTTPSOptions).
 */
import http from 'node:http';
import https from 'node:https';
import type { Cluster } from './connect.ts';

/** A non-2xx answer, with the apiserver's Status body (describeApiError reads `code` and `body`). */
export class ApiHttpError extends Error {
  override name = 'ApiHttpError';
  constructor(
    message: string,
    readonly code: number,
    readonly body: string,
  ) {
    super(message);
  }
}

export interface GetJsonOptions {
  /** Accept header (default application/json; e.g. metadata-only lists ask for PartialObjectMetadataList) */
  accept?: string;
  timeoutMs?: number;
  /** a keep-alive agent to pool connections across calls (default: one per Cluster, see agentOf) */
  agent?: http.Agent;
}

/** The server URL as a base that keeps any path prefix of the kubeconfig's server (a proxy's /k8s/clusters/x). */
export function apiBase(cluster: Cluster): URL {
  return new URL(cluster.server.endsWith('/') ? cluster.server : `${cluster.server}/`);
}

/**
 * One keep-alive agent per Cluster when the caller brings none: the check's reads (and the next check's) reuse
 * pooled TLS connections instead of a handshake and a new secure context per GET. Idle pooled sockets are
 * unref'd by Node's agent, so they never keep a process alive.
 */
const agents = new WeakMap<Cluster, http.Agent>();
function agentOf(cluster: Cluster): http.Agent {
  let a = agents.get(cluster);
  if (!a) {
    const o = { keepAlive: true, maxSockets: 16, maxFreeSockets: 8 };
    a = apiBase(cluster).protocol === 'http:' ? new http.Agent(o) : new https.Agent(o);
    agents.set(cluster, a);
  }
  return a;
}

/** GET `path` (relative to the API server) as JSON; a non-2xx answer rejects with an ApiHttpError. */
export async function getJson<T>(cluster: Cluster, path: string, opts: GetJsonOptions = {}): Promise<T> {
  const body = await getBody(cluster, path, opts);
  try {
    return JSON.parse(body.toString('utf8')) as T;
  } catch (err) {
    throw new Error(`GET ${new URL(path.replace(/^\//, ''), apiBase(cluster)).pathname}: bad JSON: ${(err as Error).message}`);
  }
}

/**
 * GET `path` and hand back the raw 2xx body (for a caller that scans the bytes itself, e.g. the EgressIP
 * check's pod list: no string or object of the whole body); a non-2xx answer rejects with an ApiHttpError.
 */
export async function getBody(cluster: Cluster, path: string, opts: GetJsonOptions = {}): Promise<Buffer> {
  return (await getResponse(cluster, path, opts)).body;
}

/** getBody with the answer's Content-Type (media type only, lower case): for a caller that offers several in `accept`. */
export async function getResponse(
  cluster: Cluster,
  path: string,
  opts: GetJsonOptions = {},
): Promise<{ body: Buffer; contentType: string }> {
  const url = new URL(path.replace(/^\//, ''), apiBase(cluster));
  const req: https.RequestOptions = { method: 'GET', headers: { Accept: opts.accept ?? 'application/json' } };
  await cluster.kc.applyToHTTPSOptions(req);
  const mod = url.protocol === 'http:' ? http : https;
  const timeoutMs = opts.timeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    // applyToHTTPSOptions hands a new agent per call (a new TLS connection and secure context per GET): pool
    // instead, unless the kubeconfig routes through a proxy (then its proxy agent must carry the request)
    const proxied = !!cluster.kc.getCurrentCluster()?.proxyUrl;
    const agent = proxied ? req.agent : (opts.agent ?? agentOf(cluster));
    const r = mod.request(url, { ...req, agent, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
        const code = res.statusCode ?? 0;
        if (code < 200 || code >= 300) {
          const text = body.toString('utf8');
          reject(new ApiHttpError(`GET ${url.pathname}: HTTP ${code}: ${text.slice(0, 300)}`, code, text));
          return;
        }
        resolve({ body, contentType: (res.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase() });
      });
      res.on('error', reject);
    });
    r.on('timeout', () => r.destroy(new Error(`GET ${url.pathname} timed out after ${timeoutMs} ms`)));
    r.on('error', reject);
    r.end();
  });
}
