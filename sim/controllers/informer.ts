/**
 * A tiny shared-informer: one store.watch per resource, a local cache, and handlers. Handlers
 * run synchronously inside the watch callback and must only record work (enqueue keys); the
 * WorkQueue runs reconciles later, off the store's call stack.
 */
import type { GroupVersionResource, KubeObject, ObjectStore, WatchEventType } from '../types.ts';
import { keyOf } from './common.ts';

export type InformerHandler = (type: WatchEventType, obj: KubeObject, old: KubeObject | undefined) => void;

function rvNewer(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return true;
  const x = Number(a);
  const y = Number(b);
  if (Number.isFinite(x) && Number.isFinite(y)) return x >= y;
  return true;
}

export class Informer {
  readonly cache = new Map<string, KubeObject>();
  private readonly handlers: InformerHandler[] = [];
  private unwatch: (() => void) | undefined;
  /** Optional secondary index: value -> set of keys. */
  private readonly indexes = new Map<string, { fn: (o: KubeObject) => string[]; map: Map<string, Set<string>> }>();

  constructor(
    private readonly store: ObjectStore,
    readonly gvr: GroupVersionResource,
  ) {}

  addIndex(name: string, fn: (o: KubeObject) => string[]): void {
    this.indexes.set(name, { fn, map: new Map() });
  }

  byIndex(name: string, value: string): KubeObject[] {
    const idx = this.indexes.get(name);
    const keys = idx?.map.get(value);
    if (!keys) return [];
    const out: KubeObject[] = [];
    for (const k of keys) {
      const o = this.cache.get(k);
      if (o) out.push(o);
    }
    return out;
  }

  indexSize(name: string, value: string): number {
    return this.indexes.get(name)?.map.get(value)?.size ?? 0;
  }

  on(h: InformerHandler): void {
    this.handlers.push(h);
  }

  start(): void {
    this.unwatch = this.store.watch(this.gvr, (ev) => this.apply(ev.type, ev.object));
    for (const o of this.store.list(this.gvr)) {
      if (!this.cache.has(keyOf(o))) this.apply('ADDED', o);
    }
  }

  stop(): void {
    this.unwatch?.();
    this.unwatch = undefined;
  }

  get(key: string): KubeObject | undefined {
    return this.cache.get(key);
  }

  list(): IterableIterator<KubeObject> {
    return this.cache.values();
  }

  private apply(type: WatchEventType, obj: KubeObject): void {
    const key = keyOf(obj);
    const old = this.cache.get(key);
    if (type === 'DELETED') {
      if (!old) return;
      this.cache.delete(key);
      this.unindex(key, old);
    } else {
      if (old && old.metadata.uid === obj.metadata.uid && !rvNewer(obj.metadata.resourceVersion, old.metadata.resourceVersion)) return;
      this.cache.set(key, obj);
      this.reindex(key, old, obj);
    }
    const t: WatchEventType = type === 'DELETED' ? 'DELETED' : old ? 'MODIFIED' : 'ADDED';
    for (const h of this.handlers) h(t, obj, old);
  }

  /** Moves a key between index values; most updates (status writes) keep every value, and then nothing moves. */
  private reindex(key: string, old: KubeObject | undefined, o: KubeObject): void {
    for (const idx of this.indexes.values()) {
      const now = idx.fn(o);
      if (old) {
        const was = idx.fn(old);
        if (was.length === now.length && was.every((v, i) => v === now[i])) continue;
        for (const v of was) {
          const s = idx.map.get(v);
          if (!s) continue;
          s.delete(key);
          if (s.size === 0) idx.map.delete(v);
        }
      }
      for (const v of now) {
        let s = idx.map.get(v);
        if (!s) idx.map.set(v, (s = new Set()));
        s.add(key);
      }
    }
  }

  private unindex(key: string, o: KubeObject): void {
    for (const idx of this.indexes.values()) {
      for (const v of idx.fn(o)) {
        const s = idx.map.get(v);
        if (!s) continue;
        s.delete(key);
        if (s.size === 0) idx.map.delete(v);
      }
    }
  }
}

/** Deduplicating work queue drained on setImmediate. */
export class WorkQueue {
  private readonly pending = new Set<string>();
  private scheduled = false;
  private stopped = false;
  private readonly delayed = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly fn: (key: string) => void,
    private readonly onError: (key: string, e: unknown) => void,
  ) {}

  add(key: string): void {
    if (this.stopped) return;
    this.pending.add(key);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.drain());
    }
  }

  addAfter(key: string, ms: number): void {
    if (this.stopped || this.delayed.has(key)) return;
    const t = setTimeout(
      () => {
        this.delayed.delete(key);
        this.add(key);
      },
      Math.max(0, ms),
    );
    t.unref?.();
    this.delayed.set(key, t);
  }

  private drain(): void {
    this.scheduled = false;
    if (this.stopped) return;
    const keys = [...this.pending];
    this.pending.clear();
    for (const k of keys) {
      try {
        this.fn(k);
      } catch (e) {
        this.onError(k, e);
      }
    }
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.delayed.values()) clearTimeout(t);
    this.delayed.clear();
    this.pending.clear();
  }
}

/** Index function: the uid of the controller owner. */
export function ownerUidIndex(o: KubeObject): string[] {
  const r = o.metadata.ownerReferences?.find((x) => x.controller);
  return r ? [r.uid] : [];
}

/** Index function: every owner uid (for garbage collection). */
export function allOwnersIndex(o: KubeObject): string[] {
  return (o.metadata.ownerReferences ?? []).map((r) => r.uid);
}

/** Index function: spec.nodeName of a pod. */
export function nodeNameIndex(o: KubeObject): string[] {
  const n = (o.spec as { nodeName?: string } | undefined)?.nodeName;
  return n ? [n] : [];
}
