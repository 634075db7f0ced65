/**
 * ovn_db_list's fast read, the pure part: `ovn-nbctl find` conditions parsed and evaluated like ovn-nbctl does,
 * turned into one OVSDB `select` (RFC 7047 §5.2.2) that `ovsdb-client query` sends, and its reply turned back
 * into the `--format=json` table ovn-nbctl prints (headings + rows of OVSDB JSON cells).
 *
 * Why: ovn-nbctl builds an IDL replica (a `monitor` of the table) before it prints, and fetches the whole table
 * even for `find` conditions or `--columns`, so a 2000-row NAT table costs ~4x a select of what is shown.
 * `ovsdb-client query` (openvswitch/ovs ovsdb/ovsdb-client.c, do_query) appends an `abort` operation to the
 * transaction, so the server rolls it back whatever it holds; the argv guard (mcp/argv-guard.ts) allows only
 * `select` operations on top of that.
 *
 * Semantics follow ovn-nbctl(8) "Database Commands" (find) and openvswitch/ovs lib/db-ctl-base.c
 * (parse_column_key_value, evaluate_relop) and lib/ovsdb-data.c (ovsdb_datum_from_string, ovsdb_token_parse,
 * ovsdb_datum_compare_3way, ovsdb_datum_includes_all):
 * - `=` `!=` `<` `>` `<=` `>=` compare column[:key] and value as sets: fewer elements is smaller, then element
 *   by element in sorted order (maps: keys first, then values). With a key the row must have that key.
 * - `{=}` `{!=}` set equality; `{<=}` subset, `{<}` proper subset, `{>=}` superset, `{>}` proper superset. With
 *   a key a row without it compares as the empty set.
 * Anything this module does not model exactly (a uuid-typed column, a table or column named by an abbreviation,
 * a value ovn-nbctl would reject or parse with rules not modelled here: escapes, spaces in a bare token, an
 * out-of-range or non-enum value) returns `undefined` from planSelect, and the tool runs ovn-nbctl as before,
 * so every form ovn-nbctl accepts keeps its exact behaviour and error message.
 */

/** One OVSDB atom as JSON (RFC 7047 §5.1): integer and real as numbers, boolean, string, ["uuid", s]. */
export type AtomJson = number | boolean | string | ['uuid', string];
export type BaseKind = 'integer' | 'real' | 'boolean' | 'string' | 'uuid';

export interface BaseType {
  type: BaseKind;
  enum?: AtomJson[];
  minInteger?: number;
  maxInteger?: number;
  minReal?: number;
  maxReal?: number;
  minLength?: number;
  maxLength?: number;
}

export interface ColumnType {
  key: BaseType;
  value?: BaseType;
  min: number;
  max: number;
}

export interface TableSchema {
  /** column name -> type (the schema's columns; _uuid and _version are implicit) */
  columns: Map<string, ColumnType>;
}

export interface DbSchema {
  name: string;
  tables: Map<string, TableSchema>;
}

function baseOf(raw: unknown): BaseType | undefined {
  if (typeof raw === 'string') return isKind(raw) ? { type: raw } : undefined;
  if (!raw || typeof raw !== 'object') return undefined;
  const r = raw as Record<string, unknown>;
  if (typeof r.type !== 'string' || !isKind(r.type)) return undefined;
  const b: BaseType = { type: r.type };
  if (r.enum !== undefined) {
    const e = r.enum;
    // an enum is a <set>: ["set", [atoms]] or a single atom
    b.enum = (Array.isArray(e) && e[0] === 'set' && Array.isArray(e[1]) ? e[1] : [e]) as AtomJson[];
  }
  for (const k of ['minInteger', 'maxInteger', 'minReal', 'maxReal', 'minLength', 'maxLength'] as const)
    if (typeof r[k] === 'number') b[k] = r[k];
  return b;
}

function isKind(s: string): s is BaseKind {
  return s === 'integer' || s === 'real' || s === 'boolean' || s === 'string' || s === 'uuid';
}

/** `ovsdb-client get-schema` output (RFC 7047 §3.2) -> the column types this module needs. */
export function parseSchema(stdout: string): DbSchema | undefined {
  let doc: { name?: unknown; tables?: Record<string, { columns?: Record<string, { type?: unknown }> }> };
  try {
    doc = JSON.parse(stdout) as typeof doc;
  } catch {
    return undefined;
  }
  if (typeof doc?.name !== 'string' || !doc.tables || typeof doc.tables !== 'object') return undefined;
  const tables = new Map<string, TableSchema>();
  for (const [tname, t] of Object.entries(doc.tables)) {
    const columns = new Map<string, ColumnType>();
    for (const [cname, c] of Object.entries(t.columns ?? {})) {
      const ty = c.type;
      let ct: ColumnType | undefined;
      if (typeof ty === 'string') {
        const key = baseOf(ty);
        if (key) ct = { key, min: 1, max: 1 };
      } else if (ty && typeof ty === 'object') {
        const o = ty as Record<string, unknown>;
        const key = baseOf(o.key);
        const value = o.value === undefined ? undefined : baseOf(o.value);
        const max = o.max === 'unlimited' ? Infinity : typeof o.max === 'number' ? o.max : 1;
        const min = typeof o.min === 'number' ? o.min : 1;
        if (key && (o.value === undefined || value)) ct = { key, ...(value ? { value } : {}), min, max };
      }
      if (ct) columns.set(cname, ct);
    }
    tables.set(tname, { columns });
  }
  return { name: doc.name, tables };
}

// ---- values: ovn-nbctl's string syntax -> a datum ----

/** A datum: sorted keys (and values, for maps), as OVSDB stores it. */
export interface Datum {
  keys: AtomJson[];
  values?: AtomJson[];
}

const DELIMS = ':=, []{}!<>';

/**
 * ovsdb_token_parse for the subset modelled here: a token runs to the next unquoted delimiter; a quoted
 * token is one "..." without escapes (the condition validator allows no backslash). undefined: not modelled.
 */
function nextToken(s: string, i: number): { text: string; quoted: boolean; end: number } | undefined {
  if (s[i] === '"') {
    const close = s.indexOf('"', i + 1);
    if (close < 0) return undefined;
    const next = s[close + 1];
    if (next !== undefined && !DELIMS.includes(next)) return undefined; // "a"b: a token with more after the quote
    return { text: s.slice(i + 1, close), quoted: true, end: close + 1 };
  }
  let j = i;
  while (j < s.length && !DELIMS.includes(s[j])) {
    if (s[j] === '"' || s[j] === '\\') return undefined;
    j++;
  }
  if (j === i) return undefined;
  const text = s.slice(i, j);
  // ovsdb_token_parse keeps inner and trailing spaces in a bare token; not modelled
  if (/\s/.test(text)) return undefined;
  return { text, quoted: false, end: j };
}

/** An atom of `base` from a token, with the schema's constraints (ovsdb_atom_from_string + check_constraints). */
function atomOf(tok: { text: string; quoted: boolean }, base: BaseType): AtomJson | undefined {
  let a: AtomJson;
  switch (base.type) {
    case 'string':
      a = tok.text;
      if (base.minLength !== undefined && [...a].length < base.minLength) return undefined;
      if (base.maxLength !== undefined && [...a].length > base.maxLength) return undefined;
      break;
    case 'integer': {
      if (tok.quoted || !/^-?\d{1,18}$/.test(tok.text)) return undefined;
      a = Number(tok.text);
      if (base.minInteger !== undefined && a < base.minInteger) return undefined;
      if (base.maxInteger !== undefined && a > base.maxInteger) return undefined;
      break;
    }
    case 'real': {
      if (tok.quoted || !/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(tok.text)) return undefined;
      a = Number(tok.text);
      if (!Number.isFinite(a)) return undefined;
      if (base.minReal !== undefined && a < base.minReal) return undefined;
      if (base.maxReal !== undefined && a > base.maxReal) return undefined;
      break;
    }
    case 'boolean':
      if (tok.quoted || (tok.text !== 'true' && tok.text !== 'false')) return undefined;
      a = tok.text === 'true';
      break;
    default:
      return undefined; // uuid: ovn-nbctl may resolve names; left to it
  }
  if (base.enum && !base.enum.some((e) => compareAtom(e, a) === 0)) return undefined;
  return a;
}

/**
 * ovsdb_datum_from_string: `[a,b]` or `a,b` for sets, `{k=v,...}` or `k=v,...` for maps, `[]` / `{}` empty.
 * undefined: not modelled here (or ovn-nbctl would reject it): the caller falls back to ovn-nbctl.
 */
export function parseDatum(s: string, key: BaseType, value?: BaseType): Datum | undefined {
  const open = value ? '{' : '[';
  const close = value ? '}' : ']';
  let i = skipSpaces(s, 0);
  if (i >= s.length) return undefined; // ovn-nbctl: use "[]" / "{}" for the empty set / map
  let endDelim = '';
  if (s[i] === open) {
    endDelim = close;
    i = skipSpaces(s, i + 1);
  }
  const pairs: [AtomJson, AtomJson | undefined][] = [];
  while (i < s.length && s[i] !== endDelim) {
    const kt = nextToken(s, i);
    if (!kt) return undefined;
    const k = atomOf(kt, key);
    if (k === undefined) return undefined;
    i = kt.end;
    let v: AtomJson | undefined;
    if (value) {
      i = skipSpaces(s, i);
      if (s[i] !== '=') return undefined;
      const vt = nextToken(s, skipSpaces(s, i + 1));
      if (!vt) return undefined;
      v = atomOf(vt, value);
      if (v === undefined) return undefined;
      i = vt.end;
    }
    pairs.push([k, v]);
    i = skipSpaces(s, i);
    if (s[i] === ',') i = skipSpaces(s, i + 1);
  }
  if (endDelim) {
    if (s[i] !== endDelim) return undefined;
    if (skipSpaces(s, i + 1) !== s.length) return undefined;
  } else if (i !== s.length) return undefined;
  pairs.sort((x, y) => compareAtom(x[0], y[0]));
  for (let j = 1; j < pairs.length; j++) if (compareAtom(pairs[j - 1][0], pairs[j][0]) === 0) return undefined; // duplicate
  return value ? { keys: pairs.map((p) => p[0]), values: pairs.map((p) => p[1] as AtomJson) } : { keys: pairs.map((p) => p[0]) };
}

function skipSpaces(s: string, i: number): number {
  while (i < s.length && /\s/.test(s[i])) i++;
  return i;
}

// ---- comparison (ovsdb_atom_compare_3way, ovsdb_datum_compare_3way, ovsdb_datum_includes_all) ----

export function compareAtom(a: AtomJson, b: AtomJson): number {
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return a === b ? 0 : a ? 1 : -1;
  if (typeof a === 'string' && typeof b === 'string') {
    // strcmp over UTF-8 bytes
    if (a === b) return 0;
    return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
  }
  if (Array.isArray(a) && Array.isArray(b)) return a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

/** A cell as the server sends it (atom, ["set", [...]], ["map", [[k, v]...]]) -> a sorted datum. */
export function datumOfCell(cell: unknown): Datum {
  if (Array.isArray(cell) && cell[0] === 'map' && Array.isArray(cell[1])) {
    const pairs = [...(cell[1] as [AtomJson, AtomJson][])].sort((x, y) => compareAtom(x[0], y[0]));
    return { keys: pairs.map((p) => p[0]), values: pairs.map((p) => p[1]) };
  }
  if (Array.isArray(cell) && cell[0] === 'set' && Array.isArray(cell[1])) return { keys: [...(cell[1] as AtomJson[])].sort(compareAtom) };
  return { keys: [cell as AtomJson] };
}

function compareDatum(a: Datum, b: Datum): number {
  if (a.keys.length !== b.keys.length) return a.keys.length < b.keys.length ? -1 : 1;
  for (let i = 0; i < a.keys.length; i++) {
    const c = compareAtom(a.keys[i], b.keys[i]);
    if (c) return c;
  }
  if (!a.values || !b.values) return 0;
  for (let i = 0; i < a.values.length; i++) {
    const c = compareAtom(a.values[i], b.values[i]);
    if (c) return c;
  }
  return 0;
}

/** Every element of a is in b (for maps: the key with an equal value). */
function includesAll(a: Datum, b: Datum): boolean {
  return a.keys.every((k, i) => {
    const j = b.keys.findIndex((x) => compareAtom(x, k) === 0);
    if (j < 0) return false;
    return !a.values || !b.values || compareAtom(a.values[i], b.values[j]) === 0;
  });
}

export type Relop = '=' | '!=' | '<' | '>' | '<=' | '>=' | '{=}' | '{!=}' | '{<}' | '{>}' | '{<=}' | '{>=}';
const SET_OPS = new Set<Relop>(['{=}', '{!=}', '{<}', '{>}', '{<=}', '{>=}']);

export function evaluateRelop(a: Datum, b: Datum, op: Relop): boolean {
  switch (op) {
    case '=':
      return compareDatum(a, b) === 0;
    case '!=':
      return compareDatum(a, b) !== 0;
    case '<':
      return compareDatum(a, b) < 0;
    case '<=':
      return compareDatum(a, b) <= 0;
    case '>':
      return compareDatum(a, b) > 0;
    case '>=':
      return compareDatum(a, b) >= 0;
    case '{=}':
      return compareDatum(a, b) === 0;
    case '{!=}':
      return compareDatum(a, b) !== 0;
    case '{<}':
      return a.keys.length < b.keys.length && includesAll(a, b);
    case '{>}':
      return a.keys.length > b.keys.length && includesAll(b, a);
    case '{<=}':
      return includesAll(a, b);
    case '{>=}':
      return includesAll(b, a);
  }
}

// ---- conditions ----

export interface Condition {
  column: string;
  /** the map key, for column:key conditions */
  key?: AtomJson;
  op: Relop;
  value: Datum;
  /** the condition as an OVSDB where clause when it selects exactly the same rows */
  where?: [string, string, unknown];
}

const CONDITION_PARTS =
  /^([a-z_][a-z0-9_]{0,63})(?::("[A-Za-z0-9_./-]{1,128}"|[A-Za-z0-9_.-]{1,128}))?(\{!=\}|\{<=\}|\{>=\}|\{=\}|\{<\}|\{>\}|!=|<=|>=|=|<|>)(.*)$/s;

function datumJson(d: Datum): unknown {
  if (d.values) return ['map', d.keys.map((k, i) => [k, d.values![i]])];
  if (d.keys.length === 1) return d.keys[0];
  return ['set', d.keys];
}

/** One `find` condition against a table's schema; undefined when not modelled (ovn-nbctl then runs). */
export function parseCondition(s: string, t: TableSchema): Condition | undefined {
  const m = CONDITION_PARTS.exec(s);
  if (!m) return undefined;
  const [, column, rawKey, op, rawValue] = m as unknown as [string, string, string | undefined, Relop, string];
  const ct = t.columns.get(column);
  if (!ct) return undefined;
  if (ct.key.type === 'uuid' || ct.value?.type === 'uuid') return undefined;
  if (rawKey !== undefined) {
    if (!ct.value) return undefined; // ovn-nbctl: cannot specify key to check for non-map column
    const kt = rawKey.startsWith('"') ? { text: rawKey.slice(1, -1), quoted: true } : { text: rawKey, quoted: false };
    const key = atomOf(kt, ct.key);
    if (key === undefined) return undefined;
    const value = parseDatum(rawValue, ct.value);
    if (!value || value.keys.length !== 1) return undefined; // a key holds one value; other sizes left to ovn-nbctl
    const c: Condition = { column, key, op, value };
    // the row has the key with this value <=> the map includes the pair
    if (op === '=' || op === '{=}') c.where = [column, 'includes', ['map', [[key, value.keys[0]]]]];
    return c;
  }
  const value = parseDatum(rawValue, ct.key, ct.value);
  if (!value) return undefined;
  // ovn-nbctl refuses a value with fewer or more elements than the column holds ("2 value(s) specified but the
  // maximum number is 1"): its message, not an empty answer
  if (value.keys.length > ct.max || value.keys.length < ct.min) return undefined;
  const c: Condition = { column, op, value };
  if (op === '=' || op === '{=}') c.where = [column, '==', datumJson(value)];
  else if (op === '!=' || op === '{!=}') c.where = [column, '!=', datumJson(value)];
  else if (op === '{>=}' && ct.max > 1) c.where = [column, 'includes', datumJson(value)];
  else if (
    (op === '<' || op === '<=' || op === '>' || op === '>=') &&
    ct.min === 1 &&
    ct.max === 1 &&
    !ct.value &&
    (ct.key.type === 'integer' || ct.key.type === 'real') &&
    value.keys.length === 1
  )
    c.where = [column, op, value.keys[0]];
  return c;
}

/** ovn-nbctl find's test of one row (db-ctl-base.c is_condition_satisfied). */
export function conditionHolds(c: Condition, cell: unknown): boolean {
  const have = datumOfCell(cell);
  if (c.key === undefined) return evaluateRelop(have, c.value, c.op);
  const i = have.keys.findIndex((k) => compareAtom(k, c.key!) === 0);
  if (i < 0 && !SET_OPS.has(c.op)) return false;
  const a: Datum = i < 0 ? { keys: [] } : { keys: [have.values![i]] };
  return evaluateRelop(a, c.value, c.op);
}

// ---- the select and its reply ----

export interface SelectPlan {
  database: string;
  table: string;
  /**
   * the table the model sees: _uuid, then the asked columns, or all of the server's schema sorted by name (the
   * order of ovn-nbctl's generated IDL columns; ovn-nbctl shows the columns it was built with, so a server with a
   * newer schema shows its extra columns here and not there)
   */
  headings: string[];
  /** columns the select returns (headings plus the columns of conditions evaluated here) */
  selectColumns: string[];
  where: [string, string, unknown][];
  /** conditions not pushed down to the server, evaluated on the returned rows */
  local: Condition[];
  /** the `ovsdb-client query` transaction (canonical JSON: the guard compares it with its re-serialization) */
  transaction: string;
}

/**
 * The select for `ovn_db_list` arguments, or undefined when the fast path does not model them exactly
 * (ovn-nbctl runs instead). `columns` are the asked columns without _uuid.
 */
export function planSelect(schema: DbSchema, a: { table: string; conditions?: string[]; columns?: string[] }): SelectPlan | undefined {
  const t = schema.tables.get(a.table);
  if (!t) return undefined; // ovn-nbctl also accepts unique abbreviations of table names
  const asked = a.columns?.length ? a.columns.filter((c) => c !== '_uuid') : [...t.columns.keys()].sort();
  if (new Set(asked).size !== asked.length) return undefined;
  if (asked.some((c) => !t.columns.has(c))) return undefined; // abbreviations, unknown columns: ovn-nbctl's answer
  const conds: Condition[] = [];
  for (const s of a.conditions ?? []) {
    const c = parseCondition(s, t);
    if (!c) return undefined;
    conds.push(c);
  }
  const where = conds.filter((c) => c.where).map((c) => c.where!);
  const local = conds.filter((c) => !c.where);
  const headings = ['_uuid', ...asked];
  const selectColumns = [...headings, ...[...new Set(local.map((c) => c.column))].filter((c) => !headings.includes(c))];
  const transaction = JSON.stringify([schema.name, { op: 'select', table: a.table, where, columns: selectColumns }]);
  return { database: schema.name, table: a.table, headings, selectColumns, where, local, transaction };
}

export class SelectReplyError extends Error {
  override name = 'SelectReplyError';
}

type Row = Record<string, unknown>;

/** The query's reply `[{"rows": [...]}, ...]` -> the rows of each operation (an operation's error throws). */
export function rowsOfReply(stdout: string, ops: number): Row[][] {
  let reply: unknown;
  try {
    reply = JSON.parse(stdout);
  } catch {
    throw new SelectReplyError(`not JSON: ${stdout.slice(0, 200)}`);
  }
  if (!Array.isArray(reply) || reply.length < ops) throw new SelectReplyError(`unexpected reply: ${stdout.slice(0, 200)}`);
  return reply.slice(0, ops).map((r: unknown) => {
    const o = r as { rows?: unknown; error?: unknown; details?: unknown } | null;
    if (!o || typeof o !== 'object') throw new SelectReplyError(`unexpected reply: ${stdout.slice(0, 200)}`);
    if (o.error !== undefined) throw new SelectReplyError(`${String(o.error)}: ${String(o.details ?? '')}`);
    if (!Array.isArray(o.rows)) throw new SelectReplyError(`reply without rows: ${stdout.slice(0, 200)}`);
    return o.rows as Row[];
  });
}

const uuidOf = (r: Row): string => {
  const u = r._uuid;
  return Array.isArray(u) ? String(u[1]) : String(u);
};
const byUuid = (a: Row, b: Row) => {
  const x = uuidOf(a);
  const y = uuidOf(b);
  return x < y ? -1 : x > y ? 1 : 0;
};

/** the rows that hold the conditions evaluated here, ordered by _uuid (a stable order to page in) */
function kept(plan: SelectPlan, rows: Row[]): Row[] {
  const k = plan.local.length ? rows.filter((r) => plan.local.every((c) => conditionHolds(c, r[c.column]))) : [...rows];
  return k.sort(byUuid);
}

/** The full select's reply -> ovn-nbctl's `--format=json` table (rows ordered by _uuid). */
export function tableOfReply(plan: SelectPlan, stdout: string): { headings: string[]; data: unknown[][] } {
  const [rows] = rowsOfReply(stdout, 1);
  return { headings: plan.headings, data: kept(plan, rows).map((r) => plan.headings.map((h) => r[h])) };
}

// ---- paged reads: the matching rows' _uuids, and the full rows of the page only ----

/** Most rows a paged read fetches by _uuid in one transaction (beyond it, the full select is cheaper). */
export const MAX_PAGE_ROWS = 64;

/** The select of the matching rows' _uuids (and the columns of conditions evaluated here). */
function idSelect(plan: SelectPlan): Record<string, unknown> {
  const cols = ['_uuid', ...new Set(plan.local.map((c) => c.column))];
  return { op: 'select', table: plan.table, where: plan.where, columns: cols };
}

function rowSelect(plan: SelectPlan, uuid: string): Record<string, unknown> {
  return { op: 'select', table: plan.table, where: [['_uuid', '==', ['uuid', uuid]]], columns: plan.headings };
}

/** [database, the _uuid select, one select per guessed page row] (guesses come from the previous read's order). */
export function pagedTransaction(plan: SelectPlan, guess: string[]): string {
  return JSON.stringify([plan.database, idSelect(plan), ...guess.map((u) => rowSelect(plan, u))]);
}

/** [database, one select per page row] */
export function rowsTransaction(plan: SelectPlan, uuids: string[]): string {
  return JSON.stringify([plan.database, ...uuids.map((u) => rowSelect(plan, u))]);
}

/** The paged transaction's reply: every matching _uuid in order, and the full rows fetched by _uuid. */
export function pagedReply(plan: SelectPlan, stdout: string, guessed: number): { ids: string[]; rows: Map<string, unknown[]> } {
  const [idRows, ...pages] = rowsOfReply(stdout, 1 + guessed);
  const rows = new Map<string, unknown[]>();
  for (const p of pages)
    for (const r of p)
      rows.set(
        uuidOf(r),
        plan.headings.map((h) => r[h]),
      );
  return { ids: kept(plan, idRows).map(uuidOf), rows };
}

/** rowsTransaction's reply -> uuid -> row */
export function rowsReply(plan: SelectPlan, stdout: string, n: number): Map<string, unknown[]> {
  const rows = new Map<string, unknown[]>();
  for (const p of rowsOfReply(stdout, n))
    for (const r of p)
      rows.set(
        uuidOf(r),
        plan.headings.map((h) => r[h]),
      );
  return rows;
}

/**
 * A lower bound of one rendered record's bytes (ovn.ts renderRecord / JSON.stringify of recordOf), with its
 * separator: every value prints at least one character, a _uuid 36. A page of budget B holds at most
 * B / minRecordBytes records, so that many rows are all a paged read needs.
 */
export function minRecordBytes(headings: string[], format: 'text' | 'json' | undefined): number {
  if (format === 'json') return 2 + headings.reduce((n, h) => n + h.length + 4, 0) + 36 + 1;
  const width = Math.max(...headings.map((h) => h.length));
  return headings.length * (width + 4) + 36 + 1;
}
