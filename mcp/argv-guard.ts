/**
 * The last line of defence: every argv a tool builds is checked against this allow-list right
 * before it is executed (live or offline). Tools build argv from validated fields, so a rejection
 * here means a bug in a builder, not bad input; it is still refused.
 */
import { COLUMN_RE, looksLikeWriteVerb, PRINTABLE_ASCII, TABLE_RE } from './validate.ts';

interface Policy {
  /** Options allowed as exact tokens. */
  flags?: string[];
  /** Options allowed with a value after '=' (the value is checked as a positional). */
  valued?: string[];
  /** Option pairs `-t ovn-controller` allowed only with that exact value. */
  pairs?: [string, string][];
  /** The first positional must be one of these (null: any positional, e.g. ovn-trace's datapath). */
  commands: string[] | null;
  /** For `ip route show`, `nft list ruleset`: allowed second positionals per command. */
  second?: Record<string, string[]>;
  /** Every positional must match this (curl URLs, pmc GETs, cat paths of the PTP tools). */
  positionals?: RegExp;
}

/** iptables-save and ip6tables-save: a dump of one table at most. */
const IPTABLES_SAVE: Policy = {
  pairs: [
    ['-t', 'filter'],
    ['-t', 'nat'],
    ['-t', 'mangle'],
    ['-t', 'raw'],
  ],
  commands: null,
};

export const ARGV_POLICY: Record<string, Policy> = {
  'ovn-nbctl': {
    flags: ['--format=json', '--format=list', '--format=table', '--no-heading', '--bare'],
    valued: ['--columns'],
    commands: ['show', 'list', 'find', 'lr-nat-list', 'lr-policy-list', 'lr-route-list', 'ls-list', 'lsp-list', 'lr-list', 'lrp-list'],
  },
  'ovn-sbctl': {
    flags: ['--format=json', '--format=list', '--format=table', '--no-heading', '--bare'],
    valued: ['--columns'],
    commands: ['show', 'list', 'find', 'lflow-list'],
  },
  'ovn-trace': { flags: ['--detailed', '--summary', '--minimal'], commands: null },
  'ovn-appctl': { pairs: [['-t', 'ovn-controller']], commands: ['ct-zone-list'] },
  'ovs-vsctl': { commands: ['show', 'list-br', 'list-ports', 'list-ifaces'] },
  'ovs-ofctl': { flags: ['--no-stats', '--names', '--no-names'], commands: ['dump-flows'] },
  'ovs-appctl': { commands: ['dpctl/dump-flows', 'dpctl/dump-conntrack', 'ofproto/trace'] },
  ip: {
    flags: ['-4', '-6', '-j', '-d', '-s'],
    commands: ['route', 'addr', 'rule', 'neigh'],
    second: { route: ['show'], addr: ['show'], rule: ['show'], neigh: ['show'] },
  },
  nft: { commands: ['list'], second: { list: ['ruleset'] } },
  'iptables-save': IPTABLES_SAVE,
  'ip6tables-save': IPTABLES_SAVE,
  // PTP tools (mcp/tools/ptp.ts), in linuxptp-daemon-container: GET of the metrics endpoint and of the sidecar's
  // CurrentState on localhost only, pmc GET of read-only datasets, cat of the daemon's generated config files.
  curl: {
    flags: ['-s'],
    commands: null,
    positionals:
      /^localhost:(9091\/metrics|9043\/api\/ocloudNotifications\/v2\/cluster\/node\/[a-z0-9.-]{1,253}\/sync\/(sync-status\/sync-state|ptp-status\/lock-state|sync-status\/os-clock-sync-state|ptp-status\/clock-class)\/CurrentState)$/,
  },
  pmc: {
    flags: ['-u'],
    pairs: [
      ['-b', '0'],
      ['-f', '/var/run/ptp4l.0.config'],
      ['-f', '/var/run/ptp4l.1.config'],
      ['-f', '/var/run/ptp4l.2.config'],
      ['-f', '/var/run/ptp4l.3.config'],
    ],
    commands: null,
    positionals:
      /^GET (CURRENT_DATA_SET|PARENT_DATA_SET|TIME_STATUS_NP|PORT_DATA_SET|DEFAULT_DATA_SET|TIME_PROPERTIES_DATA_SET|CLOCK_DESCRIPTION|PORT_PROPERTIES_NP|PORT_STATS_NP)$/,
  },
  cat: { commands: null, positionals: /^\/var\/run\/(ptp4l|phc2sys|ts2phc)\.[0-3]\.config$/ },
  conntrack: {
    flags: ['-L'],
    pairs: [
      ['-f', 'ipv4'],
      ['-f', 'ipv6'],
    ],
    commands: null,
  },
};

/**
 * The *ctl tools that run several commands in one transaction separated by `--` (ovn-nbctl(8) "Command
 * syntax"): one exec reads several tables. Each segment is checked on its own as a complete argv, so every
 * command of the chain must be an allow-listed read (a write anywhere in the chain is refused).
 */
const CHAINABLE = new Set(['ovn-nbctl', 'ovn-sbctl']);
const MAX_CHAIN = 8;

/**
 * The OVN databases ovsdb-client may read, by server socket: the ovnkube-node image's nbdb/sbdb containers serve
 * them on /var/run/ovn (OVN's default rundir: ovn-org/ovn lib/ovn-util.c default_nb_db, `unix:<rundir>/ovnnb_db.sock`;
 * OpenShift and upstream ovn-org/ovn-kubernetes dist/images/ovnkube.sh); older images that share OVS's rundir
 * serve them on /var/run/openvswitch. No other server (conf.db's db.sock, a TCP or SSL remote) is reachable.
 */
export const OVSDB_SERVERS: Readonly<Record<string, 'OVN_Northbound' | 'OVN_Southbound'>> = {
  'unix:/var/run/ovn/ovnnb_db.sock': 'OVN_Northbound',
  'unix:/var/run/openvswitch/ovnnb_db.sock': 'OVN_Northbound',
  'unix:/var/run/ovn/ovnsb_db.sock': 'OVN_Southbound',
  'unix:/var/run/openvswitch/ovnsb_db.sock': 'OVN_Southbound',
};
/** Most a query transaction may hold (65 selects of every column of a wide table: ~20 KiB). */
export const MAX_QUERY_CHARS = 64 * 1024;
/** a paged read: the _uuid select and up to 64 selects of one row by _uuid (mcp/ovsdb-select.ts MAX_PAGE_ROWS) */
const MAX_SELECTS = 65;
const MAX_WHERE = 32;
const MAX_SELECT_COLUMNS = 128;
/** the functions ovn_db_list's select uses (mcp/ovsdb-select.ts parseCondition) */
const WHERE_FUNCTIONS = new Set(['==', '!=', '<', '<=', '>', '>=', 'includes']);
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** An OVSDB atom (RFC 7047 §5.1): number, boolean, bounded string, ["uuid", <uuid>]. */
function atomProblem(v: unknown): string | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? undefined : 'non-finite number';
  if (typeof v === 'boolean') return undefined;
  if (typeof v === 'string') {
    if (v.length > 4096) return 'string value too long';
    // JSON escapes (\u0000) pass the argv's printable-ASCII test: check the decoded string too
    return PRINTABLE_ASCII.test(v) ? undefined : 'string value has non-printable or non-ASCII characters';
  }
  if (Array.isArray(v) && v.length === 2 && v[0] === 'uuid' && typeof v[1] === 'string' && UUID_RE.test(v[1])) return undefined;
  return `not an OVSDB atom: ${JSON.stringify(v).slice(0, 60)}`;
}

/** An OVSDB value: an atom, ["set", [atoms]] or ["map", [[atom, atom]...]] (no named-uuid: that is for inserts). */
function valueProblem(v: unknown): string | undefined {
  if (Array.isArray(v) && v[0] === 'set') {
    if (v.length !== 2 || !Array.isArray(v[1]) || v[1].length > 256) return 'bad set';
    for (const x of v[1] as unknown[]) {
      const p = atomProblem(x);
      if (p) return p;
    }
    return undefined;
  }
  if (Array.isArray(v) && v[0] === 'map') {
    if (v.length !== 2 || !Array.isArray(v[1]) || v[1].length > 256) return 'bad map';
    for (const pair of v[1] as unknown[]) {
      if (!Array.isArray(pair) || pair.length !== 2) return 'bad map pair';
      const p = atomProblem(pair[0]) ?? atomProblem(pair[1]);
      if (p) return p;
    }
    return undefined;
  }
  return atomProblem(v);
}

/** One transaction operation: exactly {op: "select", table, where, columns}, nothing else. */
function selectProblem(op: unknown, i: number): string | undefined {
  if (!op || typeof op !== 'object' || Array.isArray(op)) return `operation ${i} is not an object`;
  const o = op as Record<string, unknown>;
  const keys = Object.keys(o);
  for (const k of keys)
    if (!['op', 'table', 'where', 'columns'].includes(k)) return `operation ${i}: member ${JSON.stringify(k)} is not allowed`;
  if (o.op !== 'select') return `operation ${i}: only "select" is allowed, not ${JSON.stringify(o.op)}`;
  if (typeof o.table !== 'string' || !TABLE_RE.test(o.table)) return `operation ${i}: bad table`;
  if (!Array.isArray(o.where) || o.where.length > MAX_WHERE)
    return `operation ${i}: where must be an array of at most ${MAX_WHERE} conditions`;
  for (const c of o.where as unknown[]) {
    if (!Array.isArray(c) || c.length !== 3) return `operation ${i}: a condition is [column, function, value]`;
    const [col, fn, value] = c as unknown[];
    if (col === '_uuid') {
      // one row by its _uuid (paged reads): == and a uuid atom only
      if (fn !== '==' || !Array.isArray(value) || atomProblem(value))
        return `operation ${i}: _uuid only as ["_uuid", "==", ["uuid", <uuid>]]`;
      continue;
    }
    if (typeof col !== 'string' || col.startsWith('_') || !COLUMN_RE.test(col)) return `operation ${i}: bad condition column`;
    if (typeof fn !== 'string' || !WHERE_FUNCTIONS.has(fn))
      return `operation ${i}: condition function ${JSON.stringify(fn)} is not allowed`;
    const p = valueProblem(value);
    if (p) return `operation ${i}: ${p}`;
  }
  if (o.columns !== undefined) {
    if (!Array.isArray(o.columns) || o.columns.length > MAX_SELECT_COLUMNS) return `operation ${i}: bad columns`;
    for (const c of o.columns as unknown[])
      if (typeof c !== 'string' || (c !== '_uuid' && (c.startsWith('_') || !COLUMN_RE.test(c)))) return `operation ${i}: bad column name`;
  }
  return undefined;
}

/**
 * `ovsdb-client query <server> <transaction>` and `ovsdb-client get-schema <server> <database>` only, with the
 * server from OVSDB_SERVERS and its own database. query's transaction must be canonical JSON (what
 * JSON.stringify prints for what JSON.parse reads: no duplicate members, no whitespace or escape variants that
 * another parser could read differently) holding only `select` operations (at most 65). ovsdb-client appends an `abort`
 * operation to every query (openvswitch/ovs ovsdb/ovsdb-client.c do_query), so even a select-only transaction is
 * rolled back; no option is allowed (no --detach, no SSL files, no monitor or lock command).
 */
export function ovsdbClientProblem(rest: readonly string[]): string | undefined {
  for (const [i, a] of rest.entries()) {
    if (typeof a !== 'string') return 'argv element is not a string';
    if (!PRINTABLE_ASCII.test(a)) return `argv element ${i + 1} has non-printable or non-ASCII characters`;
    if (a.startsWith('-')) return `ovsdb-client: no options are allowed (${JSON.stringify(a.slice(0, 40))})`;
  }
  const [cmd, server, arg, ...extra] = rest;
  if (cmd !== 'query' && cmd !== 'get-schema') return `ovsdb-client: only query and get-schema are allowed, not ${JSON.stringify(cmd)}`;
  if (extra.length || arg === undefined)
    return `ovsdb-client ${cmd}: exactly a server and ${cmd === 'query' ? 'a transaction' : 'a database'}`;
  const database = Object.hasOwn(OVSDB_SERVERS, server) ? OVSDB_SERVERS[server] : undefined;
  if (!database) return `ovsdb-client: server ${JSON.stringify(server.slice(0, 80))} is not allow-listed`;
  if (cmd === 'get-schema') return arg === database ? undefined : `ovsdb-client get-schema: ${server} serves ${database} only`;
  if (arg.length > MAX_QUERY_CHARS) return `ovsdb-client query: the transaction is longer than ${MAX_QUERY_CHARS} characters`;
  let txn: unknown;
  try {
    txn = JSON.parse(arg);
  } catch {
    return 'ovsdb-client query: the transaction is not JSON';
  }
  if (JSON.stringify(txn) !== arg) return 'ovsdb-client query: the transaction is not in canonical JSON form';
  if (!Array.isArray(txn) || txn.length < 2) return 'ovsdb-client query: the transaction is [database, select...]';
  if (txn[0] !== database) return `ovsdb-client query: ${server} serves ${database} only`;
  if (txn.length - 1 > MAX_SELECTS) return `ovsdb-client query: at most ${MAX_SELECTS} operations`;
  for (let i = 1; i < txn.length; i++) {
    const p = selectProblem(txn[i], i);
    if (p) return `ovsdb-client query: ${p}`;
  }
  return undefined;
}

/** Returns why argv is not allowed, or undefined. */
export function readOnlyArgvProblem(argv: readonly string[]): string | undefined {
  if (!Array.isArray(argv) || argv.length === 0) return 'empty argv';
  const [bin, ...rest] = argv;
  if (bin === 'ovsdb-client') return ovsdbClientProblem(rest);
  if (CHAINABLE.has(bin) && rest.includes('--')) {
    const segs: string[][] = [[]];
    for (const a of rest)
      if (a === '--') segs.push([]);
      else segs[segs.length - 1].push(a);
    const [globals, ...cmds] = segs;
    if (cmds.length > MAX_CHAIN) return `at most ${MAX_CHAIN} chained commands`;
    for (const g of globals) {
      if (typeof g !== 'string' || !g.startsWith('-')) return "only options before the first '--'";
      const problem = readOnlyArgvProblem([bin, g, 'list']);
      if (problem) return problem;
    }
    for (const c of cmds) {
      if (!c.length) return "empty command between '--' separators";
      const problem = readOnlyArgvProblem([bin, ...c]);
      if (problem) return problem;
    }
    return undefined;
  }
  const policy = ARGV_POLICY[bin];
  if (!policy) return `binary ${JSON.stringify(bin)} is not allow-listed`;
  const positionals: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (typeof a !== 'string') return 'argv element is not a string';
    if (!PRINTABLE_ASCII.test(a)) return `argv element ${i + 1} has non-printable or non-ASCII characters`;
    if (a.length > 2048) return `argv element ${i + 1} is too long`;
    if (a.startsWith('-')) {
      if (a === '--') return "the '--' separator is not allowed";
      if (policy.flags?.includes(a)) continue;
      const eq = a.indexOf('=');
      if (eq > 0 && policy.valued?.includes(a.slice(0, eq))) {
        const v = a.slice(eq + 1);
        if (!/^[a-z_][a-z0-9_]*(,[a-z_][a-z0-9_]*)*$/.test(v)) return `bad value for ${a.slice(0, eq)}`;
        continue;
      }
      const pair = policy.pairs?.find(([f]) => f === a);
      if (pair) {
        if (rest[i + 1] !== pair[1] && !policy.pairs?.some(([f, v]) => f === a && v === rest[i + 1]))
          return `option ${a} only with an allow-listed value`;
        i++;
        continue;
      }
      return `option ${JSON.stringify(a)} is not allow-listed for ${bin}`;
    }
    positionals.push(a);
  }
  if (policy.positionals) {
    if (positionals.length !== 1) return `${bin}: exactly one allow-listed argument`;
    if (!policy.positionals.test(positionals[0]))
      return `${bin}: argument ${JSON.stringify(positionals[0].slice(0, 80))} is not allow-listed`;
    return undefined;
  }
  if (policy.commands) {
    const cmd = positionals[0];
    if (cmd === undefined || !policy.commands.includes(cmd)) return `subcommand ${JSON.stringify(cmd)} is not allow-listed for ${bin}`;
    if (policy.second) {
      const allowed = policy.second[cmd];
      if (allowed && !allowed.includes(positionals[1] ?? '')) return `${bin} ${cmd} ${positionals[1] ?? ''}: only ${allowed.join('|')}`;
    }
    for (const p of positionals.slice(1)) if (looksLikeWriteVerb(p)) return `positional ${JSON.stringify(p)} looks like a write verb`;
  } else {
    for (const p of positionals) if (looksLikeWriteVerb(p)) return `positional ${JSON.stringify(p)} looks like a write verb`;
  }
  return undefined;
}

export class ArgvRejected extends Error {
  override name = 'ArgvRejected';
}

export function assertReadOnlyArgv(argv: readonly string[]): void {
  const problem = readOnlyArgvProblem(argv);
  if (problem) throw new ArgvRejected(`refused to run ${JSON.stringify(argv.slice(0, 4))}: ${problem}`);
}
