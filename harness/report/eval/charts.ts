/**
 * The accuracy report's charts, SVG rendered server-side by ECharts like the scenario report's (harness/report/charts.ts):
 * per-level pass@1 with error bars (+-1 standard error across cases), pass@k and pass^k curves, accuracy by
 * category and by layer, effort per trial, and pass@1 across runs.
 */
import { echarts, type Chart } from '../charts.ts';
import type { EvalReportModel } from './model.ts';

const W = 880;
const H = 340;

function render(option: { series: unknown[] } & Record<string, unknown>, height = H): { svg: string; series: number } {
  const chart = echarts().init(null, null, { renderer: 'svg', ssr: true, width: W, height });
  try {
    chart.setOption({ animation: false, ...option });
    return { svg: chart.renderToSVGString(), series: option.series.length };
  } finally {
    chart.dispose();
  }
}

const base = (title: string): Record<string, unknown> => ({
  title: { text: title, left: 'center', textStyle: { fontSize: 14 } },
  legend: { top: 30, type: 'scroll' },
  grid: { left: 60, right: 30, top: 74, bottom: 40, containLabel: true },
  tooltip: {},
});

/** Category gap and bar gap of grouped bars, so the error bars can be placed on their bar's centre. */
const CATEGORY_GAP = 0.2;

interface ErrorBarApi {
  value(i: number): number;
  coord(v: [number, number]): [number, number];
  size(v: [number, number]): [number, number];
}

/** A custom series drawing mean +- stderr whiskers over bar `index` of `count` grouped bars. */
function errorBars(name: string, index: number, count: number, data: [number, number, number][]): Record<string, unknown> {
  return {
    name,
    type: 'custom',
    z: 3,
    tooltip: { show: false },
    renderItem: (_p: unknown, api: ErrorBarApi) => {
      const x = api.value(0);
      const lo = api.coord([x, api.value(1)]);
      const hi = api.coord([x, api.value(2)]);
      const band = api.size([1, 0])[0];
      const w = (band * (1 - CATEGORY_GAP)) / count;
      const cx = lo[0] - (band * (1 - CATEGORY_GAP)) / 2 + w * (index + 0.5);
      const cap = Math.max(2, w / 4);
      const style = { stroke: '#222', lineWidth: 1.2 };
      return {
        type: 'group',
        children: [
          { type: 'line', shape: { x1: cx, y1: lo[1], x2: cx, y2: hi[1] }, style },
          { type: 'line', shape: { x1: cx - cap, y1: lo[1], x2: cx + cap, y2: lo[1] }, style },
          { type: 'line', shape: { x1: cx - cap, y1: hi[1], x2: cx + cap, y2: hi[1] }, style },
        ],
      };
    },
    data,
  };
}

function pass1Chart(m: EvalReportModel): Chart | null {
  if (!m.groups.length) return null;
  const bars = m.groups.map((g) => ({
    name: g.label,
    type: 'bar',
    data: m.levels.map((l) => g.stats.levels[l].pass1?.mean ?? null),
  }));
  const whiskers = m.groups.map((g, i) =>
    errorBars(
      `${g.label} ±1 SE`,
      i,
      m.groups.length,
      m.levels.flatMap((l, x): [number, number, number][] => {
        const e = g.stats.levels[l].pass1;
        return e ? [[x, Math.max(0, e.mean - e.stderr), Math.min(1, e.mean + e.stderr)]] : [];
      }),
    ),
  );
  return {
    id: 'eval-pass1',
    title: 'pass@1 per level (±1 standard error across cases)',
    ...render({
      ...base('pass@1 per level, ±1 SE across cases'),
      legend: { top: 30, type: 'scroll', data: m.groups.map((g) => g.label) },
      xAxis: { type: 'category', data: m.levels },
      yAxis: { type: 'value', min: 0, max: 1 },
      barCategoryGap: `${CATEGORY_GAP * 100}%`,
      barGap: '0%',
      series: [...bars.map((b) => ({ ...b, barGap: '0%', barCategoryGap: `${CATEGORY_GAP * 100}%` })), ...whiskers],
    }),
  };
}

function curveChart(m: EvalReportModel, kind: 'passAtK' | 'passHatK'): Chart | null {
  if (!m.groups.length) return null;
  const ks = Array.from({ length: m.kMax }, (_, i) => String(i + 1));
  const name = kind === 'passAtK' ? 'pass@k' : 'pass^k';
  return {
    id: kind === 'passAtK' ? 'eval-passk' : 'eval-passhatk',
    title: `${name} (overall) by k`,
    ...render({
      ...base(`${name} (overall) by k: ${kind === 'passAtK' ? 'some of k tries passes' : 'all k tries pass'}`),
      xAxis: { type: 'category', data: ks, name: 'k' },
      yAxis: { type: 'value', min: 0, max: 1 },
      series: m.groups.map((g) => ({
        name: g.label,
        type: 'line',
        showSymbol: true,
        symbolSize: 7,
        data: g.stats.levels.overall[kind].map((e) => e?.mean ?? null),
      })),
    }),
  };
}

function sliceChart(m: EvalReportModel, d: 'category' | 'layer'): Chart | null {
  const rows = d === 'category' ? m.byCategory : m.byLayer;
  if (!rows.length) return null;
  const keys = [
    ...new Set(rows.map((r) => (d === 'category' ? (r as { category: string }).category : (r as { layer: string }).layer))),
  ].sort();
  return {
    id: `eval-${d}`,
    title: `Accuracy (overall pass@1) by ${d}`,
    ...render({
      ...base(`Overall pass@1 by ${d}`),
      xAxis: { type: 'category', data: keys, axisLabel: { interval: 0, rotate: keys.length > 6 ? 30 : 0 } },
      yAxis: { type: 'value', min: 0, max: 1 },
      series: m.groups.map((g) => ({
        name: g.label,
        type: 'bar',
        data: keys.map(
          (k) =>
            rows.find(
              (r) =>
                r.group === g.label && (d === 'category' ? (r as { category: string }).category : (r as { layer: string }).layer) === k,
            )?.pass1 ?? null,
        ),
      })),
    }),
  };
}

function effortChart(m: EvalReportModel): Chart | null {
  if (!m.groups.length) return null;
  const x = m.groups.map((g) => g.label);
  return {
    id: 'eval-effort',
    title: 'Effort per trial',
    ...render({
      ...base('Effort per trial (mean)'),
      xAxis: { type: 'category', data: x, axisLabel: { interval: 0, rotate: x.length > 3 ? 20 : 0 } },
      yAxis: [
        { type: 'value', name: 'calls / s' },
        { type: 'value', name: 'k tokens' },
      ],
      series: [
        { name: 'tool calls', type: 'bar', data: m.groups.map((g) => g.stats.effort.toolCalls.mean) },
        { name: 'agent seconds', type: 'bar', data: m.groups.map((g) => g.stats.effort.seconds.mean) },
        {
          name: 'k tokens (in + out)',
          type: 'bar',
          yAxisIndex: 1,
          data: m.groups.map((g) => (g.stats.effort.inputTokens.mean + g.stats.effort.outputTokens.mean) / 1000),
        },
      ],
    }),
  };
}

function trendChart(m: EvalReportModel): Chart | null {
  if (!m.trends.some((t) => t.points.length)) return null;
  return {
    id: 'eval-trend',
    title: 'Overall pass@1 across runs of the suite',
    ...render({
      ...base('Overall pass@1 across runs of the suite'),
      xAxis: { type: 'time' },
      yAxis: { type: 'value', min: 0, max: 1 },
      series: m.trends.map((t) => ({
        name: t.group,
        type: 'line',
        showSymbol: true,
        symbolSize: 7,
        data: t.points.map((p) => [Date.parse(p.startedAt), p.pass1]),
      })),
    }),
  };
}

export function buildEvalCharts(m: EvalReportModel): Chart[] {
  return [
    pass1Chart(m),
    curveChart(m, 'passAtK'),
    curveChart(m, 'passHatK'),
    sliceChart(m, 'category'),
    sliceChart(m, 'layer'),
    effortChart(m),
    trendChart(m),
  ].filter((c): c is Chart => c !== null);
}
