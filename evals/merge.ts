/**
 * `netharness merge`: join result databases (the nightly job's shards, a laptop's runs) into one. Every table
 * that hangs off `runs` through foreign keys (found with PRAGMA foreign_key_list, so a table a later migration
 * adds is merged too) is copied: run ids are kept; integer row ids (trials, tool calls, scores, transcripts,
 * steps, findings, ...) are renumbered in the output and every reference to them follows. A run id that is
 * already in the output with different content is a conflict: nothing is written and the error names the run.
 * The same run twice with identical content (a shard merged again) is skipped. One transaction: all or nothing.
 */
import { existsSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import Database from 'better-sqlite3';
import { UsageError } from '../harness/errors.ts';
import { migrations } from '../harness/store/migrations.ts';
import { openStore } from '../harness/store/store.ts';

type Row = Record<string, unknown>;

interface TableInfo {
  name: string;
  columns: string[];
  /** the INTEGER PRIMARY KEY column that is renumbered ('id'), if any */
  rowId?: string;
  /** column -> referenced table */
  refs: Map<string, string>;
}

export interface MergeResult {
  out: string;
  inputs: { path: string; runs: number; skipped: number }[];
  runs: string[];
  rows: Record<string, number>;
  /** tables not reachable from runs (not merged), with their row counts in the inputs */
  notMerged: Record<string, number>;
}

function tables(db: Database.Database): Map<string, TableInfo> {
  const out = new Map<string, TableInfo>();
  const names = (
    db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != 'schema_version'").all() as {
      name: string;
    }[]
  ).map((r) => r.name);
  for (const name of names) {
    const cols = db.prepare(`PRAGMA table_info("${name}")`).all() as { name: string; type: string; pk: number }[];
    const pks = cols.filter((c) => c.pk > 0);
    const fks = db.prepare(`PRAGMA foreign_key_list("${name}")`).all() as { table: string; from: string }[];
    const rowId =
      pks.length === 1 && /^integer$/i.test(pks[0]!.type) && !fks.some((f) => f.from === pks[0]!.name) ? pks[0]!.name : undefined;
    out.set(name, { name, columns: cols.map((c) => c.name), rowId, refs: new Map(fks.map((f) => [f.from, f.table])) });
  }
  return out;
}

/** Tables reachable from runs, parents before children (a table is placed once all it references is). */
function mergeOrder(info: Map<string, TableInfo>): TableInfo[] {
  const placed = new Set<string>(['runs']);
  const order: TableInfo[] = [];
  let progress = true;
  while (progress) {
    progress = false;
    for (const t of info.values()) {
      if (placed.has(t.name) || !t.refs.size) continue;
      const parents = [...new Set(t.refs.values())].filter((p) => p !== t.name);
      if (parents.every((p) => placed.has(p)) && parents.some((p) => placed.has(p))) {
        placed.add(t.name);
        order.push(t);
        progress = true;
      }
    }
  }
  return order;
}

function schemaVersion(db: Database.Database, path: string): number {
  try {
    return (db.prepare('SELECT version FROM schema_version').get() as { version: number } | undefined)?.version ?? 0;
  } catch {
    throw new UsageError(`${path}: not a netharness results database (no schema_version table)`);
  }
}

const same = (a: Row, b: Row, cols: string[]) => cols.every((c) => a[c] === b[c]);

export function mergeDatabases(out: string, inputs: string[]): MergeResult {
  if (!inputs.length) throw new UsageError('<db...>: at least one input database');
  const outPath = resolve(out);
  const seen = new Set<string>();
  for (const p of inputs) {
    const abs = resolve(p);
    if (!existsSync(abs)) throw new UsageError(`<db>: no database at ${abs}`);
    if (abs === outPath) throw new UsageError(`<db>: ${abs} is also --out (merge into a new file, or leave it out of the inputs)`);
    if (seen.has(abs)) throw new UsageError(`<db>: ${abs} is given twice`);
    seen.add(abs);
  }
  const opened = inputs.map((p) => {
    const db = new Database(resolve(p), { readonly: true, fileMustExist: true });
    const v = schemaVersion(db, p);
    if (v !== migrations.length)
      throw new UsageError(
        `${p}: schema version ${v}, this netharness writes ${migrations.length}`,
        v < migrations.length
          ? 'open it once with this netharness (e.g. `netharness runs list --db <it>`) to migrate it'
          : 'upgrade netharness',
      );
    return { path: p, db };
  });
  // the output: created and migrated by the store, so it is a database every command opens; a new file is
  // removed again when the merge fails (nothing half-written)
  const created = !existsSync(outPath);
  openStore(outPath, { markCrashed: false }).close();
  const o = new Database(outPath);
  o.pragma('foreign_keys = ON');
  o.pragma('busy_timeout = 5000');
  const result: MergeResult = { out: outPath, inputs: [], runs: [], rows: {}, notMerged: {} };
  try {
    const info = tables(o);
    const order = mergeOrder(info);
    const merged = new Set(['runs', ...order.map((t) => t.name)]);
    const runCols = info.get('runs')!.columns;
    const insert = (t: TableInfo, cols: string[]) =>
      o.prepare(`INSERT INTO "${t.name}" (${cols.map((c) => `"${c}"`).join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`);
    o.transaction(() => {
      for (const { path, db } of opened) {
        const src = tables(db);
        for (const [name, t] of src)
          if (!merged.has(name)) {
            const n = (db.prepare(`SELECT COUNT(*) AS n FROM "${name}"`).get() as { n: number }).n;
            if (n && t) result.notMerged[name] = (result.notMerged[name] ?? 0) + n;
          }
        const runs = db.prepare('SELECT * FROM runs ORDER BY started_at, id').all() as Row[];
        const take = new Set<string>();
        let skipped = 0;
        for (const r of runs) {
          const existing = o.prepare('SELECT * FROM runs WHERE id = ?').get(r.id) as Row | undefined;
          if (existing) {
            if (same(existing, r, runCols)) {
              skipped++;
              continue;
            }
            throw new UsageError(
              `run ${String(r.id)} (${String(r.kind)} ${String(r.name)}) is in ${path} and already in the output with different content`,
              'a run id is unique: these are two different runs with one id, or a run continued after it was copied; merge the one you mean',
            );
          }
          insert(info.get('runs')!, runCols).run(...runCols.map((c) => r[c]));
          take.add(String(r.id));
          result.runs.push(String(r.id));
        }
        result.inputs.push({ path, runs: take.size, skipped });
        // old integer id -> new, per table
        const ids = new Map<string, Map<number, number>>();
        for (const t of order) {
          if (!src.has(t.name)) continue;
          const cols = t.columns.filter((c) => src.get(t.name)!.columns.includes(c));
          const rows = db.prepare(`SELECT * FROM "${t.name}"${t.rowId ? ` ORDER BY "${t.rowId}"` : ''}`).all() as Row[];
          const map = new Map<number, number>();
          ids.set(t.name, map);
          const valueCols = cols.filter((c) => c !== t.rowId);
          const stmt = insert(t, valueCols);
          let n = 0;
          for (const row of rows) {
            // only rows of the runs taken from this input (a skipped run's rows are already there)
            let keep = true;
            const values = valueCols.map((c) => {
              const ref = t.refs.get(c);
              const v = row[c];
              if (!ref || v === null || v === undefined) return v;
              if (ref === 'runs') {
                if (!take.has(String(v))) keep = false;
                return v;
              }
              const m = ref === t.name ? map : ids.get(ref);
              const nv = m?.get(Number(v));
              if (nv === undefined) keep = false;
              return nv;
            });
            if (!keep) continue;
            const r = stmt.run(...values);
            if (t.rowId) map.set(Number(row[t.rowId]), Number(r.lastInsertRowid));
            n++;
          }
          result.rows[t.name] = (result.rows[t.name] ?? 0) + n;
        }
      }
    })();
  } catch (err) {
    o.close();
    if (created) for (const f of [outPath, `${outPath}-wal`, `${outPath}-shm`]) rmSync(f, { force: true });
    throw err;
  } finally {
    if (o.open) o.close();
    for (const { db } of opened) db.close();
  }
  return result;
}
