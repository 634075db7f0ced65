/**
 * Scoring contracts: what the runner hands the scorer and the safety gate, and what they return.
 * Everything here is data (JSON-serialisable), so a stored trial can be rescored without running
 * anything (`netharness eval rescore <run>`).
 */
import type { AgentAnswer, RcaAnswer } from '../agents/types.ts';
import type { Level } from '../cases/schema.ts';
import type { Bindings } from '../cases/targets.ts';

export type { AgentAnswer, RcaAnswer };

/** Per-level scores in [0, 1]; null = the level does not apply (a control has no entities to localise). */
export interface LevelScores {
  detection: number;
  localization: number | null;
  category: number | null;
  mechanism: number | null;
  remediation: number | null;
  /** 1 when every level the case requires passed and the safety gate holds, else 0 */
  overall: number;
}

export interface LevelPasses {
  detection: boolean;
  localization: boolean | null;
  category: boolean | null;
  mechanism: boolean | null;
  remediation: boolean | null;
}

export interface EntityMatch {
  /** what the answer said */
  said: string;
  /** the truth entity it denotes (its name), or undefined when it denotes none */
  matches?: string;
}

export interface ChecklistResult {
  id: string;
  matched: boolean;
  /** the sentence that credited it */
  evidence?: string;
}

/** Why a trial scored as it did: enough for a report to show, and for the labelled-set test to print. */
export interface ScoreDetails {
  /** 'submitted' = from submit_rca (+ text); 'text' = read from the final text only */
  source: 'submitted' | 'text';
  /** the answer as scored (for text answers: what was read out of the text) */
  read: RcaAnswer;
  entities: { said: EntityMatch[]; recalled: string[]; missed: string[]; precision: number; recall: number; f1: number };
  mechanism: ChecklistResult[];
  remediation: ChecklistResult[];
  /** categories the answer asserts (free text and mechanism), for the hedging rule */
  assertedCategories: string[];
  hedged: boolean;
}

export interface TrialScore {
  scoringVersion: string;
  passed: boolean;
  scores: LevelScores;
  passes: LevelPasses;
  /** the levels the case requires */
  requires: Level[];
  details: ScoreDetails;
  safety: SafetyResult;
  /** the budget the agent exceeded (the trial is zeroed, like a safety violation); absent when within budget */
  budget?: BudgetOutcome;
}

/** A per-trial budget the agent exceeded (evals/runner/budget.ts): the agent's failure, never an infra error. */
export interface BudgetOutcome {
  exceeded: 'steps' | 'tokens' | 'seconds';
  limit: number;
  used: number;
  message: string;
}

// ---------------------------------------------------------------- what the runner records

/** One MCP call through the recording proxy (D2's proxy stores these with the trial). */
export interface ToolCallRecord {
  /** the server's name in the mcpServers config (netharness's own: 'netharness'); the proxy's own tools: 'proxy' */
  server: string;
  tool: string;
  arguments: unknown;
  resultBytes: number;
  latencyMs: number;
  isError: boolean;
  error?: string;
  at: string;
}

/** One Kubernetes object as snapshotted (normaliseApiObject in evals/scoring/safety.ts drops what changes by itself). */
export interface ApiObjectState {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
  uid?: string;
  /** labels, annotations, spec and other top-level fields; never status, resourceVersion, managedFields */
  content: Record<string, unknown>;
}

/** OVSDB rows of one database, by table, as `ovsdb-client dump --format=json` / `list` gives them (keyed by _uuid). */
export type OvsdbTables = Record<string, Record<string, Record<string, unknown>>>;

export interface NodeDbState {
  /** OVN NB / SB of the node's zone (interconnect: one per node) and the node's Open_vSwitch database */
  nb?: OvsdbTables;
  sb?: OvsdbTables;
  ovs?: OvsdbTables;
}

/** The cluster state before and after the agent ran (D2 takes them; the safety gate compares them). */
export interface Snapshot {
  takenAt: string;
  /** key `apiVersion/kind/namespace/name` (namespace empty for cluster-scoped) */
  api: Record<string, ApiObjectState>;
  /** node name -> its databases */
  nodes: Record<string, NodeDbState>;
  /** what could not be read (a node's DB unreachable): the gate reports it, it never passes silently */
  unreadable?: string[];
}

export type ViolationKind =
  | 'tool-not-allowed'
  | 'api-object-changed'
  | 'api-object-created'
  | 'api-object-deleted'
  | 'db-row-changed'
  | 'db-row-created'
  | 'db-row-deleted';

export interface SafetyViolation {
  kind: ViolationKind;
  /** the call (`server/tool`) or the object / row (`v1/Pod/ns/name`, `worker-1 nb Logical_Router_NAT <uuid>`) */
  subject: string;
  message: string;
}

export interface SafetyResult {
  ok: boolean;
  violations: SafetyViolation[];
  /** parts neither snapshot pair could compare (unreadable before or after): the runner reports an infra error, not a pass */
  incomplete?: string[];
}

/** Everything a stored trial needs for scoring; rescore reads these back and calls scoreTrial again. */
export interface ScoringInput {
  caseId: string;
  bindings: Bindings;
  answer: AgentAnswer;
  toolCalls: ToolCallRecord[];
  /** the gate's verdict as stored (snapshots are large; the runner stores the violations they produced) */
  safety: SafetyResult;
}
