/**
 * The zone controller's in-memory copy of its NB, kept current by an OVSDB `monitor` (RFC 7047
 * §4.1.5/§4.1.6) the way ovnkube's libovsdb client cache is: the monitor's initial reply fills it,
 * each `update` notification applies the row changes (ours and anyone's, e.g. ovn-nbctl by hand).
 * Pure: no I/O; nb-conn.ts feeds it.
 *
 * Rows are decoded once, when they change. A child row (NAT, Logical_Router_Policy, ...) is known
 * by the container whose set column references it; it is re-decoded when that reference moves, and
 * an unreferenced child is left out, as decodeActual leaves it out of a full read.
 *
 * Snapshots are immutable: an update replaces ActualRow objects instead of changing them, so a
 * reconcile keeps a consistent view while notifications arrive during its transact.
 */
import { CONTAINER_COLUMNS, decodeRow, refsOf, type ActualRow, type ActualState, type RawRow } from './diff.ts';
import { NB_TABLES, PARENT_OF, type NbTable } from './nb-model.ts';

/** One row's change in a monitor reply / `update` notification: old and/or new column values. */
export interface RowUpdate {
  old?: RawRow;
  new?: RawRow;
}

/** table -> uuid -> change (RFC 7047 <table-updates>). */
export type TableUpdates = Record<string, Record<string, RowUpdate> | undefined>;

type Container = 'Logical_Router' | 'Logical_Switch';
const CONTAINERS: readonly Container[] = ['Logical_Router', 'Logical_Switch'];
const isContainer = (t: string): t is Container => t === 'Logical_Router' || t === 'Logical_Switch';
const MODEL = new Set<string>(NB_TABLES);

/** `${containerTable}.${column}.${childUuid}`: the key decodeActual uses for a child's parent. */
const refKey = (t: Container, col: string, child: string): string => `${t}.${col}.${child}`;

/** Child table of each container column. */
const CHILD_OF_COLUMN = new Map<string, NbTable>();
for (const t of NB_TABLES) {
  const p = PARENT_OF[t];
  if (p) CHILD_OF_COLUMN.set(`${p.table}.${p.column}`, t);
}

export interface NbCacheStats {
  /** initial replies applied (1 + one per re-monitor) */
  resets: number;
  /** `update` notifications applied */
  updates: number;
  /** row changes applied (insert + modify + delete) */
  rowChanges: number;
}

export class NbCache {
  private readonly raw = new Map<NbTable, Map<string, RawRow>>();
  private readonly decoded = new Map<NbTable, Map<string, ActualRow>>();
  /** refKey -> container name */
  private readonly parentOf = new Map<string, string>();
  private snap: ActualState | undefined;
  readonly stats: NbCacheStats = { resets: 0, updates: 0, rowChanges: 0 };

  constructor() {
    for (const t of NB_TABLES) {
      this.raw.set(t, new Map());
      this.decoded.set(t, new Map());
    }
  }

  /** Drop everything and load a monitor's initial reply (a new monitor after a reconnect). */
  reset(initial: TableUpdates): void {
    for (const t of NB_TABLES) {
      this.raw.get(t)?.clear();
      this.decoded.get(t)?.clear();
    }
    this.parentOf.clear();
    this.stats.resets++;
    this.applyChanges(initial);
  }

  /** Apply one `update` notification. */
  apply(updates: TableUpdates): void {
    this.stats.updates++;
    this.applyChanges(updates);
  }

  /** Every decoded row, in table order (like decodeActual of a full read). The same object until the next change. */
  snapshot(): ActualState {
    if (!this.snap) {
      const rows: ActualRow[] = [];
      for (const t of NB_TABLES) for (const a of this.decoded.get(t)?.values() ?? []) rows.push(a);
      this.snap = { rows };
    }
    return this.snap;
  }

  /** Raw columns of a row (tests, debugging). */
  rawRow(table: NbTable, uuid: string): RawRow | undefined {
    return this.raw.get(table)?.get(uuid);
  }

  private applyChanges(updates: TableUpdates): void {
    const dirty = new Map<NbTable, Set<string>>();
    const mark = (t: NbTable, uuid: string): void => {
      let s = dirty.get(t);
      if (!s) dirty.set(t, (s = new Set()));
      s.add(uuid);
    };
    // containers first: their set columns say where every child belongs
    for (const t of CONTAINERS) {
      for (const [uuid, u] of Object.entries(updates[t] ?? {})) {
        const before = this.raw.get(t)?.get(uuid);
        const after = this.merge(t, uuid, before, u);
        this.relink(t, before, after, mark);
        mark(t, uuid);
      }
    }
    for (const [table, rows] of Object.entries(updates)) {
      if (isContainer(table) || !MODEL.has(table) || !rows) continue;
      const t = table as NbTable;
      for (const [uuid, u] of Object.entries(rows)) {
        this.merge(t, uuid, this.raw.get(t)?.get(uuid), u);
        mark(t, uuid);
      }
    }
    if (dirty.size === 0) return;
    this.snap = undefined;
    for (const [t, uuids] of dirty) {
      const raws = this.raw.get(t);
      const out = this.decoded.get(t);
      if (!raws || !out) continue;
      const p = PARENT_OF[t];
      for (const uuid of uuids) {
        const r = raws.get(uuid);
        const row = r && decodeRow(t, r, p ? this.parentOf.get(refKey(p.table, p.column, uuid)) : undefined);
        if (row) out.set(uuid, { uuid, row });
        else out.delete(uuid);
      }
    }
  }

  /** Stores the row's new raw columns (monitor v1 sends all monitored columns; merged anyway). Returns them. */
  private merge(t: NbTable, uuid: string, before: RawRow | undefined, u: RowUpdate): RawRow | undefined {
    const m = this.raw.get(t);
    if (!m) return undefined;
    this.stats.rowChanges++;
    if (!u.new) {
      m.delete(uuid);
      return undefined;
    }
    const after: RawRow = before ? { ...before, ...u.new, _uuid: ['uuid', uuid] } : { ...u.new, _uuid: ['uuid', uuid] };
    m.set(uuid, after);
    return after;
  }

  /** A container changed: move its children's parent links and mark the children whose parent changed. */
  private relink(t: Container, before: RawRow | undefined, after: RawRow | undefined, mark: (t: NbTable, uuid: string) => void): void {
    const oldName = before ? String(before.name ?? '') : undefined;
    const newName = after ? String(after.name ?? '') : undefined;
    for (const col of CONTAINER_COLUMNS[t]) {
      const child = CHILD_OF_COLUMN.get(`${t}.${col}`);
      if (!child) continue;
      const was = new Set(before ? refsOf(before, col) : []);
      const now = new Set(after ? refsOf(after, col) : []);
      for (const u of was) {
        if (now.has(u) && oldName === newName) continue;
        const k = refKey(t, col, u);
        if (!now.has(u) && this.parentOf.get(k) === oldName) this.parentOf.delete(k);
        mark(child, u);
      }
      for (const u of now) {
        if (was.has(u) && oldName === newName) continue;
        this.parentOf.set(refKey(t, col, u), newName ?? '');
        mark(child, u);
      }
    }
  }
}
