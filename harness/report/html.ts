/**
 * The HTML report: one self-contained file (inline CSS and SVG charts, no script, no external URL), readable
 * offline. Every value is escaped; run params and summaries were scrubbed of secrets when stored.
 */
import { buildCharts } from './charts.ts';
import { findingsByKindAndNode, type ReportModel } from './model.ts';
import { fmtNum } from '../runner/stats.ts';
import { EVAL_CSS, evalHtmlSections } from './eval/render.ts';

export function esc(s: unknown): string {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

function cell(v: unknown): string {
  if (v === null || v === undefined) return '-';
  return typeof v === 'number' ? fmtNum(v) : String(v);
}

function table(columns: string[], rows: unknown[][], cls = ''): string {
  if (!rows.length) return '<p class="empty">none</p>';
  return `<table${cls ? ` class="${cls}"` : ''}><thead><tr>${columns.map((c) => `<th>${esc(c)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${esc(cell(c))}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

const CSS = `body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#222;max-width:1100px}
h1{font-size:22px}h2{font-size:18px;margin-top:28px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:13px;margin:8px 0}th,td{border:1px solid #ddd;padding:3px 8px;text-align:left}
th{background:#f4f4f4}.verdict-passed{color:#17702b}.verdict-failed,.verdict-error,.verdict-crashed{color:#b00020}
.verdict-interrupted{color:#a06000}.chart{margin:12px 0;border:1px solid #eee}.empty{color:#777}
code{background:#f4f4f4;padding:1px 4px}dl{display:grid;grid-template-columns:max-content auto;gap:2px 12px}dt{font-weight:600}`;

export function renderHtml(m: ReportModel): string {
  const r = m.detail.run;
  const charts = buildCharts(m);
  const dur = r.endedAt ? `${((Date.parse(r.endedAt) - Date.parse(r.startedAt)) / 1000).toFixed(1)} s` : '-';
  const f = findingsByKindAndNode(m);
  const parts: string[] = [];
  parts.push(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">`,
    `<title>${esc(`${r.kind} ${r.name} ${r.verdict} (${r.id.slice(0, 8)})`)}</title><style>${CSS}${m.eval ? `\n${EVAL_CSS}` : ''}</style></head><body>`,
    `<h1>${esc(r.kind)} <code>${esc(r.name)}</code>: <span class="verdict-${esc(r.verdict)}">${esc(r.verdict)}</span></h1>`,
    `<dl><dt>run</dt><dd><code>${esc(r.id)}</code></dd><dt>target</dt><dd>${esc(r.target)}</dd><dt>started</dt><dd>${esc(r.startedAt)}</dd>`,
    `<dt>duration</dt><dd>${esc(dur)}</dd>${r.gitSha ? `<dt>git</dt><dd><code>${esc(r.gitSha.slice(0, 12))}</code></dd>` : ''}`,
    `<dt>params</dt><dd><code>${esc(JSON.stringify(r.params))}</code></dd><dt>report</dt><dd>generated ${esc(m.generatedAt)} from the results database</dd></dl>`,
  );
  const err = (r.summary as { error?: unknown }).error;
  if (err) parts.push(`<p class="verdict-error">error: ${esc(err)}</p>`);
  if (m.eval) parts.push(evalHtmlSections(m.eval));

  const tables = (r.summary as { tables?: { title: string; columns: string[]; rows: unknown[][] }[] }).tables ?? [];
  for (const t of tables) parts.push(`<h2>${esc(t.title)}</h2>`, table(t.columns, t.rows));

  parts.push(`<h2>Charts</h2>`);
  if (!charts.length) parts.push('<p class="empty">this run recorded nothing to chart</p>');
  for (const c of charts)
    parts.push(
      `<figure class="chart" id="chart-${esc(c.id)}" data-chart="${esc(c.id)}" data-series="${c.series}">${c.svg}<figcaption>${esc(c.title)}</figcaption></figure>`,
    );

  if (m.iterations.length) {
    const names = [...new Set(m.iterations.flatMap((i) => Object.keys(i.values)))];
    parts.push(
      '<h2>Iterations</h2>',
      table(
        ['group', 'iteration', 'node', ...names],
        m.iterations.map((i) => [i.group || '-', i.iteration, i.node ?? '-', ...names.map((n) => i.values[n])]),
      ),
    );
  }
  if (m.correlation.points.length) {
    const c = m.correlation;
    parts.push(
      '<h2>Rule counts vs convergence</h2>',
      `<p>${esc(c.note)}. Largest per-node count: Pearson ${esc(cell(c.maxRules.pearson))}, Spearman ${esc(cell(c.maxRules.spearman))}; total rules: Pearson ${esc(cell(c.totalRules.pearson))}, Spearman ${esc(cell(c.totalRules.spearman))}.</p>`,
      table(
        ['node', 'iterations', 'pearson', 'spearman'],
        c.perNode.map((p) => [p.node, p.n, p.pearson, p.spearman]),
      ),
    );
  }
  if (m.ruleCounts.length)
    parts.push(
      '<h2>Rules per node</h2>',
      table(
        ['group', 'iteration', 'phase', 'node', 'SNAT', 'LRP'],
        m.ruleCounts.map((c) => [c.group || '-', c.iteration ?? '-', c.phase || '-', c.node, c.snat, c.lrp]),
      ),
    );
  if (m.trials.length)
    parts.push(
      '<h2>Trials</h2>',
      table(
        [
          'case',
          'repeat',
          'attempt',
          'agent',
          'status',
          'passed',
          'overall',
          'detection',
          'localization',
          'category',
          'mechanism',
          'remediation',
          'seconds',
          'infra error',
        ],
        m.trials.map((t) => [
          t.caseId,
          t.repeat,
          t.attempt,
          t.agent,
          t.status,
          t.passed === null ? '-' : t.passed ? 'yes' : 'no',
          t.overall,
          t.scores?.detection,
          t.scores?.localization,
          t.scores?.category,
          t.scores?.mechanism,
          t.scores?.remediation,
          t.seconds,
          t.infraError ?? '',
        ]),
      ),
    );
  parts.push(
    '<h2>Measurements</h2>',
    table(
      ['group', 'name', 'unit', 'n', 'p50', 'p95', 'max', 'mean'],
      m.measurements.map((s) => [s.group || '-', s.name, s.unit, s.count, s.p50, s.p95, s.max, s.mean]),
    ),
  );
  if (m.series.length)
    parts.push(
      '<h2>Metric series</h2>',
      table(
        ['metric', 'kind', 'labels', 'points', 'last'],
        m.series.map((s) => [s.metricName, s.kind, JSON.stringify(s.labels), s.points.length, s.points.at(-1)?.value ?? null]),
      ),
    );
  parts.push(
    '<h2>Checks</h2>',
    table(
      ['check', 'status', 'duration ms', 'summary'],
      m.detail.checks.map((c) => [c.name, c.status, c.durationMs, c.summary ?? '']),
    ),
  );
  parts.push(`<h2>Findings (${m.detail.findings.length})</h2>`);
  if (m.detail.findings.length) {
    parts.push(
      table(
        ['kind', ...f.nodes],
        f.kinds.map((k) => [k, ...f.nodes.map((n) => f.count(k, n))]),
      ),
    );
    parts.push(
      table(
        ['check', 'kind', 'subject', 'node', 'expected', 'actual', 'message'],
        m.detail.findings
          .slice(0, 500)
          .map((x) => [x.check, x.kind, x.subject, x.node ?? '', x.expected ?? '', x.actual ?? '', x.message ?? '']),
      ),
    );
  } else parts.push('<p class="empty">none</p>');
  parts.push(
    '<h2>Steps</h2>',
    table(
      ['#', 'step', 'status', 'ms', 'error'],
      m.detail.steps.map((s) => [s.seq, s.path.join(' / '), s.status, s.durationMs, s.error ?? '']),
    ),
  );
  if (m.detail.events.length)
    parts.push(
      `<h2>Events (${m.detail.events.length})</h2>`,
      table(
        ['at', 'kind', 'target'],
        m.detail.events.slice(0, 500).map((e) => [e.at, e.kind, e.target ?? '']),
      ),
    );
  parts.push('</body></html>\n');
  return parts.join('\n');
}
