/**
 * The model agents (`--agent openai`, `--agent anthropic`, `no-tools`) against local servers that speak
 * the providers' real HTTP protocols: our own fake (test/support/fake-llm.ts) and an independent one,
 * `@copilotkit/aimock`. The tools are real: the recording proxy (evals/proxy/) in front of a stdio MCP
 * server (the echo fixture), so every call the model makes is recorded there. No cluster: the scored
 * end-to-end trials are in model-e2e.test.ts.
 *
 * Shown per adapter: a multi-step tool-using trial, 429 then success (Retry-After honoured), 500 until
 * the retries run out (an infra error), 401 (a usage error naming the key's variable), usage per step and
 * in total with its cost; and a 400 naming the setting, a malformed tool call (the agent's own failure,
 * not an error), the no-tools baseline offering only submit_rca.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LLMock } from '@copilotkit/aimock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeModelAgent } from '../../evals/agents/model/agent.ts';
import type { ProviderName } from '../../evals/agents/model/config.ts';
import { backoffMs, decideRetry, retryAfterMs } from '../../evals/agents/model/retry.ts';
import { AgentInfraError, type AgentResult, type TrialContext } from '../../evals/agents/types.ts';
import { costUsd, loadPrices, PRICE_TABLE_SCHEMA_FILE, priceOf, renderPriceTableSchema } from '../../evals/pricing.ts';
import { parseMcpConfig, resolveForTarget } from '../../evals/proxy/config.ts';
import { McpProxy, type TrialSession } from '../../evals/proxy/proxy.ts';
import { UsageError } from '../../harness/errors.ts';
import { existsSync, readFileSync } from 'node:fs';
import { ROOT, runCli } from '../support/cli.ts';
import { controlBrain, startFakeLlm, type FakeLlm } from '../support/fake-llm.ts';
import { tempDir } from '../support/tmp.ts';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'echo-mcp-server.ts');
const KEY = 'nh.canary.Key.4411'; // not key-shaped: only our own care keeps it out of messages
const QUESTION = 'Users say pods in namespace tenant-a sometimes leave the cluster with an unexpected source IP.';
const KEY_VAR: Record<ProviderName, string> = {
  openai: 'OPENAI_API_KEY',
  anthropic: 'ANTHROPIC_API_KEY',
  'openai-compatible': 'OPENAI_COMPATIBLE_API_KEY',
};

let proxy: McpProxy;
let dir: string;
let prices: string;

beforeAll(async () => {
  dir = tempDir('model-agent-');
  prices = join(dir, 'prices.yaml');
  writeFileSync(
    prices,
    'models:\n  openai/fake-rca: { input: 1, cachedInput: 0.5, output: 2 }\n  openai-compatible/fake-rca: { input: 1, cachedInput: 0.5, output: 2 }\n  anthropic/fake-rca: { input: 3, cachedInput: 0.3, output: 15 }\n',
  );
  const cfg = resolveForTarget(
    parseMcpConfig({ mcpServers: { echo: { command: process.execPath, args: ['--import', 'tsx', FIXTURE], env: {} } } }),
    '/nonexistent/kubeconfig',
  );
  proxy = await McpProxy.start(cfg, { connectTimeoutMs: 60_000 });
}, 90_000);
afterAll(async () => proxy?.close());

interface Run {
  result?: AgentResult;
  error?: unknown;
  session: TrialSession;
  logs: string[];
  ms: number;
}

async function trial(
  provider: ProviderName,
  baseUrl: string,
  params: Record<string, string> = {},
  o: { tools?: boolean; key?: string } = {},
): Promise<Run> {
  const agent = makeModelAgent(
    { name: o.tools === false ? 'no-tools' : provider, provider, tools: o.tools ?? true, env: { [KEY_VAR[provider]]: o.key ?? KEY } },
    { model: 'fake-rca', baseUrl, prices, retryBaseMs: '20', ...params },
  );
  const session = proxy.beginTrial({ maxToolCalls: 20 });
  const logs: string[] = [];
  const ctx: TrialContext = {
    question: QUESTION,
    connect: () => session.connect(),
    budgets: { maxSteps: 8, maxToolCalls: 20, maxTokens: 1_000_000, maxSeconds: 60 },
    seed: 4242,
    signal: AbortSignal.timeout(60_000),
    log: (l) => logs.push(l),
  };
  const t0 = performance.now();
  try {
    return { result: await agent.run(ctx), session, logs, ms: performance.now() - t0 };
  } catch (error) {
    return { error, session, logs, ms: performance.now() - t0 };
  } finally {
    await session.end();
  }
}

const notes = (r: AgentResult, prefix: string) =>
  r.transcript
    .filter((e) => e.role === 'note' && e.content.startsWith(prefix))
    .map((e) => JSON.parse(e.content.slice(prefix.length)) as Record<string, number>);

function expectNoKey(run: Run) {
  const all = JSON.stringify({
    t: run.result?.transcript,
    e: String(run.error),
    h: (run.error as UsageError)?.hint,
    logs: run.logs,
    calls: run.session.calls,
  });
  expect(all).not.toContain(KEY);
}

// openai-compatible: the same Chat Completions protocol through @ai-sdk/openai-compatible instead of @ai-sdk/openai
describe.each(['openai', 'openai-compatible', 'anthropic'] as const)('%s adapter against our own fake server', (provider) => {
  let fake: FakeLlm;
  beforeAll(async () => {
    fake = await startFakeLlm({ apiKey: KEY, brain: controlBrain });
  });
  afterAll(async () => fake?.close());

  it('runs a multi-step tool-using trial through the recording proxy, usage per step and in total, priced', async () => {
    fake.journal.length = 0;
    const run = await trial(provider, fake.url);
    expect(run.error, String(run.error)).toBeUndefined();
    const r = run.result!;
    // every tool call went through the proxy and was recorded there
    expect(run.session.calls.map((c) => `${c.server}/${c.tool}`)).toEqual(['echo/echo', 'echo/env', 'proxy/submit_rca']);
    expect(run.session.calls[0].result).toBe('pods of tenant-a: Running');
    expect(run.session.submitted).toMatchObject({ detected: false, entities: [] });
    expect(r.steps).toBe(3);
    // the model saw the tool results: the second request carried the first result
    const second = fake.journal.filter((j) => j.status === 200)[1];
    expect(JSON.stringify(second.body)).toContain('pods of tenant-a: Running');
    // the request: the versioned system prompt plus the proxy's instructions, the question, the tools
    const first = JSON.stringify(fake.journal[0].body);
    expect(first).toContain('site reliability engineer');
    expect(first).toContain('call submit_rca');
    expect(first).toContain('tenant-a');
    if (provider !== 'anthropic') expect(fake.journal[0].body.seed).toBe(4242);
    // usage: per step (1000, 1500, 2000 input; 50 output each; 0, 400, 400 cached) and the total of all steps
    const steps = notes(r, 'step usage ');
    expect(steps.map((s) => [s.inputTokens, s.outputTokens, s.cacheReadTokens])).toEqual([
      [1000, 50, 0],
      [1500, 50, 400],
      [2000, 50, 400],
    ]);
    expect(r.usage.inputTokens).toBe(4500); // totalUsage, not the last step's 2000
    expect(r.usage.outputTokens).toBe(150);
    const p = priceOf(loadPrices(prices), provider, 'fake-rca')!;
    const expected = costUsd(p, { inputTokens: 4500, outputTokens: 150, cacheReadTokens: 800 });
    expect(expected).toBe(provider !== 'anthropic' ? (3700 * 1 + 800 * 0.5 + 150 * 2) / 1e6 : (3700 * 3 + 800 * 0.3 + 150 * 15) / 1e6);
    expect(r.usage.costUsd).toBeCloseTo(expected, 9);
    expect(notes(r, 'total usage ')[0]).toMatchObject({ inputTokens: 4500, outputTokens: 150, steps: 3 });
    // the result's per-step usage (stored with the trial's effort): the server's per-reply figures, summing to
    // the total the SDK reported (totalUsage), tokens and cost alike
    const per = r.stepUsage!;
    expect(per.map((s) => [s.step, s.inputTokens, s.outputTokens, s.cacheReadTokens])).toEqual([
      [1, 1000, 50, 0],
      [2, 1500, 50, 400],
      [3, 2000, 50, 400],
    ]);
    expect(per.map((s) => s.toolCalls)).toEqual([['echo'], ['env'], ['submit_rca']]);
    expect(per.reduce((a, s) => a + s.inputTokens, 0)).toBe(r.usage.inputTokens);
    expect(per.reduce((a, s) => a + s.outputTokens, 0)).toBe(r.usage.outputTokens);
    expect(per.reduce((a, s) => a + s.costUsd!, 0)).toBeCloseTo(r.usage.costUsd!, 12);
    expect(r.transcript[0].content).toMatch(/system prompt rca-v1 \(sha256 [0-9a-f]{12}\)/);
    expect(fake.journal.every((j) => j.keyMatched)).toBe(true);
    expectNoKey(run);
  });

  it('429 then success: waits as Retry-After says, then goes on', async () => {
    fake.journal.length = 0;
    fake.failNext({ status: 429, headers: { 'retry-after': '1' }, message: 'Rate limit reached' });
    const run = await trial(provider, fake.url);
    expect(run.error, String(run.error)).toBeUndefined();
    expect(fake.journal.map((j) => j.status).slice(0, 2)).toEqual([429, 200]);
    expect(fake.journal[1].at - fake.journal[0].at).toBeGreaterThanOrEqual(950);
    expect(run.logs.join('\n')).toMatch(
      new RegExp(`${provider}: HTTP 429 from 127\\.0\\.0\\.1:\\d+/v1/\\S+; retrying in 1\\.0 s \\(Retry-After\\), attempt 2 of 5`),
    );
    expect(run.session.submitted?.detected).toBe(false);
  });

  it('500 until the retries run out: an infra error saying how many attempts were made', async () => {
    fake.journal.length = 0;
    fake.failNext(...Array.from({ length: 3 }, () => ({ status: 500, message: 'The server had an error' })));
    const run = await trial(provider, fake.url, { retries: '2' });
    expect(run.error).toBeInstanceOf(AgentInfraError);
    expect(String((run.error as Error).message)).toMatch(
      new RegExp(`^${provider}: HTTP 500 from 127\\.0\\.0\\.1:\\d+ after 3 attempts: The server had an error`),
    );
    expect(fake.journal.map((j) => j.status)).toEqual([500, 500, 500]);
    expect(run.logs.filter((l) => /retrying in/.test(l))).toHaveLength(2);
  });

  it('401: a usage error naming the key variable, without the key', async () => {
    const run = await trial(provider, fake.url, {}, { key: `${KEY}-wrong` });
    expect(run.error).toBeInstanceOf(UsageError);
    const e = run.error as UsageError;
    expect(e.message).toMatch(new RegExp(`${provider}: 127\\.0\\.0\\.1:\\d+ refused the API key \\(HTTP 401\\)`));
    expect(e.hint).toContain(KEY_VAR[provider]);
    expect(`${e.message} ${e.hint}`).not.toContain(KEY);
    expect(run.session.calls).toHaveLength(0);
  });

  it('400 naming the model: a usage error that names --model', async () => {
    fake.failNext({ status: 400, message: "The model 'fake-rca' does not exist" });
    const run = await trial(provider, fake.url);
    expect(run.error).toBeInstanceOf(UsageError);
    expect((run.error as UsageError).hint).toBe('check --model');
  });

  it('a malformed tool call (unknown tool, arguments that are not JSON) is the model’s own failure: it is told and goes on', async () => {
    fake.setBrain((c) => {
      if (c.turn === 0) return { toolCalls: [{ name: 'kubectl_delete_everything', args: {} }] };
      if (c.turn === 1) return { toolCalls: [{ name: 'echo', args: provider !== 'anthropic' ? '{"msg": ' : 'not an object' }] };
      if (c.turn === 2)
        return { toolCalls: [{ name: 'submit_rca', args: { detected: true, entities: ['x'], mechanism: 'm', remediation: 'r' } }] };
      return { text: 'done' };
    });
    try {
      const run = await trial(provider, fake.url);
      expect(run.error, String(run.error)).toBeUndefined();
      expect(run.session.submitted?.detected).toBe(true);
      const failed = run.result!.transcript.filter((e) => /^tool call \S+ failed/.test(e.content)).map((e) => e.content);
      expect(failed.some((f) => f.includes('kubectl_delete_everything'))).toBe(true);
      // the unknown tool never reached a server: only submit_rca (and a malformed echo, if the protocol let it through) did
      expect(run.session.calls.map((c) => c.tool)).not.toContain('kubectl_delete_everything');
      expect(run.session.calls.at(-1)?.tool).toBe('submit_rca');
    } finally {
      fake.setBrain(controlBrain);
    }
  });

  it('no-tools: the same model with no cluster tools, only submit_rca', async () => {
    fake.journal.length = 0;
    fake.setBrain((c) =>
      c.turn === 0
        ? { toolCalls: [{ name: 'submit_rca', args: { detected: true, entities: [], mechanism: 'a guess', remediation: '' } }] }
        : { text: 'guessed' },
    );
    try {
      const run = await trial(provider, fake.url, {}, { tools: false });
      expect(run.error, String(run.error)).toBeUndefined();
      const tools = (fake.journal[0].body.tools as { name?: string; function?: { name: string } }[]).map((t) => t.function?.name ?? t.name);
      expect(tools).toEqual(['submit_rca']);
      expect(JSON.stringify(fake.journal[0].body)).toContain('you have no');
      expect(run.session.calls.map((c) => c.tool)).toEqual(['submit_rca']);
    } finally {
      fake.setBrain(controlBrain);
    }
  });
});

describe.each(['openai', 'anthropic'] as const)('%s adapter against @copilotkit/aimock', (provider) => {
  let mock: LLMock;
  const toolMessages = (req: { messages?: { role: string }[] }) => (req.messages ?? []).filter((m) => m.role === 'tool').length;
  const usage = provider === 'openai' ? { prompt_tokens: 700, completion_tokens: 30 } : { input_tokens: 700, output_tokens: 30 };
  beforeAll(async () => {
    mock = new LLMock({ port: 0, logLevel: 'silent', auth: { apiKeys: [KEY] } });
    mock.on(
      { predicate: (req) => toolMessages(req) === 0 },
      { toolCalls: [{ name: 'echo', arguments: JSON.stringify({ msg: 'pods Running' }) }], usage },
    );
    mock.on({ predicate: (req) => toolMessages(req) === 1 }, { toolCalls: [{ name: 'env', arguments: '{}' }], usage });
    mock.on(
      { predicate: (req) => toolMessages(req) === 2 },
      {
        toolCalls: [
          {
            name: 'submit_rca',
            arguments: JSON.stringify({ detected: false, entities: [], mechanism: 'egress works', remediation: 'none' }),
          },
        ],
        usage,
      },
    );
    await mock.start();
  });
  afterAll(async () => mock?.stop());
  const base = () => `${mock.url}/v1`;

  it('runs a multi-step tool-using trial, usage in total and priced', async () => {
    const run = await trial(provider, base());
    expect(run.error, String(run.error)).toBeUndefined();
    expect(run.session.calls.map((c) => c.tool)).toEqual(['echo', 'env', 'submit_rca']);
    expect(run.session.calls[0].result).toBe('pods Running');
    expect(run.result!.steps).toBe(3);
    expect(run.result!.usage).toMatchObject({ inputTokens: 2100, outputTokens: 90 });
    const p = priceOf(loadPrices(prices), provider, 'fake-rca')!;
    expect(run.result!.usage.costUsd).toBeCloseTo(costUsd(p, { inputTokens: 2100, outputTokens: 90 }), 9);
    expect(notes(run.result!, 'step usage ')).toHaveLength(3);
    expectNoKey(run);
  });

  it('429 then success', async () => {
    mock.nextRequestError(429, { message: 'Rate limit exceeded', type: 'rate_limit_error' });
    const run = await trial(provider, base());
    expect(run.error, String(run.error)).toBeUndefined();
    expect(run.logs.join('\n')).toMatch(/HTTP 429 .*retrying in 1\.0 s \(Retry-After\)/);
    expect(run.ms).toBeGreaterThanOrEqual(950);
    expect(run.session.submitted?.detected).toBe(false);
  });

  it('500 until the retries run out: an infra error', async () => {
    for (let i = 0; i < 3; i++) mock.nextRequestError(500, { message: 'Internal server error', type: 'server_error' });
    const run = await trial(provider, base(), { retries: '2' });
    expect(run.error).toBeInstanceOf(AgentInfraError);
    expect((run.error as Error).message).toMatch(new RegExp(`^${provider}: HTTP 500 from 127\\.0\\.0\\.1:\\d+ after 3 attempts`));
  });

  it('401: a usage error naming the key variable', async () => {
    const run = await trial(provider, base(), {}, { key: 'not-the-key' });
    expect(run.error).toBeInstanceOf(UsageError);
    expect((run.error as UsageError).hint).toContain(KEY_VAR[provider]);
  });
});

describe('retry policy and settings (pure)', () => {
  it('reads retry-after-ms, Retry-After seconds and HTTP dates', () => {
    expect(retryAfterMs(new Headers({ 'retry-after-ms': '250' }))).toBe(250);
    expect(retryAfterMs(new Headers({ 'retry-after': '2' }))).toBe(2000);
    expect(retryAfterMs(new Headers({ 'retry-after': new Date(10_000).toUTCString() }), 7_000)).toBe(3000);
    expect(retryAfterMs(new Headers({ 'retry-after': 'soon' }))).toBeUndefined();
  });
  it('backs off exponentially with jitter, stops after the retries, and refuses waits beyond the cap', () => {
    const p = { retries: 3, baseMs: 100, maxWaitMs: 1000 };
    expect([1, 2, 3, 4, 5].map((a) => backoffMs(p, a, () => 1))).toEqual([100, 200, 400, 800, 1000]);
    expect(backoffMs(p, 1, () => 0)).toBe(50);
    expect(decideRetry(p, 1, 503)).toMatchObject({ retry: true, reason: 'backoff' });
    expect(decideRetry(p, 4, 503)).toMatchObject({ retry: false });
    expect(decideRetry(p, 1, 401)).toMatchObject({ retry: false });
    expect(decideRetry(p, 1, undefined)).toMatchObject({ retry: true });
    expect(decideRetry(p, 1, 429, new Headers({ 'retry-after': '30' }))).toMatchObject({
      retry: false,
      reason: expect.stringMatching(/asks to wait 30 s/),
    });
  });
  it('rejects bad settings naming the flag; a missing key names its variable', () => {
    const make =
      (params: Record<string, string>, env: NodeJS.ProcessEnv = {}) =>
      () =>
        makeModelAgent({ name: 'openai', provider: 'openai', tools: true, env }, params);
    expect(make({})).toThrow(/--model: --agent openai needs a model name/);
    expect(make({ model: 'm' })).toThrow(/OPENAI_API_KEY is not set/);
    expect(make({ model: 'm', baseUrl: 'http://127.0.0.1:1/v1' })).not.toThrow(); // a local server may need no key
    expect(make({ model: 'm', baseUrl: 'ftp://x' })).toThrow(/--base-url: expected http/);
    expect(make({ model: 'm', temperature: 'hot' }, { OPENAI_API_KEY: 'k' })).toThrow(/--temperature: expected a number/);
    expect(make({ model: 'm', apiKey: 'sk-123' }, { OPENAI_API_KEY: 'k' })).toThrow(/keys are read from OPENAI_API_KEY/);
    expect(make({ model: 'm', systemPrompt: 'nope-v7' }, { OPENAI_API_KEY: 'k' })).toThrow(/--system-prompt: 'nope-v7'/);
    const bad = join(dir, 'bad-prices.yaml');
    writeFileSync(bad, 'models:\n  openai/m: { input: -1, output: 2 }\n');
    expect(make({ model: 'm', prices: bad }, { OPENAI_API_KEY: 'k' })).toThrow(/--prices .*models\.openai\/m\.input/);
    // openai-compatible has no default endpoint: --base-url is required; a key is optional (a local server)
    const compat = (params: Record<string, string>) => () =>
      makeModelAgent({ name: 'openai-compatible', provider: 'openai-compatible', tools: true, env: {} }, params);
    expect(compat({ model: 'm' })).toThrow(/--base-url: --agent openai-compatible needs the server's base URL/);
    expect(compat({ model: 'm', baseUrl: 'http://127.0.0.1:1/v1' })).not.toThrow();
    expect(() => makeModelAgent({ name: 'no-tools', tools: false, env: {} }, { model: 'm', provider: 'openai-compatible' })).toThrow(
      /--base-url: --agent no-tools --provider openai-compatible needs/,
    );
  });
  it('prices dated snapshots by their undated key; an unknown model has no price', () => {
    const t = loadPrices();
    expect(priceOf(t, 'openai', 'gpt-4o-2024-08-06')).toEqual(priceOf(t, 'openai', 'gpt-4o'));
    expect(priceOf(t, 'anthropic', 'claude-sonnet-4-5-20250929')).toBeDefined();
    expect(priceOf(t, 'openai', 'my-local-llama')).toBeUndefined();
    expect(costUsd({ input: 2, output: 10 }, { inputTokens: 1_000_000, outputTokens: 100_000 })).toBe(3);
  });
  it('schemas/price-table.schema.json is current (npm run schemas)', () => {
    expect(readFileSync(join(ROOT, 'schemas', PRICE_TABLE_SCHEMA_FILE), 'utf8')).toBe(renderPriceTableSchema());
  });
});

describe("the eval command's model flags (usage errors before anything runs)", () => {
  it('a model flag for another agent, and a missing key, exit 2 naming the flag / variable; no database is made', async () => {
    const db = join(dir, 'never.db');
    const a = await runCli(['eval', '--agent', 'reference', '--model', 'gpt-4o', '--db', db]);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/--model: only the model agents \(openai, openai-compatible, anthropic, no-tools\) take it/);
    const saved = process.env.OPENAI_API_KEY;
    delete process.env.OPENAI_API_KEY;
    try {
      const b = await runCli(['eval', '--agent', 'openai', '--model', 'gpt-4o', '--db', db]);
      expect(b.code).toBe(2);
      expect(b.stderr).toMatch(/OPENAI_API_KEY is not set/);
    } finally {
      if (saved !== undefined) process.env.OPENAI_API_KEY = saved;
    }
    expect(existsSync(db)).toBe(false);
  }, 120_000);
});
