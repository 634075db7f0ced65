import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluatePtp, profileFromSpec, ptpCheck, PTP_FINDINGS, type PtpObserved } from '../../harness/checks/ptp/index.ts';
import { interpretPtpMetrics } from '../../harness/ptp/metrics.ts';

const fx = (f: string) => readFileSync(join(import.meta.dirname, 'fixtures', f), 'utf8');

const oc = profileFromSpec({
  name: 'oc-slave',
  interface: 'ens1f0',
  ptp4lOpts: '-2 -s',
  phc2sysOpts: '-a -r -n 24',
  ptp4lConf: '[global]\ndomainNumber 24\nslaveOnly 1\n',
  ptpClockThreshold: { holdOverTimeout: 5, maxOffsetThreshold: 100, minOffsetThreshold: -100 },
});
const bc = profileFromSpec({
  name: 'bc',
  ptp4lOpts: '-2',
  phc2sysOpts: '',
  ptp4lConf: '[ens2f0]\nmasterOnly 0\n[ens2f1]\nmasterOnly 1\n[global]\nboundary_clock_jbod 0\n',
});

const pod = (node: string, ready = true) => ({
  node,
  pod: `linuxptp-daemon-${node}`,
  phase: 'Running',
  ready,
  restarts: 0,
  containers: [],
});

function healthyMetrics(node: string): string {
  return fx('metrics-daemon.txt').replaceAll('worker-1', node);
}

describe('PtpConfig profiles', () => {
  it('derives interfaces, roles, processes and thresholds', () => {
    expect(oc).toMatchObject({
      interfaces: ['ens1f0'],
      slaveOnly: true,
      masterPorts: [],
      thresholds: { minOffsetNs: -100, maxOffsetNs: 100 },
    });
    expect(bc).toMatchObject({ interfaces: ['ens2f0', 'ens2f1'], slaveOnly: false, masterPorts: ['ens2f1'] });
    expect(profileFromSpec({ name: 'x' }).thresholds).toEqual({ minOffsetNs: -100, maxOffsetNs: 100, holdOverTimeoutS: 5 });
  });
});

describe('check ptp evaluate', () => {
  const base = (over: Partial<PtpObserved['nodes'][number]> = {}): PtpObserved => ({
    profiles: [oc],
    eventPublisher: true,
    unprofiledDaemonNodes: [],
    nodes: [
      {
        node: 'worker-1',
        pod: pod('worker-1'),
        profileNames: ['oc-slave'],
        metrics: interpretPtpMetrics(healthyMetrics('worker-1')),
        sidecar: { lockState: 'LOCKED', osClockSyncState: 'LOCKED' },
        ...over,
      },
    ],
  });

  it('a healthy OC node has no findings', () => {
    expect(evaluatePtp(base())).toEqual([]);
    const s = ptpCheck.summarise(base(), []);
    expect(s.headline).toMatch(/HEALTHY/);
    expect(s.counts.locked_nodes).toBe(1);
  });

  it('a FAULTY slave port (sidecar metrics) names node, profile and kind', () => {
    const o = base({
      node: 'worker-0',
      metrics: interpretPtpMetrics(fx('metrics-cep.txt')),
      sidecar: { lockState: 'HOLDOVER', osClockSyncState: 'FREERUN' },
    });
    const f = evaluatePtp(o);
    const kinds = [...new Set(f.map((x) => x.kind))].sort();
    expect(kinds).toEqual(['clock-class-unexpected', 'clock-not-locked', 'offset-out-of-range', 'port-faulty']);
    for (const x of f) {
      expect(x.node).toBe('worker-0');
      expect(x.labels?.profile).toBe('oc-slave');
      expect(PTP_FINDINGS[x.kind]).toBeTruthy();
    }
    expect(f.find((x) => x.kind === 'offset-out-of-range')?.message).toMatch(/FAULTY marker/);
    expect(f.find((x) => x.kind === 'clock-class-unexpected')).toMatchObject({ expected: '255', actual: '248' });
  });

  it('processes down / missing', () => {
    const text = healthyMetrics('worker-1')
      .replace(
        'openshift_ptp_process_status{config="ptp4l.0.config",node="worker-1",process="phc2sys"} 1',
        'openshift_ptp_process_status{config="ptp4l.0.config",node="worker-1",process="phc2sys"} 0',
      )
      .split('\n')
      .filter((l) => !l.startsWith('openshift_ptp_process_status{config="ptp4l.0.config",node="worker-1",process="ptp4l"}'))
      .join('\n');
    const f = evaluatePtp(base({ metrics: interpretPtpMetrics(text) }));
    expect(f.map((x) => `${x.kind}:${x.labels?.process}`).sort()).toEqual(['process-down:phc2sys', 'process-missing:ptp4l']);
  });

  it('empty phc2sysOpts means phc2sys is not required', () => {
    const text = healthyMetrics('worker-1')
      .split('\n')
      .filter((l) => !l.includes('process="phc2sys"'))
      .join('\n');
    const o = base({ metrics: interpretPtpMetrics(text), sidecar: { lockState: 'LOCKED' } });
    o.profiles = [{ ...oc, phc2sysOpts: '' }];
    expect(evaluatePtp(o)).toEqual([]);
    o.profiles = [oc];
    expect(evaluatePtp(o).map((x) => x.kind)).toEqual(['process-missing']);
  });

  it('role mismatch on a boundary clock, offsets against the thresholds [min, max)', () => {
    const text = [
      'openshift_ptp_interface_role{iface="ens2f0",node="bc-0",process="ptp4l"} 1',
      'openshift_ptp_interface_role{iface="ens2f1",node="bc-0",process="ptp4l"} 1',
      'openshift_ptp_clock_state{iface="ens2fx",node="bc-0",process="ptp4l"} 1',
      'openshift_ptp_offset_ns{from="master",iface="ens2fx",node="bc-0",process="ptp4l"} 100',
      'openshift_ptp_process_status{config="ptp4l.0.config",node="bc-0",process="ptp4l"} 1',
      'openshift_ptp_clock_class{node="bc-0",process="ptp4l"} 6',
    ].join('\n');
    const o: PtpObserved = {
      profiles: [bc],
      eventPublisher: false,
      unprofiledDaemonNodes: [],
      nodes: [{ node: 'bc-0', pod: pod('bc-0'), profileNames: ['bc'], metrics: interpretPtpMetrics(text) }],
    };
    const f = evaluatePtp(o);
    expect(f.map((x) => x.kind).sort()).toEqual(['offset-out-of-range', 'role-mismatch']);
    expect(f.find((x) => x.kind === 'role-mismatch')).toMatchObject({
      expected: 'MASTER',
      actual: 'SLAVE',
      labels: { iface: 'ens2f1', profile: 'bc' },
    });
  });

  it('sidecar disagreeing with the metrics (stale state after a cloud-event-proxy restart)', () => {
    const f = evaluatePtp(base({ sidecar: { lockState: 'FREERUN', osClockSyncState: 'LOCKED' } }));
    expect(f).toEqual([
      expect.objectContaining({ kind: 'sidecar-state-mismatch', expected: 'LOCKED', actual: 'FREERUN', node: 'worker-1' }),
    ]);
    expect(evaluatePtp(base({ sidecar: { error: 'HTTP 503' } })).map((x) => x.kind)).toEqual(['sidecar-unavailable']);
    expect(evaluatePtp(base({ sidecar: { error: 'HTTP 503' } }), { skipSidecar: true })).toEqual([]);
  });

  it('pods missing / not ready, metrics unavailable, unknown profile', () => {
    expect(evaluatePtp(base({ pod: undefined })).map((x) => x.kind)).toEqual(['daemon-pod-missing']);
    expect(evaluatePtp(base({ pod: pod('worker-1', false) })).map((x) => x.kind)).toEqual(['daemon-pod-not-ready']);
    expect(evaluatePtp(base({ metrics: undefined, metricsError: 'exec failed' })).map((x) => x.kind)).toEqual(['metrics-unavailable']);
    expect(evaluatePtp(base({ profileNames: ['gone', 'oc-slave'] })).map((x) => x.kind)).toEqual(['profile-unknown']);
  });

  it('the check unit is declarative: params validated, vocabulary documented', () => {
    expect(ptpCheck.name).toBe('ptp');
    expect(ptpCheck.params.safeParse({ nodes: ['a'] }).success).toBe(true);
    expect(ptpCheck.params.safeParse({ node: 'a' }).success).toBe(false);
    expect(Object.keys(ptpCheck.findingKinds).length).toBeGreaterThanOrEqual(14);
  });
});
