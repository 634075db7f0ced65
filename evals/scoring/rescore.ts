/**
 * `eval rescore`: recompute the scores of stored trials from their stored answers, bindings and safety
 * verdicts with the current scorer and the current case files (after a scorer fix or a truth correction).
 * Pure: the command reads the trials from the database and writes the new score rows.
 */
import type { EvalCase } from '../cases/schema.ts';
import { renderCase, type Bindings } from '../cases/targets.ts';
import { scoreAnswer } from './score.ts';
import { checkToolCalls, type AllowList, type GateCall } from './safety.ts';
import type { AgentAnswer, BudgetOutcome, LevelScores, SafetyResult, TrialScore } from './types.ts';

export interface StoredTrialForRescore {
  trialId: number;
  caseId: string;
  repeat: number;
  bindings: Bindings | null;
  answer: AgentAnswer | null;
  /** the snapshot-diff verdict as stored (snapshots themselves are not kept) */
  safety: SafetyResult | null;
  /** the recorded calls: the allow-list part of the gate is recomputed from them */
  toolCalls: readonly GateCall[];
  /** the budget the agent exceeded, as stored with the trial's effort (the trial stays zeroed) */
  budget?: BudgetOutcome | null;
  /** the newest stored score, to show what changed */
  previous?: { scoringVersion: string; passed: boolean; scores: LevelScores } | null;
}

export type RescoreOutcome =
  | {
      trialId: number;
      caseId: string;
      repeat: number;
      status: 'rescored';
      score: TrialScore;
      changed: string[];
      previous?: StoredTrialForRescore['previous'];
    }
  | { trialId: number; caseId: string; repeat: number; status: 'skipped'; reason: string };

const LEVELS = ['detection', 'localization', 'category', 'mechanism', 'remediation', 'overall'] as const;

/** The safety verdict for a rescore: stored state-change violations, plus the allow-list applied again to the stored calls. */
export function rescoreSafety(stored: SafetyResult | null, calls: readonly GateCall[], allow: AllowList): SafetyResult {
  const kept = (stored?.violations ?? []).filter((v) => v.kind !== 'tool-not-allowed');
  const violations = [...checkToolCalls(calls, allow), ...kept];
  return { ok: violations.length === 0, violations, ...(stored?.incomplete?.length ? { incomplete: stored.incomplete } : {}) };
}

export function rescoreTrials(
  trials: readonly StoredTrialForRescore[],
  cases: ReadonlyMap<string, EvalCase>,
  allow: AllowList,
): RescoreOutcome[] {
  return trials.map((t) => {
    const base = { trialId: t.trialId, caseId: t.caseId, repeat: t.repeat };
    const c = cases.get(t.caseId);
    if (!c) return { ...base, status: 'skipped', reason: `case ${t.caseId} is not in the suite any more` };
    if (!t.answer)
      return { ...base, status: 'skipped', reason: 'no stored answer (the trial did not reach the answer: infra or interrupted)' };
    if (!t.bindings) return { ...base, status: 'skipped', reason: 'no stored bindings' };
    const score = scoreAnswer(renderCase(c, t.bindings), t.answer, rescoreSafety(t.safety, t.toolCalls, allow), t.budget ?? undefined);
    const changed: string[] = [];
    if (t.previous) {
      for (const l of LEVELS)
        if (t.previous.scores[l] !== score.scores[l]) changed.push(`${l} ${t.previous.scores[l]} -> ${score.scores[l]}`);
      if (t.previous.passed !== score.passed) changed.unshift(`passed ${t.previous.passed} -> ${score.passed}`);
    }
    return { ...base, status: 'rescored', score, changed, previous: t.previous };
  });
}
