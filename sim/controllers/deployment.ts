/**
 * deployment-controller: one ReplicaSet per pod template (`<deploy>-<pod-template-hash>`), the
 * RollingUpdate (maxSurge / maxUnavailable, 25% defaults) and Recreate strategies, scaling,
 * revision annotations, old ReplicaSet cleanup (revisionHistoryLimit) and status
 * (replicas, updatedReplicas, readyReplicas, availableReplicas, unavailableReplicas,
 * observedGeneration, conditions Available + Progressing).
 * Events: ScalingReplicaSet "Scaled up replica set x to 3 from 0".
 */
import type { KubeObject, SimContext, Stoppable } from '../types.ts';
import { deepClone, errText, GVR, isAlreadyExists, isNotFound, keyOf, rfc3339 } from './common.ts';
import { EventRecorder } from './events.ts';
import { Informer, ownerUidIndex, WorkQueue } from './informer.ts';
import { controllerOf, deploySpec, rsSpec, type DeploymentSpec } from './kinds.ts';
import { controllerRef, resolveIntOrPercent, templateHash } from './workload.ts';

const SOURCE = { component: 'deployment-controller' };
const REVISION = 'deployment.kubernetes.io/revision';
const DESIRED = 'deployment.kubernetes.io/desired-replicas';
const MAX = 'deployment.kubernetes.io/max-replicas';

interface RsView {
  obj: KubeObject;
  name: string;
  replicas: number;
  ready: number;
  available: number;
  statusReplicas: number;
  revision: number;
}

function view(rs: KubeObject): RsView {
  const st = (rs.status ?? {}) as Record<string, number | undefined>;
  return {
    obj: rs,
    name: rs.metadata.name,
    replicas: rsSpec(rs).replicas ?? 0,
    ready: st.readyReplicas ?? 0,
    available: st.availableReplicas ?? 0,
    statusReplicas: st.replicas ?? 0,
    revision: Number(rs.metadata.annotations?.[REVISION] ?? 0),
  };
}

export function maxSurgeUnavailable(spec: DeploymentSpec): { surge: number; unavailable: number } {
  const replicas = spec.replicas ?? 1;
  const ru = spec.strategy?.rollingUpdate;
  const surge = resolveIntOrPercent(ru?.maxSurge, replicas, true, '25%');
  let unavailable = resolveIntOrPercent(ru?.maxUnavailable, replicas, false, '25%');
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable: Math.min(unavailable, replicas) };
}

export class DeploymentController implements Stoppable {
  readonly deploys: Informer;
  readonly rss: Informer;
  private readonly queue: WorkQueue;
  private readonly events: EventRecorder;

  constructor(
    private readonly ctx: SimContext,
    opts: { events?: EventRecorder } = {},
  ) {
    this.events = opts.events ?? new EventRecorder(ctx.store);
    this.deploys = new Informer(ctx.store, GVR.deployments);
    this.rss = new Informer(ctx.store, GVR.replicasets);
    this.rss.addIndex('owner', ownerUidIndex);
    this.queue = new WorkQueue(
      (k) => this.sync(k),
      (k, e) => ctx.log(`deployment-controller: ${k}: ${errText(e)}`),
    );
    this.deploys.on((_t, d) => this.queue.add(keyOf(d)));
    this.rss.on((_t, rs) => {
      const ref = controllerOf(rs);
      if (ref?.kind === 'Deployment') this.queue.add(`${rs.metadata.namespace}/${ref.name}`);
    });
  }

  start(): void {
    this.rss.start();
    this.deploys.start();
  }

  async stop(): Promise<void> {
    this.queue.stop();
    this.deploys.stop();
    this.rss.stop();
  }

  private scale(d: KubeObject, rs: RsView, to: number, spec: DeploymentSpec, surge: number): void {
    if (rs.replicas === to) return;
    const from = rs.replicas;
    this.ctx.store.mutate(GVR.replicasets, rs.obj.metadata.namespace, rs.name, (o) => {
      (o.spec as Record<string, unknown>).replicas = to;
      o.metadata.annotations = {
        ...(o.metadata.annotations ?? {}),
        [DESIRED]: String(spec.replicas ?? 1),
        [MAX]: String((spec.replicas ?? 1) + surge),
      };
    });
    rs.replicas = to;
    this.events.event(
      d,
      'Normal',
      'ScalingReplicaSet',
      `Scaled ${to > from ? 'up' : 'down'} replica set ${rs.name} to ${to} from ${from}`,
      SOURCE,
    );
  }

  private sync(key: string): void {
    const d = this.deploys.get(key);
    if (!d || d.metadata.deletionTimestamp) return;
    const spec = deploySpec(d);
    const replicas = spec.replicas ?? 1;
    const ns = d.metadata.namespace ?? 'default';
    const hash = templateHash(spec.template);
    const all = this.rss.byIndex('owner', d.metadata.uid ?? '').map(view);
    let newRs = all.find((r) => r.obj.metadata.labels?.['pod-template-hash'] === hash);
    const olds = all.filter((r) => r !== newRs).sort((a, b) => a.revision - b.revision);
    const { surge, unavailable } = spec.strategy?.type === 'Recreate' ? { surge: 0, unavailable: replicas } : maxSurgeUnavailable(spec);
    const maxRevision = Math.max(0, ...all.map((r) => r.revision));
    let createdNew = false;

    if (!newRs && !spec.paused) {
      const oldTotal = olds.reduce((s, r) => s + r.replicas, 0);
      let initial = replicas;
      if (spec.strategy?.type === 'Recreate') initial = oldTotal > 0 ? 0 : replicas;
      else if (oldTotal > 0) initial = Math.max(0, Math.min(replicas, replicas + surge - oldTotal));
      const tpl = deepClone(spec.template);
      tpl.metadata = { ...(tpl.metadata ?? {}), labels: { ...(tpl.metadata?.labels ?? {}), 'pod-template-hash': hash } };
      const rs: KubeObject = {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: {
          name: `${d.metadata.name}-${hash}`,
          namespace: ns,
          labels: { ...(spec.template.metadata?.labels ?? {}), 'pod-template-hash': hash },
          annotations: { [DESIRED]: String(replicas), [MAX]: String(replicas + surge), [REVISION]: String(maxRevision + 1) },
          ownerReferences: [controllerRef(d)],
        },
        spec: {
          replicas: initial,
          ...(spec.minReadySeconds ? { minReadySeconds: spec.minReadySeconds } : {}),
          selector: { ...spec.selector, matchLabels: { ...(spec.selector?.matchLabels ?? {}), 'pod-template-hash': hash } },
          template: tpl as unknown as Record<string, unknown>,
        },
      };
      try {
        const created = this.ctx.store.create(GVR.replicasets, rs);
        newRs = view(created);
        createdNew = true;
        if (initial > 0)
          this.events.event(
            d,
            'Normal',
            'ScalingReplicaSet',
            `Scaled up replica set ${created.metadata.name} to ${initial} from 0`,
            SOURCE,
          );
      } catch (e) {
        if (!isAlreadyExists(e)) throw e;
        const existing = this.ctx.store.get(GVR.replicasets, ns, rs.metadata.name);
        if (existing) newRs = view(existing);
      }
    }

    if (newRs && !spec.paused) {
      if (spec.strategy?.type === 'Recreate') {
        for (const o of olds) this.scale(d, o, 0, spec, surge);
        const oldPods = olds.reduce((s, r) => s + r.statusReplicas, 0);
        if (oldPods === 0) this.scale(d, newRs, replicas, spec, surge);
      } else if (olds.every((o) => o.replicas === 0)) {
        this.scale(d, newRs, replicas, spec, surge);
      } else {
        // reconcileNewReplicaSet
        const total = (): number => newRs!.replicas + olds.reduce((s, r) => s + r.replicas, 0);
        if (newRs.replicas > replicas) this.scale(d, newRs, replicas, spec, surge);
        else if (newRs.replicas < replicas) {
          const up = Math.min(replicas + surge - total(), replicas - newRs.replicas);
          if (up > 0) this.scale(d, newRs, newRs.replicas + up, spec, surge);
        }
        // reconcileOldReplicaSets
        const minAvailable = replicas - unavailable;
        const newUnavailable = newRs.replicas - newRs.available;
        let maxScaledDown = total() - minAvailable - newUnavailable;
        if (maxScaledDown > 0) {
          // unhealthy old replicas first
          for (const o of olds) {
            if (maxScaledDown <= 0) break;
            const unhealthy = o.replicas - o.available;
            if (unhealthy <= 0) continue;
            const down = Math.min(unhealthy, maxScaledDown);
            this.scale(d, o, o.replicas - down, spec, surge);
            maxScaledDown -= down;
          }
          const totalAvailable = newRs.available + olds.reduce((s, r) => s + Math.min(r.available, r.replicas), 0);
          let budget = Math.min(totalAvailable - minAvailable, maxScaledDown);
          for (const o of olds) {
            if (budget <= 0) break;
            const down = Math.min(o.replicas, budget);
            if (down <= 0) continue;
            this.scale(d, o, o.replicas - down, spec, surge);
            budget -= down;
          }
        }
      }
      this.cleanup(d, olds, spec);
    }

    if (newRs && d.metadata.annotations?.[REVISION] !== newRs.obj.metadata.annotations?.[REVISION]) {
      const rev = newRs.obj.metadata.annotations?.[REVISION];
      if (rev) {
        this.ctx.store.mutate(GVR.deployments, ns, d.metadata.name, (o) => {
          o.metadata.annotations = { ...(o.metadata.annotations ?? {}), [REVISION]: rev };
        });
      }
    }
    this.writeStatus(d, newRs, olds, createdNew, unavailable);
  }

  private cleanup(d: KubeObject, olds: RsView[], spec: DeploymentSpec): void {
    const limit = spec.revisionHistoryLimit ?? 10;
    const idle = olds.filter((o) => o.replicas === 0 && o.statusReplicas === 0);
    for (const o of idle.slice(0, Math.max(0, idle.length - limit))) {
      try {
        this.ctx.store.delete(GVR.replicasets, o.obj.metadata.namespace, o.name);
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
    void d;
  }

  private writeStatus(d: KubeObject, newRs: RsView | undefined, olds: RsView[], createdNew: boolean, maxUnavailable: number): void {
    const spec = deploySpec(d);
    const replicas = spec.replicas ?? 1;
    const all = newRs ? [newRs, ...olds] : olds;
    const specTotal = all.reduce((s, r) => s + r.replicas, 0);
    const st = {
      observedGeneration: d.metadata.generation ?? 1,
      replicas: all.reduce((s, r) => s + r.statusReplicas, 0),
      updatedReplicas: newRs?.statusReplicas ?? 0,
      readyReplicas: all.reduce((s, r) => s + r.ready, 0),
      availableReplicas: all.reduce((s, r) => s + r.available, 0),
      unavailableReplicas: 0,
    };
    st.unavailableReplicas = Math.max(0, specTotal - st.availableReplicas);
    const now = rfc3339();
    const available = st.availableReplicas >= replicas - maxUnavailable;
    const complete =
      !!newRs &&
      st.updatedReplicas === replicas &&
      st.replicas === replicas &&
      st.availableReplicas === replicas &&
      olds.every((o) => o.statusReplicas === 0);
    const progressing = complete
      ? { reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${newRs?.name}" has successfully progressed.` }
      : createdNew
        ? { reason: 'NewReplicaSetCreated', message: `Created new replica set "${newRs?.name}"` }
        : newRs
          ? { reason: 'ReplicaSetUpdated', message: `ReplicaSet "${newRs.name}" is progressing.` }
          : undefined;
    const cur = (d.status ?? {}) as Record<string, unknown>;
    const conds = ((cur.conditions ?? []) as Record<string, string>[]).map((c) => ({ ...c }));
    const setCond = (type: string, status: string, reason: string, message: string): void => {
      const i = conds.findIndex((c) => c.type === type);
      const c = { type, status, lastUpdateTime: now, lastTransitionTime: now, reason, message };
      if (i < 0) conds.push(c);
      else {
        const o = conds[i];
        if (o.status === status && o.reason === reason && o.message === message) return;
        conds[i] = { ...c, lastTransitionTime: o.status === status ? o.lastTransitionTime : now };
      }
    };
    setCond(
      'Available',
      available ? 'True' : 'False',
      available ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable',
      available ? 'Deployment has minimum availability.' : 'Deployment does not have minimum availability.',
    );
    if (progressing) setCond('Progressing', 'True', progressing.reason, progressing.message);
    conds.sort((a, b) => (a.type === 'Available' ? -1 : b.type === 'Available' ? 1 : 0));
    const next: Record<string, unknown> = { ...st, conditions: conds };
    for (const k of ['updatedReplicas', 'readyReplicas', 'availableReplicas', 'unavailableReplicas', 'replicas'] as const)
      if (st[k] === 0) delete next[k];
    const same =
      JSON.stringify(next) === JSON.stringify({ ...Object.fromEntries(Object.keys(next).map((k) => [k, cur[k]])) }) &&
      Object.keys(cur).every((k) => k in next || k === 'collisionCount');
    if (same) return;
    this.ctx.store.mutate(
      GVR.deployments,
      d.metadata.namespace,
      d.metadata.name,
      (o) => {
        const collision = (o.status as Record<string, unknown> | undefined)?.collisionCount;
        o.status = { ...next, ...(collision !== undefined ? { collisionCount: collision } : {}) };
      },
      { subresource: 'status' },
    );
  }
}
