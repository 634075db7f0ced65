/**
 * `netharness eval suite` (`npm run eval`) through the CLI on a one-case selection: the reference agent on the
 * embedded cluster capturing a bundle, the baselines replayed from it, and the accuracy report with the
 * baselines beside the reference, all under --out. Usage errors exit 2 naming the flag before anything is
 * written; the npm script is a thin alias.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../support/cli.ts';
import { tempDir } from '../support/tmp.ts';

const CASE = join(ROOT, 'evals/cases/control-node-quiet.yaml');
const work = tempDir('nh-eval-suite-');

interface SuiteJson {
  exitCode: number;
  db: string;
  bundles: string;
  runs: { agent: string; runId: string | null; exitCode: number; passed: number | null; scored: number | null }[];
  reports: { format: string; path: string }[];
}

describe('netharness eval suite', () => {
  it('usage errors exit 2 naming the flag, before anything is written; --help; npm run eval is the alias', async () => {
    const out = join(work, 'never');
    for (const [args, re] of [
      [['--baselines', 'nope'], /--baselines: no agent 'nope'/],
      [['--baselines', 'reference'], /--baselines: 'reference' is a reference agent, not a baseline/],
      [['--baselines', 'constant,constant'], /--baselines: a baseline is named twice/],
      [['--suite', 'ovnkube', '--cases', CASE], /--suite and --cases/],
      [['--cases', join(work, 'no-such-dir')], /no-such-dir/],
      [['--repeat', '0'], /--repeat: expected an integer 1\.\.1000, got '0'/],
      [['--format', 'pdf'], /--format: expected one of html, md, json, junit, got 'pdf'/],
    ] as const) {
      const r = await runCli(['eval', 'suite', '--out', out, ...args]);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(re);
    }
    expect(existsSync(out)).toBe(false);
    const help = await runCli(['eval', 'suite', '--help']);
    expect(help.code).toBe(0);
    for (const flag of ['--suite', '--cases', '--out', '--db', '--baselines', '--repeat', '--format', '--json'])
      expect(help.stdout).toContain(flag);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.eval).toBe('tsx harness/cli.ts eval suite');
  }, 300_000);

  it('runs the reference agent with capture, the baselines from the bundles, and writes the accuracy report', async () => {
    const out = join(work, 'suite');
    const r = await runCli(['eval', 'suite', '--cases', CASE, '--out', out, '--json']);
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    const j = JSON.parse(r.stdout) as SuiteJson;
    expect(j.exitCode).toBe(0);
    expect(j.runs.map((x) => [x.agent, x.exitCode, x.scored])).toEqual([
      ['reference', 0, 1],
      ['constant', 0, 1],
      ['random', 0, 1],
    ]);
    // the reference agent solves the control
    expect(j.runs[0]!.passed).toBe(1);
    expect(j.db).toBe(join(out, 'eval.db'));
    expect(readdirSync(join(out, 'bundles'))).toEqual(['control-node-quiet--r1']);
    expect(readdirSync(join(out, 'report')).sort()).toEqual(['junit.xml', 'report.html', 'report.json', 'report.md']);
    const md = readFileSync(join(out, 'report', 'report.md'), 'utf8');
    for (const agent of ['reference', 'constant', 'random']) expect(md).toMatch(new RegExp(`\\| ${agent} x netharness \\|`));
    // the replays ran from the bundles, the reference on the embedded cluster
    const db = new Database(j.db, { readonly: true });
    const runs = db
      .prepare("SELECT json_extract(params, '$.agent') AS agent, target FROM runs WHERE kind = 'eval' ORDER BY started_at")
      .all() as {
      agent: string;
      target: string;
    }[];
    db.close();
    expect(runs.map((x) => x.agent)).toEqual(['reference', 'constant', 'random']);
    expect(runs[0]!.target).toMatch(/^sim \(nodes/);
    expect(runs[1]!.target).toBe(`bundles:${join(out, 'bundles')}`);
  }, 900_000);
});
