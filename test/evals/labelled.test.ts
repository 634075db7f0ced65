/**
 * The scorer is proven right on answers a person labelled: agreement per (answer, level) >= 98%, and every
 * disagreement is printed. Fix the scorer (or the case's wordings), not the labels, unless a label is wrong.
 */
import { describe, it, expect } from 'vitest';
import { loadCases } from '../../evals/cases/loader.ts';
import { renderCase } from '../../evals/cases/targets.ts';
import { loadLabelled } from '../../evals/labelled/load.ts';
import { scoreAnswer } from '../../evals/scoring/score.ts';
import type { Bindings } from '../../evals/cases/targets.ts';

const LEVELS = ['detection', 'localization', 'category', 'mechanism', 'remediation', 'overall'] as const;

describe('labelled answer set', () => {
  const files = loadLabelled();
  const cases = new Map(loadCases().map((c) => [c.case.id, c.case]));

  it('covers at least 100 answers across the cases, of every kind the issue names', () => {
    const answers = files.flatMap((f) => f.data.answers);
    expect(answers.length).toBeGreaterThanOrEqual(100);
    expect(new Set(files.map((f) => f.data.case)).size).toBeGreaterThanOrEqual(3);
    const kinds = answers.map((a) => a.kind).join(' ');
    for (const k of ['correct', 'partial', 'wrong', 'over-attribution', 'hedged', 'aliases', 'free-text', 'false-positive'])
      expect(kinds, `no answer of kind ${k}`).toContain(k);
    const ids = answers.map((a) => `${a.id}`);
    expect(new Set(ids).size).toBe(ids.length);
    for (const f of files) expect(cases.has(f.data.case), `${f.file}: no case ${f.data.case}`).toBe(true);
  });

  it('the scorer agrees with the human labels on >= 98% of (answer, level) pairs', () => {
    let total = 0;
    const disagreements: string[] = [];
    for (const f of files) {
      const c = cases.get(f.data.case)!;
      const rc = renderCase(c, f.data.bindings as Bindings);
      for (const a of f.data.answers) {
        const s = scoreAnswer(rc, a.answer);
        const got: Record<(typeof LEVELS)[number], boolean | null> = { ...s.passes, overall: s.passed };
        for (const l of LEVELS) {
          const want = a.labels[l];
          if (want === undefined) continue;
          total++;
          if (got[l] !== want)
            disagreements.push(
              `${f.data.case} ${a.id} (${a.kind}) ${l}: label ${want}, scorer ${got[l]}` +
                ` [read ${s.details.read.category ?? '-'} detected=${s.details.read.detected} hedged=${s.details.hedged}` +
                ` P=${s.details.entities.precision} R=${s.details.entities.recall} mech=${s.details.mechanism.map((m) => `${m.id}:${m.matched}`).join(',')}` +
                ` rem=${s.details.remediation.map((m) => `${m.id}:${m.matched}`).join(',')}]`,
            );
        }
      }
    }
    const agreement = (total - disagreements.length) / total;
    console.log(
      `labelled set: ${total} (answer, level) pairs, agreement ${(agreement * 100).toFixed(1)}%, ${disagreements.length} disagreements`,
    );
    for (const d of disagreements) console.log(`  ${d}`);
    expect(total).toBeGreaterThanOrEqual(400);
    expect(agreement).toBeGreaterThanOrEqual(0.98);
  });
});
