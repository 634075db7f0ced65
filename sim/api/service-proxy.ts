/**
 * The API server's service proxy: `/api/v1/namespaces/{ns}/services/[scheme:]{name}[:port]/proxy/{path}`,
 * as kube-apiserver serves it (kubernetes pkg/registry/core/service/proxy.go, ResourceLocation in
 * pkg/registry/core/service/storage/storage.go). The port is a Service port name or number; the
 * Service object must exist and have that port. Where kube-apiserver would dial an endpoint, the sim
 * looks the (namespace, service, port) up in this registry, where sim parts register their HTTP
 * backends: a URL on 127.0.0.1 (the request is forwarded) or an in-process handler.
 *
 * The caller's Authorization header is not forwarded (kube-apiserver drops it after authentication,
 * staging/src/k8s.io/apiserver/pkg/endpoints/filters/authentication.go).
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { ApiStatusError } from './errors.ts';

/** An in-process backend. `path` starts with '/', `search` is '' or starts with '?'. */
export type ServiceProxyHandler = (req: IncomingMessage, res: ServerResponse, path: string, search: string) => void | Promise<void>;

export type ServiceProxyBackend = string | ServiceProxyHandler;

export interface ServicePortSpec {
  name?: string;
  port: number;
  targetPort?: number | string;
}

export interface ProxyTarget {
  namespace: string;
  service: string;
  scheme: string;
  /** The port token of the URL: '' (none), a port name or a number. */
  port: string;
  /** The rest after `/proxy`, always starting with '/'. */
  path: string;
}

const PROXY_RE = /^\/api\/v1\/namespaces\/([^/]+)\/services\/([^/]+)\/proxy(\/.*)?$/;

/** Parses a service-proxy URL path; undefined when the path is not one. */
export function parseServiceProxyPath(pathname: string): ProxyTarget | undefined {
  const m = PROXY_RE.exec(pathname);
  if (!m) return undefined;
  const id = decodeURIComponent(m[2]);
  // utilnet.SplitSchemeNamePort: name | name:port | scheme:name:port
  const parts = id.split(':');
  let scheme = '';
  let service: string;
  let port = '';
  if (parts.length === 1) service = parts[0];
  else if (parts.length === 2) [service, port] = parts;
  else if (parts.length === 3) [scheme, service, port] = parts;
  else throw new ApiStatusError(400, 'BadRequest', `invalid service request "${id}"`);
  if (!service || (scheme && scheme !== 'http' && scheme !== 'https'))
    throw new ApiStatusError(400, 'BadRequest', `invalid service request "${id}"`);
  return { namespace: decodeURIComponent(m[1]), service, scheme: scheme || 'http', port, path: m[3] ?? '/' };
}

/** Picks the Service port the URL's port token names (by name, by number, or the only/unnamed port). */
export function resolveServicePort(ports: ServicePortSpec[], token: string, service: string): ServicePortSpec {
  const byToken = ports.find((p) => (token === '' ? !p.name : p.name === token || String(p.port) === token));
  const found = byToken ?? (token === '' && ports.length === 1 ? ports[0] : undefined);
  if (!found) throw new ApiStatusError(503, 'ServiceUnavailable', `no endpoints available for service "${service}"`);
  return found;
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
  'authorization',
  'host',
]);

export class ServiceProxyRegistry {
  private backends = new Map<string, ServiceProxyBackend>();

  private static key(ns: string, service: string, port: string | number): string {
    return `${ns}/${service}/${port}`;
  }

  /**
   * Registers a backend for a Service port (its name or number; register both forms you want to
   * answer, or one: lookups try the port's name, then its number). Returns the unregister function.
   */
  register(ns: string, service: string, port: string | number, backend: ServiceProxyBackend): () => void {
    const k = ServiceProxyRegistry.key(ns, service, port);
    this.backends.set(k, backend);
    return () => {
      if (this.backends.get(k) === backend) this.backends.delete(k);
    };
  }

  lookup(ns: string, service: string, port: ServicePortSpec): ServiceProxyBackend | undefined {
    return (
      (port.name ? this.backends.get(ServiceProxyRegistry.key(ns, service, port.name)) : undefined) ??
      this.backends.get(ServiceProxyRegistry.key(ns, service, port.port))
    );
  }

  /** Serves one proxied request to its backend (the Service and port are resolved by the caller). */
  async serve(req: IncomingMessage, res: ServerResponse, target: ProxyTarget, port: ServicePortSpec, search: string): Promise<void> {
    const backend = this.lookup(target.namespace, target.service, port);
    if (!backend) throw new ApiStatusError(503, 'ServiceUnavailable', `no endpoints available for service "${target.service}"`);
    if (typeof backend === 'function') return backend(req, res, target.path, search);
    await forward(req, res, backend, target.path + search);
  }
}

function forward(req: IncomingMessage, res: ServerResponse, base: string, pathAndQuery: string): Promise<void> {
  const url = new URL(base.replace(/\/+$/, '') + pathAndQuery);
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v;
  return new Promise<void>((resolve) => {
    const up = http.request(url, { method: req.method, headers }, (r) => {
      const out: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(r.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
      res.writeHead(r.statusCode ?? 502, out);
      r.pipe(res);
      r.on('end', () => resolve());
      r.on('error', () => resolve());
    });
    up.on('error', (e) => {
      // kube-apiserver answers 503 with the dial error when the endpoint refuses
      if (!res.headersSent) {
        const body = JSON.stringify({
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message: `error trying to reach service: ${e.message}`,
          reason: 'ServiceUnavailable',
          code: 503,
        });
        res.writeHead(503, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
        res.end(body);
      } else res.destroy();
      resolve();
    });
    req.pipe(up);
  });
}
