import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { interpretPtpMetrics, parsePrometheusText, renderPtpMetrics } from '../../harness/ptp/metrics.ts';
import { WatchRules, WatchRulesConfig, eventsFromCloudEvent, type PtpEvent } from '../../harness/ptp/rules.ts';

const fx = (f: string) => readFileSync(join(import.meta.dirname, 'fixtures', f), 'utf8');

describe('PTP metrics', () => {
  it('parses labels with escapes and counts garbage', () => {
    const r = parsePrometheusText('a{x="q\\"uote",y="n\\nl"} 1.5\nb 2 1700000000\nbad{ 3\n# c\n');
    expect(r.samples).toEqual([
      { name: 'a', labels: { x: 'q"uote', y: 'n\nl' }, value: 1.5 },
      { name: 'b', labels: {}, value: 2 },
    ]);
    expect(r.unparsable).toBe(1);
  });
  it('sidecar (cloud-event-proxy) encoding: HOLDOVER = 2, FAULTY role, thresholds, restarts', () => {
    const m = interpretPtpMetrics(fx('metrics-cep.txt'));
    expect(m.encoding).toBe('cloud-event-proxy');
    expect(m.node).toBe('worker-0');
    expect(m.clockStates).toEqual([
      { process: 'ptp4l', iface: 'ens1fx', state: 'HOLDOVER', value: 2 },
      { process: 'phc2sys', iface: 'CLOCK_REALTIME', state: 'FREERUN', value: 0 },
    ]);
    expect(m.roles[0]).toMatchObject({ iface: 'ens1f0', role: 'FAULTY' });
    expect(m.processes).toContainEqual({ process: 'ptp4l', config: 'ptp4l.0.config', up: true, restarts: 2 });
    expect(m.clockClass).toEqual([{ process: 'ptp4l', config: 'ptp4l.0.config', clockClass: 248 }]);
    expect(m.thresholds.find((t) => t.threshold === 'MinOffsetThreshold')?.value).toBe(-100);
    expect(m.unparsable).toBe(1);
    expect(renderPtpMetrics(m)).toMatch(/FAULTY marker/);
  });
  it('daemon encoding: no thresholds, LOCKED = 1', () => {
    const m = interpretPtpMetrics(fx('metrics-daemon.txt'));
    expect(m.encoding).toBe('daemon');
    expect(m.clockStates.every((c) => c.state === 'LOCKED')).toBe(true);
    expect(m.roles[0].role).toBe('SLAVE');
    expect(m.offsets).toContainEqual({ process: 'ptp4l', iface: 'ens1fx', from: 'master', offsetNs: -3 });
  });
});

const T0 = Date.parse('2026-12-02T10:00:00Z');
const ev = (over: Partial<PtpEvent>): PtpEvent => ({
  node: 'worker-0',
  type: 'event.sync.ptp-status.ptp-state-change',
  resource: '/cluster/node/worker-0/sync/ptp-status/lock-state',
  dataType: 'notification',
  value: 'LOCKED',
  time: T0,
  via: 'event',
  ...over,
});

describe('watch rules', () => {
  it('FREERUN longer than 5 minutes is CRITICAL, once, and re-arms after recovery', () => {
    const w = new WatchRules();
    expect(w.ingest(ev({ value: 'FREERUN' }))).toEqual([]);
    expect(w.tick(T0 + 4 * 60_000)).toEqual([]);
    const a = w.tick(T0 + 5 * 60_000 + 1000);
    expect(a).toHaveLength(1);
    expect(a[0]).toMatchObject({ rule: 'freerun', severity: 'CRITICAL', nodes: ['worker-0'] });
    expect(a[0].recommendations.length).toBeGreaterThan(0);
    expect(w.tick(T0 + 10 * 60_000)).toEqual([]);
    w.ingest(ev({ value: 'LOCKED', time: T0 + 11 * 60_000 }));
    w.ingest(ev({ value: 'FREERUN', time: T0 + 12 * 60_000 }));
    expect(w.tick(T0 + 18 * 60_000)).toHaveLength(1);
  });
  it('more than 10 state changes in an hour is a WARNING; 10 is not', () => {
    const w = new WatchRules();
    const alerts = [];
    for (let i = 0; i <= 10; i++) alerts.push(...w.ingest(ev({ value: i % 2 ? 'FREERUN' : 'LOCKED', time: T0 + i * 1000 })));
    expect(alerts.filter((a) => a.rule === 'state-changes')).toEqual([]);
    alerts.push(...w.ingest(ev({ value: 'HOLDOVER', time: T0 + 11_000 })));
    expect(alerts.filter((a) => a.rule === 'state-changes')).toEqual([expect.objectContaining({ severity: 'WARNING' })]);
  });
  it('|offset| over the threshold is a WARNING; thresholds are configurable', () => {
    const metric = (v: number) =>
      ev({ dataType: 'metric', value: String(v), resource: '/cluster/node/worker-0/sync/ptp-status/lock-state' });
    expect(new WatchRules().ingest(metric(100))).toEqual([]);
    expect(new WatchRules().ingest(metric(-101))).toEqual([expect.objectContaining({ rule: 'offset', severity: 'WARNING' })]);
    const cfg = WatchRulesConfig.parse({ offsetThresholdNs: 500, freerunMinutes: 1, maxStateChangesPerHour: 1 });
    expect(new WatchRules(cfg).ingest(metric(-101))).toEqual([]);
    expect(() => WatchRulesConfig.parse({ offsetThreshold: 5 })).toThrow();
  });
  it('clock-class changes: 248 CRITICAL, 6 INFO', () => {
    const w = new WatchRules();
    const cc = (v: number, t: number) =>
      ev({ dataType: 'metric', value: String(v), resource: '/cluster/node/worker-0/sync/ptp-status/clock-class', time: T0 + t });
    expect(w.ingest(cc(6, 0))).toEqual([]);
    expect(w.ingest(cc(248, 1))[0]).toMatchObject({ rule: 'clock-class', severity: 'CRITICAL' });
    expect(w.ingest(cc(6, 2))[0]).toMatchObject({ severity: 'INFO' });
    expect(w.summary()['worker-0']['clock-class']).toBe('6');
  });
  it('flattens REST v2 cloud events', () => {
    const out = eventsFromCloudEvent(
      {
        id: 'e1',
        type: 'event.sync.ptp-status.ptp-state-change',
        source: '/cluster/node/worker-2/sync/ptp-status/lock-state',
        time: '2026-12-02T10:00:00Z',
        data: {
          version: '1.0',
          values: [
            {
              ResourceAddress: '/cluster/node/worker-2/sync/ptp-status/lock-state',
              data_type: 'notification',
              value_type: 'enumeration',
              value: 'HOLDOVER',
            },
            {
              ResourceAddress: '/cluster/node/worker-2/sync/ptp-status/lock-state',
              data_type: 'metric',
              value_type: 'decimal64.3',
              value: -3,
            },
          ],
        },
      },
      'event',
    );
    expect(out.map((e) => [e.node, e.dataType, e.value, e.time])).toEqual([
      ['worker-2', 'notification', 'HOLDOVER', T0],
      ['worker-2', 'metric', '-3', T0],
    ]);
    expect(eventsFromCloudEvent('nonsense', 'event')).toEqual([]);
  });
});
