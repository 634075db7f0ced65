/**
 * `netharness eval suite` (what `npm run eval` runs): the whole offline suite in one command.
 *   1. the reference agent on the embedded cluster, capturing an offline bundle per trial after its gate
 *      (it proves every case solvable; --capture);
 *   2. each baseline (default: constant, random) replayed from those bundles (the same states, no cluster);
 *   3. the accuracy report of the reference run with the baselines beside it (report --with).
 * Everything goes under --out (default results/eval): eval.db, bundles/ (replaced on each run: it is this
 * command's output), report/. Progress on stderr; `--json` prints the runs and the files on stdout.
 * Exit: 0 when every run completed, 2 on a usage error or when a run ended in an infrastructure error (the
 * report is still written from what was recorded), 130 on Ctrl-C.
 */
import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { ExitCode, UsageError } from '../../harness/errors.ts';
import type { WrittenReport } from '../../harness/report/index.ts';
import { openStore } from '../../harness/store/store.ts';
import { parseFormats } from '../../harness/commands/report.ts';
import { DEFAULT_BUDGETS, SIM_SPEED } from './defaults.ts';
import type { EvalOptions, EvalResult } from './run.ts';

// The agents, the runner, the replay and the report renderers are loaded when the suite runs, not by `--help`.
const runner = () => import('./run.ts');

export const DEFAULT_SUITE_OUT = 'results/eval';
export const DEFAULT_BASELINES = ['constant', 'random'];

interface SuiteFlags {
  suite?: string;
  cases?: string;
  out: string;
  db?: string;
  baselines: string;
  repeat: string;
  seed: string;
  speed: string;
  retries: string;
  format: string;
  json?: boolean;
}

export interface SuitePlan {
  out: string;
  db: string;
  bundles: string;
  reportDir: string;
  baselines: string[];
  formats: ReturnType<typeof parseFormats>;
  run: Omit<EvalOptions, 'agent' | 'agentParams'>;
}

function int(name: string, v: string, min: number, max: number): number {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < min || n > max)
    throw new UsageError(`${name}: expected an integer ${min}..${max}, got '${v}'`);
  return n;
}

/** The flags as a plan; every bad value is a usage error naming its flag, before anything runs. */
export async function parseSuiteFlags(f: SuiteFlags): Promise<SuitePlan> {
  if (f.suite && f.cases) throw new UsageError('--suite and --cases: give one of them');
  const [{ makeAgent }, { selectCases }] = await Promise.all([import('../agents/registry.ts'), runner()]);
  const baselines = f.baselines
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
  for (const b of baselines) {
    let kind: string;
    try {
      kind = makeAgent(b, {}).kind;
    } catch (err) {
      throw new UsageError(`--baselines: ${(err as Error).message.replace(/^--agent: /, '')}`);
    }
    if (kind !== 'baseline') throw new UsageError(`--baselines: '${b}' is a ${kind} agent, not a baseline`);
  }
  if (new Set(baselines).size !== baselines.length) throw new UsageError(`--baselines: a baseline is named twice in '${f.baselines}'`);
  // the case selection too: a bad glob or suite fails here, before the old bundles are replaced
  selectCases({ suite: f.suite, cases: f.cases, target: { kind: 'sim' } });
  const out = resolve(f.out);
  return {
    out,
    db: resolve(f.db ?? join(out, 'eval.db')),
    bundles: join(out, 'bundles'),
    reportDir: join(out, 'report'),
    baselines,
    formats: parseFormats([f.format]),
    run: {
      suite: f.suite,
      cases: f.cases,
      repeat: int('--repeat', f.repeat, 1, 1000),
      seed: int('--seed', f.seed, 0, 2 ** 32 - 1),
      target: { kind: 'sim', speed: int('--speed', f.speed, 1, 1000) },
      budgets: DEFAULT_BUDGETS,
      retries: int('--retries', f.retries, 0, 10),
    },
  };
}

export interface SuiteRun {
  agent: string;
  runId: string | null;
  exitCode: number;
  passed: number | null;
  scored: number | null;
  error?: string;
}

export interface SuiteResult {
  exitCode: number;
  db: string;
  bundles: string;
  runs: SuiteRun[];
  reports: WrittenReport[];
  seconds: number;
}

const brief = (agent: string, r: EvalResult): SuiteRun => ({
  agent,
  runId: r.runId ?? null,
  exitCode: r.exitCode,
  passed: r.summary?.passed ?? null,
  scored: r.summary?.scored ?? null,
  ...(r.error ? { error: r.error } : {}),
});

/** Run the plan. Never throws for a run's failure: the outcome is an exit code (the worst of the runs). */
export async function runSuite(p: SuitePlan, log: (l: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<SuiteResult> {
  const [{ runEval }, { runReplay }, { buildReportModel, writeReport }] = await Promise.all([
    runner(),
    import('../replay/run.ts'),
    import('../../harness/report/index.ts'),
  ]);
  const t0 = performance.now();
  // the runs install their own Ctrl-C handling while they run; between them an interrupt ends the suite
  let interrupted = false;
  const onSig = () => {
    interrupted = true;
  };
  process.on('SIGINT', onSig);
  process.on('SIGTERM', onSig);
  const runs: SuiteRun[] = [];
  let reports: WrittenReport[] = [];
  const done = (exitCode: number): SuiteResult => ({
    exitCode,
    db: p.db,
    bundles: p.bundles,
    runs,
    reports,
    seconds: Math.round((performance.now() - t0) / 100) / 10,
  });
  try {
    // the bundles of an earlier suite run would be replayed too: this command's own output, replaced
    if (existsSync(p.bundles)) rmSync(p.bundles, { recursive: true, force: true });
    log(`eval suite: 1/${2 + p.baselines.length} the reference agent on the embedded cluster, capturing bundles into ${p.bundles}`);
    const ref = await runEval({ ...p.run, agent: 'reference', agentParams: {}, capture: p.bundles, dbPath: p.db, log });
    runs.push(brief('reference', ref));
    if (ref.exitCode === ExitCode.interrupted || interrupted) return done(ExitCode.interrupted);
    if (!ref.runId || !existsSync(p.bundles)) return done(ref.exitCode || ExitCode.error);
    for (const [i, b] of p.baselines.entries()) {
      log(`eval suite: ${i + 2}/${2 + p.baselines.length} baseline ${b} from the bundles`);
      const r = await runReplay({ ...p.run, agent: b, agentParams: {}, bundles: p.bundles, dbPath: p.db, log });
      runs.push(brief(b, r));
      if (r.exitCode === ExitCode.interrupted || interrupted) return done(ExitCode.interrupted);
    }
    log(`eval suite: ${2 + p.baselines.length}/${2 + p.baselines.length} the accuracy report into ${p.reportDir}`);
    const store = openStore(p.db, { markCrashed: false });
    try {
      const model = buildReportModel(store, ref.runId, { with: runs.slice(1).flatMap((r) => (r.runId ? [r.runId] : [])) });
      reports = p.formats.map((format) => writeReport(store, ref.runId!, { format, outDir: p.reportDir, model }));
    } finally {
      store.close();
    }
    if (interrupted) return done(ExitCode.interrupted);
    return done(runs.find((r) => r.exitCode !== ExitCode.ok)?.exitCode ?? ExitCode.ok);
  } finally {
    process.off('SIGINT', onSig);
    process.off('SIGTERM', onSig);
  }
}

function renderSuite(r: SuiteResult): string {
  const lines = r.runs.map(
    (x) =>
      `${x.agent.padEnd(10)} ${x.runId ? x.runId.slice(0, 8) : '-'.padEnd(8)}  ${x.scored !== null ? `${x.passed}/${x.scored} passed` : 'no trials scored'}${x.exitCode ? ` (exit ${x.exitCode}${x.error ? `: ${x.error}` : ''})` : ''}`,
  );
  return [
    ...lines,
    ...r.reports.map((w) => `${w.format.padEnd(5)} ${w.path} (${(w.bytes / 1024).toFixed(1)} KiB)`),
    `database ${r.db}; bundles ${r.bundles}; ${r.seconds} s`,
  ].join('\n');
}

export function registerEvalSuite(ev: Command): void {
  ev.command('suite')
    .description(
      'the offline suite (npm run eval): the reference agent on the embedded cluster capturing bundles, the baselines replayed from them, and the accuracy report',
    )
    .option('--suite <name>', "cases whose layer or tag is NAME ('all': every case; the default)")
    .option('--cases <glob>', 'case files (a glob, directory or file; default evals/cases/*.yaml)')
    .option('--out <dir>', 'output directory: eval.db, bundles/ (replaced), report/', DEFAULT_SUITE_OUT)
    .option('--db <path>', 'results database (default <out>/eval.db)')
    .option('--baselines <list>', 'baseline agents replayed from the bundles, comma-separated', DEFAULT_BASELINES.join(','))
    .option('--repeat <n>', 'trials per case', '1')
    .option('--seed <s>', 'run seed: each trial draws its targets from (seed, case, repeat)', '1')
    .option('--speed <n>', 'sim speed factor (waits are divided by it)', String(SIM_SPEED))
    .option('--retries <n>', 'extra attempts of a trial after an infrastructure error', '2')
    .option('--format <list>', 'report formats, comma-separated: html, md, json, junit', 'md,html,json,junit')
    .option('--json', 'print {exitCode, db, bundles, runs, reports, seconds} on stdout')
    .action(async (f: SuiteFlags) => {
      const plan = await parseSuiteFlags(f);
      const r = await runSuite(plan);
      process.stdout.write(f.json ? `${JSON.stringify(r, null, 2)}\n` : `${renderSuite(r)}\n`);
      process.exitCode = r.exitCode;
    });
}
