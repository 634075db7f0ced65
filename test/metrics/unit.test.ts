/**
 * Pure parts of metrics: profile loading (kube-burner format, every bad input names its field), the shipped
 * profiles and their JSON Schema, query templating, step parsing, Prometheus answer decoding, collection
 * over a window (with a client double: the real Prometheus is in prometheus.e2e.test.ts), the store tables.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toSeries, PromQueryError, type PromClient } from '../../harness/metrics/client.ts';
import { alignedStart, collectProfile, effectiveStep } from '../../harness/metrics/collect.ts';
import { loadMetricsProfile, parseMetricsProfile, parseStep, renderQuery } from '../../harness/metrics/profile.ts';
import { defaultStep } from '../../harness/metrics/run.ts';
import { listMetricSeries, metricNames, recordMetricSeries } from '../../harness/store/metrics.ts';
import { openStore } from '../../harness/store/store.ts';
import { METRICS_PROFILE_SCHEMA, renderMetricsProfileSchema } from '../../schemas/generate.ts';
import { tempDir } from '../support/tmp.ts';
import { usageMessage as usage } from '../support/usage.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const PROFILES = join(ROOT, 'metrics', 'profiles');

describe('metrics profiles', () => {
  it('every shipped profile loads, and there is one for EgressIP, OVN/OVS, PTP and nodes', () => {
    const files = readdirSync(PROFILES).filter((f) => f.endsWith('.yaml'));
    expect(files.sort()).toEqual(expect.arrayContaining(['egressip.yaml', 'nodes.yaml', 'ovn-ovs.yaml', 'ptp.yaml']));
    for (const f of files) {
      const p = loadMetricsProfile(join(PROFILES, f));
      expect(p.length, f).toBeGreaterThan(2);
      expect(
        p.some((e) => e.instant),
        `${f} has an instant query`,
      ).toBe(true);
    }
    const eip = loadMetricsProfile(join(PROFILES, 'egressip.yaml'));
    expect(eip.map((e) => e.query).join('\n')).toContain('ovnkube_clustermanager_num_egress_ips');
  });

  it('the committed JSON Schema matches the zod schema (run npm run schemas)', () => {
    expect(readFileSync(join(ROOT, 'schemas', METRICS_PROFILE_SCHEMA), 'utf8')).toBe(renderMetricsProfileSchema());
  });

  it('parses kube-burner entries with defaults', () => {
    const p = parseMetricsProfile('- query: up\n  metricName: up_1\n- query: sum(x)\n  metricName: x\n  instant: true\n', 'p.yaml');
    expect(p).toEqual([
      { query: 'up', metricName: 'up_1' },
      { query: 'sum(x)', metricName: 'x', instant: true },
    ]);
  });

  it.each([
    ['not a list', 'query: up\nmetricName: x\n', /p\.yaml: .*array/i],
    ['empty list', '[]\n', /at least one query/],
    ['missing query', '- metricName: x\n', /p\.yaml \[0\]\.query/],
    ['empty query', '- query: "  "\n  metricName: x\n', /\[0\]\.query: a PromQL expression/],
    ['bad metricName', '- query: up\n  metricName: "9 lives"\n', /\[0\]\.metricName: a name of letters/],
    ['instant not a bool', '- query: up\n  metricName: x\n  instant: "yes"\n', /\[0\]\.instant/],
    ['unknown key (typo)', '- query: up\n  metricname: x\n', /\[0\]/],
    [
      'duplicate metricName',
      '- query: up\n  metricName: x\n- query: down\n  metricName: x\n',
      /\[1\]\.metricName: duplicate metricName 'x'/,
    ],
    ['broken YAML', '- query: [up\n', /not valid YAML/],
  ])('rejects %s, naming the field', (_what, text, re) => {
    expect(usage(() => parseMetricsProfile(text, 'p.yaml'))).toMatch(re);
  });

  it('a missing file is a usage error naming it', () => {
    expect(usage(() => loadMetricsProfile('/nonexistent/p.yaml'))).toMatch(/--metrics-profile: cannot read \/nonexistent\/p\.yaml: ENOENT/);
  });

  it('{{ .elapsed }} becomes the run duration, at least a minute', () => {
    expect(renderQuery('rate(x[{{ .elapsed }}]) + rate(y[{{.elapsed}}])', 125.2)).toBe('rate(x[126s]) + rate(y[126s])');
    expect(renderQuery('rate(x[{{ .elapsed }}])', 3)).toBe('rate(x[60s])');
    expect(renderQuery('up', 3)).toBe('up');
  });

  it('--metrics-step takes durations and refuses nonsense', () => {
    expect(parseStep('5s')).toBe(5);
    expect(parseStep('2m')).toBe(120);
    expect(parseStep('10')).toBe(10);
    expect(usage(() => parseStep('fast'))).toMatch(/--metrics-step: expected a duration/);
    expect(usage(() => parseStep('500ms'))).toMatch(/between 1s and 24h/);
    expect(usage(() => parseStep('2d'))).toMatch(/expected a duration/);
    expect(defaultStep(10)).toBe(2);
    expect(defaultStep(3000)).toBe(15);
    expect(defaultStep(100_000)).toBe(30);
  });
});

describe('Prometheus answers', () => {
  it('decodes matrix, vector and scalar results, NaN and infinities included', () => {
    expect(
      toSeries({
        status: 'success',
        data: {
          resultType: 'matrix',
          result: [
            {
              metric: { node: 'w0' },
              values: [
                [1, '2'],
                [2, 'NaN'],
                [3, '+Inf'],
              ],
            },
          ],
        },
      }),
    ).toEqual([
      {
        labels: { node: 'w0' },
        points: [
          [1, 2],
          [2, NaN],
          [3, Infinity],
        ],
      },
    ]);
    expect(toSeries({ status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [5, '-Inf'] }] } })).toEqual([
      { labels: {}, points: [[5, -Infinity]] },
    ]);
    expect(toSeries({ status: 'success', data: { resultType: 'scalar', result: [7, '1.5'] } })).toEqual([
      { labels: {}, points: [[7, 1.5]] },
    ]);
  });

  it('long windows get a coarser step (Prometheus allows 11000 points per series)', () => {
    const s = new Date(0);
    expect(effectiveStep(s, new Date(60_000), 5)).toBe(5);
    expect(effectiveStep(s, new Date(86_400_000), 1)).toBe(8);
  });

  it('a range ends on its end: the start moves back to a whole number of steps before it (so a quick run keeps its first scrapes, its newest samples)', () => {
    const end = new Date('2026-01-01T00:00:09.800Z');
    expect(alignedStart(new Date('2026-01-01T00:00:00Z'), end, 2).toISOString()).toBe('2025-12-31T23:59:59.800Z');
    expect(alignedStart(new Date('2026-01-01T00:00:01.800Z'), end, 2).toISOString()).toBe('2026-01-01T00:00:01.800Z');
    expect(alignedStart(end, end, 2)).toEqual(end);
  });
});

/** A client double that records calls; the real Prometheus is exercised by prometheus.e2e.test.ts. */
function fakeClient(): PromClient & { calls: string[] } {
  const calls: string[] = [];
  return {
    describe: 'fake',
    calls,
    buildInfo: () => Promise.resolve('test'),
    query(q, at) {
      calls.push(`query ${q} @${at?.toISOString()}`);
      if (q.startsWith('bad')) return Promise.reject(new PromQueryError('bad_data: parse error', 400, 'bad_data'));
      return Promise.resolve([{ labels: { node: 'w0' }, points: [[(at?.getTime() ?? 0) / 1000, 3]] }]);
    },
    queryRange(q, start, end, step) {
      calls.push(`range ${q} ${step}`);
      if (q.startsWith('bad')) return Promise.reject(new PromQueryError('bad_data: parse error', 400, 'bad_data'));
      const pts: [number, number][] = [];
      for (let t = start.getTime() / 1000; t <= end.getTime() / 1000; t += step) pts.push([t, t]);
      return Promise.resolve([
        { labels: { node: 'w0' }, points: pts },
        { labels: { node: 'w1' }, points: pts.slice(0, 1) },
      ]);
    },
  };
}

describe('collectProfile', () => {
  const start = new Date('2026-01-01T00:00:00Z');
  const end = new Date('2026-01-01T00:01:00Z');
  const profile = parseMetricsProfile(
    '- query: a\n  metricName: a\n- query: bad(\n  metricName: broken\n- query: rate(c[{{ .elapsed }}])\n  metricName: c\n  instant: true\n- query: bad2\n  metricName: broken2\n  instant: true\n',
    't',
  );

  it('range queries over the window, instant ones at each step boundary and the end; a failed query is a warning naming it', async () => {
    const c = fakeClient();
    const boundaries = [
      { name: 'setup', at: new Date('2026-01-01T00:00:20Z') },
      { name: 'act', at: new Date('2026-01-01T00:00:40Z') },
      { name: 'before the run', at: new Date('2025-12-31T23:00:00Z') },
    ];
    const r = await collectProfile(c, profile, { start, end, stepSeconds: 10, boundaries });
    expect(r.warnings.map((w) => [w.metricName, w.query])).toEqual([
      ['broken', 'bad('],
      ['broken2', 'bad2'],
    ]);
    expect(r.warnings[0].message).toMatch(/bad_data/);
    const a = r.series.filter((s) => s.metricName === 'a');
    expect(a.map((s) => s.labels.node)).toEqual(['w0', 'w1']);
    expect(a[0]).toMatchObject({ kind: 'range', stepSeconds: 10 });
    expect(a[0].points).toHaveLength(7);
    expect(a[0].points[0]).toEqual({ at: '2026-01-01T00:00:00.000Z', value: 1767225600 });
    const cs = r.series.filter((s) => s.metricName === 'c');
    expect(cs).toHaveLength(1);
    expect(cs[0].query).toBe('rate(c[60s])');
    expect(cs[0].points.map((p) => p.step)).toEqual(['setup', 'act', 'end']);
    expect(cs[0].points.map((p) => p.at)).toEqual(['2026-01-01T00:00:20.000Z', '2026-01-01T00:00:40.000Z', '2026-01-01T00:01:00.000Z']);
    // the broken instant query is tried once, not at every boundary
    expect(c.calls.filter((x) => x.startsWith('query bad2'))).toHaveLength(1);
    expect(r.queries).toBe(1 + 1 + 3 + 1);
  });
});

describe('metric series in the store', () => {
  it('round-trips series and points (NaN as null), per run and metricName', () => {
    const dir = tempDir('nh-metrics-');
    const store = openStore(join(dir, 'db.sqlite'));
    const run = store.createRun({ kind: 'scenario', name: 't', target: 'sim' });
    const other = store.createRun({ kind: 'scenario', name: 't', target: 'sim' });
    const n = recordMetricSeries(store, run, [
      {
        metricName: 'cpu',
        query: 'sum(rate(x[1m]))',
        kind: 'range',
        labels: { node: 'w1', container: 'nbdb' },
        stepSeconds: 5,
        points: [
          { at: '2026-01-01T00:00:05.000Z', value: 0.5 },
          { at: '2026-01-01T00:00:00.000Z', value: NaN },
        ],
      },
      {
        metricName: 'eips',
        query: 'sum(e)',
        kind: 'instant',
        labels: {},
        points: [{ at: '2026-01-01T00:00:09.000Z', value: 4, step: 'end' }],
      },
    ]);
    recordMetricSeries(store, other, [
      { metricName: 'cpu', query: 'q', kind: 'range', labels: {}, points: [{ at: '2026-01-01T00:00:00.000Z', value: 1 }] },
    ]);
    expect(n).toBe(3);
    const all = listMetricSeries(store, run);
    expect(all.map((s) => s.metricName)).toEqual(['cpu', 'eips']);
    expect(all[0]).toMatchObject({ kind: 'range', stepSeconds: 5, labels: { container: 'nbdb', node: 'w1' }, query: 'sum(rate(x[1m]))' });
    expect(Object.keys(all[0].labels)).toEqual(['container', 'node']);
    expect(all[0].points).toEqual([
      { at: '2026-01-01T00:00:00.000Z', value: null },
      { at: '2026-01-01T00:00:05.000Z', value: 0.5 },
    ]);
    expect(listMetricSeries(store, run, { metricName: 'eips' })[0].points).toEqual([
      { at: '2026-01-01T00:00:09.000Z', value: 4, step: 'end' },
    ]);
    expect(metricNames(store, run)).toEqual([
      { metricName: 'cpu', kind: 'range', series: 1, points: 2 },
      { metricName: 'eips', kind: 'instant', series: 1, points: 1 },
    ]);
    // deleting a run deletes its series and points
    store.db.prepare('DELETE FROM runs WHERE id = ?').run(run);
    expect(listMetricSeries(store, run)).toEqual([]);
    expect((store.db.prepare('SELECT COUNT(*) AS n FROM metric_points').get() as { n: number }).n).toBe(1);
    store.close();
  });
});
