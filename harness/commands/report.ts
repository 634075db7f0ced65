/**
 * `netharness report <run|latest> [--format html|md|json|junit ...] [--out DIR] [--db PATH] [--json]`: render a
 * stored run (scenario, check or eval) from the results database. --format may repeat or be comma-separated;
 * default html. Prints the written paths (or, with --json, one object per file). An eval run's accuracy report
 * also covers `--with` runs (else the latest run of every other agent x MCP server on the same suite; `--alone`: none).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../errors.ts';
import { defaultDbPath } from '../constants.ts';
import { REPORT_FORMATS, type ReportFormat } from '../report/formats.ts';
import type { WrittenReport } from '../report/index.ts';
import { openStore } from '../store/store.ts';

interface ReportOptions {
  format?: string[];
  out?: string;
  db?: string;
  json?: boolean;
  with?: string[];
  alone?: boolean;
}

export function parseFormats(values: readonly string[]): ReportFormat[] {
  const out: ReportFormat[] = [];
  for (const v of values
    .flatMap((x) => x.split(','))
    .map((x) => x.trim())
    .filter(Boolean)) {
    if (!(REPORT_FORMATS as readonly string[]).includes(v))
      throw new UsageError(`--format: expected one of ${REPORT_FORMATS.join(', ')}, got '${v}'`);
    if (!out.includes(v as ReportFormat)) out.push(v as ReportFormat);
  }
  return out.length ? out : ['html'];
}

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('render HTML / Markdown / JSON / JUnit reports of a stored run from the database')
    .argument('<run>', "run uuid, a unique prefix, or 'latest'")
    .option(
      '--format <fmt>',
      `${REPORT_FORMATS.join(' | ')} (repeat or comma-separate for several; default html)`,
      (v: string, prev: string[] | undefined) => [...(prev ?? []), v],
    )
    .option('--out <dir>', 'directory for the report files (default results/reports/<run-id>)')
    .option('--db <path>', 'results database (default results/netharness.db)')
    .option('--json', 'print what was written as JSON')
    .option(
      '--with <run>',
      'eval runs: also these eval runs (other agents, models, MCP servers, baselines; repeat or comma-separate). Default: the latest run of every other agent x MCP server on the same suite',
      (v: string, prev: string[] | undefined) => [
        ...(prev ?? []),
        ...v
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean),
      ],
    )
    .option('--alone', 'eval runs: only this run, no companions')
    .action(async (ref: string, o: ReportOptions) => {
      const formats = parseFormats(o.format ?? []);
      if (o.with?.length && o.alone) throw new UsageError('--with and --alone: give one of them');
      const db = resolve(o.db ?? defaultDbPath);
      if (!existsSync(db)) throw new UsageError(`--db: no results database at ${db}`, 'run a scenario first, or pass --db');
      // the renderers (ECharts) are loaded for this command only, not by `--help`
      const { buildReportModel, resolveRunRef, writeReport } = await import('../report/index.ts');
      const store = openStore(db, { markCrashed: false });
      try {
        const runId = resolveRunRef(store, ref);
        const t0 = performance.now();
        let model;
        try {
          model = buildReportModel(store, runId, { with: o.with, alone: o.alone });
        } catch (err) {
          if (err instanceof Error && err.message.startsWith('--with ')) throw new UsageError(err.message);
          throw err;
        }
        const buildMs = performance.now() - t0;
        const written: WrittenReport[] = formats.map((format, i) => {
          const w = writeReport(store, runId, { format, outDir: o.out, model });
          return i === 0 ? { ...w, ms: w.ms + buildMs } : w; // the first file carries the model's build time
        });
        if (o.json) process.stdout.write(`${JSON.stringify(written, null, 2)}\n`);
        else
          for (const w of written)
            process.stdout.write(`${w.format.padEnd(5)} ${w.path} (${(w.bytes / 1024).toFixed(1)} KiB, ${w.ms.toFixed(0)} ms)\n`);
      } finally {
        store.close();
      }
    });
}
