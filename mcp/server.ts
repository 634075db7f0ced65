/**
 * The MCP server: the selected tools on the official TypeScript SDK, over stdio or streamable HTTP.
 * Every tool is annotated read-only; nothing here can change the cluster.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { AnyTool, ConsistencyCheck, ToolContext } from './registry.ts';
import type { Target } from './target.ts';
import { DEFAULT_BUDGET_BYTES } from './output.ts';

export const SERVER_NAME = 'netharness-mcp';
export const SERVER_VERSION = '0.1.0';

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

const MAX_BODY = 4 * 1024 * 1024;

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

function jsonError(res: ServerResponse, status: number, message: string): void {
  res
    .writeHead(status, { 'content-type': 'application/json' })
    .end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }));
}

/** Streamable HTTP on `/mcp` with sessions (one McpServer per session). Binds 127.0.0.1 by default. */
export async function serveHttp(opts: ServerOptions & { host?: string; port?: number; path?: string }): Promise<HttpServerHandle> {
  const host = opts.host ?? '127.0.0.1';
  const path = opts.path ?? '/mcp';
  const sessions = new Map<string, { transport: StreamableHTTPServerTransport; server: McpServer }>();
  const local = host === '127.0.0.1' || host === 'localhost' || host === '::1';

  const handler = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
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
      await s.transport.handleRequest(req, res, body);
      return;
    }
    if (req.method !== 'POST' || !(isInitializeRequest(body) || (Array.isArray(body) && body.some((m) => isInitializeRequest(m))))) {
      return jsonError(res, 400, 'no mcp-session-id header: send an initialize request first');
    }
    const server = createMcpServer(opts);
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        sessions.set(id, { transport, server });
      },
      onsessionclosed: (id) => {
        sessions.delete(id);
      },
      ...(local
        ? {
            enableDnsRebindingProtection: true,
            allowedHosts: [`127.0.0.1:${boundPort}`, `localhost:${boundPort}`, `[::1]:${boundPort}`, '127.0.0.1', 'localhost'],
          }
        : {}),
    });
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
    };
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  };

  let boundPort = opts.port ?? 0;
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
      for (const s of sessions.values()) await s.server.close().catch(() => undefined);
      sessions.clear();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
