/**
 * `netharness sim --ptp none`: PTP is off. The PTP CRDs are served (as on a cluster with the operator installed) but
 * there is no PtpOperatorConfig, no PtpConfig, no NodePtpDevice, no linuxptp-daemon DaemonSet and no pod in
 * openshift-ptp. `check ptp` has nothing to check: exit 0 (as `check egressip` with no EgressIPs) with a headline that
 * says so, not HEALTHY; `--node` naming a node without a PTP profile is a usage error (exit 2) naming the flag; a PTP
 * scenario cannot pick a target (exit 2, no PTP profile). The other modes are covered by daemon.test.ts (oc, the
 * default), bc.test.ts and dual-nic.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { detachedSimFor, kubectlFor, quickScenarioArgs, runCli } from '../support/cli.ts';

const NS = 'openshift-ptp';

describe('sim --ptp none: PTP off', () => {
  const sim = detachedSimFor('nh-sim-ptp-none-', { speed: 20, nodes: '1+1', args: ['--ptp', 'none'] });
  const kubectl = kubectlFor(sim.kubeconfig);
  const check = (...args: string[]) => runCli(['check', 'ptp', '--kubeconfig', sim.kubeconfig(), '--no-record', ...args]);

  it('no PTP operator objects, no linuxptp-daemon DaemonSet or pods; the CRDs are served', () => {
    for (const kind of ['ptpoperatorconfigs', 'ptpconfigs', 'nodeptpdevices', 'daemonsets', 'pods']) {
      const r = kubectl('get', kind, '-n', NS, '-o', 'json');
      expect(r.code, `${kind}: ${r.stderr}`).toBe(0);
      expect((JSON.parse(r.stdout) as { items: unknown[] }).items, kind).toEqual([]);
    }
    const crds = kubectl('get', 'crd', '-o', 'name');
    expect(crds.stdout).toContain('ptpconfigs.ptp.openshift.io');
    // the workers are there, the PTP part is not: no daemon pod on any node in any namespace
    const pods = JSON.parse(kubectl('get', 'pods', '-A', '-l', 'app=linuxptp-daemon', '-o', 'json').stdout) as { items: unknown[] };
    expect(pods.items).toEqual([]);
    expect(kubectl('get', 'node', 'worker-0', '-o', 'name').stdout.trim()).toBe('node/worker-0');
  });

  it('check ptp: nothing to check, exit 0, a headline that says so (human and --json)', async () => {
    const j = await check('--json');
    expect(j.code, j.stderr).toBe(0);
    const res = JSON.parse(j.stdout) as {
      passed: boolean;
      findings: unknown[];
      summary: { headline: string; counts: Record<string, number> };
    };
    expect(res.passed).toBe(true);
    expect(res.findings).toEqual([]);
    expect(res.summary.counts).toMatchObject({ nodes: 0, profiles: 0, locked_nodes: 0, unprofiled_daemon_nodes: 0 });
    expect(res.summary.headline).toMatch(/^PTP: nothing to check: no PtpConfig profile applies to any node .*PTP is off or not configured/);
    expect(res.summary.headline).not.toMatch(/HEALTHY/);
    const h = await check();
    expect(h.code, h.stderr).toBe(0);
    expect(h.stdout).toMatch(/^PTP: nothing to check/);
  }, 120_000);

  it('check ptp --node worker-0 (a node without a PTP profile): exit 2 naming --node', async () => {
    const r = await check('--node', 'worker-0');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--node worker-0: no PtpConfig profile applies to it \(status\.matchList selects no node\)/);
    expect(r.stdout).toBe('');
  }, 120_000);

  it('a PTP scenario has no target: exit 2, no PTP profile', async () => {
    const r = await runCli(quickScenarioArgs('ptp-link-down', { kubeconfig: sim.kubeconfig(), db: join(sim.dir, 'runs.db'), json: true }));
    expect(r.code, r.stderr.slice(-1500)).toBe(2);
    expect(r.stderr).toMatch(/no node has a PTP profile \(PtpConfig status\.matchList is empty\)/);
  }, 180_000);
});
