import { readFileSync, createReadStream } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseLine } from '../../harness/ptp/log.ts';
import { analyzeStream, analyzeText, healthOf, renderAnalysis } from '../../harness/ptp/analyze.ts';

const fx = (f: string) => join(import.meta.dirname, 'fixtures', f);

describe('parseLine', () => {
  it('parses ptp4l offset lines with padding', () => {
    const r = parseLine('ptp4l[365195.391]: [ptp4l.0.config:6] master offset         -1 s2 freq   -3972 path delay        89');
    expect(r).toMatchObject({
      type: 'offset',
      process: 'ptp4l',
      config: 'ptp4l.0.config',
      level: 6,
      offset: -1,
      servo: 2,
      freq: -3972,
      delay: 89,
    });
  });
  it('parses phc2sys offset lines carrying the ptp4l config', () => {
    const r = parseLine('phc2sys[10522413.392]: [ptp4l.0.config:6] CLOCK_REALTIME phc offset         8 s2 freq   -6990 delay    502');
    expect(r).toMatchObject({
      type: 'offset',
      process: 'phc2sys',
      config: 'ptp4l.0.config',
      iface: 'CLOCK_REALTIME',
      from: 'phc',
      offset: 8,
    });
  });
  it('parses ts2phc 4.x lines (no "master") and the holdover suffix', () => {
    expect(parseLine('ts2phc[1031700.829]: [ts2phc.1.config:6] /dev/ptp2 offset 0 s2 freq +0')).toMatchObject({
      type: 'offset',
      process: 'ts2phc',
      iface: '/dev/ptp2',
      holdover: false,
    });
    expect(parseLine('ts2phc[82674.465]: [ts2phc.0.cfg] ens2f1 master offset 0 s2 freq -0 holdover')).toMatchObject({
      iface: 'ens2f1',
      holdover: true,
    });
  });
  it('parses port transitions (v4 names and old "port N:")', () => {
    expect(parseLine('ptp4l[1.0]: [ptp4l.1.config:5] port 1 (ens4f1): SLAVE to FAULTY on FAULT_DETECTED (FT_UNSPECIFIED)')).toMatchObject({
      type: 'port',
      port: 1,
      iface: 'ens4f1',
      from: 'SLAVE',
      to: 'FAULTY',
      event: 'FAULT_DETECTED',
      fault: 'FT_UNSPECIFIED',
    });
    expect(parseLine('ptp4l[1.0]: port 1: LISTENING to UNCALIBRATED on RS_SLAVE')).toMatchObject({
      type: 'port',
      iface: undefined,
      to: 'UNCALIBRATED',
    });
  });
  it('parses klog lines with synthesised process lines (no space after "]:")', () => {
    expect(parseLine('I0911 14:41:53.794135  871479 daemon.go:928] ptp4l[1757326326]:[ptp4l.0.config] PTP_PROCESS_STATUS:0')).toMatchObject(
      {
        type: 'process-status',
        up: false,
        process: 'ptp4l',
        config: 'ptp4l.0.config',
        at: '09-11 14:41:53.794135',
      },
    );
    expect(
      parseLine('I0911 14:41:53.800000  871479 event_tbc.go:266] ptp4l[1757601695]:[ts2phc.1.config] CLOCK_CLASS_CHANGE 135'),
    ).toMatchObject({
      type: 'clock-class',
      clockClass: 135,
    });
    expect(parseLine('I0911 14:41:53.794135  871479 event_tbc.go:161] BC FSM: LOCKED to HOLDOVER')).toMatchObject({
      type: 'fsm',
      to: 'HOLDOVER',
    });
    expect(parseLine('I1202 10:01:20.500000 4021 daemon.go:460] Recreating phc2sys...')).toMatchObject({
      type: 'restart',
      restarted: 'phc2sys',
    });
  });
  it('strips an RFC 3339 prefix (oc logs --timestamps)', () => {
    expect(
      parseLine('2026-09-11T14:41:50.000000000Z ptp4l[1.0]: [ptp4l.1.config:6] master offset -85 s2 freq +4 path delay 1585'),
    ).toMatchObject({
      type: 'offset',
      at: '2026-09-11T14:41:50.000000000Z',
    });
  });
  it('returns undefined for lines that are not PTP/klog lines', () => {
    expect(parseLine('hello world')).toBeUndefined();
    expect(parseLine('ptp4l: master offset 3')).toBeUndefined();
  });
});

describe('LogAnalyzer', () => {
  it('analyses an OC daemon log: transitions, counts, offsets, clock class, faults, health', () => {
    const r = analyzeText(readFileSync(fx('daemon-oc.log'), 'utf8'));
    expect(r.unparsable).toBe(1);
    expect(r.portTransitionsTotal).toBe(10);
    expect(r.counts).toMatchObject({ LISTENING: 4, UNCALIBRATED: 2, SLAVE: 2, FAULTY: 2 });
    const ptp4l = r.offsets.find((o) => o.process === 'ptp4l')!;
    expect(ptp4l).toMatchObject({ config: 'ptp4l.0.config', iface: 'master', samples: 6, maxAbsNs: 4532, outOfRange: 1 });
    const vals = [-4532, -4100, 12, -3, 4, 150];
    expect(ptp4l.rmsNs).toBeCloseTo(Math.sqrt(vals.reduce((a, v) => a + v * v, 0) / vals.length), 0);
    const phc = r.offsets.find((o) => o.process === 'phc2sys')!;
    expect(phc).toMatchObject({ iface: 'CLOCK_REALTIME', samples: 2, maxAbsNs: 19, rmsNs: 14.3 });
    expect(r.clockClass.map((c) => [c.from, c.to])).toEqual([
      [undefined, 248],
      [248, 255],
    ]);
    expect(r.faultCounts).toMatchObject({
      faulty: 2,
      'tx-timeout': 1,
      'clock-jump': 1,
      'offset-out-of-range': 1,
      'process-restart': 2,
      holdover: 0,
    });
    expect(r.totalFaults).toBe(7);
    expect(r.health).toBe('MINOR');
    expect(r.lastPortState['ptp4l.0.config/1 ens1f0']).toBe('LISTENING');
    expect(renderAnalysis(r)).toMatch(/MINOR \(7 faults\)/);
  });

  it('analyses a T-BC log with timestamps, ts2phc, dpll, holdover, config errors', () => {
    const r = analyzeText(readFileSync(fx('daemon-tbc.log'), 'utf8'));
    expect(r.unparsable).toBe(0);
    expect(r.offsets.map((o) => `${o.process}:${o.iface}`).sort()).toEqual([
      'dpll:ens8f0',
      'phc2sys:CLOCK_REALTIME',
      'ptp4l:master',
      'ts2phc:/dev/ptp2',
      'ts2phc:ens2f1',
    ]);
    expect(r.faultCounts).toMatchObject({ faulty: 1, 'tx-timeout': 1, holdover: 2, 'config-error': 1 });
    expect(r.clockClass).toEqual([expect.objectContaining({ config: 'ts2phc.1.config', to: 135 })]);
    expect(r.records.grandmaster).toBe(1);
    expect(r.portTransitions[0]).toMatchObject({
      process: 'ptp4l',
      config: 'ptp4l.1.config',
      port: 1,
      iface: 'ens4f1',
      from: 'SLAVE',
      to: 'FAULTY',
    });
  });

  it('a healthy log scores HEALTHY, and the thresholds follow the seed (0, <10, <50, else)', () => {
    const r = analyzeText('ptp4l[1.0]: [ptp4l.0.config:6] master offset 3 s2 freq -1 path delay 500\n');
    expect(r.health).toBe('HEALTHY');
    expect([0, 1, 9, 10, 49, 50].map(healthOf)).toEqual(['HEALTHY', 'MINOR', 'MINOR', 'MODERATE', 'MODERATE', 'CRITICAL']);
  });

  it('keeps lists bounded while totals stay exact', () => {
    const lines = Array.from(
      { length: 50 },
      (_, i) => `ptp4l[${i}.0]: [ptp4l.0.config:5] port 1 (ens1f0): SLAVE to FAULTY on FAULT_DETECTED (FT_UNSPECIFIED)`,
    );
    const r = analyzeText(lines.join('\n'), { keep: 5 });
    expect(r.portTransitions).toHaveLength(5);
    expect(r.portTransitionsTotal).toBe(50);
    expect(r.faults).toHaveLength(5);
    expect(r.faultCounts.faulty).toBe(50);
    expect(r.health).toBe('CRITICAL');
  });

  it('streams a file and stdin-like input the same as text; binary junk is counted, never fatal', async () => {
    const a = await analyzeStream(createReadStream(fx('daemon-oc.log')));
    const b = analyzeText(readFileSync(fx('daemon-oc.log'), 'utf8'));
    expect(a).toEqual(b);
    const junk = await analyzeStream(
      Readable.from(['\u0000\u0001\u0002\n', '{"json":true}\n', 'ptp4l[1.0]: [x:6] master offset 1 s2 freq 0\n']),
    );
    expect(junk.unparsable).toBe(2);
    expect(junk.offsets).toHaveLength(1);
  });

  it('the offset threshold is configurable', () => {
    const text = 'ptp4l[1.0]: [ptp4l.0.config:6] master offset 150 s2 freq -1 path delay 500';
    expect(analyzeText(text).faultCounts['offset-out-of-range']).toBe(1);
    expect(analyzeText(text, { maxOffsetNs: 200 }).faultCounts['offset-out-of-range']).toBe(0);
  });
});

describe('T-BC status lines (the holdover drift of a boundary clock)', () => {
  it('parses T-BC-STATUS s2/s1/s0 as offsets of process T-BC; s1 is holdover, not a servo step', () => {
    expect(parseLine('T-BC[1760525446]:[ptp4l.0.config] ens1f0 offset 1 T-BC-STATUS s2')).toMatchObject({
      type: 'offset',
      process: 'T-BC',
      config: 'ptp4l.0.config',
      iface: 'ens1f0',
      offset: 1,
      servo: 2,
      holdover: false,
    });
    expect(parseLine('T-BC[1689014436]:[ts2phc.1.config] ens7f0 offset 123 T-BC-STATUS s3 holdover')).toMatchObject({
      holdover: true,
      offset: 123,
    });
    const log = [
      'T-BC[1760525446]:[ptp4l.0.config] ens1f0 offset 2 T-BC-STATUS s2',
      'T-BC[1760525447]:[ptp4l.0.config] ens1f0 offset 4 T-BC-STATUS s1',
      'T-BC[1760525448]:[ptp4l.0.config] ens1f0 offset 9 T-BC-STATUS s1',
      'T-BC[1760525449]:[ptp4l.0.config] ens1f0 offset 2 T-BC-STATUS s2',
    ].join('\n');
    const r = analyzeText(log);
    expect(r.unparsable).toBe(0);
    expect(r.faults.filter((f) => f.kind === 'holdover')).toHaveLength(2);
    expect(r.faults.filter((f) => f.kind === 'clock-jump')).toEqual([]);
    expect(r.offsets.find((o) => o.process === 'T-BC')).toMatchObject({ samples: 4, maxAbsNs: 9 });
  });
});
