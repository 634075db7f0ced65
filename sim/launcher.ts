/**
 * `netharness sim` behind the CLI: foreground run, --detach, stop, status, and the state.json
 * that ties them together (pid, port, kubeconfig). The CLI module loads this lazily; it is the
 * only way the harness reaches into sim/ (everything else goes through the kubeconfig).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InfraError, UsageError } from '../harness/errors.ts';
import { parseNodeCount } from './topology.ts';
import { clusterIdFor, OVN_STATE_FILE, runRootFor, type OvnStateFile } from './ovn/cluster.ts';
import { findPidsByCmdline, isAlive, run, waitDead } from './ovn/proc.ts';
import type { IpStack, SimNodeSpec } from './types.ts';
import { PTP_MODES, type PtpMode } from './ptp/types.ts';
import { DEFAULT_WORKDIR } from './constants.ts';

export interface SimFlags {
  workdir?: string;
  nodes?: string;
  port?: string;
  ipStack?: string;
  speed?: string;
  detach?: boolean;
  json?: boolean;
  apiOnly?: boolean;
  ptp?: string;
}

export interface SimOptions {
  workdir: string;
  nodes?: SimNodeSpec[];
  port?: number;
  ipStack: IpStack;
  speed: number;
  apiOnly: boolean;
  /** --ptp: oc (default) | bc | dual-nic | none */
  ptp: PtpMode;
}

export interface SimState {
  pid: number;
  port: number;
  server: string;
  kubeconfig: string;
  workdir: string;
  startedAt: string;
  readyMs: number;
  /** written before the start, so a stop or a status finds a sim that is still starting */
  starting?: boolean;
}

export function parseSimFlags(f: SimFlags): SimOptions {
  const workdir = resolve(f.workdir ?? DEFAULT_WORKDIR);
  let nodes: SimNodeSpec[] | undefined;
  if (f.nodes !== undefined) {
    try {
      nodes = parseNodeCount(f.nodes);
    } catch (e) {
      throw new UsageError(e instanceof Error ? e.message : String(e), 'e.g. --nodes 6 or --nodes 3+3');
    }
  }
  let port: number | undefined;
  if (f.port !== undefined) {
    if (!/^\d+$/.test(f.port) || Number(f.port) < 1 || Number(f.port) > 65535)
      throw new UsageError(`--port expects a TCP port 1..65535, got '${f.port}'`);
    port = Number(f.port);
  }
  const ipStack = (f.ipStack ?? 'ipv4') as IpStack;
  if (!['ipv4', 'ipv6', 'dual'].includes(ipStack)) throw new UsageError(`--ip-stack expects ipv4, ipv6 or dual, got '${f.ipStack}'`);
  let speed = 1;
  if (f.speed !== undefined) {
    speed = Number(f.speed);
    if (!/^\d+(\.\d+)?$/.test(f.speed) || !(speed > 0) || speed > 1000)
      throw new UsageError(`--speed expects a number > 0 and <= 1000, got '${f.speed}'`);
  }
  const ptp = (f.ptp ?? 'oc') as PtpMode;
  if (!PTP_MODES.includes(ptp)) throw new UsageError(`--ptp expects ${PTP_MODES.join(', ')}, got '${f.ptp}'`);
  return { workdir, nodes, port, ipStack, speed, apiOnly: !!f.apiOnly, ptp };
}

const statePath = (workdir: string) => join(workdir, 'state.json');

/** state.json is replaced in one rename: a reader (`sim stop`, `sim status`, the detached starter) never sees
 * half a file, which would read as a dead sim and have its live daemons cleaned away. */
function writeState(workdir: string, st: SimState): void {
  const tmp = `${statePath(workdir)}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(st, null, 2));
  renameSync(tmp, statePath(workdir));
}

/** Options of `netharness sim` that take a value (to tell a positional `stop`/`status` from a value). */
const VALUE_FLAGS = new Set(['--workdir', '--nodes', '--port', '--ip-stack', '--speed', '--ptp']);

/**
 * The sim processes of `workdir` (`netharness sim [--detach] ... --workdir <dir>`, through the CLI or the
 * launcher), found by their command line, whatever state.json says: a sim is still starting before it writes
 * its state, and still exiting after it removed it. `sim stop` and `sim status` are not sims.
 */
export function simPidsOf(workdir: string): number[] {
  const wd = resolve(workdir);
  const out: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch (_e) {
    return out;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    let argv: string[];
    let cwd: string;
    try {
      argv = readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0').filter(Boolean);
      cwd = readlinkSync(`/proc/${e}/cwd`);
    } catch (_e) {
      continue;
    }
    const script = argv.findIndex((a) => /(?:^|\/)harness\/cli\.ts$|(?:^|\/)bin\/netharness(?:\.js)?$/.test(a));
    if (script < 0 || argv[script + 1] !== 'sim') continue;
    let dir = 'results/sim';
    let sub: string | undefined;
    const rest = argv.slice(script + 2);
    for (let i = 0; i < rest.length; i++) {
      const a = rest[i];
      if (a.startsWith('--workdir=')) dir = a.slice('--workdir='.length);
      else if (VALUE_FLAGS.has(a)) {
        if (a === '--workdir' && rest[i + 1] !== undefined) dir = rest[i + 1];
        i++;
      } else if (!a.startsWith('-')) sub ??= a;
    }
    if (sub === 'stop' || sub === 'status') continue;
    if (resolve(cwd, dir) === wd && isAlive(Number(e))) out.push(Number(e));
  }
  return out;
}

/** Like Ctrl-C, each of these stops the sim (and only once: a repeat lets the stop finish). */
const SIM_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

function signalable(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (_e) {
    return false;
  }
}

/** The parent pid of `pid` (from /proc), undefined when it is gone. */
function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch (_e) {
    return undefined;
  }
}

function alive(pid: number): boolean {
  return isAlive(pid);
}

/** What state.json says, and whether its process still runs (a killed sim leaves a stale one). */
export function inspectState(workdir: string): { state?: SimState; stale: boolean } {
  const p = statePath(workdir);
  if (!existsSync(p)) return { stale: false };
  try {
    const st = JSON.parse(readFileSync(p, 'utf8')) as SimState;
    return st.pid && alive(st.pid) ? { state: st, stale: false } : { state: st, stale: true };
  } catch (_e) {
    return { stale: true };
  }
}

/** The running sim of a workdir (undefined when none, or when its process is gone). */
export function readState(workdir: string): SimState | undefined {
  const { state, stale } = inspectState(workdir);
  return stale ? undefined : state;
}

export interface Leftovers {
  pids: number[];
  netns: string[];
  /** runtime dirs (sockets) */
  dirs: string[];
}

/** Processes, netns and runtime dirs (sockets) of a sim of `workdir` whose own process is gone. */
export async function findLeftovers(workdir: string): Promise<Leftovers> {
  const wd = resolve(workdir);
  const cid = clusterIdFor(wd);
  const runRoot = runRootFor(cid);
  const markers = [`${runRoot}/`, `${wd}/`];
  try {
    const prev = JSON.parse(readFileSync(join(wd, OVN_STATE_FILE), 'utf8')) as OvnStateFile;
    if (prev.runRoot && prev.runRoot !== runRoot) markers.push(`${prev.runRoot}/`);
  } catch (_e) {
    // no OVN state: only what the markers find
  }
  const pids = findPidsByCmdline(markers).filter((p) => p !== process.pid && alive(p));
  const list = await run(['ip', 'netns', 'list']);
  const netns = list.stdout
    .split('\n')
    .map((l) => l.split(' ')[0])
    .filter((n) => n.startsWith(`nh${cid}-`));
  const dirs = existsSync(runRoot) ? [runRoot] : [];
  return { pids, netns, dirs };
}

const leftoverText = (l: Leftovers): string => `${l.pids.length} process(es), ${l.netns.length} netns, ${l.dirs.length} socket dir(s)`;

/** Kill and remove what a dead sim of `workdir` left: its daemons, netns, socket dirs and state files. */
export async function cleanLeftovers(workdir: string): Promise<Leftovers> {
  const wd = resolve(workdir);
  const l = await findLeftovers(wd);
  for (const pid of l.pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch (_e) {
      // gone
    }
  }
  await Promise.all(l.pids.map((p) => waitDead(p, 3000)));
  await Promise.all(l.netns.map((n) => run(['ip', 'netns', 'del', n])));
  for (const d of l.dirs) rmSync(d, { recursive: true, force: true });
  for (const f of [OVN_STATE_FILE, 'state.json']) rmSync(join(wd, f), { force: true });
  return l;
}

function ready(server: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((res) => {
    const req = https.get(`${server}/readyz`, { rejectUnauthorized: false, timeout: timeoutMs }, (r) => {
      r.resume();
      res(r.statusCode === 200);
    });
    req.on('error', () => res(false));
    req.on('timeout', () => {
      req.destroy();
      res(false);
    });
  });
}

/** A workdir may host one sim: UsageError naming the running one, else the directory is created. */
function claimWorkdir(workdir: string): void {
  const existing = readState(workdir);
  if (existing)
    throw new UsageError(
      `a sim is already running in ${workdir} (pid ${existing.pid}, ${existing.server})`,
      'stop it with `netharness sim stop` or use another --workdir',
    );
  mkdirSync(workdir, { recursive: true });
}

export async function runForeground(o: SimOptions, out: (s: string) => void = (s) => process.stdout.write(s)): Promise<number> {
  claimWorkdir(o.workdir);
  // a sim of this workdir that was killed (kill -9, OOM) left daemons, netns and sockets: clear them first
  if (inspectState(o.workdir).stale) {
    const l = await cleanLeftovers(o.workdir);
    process.stderr.write(`sim: cleaned what a dead sim of ${o.workdir} left: ${leftoverText(l)}\n`);
  }
  const t0 = performance.now();
  // Signals are caught from the start: Ctrl-C while the parts are still starting must not leave
  // half-started processes behind, so it waits for the start to finish and then stops everything.
  // Repeats are ignored: the stop always finishes (a half-done stop is what leaks).
  let signalled: NodeJS.Signals | undefined;
  let onSignalled: (() => void) | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    if (signalled) {
      process.stderr.write(`sim: ${sig} again: still stopping (it finishes, so nothing is left behind)\n`);
      return;
    }
    signalled = sig;
    process.stderr.write(`sim: ${sig}, stopping\n`);
    onSignalled?.();
  };
  for (const s of SIM_SIGNALS) process.on(s, onSignal);
  const detachSignals = () => {
    for (const s of SIM_SIGNALS) process.off(s, onSignal);
  };
  // the pid is on disk before anything starts: `sim stop` and `sim status` find a sim that is still starting
  const starting: SimState = {
    pid: process.pid,
    port: o.port ?? 0,
    server: '',
    kubeconfig: join(o.workdir, 'kubeconfig'),
    workdir: o.workdir,
    startedAt: new Date().toISOString(),
    readyMs: 0,
    starting: true,
  };
  writeState(o.workdir, starting);
  const { startCluster } = await import('./cluster.ts');
  let cluster;
  try {
    cluster = await startCluster({
      workdir: o.workdir,
      nodes: o.nodes,
      port: o.port,
      ipStack: o.ipStack,
      speed: o.speed,
      apiOnly: o.apiOnly,
      ptp: o.ptp,
    });
  } catch (e) {
    detachSignals();
    rmSync(statePath(o.workdir), { force: true });
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EADDRINUSE') throw new UsageError(`--port ${o.port}: address already in use`);
    throw new InfraError(`sim failed to start: ${err.message}`, undefined, { cause: e });
  }
  const readyMs = Math.round(performance.now() - t0);
  const port = Number(new URL(cluster.server).port);
  const state: SimState = {
    pid: process.pid,
    port,
    server: cluster.server,
    kubeconfig: cluster.kubeconfigPath,
    workdir: o.workdir,
    startedAt: starting.startedAt,
    readyMs,
  };
  if (!signalled) {
    writeState(o.workdir, state);
    process.stderr.write(`sim: ready in ${readyMs} ms at ${cluster.server} (${cluster.ctx.nodes.length} nodes); Ctrl-C stops it\n`);
    out(`export KUBECONFIG=${cluster.kubeconfigPath}\n`);
    await new Promise<void>((r) => (onSignalled = r));
  }
  try {
    await cluster.stop();
  } catch (e) {
    process.stderr.write(`sim: stop failed: ${e instanceof Error ? e.message : String(e)}\n`);
  } finally {
    rmSync(statePath(o.workdir), { force: true });
    detachSignals();
  }
  return 130;
}

/** Starts the same CLI in the foreground mode, detached, and returns once /readyz answers. */
export async function runDetached(
  o: SimOptions,
  argv: string[],
  out: (s: string) => void = (s) => process.stdout.write(s),
  timeoutMs = 60_000,
): Promise<number> {
  claimWorkdir(o.workdir);
  const logPath = join(o.workdir, 'sim.log');
  const fd = openSync(logPath, 'w');
  const cli = fileURLToPath(new URL('../harness/cli.ts', import.meta.url));
  const args = argv.filter((a) => a !== '--detach');
  // Interrupted while the sim starts (the runner aborting, a Ctrl-C): the sim is told to stop (it finishes
  // its start, then stops all it started) and this waits for it, so nothing is left when this exits. The
  // handlers are in place before the sim is spawned: a signal in between would end this process by default
  // and orphan a starting sim.
  let interrupted: NodeJS.Signals | undefined;
  const sim: { pid?: number } = {};
  const tellStop = (): void => {
    try {
      if (sim.pid) process.kill(sim.pid, 'SIGTERM');
    } catch (_e) {
      // gone
    }
  };
  const onSignal = (sig: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = sig;
    process.stderr.write(`sim: ${sig} during the start: stopping the sim${sim.pid ? ` (pid ${sim.pid})` : ''}\n`);
    tellStop();
  };
  for (const s of SIM_SIGNALS) process.on(s, onSignal);
  // tsx by its resolved URL: a bare `--import tsx` resolves from the cwd (the sim's cwd is the caller's)
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), cli, 'sim', ...args, '--workdir', o.workdir], {
    detached: true,
    stdio: ['ignore', fd, fd],
    cwd: process.cwd(),
    env: process.env,
  });
  sim.pid = child.pid;
  let exited: number | null = null;
  child.on('exit', (code) => (exited = code ?? 1));
  child.unref();
  try {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline || interrupted) {
      if (exited !== null) {
        if (interrupted) {
          await cleanLeftovers(o.workdir);
          return 130;
        }
        const tail = readFileSync(logPath, 'utf8').trim().split('\n').slice(-5).join('\n');
        throw new InfraError(`sim exited during start (code ${exited}); log ${logPath}:\n${tail}`);
      }
      if (interrupted && child.pid && !alive(child.pid)) exited = 130;
      const st = interrupted ? undefined : readState(o.workdir);
      // an interrupt that lands during the readiness probe wins: this must not report a sim it told to stop
      // as running (and exit without waiting for it)
      if (st && !st.starting && st.pid === child.pid && (await ready(st.server)) && !interrupted) {
        process.stderr.write(`sim: running in the background (pid ${st.pid}) at ${st.server}; log ${logPath}\n`);
        out(`export KUBECONFIG=${st.kubeconfig}\n`);
        return 0;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    for (const s of SIM_SIGNALS) process.off(s, onSignal);
  }
  try {
    if (child.pid) process.kill(child.pid, 'SIGTERM');
  } catch (_e) {
    // gone
  }
  throw new InfraError(`sim did not become ready within ${timeoutMs / 1000}s (told it to stop); log ${logPath}`);
}

/** How long a sim gets to stop (a starting one first finishes its start) before it is killed. */
const STOP_GRACE_MS = 90_000;

/**
 * Stop the sim of a workdir and clean what it leaves. A sim that is gone (kill -9) left its OVN/OVS daemons,
 * netns and sockets: they are found by the workdir's cluster id and removed, as the next start would.
 */
export async function stopSim(workdir: string, out: (s: string) => void = (s) => process.stdout.write(s)): Promise<number> {
  const wd = resolve(workdir);
  const { state, stale } = inspectState(wd);
  // the sim of the state file, and any sim process of this workdir that has none: one still starting (before
  // it writes its state) or still exiting (after it removed it) is waited for too, so nothing of the sim runs
  // once this returns
  const pids = [...new Set([...(state && !stale ? [state.pid] : []), ...simPidsOf(wd)])];
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch (_e) {
      // gone meanwhile
    }
  }
  const deadline = Date.now() + STOP_GRACE_MS;
  while (pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  for (const pid of pids) {
    if (alive(pid)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch (_e) {
        // gone meanwhile
      }
      await waitDead(pid, 5000);
      out(`sim (pid ${pid}) did not stop in ${STOP_GRACE_MS / 1000} s: killed\n`);
    } else out(`sim (pid ${pid}) stopped\n`);
    // dead may still mean a zombie when we are its parent (an in-process start): let the event loop reap it
    // (another parent's zombie, e.g. init's, is no concern of ours)
    for (let i = 0; i < 40 && signalable(pid) && parentOf(pid) === process.pid; i++) await new Promise((r) => setTimeout(r, 50));
  }
  const l = await cleanLeftovers(wd);
  const any = l.pids.length + l.netns.length + l.dirs.length > 0;
  if (stale && state) out(`sim (pid ${state.pid}) of ${wd} was dead; cleaned what it left: ${leftoverText(l)}\n`);
  else if (any) out(`cleaned leftovers of a sim of ${wd}: ${leftoverText(l)}\n`);
  else if (!pids.length) out(`no sim running in ${wd}\n`);
  return 0;
}

export async function simStatus(
  workdir: string,
  json: boolean,
  out: (s: string) => void = (s) => process.stdout.write(s),
): Promise<number> {
  const wd = resolve(workdir);
  const { state: st, stale } = inspectState(wd);
  if (stale) {
    // reported first, then cleaned (what `sim stop` would do): nothing of a dead sim stays around
    const merged = await cleanLeftovers(wd);
    if (json)
      out(
        `${JSON.stringify({ running: false, stale: true, pid: st?.pid ?? null, workdir: wd, cleaned: { processes: merged.pids.length, netns: merged.netns, socketDirs: merged.dirs } })}\n`,
      );
    else
      out(
        `stale: the sim${st ? ` (pid ${st.pid})` : ''} of ${wd} is dead; it left ${leftoverText(merged)}: cleaned\nno sim running in ${wd}\n`,
      );
    return 1;
  }
  const isReady = st && !st.starting ? await ready(st.server) : false;
  if (json) {
    out(
      `${JSON.stringify(st ? { running: true, starting: !!st.starting, ready: isReady, pid: st.pid, port: st.port, server: st.server, kubeconfig: st.kubeconfig, workdir: st.workdir, startedAt: st.startedAt, readyMs: st.readyMs } : { running: false, workdir: wd })}\n`,
    );
  } else if (st) {
    out(
      st.starting
        ? `sim starting: pid ${st.pid}, since ${st.startedAt}\n`
        : `sim running: pid ${st.pid}, ${st.server}, ${isReady ? 'ready' : 'not ready'}, since ${st.startedAt}\nexport KUBECONFIG=${st.kubeconfig}\n`,
    );
  } else out(`no sim running in ${wd}\n`);
  return st ? 0 : 1;
}
