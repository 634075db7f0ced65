/**
 * Shards and their merge (the nightly job): --shard splits the cases into disjoint parts that cover the suite;
 * `netharness merge` joins result databases keeping run ids, renumbering trial rows and everything that
 * refers to them (tool calls, answers, scores, transcripts), skips a run merged twice, and refuses a run id
 * whose content differs (exit 2 naming the run, nothing written).
 */
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../harness/store/store.ts';
import { EvalStore } from '../../evals/store.ts';
import { parseShard, shardItems } from '../../evals/merge-shard.ts';
import { mergeDatabases } from '../../evals/merge.ts';
import { loadCases } from '../../evals/cases/loader.ts';
import { runCli } from '../support/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'nh-merge-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A results DB with one eval run of `cases` (two trials each: an infra attempt, then a scored one). */
function makeDb(name: string, cases: string[]): { path: string; runId: string } {
  const path = join(dir, `${name}.db`);
  const store = openStore(path);
  const es = new EvalStore(store);
  const runId = store.createRun({ kind: 'eval', name, target: 'sim', params: { agent: 'reference', cases } });
  for (const c of cases) {
    const t1 = es.startTrial(runId, { caseId: c, repeat: 1, seed: 7, attempt: 1, agent: 'reference' });
    es.finishTrial(t1, { status: 'infra', infraError: 'gate never held', infraPhase: 'gate', phases: { gate: 1 } });
    const t2 = es.startTrial(runId, { caseId: c, repeat: 1, seed: 7, attempt: 2, agent: 'reference' });
    es.recordToolCalls(t2, [
      {
        seq: 1,
        server: 'netharness',
        tool: 'k8s_list',
        calledAs: 'k8s_list',
        arguments: { kind: 'Node' },
        result: `nodes of ${c}`,
        resultBytes: 12,
        latencyMs: 3,
        isError: false,
        at: new Date().toISOString(),
      },
    ] as never);
    es.recordTranscript(t2, [{ role: 'assistant', content: `answer for ${c}`, at: new Date().toISOString() }]);
    es.recordAnswer(t2, { text: `the cause of ${c}` });
    es.recordScore(t2, {
      scoringVersion: 'test-1',
      passed: true,
      scores: { detection: 1, localization: 1, category: 1, mechanism: 1, remediation: 1, overall: 1 },
    } as never);
    es.finishTrial(t2, { status: 'scored', phases: { agent: 5 } });
  }
  store.finishRun(runId, 'passed', { trials: cases.length });
  store.close();
  return { path, runId };
}

const count = (path: string, sql: string) => {
  const db = new Database(path, { readonly: true });
  try {
    return (db.prepare(sql).get() as { n: number }).n;
  } finally {
    db.close();
  }
};

// each test spawns the CLI (tsx): minutes on a loaded machine
describe('--shard', { timeout: 300_000 }, () => {
  it('parses i/n and refuses what is not a shard (naming --shard)', () => {
    expect(parseShard('2/3')).toEqual({ index: 2, count: 3 });
    for (const bad of ['0/3', '4/3', '1/0', 'a/b', '1', '1/3/4', '-1/2']) expect(() => parseShard(bad)).toThrow(/--shard/);
  });
  it('splits the suite into disjoint parts that cover it, sizes within one, independent of listing order', () => {
    const ids = loadCases().map((lc) => lc.case.id);
    for (const n of [1, 2, 3, 4, 7]) {
      const parts = Array.from({ length: n }, (_, i) => shardItems(ids, { index: i + 1, count: n }, (x) => x));
      expect(parts.flat().sort()).toEqual([...ids].sort());
      const sizes = parts.map((p) => p.length);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      const reversed = shardItems([...ids].reverse(), { index: 1, count: n }, (x) => x);
      expect([...reversed].sort()).toEqual([...parts[0]!].sort());
    }
  });
  it('a shard of the CLI selects its part (eval list is the full suite; --shard on a run is validated first)', async () => {
    const r = await runCli(['eval', '--shard', '5/4', '--db', join(dir, 'never.db')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--shard: expected 1 <= i <= n/);
    expect(existsSync(join(dir, 'never.db'))).toBe(false);
  });
});

describe('netharness merge', { timeout: 300_000 }, () => {
  const a = makeDb('shard-1', ['case-a', 'case-b']);
  const b = makeDb('shard-2', ['case-c']);

  it('merges shards: run ids kept, trials and everything referring to them renumbered and consistent', async () => {
    const out = join(dir, 'merged.db');
    const r = await runCli(['merge', a.path, b.path, '--out', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as { runs: string[]; rows: Record<string, number> };
    expect(j.runs.sort()).toEqual([a.runId, b.runId].sort());
    expect(j.rows.eval_trials).toBe(6);
    expect(j.rows.eval_tool_calls).toBe(3);
    expect(count(out, 'SELECT COUNT(*) AS n FROM eval_trials')).toBe(6);
    // every child row points at a trial of the right case
    expect(
      count(
        out,
        "SELECT COUNT(*) AS n FROM eval_tool_calls c JOIN eval_trials t ON t.id = c.trial_id WHERE c.result = 'nodes of ' || t.case_id AND t.attempt = 2",
      ),
    ).toBe(3);
    expect(
      count(
        out,
        "SELECT COUNT(*) AS n FROM eval_answers x JOIN eval_trials t ON t.id = x.trial_id WHERE x.text = 'the cause of ' || t.case_id",
      ),
    ).toBe(3);
    expect(count(out, "SELECT COUNT(*) AS n FROM eval_scores s JOIN eval_trials t ON t.id = s.trial_id WHERE t.status = 'scored'")).toBe(3);
    expect(
      count(
        out,
        "SELECT COUNT(*) AS n FROM eval_transcripts x JOIN eval_trials t ON t.id = x.trial_id WHERE x.content = 'answer for ' || t.case_id",
      ),
    ).toBe(3);
    expect(count(out, `SELECT COUNT(*) AS n FROM eval_trials WHERE run_id = '${b.runId}' AND case_id = 'case-c'`)).toBe(2);
    // the merged DB is one every command reads
    const shown = await runCli(['runs', 'show', b.runId.slice(0, 8), '--db', out]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/case-c/);
    // merging a shard again: identical run skipped, nothing duplicated
    const again = await runCli(['merge', b.path, '--out', out, '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout).inputs[0].skipped).toBe(1);
    expect(count(out, 'SELECT COUNT(*) AS n FROM eval_trials')).toBe(6);
  });

  it('a run id with different content is a conflict: exit 2 naming the run, the output unchanged / not created', async () => {
    const forged = join(dir, 'forged.db');
    copyFileSync(a.path, forged);
    const db = new Database(forged);
    db.prepare("UPDATE runs SET name = 'something else' WHERE id = ?").run(a.runId);
    db.close();
    const out = join(dir, 'conflict.db');
    const r = await runCli(['merge', a.path, forged, '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`run ${a.runId}`);
    expect(r.stderr).toContain('forged.db');
    expect(existsSync(out)).toBe(false);
    // into an existing output: it keeps what it had
    const keep = join(dir, 'keep.db');
    expect((await runCli(['merge', a.path, '--out', keep])).code).toBe(0);
    const before = count(keep, 'SELECT COUNT(*) AS n FROM eval_trials');
    expect((await runCli(['merge', b.path, forged, '--out', keep])).code).toBe(2);
    expect(count(keep, 'SELECT COUNT(*) AS n FROM eval_trials')).toBe(before);
  });

  it('usage errors name the field: no --out, a missing input, an input that is the output', async () => {
    const r = await runCli(['merge', a.path]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--out/);
    expect(() => mergeDatabases(join(dir, 'x.db'), [join(dir, 'nope.db')])).toThrow(/no database at .*nope\.db/);
    expect(() => mergeDatabases(a.path, [a.path])).toThrow(/also --out/);
    expect(() => mergeDatabases(join(dir, 'x.db'), [])).toThrow(/at least one input/);
    expect(existsSync(join(dir, 'x.db'))).toBe(false);
  });
});
