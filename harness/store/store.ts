/**
 * The results database: one SQLite file (WAL), versioned migrations, a small typed API.
 *
 *   const store = openStore('results/netharness.db');
 *   const runId = store.createRun({ kind: 'scenario', name: 'corenet-6498', target: 'sim', params });
 *   store.recordEvent(runId, { kind: 'node-reboot', target: 'worker-0', details: {} });
 *   store.finishRun(runId, 'passed', { ... });
 *
 * A run left 'running' by a process that died (same host, pid gone) is marked 'crashed' when the
 * database is next opened. Params and summaries are scrubbed of secrets before they are stored.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import { migrations } from './migrations.ts';
import { scrubSecrets } from './scrub.ts';
import { InfraError, UsageError } from '../errors.ts';
import { findingColumns, LEGACY_LABELS, type FindingRecord, type FindingRow } from './findings.ts';

export { findingColumns, type FindingInput, type FindingRecord, type FindingRow } from './findings.ts';

export const DEFAULT_DB_PATH = 'results/netharness.db';

export type RunKind = 'scenario' | 'eval' | 'check';
export type Verdict = 'running' | 'passed' | 'failed' | 'error' | 'interrupted' | 'crashed';
export type StepStatus = 'running' | 'passed' | 'failed' | 'error' | 'interrupted';
export type CheckStatus = 'passed' | 'failed' | 'error';

export interface NewRun {
  kind: RunKind;
  name: string;
  target: string;
  params?: unknown;
  versions?: Record<string, unknown>;
  gitSha?: string;
  id?: string;
  startedAt?: string;
  pid?: number;
}

export interface RunRow {
  id: string;
  kind: RunKind;
  name: string;
  target: string;
  params: Record<string, unknown>;
  versions: Record<string, unknown>;
  gitSha: string | null;
  startedAt: string;
  endedAt: string | null;
  verdict: Verdict;
  summary: Record<string, unknown>;
  pid: number | null;
  host: string | null;
}

export interface StepRow {
  id: number;
  parentId: number | null;
  seq: number;
  path: string[];
  name: string;
  startedAt: string;
  endedAt: string | null;
  durationMs: number | null;
  status: StepStatus;
  error: string | null;
}

export interface CheckRow {
  id: number;
  stepId: number | null;
  name: string;
  status: CheckStatus;
  durationMs: number;
  at: string;
  summary: string | null;
  data: Record<string, unknown>;
}

export interface MeasurementInput {
  name: string;
  value: number;
  unit: string;
  labels?: Record<string, string>;
  at?: string;
  stepId?: number;
}

export interface MeasurementRow {
  id: number;
  stepId: number | null;
  name: string;
  value: number;
  unit: string;
  labels: Record<string, string>;
  at: string;
}

/** The one event type: something that happened to the cluster (chaos actions, node actions, scale operations),
 * recorded by `t.event`, the chaos injector's recorder and the runner (table events). */
export interface RunEvent {
  /** e.g. 'node-reboot', 'pod-delete', 'scale' */
  kind: string;
  /** e.g. node name, 'ns/pod' */
  target?: string;
  /** ISO time; default now */
  at?: string;
  details?: Record<string, unknown>;
}

export interface EventRow {
  id: number;
  kind: string;
  target: string | null;
  at: string;
  details: Record<string, unknown>;
}

export interface RunDetail {
  run: RunRow;
  steps: StepRow[];
  checks: CheckRow[];
  findings: FindingRow[];
  measurements: MeasurementRow[];
  events: EventRow[];
}

export interface Store {
  readonly path: string;
  readonly db: Database.Database;
  /** Runs marked crashed when this store was opened. */
  readonly crashedOnOpen: string[];
  schemaVersion(): number;
  createRun(r: NewRun): string;
  finishRun(runId: string, verdict: Exclude<Verdict, 'running'>, summary?: Record<string, unknown>): void;
  updateSummary(runId: string, summary: Record<string, unknown>): void;
  /** Add one entry to the run's versions (e.g. `cluster` once connected). */
  setRunVersion(runId: string, key: string, value: string): void;
  startStep(runId: string, s: { path: string[]; parentId?: number; startedAt?: string }): number;
  finishStep(stepId: number, s: { status: Exclude<StepStatus, 'running'>; error?: string; endedAt?: string; durationMs: number }): void;
  recordCheck(
    runId: string,
    c: {
      name: string;
      status: CheckStatus;
      durationMs: number;
      stepId?: number;
      summary?: string;
      data?: Record<string, unknown>;
      at?: string;
      /** the check unit the findings come from (their default `check`; else the check's name) */
      check?: string;
      findings?: readonly FindingRecord[];
    },
  ): number;
  recordMeasurement(runId: string, m: MeasurementInput): void;
  recordEvent(runId: string, e: RunEvent): void;
  listRuns(opts?: { limit?: number; name?: string; kind?: RunKind }): RunRow[];
  /** By full uuid or a unique prefix (>= 4 chars). Throws UsageError when none or ambiguous. */
  resolveRunId(idOrPrefix: string): string;
  getRun(idOrPrefix: string): RunDetail;
  /** Mark runs left 'running' by dead processes on this host as 'crashed'; returns their ids. */
  markCrashedRuns(): string[];
  /** The run's top-level steps that ended, in order (metric boundaries). */
  stepEnds(runId: string): { name: string; endedAt: string }[];
  /** Run `fn` in one transaction: all of its writes are stored, or none. */
  transaction<T>(fn: () => T): T;
  close(): void;
}

const now = (): string => new Date().toISOString();

function json(v: unknown): string {
  return JSON.stringify(v ?? {});
}

function parseObj<T = Record<string, unknown>>(s: string | null): T {
  if (!s) return {} as T;
  try {
    return JSON.parse(s) as T;
  } catch {
    return {} as T;
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function migrate(db: Database.Database): number {
  db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
  const row = db.prepare('SELECT version FROM schema_version').get() as { version: number } | undefined;
  let version = row?.version ?? 0;
  if (!row) db.prepare('INSERT INTO schema_version (version) VALUES (0)').run();
  if (version > migrations.length) {
    throw new InfraError(
      `database schema version ${version} is newer than this netharness knows (${migrations.length})`,
      'upgrade netharness or use another --db',
    );
  }
  while (version < migrations.length) {
    const sql = migrations[version];
    const next = version + 1;
    db.transaction(() => {
      db.exec(sql);
      db.prepare('UPDATE schema_version SET version = ?').run(next);
    })();
    version = next;
  }
  return version;
}

interface RawRun {
  id: string;
  kind: RunKind;
  name: string;
  target: string;
  params: string;
  versions: string;
  git_sha: string | null;
  started_at: string;
  ended_at: string | null;
  verdict: Verdict;
  summary: string;
  pid: number | null;
  host: string | null;
}

function toRun(r: RawRun): RunRow {
  return {
    id: r.id,
    kind: r.kind,
    name: r.name,
    target: r.target,
    params: parseObj(r.params),
    versions: parseObj(r.versions),
    gitSha: r.git_sha,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    verdict: r.verdict,
    summary: parseObj(r.summary),
    pid: r.pid,
    host: r.host,
  };
}

export function openStore(path: string = DEFAULT_DB_PATH, opts: { markCrashed?: boolean } = {}): Store {
  let db: Database.Database;
  try {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
  } catch (err) {
    throw new InfraError(
      `cannot open results database ${path}: ${(err as Error).message}`,
      'check the --db path and its directory permissions',
    );
  }
  migrate(db);
  const host = hostname();

  const stmts = {
    insertRun: db.prepare(
      "INSERT INTO runs (id, kind, name, target, params, versions, git_sha, started_at, verdict, pid, host) VALUES (@id, @kind, @name, @target, @params, @versions, @git_sha, @started_at, 'running', @pid, @host)",
    ),
    finishRun: db.prepare('UPDATE runs SET verdict = ?, ended_at = ?, summary = ? WHERE id = ?'),
    updateSummary: db.prepare('UPDATE runs SET summary = ? WHERE id = ?'),
    setRunVersion: db.prepare("UPDATE runs SET versions = json_set(versions, '$.' || ?, ?) WHERE id = ?"),
    nextSeq: db.prepare('SELECT COALESCE(MAX(seq), 0) + 1 AS seq FROM steps WHERE run_id = ?'),
    insertStep: db.prepare('INSERT INTO steps (run_id, parent_id, seq, path, name, started_at) VALUES (?, ?, ?, ?, ?, ?)'),
    finishStep: db.prepare('UPDATE steps SET status = ?, error = ?, ended_at = ?, duration_ms = ? WHERE id = ?'),
    insertCheck: db.prepare(
      'INSERT INTO checks (run_id, step_id, name, status, duration_ms, at, summary, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    insertFinding: db.prepare(
      'INSERT INTO findings (run_id, check_id, "check", kind, subject, node, expected, actual, message, labels) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    insertMeasurement: db.prepare('INSERT INTO measurements (run_id, step_id, name, value, unit, labels, at) VALUES (?, ?, ?, ?, ?, ?, ?)'),
    insertEvent: db.prepare('INSERT INTO events (run_id, kind, target, at, details) VALUES (?, ?, ?, ?, ?)'),
  };

  const markCrashedRuns = (): string[] => {
    const running = db.prepare("SELECT id, pid, host FROM runs WHERE verdict = 'running'").all() as {
      id: string;
      pid: number | null;
      host: string | null;
    }[];
    const dead = running.filter((r) => r.host === host && (r.pid === null || (r.pid !== process.pid && !pidAlive(r.pid))));
    // the real end: the last thing the run recorded (a step, an event, a check, a measurement), not "now"
    const lastActivity = db.prepare(
      `SELECT MAX(t) AS t FROM (
         SELECT started_at AS t FROM runs WHERE id = @id
         UNION ALL SELECT MAX(COALESCE(ended_at, started_at)) FROM steps WHERE run_id = @id
         UNION ALL SELECT MAX(at) FROM events WHERE run_id = @id
         UNION ALL SELECT MAX(at) FROM checks WHERE run_id = @id
         UNION ALL SELECT MAX(at) FROM measurements WHERE run_id = @id)`,
    );
    const mark = db.prepare("UPDATE runs SET verdict = 'crashed', ended_at = COALESCE(ended_at, ?) WHERE id = ? AND verdict = 'running'");
    const markSteps = db.prepare(
      "UPDATE steps SET status = 'error', error = COALESCE(error, 'process died') WHERE run_id = ? AND status = 'running'",
    );
    db.transaction(() => {
      for (const r of dead) {
        mark.run((lastActivity.get({ id: r.id }) as { t: string | null }).t ?? now(), r.id);
        markSteps.run(r.id);
      }
    })();
    return dead.map((r) => r.id);
  };

  const crashedOnOpen = opts.markCrashed === false ? [] : markCrashedRuns();

  const resolveRunId = (idOrPrefix: string): string => {
    const exact = db.prepare('SELECT id FROM runs WHERE id = ?').get(idOrPrefix) as { id: string } | undefined;
    if (exact) return exact.id;
    if (idOrPrefix.length < 4 || !/^[0-9a-f-]+$/i.test(idOrPrefix))
      throw new UsageError(`no run '${idOrPrefix}' (give a uuid or a prefix of at least 4 hex characters)`);
    const rows = db.prepare('SELECT id FROM runs WHERE id LIKE ? LIMIT 3').all(`${idOrPrefix.toLowerCase()}%`) as { id: string }[];
    if (rows.length === 0) throw new UsageError(`no run with id or prefix '${idOrPrefix}'`, 'list runs with `netharness runs`');
    if (rows.length > 1)
      throw new UsageError(`run prefix '${idOrPrefix}' is ambiguous (${rows.map((r) => r.id).join(', ')}, ...)`, 'give more characters');
    return rows[0].id;
  };

  const store: Store = {
    path,
    db,
    crashedOnOpen,
    schemaVersion: () => (db.prepare('SELECT version FROM schema_version').get() as { version: number }).version,
    createRun(r) {
      const id = r.id ?? randomUUID();
      stmts.insertRun.run({
        id,
        kind: r.kind,
        name: r.name,
        target: r.target,
        params: json(scrubSecrets(r.params ?? {})),
        versions: json(scrubSecrets(r.versions ?? {})),
        git_sha: r.gitSha ?? null,
        started_at: r.startedAt ?? now(),
        pid: r.pid ?? process.pid,
        host,
      });
      return id;
    },
    finishRun(runId, verdict, summary = {}) {
      stmts.finishRun.run(verdict, now(), json(scrubSecrets(summary)), runId);
    },
    updateSummary(runId, summary) {
      stmts.updateSummary.run(json(scrubSecrets(summary)), runId);
    },
    setRunVersion(runId, key, value) {
      // the key becomes part of a JSON path: keep it a plain identifier
      if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(key)) throw new Error(`setRunVersion: bad key '${key}'`);
      stmts.setRunVersion.run(key, value, runId);
    },
    startStep(runId, s) {
      const seq = (stmts.nextSeq.get(runId) as { seq: number }).seq;
      const res = stmts.insertStep.run(
        runId,
        s.parentId ?? null,
        seq,
        JSON.stringify(s.path),
        s.path[s.path.length - 1] ?? '',
        s.startedAt ?? now(),
      );
      return Number(res.lastInsertRowid);
    },
    finishStep(stepId, s) {
      stmts.finishStep.run(s.status, s.error ?? null, s.endedAt ?? now(), s.durationMs, stepId);
    },
    recordCheck(runId, c) {
      let checkId = 0;
      db.transaction(() => {
        const res = stmts.insertCheck.run(
          runId,
          c.stepId ?? null,
          c.name,
          c.status,
          c.durationMs,
          c.at ?? now(),
          c.summary ?? null,
          json(scrubSecrets(c.data ?? {})),
        );
        checkId = Number(res.lastInsertRowid);
        for (const f of c.findings ?? []) {
          const r = findingColumns(f, c.check ?? c.name);
          stmts.insertFinding.run(
            runId,
            checkId,
            r.check,
            r.kind,
            r.subject,
            r.node,
            r.expected,
            r.actual,
            r.message,
            JSON.stringify(scrubSecrets(r.labels)),
          );
        }
      })();
      return checkId;
    },
    recordMeasurement(runId, m) {
      stmts.insertMeasurement.run(runId, m.stepId ?? null, m.name, m.value, m.unit, json(m.labels ?? {}), m.at ?? now());
    },
    recordEvent(runId, e) {
      stmts.insertEvent.run(runId, e.kind, e.target ?? null, e.at ?? now(), json(scrubSecrets(e.details ?? {})));
    },
    listRuns(o = {}) {
      const where: string[] = [];
      const args: (string | number)[] = [];
      if (o.name) {
        where.push('name = ?');
        args.push(o.name);
      }
      if (o.kind) {
        where.push('kind = ?');
        args.push(o.kind);
      }
      args.push(o.limit ?? 20);
      const rows = db
        .prepare(`SELECT * FROM runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY started_at DESC, rowid DESC LIMIT ?`)
        .all(...args) as RawRun[];
      return rows.map(toRun);
    },
    resolveRunId,
    getRun(idOrPrefix) {
      const id = resolveRunId(idOrPrefix);
      const run = toRun(db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as RawRun);
      const steps = (db.prepare('SELECT * FROM steps WHERE run_id = ? ORDER BY seq').all(id) as Record<string, unknown>[]).map(
        (s): StepRow => ({
          id: s.id as number,
          parentId: (s.parent_id as number | null) ?? null,
          seq: s.seq as number,
          path: parseObj<string[]>(s.path as string),
          name: s.name as string,
          startedAt: s.started_at as string,
          endedAt: (s.ended_at as string | null) ?? null,
          durationMs: (s.duration_ms as number | null) ?? null,
          status: s.status as StepStatus,
          error: (s.error as string | null) ?? null,
        }),
      );
      const checks = (db.prepare('SELECT * FROM checks WHERE run_id = ? ORDER BY id').all(id) as Record<string, unknown>[]).map(
        (c): CheckRow => ({
          id: c.id as number,
          stepId: (c.step_id as number | null) ?? null,
          name: c.name as string,
          status: c.status as CheckStatus,
          durationMs: c.duration_ms as number,
          at: c.at as string,
          summary: (c.summary as string | null) ?? null,
          data: parseObj(c.data as string),
        }),
      );
      const findings = (db.prepare('SELECT * FROM findings WHERE run_id = ? ORDER BY id').all(id) as Record<string, unknown>[]).map(
        (f): FindingRow => {
          const labels = parseObj<Record<string, string>>(f.labels as string);
          const row: FindingRow = {
            id: f.id as number,
            checkId: (f.check_id as number | null) ?? null,
            check: f.check as string,
            kind: f.kind as string,
            subject: f.subject as string,
            labels,
          };
          for (const k of ['node', 'expected', 'actual', 'message'] as const) {
            if (f[k] !== null && f[k] !== undefined) row[k] = f[k] as string;
          }
          for (const k of LEGACY_LABELS) if (labels[k] !== undefined) row[k] = labels[k];
          return row;
        },
      );
      const measurements = (db.prepare('SELECT * FROM measurements WHERE run_id = ? ORDER BY id').all(id) as Record<string, unknown>[]).map(
        (m): MeasurementRow => ({
          id: m.id as number,
          stepId: (m.step_id as number | null) ?? null,
          name: m.name as string,
          value: m.value as number,
          unit: m.unit as string,
          labels: parseObj<Record<string, string>>(m.labels as string),
          at: m.at as string,
        }),
      );
      const events = (db.prepare('SELECT * FROM events WHERE run_id = ? ORDER BY at, id').all(id) as Record<string, unknown>[]).map(
        (e): EventRow => ({
          id: e.id as number,
          kind: e.kind as string,
          target: (e.target as string | null) ?? null,
          at: e.at as string,
          details: parseObj(e.details as string),
        }),
      );
      return { run, steps, checks, findings, measurements, events };
    },
    markCrashedRuns,
    stepEnds: (runId) =>
      (
        db
          .prepare('SELECT name, ended_at FROM steps WHERE run_id = ? AND parent_id IS NULL AND ended_at IS NOT NULL ORDER BY seq')
          .all(runId) as { name: string; ended_at: string }[]
      ).map((r) => ({ name: r.name, endedAt: r.ended_at })),
    transaction: (fn) => db.transaction(fn)(),
    close() {
      db.close();
    },
  };
  return store;
}
