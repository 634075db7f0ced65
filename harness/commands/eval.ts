/**
 * `netharness eval` — LLM root-cause evals (evals/README.md).
 *   eval list [--cases GLOB] [--json]        the cases: id, title, layer, tags, control
 *   eval rescore <run> [--db P] [--cases GLOB] [--dry-run] [--json]
 *                                            recompute scores from stored answers (nothing runs)
 *   eval suite [--suite N|--cases G] [--out DIR] the offline suite: reference + bundles, baselines, report
 * The run subcommand (trials on a target) belongs to the eval runner (evals/runner/): one line below.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { registerEvalRun } from '../../evals/runner/command.ts';
import { registerEvalSuite } from '../../evals/runner/suite.ts';
import { addModelFlags } from '../../evals/agents/model/flags.ts';
import { UsageError } from '../errors.ts';
import { defaultDbPath } from '../constants.ts';
import { openStore } from '../store/store.ts';
import { renderTable } from '../runner/summary.ts';

// The cases (zod), the check registry (client-node) and the scorer are loaded by the actions, not by `--help`.
const caseLoader = () => import('../../evals/cases/loader.ts');

export function registerEval(program: Command): Command {
  const ev = program.command('eval').description('score root-cause analyses of agents against cases with known answers (evals/README.md)');
  ev.command('list')
    .description('the eval cases: id, title, layer, difficulty, tags, whether it is a no-fault control')
    .option('--cases <glob>', 'case files (a glob, directory or file; default evals/cases/*.yaml)')
    .option('--json', 'machine-readable list on stdout')
    .action(async (o: { cases?: string; json?: boolean }) => {
      const [{ checkReferences, listRow, loadCases }, { listChecks }] = await Promise.all([caseLoader(), import('../checks/registry.ts')]);
      const cases = loadCases({ cases: o.cases });
      const checks = listChecks().map((c) => ({ name: c.name, findingKinds: Object.keys(c.findingKinds) }));
      for (const lc of cases) checkReferences(lc, { checks });
      const rows = cases.map(listRow);
      if (o.json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      else
        process.stdout.write(
          `${renderTable(
            ['id', 'layer', 'difficulty', 'control', 'live-safe', 'tags', 'title'],
            rows.map((r) => [r.id, r.layer, r.difficulty, r.control ? 'yes' : '', r.liveSafe ? 'yes' : '', r.tags.join(','), r.title]),
          )}\n${rows.length} cases (${rows.filter((r) => r.control).length} controls)\n`,
        );
    });
  ev.command('rescore')
    .description('recompute the scores of a stored eval run from its stored answers with the current scorer and case files (nothing runs)')
    .argument('<run>', 'eval run id (or a unique prefix) in the results database')
    .option('--db <path>', 'results database (default results/netharness.db)')
    .option('--cases <glob>', 'case files to score against (default evals/cases/*.yaml)')
    .option('--dry-run', 'show what would change, store nothing')
    .option('--json', 'machine-readable result on stdout')
    .action(async (runArg: string, o: { db?: string; cases?: string; dryRun?: boolean; json?: boolean }) => {
      const path = resolve(o.db ?? defaultDbPath);
      if (!existsSync(path)) throw new UsageError(`--db: no results database at ${path}`, 'run `netharness eval` first, or pass --db');
      const [{ loadCases }, { EvalStore }, { rescoreTrials }, { defaultAllowList }, { SCORING_VERSION }] = await Promise.all([
        caseLoader(),
        import('../../evals/store.ts'),
        import('../../evals/scoring/rescore.ts'),
        import('../../evals/scoring/allow-list.ts'),
        import('../../evals/scoring/score.ts'),
      ]);
      const cases = new Map(loadCases({ cases: o.cases }).map((lc) => [lc.case.id, lc.case]));
      const store = openStore(path);
      try {
        const runId = store.resolveRunId(runArg);
        const run = store.getRun(runId).run;
        if (run.kind !== 'eval') throw new UsageError(`<run>: run ${runId} is a ${run.kind} run, not an eval run`);
        const es = new EvalStore(store);
        const trials = es.trials(runId).filter((t) => t.status === 'scored');
        const outcomes = rescoreTrials(
          trials.map((t) => {
            const prev = es.latestScore(t.id);
            return {
              trialId: t.id,
              caseId: t.caseId,
              repeat: t.repeat,
              bindings: t.bindings,
              answer: es.answer(t.id),
              safety: t.safety,
              budget: t.effort?.budget ?? null,
              toolCalls: es.toolCalls(t.id),
              previous: prev ? { scoringVersion: prev.scoringVersion, passed: prev.passed, scores: prev.scores } : null,
            };
          }),
          cases,
          defaultAllowList(),
        );
        // one transaction: an interrupted rescore stores all of it or nothing
        if (!o.dryRun) store.transaction(() => outcomes.forEach((r) => r.status === 'rescored' && es.recordScore(r.trialId, r.score)));
        const rescored = outcomes.filter((r) => r.status === 'rescored');
        const passed = rescored.filter((r) => r.score.passed).length;
        if (o.json) {
          const trialsOut = outcomes.map((r) =>
            r.status === 'rescored'
              ? {
                  trial: r.trialId,
                  case: r.caseId,
                  repeat: r.repeat,
                  passed: r.score.passed,
                  scores: r.score.scores,
                  safety: r.score.safety,
                  changed: r.changed,
                }
              : { trial: r.trialId, case: r.caseId, repeat: r.repeat, skipped: r.reason },
          );
          process.stdout.write(
            `${JSON.stringify({ runId, scoringVersion: SCORING_VERSION, stored: !o.dryRun, trials: trialsOut, passed, rescored: rescored.length }, null, 2)}\n`,
          );
        } else {
          process.stdout.write(
            `${renderTable(
              ['trial', 'case', 'repeat', 'passed', 'changes'],
              outcomes.map((r) =>
                r.status === 'rescored'
                  ? [
                      r.trialId,
                      r.caseId,
                      r.repeat,
                      r.score.passed ? 'yes' : 'no',
                      r.changed.join('; ') || (r.previous ? '-' : 'first score'),
                    ]
                  : [r.trialId, r.caseId, r.repeat, 'skipped', r.reason],
              ),
            )}\nrun ${runId}: ${rescored.length} trials rescored with ${SCORING_VERSION}, ${passed} passed${o.dryRun ? ' (dry run: nothing stored)' : ''}\n`,
          );
        }
      } finally {
        store.close();
      }
    });
  // `netharness eval [--suite|--cases ...]`: the runner (evals/runner/command.ts)
  registerEvalRun(ev);
  // `netharness eval suite`: reference + capture, baselines from the bundles, the report (evals/runner/suite.ts)
  registerEvalSuite(ev);
  // --model, --base-url, ... of the model agents (evals/agents/model/flags.ts)
  addModelFlags(ev);
  return ev;
}
