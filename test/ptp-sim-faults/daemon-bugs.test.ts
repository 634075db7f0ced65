/**
 * The two linuxptp-daemon bugs of the fault library (faults/ptp.ts) on the embedded cluster, each with its documented
 * symptoms in metrics, the sidecar's CurrentState, the daemon log and `check ptp`, and healed when switched off:
 *  - ptp-holdover-stuck: the clock state stays HOLDOVER after the slave port is back (and never goes FREERUN);
 *  - ptp-stale-profile: a PtpConfig edit is not applied (old config file, old processes) until switched off.
 * Driven the way a user would: `ip link set` in a debug pod, a PtpConfig patch, the fault switch ConfigMap.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import { PtpSimCluster, sleep, until } from './ptp-sim.ts';
import type { PtpMetrics } from '../../harness/ptp/metrics.ts';

const SPEED = 10;
const c = new PtpSimCluster({ nodes: '1+1', speed: SPEED });
const role = (m: PtpMetrics) => m.roles.find((r) => r.process === 'ptp4l' && r.iface === c.iface)?.role;
const state = (m: PtpMetrics, p = 'ptp4l') => m.clockStates.find((s) => s.process === p)?.state;
const lockState = async () => (await c.currentState('sync/ptp-status/lock-state')).value;

async function healthy(what: string): Promise<void> {
  await until(
    async () => {
      const m = await c.metrics();
      if (role(m) !== 'SLAVE' || state(m) !== 'LOCKED' || state(m, 'phc2sys') !== 'LOCKED') return undefined;
      return (await lockState()) === 'LOCKED' ? true : undefined;
    },
    60_000,
    `${c.node} ${what}: ${c.iface} SLAVE, LOCKED, lock-state LOCKED`,
  );
}

/**
 * The daemon log's lines after `mark` (c.logMark(), a time: the kubelet keeps a ring of lines, so a line count is no
 * mark; kubectl sends --since-time in whole seconds, c.logsSince drops the lines of that second before the mark).
 */
async function logsSince(mark: string): Promise<string[]> {
  return (await c.logsSince(mark)).map((l) => l.raw);
}

async function checkPtp(): Promise<{ code: number; findings: { kind: string; node: string; labels?: Record<string, string> }[] }> {
  const r = await runCli(['check', 'ptp', '--kubeconfig', c.kubeconfig, '--json', '--no-record']);
  if (!r.stdout.trim()) throw new Error(`check ptp printed nothing (exit ${r.code}): ${r.stderr.slice(-1500)}`);
  return { code: r.code ?? -1, findings: (JSON.parse(r.stdout) as { findings: { kind: string; node: string }[] }).findings };
}

/** `check ptp` fails (exit 1) with a finding of `kind` on the node, with these labels among its own. */
async function expectFinding(kind: string, labels: Record<string, string>): Promise<void> {
  const chk = await checkPtp();
  expect(chk.code).toBe(1);
  expect(chk.findings).toContainEqual(expect.objectContaining({ kind, node: c.node, labels: expect.objectContaining(labels) }));
}

describe.sequential('linuxptp-daemon bugs of the fault library on the embedded cluster', () => {
  let original = '';
  beforeAll(async () => {
    await c.start();
    await healthy('baseline');
    original = await c.kubectl(['get', 'ptpconfig', '-n', 'openshift-ptp', c.ptpConfig, '-o', 'json']);
  }, 240_000);
  afterAll(async () => {
    await c.stop();
  }, 60_000);
  afterEach(async () => {
    for (const id of ['ptp-holdover-stuck', 'ptp-stale-profile']) await c.fault(id, 'off');
    await c.restoreProfiles(original);
    await c.pickTarget();
    await c.onNode(`ip link set ${c.iface} up`);
  }, 90_000);

  it('ptp-holdover-stuck: after link down the clock stays HOLDOVER past holdOverTimeout and after the port re-locks; heals when switched off', async () => {
    await c.fault('ptp-holdover-stuck', 'on');
    await c.onNode(`ip link set ${c.iface} down`);
    await c.waitMetrics((m) => role(m) === 'FAULTY' && state(m) === 'HOLDOVER', 'FAULTY and HOLDOVER');
    // holdOverTimeout is 5 s (0.5 s at speed 10): well past it, still HOLDOVER, never FREERUN
    await sleep(3000);
    expect(state(await c.metrics())).toBe('HOLDOVER');
    expect(await lockState()).toBe('HOLDOVER');
    await c.onNode(`ip link set ${c.iface} up`);
    // the port re-locks (SLAVE, offsets in range) but the clock state does not follow
    await c.waitMetrics((x) => role(x) === 'SLAVE', `${c.iface} SLAVE again`);
    await sleep(2000);
    const after = await c.metrics();
    expect(role(after)).toBe('SLAVE');
    expect(state(after)).toBe('HOLDOVER');
    const off = after.offsets.find((o) => o.process === 'ptp4l');
    expect(Math.abs(off?.offsetNs ?? 1e9)).toBeLessThan(100);
    expect(await lockState()).toBe('HOLDOVER');
    await expectFinding('clock-not-locked', { profile: c.profile, process: 'ptp4l' });
    await c.fault('ptp-holdover-stuck', 'off');
    await healthy('after ptp-holdover-stuck is switched off');
  }, 150_000);

  it('ptp-stale-profile: a PtpConfig edit is not applied (old config file, old processes, check ptp names the gap); applied when switched off', async () => {
    await c.fault('ptp-stale-profile', 'on');
    const before = await c.configFile();
    const since = await c.logMark();
    const orig = JSON.parse(original) as { spec: { profile: Record<string, unknown>[] } };
    // the profile moves to the second NIC (ens2f0, fed by the grandmaster too)
    const edited = orig.spec.profile.map((p) =>
      p.name === c.profile
        ? {
            ...p,
            interface: 'ens2f0',
            ...(typeof p.ptp4lConf === 'string' ? { ptp4lConf: p.ptp4lConf.replaceAll(`[${c.iface}]`, '[ens2f0]') } : {}),
          }
        : p,
    );
    await c.kubectl([
      'patch',
      'ptpconfig',
      '-n',
      'openshift-ptp',
      c.ptpConfig,
      '--type',
      'merge',
      '-p',
      JSON.stringify({ spec: { profile: edited } }),
    ]);
    await sleep(3000);
    // the API says the new profile, the daemon still runs the old one
    const cfg = JSON.parse(await c.kubectl(['get', 'ptpconfig', '-n', 'openshift-ptp', c.ptpConfig, '-o', 'json'])) as {
      spec: { profile: { name: string; interface?: string }[] };
    };
    expect(cfg.spec.profile.find((p) => p.name === c.profile)?.interface).toBe('ens2f0');
    const now = await c.configFile();
    expect(now).toBe(before);
    expect(now).toContain(`[${c.iface}]`);
    const quiet = await logsSince(since);
    expect(quiet.some((l) => / master offset /.test(l))).toBe(true); // the log goes on ...
    expect(quiet.filter((l) => /in applyNodePTPProfiles|Profile Name:/.test(l))).toEqual([]); // ... without the profile applied
    expect(role(await c.metrics())).toBe('SLAVE');
    await expectFinding('role-missing', { profile: c.profile, iface: 'ens2f0' });
    // switched off: the daemon applies the profile it has now
    await c.fault('ptp-stale-profile', 'off');
    await until(
      async () => ((await c.configFile()).includes('[ens2f0]') ? true : undefined),
      30_000,
      'the new profile applied (ens2f0 in ptp4l.0.config)',
    );
    expect((await logsSince(since)).some((l) => new RegExp(`Profile Name: ${c.profile}`).test(l))).toBe(true);
    await c.waitMetrics(
      (m) => m.roles.some((r) => r.iface === 'ens2f0' && r.role === 'SLAVE') && state(m) === 'LOCKED',
      'ens2f0 SLAVE, LOCKED',
    );
  }, 150_000);
});
