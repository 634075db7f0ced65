/**
 * `compare(base, new)`: per measurement (per-iteration samples), per metric series aggregate and per eval score:
 * base, new, delta, %, and a verdict (kube-burner / orion style): 'regression' when the new value is worse than the
 * base by more than the rule's tolerance and minDelta, and (with >= 3 samples on each side) the Mann-Whitney U
 * test says the samples differ (p < alpha); 'improvement' the other way; 'ok' within bounds; 'info' when the rule
 * does not gate; 'missing' / 'new' when only one side has it.
 */
import { mannWhitneyU } from '../analysis/stats.ts';
import { measurementSamples } from '../analysis/runs.ts';
import { EvalStore } from '../../evals/store.ts';
import { stats, type Stats } from '../runner/stats.ts';
import { listMetricSeries } from '../store/metrics.ts';
import type { RunRow, Store } from '../store/store.ts';
import { ruleFor, type ResolvedRule, type Thresholds } from './thresholds.ts';
import { pairedComparison, type PairedComparison } from '../../evals/stats/index.ts';
import { runOutcomes } from '../../evals/stats/outcomes.ts';

export type Verdict = 'ok' | 'regression' | 'improvement' | 'info' | 'missing' | 'new';

export interface Comparison {
  key: string;
  source: 'measurement' | 'metric' | 'score';
  unit: string;
  stat: string;
  better: 'lower' | 'higher';
  base: number | null;
  new: number | null;
  delta: number | null;
  pct: number | null;
  nBase: number;
  nNew: number;
  mannWhitney: { u: number; p: number; method: string } | null;
  verdict: Verdict;
  reason: string;
}

export interface CompareResult {
  base: Pick<RunRow, 'id' | 'kind' | 'name' | 'verdict' | 'startedAt'>;
  new: Pick<RunRow, 'id' | 'kind' | 'name' | 'verdict' | 'startedAt'>;
  comparisons: Comparison[];
  regressions: string[];
  /** two eval runs: overall pass on the same cases, paired (McNemar exact on trials matched by case + repeat, bootstrap over cases); B = new */
  paired?: PairedComparison;
}

interface Sampled {
  key: string;
  name: string;
  source: Comparison['source'];
  unit: string;
  values: number[];
}

/** Everything comparable in a run, by key. */
export function runSamples(store: Store, runId: string): Map<string, Sampled> {
  const d = store.getRun(runId);
  const out = new Map<string, Sampled>();
  for (const s of measurementSamples(d))
    out.set(s.key, { key: s.key, name: s.name, source: 'measurement', unit: s.unit, values: s.values });
  // a metric series aggregate: every non-null point of every series of the metricName
  for (const s of listMetricSeries(store, d.run.id)) {
    const key = `metric:${s.metricName}`;
    let e = out.get(key);
    if (!e) out.set(key, (e = { key, name: s.metricName, source: 'metric', unit: '', values: [] }));
    for (const p of s.points) if (p.value !== null && Number.isFinite(p.value)) e.values.push(p.value);
  }
  if (d.run.kind === 'eval') {
    const es = new EvalStore(store);
    const overall: number[] = [];
    const passed: number[] = [];
    for (const t of es.trials(d.run.id)) {
      const sc = es.latestScore(t.id);
      if (!sc) continue;
      overall.push(sc.scores.overall);
      passed.push(sc.passed ? 1 : 0);
      for (const [level, v] of Object.entries(sc.scores)) {
        if (level === 'overall' || typeof v !== 'number') continue;
        const key = `score:${level}`;
        let e = out.get(key);
        if (!e) out.set(key, (e = { key, name: level, source: 'score', unit: 'score', values: [] }));
        e.values.push(v);
      }
    }
    if (overall.length)
      out.set('score:overall', { key: 'score:overall', name: 'overall', source: 'score', unit: 'score', values: overall });
    if (passed.length)
      out.set('score:pass_rate', { key: 'score:pass_rate', name: 'pass_rate', source: 'score', unit: 'ratio', values: passed });
  }
  return out;
}

function statOf(s: Stats, stat: string): number | null {
  return (s as unknown as Record<string, number | null>)[stat] ?? null;
}

/** Rules that never gate by default: counts (rule counts follow the configuration) and metric aggregates (direction unknown). */
function defaultGate(s: Sampled, rule: ResolvedRule, explicit: boolean): boolean {
  if (explicit) return rule.gate;
  if (!rule.gate) return false;
  return s.source === 'score' || s.unit === 's';
}

export function compareSamples(key: string, b: Sampled | undefined, n: Sampled | undefined, t: Thresholds): Comparison {
  const any = (b ?? n) as Sampled;
  const rule = ruleFor(t, key, any.name);
  const explicit = rule.explicit;
  const stat = rule.stat ?? (any.source === 'measurement' ? 'p50' : 'mean');
  const better = rule.better ?? (any.source === 'score' ? 'higher' : 'lower');
  const bs = b ? stats(b.values) : null;
  const ns = n ? stats(n.values) : null;
  const bv = bs ? statOf(bs, stat) : null;
  const nv = ns ? statOf(ns, stat) : null;
  const delta = bv !== null && nv !== null ? nv - bv : null;
  const pct = delta !== null && bv !== null && bv !== 0 ? (delta / Math.abs(bv)) * 100 : null;
  const mw = b && n && b.values.length >= 3 && n.values.length >= 3 ? mannWhitneyU(n.values, b.values) : null;
  const c: Comparison = {
    key,
    source: any.source,
    unit: any.unit,
    stat,
    better,
    base: bv,
    new: nv,
    delta,
    pct,
    nBase: b?.values.length ?? 0,
    nNew: n?.values.length ?? 0,
    mannWhitney: mw,
    verdict: 'ok',
    reason: '',
  };
  if (!b) return { ...c, verdict: 'new', reason: 'only in the new run' };
  if (!n) return { ...c, verdict: 'missing', reason: 'only in the base run' };
  if (delta === null || bv === null || nv === null) return { ...c, verdict: 'info', reason: 'no value' };
  const worse = better === 'lower' ? delta : -delta;
  const beyondPct = bv === 0 ? Math.abs(delta) > 0 : (Math.abs(delta) / Math.abs(bv)) * 100 > rule.tolerancePct;
  const beyond = Math.abs(delta) > rule.minDelta && beyondPct;
  const significant = mw === null || mw.p < rule.alpha;
  const gate = defaultGate(any, rule, explicit);
  const pctText = pct === null ? `${delta > 0 ? '+' : ''}${delta.toPrecision(3)}` : `${pct > 0 ? '+' : ''}${pct.toFixed(1)}%`;
  if (!beyond) return { ...c, verdict: gate ? 'ok' : 'info', reason: `${pctText} within ${rule.tolerancePct}% / ${rule.minDelta}` };
  if (!significant)
    return {
      ...c,
      verdict: gate ? 'ok' : 'info',
      reason: `${pctText} but not significant (Mann-Whitney p=${mw?.p.toFixed(3)} >= ${rule.alpha})`,
    };
  if (!gate) return { ...c, verdict: 'info', reason: `${pctText} (not gated)` };
  return worse > 0
    ? {
        ...c,
        verdict: 'regression',
        reason: `${stat} ${pctText}, worse than ${rule.tolerancePct}%${mw ? ` (Mann-Whitney p=${mw.p.toFixed(3)})` : ''}`,
      }
    : { ...c, verdict: 'improvement', reason: `${stat} ${pctText}` };
}

const brief = (r: RunRow): CompareResult['base'] => ({ id: r.id, kind: r.kind, name: r.name, verdict: r.verdict, startedAt: r.startedAt });

export function compareRuns(store: Store, baseRef: string, newRef: string, t: Thresholds = {}): CompareResult {
  const base = store.getRun(baseRef).run;
  const neu = store.getRun(newRef).run;
  const bs = runSamples(store, base.id);
  const ns = runSamples(store, neu.id);
  const keys = [...new Set([...bs.keys(), ...ns.keys()])].sort();
  const comparisons = keys.map((k) => compareSamples(k, bs.get(k), ns.get(k), t));
  return {
    base: brief(base),
    new: brief(neu),
    comparisons,
    regressions: comparisons.filter((c) => c.verdict === 'regression').map((c) => c.key),
    ...(base.kind === 'eval' && neu.kind === 'eval' ? { paired: pairedComparison(runOutcomes(store, base), runOutcomes(store, neu)) } : {}),
  };
}
