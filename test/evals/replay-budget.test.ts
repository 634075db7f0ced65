/**
 * A replay (`eval --target bundles:DIR`) applies the live run's budgets and their zeroing: a model that goes over
 * --max-tokens while it replays a bundle is stopped, its trial is scored, zeroed and names the budget (exit 0:
 * the agent's failure, not an infrastructure error). Within budget the same trial
 * passes, and its usage per model step is stored beside the total and sums to it. The bundle is a must-gather
 * (test/mcp/mustgather-fixture.ts) with a hand-written incident; the model is the local fake
 * (test/support/fake-llm.ts, OpenAI Chat Completions). No cluster.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import { startFakeLlm, type Brain, type FakeLlm } from '../support/fake-llm.ts';
import { tempDir } from '../support/tmp.ts';
import { writeMustGatherIncident } from '../mcp/mustgather-fixture.ts';

interface Trial {
  status: string;
  passed: boolean | null;
  scores: { overall: number; detection: number } | null;
  budget: { exceeded: string; limit: number; used: number; message: string } | null;
  effort: {
    steps: number;
    inputTokens: number;
    outputTokens: number;
    usageSteps?: { step: number; inputTokens: number; outputTokens: number }[];
    budget?: { exceeded: string };
  };
}
interface Out {
  runId: string;
  trials: Trial[];
  summary: { overBudget: number; scored: number };
}

const work = tempDir('nh-replay-budget-');
const incidents = join(work, 'incidents');
let fake: FakeLlm;

/** one look at the nodes, then the right answer; 1000 + 500 per turn input tokens, 50 output */
const brain: Brain = (c) => {
  const usage = { input: 1000 + 500 * c.turn, output: 50 };
  if (c.turn === 0) return { toolCalls: [{ name: 'k8s_list', args: { kind: 'Node' } }], usage };
  if (c.turn === 1)
    return {
      toolCalls: [
        {
          name: 'submit_rca',
          args: {
            detected: true,
            category: 'k8s/node-down',
            entities: ['worker-1'],
            mechanism: 'worker-1 is NotReady: its kubelet stopped',
            remediation: 'start the kubelet again on worker-1',
          },
        },
      ],
      usage,
    };
  return { text: 'submitted', usage };
};

beforeAll(async () => {
  mkdirSync(incidents);
  await writeMustGatherIncident(incidents, 'worker-down');
  fake = await startFakeLlm({ brain });
}, 120_000);
afterAll(() => fake?.close());

const replay = async (db: string, extra: string[]) => {
  const r = await runCli([
    'eval',
    '--target',
    `bundles:${incidents}`,
    '--agent',
    'openai',
    '--model',
    'fake-rca',
    '--base-url',
    fake.url,
    '--db',
    db,
    '--json',
    ...extra,
  ]);
  return { r, out: JSON.parse(r.stdout || '{}') as Out };
};

describe('replay applies the budgets of a live run', () => {
  it('within budget: scored and passed; usage per step stored and summing to the total', async () => {
    const db = join(work, 'within.db');
    const { r, out } = await replay(db, ['--max-tokens', '10000']);
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    const t = out.trials[0]!;
    expect(t).toMatchObject({ status: 'scored', passed: true, budget: null });
    expect(t.scores!.overall).toBe(1);
    // stored with the trial (runs show reads the database)
    const show = JSON.parse((await runCli(['runs', 'show', out.runId, '--db', db, '--json'])).stdout) as {
      eval: { trials: { effort: Trial['effort'] }[] };
    };
    const e = show.eval.trials[0]!.effort;
    expect(e.usageSteps!.map((s) => [s.step, s.inputTokens, s.outputTokens])).toEqual([
      [1, 1000, 50],
      [2, 1500, 50],
    ]);
    expect(e.usageSteps!.reduce((a, s) => a + s.inputTokens, 0)).toBe(e.inputTokens);
    expect(e.usageSteps!.reduce((a, s) => a + s.outputTokens, 0)).toBe(e.outputTokens);
    expect(e).toMatchObject({ steps: 2, inputTokens: 2500, outputTokens: 100 });
    const text = await runCli(['runs', 'show', out.runId, '--db', db]);
    expect(text.stdout).toMatch(/tokens: 2500 in, 100 out; per step \(in\/out\): 1000\/50, 1500\/50/);
  }, 300_000);

  it('over --max-tokens: stopped, scored, zeroed and naming the budget, exit 0', async () => {
    const db = join(work, 'over.db');
    const { r, out } = await replay(db, ['--max-tokens', '1500']);
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    const t = out.trials[0]!;
    expect(t.status).toBe('scored');
    expect(t.passed).toBe(false);
    expect(t.scores).toMatchObject({ overall: 0, detection: 0 });
    expect(t.budget).toMatchObject({ exceeded: 'tokens', limit: 1500, used: 2600 });
    expect(t.budget!.message).toMatch(/over budget: 2600 tokens used, --max-tokens 1500/);
    expect(t.effort.budget).toMatchObject({ exceeded: 'tokens' });
    expect(out.summary).toMatchObject({ overBudget: 1, scored: 1 });
    expect(r.stderr).toMatch(/BUDGET: over budget/);
  }, 300_000);
});
