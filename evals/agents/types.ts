/**
 * The agent contract. An agent is one value in `evals/agents/<name>.ts`, listed once in
 * `evals/agents/registry.ts` (`--agent NAME`). Agents reach the cluster only through MCP: the eval
 * runner hands them a transport to the recording proxy, which fronts the servers of `--mcp-config`
 * (netharness's own by default) and adds the `submit_rca` tool. An agent never sees the case file,
 * the truth or the fault library.
 */
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';

/** The structured answer (`submit_rca` arguments). An agent that never submits is scored from its final text. */
export interface RcaAnswer {
  /** is anything wrong at all (false = "the cluster is healthy") */
  detected: boolean;
  /** a taxonomy category `layer/fault-class` (evals/README.md), when the agent names one */
  category?: string;
  /** root-cause entities: node, pod, EgressIP, logical router/switch, port, process, ... */
  entities: string[];
  mechanism: string;
  remediation: string;
  confidence?: number;
}

export interface AgentAnswer {
  /** present when the agent called submit_rca */
  submitted?: RcaAnswer;
  /** the agent's final text (always kept; the scorer reads it when nothing was submitted) */
  text: string;
}

export interface Budgets {
  maxSteps: number;
  maxToolCalls: number;
  maxTokens: number;
  maxSeconds: number;
}

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  /** USD from the price table, when the agent is a priced model */
  costUsd?: number;
}

/** One model step's usage (an LLM round trip): what the provider reported for that step alone. */
export interface StepTokens {
  /** 1-based */
  step: number;
  inputTokens: number;
  outputTokens: number;
  /** input tokens served from the provider's prompt cache (part of inputTokens) */
  cacheReadTokens?: number;
  /** USD from the price table, when the agent is a priced model */
  costUsd?: number;
  finishReason?: string;
  /** tools the model called in this step */
  toolCalls?: string[];
}

/** One entry of the agent's own transcript (model messages, reasoning notes); tool calls are recorded by the proxy. */
export interface TranscriptEntry {
  role: 'system' | 'user' | 'assistant' | 'tool' | 'note';
  content: string;
  at: string;
}

export interface TrialContext {
  /** the neutral, symptom-level question of the case */
  question: string;
  /** a fresh MCP transport to the recording proxy (connect an MCP client to it; call once per client) */
  connect(): Promise<Transport>;
  budgets: Budgets;
  /** per-trial seed (baselines and models that take a seed use it) */
  seed: number;
  signal: AbortSignal;
  /** progress for humans, on stderr */
  log(line: string): void;
  /**
   * Report what was just spent (a model step and its tokens, as increments). The runner stops the agent (aborts
   * `signal`) once `--max-steps` or `--max-tokens` is exceeded, and the trial fails on its budget. Optional for
   * the caller: an agent that does not report is judged on its result's `steps` and `usage` when it returns.
   */
  spend?(u: { steps?: number; inputTokens?: number; outputTokens?: number }): void;
}

export interface AgentResult {
  answer: AgentAnswer;
  usage: Usage;
  /** model steps (LLM round trips); 0 for playbooks and baselines */
  steps: number;
  /** usage per model step (model agents); `usage` is the total (the provider's totalUsage, not a sum of guesses) */
  stepUsage?: StepTokens[];
  transcript: TranscriptEntry[];
}

/** Raised by an agent when the failure is not its own (provider 5xx after retries, a dead server): an infra error. */
export class AgentInfraError extends Error {
  override name = 'AgentInfraError';
}

export interface Agent {
  /** `--agent NAME` */
  name: string;
  description: string;
  kind: 'reference' | 'baseline' | 'model';
  /** baselines that answer without tools are still offered the transport; they just do not use it */
  run(ctx: TrialContext): Promise<AgentResult>;
}
