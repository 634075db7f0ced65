/**
 * OvnCluster: the OvnNodes of one sim cluster. Brings them up in parallel, records pids / netns /
 * runtime dirs in <workdir>/ovn-state.json, cleans up what a killed previous run left behind
 * (same workdir -> same cluster id -> same netns names and runtime dir), registers
 * ctx.services.ovnExec / ovnLifecycle, and follows ovnkube-node pods and node reboots.
 *
 *   const ovn = await OvnCluster.start(ctx);      // or via the 'ovn' sim part
 *   const nb = await getOvnNode(ctx, 'worker-0').nbClient();
 */
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ExecResult, ExecStreams, OvnLifecycle, SimContext, SimNodeSpec, Stoppable } from '../types.ts';
import { OvnNode, type OvnProcName } from './node.ts';
import { InfraError } from '../../harness/errors.ts';
import { ensureOvnPackages } from './packages.ts';
import { cmdline, findPidsByCmdline, isAlive, run, waitDead } from './proc.ts';
import { watchOvnLifecycle } from './lifecycle.ts';

export const OVN_STATE_FILE = 'ovn-state.json';

export interface OvnStateFile {
  version: 1;
  clusterId: string;
  runRoot: string;
  nodes: Record<string, { id: number; netns: string; rundir: string; dir: string; pids: Partial<Record<OvnProcName, number>> }>;
}

export interface OvnClusterOptions {
  /** default ctx.nodes */
  nodes?: SimNodeSpec[];
  /** follow ovnkube-node pods and node reboot annotations in ctx.store (default true) */
  watch?: boolean;
  /** delete nb.db / sb.db / conf.db before starting (default false: a restart keeps them, as a host does) */
  resetDbs?: boolean;
  /** check for / install the packages first (default true) */
  ensurePackages?: boolean;
  /** per-step start-up timeout, ms (default 20000) */
  timeoutMs?: number;
  /** first restart delay of a crashed daemon, ms (default 1000 / ctx.speed; doubles per crash, max 30 s) */
  restartDelayMs?: number;
}

/** Stable short id from the (resolved) workdir: same workdir -> same netns names and runtime dir. */
export function clusterIdFor(workdir: string): string {
  return crypto.createHash('sha256').update(path.resolve(workdir)).digest('hex').slice(0, 6);
}

export function netnsName(clusterId: string, nodeId: number): string {
  return `nh${clusterId}-${nodeId}`;
}

export function runRootFor(clusterId: string): string {
  return `/tmp/nh-${clusterId}`;
}

const clusters = new WeakMap<SimContext, OvnCluster>();

export function getOvnCluster(ctx: SimContext): OvnCluster {
  const c = clusters.get(ctx);
  if (!c) throw new Error('sim/ovn: OVN is not running in this cluster (the ovn part has not started)');
  return c;
}

export function getOvnNode(ctx: SimContext, name: string): OvnNode {
  return getOvnCluster(ctx).node(name);
}

export class OvnCluster implements Stoppable, OvnLifecycle {
  readonly nodes = new Map<string, OvnNode>();
  private unwatch: (() => void) | undefined;
  private exitHook: (() => void) | undefined;
  private stopped = false;

  private constructor(
    readonly ctx: SimContext,
    readonly clusterId: string,
    readonly runRoot: string,
    readonly stateFile: string,
  ) {}

  static async start(ctx: SimContext, opts: OvnClusterOptions = {}): Promise<OvnCluster> {
    if (opts.ensurePackages !== false) await ensureOvnPackages(ctx.log);
    if (process.getuid?.() !== 0) {
      throw new InfraError(
        'sim: the embedded cluster runs real OVN/OVS in network namespaces and needs root (ip netns add, tap devices)',
        'run it as root, e.g. sudo -E npx netharness sim',
      );
    }
    const cid = clusterIdFor(ctx.workdir);
    const c = new OvnCluster(ctx, cid, runRootFor(cid), path.join(ctx.workdir, OVN_STATE_FILE));
    fs.mkdirSync(ctx.workdir, { recursive: true });
    await reapOrphans(ctx.log);
    await c.cleanupStale();
    fs.mkdirSync(c.runRoot, { recursive: true });
    fs.writeFileSync(path.join(c.runRoot, OWNER_FILE), `${JSON.stringify(ownerRecord(ctx.workdir))}\n`);
    const specs = opts.nodes ?? ctx.nodes;
    for (const spec of specs) {
      const dir = path.join(ctx.workdir, 'nodes', spec.name);
      if (opts.resetDbs) for (const f of ['nb.db', 'sb.db', 'conf.db']) fs.rmSync(path.join(dir, f), { force: true });
      c.nodes.set(
        spec.name,
        new OvnNode({
          spec,
          ipStack: ctx.ipStack,
          dir,
          rundir: path.join(c.runRoot, String(spec.id)),
          netns: netnsName(cid, spec.id),
          log: ctx.log,
          onPids: () => c.writeState(),
          timeoutMs: opts.timeoutMs,
          restartDelayMs: opts.restartDelayMs ?? Math.max(50, Math.round(1000 / (ctx.speed || 1))),
        }),
      );
    }
    c.installExitHook();
    c.writeState();
    const t0 = Date.now();
    try {
      await Promise.all([...c.nodes.values()].map((n) => n.start()));
    } catch (err) {
      await c.stop().catch(() => undefined);
      throw err;
    }
    ctx.log(
      `sim: OVN up on ${c.nodes.size} node(s) in ${((Date.now() - t0) / 1000).toFixed(1)} s (netns ${netnsName(cid, 1)}.., sockets ${c.runRoot})`,
    );
    clusters.set(ctx, c);
    ctx.services.ovnExec = (node, argv, streams) => c.exec(node, argv, streams);
    ctx.services.ovnLifecycle = c;
    if (opts.watch !== false) c.unwatch = watchOvnLifecycle(ctx, c);
    return c;
  }

  node(name: string): OvnNode {
    const n = this.nodes.get(name);
    if (!n) throw new Error(`sim/ovn: no such node '${name}' (nodes: ${[...this.nodes.keys()].join(', ')})`);
    return n;
  }

  exec(node: string, argv: string[], streams: ExecStreams): Promise<ExecResult> {
    const n = this.nodes.get(node);
    if (!n) {
      streams.stderr.write(`error: node ${node} has no OVN environment\n`);
      return Promise.resolve({ exitCode: 1, message: `no OVN environment on node ${node}` });
    }
    return n.exec(argv, streams);
  }

  stopOvnPod(node: string): Promise<void> {
    return this.node(node).stopOvnPod();
  }

  startOvnPod(node: string): Promise<void> {
    return this.node(node).startOvnPod();
  }

  stopHost(node: string): Promise<void> {
    return this.node(node).stopHost();
  }

  startHost(node: string): Promise<void> {
    return this.node(node).startHost();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.unwatch?.();
    if (clusters.get(this.ctx) === this) {
      clusters.delete(this.ctx);
      if (this.ctx.services.ovnLifecycle === this) delete this.ctx.services.ovnLifecycle;
      delete this.ctx.services.ovnExec;
    }
    await Promise.allSettled([...this.nodes.values()].map((n) => n.stop()));
    // belt and braces: anything still running from our runtime dir
    await killMatching([`${this.runRoot}/`]);
    fs.rmSync(this.runRoot, { recursive: true, force: true });
    if (this.exitHook) process.off('exit', this.exitHook);
    fs.rmSync(this.stateFile, { force: true });
  }

  /** Current state (also written to ovn-state.json). */
  state(): OvnStateFile {
    const nodes: OvnStateFile['nodes'] = {};
    for (const n of this.nodes.values())
      nodes[n.name] = { id: n.id, netns: n.netns, rundir: n.paths.rundir, dir: n.paths.dir, pids: n.pids() };
    return { version: 1, clusterId: this.clusterId, runRoot: this.runRoot, nodes };
  }

  private writeState(): void {
    if (this.stopped) return;
    const tmp = `${this.stateFile}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, `${JSON.stringify(this.state(), null, 2)}\n`);
    fs.renameSync(tmp, this.stateFile);
  }

  /** Processes, netns and sockets a killed previous run with this workdir left behind. */
  private async cleanupStale(): Promise<void> {
    const pids = new Set<number>();
    const netns = new Set<string>();
    const dirs = new Set<string>([this.runRoot]);
    let prev: OvnStateFile | undefined;
    try {
      prev = JSON.parse(fs.readFileSync(this.stateFile, 'utf8')) as OvnStateFile;
    } catch {
      prev = undefined;
    }
    const markers = [`${this.runRoot}/`];
    if (prev) {
      dirs.add(prev.runRoot);
      markers.push(`${prev.runRoot}/`);
      for (const n of Object.values(prev.nodes)) {
        netns.add(n.netns);
        dirs.add(n.rundir);
        for (const pid of Object.values(n.pids)) {
          // only if the pid still runs one of our daemons (pids get reused)
          const cl = pid ? cmdline(pid) : undefined;
          if (pid && cl && (cl.includes(n.rundir) || cl.includes(n.dir))) pids.add(pid);
        }
      }
    }
    for (const p of findPidsByCmdline(markers)) pids.add(p);
    const list = await run(['ip', 'netns', 'list']);
    for (const line of list.stdout.split('\n')) {
      const name = line.split(' ')[0];
      if (name.startsWith(`nh${this.clusterId}-`)) netns.add(name);
    }
    const live = [...pids].filter(isAlive);
    for (const pid of live) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    await Promise.all(live.map((p) => waitDead(p, 3000)));
    await Promise.all([...netns].map((n) => run(['ip', 'netns', 'del', n])));
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
    fs.rmSync(this.stateFile, { force: true });
    if (prev || live.length || netns.size)
      this.ctx.log(`sim: cleaned up stale OVN state of a previous run (${live.length} process(es), ${netns.size} netns)`);
  }

  /** If the Node process exits without stop(), kill our daemons and drop the netns (best effort, sync). */
  private installExitHook(): void {
    this.exitHook = () => {
      for (const n of this.nodes.values()) {
        for (const pid of Object.values(n.pids())) {
          try {
            if (pid) process.kill(pid, 'SIGKILL');
          } catch {
            /* gone */
          }
        }
        spawnSync('ip', ['netns', 'del', n.netns], { stdio: 'ignore' });
      }
      fs.rmSync(this.runRoot, { recursive: true, force: true });
    };
    process.on('exit', this.exitHook);
  }
}

/** Written to <runRoot>/owner.json: which process runs this cluster's OVN. */
export const OWNER_FILE = 'owner.json';

interface OwnerRecord {
  pid: number;
  /** /proc/<pid>/stat field 22, to tell a reused pid from the owner */
  start: string;
  workdir: string;
}

function procStart(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function ownerRecord(workdir: string): OwnerRecord {
  return { pid: process.pid, start: procStart(process.pid) ?? '', workdir: path.resolve(workdir) };
}

/**
 * OVN left behind by a sim process that died without cleaning up (kill -9, a crashed test worker
 * with a temporary workdir that nobody starts again): /tmp/nh-<id>/owner.json names a dead owner.
 * Kill its daemons, delete its netns, remove the runtime dir. Never touches a live owner's cluster.
 */
export async function reapOrphans(log: (line: string) => void): Promise<number> {
  let dirs: string[];
  try {
    dirs = fs.readdirSync('/tmp').filter((d) => /^nh-[0-9a-f]{6}$/.test(d));
  } catch {
    return 0;
  }
  let reaped = 0;
  for (const d of dirs) {
    const root = path.join('/tmp', d);
    let owner: OwnerRecord;
    try {
      owner = JSON.parse(fs.readFileSync(path.join(root, OWNER_FILE), 'utf8')) as OwnerRecord;
    } catch {
      continue; // no owner file (yet): not ours to judge
    }
    if (procStart(owner.pid) === owner.start && isAlive(owner.pid)) continue;
    const cid = d.slice(3);
    await killMatching([`${root}/`]);
    const list = await run(['ip', 'netns', 'list']);
    const ns = list.stdout
      .split('\n')
      .map((l) => l.split(' ')[0])
      .filter((n) => n.startsWith(`nh${cid}-`));
    await Promise.all(ns.map((n) => run(['ip', 'netns', 'del', n])));
    fs.rmSync(root, { recursive: true, force: true });
    log(`sim: reaped OVN state of a dead sim (pid ${owner.pid}, workdir ${owner.workdir}): ${ns.length} netns`);
    reaped++;
  }
  return reaped;
}

async function killMatching(markers: string[]): Promise<void> {
  const pids = findPidsByCmdline(markers);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  await Promise.all(pids.map((p) => waitDead(p, 2000)));
}
