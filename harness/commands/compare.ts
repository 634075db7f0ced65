/**
 * `netharness compare <base> <new> [--thresholds FILE] [--db PATH] [--json] [--all]`: compare two stored runs
 * (ids, prefixes or 'latest'). Exit 0 when nothing regressed, 1 on a regression (the regressed measurements are
 * named), 2 on a usage error.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { ExitCode, UsageError } from '../errors.ts';
import { defaultDbPath } from '../constants.ts';
import type { Comparison } from '../compare/index.ts';
import type { Thresholds } from '../compare/thresholds.ts';
import { renderTable } from '../runner/summary.ts';
import { fmtNum } from '../runner/stats.ts';
import { openStore } from '../store/store.ts';

interface CompareOptions {
  thresholds?: string;
  db?: string;
  json?: boolean;
}

const pctText = (c: Comparison): string => (c.pct === null ? '-' : `${c.pct > 0 ? '+' : ''}${c.pct.toFixed(1)}%`);

export function registerCompare(program: Command): void {
  program
    .command('compare')
    .description('compare two stored runs per measurement, metric and score; exit 1 on a regression')
    .argument('<base>', "base run (uuid, prefix or 'latest')")
    .argument('<new>', "new run (uuid, prefix or 'latest')")
    .option(
      '--thresholds <file>',
      'YAML thresholds per measurement (defaults: 20% and 0.05 worse, Mann-Whitney p < 0.05 with >= 3 samples)',
    )
    .option('--db <path>', 'results database (default results/netharness.db)')
    .option('--json', 'machine-readable output')
    .action(async (baseRef: string, newRef: string, o: CompareOptions) => {
      // the comparison, thresholds (zod) and run references are loaded by the action, not by `--help`
      const [{ compareRuns }, { loadThresholds }, { resolveRunRef }] = await Promise.all([
        import('../compare/index.ts'),
        import('../compare/thresholds.ts'),
        import('../report/model.ts'),
      ]);
      const t: Thresholds = o.thresholds ? loadThresholds(o.thresholds) : {};
      const db = resolve(o.db ?? defaultDbPath);
      if (!existsSync(db)) throw new UsageError(`--db: no results database at ${db}`, 'run a scenario first, or pass --db');
      const store = openStore(db, { markCrashed: false });
      let regressed = false;
      try {
        const r = compareRuns(store, resolveRunRef(store, baseRef), resolveRunRef(store, newRef), t);
        regressed = r.regressions.length > 0;
        if (o.json) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
        else {
          process.stdout.write(`base ${r.base.id} (${r.base.kind} ${r.base.name}, ${r.base.verdict}, ${r.base.startedAt})\n`);
          process.stdout.write(`new  ${r.new.id} (${r.new.kind} ${r.new.name}, ${r.new.verdict}, ${r.new.startedAt})\n\n`);
          process.stdout.write(
            `${renderTable(
              ['measurement', 'stat', 'base', 'new', 'delta', '%', 'n', 'p (MWU)', 'verdict', 'why'],
              r.comparisons.map((c) => [
                c.key,
                c.stat,
                c.base,
                c.new,
                c.delta,
                pctText(c),
                `${c.nBase}/${c.nNew}`,
                c.mannWhitney ? fmtNum(c.mannWhitney.p, 3) : '-',
                c.verdict,
                c.reason,
              ]),
            )}\n\n`,
          );
          if (r.paired) {
            const p = r.paired;
            process.stdout.write(
              `paired (overall, same cases): ${p.pairs} trial pairs, only base passed ${p.mcnemar.b}, only new passed ${p.mcnemar.c}, McNemar exact p=${p.mcnemar.p.toFixed(4)}; pass@1 ${p.pass1A?.toFixed(3) ?? '-'} -> ${p.pass1B?.toFixed(3) ?? '-'}, bootstrap over ${p.bootstrap.cases} cases ${p.bootstrap.diff >= 0 ? '+' : ''}${p.bootstrap.diff.toFixed(3)} [${p.bootstrap.lo.toFixed(3)}, ${p.bootstrap.hi.toFixed(3)}]\n`,
            );
          }
          process.stdout.write(regressed ? `REGRESSION: ${r.regressions.join(', ')}\n` : 'no regression\n');
        }
        if (r.base.kind !== r.new.kind || r.base.name !== r.new.name)
          process.stderr.write(`warning: comparing ${r.base.kind} ${r.base.name} with ${r.new.kind} ${r.new.name}\n`);
      } finally {
        store.close();
      }
      if (regressed) process.exitCode = ExitCode.checkFailed;
    });
}
