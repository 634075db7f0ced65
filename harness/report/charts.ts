/**
 * Charts as inline SVG strings, rendered server-side by ECharts (https://echarts.apache.org/handbook/en/how-to/cross-platform/server/):
 * `echarts.init(null, null, { renderer: 'svg', ssr: true, width, height })` + `renderToSVGString()`. No script
 * reaches the page, so the report opens offline and without JavaScript.
 */
import { createRequire } from 'node:module';
import type * as Echarts from 'echarts';
import type { ReportModel } from './model.ts';
import { findingsByKindAndNode } from './model.ts';

export interface Chart {
  id: string;
  title: string;
  svg: string;
  /** number of series in the chart */
  series: number;
}

const W = 880;
const H = 320;

let loaded: typeof Echarts | undefined;
/**
 * ECharts, loaded on the first chart as its one-file CommonJS build (the package's `require` export, the same
 * API). Its ES module build is some 600 files, which every importer of the report modules (the MCP server's
 * harness tools, the eval runner) paid at start under tsx's loader, chart or not.
 */
export function echarts(): typeof Echarts {
  return (loaded ??= createRequire(import.meta.url)('echarts') as typeof Echarts);
}

function render(option: Echarts.EChartsCoreOption, width = W, height = H): string {
  const chart = echarts().init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    chart.setOption({ animation: false, ...option });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

function draw(option: { series: unknown[] } & Record<string, unknown>): { svg: string; series: number } {
  return { svg: render(option), series: option.series.length };
}

const base = (title: string): Record<string, unknown> => ({
  title: { text: title, left: 'center', textStyle: { fontSize: 14 } },
  legend: { top: 30, type: 'scroll' },
  grid: { left: 60, right: 30, top: 74, bottom: 40, containLabel: true },
  tooltip: {},
});

/** failover / convergence / recovery times per iteration (one bar group per iteration). */
function iterationChart(m: ReportModel): Chart | null {
  if (!m.iterations.length) return null;
  const names = [
    'failover_seconds',
    'convergence_seconds',
    'time_to_consistent_seconds',
    'node_reboot_seconds',
    'ovnkube_restart_seconds',
    'pods_ready_seconds',
  ].filter((n) => m.iterations.some((r) => r.values[n] !== undefined));
  if (!names.length) return null;
  const x = m.iterations.map((r) => `${r.group ? `${r.group} ` : ''}#${r.iteration}`);
  return {
    id: 'iterations',
    title: 'Failover and convergence per iteration',
    ...draw({
      ...base('Failover and convergence per iteration (s)'),
      xAxis: { type: 'category', data: x, axisLabel: { interval: 0, rotate: x.length > 8 ? 30 : 0 } },
      yAxis: { type: 'value', name: 's' },
      series: names.map((n) => ({ name: n, type: 'bar', data: m.iterations.map((r) => r.values[n] ?? null) })),
    }),
  };
}

/** SNAT and reroute-policy counts per node: the last count recorded for each node. */
function ruleCountChart(m: ReportModel): Chart | null {
  if (!m.ruleCounts.length) return null;
  const last = new Map<string, { snat: number; lrp: number }>();
  for (const c of m.ruleCounts) last.set(c.node, { snat: c.snat, lrp: c.lrp });
  const nodes = [...last.keys()].sort();
  return {
    id: 'rule-counts',
    title: 'EgressIP rules per node',
    ...draw({
      ...base('EgressIP rules per node (last check)'),
      xAxis: { type: 'category', data: nodes },
      yAxis: { type: 'value', name: 'rules', minInterval: 1 },
      series: [
        { name: 'SNAT', type: 'bar', data: nodes.map((n) => last.get(n)?.snat ?? 0) },
        { name: 'reroute LRP', type: 'bar', data: nodes.map((n) => last.get(n)?.lrp ?? 0) },
      ],
    }),
  };
}

/** Rules on each node at every check of the run (setup, each iteration), one line per node. */
function ruleTimelineChart(m: ReportModel): Chart | null {
  const points = [...new Set(m.ruleCounts.map((c) => `${c.group}\u0000${c.iteration ?? ''}\u0000${c.phase}`))];
  if (points.length < 2) return null;
  const label = (p: string): string => {
    const [g, it, ph] = p.split('\u0000');
    return it ? `${g ? `${g} ` : ''}#${it}` : ph || 'setup';
  };
  const nodes = [...new Set(m.ruleCounts.map((c) => c.node))].sort();
  return {
    id: 'rule-timeline',
    title: 'Rules per node across checks',
    ...draw({
      ...base('Rules per node (SNAT + LRP) at each check'),
      xAxis: { type: 'category', data: points.map(label) },
      yAxis: { type: 'value', name: 'rules', minInterval: 1 },
      series: nodes.map((n) => ({
        name: n,
        type: 'line',
        data: points.map((p) => {
          const c = m.ruleCounts.find((r) => r.node === n && `${r.group}\u0000${r.iteration ?? ''}\u0000${r.phase}` === p);
          return c ? c.snat + c.lrp : null;
        }),
      })),
    }),
  };
}

function correlationChart(m: ReportModel): Chart | null {
  const pts = m.correlation.points;
  if (!pts.length) return null;
  return {
    id: 'correlation',
    title: 'Rules per node vs convergence',
    ...draw({
      ...base('Largest per-node rule count vs convergence time'),
      xAxis: { type: 'value', name: 'rules (max per node)', minInterval: 1, scale: true },
      yAxis: { type: 'value', name: 's', scale: true },
      series: [{ name: 'iteration', type: 'scatter', symbolSize: 10, data: pts.map((p) => [p.maxRulesPerNode, p.convergenceSeconds]) }],
    }),
  };
}

function labelText(l: Record<string, string>): string {
  const e = Object.entries(l);
  return e.length ? e.map(([k, v]) => `${k}=${v}`).join(',') : '(no labels)';
}

/** One chart per metricName of the profile: range series as lines over time, instant samples as bars. */
function metricCharts(m: ReportModel): Chart[] {
  const byName = new Map<string, typeof m.series>();
  for (const s of m.series) byName.set(s.metricName, [...(byName.get(s.metricName) ?? []), s]);
  const out: Chart[] = [];
  let i = 0;
  for (const [name, series] of byName) {
    const shown = series.slice(0, 20); // a legend of hundreds helps nobody; the JSON has them all
    const withPoints = shown.filter((s) => s.points.some((p) => p.value !== null));
    if (!withPoints.length) continue;
    out.push({
      id: `metric-${i++}`,
      title: `metric ${name}`,
      ...draw({
        ...base(`${name}${series.length > shown.length ? ` (first ${shown.length} of ${series.length} series)` : ''}`),
        xAxis: { type: 'time' },
        yAxis: { type: 'value', scale: true },
        series: withPoints.map((s) => ({
          name: `${s.kind === 'instant' ? '[instant] ' : ''}${labelText(s.labels)}`,
          type: 'line',
          showSymbol: true,
          symbolSize: s.kind === 'instant' ? 8 : 4,
          data: s.points.map((p) => [Date.parse(p.at), p.value]),
        })),
      }),
    });
  }
  return out;
}

function findingsChart(m: ReportModel): Chart | null {
  if (!m.detail.findings.length) return null;
  const f = findingsByKindAndNode(m);
  return {
    id: 'findings',
    title: 'Findings by kind and node',
    ...draw({
      ...base('Findings by kind and node'),
      xAxis: { type: 'category', data: f.kinds, axisLabel: { interval: 0, rotate: f.kinds.length > 4 ? 20 : 0 } },
      yAxis: { type: 'value', minInterval: 1 },
      series: f.nodes.map((n) => ({ name: n, type: 'bar', stack: 'node', data: f.kinds.map((k) => f.count(k, n)) })),
    }),
  };
}

function trialChart(m: ReportModel): Chart | null {
  const scored = m.trials.filter((t) => t.scores);
  if (!scored.length) return null;
  const levels = ['detection', 'localization', 'category', 'mechanism', 'remediation', 'overall'];
  return {
    id: 'trials',
    title: 'Scores per trial',
    ...draw({
      ...base('Scores per trial'),
      xAxis: { type: 'category', data: scored.map((t) => `${t.caseId} r${t.repeat}`), axisLabel: { interval: 0, rotate: 30 } },
      yAxis: { type: 'value', min: 0, max: 1 },
      series: levels.map((l) => ({ name: l, type: 'bar', data: scored.map((t) => t.scores?.[l] ?? null) })),
    }),
  };
}

/** Every chart the run has data for, in page order. */
export function buildCharts(m: ReportModel): Chart[] {
  return [
    iterationChart(m),
    ruleCountChart(m),
    ruleTimelineChart(m),
    correlationChart(m),
    findingsChart(m),
    trialChart(m),
    ...metricCharts(m),
  ].filter((c): c is Chart => c !== null);
}
