/**
 * `netharness sim --ptp dual-nic`: two ordinary clocks per worker, one per NIC (PtpConfigs dual-nic-ens1f0 with
 * phc2sys and dual-nic-ens2f0 without, printing ptp4l summary lines because its summary_interval exceeds
 * logSyncInterval), seen through real kubectl: both matchLists, two configs in the container, pmc per
 * instance (-f /var/run/ptp4l.N.config), per-config metrics, `check ptp` passing. 1 control-plane + 1 worker.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { kubectlFor, runCli, startDetachedSim, stopSim, until } from '../support/cli.ts';
import { tempDir } from '../support/tmp.ts';

const NS = 'openshift-ptp';
const DAEMON = 'linuxptp-daemon-container';

describe('sim --ptp dual-nic: two ordinary clocks per worker', () => {
  const dir = tempDir('nh-sim-ptp-dn-');
  const workdir = join(dir, 'sim');
  let kubeconfig = '';
  let pod = '';
  const kubectl = kubectlFor(() => kubeconfig);
  const sh = (...argv: string[]) => kubectl('exec', '-n', NS, pod, '-c', DAEMON, '--', ...argv);

  beforeAll(async () => {
    kubeconfig = startDetachedSim(workdir, { speed: 20, nodes: '1+1', args: ['--ptp', 'dual-nic'] });
    await until(
      'the daemon pod',
      () => (pod = kubectl('get', 'pods', '-n', NS, '-o', 'jsonpath={.items[0].metadata.name}').stdout.trim()) !== '',
    );
    await until('both clocks LOCKED', () => {
      const t = sh('curl', '-s', 'localhost:9091/metrics').stdout;
      return ['ens1fx', 'ens2fx'].every((i) => t.includes(`openshift_ptp_clock_state{iface="${i}",node="worker-0",process="ptp4l"} 1`));
    });
  }, 240_000);

  afterAll(() => stopSim(workdir), 90_000);

  it('one profile per PtpConfig on the worker; two configs written; pmc answers per instance', () => {
    const out = kubectl(
      'get',
      'ptpconfigs',
      '-n',
      NS,
      '-o',
      'jsonpath={range .items[*]}{.metadata.name}={.status.matchList}{"\\n"}{end}',
    ).stdout;
    expect(out).toContain('dual-nic-ens1f0=[{"nodeName":"worker-0","profile":"dual-nic-0"}]');
    expect(out).toContain('dual-nic-ens2f0=[{"nodeName":"worker-0","profile":"dual-nic-1"}]');
    expect(sh('cat', '/var/run/ptp4l.1.config').stdout).toMatch(/^message_tag \[ptp4l\.1\.config:\{level\}\]$[\s\S]*^\[ens2f0\]$/m);
    const port1 = sh('pmc', '-u', '-b', '0', '-f', '/var/run/ptp4l.1.config', 'GET PORT_PROPERTIES_NP').stdout;
    expect(port1).toMatch(/\t\tportState +SLAVE\n\t\ttimestamping +HARDWARE\n\t\tinterface +ens2f0\n/);
    const port0 = sh('pmc', '-u', '-b', '0', '-f', '/var/run/ptp4l.0.config', 'GET PORT_PROPERTIES_NP').stdout;
    expect(port0).toMatch(/\t\tinterface +ens1f0\n/);
  });

  it('metrics per config: ptp4l for both, phc2sys only for the first; summary lines for the second', async () => {
    const t = sh('curl', '-s', 'localhost:9091/metrics').stdout;
    expect(t).toContain('openshift_ptp_process_status{config="ptp4l.0.config",node="worker-0",process="ptp4l"} 1');
    expect(t).toContain('openshift_ptp_process_status{config="ptp4l.1.config",node="worker-0",process="ptp4l"} 1');
    expect(t).toContain('openshift_ptp_process_status{config="ptp4l.0.config",node="worker-0",process="phc2sys"} 1');
    expect(t).not.toContain('openshift_ptp_process_status{config="ptp4l.1.config",node="worker-0",process="phc2sys"}');
    await until('a ptp4l.1 summary line', () =>
      /^ptp4l\[\d+\.\d{3}\]: \[ptp4l\.1\.config:6\] rms +\d+ max +\d+ freq +[+-]\d+ \+\/- +\d+ delay +\d+ \+\/- +\d+$/m.test(
        kubectl('logs', '-n', NS, pod, '-c', DAEMON).stdout,
      ),
    );
    const log = kubectl('logs', '-n', NS, pod, '-c', DAEMON).stdout;
    expect(log).toMatch(/^ptp4l\[\d+\.\d{3}\]: \[ptp4l\.0\.config:6\] master offset +-?\d+ s2 /m);
    expect(log).not.toMatch(/\[ptp4l\.1\.config:6\] master offset +-?\d+ s2 /);
  });

  it('check ptp passes with two profiles on the node', async () => {
    const c = await runCli(['check', 'ptp', '--kubeconfig', kubeconfig, '--json', '--no-record']);
    const res = JSON.parse(c.stdout) as { passed: boolean; findings: unknown[]; summary: { counts: Record<string, number> } };
    expect(res.findings).toEqual([]);
    expect(c.code).toBe(0);
    expect(res.summary.counts).toMatchObject({ nodes: 1, profiles: 2 });
  }, 60_000);
});
