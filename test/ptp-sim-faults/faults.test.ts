/**
 * Each PTP fault on the embedded cluster produces its documented log lines, metric values and events
 * (faults/ptp.ts; linuxptp, linuxptp-daemon and cloud-event-proxy texts), injected as a user would on a live
 * cluster wherever possible: `ip link set` in a debug pod, pkill in the daemon container, PtpConfig edits,
 * Chaos Mesh StressChaos / TimeChaos / PodChaos, the fault library's ConfigMap otherwise. One cluster for
 * the file; faults are applied and healed one after another, each test waiting for the healthy state first.
 * Also: cloud-event-proxy's REST API v2 through the service proxy with a real HTTP client and a subscription
 * that receives the events.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CLI, ROOT, runCli } from '../support/cli.ts';
import { PtpSimCluster, sleep, until, type LogLine } from './ptp-sim.ts';
import type { PtpMetrics } from '../../harness/ptp/metrics.ts';

const SPEED = 10;
const PTP_FAULTS = [
  'ptp-grandmaster-loss',
  'ptp-gm-clock-class-degraded',
  'ptp-tx-timestamp-timeout',
  'ptp-chronyd-running',
  'ptp-sidecar-stale-after-restart',
  'ptp-port-stays-faulty',
  'ptp-process-no-restart',
];
const c = new PtpSimCluster({ nodes: '1+1', speed: SPEED });
const alias = () => c.iface.replace(/\d$/, 'x');

const role = (m: PtpMetrics) => m.roles.find((r) => r.process === 'ptp4l' && (r.iface === c.iface || r.iface === alias()))?.role;
const state = (m: PtpMetrics, p = 'ptp4l') => m.clockStates.find((s) => s.process === p)?.state;
const proc = (m: PtpMetrics, p: string) => m.processes.find((x) => x.process === p);

/** The node is back to normal: slave port SLAVE, ptp4l and phc2sys LOCKED, sidecar lock-state LOCKED. */
async function healthy(what = 'healthy'): Promise<void> {
  await until(
    async () => {
      const m = await c.metrics();
      if (role(m) !== 'SLAVE' || state(m) !== 'LOCKED' || state(m, 'phc2sys') !== 'LOCKED') return undefined;
      return (await c.currentState('sync/ptp-status/lock-state')).value === 'LOCKED' ? true : undefined;
    },
    60_000,
    `${c.node} ${what}: ${c.iface} SLAVE, ptp4l and phc2sys LOCKED, lock-state LOCKED`,
  );
}

/** Lines of the daemon log after `mark` (c.logMark(): a time, read back with kubectl logs --since-time). */
function linesAfter(mark: string, container?: string): Promise<LogLine[]> {
  return c.logsSince(mark, container);
}

async function waitLine(mark: string, re: RegExp, what: string, container?: string, timeoutMs = 30_000): Promise<LogLine> {
  return until(async () => (await linesAfter(mark, container)).find((l) => re.test(l.raw)), timeoutMs, what);
}

/** `<prog>[<monotonic>]` of a process line */
const stampOf = (raw: string): number | undefined => {
  const m = /^(?:ptp4l|phc2sys|ts2phc)\[(\d+(?:\.\d+)?)\]/.exec(raw);
  return m ? Number(m[1]) : undefined;
};

/** A fault's process line is stamped with the node's own monotonic clock: within seconds of the lines around it. */
function expectNodeClock(lines: LogLine[], line: LogLine): void {
  const i = lines.findIndex((l) => l.raw === line.raw);
  const near = [...lines.slice(Math.max(0, i - 20), i), ...lines.slice(i + 1, i + 20)]
    .map((l) => stampOf(l.raw))
    .filter((s) => s !== undefined);
  expect(near.length, 'process lines around the fault line').toBeGreaterThan(0);
  const at = stampOf(line.raw)!;
  expect(Math.min(...near.map((s) => Math.abs(s - at))), `${line.raw} against the node's stamps ${near.join(' ')}`).toBeLessThan(5);
}

async function waitEvent(kind: string, value: string, from: number, timeoutMs = 30_000): Promise<void> {
  await until(
    async () => (c.eventValues(kind, from).includes(value) ? true : undefined),
    timeoutMs,
    `${kind} event ${value} (got ${c.eventValues(kind, from).join(',')})`,
  );
}

interface Finding {
  kind: string;
  node?: string;
  expected?: string;
  actual?: string;
  labels?: Record<string, string>;
}

/**
 * `netharness check ptp --json` while a fault is on names this node, the target profile and the kinds `want` (all of
 * them, or with `any` one of them), exit 1; polled, since a fault may flap or take a moment to show in the metrics.
 * Returns the node's findings.
 */
async function checkNames(want: string[], mode: 'all' | 'any' = 'all', timeoutMs = 60_000, extra: string[] = []): Promise<Finding[]> {
  let last = 'no run';
  try {
    return await until(
      async () => {
        const r = await runCli(['check', 'ptp', '--kubeconfig', c.kubeconfig, '--json', '--no-record', ...extra]);
        if (r.code !== 1) {
          last = `exit ${r.code}: ${r.stdout.slice(0, 300)} ${r.stderr.slice(-300)}`;
          return undefined;
        }
        const mine = (JSON.parse(r.stdout) as { findings: Finding[] }).findings.filter(
          (f) => f.node === c.node && f.labels?.profile === c.profile,
        );
        last = `kinds ${mine.map((f) => f.kind).join(', ') || 'none on the node'}`;
        const has = (k: string) => mine.some((f) => f.kind === k);
        return (mode === 'all' ? want.every(has) : want.some(has)) ? mine : undefined;
      },
      timeoutMs,
      `check ptp naming ${c.node}, profile ${c.profile}, ${mode} of ${want.join(', ')}`,
    );
  } catch (e) {
    throw new Error(`${(e as Error).message}; last: ${last}`);
  }
}

/** Without a grandmaster the slave-only clock reports its own class: PARENT_DATA_SET gm.ClockClass 255, and so does the sidecar. */
async function ownClass(): Promise<void> {
  await until(
    async () => (/gm\.ClockClass\s+255\b/.test(await c.pmc('PARENT_DATA_SET')) ? true : undefined),
    20_000,
    'PARENT_DATA_SET gm.ClockClass 255',
  );
  await until(
    async () => ((await c.currentState('sync/ptp-status/clock-class')).metric === 255 ? true : undefined),
    20_000,
    'sidecar clock-class 255',
  );
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe.sequential('PTP faults on the embedded cluster', () => {
  beforeAll(async () => {
    await c.start();
    await healthy('baseline');
    await c.subscribeAll();
  }, 240_000);
  afterAll(async () => {
    await c.stop();
  }, 60_000);
  // a failed test must not leave its fault for the next: switch every PTP fault off, link up, chaos deleted, PtpConfig restored
  let original = '';
  beforeAll(async () => {
    original = await c.kubectl(['get', 'ptpconfig', '-n', 'openshift-ptp', c.ptpConfig, '-o', 'json']);
  });
  afterEach(async () => {
    const off = Object.fromEntries(PTP_FAULTS.map((id) => [id, 'off']));
    await c.faults(off);
    for (const k of ['stresschaos/ptp-cpu', 'timechaos/ptp-jump', 'podchaos/ptp-sidecar-kill'])
      await c.kubectl(['delete', '-n', 'openshift-ptp', k, '--ignore-not-found']);
    const cur = JSON.parse(await c.kubectl(['get', 'ptpconfig', '-n', 'openshift-ptp', c.ptpConfig, '-o', 'json'])) as { spec: unknown };
    if (JSON.stringify(cur.spec) !== JSON.stringify((JSON.parse(original) as { spec: unknown }).spec)) await c.restoreProfiles(original);
    await c.pickTarget();
    await c.onNode(`ip link set ${c.iface} up`);
  }, 90_000);

  it("healthy: check ptp passes, also with --since over a window that holds the daemons' start", async () => {
    for (const extra of [[], ['--since', '1h']]) {
      const r = await runCli(['check', 'ptp', '--kubeconfig', c.kubeconfig, '--json', '--no-record', ...extra]);
      expect(r.code, `check ptp ${extra.join(' ')}: ${r.stdout.slice(0, 800)} ${r.stderr.slice(-300)}`).toBe(0);
      expect((JSON.parse(r.stdout) as { findings: Finding[] }).findings).toEqual([]);
    }
    const bad = await runCli(['check', 'ptp', '--kubeconfig', c.kubeconfig, '--since', '10d']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--since: expected a duration/);
  }, 120_000);

  it('cloud-event-proxy REST API v2 through the service proxy: health, publishers, subscriptions, CurrentState, errors', async () => {
    const h = await c.rest('GET', '/health');
    expect(h).toEqual({ status: 200, body: 'OK' });
    const pubs = JSON.parse((await c.rest('GET', '/publishers')).body) as { ResourceAddress: string }[];
    expect(pubs.map((p) => p.ResourceAddress).sort()).toEqual(
      [
        'sync/ptp-status/clock-class',
        'sync/ptp-status/lock-state',
        'sync/sync-status/os-clock-sync-state',
        'sync/sync-status/sync-state',
      ].map((r) => `/cluster/node/${c.node}/${r}`),
    );
    const subs = JSON.parse((await c.rest('GET', '/subscriptions')).body) as {
      EndpointUri: string;
      SubscriptionId: string;
      UriLocation: string;
    }[];
    expect(subs.filter((s) => s.EndpointUri === c.endpoint)).toHaveLength(4);
    const one = await c.rest('GET', `/subscriptions/${subs[0].SubscriptionId}`);
    expect(one.status).toBe(200);
    expect(subs[0].UriLocation).toMatch(new RegExp(`/api/ocloudNotifications/v2/subscriptions/${subs[0].SubscriptionId}$`));
    const lock = await c.currentState('sync/ptp-status/lock-state');
    expect(lock.value).toBe('LOCKED');
    expect(lock.raw).toMatchObject({
      specversion: '1.0',
      type: 'event.sync.ptp-status.ptp-state-change',
      source: '/sync/ptp-status/lock-state',
    });
    expect(Math.abs(lock.metric ?? Infinity)).toBeLessThan(100);
    expect((await c.currentState('sync/ptp-status/clock-class')).metric).toBe(6);
    expect((await c.currentState('sync/sync-status/os-clock-sync-state')).value).toBe('LOCKED');
    // errors as rest-api v2 answers them
    const bad = await c.rest('GET', `/cluster/node/${c.node}/sync/nothing/CurrentState`);
    expect(bad.status).toBe(400);
    const badBody = await c.rest('POST', '/subscriptions', {
      ResourceAddress: '/cluster/node/other-node/sync/ptp-status/lock-state',
      EndpointUri: c.endpoint,
    });
    expect(badBody.status).toBe(400);
    const deadEndpoint = await c.rest('POST', '/subscriptions', {
      ResourceAddress: `/cluster/node/${c.node}/sync/ptp-status/lock-state`,
      EndpointUri: 'http://127.0.0.1:9/event',
    });
    expect(deadEndpoint.status).toBe(400);
    expect(JSON.parse(deadEndpoint.body)).toHaveProperty('error');
  });

  it('grandmaster loss: SLAVE to LISTENING on ANNOUNCE_RECEIPT_TIMEOUT_EXPIRES, role LISTENING, FREERUN, clock class 255 (its own), events; heals', async () => {
    const mark = await c.logMark();
    const ev = c.events.length;
    await c.fault('ptp-grandmaster-loss', 'on');
    await waitLine(
      mark,
      new RegExp(`port \\d+ \\(${esc(c.iface)}\\): SLAVE to LISTENING on ANNOUNCE_RECEIPT_TIMEOUT_EXPIRES`),
      'announce timeout',
    );
    const m = await c.waitMetrics((x) => role(x) === 'LISTENING' && state(x) === 'FREERUN', 'role LISTENING, ptp4l FREERUN');
    expect(m.clockClass.find((x) => x.process === 'ptp4l')?.clockClass).toBeDefined();
    await waitEvent('lock-state', 'FREERUN', ev);
    await ownClass();
    const gm = await checkNames(['role-mismatch', 'clock-not-locked', 'clock-class-unexpected']);
    expect(gm.find((f) => f.kind === 'role-mismatch')).toMatchObject({ expected: 'SLAVE', actual: 'LISTENING' });
    expect(gm.find((f) => f.kind === 'clock-class-unexpected')).toMatchObject({ expected: '6', actual: '255' });
    // offsets stop: no `master offset` line of ptp4l after the timeout
    const ls = await linesAfter(mark);
    const at = ls.findIndex((l) => /ANNOUNCE_RECEIPT_TIMEOUT_EXPIRES/.test(l.raw));
    expect(ls.slice(at + 1).filter((l) => l.rec?.type === 'offset' && l.rec.process === 'ptp4l')).toEqual([]);
    await c.fault('ptp-grandmaster-loss', 'off');
    await waitLine(mark, new RegExp(`port \\d+ \\(${esc(c.iface)}\\): UNCALIBRATED to SLAVE on MASTER_CLOCK_SELECTED`), 're-lock');
    await healthy('after grandmaster loss');
    await waitEvent('lock-state', 'LOCKED', ev);
  }, 120_000);

  it('slave link down (ip link set <if> down in a debug pod): link down, SLAVE to FAULTY, role FAULTY, offset 999999; link up re-locks', async () => {
    const mark = await c.logMark();
    await c.onNode(`ip link set ${c.iface} down`);
    await waitLine(mark, new RegExp(`port \\d+ \\(${esc(c.iface)}\\): link down`), 'link down line');
    await waitLine(mark, new RegExp(`port \\d+ \\(${esc(c.iface)}\\): SLAVE to FAULTY on FAULT_DETECTED \\(FT_UNSPECIFIED\\)`), 'FAULTY');
    const m = await c.waitMetrics((x) => role(x) === 'FAULTY', 'role FAULTY (3)');
    expect(m.roles.find((r) => r.iface === c.iface || r.iface === alias())?.value).toBe(3);
    await c.waitMetrics(
      (x) => x.offsets.some((o) => o.process === 'ptp4l' && o.offsetNs === 999999),
      'faulty offset 999999 for ptp4l (linuxptp-daemon metrics.go faultyOffset)',
    );
    const down = await checkNames(['port-faulty', 'offset-out-of-range']);
    expect(down.find((f) => f.kind === 'port-faulty')).toMatchObject({ actual: 'FAULTY', labels: { iface: c.iface } });
    await c.onNode(`ip link set ${c.iface} up`);
    await waitLine(mark, new RegExp(`port \\d+ \\(${esc(c.iface)}\\): link up`), 'link up line');
    await healthy('after link up');
  }, 120_000);

  it('holdover expiry: the slave port lost, lock-state HOLDOVER then FREERUN after holdOverTimeout (5 s / speed), class 255; re-lock', async () => {
    const ev = c.events.length;
    await c.onNode(`ip link set ${c.iface} down`);
    await waitEvent('lock-state', 'FREERUN', ev);
    const seq = c.events.slice(ev).filter((e) => e.source.endsWith('/lock-state'));
    const values = seq.map((e) => String(e.values.find((v) => v.data_type === 'notification')?.value));
    expect(values.slice(0, 2)).toEqual(['HOLDOVER', 'FREERUN']);
    const held = (seq[1].at - seq[0].at) / 1000;
    // holdOverTimeout 5 s (the PtpConfig default) at speed 10 = 0.5 s; an emulator tick of slack each side, plus delivery
    expect(held).toBeGreaterThan(0.25);
    expect(held).toBeLessThan(3);
    await c.waitMetrics((x) => state(x) === 'FREERUN', 'ptp4l clock_state FREERUN');
    await ownClass();
    const free = await checkNames(['clock-not-locked']);
    expect(free).toContainEqual(
      expect.objectContaining({ kind: 'clock-not-locked', actual: 'FREERUN', labels: expect.objectContaining({ process: 'ptp4l' }) }),
    );
    await c.onNode(`ip link set ${c.iface} up`);
    await healthy('after holdover');
    await waitEvent('lock-state', 'LOCKED', ev);
  }, 120_000);

  for (const p of ['ptp4l', 'phc2sys'] as const)
    it(`${p} killed (pkill -TERM ${p} in linuxptp-daemon-container): PTP_PROCESS_STATUS:0, Recreating ${p}..., status 1 again, restart_count + 1`, async () => {
      const before = proc(await c.metrics(), p)?.restarts ?? 0;
      const mark = await c.logMark();
      await c.execDaemon(['pkill', '-TERM', p]);
      await waitLine(mark, new RegExp(`${p}\\[\\d+\\]:\\[[^\\]]+\\] PTP_PROCESS_STATUS:0`), `${p} PTP_PROCESS_STATUS:0`);
      await waitLine(mark, new RegExp(`Recreating ${p}\\.\\.\\.`), `Recreating ${p}...`);
      const m = await c.waitMetrics(
        (x) => proc(x, p)?.up === true && (proc(x, p)?.restarts ?? 0) > before,
        `${p} up with restart_count > ${before}`,
      );
      expect(proc(m, p)?.restarts).toBe(before + 1);
      await healthy(`after the ${p} kill`);
      // healed: only the daemon log of the window still shows it
      const seen = await checkNames(['log-process-restart'], 'all', 30_000, ['--since', '2m']);
      expect(seen.filter((f) => f.kind === 'log-process-restart').map((f) => f.labels?.process)).toContain(p);
    }, 150_000);

  it('ptp4l killed with the daemon bug ptp-process-no-restart on: it stays down, check ptp names process-down (node, profile); recreated when switched off', async () => {
    await c.fault('ptp-process-no-restart', 'on');
    await c.execDaemon(['pkill', '-TERM', 'ptp4l']);
    const f = await checkNames(['process-down']);
    expect(f.find((x) => x.kind === 'process-down')).toMatchObject({ expected: 'UP', actual: 'DOWN', labels: { process: 'ptp4l' } });
    await c.fault('ptp-process-no-restart', 'off');
    await healthy('after ptp-process-no-restart is switched off');
  }, 150_000);

  /** Replaces the target profile (merge patch of spec.profile), returns the restore function. */
  async function editProfile(edit: (p: Record<string, unknown>) => Record<string, unknown>): Promise<() => Promise<void>> {
    const orig = JSON.parse(await c.kubectl(['get', 'ptpconfig', '-n', 'openshift-ptp', c.ptpConfig, '-o', 'json'])) as {
      spec: { profile: Record<string, unknown>[] };
    };
    const patch = (profile: unknown[]) =>
      c.kubectl(['patch', 'ptpconfig', '-n', 'openshift-ptp', c.ptpConfig, '--type', 'merge', '-p', JSON.stringify({ spec: { profile } })]);
    await patch(orig.spec.profile.map((p) => (p.name === c.profile ? edit(p) : p)));
    return async () => {
      await patch(orig.spec.profile);
      await c.pickTarget();
    };
  }

  it('ts2phc killed: with ts2phcOpts in the profile ts2phc runs; pkill -TERM ts2phc: PTP_PROCESS_STATUS:0, Recreating ts2phc...', async () => {
    const mark = await c.logMark();
    const restore = await editProfile((p) => ({ ...p, ts2phcOpts: '-s generic' }));
    try {
      await c.pickTarget();
      await waitLine(mark, /ts2phc\[[\d.]+\]: \[ts2phc\.\d+\.config:\d\] \S+ offset\s+-?\d+ s\d freq/, 'a ts2phc offset line');
      await c.waitMetrics((x) => proc(x, 'ts2phc')?.up === true, 'ts2phc process_status 1');
      const m2 = await c.logMark();
      await c.execDaemon(['pkill', '-TERM', 'ts2phc']);
      await waitLine(m2, /ts2phc\[\d+\]:\[[^\]]+\] PTP_PROCESS_STATUS:0/, 'ts2phc PTP_PROCESS_STATUS:0');
      await waitLine(m2, /Recreating ts2phc\.\.\./, 'Recreating ts2phc...');
      await c.waitMetrics((x) => proc(x, 'ts2phc')?.up === true && (proc(x, 'ts2phc')?.restarts ?? 0) >= 1, 'ts2phc recreated');
      const seen = await checkNames(['log-process-restart'], 'all', 30_000, ['--since', '2m']);
      expect(seen.filter((f) => f.kind === 'log-process-restart').map((f) => f.labels?.process)).toContain('ts2phc');
    } finally {
      await restore();
    }
    await healthy('after the ts2phc profile is removed');
  }, 150_000);

  it('clock class degradation: the grandmaster announces 7, then 248: PARENT_DATA_SET, clock-class events; back to 6', async () => {
    const ev = c.events.length;
    await c.fault('ptp-gm-clock-class-degraded', '{"class":7}');
    await until(
      async () => (/gm\.ClockClass\s+7\b/.test(await c.pmc('PARENT_DATA_SET')) ? true : undefined),
      20_000,
      'PARENT_DATA_SET gm.ClockClass 7',
    );
    await waitEvent('clock-class', '7', ev);
    const cc = await checkNames(['clock-class-unexpected']);
    expect(cc.find((f) => f.kind === 'clock-class-unexpected')).toMatchObject({ expected: '6', actual: '7' });
    await c.fault('ptp-gm-clock-class-degraded', '{"class":248}');
    await waitEvent('clock-class', '248', ev);
    await c.fault('ptp-gm-clock-class-degraded', 'off');
    await waitEvent('clock-class', '6', ev);
    expect(c.eventValues('clock-class', ev)).toEqual(['7', '248', '6']);
    expect((await c.currentState('sync/ptp-status/clock-class')).metric).toBe(6);
  }, 90_000);

  it('tx timestamp timeouts: the sk.c lines, SLAVE to FAULTY, FAULTY to LISTENING after the fault reset (flapping); heals', async () => {
    const mark = await c.logMark();
    const ev = c.events.length;
    await c.fault('ptp-tx-timestamp-timeout', 'on');
    await waitLine(mark, /timed out while polling for tx timestamp/, 'tx timestamp timeout line');
    await waitLine(
      mark,
      /increasing tx_timestamp_timeout or increasing kworker priority may correct this issue, but a driver bug likely causes it/,
      'the advice line',
    );
    await waitLine(mark, new RegExp(`\\(${esc(c.iface)}\\): SLAVE to FAULTY on FAULT_DETECTED \\(FT_UNSPECIFIED\\)`), 'FAULTY');
    await waitLine(mark, new RegExp(`\\(${esc(c.iface)}\\): FAULTY to LISTENING on INIT_COMPLETE`), 'the fault cleared', undefined, 60_000);
    // flapping: a snapshot sees the port FAULTY or not yet SLAVE, or the clock not LOCKED
    await checkNames(['port-faulty', 'role-mismatch', 'clock-not-locked'], 'any');
    // the lock-state event HOLDOVER while the port is FAULTY (then FREERUN: holdOverTimeout 5 s < fault_reset_interval 16 s)
    await waitEvent('lock-state', 'HOLDOVER', ev);
    await c.fault('ptp-tx-timestamp-timeout', 'off');
    await healthy('after tx timestamp timeouts');
    await waitEvent('lock-state', 'LOCKED', ev);
  }, 150_000);

  it('CPU contention (StressChaos on the daemon pod): ptp4l offsets beyond the threshold, clockcheck lines; recovers when deleted', async () => {
    const mark = await c.logMark();
    await c.apply({
      apiVersion: 'chaos-mesh.org/v1alpha1',
      kind: 'StressChaos',
      metadata: { name: 'ptp-cpu', namespace: 'openshift-ptp' },
      spec: {
        mode: 'all',
        selector: { namespaces: ['openshift-ptp'], labelSelectors: { app: 'linuxptp-daemon' }, nodes: [c.node] },
        stressors: { cpu: { workers: 4, load: 100 } },
        duration: '10m',
      },
    });
    const warn = await waitLine(mark, /clockcheck: clock jumped backward or running slower than expected!/, 'clockcheck line');
    expectNodeClock(await linesAfter(mark), warn);
    await until(
      async () =>
        (await linesAfter(mark)).some((l) => l.rec?.type === 'offset' && l.rec.process === 'ptp4l' && Math.abs(l.rec.offset) > 100)
          ? true
          : undefined,
      30_000,
      'ptp4l offsets beyond 100 ns under CPU stress',
    );
    await checkNames(['offset-out-of-range']);
    await c.kubectl(['delete', 'stresschaos', '-n', 'openshift-ptp', 'ptp-cpu']);
    await healthy('after StressChaos');
  }, 120_000);

  it('chronyd fighting phc2sys: phc2sys CLOCK_REALTIME offset bursts, clockcheck frequency warning; heals', async () => {
    const mark = await c.logMark();
    const ev = c.events.length;
    await c.fault('ptp-chronyd-running', 'on');
    const warn = await waitLine(
      mark,
      /phc2sys\[[\d.]+\]: \[[^\]]+\] clockcheck: clock frequency changed unexpectedly!/,
      'clockcheck frequency line',
    );
    expectNodeClock(await linesAfter(mark), warn);
    await until(
      async () =>
        (await linesAfter(mark)).some((l) => l.rec?.type === 'offset' && l.rec.process === 'phc2sys' && Math.abs(l.rec.offset) > 1000)
          ? true
          : undefined,
      30_000,
      'phc2sys offset bursts beyond 1 us',
    );
    await checkNames(['offset-out-of-range'], 'all', 90_000);
    // the catalogue's events: os-clock-sync-state FREERUN in a burst, LOCKED after it
    await waitEvent('os-clock-sync-state', 'FREERUN', ev);
    await waitEvent('os-clock-sync-state', 'LOCKED', ev);
    await c.fault('ptp-chronyd-running', 'off');
    await healthy('after chronyd');
  }, 120_000);

  it('an interface without the timestamping mode (profile edited to a NIC NodePtpDevice does not list): the ptp4l error, ptp4l down; restored', async () => {
    const dev = JSON.parse(await c.kubectl(['get', 'nodeptpdevice', '-n', 'openshift-ptp', c.node, '-o', 'json'])) as {
      status?: { devices?: { name: string }[] };
    };
    const capable = new Set((dev.status?.devices ?? []).map((d) => d.name));
    expect(capable.has(c.iface)).toBe(true);
    const plain = ['br-ex', 'eth0', 'enp1s0'].find((i) => !capable.has(i))!;
    const mark = await c.logMark();
    const restore = await editProfile((p) => ({
      ...p,
      interface: plain,
      ...(typeof p.ptp4lConf === 'string' ? { ptp4lConf: p.ptp4lConf.replaceAll(`[${c.iface}]`, `[${plain}]`) } : {}),
    }));
    try {
      await waitLine(
        mark,
        new RegExp(`interface '${esc(plain)}' does not support requested timestamping mode`),
        'the timestamping mode error',
      );
      await checkNames(['process-down', 'role-missing'], 'any');
      await c.waitMetrics((x) => proc(x, 'ptp4l')?.up !== true, 'ptp4l not running');
    } finally {
      await restore();
    }
    await healthy('after the interface is restored');
  }, 150_000);

  it('empty phc2sysOpts: phc2sys not started, no phc2sys metrics, os-clock-sync-state FREERUN; restored', async () => {
    const ev = c.events.length;
    const restore = await editProfile((p) => ({ ...p, phc2sysOpts: '' }));
    try {
      await c.pickTarget();
      const m = await c.waitMetrics((x) => proc(x, 'ptp4l')?.up === true && proc(x, 'phc2sys') === undefined, 'ptp4l up, no phc2sys');
      expect(m.offsets.filter((o) => o.process === 'phc2sys')).toEqual([]);
      await until(
        async () => ((await c.currentState('sync/sync-status/os-clock-sync-state')).value === 'FREERUN' ? true : undefined),
        20_000,
        'os-clock-sync-state FREERUN',
      );
      expect(c.eventValues('os-clock-sync-state', ev)).toContain('FREERUN');
      const os = await checkNames(['os-clock-not-synced']);
      expect(os.find((f) => f.kind === 'os-clock-not-synced')).toMatchObject({ expected: 'LOCKED', actual: 'FREERUN' });
    } finally {
      await restore();
    }
    await healthy('after phc2sysOpts is restored');
  }, 150_000);

  it('stale sidecar state after a cloud-event-proxy restart (container-kill): CurrentState FREERUN, class 248 while ptp4l is LOCKED; heals', async () => {
    await c.fault('ptp-sidecar-stale-after-restart', 'on');
    const restarts = async () => {
      const p = JSON.parse(await c.kubectl(['get', 'pod', '-n', 'openshift-ptp', c.pod, '-o', 'json'])) as {
        status: { containerStatuses: { name: string; restartCount: number }[] };
      };
      return p.status.containerStatuses.find((x) => x.name === 'cloud-event-proxy')?.restartCount ?? 0;
    };
    const rc = await restarts();
    await c.apply({
      apiVersion: 'chaos-mesh.org/v1alpha1',
      kind: 'PodChaos',
      metadata: { name: 'ptp-sidecar-kill', namespace: 'openshift-ptp' },
      spec: {
        action: 'container-kill',
        mode: 'all',
        containerNames: ['cloud-event-proxy'],
        selector: { pods: { 'openshift-ptp': [c.pod] } },
      },
    });
    await until(async () => ((await restarts()) > rc ? true : undefined), 30_000, 'cloud-event-proxy restarted');
    await until(
      async () => ((await c.currentState('sync/ptp-status/lock-state')).value === 'FREERUN' ? true : undefined),
      20_000,
      'stale lock-state FREERUN',
    );
    const m = await c.metrics();
    expect(state(m)).toBe('LOCKED');
    expect(role(m)).toBe('SLAVE');
    expect((await c.currentState('sync/ptp-status/clock-class')).metric).toBe(248);
    const stale = await checkNames(['sidecar-state-mismatch']);
    expect(stale.find((f) => f.kind === 'sidecar-state-mismatch')).toMatchObject({ expected: 'LOCKED', actual: 'FREERUN' });
    await c.kubectl(['delete', 'podchaos', '-n', 'openshift-ptp', 'ptp-sidecar-kill']);
    await c.fault('ptp-sidecar-stale-after-restart', 'off');
    await healthy('after the stale sidecar is fixed');
  }, 120_000);

  it('a clock jump (TimeChaos on the daemon pod): clockcheck line, SLAVE to UNCALIBRATED on SYNCHRONIZATION_FAULT, the jump offset, re-lock', async () => {
    const mark = await c.logMark();
    await c.apply({
      apiVersion: 'chaos-mesh.org/v1alpha1',
      kind: 'TimeChaos',
      metadata: { name: 'ptp-jump', namespace: 'openshift-ptp' },
      spec: {
        mode: 'all',
        selector: { namespaces: ['openshift-ptp'], labelSelectors: { app: 'linuxptp-daemon' }, nodes: [c.node] },
        timeOffset: '-10ms',
        duration: '10m',
      },
    });
    await waitLine(
      mark,
      /clockcheck: clock jumped (backward or running slower|forward or running faster) than expected!/,
      'clockcheck jump line',
    );
    await waitLine(mark, new RegExp(`\\(${esc(c.iface)}\\): SLAVE to UNCALIBRATED on SYNCHRONIZATION_FAULT`), 'SYNCHRONIZATION_FAULT');
    await until(
      async () =>
        (await linesAfter(mark)).some((l) => l.rec?.type === 'offset' && l.rec.process === 'ptp4l' && Math.abs(l.rec.offset) >= 1_000_000)
          ? true
          : undefined,
      20_000,
      'an offset of the jump (>= 1 ms)',
    );
    await healthy('after the clock jump');
    // the servo stepped over it: the metrics are healthy again, the daemon log of the window is not
    await checkNames(['log-clock-jump'], 'all', 30_000, ['--since', '2m']);
    await c.kubectl(['delete', 'timechaos', '-n', 'openshift-ptp', 'ptp-jump']);
    await sleep(500);
    await healthy('after the TimeChaos is deleted');
  }, 150_000);

  it('ptp watch subscribes through the service proxy, receives the events of a grandmaster loss, alerts, and ends cleanly on Ctrl-C', async () => {
    const child = spawn(
      process.execPath,
      [
        ...CLI,
        'ptp',
        'watch',
        '--kubeconfig',
        c.kubeconfig,
        '--json',
        '--interval',
        '0.5',
        '--freerun-minutes',
        '0',
        '--db',
        join(c.workdir, 'watch.db'),
      ],
      { cwd: ROOT, env: { ...process.env, CI: '1' } },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      await until(async () => (/1 subscribed/.test(err) ? true : undefined), 30_000, `ptp watch subscribed (stderr: ${err.slice(-500)})`);
      await c.fault('ptp-grandmaster-loss', 'on');
      await until(async () => (/"rule":"freerun"/.test(out) ? true : undefined), 30_000, `a FREERUN alert (stdout: ${out.slice(-500)})`);
      await until(
        async () => (/"rule":"clock-class"/.test(out) ? true : undefined),
        30_000,
        `a clock-class alert (stdout: ${out.slice(-500)})`,
      );
      await c.fault('ptp-grandmaster-loss', 'off');
      await healthy('after the watched grandmaster loss');
    } finally {
      child.kill('SIGINT');
    }
    // CRITICAL alerts (FREERUN) -> exit 1, after a summary and with its subscriptions deleted
    expect(await exited).toBe(1);
    const summary = JSON.parse(out.trim().split('\n').at(-1)!) as { summary: { subscribed: string[]; events: number; alerts: number } };
    expect(summary.summary.subscribed).toEqual([c.node]);
    expect(summary.summary.events).toBeGreaterThan(0);
    const subs = JSON.parse((await c.rest('GET', '/subscriptions')).body) as { EndpointUri: string }[];
    expect(subs.filter((s) => s.EndpointUri !== c.endpoint)).toEqual([]);
  }, 120_000);

  it('event publisher off (PtpOperatorConfig ptpEventConfig.enableEventPublisher false): the publisher Service has no endpoints (503); back on, it answers', async () => {
    const patch = (on: boolean) =>
      c.kubectl([
        'patch',
        'ptpoperatorconfig',
        '-n',
        'openshift-ptp',
        'default',
        '--type',
        'merge',
        '-p',
        JSON.stringify({ spec: { ptpEventConfig: { enableEventPublisher: on } } }),
      ]);
    await patch(false);
    try {
      const r = await until(
        async () => {
          const a = await c.rest('GET', '/health');
          return a.status === 503 ? a : undefined;
        },
        20_000,
        'HTTP 503 from the service proxy',
      );
      expect(JSON.parse(r.body)).toMatchObject({ kind: 'Status', reason: 'ServiceUnavailable', code: 503 });
    } finally {
      await patch(true);
    }
    await until(async () => ((await c.rest('GET', '/health')).status === 200 ? true : undefined), 20_000, 'health OK again');
    await healthy('after the event publisher is back');
  }, 90_000);
});
