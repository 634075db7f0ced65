/**
 * node-reboot and ovn-pod-restart on the embedded cluster, run through the CLI as separate processes
 * against one detached sim (never imported): they pass with the fault library off, and fail (exit 1,
 * findings in the results DB) with the matching bug on: eip-stale-snat-lrp-after-failover for a
 * reboot of the egress node, eip-valid-nexthops-removed-at-startup for an ovnkube-controller restart
 * on a pod node. The chaos actions are recorded as events (node-reboot, chaos-inject, chaos-recover).
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { detachedSimFor, quickScenarioArgs, runCli } from '../support/cli.ts';
import { readRun } from '../support/runs.ts';

interface Summary {
  runId: string;
  verdict: string;
  checks: { passed: number; failed: number };
  findings: Record<string, number>;
}

describe('chaos scenarios on the embedded cluster', () => {
  const sim = detachedSimFor('nh-chaos-scn-', { speed: 20, nodes: '3+3' });
  const db = join(sim.dir, 'nh.db');

  const run = async (name: string, params: Record<string, string | number>, want: number): Promise<Summary> => {
    const r = await runCli(
      quickScenarioArgs(name, {
        kubeconfig: sim.kubeconfig(),
        db,
        json: true,
        params,
      }),
    );
    expect(r.code, r.stderr.slice(-3000)).toBe(want);
    return JSON.parse(r.stdout) as Summary;
  };

  it('node-reboot passes: failover and convergence measured, reboot recorded', async () => {
    const s = await run('node-reboot', { timeoutSeconds: 30 }, 0);
    expect(s.verdict).toBe('passed');
    const d = readRun(db, s.runId);
    const names = new Set(d.measurements.map((m) => m.name));
    for (const n of ['failover_seconds', 'node_notready_seconds', 'node_reboot_seconds', 'convergence_seconds'])
      expect(names, n).toContain(n);
    expect(d.checks.map((c) => c.name)).toEqual(
      expect.arrayContaining([expect.stringMatching(/failed over/), 'egressip consistent after reboot #1']),
    );
    const reboot = d.events.filter((e) => e.kind === 'node-reboot');
    expect(reboot.length).toBe(2);
    expect(reboot[1].details).toMatchObject({ phase: 'done', action: 'reboot' });
  }, 240_000);

  it('ovn-pod-restart (PodChaos pod-kill) passes, the chaos is recorded', async () => {
    const s = await run('ovn-pod-restart', { timeoutSeconds: 30 }, 0);
    expect(s.verdict).toBe('passed');
    const d = readRun(db, s.runId);
    expect(d.events.map((e) => e.kind)).toEqual(expect.arrayContaining(['chaos-inject', 'chaos-recover']));
    const inj = d.events.find((e) => e.kind === 'chaos-inject');
    expect(inj?.details).toMatchObject({ chaosKind: 'PodChaos', action: 'pod-kill' });
    expect(String(inj?.target)).toMatch(/^openshift-ovn-kubernetes\/ovnkube-node-/);
    expect(d.measurements.map((m) => m.name)).toEqual(expect.arrayContaining(['ovnkube_restart_seconds', 'resync_seconds']));
  }, 240_000);

  it('ovn-pod-restart (container-kill of ovnkube-controller) passes', async () => {
    const s = await run('ovn-pod-restart', { method: 'container-kill', timeoutSeconds: 30 }, 0);
    expect(s.verdict).toBe('passed');
  }, 240_000);

  it('node-reboot action=crash passes; an unknown node is a usage error (exit 2)', async () => {
    const s = await run('node-reboot', { action: 'crash', timeoutSeconds: 30 }, 0);
    expect(s.verdict).toBe('passed');
    const r = await runCli(quickScenarioArgs('node-reboot', { kubeconfig: sim.kubeconfig(), db, params: { node: 'worker-9' } }));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--param node=worker-9: no such node/);
  }, 240_000);

  it('node-reboot fails with eip-stale-snat-lrp-after-failover on', async () => {
    const s = await run('node-reboot', { fault: 'eip-stale-snat-lrp-after-failover', timeoutSeconds: 15 }, 1);
    expect(s.verdict).toBe('failed');
    expect(s.findings['stale-snat']).toBeGreaterThan(0);
  }, 240_000);

  it('ovn-pod-restart fails with eip-valid-nexthops-removed-at-startup on', async () => {
    const s = await run('ovn-pod-restart', { fault: 'eip-valid-nexthops-removed-at-startup', timeoutSeconds: 15 }, 1);
    expect(s.verdict).toBe('failed');
    expect(s.findings['missing-lrp']).toBeGreaterThan(0);
  }, 240_000);
});
