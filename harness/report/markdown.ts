/** The Markdown report: short enough for a CI job summary ($GITHUB_STEP_SUMMARY), derived from the same model. */
import { findingsByKindAndNode, type ReportModel } from './model.ts';
import { fmtNum } from '../runner/stats.ts';
import { MEASUREMENT_COLUMNS, measurementRows } from '../runner/summary.ts';
import { markdownTable as md } from '../markdown.ts';
import { evalMarkdownSections } from './eval/render.ts';

export function renderMarkdown(m: ReportModel): string {
  const r = m.detail.run;
  const icon = r.verdict === 'passed' ? '✅' : r.verdict === 'running' ? '⏳' : '❌';
  const out: string[] = [`# ${icon} ${r.kind} \`${r.name}\`: ${r.verdict}`, ''];
  out.push(`- run: \`${r.id}\``, `- target: ${r.target}`, `- started: ${r.startedAt}`);
  if (r.endedAt) out.push(`- duration: ${((Date.parse(r.endedAt) - Date.parse(r.startedAt)) / 1000).toFixed(1)} s`);
  const params = Object.entries(r.params ?? {}).filter(([, v]) => v !== '' && v !== undefined && v !== null);
  if (params.length)
    out.push(`- params: ${params.map(([k, v]) => `\`${k}=${typeof v === 'string' ? v : JSON.stringify(v)}\``).join(', ')}`);
  const err = (r.summary as { error?: unknown }).error;
  if (err) out.push(`- error: ${String(err)}`);
  if (m.eval) out.push('', evalMarkdownSections(m.eval));
  const tables = (r.summary as { tables?: { title: string; columns: string[]; rows: unknown[][] }[] }).tables ?? [];
  for (const t of tables) out.push('', `## ${t.title}`, '', md(t.columns, t.rows));
  if (m.correlation.points.length) {
    const c = m.correlation;
    out.push(
      '',
      '## Rule counts vs convergence',
      '',
      `${c.note}. Largest per-node count vs ${c.measurement}: Pearson ${fmtNum(c.maxRules.pearson)}, Spearman ${fmtNum(c.maxRules.spearman)}.`,
    );
  }
  if (m.trials.length)
    out.push(
      '',
      '## Trials',
      '',
      md(
        ['case', 'repeat', 'attempt', 'status', 'passed', 'overall'],
        m.trials.map((t) => [t.caseId, t.repeat, t.attempt, t.status, t.passed === null ? '-' : t.passed ? 'yes' : 'no', t.overall]),
      ),
    );
  if (m.detail.checks.length)
    out.push(
      '',
      '## Checks',
      '',
      md(
        ['check', 'status', 'summary'],
        m.detail.checks.map((c) => [c.name, c.status, c.summary ?? '']),
      ),
    );
  if (m.detail.findings.length) {
    const f = findingsByKindAndNode(m);
    out.push(
      '',
      `## Findings (${m.detail.findings.length})`,
      '',
      md(
        ['kind', ...f.nodes],
        f.kinds.map((k) => [k, ...f.nodes.map((n) => f.count(k, n))]),
      ),
    );
  }
  if (m.measurements.length) out.push('', '## Measurements', '', md(MEASUREMENT_COLUMNS, measurementRows(m.measurements)));
  if (m.series.length) {
    const names = [...new Set(m.series.map((s) => s.metricName))];
    out.push(
      '',
      '## Metric series',
      '',
      md(
        ['metric', 'series', 'points'],
        names.map((n) => {
          const ss = m.series.filter((s) => s.metricName === n);
          return [n, ss.length, ss.reduce((a, s) => a + s.points.length, 0)];
        }),
      ),
    );
  }
  return `${out.join('\n')}\n`;
}
