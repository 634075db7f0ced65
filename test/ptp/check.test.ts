import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluatePtp, logFaultsOf, profileFromSpec, ptpCheck, PTP_FINDINGS, type PtpObserved } from '../../harness/checks/ptp/index.ts';
import { durationSeconds } from '../../harness/checks/ptp/cli.ts';
import { UsageError } from '../../harness/errors.ts';
import { interpretPtpMetrics } from '../../harness/ptp/metrics.ts';

const fx = (f: string) => readFileSync(join(import.meta.dirname, 'fixtures', f), 'utf8');

const ocSpec = {
  name: 'oc-slave',
  interface: 'ens1f0',
  ptp4lOpts: '-2 -s',
  phc2sysOpts: '-a -r -n 24',
  ptp4lConf: '[global]\ndomainNumber 24\nslaveOnly 1\n',
  ptpClockThreshold: { holdOverTimeout: 5, maxOffsetThreshold: 100, minOffsetThreshold: -100 },
};
const oc = profileFromSpec(ocSpec);
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
    expect(f.find((x) => x.kind === 'clock-class-unexpected')).toMatchObject({ expected: '6', actual: '248' });
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

  it('no phc2sys on the node (phc2sysOpts empty) and the sidecar says the system clock is not LOCKED: os-clock-not-synced', () => {
    const noPhc = profileFromSpec({ ...ocSpec, name: 'oc-no-phc2sys', phc2sysOpts: '' });
    const text = healthyMetrics('worker-1')
      .split('\n')
      .filter((l) => !l.includes('process="phc2sys"'))
      .join('\n');
    const o = (osClockSyncState: string, profile = noPhc): PtpObserved => ({
      ...base({ profileNames: [profile.name], metrics: interpretPtpMetrics(text), sidecar: { lockState: 'LOCKED', osClockSyncState } }),
      profiles: [profile],
    });
    expect(evaluatePtp(o('FREERUN'))).toEqual([
      expect.objectContaining({
        kind: 'os-clock-not-synced',
        node: 'worker-1',
        expected: 'LOCKED',
        actual: 'FREERUN',
        labels: { profile: 'oc-no-phc2sys', resource: 'os-clock-sync-state' },
      }),
    ]);
    expect(evaluatePtp(o('LOCKED'))).toEqual([]);
    expect(evaluatePtp(o('FREERUN'), { skipSidecar: true })).toEqual([]);
    // a profile that wants phc2sys and has none is process-missing, not this
    expect(evaluatePtp(o('FREERUN', oc)).map((x) => x.kind)).toEqual(['process-missing']);
  });

  it('pods missing / not ready, metrics unavailable, unknown profile', () => {
    expect(evaluatePtp(base({ pod: undefined })).map((x) => x.kind)).toEqual(['daemon-pod-missing']);
    expect(evaluatePtp(base({ pod: pod('worker-1', false) })).map((x) => x.kind)).toEqual(['daemon-pod-not-ready']);
    expect(evaluatePtp(base({ metrics: undefined, metricsError: 'exec failed' })).map((x) => x.kind)).toEqual(['metrics-unavailable']);
    expect(evaluatePtp(base({ profileNames: ['gone', 'oc-slave'] })).map((x) => x.kind)).toEqual(['profile-unknown']);
  });

  it('--since: the faults of the daemon log window, one finding per kind and config, named by node and profile', () => {
    const faults = logFaultsOf(fx('daemon-oc.log'));
    const kinds = new Set(faults.map((f) => f.kind));
    expect(kinds).toContain('process-restart');
    expect(kinds).toContain('clock-jump');
    const f = evaluatePtp(base({ log: { sinceSeconds: 600, faults } }));
    const restart = f.find((x) => x.kind === 'log-process-restart');
    expect(restart).toMatchObject({ node: 'worker-1', labels: { profile: 'oc-slave' } });
    expect(restart!.message).toMatch(/last 600 s/);
    expect(f.some((x) => x.kind === 'log-clock-jump')).toBe(true);
    // the metrics judge offsets; a window's converging samples are not a finding
    expect(f.some((x) => x.kind === 'offset-out-of-range')).toBe(false);
    // one entry per kind and config, counted
    const keys = faults.map((x) => `${x.kind}|${x.config ?? ''}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(faults.every((x) => x.count >= 1 && x.first.length > 0)).toBe(true);
    // a clean window, and a window that could not be read
    expect(evaluatePtp(base({ log: { sinceSeconds: 60, faults: [] } }))).toEqual([]);
    expect(evaluatePtp(base({ log: { sinceSeconds: 60, faults: [], error: 'HTTP 403' } }))).toMatchObject([
      { kind: 'log-unavailable', node: 'worker-1' },
    ]);
    // without --since the log is not judged at all (no log observation)
    expect(evaluatePtp(base()).length).toBe(0);
  });

  it('--since takes 30s / 10m / 1h (a bare number is seconds) and names the flag otherwise', () => {
    expect(durationSeconds('30s')).toBe(30);
    expect(durationSeconds('10m')).toBe(600);
    expect(durationSeconds('1h')).toBe(3600);
    expect(durationSeconds('45')).toBe(45);
    for (const bad of ['', '0', '-5m', '1.5h', '10d', '10 m', 'abc', '999999h'])
      expect(() => durationSeconds(bad), bad).toThrow(UsageError);
    expect(() => durationSeconds('10d')).toThrow(/--since: expected a duration/);
    expect(ptpCheck.params.safeParse({ sinceSeconds: 0 }).success).toBe(false);
  });

  it('the check unit is declarative: params validated, vocabulary documented', () => {
    expect(ptpCheck.name).toBe('ptp');
    expect(ptpCheck.params.safeParse({ nodes: ['a'] }).success).toBe(true);
    expect(ptpCheck.params.safeParse({ node: 'a' }).success).toBe(false);
    expect(Object.keys(ptpCheck.findingKinds).length).toBeGreaterThanOrEqual(14);
  });
});

describe('check ptp evaluate: backup ports and grandmasters are healthy states', () => {
  const dualPort = profileFromSpec({
    name: 'dual-port',
    ptp4lOpts: '-2 -s',
    phc2sysOpts: '',
    ptp4lConf: '[global]\nslaveOnly 1\n[ens1f0]\nmasterOnly 0\n[ens1f1]\nmasterOnly 0\n',
  });
  const bcTwoUp = profileFromSpec({
    name: 'bc-two-up',
    ptp4lOpts: '-2',
    phc2sysOpts: '',
    ptp4lConf: '[ens2f0]\nmasterOnly 0\n[ens2f1]\nmasterOnly 0\n[ens2f2]\nmasterOnly 1\n',
  });
  const tgm = profileFromSpec({
    name: 'tgm',
    ptp4lOpts: '-2',
    phc2sysOpts: '-r -u 0 -m -N 8 -R 16 -s ens2f0 -n 24',
    ts2phcOpts: '-s nmea',
    ptp4lConf: '[ens2f0]\nmasterOnly 1\n[ens2f1]\nmasterOnly 1\n[global]\nclockClass 6\n',
  });
  const ocAlone = { ...oc, phc2sysOpts: '' };
  const obs = (profile: typeof oc, node: string, lines: string[]): PtpObserved => ({
    profiles: [profile],
    eventPublisher: false,
    unprofiledDaemonNodes: [],
    nodes: [{ node, pod: pod(node), profileNames: [profile.name], metrics: interpretPtpMetrics(lines.join('\n')) }],
  });
  const role = (node: string, iface: string, v: number) =>
    `openshift_ptp_interface_role{iface="${iface}",node="${node}",process="ptp4l"} ${v}`;
  const common = (node: string, alias: string) => [
    `openshift_ptp_clock_state{iface="${alias}",node="${node}",process="ptp4l"} 1`,
    `openshift_ptp_offset_ns{from="master",iface="${alias}",node="${node}",process="ptp4l"} 3`,
    `openshift_ptp_process_status{config="ptp4l.0.config",node="${node}",process="ptp4l"} 1`,
    `openshift_ptp_clock_class{node="${node}",process="ptp4l"} 6`,
  ];

  it('a PASSIVE backup port next to a SLAVE port passes', () => {
    expect(evaluatePtp(obs(dualPort, 'w-0', [role('w-0', 'ens1f0', 1), role('w-0', 'ens1f1', 0), ...common('w-0', 'ens1fx')]))).toEqual([]);
  });

  it('PASSIVE without any SLAVE port is a role-mismatch', () => {
    const f = evaluatePtp(obs(dualPort, 'w-0', [role('w-0', 'ens1f0', 0), role('w-0', 'ens1f1', 5), ...common('w-0', 'ens1fx')]));
    expect(f.filter((x) => x.kind === 'role-mismatch').map((x) => [x.labels?.iface, x.actual])).toEqual([
      ['ens1f0', 'PASSIVE'],
      ['ens1f1', 'LISTENING'],
    ]);
  });

  it('a BC: a second upstream port MASTER (not slave-only) while one is SLAVE passes; on a slave-only clock it does not', () => {
    const lines = [role('bc', 'ens2f0', 1), role('bc', 'ens2f1', 2), role('bc', 'ens2f2', 2), ...common('bc', 'ens2fx')];
    expect(evaluatePtp(obs(bcTwoUp, 'bc', lines))).toEqual([]);
    const f = evaluatePtp(obs(dualPort, 'w-0', [role('w-0', 'ens1f0', 1), role('w-0', 'ens1f1', 2), ...common('w-0', 'ens1fx')]));
    expect(f.map((x) => [x.kind, x.labels?.iface, x.actual])).toEqual([['role-mismatch', 'ens1f1', 'MASTER']]);
  });

  it('a masterOnly port that is PASSIVE is still a role-mismatch', () => {
    const lines = [role('bc', 'ens2f0', 1), role('bc', 'ens2f1', 0), role('bc', 'ens2f2', 0), ...common('bc', 'ens2fx')];
    expect(evaluatePtp(obs(bcTwoUp, 'bc', lines)).map((x) => [x.kind, x.labels?.iface])).toEqual([['role-mismatch', 'ens2f2']]);
  });

  it('a T-GM (every port masterOnly, ts2phc locked) has no SLAVE port and no ptp4l clock_state, and passes', () => {
    const lines = [
      role('gm', 'ens2f0', 2),
      role('gm', 'ens2f1', 2),
      'openshift_ptp_clock_state{iface="ens2fx",node="gm",process="ts2phc"} 1',
      'openshift_ptp_clock_state{iface="CLOCK_REALTIME",node="gm",process="phc2sys"} 1',
      'openshift_ptp_offset_ns{from="master",iface="ens2fx",node="gm",process="ts2phc"} 0',
      'openshift_ptp_process_status{config="ptp4l.0.config",node="gm",process="ptp4l"} 1',
      'openshift_ptp_process_status{config="ptp4l.0.config",node="gm",process="phc2sys"} 1',
      'openshift_ptp_process_status{config="ts2phc.0.config",node="gm",process="ts2phc"} 1',
      'openshift_ptp_clock_class{node="gm",process="ptp4l"} 6',
    ];
    expect(evaluatePtp(obs(tgm, 'gm', lines))).toEqual([]);
    // its lock is ts2phc's: none reported is clock-state-missing, FREERUN is clock-not-locked
    const noTs = lines.filter((l) => !l.startsWith('openshift_ptp_clock_state{iface="ens2fx"'));
    expect(evaluatePtp(obs(tgm, 'gm', noTs)).map((x) => [x.kind, x.message])).toEqual([
      ['clock-state-missing', 'no clock_state for ts2phc (T-GM) on gm'],
    ]);
    const free = lines.map((l) => (l.includes('process="ts2phc"} 1') && l.includes('clock_state') ? l.replace(/ 1$/, ' 0') : l));
    expect(evaluatePtp(obs(tgm, 'gm', free)).map((x) => x.kind)).toEqual(['clock-not-locked']);
  });

  it('the clock class is the grandmaster PARENT_DATA_SET reports (6), for an OC as for a BC', () => {
    const f = evaluatePtp(
      obs(ocAlone, 'w-0', [
        role('w-0', 'ens1f0', 1),
        ...common('w-0', 'ens1fx').map((l) =>
          l.replace('clock_class{node="w-0",process="ptp4l"} 6', 'clock_class{node="w-0",process="ptp4l"} 255'),
        ),
      ]),
    );
    expect(f.map((x) => [x.kind, x.expected, x.actual])).toEqual([['clock-class-unexpected', '6', '255']]);
    expect(evaluatePtp(obs(ocAlone, 'w-0', [role('w-0', 'ens1f0', 1), ...common('w-0', 'ens1fx')]), { clockClass: 7 })).toMatchObject([
      { kind: 'clock-class-unexpected', expected: '7', actual: '6' },
    ]);
  });
});
