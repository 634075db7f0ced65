/**
 * Process helpers for sim/ovn: spawn a daemon inside a network namespace, stop it (SIGTERM, wait,
 * SIGKILL), find and kill leftovers of a previous run by their command line, run short commands.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { sleep } from '../../harness/wait/poll.ts';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run a short command (no shell) and capture its output. Never throws for a non-zero exit. */
export function run(argv: string[], opts: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(
      argv[0],
      argv.slice(1),
      { env: opts.env, timeout: opts.timeoutMs ?? 20_000, maxBuffer: 256 << 20 },
      (err, stdout, stderr) => {
        const e = err as (NodeJS.ErrnoException & { code?: number | string }) | null;
        let code = 0;
        if (e) code = typeof e.code === 'number' ? e.code : e.code === 'ENOENT' ? 127 : 1;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) || (e && typeof e.code !== 'number' ? e.message : '') });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** Like run, but throws with the command and its stderr on failure. */
export async function runOk(argv: string[], opts: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {}): Promise<string> {
  const r = await run(argv, opts);
  if (r.code !== 0) throw new Error(`${argv.join(' ')}: exit ${r.code}: ${r.stderr.trim()}`);
  return r.stdout;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // a zombie counts as dead
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z';
  } catch {
    return false;
  }
}

export function cmdline(pid: number): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
  } catch {
    return undefined;
  }
}

/** Pids whose command line contains any of the markers (excluding ourselves). */
export function findPidsByCmdline(markers: string[]): number[] {
  const out: number[] = [];
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return out;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const pid = Number(e);
    if (pid === process.pid) continue;
    const cl = cmdline(pid);
    if (cl && markers.some((m) => cl.includes(m))) out.push(pid);
  }
  return out;
}

export async function waitDead(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false;
    await sleep(15);
  }
  return true;
}

/** The one sleep (harness/wait/poll.ts is pure, so sim/ may use it). */
export { sleep };

/** SIGTERM, wait up to graceMs, SIGKILL. Resolves when the process is gone. */
export async function terminate(pid: number, graceMs = 3000, child?: ChildProcess): Promise<void> {
  if (!isAlive(pid)) return;
  const exited =
    child && child.exitCode === null && child.signalCode === null ? new Promise<void>((r) => child.once('exit', () => r())) : undefined;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  // the grace sleep is cancelled once the child exits: a pending timer would hold the sim's process open
  // for the whole grace after its stop (a sim that removed its state file but still ran for 10 s)
  const graceOver = new AbortController();
  const gone = exited
    ? await Promise.race([
        exited.then(() => true),
        sleep(graceMs, graceOver.signal).then(
          () => false,
          () => true,
        ),
      ]).finally(() => graceOver.abort())
    : await waitDead(pid, graceMs);
  if (gone && !isAlive(pid)) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return;
  }
  await waitDead(pid, 2000);
}

export interface Daemon {
  name: string;
  pid: number;
  child: ChildProcess;
  /** resolves with the exit code/signal when it ends */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Start a long-running binary inside a netns (`ip netns exec` execs it: the pid is the daemon's). */
export function spawnInNetns(
  name: string,
  netns: string,
  argv: string[],
  env: NodeJS.ProcessEnv,
  stderrFile: string,
  cwd?: string,
): Daemon {
  const fd = fs.openSync(stderrFile, 'a');
  try {
    const child = spawn('ip', ['netns', 'exec', netns, ...argv], { env, cwd, stdio: ['ignore', fd, fd], detached: true });
    child.unref();
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
      child.once('error', () => resolve({ code: 127, signal: null }));
    });
    if (child.pid === undefined) throw new Error(`spawn ${argv[0]} in ${netns} failed`);
    return { name, pid: child.pid, child, exited };
  } finally {
    fs.closeSync(fd);
  }
}
