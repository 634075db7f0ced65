import { describe, expect, it } from 'vitest';
import { summariseRecovery, sampleFrom, type PtpSample } from '../../harness/ptp/recovery.ts';
import { interpretPtpMetrics } from '../../harness/ptp/metrics.ts';
import { openStore } from '../../harness/store/store.ts';
import { ptpWatchStore } from '../../harness/store/ptp.ts';
import { loadScenario } from '../../scenarios/index.ts';
import { linkScript } from '../../scenarios/ptp-link-down.ts';

const s = (at: number, role: PtpSample['role'], clockState: PtpSample['clockState'], offsetNs?: number, clockClass = 255): PtpSample => ({
  at: at * 1000,
  role,
  clockState,
  offsetNs,
  clockClass,
  processes: { ptp4l: true },
});

describe('summariseRecovery', () => {
  it('times to FAULTY / HOLDOVER / FREERUN, holdover duration, re-lock and worst offset', () => {
    const samples = [
      s(0, 'SLAVE', 'LOCKED', 3),
      s(5, 'SLAVE', 'LOCKED', -2),
      s(10, 'FAULTY', 'HOLDOVER', 999999, 248),
      s(15, 'FAULTY', 'HOLDOVER', 999999, 248),
      s(20, 'FAULTY', 'FREERUN', 999999, 248),
      s(30, 'LISTENING', 'FREERUN', undefined, 248),
      s(35, 'SLAVE', 'FREERUN', 4500),
      s(40, 'SLAVE', 'LOCKED', 150),
      s(45, 'SLAVE', 'LOCKED', -20),
    ];
    const r = summariseRecovery(samples, { injectAt: 6000, clearAt: 25000, minOffsetNs: -100, maxOffsetNs: 100 });
    expect(r.roles).toEqual(['SLAVE', 'FAULTY', 'LISTENING', 'SLAVE']);
    expect(r.clockStates).toEqual(['LOCKED', 'HOLDOVER', 'FREERUN', 'LOCKED']);
    expect(r.clockClasses).toEqual([255, 248, 255]);
    expect(r).toMatchObject({ toFaultyS: 4, toHoldoverS: 4, toFreerunS: 14, holdoverS: 10, toRoleS: 10, relockS: 20, worstOffsetNs: 4500 });
  });
  it('no recovery leaves relock undefined', () => {
    const r = summariseRecovery([s(0, 'SLAVE', 'LOCKED', 1), s(5, 'FAULTY', 'FREERUN', 999999)], {
      injectAt: 1000,
      clearAt: 2000,
      minOffsetNs: -100,
      maxOffsetNs: 100,
    });
    expect(r.relockS).toBeUndefined();
    expect(r.worstOffsetNs).toBeUndefined();
  });
  it('samples from metrics: the role of the interface, the aliased clock state', () => {
    const m = interpretPtpMetrics(
      [
        'openshift_ptp_interface_role{iface="ens1f0",node="w",process="ptp4l"} 3',
        'openshift_ptp_clock_state{iface="ens1fx",node="w",process="ptp4l"} 2',
        'openshift_ptp_offset_ns{from="master",iface="ens1fx",node="w",process="ptp4l"} 999999',
        'openshift_ptp_threshold{node="w",profile="p",threshold="HoldOverTimeout"} 5',
      ].join('\n'),
    );
    expect(sampleFrom(m, 'ens1f0', 7)).toMatchObject({ at: 7, role: 'FAULTY', clockState: 'HOLDOVER', offsetNs: 999999 });
  });
});

describe('PTP scenarios', () => {
  it('are registered, load, and have fully defaulted params', async () => {
    for (const name of ['ptp-gm-loss', 'ptp-link-down', 'ptp-process-kill', 'ptp-holdover', 'ptp-config-error']) {
      const sc = await loadScenario(name);
      expect(sc?.meta.name).toBe(name);
      expect(sc!.meta.params.parse({})).toMatchObject({ pollSeconds: 5, speed: 1 });
    }
  });
  it('link-down uses the conformance suite commands', () => {
    expect(linkScript('ens1f0', false)).toMatch(/nmcli device set ens1f0 managed no.*ip link set ens1f0 down/);
    expect(linkScript('ens1f0', true)).toMatch(/^ip link set ens1f0 up/);
  });
});

describe('ptp watch store', () => {
  it('records events and alerts per watch session', () => {
    const store = openStore(':memory:');
    const a = ptpWatchStore(store, 'w1');
    const b = ptpWatchStore(store, 'w2');
    a.recordEvent({
      node: 'n1',
      type: 't',
      resource: '/cluster/node/n1/sync/ptp-status/lock-state',
      dataType: 'notification',
      value: 'FREERUN',
      time: 1e12,
      via: 'poll',
    });
    a.recordAlert({
      rule: 'freerun',
      severity: 'CRITICAL',
      summary: 's',
      details: 'd',
      recommendations: ['r1'],
      nodes: ['n1'],
      at: '2026-01-01T00:00:00.000Z',
    });
    expect(a.events()).toEqual([expect.objectContaining({ node: 'n1', value: 'FREERUN', time: 1e12, via: 'poll' })]);
    expect(a.alerts()).toEqual([expect.objectContaining({ rule: 'freerun', recommendations: ['r1'], nodes: ['n1'] })]);
    expect(b.events()).toEqual([]);
    expect(() =>
      a.recordAlert({ rule: 'offset', severity: 'BAD' as 'INFO', summary: '', details: '', recommendations: [], nodes: [], at: '' }),
    ).toThrow();
    store.close();
  });
});
