/**
 * Seeds eval runs through the Store / EvalStore API (no cluster, no agent): per agent one run of `cases` real case
 * ids (from evals/cases, so category and layer resolve) x `repeats`, with tool calls, an answer, a transcript and a
 * score per trial, pass outcomes drawn from a per-agent skill with a seeded PRNG, costs for model agents, a safety
 * violation and an infra attempt where asked. Used by the report tests and the report bench.
 */
import { loadCases } from '../../evals/cases/loader.ts';
import { EvalStore } from '../../evals/store.ts';
import { mulberry32 } from '../../harness/random.ts';
import type { TrialScore } from '../../evals/scoring/types.ts';
import type { Store } from '../../harness/store/store.ts';

export interface SeedAgent {
  agent: string;
  model?: string;
  mcpServers?: string[];
  /** probability a trial passes */
  skill: number;
  /** USD per trial (model agents) */
  cost?: number;
  /** trial index (0-based, over the run) that gets a safety violation */
  violationAt?: number;
  /** add one infra attempt (retried, then scored) */
  infra?: boolean;
}

export function seedEvalRun(
  store: Store,
  o: { suite: string; startedAt: string; cases: number; repeats: number; seed: number; callsPerTrial?: number } & SeedAgent,
): string {
  const ids = loadCases()
    .map((c) => c.case.id)
    .sort()
    .slice(0, o.cases);
  const id = store.createRun({
    kind: 'eval',
    name: o.suite,
    target: 'sim',
    startedAt: o.startedAt,
    params: {
      agent: o.agent,
      agentParams: o.model ? { model: o.model } : {},
      repeat: o.repeats,
      cases: ids,
      mcpServers: o.mcpServers ?? ['netharness (default)'],
    },
  });
  const es = new EvalStore(store);
  const rnd = mulberry32(o.seed);
  let k = 0;
  const at = o.startedAt;
  for (const caseId of ids) {
    const control = caseId.startsWith('control-');
    for (let r = 1; r <= o.repeats; r++) {
      let attempt = 1;
      if (o.infra && k === 1) {
        const t = es.startTrial(id, { caseId, repeat: r, seed: k, attempt, agent: o.agent });
        es.finishTrial(t, { status: 'infra', infraError: 'mcp server netharness exited (signal SIGKILL)', infraPhase: 'agent' });
        attempt++;
      }
      const t = es.startTrial(id, { caseId, repeat: r, seed: k, attempt, agent: o.agent });
      const passed = rnd() < o.skill;
      const violation = o.violationAt === k;
      const calls = o.callsPerTrial ?? 6;
      es.recordToolCalls(
        t,
        Array.from({ length: calls }, (_, i) => ({
          seq: i + 1,
          server: 'netharness',
          tool: i % 2 ? 'ovn_nbctl' : 'k8s_pods_list',
          calledAs: i % 2 ? 'ovn_nbctl' : 'k8s_pods_list',
          arguments: { node: `worker-${i % 3}`, args: ['lr-nat-list', `GR_worker-${i % 3}`] },
          result: `TYPE  GATEWAY_PORT  EXTERNAL_IP  LOGICAL_IP <row ${i}> & "quoted"\n`.repeat(20),
          resultBytes: 1500,
          latencyMs: 12 + i,
          isError: false,
          at,
        })),
      );
      es.recordAnswer(t, {
        submitted: {
          detected: !control,
          category: 'OVN/stale-rows',
          entities: ['worker-1'],
          mechanism: 'a stale SNAT row',
          remediation: 'delete it',
        },
        text: `The cluster ${control ? 'looks healthy' : 'has a stale SNAT on worker-1'} <b>not html</b>.`,
      });
      es.recordTranscript(t, [
        { role: 'user', content: 'Pods in namespace app egress with the wrong IP. Why?', at },
        { role: 'assistant', content: 'Looking at the NAT rows of every gateway router.', at },
      ]);
      const lv = passed ? 1 : 0;
      const score: TrialScore = {
        scoringVersion: 'rca-1',
        passed: passed && !violation,
        scores: {
          detection: violation ? 0 : 1,
          localization: control ? null : lv,
          category: control ? null : lv,
          mechanism: control ? null : lv,
          remediation: control ? null : lv * 0.5,
          overall: passed && !violation ? 1 : 0,
        },
        passes: {
          detection: !violation,
          localization: control ? null : passed,
          category: control ? null : passed,
          mechanism: control ? null : passed,
          remediation: control ? null : false,
        },
        requires: ['detection', 'localization', 'category', 'mechanism'],
        details: {
          source: 'submitted',
          read: { detected: !control, entities: ['worker-1'], mechanism: 'a stale SNAT row', remediation: 'delete it' },
          entities: {
            said: [{ said: 'worker-1', matches: 'worker-1' }],
            recalled: ['worker-1'],
            missed: [],
            precision: 1,
            recall: 1,
            f1: 1,
          },
          mechanism: [{ id: 'stale-snat', matched: passed, ...(passed ? { evidence: 'a stale SNAT row' } : {}) }],
          remediation: [{ id: 'restart', matched: false }],
          assertedCategories: ['OVN/stale-rows'],
          hedged: false,
        },
        safety: violation
          ? {
              ok: false,
              violations: [{ kind: 'tool-not-allowed', subject: 'kubernetes/pods_delete', message: 'pods_delete is not read-only' }],
            }
          : { ok: true, violations: [] },
      };
      es.finishTrial(t, {
        status: 'scored',
        effort: {
          toolCalls: calls,
          resultBytes: calls * 1500,
          inputTokens: o.model ? 4000 + k : 0,
          outputTokens: o.model ? 300 : 0,
          steps: calls + 1,
          // a model's tokens per step: the total split over its steps (the remainder on the last), as a provider reports them
          ...(o.model ? { usageSteps: splitSteps(calls + 1, 4000 + k, 300) } : {}),
          seconds: 2 + (k % 5),
          ...(o.cost !== undefined ? { costUsd: o.cost } : {}),
        },
        safety: score.safety,
      });
      es.recordScore(t, score);
      k++;
    }
  }
  store.finishRun(id, 'passed', {});
  return id;
}

function splitSteps(n: number, input: number, output: number): { step: number; inputTokens: number; outputTokens: number }[] {
  const share = (total: number, i: number) => Math.floor(total / n) + (i === n ? total % n : 0);
  return Array.from({ length: n }, (_, j) => ({ step: j + 1, inputTokens: share(input, j + 1), outputTokens: share(output, j + 1) }));
}
