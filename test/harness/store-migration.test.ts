/**
 * An old results database (schema version 2: findings with EgressIP columns) opens with today's Store: migration 3
 * carries every finding over to the generic columns (check, kind, subject, node, expected, actual, message, labels).
 * The old schema is the exact DDL netharness shipped (test/harness/fixtures/store-schema-v2.sql, from git history).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrations } from '../../harness/store/migrations.ts';
import { openStore } from '../../harness/store/store.ts';
import { tempDir } from '../support/tmp.ts';

const fixture = readFileSync(join(import.meta.dirname, 'fixtures', 'store-schema-v2.sql'), 'utf8');

/** A version-2 database with one run, one check and four findings as the old Store wrote them. */
function oldDatabase(): string {
  const path = join(tempDir('nh-store-v2-'), 'old.db');
  const db = new Database(path);
  db.exec(fixture);
  db.prepare(
    "INSERT INTO runs (id, kind, name, target, started_at, ended_at, verdict, pid, host) VALUES ('6f1d2c3b-0000-4000-8000-000000000001', 'scenario', 'corenet-6498', 'sim', '2026-11-01T10:00:00.000Z', '2026-11-01T10:05:00.000Z', 'failed', 1, 'old-host')",
  ).run();
  const check = db
    .prepare(
      "INSERT INTO checks (run_id, name, status, duration_ms, at, summary) VALUES ('6f1d2c3b-0000-4000-8000-000000000001', 'egressip consistent after recovery', 'failed', 812.5, '2026-11-01T10:04:00.000Z', '4 findings')",
    )
    .run().lastInsertRowid;
  const ins = db.prepare(
    "INSERT INTO findings (run_id, check_id, kind, node, egressip, namespace, pod, expected, actual, message) VALUES ('6f1d2c3b-0000-4000-8000-000000000001', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
  );
  ins.run(check, 'stale-snat', 'worker-1', 'eip-1', 'prod', 'client-0', 'none', '10.0.0.5 -> 192.168.126.100', 'stale SNAT');
  ins.run(check, 'unassigned-eip', null, 'eip-2', null, null, '1 node', '0 nodes', null);
  ins.run(check, 'missing-no-reroute', 'worker-2', null, null, null, 'priority 102', null, null);
  ins.run(null, 'address-set-drift', null, null, null, null, null, null, 'drift');
  db.close();
  return path;
}

describe('store migration 3: generic findings', () => {
  it('the fixture is the shipped DDL: migrations 1 and 2 are unchanged (a shipped migration is never edited)', () => {
    for (const [i, m] of migrations.slice(0, 2).entries()) expect(fixture, `migration ${i + 1}`).toContain(m);
  });

  it('opens a version-2 database, migrates it and reads every old finding in the generic shape', () => {
    const path = oldDatabase();
    const store = openStore(path, { markCrashed: false });
    try {
      expect(store.schemaVersion()).toBe(migrations.length);
      expect(migrations.length).toBeGreaterThanOrEqual(3);
      const d = store.getRun('6f1d2c3b');
      expect(d.run).toMatchObject({ name: 'corenet-6498', verdict: 'failed' });
      expect(d.checks).toHaveLength(1);
      expect(d.findings).toHaveLength(4);
      const [pod, eip, node, bare] = d.findings;
      expect(pod).toMatchObject({
        check: 'egressip',
        kind: 'stale-snat',
        subject: 'pod/prod/client-0',
        node: 'worker-1',
        expected: 'none',
        actual: '10.0.0.5 -> 192.168.126.100',
        message: 'stale SNAT',
        labels: { egressip: 'eip-1', namespace: 'prod', pod: 'client-0' },
        checkId: d.checks[0].id,
      });
      // the old columns stay readable as fields (from labels) for older readers
      expect(pod).toMatchObject({ egressip: 'eip-1', namespace: 'prod', pod: 'client-0' });
      expect(eip).toMatchObject({ check: 'egressip', kind: 'unassigned-eip', subject: 'egressip/eip-2', labels: { egressip: 'eip-2' } });
      expect(eip.node).toBeUndefined();
      expect(eip.message).toBeUndefined();
      expect(node).toMatchObject({ kind: 'missing-no-reroute', subject: 'node/worker-2', node: 'worker-2', labels: {} });
      expect(bare).toMatchObject({ kind: 'address-set-drift', subject: 'cluster', checkId: null, labels: {}, message: 'drift' });
      // ids survive, so nothing that points at a finding by id breaks
      expect(d.findings.map((f) => f.id)).toEqual([1, 2, 3, 4]);
    } finally {
      store.close();
    }
  });

  it('the migrated table has the generic columns only, and new findings record into it', () => {
    const path = oldDatabase();
    const store = openStore(path, { markCrashed: false });
    try {
      const cols = (store.db.prepare('PRAGMA table_info(findings)').all() as { name: string }[]).map((c) => c.name);
      expect(cols).toEqual(['id', 'run_id', 'check_id', 'check', 'kind', 'subject', 'node', 'expected', 'actual', 'message', 'labels']);
      const indexes = (store.db.prepare('PRAGMA index_list(findings)').all() as { name: string }[]).map((i) => i.name).sort();
      expect(indexes).toEqual(['findings_check', 'findings_run']);
      const run = store.createRun({ kind: 'check', name: 'ptp', target: 'sim' });
      store.recordCheck(run, {
        name: 'ptp',
        check: 'ptp',
        status: 'failed',
        durationMs: 3,
        findings: [
          {
            kind: 'clock-not-locked',
            subject: 'node/worker-0',
            node: 'worker-0',
            expected: 'LOCKED',
            actual: 'FREERUN',
            labels: { profile: 'slave' },
          },
        ],
      });
      const f = store.getRun(run).findings;
      expect(f).toEqual([
        expect.objectContaining({
          check: 'ptp',
          kind: 'clock-not-locked',
          subject: 'node/worker-0',
          labels: { profile: 'slave' },
          actual: 'FREERUN',
        }),
      ]);
      // a second open is a no-op (already at the latest version)
      store.close();
      const again = openStore(path, { markCrashed: false });
      expect(again.schemaVersion()).toBe(migrations.length);
      expect(again.getRun('6f1d2c3b').findings).toHaveLength(4);
      again.close();
    } finally {
      try {
        store.close();
      } catch {
        /* closed above */
      }
    }
  });

  it("recordCheck: a finding's check wins, a scenario kind is 'scenario', else recordCheck's check, else the check's name; EgressIP fields become labels", () => {
    const store = openStore(':memory:');
    try {
      const run = store.createRun({ kind: 'scenario', name: 'node-reboot', target: 'sim' });
      store.recordCheck(run, {
        name: 'egressip consistent after reboot #1',
        status: 'failed',
        durationMs: 1,
        findings: [
          { check: 'egressip', kind: 'stale-snat', node: 'w1', egressip: 'e1', namespace: 'ns', pod: 'p' },
          { kind: 'missing-lrp', node: 'w1' },
          { kind: 'egressip-not-failed-over', egressip: 'e2', node: 'w2' },
        ],
      });
      store.recordCheck(run, { name: 'x', check: 'ptp', status: 'failed', durationMs: 1, findings: [{ kind: 'port-faulty', node: 'w3' }] });
      const f = store.getRun(run).findings.map((x) => [x.check, x.kind, x.subject, JSON.stringify(x.labels)]);
      expect(f).toEqual([
        ['egressip', 'stale-snat', 'pod/ns/p', '{"egressip":"e1","namespace":"ns","pod":"p"}'],
        ['egressip consistent after reboot #1', 'missing-lrp', 'node/w1', '{}'],
        ['scenario', 'egressip-not-failed-over', 'egressip/e2', '{"egressip":"e2"}'],
        ['ptp', 'port-faulty', 'node/w3', '{}'],
      ]);
    } finally {
      store.close();
    }
  });
});
