/**
 * Baseline `random`: a category drawn uniformly from the taxonomy (healthy included) with the trial seed;
 * detected iff the draw is not healthy; no entities, no mechanism. Reproducible: same seed, same answer.
 * Expected on any suite: category accuracy 1 / |categories|, detection on controls 1 / |categories|.
 */
import { CATEGORY_IDS, HEALTHY, isCategory } from '../taxonomy.ts';
import { mulberry32 } from '../../harness/random.ts';
import { UsageError } from '../../harness/errors.ts';
import type { Agent, AgentResult, TrialContext } from './types.ts';

export function randomAgent(categories: readonly string[] = CATEGORY_IDS): Agent {
  for (const c of categories) if (!isCategory(c)) throw new UsageError(`random baseline: '${c}' is not a taxonomy category`);
  if (!categories.length) throw new UsageError('random baseline: no categories to draw from');
  return {
    name: 'random',
    description: `baseline: a category drawn from ${categories.length} with the trial seed, never calls a tool`,
    kind: 'baseline',
    run(ctx: Pick<TrialContext, 'seed'>): Promise<AgentResult> {
      const rnd = mulberry32(ctx.seed ^ 0x5eed);
      const category = categories[Math.floor(rnd() * categories.length)]!;
      const detected = category !== HEALTHY;
      return Promise.resolve({
        answer: {
          submitted: { detected, category, entities: [], mechanism: '', remediation: '', confidence: 1 / categories.length },
          text: detected ? `The fault is of category ${category}.` : 'The cluster is healthy.',
        },
        usage: { inputTokens: 0, outputTokens: 0 },
        steps: 0,
        transcript: [],
      });
    },
  };
}

/** Registry factory: `--agent random [--agent-param categories=a,b,...]`. */
export function randomAgentFactory(params: Record<string, string>): Agent {
  return randomAgent(params.categories ? params.categories.split(',').map((s) => s.trim()) : CATEGORY_IDS);
}
