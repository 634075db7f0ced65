/**
 * The taxonomy table of evals/README.md, generated from evals/taxonomy.ts
 * (`npx tsx evals/docs.ts` prints it; test/evals/schema.test.ts fails when the README drifts).
 */
import { fileURLToPath } from 'node:url';
import { CATEGORIES, FAULT_CLASS_INFO, HEALTHY, LAYERS, LAYER_INFO } from './taxonomy.ts';

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

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) process.stdout.write(`${renderTaxonomyMarkdown()}\n`);
