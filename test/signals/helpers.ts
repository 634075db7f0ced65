/**
 * Signal and crash tests: run `bin/netharness.js` (the launcher) in its own process group, as a terminal
 * runs a foreground job, send signals to that whole group (`kill -INT -- -PGID`) at seeded moments, and list
 * what a run left on the machine (netns, OVN/OVS processes, socket dirs, the sim process) afterwards.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ROOT } from '../support/cli.ts';

export const LAUNCHER = join(ROOT, 'bin', 'netharness.js');

export interface Job {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** resolves with the launcher's exit code (128+n when it was killed by signal n) */
  exited: Promise<number>;
  /** resolves when stderr matches (rejects when the job ended first) */
  waitFor(re: RegExp, timeoutMs?: number): Promise<void>;
  /**
   * Resolves, as soon as the chunk holding it arrives (no polling), with the stderr offset just past the first
   * complete line at or after offset `from` that matches `re`; rejects when the job ended first.
   */
  lineAfter(re: RegExp, from: number, timeoutMs?: number): Promise<number>;
  /** signal the whole process group, as a terminal does; false when the job had already ended */
  signalGroup(sig: NodeJS.Signals): boolean;
}

/** `netharness <args>` through the launcher, in its own process group (a foreground job of a terminal). */
export function startJob(args: string[]): Job {
  const child = spawn(process.execPath, [LAUNCHER, ...args], {
    cwd: ROOT,
    env: { ...process.env, CI: '1' },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  /** line waiters, checked on every stderr chunk (and once more when the job ends) */
  const waiters = new Set<() => void>();
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
    for (const w of [...waiters]) w();
  });
  const exited = new Promise<number>((res) =>
    child.on('exit', (code, sig) => res(code ?? (sig === 'SIGKILL' ? 137 : sig === 'SIGINT' ? 130 : 255))),
  );
  let done = false;
  void exited.then(() => (done = true));
  // 'close' comes after the last stderr chunk ('exit' may come before it): a line waiter gives up only then
  let closed = false;
  child.on('close', () => {
    closed = true;
    for (const w of [...waiters]) w();
  });
  /** offset just past the first complete line from `from` on that matches, or -1 */
  const findLine = (re: RegExp, from: number): number => {
    let start = from;
    for (let nl = err.indexOf('\n', start); nl >= 0; start = nl + 1, nl = err.indexOf('\n', start))
      if (re.test(err.slice(start, nl))) return nl + 1;
    return -1;
  };
  /** resolves with what `found` returns once it is defined, looked at on every stderr chunk; rejects when the job ended first */
  const until = <T>(found: () => T | undefined, re: RegExp, timeoutMs: number): Promise<T> =>
    new Promise<T>((res, rej) => {
      const timer = setTimeout(() => finish(() => rej(new Error(`no ${re} within ${timeoutMs} ms:\n${err.slice(-1500)}`))), timeoutMs);
      const finish = (f: () => void): void => {
        clearTimeout(timer);
        waiters.delete(check);
        f();
      };
      const check = (): void => {
        const v = found();
        if (v !== undefined) finish(() => res(v));
        else if (closed) finish(() => rej(new Error(`the job ended before ${re}:\n${err.slice(-1500)}`)));
      };
      waiters.add(check);
      check();
    });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    async waitFor(re, timeoutMs = 240_000) {
      await until(() => (re.test(err) ? true : undefined), re, timeoutMs);
    },
    lineAfter(re, from, timeoutMs = 240_000) {
      return until(
        () => {
          const at = findLine(re, from);
          return at >= 0 ? at : undefined;
        },
        re,
        timeoutMs,
      );
    },
    signalGroup(sig) {
      // a second Ctrl-C after the run already ended (it stopped fast) reaches nobody, as in a terminal
      if (!child.pid || done) return false;
      try {
        process.kill(-child.pid, sig);
        return true;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
        return false;
      }
    },
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The cluster id the sim derives from its workdir (same hash as sim/ovn): netns nh<id>-N, sockets /tmp/nh-<id>/. */
export function clusterId(workdir: string): string {
  return createHash('sha256').update(resolve(workdir)).digest('hex').slice(0, 6);
}

/** How many network namespaces of the sim of `workdir` exist now: one read of `ip netns`'s directory (cheap enough to poll). */
export function netnsCount(workdir: string): number {
  const prefix = `nh${clusterId(workdir)}-`;
  try {
    return readdirSync('/var/run/netns').filter((n) => n.startsWith(prefix)).length;
  } catch {
    return 0;
  }
}

function cmdlines(): { pid: number; cmd: string }[] {
  const out: { pid: number; cmd: string }[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const cmd = readFileSync(`/proc/${e}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z') continue;
      if (cmd) out.push({ pid: Number(e), cmd });
    } catch {
      /* gone */
    }
  }
  return out;
}

export interface Left {
  netns: string[];
  /** OVN/OVS daemons and anything else running from the workdir or its socket dir */
  processes: string[];
  /** the sim process (a node running `sim ... --workdir <workdir>`) */
  sim: string[];
  socketDir: boolean;
  stateFile: boolean;
}

/** What a sim of `workdir` left behind. */
export function leftovers(workdir: string): Left {
  const wd = resolve(workdir);
  const cid = clusterId(wd);
  const runRoot = `/tmp/nh-${cid}`;
  const ns = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? '';
  const procs = cmdlines().filter((p) => p.pid !== process.pid);
  return {
    netns: ns
      .split('\n')
      .map((l) => l.split(' ')[0])
      .filter((n) => n.startsWith(`nh${cid}-`)),
    processes: procs.filter((p) => p.cmd.includes(`${runRoot}/`) || p.cmd.includes(`${wd}/`)).map((p) => `${p.pid} ${p.cmd.slice(0, 120)}`),
    sim: procs.filter((p) => / sim( |$)/.test(p.cmd) && p.cmd.includes(`--workdir ${wd}`)).map((p) => `${p.pid} ${p.cmd.slice(0, 120)}`),
    socketDir: existsSync(runRoot),
    stateFile: existsSync(join(wd, 'state.json')),
  };
}

export const NOTHING: Left = { netns: [], processes: [], sim: [], socketDir: false, stateFile: false };

/** Wait (a stop in the background may still be finishing) until nothing is left, or return what is. */
export async function settledLeftovers(workdir: string, timeoutMs = 30_000): Promise<Left> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const l = leftovers(workdir);
    const empty = !l.netns.length && !l.processes.length && !l.sim.length && !l.socketDir && !l.stateFile;
    if (empty || Date.now() > deadline) return l;
    await sleep(250);
  }
}
