/**
 * `netharness eval` — LLM root-cause evals (evals/README.md).
 *   eval list [--cases GLOB] [--json]        the cases: id, title, layer, tags, control
 *   eval rescore <file> [--json]             recompute scores from stored answers (no cluster)
 * The run subcommand (trials on a target) belongs to the eval runner (evals/runner/): one line below.
 */
import type { Command } from 'commander';
import { renderTable } from '../runner/run.ts';
import { listChecks } from '../checks/registry.ts';
import { checkReferences, listRow, loadCases } from '../../evals/cases/loader.ts';

export function registerEval(program: Command): Command {
  const ev = program.command('eval').description('score root-cause analyses of agents against cases with known answers (evals/README.md)');
  ev.command('list')
    .description('the eval cases: id, title, layer, difficulty, tags, whether it is a no-fault control')
    .option('--cases <glob>', 'case files (a glob, directory or file; default evals/cases/*.yaml)')
    .option('--json', 'machine-readable list on stdout')
    .action((o: { cases?: string; json?: boolean }) => {
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
  return ev;
}
