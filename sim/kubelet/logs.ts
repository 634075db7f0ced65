/**
 * Container logs as the kubelet keeps them: one ring buffer per container instance, the last
 * instance kept as `previous`, live followers. readLogs honours the PodLogOptions.
 */
import { ApiStatusError } from '../api/errors.ts';
import { rfc3339Nano } from '../controllers/common.ts';
import type { ContainerRef, LogEntry, LogOptions } from '../types.ts';

export const DEFAULT_LOG_LINES = 5000;

export class Ring {
  private buf: LogEntry[] = [];
  private start = 0;
  constructor(private readonly cap: number) {}

  push(e: LogEntry): void {
    if (this.buf.length < this.cap) this.buf.push(e);
    else {
      this.buf[this.start] = e;
      this.start = (this.start + 1) % this.cap;
    }
  }

  toArray(): LogEntry[] {
    return this.start === 0 ? this.buf.slice() : [...this.buf.slice(this.start), ...this.buf.slice(0, this.start)];
  }

  get size(): number {
    return this.buf.length;
  }
}

interface ContainerLogs {
  current: Ring;
  previous?: Ring;
  followers: Set<(e: LogEntry) => void>;
}

/** Applies sinceSeconds/sinceTime, tailLines, limitBytes (bytes counted as written, with timestamps when asked). */
export function filterLogs(entries: LogEntry[], opts: LogOptions, now = Date.now()): LogEntry[] {
  let out = entries;
  let since: number | undefined;
  if (opts.sinceSeconds !== undefined) since = now - opts.sinceSeconds * 1000;
  else if (opts.sinceTime) since = Date.parse(opts.sinceTime);
  if (since !== undefined && Number.isFinite(since)) {
    const s = since;
    out = out.filter((e) => Date.parse(e.time) >= s);
  }
  if (opts.tailLines !== undefined && opts.tailLines >= 0) out = opts.tailLines === 0 ? [] : out.slice(-opts.tailLines);
  if (opts.limitBytes !== undefined && opts.limitBytes >= 0) {
    const limited: LogEntry[] = [];
    let left = opts.limitBytes;
    for (const e of out) {
      const prefix = opts.timestamps ? `${e.time} ` : '';
      const size = Buffer.byteLength(`${prefix}${e.line}\n`);
      if (size <= left) {
        limited.push(e);
        left -= size;
        continue;
      }
      if (left > 0) {
        // a partial last line, like the kubelet's byte limit cuts the stream
        const room = left - Buffer.byteLength(prefix);
        if (room > 0) limited.push({ time: e.time, line: Buffer.from(e.line).subarray(0, room).toString() });
      }
      break;
    }
    out = limited;
  }
  return out;
}

export class LogStore {
  /** pod key (ns/pod) -> container -> logs */
  private readonly logs = new Map<string, Map<string, ContainerLogs>>();
  constructor(private readonly cap = DEFAULT_LOG_LINES) {}

  private get(ref: ContainerRef): ContainerLogs | undefined {
    return this.logs.get(`${ref.namespace}/${ref.pod}`)?.get(ref.container);
  }

  private slot(ref: ContainerRef): ContainerLogs {
    const pk = `${ref.namespace}/${ref.pod}`;
    let pod = this.logs.get(pk);
    if (!pod) this.logs.set(pk, (pod = new Map()));
    let s = pod.get(ref.container);
    if (!s) pod.set(ref.container, (s = { current: new Ring(this.cap), followers: new Set() }));
    return s;
  }

  has(ref: ContainerRef): boolean {
    return !!this.get(ref);
  }

  hasPrevious(ref: ContainerRef): boolean {
    return !!this.get(ref)?.previous;
  }

  append(ref: ContainerRef, line: string, time = rfc3339Nano()): void {
    const s = this.slot(ref);
    for (const l of line.split('\n')) {
      const e = { time, line: l };
      s.current.push(e);
      for (const f of s.followers) {
        try {
          f(e);
        } catch {
          // a broken follower must not break the writer
        }
      }
    }
  }

  /** A new container instance starts: the current log becomes `previous`. */
  rotate(ref: ContainerRef): void {
    const s = this.slot(ref);
    s.previous = s.current;
    s.current = new Ring(this.cap);
  }

  read(ref: ContainerRef, opts: LogOptions): LogEntry[] {
    const s = this.get(ref);
    if (opts.previous) {
      if (!s?.previous) {
        throw new ApiStatusError(400, 'BadRequest', `previous terminated container "${ref.container}" in pod "${ref.pod}" not found`);
      }
      return filterLogs(s.previous.toArray(), opts);
    }
    return filterLogs(s ? s.current.toArray() : [], opts);
  }

  follow(ref: ContainerRef, fn: (e: LogEntry) => void): () => void {
    const s = this.slot(ref);
    s.followers.add(fn);
    return () => {
      s.followers.delete(fn);
    };
  }

  dropPod(namespace: string, pod: string): void {
    this.logs.delete(`${namespace}/${pod}`);
  }
}
