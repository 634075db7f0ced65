/**
 * Ctrl-Z like a normal foreground program: SIGTSTP to the terminal's foreground process group (the launcher's)
 * stops the launcher and the CLI's whole process group; SIGCONT (`fg`/`bg`) resumes both, and the run goes on
 * (a Ctrl-C afterwards still interrupts it cleanly: exit 130, every cleanup run).
 *
 * Two parents: a job-control shell (`bash -m`, as in a terminal: the launcher re-raises SIGTSTP and the shell
 * sees the job stopped) and a plain process (the launcher's group is orphaned there, where the kernel discards
 * a job-control SIGTSTP, so it stops with SIGSTOP instead).
 */
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../support/cli.ts';
import { LAUNCHER, sleep } from './helpers.ts';

const base = mkdtempSync('/tmp/nh-suspend-');
afterAll(() => rmSync(base, { recursive: true, force: true }));

const FAKE = join(ROOT, 'test', 'harness', 'fixtures', 'fake-scenario.ts');
const KUBECONFIG = join(ROOT, 'test', 'harness', 'fixtures', 'kubeconfig.yaml');

/** state letter (R, S, T, Z, ...) and process group of a pid */
function stat(pid: number): { state: string; pgrp: number; ppid: number } | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { state: f[0], ppid: Number(f[1]), pgrp: Number(f[2]) };
  } catch {
    return undefined;
  }
}

/** every live process of a process group */
function groupMembers(pgrp: number): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .map(Number)
    .filter((p) => stat(p)?.pgrp === pgrp && stat(p)?.state !== 'Z');
}

function childOf(pid: number): number | undefined {
  const kids = readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .map(Number)
    .filter((p) => stat(p)?.ppid === pid);
  return kids[0];
}

async function until(what: string, ok: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await sleep(25);
  }
}

const stopped = (pid: number): boolean => stat(pid)?.state === 'T';
const running = (pid: number): boolean => ['R', 'S', 'D'].includes(stat(pid)?.state ?? '');

interface Started {
  launcher: number;
  proc: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** the fake scenario hanging until interrupted, through the launcher, under `bash -m` or directly */
function start(dir: string, marker: string, viaShell: boolean): Started {
  const db = join(dir, 'nh.db');
  const args = [LAUNCHER, 'scenario', FAKE, '--param', 'mode=hang', '--param', `marker=${marker}`, '--kubeconfig', KUBECONFIG, '--db', db];
  // set -m: job control as in an interactive terminal (the job gets its own process group, bash is its parent
  // in the same session). `wait` returns 148 (128 + SIGTSTP) when the job stops, as a shell reports "Stopped",
  // and the job's exit status once it ends
  const cmd = `"${process.execPath}" ${args.map((a) => `'${a}'`).join(' ')}`;
  // (bash leaves a loop when a job stops inside its `wait`, and a shell that exits while its job is stopped
  // orphans the job's group, which the kernel then hangs up: so one wait, a poll while stopped, one wait)
  const script = `set -m; ${cmd} & pid=$!; echo "pid=$pid"; wait $pid; echo "rc=$?"; while [ "$(cut -d' ' -f3 /proc/$pid/stat)" = T ]; do sleep 0.1; done; wait $pid; echo "rc=$?"`;
  const proc = viaShell
    ? spawn('bash', ['-c', script], {
        cwd: ROOT,
        env: { ...process.env, CI: '1' },
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      })
    : spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, CI: '1' }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => proc.on('exit', (code, sig) => r(code ?? (sig === 'SIGINT' ? 130 : null))));
  return { launcher: viaShell ? 0 : (proc.pid ?? 0), proc, output: () => out, exited };
}

describe('Ctrl-Z (SIGTSTP) suspends the launcher and the CLI; SIGCONT resumes them', { timeout: 400_000 }, () => {
  for (const viaShell of [true, false]) {
    it(`${viaShell ? 'under a job-control shell' : 'without one (orphaned group)'}: both stop, both resume, a Ctrl-C then still cleans up (130)`, async () => {
      // a directory per attempt: a retry must not read the marker of the attempt before
      const dir = mkdtempSync(join(base, viaShell ? 'sh-' : 'plain-'));
      const marker = join(dir, 'marker');
      writeFileSync(marker, '');
      const job = start(dir, marker, viaShell);
      onTestFinished(() => {
        // a failed attempt leaves nothing running (stopped processes included)
        for (const pid of [job.proc.pid, launcherPid, cliPid])
          try {
            if (pid) process.kill(-pid, 'SIGKILL');
          } catch {
            /* gone */
          }
      });
      let launcherPid = 0;
      let cliPid = 0;
      let launcher = job.launcher;
      if (viaShell) {
        await until('bash printed the job pid', () => /pid=\d+/.test(job.output()));
        launcher = Number(/pid=(\d+)/.exec(job.output())?.[1]);
      }
      await until('the scenario hangs', () => readFileSync(marker, 'utf8').includes('hanging'), 180_000).catch((e: Error) => {
        throw new Error(`${e.message}: ${job.output().slice(-1500)}`);
      });
      launcherPid = launcher;
      const cli = childOf(launcher);
      expect(cli, job.output()).toBeDefined();
      cliPid = cli ?? 0;
      const cliGroup = stat(cli!)!.pgrp;
      expect(cliGroup).not.toBe(stat(launcher)!.pgrp); // the CLI runs in its own group, out of the terminal's reach

      // Ctrl-Z: the terminal signals its foreground group, the launcher's
      process.kill(-launcher, 'SIGTSTP');
      await until('launcher stopped', () => stopped(launcher));
      await until('every process of the CLI group stopped', () => groupMembers(cliGroup).every(stopped));
      expect(groupMembers(cliGroup)).toContain(cli);
      // still stopped a moment later (nothing resumed it on its own)
      await sleep(500);
      expect(stopped(launcher) && stopped(cli!)).toBe(true);

      // fg: the shell continues the job's group
      process.kill(-launcher, 'SIGCONT');
      await until('launcher running again', () => running(launcher));
      await until('the CLI group running again', () => groupMembers(cliGroup).every(running));

      // the run goes on and a Ctrl-C still interrupts it the usual way
      await sleep(300);
      process.kill(-launcher, 'SIGINT');
      if (viaShell) {
        await job.exited;
        // the shell saw the job stopped by SIGTSTP (as after a Ctrl-Z), then its exit 130
        expect(job.output()).toMatch(/Stopped[\s\S]*rc=148/);
        expect(job.output()).toMatch(/rc=130\s*$/);
      } else expect(await job.exited, job.output()).toBe(130);
      expect(readFileSync(marker, 'utf8')).toBe('hanging\ndefer-2\ndefer-1\n');
    });
  }
});
