/**
 * Baseline `constant`: always answers the most common category of the suite, without looking at the
 * cluster (OpenRCA's constant-prediction baseline, microsoft/OpenRCA issue #23). Every report shows it
 * beside any agent: an agent that does not beat it has learned the suite's label distribution, not RCA.
 * It knows only that one category (computed by whoever builds it from the suite's truths), never a case.
 */
import type { EvalCase } from '../cases/schema.ts';
import { isHealthyTruth } from '../cases/schema.ts';
import { HEALTHY, isCategory } from '../taxonomy.ts';
import { UsageError } from '../../harness/errors.ts';
import { loadCases } from '../cases/loader.ts';
import type { Agent, AgentResult } from './types.ts';

/** The most frequent truth category of a suite (controls count as `healthy`); ties go to the first id in sort order. */
export function mostCommonCategory(cases: readonly Pick<EvalCase, 'truth'>[]): string {
  if (!cases.length) throw new UsageError('constant baseline: the suite has no cases');
  const n = new Map<string, number>();
  for (const c of cases) {
    const cat = isHealthyTruth(c.truth) ? HEALTHY : c.truth.category;
    n.set(cat, (n.get(cat) ?? 0) + 1);
  }
  return [...n].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]![0];
}

export function constantAgent(category: string): Agent {
  if (!isCategory(category)) throw new UsageError(`constant baseline: '${category}' is not a taxonomy category`);
  const detected = category !== HEALTHY;
  return {
    name: 'constant',
    description: `baseline: always answers ${category}, never calls a tool`,
    kind: 'baseline',
    run(): Promise<AgentResult> {
      return Promise.resolve({
        answer: {
          submitted: { detected, category, entities: [], mechanism: '', remediation: '' },
          text: detected ? `The fault is of category ${category}.` : 'The cluster is healthy.',
        },
        usage: { inputTokens: 0, outputTokens: 0 },
        steps: 0,
        transcript: [],
      });
    },
  };
}

/** Registry factory: `--agent constant [--agent-param category=C | --agent-param cases=GLOB]` (default: the default suite). */
export function constantAgentFactory(params: Record<string, string>): Agent {
  return constantAgent(params.category ?? mostCommonCategory(loadCases({ cases: params.cases }).map((c) => c.case)));
}
