/**
 * `netharness report` on one real quick corenet-6498 run (embedded cluster, with the EgressIP metrics profile)
 * recorded in a temp database in beforeAll: the HTML opens in headless Chromium with non-empty charts and no
 * console errors (screenshot next to the report), JUnit validates against test/report/junit.xsd (the Surefire/xUnit format) with
 * xmllint, Markdown and JSON carry the same run, and compare of the run with itself exits 0.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../support/cli.ts';
import { openInChromium } from './chromium.ts';

const dir = mkdtempSync(join(tmpdir(), 'nh-report-'));
const db = join(dir, 'nh.db');
const out = join(dir, 'report');
let runId = '';
let runOutput = '';

beforeAll(async () => {
  const r = await runCli([
    'scenario',
    'corenet-6498',
    '--quick',
    '--metrics-profile',
    join(ROOT, 'metrics/profiles/egressip.yaml'),
    '--db',
    db,
  ]);
  const m = /run ([0-9a-f-]{36})/.exec(r.stdout + r.stderr);
  if (r.code !== 0 || !m) throw new Error(`quick run failed (exit ${r.code}): ${(r.stdout + r.stderr).slice(-1500)}`);
  runId = m[1];
  runOutput = r.stdout + r.stderr;
}, 480_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('netharness report', () => {
  it("the run's summary names its report command and directory", () => {
    expect(runOutput).toContain(`report: netharness report ${runId} --db ${db}`);
    expect(runOutput).toMatch(new RegExp(`HTML in \\S*reports/${runId}/`));
  });

  it('writes all four formats for latest and names the files', async () => {
    const r = await runCli([
      'report',
      'latest',
      '--db',
      db,
      '--out',
      out,
      '--format',
      'html,md',
      '--format',
      'json',
      '--format',
      'junit',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const written = JSON.parse(r.stdout) as { runId: string; format: string; path: string; bytes: number }[];
    expect(written.map((w) => w.format)).toEqual(['html', 'md', 'json', 'junit']);
    for (const w of written) {
      expect(w.runId).toBe(runId);
      expect(statSync(w.path).size).toBe(w.bytes);
    }
  }, 120_000);

  it('the HTML opens in headless Chromium: charts present and non-empty, no console errors, offline', async () => {
    const html = join(out, 'report.html');
    const text = readFileSync(html, 'utf8');
    expect(text).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/); // self-contained: no script, no external URL
    const shot = join(out, 'report.png');
    const page = await openInChromium(html, shot);
    expect(page.consoleErrors).toEqual([]);
    expect(page.pageErrors).toEqual([]);
    expect(page.foreignRequests).toEqual([]);
    expect(page.title).toContain(runId.slice(0, 8));
    const ids = page.charts.map((c) => c.id);
    for (const id of ['iterations', 'rule-counts', 'correlation']) expect(ids).toContain(id);
    expect(ids.filter((i) => i.startsWith('metric-')).length).toBeGreaterThan(0); // the profile's series
    for (const c of page.charts) {
      expect(c.width, c.id).toBeGreaterThan(100);
      expect(c.height, c.id).toBeGreaterThan(100);
      expect(c.marks, `${c.id}: data marks drawn`).toBeGreaterThan(0);
    }
    // 4 disruptions x 1 iteration: the iteration chart draws at least one bar per iteration
    expect(page.charts.find((c) => c.id === 'iterations')?.marks).toBeGreaterThanOrEqual(4);
    expect(statSync(shot).size).toBeGreaterThan(10_000);
  }, 120_000);

  it('JUnit validates against the JUnit XSD and has a testcase per iteration and check', () => {
    const xml = join(out, 'junit.xml');
    const v = spawnSync('xmllint', ['--noout', '--schema', join(ROOT, 'test/report/junit.xsd'), xml], { encoding: 'utf8' });
    expect(v.status, v.stderr).toBe(0);
    expect(v.stderr).toMatch(/validates/);
    const text = readFileSync(xml, 'utf8');
    const iterations = text.match(/<testcase name="[a-z-]+ #\d+"/g) ?? [];
    expect(iterations.length).toBe(4);
    const checks = (text.match(/<testcase name="egressip consistent/g) ?? []).length;
    expect(checks).toBe(5);
    expect(text).not.toMatch(/<failure|<error /);
  });

  it('Markdown and JSON describe the same run', () => {
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    expect(md).toMatch(/^# ✅ scenario `corenet-6498`: passed/);
    expect(md).toContain(runId);
    expect(md).toMatch(/\| node-reboot \| failover_seconds \| s \| 1 \|/);
    const j = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as {
      detail: { run: { id: string } };
      iterations: unknown[];
      series: unknown[];
      correlation: { points: { perNode: Record<string, number> }[] };
    };
    expect(j.detail.run.id).toBe(runId);
    expect(j.iterations.length).toBe(4);
    expect(j.series.length).toBeGreaterThan(0);
    expect(j.correlation.points.length).toBe(4);
    expect(Object.keys(j.correlation.points[0].perNode).length).toBe(6); // 3+3 nodes
  });

  it('usage errors exit 2 naming the field', async () => {
    const bad = await runCli(['report', runId, '--db', db, '--format', 'pdf']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--format: expected one of html, md, json, junit, got 'pdf'/);
    const none = await runCli(['report', 'ffffffff', '--db', db]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no run with id or prefix 'ffffffff'/);
    const nodb = await runCli(['report', 'latest', '--db', join(dir, 'missing.db')]);
    expect(nodb.code).toBe(2);
    expect(nodb.stderr).toMatch(/--db: no results database/);
    expect(existsSync(join(dir, 'missing.db'))).toBe(false);
  }, 60_000);

  it('compare of the run with itself exits 0', async () => {
    const r = await runCli(['compare', runId, runId, '--db', db, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as { regressions: string[]; comparisons: { key: string; verdict: string; delta: number | null }[] };
    expect(j.regressions).toEqual([]);
    expect(j.comparisons.find((c) => c.key === 'node-reboot/failover_seconds')?.verdict).toBe('ok');
    expect(j.comparisons.some((c) => c.key.startsWith('metric:'))).toBe(true);
    for (const c of j.comparisons) if (c.delta !== null) expect(c.delta).toBe(0);
  }, 60_000);
});
