import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import Database from 'better-sqlite3';
import { openStore, migrate } from '../../harness/store/store.ts';
import { migrations } from '../../harness/store/migrations.ts';
import { scrubSecrets, REDACTED } from '../../harness/store/scrub.ts';
import { tempDir } from '../support/tmp.ts';

const tmpDb = () => join(tempDir('nh-store-'), 'sub', 'nh.db');

describe('store', () => {
  it('migrates a fresh db to the latest version, idempotently, in WAL mode', () => {
    const path = tmpDb();
    const s = openStore(path);
    expect(s.schemaVersion()).toBe(migrations.length);
    expect(s.db.pragma('journal_mode', { simple: true })).toBe('wal');
    s.close();
    const s2 = openStore(path);
    expect(s2.schemaVersion()).toBe(migrations.length);
    s2.close();
  });

  it('refuses a db from a newer schema', () => {
    const db = new Database(':memory:');
    migrate(db);
    db.prepare('UPDATE schema_version SET version = 999').run();
    expect(() => migrate(db)).toThrow(/newer/);
  });

  it('records a run with steps, checks, findings, measurements and events, and reads it back by prefix', () => {
    const s = openStore(tmpDb());
    const id = s.createRun({
      kind: 'scenario',
      name: 'demo',
      target: 'sim',
      params: { a: 1, token: 'abc', nested: { password: 'p' } },
      gitSha: 'deadbeef',
    });
    const st = s.startStep(id, { path: ['setup'] });
    s.finishStep(st, { status: 'passed', durationMs: 12 });
    const c = s.recordCheck(id, {
      name: 'egressip',
      status: 'failed',
      durationMs: 5,
      stepId: st,
      findings: [{ kind: 'stale-snat', node: 'w1', egressip: 'e1', namespace: 'ns', pod: 'p', expected: 'none', actual: '1.2.3.4' }],
    });
    expect(c).toBeGreaterThan(0);
    s.recordMeasurement(id, { name: 'failover', value: 3.2, unit: 's', labels: { node: 'w1' } });
    s.recordEvent(id, { kind: 'node-reboot', target: 'w1', details: { by: 'debug-pod', authorization: 'Bearer xyz' } });
    s.finishRun(id, 'failed', { checks: 1 });
    const d = s.getRun(id.slice(0, 8));
    expect(d.run.verdict).toBe('failed');
    expect(d.run.params).toEqual({ a: 1, token: REDACTED, nested: { password: REDACTED } });
    expect(d.steps[0]).toMatchObject({ name: 'setup', status: 'passed', durationMs: 12, path: ['setup'] });
    expect(d.checks[0]).toMatchObject({ name: 'egressip', status: 'failed' });
    expect(d.findings[0]).toMatchObject({ kind: 'stale-snat', node: 'w1', pod: 'p' });
    expect(d.measurements[0]).toMatchObject({ name: 'failover', value: 3.2, labels: { node: 'w1' } });
    expect(d.events[0].details).toEqual({ by: 'debug-pod', authorization: REDACTED });
    expect(s.listRuns({ limit: 5 }).map((r) => r.id)).toEqual([id]);
    expect(() => s.getRun('zzzz')).toThrow(/no run/);
    expect(() => s.getRun('ab')).toThrow(/at least 4/);
    s.close();
  });

  it('marks a run left running by a dead process as crashed on the next open', () => {
    const path = tmpDb();
    const s = openStore(path);
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    const deadPid = Number(dead.stdout.toString());
    const crashed = s.createRun({ kind: 'scenario', name: 'x', target: 'sim', pid: deadPid });
    const st = s.startStep(crashed, { path: ['a'] });
    const alive = s.createRun({ kind: 'scenario', name: 'y', target: 'sim' });
    expect(st).toBeGreaterThan(0);
    s.close();
    const s2 = openStore(path);
    expect(s2.crashedOnOpen).toEqual([crashed]);
    expect(s2.getRun(crashed).run.verdict).toBe('crashed');
    expect(s2.getRun(crashed).steps[0].status).toBe('error');
    expect(s2.getRun(alive).run.verdict).toBe('running');
    s2.close();
  });

  it('scrubs tokens in strings', () => {
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW0ifQ.c2lnbmF0dXJlc2lnbmF0dXJl';
    expect(
      scrubSecrets({
        cmd: `curl -H "Authorization: Bearer abcdefghijkl" x ${jwt}`,
        kc: 'users:\n- user:\n    token: sha256~abcdefghijklmnopqrstuvwxyz',
      }),
    ).toEqual({
      cmd: `curl -H "Authorization: Bearer ${REDACTED}" x ${REDACTED}`,
      kc: `users:\n- user:\n    token: ${REDACTED}`,
    });
  });
});
