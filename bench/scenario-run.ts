/**
 * Running a bench that is written as a scenario (corenet, metrics): on a fresh embedded cluster in a temp
 * directory, or on the cluster of the kubeconfig in `$<kubeconfigEnv>` when it is set. Exit code 2 when the
 * run did not pass (the bench's figures are then not to be trusted).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Scenario } from '../harness/runner/scenario.ts';
import { runScenario } from '../harness/runner/run.ts';
import { createProgress } from '../harness/runner/progress.ts';

/** The embedded cluster for `eips` x `perEip` client pods: 3 control-plane nodes, ~230 pods a worker, speed 60. */
export const egressIPBenchSim = (eips: number, perEip: number) => ({
  nodes: `3+${Math.max(3, Math.ceil((eips * perEip) / 230) + 1)}`,
  ipStack: 'ipv4' as const,
  speed: 60,
});

export async function runBenchScenario(bench: Scenario, name: string, kubeconfigEnv: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), `nh-${name}-bench-`));
  const kc = process.env[kubeconfigEnv];
  const res = await runScenario(bench, {
    target: kc ? { kind: 'kubeconfig', path: kc } : { kind: 'sim', workdir: join(dir, 'sim') },
    dbPath: join(dir, 'bench.db'),
    progress: createProgress({ live: false }),
  });
  if (res.exitCode !== 0) {
    console.error(`bench run ${res.verdict}: ${res.summary.error ?? ''}`);
    process.exitCode = 2;
  }
}
