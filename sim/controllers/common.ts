/**
 * Shared helpers of the emulated controllers and kubelet: resource ids, time formats, names,
 * error tests, timer bookkeeping.
 */
import { randomBytes } from 'node:crypto';
import { ApiStatusError } from '../api/errors.ts';
import type { KubeObject } from '../types.ts';

export { GVR } from '../gvr.ts';

export function keyOf(obj: KubeObject): string {
  return obj.metadata.namespace ? `${obj.metadata.namespace}/${obj.metadata.name}` : obj.metadata.name;
}

export function splitKey(key: string): { namespace: string | undefined; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { namespace: undefined, name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

/** metav1.Time: RFC3339 with second precision. */
let lastSec = -1;
let lastSecText = '';
export function rfc3339(d: Date | number = Date.now()): string {
  const ms = typeof d === 'number' ? d : d.getTime();
  const sec = Math.floor(ms / 1000);
  if (sec !== lastSec) {
    lastSec = sec;
    lastSecText = `${new Date(sec * 1000).toISOString().slice(0, 19)}Z`;
  }
  return lastSecText;
}

let lastNs = 0n;
/** RFC3339Nano, strictly increasing within this process (log lines sort by it). */
export function rfc3339Nano(ms: number = Date.now()): string {
  let ns = BigInt(Math.floor(ms)) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n);
  if (ns <= lastNs) ns = lastNs + 1n;
  lastNs = ns;
  const sec = ns / 1_000_000_000n;
  const frac = (ns % 1_000_000_000n).toString().padStart(9, '0');
  return `${new Date(Number(sec) * 1000).toISOString().slice(0, 19)}.${frac}Z`;
}

/** Parses RFC3339(Nano) to epoch ms (sub-ms digits dropped). */
export function parseTime(s: string): number {
  return Date.parse(s);
}

/** The alphabet of k8s.io/apimachinery/pkg/util/rand (no vowels, no confusable digits). */
export const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

export function randomSuffix(n = 5): string {
  let s = '';
  for (let i = 0; i < n; i++) s += SAFE_ALPHABET[Math.floor(Math.random() * SAFE_ALPHABET.length)];
  return s;
}

/** rand.SafeEncodeString(fmt.Sprint(fnv32a(...))) as the deployment controller names pod-template-hash. */
export function safeEncode(s: string): string {
  let out = '';
  for (const ch of s) out += SAFE_ALPHABET[ch.charCodeAt(0) % SAFE_ALPHABET.length];
  return out;
}

export function fnv32a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** JSON with sorted keys, for hashing templates. */
export function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** Random hex (crypto quality; container IDs, boot ids). */
export function randomHex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

/** Cheap random hex for object names (events): no syscall per call. */
export function quickHex(chars: number): string {
  let s = '';
  while (s.length < chars)
    s += Math.floor(Math.random() * 0x100000000)
      .toString(16)
      .padStart(8, '0');
  return s.slice(0, chars);
}

export function randomUuid(): string {
  const h = randomHex(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function isApiError(e: unknown, code: number): boolean {
  return e instanceof ApiStatusError && e.code === code;
}
export const isNotFound = (e: unknown): boolean => isApiError(e, 404);
export const isConflict = (e: unknown): boolean => isApiError(e, 409) && (e as ApiStatusError).reason === 'Conflict';
export const isAlreadyExists = (e: unknown): boolean => isApiError(e, 409) && (e as ApiStatusError).reason === 'AlreadyExists';

export function deepClone<T>(v: T): T {
  return structuredClone(v);
}

/** Timers owned by a part: all of them are cleared on stop. */
export class Timers {
  private readonly live = new Set<NodeJS.Timeout>();
  private stopped = false;

  after(ms: number, fn: () => void): NodeJS.Timeout | undefined {
    if (this.stopped) return undefined;
    const t = setTimeout(
      () => {
        this.live.delete(t);
        fn();
      },
      Math.max(0, ms),
    );
    t.unref?.();
    this.live.add(t);
    return t;
  }

  every(ms: number, fn: () => void): NodeJS.Timeout | undefined {
    if (this.stopped) return undefined;
    const t = setInterval(fn, Math.max(1, ms));
    t.unref?.();
    this.live.add(t);
    return t;
  }

  cancel(t: NodeJS.Timeout | undefined): void {
    if (!t) return;
    clearTimeout(t);
    clearInterval(t);
    this.live.delete(t);
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (!this.after(ms, resolve)) resolve();
    });
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.live) {
      clearTimeout(t);
      clearInterval(t);
    }
    this.live.clear();
  }
}

export function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
