/**
 * Inside one run: do more EgressIP rules on a node go with slower convergence? (the EgressIP analyzer's question).
 * Per iteration: the rule counts per node after it (snat + lrp) against its convergence time. Across iterations:
 * Pearson / Spearman of the largest per-node count and of the total with convergence, and per node the
 * correlation of that node's count with convergence. Fewer than 3 iterations: r is null (not enough to say).
 */
import { pearson, spearman } from './stats.ts';
import { iterationRows, nodeRuleCounts } from './runs.ts';
import type { MeasurementRow } from '../store/store.ts';

export interface CorrelationPoint {
  group: string;
  iteration: number;
  convergenceSeconds: number;
  maxRulesPerNode: number;
  totalRules: number;
  perNode: Record<string, number>;
}

export interface RuleConvergenceCorrelation {
  measurement: string;
  points: CorrelationPoint[];
  maxRules: { pearson: number | null; spearman: number | null };
  totalRules: { pearson: number | null; spearman: number | null };
  perNode: { node: string; n: number; pearson: number | null; spearman: number | null }[];
  note: string;
}

export function ruleConvergenceCorrelation(
  measurements: readonly MeasurementRow[],
  measurement = 'convergence_seconds',
): RuleConvergenceCorrelation {
  const counts = nodeRuleCounts(measurements).filter((c) => c.iteration !== null);
  const points: CorrelationPoint[] = [];
  for (const it of iterationRows(measurements)) {
    const y = it.values[measurement];
    if (y === undefined) continue;
    const nodes = counts.filter((c) => c.group === it.group && c.iteration === it.iteration);
    if (!nodes.length) continue;
    const perNode = Object.fromEntries(nodes.map((c) => [c.node, c.snat + c.lrp]));
    const vals = Object.values(perNode);
    points.push({
      group: it.group,
      iteration: it.iteration,
      convergenceSeconds: y,
      maxRulesPerNode: Math.max(...vals),
      totalRules: vals.reduce((s, v) => s + v, 0),
      perNode,
    });
  }
  const ys = points.map((p) => p.convergenceSeconds);
  const nodes = [...new Set(points.flatMap((p) => Object.keys(p.perNode)))].sort();
  const perNode = nodes.map((node) => {
    const ps = points.filter((p) => p.perNode[node] !== undefined);
    const x = ps.map((p) => p.perNode[node]);
    const y = ps.map((p) => p.convergenceSeconds);
    return { node, n: ps.length, pearson: pearson(x, y), spearman: spearman(x, y) };
  });
  const mx = points.map((p) => p.maxRulesPerNode);
  const tx = points.map((p) => p.totalRules);
  return {
    measurement,
    points,
    maxRules: { pearson: pearson(mx, ys), spearman: spearman(mx, ys) },
    totalRules: { pearson: pearson(tx, ys), spearman: spearman(tx, ys) },
    perNode,
    note:
      points.length < 3
        ? `${points.length} iteration(s) with both rule counts and ${measurement}: at least 3 are needed for a correlation`
        : `${points.length} iterations; r is undefined where a side is constant`,
  };
}
