/**
 * compare, runs trend and JUnit on runs seeded through the Store API (no cluster): a healthy run against one
 * whose failover and convergence were slowed (seeded samples, so the verdict logic and Mann-Whitney p are exact;
 * test/compare/slow-fault.test.ts does the same with two real runs and the fault ovnkube-slow-nb-sync) exits 1
 * and names the regressed measurements; two eval runs paired (McNemar); thresholds YAML; a trend over 3 stored runs;
 * the statistics against their textbook values.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mannWhitneyU, pearson, spearman, slope } from '../../harness/analysis/stats.ts';
import { ruleConvergenceCorrelation } from '../../harness/analysis/correlation.ts';
import { compareRuns, compareSamples } from '../../harness/compare/index.ts';
import { parseThresholds, ruleFor } from '../../harness/compare/thresholds.ts';
import { recordMetricSeries } from '../../harness/store/metrics.ts';
import { openStore, type MeasurementRow } from '../../harness/store/store.ts';
import { EvalStore } from '../../evals/store.ts';
import type { TrialScore } from '../../evals/scoring/types.ts';
import { ROOT, runCli } from '../support/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'nh-compare-'));
const db = join(dir, 'nh.db');
const ids: Record<string, string> = {};

/** A corenet-6498-shaped run: per-iteration failover / convergence samples (scaled by `slow`) and rule counts. */
function seedRun(name: string, startedAt: string, slow: number, opts: { failCheck?: boolean } = {}): string {
  const store = openStore(db);
  try {
    const id = store.createRun({ kind: 'scenario', name: 'corenet-6498', target: 'sim', params: { label: name }, startedAt });
    const failover = [0.61, 0.55, 0.7, 0.58, 0.66, 0.6];
    const conv = [1.2, 1.05, 1.3, 1.15, 1.22, 1.1];
    failover.forEach((f, i) => {
      const labels = { scenario: 'node-reboot', iteration: String(i + 1) };
      const step = store.startStep(id, { path: [`node-reboot #${i + 1}`], startedAt });
      store.recordMeasurement(id, {
        name: 'failover_seconds',
        value: f * slow,
        unit: 's',
        labels: { ...labels, node: 'worker-0' },
        stepId: step,
      });
      store.recordMeasurement(id, { name: 'convergence_seconds', value: conv[i] * slow, unit: 's', labels, stepId: step });
      for (const [n, c] of [
        ['worker-0', 4 + i],
        ['worker-1', 5],
      ] as const) {
        store.recordMeasurement(id, { name: 'snat_rules', value: c, unit: 'count', labels: { ...labels, node: n } });
        store.recordMeasurement(id, { name: 'lrp_rules', value: 2, unit: 'count', labels: { ...labels, node: n } });
      }
      const failed = opts.failCheck && i === 2;
      store.recordCheck(id, {
        name: `egressip consistent after node-reboot #${i + 1}`,
        status: failed ? 'failed' : 'passed',
        durationMs: 1000,
        stepId: step,
        check: 'egressip',
        summary: failed ? '1 missing SNAT' : 'consistent',
        findings: failed
          ? [
              {
                kind: 'missing-snat',
                node: 'worker-1',
                pod: 'client-1',
                namespace: 'ns',
                egressip: 'eip-0',
                message: 'no SNAT for <pod> & "quotes"',
              },
            ]
          : [],
      });
      store.finishStep(step, {
        status: failed ? 'failed' : 'passed',
        durationMs: 1000,
        ...(failed ? { error: 'EgressIP check failed' } : {}),
      });
    });
    recordMetricSeries(store, id, [
      {
        metricName: 'egressIPsAssigned',
        query: 'sum(x)',
        kind: 'range',
        labels: {},
        stepSeconds: 5,
        points: [0, 1, 2].map((k) => ({ at: new Date(Date.parse(startedAt) + k * 5000).toISOString(), value: 2 * slow })),
      },
    ]);
    store.finishRun(id, opts.failCheck ? 'failed' : 'passed', {});
    return id;
  } finally {
    store.close();
  }
}

/** An eval run: scored trials with `overall` each (1 pass, 0 fail) and one infra attempt. */
function seedEval(startedAt: string, overall: number[]): string {
  const store = openStore(db);
  try {
    const id = store.createRun({ kind: 'eval', name: 'suite-a', target: 'sim', startedAt });
    const es = new EvalStore(store);
    overall.forEach((o, i) => {
      const t = es.startTrial(id, { caseId: `case-${i}`, repeat: 1, seed: i, attempt: 1, agent: 'reference' });
      es.finishTrial(t, { status: 'scored' });
      const score = {
        scoringVersion: 'test',
        passed: o === 1,
        scores: { detection: 1, localization: o, category: null, mechanism: null, remediation: null, overall: o },
        passes: {},
        requires: [],
        details: {},
        safety: { ok: true, violations: [] },
      };
      es.recordScore(t, score as unknown as TrialScore);
    });
    const infra = es.startTrial(id, { caseId: 'case-infra', repeat: 1, seed: 9, attempt: 1, agent: 'reference' });
    es.finishTrial(infra, { status: 'infra', infraError: 'server died', infraPhase: 'agent' });
    store.finishRun(id, 'passed', {});
    return id;
  } finally {
    store.close();
  }
}

beforeAll(() => {
  ids.evalGood = seedEval('2026-11-30T10:00:00.000Z', [1, 1, 1, 1, 1, 1]);
  // 6 vs 6 trials: with 4 vs 4 (3 of 4 failing) Mann-Whitney's p is 0.06, too few trials to call it
  ids.evalBad = seedEval('2026-11-30T11:00:00.000Z', [0, 0, 0, 0, 1, 0]);
  ids.healthy = seedRun('healthy', '2026-12-01T10:00:00.000Z', 1);
  ids.healthy2 = seedRun('healthy2', '2026-12-01T11:00:00.000Z', 1.02);
  ids.slow = seedRun('slow', '2026-12-01T12:00:00.000Z', 2.5, { failCheck: true });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('netharness compare', () => {
  it('a run with itself exits 0; a similar run exits 0', async () => {
    const same = await runCli(['compare', ids.healthy, ids.healthy, '--db', db]);
    expect(same.code, same.stderr).toBe(0);
    expect(same.stdout).toMatch(/no regression/);
    const near = await runCli(['compare', ids.healthy, ids.healthy2, '--db', db, '--json']);
    expect(near.code, near.stdout).toBe(0);
  }, 60_000);

  it('healthy vs slowed exits 1 and names the regressed measurements, with Mann-Whitney p', async () => {
    const r = await runCli(['compare', ids.healthy, ids.slow, '--db', db]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/REGRESSION: .*node-reboot\/convergence_seconds.*node-reboot\/failover_seconds/);
    const j = await runCli(['compare', ids.healthy.slice(0, 8), ids.slow.slice(0, 8), '--db', db, '--json']);
    expect(j.code).toBe(1);
    const res = JSON.parse(j.stdout) as {
      regressions: string[];
      comparisons: { key: string; verdict: string; pct: number; mannWhitney: { p: number } | null }[];
    };
    expect(res.regressions.sort()).toEqual(['node-reboot/convergence_seconds', 'node-reboot/failover_seconds']);
    const f = res.comparisons.find((c) => c.key === 'node-reboot/failover_seconds');
    expect(f?.pct).toBeCloseTo(150, 0);
    expect(f?.mannWhitney?.p).toBeCloseTo(0.002165, 5); // 6 vs 6, complete separation: 2/C(12,6)
    // the metric aggregate moved too but metrics do not gate by default
    expect(res.comparisons.find((c) => c.key === 'metric:egressIPsAssigned')?.verdict).toBe('info');
    // the reverse direction is an improvement, exit 0
    const rev = await runCli(['compare', ids.slow, ids.healthy, '--db', db, '--json']);
    expect(rev.code).toBe(0);
    expect(
      (JSON.parse(rev.stdout) as { comparisons: { key: string; verdict: string }[] }).comparisons.find(
        (c) => c.key === 'node-reboot/failover_seconds',
      )?.verdict,
    ).toBe('improvement');
  }, 60_000);

  it('thresholds YAML: a wider tolerance passes, a gated metric fails, bad files exit 2 naming the field', async () => {
    const loose = join(dir, 'loose.yaml');
    writeFileSync(loose, 'measurements:\n  "*_seconds": { tolerancePct: 200 }\n');
    expect((await runCli(['compare', ids.healthy, ids.slow, '--db', db, '--thresholds', loose])).code).toBe(0);
    const gated = join(dir, 'gated.yaml');
    writeFileSync(
      gated,
      'defaults: { tolerancePct: 200 }\nmeasurements:\n  "metric:egressIPsAssigned": { gate: true, tolerancePct: 10 }\n',
    );
    const g = await runCli(['compare', ids.healthy, ids.slow, '--db', db, '--thresholds', gated]);
    expect(g.code).toBe(1);
    expect(g.stdout).toMatch(/REGRESSION: metric:egressIPsAssigned$/m);
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'measurements:\n  failover_seconds: { tolerancePct: -3 }\n');
    const b = await runCli(['compare', ids.healthy, ids.slow, '--db', db, '--thresholds', bad]);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/--thresholds .*bad\.yaml: measurements\.failover_seconds\.tolerancePct/);
    const typo = join(dir, 'typo.yaml');
    writeFileSync(typo, 'measurement: {}\n');
    const t = await runCli(['compare', ids.healthy, ids.slow, '--db', db, '--thresholds', typo]);
    expect(t.code).toBe(2);
    expect(t.stderr).toMatch(/measurement/);
    const missing = await runCli(['compare', ids.healthy, 'abcdef12', '--db', db]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no run with id or prefix 'abcdef12'/);
  }, 90_000);
});

describe('netharness runs trend', () => {
  it('a measurement over 3 stored runs, oldest first, with its slope', async () => {
    const r = await runCli(['runs', 'trend', 'corenet-6498', '--measurement', 'failover_seconds', '--db', db, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const [t] = JSON.parse(r.stdout) as { key: string; points: { runId: string; p50: number }[]; slopePerRun: number; changePct: number }[];
    expect(t.key).toBe('node-reboot/failover_seconds');
    expect(t.points.map((p) => p.runId)).toEqual([ids.healthy, ids.healthy2, ids.slow]);
    expect(t.points[0].p50).toBeCloseTo(0.6, 5);
    expect(t.points[2].p50).toBeCloseTo(1.5, 5);
    expect(t.slopePerRun).toBeGreaterThan(0.4);
    expect(t.changePct).toBeCloseTo(150, 0);
    const text = await runCli(['runs', 'trend', 'corenet-6498', '--db', db]);
    expect(text.stdout).toMatch(/node-reboot\/convergence_seconds \(s\)/);
    const none = await runCli(['runs', 'trend', 'no-such-scenario', '--db', db]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no runs of 'no-such-scenario'/);
  }, 60_000);
});

describe('report of a failed run', () => {
  it('JUnit has a failure for the failed check and iteration, escapes text, and validates', async () => {
    const out = join(dir, 'failed');
    const r = await runCli(['report', ids.slow, '--db', db, '--out', out, '--format', 'junit,html']);
    expect(r.code, r.stderr).toBe(0);
    const xml = join(out, 'junit.xml');
    const v = spawnSync('xmllint', ['--noout', '--schema', join(ROOT, 'test/report/junit.xsd'), xml], { encoding: 'utf8' });
    expect(v.status, v.stderr).toBe(0);
    const text = spawnSync('cat', [xml], { encoding: 'utf8' }).stdout;
    expect(text.match(/<failure /g)?.length).toBe(3); // the run, the iteration, the check
    expect(text).toContain('missing-snat pod/ns/client-1 on worker-1: no SNAT for &lt;pod&gt; &amp; &quot;quotes&quot;');
    expect(text).toMatch(/testsuites [^>]*tests="13" failures="3" errors="0"/); // 1 run + 6 iterations + 6 checks
  }, 60_000);
});

describe('eval runs', () => {
  it('report: a JUnit testcase per trial (failed, infra error) that validates, HTML trials; compare names score:overall', async () => {
    const out = join(dir, 'eval');
    const r = await runCli(['report', ids.evalBad, '--db', db, '--out', out, '--format', 'junit,html']);
    expect(r.code, r.stderr).toBe(0);
    const xml = join(out, 'junit.xml');
    const v = spawnSync('xmllint', ['--noout', '--schema', join(ROOT, 'test/report/junit.xsd'), xml], { encoding: 'utf8' });
    expect(v.status, v.stderr).toBe(0);
    const text = readFileSync(xml, 'utf8');
    expect(text).toMatch(/<testsuite name="netharness.eval.suite-a.trials" tests="7" failures="5" errors="1"/);
    expect(text).toContain('<testcase name="case-infra repeat 1 attempt 1" classname="netharness.eval.suite-a.case-infra"');
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('<h2>Trials</h2>');
    expect(html).toContain('data-chart="trials"');
    const c = await runCli(['compare', ids.evalGood, ids.evalBad, '--db', db, '--json']);
    expect(c.code).toBe(1);
    const cj = JSON.parse(c.stdout) as { regressions: string[]; paired: { mcnemar: { b: number } } };
    expect(cj.regressions).toEqual(expect.arrayContaining(['score:overall', 'score:pass_rate']));
    expect(cj.paired.mcnemar.b).toBe(5);
  }, 60_000);

  it('compare of two eval runs pairs them on the same cases (McNemar exact, bootstrap over cases)', () => {
    const store = openStore(db);
    try {
      const r = compareRuns(store, ids.evalGood, ids.evalBad);
      // the infra attempt is no outcome: 6 pairs, 5 passed only in the base; McNemar exact p = 2 / 2^5
      expect(r.paired?.pairs).toBe(6);
      expect(r.paired?.mcnemar).toEqual({ b: 5, c: 0, p: 0.0625 });
      expect(r.paired?.bootstrap.diff).toBeCloseTo(-5 / 6, 12);
      expect(r.paired?.bootstrap.hi).toBeLessThan(0);
      expect(compareRuns(store, ids.healthy, ids.slow).paired).toBeUndefined();
    } finally {
      store.close();
    }
  }, 60_000);
});

describe('statistics', () => {
  it('Mann-Whitney U: exact and asymptotic against scipy values', () => {
    // scipy.stats.mannwhitneyu([1,2,3,4,5],[6,7,8,9,10]) -> U=0, p=0.007937 (exact)
    const a = mannWhitneyU([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]);
    expect(a?.u).toBe(0);
    expect(a?.method).toBe('exact');
    expect(a?.p).toBeCloseTo(0.007937, 5);
    // identical samples: no evidence of a difference
    expect(mannWhitneyU([1, 1, 1], [1, 1, 1])?.p).toBe(1);
    // with ties: asymptotic. By hand: ranks of a = 1, 2.5, 2.5, 4.5, 7 -> R1 = 17.5, U = 2.5, mu = 12.5;
    // tie groups 2, 2, 3 -> sum(t^3 - t) = 36; sigma^2 = 25/12 * (11 - 36/90) = 22.083; z = (10 - 0.5) / 4.699 = 2.0216
    // p = 2 * (1 - Phi(2.0216)) = 0.0432
    const t = mannWhitneyU([1, 2, 2, 3, 4], [3, 4, 4, 5, 6]);
    expect(t?.method).toBe('asymptotic');
    expect(t?.u).toBe(2.5);
    expect(t?.p).toBeCloseTo(0.0432, 3);
    expect(mannWhitneyU([], [1])).toBeNull();
  });

  it('correlation and slope', () => {
    expect(pearson([1, 2, 3], [2, 4, 6])).toBeCloseTo(1, 10);
    expect(pearson([1, 2, 3], [6, 4, 2])).toBeCloseTo(-1, 10);
    expect(pearson([1, 1, 1], [1, 2, 3])).toBeNull();
    expect(pearson([1, 2], [1, 2])).toBeNull();
    expect(spearman([1, 2, 3, 4], [1, 4, 9, 16])).toBeCloseTo(1, 10);
    expect(slope([0, 1, 2], [1, 3, 5])).toBeCloseTo(2, 10);
  });

  it('rule counts vs convergence inside a run', () => {
    const m = (name: string, value: number, labels: Record<string, string>): MeasurementRow => ({
      id: 0,
      stepId: null,
      name,
      value,
      unit: 's',
      labels,
      at: '',
    });
    const rows: MeasurementRow[] = [];
    [3, 6, 9, 12].forEach((rules, i) => {
      const l = { scenario: 'node-reboot', iteration: String(i + 1) };
      rows.push(
        m('convergence_seconds', 1 + rules / 10, l),
        m('snat_rules', rules, { ...l, node: 'w0' }),
        m('lrp_rules', 1, { ...l, node: 'w0' }),
        m('snat_rules', 2, { ...l, node: 'w1' }),
        m('lrp_rules', 0, { ...l, node: 'w1' }),
      );
    });
    const c = ruleConvergenceCorrelation(rows);
    expect(c.points.length).toBe(4);
    expect(c.maxRules.pearson).toBeCloseTo(1, 10);
    expect(c.perNode.find((p) => p.node === 'w0')?.spearman).toBeCloseTo(1, 10);
    expect(c.perNode.find((p) => p.node === 'w1')?.pearson).toBeNull(); // constant: undefined, not 0
    expect(ruleConvergenceCorrelation(rows.slice(0, 10)).maxRules.pearson).toBeNull(); // 2 iterations
  });

  it('threshold rules: exact key, bare name, longest glob; defaults', () => {
    const t = parseThresholds(
      'defaults: { tolerancePct: 30 }\nmeasurements:\n  "*": { minDelta: 1 }\n  "*_seconds": { tolerancePct: 5 }\n  failover_seconds: { stat: p95 }\n  "node-reboot/failover_seconds": { alpha: 0.01 }\n',
      't.yaml',
    );
    expect(ruleFor(t, 'node-reboot/failover_seconds', 'failover_seconds')).toMatchObject({ alpha: 0.01, tolerancePct: 30, explicit: true });
    expect(ruleFor(t, 'x/failover_seconds', 'failover_seconds')).toMatchObject({ stat: 'p95', tolerancePct: 30 });
    expect(ruleFor(t, 'x/convergence_seconds', 'convergence_seconds')).toMatchObject({ tolerancePct: 5, minDelta: 0.05 });
    expect(ruleFor({}, 'a', 'a')).toMatchObject({ tolerancePct: 20, minDelta: 0.05, alpha: 0.05, gate: true, explicit: false });
    expect(() => parseThresholds('defaults: [1', 'b.yaml')).toThrow(/b\.yaml: not valid YAML/);
  });

  it('a significant-looking change that Mann-Whitney cannot confirm is ok', () => {
    const s = (values: number[]) => ({ key: 'k', name: 'k', source: 'measurement' as const, unit: 's', values });
    // medians 1.0 vs 1.5 (+50%) but the samples overlap heavily
    const c = compareSamples('k', s([0.5, 1.0, 2.0, 0.9, 1.8]), s([0.6, 1.5, 1.9, 0.8, 2.1]), {});
    expect(c.verdict).toBe('ok');
    expect(c.reason).toMatch(/not significant/);
  });
});
