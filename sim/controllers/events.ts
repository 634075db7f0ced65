/**
 * core/v1 Events as the real components write them (source component/host, involvedObject,
 * count, first/lastTimestamp). Repeated identical events are aggregated into one object (count++),
 * and old ones expire (the API server's event TTL is 1 h) or are trimmed past a cap to bound memory.
 */
import type { KubeObject, ObjectStore } from '../types.ts';
import { GVR, quickHex, rfc3339 } from './common.ts';

export interface EventSource {
  component: string;
  host?: string;
}

export interface EventRecorderOptions {
  /** Drop events entirely (benchmarks). */
  enabled?: boolean;
  /** Keep at most this many recorder-written events (oldest deleted first). */
  cap?: number;
  /** Events older than this are deleted (ms, wall clock). */
  ttlMs?: number;
}

interface Recorded {
  ns: string;
  name: string;
  at: number;
}

export class EventRecorder {
  private readonly recent = new Map<string, { ns: string; name: string; count: number }>();
  private readonly fifo: Recorded[] = [];
  private head = 0;
  readonly enabled: boolean;
  private readonly cap: number;
  private readonly ttlMs: number;

  constructor(
    private readonly store: ObjectStore,
    opts: EventRecorderOptions = {},
  ) {
    this.enabled = opts.enabled ?? true;
    this.cap = opts.cap ?? 50_000;
    this.ttlMs = opts.ttlMs ?? 3_600_000;
  }

  /** Record an event about `obj`. Never throws. */
  event(obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string, source: EventSource, fieldPath?: string): void {
    if (!this.enabled) return;
    try {
      const ns = obj.metadata.namespace ?? 'default';
      const aggKey = `${obj.metadata.uid ?? obj.metadata.name}|${fieldPath ?? ''}|${reason}|${message}|${source.component}`;
      const now = rfc3339();
      const prev = this.recent.get(aggKey);
      if (prev) {
        const updated = this.store.mutate(GVR.events, prev.ns, prev.name, (e) => {
          e.count = ((e.count as number | undefined) ?? 1) + 1;
          e.lastTimestamp = now;
        });
        if (updated) return;
        this.recent.delete(aggKey);
      }
      const name = `${obj.metadata.name}.${quickHex(16)}`;
      const ev: KubeObject = {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name, namespace: ns },
        involvedObject: {
          kind: obj.kind,
          namespace: obj.metadata.namespace,
          name: obj.metadata.name,
          uid: obj.metadata.uid,
          apiVersion: obj.apiVersion,
          resourceVersion: obj.metadata.resourceVersion,
          ...(fieldPath ? { fieldPath } : {}),
        },
        reason,
        message,
        source: source.host ? { component: source.component, host: source.host } : { component: source.component },
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
        type,
        eventTime: null,
        reportingComponent: source.component,
        reportingInstance: source.host ?? '',
      };
      this.store.create(GVR.events, ev);
      this.recent.set(aggKey, { ns, name, count: 1 });
      if (this.recent.size > 10_000) {
        const first = this.recent.keys().next().value;
        if (first !== undefined) this.recent.delete(first);
      }
      this.fifo.push({ ns, name, at: Date.now() });
      this.trim();
    } catch {
      // events are best effort, like the real recorders
    }
  }

  private trim(): void {
    const now = Date.now();
    while (this.head < this.fifo.length && (this.fifo.length - this.head > this.cap || now - this.fifo[this.head].at > this.ttlMs)) {
      const r = this.fifo[this.head++];
      try {
        this.store.delete(GVR.events, r.ns, r.name);
      } catch {
        // already gone
      }
    }
    if (this.head > 4096 && this.head * 2 > this.fifo.length) {
      this.fifo.splice(0, this.head);
      this.head = 0;
    }
  }
}
