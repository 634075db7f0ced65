/**
 * The five PTP scenarios through the CLI (`netharness scenario <name> --quick --kubeconfig <sim>`), against one
 * embedded cluster started with `netharness sim --detach`: each passes (exit 0) on the healthy cluster and exits 1
 * with its matching fault of the fault library on (--param fault=<id>), and the cluster is healthy again after.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startDetachedSim, stopSim } from '../support/cli.ts';

const SPEED = 20;
/** scenario -> the fault that must make it fail, and why */
const MATCHING: [string, string, RegExp][] = [
  // the clock stays in HOLDOVER after the grandmaster is back: no re-lock (the baseline still locks: the fault goes on after it)
  ['ptp-gm-loss', 'ptp-holdover-stuck', /ptp-not-relocked/],
  // the port loses carrier again after link up: no recovery
  ['ptp-link-down', 'ptp-port-stays-faulty', /recovered|back to SLAVE|lock-state LOCKED after recovery/],
  // ptp4l is not recreated after the kill
  ['ptp-process-kill', 'ptp-process-no-restart', /recovered|back to SLAVE|lock-state LOCKED after recovery/],
  ['ptp-holdover', 'ptp-port-stays-faulty', /recovered|back to SLAVE|lock-state LOCKED after recovery/],
  // the restored profile's ptp4l is not brought back
  ['ptp-config-error', 'ptp-process-no-restart', /recovered|back to SLAVE|lock-state LOCKED after recovery/],
];

describe.sequential('PTP scenarios on the embedded cluster', () => {
  const workdir = mkdtempSync(join(tmpdir(), 'nh-ptp-scen-'));
  let kubeconfig = '';
  const run = (name: string, extra: string[] = []) =>
    runCli([
      'scenario',
      name,
      '--quick',
      '--kubeconfig',
      kubeconfig,
      '--param',
      `speed=${SPEED}`,
      '--db',
      join(workdir, 'runs.db'),
      '--json',
      ...extra,
    ]);

  beforeAll(() => {
    kubeconfig = startDetachedSim(workdir, { speed: SPEED, nodes: '1+1' });
  }, 180_000);
  afterAll(() => {
    stopSim(workdir);
    rmSync(workdir, { recursive: true, force: true });
  }, 60_000);

  for (const [name, fault, why] of MATCHING) {
    it(`${name} passes on the healthy cluster, exits 1 with ${fault} on, passes again after`, async () => {
      const ok = await run(name);
      expect(ok.code, ok.stderr.slice(-2000)).toBe(0);
      const summary = JSON.parse(ok.stdout) as { verdict: string };
      expect(summary.verdict).toBe('passed');
      // the summary table of the transitions and times
      expect(ok.stderr).toMatch(/to FAULTY\s+to HOLDOVER\s+to FREERUN\s+holdover\s+to role\s+re-lock/);

      const bad = await run(name, ['--param', `fault=${fault}`]);
      expect(bad.code, bad.stderr.slice(-2000)).toBe(1);
      const failed = JSON.parse(bad.stdout) as { verdict: string; findings: Record<string, number> };
      expect(failed.verdict).toBe('failed');
      expect(`${bad.stderr}\n${bad.stdout}`).toMatch(why);
      // the failure is after the injection: the baseline lock passed
      expect(Object.keys(failed.findings)).not.toContain('ptp-not-locked');

      // the fault is switched off at the end of the run: the cluster recovers for the next
      const again = await run(name);
      expect(again.code, again.stderr.slice(-2000)).toBe(0);
    }, 240_000);
  }
});
