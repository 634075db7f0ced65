/**
 * `writeReport(store, run, { format, outDir })`: one report file per call, derived from the database only.
 * Default location: <project>/results/reports/<run-id>/report.<ext>. Written to a temp file and renamed, so a report
 * is never half-written.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { renderHtml } from './html.ts';
import { renderJunit } from './junit.ts';
import { renderMarkdown } from './markdown.ts';
import { buildReportModel, resolveRunRef, type ReportModel, type ReportOptions } from './model.ts';
import type { Store } from '../store/store.ts';
import { resultsDir } from '../constants.ts';

export { buildReportModel, resolveRunRef, type ReportModel, type ReportOptions } from './model.ts';

import type { ReportFormat } from './formats.ts';
export { REPORT_FORMATS, type ReportFormat } from './formats.ts';

const FILE: Record<ReportFormat, string> = { html: 'report.html', md: 'report.md', json: 'report.json', junit: 'junit.xml' };

/** The default report directory of a run (what the run summary links to). */
export function defaultReportDir(runId: string, root = resultsDir): string {
  return join(root, 'reports', runId);
}

export function renderReport(m: ReportModel, format: ReportFormat): string {
  switch (format) {
    case 'html':
      return renderHtml(m);
    case 'md':
      return renderMarkdown(m);
    case 'junit':
      return renderJunit(m);
    case 'json':
      return `${JSON.stringify(m, null, 2)}\n`;
  }
}

export interface WrittenReport {
  runId: string;
  format: ReportFormat;
  path: string;
  bytes: number;
  ms: number;
}

export function writeReport(
  store: Store,
  ref: string,
  o: { format: ReportFormat; outDir?: string; model?: ReportModel } & ReportOptions,
): WrittenReport {
  const t0 = performance.now();
  const runId = resolveRunRef(store, ref);
  const model = o.model ?? buildReportModel(store, runId, o);
  const text = renderReport(model, o.format);
  const dir = resolve(o.outDir ?? defaultReportDir(runId));
  mkdirSync(dir, { recursive: true });
  const path = join(dir, FILE[o.format]);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
  return { runId, format: o.format, path, bytes: Buffer.byteLength(text), ms: performance.now() - t0 };
}
