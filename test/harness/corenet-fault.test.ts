/**
 * "Fails when it should": corenet-6498 (quick, node-reboot only) against the embedded cluster, started as
 * a separate process through the CLI (never imported). With the faults off it passes (exit 0); with the
 * stale-SNAT bug (eip-stale-snat-lrp-after-failover; upstream ovn-org/ovn-kubernetes PR #5606) switched on through ConfigMap netharness/netharness-faults it fails
 * (exit 1) and the findings are in the results DB.
 */
import { describe, it, expect } from 'vitest';
import { join } from 'node:path';
import { openStore } from '../../harness/store/store.ts';
import { detachedSimFor, quickScenarioArgs, runCli, setFaults } from '../support/cli.ts';

const FAULT = 'eip-stale-snat-lrp-after-failover';

describe('corenet-6498 on the embedded cluster: fails when it should', () => {
  const sim = detachedSimFor('nh-corenet-', { speed: 30, nodes: '3+3' });
  const db = join(sim.dir, 'nh.db');
  const scenarioArgs = (): string[] =>
    quickScenarioArgs('corenet-6498', {
      kubeconfig: sim.kubeconfig(),
      db,
      json: true,
      params: { scenarios: 'node-reboot', timeoutSeconds: 20 },
    });

  it('passes with the faults off', async () => {
    const r = await runCli(scenarioArgs());
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    const s = JSON.parse(r.stdout) as { verdict: string; checks: { passed: number; failed: number } };
    expect(s.verdict).toBe('passed');
    expect(s.checks.failed).toBe(0);
  }, 240_000);

  it(`fails with ${FAULT} on: exit 1, stale SNATs of the old egress node recorded`, async () => {
    const patch = setFaults(sim.kubeconfig(), { [FAULT]: 'on' });
    expect(patch.code, patch.stderr).toBe(0);
    try {
      const r = await runCli(scenarioArgs());
      expect(r.code, r.stderr.slice(-2000)).toBe(1);
      const s = JSON.parse(r.stdout) as { runId: string; verdict: string; findings: Record<string, number> };
      expect(s.verdict).toBe('failed');
      expect(s.findings['stale-snat']).toBeGreaterThan(0);
      const store = openStore(db);
      const d = store.getRun(s.runId);
      store.close();
      expect(d.run.verdict).toBe('failed');
      const failedCheck = d.checks.find((c) => c.status === 'failed');
      expect(failedCheck?.name).toMatch(/after node-reboot #1/);
      const stale = d.findings.filter((f) => f.kind === 'stale-snat');
      expect(stale.length).toBeGreaterThan(0);
      // the SNATs stayed on the node that was rebooted (the EgressIP's old node)
      const rebooted = d.events.find((e) => e.kind === 'node-reboot')?.target;
      expect(rebooted).toBeTruthy();
      expect(stale.every((f) => f.node === rebooted)).toBe(true);
      expect(stale[0]).toMatchObject({
        egressip: expect.stringMatching(/^corenet-6498-/),
        namespace: expect.stringMatching(/^corenet-6498-/),
        pod: expect.stringMatching(/^client-/),
      });
    } finally {
      setFaults(sim.kubeconfig(), { [FAULT]: 'off' });
    }
  }, 240_000);
});
