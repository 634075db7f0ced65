/**
 * ovn_db_list's fast read, the I/O part: one `ovsdb-client query` select (mcp/ovsdb-select.ts) in the node's
 * nbdb / sbdb container instead of `ovn-nbctl list|find`. ovsdb-client has no default OVN socket (ovn-nbctl
 * has: OVN_NB_DB, else `unix:<OVN_RUNDIR>/ovnnb_db.sock`), so the first read of a node tries the allow-listed
 * sockets (mcp/argv-guard.ts OVSDB_SERVERS) with `get-schema`, and keeps the one that answers with its schema.
 * When neither answers, or the arguments are not modelled exactly, `undefined` tells the tool to run ovn-nbctl.
 *
 * `NETHARNESS_MCP_OVSDB_READ=nbctl` turns the fast read off (bench/mcp.bench.ts runs both side by side).
 */
import { OVSDB_SERVERS } from './argv-guard.ts';
import { parseSchema, planSelect, SelectReplyError, tableOfReply, type DbSchema } from './ovsdb-select.ts';
import { runNodeCommand, type ToolContext } from './registry.ts';
import type { CommandOutput, NodeCommand, Target } from './target.ts';

export type DbName = 'nb' | 'sb';
const CONTAINER: Record<DbName, string> = { nb: 'nbdb', sb: 'sbdb' };
/** the allow-listed sockets of each DB, OVN's own rundir first */
export const SERVERS_OF: Record<DbName, string[]> = {
  nb: Object.keys(OVSDB_SERVERS).filter((s) => s.endsWith('/ovnnb_db.sock')),
  sb: Object.keys(OVSDB_SERVERS).filter((s) => s.endsWith('/ovnsb_db.sock')),
};
/** a schema changes only with an OVN upgrade (which restarts the pod): re-read it now and then anyway */
const SCHEMA_TTL_MS = 10 * 60_000;
/** a node without a reachable socket is asked again after this long */
const NO_SOCKET_TTL_MS = 60_000;

interface Resolved {
  server?: string;
  schema?: DbSchema;
  at: number;
}

const cache = new WeakMap<Target, Map<string, Promise<Resolved>>>();

export function fastReadEnabled(): boolean {
  return process.env.NETHARNESS_MCP_OVSDB_READ !== 'nbctl';
}

async function tryExec(ctx: ToolContext, cmd: NodeCommand): Promise<CommandOutput | undefined> {
  try {
    return await runNodeCommand(ctx, cmd);
  } catch {
    return undefined;
  }
}

/** The node's socket for this DB and its schema (cached per target and node). */
function resolve(ctx: ToolContext, node: string, db: DbName): Promise<Resolved> {
  let perTarget = cache.get(ctx.target);
  if (!perTarget) cache.set(ctx.target, (perTarget = new Map()));
  const key = `${node}\u0000${db}`;
  const hit = perTarget.get(key);
  const now = Date.now();
  if (hit) {
    const fresh = hit.then((r) => now - r.at < (r.server ? SCHEMA_TTL_MS : NO_SOCKET_TTL_MS));
    return fresh.then((ok) => (ok ? hit : refresh()));
  }
  return refresh();

  function refresh(): Promise<Resolved> {
    const p = (async (): Promise<Resolved> => {
      for (const server of SERVERS_OF[db]) {
        const database = OVSDB_SERVERS[server];
        const out = await tryExec(ctx, { node, container: CONTAINER[db], argv: ['ovsdb-client', 'get-schema', server, database] });
        const schema = out ? parseSchema(out.stdout) : undefined;
        if (schema) return { server, schema, at: Date.now() };
      }
      return { at: Date.now() };
    })();
    perTarget!.set(key, p);
    return p;
  }
}

export interface FastRead {
  cmd: NodeCommand;
  out: CommandOutput;
  table: { headings: string[]; data: unknown[][] };
  /** what the rows mean, for the result header: the ovn-nbctl command that would print the same rows */
  equivalent: string;
}

/**
 * The rows of `ovn-nbctl --format=json [--columns=...] list|find <table> [conditions]` through one select, or
 * undefined when ovn-nbctl must answer (record lookups, forms not modelled, no reachable socket, a reply error).
 */
export async function fastList(
  ctx: ToolContext,
  a: { node: string; db: DbName; table: string; record?: string; conditions?: string[]; columns?: string[] },
  equivalent: string,
): Promise<FastRead | undefined> {
  if (!fastReadEnabled() || a.record) return undefined;
  const r = await resolve(ctx, a.node, a.db);
  if (!r.server || !r.schema) return undefined;
  const plan = planSelect(r.schema, a);
  if (!plan) return undefined;
  const cmd: NodeCommand = { node: a.node, container: CONTAINER[a.db], argv: ['ovsdb-client', 'query', r.server, plan.transaction] };
  const out = await tryExec(ctx, cmd);
  if (!out) {
    cache.get(ctx.target)?.delete(`${a.node}\u0000${a.db}`); // the socket may have moved (pod restart): look again next time
    return undefined;
  }
  try {
    return { cmd, out, table: tableOfReply(plan, out.stdout), equivalent };
  } catch (err) {
    if (err instanceof SelectReplyError) {
      // e.g. a column the cached schema has and the server lost: read the schema again next time
      cache.get(ctx.target)?.delete(`${a.node}\u0000${a.db}`);
      return undefined;
    }
    throw err;
  }
}
