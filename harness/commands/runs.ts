/**
 * `netharness runs [list] [--db PATH] [--json] [--limit N] [--kind scenario|eval|check] [--name N]` lists recorded
 * runs (scenario runs, eval runs and `check <name>` runs alike);
 * `netharness runs show <uuid-or-prefix> [--db PATH] [--json]` shows one with steps, checks, findings, measurements, events.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../errors.ts';
import { defaultDbPath } from '../constants.ts';
import { formatMs } from '../runner/progress.ts';
import { renderTable } from '../runner/summary.ts';
import { openStore, type RunDetail, type RunKind, type RunRow } from '../store/store.ts';
import { registerRunsTrend } from './runs-trend.ts';

interface RunsOptions {
  db?: string;
  json?: boolean;
  limit?: string;
  kind?: string;
  name?: string;
}

const RUN_KINDS: readonly RunKind[] = ['scenario', 'eval', 'check'];

function dbPathOf(o: RunsOptions): string {
  const p = resolve(o.db ?? defaultDbPath);
  if (!existsSync(p)) throw new UsageError(`no results database at ${p}`, 'run a scenario first, or pass --db');
  return p;
}

function duration(r: { startedAt: string; endedAt: string | null }): string {
  if (!r.endedAt) return '-';
  return formatMs(Date.parse(r.endedAt) - Date.parse(r.startedAt));
}

export function renderRunDetail(d: RunDetail): string {
  const r = d.run;
  const out: string[] = [];
  out.push(
    `run ${r.id}`,
    `  ${r.kind} ${r.name} on ${r.target}`,
    `  verdict ${r.verdict}, started ${r.startedAt}, duration ${duration(r)}${r.gitSha ? `, git ${r.gitSha.slice(0, 12)}` : ''}`,
  );
  out.push(`  params ${JSON.stringify(r.params)}`);
  const err = (r.summary as { error?: string }).error;
  if (err) out.push(`  error: ${err}`);
  if (d.steps.length) {
    out.push(
      '',
      'steps',
      renderTable(
        ['#', 'step', 'status', 'duration', 'error'],
        d.steps.map((s) => [
          s.seq,
          `${'  '.repeat(s.path.length - 1)}${s.name}`,
          s.status,
          s.durationMs === null ? '-' : formatMs(s.durationMs),
          (s.error ?? '').slice(0, 100),
        ]),
      ),
    );
  }
  if (d.checks.length)
    out.push(
      '',
      'checks',
      renderTable(
        ['check', 'status', 'duration', 'summary'],
        d.checks.map((c) => [c.name, c.status, formatMs(c.durationMs), (c.summary ?? '').slice(0, 100)]),
      ),
    );
  if (d.findings.length) {
    const shown = d.findings.slice(0, 200);
    out.push(
      '',
      `findings (${d.findings.length}${d.findings.length > shown.length ? `, first ${shown.length}` : ''})`,
      renderTable(
        ['check', 'kind', 'subject', 'node', 'expected', 'actual', 'labels'],
        shown.map((f) => [
          f.check,
          f.kind,
          f.subject,
          f.node ?? '',
          f.expected ?? '',
          f.actual ?? '',
          Object.entries(f.labels)
            .map(([k, v]) => `${k}=${v}`)
            .join(','),
        ]),
      ),
    );
  }
  if (d.measurements.length) {
    const shown = d.measurements.slice(0, 200);
    out.push(
      '',
      `measurements (${d.measurements.length})`,
      renderTable(
        ['name', 'value', 'unit', 'labels'],
        shown.map((m) => [
          m.name,
          m.value,
          m.unit,
          Object.entries(m.labels)
            .map(([k, v]) => `${k}=${v}`)
            .join(','),
        ]),
      ),
    );
  }
  if (d.events.length)
    out.push(
      '',
      `events (${d.events.length})`,
      renderTable(
        ['at', 'kind', 'target'],
        d.events.slice(0, 200).map((e) => [e.at, e.kind, e.target ?? '']),
      ),
    );
  return out.join('\n');
}

function listRuns(o: RunsOptions): void {
  const limit = o.limit === undefined ? 20 : Number(o.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit: expected a positive integer, got '${o.limit}'`);
  if (o.kind !== undefined && !(RUN_KINDS as readonly string[]).includes(o.kind))
    throw new UsageError(`--kind: expected one of ${RUN_KINDS.join(', ')}, got '${o.kind}'`);
  const store = openStore(dbPathOf(o));
  try {
    const rows = store.listRuns({ limit, kind: o.kind as RunKind | undefined, name: o.name });
    if (o.json) {
      process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      return;
    }
    if (!rows.length) {
      process.stdout.write('no runs recorded\n');
      return;
    }
    process.stdout.write(
      `${renderTable(
        ['run', 'kind', 'name', 'target', 'started', 'duration', 'verdict'],
        rows.map((r: RunRow) => [r.id, r.kind, r.name, r.target, r.startedAt.replace('T', ' ').slice(0, 19), duration(r), r.verdict]),
      )}\n`,
    );
  } finally {
    store.close();
  }
}

export function registerRuns(program: Command): void {
  const listOptions = (c: Command): Command =>
    c
      .option('--db <path>', 'results database (default results/netharness.db)')
      .option('--json', 'machine-readable output')
      .option('--limit <n>', 'how many runs (default 20)')
      .option('--kind <kind>', `only runs of this kind (${RUN_KINDS.join(', ')})`)
      .option('--name <name>', 'only runs of this scenario / eval / check');
  const runs = listOptions(program.command('runs').description('list and show recorded runs (scenarios, evals, checks)')).action(
    (o: RunsOptions) => listRuns(o),
  );
  listOptions(runs.command('list').description('list recorded runs, newest first (the default of `runs`)')).action(
    (o: RunsOptions, cmd: Command) => listRuns({ ...(cmd.parent?.opts<RunsOptions>() ?? {}), ...o }),
  );
  runs
    .command('show')
    .description('show one run with its steps, checks, findings, measurements and events')
    .argument('<run>', 'run uuid or a unique prefix')
    .option('--db <path>', 'results database (default results/netharness.db)')
    .option('--json', 'machine-readable output')
    .action(async (id: string, o: RunsOptions, cmd: Command) => {
      // the eval detail (evals/runner/show.ts) pulls the eval runner in: loaded for this command only
      const { evalRunDetail, renderEvalDetail } = await import('../../evals/runner/show.ts');
      const parent = cmd.parent?.opts<RunsOptions>() ?? {};
      const merged: RunsOptions = { db: o.db ?? parent.db, json: o.json ?? parent.json };
      const store = openStore(dbPathOf(merged));
      try {
        const d = store.getRun(id);
        const ev = d.run.kind === 'eval' ? evalRunDetail(store, d.run.id) : undefined; // eval trials (evals/runner/show.ts)
        process.stdout.write(
          merged.json
            ? `${JSON.stringify(ev ? { ...d, eval: ev } : d, null, 2)}\n`
            : `${renderRunDetail(d)}${ev ? renderEvalDetail(ev) : ''}\n`,
        );
      } finally {
        store.close();
      }
    });
  registerRunsTrend(runs);
}
