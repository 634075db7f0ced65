/**
 * OvnNode: the real OVN/OVS processes of one sim node, in its own network namespace.
 *
 * Interconnect mode: every node is its own zone with its own NB + SB ovsdb-server and ovn-northd
 * (the "ovnkube-node pod" part, with ovn-controller), plus the host part: ovsdb-server for conf.db
 * (Open_vSwitch) and ovs-vswitchd with the netdev (userspace) datapath.
 *
 * Files: <workdir>/nodes/<node>/ holds nb.db, sb.db, conf.db and the logs; sockets, pidfiles and
 * unixctl sockets live in a short runtime dir /tmp/nh-<clusterId>/<nodeId>/ (unix socket paths must
 * stay < 108 bytes) that <workdir>/nodes/<node>/run links to. Names follow the OVN packaging
 * (ovnnb_db.sock, ovnsb_db.sock, ovnnb_db.ctl, db.sock, <program>.pid), so with OVS_RUNDIR and
 * OVN_RUNDIR set to the runtime dir, bare `ovn-nbctl`, `ovs-vsctl`, `ovs-appctl -t ovn-controller`
 * work as they do inside the ovnkube-node image.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ExecResult, ExecStreams, IpStack, SimNodeSpec } from '../types.ts';
import { GATEWAY_V4, GATEWAY_V6, nodeAddressing, stripPrefix, type NodeAddressing } from '../topology.ts';
import { OvsdbClient, type OvsdbRow } from './ovsdb-client.ts';
import { OVN_SCHEMAS, whichOnPath } from './packages.ts';
import { run, runOk, sleep, spawnInNetns, terminate, type Daemon } from './proc.ts';
import { spawner } from './spawner.ts';

export const NB_DB = 'OVN_Northbound';
export const SB_DB = 'OVN_Southbound';
export const OVS_DB = 'Open_vSwitch';

export type OvnProcName = 'ovsdb-server-nb' | 'ovsdb-server-sb' | 'ovn-northd' | 'ovn-controller' | 'ovsdb-server' | 'ovs-vswitchd';
/** The processes of the ovnkube-node pod (nbdb, sbdb, northd, ovn-controller containers). */
export const POD_PROCS: readonly OvnProcName[] = ['ovsdb-server-nb', 'ovsdb-server-sb', 'ovn-northd', 'ovn-controller'];
/** The host's processes (systemd units openvswitch / ovsdb-server on RHCOS). */
export const HOST_PROCS: readonly OvnProcName[] = ['ovsdb-server', 'ovs-vswitchd'];

/**
 * The daemons that compute derived state from the NB (northd -> SB -> ovn-controller -> vswitchd) can
 * run at a lower CPU priority than the NB ovsdb-server, the conf.db ovsdb-server and the sim itself.
 * On a real cluster every node's data-plane daemons have that node's CPUs to themselves; here all the
 * nodes share the machine's cores, and after a burst of NB writes (10k pods on 24 nodes) 72 busy
 * northd / SB / ovn-controller processes compete with the control plane (the API server, the kubelets,
 * ovnkube waiting for its NB transaction replies). With a nice value the same work is done, with the
 * same end state, when the control plane leaves the CPU to it. `NETHARNESS_SIM_OVN_NICE` sets the value;
 * the default is 0 (off): on the shared 2-core machine (load 8-14 from other work) 5 alternated runs of
 * bench/cluster.bench.ts at 10k pods showed no difference in the medians (bench/README.md).
 */
export const DERIVED_PROCS: readonly OvnProcName[] = ['ovn-northd', 'ovsdb-server-sb', 'ovn-controller', 'ovs-vswitchd'];
export const OVN_NICE_ENV = 'NETHARNESS_SIM_OVN_NICE';

/** The nice value of the derived-state daemons (default 0; 0..19). */
export function derivedNice(env: NodeJS.ProcessEnv = process.env): number {
  const v = env[OVN_NICE_ENV];
  if (v === undefined || v === '') return 0;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 19) throw new Error(`${OVN_NICE_ENV} must be an integer 0..19, got '${v}'`);
  return n;
}

export interface OvnNodePaths {
  /** <workdir>/nodes/<node> */
  dir: string;
  /** short runtime dir for sockets/pidfiles: /tmp/nh-<cid>/<id> */
  rundir: string;
  nbDb: string;
  sbDb: string;
  confDb: string;
  nbSocket: string;
  sbSocket: string;
  /** conf.db (Open_vSwitch) socket, ovs-vsctl's default */
  dbSocket: string;
  log: Record<OvnProcName, string>;
}

export interface OvnNodeOptions {
  spec: SimNodeSpec;
  ipStack: IpStack;
  /** <workdir>/nodes/<node> */
  dir: string;
  rundir: string;
  netns: string;
  log: (line: string) => void;
  /** told whenever pids change, for ovn-state.json */
  onPids: () => void;
  /** wait for each step this long before failing (ms) */
  timeoutMs?: number;
  /** first restart delay of a crashed daemon (doubles per crash, max 30 s); default 1000 */
  restartDelayMs?: number;
}

export class OvnNode {
  readonly name: string;
  readonly id: number;
  readonly netns: string;
  readonly paths: OvnNodePaths;
  readonly addressing: NodeAddressing;
  private readonly procs = new Map<OvnProcName, Daemon>();
  private readonly stopping = new Set<OvnProcName>();
  private readonly argvs = new Map<OvnProcName, string[]>();
  private readonly restarts = new Map<OvnProcName, number>();
  private readonly restartBaseMs: number;
  private chain: Promise<unknown> = Promise.resolve();
  private hostUp = false;
  private closed = false;
  private podUp = false;
  private readonly timeoutMs: number;

  constructor(private readonly opts: OvnNodeOptions) {
    this.name = opts.spec.name;
    this.id = opts.spec.id;
    this.netns = opts.netns;
    this.addressing = nodeAddressing(opts.spec, opts.ipStack);
    this.timeoutMs = opts.timeoutMs ?? 20_000;
    this.restartBaseMs = opts.restartDelayMs ?? 1000;
    const d = opts.dir;
    const r = opts.rundir;
    this.paths = {
      dir: d,
      rundir: r,
      nbDb: path.join(d, 'nb.db'),
      sbDb: path.join(d, 'sb.db'),
      confDb: path.join(d, 'conf.db'),
      nbSocket: path.join(r, 'ovnnb_db.sock'),
      sbSocket: path.join(r, 'ovnsb_db.sock'),
      dbSocket: path.join(r, 'db.sock'),
      log: {
        'ovsdb-server-nb': path.join(d, 'ovsdb-server-nb.log'),
        'ovsdb-server-sb': path.join(d, 'ovsdb-server-sb.log'),
        'ovn-northd': path.join(d, 'ovn-northd.log'),
        'ovn-controller': path.join(d, 'ovn-controller.log'),
        'ovsdb-server': path.join(d, 'ovsdb-server.log'),
        'ovs-vswitchd': path.join(d, 'ovs-vswitchd.log'),
      },
    };
    for (const s of [this.paths.nbSocket, this.paths.sbSocket, path.join(r, 'ovn-controller.4194304.ctl')]) {
      if (Buffer.byteLength(s) > 107) throw new Error(`sim/ovn: socket path too long (${Buffer.byteLength(s)} > 107 bytes): ${s}`);
    }
  }

  get nbSocket(): string {
    return this.paths.nbSocket;
  }

  get sbSocket(): string {
    return this.paths.sbSocket;
  }

  /** Primary node IP without prefix (v4 when present). */
  get nodeIp(): string {
    return stripPrefix(this.addressing.nodeIp.v4 ?? this.addressing.nodeIp.v6 ?? '');
  }

  get hostRunning(): boolean {
    return this.hostUp;
  }

  get ovnPodRunning(): boolean {
    return this.podUp;
  }

  /** pid per running process (for ovn-state.json and tests). */
  pids(): Partial<Record<OvnProcName, number>> {
    const out: Partial<Record<OvnProcName, number>> = {};
    for (const [n, d] of this.procs) out[n] = d.pid;
    return out;
  }

  /** Environment of the ovnkube-node containers: bare ovn-nbctl / ovs-vsctl / ovs-appctl find this node. */
  env(): NodeJS.ProcessEnv {
    const r = this.paths.rundir;
    const base = process.env.PATH ?? '/usr/bin:/bin';
    const pathVar = [...new Set([...base.split(':'), '/usr/local/sbin', '/usr/sbin', '/sbin', '/usr/bin', '/bin'])].join(':');
    return {
      PATH: pathVar,
      HOME: process.env.HOME ?? '/root',
      LANG: 'C.UTF-8',
      HOSTNAME: this.name,
      K8S_NODE: this.name,
      OVS_RUNDIR: r,
      OVN_RUNDIR: r,
      OVS_LOGDIR: this.paths.dir,
      OVN_LOGDIR: this.paths.dir,
      OVS_DBDIR: this.paths.dir,
      OVN_DBDIR: this.paths.dir,
      OVN_NB_DB: `unix:${this.paths.nbSocket}`,
      OVN_SB_DB: `unix:${this.paths.sbSocket}`,
      DB_SOCK: `unix:${this.paths.dbSocket}`,
    };
  }

  /** Serialises lifecycle operations on this node. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.chain.then(fn, fn);
    this.chain = p.catch(() => undefined);
    return p;
  }

  /** netns + host + pod. */
  start(): Promise<void> {
    this.closed = false;
    return this.serial(async () => {
      await this.ensureNetns();
      await this.doStartHost();
      await this.doStartPod();
    });
  }

  /** Everything down, netns deleted, runtime dir removed. DB files stay. Later start calls are ignored. */
  stop(): Promise<void> {
    this.closed = true;
    return this.serial(async () => {
      await this.doStopPod();
      await this.doStopHost();
      await run(['ip', 'netns', 'del', this.netns]);
      fs.rmSync(this.paths.rundir, { recursive: true, force: true });
    });
  }

  /** ovnkube-node pod gone: NB/SB ovsdb-server, northd, ovn-controller stop; DB files stay. */
  stopOvnPod(): Promise<void> {
    return this.serial(() => this.doStopPod());
  }

  /** ovnkube-node pod running again (starts the host first if it is down). */
  startOvnPod(): Promise<void> {
    return this.serial(async () => {
      if (this.closed) return;
      if (!this.hostComplete()) {
        await this.ensureNetns();
        await this.doStartHost();
      }
      await this.doStartPod();
    });
  }

  /**
   * Node reboot / power off: the pod's processes and the host's (vswitchd, conf.db server) stop and
   * the kernel network state goes (the netns is deleted: tap devices, addresses, routes).
   */
  stopHost(): Promise<void> {
    return this.serial(async () => {
      await this.doStopPod();
      await this.doStopHost();
      await run(['ip', 'netns', 'del', this.netns]);
    });
  }

  /** Host back: conf.db server, vswitchd, br-ex addresses. The pod comes back with startOvnPod. */
  startHost(): Promise<void> {
    return this.serial(async () => {
      if (this.closed) return;
      await this.ensureNetns();
      await this.doStartHost();
    });
  }

  /** A connected client to this node's NB database (caller closes it). */
  nbClient(waitMs = 5000): Promise<OvsdbClient> {
    return OvsdbClient.connect(this.paths.nbSocket, { waitMs });
  }

  sbClient(waitMs = 5000): Promise<OvsdbClient> {
    return OvsdbClient.connect(this.paths.sbSocket, { waitMs });
  }

  /**
   * `ovn-appctl -t <program> <cmd> [args]` / `ovs-appctl -t ...` without spawning them: the same
   * JSON-RPC request over the daemon's unixctl socket (<rundir>/<program>.<pid>.ctl, the pid from its
   * pidfile, as appctl finds it). Resolves with the reply text appctl would print; rejects when the
   * daemon is down or answers with an error. A metrics scrape of 24 nodes spawned 120 such processes
   * from the sim's large process every interval.
   */
  async appctl(program: 'ovn-controller' | 'ovn-northd' | 'ovs-vswitchd', cmd: string, args: string[] = []): Promise<string> {
    const pid = fs.readFileSync(path.join(this.paths.rundir, `${program}.pid`), 'utf8').trim();
    const c = await OvsdbClient.connect(path.join(this.paths.rundir, `${program}.${pid}.ctl`), { requestTimeoutMs: 5000 });
    try {
      const r = await c.request(cmd, args);
      return typeof r === 'string' ? r : JSON.stringify(r);
    } finally {
      await c.close();
    }
  }

  ovsClient(waitMs = 5000): Promise<OvsdbClient> {
    return OvsdbClient.connect(this.paths.dbSocket, { waitMs });
  }

  /**
   * Run argv inside the node's netns with the ovnkube-node environment. No shell. A missing binary
   * exits 127 with CRI-O's message.
   */
  async exec(argv: string[], streams: ExecStreams): Promise<ExecResult> {
    if (argv.length === 0) {
      streams.stderr.write(
        'OCI runtime exec failed: exec failed: unable to start container process: exec: no command specified: unknown\n',
      );
      return { exitCode: 126, message: 'command terminated with non-zero exit code' };
    }
    const env = this.env();
    argv = argv.map((a) => this.translatePath(a));
    const bin = argv[0];
    const resolved = bin.includes('/') ? (fs.existsSync(bin) ? bin : undefined) : whichOnPath(bin, env.PATH);
    if (!resolved) {
      streams.stderr.write(
        `OCI runtime exec failed: exec failed: unable to start container process: exec: "${bin}": executable file not found in $PATH: unknown\n`,
      );
      return { exitCode: 127, message: `exec: "${bin}": executable file not found in $PATH` };
    }
    if (!fs.existsSync(`/run/netns/${this.netns}`)) {
      streams.stderr.write(`error: the node ${this.name} is not running (network namespace ${this.netns} missing)\n`);
      return { exitCode: 1, message: 'command terminated with non-zero exit code' };
    }
    const ipArgs = ['netns', 'exec', this.netns, resolved, ...argv.slice(1)];
    if (!streams.stdin) {
      // from the spawn helper: a fork of this process would block its thread (sim/ovn/spawner.ts)
      const e = await spawner.run('ip', ipArgs, { env, cwd: this.paths.dir, stdout: streams.stdout, stderr: streams.stderr });
      if (e.error !== undefined) {
        streams.stderr.write(`exec ${bin}: ${e.error}\n`);
        return { exitCode: 126, message: e.error };
      }
      const exitCode = e.code ?? (e.signal ? 128 + signalNumber(e.signal) : 1);
      return exitCode === 0 ? { exitCode } : { exitCode, message: 'command terminated with non-zero exit code' };
    }
    return new Promise<ExecResult>((resolve) => {
      const child = spawn('ip', ipArgs, {
        env,
        cwd: this.paths.dir,
        stdio: [streams.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      });
      if (streams.stdin && child.stdin) {
        streams.stdin.pipe(child.stdin);
        child.stdin.on('error', () => undefined);
      }
      child.stdout?.pipe(streams.stdout, { end: false });
      child.stderr?.pipe(streams.stderr, { end: false });
      child.on('error', (err) => {
        streams.stderr.write(`exec ${bin}: ${err.message}\n`);
        resolve({ exitCode: 126, message: err.message });
      });
      child.on('close', (code, signal) => {
        const exitCode = code ?? (signal ? 128 + signalNumber(signal) : 1);
        resolve(exitCode === 0 ? { exitCode } : { exitCode, message: 'command terminated with non-zero exit code' });
      });
    });
  }

  /**
   * The ovnkube-node image's paths -> this node's: /var/run/ovn/ and /var/run/openvswitch/ (and
   * /run/...) -> the runtime dir, /var/log/ovn/ and /var/log/openvswitch/ -> the node dir, also
   * inside `unix:` / `--db=unix:` arguments. So `ovn-appctl -t /var/run/ovn/ovnnb_db.ctl ...` and
   * `ovs-vsctl --db=unix:/var/run/openvswitch/db.sock show` work as on a real node.
   */
  translatePath(arg: string): string {
    return arg
      .replace(/(^|[=:])\/(?:var\/)?run\/(?:ovn|openvswitch)\//g, `$1${this.paths.rundir}/`)
      .replace(/(^|[=:])\/var\/log\/(?:ovn|openvswitch)\//g, `$1${this.paths.dir}/`);
  }

  /** exec with captured output. */
  async execCapture(argv: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
    let stdout = '';
    let stderr = '';
    const { Writable } = await import('node:stream');
    const w = (set: (s: string) => void) =>
      new Writable({
        write(chunk: Buffer, _enc, cb) {
          set(chunk.toString('utf8'));
          cb();
        },
      });
    const r = await this.exec(argv, { stdout: w((s) => (stdout += s)), stderr: w((s) => (stderr += s)) });
    return { exitCode: r.exitCode, stdout, stderr };
  }

  /** JSON dump of NB tables: table -> rows (all columns, with _uuid). */
  async dumpNb(tables: string[]): Promise<Record<string, OvsdbRow[]>> {
    const c = await this.nbClient();
    try {
      const res = await c.transact(
        NB_DB,
        tables.map((table) => ({ op: 'select' as const, table, where: [] })),
      );
      const out: Record<string, OvsdbRow[]> = {};
      tables.forEach((t, i) => (out[t] = res[i].rows ?? []));
      return out;
    } finally {
      await c.close();
    }
  }

  // ---- internals ----

  private async ensureNetns(): Promise<void> {
    fs.mkdirSync(this.paths.dir, { recursive: true });
    fs.mkdirSync(this.paths.rundir, { recursive: true });
    const link = path.join(this.paths.dir, 'run');
    try {
      if (fs.readlinkSync(link) !== this.paths.rundir) {
        fs.unlinkSync(link);
        fs.symlinkSync(this.paths.rundir, link);
      }
    } catch {
      fs.rmSync(link, { force: true, recursive: true });
      fs.symlinkSync(this.paths.rundir, link);
    }
    if (!fs.existsSync(`/run/netns/${this.netns}`)) {
      const r = await run(['ip', 'netns', 'add', this.netns]);
      if (r.code !== 0 && !/File exists/.test(r.stderr)) throw new Error(`ip netns add ${this.netns}: ${r.stderr.trim()}`);
    }
    await runOk(['ip', '-n', this.netns, 'link', 'set', 'lo', 'up']);
  }

  private async ensureDb(file: string, schema: string): Promise<void> {
    if (!fs.existsSync(file)) {
      await runOk(['ovsdb-tool', 'create', file, schema]);
      return;
    }
    const needs = await run(['ovsdb-tool', 'needs-conversion', file, schema]);
    if (needs.code === 0 && needs.stdout.trim() === 'yes') await runOk(['ovsdb-tool', 'convert', file, schema]);
  }

  private spawnProc(name: OvnProcName, argv: string[]): Daemon {
    const nice = DERIVED_PROCS.includes(name) ? derivedNice() : 0;
    // nice(1) execs the daemon in place (same pid); its threads (vswitchd's handlers) inherit the value
    const cmd = nice > 0 ? ['nice', '-n', String(nice), ...argv] : argv;
    const d = spawnInNetns(name, this.netns, cmd, this.env(), this.paths.log[name], this.paths.dir);
    this.procs.set(name, d);
    this.argvs.set(name, argv);
    this.stopping.delete(name);
    const startedAt = Date.now();
    void d.exited.then(({ code, signal }) => {
      if (this.procs.get(name) !== d) return;
      this.procs.delete(name);
      this.opts.onPids();
      if (this.stopping.has(name)) return;
      const how = signal ?? `exit ${code}`;
      if (code === 0 && !signal) {
        // a clean exit (e.g. `ovn-appctl -t ovn-northd exit`) stays down until startOvnPod/startHost
        this.opts.log(`sim: ${name} on ${this.name} exited (exit 0); not restarted`);
        return;
      }
      // like the kubelet (pod containers) and systemd (host daemons): restart with back-off
      const prev = this.restarts.get(name) ?? 0;
      const n = Date.now() - startedAt > 60_000 ? 0 : prev;
      this.restarts.set(name, n + 1);
      const delay = Math.min(this.restartBaseMs * 2 ** n, 30_000);
      this.opts.log(`sim: ${name} on ${this.name} exited unexpectedly (${how}); restarting in ${delay} ms; see ${this.paths.log[name]}`);
      const t = setTimeout(() => void this.restartProc(name), delay);
      t.unref();
    });
    this.opts.onPids();
    return d;
  }

  /** Restart a crashed daemon if its group (pod or host) is still meant to run. */
  private restartProc(name: OvnProcName): Promise<void> {
    return this.serial(async () => {
      const wanted = POD_PROCS.includes(name) ? this.podUp : this.hostUp;
      const argv = this.argvs.get(name);
      if (this.closed || !wanted || !argv || this.procs.has(name) || this.stopping.has(name)) return;
      try {
        this.spawnProc(name, argv);
        if (name === 'ovs-vswitchd') await this.configureBrEx();
      } catch (err) {
        this.opts.log(`sim: restarting ${name} on ${this.name} failed: ${(err as Error).message}`);
      }
    });
  }

  private logArgs(name: OvnProcName): string[] {
    return [`--log-file=${this.paths.log[name]}`, '-vconsole:off', '-vfile:info'];
  }

  private async waitSocket(sock: string, proc: OvnProcName): Promise<void> {
    const deadline = Date.now() + this.timeoutMs;
    while (!fs.existsSync(sock)) {
      if (!this.procs.has(proc)) throw new Error(`sim/ovn: ${proc} on ${this.name} exited during start-up; see ${this.paths.log[proc]}`);
      if (Date.now() > deadline) throw new Error(`sim/ovn: ${proc} on ${this.name}: ${sock} did not appear in ${this.timeoutMs} ms`);
      await sleep(10);
    }
  }

  private hostComplete(): boolean {
    return this.hostUp && HOST_PROCS.every((p) => this.procs.has(p));
  }

  private podComplete(): boolean {
    return this.podUp && POD_PROCS.every((p) => this.procs.has(p));
  }

  /** Starts whatever host process is missing (idempotent). */
  private async doStartHost(): Promise<void> {
    if (this.hostComplete()) return;
    const r = this.paths.rundir;
    await this.ensureDb(this.paths.confDb, OVN_SCHEMAS.conf);
    if (!this.procs.has('ovsdb-server')) {
      this.spawnProc('ovsdb-server', [
        'ovsdb-server',
        `--remote=punix:${this.paths.dbSocket}`,
        '--remote=db:Open_vSwitch,Open_vSwitch,manager_options',
        `--pidfile=${path.join(r, 'ovsdb-server.pid')}`,
        ...this.logArgs('ovsdb-server'),
        this.paths.confDb,
      ]);
    }
    await this.waitSocket(this.paths.dbSocket, 'ovsdb-server');
    await this.configureOvs();
    if (!this.procs.has('ovs-vswitchd')) {
      this.spawnProc('ovs-vswitchd', [
        'ovs-vswitchd',
        `unix:${this.paths.dbSocket}`,
        `--pidfile=${path.join(r, 'ovs-vswitchd.pid')}`,
        ...this.logArgs('ovs-vswitchd'),
      ]);
    }
    await this.configureBrEx();
    this.hostUp = true;
  }

  /** Open_vSwitch external_ids for ovn-controller and the br-int / br-ex bridges (netdev datapath). */
  private async configureOvs(): Promise<void> {
    const a = this.addressing;
    const encapIp = stripPrefix(a.nodeIp.v4 ?? a.nodeIp.v6 ?? '');
    const ext: Record<string, string> = {
      'system-id': this.name,
      hostname: this.name,
      'ovn-remote': `unix:${this.paths.sbSocket}`,
      'ovn-encap-type': 'geneve',
      'ovn-encap-ip': encapIp,
      'ovn-bridge-mappings': 'physnet:br-ex',
      'ovn-bridge-datapath-type': 'netdev',
      'ovn-monitor-all': 'true',
      'ovn-remote-probe-interval': '180000',
      'ovn-openflow-probe-interval': '180',
      'ovn-is-interconn': 'true',
      'ovn-enable-lflow-cache': 'true',
    };
    const args = [
      'ovs-vsctl',
      `--db=unix:${this.paths.dbSocket}`,
      '--no-wait',
      '--timeout=15',
      '--',
      'init',
      '--',
      'set',
      'Open_vSwitch',
      '.',
    ];
    for (const [k, v] of Object.entries(ext)) args.push(`external_ids:${k}="${v}"`);
    args.push(
      '--',
      '--may-exist',
      'add-br',
      'br-int',
      '--',
      'set',
      'Bridge',
      'br-int',
      'datapath_type=netdev',
      'fail_mode=secure',
      'other_config:disable-in-band=true',
      '--',
      '--may-exist',
      'add-br',
      'br-ex',
      '--',
      'set',
      'Bridge',
      'br-ex',
      'datapath_type=netdev',
      `other_config:hwaddr="${a.mac}"`,
      '--',
      'br-set-external-id',
      'br-ex',
      'bridge-id',
      'br-ex',
    );
    await runOk(args, { env: this.env() });
  }

  /** br-ex tap (created by vswitchd) holds the node IP; default route via the machine-network gateway. */
  private async configureBrEx(): Promise<void> {
    const a = this.addressing;
    // wait until vswitchd has opened the br-ex and br-int ports (their tap devices then exist in the netns)
    await runOk(
      [
        'ovs-vsctl',
        `--db=unix:${this.paths.dbSocket}`,
        `--timeout=${Math.ceil(this.timeoutMs / 1000)}`,
        'wait-until',
        'Interface',
        'br-ex',
        'ofport>0',
        '--',
        'wait-until',
        'Interface',
        'br-int',
        'ofport>0',
      ],
      {
        env: this.env(),
        timeoutMs: this.timeoutMs + 2000,
      },
    );
    const lines = ['link set br-ex up'];
    if (a.nodeIp.v4) lines.push(`addr replace ${a.nodeIp.v4} dev br-ex`);
    if (a.nodeIp.v6) lines.push(`addr replace ${a.nodeIp.v6} dev br-ex nodad`);
    if (a.nodeIp.v4) lines.push(`route replace default via ${GATEWAY_V4} dev br-ex`);
    if (a.nodeIp.v6) lines.push(`route replace default via ${GATEWAY_V6} dev br-ex`);
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      const r = await run(['ip', '-n', this.netns, '-batch', '-'], { input: `${lines.join('\n')}\n` });
      if (r.code === 0) return;
      if (Date.now() > deadline || !/Cannot find device|does not exist/.test(r.stderr))
        throw new Error(`sim/ovn: configuring br-ex on ${this.name}: ${r.stderr.trim()}`);
      await sleep(20);
    }
  }

  /** Starts whatever pod process is missing (idempotent). */
  private async doStartPod(): Promise<void> {
    if (this.podComplete()) return;
    const r = this.paths.rundir;
    await Promise.all([this.ensureDb(this.paths.nbDb, OVN_SCHEMAS.nb), this.ensureDb(this.paths.sbDb, OVN_SCHEMAS.sb)]);
    if (!this.procs.has('ovsdb-server-nb')) {
      this.spawnProc('ovsdb-server-nb', [
        'ovsdb-server',
        `--remote=punix:${this.paths.nbSocket}`,
        `--pidfile=${path.join(r, 'ovnnb_db.pid')}`,
        `--unixctl=${path.join(r, 'ovnnb_db.ctl')}`,
        ...this.logArgs('ovsdb-server-nb'),
        this.paths.nbDb,
      ]);
    }
    if (!this.procs.has('ovsdb-server-sb')) {
      this.spawnProc('ovsdb-server-sb', [
        'ovsdb-server',
        `--remote=punix:${this.paths.sbSocket}`,
        `--pidfile=${path.join(r, 'ovnsb_db.pid')}`,
        `--unixctl=${path.join(r, 'ovnsb_db.ctl')}`,
        ...this.logArgs('ovsdb-server-sb'),
        this.paths.sbDb,
      ]);
    }
    await Promise.all([this.waitSocket(this.paths.nbSocket, 'ovsdb-server-nb'), this.waitSocket(this.paths.sbSocket, 'ovsdb-server-sb')]);
    if (!this.procs.has('ovn-northd')) {
      this.spawnProc('ovn-northd', [
        'ovn-northd',
        `--ovnnb-db=unix:${this.paths.nbSocket}`,
        `--ovnsb-db=unix:${this.paths.sbSocket}`,
        `--pidfile=${path.join(r, 'ovn-northd.pid')}`,
        ...this.logArgs('ovn-northd'),
      ]);
    }
    // ovn-controller 23.03 can crash (SIGSEGV) when it connects to an SB that northd has not
    // initialised yet: wait for northd's SB_Global row first.
    await this.waitSbGlobal();
    if (!this.procs.has('ovn-controller')) {
      this.spawnProc('ovn-controller', [
        'ovn-controller',
        `unix:${this.paths.dbSocket}`,
        `--pidfile=${path.join(r, 'ovn-controller.pid')}`,
        ...this.logArgs('ovn-controller'),
      ]);
    }
    await this.waitChassis();
    this.podUp = true;
  }

  private async waitSbGlobal(): Promise<void> {
    const c = await this.sbClient(this.timeoutMs);
    try {
      const deadline = Date.now() + this.timeoutMs;
      while ((await c.select(SB_DB, 'SB_Global', [], ['_uuid'])).length === 0) {
        if (!this.procs.has('ovn-northd'))
          throw new Error(`sim/ovn: ovn-northd on ${this.name} exited during start-up; see ${this.paths.log['ovn-northd']}`);
        if (Date.now() > deadline)
          throw new Error(
            `sim/ovn: ovn-northd on ${this.name} did not initialise the SB in ${this.timeoutMs} ms; see ${this.paths.log['ovn-northd']}`,
          );
        await sleep(10);
      }
    } finally {
      await c.close();
    }
  }

  /** ovn-controller is up when its Chassis row is in the SB. */
  private async waitChassis(): Promise<void> {
    const c = await this.sbClient(this.timeoutMs);
    try {
      const deadline = Date.now() + this.timeoutMs;
      for (;;) {
        const rows = await c.select(SB_DB, 'Chassis', [['name', '==', this.name]], ['name']);
        if (rows.length > 0) return;
        if (!this.procs.has('ovn-controller'))
          throw new Error(`sim/ovn: ovn-controller on ${this.name} exited during start-up; see ${this.paths.log['ovn-controller']}`);
        if (Date.now() > deadline)
          throw new Error(
            `sim/ovn: ovn-controller on ${this.name} did not register its chassis in ${this.timeoutMs} ms; see ${this.paths.log['ovn-controller']}`,
          );
        await sleep(25);
      }
    } finally {
      await c.close();
    }
  }

  private async stopProcs(names: readonly OvnProcName[]): Promise<void> {
    await Promise.all(
      names.map(async (n) => {
        const d = this.procs.get(n);
        if (!d) return;
        this.stopping.add(n);
        await terminate(d.pid, 3000, d.child);
        this.procs.delete(n);
      }),
    );
    this.opts.onPids();
  }

  private async doStopPod(): Promise<void> {
    // ovn-controller and northd first (clients), then the databases
    await this.stopProcs(['ovn-controller', 'ovn-northd']);
    await this.stopProcs(['ovsdb-server-nb', 'ovsdb-server-sb']);
    for (const f of ['ovnnb_db.sock', 'ovnsb_db.sock', 'ovnnb_db.ctl', 'ovnsb_db.ctl'])
      fs.rmSync(path.join(this.paths.rundir, f), { force: true });
    this.podUp = false;
  }

  private async doStopHost(): Promise<void> {
    await this.stopProcs(['ovs-vswitchd']);
    await this.stopProcs(['ovsdb-server']);
    fs.rmSync(this.paths.dbSocket, { force: true });
    this.hostUp = false;
  }
}

function signalNumber(sig: NodeJS.Signals): number {
  return os.constants.signals[sig] ?? 1;
}
