/**
 * The recording MCP proxy between an agent and the servers of `--mcp-config`. Facing the agent it is one
 * MCP server (in-process transport, one per `connect()`) offering every upstream tool plus `submit_rca`;
 * behind it, one MCP client per upstream server. Every call is recorded (server, tool, arguments, result
 * text and bytes, latency, error) with the trial. Upstreams live for the whole run; a server that died is
 * restarted before the next trial, and a death during a trial makes that trial an infrastructure error.
 *
 * Tool names stay as the servers spell them; when two servers offer the same name, both become
 * `<server>__<tool>`.
 */
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  CallToolRequestSchema,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
  type CallToolResult,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import type { RcaAnswer } from '../agents/types.ts';
import type { McpConfig, ServerConfig } from './config.ts';
import { parseSubmission, SUBMIT_RCA, submitRcaTool } from './submit-rca.ts';
import { connectUpstream, type Upstream } from './upstream.ts';

/** `server` of the calls the proxy answers itself (submit_rca). */
export const PROXY_SERVER = 'proxy';

export interface ToolCallRecord {
  seq: number;
  /** the upstream server name, or PROXY_SERVER for submit_rca */
  server: string;
  /** the tool's name on its server */
  tool: string;
  /** the name the agent called (differs when names collided) */
  calledAs: string;
  arguments: unknown;
  /** the result's text (capped at RESULT_CAP bytes; resultBytes is the full size) */
  result: string;
  resultBytes: number;
  latencyMs: number;
  /** the tool answered with isError */
  isError: boolean;
  /** why the call did not reach a tool or did not return: unknown tool, budget, timeout, server gone */
  error?: string;
  /** the tool's annotations as its server declared them */
  readOnlyHint?: boolean;
  destructiveHint?: boolean;
  at: string;
}

export const RESULT_CAP = 256 * 1024;

interface Route {
  exposed: string;
  upstream: string;
  tool: Tool;
}

export interface ProxyOptions {
  connectTimeoutMs?: number;
  /** per tools/call (default 120 s) */
  callTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface TrialSessionOptions {
  /** tool calls to upstream servers (submit_rca does not count); beyond it the agent gets an error result */
  maxToolCalls: number;
  signal?: AbortSignal;
}

export interface TrialSession {
  /** a fresh transport to the proxy for one MCP client (TrialContext.connect) */
  connect(): Promise<Transport>;
  readonly calls: readonly ToolCallRecord[];
  /** the last valid submit_rca arguments */
  readonly submitted: RcaAnswer | undefined;
  /** set when a server died (or was unreachable) during the trial: the trial is an infrastructure error */
  readonly infraError: string | undefined;
  /** tool calls made to upstream servers */
  readonly toolCalls: number;
  /** stop serving this trial: later calls get an error, agent-facing servers close */
  end(): Promise<void>;
}

function textOf(r: CallToolResult): string {
  return (r.content ?? []).map((c) => (c.type === 'text' ? c.text : JSON.stringify(c))).join('\n');
}

const errorResult = (text: string): CallToolResult => ({ content: [{ type: 'text', text }], isError: true });

export class McpProxy {
  private upstreams = new Map<string, Upstream>();
  private routes = new Map<string, Route>();

  private constructor(
    private readonly config: McpConfig,
    private readonly o: ProxyOptions,
  ) {}

  /** Connect every server of the (resolved) config. Throws InfraError naming the server that did not start. */
  static async start(config: McpConfig, o: ProxyOptions = {}): Promise<McpProxy> {
    const p = new McpProxy(config, o);
    try {
      await Promise.all(Object.entries(config.mcpServers).map(([name, cfg]) => p.connectOne(name, cfg)));
    } catch (err) {
      await p.close();
      throw err;
    }
    p.buildRoutes();
    return p;
  }

  private async connectOne(name: string, cfg: ServerConfig): Promise<void> {
    const up = await connectUpstream(name, cfg, { timeoutMs: this.o.connectTimeoutMs, log: this.o.log });
    this.upstreams.set(name, up);
  }

  private buildRoutes(): void {
    const count = new Map<string, number>();
    for (const up of this.upstreams.values()) for (const t of up.tools) count.set(t.name, (count.get(t.name) ?? 0) + 1);
    this.routes.clear();
    for (const up of this.upstreams.values()) {
      for (const t of up.tools) {
        const exposed = (count.get(t.name) ?? 0) > 1 || t.name === SUBMIT_RCA ? `${up.name}__${t.name}` : t.name;
        this.routes.set(exposed, { exposed, upstream: up.name, tool: t });
      }
    }
  }

  /** pid per stdio server (for logs and tests that kill one) */
  pids(): Record<string, number | undefined> {
    return Object.fromEntries([...this.upstreams].map(([n, u]) => [n, u.pid]));
  }

  /** the tools an agent sees (upstream tools under their exposed names, then submit_rca) */
  tools(): Tool[] {
    return [...[...this.routes.values()].map((r) => ({ ...r.tool, name: r.exposed })), submitRcaTool];
  }

  /** Restart every server that died; returns the names restarted. */
  async ensureUp(): Promise<string[]> {
    const restarted: string[] = [];
    for (const [name, up] of [...this.upstreams]) {
      if (!up.dead) continue;
      this.o.log?.(`restarting MCP server '${name}' (${up.dead})`);
      await up.close();
      this.upstreams.delete(name);
      await this.connectOne(name, this.config.mcpServers[name]);
      restarted.push(name);
    }
    if (restarted.length) this.buildRoutes();
    return restarted;
  }

  private instructions(): string | undefined {
    const parts = [...this.upstreams.values()].flatMap((u) => (u.instructions ? [`[${u.name}]\n${u.instructions}`] : []));
    parts.push(`When you are done, call ${SUBMIT_RCA} with your root-cause analysis.`);
    return parts.join('\n\n');
  }

  beginTrial(so: TrialSessionOptions): TrialSession {
    const calls: ToolCallRecord[] = [];
    const servers: Server[] = [];
    let submitted: RcaAnswer | undefined;
    let infraError: string | undefined;
    let toolCalls = 0;
    let ended = false;
    const callTimeoutMs = this.o.callTimeoutMs ?? 120_000;

    const handle = async (name: string, args: Record<string, unknown> | undefined): Promise<CallToolResult> => {
      const seq = calls.length + 1;
      const at = new Date().toISOString();
      const t0 = performance.now();
      const rec = (r: Partial<ToolCallRecord> & Pick<ToolCallRecord, 'server' | 'tool'>, result: CallToolResult): CallToolResult => {
        const text = textOf(result);
        calls.push({
          seq,
          calledAs: name,
          arguments: args ?? {},
          result: text.length > RESULT_CAP ? text.slice(0, RESULT_CAP) : text,
          resultBytes: Buffer.byteLength(text),
          latencyMs: performance.now() - t0,
          isError: Boolean(result.isError),
          at,
          ...r,
        });
        return result;
      };
      if (ended) return rec({ server: PROXY_SERVER, tool: name, error: 'trial over' }, errorResult('the trial is over'));
      if (name === SUBMIT_RCA) {
        const s = parseSubmission(args);
        if (!s.ok) return rec({ server: PROXY_SERVER, tool: SUBMIT_RCA, readOnlyHint: true }, errorResult(s.error));
        submitted = s.answer;
        return rec(
          { server: PROXY_SERVER, tool: SUBMIT_RCA, readOnlyHint: true },
          { content: [{ type: 'text', text: 'answer recorded' }] },
        );
      }
      const route = this.routes.get(name);
      if (!route) {
        return rec(
          { server: PROXY_SERVER, tool: name, error: 'unknown tool' },
          errorResult(`unknown tool '${name}' (tools/list names the tools offered)`),
        );
      }
      const hints = { readOnlyHint: route.tool.annotations?.readOnlyHint, destructiveHint: route.tool.annotations?.destructiveHint };
      const base = { server: route.upstream, tool: route.tool.name, ...hints };
      if (toolCalls >= so.maxToolCalls) {
        return rec(
          { ...base, error: 'tool-call budget exhausted' },
          errorResult(`tool-call budget of ${so.maxToolCalls} calls exhausted; call ${SUBMIT_RCA} with your answer`),
        );
      }
      toolCalls++;
      const up = this.upstreams.get(route.upstream);
      if (!up || up.dead) {
        await up?.settled();
        infraError ??= up?.dead ?? `MCP server '${route.upstream}' is not connected`;
        return rec({ ...base, error: infraError }, errorResult(`server '${route.upstream}' is unavailable`));
      }
      try {
        const r = (await up.client.callTool({ name: route.tool.name, arguments: args ?? {} }, undefined, {
          timeout: callTimeoutMs,
          signal: so.signal,
        })) as CallToolResult;
        return rec(base, r);
      } catch (err) {
        const closed = err instanceof McpError && err.code === ErrorCode.ConnectionClosed;
        if (up.dead || closed) {
          // let the close handler name the exit (signal / code)
          await new Promise((r) => setTimeout(r, 20));
          await up.settled();
          infraError ??= `${up.dead ?? `MCP server '${route.upstream}' closed the connection`} (during ${route.tool.name})`;
          return rec({ ...base, error: infraError }, errorResult(`server '${route.upstream}' is unavailable`));
        }
        const msg = err instanceof Error ? err.message : String(err);
        return rec({ ...base, error: msg }, errorResult(msg));
      }
    };

    return {
      connect: async () => {
        if (ended) throw new Error('the trial is over');
        const server = new Server(
          { name: 'netharness-eval', version: '0.1.0' },
          { capabilities: { tools: {} }, instructions: this.instructions() },
        );
        server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: this.tools() }));
        server.setRequestHandler(CallToolRequestSchema, (req) => handle(req.params.name, req.params.arguments));
        const [agentSide, serverSide] = InMemoryTransport.createLinkedPair();
        await server.connect(serverSide);
        servers.push(server);
        return agentSide;
      },
      get calls() {
        return calls;
      },
      get submitted() {
        return submitted;
      },
      get infraError() {
        return infraError;
      },
      get toolCalls() {
        return toolCalls;
      },
      end: async () => {
        ended = true;
        await Promise.all(servers.map((s) => s.close().catch(() => undefined)));
      },
    };
  }

  async close(): Promise<void> {
    await Promise.all([...this.upstreams.values()].map((u) => u.close()));
    this.upstreams.clear();
  }
}
