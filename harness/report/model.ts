/**
 * Everything a report shows, read from the results database only (no cluster, no files): the run, its steps,
 * checks, findings, measurements grouped per iteration and per node, its stored metric series, the rule-count /
 * convergence correlation, and for eval runs the trials with their latest scores.
 */
import { EvalStore } from '../../evals/store.ts';
import { ruleConvergenceCorrelation, type RuleConvergenceCorrelation } from '../analysis/correlation.ts';
import { iterationRows, measurementSamples, nodeRuleCounts, type IterationRow, type NodeRuleCount } from '../analysis/runs.ts';
import { stats, type Stats } from '../runner/stats.ts';
import { listMetricSeries, type StoredSeries } from '../store/metrics.ts';
import type { RunDetail, Store } from '../store/store.ts';
import { UsageError } from '../errors.ts';
import { buildEvalReportModel, type EvalReportModel } from './eval/model.ts';

export interface TrialSummary {
  id: number;
  caseId: string;
  repeat: number;
  attempt: number;
  status: string;
  agent: string;
  passed: boolean | null;
  overall: number | null;
  scores: Record<string, number | null> | null;
  infraError: string | null;
  seconds: number | null;
}

export interface MeasurementSummary extends Stats {
  key: string;
  name: string;
  group: string;
  unit: string;
}

export interface ReportModel {
  generatedAt: string;
  detail: RunDetail;
  measurements: MeasurementSummary[];
  iterations: IterationRow[];
  ruleCounts: NodeRuleCount[];
  correlation: RuleConvergenceCorrelation;
  series: StoredSeries[];
  trials: TrialSummary[];
  /** eval runs: the accuracy report (this run with its companions: baselines, other agents and MCP servers) */
  eval: EvalReportModel | null;
}

/** Which eval runs an accuracy report covers besides the run itself (`report --with`, `--alone`). */
export interface ReportOptions {
  with?: string[];
  alone?: boolean;
}

export function buildReportModel(store: Store, runIdOrPrefix: string, o: ReportOptions = {}): ReportModel {
  const detail = store.getRun(runIdOrPrefix);
  const id = detail.run.id;
  const trials =
    detail.run.kind === 'eval'
      ? (() => {
          const es = new EvalStore(store);
          return es.trials(id).map((t): TrialSummary => {
            const sc = es.latestScore(t.id);
            return {
              id: t.id,
              caseId: t.caseId,
              repeat: t.repeat,
              attempt: t.attempt,
              status: t.status,
              agent: t.agent,
              passed: sc ? sc.passed : null,
              overall: sc ? sc.scores.overall : null,
              scores: sc ? { ...sc.scores } : null,
              infraError: t.infraError,
              seconds: t.endedAt ? (Date.parse(t.endedAt) - Date.parse(t.startedAt)) / 1000 : null,
            };
          });
        })()
      : [];
  return {
    generatedAt: new Date().toISOString(),
    detail,
    measurements: measurementSamples(detail).map((s) => ({ key: s.key, name: s.name, group: s.group, unit: s.unit, ...stats(s.values) })),
    iterations: iterationRows(detail.measurements),
    ruleCounts: nodeRuleCounts(detail.measurements),
    correlation: ruleConvergenceCorrelation(detail.measurements),
    series: listMetricSeries(store, id),
    trials,
    eval: detail.run.kind === 'eval' ? buildEvalReportModel(store, id, o) : null,
  };
}

/** The latest run (any kind) when `ref` is 'latest', else the id / prefix as given. */
export function resolveRunRef(store: Store, ref: string): string {
  if (ref !== 'latest') return store.resolveRunId(ref);
  const [r] = store.listRuns({ limit: 1 });
  if (!r) throw new UsageError("no runs recorded: nothing is 'latest'", 'run a scenario, check or eval first, or pass --db');
  return r.id;
}

/** Findings counted by kind and node ('-' for a finding without a node). */
export function findingsByKindAndNode(m: ReportModel): { kinds: string[]; nodes: string[]; count: (kind: string, node: string) => number } {
  const c = new Map<string, number>();
  for (const f of m.detail.findings) {
    const k = `${f.kind}\u0000${f.node ?? '-'}`;
    c.set(k, (c.get(k) ?? 0) + 1);
  }
  const kinds = [...new Set(m.detail.findings.map((f) => f.kind))].sort();
  const nodes = [...new Set(m.detail.findings.map((f) => f.node ?? '-'))].sort();
  return { kinds, nodes, count: (kind, node) => c.get(`${kind}\u0000${node}`) ?? 0 };
}
