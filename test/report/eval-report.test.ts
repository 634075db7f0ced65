/**
 * The accuracy report of eval runs (`netharness report <eval run>`) on runs seeded in a temp database (no cluster):
 * a model on two MCP servers, the reference agent and the constant baseline, plus an earlier run for the trend.
 * The HTML opens in headless Chromium with every section, its charts drawn (error bars included), no console
 * error, and a matrix mark that opens its transcript page; JUnit (a testcase per case x agent) validates; Markdown
 * and JSON carry the same numbers; --with / --alone and their usage errors.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../harness/store/store.ts';
import { EVAL_SECTIONS } from '../../harness/report/eval/render.ts';
import type { EvalReportModel } from '../../harness/report/eval/model.ts';
import { ROOT, runCli } from '../support/cli.ts';
import { openInChromium } from './chromium.ts';
import { seedEvalRun } from './eval-seed.ts';

const dir = mkdtempSync(join(tmpdir(), 'nh-eval-report-'));
const db = join(dir, 'nh.db');
const out = join(dir, 'report');
const ids: Record<string, string> = {};
const CASES = 6;
const REPEATS = 3;

beforeAll(() => {
  const store = openStore(db);
  try {
    const common = { suite: 'nightly', cases: CASES, repeats: REPEATS, callsPerTrial: 3 };
    ids.old = seedEvalRun(store, {
      ...common,
      startedAt: '2026-12-01T02:00:00.000Z',
      seed: 1,
      agent: 'openai',
      model: 'gpt-x',
      skill: 0.4,
      cost: 0.01,
    });
    ids.ref = seedEvalRun(store, { ...common, startedAt: '2026-12-02T02:00:00.000Z', seed: 2, agent: 'reference', skill: 1, infra: true });
    ids.constant = seedEvalRun(store, { ...common, startedAt: '2026-12-02T02:01:00.000Z', seed: 3, agent: 'constant', skill: 0.2 });
    ids.kms = seedEvalRun(store, {
      ...common,
      startedAt: '2026-12-02T02:02:00.000Z',
      seed: 4,
      agent: 'openai',
      model: 'gpt-x',
      mcpServers: ['kubernetes'],
      skill: 0.5,
      cost: 0.02,
    });
    ids.model = seedEvalRun(store, {
      ...common,
      startedAt: '2026-12-02T02:03:00.000Z',
      seed: 5,
      agent: 'openai',
      model: 'gpt-x',
      skill: 0.8,
      cost: 0.01,
      violationAt: 2,
    });
    ids.scenario = store.createRun({ kind: 'scenario', name: 'node-reboot', target: 'sim' });
    store.finishRun(ids.scenario, 'passed', {});
  } finally {
    store.close();
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const GROUPS = ['openai/gpt-x x netharness', 'reference x netharness', 'openai/gpt-x x kubernetes', 'constant x netharness'];

describe('netharness report of an eval run (accuracy report)', () => {
  let model: EvalReportModel;

  it('writes all four formats; the companions are the latest run of every other agent x MCP server', async () => {
    const r = await runCli(['report', ids.model, '--db', db, '--out', out, '--format', 'html,md,json,junit', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const written = JSON.parse(r.stdout) as { format: string; path: string }[];
    expect(written.map((w) => w.format)).toEqual(['html', 'md', 'json', 'junit']);
    model = (JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { eval: EvalReportModel }).eval;
    expect(model.runs.map((x) => x.id).sort()).toEqual([ids.model, ids.ref, ids.constant, ids.kms].sort());
    expect(model.groups.map((g) => g.label).sort()).toEqual([...GROUPS].sort());
    expect(model.groups.at(-1)?.baseline).toBe(true); // baselines last
    expect(model.kMax).toBe(REPEATS);
    // pass@1 is the mean over cases of c/n (the matrix's cells)
    for (const g of model.groups) {
      const cells = model.matrix.map((row) => row.cells[g.label]).filter(Boolean);
      const mean = cells.reduce((a, c) => a + c.c / c.n, 0) / cells.length;
      expect(g.stats.levels.overall.pass1?.mean, g.label).toBeCloseTo(mean, 12);
      expect(g.stats.levels.overall.passAtK.length).toBe(REPEATS);
    }
    const m = model.groups.find((g) => g.label === GROUPS[0]);
    expect(m?.stats.effort.costUsd?.total).toBeCloseTo(0.01 * CASES * REPEATS, 9);
    // tokens per model step: every trial has step 1; the steps' tokens add up to the trials' totals
    const per = m!.stats.effort.perStep;
    expect(per[0]).toMatchObject({ step: 1, trials: m!.stats.trials });
    expect(per.reduce((a, s) => a + s.inputTokens * s.trials, 0)).toBeCloseTo(m!.stats.effort.inputTokens.total, 6);
    expect(per.reduce((a, s) => a + s.outputTokens * s.trials, 0)).toBeCloseTo(m!.stats.effort.outputTokens.total, 6);
    expect(model.groups.find((g) => g.label === 'reference x netharness')?.stats.effort.perStep).toEqual([]);
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    expect(md).toMatch(/Tokens per model step:/);
    expect(md).toMatch(new RegExp(`\\| ${GROUPS[0]} \\| 1 \\| ${m!.stats.trials} \\|`));
    expect(m?.stats.trialsWithViolations).toBe(1);
    expect(model.safety).toEqual([
      expect.objectContaining({ group: GROUPS[0], violations: [expect.objectContaining({ kind: 'tool-not-allowed' })] }),
    ]);
    expect(model.infra.length).toBe(1); // the reference run's retried attempt
    expect(model.paired.map((p) => `${p.model} vs ${p.baseline}`).sort()).toEqual(
      [
        `${GROUPS[2]} vs constant x netharness`,
        `${GROUPS[0]} vs constant x netharness`,
        `reference x netharness vs constant x netharness`,
      ].sort(),
    );
    // trend: the model on netharness ran twice
    expect(model.trends.find((t) => t.group === GROUPS[0])?.points.map((p) => p.runId)).toEqual([ids.old, ids.model]);
    expect(model.transcripts.length).toBe(4 * CASES * REPEATS);
  }, 90_000);

  it('the HTML opens in headless Chromium with every section and chart, no console error; a matrix mark opens its transcript', async () => {
    const html = join(out, 'report.html');
    expect(readFileSync(html, 'utf8')).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
    const shot = join(out, 'report.png');
    const trialId = model.matrix[0].cells[GROUPS[0]].trials[0].trialId;
    const page = await openInChromium(html, shot, async (p) => {
      const sections = await p.$$eval('section[id^="eval-"] > h2', (hs) =>
        hs.map((h) => ({
          id: h.parentElement?.id ?? '',
          text: h.textContent ?? '',
          visible: (h as unknown as { offsetHeight: number }).offsetHeight > 0,
        })),
      );
      const marks = await p.$$eval('#eval-matrix a[href^="#trial-"]', (as) => as.length);
      const before = await p.$eval(`#trial-${trialId}`, (e) => (e as unknown as { offsetHeight: number }).offsetHeight);
      await p.click(`#eval-matrix a[href="#trial-${trialId}"]`);
      const shown = await p.$eval(`#trial-${trialId}`, (e) => ({
        height: (e as unknown as { offsetHeight: number }).offsetHeight,
        text: e.textContent ?? '',
      }));
      return { sections, marks, before, shown };
    });
    expect(page.consoleErrors).toEqual([]);
    expect(page.pageErrors).toEqual([]);
    expect(page.foreignRequests).toEqual([]);
    const x = page.extra as {
      sections: { id: string; text: string; visible: boolean }[];
      marks: number;
      before: number;
      shown: { height: number; text: string };
    };
    for (const [id, title] of EVAL_SECTIONS) {
      const s = x.sections.find((y) => y.id === id);
      expect(s, id).toBeDefined();
      expect(s?.text).toBe(title);
      expect(s?.visible, id).toBe(true);
    }
    expect(x.marks).toBe(4 * CASES * REPEATS);
    expect(x.before).toBe(0); // a transcript page is hidden until its link is followed
    expect(x.shown.height).toBeGreaterThan(100);
    expect(x.shown.text).toMatch(/How it was scored/);
    expect(x.shown.text).toMatch(/Tool calls \(3\)/);
    expect(x.shown.text).toContain('<b>not html</b>'); // the answer, escaped
    const charts = new Map(page.charts.map((c) => [c.id, c]));
    for (const id of ['eval-pass1', 'eval-passk', 'eval-passhatk', 'eval-category', 'eval-layer', 'eval-effort', 'eval-trend']) {
      const c = charts.get(id);
      expect(c, id).toBeDefined();
      expect(c?.width, id).toBeGreaterThan(100);
      expect(c?.marks, `${id}: data marks drawn`).toBeGreaterThan(0);
    }
    // pass@1: 6 levels x 4 groups bars, plus the error-bar whiskers (3 lines each)
    expect(charts.get('eval-pass1')?.series).toBe(8);
    expect(charts.get('eval-pass1')?.marks).toBeGreaterThan(6 * 4);
    expect(statSync(shot).size).toBeGreaterThan(10_000);
  }, 120_000);

  it('JUnit: a testcase per case x agent that validates against the JUnit XSD', () => {
    const xml = join(out, 'junit.xml');
    const v = spawnSync('xmllint', ['--noout', '--schema', join(ROOT, 'test/report/junit.xsd'), xml], { encoding: 'utf8' });
    expect(v.status, v.stderr).toBe(0);
    const text = readFileSync(xml, 'utf8');
    for (const g of model.groups) {
      const cls = `netharness.eval.nightly.${g.label.replace(/\s+/g, '')}`;
      const failures = model.matrix.filter((r) => r.cells[g.label].c < r.cells[g.label].n).length;
      expect(text).toContain(`<testsuite name="${cls.replace(/&/g, '&amp;')}.cases" tests="${CASES}" failures="${failures}" errors="0"`);
    }
    expect(text.match(/<testcase name="[^"]+" classname="netharness\.eval\.nightly\.[^"]+"/g)?.length).toBeGreaterThanOrEqual(4 * CASES);
  });

  it('Markdown has every section and the same numbers', () => {
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    for (const [id, title] of EVAL_SECTIONS) if (id !== 'eval-cases' && id !== 'eval-transcripts') expect(md).toContain(`## ${title}`);
    const g = model.groups[0];
    const e = g.stats.levels.overall.pass1;
    expect(md).toContain(`${e?.mean.toFixed(3)} ± ${e?.stderr.toFixed(3)}`);
    expect(md).toMatch(/\[\d\/3\]\(report\.html#trial-\d+\)/);
  });

  it('--alone and --with choose the runs; bad refs are usage errors', async () => {
    const alone = await runCli(['report', ids.model, '--db', db, '--out', join(dir, 'alone'), '--format', 'json', '--alone']);
    expect(alone.code, alone.stderr).toBe(0);
    const a = (JSON.parse(readFileSync(join(dir, 'alone', 'report.json'), 'utf8')) as { eval: EvalReportModel }).eval;
    expect(a.groups.map((g) => g.label)).toEqual([GROUPS[0]]);
    expect(a.paired).toEqual([]);
    const w = await runCli(['report', ids.model, '--db', db, '--out', join(dir, 'with'), '--format', 'json', '--with', ids.constant]);
    expect(w.code, w.stderr).toBe(0);
    const b = (JSON.parse(readFileSync(join(dir, 'with', 'report.json'), 'utf8')) as { eval: EvalReportModel }).eval;
    expect(b.groups.map((g) => g.label)).toEqual([GROUPS[0], 'constant x netharness']);
    const both = await runCli(['report', ids.model, '--db', db, '--with', ids.ref, '--alone']);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--with and --alone/);
    const notEval = await runCli(['report', ids.model, '--db', db, '--with', ids.scenario]);
    expect(notEval.code).toBe(2);
    expect(notEval.stderr).toMatch(/--with .*is a scenario run, not an eval run/);
    const missing = await runCli(['report', ids.model, '--db', db, '--with', 'abcdef99']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no run with id or prefix 'abcdef99'/);
  }, 120_000);
});
