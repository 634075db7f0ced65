/**
 * `--mcp-config FILE`: the MCP servers the agent is offered, in the shape the ecosystem uses
 * (Claude Desktop / Cursor / mcpchecker): `{"mcpServers": {name: {command, args, env} | {url, headers}}}`.
 * Every server gets the target's kubeconfig: `KUBECONFIG` in a stdio server's environment, and
 * `${KUBECONFIG}` expanded in its args, env values and url. Without a file, the agent gets netharness's
 * own read-only server (`netharness mcp`) on the target.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { UsageError } from '../../harness/errors.ts';
import { projectRoot } from '../../harness/constants.ts';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

const stdioServer = z
  .object({
    command: z.string().min(1),
    args: z.array(z.string()).default([]),
    env: z.record(z.string(), z.string()).default({}),
    cwd: z.string().optional(),
  })
  .strict();

const httpServer = z
  .object({
    url: z.url(),
    headers: z.record(z.string(), z.string()).default({}),
  })
  .strict();

export const mcpConfigSchema = z
  .object({
    mcpServers: z
      .record(z.string().regex(NAME, 'server names: letters, digits, _ . - (at most 63)'), z.union([stdioServer, httpServer]))
      .refine((m) => Object.keys(m).length > 0, 'at least one server'),
  })
  .strict();

export type StdioServerConfig = z.output<typeof stdioServer>;
export type HttpServerConfig = z.output<typeof httpServer>;
export type ServerConfig = StdioServerConfig | HttpServerConfig;
export type McpConfig = z.output<typeof mcpConfigSchema>;

export const isStdio = (s: ServerConfig): s is StdioServerConfig => 'command' in s;

/** The default: netharness's own read-only server, on the target, over stdio. */
export const DEFAULT_SERVER_NAME = 'netharness';

export interface DefaultConfigOptions {
  /** kubeconfig context the server uses (the sim's read-only identity); default: the kubeconfig's current context */
  context?: string;
  /** extra `netharness mcp` flags (e.g. --toolsets) */
  extraArgs?: string[];
}

export function defaultMcpConfig(o: DefaultConfigOptions = {}): McpConfig {
  return {
    mcpServers: {
      [DEFAULT_SERVER_NAME]: {
        command: process.execPath,
        args: [
          '--import',
          'tsx',
          join(projectRoot, 'harness', 'cli.ts'),
          'mcp',
          '--kubeconfig',
          '${KUBECONFIG}',
          ...(o.context ? ['--context', o.context] : []),
          ...(o.extraArgs ?? []),
        ],
        env: {},
        cwd: projectRoot,
      },
    },
  };
}

function issuePath(path: PropertyKey[]): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.');
}

/** Validate a parsed config; UsageError names the field (`--mcp-config: mcpServers.k8s.command: ...`). */
export function parseMcpConfig(raw: unknown, source = '--mcp-config'): McpConfig {
  const r = mcpConfigSchema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0];
    // a union failure says little: say which shapes are accepted
    const msg =
      i.code === 'invalid_union'
        ? 'expected {command, args?, env?, cwd?} (stdio) or {url, headers?} (streamable HTTP)'
        : i.code === 'unrecognized_keys'
          ? `unknown field(s) ${i.keys.join(', ')}`
          : i.code === 'invalid_key'
            ? 'server names: letters, digits, _ . - (at most 63)'
            : i.message;
    throw new UsageError(
      `${source}: ${issuePath(i.path) || '(top level)'}: ${msg}`,
      'shape: {"mcpServers": {"name": {"command": "...", "args": []}}}',
    );
  }
  return r.data;
}

export function loadMcpConfig(path: string): McpConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`--mcp-config: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`--mcp-config: ${path} is not JSON: ${(err as Error).message}`);
  }
  return parseMcpConfig(raw, `--mcp-config ${path}`);
}

/** `${KUBECONFIG}` -> the target's kubeconfig path. Other `${...}` stay as written (no host env leaks into a stored config). */
export function expandKubeconfig(s: string, kubeconfig: string): string {
  return s.replaceAll('${KUBECONFIG}', kubeconfig);
}

/** The config with the target's kubeconfig filled in and KUBECONFIG set in every stdio server's env. */
export function resolveForTarget(cfg: McpConfig, kubeconfig: string): McpConfig {
  const out: McpConfig = { mcpServers: {} };
  for (const [name, s] of Object.entries(cfg.mcpServers)) {
    if (isStdio(s)) {
      const env = Object.fromEntries(Object.entries(s.env).map(([k, v]) => [k, expandKubeconfig(v, kubeconfig)]));
      out.mcpServers[name] = {
        command: expandKubeconfig(s.command, kubeconfig),
        args: s.args.map((a) => expandKubeconfig(a, kubeconfig)),
        env: { ...env, KUBECONFIG: kubeconfig },
        ...(s.cwd ? { cwd: expandKubeconfig(s.cwd, kubeconfig) } : {}),
      };
    } else {
      out.mcpServers[name] = {
        url: expandKubeconfig(s.url, kubeconfig),
        headers: Object.fromEntries(Object.entries(s.headers).map(([k, v]) => [k, expandKubeconfig(v, kubeconfig)])),
      };
    }
  }
  return out;
}
