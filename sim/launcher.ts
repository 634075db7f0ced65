/**
 * `netharness sim` behind the CLI: foreground run, --detach, stop, status, and the state.json
 * that ties them together (pid, port, kubeconfig). The CLI module loads this lazily; it is the
 * only way the harness reaches into sim/ (everything else goes through the kubeconfig).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InfraError, UsageError } from '../harness/errors.ts';
import { parseNodeCount } from './topology.ts';
import type { IpStack, SimNodeSpec } from './types.ts';

export interface SimFlags {
  workdir?: string;
  nodes?: string;
  port?: string;
  ipStack?: string;
  speed?: string;
  detach?: boolean;
  json?: boolean;
  apiOnly?: boolean;
}

export interface SimOptions {
  workdir: string;
  nodes?: SimNodeSpec[];
  port?: number;
  ipStack: IpStack;
  speed: number;
  apiOnly: boolean;
}

export interface SimState {
  pid: number;
  port: number;
  server: string;
  kubeconfig: string;
  workdir: string;
  startedAt: string;
  readyMs: number;
}

export function parseSimFlags(f: SimFlags): SimOptions {
  const workdir = resolve(f.workdir ?? join('results', 'sim'));
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
  return { workdir, nodes, port, ipStack, speed, apiOnly: !!f.apiOnly };
}

const statePath = (workdir: string) => join(workdir, 'state.json');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The running sim of a workdir; stale state (process gone) is removed and reported as none. */
export function readState(workdir: string): SimState | undefined {
  const p = statePath(workdir);
  if (!existsSync(p)) return undefined;
  let st: SimState;
  try {
    st = JSON.parse(readFileSync(p, 'utf8')) as SimState;
  } catch (_e) {
    rmSync(p, { force: true });
    return undefined;
  }
  if (!st.pid || !alive(st.pid)) {
    rmSync(p, { force: true });
    return undefined;
  }
  return st;
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

export async function runForeground(o: SimOptions, out: (s: string) => void = (s) => process.stdout.write(s)): Promise<number> {
  const existing = readState(o.workdir);
  if (existing)
    throw new UsageError(
      `a sim is already running in ${o.workdir} (pid ${existing.pid}, ${existing.server})`,
      'stop it with `netharness sim stop` or use another --workdir',
    );
  mkdirSync(o.workdir, { recursive: true });
  const t0 = performance.now();
  // Signals are caught from the start: Ctrl-C while the parts are still starting must not leave
  // half-started processes behind, so it waits for the start to finish and then stops everything.
  let signalled: NodeJS.Signals | undefined;
  let onSignalled: (() => void) | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    if (signalled) return;
    signalled = sig;
    process.stderr.write(`sim: ${sig}, stopping\n`);
    onSignalled?.();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const detachSignals = () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
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
    });
  } catch (e) {
    detachSignals();
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
    startedAt: new Date().toISOString(),
    readyMs,
  };
  if (!signalled) {
    writeFileSync(statePath(o.workdir), JSON.stringify(state, null, 2));
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
  const existing = readState(o.workdir);
  if (existing)
    throw new UsageError(
      `a sim is already running in ${o.workdir} (pid ${existing.pid}, ${existing.server})`,
      'stop it with `netharness sim stop` or use another --workdir',
    );
  mkdirSync(o.workdir, { recursive: true });
  const logPath = join(o.workdir, 'sim.log');
  const fd = openSync(logPath, 'w');
  const cli = fileURLToPath(new URL('../harness/cli.ts', import.meta.url));
  const args = argv.filter((a) => a !== '--detach');
  const child = spawn(process.execPath, ['--import', 'tsx', cli, 'sim', ...args, '--workdir', o.workdir], {
    detached: true,
    stdio: ['ignore', fd, fd],
    cwd: process.cwd(),
    env: process.env,
  });
  let exited: number | null = null;
  child.on('exit', (code) => (exited = code ?? 1));
  child.unref();
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited !== null) {
      const tail = readFileSync(logPath, 'utf8').trim().split('\n').slice(-5).join('\n');
      throw new InfraError(`sim exited during start (code ${exited}); log ${logPath}:\n${tail}`);
    }
    const st = readState(o.workdir);
    if (st && st.pid === child.pid && (await ready(st.server))) {
      process.stderr.write(`sim: running in the background (pid ${st.pid}) at ${st.server}; log ${logPath}\n`);
      out(`export KUBECONFIG=${st.kubeconfig}\n`);
      return 0;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  try {
    if (child.pid) process.kill(-child.pid, 'SIGTERM');
  } catch (_e) {
    // gone
  }
  throw new InfraError(`sim did not become ready within ${timeoutMs / 1000}s; log ${logPath}`);
}

export async function stopSim(workdir: string, out: (s: string) => void = (s) => process.stdout.write(s)): Promise<number> {
  const st = readState(resolve(workdir));
  if (!st) {
    out(`no sim running in ${resolve(workdir)}\n`);
    return 0;
  }
  process.kill(st.pid, 'SIGTERM');
  const deadline = Date.now() + 15_000;
  while (alive(st.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (alive(st.pid)) {
    process.kill(st.pid, 'SIGKILL');
    out(`sim (pid ${st.pid}) did not stop in 15s: killed\n`);
  } else out(`sim (pid ${st.pid}) stopped\n`);
  rmSync(statePath(resolve(workdir)), { force: true });
  return 0;
}

export async function simStatus(
  workdir: string,
  json: boolean,
  out: (s: string) => void = (s) => process.stdout.write(s),
): Promise<number> {
  const st = readState(resolve(workdir));
  const isReady = st ? await ready(st.server) : false;
  if (json) {
    out(
      `${JSON.stringify(st ? { running: true, ready: isReady, pid: st.pid, port: st.port, server: st.server, kubeconfig: st.kubeconfig, workdir: st.workdir, startedAt: st.startedAt, readyMs: st.readyMs } : { running: false, workdir: resolve(workdir) })}\n`,
    );
  } else if (st) {
    out(
      `sim running: pid ${st.pid}, ${st.server}, ${isReady ? 'ready' : 'not ready'}, since ${st.startedAt}\nexport KUBECONFIG=${st.kubeconfig}\n`,
    );
  } else out(`no sim running in ${resolve(workdir)}\n`);
  return st ? 0 : 1;
}
