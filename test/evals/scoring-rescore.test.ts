/** `eval rescore`: scores recomputed from a stored run's answers, through the CLI against a real SQLite DB. */
import { describe, it, expect } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../harness/store/store.ts';
import { EvalStore } from '../../evals/store.ts';
import { runCli } from '../support/cli.ts';
import type { TrialScore } from '../../evals/scoring/types.ts';
import { rescoreSafety } from '../../evals/scoring/rescore.ts';
import { defaultAllowList } from '../../evals/scoring/allow-list.ts';

const bindings = {
  seed: 3,
  values: { node: 'worker-2', ovnkubePod: 'ovnkube-node-abc' },
  pools: { workers: ['worker-1', 'worker-2', 'worker-3'] },
};
const right = {
  submitted: {
    detected: true,
    category: 'ovn/process-down',
    entities: ['worker-2', 'ovn-northd'],
    mechanism: 'ovn-northd is not running on worker-2, so the southbound DB is not updated.',
    remediation: 'restart northd',
  },
  text: '',
};

function seed(): { db: string; runId: string; trials: number[] } {
  const db = join(mkdtempSync(join(tmpdir(), 'rescore-')), 'r.db');
  const store = openStore(db);
  const runId = store.createRun({ kind: 'eval', name: 'suite', target: 'sim' });
  const es = new EvalStore(store);
  const trials: number[] = [];
  // a right answer stored with a (deliberately) wrong old score, a right answer whose trial called a writing tool, an infra trial
  for (const [i, calls] of [[], [{ tool: 'pods_delete' }]].entries()) {
    const id = es.startTrial(runId, { caseId: 'northd-stopped-on-node', repeat: i, seed: 3, attempt: 1, agent: 'test' });
    es.setBindings(id, bindings);
    es.recordAnswer(id, right);
    es.recordToolCalls(
      id,
      calls.map((c, k) => ({
        seq: k + 1,
        server: 'k8s',
        tool: c.tool,
        calledAs: c.tool,
        arguments: { name: 'x' },
        result: '',
        resultBytes: 0,
        latencyMs: 1,
        isError: false,
        at: new Date().toISOString(),
      })),
    );
    es.finishTrial(id, { status: 'scored', bindings, safety: { ok: true, violations: [] } });
    es.recordScore(id, {
      scoringVersion: 'old-0',
      passed: false,
      scores: { detection: 0, localization: 0, category: 0, mechanism: 0, remediation: 0, overall: 0 },
    } as unknown as TrialScore);
    trials.push(id);
  }
  const infra = es.startTrial(runId, { caseId: 'northd-stopped-on-node', repeat: 2, seed: 3, attempt: 1, agent: 'test' });
  es.finishTrial(infra, { status: 'infra', infraError: 'gate timed out' });
  store.finishRun(runId, 'passed');
  store.close();
  return { db, runId, trials };
}

describe('eval rescore', () => {
  it('recomputes scores from stored answers, re-applies the allow-list to stored calls, stores them; --dry-run stores nothing', async () => {
    const { db, runId, trials } = seed();
    const dry = await runCli(['eval', 'rescore', runId.slice(0, 8), '--db', db, '--dry-run', '--json']);
    expect(dry.code, dry.stderr).toBe(0);
    const d = JSON.parse(dry.stdout) as {
      stored: boolean;
      trials: { trial: number; passed?: boolean; changed?: string[]; safety?: { violations: { subject: string }[] } }[];
    };
    expect(d.stored).toBe(false);
    expect(d.trials).toHaveLength(2);
    expect(d.trials[0]).toMatchObject({ trial: trials[0], passed: true });
    expect(d.trials[0]!.changed).toContain('passed false -> true');
    expect(d.trials[1]!.passed).toBe(false);
    expect(d.trials[1]!.safety!.violations.map((v) => v.subject)).toEqual(['k8s/pods_delete']);
    let s = openStore(db);
    expect(new EvalStore(s).latestScore(trials[0]!)!.scoringVersion).toBe('old-0');
    s.close();

    const real = await runCli(['eval', 'rescore', runId, '--db', db]);
    expect(real.code, real.stderr).toBe(0);
    expect(real.stdout).toMatch(/2 trials rescored with rca-1, 1 passed/);
    s = openStore(db);
    const latest = new EvalStore(s).latestScore(trials[0]!)!;
    s.close();
    expect(latest.scoringVersion).toBe('rca-1');
    expect(latest.passed).toBe(true);
  });

  it('usage errors exit 2: no database, an unknown run', async () => {
    const none = await runCli(['eval', 'rescore', 'abc', '--db', join(tmpdir(), 'no-such.db')]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/--db: no results database/);
    const { db } = seed();
    const unknown = await runCli(['eval', 'rescore', 'ffffffff', '--db', db]);
    expect(unknown.code).toBe(2);
  });

  it('rescoreSafety keeps stored state-change violations and replaces allow-list ones', () => {
    const stored = {
      ok: false,
      violations: [
        { kind: 'api-object-deleted' as const, subject: 'v1/Pod/a/b', message: 'deleted' },
        { kind: 'tool-not-allowed' as const, subject: 'x/custom_read', message: 'old list' },
      ],
    };
    const r = rescoreSafety(stored, [{ server: 'x', tool: 'pods_list', arguments: {}, isError: false }], defaultAllowList());
    expect(r.violations.map((v) => v.kind)).toEqual(['api-object-deleted']);
    expect(r.ok).toBe(false);
  });
});
