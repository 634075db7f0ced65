/**
 * The one NB reader of the EgressIP check, shared by `check egressip` and the MCP server's
 * egressip_consistency_check: ONE exec per node of ovn-nbctl (no shell, so the MCP argv guard allows it),
 * four `list` commands chained with `--` in one transaction (ovn-nbctl(8), "Command syntax"; per-command
 * `--columns`), each table printed as one `--format=json` document per line (openvswitch/ovs lib/table.c).
 *
 * The parse goes straight from the JSON cells to typed rows: column positions are looked up once per
 * table, cells are decoded in place (no intermediate row records, no decoded-cell arrays), and the dump is
 * split by scanning for newlines instead of split()/trim() copies.
 */
import { InfraError } from '../../errors.ts';
import { mapLimit } from '../../concurrency.ts';
import { OvsdbParseError } from './ovsdb-json.ts';
import type { AddressSetRow, ApiState, NatRow, NodeDump, PolicyRow } from './model.ts';

/** The columns the check reads, per table (the argv asks for exactly these). */
export const NB_COLUMNS = {
  NAT: ['_uuid', 'type', 'external_ip', 'logical_ip', 'logical_port', 'external_ids'],
  Logical_Router_Policy: ['_uuid', 'priority', 'match', 'action', 'nexthops', 'external_ids', 'options'],
  Address_Set: ['_uuid', 'name', 'addresses', 'external_ids'],
  Logical_Router: ['_uuid', 'name', 'nat', 'policies'],
} as const;
type NbTable = keyof typeof NB_COLUMNS;
/** Output order of NB_READ_ARGV. */
const TABLE_ORDER: readonly NbTable[] = ['NAT', 'Logical_Router_Policy', 'Address_Set', 'Logical_Router'];

/** The one exec per node: `ovn-nbctl --format=json -- --columns=... list NAT -- ... list Logical_Router`. */
export const NB_READ_ARGV: readonly string[] = [
  'ovn-nbctl',
  '--format=json',
  ...TABLE_ORDER.flatMap((t) => ['--', `--columns=${NB_COLUMNS[t].join(',')}`, 'list', t]),
];

/** Separator of the old shell dump (kept for bundles and synthetic dumps that use it). */
export const DUMP_SEPARATOR = '=====netharness-nb-dump=====';

/** The old shell form of the same read (bundles and benches that compare; the check runs NB_READ_ARGV). */
export const NB_DUMP_SCRIPT = TABLE_ORDER.map((t) => `ovn-nbctl --format=json --columns=${NB_COLUMNS[t].join(',')} list ${t}`).join(
  `; echo ${DUMP_SEPARATOR}; `,
);

export function nbDumpCommand(): string[] {
  return ['sh', '-c', `set -e; ${NB_DUMP_SCRIPT}`];
}

// ---------- cell decoding, straight to the typed field ----------

function badAtom(v: unknown): never {
  throw new OvsdbParseError(`unexpected OVSDB atom ${JSON.stringify(v)?.slice(0, 80)}`);
}

/** An atom as text: a bare scalar or ["uuid"|"named-uuid", "<id>"]. */
function atomText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v) && v.length === 2 && (v[0] === 'uuid' || v[0] === 'named-uuid') && typeof v[1] === 'string') return v[1];
  return badAtom(v);
}

function isTagged(v: unknown, tag: string): v is [string, unknown[]] {
  return Array.isArray(v) && v.length === 2 && v[0] === tag && Array.isArray(v[1]);
}

/** A scalar column (or an optional one: a 0/1-element set): its text, '' when empty or a map. */
function cellText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === undefined) return '';
  if (isTagged(v, 'set')) {
    const s = v[1];
    for (const x of s) atomText(x);
    return s.length ? atomText(s[0]) : '';
  }
  if (isTagged(v, 'map')) {
    cellMap(v);
    return '';
  }
  return atomText(v);
}

function cellNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (isTagged(v, 'set') && typeof v[1][0] === 'number') return v[1][0];
  const n = Number(cellText(v));
  return Number.isFinite(n) ? n : 0;
}

/** A set column: a bare atom is a 1-element set. */
function cellList(v: unknown): string[] {
  if (v === undefined || v === '') return [];
  if (isTagged(v, 'set')) {
    const s = v[1];
    const out = new Array<string>(s.length);
    for (let i = 0; i < s.length; i++) out[i] = atomText(s[i]);
    return out;
  }
  if (isTagged(v, 'map')) {
    cellMap(v);
    return [];
  }
  return [atomText(v)];
}

const EMPTY_PAIRS: unknown[] = [];

function cellMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isTagged(v, 'map')) {
    if (v !== undefined) cellText(v); // validate the atoms as the cell decoder does
    return out;
  }
  const pairs = v[1] ?? EMPTY_PAIRS;
  for (const pair of pairs) {
    if (!Array.isArray(pair) || pair.length !== 2) throw new OvsdbParseError(`bad OVSDB map pair ${JSON.stringify(pair)?.slice(0, 80)}`);
    out[atomText(pair[0])] = atomText(pair[1]);
  }
  return out;
}

// ---------- tables ----------

interface RawTable {
  headings: string[];
  data: unknown[][];
}

function rawTable(text: string, table: string): RawTable {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new OvsdbParseError(`${table}: not JSON: ${(err as Error).message}; output starts: ${text.trim().slice(0, 120)}`);
  }
  const t = doc as Partial<RawTable> | null;
  if (!t || !Array.isArray(t.headings) || !Array.isArray(t.data))
    throw new OvsdbParseError(`${table}: expected {"data":[...],"headings":[...]}`);
  const n = t.headings.length;
  for (const row of t.data)
    if (!Array.isArray(row) || row.length !== n)
      throw new OvsdbParseError(`${table}: row with ${Array.isArray(row) ? row.length : '?'} cells for ${n} headings`);
  return t as RawTable;
}

/** Column position by name (-1: not printed; its cells read as empty). */
function columns(t: RawTable): (name: string) => number {
  return (name) => t.headings.indexOf(name);
}

const cell = (row: unknown[], i: number): unknown => (i < 0 ? undefined : row[i]);

interface RouterRefs {
  natRouter: Map<string, string>;
  policyRouter: Map<string, string>;
}

function routerRefsOf(t: RawTable): RouterRefs {
  const col = columns(t);
  const [name, nat, policies] = [col('name'), col('nat'), col('policies')];
  const natRouter = new Map<string, string>();
  const policyRouter = new Map<string, string>();
  for (const row of t.data) {
    const n = cellText(cell(row, name));
    for (const u of cellList(cell(row, nat))) natRouter.set(u, n);
    for (const u of cellList(cell(row, policies))) policyRouter.set(u, n);
  }
  return { natRouter, policyRouter };
}

function natRows(t: RawTable): NatRow[] {
  const col = columns(t);
  const [uuid, type, ext, lip, port, ids] = ['_uuid', 'type', 'external_ip', 'logical_ip', 'logical_port', 'external_ids'].map(col);
  const out = new Array<NatRow>(t.data.length);
  for (let i = 0; i < t.data.length; i++) {
    const r = t.data[i];
    const u = cellText(cell(r, uuid));
    out[i] = {
      uuid: u,
      type: cellText(cell(r, type)),
      external_ip: cellText(cell(r, ext)),
      logical_ip: cellText(cell(r, lip)),
      logical_port: cellText(cell(r, port)),
      external_ids: cellMap(cell(r, ids)),
      router: '',
    };
  }
  return out;
}

function policyRows(t: RawTable): PolicyRow[] {
  const col = columns(t);
  const [uuid, prio, match, action, nexthops, nexthop, ids, options] = [
    '_uuid',
    'priority',
    'match',
    'action',
    'nexthops',
    'nexthop',
    'external_ids',
    'options',
  ].map(col);
  const out = new Array<PolicyRow>(t.data.length);
  // a node's reroutes share a few nexthop sets (the egress nodes' IPs): one frozen array per distinct single
  // nexthop instead of one per row, so the rows hold less and the diff compares strings that stay in cache
  const single = new Map<string, readonly string[]>();
  for (let i = 0; i < t.data.length; i++) {
    const r = t.data[i];
    const u = cellText(cell(r, uuid));
    let nh: readonly string[] = cellList(cell(r, nexthops));
    if (nh.length === 1) {
      const hit = single.get(nh[0]);
      if (hit) nh = hit;
      else single.set(nh[0], (nh = Object.freeze(nh as string[])));
    }
    out[i] = {
      uuid: u,
      priority: cellNumber(cell(r, prio)),
      match: cellText(cell(r, match)),
      action: cellText(cell(r, action)),
      // the old single `nexthop` column when `nexthops` is empty
      nexthops: nh.length || nexthop < 0 ? nh : cellList(r[nexthop]),
      external_ids: cellMap(cell(r, ids)),
      options: cellMap(cell(r, options)),
      router: '',
    };
  }
  return out;
}

function addressSetRows(t: RawTable): AddressSetRow[] {
  const col = columns(t);
  const [uuid, name, addresses, ids] = ['_uuid', 'name', 'addresses', 'external_ids'].map(col);
  const out = new Array<AddressSetRow>(t.data.length);
  for (let i = 0; i < t.data.length; i++) {
    const r = t.data[i];
    out[i] = {
      uuid: cellText(cell(r, uuid)),
      name: cellText(cell(r, name)),
      addresses: cellList(cell(r, addresses)),
      external_ids: cellMap(cell(r, ids)),
    };
  }
  return out;
}

/** The four table texts: one JSON document per non-blank line (NB_READ_ARGV), or the old separated shell output. */
function dumpParts(stdout: string): string[] {
  const sep = stdout.indexOf(DUMP_SEPARATOR) >= 0 ? DUMP_SEPARATOR : '\n';
  const parts: string[] = [];
  let from = 0;
  for (;;) {
    const at = stdout.indexOf(sep, from);
    const end = at < 0 ? stdout.length : at;
    // JSON strings escape newlines, so a raw newline only ends a document; skip blank pieces
    let a = from;
    while (a < end && stdout.charCodeAt(a) <= 32) a++;
    if (a < end || sep !== '\n') parts.push(stdout.slice(a, end));
    if (at < 0) break;
    from = at + sep.length;
  }
  return parts;
}

/**
 * One node's dump, table by table in NB_READ_ARGV's order: each table's typed rows are built as its document
 * arrives; the routers of the NAT and policy rows are filled in when Logical_Router (the last table) is in.
 */
class NodeDumpBuilder {
  private n = 0;
  private nat: NatRow[] = [];
  private policies: PolicyRow[] = [];
  private addressSets: AddressSetRow[] = [];
  private refs?: RouterRefs;
  constructor(readonly node: string) {}

  table(text: string): void {
    const i = this.n++;
    if (i >= TABLE_ORDER.length) throw new OvsdbParseError(`expected ${TABLE_ORDER.length} tables in the NB dump, got more`);
    const name = TABLE_ORDER[i];
    const t = rawTable(text, name);
    if (name === 'NAT') this.nat = natRows(t);
    else if (name === 'Logical_Router_Policy') this.policies = policyRows(t);
    else if (name === 'Address_Set') this.addressSets = addressSetRows(t);
    else this.refs = routerRefsOf(t);
  }

  done(): NodeDump {
    if (this.n !== TABLE_ORDER.length || !this.refs)
      throw new OvsdbParseError(`expected ${TABLE_ORDER.length} tables in the NB dump, got ${this.n}`);
    const { natRouter, policyRouter } = this.refs;
    for (const r of this.nat) r.router = natRouter.get(r.uuid) ?? '';
    for (const r of this.policies) r.router = policyRouter.get(r.uuid) ?? '';
    return { node: this.node, nat: this.nat, policies: this.policies, addressSets: this.addressSets };
  }
}

/** Parse the output of NB_READ_ARGV (or nbDumpCommand()) into typed rows. */
export function parseNodeDump(node: string, stdout: string): NodeDump {
  const parts = dumpParts(stdout);
  if (parts.length !== TABLE_ORDER.length)
    throw new OvsdbParseError(`node ${node}: expected ${TABLE_ORDER.length} tables in the NB dump, got ${parts.length}`);
  const b = new NodeDumpBuilder(node);
  for (const p of parts) b.table(p);
  return b.done();
}

const NEWLINE = 0x0a;

/** Only blanks (JSON whitespace) in b[from, to)? */
function blank(b: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = b[i];
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d && c !== NEWLINE) return false;
  }
  return true;
}

/**
 * NB_READ_ARGV's output parsed as it streams in from the exec, chunk by chunk: ovn-nbctl prints one JSON
 * document per table per line (a raw newline only ends a document: JSON strings escape theirs), so each line
 * is decoded and parsed when its newline arrives, while the next table is still being read. No string of the
 * whole dump is built: a line within one chunk is decoded in place, a line spread over chunks is joined from
 * its own pieces only (which also keeps a multi-byte UTF-8 character split across chunks whole).
 *
 * push() never throws: the first error is kept, later input ignored, and done() throws it.
 */
export class NbDumpStream {
  private pieces: Buffer[] = [];
  private builder: NodeDumpBuilder;
  private error?: Error;
  /** bytes received (for messages) */
  bytes = 0;
  constructor(readonly node: string) {
    this.builder = new NodeDumpBuilder(node);
  }

  push(chunk: Buffer): void {
    this.bytes += chunk.length;
    if (this.error) return;
    try {
      let from = 0;
      for (;;) {
        const nl = chunk.indexOf(NEWLINE, from);
        if (nl < 0) {
          if (from < chunk.length) this.pieces.push(chunk.subarray(from));
          return;
        }
        if (this.pieces.length) {
          this.pieces.push(chunk.subarray(from, nl));
          const line = Buffer.concat(this.pieces);
          this.pieces = [];
          this.line(line, 0, line.length);
        } else this.line(chunk, from, nl);
        from = nl + 1;
      }
    } catch (err) {
      this.error = err as Error;
      this.pieces = [];
    }
  }

  private line(b: Buffer, from: number, to: number): void {
    if (blank(b, from, to)) return;
    this.builder.table(b.toString('utf8', from, to));
  }

  /** The node's rows; throws the first parse error, or an error for output that ended early. */
  done(): NodeDump {
    if (!this.error && this.pieces.length) {
      // the last document without its newline (or a cut-off one: then JSON.parse says so)
      const rest = Buffer.concat(this.pieces);
      this.pieces = [];
      try {
        this.line(rest, 0, rest.length);
      } catch (err) {
        this.error = err as Error;
      }
    }
    if (this.error) throw this.error;
    return this.builder.done();
  }
}

// ---------- the source abstraction: the same read from a Cluster or from the MCP server's target ----------

/** Where the check reads from: the API state, which nodes have an NB, and one NB exec per node. */
export interface EgressIPSource {
  /** a short name for errors (`cluster https://...`, `bundle /path`) */
  where: string;
  readApi(): Promise<ApiState>;
  /** the nodes whose NB can be read (a node of the API missing here is an infra error) */
  nbNodes(): Promise<string[]>;
  /** run NB_READ_ARGV (or any read-only argv) in that node's nbdb container; stdout on exit 0, else throws */
  execNb(node: string, argv: readonly string[], timeoutMs: number): Promise<string>;
  /**
   * the same exec, handing stdout over chunk by chunk as it arrives (resolves on exit 0, else throws); when a
   * source has it, readNbFrom parses each dump while it streams (NbDumpStream) instead of from one string
   */
  execNbStream?(node: string, argv: readonly string[], timeoutMs: number, onStdout: (chunk: Buffer) => void): Promise<void>;
}

/** NB rows of `nodes` from any source, one exec each, each dump parsed as it streams in (overlapping the other execs). */
export async function readNbFrom(
  src: EgressIPSource,
  nodes: readonly string[],
  opts: { concurrency?: number; timeoutMs?: number } = {},
): Promise<Map<string, NodeDump>> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const bad = (node: string, err: unknown, bytes?: number): InfraError =>
    new InfraError(
      `cannot parse the NB dump of node ${node} (${src.where}${bytes === undefined ? '' : `, ${bytes} bytes read`}): ${(err as Error).message}`,
      `run \`ovn-nbctl --format=json list NAT\` in that node's nbdb container and check that it prints one JSON document`,
    );
  const dumps = await mapLimit(nodes, opts.concurrency ?? 8, async (node) => {
    if (src.execNbStream) {
      const stream = new NbDumpStream(node);
      await src.execNbStream(node, NB_READ_ARGV, timeoutMs, (c) => stream.push(c));
      try {
        return stream.done();
      } catch (err) {
        throw bad(node, err, stream.bytes);
      }
    }
    const text = await src.execNb(node, NB_READ_ARGV, timeoutMs);
    try {
      return parseNodeDump(node, text);
    } catch (err) {
      throw bad(node, err);
    }
  });
  return new Map(dumps.map((d) => [d.node, d]));
}
