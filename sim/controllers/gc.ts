/**
 * garbage-collector, the part the store does not do itself. The store (sim/api/store.ts) deletes
 * dependents in the background when an owner goes; this controller handles the finalizers the
 * other propagation policies leave on an owner:
 *  - foregroundDeletion: delete the dependents, drop the finalizer once none is left;
 *  - orphan: strip the owner's ownerReference from the dependents, then drop the finalizer.
 * Owners and dependents watched: Deployments, ReplicaSets, DaemonSets -> ReplicaSets, Pods.
 */
import type { GroupVersionResource, KubeObject, SimContext, Stoppable } from '../types.ts';
import { errText, GVR, isNotFound, keyOf, Timers } from './common.ts';
import { allOwnersIndex, Informer, WorkQueue } from './informer.ts';

const OWNERS: GroupVersionResource[] = [GVR.deployments, GVR.replicasets, GVR.daemonsets];
const DEPENDENTS: GroupVersionResource[] = [GVR.replicasets, GVR.pods];

export class GarbageCollector implements Stoppable {
  private readonly owners: Informer[];
  private readonly deps: Informer[];
  private readonly queue: WorkQueue;
  private readonly timers = new Timers();

  constructor(private readonly ctx: SimContext) {
    this.owners = OWNERS.map((g) => new Informer(ctx.store, g));
    this.deps = DEPENDENTS.map((g) => {
      const i = new Informer(ctx.store, g);
      i.addIndex('owners', allOwnersIndex);
      return i;
    });
    this.queue = new WorkQueue(
      (k) => this.sync(k),
      (k, e) => ctx.log(`garbage-collector: ${k}: ${errText(e)}`),
    );
    this.owners.forEach((inf, i) =>
      inf.on((type, o) => {
        if (
          type !== 'DELETED' &&
          o.metadata.deletionTimestamp &&
          o.metadata.finalizers?.some((f) => f === 'foregroundDeletion' || f === 'orphan')
        )
          this.queue.add(`${i}|${keyOf(o)}`);
      }),
    );
    for (const d of this.deps) {
      d.on((type, o) => {
        if (type !== 'DELETED') return;
        for (const r of o.metadata.ownerReferences ?? []) {
          this.owners.forEach((inf, i) => {
            const owner = inf.get(`${o.metadata.namespace}/${r.name}`);
            if (owner?.metadata.uid === r.uid && owner.metadata.deletionTimestamp) this.queue.add(`${i}|${keyOf(owner)}`);
          });
        }
      });
    }
  }

  start(): void {
    for (const d of this.deps) d.start();
    for (const o of this.owners) o.start();
  }

  async stop(): Promise<void> {
    this.timers.stop();
    this.queue.stop();
    for (const i of [...this.owners, ...this.deps]) i.stop();
  }

  private dependents(uid: string): { gvr: GroupVersionResource; obj: KubeObject }[] {
    const out: { gvr: GroupVersionResource; obj: KubeObject }[] = [];
    for (const d of this.deps) for (const o of d.byIndex('owners', uid)) out.push({ gvr: d.gvr, obj: o });
    return out;
  }

  private sync(key: string): void {
    const [idx, k] = key.split('|');
    const inf = this.owners[Number(idx)];
    const owner = inf.get(k);
    if (!owner || !owner.metadata.deletionTimestamp) return;
    const uid = owner.metadata.uid ?? '';
    const fins = owner.metadata.finalizers ?? [];
    const deps = this.dependents(uid);
    if (fins.includes('orphan')) {
      for (const d of deps) {
        this.ctx.store.mutate(d.gvr, d.obj.metadata.namespace, d.obj.metadata.name, (o) => {
          o.metadata.ownerReferences = (o.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid);
          if (!o.metadata.ownerReferences.length) delete o.metadata.ownerReferences;
        });
      }
      this.dropFinalizer(inf.gvr, owner, 'orphan');
      return;
    }
    if (fins.includes('foregroundDeletion')) {
      if (deps.length === 0) {
        this.dropFinalizer(inf.gvr, owner, 'foregroundDeletion');
        return;
      }
      for (const d of deps) {
        if (d.obj.metadata.deletionTimestamp) continue;
        try {
          this.ctx.store.delete(d.gvr, d.obj.metadata.namespace, d.obj.metadata.name, { propagationPolicy: 'Foreground' });
        } catch (e) {
          if (!isNotFound(e)) throw e;
        }
      }
      // re-checked when the dependents' DELETED events arrive, and periodically
      this.queue.addAfter(key, 1000 / this.ctx.speed);
    }
  }

  private dropFinalizer(gvr: GroupVersionResource, owner: KubeObject, fin: string): void {
    try {
      this.ctx.store.mutate(gvr, owner.metadata.namespace, owner.metadata.name, (o) => {
        o.metadata.finalizers = (o.metadata.finalizers ?? []).filter((f) => f !== fin);
      });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
}
