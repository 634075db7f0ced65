/**
 * Ctrl-C as a terminal sends it (SIGINT to the whole process group) at seeded random moments of a quick
 * corenet-6498 run: during the sim's start, the setup, a disruption and the sim's stop, once and twice.
 * After each: exit 130, nothing of the embedded cluster left (netns, OVN/OVS processes, sockets, the sim),
 * the run recorded interrupted with its summary files and no step left running. The same against a
 * separately started embedded cluster given as --kubeconfig: nothing the run created is left on it.
 *
 * Lean by design: the scenario runs on a 1+2 embedded cluster (test/signals/fixtures/corenet-small.ts, the
 * real scenario), the --kubeconfig runs share one cluster, and each run tries the sim's start and stop once
 * and twice (where a leak of the embedded cluster can happen) but setup and disruption with one count each,
 * the other one picked by the seed (both over runs). NH_SIGNAL_ALL=1 tries every phase with both counts;
 * NH_SIGNAL_SEED replays a set of moments (the seed is printed).
 *
 * The moments follow the run, not the clock: a Ctrl-C lands right after a seeded one of the phase's progress
 * lines, after a seeded delay that the phase's next line cuts short (see Phase). A fixed time window after the
 * phase's first line outran the phase on a fast machine (the run ended PASSED before the Ctrl-C) and missed most
 * of it on a slow one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { lastRunRecord } from '../support/runs.ts';
import { ROOT, startDetachedSim, stopSim } from '../support/cli.ts';
import { mulberry32 } from '../../harness/random.ts';
import { NOTHING, netnsCount, settledLeftovers, sleep, startJob, type Job } from './helpers.ts';

const seed = Number(process.env.NH_SIGNAL_SEED ?? Date.now() % 100_000);
const rand = mulberry32(seed);
const base = mkdtempSync('/tmp/nh-sig-');
afterAll(() => rmSync(base, { recursive: true, force: true }));

// one disruption keeps a run short; the phases are the same
const SCENARIO = join(ROOT, 'test', 'signals', 'fixtures', 'corenet-small.ts');
const QUICK = ['scenario', SCENARIO, '--quick', '--param', 'scenarios=node-reboot'];
const ALL = process.env.NH_SIGNAL_ALL === '1';
/** which of setup/disruption gets one Ctrl-C this run (the other gets two) */
const flip = rand() < 0.5 ? 0 : 1;

/**
 * A phase as the runner's stderr shows it. The Ctrl-C lands right after one of its lines (seeded), plus a seeded
 * delay that is cut short by the phase's next line (or, after its last line, by `goesOn` turning false; without
 * `goesOn`, no delay there): so it lands inside the phase however fast the machine runs it, and the test checks
 * that it did (the runner's "SIGINT: interrupting" line comes before `end`).
 */
interface Phase {
  phase: string;
  /** the phase's progress lines, in the order the runner prints them; the first opens it */
  lines: RegExp[];
  /** the line that ends it (the next phase opens, or the run ends): every Ctrl-C must reach the runner before it */
  end: RegExp;
  /** the longest delay after the chosen line */
  maxDelayMs: number;
  /** for the time after the last line: a reading of the machine that is true while the phase surely goes on */
  goesOn?: (workdir: string) => () => boolean;
}

const SIM_START: Phase = {
  phase: 'sim start',
  // the sim starts in a child (`sim --detach`) that prints once it is up: the delay after its first line covers the start
  lines: [/▶ start embedded cluster/, /starting the embedded cluster:/, /sim: .*running in the background/],
  // after the last line: the credentials check, cluster version and preflight (API reads) before the setup opens
  end: /▶ create workloads/,
  maxDelayMs: 4000,
};
const SETUP: Phase = {
  phase: 'setup',
  // after the last line the EgressIPs are assigned and programmed, and checked, before the disruption opens
  lines: [/▶ create workloads/, /\d+ pods Ready in/, /▶ create egress ips/, /EgressIPs \d/],
  end: /▶ node-reboot #1/,
  maxDelayMs: 1500,
};
const DISRUPTION: Phase = {
  phase: 'disruption',
  // after the last line the EgressIP check waits for consistency, then the cleanups open
  lines: [
    /▶ node-reboot #1/,
    /rebooting egress node/,
    /reboot \S+: debug pod/,
    /reboot \S+: NotReady after/,
    /reboot \S+: Ready again after/,
  ],
  end: /▶ cleanup:/,
  maxDelayMs: 1500,
};
const SIM_STOP: Phase = {
  phase: 'sim stop',
  lines: [/▶ cleanup: stop embedded cluster/, /stopping the embedded cluster/],
  end: /✔ cleanup: stop embedded cluster/,
  maxDelayMs: 1500,
  // the stop (`sim stop`, a child) first stops the nodes' daemons, then deletes their netns, then the sim exits and
  // `sim stop` sees it gone (it polls every 50 ms) and cleans up: while every netns is still there, it is not done
  goesOn: (workdir) => {
    const n = netnsCount(workdir);
    return () => n > 0 && netnsCount(workdir) === n;
  },
};

const PHASES: (Phase & { counts: number[] })[] = [
  { ...SIM_START, counts: [1, 2] },
  { ...SETUP, counts: ALL ? [1, 2] : [1 + flip] },
  { ...DISRUPTION, counts: ALL ? [1, 2] : [2 - flip] },
  { ...SIM_STOP, counts: [1, 2] },
];

/** Wait for the seeded line of the phase and the seeded delay after it (cut short as Phase says); says where it is. */
async function moment(job: Job, p: Phase, workdir?: string): Promise<string> {
  const i = Math.floor(rand() * p.lines.length);
  const delay = Math.round(rand() * p.maxDelayMs);
  let at = 0;
  for (const re of p.lines.slice(0, i + 1)) at = await job.lineAfter(re, at);
  const t0 = Date.now();
  const next = p.lines[i + 1];
  let how = '';
  if (next) {
    const cut = await Promise.race([
      sleep(delay).then(() => false),
      job.lineAfter(next, at).then(
        () => true,
        () => true,
      ),
    ]);
    if (cut) how = ', cut short by the next line';
  } else if (p.goesOn && workdir) {
    const on = p.goesOn(workdir);
    while (Date.now() - t0 < delay && on()) await sleep(5);
    if (Date.now() - t0 < delay) how = ', cut short: the phase was ending';
  }
  return `line ${i + 1}/${p.lines.length} ${p.lines[i]!.source} +${Date.now() - t0} ms (of ${next || p.goesOn ? delay : 0}${how})`;
}

/** Ctrl-C once or twice at a seeded moment of the phase; returns the exit code and the moments for the note */
async function interrupt(job: Job, p: Phase, times: number, workdir?: string): Promise<{ code: number; at: string }> {
  let at = await moment(job, p, workdir);
  if (!job.signalGroup('SIGINT')) at += ' (after the run had ended)';
  if (times === 2) {
    // a second Ctrl-C within the runner's 250 ms debounce would count as the first one again
    const gap = 400 + Math.round(rand() * 800);
    await sleep(gap);
    at += ` and +${gap} ms${job.signalGroup('SIGINT') ? '' : ' (after the run had ended)'}`;
  }
  return { code: await job.exited, at };
}

/** The runner saw the (first) Ctrl-C inside the phase: its interrupt line comes after the phase opened and before its end. */
function expectInsidePhase(stderr: string, p: Phase): void {
  const opened = stderr.search(p.lines[0]!);
  const sig = stderr.indexOf('SIGINT: interrupting');
  const end = p.end.exec(stderr.slice(opened));
  expect(sig, `the runner saw no Ctrl-C:\n${stderr.slice(-2000)}`).toBeGreaterThan(opened);
  if (end)
    expect(sig, `the Ctrl-C reached the runner after ${p.end} (the phase had ended):\n${stderr.slice(opened, opened + 3000)}`).toBeLessThan(
      opened + end.index,
    );
}

const measured: string[] = [];
afterAll(() => {
  process.stderr.write(`\nsignal moments (seed ${seed}):\n  ${measured.join('\n  ')}\n`);
});

describe('Ctrl-C on the embedded cluster (--target sim)', { timeout: 30 * 60_000 }, () => {
  for (const m of PHASES) {
    for (const times of m.counts) {
      it(`${times === 1 ? 'one Ctrl-C' : 'two Ctrl-Cs'} during the ${m.phase}: exit 130, nothing left, run interrupted with summary files`, async () => {
        const dir = mkdtempSync(join(base, 'run-'));
        const workdir = join(dir, 'sim');
        const db = join(dir, 'nh.db');
        const job = startJob([...QUICK, '--db', db, '--workdir', workdir]);
        const { code, at } = await interrupt(job, m, times, workdir);
        // the CLI exits once its `sim stop` has seen every sim process of the workdir gone: what is left then (a
        // /proc read racing a process's last moments aside) is a leak
        const left = await settledLeftovers(workdir, 3000);
        const rec = lastRunRecord(db);
        measured.push(`${m.phase} ${at}: exit ${code}, verdict ${rec.verdict}, left ${JSON.stringify(left)}`);
        expect(code, job.stderr().slice(-3000)).toBe(130);
        expectInsidePhase(job.stderr(), m);
        expect(left).toEqual(NOTHING);
        expect(rec).toMatchObject({ verdict: 'interrupted', running: 0, summaryFiles: true });
        expect(job.stderr()).not.toMatch(/cleanup failed|exit null/);
      });
    }
  }
});

describe('Ctrl-C against a live cluster (--kubeconfig)', { timeout: 20 * 60_000 }, () => {
  let workdir = '';
  let kubeconfig = '';
  beforeAll(() => {
    workdir = mkdtempSync(join(base, 'live-'));
    kubeconfig = startDetachedSim(workdir, { speed: 60, nodes: '1+2' });
  });
  afterAll(() => stopSim(workdir));

  const kubectl = (args: string[]): string => execFileSync('kubectl', ['--kubeconfig', kubeconfig, ...args], { encoding: 'utf8' });

  const LIVE: (Phase & { counts: number[] })[] = [
    { ...SETUP, counts: ALL ? [1, 2] : [2 - flip] },
    { ...DISRUPTION, counts: ALL ? [1, 2] : [1 + flip] },
  ];
  for (const m of LIVE) {
    for (const times of m.counts) {
      it(`${times === 1 ? 'one Ctrl-C' : 'two Ctrl-Cs'} during the ${m.phase}: no namespace, EgressIP, label or debug pod of the run left`, async () => {
        const dir = mkdtempSync(join(base, 'kc-'));
        const db = join(dir, 'nh.db');
        const job = startJob([...QUICK, '--db', db, '--kubeconfig', kubeconfig]);
        const { code, at } = await interrupt(job, m, times);
        const rec = lastRunRecord(db);
        const tag = rec.id.slice(0, 8);
        // namespaces are deleted (Terminating is fine: gone for good once their pods are); none may be Active
        const ns = kubectl(['get', 'ns', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.status.phase}{"\\n"}{end}'])
          .split('\n')
          .filter((l) => l.includes(tag) && !l.endsWith('=Terminating'));
        const eips = kubectl(['get', 'egressips', '-l', `netharness.io/run=${tag}`, '-o', 'name']).trim();
        const labelled = kubectl(['get', 'nodes', '-l', 'k8s.ovn.org/egress-assignable', '-o', 'name']).trim();
        const debugPods = kubectl(['get', 'pods', '-A', '-l', 'app.kubernetes.io/managed-by=netharness', '-o', 'name']).trim();
        measured.push(
          `live ${m.phase} ${at}: exit ${code}, verdict ${rec.verdict}, left ns ${JSON.stringify(ns)} eips '${eips}' labels '${labelled}' debug pods '${debugPods}'`,
        );
        expect(code, job.stderr().slice(-3000)).toBe(130);
        expectInsidePhase(job.stderr(), m);
        expect({ ns, eips, labelled, debugPods }).toEqual({ ns: [], eips: '', labelled: '', debugPods: '' });
        expect(rec).toMatchObject({ verdict: 'interrupted', running: 0, summaryFiles: true });
      });
    }
  }
});
