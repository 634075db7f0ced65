/**
 * The README's list of checks and finding kinds, rendered from the registry. The README carries it between
 * `<!-- checks:begin -->` and `<!-- checks:end -->`; test/harness/check-docs.test.ts fails when they drift.
 */
import { listChecks } from './registry.ts';
import { SCENARIO_FINDINGS } from './scenario-findings.ts';
import { markdownTable } from '../markdown.ts';

export const CHECKS_BEGIN =
  '<!-- checks:begin (generated from harness/checks/registry.ts; test/harness/check-docs.test.ts keeps it current) -->';
export const CHECKS_END = '<!-- checks:end -->';

export function renderChecksMarkdown(): string {
  const rows: string[][] = [];
  for (const c of listChecks())
    for (const [kind, meaning] of Object.entries(c.findingKinds as Record<string, string>))
      rows.push([`\`${c.name}\``, `\`${kind}\``, meaning]);
  // the scenarios' own expectations (t.check in a scenario, not a check unit)
  for (const [kind, meaning] of Object.entries(SCENARIO_FINDINGS)) rows.push(['(scenario)', `\`${kind}\``, meaning]);
  return markdownTable(['check', 'finding kind', 'meaning'], rows);
}

/** The block as it belongs in the README (markers included). */
export function checksBlock(): string {
  return `${CHECKS_BEGIN}\n\n${renderChecksMarkdown()}\n\n${CHECKS_END}`;
}
