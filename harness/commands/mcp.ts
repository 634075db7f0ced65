/**
 * `netharness mcp`: the read-only troubleshooting MCP server, over stdio (default) or streamable
 * HTTP, against a kubeconfig (live cluster or the embedded sim) or an offline bundle.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import type * as k8s from '@kubernetes/client-node';
import { InfraError, UsageError } from '../errors.ts';
import { resolve } from 'node:path';
import { defaultDbPath } from '../constants.ts';
import { DEFAULT_BUDGET_BYTES } from '../../mcp/output.ts';

// The server, its tools and client-node are loaded by the action, not by `--help`.
const server = () => import('../../mcp/server.ts');

interface McpOpts {
  kubeconfig?: string;
  context?: string;
  bundle?: string;
  transport: string;
  host: string;
  port?: string;
  toolsets?: string;
  db?: string;
  allowRuns?: boolean;
  disableTools?: string;
  budgetBytes: string;
  timeoutSeconds: string;
  listTools?: boolean;
  authTokenFile?: string;
  auth: boolean;
  allowHost: string[];
  allowOrigin: string[];
  maxSessions: string;
  sessionIdleSeconds: string;
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

const collect = (v: string, prev: string[]): string[] => [...prev, ...(csv(v) ?? [])];

/** The token every HTTP request must carry: from --auth-token-file, or a fresh random one (printed once). */
async function authToken(o: McpOpts): Promise<{ token: string | null; generated: boolean }> {
  if (!o.auth) {
    const { isLoopbackHost } = await server();
    if (o.authTokenFile) throw new UsageError('--no-auth and --auth-token-file are exclusive');
    if (!isLoopbackHost(o.host))
      throw new UsageError(
        `--no-auth: only on a loopback --host (127.0.0.1, ::1, localhost), got '${o.host}'`,
        'anyone reaching the port could call the tools',
      );
    return { token: null, generated: false };
  }
  if (o.authTokenFile) {
    if (!existsSync(o.authTokenFile) || !statSync(o.authTokenFile).isFile())
      throw new UsageError(`--auth-token-file: no file at ${o.authTokenFile}`);
    const token = readFileSync(o.authTokenFile, 'utf8').trim();
    if (token.length < 16 || /\s/.test(token))
      throw new UsageError(`--auth-token-file: expected one token of at least 16 characters without spaces in ${o.authTokenFile}`);
    return { token, generated: false };
  }
  return { token: randomBytes(32).toString('base64url'), generated: true };
}

/** A context named like a read-only one (the sim's kubeconfig has netharness-sim-readonly). */
export function readonlyContextOf(kc: k8s.KubeConfig): string | undefined {
  const names = kc.getContexts().map((c) => c.name);
  const current = kc.getCurrentContext();
  const ro = (n: string) => /[-_.]read-?only$/i.test(n);
  if (ro(current)) return current;
  return names.find((n) => n === `${current}-readonly`) ?? names.find(ro);
}

async function loadKubeconfig(path?: string): Promise<k8s.KubeConfig | undefined> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  try {
    const p = path ?? process.env.KUBECONFIG?.split(':')[0];
    if (p) kc.loadFromFile(p);
    else kc.loadFromDefault();
    return kc.getContexts().length ? kc : undefined;
  } catch {
    return undefined; // openTarget reports a bad kubeconfig with its own message
  }
}

const WRITE_VERBS = ['create', 'update', 'patch', 'delete', 'deletecollection', '*'];
// what a read-only troubleshooting identity needs, and no change to the cluster's objects
const HARMLESS_WRITES = new Set(['pods/exec', 'selfsubjectaccessreviews', 'selfsubjectrulesreviews']);

/** What the identity may change (a SelfSubjectRulesReview in `namespace`): '<verbs> <resources>' lines. */
export async function writeRules(kc: k8s.KubeConfig, namespace: string): Promise<string[]> {
  const { AuthorizationV1Api } = await import('@kubernetes/client-node');
  const api = kc.makeApiClient(AuthorizationV1Api);
  const r = await api.createSelfSubjectRulesReview({
    body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', spec: { namespace } },
  });
  const out: string[] = [];
  for (const rule of r.status?.resourceRules ?? []) {
    const verbs = rule.verbs.filter((v) => WRITE_VERBS.includes(v));
    if (!verbs.length) continue;
    const res = (rule.resources ?? []).filter((x) => !HARMLESS_WRITES.has(x));
    if (!res.length) continue;
    out.push(
      `${verbs.join(',')} ${res.join(',')}${rule.apiGroups?.length ? ` (${rule.apiGroups.map((g) => g || 'core').join(',')})` : ''}`,
    );
  }
  return out;
}

export function registerMcp(program: Command): void {
  program
    .command('mcp')
    .description('serve the read-only troubleshooting MCP server (stdio or streamable HTTP) against a kubeconfig or an offline bundle')
    .option('--kubeconfig <path>', 'kubeconfig of the cluster (default $KUBECONFIG, then ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context')
    .option(
      '--bundle <dir>',
      'serve an offline bundle (from `netharness bundle`) or an OpenShift must-gather directory instead of a cluster',
    )
    .option('--transport <t>', 'stdio or http', 'stdio')
    .option('--host <host>', 'HTTP bind address', '127.0.0.1')
    .option('--port <n>', 'HTTP port (default 8080; 0 picks a free port)')
    .option('--toolsets <list>', 'comma-separated toolsets: k8s,ovn,ovs,kernel,analysis,ptp,harness (default all but the opt-in harness)')
    .option('--disable-tools <list>', 'comma-separated tool names to hide')
    .option('--db <path>', 'the harness toolset: results database (default results/netharness.db)')
    .option('--allow-runs', 'the harness toolset: also the tools that start scenario runs on the embedded cluster and poll them')
    .option('--budget-bytes <n>', 'output budget per tool result', String(DEFAULT_BUDGET_BYTES))
    .option('--timeout-seconds <n>', 'per-command timeout', '60')
    .option('--list-tools', 'print the selected tools and exit')
    .option('--auth-token-file <path>', 'HTTP: the bearer token clients must send (default: a random one, printed once at start)')
    .option('--no-auth', 'HTTP: no bearer token (only on a loopback --host; prints a warning)')
    .option(
      '--allow-host <name>',
      'HTTP: accept this Host / Origin host name too (repeatable; loopback and the bind address always are)',
      collect,
      [],
    )
    .option('--allow-origin <origin>', 'HTTP: accept this browser Origin (scheme://host[:port]; repeatable)', collect, [])
    .option('--max-sessions <n>', 'HTTP: sessions at once', '32')
    .option('--session-idle-seconds <n>', 'HTTP: close a session unused this long', '900')
    .action(async (o: McpOpts) => {
      const toolsets = csv(o.toolsets);
      if ((o.allowRuns || o.db) && !toolsets?.includes('harness'))
        throw new UsageError(`${o.allowRuns ? '--allow-runs' : '--db'} needs --toolsets harness`);
      const harness = { dbPath: resolve(o.db ?? defaultDbPath), allowRuns: Boolean(o.allowRuns) };
      const { selectTools } = await import('../../mcp/tools/index.ts');
      const tools = selectTools({ toolsets, disableTools: csv(o.disableTools), harness });
      if (o.listTools) {
        process.stdout.write(`${tools.map((t) => `${t.name.padEnd(28)} [${t.toolset}] ${t.title}`).join('\n')}\n`);
        return;
      }
      if (o.transport !== 'stdio' && o.transport !== 'http') throw new UsageError(`--transport: stdio or http, got '${o.transport}'`);
      if (o.bundle && (o.kubeconfig || o.context)) throw new UsageError('pass either --bundle or --kubeconfig/--context, not both');
      const budgetBytes = intOpt('--budget-bytes', o.budgetBytes, 512, 10 * 1024 * 1024);
      const timeoutMs = intOpt('--timeout-seconds', o.timeoutSeconds, 1, 3600) * 1000;
      const log = (s: string) => process.stderr.write(`netharness mcp: ${s}\n`);
      // HTTP flags are checked before anything connects
      const http =
        o.transport === 'http'
          ? {
              port: o.port === undefined ? 8080 : intOpt('--port', o.port, 0, 65535),
              maxSessions: intOpt('--max-sessions', o.maxSessions, 1, 10_000),
              sessionIdleMs: intOpt('--session-idle-seconds', o.sessionIdleSeconds, 1, 7 * 24 * 3600) * 1000,
              ...(await authToken(o)),
            }
          : undefined;
      if (o.transport !== 'http' && (o.authTokenFile || !o.auth || o.allowHost.length || o.allowOrigin.length))
        throw new UsageError('--auth-token-file, --no-auth, --allow-host and --allow-origin are for --transport http');
      for (const origin of o.allowOrigin)
        if (!/^https?:\/\/[^/\s]+$/i.test(origin)) throw new UsageError(`--allow-origin: expected scheme://host[:port], got '${origin}'`);
      // a kubeconfig with a read-only context (the sim's has one): use it unless --context says otherwise
      let context = o.context;
      // only the harness toolset and no cluster named: its tools need the results database, not a cluster
      const harnessOnly = tools.every((t) => t.toolset === 'harness') && !o.bundle && !o.kubeconfig && !o.context;
      const kc = o.bundle || harnessOnly ? undefined : await loadKubeconfig(o.kubeconfig);
      if (kc && !context) {
        const ro = readonlyContextOf(kc);
        if (ro && ro !== kc.getCurrentContext()) {
          context = ro;
          log(`using the kubeconfig's read-only context '${ro}' (pass --context to choose another)`);
        }
      }
      const [{ serveHttp, serveStdio }, { openTarget }, { noClusterTarget }] = await Promise.all([
        server(),
        import('../../mcp/open-target.ts'),
        import('../../mcp/tools/harness.ts'),
      ]);
      const { target, consistencyCheck } = harnessOnly
        ? { target: noClusterTarget(), consistencyCheck: undefined }
        : await openTarget({ kubeconfig: o.kubeconfig, context, bundle: o.bundle });
      if (kc) {
        if (context && kc.getContexts().some((c) => c.name === context)) kc.setCurrentContext(context);
        try {
          const writes = await writeRules(kc, 'default');
          if (writes.length)
            log(
              `warning: this identity can change the cluster (${writes.slice(0, 6).join('; ')}${writes.length > 6 ? '; ...' : ''}). The tools never write, but bind a read-only role: mcp/rbac/readonly-clusterrole.yaml`,
            );
        } catch (err) {
          log(
            `note: could not check what this identity may do (SelfSubjectRulesReview): ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`,
          );
        }
      }
      const opts = { target, tools, budgetBytes, timeoutMs, consistencyCheck };
      let close: () => Promise<void>;
      if (http) {
        const h = await serveHttp({
          ...opts,
          host: o.host,
          port: http.port,
          authToken: http.token,
          allowedHosts: o.allowHost,
          allowedOrigins: o.allowOrigin,
          maxSessions: http.maxSessions,
          sessionIdleMs: http.sessionIdleMs,
          log,
        }).catch((err: unknown) => {
          throw new InfraError(`cannot serve on ${o.host}:${http.port}: ${err instanceof Error ? err.message : String(err)}`);
        });
        if (http.token === null) log('warning: --no-auth: any local process can call the tools');
        else if (http.generated) log(`auth token (clients send Authorization: Bearer <token>; shown once): ${http.token}`);
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
