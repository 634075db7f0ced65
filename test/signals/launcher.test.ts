/**
 * The launcher (bin/netharness.js) and the run's signals, on a scenario that needs no cluster (the runner's
 * test double, hanging until interrupted): SIGHUP (a closed terminal) and SIGTERM behave like Ctrl-C; a signal
 * sent to the launcher's pid only is one interrupt, like the group's; a kill -9 of the launcher makes the CLI
 * interrupt itself (its pipe from the launcher closes), so the cleanups still run and the run is recorded.
 * Each: the cleanups ran (LIFO), the run is recorded interrupted with its summary files, no step left running.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lastRunRecord } from '../support/runs.ts';
import { ROOT } from '../support/cli.ts';
import { sleep, startJob } from './helpers.ts';

const base = mkdtempSync('/tmp/nh-launcher-');
afterAll(() => rmSync(base, { recursive: true, force: true }));

const FAKE = join(ROOT, 'test', 'harness', 'fixtures', 'fake-scenario.ts');
const KUBECONFIG = join(ROOT, 'test', 'harness', 'fixtures', 'kubeconfig.yaml');

interface Case {
  name: string;
  /** how the signal is sent: to the launcher's process group (a terminal) or to its pid only */
  send: (launcherPid: number) => void;
  /** the launcher's exit code (the test sees 137 for its own kill -9) */
  code: number;
}

const CASES: Case[] = [
  { name: 'SIGHUP to the process group (the terminal closed)', send: (pid) => process.kill(-pid, 'SIGHUP'), code: 130 },
  { name: 'SIGTERM to the process group', send: (pid) => process.kill(-pid, 'SIGTERM'), code: 130 },
  { name: "SIGINT to the launcher's pid only", send: (pid) => process.kill(pid, 'SIGINT'), code: 130 },
  { name: 'SIGHUP to the launcher pid only', send: (pid) => process.kill(pid, 'SIGHUP'), code: 130 },
  { name: 'kill -9 of the launcher', send: (pid) => process.kill(pid, 'SIGKILL'), code: 137 },
];

describe('launcher signals: one interrupt, cleanups run, exit 130', { timeout: 180_000 }, () => {
  for (const c of CASES) {
    it.concurrent(`${c.name}: the cleanups run and the run is recorded interrupted`, async () => {
      const dir = mkdtempSync(join(base, 'case-'));
      const marker = join(dir, 'marker');
      writeFileSync(marker, '');
      const db = join(dir, 'nh.db');
      const job = startJob([
        'scenario',
        FAKE,
        '--param',
        'mode=hang',
        '--param',
        `marker=${marker}`,
        '--kubeconfig',
        KUBECONFIG,
        '--db',
        db,
      ]);
      const deadline = Date.now() + 120_000;
      while (!readFileSync(marker, 'utf8').includes('hanging')) {
        if (Date.now() > deadline) throw new Error(`the scenario did not start:\n${job.stderr().slice(-1500)}`);
        await sleep(50);
      }
      c.send(job.child.pid ?? 0);
      expect(await job.exited, job.stderr().slice(-2000)).toBe(c.code);
      // after a kill -9 of the launcher, the CLI goes on alone: wait for its cleanups and its record
      const until = Date.now() + 60_000;
      while (!readFileSync(marker, 'utf8').includes('defer-1') && Date.now() < until) await sleep(50);
      await sleep(300);
      expect(readFileSync(marker, 'utf8')).toBe('hanging\ndefer-2\ndefer-1\n');
      const deadline2 = Date.now() + 10_000;
      let rec = lastRunRecord(db);
      while (!rec.summaryFiles && Date.now() < deadline2) {
        await sleep(100);
        rec = lastRunRecord(db);
      }
      expect(rec).toMatchObject({ verdict: 'interrupted', running: 0, summaryFiles: true });
      if (c.code === 130) expect(job.stderr()).not.toMatch(/SIG[A-Z]+ again:/);
    });
  }
});
