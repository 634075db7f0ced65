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
  /** resolves once the reason of a death is known (the process's exit status), at most 2 s after it */
  settled(): Promise<void>;
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
  // stdout closes before the process's exit is known: say 'closed' at once, then name the exit when it comes
  let exitKnown: Promise<void> = Promise.resolve();
  // the transport forgets its process when it closes: keep it from the start
  let proc: ChildProcess | undefined;
  client.onclose = () => {
    if (closing) return;
    const p = proc ?? (transport as unknown as { _process?: ChildProcess })._process;
    dead = `MCP server '${name}' is gone: ${describeExit(p)}`;
    if (p && p.exitCode === null && p.signalCode === null)
      exitKnown = new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 2000);
        p.once('exit', () => {
          clearTimeout(t);
          dead = `MCP server '${name}' is gone: ${describeExit(p)}`;
          o.log?.(dead);
          resolve();
        });
      });
    else o.log?.(dead);
  };
  const where = isStdio(cfg) ? `${cfg.command} ${cfg.args.join(' ')}` : cfg.url;
  let timer: NodeJS.Timeout | undefined;
  try {
    const ready = (async () => {
      await client.connect(transport, { timeout: timeoutMs });
      proc = (transport as unknown as { _process?: ChildProcess })._process;
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
      settled: () => exitKnown,
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
