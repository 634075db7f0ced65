/**
 * The one Markdown table renderer: run summaries (summary.md), the Markdown report, and the README's generated
 * tables of checks and chaos kinds. A module of its own so that the chaos and check docs need not import the runner.
 */
import { fmtNum } from './runner/stats.ts';

/** null/undefined as '-', numbers via fmtNum, `|` escaped and newlines folded so a cell cannot break its row. */
export function markdownTable(columns: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const cell = (v: unknown): string =>
    v === null || v === undefined ? '-' : typeof v === 'number' ? fmtNum(v) : String(v).replace(/\|/g, '\\|').replace(/\n/g, ' ');
  return [
    `| ${columns.join(' | ')} |`,
    `|${columns.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ].join('\n');
}
