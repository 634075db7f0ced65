/**
 * The accuracy report of eval runs, from the results database only: one group per agent (model) x MCP server,
 * built from the run asked for plus its companions (`--with` runs, else the latest run of every other agent x MCP
 * server on the same suite that started no later), so the baselines stand beside every model. Statistics are
 * evals/stats; trends are the same suite's earlier runs per group; every scored trial has a transcript page
 * (its calls with their results, the answer, and how it was scored).
 */
import { EvalStore, type StoredToolCall } from '../../../evals/store.ts';
import type { TranscriptEntry, AgentAnswer } from '../../../evals/agents/types.ts';
import type { SafetyViolation, ScoreDetails } from '../../../evals/scoring/types.ts';
import {
  STAT_LEVELS,
  breakdown,
  groupStats,
  maxTrialsPerCase,
  pairedComparison,
  type GroupStats,
  type PairedComparison,
  type StatLevel,
  type TrialOutcome,
} from '../../../evals/stats/index.ts';
import { agentLabel, caseMetaOf, isBaseline, mcpLabel, runOutcomes, type CaseMeta } from '../../../evals/stats/outcomes.ts';
import type { RunRow, Store } from '../../store/store.ts';

/** A tool result longer than this is cut in the report (the database keeps it). */
export const RESULT_SHOWN = 4000;
const TREND_RUNS = 20;

export interface EvalGroup {
  label: string;
  agent: string;
  mcpServer: string;
  baseline: boolean;
  runIds: string[];
  stats: GroupStats;
}

export interface MatrixCell {
  n: number;
  c: number;
  trials: { trialId: number; repeat: number; passed: boolean }[];
}

export interface TranscriptPage {
  trialId: number;
  runId: string;
  group: string;
  caseId: string;
  repeat: number;
  attempt: number;
  passed: boolean;
  scoringVersion: string;
  scores: Record<string, number | null>;
  passes: Record<string, boolean | null>;
  requires: string[];
  details: Partial<ScoreDetails> | null; // stored JSON: parts may be missing (infra errors, older scorers)
  violations: SafetyViolation[];
  answer: AgentAnswer | null;
  effort: TrialOutcome['effort'];
  toolCalls: (Omit<StoredToolCall, 'result' | 'trialId'> & { result: string; truncated: boolean })[];
  transcript: TranscriptEntry[];
}

export interface EvalReportModel {
  kind: 'eval';
  generatedAt: string;
  run: RunRow;
  runs: Pick<RunRow, 'id' | 'name' | 'startedAt' | 'endedAt' | 'verdict' | 'target' | 'params'>[];
  levels: StatLevel[];
  kMax: number;
  groups: EvalGroup[];
  byCategory: { group: string; category: string; trials: number; cases: number; pass1: number | null; stderr: number | null }[];
  byLayer: { group: string; layer: string; trials: number; cases: number; pass1: number | null; stderr: number | null }[];
  cases: ({ caseId: string } & CaseMeta)[];
  matrix: { caseId: string; cells: Record<string, MatrixCell> }[];
  infra: {
    group: string;
    runId: string;
    trialId: number;
    caseId: string;
    repeat: number;
    attempt: number;
    phase: string | null;
    error: string;
  }[];
  safety: { group: string; trialId: number; caseId: string; repeat: number; violations: SafetyViolation[] }[];
  /** every non-baseline group against every baseline group, on the cases both ran (B = the model) */
  paired: { baseline: string; model: string; comparison: PairedComparison }[];
  trends: { group: string; points: { runId: string; startedAt: string; trials: number; pass1: number | null; stderr: number | null }[] }[];
  transcripts: TranscriptPage[];
}

const groupKey = (run: RunRow): string => `${agentLabel(run)} x ${mcpLabel(run)}`;

/** The runs the report covers: the run, the `with` runs, else the latest run per other group of the same suite. */
export function reportRuns(store: Store, runId: string, o: { with?: string[]; alone?: boolean } = {}): RunRow[] {
  const primary = store.getRun(runId).run;
  const out = [primary];
  const seen = new Set([primary.id]);
  if (o.with?.length) {
    for (const ref of o.with) {
      const r = store.getRun(ref).run;
      if (r.kind !== 'eval') throw new Error(`--with ${ref}: run ${r.id} is a ${r.kind} run, not an eval run`);
      if (seen.has(r.id)) continue;
      out.push(r);
      seen.add(r.id);
    }
    return out;
  }
  if (o.alone) return out;
  const taken = new Set([groupKey(primary)]);
  for (const r of store.listRuns({ kind: 'eval', name: primary.name, limit: 1000 })) {
    if (seen.has(r.id) || r.startedAt > primary.startedAt || r.verdict === 'running') continue;
    const g = groupKey(r);
    if (taken.has(g)) continue;
    taken.add(g);
    seen.add(r.id);
    out.push(r);
  }
  return out;
}

const pass1Of = (s: GroupStats) => s.levels.overall.pass1;

export function buildEvalReportModel(store: Store, runId: string, o: { with?: string[]; alone?: boolean } = {}): EvalReportModel {
  const runs = reportRuns(store, runId, o);
  const es = new EvalStore(store);
  const outcomes = runs.flatMap((r) => runOutcomes(store, r));
  const byGroup = new Map<string, { runs: RunRow[]; outcomes: TrialOutcome[] }>();
  for (const r of runs) {
    const g = byGroup.get(groupKey(r)) ?? { runs: [], outcomes: [] };
    g.runs.push(r);
    byGroup.set(groupKey(r), g);
  }
  for (const t of outcomes) {
    const r = runs.find((x) => x.id === t.runId) as RunRow;
    byGroup.get(groupKey(r))?.outcomes.push(t);
  }
  // k up to the most trials one case has within one group (the same case run by three agents is not 3x the repeats)
  const kMax = Math.max(1, ...[...byGroup.values()].map((g) => maxTrialsPerCase(g.outcomes)));
  const groups: EvalGroup[] = [...byGroup.entries()].map(([label, g]) => ({
    label,
    agent: agentLabel(g.runs[0]),
    mcpServer: mcpLabel(g.runs[0]),
    baseline: isBaseline(agentLabel(g.runs[0])),
    runIds: g.runs.map((r) => r.id),
    stats: groupStats(g.outcomes, kMax),
  }));
  // models first (the run asked for leads), baselines last
  groups.sort((a, b) => Number(a.baseline) - Number(b.baseline));
  const labelOfRun = new Map(runs.map((r) => [r.id, groupKey(r)]));
  const withGroup = outcomes.map((t) => ({ ...t, agent: labelOfRun.get(t.runId) as string }));

  const slice = <D extends 'category' | 'layer'>(d: D) =>
    breakdown(withGroup, ['agent', d], kMax).map((b) => ({
      group: b.key.agent as string,
      [d]: b.key[d] as string,
      trials: b.stats.levels.overall.trials,
      cases: b.stats.levels.overall.cases,
      pass1: b.stats.levels.overall.pass1?.mean ?? null,
      stderr: b.stats.levels.overall.pass1?.stderr ?? null,
    }));

  const caseIds = [...new Set(runs.flatMap((r) => es.trials(r.id).map((t) => t.caseId)))].sort();
  const matrix = caseIds.map((caseId) => {
    const cells: Record<string, MatrixCell> = {};
    for (const t of withGroup.filter((x) => x.caseId === caseId)) {
      const c = (cells[t.agent] ??= { n: 0, c: 0, trials: [] });
      c.n++;
      if (t.passes.overall) c.c++;
      c.trials.push({ trialId: t.trialId, repeat: t.repeat, passed: t.passes.overall === true });
    }
    return { caseId, cells };
  });

  const infra: EvalReportModel['infra'] = [];
  const transcripts: TranscriptPage[] = [];
  const safety: EvalReportModel['safety'] = [];
  for (const r of runs) {
    const group = labelOfRun.get(r.id) as string;
    for (const d of es.trialDetails(r.id)) {
      if (d.status === 'infra' || d.status === 'interrupted') {
        infra.push({
          group,
          runId: r.id,
          trialId: d.id,
          caseId: d.caseId,
          repeat: d.repeat,
          attempt: d.attempt,
          phase: d.infraPhase,
          error: d.infraError ?? d.status,
        });
        continue;
      }
      if (!d.score) continue;
      const t = withGroup.find((x) => x.trialId === d.id) as TrialOutcome;
      const violations = d.safety?.violations ?? d.score.score?.safety?.violations ?? [];
      if (violations.length) safety.push({ group, trialId: d.id, caseId: d.caseId, repeat: d.repeat, violations });
      transcripts.push({
        trialId: d.id,
        runId: r.id,
        group,
        caseId: d.caseId,
        repeat: d.repeat,
        attempt: d.attempt,
        passed: d.score.passed,
        scoringVersion: d.score.scoringVersion,
        scores: { ...d.score.scores },
        passes: { ...t.passes },
        requires: d.score.score?.requires ?? [],
        details: d.score.score?.details ?? null,
        violations,
        answer: d.answer,
        effort: t.effort,
        toolCalls: d.toolCalls.map(({ trialId: _t, result, ...c }) => ({
          ...c,
          result: result.length > RESULT_SHOWN ? result.slice(0, RESULT_SHOWN) : result,
          truncated: result.length > RESULT_SHOWN,
        })),
        transcript: d.transcript,
      });
    }
  }

  const paired: EvalReportModel['paired'] = [];
  for (const base of groups.filter((g) => g.baseline))
    for (const model of groups.filter((g) => !g.baseline))
      paired.push({
        baseline: base.label,
        model: model.label,
        comparison: pairedComparison(
          withGroup.filter((t) => t.agent === base.label),
          withGroup.filter((t) => t.agent === model.label),
        ),
      });

  // trends: the suite's runs per group, oldest first (the last TREND_RUNS)
  const suiteRuns = store.listRuns({ kind: 'eval', name: runs[0].name, limit: 1000 }).filter((r) => r.verdict !== 'running');
  const trends = groups.map((g) => {
    const mine = suiteRuns
      .filter((r) => groupKey(r) === g.label)
      .slice(0, TREND_RUNS)
      .reverse();
    return {
      group: g.label,
      points: mine.map((r) => {
        const s = groupStats(runOutcomes(store, r));
        return {
          runId: r.id,
          startedAt: r.startedAt,
          trials: s.trials,
          pass1: pass1Of(s)?.mean ?? null,
          stderr: pass1Of(s)?.stderr ?? null,
        };
      }),
    };
  });

  return {
    kind: 'eval',
    generatedAt: new Date().toISOString(),
    run: runs[0],
    runs: runs.map((r) => ({
      id: r.id,
      name: r.name,
      startedAt: r.startedAt,
      endedAt: r.endedAt,
      verdict: r.verdict,
      target: r.target,
      params: r.params,
    })),
    levels: [...STAT_LEVELS],
    kMax,
    groups,
    byCategory: slice('category') as EvalReportModel['byCategory'],
    byLayer: slice('layer') as EvalReportModel['byLayer'],
    cases: caseIds.map((caseId) => ({ caseId, ...caseMetaOf(runs[0], caseId) })),
    matrix,
    infra,
    safety,
    paired,
    trends,
    transcripts,
  };
}
