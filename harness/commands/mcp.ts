/**
 * `netharness mcp`: the read-only troubleshooting MCP server, over stdio (default) or streamable
 * HTTP, against a kubeconfig (live cluster or the embedded sim) or an offline bundle.
 */
import type { Command } from 'commander';
import { UsageError } from '../errors.ts';
import { selectTools } from '../../mcp/tools/index.ts';
import { serveHttp, serveStdio } from '../../mcp/server.ts';
import { openTarget } from '../../mcp/open-target.ts';
import { DEFAULT_BUDGET_BYTES } from '../../mcp/output.ts';

interface McpOpts {
  kubeconfig?: string;
  context?: string;
  bundle?: string;
  transport: string;
  host: string;
  port?: string;
  toolsets?: string;
  disableTools?: string;
  budgetBytes: string;
  timeoutSeconds: string;
  listTools?: boolean;
}

const csv = (s?: string) =>
  s
    ? s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean)
    : undefined;

function intOpt(name: string, v: string, min: number, max: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${name}: expected an integer ${min}..${max}, got '${v}'`);
  return n;
}

export function registerMcp(program: Command): void {
  program
    .command('mcp')
    .description('serve the read-only troubleshooting MCP server (stdio or streamable HTTP) against a kubeconfig or an offline bundle')
    .option('--kubeconfig <path>', 'kubeconfig of the cluster (default $KUBECONFIG, then ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context')
    .option('--bundle <dir>', 'serve an offline bundle (from `netharness bundle`) instead of a cluster')
    .option('--transport <t>', 'stdio or http', 'stdio')
    .option('--host <host>', 'HTTP bind address', '127.0.0.1')
    .option('--port <n>', 'HTTP port (default 8080; 0 picks a free port)')
    .option('--toolsets <list>', 'comma-separated toolsets: k8s,ovn,ovs,kernel,analysis (default all)')
    .option('--disable-tools <list>', 'comma-separated tool names to hide')
    .option('--budget-bytes <n>', 'output budget per tool result', String(DEFAULT_BUDGET_BYTES))
    .option('--timeout-seconds <n>', 'per-command timeout', '60')
    .option('--list-tools', 'print the selected tools and exit')
    .action(async (o: McpOpts) => {
      const tools = selectTools({ toolsets: csv(o.toolsets), disableTools: csv(o.disableTools) });
      if (o.listTools) {
        process.stdout.write(`${tools.map((t) => `${t.name.padEnd(28)} [${t.toolset}] ${t.title}`).join('\n')}\n`);
        return;
      }
      if (o.transport !== 'stdio' && o.transport !== 'http') throw new UsageError(`--transport: stdio or http, got '${o.transport}'`);
      if (o.bundle && (o.kubeconfig || o.context)) throw new UsageError('pass either --bundle or --kubeconfig/--context, not both');
      const budgetBytes = intOpt('--budget-bytes', o.budgetBytes, 512, 10 * 1024 * 1024);
      const timeoutMs = intOpt('--timeout-seconds', o.timeoutSeconds, 1, 3600) * 1000;
      const { target, consistencyCheck } = await openTarget({ kubeconfig: o.kubeconfig, context: o.context, bundle: o.bundle });
      const log = (s: string) => process.stderr.write(`netharness mcp: ${s}\n`);
      const opts = { target, tools, budgetBytes, timeoutMs, consistencyCheck };
      let close: () => Promise<void>;
      if (o.transport === 'http') {
        const port = o.port === undefined ? 8080 : intOpt('--port', o.port, 0, 65535);
        const h = await serveHttp({ ...opts, host: o.host, port });
        log(`serving ${tools.length} tools for ${target.description} on ${h.url}`);
        close = h.close;
      } else {
        const s = await serveStdio(opts);
        log(`serving ${tools.length} tools for ${target.description} on stdio`);
        close = s.close;
      }
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        if (o.transport === 'stdio') process.stdin.once('end', stop).once('close', stop);
      });
      await close().catch(() => undefined);
      await target.close();
    });
}
