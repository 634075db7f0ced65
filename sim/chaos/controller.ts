/**
 * The embedded cluster's Chaos Mesh: an emulated chaos-controller-manager for every kind of the
 * registry (chaos/kinds/) and Schedule (chaos-mesh.org/v1alpha1), following the
 * upstream reconcilers (controllers/common/{finalizers,desiredphase,records,condition}):
 *
 * - finalizer `chaos-mesh/records` is added on create and removed once every record is recovered
 *   after a delete;
 * - desiredPhase: Stop when deleted, when `duration` (from creationTimestamp) has passed, or when
 *   paused (annotation experiment.chaos-mesh.org/pause=true); one-shot kinds (pod-kill,
 *   container-kill) stay Run; otherwise Run;
 * - records (status.experiment.containerRecords): targets selected once by selector + mode, then
 *   each record is applied / recovered towards the desired phase, with injectedCount,
 *   recoveredCount and per-record events (Succeeded|Failed, Apply|Recover);
 * - conditions Selected / AllInjected / AllRecovered / Paused derived from the records;
 * - core/v1 Events with the upstream reasons and messages (FinalizerInited, Started, Applied,
 *   Recovered, TimeUp, Paused, Deleted, Updated, Failed, Spawned, Forbid, Skip).
 *
 * What differs by kind is declared by the kind: validation, one-shot, record keys and selectors in
 * chaos/kinds/<kind>.ts, the effect of applying / recovering a record in ./kinds/<kind>.ts (KIND_EFFECTS).
 *
 * Chaos `duration`s are user values and are not divided by ctx.speed. `injectedChaos(store, kind)`
 * lists what is injected now (for the PTP part to act on TimeChaos / StressChaos later).
 */
import type { GroupVersionResource, KubeObject, SimContext, Stoppable } from '../types.ts';
import { GVR, Timers, errText, isAlreadyExists, randomSuffix, rfc3339 } from '../controllers/common.ts';
import { EventRecorder } from '../controllers/events.ts';
import { Informer, WorkQueue } from '../controllers/informer.ts';
import {
  CHAOS_API_VERSION,
  CHAOS_GROUP,
  CHAOS_KINDS,
  CHAOS_VERSION,
  MANAGED_BY_LABEL,
  PAUSE_ANNOTATION,
  RECORDS_FINALIZER,
  SCHEDULE_RESOURCE,
  conditionStatus,
  deriveConditions,
  isOneShot,
  nextCronTime,
  parseCron,
  parseGoDuration,
  recordsPerContainer,
  selectorSpecs,
  validateChaosSpec,
  type ChaosKind,
  type ChaosRecord,
  type DesiredPhase,
  type FieldError,
  type RecordEvent,
} from '../../chaos/model.ts';
import { selectPods } from './select.ts';
import { KIND_EFFECTS, type KindEffect } from './kinds/index.ts';
import { CHAOS_MESH_NAMESPACE } from '../constants.ts';

export const CHAOS_NAMESPACE = CHAOS_MESH_NAMESPACE;
export const CONTROLLER_COMPONENT = 'chaos-controller-manager';
const MAX_EVENTS = 10;
const gvrOf = (kind: ChaosKind): GroupVersionResource => ({
  group: CHAOS_GROUP,
  version: CHAOS_VERSION,
  resource: CHAOS_KINDS[kind].resource,
});
const SCHEDULE_GVR: GroupVersionResource = { group: CHAOS_GROUP, version: CHAOS_VERSION, resource: SCHEDULE_RESOURCE };

type Spec = Record<string, unknown>;

interface ExperimentStatus {
  desiredPhase?: DesiredPhase;
  containerRecords?: ChaosRecord[];
}

function experiment(o: KubeObject): ExperimentStatus {
  return ((o.status ?? {}) as { experiment?: ExperimentStatus }).experiment ?? {};
}

const isPaused = (o: KubeObject) => o.metadata.annotations?.[PAUSE_ANNOTATION] === 'true';

export class ChaosMeshController implements Stoppable {
  private readonly informers: Informer[] = [];
  private readonly queue: WorkQueue;
  private readonly timers = new Timers();
  private readonly events: EventRecorder;
  /** each kind's effect in this cluster (chaos/kinds declares the kind, ./kinds acts on it) */
  private readonly effects: Record<ChaosKind, KindEffect>;
  private readonly wakeups = new Map<string, NodeJS.Timeout>();

  constructor(private readonly ctx: SimContext) {
    this.events = new EventRecorder(ctx.store);
    this.effects = Object.fromEntries(Object.entries(KIND_EFFECTS).map(([k, make]) => [k, make(ctx)])) as Record<ChaosKind, KindEffect>;
    this.queue = new WorkQueue(
      (key) => this.reconcile(key),
      (key, e) => ctx.log(`chaos-mesh: reconcile ${key}: ${errText(e)}`),
    );
  }

  start(): void {
    for (const kind of Object.keys(CHAOS_KINDS) as ChaosKind[]) {
      const inf = new Informer(this.ctx.store, gvrOf(kind));
      inf.on((_t, o) => this.queue.add(`${kind}|${o.metadata.namespace}|${o.metadata.name}`));
      this.informers.push(inf);
    }
    const sched = new Informer(this.ctx.store, SCHEDULE_GVR);
    sched.on((_t, o) => this.queue.add(`Schedule|${o.metadata.namespace}|${o.metadata.name}`));
    this.informers.push(sched);
    for (const inf of this.informers) {
      try {
        inf.start();
      } catch (e) {
        this.ctx.log(`chaos-mesh: cannot watch ${inf.gvr.resource}.${inf.gvr.group} (CRD missing?): ${errText(e)}`);
      }
    }
  }

  async stop(): Promise<void> {
    for (const inf of this.informers) inf.stop();
    this.queue.stop();
    this.timers.stop();
    for (const t of this.wakeups.values()) clearTimeout(t);
    this.wakeups.clear();
    // leave no node cut off behind
    for (const e of Object.values(this.effects)) e.stop?.();
  }

  private wakeAt(key: string, at: number): void {
    const prev = this.wakeups.get(key);
    if (prev) clearTimeout(prev);
    const t = setTimeout(
      () => {
        this.wakeups.delete(key);
        this.queue.add(key);
      },
      Math.max(0, at - Date.now()) + 5,
    );
    t.unref?.();
    this.wakeups.set(key, t);
  }

  private event(o: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.events.event(o, type, reason, message, { component: CONTROLLER_COMPONENT });
  }

  private reconcile(key: string): void {
    const [kind, ns, name] = key.split('|');
    if (kind === 'Schedule') return this.reconcileSchedule(ns, name);
    this.reconcileChaos(kind as ChaosKind, ns, name);
  }

  // ------------------------------------------------------------ chaos kinds

  private reconcileChaos(kind: ChaosKind, ns: string, name: string): void {
    const gvr = gvrOf(kind);
    const key = `${kind}|${ns}|${name}`;
    let obj = this.ctx.store.get(gvr, ns, name);
    if (!obj) return;
    const spec = (obj.spec ?? {}) as Spec;
    const deleted = !!obj.metadata.deletionTimestamp;

    // spec errors (the upstream webhook would have refused the object)
    const errs: FieldError[] = [];
    validateChaosSpec(kind, spec, 'spec', errs);
    if (errs.length) {
      const msg = errs.map((e) => `${e.field}: ${e.message}`).join(', ');
      if (((obj.status ?? {}) as { failedMessage?: string }).failedMessage !== msg) {
        this.event(obj, 'Warning', 'Failed', `Failed to validate: ${msg}`);
        this.ctx.store.mutate(
          gvr,
          ns,
          name,
          (o) => {
            o.status = {
              ...((o.status ?? {}) as Record<string, unknown>),
              failedMessage: msg,
              conditions: deriveConditions(undefined, isPaused(o)),
            };
          },
          { subresource: 'status' },
        );
      }
      if (deleted) this.dropFinalizer(gvr, obj);
      return;
    }

    // 1. finalizer
    if (!deleted && !(obj.metadata.finalizers ?? []).includes(RECORDS_FINALIZER)) {
      this.event(obj, 'Normal', 'FinalizerInited', 'Finalizer has been inited');
      obj = this.ctx.store.mutate(gvr, ns, name, (o) => {
        o.metadata.finalizers = [...(o.metadata.finalizers ?? []), RECORDS_FINALIZER];
      });
      if (!obj) return;
      this.event(obj, 'Normal', 'Updated', 'Successfully update finalizer of resource');
    }

    // 2. desired phase
    const exp = experiment(obj);
    let desired: DesiredPhase;
    let why: [string, string] | undefined;
    const durMs = typeof spec.duration === 'string' ? parseGoDuration(spec.duration) : undefined;
    const created = Date.parse(obj.metadata.creationTimestamp ?? new Date().toISOString());
    if (deleted) {
      desired = 'Stop';
      why = ['Deleted', 'Experiment has been deleted'];
    } else if (isOneShot(kind, spec)) {
      desired = 'Run';
    } else if (durMs !== undefined && Date.now() >= created + durMs) {
      desired = 'Stop';
      why = ['TimeUp', 'Time up according to the duration'];
    } else {
      if (durMs !== undefined) this.wakeAt(key, created + durMs);
      if (isPaused(obj)) {
        desired = 'Stop';
        why = ['Paused', 'Experiment has been paused'];
      } else {
        desired = 'Run';
        why = ['Started', 'Experiment has started'];
      }
    }
    if (exp.desiredPhase !== desired) {
      if (why) this.event(obj, 'Normal', why[0], why[1]);
      obj = this.ctx.store.mutate(
        gvr,
        ns,
        name,
        (o) => {
          const st = (o.status ?? {}) as Record<string, unknown>;
          o.status = { ...st, experiment: { ...((st.experiment ?? {}) as object), desiredPhase: desired } };
        },
        { subresource: 'status' },
      );
      if (!obj) return;
      this.event(obj, 'Normal', 'Updated', 'Successfully update desiredPhase of resource');
    }

    // 3. records
    let records = experiment(obj).containerRecords;
    let changed = false;
    if (records === undefined && !deleted) {
      const selected: ChaosRecord[] = [];
      try {
        for (const s of selectorSpecs(kind, spec)) {
          const pods = selectPods(this.ctx.store, s.selector, s.mode, s.value, ns);
          if (pods.length === 0) throw new Error('no target has been selected');
          const perContainer = recordsPerContainer(kind, spec);
          const names = (spec.containerNames as string[] | undefined) ?? [];
          for (const p of pods) {
            if (!perContainer) selected.push(newRecord(`${p.namespace}/${p.name}`, s.key));
            else
              for (const c of p.containers.filter((c) => names.length === 0 || names.includes(c)))
                selected.push(newRecord(`${p.namespace}/${p.name}/${c}`, s.key));
          }
        }
        if (selected.length === 0) throw new Error('no target has been selected');
        records = selected;
        changed = true;
      } catch (e) {
        this.event(obj, 'Warning', 'Failed', `Failed to select targets: ${errText(e)}`);
        this.writeConditions(gvr, obj, undefined);
        // pods may show up later; upstream waits for the next event, we look again shortly
        this.wakeAt(key, Date.now() + 5000);
        return;
      }
    }
    records = (records ?? []).map((r) => ({ ...r, events: [...(r.events ?? [])] }));
    const want = experiment(obj).desiredPhase ?? desired;
    for (const r of records) {
      const op = want === 'Run' && r.phase !== 'Injected' ? 'Apply' : want === 'Stop' && r.phase !== 'Not Injected' ? 'Recover' : undefined;
      if (!op) continue;
      changed = true;
      try {
        if (op === 'Apply') {
          this.effects[kind].apply(obj, spec, r);
          r.phase = 'Injected';
          r.injectedCount++;
          pushEvent(r, { type: 'Succeeded', operation: 'Apply', timestamp: rfc3339() });
          this.event(obj, 'Normal', 'Applied', `Successfully apply chaos for ${r.id}`);
        } else {
          this.effects[kind].recover(obj, spec, r);
          r.phase = 'Not Injected';
          r.recoveredCount++;
          pushEvent(r, { type: 'Succeeded', operation: 'Recover', timestamp: rfc3339() });
          this.event(obj, 'Normal', 'Recovered', `Successfully recover chaos for ${r.id}`);
        }
      } catch (e) {
        pushEvent(r, { type: 'Failed', operation: op, message: errText(e), timestamp: rfc3339() });
        this.event(obj, 'Warning', 'Failed', `Failed to ${op === 'Apply' ? 'apply' : 'recover'} chaos: ${errText(e)}`);
        this.wakeAt(key, Date.now() + 2000);
      }
    }
    if (changed) {
      obj = this.writeConditions(gvr, obj, records);
      if (!obj) return;
      this.event(obj, 'Normal', 'Updated', 'Successfully update records of resource');
    } else {
      obj = this.writeConditions(gvr, obj, records) ?? obj;
    }

    // 4. finalizer removal once recovered
    if (obj.metadata.deletionTimestamp && records.every((r) => r.phase === 'Not Injected')) {
      this.effects[kind].forget?.(obj.metadata.uid ?? '');
      this.dropFinalizer(gvr, obj);
    }
  }

  private dropFinalizer(gvr: GroupVersionResource, obj: KubeObject): void {
    if (!(obj.metadata.finalizers ?? []).length) return;
    // upstream's FinalizerRemoved event really uses reason "FinalizerInited"
    this.event(obj, 'Normal', 'FinalizerInited', 'Finalizer has been removed');
    this.ctx.store.mutate(gvr, obj.metadata.namespace, obj.metadata.name, (o) => {
      o.metadata.finalizers = [];
    });
  }

  /** Write records + conditions when they differ; returns the stored object. */
  private writeConditions(gvr: GroupVersionResource, obj: KubeObject, records: ChaosRecord[] | undefined): KubeObject | undefined {
    const conditions = deriveConditions(records, isPaused(obj));
    const st = (obj.status ?? {}) as Record<string, unknown>;
    const exp = (st.experiment ?? {}) as ExperimentStatus;
    const same =
      JSON.stringify(st.conditions) === JSON.stringify(conditions) && JSON.stringify(exp.containerRecords) === JSON.stringify(records);
    if (same) return obj;
    return this.ctx.store.mutate(
      gvr,
      obj.metadata.namespace,
      obj.metadata.name,
      (o) => {
        const s = (o.status ?? {}) as Record<string, unknown>;
        const e = { ...((s.experiment ?? {}) as ExperimentStatus) };
        if (records) e.containerRecords = records;
        o.status = { ...s, conditions, experiment: e };
      },
      { subresource: 'status' },
    );
  }

  // ------------------------------------------------------------ Schedule

  private reconcileSchedule(ns: string, name: string): void {
    const key = `Schedule|${ns}|${name}`;
    const store = this.ctx.store;
    const sch = store.get(SCHEDULE_GVR, ns, name);
    if (!sch || sch.metadata.deletionTimestamp) return;
    const spec = (sch.spec ?? {}) as Spec;
    const type = spec.type as ChaosKind;
    if (!(type in CHAOS_KINDS)) {
      this.event(sch, 'Warning', 'Failed', `Failed to spawn: unsupported type ${String(spec.type)}`);
      return;
    }
    let cron;
    try {
      cron = parseCron(String(spec.schedule ?? ''));
    } catch (e) {
      this.event(sch, 'Warning', 'Failed', `Failed to parse schedule: ${errText(e)}`);
      return;
    }
    const gvr = gvrOf(type);
    const children = store
      .list(gvr, { namespace: ns, labelSelector: `${MANAGED_BY_LABEL}=${name}` })
      .sort((a, b) => (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? ''));
    const finished = (c: KubeObject) => {
      const cspec = (c.spec ?? {}) as Spec;
      if (isOneShot(type, cspec)) return conditionStatus(c.status, 'AllInjected') === 'True';
      return experiment(c).desiredPhase === 'Stop' && conditionStatus(c.status, 'AllRecovered') === 'True';
    };
    const active = children.filter((c) => !finished(c));
    const st = (sch.status ?? {}) as { time?: string; active?: unknown[] };
    const last = st.time ? Date.parse(st.time) : Date.parse(sch.metadata.creationTimestamp ?? new Date().toISOString());
    const next = nextCronTime(cron, last);
    let spawned: KubeObject | undefined;
    let scheduledAt = st.time;
    const deadlineS = spec.startingDeadlineSeconds as number | null | undefined;
    if (!isPaused(sch) && Date.now() >= next) {
      scheduledAt = rfc3339();
      const policy = (spec.concurrencyPolicy as string | undefined) || 'Forbid';
      if (typeof deadlineS === 'number' && Date.now() - next > deadlineS * 1000) {
        this.event(sch, 'Warning', 'MissSchedule', `Missed scheduled time to start a job: ${rfc1123z(next)}`);
      } else if (policy === 'Forbid' && active.length > 0) {
        this.event(sch, 'Warning', 'Forbid', `Forbid spawning new job because: ${active[0].metadata.name} is still running`);
      } else {
        const childName = `${name}-${randomSuffix(5)}`;
        const child: KubeObject = {
          apiVersion: CHAOS_API_VERSION,
          kind: type,
          metadata: {
            name: childName,
            namespace: ns,
            labels: { [MANAGED_BY_LABEL]: name },
            ownerReferences: [
              {
                apiVersion: CHAOS_API_VERSION,
                kind: 'Schedule',
                name,
                uid: sch.metadata.uid ?? '',
                controller: true,
                blockOwnerDeletion: true,
              },
            ],
          },
          spec: structuredClone((spec[CHAOS_KINDS[type].scheduleKey] ?? {}) as Record<string, unknown>),
        };
        try {
          spawned = store.create(gvr, child);
          this.event(sch, 'Normal', 'Spawned', `Create new object: ${childName}`);
        } catch (e) {
          if (!isAlreadyExists(e)) this.event(sch, 'Warning', 'Failed', `Failed to spawn: ${errText(e)}`);
        }
      }
    }
    // history
    const limit = (spec.historyLimit as number | undefined) ?? 1;
    const all = spawned ? [...children, spawned] : children;
    let excess = all.length - limit;
    for (const c of all) {
      if (excess <= 0) break;
      if (c === spawned) continue;
      if (!finished(c)) {
        this.event(sch, 'Warning', 'Skip', `Skip removing history: ${c.metadata.name} is still running`);
        continue;
      }
      try {
        store.delete(gvr, ns, c.metadata.name);
      } catch {
        // gone
      }
      excess--;
    }
    const nowActive = [...active, ...(spawned ? [spawned] : [])].map((c) => ({
      apiVersion: CHAOS_API_VERSION,
      kind: type,
      name: c.metadata.name,
      namespace: ns,
      uid: c.metadata.uid,
    }));
    if (scheduledAt !== st.time || JSON.stringify(nowActive) !== JSON.stringify(st.active ?? [])) {
      store.mutate(
        SCHEDULE_GVR,
        ns,
        name,
        (o) => {
          o.status = { ...((o.status ?? {}) as Record<string, unknown>), active: nowActive, ...(scheduledAt ? { time: scheduledAt } : {}) };
        },
        { subresource: 'status' },
      );
    }
    const base = scheduledAt ? Date.parse(scheduledAt) : last;
    this.wakeAt(key, Math.min(nextCronTime(cron, base), Date.now() + 2000));
  }
}

/**
 * The chaos objects of a kind whose records are Injected now, with those record ids (ns/pod or
 * ns/pod/container). For parts that act on recorded-only chaos later (TimeChaos / StressChaos on PTP).
 */
export function injectedChaos(store: SimContext['store'], kind: ChaosKind): Array<{ chaos: KubeObject; ids: string[] }> {
  const out: Array<{ chaos: KubeObject; ids: string[] }> = [];
  for (const o of store.list(gvrOf(kind))) {
    const ids = (experiment(o).containerRecords ?? []).filter((r) => r.phase === 'Injected').map((r) => r.id);
    if (ids.length) out.push({ chaos: o, ids });
  }
  return out;
}

/** Go's time.RFC1123Z in UTC: 'Mon, 02 Jan 2006 15:04:05 +0000'. */
function rfc1123z(ms: number): string {
  return new Date(ms).toUTCString().replace(/GMT$/, '+0000');
}

function newRecord(id: string, selectorKey: string): ChaosRecord {
  return { id, selectorKey, phase: 'Not Injected', injectedCount: 0, recoveredCount: 0 };
}

function pushEvent(r: ChaosRecord, e: RecordEvent): void {
  const evs = r.events ?? [];
  evs.push(e);
  while (evs.length > MAX_EVENTS) evs.shift();
  r.events = evs;
}

/** The chaos-controller-manager Deployment in ns chaos-mesh, so the cluster looks like an installed Chaos Mesh. */
function controllerDeployment(): KubeObject {
  const labels = {
    'app.kubernetes.io/name': 'chaos-mesh',
    'app.kubernetes.io/instance': 'chaos-mesh',
    'app.kubernetes.io/component': 'controller-manager',
  };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: CONTROLLER_COMPONENT, namespace: CHAOS_NAMESPACE, labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: 'chaos-controller-manager',
          priorityClassName: '',
          tolerations: [
            { key: 'node-role.kubernetes.io/master', operator: 'Exists', effect: 'NoSchedule' },
            { key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' },
          ],
          containers: [
            {
              name: 'chaos-mesh',
              image: 'ghcr.io/chaos-mesh/chaos-mesh:v2.7.2',
              command: ['/usr/local/bin/chaos-controller-manager'],
              ports: [
                { name: 'webhook', containerPort: 10250 },
                { name: 'http', containerPort: 10080 },
              ],
            },
          ],
        },
      },
    },
  };
}

export async function startChaosMesh(ctx: SimContext): Promise<Stoppable> {
  const store = ctx.store;
  try {
    store.create(GVR.namespaces, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: CHAOS_NAMESPACE, labels: { 'kubernetes.io/metadata.name': CHAOS_NAMESPACE } },
    });
  } catch (e) {
    if (!isAlreadyExists(e)) throw e;
  }
  try {
    store.create(GVR.deployments, controllerDeployment());
  } catch (e) {
    if (!isAlreadyExists(e)) throw e;
  }
  const c = new ChaosMeshController(ctx);
  c.start();
  return c;
}
