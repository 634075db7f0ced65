/**
 * The in-memory object store behind the API server (implements ObjectStore of sim/types.ts).
 *
 * Why this shape:
 * - objects are deep-frozen and kept next to their JSON text, so a list of 10k pods is a string
 *   join and a watch event is serialised once for all watchers;
 * - resourceVersion is one global counter, like etcd's revision, so list/watch hand-over works
 *   across kinds and "too old" is a single comparison against the history floor;
 * - the watch history is a bounded ring; asking for a version below its floor is 410 Gone.
 * Everything the store returns is frozen: callers clone before changing (mutate() does it).
 */
import { randomUUID } from 'node:crypto';
import type { GroupVersionResource, KubeObject, ListOptions, ObjectStore, WatchEvent, WatchEventType } from '../types.ts';
import { ApiStatusError } from './errors.ts';
import { alreadyExists, badRequest, conflict, notFound } from './errors-helpers.ts';
import { apiVersionOf, gvrKey, ResourceRegistry, type ResourceType } from './resources.ts';
import { compileSelectors } from './selectors.ts';
import { validateObject } from './validation.ts';
import { applyCreateDefaults } from './defaults.ts';
import { GVR } from '../gvr.ts';
import { jsonClone, jsonCopy, jsonEqual } from './json-value.ts';
import { objectMessageOrError, type ProtobufEncodeError } from './protobuf-encode.ts';

/**
 * A stored object version and its JSON text. The text is made when first asked for (an HTTP get,
 * list or watch event) and then kept: in-process writers and watchers (controllers, kubelets,
 * ovnkube) never need it, and at 10k pods most versions are never served over HTTP.
 */
export class Entry {
  private text: string | undefined;
  private utf8: Buffer | undefined;
  private pb: Buffer | ProtobufEncodeError | undefined;
  constructor(readonly obj: KubeObject) {}
  get json(): string {
    return (this.text ??= JSON.stringify(this.obj));
  }
  /** the JSON as UTF-8 bytes: a list is these concatenated (one copy), not a joined string encoded again */
  get bytes(): Buffer {
    return (this.utf8 ??= Buffer.from(this.json));
  }
  /**
   * the protobuf message bytes (no envelope), made once like the JSON: a protobuf list is these concatenated,
   * each behind its item tag; or why the object has none (no schema for its kind, a field outside it)
   */
  get protobuf(): Buffer | ProtobufEncodeError {
    return (this.pb ??= objectMessageOrError(this.obj));
  }
}

export interface StoreEvent {
  rv: number;
  key: string;
  type: WatchEventType;
  entry: Entry;
  /** the object before the change (selector transitions turn MODIFIED into ADDED/DELETED) */
  prev?: KubeObject;
}

export interface WriteOpts {
  dryRun?: boolean;
  subresource?: 'status';
  /** HTTP main-resource writes keep the stored status (it belongs to the status subresource). */
  preserveStatus?: boolean;
  /** fieldValidation=Strict: unknown fields of custom resources are an error, not pruned. */
  strictFields?: boolean;
}

export interface DeleteOpts {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
  dryRun?: boolean;
  preconditions?: { uid?: string; resourceVersion?: string };
}

export interface ListResult {
  entries: Entry[];
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

type Watcher = {
  namespace?: string;
  match?: (o: KubeObject) => boolean;
  fn: (ev: StoreEvent, type: WatchEventType) => void;
};

export function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o as Record<string, unknown>)) deepFreeze(v);
  }
  return o;
}

/** A private, mutable deep copy (plain JSON data). */
function clone<T>(o: T): T {
  return jsonClone(o);
}

/** Top-level keys that are not part of the spec (generation) comparison. */
const NOT_SPEC: ReadonlySet<string> = new Set(['metadata', 'status']);

const NAME_CHARS = 'bcdfghjklmnpqrstvwxz2456789';
function randomSuffix(): string {
  let s = '';
  for (let i = 0; i < 5; i++) s += NAME_CHARS[Math.floor(Math.random() * NAME_CHARS.length)];
  return s;
}

function objKey(ns: string | undefined, name: string): string {
  return ns ? `${ns}/${name}` : name;
}

/** The parts of an object whose change bumps metadata.generation: all but metadata and status. */
function sameSpec(a: KubeObject, b: KubeObject): boolean {
  return jsonEqual(a, b, NOT_SPEC);
}

export class MemoryStore implements ObjectStore {
  readonly registry: ResourceRegistry;
  private data = new Map<string, Map<string, Entry>>();
  private sortedKeys = new Map<string, string[]>();
  private rv = 0;
  private history: StoreEvent[] = [];
  private historyStart = 0;
  private historyFloor = 0;
  private watchers = new Map<string, Set<Watcher>>();
  /** True when a kubelet finishes graceful pod deletion; otherwise pods go at once. */
  gracefulPods: () => boolean = () => false;

  constructor(
    registry = new ResourceRegistry(),
    readonly historySize = 20_000,
  ) {
    this.registry = registry;
  }

  get currentRV(): number {
    return this.rv;
  }

  type(gvr: GroupVersionResource): ResourceType {
    const t = this.registry.get(gvr);
    if (!t)
      throw new ApiStatusError(
        404,
        'NotFound',
        `the server could not find the requested resource (${gvr.resource}${gvr.group ? `.${gvr.group}` : ''})`,
        { group: gvr.group, kind: gvr.resource },
      );
    return t;
  }

  private bucket(key: string): Map<string, Entry> {
    let b = this.data.get(key);
    if (!b) this.data.set(key, (b = new Map()));
    return b;
  }

  getEntry(gvr: GroupVersionResource, namespace: string | undefined, name: string): Entry | undefined {
    const t = this.type(gvr);
    return this.data.get(gvrKey(gvr))?.get(objKey(t.namespaced ? namespace : undefined, name));
  }

  get(gvr: GroupVersionResource, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.getEntry(gvr, namespace, name)?.obj;
  }

  list(gvr: GroupVersionResource, opts: ListOptions = {}): KubeObject[] {
    return this.listEntries(gvr, opts).entries.map((e) => e.obj);
  }

  listEntries(gvr: GroupVersionResource, opts: ListOptions & { limit?: number; continue?: string } = {}): ListResult {
    const t = this.type(gvr);
    const key = gvrKey(gvr);
    const b = this.data.get(key);
    const rv = String(this.rv);
    // Parse selectors first: a bad selector is a 400 even when nothing is stored.
    const match = compileSelectors(opts.labelSelector, opts.fieldSelector);
    if (opts.continue) decodeContinue(opts.continue);
    if (!b || b.size === 0) return { entries: [], resourceVersion: rv };
    let keys = this.sortedKeys.get(key);
    if (!keys) {
      keys = [...b.keys()].sort();
      this.sortedKeys.set(key, keys);
    }
    const ns = t.namespaced ? opts.namespace : undefined;
    let start = 0;
    if (ns) start = lowerBound(keys, `${ns}/`);
    if (opts.continue) {
      const after = decodeContinue(opts.continue);
      start = Math.max(start, upperBound(keys, after));
    }
    const limit = opts.limit && opts.limit > 0 ? opts.limit : Infinity;
    const out: Entry[] = [];
    let i = start;
    for (; i < keys.length; i++) {
      const k = keys[i];
      if (ns && !k.startsWith(`${ns}/`)) break;
      const e = b.get(k) as Entry;
      if (match && !match(e.obj)) continue;
      if (out.length >= limit) break;
      out.push(e);
    }
    const res: ListResult = { entries: out, resourceVersion: rv };
    if (i < keys.length && out.length >= limit && (!ns || keys[i].startsWith(`${ns}/`))) {
      res.continue = encodeContinue(keys[i - 1] ?? '', rv);
      if (!match) {
        let remaining = 0;
        for (let j = i; j < keys.length && (!ns || keys[j].startsWith(`${ns}/`)); j++) remaining++;
        res.remainingItemCount = remaining;
      }
    }
    return res;
  }

  private checkNamespace(t: ResourceType, ns: string | undefined, creating: boolean): void {
    if (!t.namespaced) return;
    if (!ns) throw badRequest('an empty namespace may not be set during creation');
    const n = this.data.get('/v1/namespaces')?.get(ns);
    if (!n) throw notFound('', 'namespaces', ns);
    if (creating && n.obj.metadata.deletionTimestamp) {
      throw new ApiStatusError(
        403,
        'Forbidden',
        `${t.resource} "${'(new)'}" is forbidden: unable to create new content in namespace ${ns} because it is being terminated`,
        { kind: t.resource },
      );
    }
  }

  create(gvr: GroupVersionResource, input: KubeObject, opts: WriteOpts = {}): KubeObject {
    const t = this.type(gvr);
    if (t.virtual) throw new ApiStatusError(405, 'MethodNotAllowed', `${t.resource} cannot be stored`);
    const o = clone(input);
    if (!o || typeof o !== 'object' || Array.isArray(o)) throw badRequest('the body of the request must be an object');
    const av = apiVersionOf(t);
    if (o.kind !== undefined && o.kind !== t.kind)
      throw badRequest(
        `the API version in the data (${o.apiVersion}) does not match the expected API version (${av}) or kind ${o.kind} is not ${t.kind}`,
      );
    if (o.apiVersion !== undefined && o.apiVersion !== av)
      throw badRequest(`the API version in the data (${o.apiVersion}) does not match the expected API version (${av})`);
    o.apiVersion = av;
    o.kind = t.kind;
    const md = (o.metadata ??= { name: '' });
    if (typeof md !== 'object' || Array.isArray(md)) throw badRequest('metadata must be an object');
    if (!t.namespaced) delete md.namespace;
    if (!md.name && md.generateName) md.name = `${md.generateName}${randomSuffix()}`;
    applyCreateDefaults(o);
    validateObject(t, o, opts.strictFields);
    this.checkNamespace(t, md.namespace, true);
    const key = gvrKey(gvr);
    const k = objKey(md.namespace, md.name);
    if (this.data.get(key)?.has(k)) throw alreadyExists(t.group, t.resource, md.name);
    md.uid = randomUUID();
    md.creationTimestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    md.generation = 1;
    delete md.deletionTimestamp;
    delete md.deletionGracePeriodSeconds;
    if (opts.dryRun) {
      md.resourceVersion = undefined;
      return deepFreeze(o);
    }
    return this.put(key, k, o, 'ADDED').obj;
  }

  private put(key: string, k: string, o: KubeObject, type: WatchEventType, prev?: KubeObject): Entry {
    o.metadata.resourceVersion = String(++this.rv);
    const entry = new Entry(deepFreeze(o));
    const b = this.bucket(key);
    if (!b.has(k)) {
      // Keep the sorted key index current (binary insert) instead of re-sorting on the next list:
      // controllers list after every write, so a re-sort per create would be quadratic at 10k pods.
      const keys = this.sortedKeys.get(key);
      if (keys) keys.splice(lowerBound(keys, k), 0, k);
    }
    b.set(k, entry);
    this.emit({ rv: this.rv, key, type, entry, prev });
    return entry;
  }

  private remove(key: string, k: string, o: KubeObject): KubeObject {
    const b = this.data.get(key);
    if (b?.delete(k)) {
      const keys = this.sortedKeys.get(key);
      if (keys) {
        const i = lowerBound(keys, k);
        if (keys[i] === k) keys.splice(i, 1);
      }
    }
    // the deleted version differs only in its resourceVersion: the rest is shared (frozen)
    const d: KubeObject = { ...o, metadata: { ...o.metadata, resourceVersion: String(++this.rv) } };
    const entry = new Entry(deepFreeze(d));
    this.emit({ rv: this.rv, key, type: 'DELETED', entry, prev: o });
    return entry.obj;
  }

  update(gvr: GroupVersionResource, input: KubeObject, opts: WriteOpts = {}): KubeObject {
    const t = this.type(gvr);
    const md = input?.metadata;
    if (!md || !md.name)
      throw new ApiStatusError(422, 'Invalid', `${t.kind} "" is invalid: metadata.name: Required value: name is required`, {
        kind: t.kind,
        group: t.group,
        causes: [{ reason: 'FieldValueRequired', message: 'Required value: name is required', field: 'metadata.name' }],
      });
    const ns = t.namespaced ? md.namespace : undefined;
    const key = gvrKey(gvr);
    const k = objKey(ns, md.name);
    const old = this.data.get(key)?.get(k);
    if (!old) throw notFound(t.group, t.resource, md.name);
    if (md.resourceVersion && md.resourceVersion !== old.obj.metadata.resourceVersion) throw conflict(t.group, t.resource, md.name);
    if (md.uid && md.uid !== old.obj.metadata.uid) throw conflict(t.group, t.resource, md.name);
    const av = apiVersionOf(t);
    if ((input.kind !== undefined && input.kind !== t.kind) || (input.apiVersion !== undefined && input.apiVersion !== av)) {
      throw badRequest(
        `the API version in the data (${input.apiVersion}) does not match the expected API version (${av}) or kind ${input.kind} is not ${t.kind}`,
      );
    }
    let o: KubeObject;
    // Custom resources are pruned in place by their schema (validateObject) and Secrets get their
    // stringData folded in: those get a full private copy. Everything else shares the frozen parts of
    // the old version (or frozen parts a mutate() callback put in) instead of copying them.
    const inPlace = t.schema !== undefined || t.kind === 'Secret';
    if (opts.subresource === 'status') {
      if (inPlace) o = clone(old.obj);
      else o = { ...old.obj, metadata: { ...old.obj.metadata } };
      if (input.status !== undefined) o.status = inPlace ? clone(input.status) : jsonCopy(input.status);
      else delete o.status;
    } else {
      o = inPlace ? clone(input) : jsonCopy(input);
      // the top level and metadata are written below: never a shared (frozen) object
      if (Object.isFrozen(o)) o = { ...o };
      o.metadata = Object.isFrozen(o.metadata) ? { ...o.metadata } : o.metadata;
      o.apiVersion = av;
      o.kind = t.kind;
      const om = o.metadata;
      const oldMd = old.obj.metadata;
      om.uid = oldMd.uid;
      om.creationTimestamp = oldMd.creationTimestamp;
      om.generation = oldMd.generation;
      if (t.namespaced) om.namespace = oldMd.namespace;
      else delete om.namespace;
      if (oldMd.deletionTimestamp) {
        om.deletionTimestamp = oldMd.deletionTimestamp;
        if (oldMd.deletionGracePeriodSeconds !== undefined) om.deletionGracePeriodSeconds = oldMd.deletionGracePeriodSeconds;
      } else {
        delete om.deletionTimestamp;
        delete om.deletionGracePeriodSeconds;
      }
      if (opts.preserveStatus && t.subresources.includes('status')) {
        if (old.obj.status !== undefined) o.status = inPlace ? clone(old.obj.status) : old.obj.status;
        else delete o.status;
      }
      if (o.kind === 'Secret' && o.stringData) applyCreateDefaults(o);
      if (!sameSpec(o, old.obj)) om.generation = (oldMd.generation ?? 1) + 1;
    }
    validateObject(t, o, opts.strictFields);
    // A no-op write keeps the resourceVersion, like the real server (kubectl apply "unchanged").
    o.metadata.resourceVersion = old.obj.metadata.resourceVersion;
    if (jsonEqual(o, old.obj)) return old.obj;
    if (opts.dryRun) return deepFreeze(o);
    if (o.metadata.deletionTimestamp && (!o.metadata.finalizers || o.metadata.finalizers.length === 0) && !this.awaitingKubelet(t, o)) {
      return this.remove(key, k, o);
    }
    return this.put(key, k, o, 'MODIFIED', old.obj).obj;
  }

  /** Pods being deleted gracefully wait for the kubelet even when their finalizers are gone. */
  private awaitingKubelet(t: ResourceType, o: KubeObject): boolean {
    return t.kind === 'Pod' && !t.group && (o.metadata.deletionGracePeriodSeconds ?? 0) > 0 && this.gracefulPods();
  }

  mutate(
    gvr: GroupVersionResource,
    namespace: string | undefined,
    name: string,
    fn: (obj: KubeObject) => void,
    opts?: { subresource?: 'status' },
  ): KubeObject | undefined {
    return this.rewrite(
      gvr,
      namespace,
      name,
      (cur) => {
        const copy = clone(cur);
        fn(copy);
        return copy;
      },
      opts,
    );
  }

  /**
   * mutate() for a change of metadata only (an annotation, a label): the callback gets a copy of the metadata
   * (labels and annotations copied too), and the rest of the object is the stored frozen version, shared by the
   * update instead of deep-copied twice (ovnkube annotates every pod it wires: at 10k pods the full copies
   * were a sixth of the sim's CPU).
   */
  mutateMetadata(
    gvr: GroupVersionResource,
    namespace: string | undefined,
    name: string,
    fn: (md: KubeObject['metadata']) => void,
  ): KubeObject | undefined {
    return this.rewrite(gvr, namespace, name, (cur) => {
      const c = cur.metadata;
      const md: KubeObject['metadata'] = {
        ...c,
        ...(c.labels ? { labels: { ...c.labels } } : {}),
        ...(c.annotations ? { annotations: { ...c.annotations } } : {}),
      };
      fn(md);
      return { ...cur, metadata: md };
    });
  }

  /** Read, build the next version from the current one, write it at the read's resourceVersion; retry on conflicts. */
  private rewrite(
    gvr: GroupVersionResource,
    namespace: string | undefined,
    name: string,
    next: (cur: KubeObject) => KubeObject,
    opts?: { subresource?: 'status' },
  ): KubeObject | undefined {
    for (let attempt = 0; attempt < 5; attempt++) {
      const cur = this.get(gvr, namespace, name);
      if (!cur) return undefined;
      const o = next(cur);
      o.metadata.resourceVersion = cur.metadata.resourceVersion;
      try {
        return this.update(gvr, o, opts);
      } catch (e) {
        if (!(e instanceof ApiStatusError && e.reason === 'Conflict')) throw e;
      }
    }
    throw conflict(gvr.group, gvr.resource, name);
  }

  delete(gvr: GroupVersionResource, namespace: string | undefined, name: string, opts: DeleteOpts = {}): KubeObject | undefined {
    const t = this.type(gvr);
    const key = gvrKey(gvr);
    const k = objKey(t.namespaced ? namespace : undefined, name);
    const cur = this.data.get(key)?.get(k);
    if (!cur) throw notFound(t.group, t.resource, name);
    const pre = opts.preconditions;
    if (pre?.uid && pre.uid !== cur.obj.metadata.uid)
      throw new ApiStatusError(
        409,
        'Conflict',
        `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${cur.obj.metadata.uid}`,
      );
    if (pre?.resourceVersion && pre.resourceVersion !== cur.obj.metadata.resourceVersion) throw conflict(t.group, t.resource, name);
    // only metadata (and a Namespace's status.phase) change below: the rest stays shared (frozen)
    const o: KubeObject = { ...cur.obj, metadata: { ...cur.obj.metadata } };
    const md = o.metadata;
    const now = new Date();

    // Graceful pod deletion: a registered kubelet stops the containers and deletes with grace 0.
    if (t.kind === 'Pod' && !t.group && this.gracefulPods() && (o.spec as Record<string, unknown> | undefined)?.nodeName) {
      const specGrace = ((o.spec as Record<string, unknown>).terminationGracePeriodSeconds as number | undefined) ?? 30;
      const grace = opts.gracePeriodSeconds ?? specGrace;
      if (grace > 0 && (md.deletionGracePeriodSeconds === undefined || grace < md.deletionGracePeriodSeconds)) {
        md.deletionGracePeriodSeconds = grace;
        md.deletionTimestamp = new Date(now.getTime() + grace * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
        if (opts.dryRun) return deepFreeze(o);
        return this.put(key, k, o, 'MODIFIED', cur.obj).obj;
      }
      if (grace > 0) return cur.obj;
      md.deletionGracePeriodSeconds = 0;
    }

    if (md.finalizers && md.finalizers.length > 0) {
      if (md.deletionTimestamp) return cur.obj;
      md.deletionTimestamp = now.toISOString().replace(/\.\d+Z$/, 'Z');
      md.deletionGracePeriodSeconds = 0;
      if (t.kind === 'Namespace') o.status = { ...(o.status ?? {}), phase: 'Terminating' };
      if (opts.dryRun) return deepFreeze(o);
      const e = this.put(key, k, o, 'MODIFIED', cur.obj);
      if (t.kind === 'Namespace') this.finalizeNamespace(name);
      return e.obj;
    }
    if (opts.dryRun) return cur.obj;
    if (t.kind === 'Namespace') {
      // Namespace deletion removes everything in it first (the namespace controller's job).
      this.purgeNamespace(name);
    }
    const gone = this.remove(key, k, cur.obj);
    if (opts.propagationPolicy !== 'Orphan') this.collectDependents(t, cur.obj);
    return gone;
  }

  /** Namespaces carry spec.finalizers ['kubernetes']: drop the content, then the namespace. */
  private finalizeNamespace(name: string): void {
    queueMicrotask(() => {
      this.purgeNamespace(name);
      const nsGvr = GVR.namespaces;
      const cur = this.get(nsGvr, undefined, name);
      if (!cur) return;
      const o = clone(cur);
      o.metadata.finalizers = (o.metadata.finalizers ?? []).filter((f) => f !== 'kubernetes');
      if (o.metadata.finalizers.length === 0) this.remove('/v1/namespaces', name, cur);
    });
  }

  private purgeNamespace(ns: string): void {
    for (const [key, b] of this.data) {
      const [group, version, resource] = key.split('/');
      const t = this.registry.get({ group, version, resource });
      if (!t?.namespaced) continue;
      for (const [k, e] of [...b]) if (e.obj.metadata.namespace === ns) this.remove(key, k, e.obj);
    }
  }

  /** Background garbage collection of objects owned by the deleted one (Deployment -> RS -> pods). */
  private collectDependents(t: ResourceType, owner: KubeObject): void {
    if (t.kind === 'Pod' || t.kind === 'Event') return;
    const uid = owner.metadata.uid;
    for (const [key, b] of this.data) {
      const [group, version, resource] = key.split('/');
      const dt = this.registry.get({ group, version, resource });
      if (!dt) continue;
      for (const e of [...b.values()]) {
        if (e.obj.metadata.ownerReferences?.some((r) => r.uid === uid)) {
          try {
            this.delete({ group, version, resource }, e.obj.metadata.namespace, e.obj.metadata.name, { propagationPolicy: 'Background' });
          } catch (_e) {
            // already gone
          }
        }
      }
    }
  }

  deleteCollection(gvr: GroupVersionResource, opts: ListOptions & DeleteOpts): KubeObject[] {
    const items = this.list(gvr, opts);
    const out: KubeObject[] = [];
    for (const o of items) {
      try {
        const r = this.delete(gvr, o.metadata.namespace, o.metadata.name, opts);
        if (r) out.push(r);
      } catch (e) {
        if (!(e instanceof ApiStatusError && e.code === 404)) throw e;
      }
    }
    return out;
  }

  /** Set by the server: CRD create/update/delete changes the served kinds. */
  onCrdChange?: (crd: KubeObject, type: WatchEventType) => void;

  // ---- watch ----

  private emit(ev: StoreEvent): void {
    if (this.history.length < this.historySize) this.history.push(ev);
    else {
      this.history[this.historyStart] = ev;
      this.historyStart = (this.historyStart + 1) % this.historySize;
      this.historyFloor = this.history[this.historyStart].rv - 1;
    }
    if (ev.entry.obj.kind === 'CustomResourceDefinition' && ev.key.startsWith('apiextensions.k8s.io/'))
      this.onCrdChange?.(ev.entry.obj, ev.type);
    const ws = this.watchers.get(ev.key);
    if (!ws) return;
    for (const w of ws) deliver(w, ev);
  }

  /**
   * Watch from a resourceVersion: replays history after `fromRV` (410 Gone when it is older than
   * the window), or with fromRV undefined/'0' sends the current objects as ADDED first.
   * `onInitialDone` runs once the replay is over (for sendInitialEvents bookmarks).
   */
  watchFrom(
    gvr: GroupVersionResource,
    opts: ListOptions & { resourceVersion?: string },
    fn: (ev: StoreEvent, type: WatchEventType) => void,
  ): () => void {
    const t = this.type(gvr);
    const key = gvrKey(gvr);
    const w: Watcher = {
      namespace: t.namespaced ? opts.namespace : undefined,
      match: compileSelectors(opts.labelSelector, opts.fieldSelector),
      fn,
    };
    const rvs = opts.resourceVersion;
    if (rvs && rvs !== '0') {
      const from = Number(rvs);
      if (!Number.isFinite(from) || from < 0 || !/^\d+$/.test(rvs)) throw badRequest(`invalid resource version: ${rvs}`);
      if (from < this.historyFloor)
        throw new ApiStatusError(410, 'Expired', `too old resource version: ${from} (${this.historyFloor + 1})`);
      const n = this.history.length;
      for (let i = 0; i < n; i++) {
        const ev = this.history[(this.historyStart + i) % n];
        if (ev.rv > from && ev.key === key) deliver(w, ev);
      }
    } else {
      for (const e of this.listEntries(gvr, {
        namespace: opts.namespace,
        labelSelector: opts.labelSelector,
        fieldSelector: opts.fieldSelector,
      }).entries) {
        fn({ rv: Number(e.obj.metadata.resourceVersion), key, type: 'ADDED', entry: e }, 'ADDED');
      }
    }
    let set = this.watchers.get(key);
    if (!set) this.watchers.set(key, (set = new Set()));
    set.add(w);
    return () => {
      set?.delete(w);
    };
  }

  watch(gvr: GroupVersionResource, handler: (ev: WatchEvent) => void, opts: ListOptions = {}): () => void {
    return this.watchFrom(gvr, { ...opts, resourceVersion: String(this.rv) }, (ev, type) => handler({ type, object: ev.entry.obj }));
  }

  /** Number of live watchers (tests, metrics). */
  watcherCount(): number {
    let n = 0;
    for (const s of this.watchers.values()) n += s.size;
    return n;
  }
}

/** Selector transitions: an object entering the selection is ADDED, leaving it is DELETED. */
function deliver(w: Watcher, ev: StoreEvent): void {
  const o = ev.entry.obj;
  if (w.namespace && o.metadata.namespace !== w.namespace) return;
  if (!w.match) return w.fn(ev, ev.type);
  const now = w.match(o);
  if (ev.type !== 'MODIFIED' || !ev.prev) {
    if (now || (ev.type === 'DELETED' && ev.prev && w.match(ev.prev))) w.fn(ev, ev.type);
    return;
  }
  const before = w.match(ev.prev);
  if (now && before) w.fn(ev, 'MODIFIED');
  else if (now) w.fn(ev, 'ADDED');
  else if (before) w.fn(ev, 'DELETED');
}

function lowerBound(a: string[], x: string): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const m = (lo + hi) >> 1;
    if (a[m] < x) lo = m + 1;
    else hi = m;
  }
  return lo;
}

function upperBound(a: string[], x: string): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const m = (lo + hi) >> 1;
    if (a[m] <= x) lo = m + 1;
    else hi = m;
  }
  return lo;
}

function encodeContinue(after: string, rv: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: Number(rv), start: after })).toString('base64url');
}

function decodeContinue(token: string): string {
  try {
    const d = JSON.parse(Buffer.from(token, 'base64url').toString()) as { start?: unknown };
    if (typeof d.start !== 'string') throw new Error('bad');
    return d.start;
  } catch (_e) {
    throw badRequest(`continue key is not valid: ${token.slice(0, 40)}`);
  }
}
