/**
 * One upstream MCP server of the proxy: spawned over stdio or reached over streamable HTTP, with an MCP
 * SDK client. Its death (process exit, closed connection) is remembered with the reason, so the runner
 * can tell an infrastructure fault from a tool that answered with an error.
 */
import type { ChildProcess } from 'node:child_process';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { InfraError } from '../../harness/errors.ts';
import { isStdio, type ServerConfig } from './config.ts';

export interface Upstream {
  name: string;
  client: Client;
  tools: Tool[];
  instructions?: string;
  /** pid of a stdio server */
  pid?: number;
  /** why the server is gone (undefined while it is up) */
  readonly dead: string | undefined;
  /** the last lines the server wrote to stderr (for error messages; never shown to the agent) */
  stderrTail(): string;
  close(): Promise<void>;
}

export interface ConnectOptions {
  /** connect + initialize + tools/list must finish within this (default 60 s: a cold `netharness mcp` under load) */
  timeoutMs?: number;
  log?: (line: string) => void;
}

const TAIL = 4096;

function describeExit(p: ChildProcess | undefined): string {
  if (!p) return 'the connection closed';
  if (p.signalCode) return `the process was killed by ${p.signalCode}`;
  if (p.exitCode !== null) return `the process exited with code ${p.exitCode}`;
  return 'the connection closed';
}

export async function connectUpstream(name: string, cfg: ServerConfig, o: ConnectOptions = {}): Promise<Upstream> {
  const timeoutMs = o.timeoutMs ?? 60_000;
  let tail = '';
  let dead: string | undefined;
  let closing = false;
  const client = new Client({ name: 'netharness-eval-proxy', version: '0.1.0' });
  let transport: StdioClientTransport | StreamableHTTPClientTransport;
  if (isStdio(cfg)) {
    const t = new StdioClientTransport({
      command: cfg.command,
      args: cfg.args,
      env: { ...getDefaultEnvironment(), ...cfg.env },
      cwd: cfg.cwd,
      stderr: 'pipe',
    });
    t.stderr?.on('data', (d: Buffer) => {
      tail = (tail + d.toString()).slice(-TAIL);
    });
    transport = t;
  } else {
    transport = new StreamableHTTPClientTransport(new URL(cfg.url), { requestInit: { headers: cfg.headers } });
  }
  client.onclose = () => {
    if (closing) return;
    const proc = (transport as unknown as { _process?: ChildProcess })._process;
    dead = `MCP server '${name}' is gone: ${describeExit(proc)}`;
    o.log?.(dead);
  };
  const where = isStdio(cfg) ? `${cfg.command} ${cfg.args.join(' ')}` : cfg.url;
  let timer: NodeJS.Timeout | undefined;
  try {
    const ready = (async () => {
      await client.connect(transport, { timeout: timeoutMs });
      const tools: Tool[] = [];
      let cursor: string | undefined;
      do {
        const page = await client.listTools(cursor ? { cursor } : undefined, { timeout: timeoutMs });
        tools.push(...page.tools);
        cursor = page.nextCursor;
      } while (cursor);
      return tools;
    })();
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
    });
    const tools = await Promise.race([ready, timeout]);
    const up: Upstream = {
      name,
      client,
      tools,
      instructions: client.getInstructions(),
      pid: transport instanceof StdioClientTransport ? (transport.pid ?? undefined) : undefined,
      get dead() {
        return dead;
      },
      stderrTail: () => tail,
      async close() {
        closing = true;
        await client.close().catch(() => undefined);
      },
    };
    o.log?.(`MCP server '${name}' up: ${tools.length} tools${up.pid ? ` (pid ${up.pid})` : ''}`);
    return up;
  } catch (err) {
    closing = true;
    await client.close().catch(() => undefined);
    const last = tail.trim().split('\n').slice(-5).join('\n  ');
    throw new InfraError(
      `MCP server '${name}' did not start (${where}): ${dead ?? (err as Error).message}${last ? `\n  ${last}` : ''}`,
      'check the server entry in --mcp-config (command, args, url) and that it speaks MCP',
    );
  } finally {
    if (timer) clearTimeout(timer);
  }
}
