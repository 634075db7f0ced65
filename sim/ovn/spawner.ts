/**
 * Starts the sim's exec commands from a small helper process (sim/ovn/spawn-helper.ts) instead of the sim's own.
 *
 * Why: spawn() from the sim (hundreds of MB, hundreds of fds) blocked its one thread ~4 ms per exec (fork, then
 * libuv waits for the child's execve); every API request and every other exec waited behind it. From the helper
 * it costs the sim ~0.1 ms of IPC per command. Output comes back as IPC messages (V8 serialization keeps Buffers
 * binary), with pause/resume when the destination is full, so a slow reader still slows the command.
 *
 * Commands with stdin keep the direct spawn (interactive, rare). When the helper cannot start or dies, the runs
 * it held end with exit code 126 and a message on stderr, and the next run starts a new helper.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Writable } from 'node:stream';

export type HelperRequest =
  { t: 'run'; id: number; file: string; args: string[]; env: NodeJS.ProcessEnv; cwd: string } | { t: 'pause' | 'resume'; id: number };

export type HelperReply =
  | { t: 'data'; id: number; fd: 1 | 2; data: Uint8Array }
  | { t: 'exit'; id: number; code: number | null; signal: NodeJS.Signals | null }
  | { t: 'error'; id: number; message: string };

export interface SpawnedExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** the command could not be started (ENOENT) or the helper went away: why (the caller reports it) */
  error?: string;
}

interface Run {
  stdout: Writable;
  stderr: Writable;
  paused: boolean;
  done: (e: SpawnedExit) => void;
}

const HELPER = fileURLToPath(new URL('./spawn-helper.ts', import.meta.url));

class Spawner {
  private helper?: ChildProcess;
  private readonly runs = new Map<number, Run>();
  private seq = 0;

  run(file: string, args: string[], o: { env: NodeJS.ProcessEnv; cwd: string; stdout: Writable; stderr: Writable }): Promise<SpawnedExit> {
    const h = this.ensure();
    const id = ++this.seq;
    return new Promise<SpawnedExit>((resolve) => {
      const r: Run = { stdout: o.stdout, stderr: o.stderr, paused: false, done: resolve };
      this.runs.set(id, r);
      // the channel keeps the sim alive only while a command runs (an idle helper never holds it open)
      if (this.runs.size === 1) h.channel?.ref();
      h.send({ t: 'run', id, file, args, env: o.env, cwd: o.cwd } satisfies HelperRequest);
    });
  }

  /** the helper's pid while it runs (tests) */
  get helperPid(): number | undefined {
    return this.helper?.pid;
  }

  private ensure(): ChildProcess {
    if (this.helper) return this.helper;
    const h = fork(HELPER, [], {
      execArgv: ['--import', import.meta.resolve('tsx')],
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      // its own process group, like the OVN daemons: a terminal's Ctrl-C / Ctrl-Z reaches the sim, which decides;
      // the helper ends with the sim's channel, and the commands it started finish as in a real pod
      detached: true,
    });
    this.helper = h;
    h.on('message', (m: HelperReply) => this.onReply(m));
    const gone = (why: string) => {
      if (this.helper !== h) return;
      this.helper = undefined;
      for (const [id, r] of this.runs) this.finish(id, r, { code: null, signal: null, error: `sim: the exec helper ${why}` });
    };
    h.on('exit', (code, signal) => gone(`exited (${signal ?? code})`));
    h.on('error', (err) => gone(`failed: ${err.message}`));
    h.unref();
    h.channel?.unref();
    return h;
  }

  private onReply(m: HelperReply): void {
    const r = this.runs.get(m.id);
    if (!r) return;
    if (m.t === 'data') {
      const w = m.fd === 1 ? r.stdout : r.stderr;
      const data = Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength);
      if (!w.write(data) && m.fd === 1 && !r.paused) {
        r.paused = true;
        this.helper?.send({ t: 'pause', id: m.id } satisfies HelperRequest);
        w.once('drain', () => {
          r.paused = false;
          if (this.runs.has(m.id)) this.helper?.send({ t: 'resume', id: m.id } satisfies HelperRequest);
        });
      }
    } else if (m.t === 'exit') this.finish(m.id, r, { code: m.code, signal: m.signal });
    else this.finish(m.id, r, { code: null, signal: null, error: m.message });
  }

  private finish(id: number, r: Run, e: SpawnedExit): void {
    this.runs.delete(id);
    if (this.runs.size === 0) this.helper?.channel?.unref();
    r.done(e);
  }
}

/** One helper per sim process, started on the first exec. */
export const spawner = new Spawner();
