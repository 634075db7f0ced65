/**
 * The accuracy report's sections in Markdown (the CI job summary), HTML (charts, the case x agent matrix linking to
 * a transcript page per trial) and JUnit (a testcase per case x agent). The scenario report's renderers put these
 * after the run's header when the run is an eval run.
 */
import { esc } from '../html.ts';
import { suite, type JunitCase } from '../junit.ts';
import { buildEvalCharts } from './charts.ts';
import type { EvalReportModel, TranscriptPage } from './model.ts';
import {
  casesTable,
  effortTable,
  groupsTable,
  stepUsageTable,
  infraTable,
  pairedTable,
  passKTable,
  safetyTable,
  safetyTotals,
  sliceTable,
  trendTable,
  type Cell,
  type Table,
} from './tables.ts';

/** The sections, in page order: [anchor id, title]. The Chromium test checks every one is on the page. */
export const EVAL_SECTIONS = [
  ['eval-agents', 'Agents x MCP servers: pass@1 per level'],
  ['eval-passk', 'pass@k and pass^k'],
  ['eval-category', 'Accuracy by category'],
  ['eval-layer', 'Accuracy by layer'],
  ['eval-matrix', 'Case x agent matrix'],
  ['eval-effort', 'Effort and cost'],
  ['eval-safety', 'Safety violations'],
  ['eval-baselines', 'Models against the baselines'],
  ['eval-trends', 'Trends across runs'],
  ['eval-infra', 'Infrastructure errors'],
  ['eval-cases', 'Cases'],
  ['eval-transcripts', 'Transcripts'],
] as const;

const title = (id: (typeof EVAL_SECTIONS)[number][0]): string => EVAL_SECTIONS.find((s) => s[0] === id)?.[1] ?? id;

// ---------------------------------------------------------------- Markdown

function mdCell(v: Cell): string {
  return v === null || v === undefined ? '-' : String(v).replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function mdTable(t: Table): string {
  if (!t.rows.length) return '_none_';
  return [
    `| ${t.columns.join(' | ')} |`,
    `|${t.columns.map(() => '---').join('|')}|`,
    ...t.rows.map((r) => `| ${r.map(mdCell).join(' | ')} |`),
  ].join('\n');
}

/** The matrix in Markdown: c/n per cell, linking to the first trial's transcript in report.html. */
function mdMatrix(m: EvalReportModel): Table {
  return {
    columns: ['case', ...m.groups.map((g) => g.label)],
    rows: m.matrix.map((r) => [
      r.caseId,
      ...m.groups.map((g) => {
        const c = r.cells[g.label];
        return c ? `[${c.c}/${c.n}](report.html#trial-${c.trials[0].trialId})` : '-';
      }),
    ]),
  };
}

export function evalMarkdownSections(m: EvalReportModel): string {
  const out: string[] = [];
  const runs = m.runs.map((r) => `\`${r.id.slice(0, 8)}\``).join(', ');
  out.push(`Accuracy report over ${m.runs.length} run(s) (${runs}); pass@k up to k = ${m.kMax}; ± is one standard error across cases.`);
  const sec = (id: (typeof EVAL_SECTIONS)[number][0], body: string) => out.push('', `## ${title(id)}`, '', body);
  sec('eval-agents', mdTable(groupsTable(m)));
  sec('eval-passk', mdTable(passKTable(m)));
  sec('eval-category', mdTable(sliceTable(m, 'category')));
  sec('eval-layer', mdTable(sliceTable(m, 'layer')));
  sec('eval-matrix', mdTable(mdMatrix(m)));
  const steps = stepUsageTable(m);
  sec('eval-effort', `${mdTable(effortTable(m))}${steps.rows.length ? `\n\nTokens per model step:\n\n${mdTable(steps)}` : ''}`);
  sec('eval-safety', `${mdTable(safetyTotals(m))}\n\n${mdTable(safetyTable(m))}`);
  sec(
    'eval-baselines',
    `${mdTable(pairedTable(m))}\n\nPaired on the same cases: McNemar's exact test on trials matched by case and repeat (b / c = trials only the model / only the baseline passed), and a paired bootstrap over cases (2000 resamples) of the overall pass@1 difference.`,
  );
  sec('eval-trends', mdTable(trendTable(m)));
  sec('eval-infra', mdTable(infraTable(m)));
  return out.join('\n');
}

// ---------------------------------------------------------------- HTML

function htmlTable(t: Table, raw = false): string {
  if (!t.rows.length) return '<p class="empty">none</p>';
  const cell = (v: Cell) => (v === null || v === undefined ? '-' : raw ? String(v) : esc(v));
  return `<table><thead><tr>${t.columns.map((c) => `<th>${esc(c)}</th>`).join('')}</tr></thead><tbody>${t.rows
    .map((r) => `<tr>${r.map((c) => `<td>${cell(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

export const EVAL_CSS = `.matrix td.cell{text-align:center}.matrix a{margin:0 2px;text-decoration:none;font-weight:600}
.pass{color:#17702b}.fail{color:#b00020}.cellbg-1{background:#e3f4e6}.cellbg-0{background:#fbe3e6}.cellbg-m{background:#fff4d6}
.trial{display:none;border:1px solid #ccc;padding:8px 16px;margin:12px 0}.trial:target{display:block}
pre{white-space:pre-wrap;word-break:break-word;background:#f7f7f7;padding:6px;font-size:12px;max-height:420px;overflow:auto}`;

function matrixHtml(m: EvalReportModel): string {
  if (!m.matrix.length) return '<p class="empty">none</p>';
  const head = `<tr><th>case</th>${m.groups.map((g) => `<th>${esc(g.label)}</th>`).join('')}</tr>`;
  const rows = m.matrix.map((r) => {
    const cells = m.groups.map((g) => {
      const c = r.cells[g.label];
      if (!c) return '<td class="cell">-</td>';
      const bg = c.c === c.n ? 'cellbg-1' : c.c === 0 ? 'cellbg-0' : 'cellbg-m';
      const links = c.trials
        .map(
          (t) =>
            `<a class="${t.passed ? 'pass' : 'fail'}" href="#trial-${t.trialId}" title="repeat ${t.repeat}: ${t.passed ? 'passed' : 'failed'}">${t.passed ? '✔' : '✘'}</a>`,
        )
        .join('');
      return `<td class="cell ${bg}">${c.c}/${c.n} ${links}</td>`;
    });
    return `<tr><td>${esc(r.caseId)}</td>${cells.join('')}</tr>`;
  });
  return `<table class="matrix"><thead>${head}</thead><tbody>${rows.join('')}</tbody></table>`;
}

const json = (v: unknown): string => esc(JSON.stringify(v, null, 2));

function transcriptHtml(t: TranscriptPage): string {
  const parts: string[] = [
    `<section class="trial" id="trial-${t.trialId}"><h3>${esc(t.caseId)} · repeat ${t.repeat} · ${esc(t.group)}: <span class="${t.passed ? 'pass' : 'fail'}">${t.passed ? 'passed' : 'failed'}</span></h3>`,
    `<p><a href="#eval-matrix">back to the matrix</a> · trial ${t.trialId}, attempt ${t.attempt}, run <code>${esc(t.runId.slice(0, 8))}</code>, scoring ${esc(t.scoringVersion)}; ${t.effort.toolCalls} tool calls, ${t.effort.inputTokens + t.effort.outputTokens} tokens, ${t.effort.seconds.toFixed(1)} s${t.effort.costUsd !== null ? `, $${t.effort.costUsd.toFixed(4)}` : ''}</p>`,
    ...(t.effort.usageSteps?.length
      ? [
          '<h4>Usage per model step</h4>',
          htmlTable({
            columns: ['step', 'input tokens', 'output tokens'],
            rows: [
              ...t.effort.usageSteps.map((s) => [s.step, s.inputTokens, s.outputTokens]),
              ['total', t.effort.inputTokens, t.effort.outputTokens],
            ],
          }),
        ]
      : []),
    '<h4>How it was scored</h4>',
    htmlTable({
      columns: ['level', 'score', 'passed', 'required'],
      rows: Object.keys(t.scores).map((l) => [
        l,
        t.scores[l],
        t.passes[l] === null || t.passes[l] === undefined ? '-' : t.passes[l] ? 'yes' : 'no',
        l === 'overall' ? '-' : t.requires.includes(l) ? 'yes' : 'no',
      ]),
    }),
  ];
  if (t.details) {
    // stored JSON: a trial that ended in an infra error, or one scored by an older scorer, may lack parts
    const d = t.details;
    const e = d.entities;
    parts.push(
      `<p>answer read from: ${esc(d.source ?? '-')}; hedged: ${d.hedged ? 'yes' : 'no'}${e ? `; entities recalled: ${esc(e.recalled.join(', ') || '-')}; missed: ${esc(e.missed.join(', ') || '-')} (precision ${e.precision.toFixed(2)}, recall ${e.recall.toFixed(2)})` : ''}</p>`,
      htmlTable({
        columns: ['checklist', 'item', 'matched', 'evidence'],
        rows: [
          ...(d.mechanism ?? []).map((c): Cell[] => ['mechanism', c.id, c.matched ? 'yes' : 'no', c.evidence ?? '']),
          ...(d.remediation ?? []).map((c): Cell[] => ['remediation', c.id, c.matched ? 'yes' : 'no', c.evidence ?? '']),
        ],
      }),
    );
  }
  if (t.violations.length)
    parts.push(
      '<h4>Safety violations</h4>',
      htmlTable({ columns: ['kind', 'subject', 'message'], rows: t.violations.map((v) => [v.kind, v.subject, v.message]) }),
    );
  parts.push('<h4>Answer</h4>');
  if (t.answer?.submitted) parts.push(`<pre>${json(t.answer.submitted)}</pre>`);
  parts.push(`<pre>${esc(t.answer?.text ?? '(no answer)')}</pre>`, `<h4>Tool calls (${t.toolCalls.length})</h4>`);
  for (const c of t.toolCalls)
    parts.push(
      `<details><summary>#${c.seq} ${esc(c.server)}/${esc(c.tool)} · ${c.latencyMs.toFixed(0)} ms · ${c.resultBytes} B${c.isError ? ' · <span class="fail">error</span>' : ''}${c.error ? ` · ${esc(c.error)}` : ''}</summary><pre>${json(c.arguments)}</pre><pre>${esc(c.result)}${c.truncated ? '\n… (cut; the database keeps the whole result)' : ''}</pre></details>`,
    );
  if (t.transcript.length)
    parts.push(
      '<h4>Transcript</h4>',
      ...t.transcript.map((e) => `<p><b>${esc(e.role)}</b> <small>${esc(e.at)}</small></p><pre>${esc(e.content)}</pre>`),
    );
  parts.push('</section>');
  return parts.join('\n');
}

export function evalHtmlSections(m: EvalReportModel): string {
  const charts = new Map(buildEvalCharts(m).map((c) => [c.id, c]));
  const fig = (id: string): string => {
    const c = charts.get(id);
    return c
      ? `<figure class="chart" id="chart-${esc(c.id)}" data-chart="${esc(c.id)}" data-series="${c.series}">${c.svg}<figcaption>${esc(c.title)}</figcaption></figure>`
      : '';
  };
  const sec = (id: (typeof EVAL_SECTIONS)[number][0], body: string) => `<section id="${id}"><h2>${esc(title(id))}</h2>${body}</section>`;
  return [
    `<p>Accuracy report over ${m.runs.length} run(s): ${m.runs.map((r) => `<code>${esc(r.id.slice(0, 8))}</code>`).join(', ')}; pass@k up to k = ${m.kMax}; ± and the error bars are one standard error across cases.</p>`,
    sec('eval-agents', fig('eval-pass1') + htmlTable(groupsTable(m))),
    sec('eval-passk', fig('eval-passk') + fig('eval-passhatk') + htmlTable(passKTable(m))),
    sec('eval-category', fig('eval-category') + htmlTable(sliceTable(m, 'category'))),
    sec('eval-layer', fig('eval-layer') + htmlTable(sliceTable(m, 'layer'))),
    sec('eval-matrix', `<p>passed / trials; each mark links to that trial's transcript.</p>${matrixHtml(m)}`),
    sec(
      'eval-effort',
      fig('eval-effort') +
        htmlTable(effortTable(m)) +
        (stepUsageTable(m).rows.length ? `<h3>Tokens per model step</h3>${htmlTable(stepUsageTable(m))}` : ''),
    ),
    sec('eval-safety', htmlTable(safetyTotals(m)) + htmlTable(safetyTable(m))),
    sec(
      'eval-baselines',
      `${htmlTable(pairedTable(m))}<p>Paired on the same cases: McNemar's exact test on trials matched by case and repeat, and a paired bootstrap over cases (2000 resamples) of the overall pass@1 difference.</p>`,
    ),
    sec('eval-trends', fig('eval-trend') + htmlTable(trendTable(m))),
    sec('eval-infra', htmlTable(infraTable(m))),
    sec('eval-cases', htmlTable(casesTable(m))),
    sec(
      'eval-transcripts',
      `<p>${m.transcripts.length} trials; open one from the matrix.</p>${m.transcripts.map(transcriptHtml).join('\n')}`,
    ),
  ].join('\n');
}

// ---------------------------------------------------------------- JUnit

/** A testsuite per agent x MCP server with a testcase per case: failed unless every trial passed; an error when none was scored. */
export function evalJunitSuites(m: EvalReportModel): string[] {
  const suiteName = m.run.name;
  return m.groups.map((g) => {
    const cls = `netharness.eval.${suiteName}.${g.label.replace(/\s+/g, '')}`;
    const cases = m.matrix.map((r): JunitCase => {
      const c = r.cells[g.label];
      const secs = m.transcripts.filter((t) => t.group === g.label && t.caseId === r.caseId).reduce((a, t) => a + t.effort.seconds, 0);
      const jc: JunitCase = { name: r.caseId, classname: cls, seconds: secs };
      const infra = m.infra.filter((i) => i.group === g.label && i.caseId === r.caseId);
      if (!c) {
        if (infra.length) jc.error = { message: 'no trial scored', text: infra.map((i) => `${i.phase ?? '-'}: ${i.error}`).join('\n') };
        else jc.skipped = 'not run by this agent';
      } else if (c.c < c.n)
        jc.failure = {
          message: `${c.c}/${c.n} trials passed`,
          text: c.trials.map((t) => `repeat ${t.repeat}: ${t.passed ? 'passed' : 'failed'} (trial ${t.trialId})`).join('\n'),
        };
      return jc;
    });
    return suite(`${cls}.cases`, cases, m.run.startedAt);
  });
}
