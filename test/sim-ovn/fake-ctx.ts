/** A minimal in-memory ObjectStore + SimContext for sim/ovn tests (the real store lives in sim/api). */
import type { GroupVersionResource, KubeObject, ListOptions, ObjectStore, SimContext, SimNodeSpec, WatchEvent } from '../../sim/types.ts';

const key = (g: GroupVersionResource) => `${g.group}/${g.resource}`;
const objKey = (o: KubeObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

function matches(o: KubeObject, opts?: ListOptions): boolean {
  if (opts?.namespace && o.metadata.namespace !== opts.namespace) return false;
  if (opts?.labelSelector) {
    for (const term of opts.labelSelector.split(',')) {
      const [k, v] = term.split('=');
      if (o.metadata.labels?.[k] !== v) return false;
    }
  }
  return true;
}

export class FakeStore implements ObjectStore {
  private data = new Map<string, Map<string, KubeObject>>();
  private watchers = new Map<string, Set<{ h: (ev: WatchEvent) => void; opts?: ListOptions }>>();
  private rv = 1;

  private table(g: GroupVersionResource) {
    let t = this.data.get(key(g));
    if (!t) this.data.set(key(g), (t = new Map()));
    return t;
  }
  private emit(g: GroupVersionResource, type: WatchEvent['type'], object: KubeObject) {
    for (const w of this.watchers.get(key(g)) ?? []) if (matches(object, w.opts)) w.h({ type, object: structuredClone(object) });
  }
  get(g: GroupVersionResource, ns: string | undefined, name: string) {
    const o = this.table(g).get(`${ns ?? ''}/${name}`);
    return o ? structuredClone(o) : undefined;
  }
  list(g: GroupVersionResource, opts?: ListOptions) {
    return [...this.table(g).values()].filter((o) => matches(o, opts)).map((o) => structuredClone(o));
  }
  create(g: GroupVersionResource, obj: KubeObject) {
    const o = structuredClone(obj);
    o.metadata.resourceVersion = String(this.rv++);
    this.table(g).set(objKey(o), o);
    this.emit(g, 'ADDED', o);
    return structuredClone(o);
  }
  update(g: GroupVersionResource, obj: KubeObject) {
    const o = structuredClone(obj);
    o.metadata.resourceVersion = String(this.rv++);
    this.table(g).set(objKey(o), o);
    this.emit(g, 'MODIFIED', o);
    return structuredClone(o);
  }
  mutate(g: GroupVersionResource, ns: string | undefined, name: string, fn: (o: KubeObject) => void) {
    const o = this.get(g, ns, name);
    if (!o) return undefined;
    fn(o);
    return this.update(g, o);
  }
  mutateMetadata(g: GroupVersionResource, ns: string | undefined, name: string, fn: (md: KubeObject['metadata']) => void) {
    return this.mutate(g, ns, name, (o) => fn(o.metadata));
  }
  delete(g: GroupVersionResource, ns: string | undefined, name: string) {
    const t = this.table(g);
    const o = t.get(`${ns ?? ''}/${name}`);
    if (!o) return undefined;
    t.delete(objKey(o));
    this.emit(g, 'DELETED', o);
    return o;
  }
  watch(g: GroupVersionResource, h: (ev: WatchEvent) => void, opts?: ListOptions) {
    let s = this.watchers.get(key(g));
    if (!s) this.watchers.set(key(g), (s = new Set()));
    const w = { h, opts };
    s.add(w);
    return () => s.delete(w);
  }
}

export function fakeCtx(workdir: string, nodes: SimNodeSpec[], lines: string[] = []): SimContext {
  return { store: new FakeStore(), workdir, nodes, ipStack: 'ipv4', speed: 1, log: (l) => lines.push(l), services: {} };
}
