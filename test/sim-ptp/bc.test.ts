/**
 * `netharness sim --ptp bc`: the first worker is a boundary clock (slave port ens1f0 from the emulated
 * grandmaster, master port ens1f1) feeding the other workers' ordinary clocks, seen through real kubectl:
 * matchList per PtpConfig, the BC's roles and clock class 6, stepsRemoved 2 and the BC as parent in the
 * OCs' pmc datasets, `check ptp` passing; killing the BC's ptp4l makes the OCs lose their master
 * (SLAVE to LISTENING on ANNOUNCE_RECEIPT_TIMEOUT_EXPIRES) and relock once the daemon recreated it.
 * Usage errors of `--ptp` exit 2 naming the flag.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { kubectlFor, runCli, startDetachedSim, stopSim, until } from '../support/cli.ts';
import { tempDir } from '../support/tmp.ts';

const NS = 'openshift-ptp';
const DAEMON = 'linuxptp-daemon-container';

describe('sim --ptp bc: a boundary clock feeding ordinary clocks', () => {
  const dir = tempDir('nh-sim-ptp-bc-');
  const workdir = join(dir, 'sim');
  let kubeconfig = '';
  const kubectl = kubectlFor(() => kubeconfig);
  const podOn = (node: string): string => {
    const r = kubectl(
      'get',
      'pods',
      '-n',
      NS,
      '-l',
      'app=linuxptp-daemon',
      '--field-selector',
      `spec.nodeName=${node}`,
      '-o',
      'jsonpath={.items[0].metadata.name}',
    );
    return r.stdout.trim();
  };
  const sh = (node: string, ...argv: string[]) => kubectl('exec', '-n', NS, podOn(node), '-c', DAEMON, '--', ...argv);
  const metrics = (node: string) => sh(node, 'curl', '-s', 'localhost:9091/metrics').stdout;
  const locked = (node: string) => /openshift_ptp_clock_state\{iface="ens1fx",node="[^"]+",process="ptp4l"\} 1/.test(metrics(node));

  beforeAll(async () => {
    kubeconfig = startDetachedSim(workdir, { speed: 20, nodes: '1+3', args: ['--ptp', 'bc'] });
    await until('three daemon pods', () => ['worker-0', 'worker-1', 'worker-2'].every((n) => podOn(n) !== ''));
    await until('BC and OCs locked', () => ['worker-0', 'worker-1', 'worker-2'].every(locked), 90_000);
  }, 270_000);

  afterAll(() => stopSim(workdir), 90_000);

  it('--ptp with an unknown mode is a usage error naming the flag', async () => {
    const r = await runCli(['sim', '--ptp', 'tbc', '--workdir', join(dir, 'nope')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--ptp expects oc, bc, dual-nic, none, got 'tbc'");
  });

  it('matchList: bc-profile on the first worker, oc-slave on the others', () => {
    const out = kubectl(
      'get',
      'ptpconfigs',
      '-n',
      NS,
      '-o',
      'jsonpath={range .items[*]}{.metadata.name}={.status.matchList}{"\\n"}{end}',
    ).stdout;
    expect(out).toContain('bc=[{"nodeName":"worker-0","profile":"bc-profile"}]');
    expect(out).toContain('oc-behind-bc=[{"nodeName":"worker-1","profile":"oc-slave"},{"nodeName":"worker-2","profile":"oc-slave"}]');
  });

  it('the BC: slave ens1f0, master ens1f1, clock class 6, phc2sys summary lines (-u 8)', async () => {
    const t = metrics('worker-0');
    expect(t).toContain('openshift_ptp_interface_role{iface="ens1f0",node="worker-0",process="ptp4l"} 1');
    expect(t).toContain('openshift_ptp_interface_role{iface="ens1f1",node="worker-0",process="ptp4l"} 2');
    expect(t).toContain('openshift_ptp_clock_class{config="ptp4l.0.config",node="worker-0",process="ptp4l"} 6');
    expect(sh('worker-0', 'pmc', '-u', '-b', '0', 'GET DEFAULT_DATA_SET').stdout).toMatch(
      /\t\tslaveOnly +0\n[\s\S]*\t\tnumberPorts +2\n[\s\S]*\t\tclockClass +6\n/,
    );
    await until('a phc2sys summary', () =>
      /^phc2sys\[\d+\.\d{3}\]: \[ptp4l\.0\.config:6\] CLOCK_REALTIME rms +\d+ max +\d+ freq +[+-]\d+ \+\/- +\d+ delay +\d+ \+\/- +\d+$/m.test(
        kubectl('logs', '-n', NS, podOn('worker-0'), '-c', DAEMON).stdout,
      ),
    );
  });

  it("the OCs follow the BC: stepsRemoved 2, the BC's master port as parent, the GM as grandmaster", () => {
    const bcId = /\t\tclockIdentity +(\S+)\n/.exec(sh('worker-0', 'pmc', '-u', '-b', '0', 'GET DEFAULT_DATA_SET').stdout)?.[1];
    expect(bcId).toMatch(/^[0-9a-f]{6}\.fffe\.[0-9a-f]{6}$/);
    const cds = sh('worker-1', 'pmc', '-u', '-b', '0', 'GET CURRENT_DATA_SET').stdout;
    expect(cds).toMatch(/\t\tstepsRemoved +2\n/);
    const pds = sh('worker-1', 'pmc', '-u', '-b', '0', 'GET PARENT_DATA_SET').stdout;
    expect(pds).toContain(`\t\tparentPortIdentity                    ${bcId}-2\n`);
    expect(pds).toMatch(/\t\tgrandmasterIdentity +507c6f\.fffe\.1fb16c\n/);
  });

  it('check ptp --skip-sidecar passes on the BC topology', async () => {
    const c = await runCli(['check', 'ptp', '--kubeconfig', kubeconfig, '--json', '--no-record', '--skip-sidecar']);
    const res = JSON.parse(c.stdout) as { passed: boolean; findings: unknown[]; summary: { counts: Record<string, number> } };
    expect(res.findings).toEqual([]);
    expect(c.code).toBe(0);
    expect(res.summary.counts).toMatchObject({ nodes: 3, profiles: 2, locked_nodes: 3 });
  }, 60_000);

  it("killing the BC's ptp4l: the OCs lose their master and relock after the daemon recreated it", async () => {
    expect(sh('worker-0', 'pkill', 'ptp4l').code).toBe(0);
    const ocLog = () => kubectl('logs', '-n', NS, podOn('worker-1'), '-c', DAEMON).stdout;
    await until('OC announce timeout', () => ocLog().includes('port 1 (ens1f0): SLAVE to LISTENING on ANNOUNCE_RECEIPT_TIMEOUT_EXPIRES'));
    await until('BC and OCs locked again', () => ['worker-0', 'worker-1', 'worker-2'].every(locked), 60_000);
    const after = ocLog().slice(ocLog().indexOf('SLAVE to LISTENING on ANNOUNCE_RECEIPT_TIMEOUT_EXPIRES'));
    expect(after).toMatch(/LISTENING to UNCALIBRATED on RS_SLAVE[\s\S]*UNCALIBRATED to SLAVE on MASTER_CLOCK_SELECTED/);
    expect(kubectl('logs', '-n', NS, podOn('worker-0'), '-c', DAEMON).stdout).toContain('Recreating ptp4l...');
  }, 90_000);

  it('the T-BC reports its holdover drift: T-BC-STATUS s1 lines with a growing offset, clock_state{process="T-BC"} 2, the lock-state offset', async () => {
    const fault = (data: Record<string, string>) =>
      kubectl('patch', 'configmap', '-n', 'netharness', 'netharness-faults', '--type', 'merge', '-p', JSON.stringify({ data }));
    const log = () => kubectl('logs', '-n', NS, podOn('worker-0'), '-c', DAEMON).stdout;
    const status = (text: string) =>
      [...text.matchAll(/^T-BC\[\d+\]:\[ptp4l\.0\.config\] ens1f0 offset (-?\d+) T-BC-STATUS s(\d)$/gm)].map((m) => ({
        offset: Number(m[1]),
        s: Number(m[2]),
      }));
    // locked: one s2 line a second
    expect(status(log()).some((x) => x.s === 2)).toBe(true);
    // the kubelet keeps a ring of lines: read what came after the switch by time, not by offset
    const since = new Date().toISOString();
    const logSince = () => kubectl('logs', '-n', NS, podOn('worker-0'), '-c', DAEMON, '--since-time', since).stdout;
    // the grandmaster goes away and the holdover is kept (no FREERUN after holdOverTimeout), so the drift accumulates
    expect(fault({ 'ptp-holdover-stuck': 'on', 'ptp-grandmaster-loss': 'on' }).code).toBe(0);
    try {
      await until(
        'T-BC-STATUS s1 with a drift of at least 5 ns',
        () => {
          const s1 = status(logSince()).filter((x) => x.s === 1);
          return s1.length >= 3 && Math.abs(s1.at(-1)!.offset) >= 5;
        },
        60_000,
      );
      const s1 = status(logSince()).filter((x) => x.s === 1);
      // the phase error of a free-running oscillator: |offset| never shrinks while in holdover
      for (let i = 1; i < s1.length; i++) expect(Math.abs(s1[i].offset)).toBeGreaterThanOrEqual(Math.abs(s1[i - 1].offset));
      const m = metrics('worker-0');
      expect(m).toMatch(/openshift_ptp_clock_state\{iface="ens1fx",node="worker-0",process="T-BC"\} 2/);
      expect(m).toMatch(/openshift_ptp_offset_ns\{from="T-BC",iface="ens1fx",node="worker-0",process="T-BC"\} -?\d+/);
      const cs = JSON.parse(
        sh(
          'worker-0',
          'curl',
          '-s',
          'localhost:9043/api/ocloudNotifications/v2/cluster/node/worker-0/sync/ptp-status/lock-state/CurrentState',
        ).stdout,
      ) as { data: { values: { data_type: string; value: unknown }[] } };
      expect(cs.data.values.find((v) => v.data_type === 'notification')?.value).toBe('HOLDOVER');
      expect(Math.abs(Number(cs.data.values.find((v) => v.data_type === 'metric')?.value))).toBeGreaterThanOrEqual(5);
    } finally {
      fault({ 'ptp-holdover-stuck': 'off', 'ptp-grandmaster-loss': 'off' });
    }
    await until('BC and OCs locked again', () => ['worker-0', 'worker-1', 'worker-2'].every(locked), 90_000);
  }, 150_000);
});
