/**
 * A small PodRuntime for API tests: a log buffer per container and a few commands
 * (echo, exit N, cat (echoes stdin), sh -c 'exit N', env, sleep N, stderr MSG).
 */
import type { ContainerRef, ExecResult, ExecStreams, LogEntry, LogOptions, PodRuntime } from '../../sim/types.ts';

const key = (r: ContainerRef) => `${r.namespace}/${r.pod}/${r.container}`;

export class FakeRuntime implements PodRuntime {
  logs = new Map<string, LogEntry[]>();
  followers = new Map<string, Set<(e: LogEntry) => void>>();
  execs: { ref: ContainerRef; command: string[] }[] = [];

  append(ref: ContainerRef, line: string, time = new Date()): void {
    const e = {
      time: time
        .toISOString()
        .replace('Z', '000000Z')
        .replace(/\.(\d{3})000000Z$/, '.$1000000Z'),
      line,
    };
    const k = key(ref);
    const l = this.logs.get(k) ?? [];
    l.push(e);
    this.logs.set(k, l);
    for (const f of this.followers.get(k) ?? []) f(e);
  }

  readLogs(ref: ContainerRef, opts: LogOptions): LogEntry[] {
    let l = this.logs.get(key(ref)) ?? [];
    if (opts.sinceSeconds !== undefined) {
      const since = Date.now() - opts.sinceSeconds * 1000;
      l = l.filter((e) => Date.parse(e.time) >= since);
    }
    if (opts.tailLines !== undefined) l = opts.tailLines === 0 ? [] : l.slice(-opts.tailLines);
    return l;
  }

  followLogs(ref: ContainerRef, onEntry: (entry: LogEntry) => void): () => void {
    const k = key(ref);
    const s = this.followers.get(k) ?? new Set();
    s.add(onEntry);
    this.followers.set(k, s);
    return () => s.delete(onEntry);
  }

  async exec(ref: ContainerRef, command: string[], streams: ExecStreams): Promise<ExecResult> {
    this.execs.push({ ref, command });
    let argv = command;
    if (argv[0] === 'sh' && argv[1] === '-c') argv = argv[2].split(/\s+/);
    const [cmd, ...args] = argv;
    const out = (s: string) => new Promise<void>((r) => streams.stdout.write(s, () => r()));
    switch (cmd) {
      case 'echo':
        await out(`${args.join(' ')}\n`);
        return { exitCode: 0 };
      case 'whoami':
        await out(`${ref.container}@${ref.pod}\n`);
        return { exitCode: 0 };
      case 'exit':
        return { exitCode: Number(args[0] ?? 0) };
      case 'stderr':
        await new Promise<void>((r) => streams.stderr.write(`${args.join(' ')}\n`, () => r()));
        return { exitCode: 1 };
      case 'sleep':
        await new Promise((r) => setTimeout(r, Number(args[0] ?? 1) * 1000));
        return { exitCode: 0 };
      case 'cat': {
        if (!streams.stdin) return { exitCode: 0 };
        for await (const c of streams.stdin) await out(String(c));
        return { exitCode: 0 };
      }
      default:
        await new Promise<void>((r) => streams.stderr.write(`${cmd}: command not found\n`, () => r()));
        return { exitCode: 127 };
    }
  }
}
