/**
 * One pod watch for all the zone controllers of a store. In IC mode every ovnkube-controller watches
 * every pod (a remote pod can be an EgressIP pod this zone SNATs), so with 24 zones each pod event
 * used to be handled 24 times. The feed computes the pod's view (key + fingerprint) once per event and
 * drops a MODIFIED event whose fingerprint equals the one it last delivered for that pod: every zone
 * would return on it (a zone acts only when the fingerprint changes), e.g. the pod-networks annotation
 * write or a status write that changes no condition ovnkube reads. ADDED and DELETED always go out.
 *
 * The feed starts from the store's pods when its first subscriber comes; a zone lists the store right
 * after subscribing (no event can come between, the store is synchronous), so its own fingerprints
 * equal the feed's from then on.
 */
import type { ObjectStore, WatchEventType } from '../types.ts';
import { GVR, podInfo, type PodInfo } from './k8s.ts';

/** A pod view with its key and fingerprint (the fields ovnkube's rows depend on). */
export interface PodView {
  info: PodInfo;
  key: string;
  fp: string;
}

export type PodFeedHandler = (type: WatchEventType, v: PodView) => void;

function podFingerprint(p: PodInfo): string {
  return JSON.stringify([p.ips, p.phase, p.labels, p.node, p.hostNetwork]);
}

/** For the store's frozen objects (one shared PodInfo per object version, k8s.ts) the view is made once. */
const podViews = new WeakMap<PodInfo, PodView>();

export function podView(p: PodInfo): PodView {
  let v = podViews.get(p);
  if (!v) {
    v = { info: p, key: `${p.namespace}/${p.name}`, fp: podFingerprint(p) };
    if (Object.isFrozen(p)) podViews.set(p, v);
  }
  return v;
}

const feeds = new WeakMap<ObjectStore, PodFeed>();

export class PodFeed {
  private readonly subs = new Set<PodFeedHandler>();
  /** the fingerprint last delivered per pod key */
  private readonly fp = new Map<string, string>();
  /** every pod's current view while watching (store order at the start, then event order) */
  private readonly views = new Map<string, PodInfo>();
  private list: PodInfo[] | undefined;
  private unwatch: (() => void) | undefined;
  /** events received / delivered to the subscribers (tests, benchmarks) */
  readonly stats = { events: 0, delivered: 0 };

  private constructor(private readonly store: ObjectStore) {}

  /** The feed of a store (one per store). */
  static of(store: ObjectStore): PodFeed {
    let f = feeds.get(store);
    if (!f) feeds.set(store, (f = new PodFeed(store)));
    return f;
  }

  /** Adds a handler; the store is watched while the feed has one. Returns the unsubscribe function. */
  subscribe(fn: PodFeedHandler): () => void {
    this.subs.add(fn);
    if (!this.unwatch) {
      this.unwatch = this.store.watch(GVR.pods, (ev) => this.onEvent(ev.type, podView(podInfo(ev.object))));
      // the subscriber lists the store right after this (its own fingerprints are these ones)
      for (const o of this.store.list(GVR.pods)) {
        const v = podView(podInfo(o));
        this.views.set(v.key, v.info);
        this.fp.set(v.key, v.fp);
      }
      this.list = undefined;
    }
    return () => {
      if (!this.subs.delete(fn) || this.subs.size > 0) return;
      this.unwatch?.();
      this.unwatch = undefined;
      this.fp.clear();
      this.views.clear();
      this.list = undefined;
    };
  }

  /**
   * Every pod's view, as store.list(pods).map(podInfo) would give them (in another order): one array
   * for all zones until the next pod event, instead of 10k view look-ups per zone reconcile. Do not change it.
   */
  pods(): PodInfo[] {
    if (!this.unwatch) return this.store.list(GVR.pods).map(podInfo);
    return (this.list ??= Object.freeze([...this.views.values()]) as PodInfo[]);
  }

  get subscribers(): number {
    return this.subs.size;
  }

  private onEvent(type: WatchEventType, v: PodView): void {
    this.stats.events++;
    if (type === 'DELETED') {
      this.views.delete(v.key);
      this.list = undefined;
    } else {
      // a write that changes nothing a view holds (the pod-networks annotation: same fingerprint, same
      // deletion state; uid and creationTimestamp never change in a MODIFIED) keeps the old view, so the
      // shared list (and what is memoized on it, desired-state.ts) stays the same object
      const old = this.views.get(v.key);
      if (!(type === 'MODIFIED' && old && old.deleting === v.info.deleting && this.fp.get(v.key) === v.fp)) {
        this.views.set(v.key, v.info);
        this.list = undefined;
      }
    }
    if (type === 'MODIFIED' && this.fp.get(v.key) === v.fp) return;
    if (type === 'DELETED') this.fp.delete(v.key);
    else this.fp.set(v.key, v.fp);
    this.stats.delivered++;
    for (const fn of this.subs) fn(type, v);
  }
}
