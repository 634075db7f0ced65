/**
 * The MCP server: the selected tools on the official TypeScript SDK, over stdio or streamable HTTP.
 * Every tool is annotated read-only; nothing here can change the cluster.
 */
import { randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { AnyTool, ConsistencyCheck, ToolContext } from './registry.ts';
import type { Target } from './target.ts';
import { DEFAULT_BUDGET_BYTES } from './output.ts';
import { VERSION } from '../harness/constants.ts';

export const SERVER_NAME = 'netharness-mcp';
export const SERVER_VERSION = VERSION;

export const INSTRUCTIONS = `Read-only troubleshooting tools for an OpenShift / OVN-Kubernetes cluster (nothing here can change it).
Layers: k8s_* (API objects, pod logs, events) -> ovn_* (OVN NB/SB databases, logical flows, ovn-trace) -> ovs_* (Open vSwitch bridges, OpenFlow, datapath, conntrack) -> kernel_* (routes, addresses, nftables, conntrack) -> analysis (egressip_status, egressip_consistency_check).
OVN-Kubernetes runs in interconnect mode: every node has its OWN NB and SB database; node-scoped tools take node=<node name> and find that node's ovnkube-node pod themselves.
EgressIP: the SNAT (external_ip=<egress IP>, logical_ip=<pod IP>) lives on router GR_<egress-node> in the EGRESS node's NB DB; the priority-100 reroute policy (match ip4.src == <pod IP>) lives on ovn_cluster_router in the POD's node NB DB.
Results are cut to an output budget; the notice at the end says how to narrow (grep, columns, conditions) or page (offset).`;

export interface ServerOptions {
  target: Target;
  tools: AnyTool[];
  budgetBytes?: number;
  timeoutMs?: number;
  consistencyCheck?: ConsistencyCheck;
  /** Called after every tool call (for logging / recording). */
  onCall?: (name: string, ms: number, bytes: number, isError: boolean) => void;
}

export function createMcpServer(opts: ServerOptions): McpServer {
  const server = new McpServer(
    { name: SERVER_NAME, version: SERVER_VERSION },
    { capabilities: { tools: {}, logging: {} }, instructions: INSTRUCTIONS },
  );
  const ctx: ToolContext = {
    target: opts.target,
    budgetBytes: opts.budgetBytes ?? DEFAULT_BUDGET_BYTES,
    timeoutMs: opts.timeoutMs ?? 60_000,
    consistencyCheck: opts.consistencyCheck,
  };
  for (const tool of opts.tools) {
    server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: tool.description,
        inputSchema: tool.schema,
        annotations: { title: tool.title, readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
      },
      async (args: unknown) => {
        const t0 = performance.now();
        const r = await tool.call(ctx, args);
        opts.onCall?.(tool.name, performance.now() - t0, Buffer.byteLength(r.text), Boolean(r.isError));
        return { content: [{ type: 'text' as const, text: r.text }], ...(r.isError ? { isError: true } : {}) };
      },
    );
  }
  return server;
}

export async function serveStdio(opts: ServerOptions): Promise<{ close: () => Promise<void> }> {
  const server = createMcpServer(opts);
  const transport = new StdioServerTransport();
  await server.connect(transport);
  return { close: () => server.close() };
}

export interface HttpServerHandle {
  url: string;
  port: number;
  close: () => Promise<void>;
}

export interface HttpSecurity {
  /**
   * Every request must carry `Authorization: Bearer <authToken>` (401 otherwise). `null` turns auth off,
   * which only a loopback bind address accepts (anyone who can reach the port could call the tools).
   */
  authToken: string | null;
  /** Host names (no port) accepted in the Host and Origin headers besides loopback and the bind address */
  allowedHosts?: string[];
  /** Origins (scheme://host[:port]) accepted besides the server's own */
  allowedOrigins?: string[];
  /** at most this many sessions at once (default 32): a new initialize past it is a 503 */
  maxSessions?: number;
  /** a session unused this long is closed (default 15 min) */
  sessionIdleMs?: number;
}

const MAX_BODY = 4 * 1024 * 1024;
const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '::1'];
const WILDCARD = ['0.0.0.0', '::', ''];

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_NAMES.includes(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw new Error('request body too large');
    chunks.push(c as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? JSON.parse(text) : undefined;
}

function jsonError(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  res
    .writeHead(status, { 'content-type': 'application/json', ...headers })
    .end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }));
}

/** `host[:port]` of a Host header or URL authority -> lower-case host name without brackets, and the port. */
function splitHostPort(v: string): { name: string; port?: number } {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(v) ?? /^([^:]+)(?::(\d+))?$/.exec(v);
  if (!m) return { name: v.toLowerCase() };
  return { name: m[1].toLowerCase(), port: m[2] ? Number(m[2]) : undefined };
}

function tokenMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!m) return false;
  const a = Buffer.from(m[1]);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Streamable HTTP on `/mcp` with sessions (one McpServer per session). Binds 127.0.0.1 by default.
 * Every request passes, in order: the Host check (403; DNS rebinding, on every bind address), the Origin check
 * (403; a browser page of another site), the bearer token (401). Sessions are bounded and expire when idle.
 */
export async function serveHttp(
  opts: ServerOptions & HttpSecurity & { host?: string; port?: number; path?: string; log?: (line: string) => void },
): Promise<HttpServerHandle> {
  const host = opts.host ?? '127.0.0.1';
  const path = opts.path ?? '/mcp';
  if (opts.authToken === null && !isLoopbackHost(host))
    throw new Error(
      `no auth on ${host}: without a token the server only binds a loopback address (anyone reaching the port could call it)`,
    );
  if (opts.authToken !== null && opts.authToken.length < 16) throw new Error('the auth token must be at least 16 characters');
  const maxSessions = opts.maxSessions ?? 32;
  const idleMs = opts.sessionIdleMs ?? 15 * 60_000;
  const sessions = new Map<string, { transport: StreamableHTTPServerTransport; server: McpServer; lastSeen: number }>();
  const hostNames = new Set([...LOOPBACK_NAMES, ...(opts.allowedHosts ?? []).map((h) => h.toLowerCase())]);
  if (!WILDCARD.includes(host)) hostNames.add(host.toLowerCase());
  const extraOrigins = new Set((opts.allowedOrigins ?? []).map((o) => o.replace(/\/$/, '').toLowerCase()));
  let boundPort = opts.port ?? 0;

  const hostAllowed = (v: string | undefined): boolean => {
    if (!v) return false;
    const { name, port } = splitHostPort(v.trim());
    return hostNames.has(name) && (port === undefined || port === boundPort);
  };
  const originAllowed = (v: string | undefined): boolean => {
    if (v === undefined) return true; // not a browser: nothing to check
    const o = v.trim().toLowerCase();
    if (extraOrigins.has(o)) return true;
    let u: URL;
    try {
      u = new URL(o);
    } catch {
      return false; // 'null' (sandboxed pages, file:) and garbage
    }
    return u.protocol === 'http:' && hostAllowed(u.host);
  };

  const handler = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!hostAllowed(req.headers.host))
      return jsonError(res, 403, `Host '${req.headers.host ?? ''}' is not allowed (allow a real host name with --allow-host)`);
    const origin = Array.isArray(req.headers.origin) ? req.headers.origin[0] : req.headers.origin;
    if (!originAllowed(origin)) return jsonError(res, 403, `Origin '${origin}' is not allowed (allow one with --allow-origin)`);
    if (opts.authToken !== null && !tokenMatches(req.headers.authorization, opts.authToken))
      return jsonError(res, 401, 'unauthorized: send Authorization: Bearer <token> (printed at start, or from --auth-token-file)', {
        'www-authenticate': 'Bearer realm="netharness-mcp"',
      });
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== path) return jsonError(res, 404, `not found; the MCP endpoint is ${path}`);
    const sid = req.headers['mcp-session-id'];
    const sessionId = Array.isArray(sid) ? sid[0] : sid;
    let body: unknown;
    if (req.method === 'POST') {
      try {
        body = await readBody(req);
      } catch (err) {
        return jsonError(res, 400, `bad request body: ${(err as Error).message}`);
      }
    }
    if (sessionId) {
      const s = sessions.get(sessionId);
      if (!s) return jsonError(res, 404, 'unknown or expired session; re-initialize');
      s.lastSeen = Date.now();
      await s.transport.handleRequest(req, res, body);
      return;
    }
    if (req.method !== 'POST' || !(isInitializeRequest(body) || (Array.isArray(body) && body.some((m) => isInitializeRequest(m))))) {
      return jsonError(res, 400, 'no mcp-session-id header: send an initialize request first');
    }
    expireIdle();
    if (sessions.size >= maxSessions)
      return jsonError(
        res,
        503,
        `too many sessions (${maxSessions}); close one (DELETE with its mcp-session-id) or wait for idle ones to expire`,
        {
          'retry-after': '30',
        },
      );
    const server = createMcpServer(opts);
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        sessions.set(id, { transport, server, lastSeen: Date.now() });
      },
      onsessionclosed: (id) => {
        sessions.delete(id);
      },
    });
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
    };
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  };

  const expireIdle = (): void => {
    const now = Date.now();
    for (const [id, s] of sessions) {
      if (now - s.lastSeen < idleMs) continue;
      sessions.delete(id);
      opts.log?.(`session ${id} closed after ${Math.round(idleMs / 1000)} s idle`);
      void s.server.close().catch(() => undefined);
    }
  };
  const sweeper = setInterval(expireIdle, Math.max(1000, Math.min(60_000, idleMs / 4)));
  sweeper.unref();

  const http: Server = createServer((req, res) => {
    handler(req, res).catch((err: unknown) => {
      if (!res.headersSent) jsonError(res, 500, (err as Error).message ?? String(err));
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(opts.port ?? 0, host, () => resolve());
  });
  boundPort = (http.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${boundPort}${path}`,
    port: boundPort,
    async close() {
      clearInterval(sweeper);
      for (const s of sessions.values()) await s.server.close().catch(() => undefined);
      sessions.clear();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
