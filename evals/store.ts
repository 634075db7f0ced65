/**
 * The eval tables of the results database (migration "eval trials ..." in harness/store/migrations.ts):
 * one eval run is a `runs` row (kind 'eval'); each attempt of a trial is an `eval_trials` row (an attempt
 * that hit an infrastructure error keeps its row, status 'infra', and the retry gets the next attempt
 * number), with its tool calls (recorded by the proxy), the answer, its scores (one row per scoring
 * version, so `eval rescore` adds rather than overwrites) and the agent's transcript.
 */
import type Database from 'better-sqlite3';
import type { AgentAnswer, RcaAnswer, StepTokens, TranscriptEntry } from './agents/types.ts';
import type { Bindings } from './cases/targets.ts';
import type { BudgetOutcome, LevelScores, SafetyResult, TrialScore } from './scoring/types.ts';
import type { ToolCallRecord } from './proxy/proxy.ts';
import type { Store } from '../harness/store/store.ts';
import { scrubSecrets, scrubString } from '../harness/store/scrub.ts';

export type TrialStatus = 'running' | 'scored' | 'infra' | 'interrupted';
export type TrialPhase = 'setup' | 'draw' | 'inject' | 'gate' | 'snapshot' | 'agent' | 'score' | 'heal';

export interface Effort {
  toolCalls: number;
  resultBytes: number;
  inputTokens: number;
  outputTokens: number;
  costUsd?: number;
  steps: number;
  /** usage per model step (model agents); inputTokens / outputTokens above are the trial's total */
  usageSteps?: StepTokens[];
  /** the agent's wall time */
  seconds: number;
  /** the budget the agent exceeded (evals/runner/budget.ts); absent when within budget */
  budget?: BudgetOutcome;
}

export interface NewTrial {
  caseId: string;
  repeat: number;
  seed: number;
  attempt: number;
  agent: string;
}

export interface TrialEnd {
  status: Exclude<TrialStatus, 'running'>;
  bindings?: Bindings;
  infraError?: string;
  infraPhase?: TrialPhase;
  effort?: Effort;
  /** ms per phase (setup, inject, gate, snapshot, agent, heal, ...) */
  phases?: Record<string, number>;
  safety?: SafetyResult;
}

export interface TrialRow {
  id: number;
  runId: string;
  caseId: string;
  repeat: number;
  seed: number;
  attempt: number;
  status: TrialStatus;
  agent: string;
  bindings: Bindings | null;
  infraError: string | null;
  infraPhase: TrialPhase | null;
  effort: Effort | null;
  phases: Record<string, number>;
  safety: SafetyResult | null;
  startedAt: string;
  endedAt: string | null;
}

export interface ScoreRow {
  scoringVersion: string;
  passed: boolean;
  scores: LevelScores;
  score: TrialScore;
  scoredAt: string;
}

export interface StoredToolCall extends ToolCallRecord {
  trialId: number;
}

export interface TrialDetail extends TrialRow {
  answer: AgentAnswer | null;
  /** the newest score (highest rowid) */
  score: ScoreRow | null;
  toolCalls: StoredToolCall[];
  transcript: TranscriptEntry[];
}

const now = (): string => new Date().toISOString();
const j = (v: unknown): string => JSON.stringify(v ?? null);
function parse<T>(s: string | null | undefined): T | null {
  if (s === null || s === undefined) return null;
  try {
    return JSON.parse(s) as T;
  } catch {
    return null;
  }
}

interface RawTrial {
  id: number;
  run_id: string;
  case_id: string;
  repeat: number;
  seed: number;
  attempt: number;
  status: TrialStatus;
  agent: string;
  bindings: string | null;
  infra_error: string | null;
  infra_phase: TrialPhase | null;
  effort: string | null;
  phases: string;
  safety: string | null;
  started_at: string;
  ended_at: string | null;
}

const toTrial = (r: RawTrial): TrialRow => ({
  id: r.id,
  runId: r.run_id,
  caseId: r.case_id,
  repeat: r.repeat,
  seed: r.seed,
  attempt: r.attempt,
  status: r.status,
  agent: r.agent,
  bindings: parse<Bindings>(r.bindings),
  infraError: r.infra_error,
  infraPhase: r.infra_phase,
  effort: parse<Effort>(r.effort),
  phases: parse<Record<string, number>>(r.phases) ?? {},
  safety: parse<SafetyResult>(r.safety),
  startedAt: r.started_at,
  endedAt: r.ended_at,
});

export class EvalStore {
  private readonly db: Database.Database;
  constructor(store: Store) {
    this.db = store.db;
  }

  startTrial(runId: string, t: NewTrial): number {
    const r = this.db
      .prepare(
        "INSERT INTO eval_trials (run_id, case_id, repeat, seed, attempt, status, agent, started_at) VALUES (?, ?, ?, ?, ?, 'running', ?, ?)",
      )
      .run(runId, t.caseId, t.repeat, t.seed, t.attempt, t.agent, now());
    return Number(r.lastInsertRowid);
  }

  /** The drawn targets, as soon as they are drawn (an interrupted trial keeps them: heal needs to know what was touched). */
  setBindings(trialId: number, b: Bindings): void {
    this.db.prepare('UPDATE eval_trials SET bindings = ? WHERE id = ?').run(j(b), trialId);
  }

  finishTrial(trialId: number, e: TrialEnd): void {
    this.db
      .prepare(
        `UPDATE eval_trials SET status = ?, bindings = COALESCE(?, bindings), infra_error = ?, infra_phase = ?, effort = ?, phases = ?, safety = ?, ended_at = ? WHERE id = ?`,
      )
      .run(
        e.status,
        e.bindings ? j(e.bindings) : null,
        e.infraError ? scrubString(e.infraError) : null,
        e.infraPhase ?? null,
        e.effort ? j(e.effort) : null,
        j(e.phases ?? {}),
        e.safety ? j(e.safety) : null,
        now(),
        trialId,
      );
  }

  recordToolCalls(trialId: number, calls: readonly ToolCallRecord[]): void {
    const ins = this.db.prepare(
      `INSERT INTO eval_tool_calls (trial_id, seq, server, tool, called_as, arguments, result, result_bytes, latency_ms, is_error, error, read_only_hint, destructive_hint, at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const bool = (b: boolean | undefined) => (b === undefined ? null : b ? 1 : 0);
    this.db.transaction(() => {
      for (const c of calls)
        ins.run(
          trialId,
          c.seq,
          c.server,
          c.tool,
          c.calledAs,
          j(scrubSecrets(c.arguments)),
          scrubString(c.result),
          c.resultBytes,
          c.latencyMs,
          c.isError ? 1 : 0,
          c.error ?? null,
          bool(c.readOnlyHint),
          bool(c.destructiveHint),
          c.at,
        );
    })();
  }

  recordAnswer(trialId: number, a: AgentAnswer): void {
    this.db
      .prepare('INSERT OR REPLACE INTO eval_answers (trial_id, submitted, text) VALUES (?, ?, ?)')
      .run(trialId, a.submitted ? j(scrubSecrets(a.submitted)) : null, scrubString(a.text));
  }

  recordTranscript(trialId: number, entries: readonly TranscriptEntry[]): void {
    const ins = this.db.prepare('INSERT INTO eval_transcripts (trial_id, seq, role, content, at) VALUES (?, ?, ?, ?, ?)');
    this.db.transaction(() => entries.forEach((e, i) => ins.run(trialId, i + 1, e.role, scrubString(e.content), e.at)))();
  }

  /** One score per (trial, scoring version): a rescore with the same version replaces it, a new version adds a row. */
  recordScore(trialId: number, s: TrialScore): void {
    this.db
      .prepare(
        `INSERT INTO eval_scores (trial_id, scoring_version, passed, overall, scores, score, scored_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (trial_id, scoring_version) DO UPDATE SET passed = excluded.passed, overall = excluded.overall, scores = excluded.scores, score = excluded.score, scored_at = excluded.scored_at`,
      )
      .run(trialId, s.scoringVersion, s.passed ? 1 : 0, s.scores.overall, j(s.scores), j(s), now());
  }

  trials(runId: string): TrialRow[] {
    return (this.db.prepare('SELECT * FROM eval_trials WHERE run_id = ? ORDER BY id').all(runId) as RawTrial[]).map(toTrial);
  }

  answer(trialId: number): AgentAnswer | null {
    const r = this.db.prepare('SELECT submitted, text FROM eval_answers WHERE trial_id = ?').get(trialId) as
      { submitted: string | null; text: string } | undefined;
    if (!r) return null;
    const submitted = parse<RcaAnswer>(r.submitted);
    return { ...(submitted ? { submitted } : {}), text: r.text };
  }

  toolCalls(trialId: number): StoredToolCall[] {
    const rows = this.db.prepare('SELECT * FROM eval_tool_calls WHERE trial_id = ? ORDER BY seq').all(trialId) as Record<string, unknown>[];
    return rows.map((r) => ({
      trialId,
      seq: r.seq as number,
      server: r.server as string,
      tool: r.tool as string,
      calledAs: r.called_as as string,
      arguments: parse(r.arguments as string),
      result: r.result as string,
      resultBytes: r.result_bytes as number,
      latencyMs: r.latency_ms as number,
      isError: r.is_error === 1,
      ...(r.error !== null ? { error: r.error as string } : {}),
      ...(r.read_only_hint !== null ? { readOnlyHint: r.read_only_hint === 1 } : {}),
      ...(r.destructive_hint !== null ? { destructiveHint: r.destructive_hint === 1 } : {}),
      at: r.at as string,
    }));
  }

  latestScore(trialId: number): ScoreRow | null {
    const r = this.db
      .prepare(
        'SELECT scoring_version, passed, scores, score, scored_at FROM eval_scores WHERE trial_id = ? ORDER BY scored_at DESC, id DESC LIMIT 1',
      )
      .get(trialId) as { scoring_version: string; passed: number; scores: string; score: string; scored_at: string } | undefined;
    if (!r) return null;
    return {
      scoringVersion: r.scoring_version,
      passed: r.passed === 1,
      scores: parse<LevelScores>(r.scores)!,
      score: parse<TrialScore>(r.score)!,
      scoredAt: r.scored_at,
    };
  }

  transcript(trialId: number): TranscriptEntry[] {
    return (
      this.db.prepare('SELECT role, content, at FROM eval_transcripts WHERE trial_id = ? ORDER BY seq').all(trialId) as TranscriptEntry[]
    ).map((e) => ({ role: e.role, content: e.content, at: e.at }));
  }

  trialDetails(runId: string): TrialDetail[] {
    return this.trials(runId).map((t) => ({
      ...t,
      answer: this.answer(t.id),
      score: this.latestScore(t.id),
      toolCalls: this.toolCalls(t.id),
      transcript: this.transcript(t.id),
    }));
  }

  /** Trials left 'running' by a run that did not finish them (interrupted or crashed). */
  markUnfinished(runId: string, status: 'interrupted' | 'infra', reason: string): number {
    return this.db
      .prepare(
        "UPDATE eval_trials SET status = ?, infra_error = COALESCE(infra_error, ?), ended_at = ? WHERE run_id = ? AND status = 'running'",
      )
      .run(status, reason, now(), runId).changes;
  }
}
