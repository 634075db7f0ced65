/**
 * What runs when a command runs in an emulated container (kubectl exec, or the container's own
 * command). Three images:
 *
 * - 'ovn': the ovn-kubernetes image (ovnkube-node / ovnkube-control-plane containers): the
 *   binaries the real image ships run for real through ctx.services.ovnExec(node, argv) with that
 *   node's sockets; `sh -c` / `bash -c` run the real shell there.
 * - 'rbac': kube-rbac-proxy: only /usr/local/bin/kube-rbac-proxy, no shell.
 * - 'generic': any other image: a tiny built-in sh (echo, printf, cat, hostname, env, date,
 *   sleep, true, false, exit, ls, pwd, id, uname, tail -f). With the host root mounted
 *   (hostPath / at /host, privileged) `chroot /host ...` reaches the node: systemctl
 *   reboot|stop|start|restart kubelet, reboot, `echo c > /proc/sysrq-trigger` (crash),
 *   dd of=/proc/sysrq-trigger (crash), and the OVS/OVN/ip/nft tools through ovnExec.
 *
 * A binary the image lacks fails like CRI-O/runc: exit 127 and
 * `OCI runtime exec failed: exec failed: unable to start container process: exec: "<bin>": executable file not found in $PATH: unknown`.
 */
import { Readable, Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { ExecStreams, NodeActions, SimServices } from '../types.ts';
import { parseScript, STATUS_MARK, type SimpleCommand } from './shell.ts';

export type ImageKind = 'ovn' | 'rbac' | 'generic';

export const OVN_NAMESPACE = 'openshift-ovn-kubernetes';
/** Containers that run the ovn-kubernetes image. */
export const OVN_IMAGE_CONTAINERS = new Set([
  'ovn-controller',
  'ovn-acl-logging',
  'northd',
  'nbdb',
  'sbdb',
  'ovnkube-controller',
  'ovnkube-cluster-manager',
  'kubecfg-setup',
]);

/** Binaries of the ovn-kubernetes image that run for real through ovnExec (basename). */
export const OVN_IMAGE_BINARIES = new Set([
  'ovn-nbctl',
  'ovn-sbctl',
  'ovn-trace',
  'ovn-appctl',
  'ovn-detrace',
  'ovn-ic-nbctl',
  'ovn-ic-sbctl',
  'ovs-vsctl',
  'ovs-ofctl',
  'ovs-appctl',
  'ovs-dpctl',
  'ovsdb-client',
  'ovsdb-tool',
  'ip',
  'nft',
  'iptables',
  'iptables-save',
  'ip6tables',
  'ip6tables-save',
  'conntrack',
  'cat',
  'ls',
  'grep',
  'ps',
  'bash',
  'sh',
  'echo',
  'head',
  'tail',
  'awk',
  'sed',
  'wc',
  'sort',
  'uniq',
  'cut',
  'hostname',
  'env',
  'date',
  'sleep',
  'true',
  'false',
  'find',
  'timeout',
  'jq',
  'curl',
  'ss',
  'tcpdump',
  'ping',
]);
const BIN_DIRS = ['/usr/bin/', '/usr/sbin/', '/bin/', '/sbin/', '/usr/local/bin/'];

/** Tools of the RHCOS host reached with `chroot /host` that run through ovnExec. */
export const HOST_OVN_BINARIES = new Set([
  'ovs-vsctl',
  'ovs-ofctl',
  'ovs-appctl',
  'ovs-dpctl',
  'ovsdb-client',
  'ovsdb-tool',
  'ovn-nbctl',
  'ovn-sbctl',
  'ovn-trace',
  'ovn-appctl',
  'ip',
  'nft',
  'iptables',
  'iptables-save',
  'ip6tables',
  'ip6tables-save',
  'conntrack',
  'ss',
  'ps',
  'grep',
  'tcpdump',
  'ping',
]);

const GENERIC_BUILTINS = new Set([
  'sh',
  'bash',
  'echo',
  'printf',
  'cat',
  'hostname',
  'env',
  'printenv',
  'date',
  'sleep',
  'true',
  'false',
  'exit',
  'ls',
  'pwd',
  'id',
  'whoami',
  'uname',
  'set',
  'export',
  'cd',
  ':',
  'wait',
  'trap',
  'tail',
  'chroot',
]);
const HOST_BUILTINS = new Set(['systemctl', 'reboot', 'shutdown', 'dd', 'uptime']);

export function ociNotFound(bin: string): string {
  if (bin.startsWith('/'))
    return `OCI runtime exec failed: exec failed: unable to start container process: exec: "${bin}": stat ${bin}: no such file or directory: unknown`;
  return `OCI runtime exec failed: exec failed: unable to start container process: exec: "${bin}": executable file not found in $PATH: unknown`;
}

export function execFailureMessage(argv: string[], code: number): string {
  return `command terminated with non-zero exit code: error executing command [${argv.join(' ')}], exit code ${code}`;
}

export interface Out {
  write(s: string): void;
  /**
   * The byte stream behind this output, when there is one (an exec's stdout / stderr channel): a real process's
   * output goes to it as bytes, with backpressure, instead of text decoded and encoded again per pipe read.
   */
  readonly stream?: Writable;
}

export interface HostInfo {
  bootId(node: string): string;
}

export interface RunEnv {
  kind: ImageKind;
  node: string;
  namespace: string;
  /** the container's hostname (pod name, or node name for hostNetwork pods) */
  hostname: string;
  podIp?: string;
  vars: Record<string, string>;
  /** Where the host root is mounted when the pod may chroot into it ('/host'). */
  hostMount?: string;
  inHost?: boolean;
  services: SimServices;
  nodeActions?: NodeActions;
  host?: HostInfo;
  speed: number;
  /** Sleeps (already divided by speed by the caller); rejects with Cancelled when the container stops. */
  sleep(ms: number): Promise<void>;
  files: Map<string, string>;
  /** Binaries a registered container handler adds to the image (sim/kubelet/handlers.ts): pmc, curl, ... */
  image?: ImageCommands;
}

/** Commands an image provides beyond the built-in shell, run with the shell's I/O (pipes and redirects work). */
export interface ImageCommands {
  has(name: string): boolean;
  run(argv: string[], io: { stdin?: string | Readable; out: Out; err: Out }): Promise<number>;
}

export class ExitSignal extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

interface CmdIo {
  stdin?: string | Readable;
  out: Out;
  err: Out;
  /** The line source of an interactive shell (shared with nested shells, e.g. `chroot /host`). */
  lines?: LineSource;
  tty?: boolean;
}

/** Lines of an interactive stdin, consumed one at a time. */
export class LineSource {
  private buf = '';
  private ended = false;
  private waiter?: () => void;
  constructor(stream: Readable) {
    stream.on('data', (c: Buffer | string) => {
      this.buf += typeof c === 'string' ? c : c.toString('utf8');
      this.wake();
    });
    stream.on('end', () => {
      this.ended = true;
      this.wake();
    });
    stream.on('error', () => {
      this.ended = true;
      this.wake();
    });
  }
  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }
  /** The next line without its newline; undefined at end of input. */
  async next(): Promise<string | undefined> {
    for (;;) {
      const i = this.buf.indexOf('\n');
      if (i >= 0) {
        const line = this.buf.slice(0, i).replace(/\r$/, '');
        this.buf = this.buf.slice(i + 1);
        return line;
      }
      if (this.ended) {
        if (!this.buf) return undefined;
        const line = this.buf;
        this.buf = '';
        return line;
      }
      await new Promise<void>((r) => (this.waiter = r));
    }
  }
}

function basename(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? p : p.slice(i + 1);
}

/** Resolves argv[0] against the image: the basename when the image has it, else undefined. */
function ovnImageBinary(bin: string): string | undefined {
  const b = basename(bin);
  if (!OVN_IMAGE_BINARIES.has(b)) return undefined;
  if (bin.includes('/') && !BIN_DIRS.some((d) => bin === d + b)) return undefined;
  return b;
}

/**
 * A real process's output into an Out: its byte stream when it has one, else text decoded across pipe reads
 * (a UTF-8 character split by a 64 KiB read stays one character).
 */
function toWritable(o: Out): Writable {
  if (o.stream) return o.stream;
  const decoder = new StringDecoder('utf8');
  return new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      o.write(typeof chunk === 'string' ? chunk : decoder.write(chunk));
      cb();
    },
  });
}

async function readAll(r: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

async function viaOvnExec(env: RunEnv, argv: string[], io: CmdIo): Promise<number> {
  const exec = env.services.ovnExec;
  if (!exec) {
    io.err.write(`sim: the OVN/OVS environment of node ${env.node} is not running (sim/ovn did not start), cannot run ${argv[0]}\n`);
    return 126;
  }
  const streams: ExecStreams = {
    stdout: toWritable(io.out),
    stderr: toWritable(io.err),
    stdin: io.stdin === undefined ? undefined : typeof io.stdin === 'string' ? Readable.from([io.stdin]) : io.stdin,
  };
  const r = await exec(env.node, argv, streams);
  return r.exitCode;
}

/** Runs one command as the container runtime starts it (kubectl exec, or the container's command). */
export async function runDirect(env: RunEnv, argv: string[], io: CmdIo): Promise<number> {
  if (argv.length === 0) {
    io.err.write('OCI runtime exec failed: exec failed: unable to start container process: exec: no command specified: unknown\n');
    return 126;
  }
  if (env.kind === 'ovn' && !env.inHost) {
    if (!ovnImageBinary(argv[0])) {
      io.err.write(`${ociNotFound(argv[0])}\n`);
      return 127;
    }
    return viaOvnExec(env, argv, io);
  }
  if (env.kind === 'rbac') {
    if (argv[0] !== '/usr/local/bin/kube-rbac-proxy' && argv[0] !== 'kube-rbac-proxy') {
      io.err.write(`${ociNotFound(argv[0])}\n`);
      return 127;
    }
    if (argv.includes('--version')) {
      io.out.write('Kube-rbac-proxy version v0.18.1\n');
      return 0;
    }
    if (argv.includes('--help') || argv.includes('-h')) {
      io.err.write(
        'Usage of kube-rbac-proxy:\n      --secure-listen-address string   The address the kube-rbac-proxy HTTPs server should listen on.\n      --upstream string                The upstream URL to proxy to once requests have successfully been authenticated and authorized.\n',
      );
      return 0;
    }
    io.err.write(
      'E1121 00:00:00.000000       1 run.go:74] "command failed" err="failed to listen on secure address: listen tcp :9103: bind: address already in use"\n',
    );
    return 1;
  }
  const b = basename(argv[0]);
  if (!isKnown(env, b)) {
    io.err.write(`${ociNotFound(argv[0])}\n`);
    return 127;
  }
  return runCommand(env, argv, io, 'exec');
}

function isKnown(env: RunEnv, name: string): boolean {
  if (GENERIC_BUILTINS.has(name)) return true;
  if (!env.inHost && env.image?.has(name)) return true;
  if (env.inHost) return HOST_BUILTINS.has(name) || HOST_OVN_BINARIES.has(name);
  return false;
}

/** Whether the container's command can be run by the built-in shell to completion (else it is a long-running server). */
export function isInterpretable(env: Pick<RunEnv, 'hostMount' | 'vars'>, argv: string[], inHost = false): boolean {
  if (argv.length === 0) return false;
  const b = basename(argv[0]);
  const known = (n: string, host: boolean): boolean =>
    GENERIC_BUILTINS.has(n) || (host && (HOST_BUILTINS.has(n) || HOST_OVN_BINARIES.has(n)));
  if (!known(b, inHost)) return false;
  if ((b === 'sh' || b === 'bash') && argv[1] === '-c') {
    const items = parseScript(argv[2] ?? '', env.vars);
    if (!items) return false;
    return items.every((it) =>
      it.pipeline.commands.every((c) =>
        isInterpretable(
          env,
          c.argv.filter((w, i) => i > 0 || !/^[A-Za-z_]\w*=/.test(w)),
          inHost,
        ),
      ),
    );
  }
  if (b === 'sh' || b === 'bash') return false; // interactive shell: long-running
  if (b === 'chroot') return !!env.hostMount && argv[1] === env.hostMount && argv.length > 2 && isInterpretable(env, argv.slice(2), true);
  if (b === 'tail') return !argv.includes('-f');
  if (b === 'sleep') return argv[1] !== 'infinity';
  return true;
}

/** Runs a shell script with the built-in shell. */
export async function runScript(
  env: RunEnv,
  script: string,
  io: CmdIo,
  shell: string,
  opts: { rethrowExit?: boolean; initialStatus?: number } = {},
): Promise<number> {
  const items = parseScript(script, env.vars);
  if (!items) {
    if (env.inHost) return viaOvnExec(env, [shell, '-c', script], io);
    io.err.write(`${shell}: this emulated container's shell supports simple commands, pipes, redirections, ; && || only\n`);
    return 2;
  }
  let status = opts.initialStatus ?? 0;
  let skip = false;
  try {
    for (let i = 0; i < items.length; i++) {
      const it = items[i];
      if (!skip) {
        const run = runPipeline(env, it.pipeline.commands, io, shell, status);
        if (it.pipeline.background) {
          run.catch(() => undefined);
          status = 0;
        } else status = await run;
      }
      const next = it.next;
      skip = (next === '&&' && status !== 0) || (next === '||' && status === 0);
    }
  } catch (e) {
    if (e instanceof ExitSignal && !opts.rethrowExit) return e.code;
    throw e;
  }
  return status;
}

/** An interactive shell: one line at a time from stdin, a prompt with a tty, until `exit` or EOF. */
async function repl(env: RunEnv, io: CmdIo, shell: string, lines: LineSource): Promise<number> {
  let status = 0;
  const prompt = `${shell}-5.1# `;
  for (;;) {
    if (io.tty) io.out.write(prompt);
    const line = await lines.next();
    if (line === undefined) return status;
    if (!line.trim()) continue;
    try {
      status = await runScript(env, line, { ...io, stdin: undefined, lines }, shell, { rethrowExit: true, initialStatus: status });
    } catch (e) {
      if (e instanceof ExitSignal) return e.code;
      throw e;
    }
  }
}

async function runPipeline(env: RunEnv, cmds: SimpleCommand[], io: CmdIo, shell: string, lastStatus: number): Promise<number> {
  let input: string | Readable | undefined = io.stdin;
  let status = 0;
  for (let i = 0; i < cmds.length; i++) {
    const last = i === cmds.length - 1;
    let buf = '';
    const pipeOut: Out = { write: (s) => (buf += s) };
    const c = cmds[i];
    const argv = c.argv.map((w) => w.split(STATUS_MARK).join(String(lastStatus)));
    status = await runWithRedirects(
      env,
      { argv, redirects: c.redirects },
      { stdin: input, out: last ? io.out : pipeOut, err: io.err, lines: io.lines, tty: io.tty },
      shell,
    );
    input = buf;
  }
  return status;
}

async function runWithRedirects(env: RunEnv, c: SimpleCommand, io: CmdIo, shell: string): Promise<number> {
  let out = io.out;
  let err = io.err;
  let stdin = io.stdin;
  const pending: { path: string; append: boolean; data: string[] }[] = [];
  for (const r of c.redirects) {
    if (r.op === '>&') {
      if (r.fd === 2 && r.target === '1') err = out;
      else if (r.fd === 1 && r.target === '2') out = err;
      continue;
    }
    if (r.op === '<') {
      const content = readFile(env, r.target);
      if (content === undefined) {
        io.err.write(`${shell}: line 1: ${r.target}: No such file or directory\n`);
        return 1;
      }
      stdin = content;
      continue;
    }
    const sink = { path: r.target, append: r.op === '>>', data: [] as string[] };
    pending.push(sink);
    const o: Out = { write: (s) => sink.data.push(s) };
    if (r.fd === 2) err = o;
    else out = o;
  }
  // assignments prefix
  let argv = c.argv;
  while (argv.length && /^[A-Za-z_]\w*=/.test(argv[0])) {
    const [k, ...v] = argv[0].split('=');
    if (argv.length === 1) env.vars[k] = v.join('=');
    argv = argv.slice(1);
  }
  let status = argv.length ? await runCommand(env, argv, { stdin, out, err, lines: io.lines, tty: io.tty }, shell) : 0;
  for (const p of pending) {
    const w = writeFile(env, p.path, p.data.join(''), p.append);
    if (w !== undefined) {
      io.err.write(`${shell}: line 1: ${p.path}: ${w}\n`);
      status = 1;
    }
  }
  return status;
}

const FIXED_FILES = (env: RunEnv): Record<string, string> =>
  env.inHost
    ? {
        '/etc/hostname': `${env.node}\n`,
        '/proc/sys/kernel/hostname': `${env.node}\n`,
        '/etc/os-release': 'NAME="Red Hat Enterprise Linux CoreOS"\nID="rhcos"\nVARIANT_ID=coreos\n',
        '/proc/sys/kernel/random/boot_id': `${env.host?.bootId(env.node) ?? ''}\n`,
      }
    : {
        '/etc/hostname': `${env.hostname}\n`,
        '/proc/sys/kernel/hostname': `${env.hostname}\n`,
        '/etc/hosts': `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n${env.podIp ? `${env.podIp}\t${env.hostname}\n` : ''}`,
        '/etc/resolv.conf': `search ${env.namespace}.svc.cluster.local svc.cluster.local cluster.local\nnameserver 172.30.0.10\noptions ndots:5\n`,
      };

function readFile(env: RunEnv, path: string): string | undefined {
  if (path === '/dev/null') return '';
  const key = `${env.inHost ? 'host:' : ''}${path}`;
  return env.files.get(key) ?? FIXED_FILES(env)[path];
}

/** Returns an error text when the write fails. */
function writeFile(env: RunEnv, path: string, data: string, append: boolean): string | undefined {
  if (path === '/dev/null' || path === '/dev/stdout' || path === '/dev/stderr') return undefined;
  if (path === '/proc/sysrq-trigger') {
    if (!env.inHost) return 'Read-only file system';
    const c = data.trim().charAt(0);
    if ((c === 'c' || c === 'b') && env.nodeActions) void env.nodeActions.crash(env.node).catch(() => undefined);
    return undefined;
  }
  if (path.startsWith('/proc/') || path.startsWith('/sys/')) return 'Read-only file system';
  const key = `${env.inHost ? 'host:' : ''}${path}`;
  if (env.files.size > 256 && !env.files.has(key)) return 'No space left on device';
  env.files.set(key, (append ? (env.files.get(key) ?? '') : '') + data.slice(0, 1 << 20));
  return undefined;
}

function fmtDate(d: Date): string {
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const mons = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${days[d.getUTCDay()]} ${mons[d.getUTCMonth()]} ${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} UTC ${d.getUTCFullYear()}`;
}

function echoEscapes(s: string): string {
  return s.replace(/\\(n|t|\\|e|a|r)/g, (_m, c: string) => ({ n: '\n', t: '\t', '\\': '\\', e: '\x1b', a: '\x07', r: '\r' })[c] ?? c);
}

function printf(fmt: string, args: string[]): string {
  let out = '';
  let ai = 0;
  const once = (): void => {
    out += echoEscapes(fmt).replace(/%([sdq%])/g, (_m, c: string) => {
      if (c === '%') return '%';
      const a = args[ai++] ?? '';
      return c === 'd' ? String(Number.parseInt(a, 10) || 0) : a;
    });
  };
  once();
  while (ai < args.length && /%[sdq]/.test(fmt)) once();
  return out;
}

function parseSleep(arg: string | undefined): number | undefined {
  if (arg === undefined) return undefined;
  if (arg === 'infinity') return Infinity;
  const m = /^(\d+(?:\.\d+)?)([smhd]?)$/.exec(arg);
  if (!m) return undefined;
  const mult = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2]] ?? 1;
  return Number(m[1]) * mult;
}

async function runCommand(env: RunEnv, argv: string[], io: CmdIo, shell: string): Promise<number> {
  const name = basename(argv[0]);
  const args = argv.slice(1);
  const notFound = (): number => {
    if (shell === 'exec') io.err.write(`${ociNotFound(argv[0])}\n`);
    else io.err.write(`${shell}: line 1: ${argv[0]}: command not found\n`);
    return 127;
  };
  if (env.inHost && HOST_OVN_BINARIES.has(name)) return viaOvnExec(env, argv, io);
  if (env.inHost && HOST_BUILTINS.has(name)) return hostCommand(env, name, args, io);
  if (!env.inHost && env.image?.has(name) && !GENERIC_BUILTINS.has(name)) return env.image.run(argv, io);
  if (!GENERIC_BUILTINS.has(name)) return notFound();
  switch (name) {
    case 'sh':
    case 'bash': {
      const ci = args.indexOf('-c');
      if (ci >= 0) return runScript(env, args[ci + 1] ?? '', io, name);
      if (io.lines) return repl(env, io, name, io.lines);
      if (typeof io.stdin === 'string') return runScript(env, io.stdin, { ...io, stdin: undefined }, name);
      if (io.stdin) return repl(env, io, name, new LineSource(io.stdin));
      return 0;
    }
    case 'echo': {
      let a = args;
      let newline = true;
      let esc = false;
      while (a.length && /^-[neE]+$/.test(a[0])) {
        if (a[0].includes('n')) newline = false;
        if (a[0].includes('e')) esc = true;
        a = a.slice(1);
      }
      const s = a.join(' ');
      io.out.write((esc ? echoEscapes(s) : s) + (newline ? '\n' : ''));
      return 0;
    }
    case 'printf':
      if (!args.length) {
        io.err.write('printf: usage: printf [-v var] format [arguments]\n');
        return 2;
      }
      io.out.write(printf(args[0], args.slice(1)));
      return 0;
    case 'cat': {
      if (!args.length) {
        if (io.stdin !== undefined) io.out.write(typeof io.stdin === 'string' ? io.stdin : await readAll(io.stdin));
        return 0;
      }
      let rc = 0;
      for (const f of args) {
        const c = readFile(env, f);
        if (c === undefined) {
          io.err.write(`cat: ${f}: No such file or directory\n`);
          rc = 1;
        } else io.out.write(c);
      }
      return rc;
    }
    case 'hostname':
      io.out.write(`${env.inHost ? env.node : env.hostname}\n`);
      return 0;
    case 'env':
    case 'printenv': {
      if (name === 'printenv' && args.length) {
        const v = env.vars[args[0]];
        if (v === undefined) return 1;
        io.out.write(`${v}\n`);
        return 0;
      }
      if (name === 'env' && args.length) return runCommand(env, args, io, shell);
      for (const [k, v] of Object.entries(env.vars)) if (!/^[?$#0-9]$/.test(k)) io.out.write(`${k}=${v}\n`);
      return 0;
    }
    case 'date':
      io.out.write(`${fmtDate(new Date())}\n`);
      return 0;
    case 'sleep': {
      const s = parseSleep(args[0]);
      if (s === undefined) {
        io.err.write(`sleep: invalid time interval '${args[0] ?? ''}'\n`);
        return 1;
      }
      await env.sleep(s === Infinity ? Infinity : (s * 1000) / env.speed);
      return 0;
    }
    case 'tail':
      if (args.includes('-f')) {
        await env.sleep(Infinity);
        return 0;
      }
      {
        // tail [-n N | -N] [file...]: the last N lines (default 10)
        let n = 10;
        const files: string[] = [];
        for (let i = 0; i < args.length; i++) {
          const a = args[i];
          if (a === '-n') n = Number(args[++i] ?? 10);
          else if (/^-n\d+$/.test(a)) n = Number(a.slice(2));
          else if (/^-\d+$/.test(a)) n = Number(a.slice(1));
          else if (!a.startsWith('-')) files.push(a);
        }
        let text = '';
        const sink: Out = { write: (x) => (text += x) };
        const rc = await runCommand(env, ['cat', ...files], { ...io, out: sink }, shell);
        const lines = text.split('\n');
        if (lines[lines.length - 1] === '') lines.pop();
        const last = Number.isFinite(n) && n >= 0 ? lines.slice(Math.max(0, lines.length - n)) : lines;
        if (last.length) io.out.write(`${last.join('\n')}\n`);
        return rc;
      }
    case 'true':
    case ':':
    case 'set':
    case 'cd':
    case 'wait':
    case 'trap':
      return 0;
    case 'false':
      return 1;
    case 'exit': {
      const code = args[0] === undefined ? 0 : Number.parseInt(args[0], 10);
      throw new ExitSignal(Number.isFinite(code) ? code & 255 : 2);
    }
    case 'export':
      for (const a of args) {
        const i = a.indexOf('=');
        if (i > 0) env.vars[a.slice(0, i)] = a.slice(i + 1);
      }
      return 0;
    case 'ls': {
      const dir = args.find((a) => !a.startsWith('-')) ?? '/';
      const listing: Record<string, string> = env.inHost
        ? { '/': 'bin\nboot\ndev\netc\nhome\nlib\nlib64\nmnt\nopt\nostree\nproc\nroot\nrun\nsbin\nsrv\nsys\nsysroot\ntmp\nusr\nvar\n' }
        : {
            '/': `bin\ndev\netc\nhome\nlib\nproc\nroot\nrun\nsbin\nsys\ntmp\nusr\nvar\n${env.hostMount ? `${env.hostMount.slice(1)}\n` : ''}`,
            '/etc': 'hostname\nhosts\nresolv.conf\n',
            '/tmp': '',
          };
      const l = listing[dir.replace(/\/$/, '') || '/'];
      if (l === undefined) {
        if (readFile(env, dir) !== undefined) {
          io.out.write(`${dir}\n`);
          return 0;
        }
        io.err.write(`ls: cannot access '${dir}': No such file or directory\n`);
        return 2;
      }
      io.out.write(
        dir === '/tmp'
          ? [...env.files.keys()]
              .filter((k) => k.startsWith('/tmp/'))
              .map((k) => `${k.slice(5)}\n`)
              .join('')
          : l,
      );
      return 0;
    }
    case 'pwd':
      io.out.write('/\n');
      return 0;
    case 'id':
      io.out.write('uid=0(root) gid=0(root) groups=0(root)\n');
      return 0;
    case 'whoami':
      io.out.write('root\n');
      return 0;
    case 'uname':
      if (args.includes('-a'))
        io.out.write(
          `Linux ${env.inHost ? env.node : env.hostname} 5.14.0-427.el9_4.x86_64 #1 SMP PREEMPT_DYNAMIC x86_64 x86_64 x86_64 GNU/Linux\n`,
        );
      else if (args.includes('-r')) io.out.write('5.14.0-427.el9_4.x86_64\n');
      else if (args.includes('-n')) io.out.write(`${env.inHost ? env.node : env.hostname}\n`);
      else io.out.write('Linux\n');
      return 0;
    case 'chroot': {
      const target = args[0];
      if (!target) {
        io.err.write("chroot: missing operand\nTry 'chroot --help' for more information.\n");
        return 125;
      }
      if (!env.hostMount || target.replace(/\/$/, '') !== env.hostMount) {
        io.err.write(`chroot: cannot change root directory to '${target}': No such file or directory\n`);
        return 125;
      }
      const rest = args.slice(1);
      const hostEnv: RunEnv = { ...env, inHost: true, vars: { ...env.vars, HOSTNAME: env.node } };
      if (rest.length === 0) return runCommand(hostEnv, ['/bin/sh'], io, shell);
      const b = basename(rest[0]);
      if (!isKnown(hostEnv, b)) {
        io.err.write(`chroot: failed to run command '${rest[0]}': No such file or directory\n`);
        return 127;
      }
      return runCommand(hostEnv, rest, io, shell === 'exec' ? 'sh' : shell);
    }
  }
  return notFound();
}

async function hostCommand(env: RunEnv, name: string, args: string[], io: CmdIo): Promise<number> {
  const na = env.nodeActions;
  if (!na) {
    io.err.write("System has not been booted with systemd as init system (PID 1). Can't operate.\n");
    return 1;
  }
  const node = env.node;
  const unit = (u: string | undefined): string => (u ?? '').replace(/\.service$/, '');
  switch (name) {
    case 'uptime':
      io.out.write(` ${new Date().toISOString().slice(11, 19)} up 1 day,  2:03,  0 users,  load average: 0.52, 0.58, 0.59\n`);
      return 0;
    case 'reboot':
      rebootSoon(na, node);
      return 0;
    case 'shutdown':
      if (args.includes('-r')) {
        rebootSoon(na, node);
        return 0;
      }
      io.err.write('sim: only `shutdown -r` (reboot) is emulated; a powered-off node would never come back\n');
      return 1;
    case 'dd': {
      const of = args.find((a) => a.startsWith('of='))?.slice(3);
      if (of === '/proc/sysrq-trigger') {
        void na.crash(node).catch(() => undefined);
        return 0;
      }
      io.err.write('sim: dd is only emulated with of=/proc/sysrq-trigger\n');
      return 1;
    }
    case 'systemctl': {
      const pos = args.filter((a) => !a.startsWith('-'));
      const verb = pos[0];
      const u = unit(pos[1]);
      if (verb === 'reboot') {
        if (args.filter((a) => a === '--force' || a === '-f').length >= 2) void na.crash(node).catch(() => undefined);
        else rebootSoon(na, node);
        return 0;
      }
      if (u !== 'kubelet') {
        if (verb === 'is-active' || verb === 'status') {
          io.out.write(`${verb === 'status' ? `● ${u}.service\n     Active: active (running)\n` : 'active\n'}`);
          return 0;
        }
        io.err.write(`Failed to ${verb ?? 'run'} ${u || '(none)'}.service: the sim emulates only systemctl reboot and the kubelet unit\n`);
        return 1;
      }
      switch (verb) {
        case 'stop':
          await na.stopKubelet(node);
          return 0;
        case 'start':
          await na.startKubelet(node);
          return 0;
        case 'restart':
          await na.stopKubelet(node);
          await env.sleep(2000 / env.speed);
          await na.startKubelet(node);
          return 0;
        case 'is-active':
        case 'status': {
          const active = kubeletActive(na, node);
          if (verb === 'is-active') io.out.write(active ? 'active\n' : 'inactive\n');
          else
            io.out.write(
              `● kubelet.service - Kubernetes Kubelet\n     Loaded: loaded (/etc/systemd/system/kubelet.service; enabled; preset: disabled)\n     Active: ${active ? 'active (running)' : 'inactive (dead)'}\n`,
            );
          return active ? 0 : 3;
        }
        default:
          io.err.write(`Unknown command verb ${verb ?? ''}.\n`);
          return 1;
      }
    }
  }
  return 127;
}

/** systemctl returns before systemd takes the node down: the command's exit is recorded first. */
function rebootSoon(na: NodeActions, node: string): void {
  setTimeout(() => void na.reboot(node).catch(() => undefined), 10);
}

function kubeletActive(na: NodeActions, node: string): boolean {
  const f = (na as NodeActions & { kubeletRunning?: (n: string) => boolean }).kubeletRunning;
  return f ? f.call(na, node) : true;
}
