/**
 * The embedded cluster's PTP stack (default `--ptp oc`) through real kubectl and the netharness CLI only:
 * the operator's objects (PtpConfig matchList, PtpOperatorConfig, NodePtpDevices), the linuxptp-daemon
 * container's log, `curl -s localhost:9091/metrics`, `pmc -u -b 0 'GET ...'`, the config file; then
 * `check ptp` and `ptp analyze-log` on what the sim shows, and the event-publisher flag switching the
 * metrics encoding. One cluster (1 control-plane + 2 workers, speed 20) for the whole file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kubectlFor, runCli, startDetachedSim, stopSim, until } from '../support/cli.ts';
import { tempDir } from '../support/tmp.ts';

const NS = 'openshift-ptp';
const DAEMON = 'linuxptp-daemon-container';

describe('sim PTP (oc): kubectl against the emulated linuxptp-daemon', () => {
  const dir = tempDir('nh-sim-ptp-');
  const workdir = join(dir, 'sim');
  let kubeconfig = '';
  const kubectl = kubectlFor(() => kubeconfig);
  const pods = (): { name: string; node: string }[] => {
    const r = kubectl('get', 'pods', '-n', NS, '-l', 'app=linuxptp-daemon', '-o', 'json');
    const items = (JSON.parse(r.stdout) as { items: { metadata: { name: string }; spec: { nodeName: string } }[] }).items;
    return items.map((p) => ({ name: p.metadata.name, node: p.spec.nodeName })).sort((a, b) => a.node.localeCompare(b.node));
  };
  const metrics = (pod: string) => kubectl('exec', '-n', NS, pod, '-c', DAEMON, '--', 'curl', '-s', 'localhost:9091/metrics');

  beforeAll(async () => {
    kubeconfig = startDetachedSim(workdir, { speed: 20, nodes: '1+2' });
    await until('two Running daemon pods', () => {
      const r = kubectl('get', 'pods', '-n', NS, '-l', 'app=linuxptp-daemon', '-o', 'jsonpath={.items[*].status.phase}');
      return r.stdout.split(' ').filter((p) => p === 'Running').length === 2;
    });
    // locked: the ptp4l clock_state of every daemon is 1
    await until('both ordinary clocks LOCKED', () =>
      pods().every((p) => /openshift_ptp_clock_state\{iface="ens1fx",node="[^"]+",process="ptp4l"\} 1/.test(metrics(p.name).stdout)),
    );
  }, 240_000);

  afterAll(() => stopSim(workdir), 90_000);

  it('PtpConfig status.matchList, PtpOperatorConfig default, a NodePtpDevice per node', () => {
    const cfg = JSON.parse(kubectl('get', 'ptpconfigs', '-n', NS, '-o', 'json').stdout) as {
      items: {
        metadata: { name: string };
        spec: { profile: { name: string }[] };
        status: { matchList: { nodeName: string; profile: string }[] };
      }[];
    };
    expect(cfg.items.map((c) => c.metadata.name)).toEqual(['oc-workers']);
    expect(cfg.items[0].status.matchList).toEqual([
      { nodeName: 'worker-0', profile: 'oc-slave' },
      { nodeName: 'worker-1', profile: 'oc-slave' },
    ]);
    const op = JSON.parse(kubectl('get', 'ptpoperatorconfigs', 'default', '-n', NS, '-o', 'json').stdout) as {
      spec: { daemonNodeSelector: Record<string, string>; ptpEventConfig: { enableEventPublisher: boolean; apiVersion: string } };
    };
    expect(op.spec.ptpEventConfig).toMatchObject({ enableEventPublisher: true, apiVersion: '2.0' });
    expect(op.spec.daemonNodeSelector).toEqual({ 'node-role.kubernetes.io/worker': '' });
    const devs = JSON.parse(kubectl('get', 'nodeptpdevices', '-n', NS, '-o', 'json').stdout) as {
      items: { metadata: { name: string }; status: { devices: { name: string; hardwareInfo: { vendorID: string } }[] } }[];
    };
    expect(devs.items.map((d) => d.metadata.name).sort()).toEqual(['master-0', 'worker-0', 'worker-1']);
    expect(devs.items[0].status.devices.map((d) => d.name)).toContain('ens1f0');
    expect(devs.items[0].status.devices[0].hardwareInfo.vendorID).toBe('8086');
    const ds = JSON.parse(kubectl('get', 'daemonset', 'linuxptp-daemon', '-n', NS, '-o', 'json').stdout) as {
      spec: { template: { spec: { containers: { name: string }[] } } };
    };
    expect(ds.spec.template.spec.containers.map((c) => c.name)).toEqual([DAEMON, 'cloud-event-proxy', 'kube-rbac-proxy']);
  });

  it('kubectl logs of the daemon container: klog lines, tagged ptp4l/phc2sys lines, the lock sequence', () => {
    const p = pods()[0];
    const r = kubectl('logs', '-n', NS, p.name, '-c', DAEMON);
    expect(r.code).toBe(0);
    const log = r.stdout;
    expect(log).toMatch(/^I\d{4} \d\d:\d\d:\d\d\.\d{6}\s+\d+ daemon\.go:\d+\] Profile Name: oc-slave$/m);
    expect(log).toMatch(/daemon\.go:\d+\] ptp4l\[\d+\]:\[ptp4l\.0\.config\] PTP_PROCESS_STATUS:1$/m);
    expect(log).toMatch(/^ptp4l\[\d+\.\d{3}\]: \[ptp4l\.0\.config:5\] port 1 \(ens1f0\): INITIALIZING to LISTENING on INIT_COMPLETE$/m);
    expect(log).toMatch(/^ptp4l\[\d+\.\d{3}\]: \[ptp4l\.0\.config:5\] port 1 \(ens1f0\): LISTENING to UNCALIBRATED on RS_SLAVE$/m);
    expect(log).toMatch(/^ptp4l\[\d+\.\d{3}\]: \[ptp4l\.0\.config:5\] port 1 \(ens1f0\): UNCALIBRATED to SLAVE on MASTER_CLOCK_SELECTED$/m);
    expect(log).toMatch(/^ptp4l\[\d+\.\d{3}\]: \[ptp4l\.0\.config:6\] master offset +-?\d+ s2 freq +[+-]\d+ path delay +\d+$/m);
    expect(log).toMatch(/^phc2sys\[\d+\.\d{3}\]: \[ptp4l\.0\.config:6\] CLOCK_REALTIME phc offset +-?\d+ s2 freq +[+-]\d+ delay +\d+$/m);
    expect(log).not.toMatch(/FAULTY|Recreating/);
    // the order of a real lock: s0, s1, then s2 and SLAVE
    const lines = log.split('\n');
    const i0 = lines.findIndex((l) => / s0 freq/.test(l) && l.startsWith('ptp4l'));
    const iSlave = lines.findIndex((l) => l.includes('UNCALIBRATED to SLAVE'));
    expect(i0).toBeGreaterThan(0);
    expect(iSlave).toBeGreaterThan(i0);
    // --tail and --timestamps are served by the kubelet's log store
    const tail = kubectl('logs', '-n', NS, p.name, '-c', DAEMON, '--tail', '3', '--timestamps');
    expect(tail.stdout.trim().split('\n')).toHaveLength(3);
    expect(tail.stdout).toMatch(/^\d{4}-\d\d-\d\dT\S+Z (ptp4l|phc2sys)\[/m);
  });

  it('kubectl exec curl -s localhost:9091/metrics: openshift_ptp_* in the cloud-event-proxy encoding', () => {
    const p = pods()[1];
    const r = metrics(p.name);
    expect(r.code).toBe(0);
    const t = r.stdout;
    const node = p.node;
    expect(t).toContain(`openshift_ptp_interface_role{iface="ens1f0",node="${node}",process="ptp4l"} 1`);
    expect(t).toContain(`openshift_ptp_process_status{config="ptp4l.0.config",node="${node}",process="ptp4l"} 1`);
    expect(t).toContain(`openshift_ptp_process_status{config="ptp4l.0.config",node="${node}",process="phc2sys"} 1`);
    // the daemon reports PARENT_DATA_SET gm.ClockClass: the class-6 grandmaster's while the OC follows it (linuxptp-daemon updateClockClass)
    expect(t).toContain(`openshift_ptp_clock_class{config="ptp4l.0.config",node="${node}",process="ptp4l"} 6`);
    expect(t).toContain(`openshift_ptp_threshold{node="${node}",profile="oc-slave",threshold="MaxOffsetThreshold"} 100`);
    expect(t).toMatch(/^# TYPE openshift_ptp_offset_ns gauge$/m);
    const off = /openshift_ptp_offset_ns\{from="master",iface="ens1fx",node="[^"]+",process="ptp4l"\} (-?\d+)/.exec(t);
    expect(off).not.toBeNull();
    expect(Math.abs(Number(off![1]))).toBeLessThan(100);
    // a port nothing listens on, and a wrong path
    const other = kubectl('exec', '-n', NS, p.name, '-c', DAEMON, '--', 'curl', '-sS', 'localhost:9999/x');
    expect(other.code).toBe(7);
    expect(other.stderr).toContain('Failed to connect to localhost port 9999');
    expect(kubectl('exec', '-n', NS, p.name, '-c', DAEMON, '--', 'curl', '-s', 'localhost:9091/nope').stdout).toBe('404 page not found\n');
  });

  it("kubectl exec pmc -u -b 0 'GET ...': pmc's format answered from the emulated ptp4l", () => {
    const p = pods()[0];
    const pmc = (...cmd: string[]) => {
      const r = kubectl('exec', '-n', NS, p.name, '-c', DAEMON, '--', 'pmc', '-u', '-b', '0', '-f', '/var/run/ptp4l.0.config', ...cmd);
      if (r.code !== 0) throw new Error(`pmc ${cmd.join(' ')}: exit ${r.code}: ${r.stderr}`);
      return r;
    };
    const cds = pmc('GET CURRENT_DATA_SET');
    expect(cds.code).toBe(0);
    expect(cds.stdout).toMatch(
      /^sending: GET CURRENT_DATA_SET\n\t[0-9a-f]{6}\.fffe\.[0-9a-f]{6}-0 seq 0 RESPONSE MANAGEMENT CURRENT_DATA_SET \n\t\tstepsRemoved {5}1\n\t\toffsetFromMaster -?\d+\.0\n\t\tmeanPathDelay {4}\d+\.0\n$/,
    );
    const pds = pmc('GET PARENT_DATA_SET').stdout;
    expect(pds).toMatch(/\t\tgm\.ClockClass +6\n/);
    expect(pds).toMatch(/\t\tgrandmasterIdentity +507c6f\.fffe\.1fb16c\n/);
    const port = pmc('GET PORT_DATA_SET').stdout;
    expect(port).toMatch(/\t\tportState +SLAVE\n/);
    expect(pmc('GET TIME_STATUS_NP').stdout).toMatch(/\t\tgmPresent +true\n/);
    expect(pmc('GET DEFAULT_DATA_SET').stdout).toMatch(/\t\tslaveOnly +1\n[\s\S]*\t\tclockClass +255\n/);
    // several commands in one pmc call: every response arrives (the exec stream is flushed before the status)
    const two = pmc('GET PARENT_DATA_SET', 'GET PORT_DATA_SET', 'GET TIME_PROPERTIES_DATA_SET');
    expect(two.stdout.match(/^sending: GET \w+$/gm)).toEqual([
      'sending: GET PARENT_DATA_SET',
      'sending: GET PORT_DATA_SET',
      'sending: GET TIME_PROPERTIES_DATA_SET',
    ]);
    expect(two.stdout).toContain('RESPONSE MANAGEMENT TIME_PROPERTIES_DATA_SET');
    // inside the image's shell, with a pipe
    const sh = kubectl(
      'exec',
      '-n',
      NS,
      p.name,
      '-c',
      DAEMON,
      '--',
      'sh',
      '-c',
      "echo start; pmc -u -b 0 'GET CURRENT' | tail -n 1; echo end",
    );
    expect(sh.stdout).toMatch(/^start\n\t\tmeanPathDelay +\d+\.0\nend\n$/);
    const bad = pmc('GET NO_SUCH_DATASET');
    expect(bad.stderr).toContain('unknown management id NO_SUCH_DATASET');
    const badOpt = kubectl('exec', '-n', NS, p.name, '-c', DAEMON, '--', 'pmc', '-Q');
    expect(badOpt.code).not.toBe(0);
  });

  it('cat /var/run/ptp4l.0.config: the config the daemon wrote (message_tag, uds_address, the interface section)', () => {
    const p = pods()[0];
    const r = kubectl('exec', '-n', NS, p.name, '-c', DAEMON, '--', 'cat', '/var/run/ptp4l.0.config');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\[global\]$/m);
    expect(r.stdout).toContain('message_tag [ptp4l.0.config:{level}]');
    expect(r.stdout).toContain('uds_address /var/run/ptp4l.0.socket');
    expect(r.stdout).toMatch(/^\[ens1f0\]\nmasterOnly 0$/m);
    expect(kubectl('exec', '-n', NS, p.name, '-c', DAEMON, '--', 'cat', '/var/run/ptp4l.1.config').code).not.toBe(0);
  });

  it('netharness check ptp passes (metrics and the sidecar CurrentState agree); ptp analyze-log on the daemon log says HEALTHY', async () => {
    const c = await runCli(['check', 'ptp', '--kubeconfig', kubeconfig, '--json', '--no-record']);
    expect(c.stderr).toBe('');
    const res = JSON.parse(c.stdout) as { passed: boolean; findings: unknown[]; summary: { counts: Record<string, number> } };
    expect(res.findings).toEqual([]);
    expect(res.passed).toBe(true);
    expect(c.code).toBe(0);
    expect(res.summary.counts).toMatchObject({ nodes: 2, locked_nodes: 2 });
    const p = pods()[0];
    const logFile = join(dir, 'daemon.log');
    writeFileSync(logFile, kubectl('logs', '-n', NS, p.name, '-c', DAEMON).stdout);
    const a = await runCli(['ptp', 'analyze-log', logFile, '--json']);
    expect(a.code).toBe(0);
    const an = JSON.parse(a.stdout) as {
      health: string;
      unparsable: number;
      counts: Record<string, number>;
      offsets: { process: string; samples: number }[];
    };
    expect(an.health).toBe('HEALTHY');
    expect(an.unparsable).toBe(0);
    expect(an.counts.SLAVE).toBe(1);
    expect(an.offsets.map((o) => o.process).sort()).toEqual(['phc2sys', 'ptp4l']);
  }, 60_000);

  it('pkill ptp4l in the daemon container: PTP_PROCESS_STATUS:0, Recreating ptp4l..., restart count 1, relock; analyze-log counts it', async () => {
    const p = pods()[1];
    const k = kubectl('exec', '-n', NS, p.name, '-c', DAEMON, '--', 'pkill', '-TERM', 'ptp4l');
    expect(k.code).toBe(0);
    expect(kubectl('exec', '-n', NS, p.name, '-c', DAEMON, '--', 'pkill', 'chronyd').code).toBe(1);
    await until('ptp4l recreated and locked again', () => {
      const t = metrics(p.name).stdout;
      return (
        t.includes(`openshift_ptp_process_restart_count{config="ptp4l.0.config",node="${p.node}",process="ptp4l"} 1`) &&
        /openshift_ptp_clock_state\{iface="ens1fx",node="[^"]+",process="ptp4l"\} 1/.test(t)
      );
    });
    const log = kubectl('logs', '-n', NS, p.name, '-c', DAEMON).stdout;
    expect(log).toMatch(/daemon\.go:\d+\] ptp4l\[\d+\]:\[ptp4l\.0\.config\] PTP_PROCESS_STATUS:0$/m);
    expect(log).toMatch(/daemon\.go:\d+\] Recreating ptp4l\.\.\.$/m);
    const after = log.slice(log.indexOf('Recreating ptp4l...'));
    expect(after).toMatch(
      /port 1 \(ens1f0\): INITIALIZING to LISTENING on INIT_COMPLETE[\s\S]*UNCALIBRATED to SLAVE on MASTER_CLOCK_SELECTED/,
    );
    const logFile = join(dir, 'killed.log');
    writeFileSync(logFile, log);
    const a = await runCli(['ptp', 'analyze-log', logFile, '--json']);
    const an = JSON.parse(a.stdout) as { health: string; faultCounts: Record<string, number> };
    expect(an.faultCounts['process-restart']).toBe(2);
    expect(an.health).toBe('MINOR');
    expect(kubectl('exec', '-n', NS, p.name, '-c', DAEMON, '--', 'ps').stdout).toMatch(
      /\/usr\/sbin\/ptp4l -f \/var\/run\/ptp4l\.0\.config/,
    );
  }, 90_000);

  it('editing the PtpConfig re-applies the profile on the nodes (new phc2sys options in the daemon log)', async () => {
    const r = kubectl(
      'patch',
      'ptpconfig',
      'oc-workers',
      '-n',
      NS,
      '--type',
      'json',
      '-p',
      '[{"op":"replace","path":"/spec/profile/0/phc2sysOpts","value":"-a -r -n 24 -u 4"}]',
    );
    expect(r.code).toBe(0);
    const p = pods()[0];
    const logs = () => kubectl('logs', '-n', NS, p.name, '-c', DAEMON).stdout;
    await until('re-applied', () => logs().includes('phc2sys cmd: /bin/chrt -f 10 /usr/sbin/phc2sys -a -r -n 24 -u 4 '));
    expect(logs().match(/in applyNodePTPProfiles/g)).toHaveLength(2);
    await until('phc2sys summary lines', () =>
      /CLOCK_REALTIME rms +\d+ max +\d+ freq +[+-]\d+ \+\/- +\d+ delay +\d+ \+\/- +\d+$/m.test(logs()),
    );
  }, 60_000);

  it('enableEventPublisher false: the daemon encoding (no thresholds, clock_class without config) and check ptp passes', async () => {
    const patch = kubectl(
      'patch',
      'ptpoperatorconfig',
      'default',
      '-n',
      NS,
      '--type',
      'merge',
      '-p',
      '{"spec":{"ptpEventConfig":{"enableEventPublisher":false}}}',
    );
    expect(patch.code).toBe(0);
    const p = pods()[0];
    await until('daemon encoding', () => !metrics(p.name).stdout.includes('openshift_ptp_threshold'), 20_000);
    expect(metrics(p.name).stdout).toMatch(new RegExp(`openshift_ptp_clock_class\\{node="${p.node}",process="ptp4l"\\} 6`));
    const c = await runCli(['check', 'ptp', '--kubeconfig', kubeconfig, '--json', '--no-record']);
    const res = JSON.parse(c.stdout) as { passed: boolean; findings: unknown[]; summary: { headline: string } };
    expect(res.findings).toEqual([]);
    expect(res.summary.headline).toContain('event publisher off');
    expect(c.code).toBe(0);
  }, 60_000);
});
