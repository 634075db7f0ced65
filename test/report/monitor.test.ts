/**
 * `netharness monitor egressip` against a detached embedded cluster while a quick corenet-6498 run
 * (node-reboot only) creates EgressIPs, moves them and deletes them: the per-node rule counts change between
 * ticks and come back (churn), Ctrl-C ends it with exit 130 and a finished run; the monitor run's report renders.
 * Also: usage errors, and the churn tracker on its own.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ChurnTracker, countReversals } from '../../harness/analysis/churn.ts';
import { openStore } from '../../harness/store/store.ts';
import { detachedSimFor, quickScenarioArgs, runCli, startCli } from '../support/cli.ts';

// one embedded cluster for the file; its temporary directory goes with it
const sim = detachedSimFor('nh-monitor-', { speed: 60, nodes: '1+3', startMs: 240_000, stopMs: 120_000 });
const dir = sim.dir;
const db = join(dir, 'nh.db');

interface TickLine {
  tick: number;
  consistent: boolean;
  perNode: Record<string, { snat: number; lrp: number }>;
  changes: { node: string; rule: string; from: number; to: number }[];
  churn: { node: string; rule: string; history: number[] }[];
}

describe('netharness monitor egressip', () => {
  it('records rule counts per tick, their changes and churn while a scenario comes and goes; Ctrl-C exits 130', async () => {
    const mon = startCli([
      'monitor',
      'egressip',
      '--interval',
      '1s',
      '--window',
      '50',
      '--kubeconfig',
      sim.kubeconfig(),
      '--db',
      db,
      '--json',
    ]);
    const { child } = mon;
    const exited = mon.exited.then((e) => e.code);
    // complete lines only: a tick's line longer than the pipe's atomic write (4 KiB) can arrive in two reads
    const lines = (): TickLine[] =>
      mon
        .stdout()
        .split('\n')
        .slice(0, -1)
        .filter(Boolean)
        .map((l) => JSON.parse(l) as TickLine);
    const waitTicks = async (n: number): Promise<void> => {
      const deadline = Date.now() + 120_000;
      while (lines().length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
      if (lines().length < n) throw new Error(`monitor gave ${lines().length} ticks: ${mon.stderr().slice(-1500)}`);
    };
    try {
      await waitTicks(1);
      const s = await runCli(
        quickScenarioArgs('corenet-6498', {
          kubeconfig: sim.kubeconfig(),
          db: join(dir, 'scenario.db'),
          // the EgressIPs live through 6 reboots: several ticks see them, even on a loaded machine
          params: { scenarios: 'node-reboot', iterations: 6, timeoutSeconds: 60 },
        }),
      );
      expect(s.code, s.stderr.slice(-1500)).toBe(0);
      await waitTicks(lines().length + 2); // after cleanup: the rules are gone again
      child.kill('SIGINT');
      expect(await exited).toBe(130);
    } finally {
      child.kill('SIGKILL');
    }
    const ticks = lines();
    expect(ticks[0].tick).toBe(1);
    const total = (t: TickLine): number => Object.values(t.perNode).reduce((a, c) => a + c.snat + c.lrp, 0);
    expect(total(ticks[0])).toBe(0);
    expect(Math.max(...ticks.map(total))).toBeGreaterThan(0); // the scenario's EgressIPs were seen
    expect(total(ticks[ticks.length - 1])).toBe(0); // and their cleanup
    expect(ticks.some((t) => t.changes.length > 0)).toBe(true);
    expect(ticks.at(-1)?.churn.length).toBeGreaterThan(0); // rules came and went
    const store = openStore(db);
    try {
      const [run] = store.listRuns({ name: 'egressip-monitor' });
      expect(run.verdict).toBe('failed'); // churn flagged
      expect(run.summary.stoppedBy).toBe('SIGINT');
      const d = store.getRun(run.id);
      // a read that failed while a node rebooted is an error row, not a tick
      expect(d.checks.filter((c) => c.status !== 'error').length).toBe(ticks.length);
      expect(d.events.some((e) => e.kind === 'rule-churn')).toBe(true);
      expect(d.measurements.filter((m) => m.name === 'snat_rules').length).toBe(
        ticks.reduce((a, t) => a + Object.keys(t.perNode).length, 0),
      );
    } finally {
      store.close();
    }
    const rep = await runCli(['report', 'latest', '--db', db, '--out', join(dir, 'rep'), '--format', 'md,junit']);
    expect(rep.code, rep.stderr).toBe(0);
  }, 420_000);

  it('usage errors exit 2 naming the flag', async () => {
    const r = await runCli(['monitor', 'egressip', '--interval', 'soon', '--kubeconfig', sim.kubeconfig(), '--no-record']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--interval: expected a duration/);
    const c = await runCli(['monitor', 'egressip', '--count', '0', '--kubeconfig', sim.kubeconfig(), '--no-record']);
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/--count: expected an integer/);
  }, 60_000);
});

describe('churn tracker', () => {
  it('changes since the previous tick, churn when a count goes and comes back within the window', () => {
    const t = new ChurnTracker(3);
    expect(t.add({ w0: { snat: 5, lrp: 4 } })).toMatchObject({ tick: 1, changes: [], churn: [] });
    expect(t.add({ w0: { snat: 5, lrp: 4 } }).changes).toEqual([]);
    const moved = t.add({ w1: { snat: 5, lrp: 4 } }); // w0 lost its rules, w1 gained them: a failover, not churn yet
    expect(moved.changes).toEqual(
      expect.arrayContaining([
        { node: 'w0', rule: 'snat', from: 5, to: 0 },
        { node: 'w0', rule: 'lrp', from: 4, to: 0 },
        { node: 'w1', rule: 'snat', from: 0, to: 5 }, // w1 had no rules before
      ]),
    );
    expect(moved.churn).toEqual([]);
    const back = t.add({ w0: { snat: 5, lrp: 4 } });
    expect(back.churn.map((c) => `${c.node}/${c.rule}`).sort()).toEqual(['w0/lrp', 'w0/snat', 'w1/lrp', 'w1/snat']);
    // outside the window, a steady count is no longer churn
    t.add({ w0: { snat: 5, lrp: 4 } });
    t.add({ w0: { snat: 5, lrp: 4 } });
    expect(t.add({ w0: { snat: 5, lrp: 4 } }).churn).toEqual([]);
    expect(countReversals([5, 0, 5])).toBe(1);
    expect(countReversals([5, 5, 0])).toBe(0);
    expect(countReversals([1, 2, 1, 2])).toBe(2);
  });
});
