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
import {
  MAX_PAGE_ROWS,
  minRecordBytes,
  pagedReply,
  pagedTransaction,
  parseSchema,
  planSelect,
  rowsReply,
  rowsTransaction,
  SelectReplyError,
  tableOfReply,
  type DbSchema,
  type SelectPlan,
} from './ovsdb-select.ts';
import { MAX_LINE_CHARS } from './output.ts';
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
  /** every matching row's place; a paged read fills only the rows its page can show (the others are undefined) */
  table: { headings: string[]; data: (unknown[] | undefined)[] };
  /** what the rows mean, for the result header: the ovn-nbctl command that would print the same rows */
  equivalent: string;
}

export interface FastListArgs {
  node: string;
  db: DbName;
  table: string;
  record?: string;
  conditions?: string[];
  columns?: string[];
  grep?: string;
  offset?: number;
  limit?: number;
  format?: 'text' | 'json';
}

/**
 * The last read's _uuid order per (target, node, DB, select): the next read of the same select (the same call
 * again, or its next page) fetches the rows of its page by _uuid in the same transaction as the _uuid list.
 */
const orders = new WeakMap<Target, Map<string, string[]>>();
const MAX_ORDERS = 32;

function rememberOrder(target: Target, key: string, ids: string[]): void {
  let m = orders.get(target);
  if (!m) orders.set(target, (m = new Map()));
  m.delete(key);
  m.set(key, ids);
  if (m.size > MAX_ORDERS) m.delete(m.keys().next().value!);
}

/**
 * How many rows a page can show: renderForPage (mcp/tools/ovn.ts) renders from offset while the charged bytes
 * stay within max(256, budget - 400), each record charged at least minRecordBytes (capped like a cut line).
 */
export function pageRows(plan: SelectPlan, a: FastListArgs, budgetBytes: number): number {
  const room = Math.max(256, budgetBytes - 400);
  const per = Math.min(minRecordBytes(plan.headings, a.format), MAX_LINE_CHARS);
  return Math.min(a.limit ?? Infinity, Math.floor(room / per) + 1);
}

/**
 * The rows of `ovn-nbctl --format=json [--columns=...] list|find <table> [conditions]` through ovsdb-client
 * selects, or undefined when ovn-nbctl must answer (record lookups, forms not modelled, no reachable socket, a
 * reply error). With grep (which reads every record) or a page larger than MAX_PAGE_ROWS: one select of the
 * matching rows, as on the first read of a select (which learns the order). Otherwise a paged read: the matching
 * rows' _uuids plus the page's rows by _uuid, in one transaction when the previous read's order guessed the page
 * right, else a second one for the missing rows.
 */
export async function fastList(ctx: ToolContext, a: FastListArgs, equivalent: string): Promise<FastRead | undefined> {
  if (!fastReadEnabled() || a.record) return undefined;
  const r = await resolve(ctx, a.node, a.db);
  if (!r.server || !r.schema) return undefined;
  const plan = planSelect(r.schema, a);
  if (!plan) return undefined;
  const forget = () => cache.get(ctx.target)?.delete(`${a.node}\u0000${a.db}`);
  const run = async (transaction: string) => {
    const cmd: NodeCommand = { node: a.node, container: CONTAINER[a.db], argv: ['ovsdb-client', 'query', r.server!, transaction] };
    const out = await tryExec(ctx, cmd);
    if (!out) forget(); // the socket may have moved (pod restart): look again next time
    return out && { cmd, out };
  };
  try {
    const k = pageRows(plan, a, ctx.budgetBytes);
    if (a.grep || k > MAX_PAGE_ROWS) {
      const got = await run(plan.transaction);
      return got && { ...got, table: tableOfReply(plan, got.out.stdout), equivalent };
    }
    const key = `${a.node}\u0000${plan.transaction}`;
    const offset = a.offset ?? 0;
    const known = orders.get(ctx.target)?.get(key);
    if (!known) {
      // the first read of this select: all its rows in one exec (the _uuid list and then the page would be two)
      const got = await run(plan.transaction);
      if (!got) return undefined;
      const table = tableOfReply(plan, got.out.stdout);
      rememberOrder(
        ctx.target,
        key,
        table.data.map((row) => String((row[0] as [string, string])[1])),
      );
      return { ...got, table, equivalent };
    }
    const guess = known.slice(offset, offset + k);
    const got = await run(pagedTransaction(plan, guess));
    if (!got) return undefined;
    const { ids, rows } = pagedReply(plan, got.out.stdout, guess.length);
    rememberOrder(ctx.target, key, ids);
    const page = ids.slice(offset, offset + k);
    const missing = page.filter((u) => !rows.has(u));
    if (missing.length) {
      const more = await run(rowsTransaction(plan, missing));
      if (!more) return undefined;
      for (const [u, row] of rowsReply(plan, more.out.stdout, missing.length)) rows.set(u, row);
      // a row deleted between the two reads: ovn-nbctl's answer instead of a page with a hole
      if (missing.some((u) => !rows.has(u))) return undefined;
    }
    return { ...got, table: { headings: plan.headings, data: ids.map((u) => rows.get(u)) }, equivalent };
  } catch (err) {
    if (err instanceof SelectReplyError) {
      // e.g. a column the cached schema has and the server lost: read the schema again next time
      forget();
      return undefined;
    }
    throw err;
  }
}
