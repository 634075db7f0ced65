/**
 * kill -9: of the scenario process (the launcher reports 137, not 1; the sim it started keeps running; the
 * next command marks the run crashed with its real end time and names that sim; `sim stop` cleans it all),
 * and of the sim itself (`sim status` reports it stale and cleans its daemons, netns and sockets; `sim stop`
 * then finds nothing left).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync, rmSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { openStore } from '../../harness/store/store.ts';
import { ROOT, runCli, startDetachedSim } from '../support/cli.ts';
import { leftovers, NOTHING, settledLeftovers, startJob } from './helpers.ts';

const base = mkdtempSync('/tmp/nh-crash-');
afterAll(() => rmSync(base, { recursive: true, force: true }));

/** the CLI process under the launcher (its only child) */
function cliPidOf(launcherPid: number): number {
  const kids = readFileSync(`/proc/${launcherPid}/task/${launcherPid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  if (kids.length !== 1) throw new Error(`expected one child of the launcher, got ${kids.join(',')}`);
  return Number(kids[0]);
}

describe('kill -9', { timeout: 10 * 60_000 }, () => {
  it('of the scenario: exit 137; the next command marks the run crashed at its last event and names the sim; sim stop cleans it', async () => {
    const dir = mkdtempSync(join(base, 'scn-'));
    const workdir = join(dir, 'sim');
    const db = join(dir, 'nh.db');
    const job = startJob(['scenario', 'corenet-6498', '--quick', '--param', 'scenarios=node-reboot', '--db', db, '--workdir', workdir]);
    await job.waitFor(/✔ create workloads/);
    process.kill(cliPidOf(job.child.pid ?? 0), 'SIGKILL');
    const killedAt = new Date().toISOString();
    expect(await job.exited).toBe(137);
    // the sim runs on (its own process group): the next command must say so
    expect(leftovers(workdir).sim.length).toBe(1);

    // the next command that opens the database: a scenario that needs no cluster (the runner's test double)
    const next = await runCli([
      'scenario',
      join(ROOT, 'test', 'harness', 'fixtures', 'fake-scenario.ts'),
      '--kubeconfig',
      join(ROOT, 'test', 'harness', 'fixtures', 'kubeconfig.yaml'),
      '--db',
      db,
    ]);
    expect(next.stderr).toMatch(/crashed: its process died; last recorded at /);
    expect(next.stderr).toContain(`it left the embedded cluster running`);
    expect(next.stderr).toContain(`netharness sim stop --workdir ${workdir}`);

    const store = openStore(db);
    const crashed = store.listRuns({ name: 'corenet-6498' })[0];
    const d = store.getRun(crashed.id);
    store.close();
    expect(crashed.verdict).toBe('crashed');
    // its real end: the last thing it recorded, before the kill (not the moment the next command looked)
    const last = [...d.steps.map((s) => s.endedAt ?? s.startedAt), ...d.events.map((e) => e.at)].sort().at(-1);
    expect(crashed.endedAt).toBe(last);
    expect(crashed.endedAt! <= killedAt).toBe(true);
    expect(d.steps.filter((s) => s.status === 'running')).toEqual([]);

    const stop = await runCli(['sim', 'stop', '--workdir', workdir]);
    expect(stop.code).toBe(0);
    expect(await settledLeftovers(workdir, 5000)).toEqual(NOTHING);
  });

  it('of the sim: sim status reports it stale and cleans its daemons, netns and sockets; sim stop finds nothing left', async () => {
    const workdir = mkdtempSync(join(base, 'sim-'));
    startDetachedSim(workdir, { speed: 60, nodes: '3+3' });
    const { pid } = JSON.parse(readFileSync(join(workdir, 'state.json'), 'utf8')) as { pid: number };
    const before = leftovers(workdir);
    expect(before.netns.length).toBeGreaterThan(0);
    expect(before.processes.length).toBeGreaterThan(0);
    process.kill(pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 500));
    const orphaned = leftovers(workdir);
    expect(orphaned.sim).toEqual([]);
    expect(orphaned.processes.length).toBeGreaterThan(0); // the daemons outlive a kill -9

    const status = await runCli(['sim', 'status', '--workdir', workdir, '--json']);
    expect(status.code).toBe(1);
    const s = JSON.parse(status.stdout) as {
      running: boolean;
      stale: boolean;
      pid: number;
      cleaned: { processes: number; netns: string[] };
    };
    expect(s).toMatchObject({ running: false, stale: true, pid });
    expect(s.cleaned.processes).toBeGreaterThan(0);
    expect(s.cleaned.netns.length).toBe(before.netns.length);
    expect(leftovers(workdir)).toEqual(NOTHING);

    const stop = await runCli(['sim', 'stop', '--workdir', workdir]);
    expect(stop.code).toBe(0);
    expect(stop.stdout).toMatch(/no sim running/);
  });

  it('of the sim, then sim stop (no status first): everything cleaned', async () => {
    const workdir = mkdtempSync(join(base, 'sim2-'));
    startDetachedSim(workdir, { speed: 60, nodes: '3+1' });
    const { pid } = JSON.parse(readFileSync(join(workdir, 'state.json'), 'utf8')) as { pid: number };
    process.kill(pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 500));
    const stop = await runCli(['sim', 'stop', '--workdir', workdir]);
    expect(stop.code).toBe(0);
    expect(stop.stdout).toMatch(new RegExp(`sim \\(pid ${pid}\\) of .* was dead; cleaned what it left: [1-9]\\d* process`));
    expect(leftovers(workdir)).toEqual(NOTHING);
  });
});
