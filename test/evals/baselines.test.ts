import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CASES_DIR, loadCases } from '../../evals/cases/loader.ts';
import { isHealthyTruth, type EvalCase } from '../../evals/cases/schema.ts';
import { constantAgent, constantAgentFactory, mostCommonCategory } from '../../evals/agents/constant.ts';
import { randomAgent } from '../../evals/agents/random.ts';
import { runOffline } from '../../evals/scoring/baselines.ts';
import { BASELINES_BEGIN, BASELINES_END, renderBaselinesMarkdown } from '../../evals/docs.ts';
import { CATEGORY_IDS, HEALTHY } from '../../evals/taxonomy.ts';
import { makeAgent } from '../../evals/agents/registry.ts';

const cases = loadCases().map((c) => c.case);
const catOf = (c: EvalCase): string => (isHealthyTruth(c.truth) ? HEALTHY : c.truth.category);
const ctx = (seed: number) => ({ seed }) as Parameters<ReturnType<typeof randomAgent>['run']>[0];

describe('baselines', () => {
  it('mostCommonCategory counts controls as healthy and breaks ties by id', () => {
    const mk = (cat: string | null) => ({ truth: cat ? ({ category: cat } as EvalCase['truth']) : { healthy: true as const } });
    expect(mostCommonCategory([mk('ovn/process-down'), mk(null), mk(null)])).toBe(HEALTHY);
    expect(mostCommonCategory([mk('ovn/process-down'), mk('k8s/crash-loop')])).toBe('k8s/crash-loop');
    expect(() => constantAgentFactory({ category: 'nope/x' })).toThrow(/not a taxonomy category/);
  });

  it('both are registered for --agent', async () => {
    expect(makeAgent('constant', { category: 'ovn/process-down' }).kind).toBe('baseline');
    expect(makeAgent('constant').name).toBe('constant');
    const r = await makeAgent('random', { categories: 'ovn/process-down,healthy' }).run(ctx(1));
    expect(['ovn/process-down', 'healthy']).toContain(r.answer.submitted!.category);
  });

  it('constant scores exactly what its definition implies on the suite', async () => {
    const cat = mostCommonCategory(cases);
    const trials = await runOffline(constantAgent(cat), cases);
    expect(trials).toHaveLength(cases.length);
    for (const t of trials) {
      const c = cases.find((x) => x.id === t.caseId)!;
      if (t.control) {
        expect(t.score.scores.detection).toBe(cat === HEALTHY ? 1 : 0);
        expect(t.score.passed).toBe(cat === HEALTHY);
      } else {
        expect(t.score.scores.detection).toBe(cat === HEALTHY ? 0 : 1);
        expect(t.score.scores.category).toBe(catOf(c) === cat ? 1 : 0);
        // it never names an entity, so it never localises, so it never passes a fault case
        expect(t.score.scores.localization).toBe(0);
        expect(t.score.passed).toBe(false);
      }
    }
    const share = cases.filter((c) => catOf(c) === cat).length / cases.length;
    expect(share).toBe(Math.max(...[...new Set(cases.map(catOf))].map((k) => cases.filter((c) => catOf(c) === k).length)) / cases.length);
  });

  it('random is reproducible per seed and uniform over the taxonomy', async () => {
    const a = randomAgent();
    const first = await a.run(ctx(42));
    expect((await a.run(ctx(42))).answer).toEqual(first.answer);
    const n = 3200;
    const counts = new Map<string, number>();
    for (let s = 0; s < n; s++) {
      const r = await a.run(ctx(s));
      const c = r.answer.submitted!.category!;
      expect(r.answer.submitted!.detected).toBe(c !== HEALTHY);
      counts.set(c, (counts.get(c) ?? 0) + 1);
    }
    expect(counts.size).toBe(CATEGORY_IDS.length);
    const expected = n / CATEGORY_IDS.length;
    for (const [, k] of counts) expect(Math.abs(k - expected)).toBeLessThan(expected * 0.5);
  });

  it('random on the suite: category right about 1 in |categories| times, never a pass on a fault case', async () => {
    const trials = await runOffline(randomAgent(), cases, { repeats: 40, seed: 9 });
    const faults = trials.filter((t) => !t.control);
    expect(faults.every((t) => !t.score.passed)).toBe(true);
    const acc = faults.filter((t) => t.score.scores.category === 1).length / faults.length;
    expect(acc).toBeLessThan(0.15);
  });

  it('evals/README.md shows the baselines as they score on the shipped suite (npx tsx evals/docs.ts --write)', async () => {
    const readme = readFileSync(join(CASES_DIR, '..', 'README.md'), 'utf8');
    const a = readme.indexOf(BASELINES_BEGIN);
    const b = readme.indexOf(BASELINES_END);
    expect(a, 'baselines block missing from evals/README.md').toBeGreaterThanOrEqual(0);
    const norm = (t: string): string =>
      t
        .split('\n')
        .map((l) => l.replace(/\s+/g, ' ').replace(/-{3,}/g, '---').trim())
        .join('\n');
    expect(norm(readme.slice(a, b + BASELINES_END.length))).toBe(norm(await renderBaselinesMarkdown(cases)));
  });
});
