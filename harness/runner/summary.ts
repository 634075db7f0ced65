/**
 * The run summary: built from what the store recorded, rendered as text (terminal), Markdown and JSON
 * (artifacts). The table renderer is shared with `check`, `runs` and the per-check CLIs.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExitCode } from '../errors.ts';
import type { Store } from '../store/store.ts';
import { formatMs } from './progress.ts';
import type { SummaryTable } from './scenario.ts';
import { fmtNum, stats } from './stats.ts';
import { markdownTable } from '../markdown.ts';

export type RunVerdict = 'passed' | 'failed' | 'error' | 'interrupted';

export const EXIT: Record<RunVerdict, number> = {
  passed: ExitCode.ok,
  failed: ExitCode.checkFailed,
  error: ExitCode.error,
  interrupted: ExitCode.interrupted,
};

export interface MeasurementStat {
  name: string;
  unit: string;
  group: string;
  count: number;
  p50: number | null;
  p95: number | null;
  max: number | null;
}

export interface RunSummary {
  runId: string;
  scenario: string;
  target: string;
  verdict: RunVerdict;
  exitCode: number;
  startedAt: string;
  endedAt: string;
  durationMs: number;
  params: Record<string, unknown>;
  steps: { total: number; passed: number; failed: number; error: number; interrupted: number };
  checks: { total: number; passed: number; failed: number; error: number };
  findings: Record<string, number>;
  measurements: MeasurementStat[];
  tables: SummaryTable[];
  error?: string;
  artifactsDir: string;
  db: string;
}

export interface SummaryInput {
  scenario: string;
  target: string;
  verdict: RunVerdict;
  startedAt: string;
  durationMs: number;
  params: Record<string, unknown>;
  tables: SummaryTable[];
  error?: string;
  artifactsDir: string;
  db: string;
}

export function buildSummary(store: Store, runId: string, s: SummaryInput): RunSummary {
  const d = store.getRun(runId);
  const steps = { total: d.steps.length, passed: 0, failed: 0, error: 0, interrupted: 0 };
  for (const st of d.steps) if (st.status !== 'running') steps[st.status]++;
  const checks = { total: d.checks.length, passed: 0, failed: 0, error: 0 };
  for (const c of d.checks) checks[c.status]++;
  const findings: Record<string, number> = {};
  for (const f of d.findings) findings[f.kind] = (findings[f.kind] ?? 0) + 1;
  const groups = new Map<string, { name: string; unit: string; group: string; values: number[] }>();
  for (const m of d.measurements) {
    const group = m.labels.scenario ?? m.labels.group ?? '';
    const key = `${group}\u0000${m.name}\u0000${m.unit}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { name: m.name, unit: m.unit, group, values: [] }));
    g.values.push(m.value);
  }
  const measurements = [...groups.values()].map((g) => {
    const st = stats(g.values);
    return { name: g.name, unit: g.unit, group: g.group, count: st.count, p50: st.p50, p95: st.p95, max: st.max };
  });
  return {
    runId,
    scenario: s.scenario,
    target: s.target,
    verdict: s.verdict,
    exitCode: EXIT[s.verdict],
    startedAt: s.startedAt,
    endedAt: new Date().toISOString(),
    durationMs: s.durationMs,
    params: s.params,
    steps,
    checks,
    findings,
    measurements,
    tables: s.tables,
    ...(s.error ? { error: s.error } : {}),
    artifactsDir: s.artifactsDir,
    db: s.db,
  };
}

/** The measurements table's columns, one shape for the terminal summary, summary.md and the Markdown report. */
export const MEASUREMENT_COLUMNS = ['group', 'name', 'unit', 'n', 'p50', 'p95', 'max'];

/** One row per measurement stat, in MEASUREMENT_COLUMNS' order. */
export function measurementRows(ms: readonly MeasurementStat[]): (string | number | null)[][] {
  return ms.map((m) => [m.group || '-', m.name, m.unit, m.count, m.p50, m.p95, m.max]);
}

/** Plain-text table with aligned columns. */
export function renderTable(columns: string[], rows: (string | number | null)[][]): string {
  const cells = rows.map((r) => r.map((c) => (c === null || c === undefined ? '-' : typeof c === 'number' ? fmtNum(c) : c)));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string =>
    r
      .map((c, i) => (c ?? '').padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

export function renderSummaryText(s: RunSummary): string {
  const out: string[] = [];
  out.push(`scenario ${s.scenario}  run ${s.runId}  target ${s.target}`);
  out.push(
    `verdict ${s.verdict.toUpperCase()} (exit ${s.exitCode}) in ${formatMs(s.durationMs)}; steps ${s.steps.passed}/${s.steps.total} passed; checks ${s.checks.passed}/${s.checks.total} passed`,
  );
  if (s.error) out.push(`error: ${s.error}`);
  const fk = Object.entries(s.findings);
  if (fk.length) out.push(`findings: ${fk.map(([k, n]) => `${k}=${n}`).join(', ')}`);
  for (const t of s.tables) {
    out.push('', t.title, renderTable(t.columns, t.rows));
  }
  if (s.measurements.length && !s.tables.length)
    out.push('', 'measurements', renderTable(MEASUREMENT_COLUMNS, measurementRows(s.measurements)));
  out.push('', `results: ${s.artifactsDir}  db: ${s.db}`);
  out.push(`report: netharness report ${s.runId} --db ${s.db}  (HTML in results/reports/${s.runId}/)`);
  return out.join('\n');
}

export function renderSummaryMarkdown(s: RunSummary): string {
  const out: string[] = [];
  out.push(`# ${s.scenario}: ${s.verdict}`, '');
  out.push(
    `- run: \`${s.runId}\``,
    `- target: ${s.target}`,
    `- started: ${s.startedAt}`,
    `- duration: ${formatMs(s.durationMs)}`,
    `- exit code: ${s.exitCode}`,
    `- report: \`netharness report ${s.runId} --db ${s.db}\` (results/reports/${s.runId}/report.html)`,
  );
  out.push(`- steps: ${s.steps.passed}/${s.steps.total} passed`, `- checks: ${s.checks.passed}/${s.checks.total} passed`);
  if (s.error) out.push(`- error: ${s.error}`);
  out.push('', '## Params', '', '```json', JSON.stringify(s.params, null, 2), '```');
  for (const t of s.tables) out.push('', `## ${t.title}`, '', markdownTable(t.columns, t.rows));
  if (Object.keys(s.findings).length) out.push('', '## Findings', '', markdownTable(['kind', 'count'], Object.entries(s.findings)));
  if (s.measurements.length) out.push('', '## Measurements', '', markdownTable(MEASUREMENT_COLUMNS, measurementRows(s.measurements)));
  return `${out.join('\n')}\n`;
}

export function writeSummaryFiles(s: RunSummary): void {
  try {
    mkdirSync(s.artifactsDir, { recursive: true });
    writeFileSync(join(s.artifactsDir, 'summary.json'), `${JSON.stringify(s, null, 2)}\n`);
    writeFileSync(join(s.artifactsDir, 'summary.md'), renderSummaryMarkdown(s));
  } catch {
    /* the DB has it all; a read-only results dir must not change the verdict */
  }
}
