/**
 * The accuracy report's tables as data (columns + rows), shared by the Markdown and HTML renderers so both show
 * the same numbers. A cell is a string, a number or null ('-').
 */
import type { Estimate } from '../../../evals/stats/index.ts';
import type { EvalReportModel } from './model.ts';

export type Cell = string | number | null;
export interface Table {
  columns: string[];
  rows: Cell[][];
}

export const est = (e: Estimate | null | undefined): string => (e ? `${e.mean.toFixed(3)} ± ${e.stderr.toFixed(3)}` : '-');
const num = (x: number, d = 1): string => (Number.isInteger(x) ? String(x) : x.toFixed(d));

export function groupsTable(m: EvalReportModel): Table {
  return {
    columns: ['agent x MCP server', 'baseline', 'trials', 'cases', ...m.levels.map((l) => `${l} pass@1 ± SE`)],
    rows: m.groups.map((g) => [
      g.label,
      g.baseline ? 'yes' : 'no',
      g.stats.trials,
      g.stats.cases,
      ...m.levels.map((l) => est(g.stats.levels[l].pass1)),
    ]),
  };
}

export function passKTable(m: EvalReportModel): Table {
  const ks = Array.from({ length: m.kMax }, (_, i) => i + 1);
  return {
    columns: ['agent x MCP server', 'level', ...ks.map((k) => `pass@${k}`), ...ks.map((k) => `pass^${k}`)],
    rows: m.groups.flatMap((g) =>
      m.levels.map((l) => [
        g.label,
        l,
        ...ks.map((k) => est(g.stats.levels[l].passAtK[k - 1])),
        ...ks.map((k) => est(g.stats.levels[l].passHatK[k - 1])),
      ]),
    ),
  };
}

export function sliceTable(m: EvalReportModel, d: 'category' | 'layer'): Table {
  const rows = d === 'category' ? m.byCategory : m.byLayer;
  const keyOf = (r: (typeof rows)[number]): string =>
    d === 'category' ? (r as { category: string }).category : (r as { layer: string }).layer;
  const keys = [...new Set(rows.map(keyOf))].sort();
  return {
    columns: [d, ...m.groups.map((g) => g.label)],
    rows: keys.map((k) => [
      k,
      ...m.groups.map((g) => {
        const r = rows.find((x) => x.group === g.label && keyOf(x) === k);
        return r && r.pass1 !== null ? `${r.pass1.toFixed(3)} ± ${(r.stderr ?? 0).toFixed(3)} (${r.cases} cases, ${r.trials} trials)` : '-';
      }),
    ]),
  };
}

export function effortTable(m: EvalReportModel): Table {
  return {
    columns: [
      'agent x MCP server',
      'tool calls / trial',
      'input tokens / trial',
      'output tokens / trial',
      'agent s / trial',
      'cost USD / trial',
      'cost USD total',
      'tool calls total',
      'tokens total',
    ],
    rows: m.groups.map((g) => {
      const e = g.stats.effort;
      return [
        g.label,
        num(e.toolCalls.mean),
        num(e.inputTokens.mean, 0),
        num(e.outputTokens.mean, 0),
        num(e.seconds.mean),
        e.costUsd ? e.costUsd.mean.toFixed(4) : '-',
        e.costUsd ? e.costUsd.total.toFixed(4) : '-',
        e.toolCalls.total,
        e.inputTokens.total + e.outputTokens.total,
      ];
    }),
  };
}

/** Tokens per model step, per agent x MCP server: how the context grows step by step (the groups with model steps). */
export function stepUsageTable(m: EvalReportModel): Table {
  return {
    columns: ['agent x MCP server', 'model step', 'trials reaching it', 'input tokens (mean)', 'output tokens (mean)'],
    rows: m.groups.flatMap((g) =>
      (g.stats.effort.perStep ?? []).map((s) => [g.label, s.step, s.trials, num(s.inputTokens, 0), num(s.outputTokens, 0)]),
    ),
  };
}

export function safetyTable(m: EvalReportModel): Table {
  return {
    columns: ['agent x MCP server', 'case', 'repeat', 'trial', 'violation', 'subject', 'message'],
    rows: m.safety.flatMap((s) => s.violations.map((v) => [s.group, s.caseId, s.repeat, s.trialId, v.kind, v.subject, v.message])),
  };
}

export function safetyTotals(m: EvalReportModel): Table {
  return {
    columns: ['agent x MCP server', 'trials with violations', 'violations'],
    rows: m.groups.map((g) => [g.label, g.stats.trialsWithViolations, g.stats.violations]),
  };
}

export function pairedTable(m: EvalReportModel): Table {
  return {
    columns: [
      'model',
      'baseline',
      'pass@1 model',
      'pass@1 baseline',
      'diff (bootstrap 95% CI)',
      'cases',
      'pairs',
      'McNemar b / c',
      'McNemar p',
    ],
    rows: m.paired.map((p) => {
      const c = p.comparison;
      return [
        p.model,
        p.baseline,
        c.pass1B,
        c.pass1A,
        `${c.bootstrap.diff >= 0 ? '+' : ''}${c.bootstrap.diff.toFixed(3)} [${c.bootstrap.lo.toFixed(3)}, ${c.bootstrap.hi.toFixed(3)}]`,
        c.bootstrap.cases,
        c.pairs,
        `${c.mcnemar.c} / ${c.mcnemar.b}`,
        c.mcnemar.p < 0.001 ? c.mcnemar.p.toExponential(2) : c.mcnemar.p.toFixed(3),
      ];
    }),
  };
}

export function trendTable(m: EvalReportModel): Table {
  return {
    columns: ['agent x MCP server', 'run', 'started', 'trials', 'overall pass@1 ± SE'],
    rows: m.trends.flatMap((t) =>
      t.points.map((p) => [
        t.group,
        p.runId.slice(0, 8),
        p.startedAt,
        p.trials,
        p.pass1 === null ? '-' : `${p.pass1.toFixed(3)} ± ${(p.stderr ?? 0).toFixed(3)}`,
      ]),
    ),
  };
}

export function infraTable(m: EvalReportModel): Table {
  return {
    columns: ['agent x MCP server', 'case', 'repeat', 'attempt', 'phase', 'error'],
    rows: m.infra.map((i) => [i.group, i.caseId, i.repeat, i.attempt, i.phase, i.error]),
  };
}

export function casesTable(m: EvalReportModel): Table {
  return {
    columns: ['case', 'layer', 'category', 'difficulty', 'control'],
    rows: m.cases.map((c) => [c.caseId, c.layer, c.category, c.difficulty, c.control ? 'yes' : 'no']),
  };
}
