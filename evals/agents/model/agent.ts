/**
 * The model agents: `--agent openai` (Chat Completions through `@ai-sdk/openai`'s `.chat()`, any base URL:
 * OpenAI, vLLM, Ollama, llama.cpp's server, a gateway), `--agent openai-compatible` (Chat Completions through
 * `@ai-sdk/openai-compatible`, the provider written for such servers; --base-url required), `--agent anthropic`
 * (Messages through `@ai-sdk/anthropic`) and `--agent no-tools` (the same model with no cluster tools: a baseline).
 *
 * A trial is one `generateText` loop (`ai` 6): the versioned system prompt (evals/prompts/) plus the
 * proxy's instructions, the case's question, and the tools of the recording proxy (`@ai-sdk/mcp` on the
 * trial's transport: every call is recorded by evals/proxy/). It stops at submit_rca, at --max-steps or at
 * --max-tokens. Usage is kept per step (the result's stepUsage, stored with the trial's effort, and transcript notes) and in total (`totalUsage`, never the last
 * step's `usage`), priced from the price table (evals/pricing.ts). Provider errors: evals/agents/model/errors.ts.
 */
import { createAnthropic } from '@ai-sdk/anthropic';
import { createMCPClient, type MCPClient } from '@ai-sdk/mcp';
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import {
  generateText,
  stepCountIs,
  type LanguageModel,
  type LanguageModelUsage,
  type StepResult,
  type StopCondition,
  type ToolSet,
} from 'ai';
import { loadPrices, costUsd, priceOf, type Price } from '../../pricing.ts';
import { DEFAULT_PROMPT, loadSystemPrompt, type SystemPrompt } from '../../prompts/index.ts';
import { SUBMIT_RCA } from '../../proxy/submit-rca.ts';
import type { Agent, AgentResult, StepTokens, TranscriptEntry, TrialContext } from '../types.ts';
import { AgentInfraError } from '../types.ts';
import { parseModelParams, readKey, type ModelSettings, type ProviderName } from './config.ts';
import { AgentOwnFailure, classifyProviderError, redact } from './errors.ts';
import { retryingFetch } from './retry.ts';

// the SDK's warnings (an unsupported setting) go to the transcript and stderr through ctx.log, not console
(globalThis as { AI_SDK_LOG_WARNINGS?: boolean }).AI_SDK_LOG_WARNINGS = false;

export const NO_TOOLS_PROMPT = 'rca-no-tools-v1';
/** a tool result kept in the transcript (the proxy stores it in full) */
const TRANSCRIPT_CAP = 2000;

export interface StepUsage extends StepTokens {
  cacheReadTokens: number;
  cacheWriteTokens: number;
  reasoningTokens: number;
  finishReason: string;
  toolCalls: string[];
}

const n = (v: number | undefined): number => v ?? 0;

export function usageOf(u: LanguageModelUsage | undefined): Omit<StepUsage, 'step' | 'finishReason' | 'toolCalls' | 'costUsd'> {
  return {
    inputTokens: n(u?.inputTokens),
    outputTokens: n(u?.outputTokens),
    cacheReadTokens: n(u?.inputTokenDetails?.cacheReadTokens ?? u?.cachedInputTokens),
    cacheWriteTokens: n(u?.inputTokenDetails?.cacheWriteTokens),
    reasoningTokens: n(u?.outputTokenDetails?.reasoningTokens ?? u?.reasoningTokens),
  };
}

function buildModel(s: ModelSettings, key: string | undefined, fetch: typeof globalThis.fetch): LanguageModel {
  // a local server without a key still gets a syntactically valid header (the providers insist on one)
  const apiKey = key ?? 'no-key-set';
  if (s.provider === 'openai') return createOpenAI({ baseURL: s.baseUrl, apiKey, fetch }).chat(s.model);
  // includeUsage: the token counts of each step, as OpenAI reports them (usage.prompt_tokens, completion_tokens)
  if (s.provider === 'openai-compatible')
    return createOpenAICompatible({ name: 'openai-compatible', baseURL: s.baseUrl, apiKey, fetch, includeUsage: true }).chatModel(s.model);
  return createAnthropic({ baseURL: s.baseUrl, apiKey, fetch })(s.model);
}

const submittedOk: StopCondition<ToolSet> = ({ steps }) =>
  (steps.at(-1)?.toolResults ?? []).some((r) => r.toolName === SUBMIT_RCA && !(r.output as { isError?: boolean } | undefined)?.isError);

const tokensSpent =
  (max: number): StopCondition<ToolSet> =>
  ({ steps }) =>
    steps.reduce((a, s) => a + n(s.usage.inputTokens) + n(s.usage.outputTokens), 0) >= max;

function resultText(output: unknown): string {
  const o = output as { content?: { type: string; text?: string }[]; isError?: boolean } | undefined;
  const text = Array.isArray(o?.content) ? o.content.map((c) => c.text ?? JSON.stringify(c)).join('\n') : JSON.stringify(output);
  return `${o?.isError ? 'error: ' : ''}${text}`.slice(0, TRANSCRIPT_CAP);
}

export interface ModelAgentOptions {
  /** the agent name (`--agent NAME`) */
  name: string;
  /** a fixed provider (openai, anthropic), or undefined: --provider (no-tools) */
  provider?: ProviderName;
  /** offer the cluster tools (false: only submit_rca, the answer channel) */
  tools: boolean;
  env?: NodeJS.ProcessEnv;
}

export function makeModelAgent(o: ModelAgentOptions, params: Record<string, string>): Agent {
  // every setting is checked here, before the run starts anything (usage errors before side effects)
  const s = parseModelParams(o.name, o.provider, params);
  const key = readKey(s, o.env);
  const prompt: SystemPrompt = loadSystemPrompt(s.systemPrompt ?? (o.tools ? DEFAULT_PROMPT : NO_TOOLS_PROMPT));
  const price: Price | undefined = priceOf(loadPrices(s.prices), s.provider, s.model);
  const label = `${s.provider}/${s.model}`;
  let warnedNoPrice = false;
  return {
    name: o.name,
    description: o.tools ? `${label} through the MCP tools` : `baseline: ${label} without cluster tools`,
    kind: o.tools ? 'model' : 'baseline',
    run: (ctx) => {
      if (!price && !warnedNoPrice) {
        warnedNoPrice = true;
        ctx.log(
          `  ${label}: no price in the price table (evals/pricing.yaml${s.prices ? ` + ${s.prices}` : ''}): cost not computed; add it with --prices`,
        );
      }
      return runModel(ctx, { s, key, prompt, price, tools: o.tools });
    },
  };
}

interface RunSetup {
  s: ModelSettings;
  key: string | undefined;
  prompt: SystemPrompt;
  price: Price | undefined;
  tools: boolean;
}

async function runModel(ctx: TrialContext, r: RunSetup): Promise<AgentResult> {
  const { s, key, prompt, price } = r;
  const at = () => new Date().toISOString();
  const transcript: TranscriptEntry[] = [];
  const note = (role: TranscriptEntry['role'], content: string) => transcript.push({ role, content: redact(content, key), at: at() });
  const perStep: StepUsage[] = [];
  let attempts = 1;
  const fetch = retryingFetch({ policy: s.retry, label: s.provider, log: ctx.log, signal: ctx.signal, onAttempts: (k) => (attempts = k) });
  const model = buildModel(s, key, fetch);

  let mcp: MCPClient | undefined;
  let tools: ToolSet;
  try {
    mcp = await createMCPClient({ transport: await ctx.connect(), clientName: 'netharness-model-agent' });
    const all = (await mcp.tools()) as ToolSet;
    tools = r.tools ? all : Object.fromEntries(Object.entries(all).filter(([k]) => k === SUBMIT_RCA));
  } catch (err) {
    await mcp?.close().catch(() => undefined);
    throw new AgentInfraError(`the recording proxy's tools could not be listed: ${(err as Error).message}`);
  }
  const client = mcp;
  const system = [prompt.text, r.tools ? client.instructions : undefined].filter(Boolean).join('\n\n');
  note(
    'system',
    `system prompt ${prompt.id} (sha256 ${prompt.sha256}); model ${s.provider}/${s.model} at ${s.baseUrl}; ${Object.keys(tools).length} tools: ${Object.keys(tools).join(', ')}`,
  );
  note('user', ctx.question);
  const warned = new Set<string>();
  const onStep = (step: StepResult<ToolSet>) => {
    const i = perStep.length + 1;
    for (const w of step.warnings ?? []) {
      const m = JSON.stringify(w);
      if (!warned.has(m)) {
        warned.add(m);
        ctx.log(`  ${s.provider}: warning: ${m}`);
        note('note', `warning: ${m}`);
      }
    }
    if (step.text) note('assistant', step.text);
    for (const part of step.content) {
      if (part.type === 'tool-call') note('assistant', `call ${part.toolName} ${JSON.stringify(part.input)}`);
      else if (part.type === 'tool-result') note('tool', `${part.toolName}: ${resultText(part.output)}`);
      // an unknown tool or arguments that are not JSON: the model's own mistake, told to it as a tool error
      else if (part.type === 'tool-error')
        note('note', `tool call ${part.toolName} failed: ${String((part.error as Error)?.message ?? part.error)}`);
    }
    const u = usageOf(step.usage);
    const su: StepUsage = {
      step: i,
      ...u,
      ...(price ? { costUsd: costUsd(price, u) } : {}),
      finishReason: step.finishReason,
      toolCalls: step.toolCalls.map((c) => c.toolName),
    };
    perStep.push(su);
    // the runner's budget meter (--max-steps, --max-tokens), where the runner offers one
    (ctx as TrialContext & { spend?: (x: { steps?: number; inputTokens?: number; outputTokens?: number }) => void }).spend?.({
      steps: 1,
      inputTokens: u.inputTokens,
      outputTokens: u.outputTokens,
    });
    note('note', `step usage ${JSON.stringify(su)}`);
  };

  const sumSteps = () =>
    perStep.reduce(
      (a, x) => ({
        inputTokens: a.inputTokens + x.inputTokens,
        outputTokens: a.outputTokens + x.outputTokens,
        cacheReadTokens: a.cacheReadTokens + x.cacheReadTokens,
        cacheWriteTokens: a.cacheWriteTokens + x.cacheWriteTokens,
      }),
      { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 },
    );
  const finish = (text: string, total: ReturnType<typeof sumSteps>): AgentResult => {
    const usd = price ? costUsd(price, total) : undefined;
    note(
      'note',
      `total usage ${JSON.stringify({ ...total, steps: perStep.length, ...(usd !== undefined ? { costUsd: usd } : { costUsd: null }) })}`,
    );
    note('assistant', text);
    return {
      answer: { text },
      usage: { inputTokens: total.inputTokens, outputTokens: total.outputTokens, ...(usd !== undefined ? { costUsd: usd } : {}) },
      steps: perStep.length,
      stepUsage: perStep.map((x) => ({
        step: x.step,
        inputTokens: x.inputTokens,
        outputTokens: x.outputTokens,
        cacheReadTokens: x.cacheReadTokens,
        ...(x.costUsd !== undefined ? { costUsd: x.costUsd } : {}),
        finishReason: x.finishReason,
        toolCalls: x.toolCalls,
      })),
      transcript,
    };
  };

  try {
    const result = await generateText({
      model,
      system,
      prompt: ctx.question,
      tools,
      stopWhen: [stepCountIs(ctx.budgets.maxSteps), submittedOk, tokensSpent(ctx.budgets.maxTokens)],
      ...(s.temperature !== undefined ? { temperature: s.temperature } : {}),
      // Anthropic has no seed; the OpenAI protocol's seed makes sampling repeatable where servers honour it
      ...(s.provider !== 'anthropic' ? { seed: ctx.seed } : {}),
      ...(s.maxOutputTokens !== undefined ? { maxOutputTokens: s.maxOutputTokens } : {}),
      maxRetries: 0,
      abortSignal: ctx.signal,
      onStepFinish: onStep,
    });
    const t = usageOf(result.totalUsage);
    const text =
      result.text ||
      result.steps
        .map((x) => x.text)
        .filter(Boolean)
        .join('\n');
    return finish(text, {
      inputTokens: t.inputTokens,
      outputTokens: t.outputTokens,
      cacheReadTokens: t.cacheReadTokens,
      cacheWriteTokens: t.cacheWriteTokens,
    });
  } catch (err) {
    if (ctx.signal.aborted) throw ctx.signal.reason ?? err;
    const e = classifyProviderError(err, { label: s.provider, keyVar: s.keyVar, baseUrl: s.baseUrl, model: s.model }, key, attempts);
    note('note', `stopped: ${e.message}`);
    if (e instanceof AgentOwnFailure) {
      ctx.log(`  ${e.message}`);
      return finish(`(stopped: ${e.message})`, sumSteps());
    }
    throw e;
  } finally {
    await client.close().catch(() => undefined);
  }
}
