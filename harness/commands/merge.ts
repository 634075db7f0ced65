/**
 * `netharness merge --out OUT.db IN.db...`: join result databases (the nightly job's shards) into one, run ids
 * kept (evals/merge.ts). Exit 0 merged, 2 on a usage error or a conflicting run (nothing written).
 */
import type { Command } from 'commander';
import { renderTable } from '../runner/summary.ts';
import { UsageError } from '../errors.ts';

export function registerMerge(program: Command): void {
  program
    .command('merge')
    .description('merge results databases (runs, eval trials, tool calls, answers, scores, transcripts, ...) into one; run ids kept')
    .argument('<db...>', 'input databases')
    .option('--out <path>', 'the merged database (created, or merged into when it exists)')
    .option('--json', 'machine-readable result on stdout')
    .action(async (inputs: string[], o: { out?: string; json?: boolean }) => {
      if (!o.out) throw new UsageError('--out <path> is required (the merged database)');
      const { mergeDatabases } = await import('../../evals/merge.ts');
      const r = mergeDatabases(o.out, inputs);
      if (o.json) {
        process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
        return;
      }
      process.stdout.write(
        `${renderTable(
          ['input', 'runs merged', 'skipped (identical)'],
          r.inputs.map((i) => [i.path, i.runs, i.skipped]),
        )}\n${renderTable(
          ['table', 'rows'],
          Object.entries(r.rows).map(([t, n]) => [t, n]),
        )}\nmerged ${r.runs.length} runs into ${r.out}${
          Object.keys(r.notMerged).length
            ? `; not part of a run, not merged: ${Object.entries(r.notMerged)
                .map(([t, n]) => `${t} (${n})`)
                .join(', ')}`
            : ''
        }\n`,
      );
    });
}
