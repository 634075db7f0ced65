/**
 * `netharness runs trend <scenario> [--measurement M] [--limit N] [--kind K] [--db PATH] [--json]`: a measurement
 * across the stored runs of a scenario (or check / eval), oldest first (harness/analysis/trend.ts).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../errors.ts';
import { defaultDbPath } from '../constants.ts';
import { trend } from '../analysis/trend.ts';
import { renderTable } from '../runner/summary.ts';
import { fmtNum } from '../runner/stats.ts';
import { openStore, type RunKind } from '../store/store.ts';

interface TrendOptions {
  measurement?: string;
  limit?: string;
  kind?: string;
  db?: string;
  json?: boolean;
}

export function registerRunsTrend(runs: Command): void {
  runs
    .command('trend')
    .description('a measurement across the stored runs of a scenario, oldest first (p50/p95/max per run, slope)')
    .argument('<scenario>', 'scenario (or check / eval) name as in `runs list`')
    .option('--measurement <name>', 'one measurement (name or group/name); default all')
    .option('--limit <n>', 'the latest N runs (default 50)')
    .option('--kind <kind>', 'scenario, check or eval (default any)')
    .option('--db <path>', 'results database (default results/netharness.db)')
    .option('--json', 'machine-readable output')
    .action((scenario: string, o: TrendOptions, cmd: Command) => {
      const parent = cmd.parent?.opts<{ db?: string; json?: boolean }>() ?? {};
      const limit = o.limit === undefined ? 50 : Number(o.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit: expected a positive integer, got '${o.limit}'`);
      if (o.kind !== undefined && !['scenario', 'check', 'eval'].includes(o.kind))
        throw new UsageError(`--kind: expected scenario, check or eval, got '${o.kind}'`);
      const db = resolve(o.db ?? parent.db ?? defaultDbPath);
      if (!existsSync(db)) throw new UsageError(`--db: no results database at ${db}`, 'run a scenario first, or pass --db');
      const store = openStore(db, { markCrashed: false });
      try {
        const ts = trend(store, scenario, { measurement: o.measurement, limit, kind: o.kind as RunKind | undefined });
        if (!ts.length) {
          const hint = store.listRuns({ name: scenario, limit: 1 }).length
            ? `no measurement ${o.measurement ? `'${o.measurement}' ` : ''}in its runs`
            : `no runs of '${scenario}'`;
          throw new UsageError(`runs trend ${scenario}: ${hint}`, 'list runs with `netharness runs list`');
        }
        if (o.json ?? parent.json) {
          process.stdout.write(`${JSON.stringify(ts, null, 2)}\n`);
          return;
        }
        for (const t of ts) {
          process.stdout.write(
            `${t.key} (${t.unit}): slope ${fmtNum(t.slopePerRun, 3)}/run, first->last ${t.changePct === null ? '-' : `${t.changePct > 0 ? '+' : ''}${t.changePct.toFixed(1)}%`}\n`,
          );
          process.stdout.write(
            `${renderTable(
              ['run', 'started', 'verdict', 'n', 'p50', 'p95', 'max'],
              t.points.map((p) => [p.runId.slice(0, 8), p.startedAt.replace('T', ' ').slice(0, 19), p.verdict, p.n, p.p50, p.p95, p.max]),
            )}\n\n`,
          );
        }
      } finally {
        store.close();
      }
    });
}
