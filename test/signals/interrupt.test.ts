/**
 * Ctrl-C as a terminal sends it (SIGINT to the whole process group) at seeded random moments of a quick
 * corenet-6498 run: during the sim's start, the setup, a disruption and the sim's stop, once and twice.
 * After each: exit 130, nothing of the embedded cluster left (netns, OVN/OVS processes, sockets, the sim),
 * the run recorded interrupted with its summary files and no step left running. The same against a
 * separately started embedded cluster given as --kubeconfig: nothing the run created is left on it.
 *
 * NH_SIGNAL_SEED replays a set of moments (the seed is printed).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { openStore } from '../../harness/store/store.ts';
import { startDetachedSim, stopSim } from '../support/cli.ts';
import { NOTHING, seeded, settledLeftovers, sleep, startJob } from './helpers.ts';

const seed = Number(process.env.NH_SIGNAL_SEED ?? Date.now() % 100_000);
const rand = seeded(seed);
const base = mkdtempSync('/tmp/nh-sig-');
afterAll(() => rmSync(base, { recursive: true, force: true }));

// one disruption keeps a run short; the phases are the same
const QUICK = ['scenario', 'corenet-6498', '--quick', '--param', 'scenarios=node-reboot'];

interface Moment {
  phase: string;
  /** stderr line that opens the phase */
  after: RegExp;
  /** the signal lands at a random time within this many ms after it */
  withinMs: number;
}

const PHASES: Moment[] = [
  { phase: 'sim start', after: /▶ start embedded cluster/, withinMs: 15_000 },
  { phase: 'setup', after: /▶ create workloads/, withinMs: 1500 },
  { phase: 'disruption', after: /▶ node-reboot #1/, withinMs: 2500 },
  { phase: 'sim stop', after: /▶ cleanup: stop embedded cluster/, withinMs: 12_000 },
];

const measured: string[] = [];
afterAll(() => {
  process.stderr.write(`\nsignal moments (seed ${seed}):\n  ${measured.join('\n  ')}\n`);
});

function runRecord(db: string): { verdict: string; running: number; summaryFiles: boolean; id: string } {
  const store = openStore(db);
  try {
    const [run] = store.listRuns({ limit: 1 });
    const d = store.getRun(run.id);
    const dir = join(db, '..', 'runs', run.id);
    return {
      id: run.id,
      verdict: d.run.verdict,
      running: d.steps.filter((s) => s.status === 'running').length,
      summaryFiles: existsSync(join(dir, 'summary.json')) && existsSync(join(dir, 'summary.md')),
    };
  } finally {
    store.close();
  }
}

describe('Ctrl-C on the embedded cluster (--target sim)', { timeout: 30 * 60_000 }, () => {
  for (const m of PHASES) {
    for (const times of [1, 2]) {
      it(`${times === 1 ? 'one Ctrl-C' : 'two Ctrl-Cs'} during the ${m.phase}: exit 130, nothing left, run interrupted with summary files`, async () => {
        const dir = mkdtempSync(join(base, 'run-'));
        const workdir = join(dir, 'sim');
        const db = join(dir, 'nh.db');
        const job = startJob([...QUICK, '--db', db, '--workdir', workdir]);
        await job.waitFor(m.after);
        const delay = Math.round(rand() * m.withinMs);
        await sleep(delay);
        job.signalGroup('SIGINT');
        const gap = 400 + Math.round(rand() * 1500);
        if (times === 2) {
          await sleep(gap);
          job.signalGroup('SIGINT');
        }
        const code = await job.exited;
        // a sim that has cleaned up may take a few seconds to exit on a loaded machine; one still there after 10 s is a leak
        const left = await settledLeftovers(workdir, 10_000);
        const rec = runRecord(db);
        measured.push(
          `${m.phase} +${delay} ms${times === 2 ? ` and +${gap} ms` : ''}: exit ${code}, verdict ${rec.verdict}, left ${JSON.stringify(left)}`,
        );
        expect(code, job.stderr().slice(-3000)).toBe(130);
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
    kubeconfig = startDetachedSim(workdir, { speed: 60, nodes: '3+3' });
  });
  afterAll(() => stopSim(workdir));

  const kubectl = (args: string[]): string => execFileSync('kubectl', ['--kubeconfig', kubeconfig, ...args], { encoding: 'utf8' });

  const LIVE: Moment[] = [
    { phase: 'setup', after: /▶ create workloads/, withinMs: 1500 },
    { phase: 'disruption', after: /▶ node-reboot #1/, withinMs: 2500 },
  ];
  for (const m of LIVE) {
    for (const times of [1, 2]) {
      it(`${times === 1 ? 'one Ctrl-C' : 'two Ctrl-Cs'} during the ${m.phase}: no namespace, EgressIP, label or debug pod of the run left`, async () => {
        const dir = mkdtempSync(join(base, 'kc-'));
        const db = join(dir, 'nh.db');
        const job = startJob([...QUICK, '--db', db, '--kubeconfig', kubeconfig]);
        await job.waitFor(m.after);
        const delay = Math.round(rand() * m.withinMs);
        await sleep(delay);
        job.signalGroup('SIGINT');
        const gap = 400 + Math.round(rand() * 1500);
        if (times === 2) {
          await sleep(gap);
          job.signalGroup('SIGINT');
        }
        const code = await job.exited;
        const rec = runRecord(db);
        const tag = rec.id.slice(0, 8);
        // namespaces are deleted (Terminating is fine: gone for good once their pods are); none may be Active
        const ns = kubectl(['get', 'ns', '-o', 'jsonpath={range .items[*]}{.metadata.name}={.status.phase}{"\\n"}{end}'])
          .split('\n')
          .filter((l) => l.includes(tag) && !l.endsWith('=Terminating'));
        const eips = kubectl(['get', 'egressips', '-l', `netharness.io/run=${tag}`, '-o', 'name']).trim();
        const labelled = kubectl(['get', 'nodes', '-l', 'k8s.ovn.org/egress-assignable', '-o', 'name']).trim();
        const debugPods = kubectl(['get', 'pods', '-A', '-l', 'app.kubernetes.io/managed-by=netharness', '-o', 'name']).trim();
        measured.push(
          `live ${m.phase} +${delay} ms${times === 2 ? ` and +${gap} ms` : ''}: exit ${code}, verdict ${rec.verdict}, left ns ${JSON.stringify(ns)} eips '${eips}' labels '${labelled}' debug pods '${debugPods}'`,
        );
        expect(code, job.stderr().slice(-3000)).toBe(130);
        expect({ ns, eips, labelled, debugPods }).toEqual({ ns: [], eips: '', labelled: '', debugPods: '' });
        expect(rec).toMatchObject({ verdict: 'interrupted', running: 0, summaryFiles: true });
      });
    }
  }
});
