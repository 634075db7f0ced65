/**
 * Generated blocks of evals/README.md: the taxonomy table (from evals/taxonomy.ts) and the baselines'
 * scores on the shipped suite (evals/cases/, scored offline). `npx tsx evals/docs.ts --write` rewrites
 * them in place; test/evals/schema.test.ts and test/evals/baselines.test.ts fail when the README drifts.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CATEGORIES, FAULT_CLASS_INFO, HEALTHY, LAYERS, LAYER_INFO } from './taxonomy.ts';
import type { EvalCase } from './cases/schema.ts';
import { CASES_DIR, loadCases } from './cases/loader.ts';
import { constantAgent, mostCommonCategory } from './agents/constant.ts';
import { randomAgent } from './agents/random.ts';
import { runOffline, summarise, type BaselineSummary } from './scoring/baselines.ts';
import { SCORING_VERSION } from './scoring/score.ts';

export const TAXONOMY_BEGIN = '<!-- taxonomy:begin (generated from evals/taxonomy.ts by `npx tsx evals/docs.ts`) -->';
export const TAXONOMY_END = '<!-- taxonomy:end -->';

export function renderTaxonomyMarkdown(): string {
  const out: string[] = [TAXONOMY_BEGIN, '', '| layer | meaning | fault classes (category = `layer/class`) |', '| --- | --- | --- |'];
  for (const l of LAYERS)
    out.push(
      `| \`${l}\` | ${LAYER_INFO[l].meaning} | ${CATEGORIES.filter((c) => c.layer === l)
        .map((c) => `\`${c.faultClass}\``)
        .join(', ')} |`,
    );
  out.push('', '| fault class | meaning |', '| --- | --- |');
  const used = new Set(CATEGORIES.map((c) => c.faultClass));
  for (const [k, v] of Object.entries(FAULT_CLASS_INFO)) if (used.has(k as never)) out.push(`| \`${k}\` | ${v.meaning} |`);
  out.push('', `No-fault controls have the category \`${HEALTHY}\`. ${CATEGORIES.length + 1} categories in all.`, '', TAXONOMY_END);
  return out.join('\n');
}

export const BASELINES_BEGIN = '<!-- baselines:begin (generated from evals/cases/ by `npx tsx evals/docs.ts --write`) -->';
export const BASELINES_END = '<!-- baselines:end -->';
export const RANDOM_REPEATS = 20;

export async function baselineSummaries(
  cases: readonly EvalCase[],
): Promise<{ constant: BaselineSummary; random: BaselineSummary; category: string }> {
  const category = mostCommonCategory(cases);
  const constant = summarise(await runOffline(constantAgent(category), cases));
  const random = summarise(await runOffline(randomAgent(), cases, { repeats: RANDOM_REPEATS, seed: 1 }));
  return { constant, random, category };
}

const pct = (x: number | null): string => (x === null ? 'n/a' : `${(x * 100).toFixed(1)}%`);

export async function renderBaselinesMarkdown(cases: readonly EvalCase[]): Promise<string> {
  const b = await baselineSummaries(cases);
  const controls = cases.filter((c) => 'healthy' in c.truth).length;
  const row = (name: string, s: BaselineSummary): string =>
    `| ${name} | ${s.trials} | ${pct(s.mean.detection)} | ${pct(s.mean.localization)} | ${pct(s.mean.category)} | ${pct(s.mean.mechanism)} | ${pct(s.mean.remediation)} | ${pct(s.faultPassRate)} | ${pct(s.controlPassRate)} |`;
  return [
    BASELINES_BEGIN,
    '',
    `Suite: ${cases.length} cases (${controls} controls), scoring ${SCORING_VERSION}. constant answers \`${b.category}\`; random is seeded, ${RANDOM_REPEATS} repeats per case.`,
    '',
    '| baseline | trials | detection | localization | category | mechanism | remediation | pass (fault cases) | pass (controls) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    row('constant', b.constant),
    row('random', b.random),
    '',
    BASELINES_END,
  ].join('\n');
}

function replaceBlock(text: string, begin: string, end: string, block: string): string {
  const a = text.indexOf(begin);
  const b = text.indexOf(end);
  if (a < 0 || b < 0) throw new Error(`evals/README.md: block ${begin} ... ${end} missing`);
  return text.slice(0, a) + block + text.slice(b + end.length);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const cases = loadCases().map((c) => c.case);
  if (process.argv.includes('--write')) {
    const path = join(CASES_DIR, '..', 'README.md');
    let t = readFileSync(path, 'utf8');
    t = replaceBlock(t, TAXONOMY_BEGIN, TAXONOMY_END, renderTaxonomyMarkdown());
    t = replaceBlock(t, BASELINES_BEGIN, BASELINES_END, await renderBaselinesMarkdown(cases));
    writeFileSync(path, t);
    process.stderr.write('wrote evals/README.md (then run prettier --write evals/README.md)\n');
  } else process.stdout.write(`${renderTaxonomyMarkdown()}\n\n${await renderBaselinesMarkdown(cases)}\n`);
}
