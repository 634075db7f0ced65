/**
 * One Markdown table renderer: the run's summary.md and the Markdown report render the same measurements table
 * from the same stored run, and a cell can never break its row.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { openStore } from '../../harness/store/store.ts';
import { buildReportModel } from '../../harness/report/model.ts';
import { renderMarkdown } from '../../harness/report/markdown.ts';
import { buildSummary, renderSummaryMarkdown } from '../../harness/runner/summary.ts';
import { markdownTable } from '../../harness/markdown.ts';
import { tempDir } from '../support/tmp.ts';

const section = (md: string, title: string): string => {
  const from = md.indexOf(`## ${title}\n`);
  if (from < 0) throw new Error(`no ## ${title} in:\n${md}`);
  const next = md.indexOf('\n## ', from + 1);
  return md.slice(from, next < 0 ? undefined : next).trim();
};

describe('markdown tables', () => {
  it('escapes | and folds newlines in a cell, prints null as -, formats numbers', () => {
    expect(
      markdownTable(
        ['a', 'b'],
        [
          ['x|y\nz', null],
          [1.23456, 7],
        ],
      ),
    ).toBe('| a | b |\n|---|---|\n| x\\|y z | - |\n| 1.23 | 7 |');
  });

  it('summary.md and the Markdown report show the same measurements table of a run', () => {
    const dir = tempDir('nh-mdtables-');
    const db = join(dir, 'nh.db');
    const store = openStore(db);
    try {
      const id = store.createRun({ kind: 'scenario', name: 'demo', target: 'sim' });
      for (const v of [1.5, 2.5, 4])
        store.recordMeasurement(id, { name: 'failover', value: v, unit: 's', labels: { scenario: 'node-reboot' } });
      store.recordMeasurement(id, { name: 'pods_ready', value: 0.25, unit: 's', labels: {} });
      const summary = buildSummary(store, id, {
        scenario: 'demo',
        target: 'sim',
        verdict: 'passed',
        startedAt: new Date().toISOString(),
        durationMs: 10,
        params: {},
        tables: [],
        artifactsDir: join(dir, 'runs', id),
        db,
      });
      store.finishRun(id, 'passed', summary as unknown as Record<string, unknown>);
      const fromSummary = section(renderSummaryMarkdown(summary), 'Measurements');
      const fromReport = section(renderMarkdown(buildReportModel(store, id)), 'Measurements');
      expect(fromReport).toBe(fromSummary);
      expect(fromSummary).toContain('| node-reboot | failover | s | 3 | 2.50 |');
      expect(fromSummary).toContain('| - | pods_ready | s | 1 | 0.25 |');
    } finally {
      store.close();
    }
  });
});
