/** One way tests reach `netharness mcp` as an MCP client would: the SDK's stdio transport to the CLI. */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CLI, ROOT } from './cli.ts';

export interface McpClientOptions {
  /** the client's name in the initialize request */
  name?: string;
  env?: Record<string, string>;
  /** receives the server's stderr; without it stderr is dropped */
  onStderr?: (chunk: string) => void;
  /** the initialize timeout: the server starts through tsx, slow on a loaded machine */
  timeoutMs?: number;
}

/** Starts `netharness mcp <args>` over stdio and returns a connected SDK client (close() stops the server). */
export async function connectMcp(args: string[], opts: McpClientOptions = {}): Promise<Client> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [...CLI, 'mcp', ...args],
    cwd: ROOT,
    ...(opts.env ? { env: opts.env } : {}),
    stderr: opts.onStderr ? 'pipe' : 'ignore',
  });
  if (opts.onStderr) transport.stderr?.on('data', (d: Buffer) => opts.onStderr!(d.toString()));
  const client = new Client({ name: opts.name ?? 'netharness-test', version: '0' });
  await client.connect(transport, opts.timeoutMs ? { timeout: opts.timeoutMs } : undefined);
  return client;
}
