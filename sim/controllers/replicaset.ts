/**
 * replicaset-controller: keeps spec.replicas active pods (`<rs>-<5 chars>`, controller ownerRef),
 * deletes surplus pods in the order the real controller does (unscheduled, pending, not ready,
 * newest first), and writes status (replicas, fullyLabeledReplicas, readyReplicas,
 * availableReplicas, observedGeneration). Events: SuccessfulCreate "Created pod: x",
 * SuccessfulDelete "Deleted pod: x".
 */
import type { KubeObject, SimContext, Stoppable } from '../types.ts';
import { errText, GVR, isAlreadyExists, isNotFound, keyOf } from './common.ts';
import { EventRecorder } from './events.ts';
import { Informer, ownerUidIndex, WorkQueue } from './informer.ts';
import { controllerOf, isPodActive, isPodAvailable, isPodReady, podCondition, podSpec, podStatus, rsSpec } from './kinds.ts';
import { matchLabelSelector } from './selectors.ts';
import { podFromTemplate } from './workload.ts';

const SOURCE = { component: 'replicaset-controller' };

/** Order of deletion when scaling down: the first ones go first. */
export function scaleDownOrder(a: KubeObject, b: KubeObject): number {
  const sa = podSpec(a).nodeName ? 1 : 0;
  const sb = podSpec(b).nodeName ? 1 : 0;
  if (sa !== sb) return sa - sb;
  const ranks: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };
  const rank = (p: KubeObject): number => ranks[podStatus(p).phase ?? 'Pending'] ?? 0;
  if (rank(a) !== rank(b)) return rank(a) - rank(b);
  const ra = isPodReady(a) ? 1 : 0;
  const rb = isPodReady(b) ? 1 : 0;
  if (ra !== rb) return ra - rb;
  const ta = Date.parse(podCondition(a, 'Ready')?.lastTransitionTime ?? a.metadata.creationTimestamp ?? '') || 0;
  const tb = Date.parse(podCondition(b, 'Ready')?.lastTransitionTime ?? b.metadata.creationTimestamp ?? '') || 0;
  return tb - ta;
}

export class ReplicaSetController implements Stoppable {
  readonly rss: Informer;
  readonly pods: Informer;
  private readonly queue: WorkQueue;
  private readonly events: EventRecorder;

  constructor(
    private readonly ctx: SimContext,
    opts: { events?: EventRecorder; pods?: Informer } = {},
  ) {
    this.events = opts.events ?? new EventRecorder(ctx.store);
    this.rss = new Informer(ctx.store, GVR.replicasets);
    this.pods = new Informer(ctx.store, GVR.pods);
    this.pods.addIndex('owner', ownerUidIndex);
    this.queue = new WorkQueue(
      (k) => this.sync(k),
      (k, e) => ctx.log(`replicaset-controller: ${k}: ${errText(e)}`),
    );
    this.rss.on((_t, rs) => this.queue.add(keyOf(rs)));
    this.pods.on((_t, p) => {
      const ref = controllerOf(p);
      if (ref?.kind === 'ReplicaSet') this.queue.add(`${p.metadata.namespace}/${ref.name}`);
    });
  }

  start(): void {
    this.pods.start();
    this.rss.start();
  }

  async stop(): Promise<void> {
    this.queue.stop();
    this.rss.stop();
    this.pods.stop();
  }

  private sync(key: string): void {
    const rs = this.rss.get(key);
    if (!rs || rs.metadata.deletionTimestamp) return;
    const spec = rsSpec(rs);
    const ns = rs.metadata.namespace ?? 'default';
    const owned = this.pods.byIndex('owner', rs.metadata.uid ?? '');
    const active = owned.filter(isPodActive);
    const want = spec.replicas ?? 1;
    const diff = want - active.length;
    if (diff > 0) {
      for (let i = 0; i < diff; i++) {
        let created: KubeObject | undefined;
        for (let attempt = 0; attempt < 5 && !created; attempt++) {
          try {
            created = this.ctx.store.create(GVR.pods, podFromTemplate(spec.template, rs));
          } catch (e) {
            if (!isAlreadyExists(e)) {
              this.events.event(rs, 'Warning', 'FailedCreate', `Error creating: ${errText(e)}`, SOURCE);
              throw e;
            }
          }
        }
        if (created) this.events.event(rs, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`, SOURCE);
      }
    } else if (diff < 0) {
      const victims = active.slice().sort(scaleDownOrder).slice(0, -diff);
      for (const p of victims) {
        try {
          this.ctx.store.delete(GVR.pods, ns, p.metadata.name);
          this.events.event(rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`, SOURCE);
        } catch (e) {
          if (!isNotFound(e)) throw e;
        }
      }
    }
    this.writeStatus(rs);
  }

  private writeStatus(rs: KubeObject): void {
    const spec = rsSpec(rs);
    const now = Date.now();
    const active = this.pods.byIndex('owner', rs.metadata.uid ?? '').filter(isPodActive);
    const templateLabels = spec.template?.metadata?.labels ?? {};
    const status = {
      replicas: active.length,
      fullyLabeledReplicas: active.filter((p) => Object.entries(templateLabels).every(([k, v]) => p.metadata.labels?.[k] === v)).length,
      readyReplicas: active.filter(isPodReady).length,
      availableReplicas: active.filter((p) => isPodAvailable(p, spec.minReadySeconds ?? 0, now, this.ctx.speed)).length,
      observedGeneration: rs.metadata.generation ?? 1,
    };
    if (status.readyReplicas > status.availableReplicas)
      this.queue.addAfter(keyOf(rs), ((spec.minReadySeconds ?? 0) * 1000) / this.ctx.speed + 5);
    const cur = (rs.status ?? {}) as Record<string, unknown>;
    const same =
      (Object.keys(status) as (keyof typeof status)[]).every((k) => (cur[k] ?? 0) === status[k]) &&
      (cur.replicas !== undefined || status.replicas === 0) &&
      cur.observedGeneration !== undefined;
    if (same) return;
    this.ctx.store.mutate(
      GVR.replicasets,
      rs.metadata.namespace,
      rs.metadata.name,
      (o) => {
        const st: Record<string, unknown> = { ...(o.status ?? {}), ...status };
        for (const k of ['fullyLabeledReplicas', 'readyReplicas', 'availableReplicas'] as const) if (status[k] === 0) delete st[k];
        o.status = st;
      },
      { subresource: 'status' },
    );
  }

  /** Whether a selector of the RS matches its template (validation the API server would do). */
  static selectorMatchesTemplate(rs: KubeObject): boolean {
    const s = rsSpec(rs);
    return matchLabelSelector(s.template?.metadata?.labels, s.selector);
  }
}
