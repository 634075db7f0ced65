/**
 * Incident replay: `eval --capture DIR` on the embedded cluster writes a bundle per trial after its gate;
 * `eval --target bundles:DIR` replays them with no cluster, and the reference agent scores exactly what it
 * scored live (every level, per case). A must-gather (the real layout, test/mcp/mustgather-fixture.ts) with a
 * hand-written incident.yaml replays too. Nothing the agent reads in a bundle names the case, and bad replay
 * directories are usage errors naming the file and field.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../support/cli.ts';
import { writeMustGatherIncident } from '../mcp/mustgather-fixture.ts';

// a fault found through the OVN DBs and a crash loop (read through previous-container logs)
const CASES = ['eip-snat-deleted-by-hand', 'ovnkube-controller-crashloop-node'];

interface RunJson {
  runId: string;
  trials: { case: string; repeat: number; passed: boolean | null; scores: Record<string, number | null> | null; status: string }[];
}

const work = mkdtempSync(join(tmpdir(), 'nh-replay-test-'));
const casesDir = join(work, 'cases');
const bundles = join(work, 'bundles');
let live: RunJson;

beforeAll(async () => {
  mkdirSync(casesDir);
  for (const c of CASES) cpSync(join(ROOT, 'evals/cases', `${c}.yaml`), join(casesDir, `${c}.yaml`));
  const r = await runCli(['eval', '--cases', casesDir, '--capture', bundles, '--db', join(work, 'live.db'), '--json']);
  if (r.code !== 0) throw new Error(`live run failed (exit ${r.code}): ${r.stderr.slice(-2000)}`);
  live = JSON.parse(r.stdout) as RunJson;
}, 900_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('captured bundles replay offline', () => {
  it('writes one bundle per trial with replay.json beside (not in) its manifest, and no fault library', () => {
    expect(readdirSync(bundles).sort()).toEqual(CASES.map((c) => `${c}--r1`));
    for (const c of CASES) {
      const d = join(bundles, `${c}--r1`);
      const meta = JSON.parse(readFileSync(join(d, 'replay.json'), 'utf8')) as {
        caseId: string;
        bindings: { values: Record<string, string> };
      };
      expect(meta.caseId).toBe(c);
      const manifest = readFileSync(join(d, 'manifest.json'), 'utf8');
      expect(manifest).not.toContain('replay.json');
      expect(manifest).not.toContain(c);
      const cms = existsSync(join(d, 'objects/ConfigMap.json')) ? readFileSync(join(d, 'objects/ConfigMap.json'), 'utf8') : '';
      expect(cms).not.toMatch(/"namespace":"netharness"/);
    }
    const crash = JSON.parse(readFileSync(join(bundles, 'ovnkube-controller-crashloop-node--r1/manifest.json'), 'utf8')) as {
      logs: { previous?: boolean; container: string }[];
    };
    expect(crash.logs.some((l) => l.previous && l.container === 'ovnkube-controller')).toBe(true);
  });

  it('replays with the same reference-agent scores as the live run, per case and level', async () => {
    expect(live.trials.map((t) => t.status)).toEqual(['scored', 'scored']);
    const r = await runCli(['eval', '--cases', casesDir, '--target', `bundles:${bundles}`, '--db', join(work, 'replay.db'), '--json']);
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    const replay = JSON.parse(r.stdout) as RunJson;
    const byCase = (x: RunJson) =>
      Object.fromEntries(x.trials.map((t) => [t.case, { passed: t.passed, scores: t.scores, status: t.status }]));
    expect(byCase(replay)).toEqual(byCase(live));
    expect(replay.trials.every((t) => t.passed)).toBe(true);
    // stored like a live run, target bundles:DIR; no recorded tool output names the case
    const db = new Database(join(work, 'replay.db'), { readonly: true });
    const run = db.prepare('SELECT kind, target FROM runs WHERE id = ?').get(replay.runId) as { kind: string; target: string };
    expect(run).toEqual({ kind: 'eval', target: `bundles:${bundles}` });
    const outputs = (db.prepare('SELECT result FROM eval_tool_calls').all() as { result: string }[]).map((x) => x.result).join('\n');
    db.close();
    expect(outputs.length).toBeGreaterThan(1000);
    for (const c of CASES) expect(outputs).not.toContain(c);
  }, 600_000);

  it('--repeat replays each bundle N times; --shard takes its part of the bundles', async () => {
    const r = await runCli([
      'eval',
      '--cases',
      join(casesDir, `${CASES[0]}.yaml`),
      '--target',
      `bundles:${bundles}`,
      '--repeat',
      '2',
      '--db',
      join(work, 'rep.db'),
      '--json',
    ]);
    expect(r.code, r.stderr.slice(-1500)).toBe(0);
    const j = JSON.parse(r.stdout) as RunJson;
    expect(j.trials.map((t) => [t.case, t.repeat, t.passed])).toEqual([
      [CASES[0], 1, true],
      [CASES[0], 2, true],
    ]);
  }, 300_000);
});

describe('a must-gather with a hand-written incident replays', () => {
  let incidents: string;
  beforeAll(async () => {
    incidents = join(work, 'incidents');
    mkdirSync(incidents);
    await writeMustGatherIncident(incidents, 'worker-down-2025-06');
  }, 60_000);

  it('is scored against its hand-written truth through netharness mcp --bundle on the must-gather', async () => {
    const r = await runCli(['eval', '--target', `bundles:${incidents}`, '--db', join(work, 'incident.db'), '--json']);
    expect(r.code, r.stderr.slice(-1500)).toBe(0);
    const j = JSON.parse(r.stdout) as RunJson;
    expect(j.trials).toHaveLength(1);
    expect(j.trials[0]).toMatchObject({ case: 'worker-down-2025-06', status: 'scored', passed: true });
    expect(j.trials[0]!.scores).toMatchObject({ detection: 1, localization: 1, category: 1, mechanism: 1 });
  }, 300_000);

  it('bad replay directories are usage errors naming the file and field', async () => {
    const bad = join(work, 'bad');
    mkdirSync(join(bad, 'x'), { recursive: true });
    const empty = await runCli(['eval', '--target', `bundles:${bad}`, '--db', join(work, 'bad.db')]);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/no replay in .*needs replay\.json/);
    writeFileSync(join(bad, 'x', 'incident.yaml'), 'id: x\ntitle: t\nquestion: q\ntruth: { category: nope/none, entities: [] }\n');
    const wrong = await runCli(['eval', '--target', `bundles:${bad}`, '--db', join(work, 'bad.db')]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/incident\.yaml: truth/);
    const flags = await runCli(['eval', '--target', `bundles:${bad}`, '--capture', join(work, 'c')]);
    expect(flags.code).toBe(2);
    expect(flags.stderr).toMatch(/--capture does not apply/);
  }, 300_000);
});
