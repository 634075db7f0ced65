/**
 * The scorer is proven right on answers a person labelled: agreement per (answer, level) >= 98%, and every
 * disagreement is printed. Fix the scorer (or the case's wordings), not the labels, unless a label is wrong.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, expect } from 'vitest';
import { loadCases } from '../../evals/cases/loader.ts';
import { renderCase } from '../../evals/cases/targets.ts';
import { loadLabelled } from '../../evals/labelled/load.ts';
import { scoreAnswer } from '../../evals/scoring/score.ts';
import type { Bindings } from '../../evals/cases/targets.ts';
import { ROOT } from '../support/cli.ts';

const LEVELS = ['detection', 'localization', 'category', 'mechanism', 'remediation', 'overall'] as const;

describe('labelled answer set', () => {
  const files = loadLabelled();
  const cases = new Map(loadCases().map((c) => [c.case.id, c.case]));

  it('covers at least 100 answers across the cases, of every kind the issue names', () => {
    const answers = files.flatMap((f) => f.data.answers);
    expect(answers.length).toBeGreaterThanOrEqual(100);
    // every case of the suite has labelled answers
    expect([...cases.keys()].filter((id) => !files.some((f) => f.data.case === id))).toEqual([]);
    // and each case has both a passing answer and a failing one (wrong, partial or a false positive)
    for (const id of cases.keys()) {
      const of = files.filter((f) => f.data.case === id).flatMap((f) => f.data.answers);
      expect(of.some((a) => a.labels.overall) && of.some((a) => !a.labels.overall), `${id}: needs passing and failing answers`).toBe(true);
    }
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
    const perBatch = new Map<number, { total: number; disagree: number }>();
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
          const b = perBatch.get(f.data.batch) ?? { total: 0, disagree: 0 };
          perBatch.set(f.data.batch, b);
          b.total++;
          if (got[l] !== want) b.disagree++;
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
    // evals/README.md states these figures per batch; they are recomputed here, so the README cannot drift
    const pct = (x: { total: number; disagree: number }) => `${(((x.total - x.disagree) / x.total) * 100).toFixed(1)}%`;
    const rows = [...perBatch].sort((p, q) => p[0] - q[0]);
    const answersOf = (b: number) => files.filter((f) => f.data.batch === b).flatMap((f) => f.data.answers).length;
    const casesOf = (b: number) => new Set(files.filter((f) => f.data.batch === b).map((f) => f.data.case)).size;
    const block = [
      '| batch | cases | answers | (answer, level) pairs | agreement now |',
      '| ----- | ----- | ------- | --------------------- | ------------- |',
      ...rows.map(([b, x]) => `| ${b} | ${casesOf(b)} | ${answersOf(b)} | ${x.total} | ${pct(x)} |`),
      `| all | ${new Set(files.map((f) => f.data.case)).size} | ${files.flatMap((f) => f.data.answers).length} | ${total} | ${pct({ total, disagree: disagreements.length })} |`,
    ].join('\n');
    const readme = readFileSync(join(ROOT, 'evals/README.md'), 'utf8');
    const m = /<!-- labelled:begin[^>]*-->\n\n([\s\S]*?)\n\n<!-- labelled:end -->/.exec(readme);
    const norm = (t: string) =>
      t
        .replace(/ *\| */g, '|')
        .replace(/-+/g, '-')
        .trim();
    expect(m, 'evals/README.md: no labelled:begin/end block').not.toBeNull();
    expect(norm(m![1]!), `evals/README.md's labelled figures are stale; the block should read:\n${block}`).toBe(norm(block));
    console.log(
      `labelled set: ${total} (answer, level) pairs, agreement ${(agreement * 100).toFixed(1)}%, ${disagreements.length} disagreements`,
    );
    for (const [b, x] of [...perBatch].sort((p, q) => p[0] - q[0]))
      console.log(`  batch ${b}: ${x.total} pairs, agreement ${(((x.total - x.disagree) / x.total) * 100).toFixed(1)}%`);
    for (const d of disagreements) console.log(`  ${d}`);
    expect(total).toBeGreaterThanOrEqual(400);
    expect(agreement).toBeGreaterThanOrEqual(0.98);
  });
});
