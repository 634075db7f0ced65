/**
 * Desired vs actual NB rows -> minimal OVSDB operations (RFC 7047 transact ops). Pure.
 *
 * - new rows: insert with a uuid-name; the container (router/switch) gets the reference either in
 *   its own insert (new container) or through a mutate insert;
 * - changed scalar/map columns: update of just those columns;
 * - changed nexthops / addresses / networks / port_security sets: mutate insert/delete of the difference;
 * - gone child rows: mutate delete of the reference on the container (OVSDB garbage-collects the
 *   non-root row); gone root rows (routers, switches, address sets): delete.
 */
import { MODEL_COLUMNS, NB_TABLES, PARENT_OF, columnKind, parentKey, rowKey, type NbRow, type NbTable, type StrMap } from './nb-model.ts';

export type OvsdbAtom = string | number | boolean | ['uuid', string] | ['named-uuid', string];
export type OvsdbValue = OvsdbAtom | ['set', OvsdbAtom[]] | ['map', [OvsdbAtom, OvsdbAtom][]];
export type OvsdbCondition = [string, '==' | '!=' | 'includes' | 'excludes', OvsdbValue];
export type OvsdbMutation = [string, 'insert' | 'delete', OvsdbValue];

export type OvsdbOp =
  | { op: 'insert'; table: string; row: Record<string, OvsdbValue>; 'uuid-name'?: string }
  | { op: 'update'; table: string; where: OvsdbCondition[]; row: Record<string, OvsdbValue> }
  | { op: 'mutate'; table: string; where: OvsdbCondition[]; mutations: OvsdbMutation[] }
  | { op: 'delete'; table: string; where: OvsdbCondition[] }
  | { op: 'select'; table: string; where: OvsdbCondition[]; columns?: string[] }
  | { op: 'comment'; comment: string };

export interface ActualRow {
  uuid: string;
  row: NbRow;
}

export interface ActualState {
  rows: ActualRow[];
}

export interface DiffScope {
  /** Only rows (desired and actual) for which this returns true are compared. Containers are always looked up. */
  rows?: (r: NbRow) => boolean;
  /** Address_Set name -> the only addresses compared (per-pod events touch only the pod's IPs). */
  addressFilter?: Map<string, Set<string>>;
  /** Set false to never delete actual rows missing from desired (additive reconcile). Default true. */
  deleteUnknown?: boolean;
  /** LRP nexthops: never remove nexthops (only add). Fault hooks use this. */
  keepNexthops?: (r: NbRow, nexthop: string) => boolean;
  /** Actual rows that must be left alone (neither updated nor deleted). */
  keep?: (r: NbRow) => boolean;
}

export interface DiffResult {
  ops: OvsdbOp[];
  inserted: NbRow[];
  updated: NbRow[];
  deleted: ActualRow[];
}

// ---------- encoding ----------

function encodeColumn(table: NbTable, col: string, v: unknown): OvsdbValue {
  const kind = columnKind(table, col);
  switch (kind) {
    case 'scalar':
      return v as string | number;
    case 'optional':
      return v === undefined || v === '' ? ['set', []] : (v as string);
    case 'set':
      return ['set', [...((v as string[] | undefined) ?? [])]];
    case 'map':
      return [
        'map',
        Object.entries((v as Record<string, string | number> | undefined) ?? {}).map(([k, x]) => [k, x] as [string, string | number]),
      ];
  }
}

export function encodeRow(r: NbRow): Record<string, OvsdbValue> {
  const out: Record<string, OvsdbValue> = {};
  for (const c of MODEL_COLUMNS[r.table]) {
    const v = (r as unknown as Record<string, unknown>)[c];
    if (v === undefined && columnKind(r.table, c) !== 'optional') continue;
    if (columnKind(r.table, c) === 'optional' && (v === undefined || v === '')) continue;
    out[c] = encodeColumn(r.table, c, v);
  }
  return out;
}

// ---------- decoding (OVSDB JSON rows -> typed rows) ----------

type RawValue = unknown;
export type RawRow = Record<string, RawValue>;

function decodeSet(v: RawValue): RawValue[] {
  if (Array.isArray(v) && v[0] === 'set') return v[1] as RawValue[];
  if (v === undefined) return [];
  return [v];
}

function atom(v: RawValue): string {
  if (Array.isArray(v) && (v[0] === 'uuid' || v[0] === 'named-uuid')) return String(v[1]);
  return String(v);
}

function decodeMap(v: RawValue): StrMap {
  const out: StrMap = {};
  if (Array.isArray(v) && v[0] === 'map') for (const [k, x] of v[1] as [RawValue, RawValue][]) out[atom(k)] = atom(x);
  return out;
}

function decodeNumMap(v: RawValue): Record<string, number> {
  const out: Record<string, number> = {};
  if (Array.isArray(v) && v[0] === 'map') for (const [k, x] of v[1] as [RawValue, RawValue][]) out[atom(k)] = Number(x);
  return out;
}

function optional(v: RawValue): string | undefined {
  const s = decodeSet(v);
  return s.length ? atom(s[0]) : undefined;
}

const str = (v: RawValue): string => (v === undefined ? '' : atom(v));

/** Set columns of the containers that hold child rows (Logical_Router.nat, Logical_Switch.ports, ...). */
export const CONTAINER_COLUMNS: Record<'Logical_Router' | 'Logical_Switch', string[]> = {
  Logical_Router: ['ports', 'policies', 'nat', 'static_routes'],
  Logical_Switch: ['ports', 'qos_rules'],
};

/** The uuids a container row's set column holds. */
export function refsOf(r: RawRow, column: string): string[] {
  return decodeSet(r[column]).map(atom);
}

/** The `_uuid` of a raw row (as select returns it). */
export function uuidOf(r: RawRow): string {
  return atom(r._uuid);
}

/**
 * One typed row from its raw OVSDB columns. `parent` is the container's name for child tables
 * (undefined: an orphan child row, which is ignored like ovnkube's cache ignores it).
 */
export function decodeRow(t: NbTable, r: RawRow, parent: string | undefined): NbRow | undefined {
  const ext = decodeMap(r.external_ids);
  switch (t) {
    case 'Logical_Router':
      return { table: t, name: str(r.name), options: decodeMap(r.options), external_ids: ext };
    case 'Logical_Switch':
      return { table: t, name: str(r.name), other_config: decodeMap(r.other_config), external_ids: ext };
    case 'Address_Set':
      return { table: t, name: str(r.name), addresses: decodeSet(r.addresses).map(atom).sort(), external_ids: ext };
  }
  if (parent === undefined) return undefined;
  switch (t) {
    case 'Logical_Router_Port':
      return {
        table: t,
        router: parent,
        name: str(r.name),
        mac: str(r.mac),
        networks: decodeSet(r.networks).map(atom),
        peer: optional(r.peer),
        options: decodeMap(r.options),
        external_ids: ext,
      };
    case 'Logical_Switch_Port':
      return {
        table: t,
        switch: parent,
        name: str(r.name),
        type: str(r.type),
        addresses: decodeSet(r.addresses).map(atom),
        port_security: decodeSet(r.port_security).map(atom),
        options: decodeMap(r.options),
        external_ids: ext,
      };
    case 'NAT':
      return {
        table: t,
        router: parent,
        type: str(r.type) as 'snat',
        external_ip: str(r.external_ip),
        logical_ip: str(r.logical_ip),
        logical_port: optional(r.logical_port),
        external_port_range: str(r.external_port_range),
        options: decodeMap(r.options),
        external_ids: ext,
      };
    case 'Logical_Router_Policy':
      return {
        table: t,
        router: parent,
        priority: Number(r.priority),
        match: str(r.match),
        action: str(r.action) as 'allow',
        nexthops: decodeSet(r.nexthops).map(atom),
        options: decodeMap(r.options),
        external_ids: ext,
      };
    case 'Logical_Router_Static_Route':
      return {
        table: t,
        router: parent,
        ip_prefix: str(r.ip_prefix),
        nexthop: str(r.nexthop),
        policy: optional(r.policy) as 'src-ip' | undefined,
        output_port: optional(r.output_port),
        external_ids: ext,
      };
    case 'QoS':
      return {
        table: t,
        switch: parent,
        priority: Number(r.priority),
        direction: str(r.direction) as 'from-lport',
        match: str(r.match),
        action: decodeNumMap(r.action),
        external_ids: ext,
      };
  }
}

/** Build typed actual rows from raw `select` results of the model tables. Orphan child rows are ignored. */
export function decodeActual(raw: Partial<Record<NbTable, RawRow[]>>): ActualState {
  const parentOf = new Map<string, string>(); // child uuid -> container name
  for (const t of ['Logical_Router', 'Logical_Switch'] as const) {
    for (const r of raw[t] ?? []) {
      const name = str(r.name);
      for (const c of CONTAINER_COLUMNS[t]) for (const u of refsOf(r, c)) parentOf.set(`${t}.${c}.${u}`, name);
    }
  }
  const rows: ActualRow[] = [];
  for (const t of NB_TABLES) {
    const p = PARENT_OF[t];
    for (const r of raw[t] ?? []) {
      const uuid = uuidOf(r);
      const row = decodeRow(t, r, p ? parentOf.get(`${p.table}.${p.column}.${uuid}`) : undefined);
      if (row) rows.push({ uuid, row });
    }
  }
  return { rows };
}

// ---------- comparison ----------

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const s = new Set(a);
  return b.every((x) => s.has(x));
}

function sameMap(a: Record<string, unknown> | undefined, b: Record<string, unknown> | undefined): boolean {
  const ka = Object.keys(a ?? {});
  const kb = Object.keys(b ?? {});
  if (ka.length !== kb.length) return false;
  return ka.every((k) => String((a ?? {})[k]) === String((b ?? {})[k]));
}

function columnEqual(table: NbTable, col: string, d: unknown, a: unknown): boolean {
  switch (columnKind(table, col)) {
    case 'set':
      return sameSet((d as string[] | undefined) ?? [], (a as string[] | undefined) ?? []);
    case 'map':
      return sameMap(d as Record<string, unknown>, a as Record<string, unknown>);
    case 'optional':
      return (d ?? '') === (a ?? '');
    default:
      return String(d) === String(a);
  }
}

/** Set columns that are maintained with mutate insert/delete. */
const MUTATED_SETS = new Set(['nexthops', 'addresses']);

export function diffRows(desired: NbRow[], actual: ActualState, scope: DiffScope = {}): DiffResult {
  const inScope = scope.rows ?? (() => true);
  const ops: OvsdbOp[] = [];
  const inserted: NbRow[] = [];
  const updated: NbRow[] = [];
  const deleted: ActualRow[] = [];

  // containers (always looked up, whatever the scope)
  const containerUuid = new Map<string, string>();
  const actualByKey = new Map<string, ActualRow[]>();
  for (const a of actual.rows) {
    const k = rowKey(a.row);
    if (a.row.table === 'Logical_Router' || a.row.table === 'Logical_Switch') {
      if (!containerUuid.has(k)) containerUuid.set(k, a.uuid);
    }
    if (!inScope(a.row)) continue;
    const l = actualByKey.get(k);
    if (l) l.push(a);
    else actualByKey.set(k, [a]);
  }

  let seq = 0;
  const newContainers = new Map<string, { op: Extract<OvsdbOp, { op: 'insert' }> }>();
  const childInserts = new Map<string, Map<string, ['named-uuid', string][]>>(); // parentKey -> column -> refs
  const childDeletes = new Map<string, Map<string, ['uuid', string][]>>();
  const addRef = <T>(m: Map<string, Map<string, T[]>>, pk: string, col: string, ref: T): void => {
    let byCol = m.get(pk);
    if (!byCol) m.set(pk, (byCol = new Map()));
    const l = byCol.get(col);
    if (l) l.push(ref);
    else byCol.set(col, [ref]);
  };

  const seen = new Set<string>();
  const desiredContainers: NbRow[] = [];
  const desiredChildren: NbRow[] = [];
  for (const d of desired) {
    if (d.table === 'Logical_Router' || d.table === 'Logical_Switch') desiredContainers.push(d);
    else desiredChildren.push(d);
  }
  // containers that children need must exist even when out of scope
  const neededContainers = new Set(
    desiredChildren
      .filter(inScope)
      .map((c) => parentKey(c))
      .filter((x): x is string => !!x),
  );

  const handle = (d: NbRow, forced: boolean): void => {
    const k = rowKey(d);
    if (seen.has(k)) return;
    seen.add(k);
    if (!forced && !inScope(d)) return;
    const existing = actualByKey.get(k) ?? [];
    if (existing.length === 0) {
      if (forced && containerUuid.has(k)) return;
      const name = `r${seq++}`;
      const op: Extract<OvsdbOp, { op: 'insert' }> = { op: 'insert', table: d.table, row: encodeRow(d), 'uuid-name': name };
      ops.push(op);
      inserted.push(d);
      if (d.table === 'Logical_Router' || d.table === 'Logical_Switch') {
        newContainers.set(k, { op });
      } else {
        const p = PARENT_OF[d.table];
        const pk = parentKey(d);
        if (p && pk) addRef(childInserts, pk, p.column, ['named-uuid', name]);
      }
      return;
    }
    const [a, ...dups] = existing;
    if (scope.deleteUnknown !== false) for (const x of dups) if (!scope.keep?.(x.row)) deleteRow(x);
    if (scope.keep?.(a.row)) return;
    const row: Record<string, OvsdbValue> = {};
    const mutations: OvsdbMutation[] = [];
    for (const c of MODEL_COLUMNS[d.table]) {
      const dv = (d as unknown as Record<string, unknown>)[c];
      const av = (a.row as unknown as Record<string, unknown>)[c];
      const filter = d.table === 'Address_Set' && c === 'addresses' ? scope.addressFilter?.get(d.name) : undefined;
      if (filter) {
        const dset = new Set((dv as string[]).filter((x) => filter.has(x)));
        const aset = new Set((av as string[]).filter((x) => filter.has(x)));
        const ins = [...dset].filter((x) => !aset.has(x));
        const del = [...aset].filter((x) => !dset.has(x));
        if (ins.length) mutations.push([c, 'insert', ['set', ins]]);
        if (del.length) mutations.push([c, 'delete', ['set', del]]);
        continue;
      }
      if (columnEqual(d.table, c, dv, av)) continue;
      if (MUTATED_SETS.has(c)) {
        const dset = new Set((dv as string[] | undefined) ?? []);
        const aset = new Set((av as string[] | undefined) ?? []);
        const ins = [...dset].filter((x) => !aset.has(x));
        const del = [...aset].filter((x) => !dset.has(x) && !(c === 'nexthops' && scope.keepNexthops?.(a.row, x)));
        if (ins.length) mutations.push([c, 'insert', ['set', ins]]);
        if (del.length) mutations.push([c, 'delete', ['set', del]]);
        continue;
      }
      row[c] = encodeColumn(d.table, c, dv);
      if (columnKind(d.table, c) === 'optional' && (dv === undefined || dv === '')) row[c] = ['set', []];
    }
    const where: OvsdbCondition[] = [['_uuid', '==', ['uuid', a.uuid]]];
    if (Object.keys(row).length) ops.push({ op: 'update', table: d.table, where, row });
    if (mutations.length) ops.push({ op: 'mutate', table: d.table, where, mutations });
    if (Object.keys(row).length || mutations.length) updated.push(d);
  };

  const deleteRow = (a: ActualRow): void => {
    deleted.push(a);
    const p = PARENT_OF[a.row.table];
    if (!p) {
      ops.push({ op: 'delete', table: a.row.table, where: [['_uuid', '==', ['uuid', a.uuid]]] });
      return;
    }
    const pk = parentKey(a.row);
    if (pk) addRef(childDeletes, pk, p.column, ['uuid', a.uuid]);
  };

  for (const d of desiredContainers) handle(d, neededContainers.has(rowKey(d)));
  for (const d of desiredChildren) handle(d, false);

  if (scope.deleteUnknown !== false) {
    for (const [k, list] of actualByKey) {
      if (seen.has(k)) continue;
      for (const a of list) if (!scope.keep?.(a.row)) deleteRow(a);
    }
  }
  // deleted containers: drop their child deletes (GC handles them)
  const deletedContainers = new Set(deleted.filter((d) => !PARENT_OF[d.row.table]).map((d) => rowKey(d.row)));

  for (const [pk, byCol] of childInserts) {
    const nc = newContainers.get(pk);
    for (const [col, refs] of byCol) {
      if (nc) {
        nc.op.row[col] = ['set', refs];
        continue;
      }
      const uuid = containerUuid.get(pk);
      if (!uuid) continue; // container not desired and not present: cannot attach
      ops.push({
        op: 'mutate',
        table: pk.split('|')[0],
        where: [['_uuid', '==', ['uuid', uuid]]],
        mutations: [[col, 'insert', ['set', refs]]],
      });
    }
  }
  for (const [pk, byCol] of childDeletes) {
    if (deletedContainers.has(pk)) continue;
    const uuid = containerUuid.get(pk);
    if (!uuid) continue;
    for (const [col, refs] of byCol)
      ops.push({
        op: 'mutate',
        table: pk.split('|')[0],
        where: [['_uuid', '==', ['uuid', uuid]]],
        mutations: [[col, 'delete', ['set', refs]]],
      });
  }
  return { ops, inserted, updated, deleted };
}
