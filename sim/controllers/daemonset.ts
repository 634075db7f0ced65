/**
 * daemonset-controller: one pod (`<ds>-<5 chars>`) per eligible node. Eligibility as in the real
 * controller: nodeSelector / required node affinity, and NoSchedule/NoExecute taints against the
 * DaemonSet's tolerations plus the ones it adds to every daemon pod (not-ready and unreachable
 * NoExecute, disk/memory/pid-pressure and unschedulable NoSchedule, network-unavailable for
 * hostNetwork). Pods are pinned with nodeAffinity matchFields metadata.name and bound by the
 * scheduler. RollingUpdate replaces outdated pods maxUnavailable at a time.
 * Status: desiredNumberScheduled, currentNumberScheduled, numberMisscheduled, numberReady,
 * numberAvailable, numberUnavailable, updatedNumberScheduled, observedGeneration.
 */
import type { KubeObject, SimContext, Stoppable } from '../types.ts';
import { deepClone, errText, GVR, isNotFound, keyOf } from './common.ts';
import { EventRecorder } from './events.ts';
import { Informer, ownerUidIndex, WorkQueue } from './informer.ts';
import {
  controllerOf,
  dsSpec,
  isPodActive,
  isPodAvailable,
  isPodReady,
  nodeSpec,
  podSpec,
  podStatus,
  type PodTemplate,
  type Toleration,
} from './kinds.ts';
import { matchesNodeAffinity } from './scheduler.ts';
import { findUntoleratedTaint } from './selectors.ts';
import { podFromTemplate, resolveIntOrPercent, templateHash } from './workload.ts';

const SOURCE = { component: 'daemonset-controller' };

/** Tolerations the DaemonSet controller adds to every daemon pod. */
export function daemonTolerations(template: PodTemplate): Toleration[] {
  const add: Toleration[] = [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
  ];
  if (template.spec.hostNetwork) add.push({ key: 'node.kubernetes.io/network-unavailable', operator: 'Exists', effect: 'NoSchedule' });
  const have = template.spec.tolerations ?? [];
  const out = [...have];
  for (const t of add) if (!have.some((h) => h.key === t.key && h.effect === t.effect && h.operator === t.operator)) out.push(t);
  return out;
}

/** nodeShouldRunDaemonPod: [shouldRun (place a new pod), shouldContinueRunning (keep an existing one)]. */
export function nodeShouldRunDaemonPod(template: PodTemplate, node: KubeObject): { shouldRun: boolean; shouldContinueRunning: boolean } {
  const tols = daemonTolerations(template);
  const probe: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'probe' },
    spec: { ...(template.spec as unknown as Record<string, unknown>), tolerations: tols },
  };
  if (!matchesNodeAffinity(probe, node)) return { shouldRun: false, shouldContinueRunning: false };
  const taints = nodeSpec(node).taints;
  const shouldContinueRunning = !findUntoleratedTaint(taints, tols, ['NoExecute']);
  const shouldRun = shouldContinueRunning && !findUntoleratedTaint(taints, tols, ['NoSchedule']);
  return { shouldRun, shouldContinueRunning };
}

export class DaemonSetController implements Stoppable {
  readonly dss: Informer;
  readonly pods: Informer;
  readonly nodes: Informer;
  private readonly queue: WorkQueue;
  private readonly events: EventRecorder;

  constructor(
    private readonly ctx: SimContext,
    opts: { events?: EventRecorder } = {},
  ) {
    this.events = opts.events ?? new EventRecorder(ctx.store);
    this.dss = new Informer(ctx.store, GVR.daemonsets);
    this.pods = new Informer(ctx.store, GVR.pods);
    this.pods.addIndex('owner', ownerUidIndex);
    this.nodes = new Informer(ctx.store, GVR.nodes);
    this.queue = new WorkQueue(
      (k) => this.sync(k),
      (k, e) => ctx.log(`daemonset-controller: ${k}: ${errText(e)}`),
    );
    this.dss.on((_t, ds) => this.queue.add(keyOf(ds)));
    this.pods.on((_t, p) => {
      const ref = controllerOf(p);
      if (ref?.kind === 'DaemonSet') this.queue.add(`${p.metadata.namespace}/${ref.name}`);
    });
    this.nodes.on((type, n, old) => {
      if (
        type !== 'MODIFIED' ||
        JSON.stringify(n.spec) !== JSON.stringify(old?.spec) ||
        JSON.stringify(n.metadata.labels) !== JSON.stringify(old?.metadata.labels)
      ) {
        for (const ds of this.dss.list()) this.queue.add(keyOf(ds));
      }
      // readiness of daemon pods depends on nodes only through pods; nothing else to do
    });
  }

  start(): void {
    this.nodes.start();
    this.pods.start();
    this.dss.start();
  }

  async stop(): Promise<void> {
    this.queue.stop();
    this.dss.stop();
    this.pods.stop();
    this.nodes.stop();
  }

  private podNode(p: KubeObject): string | undefined {
    const s = podSpec(p);
    if (s.nodeName) return s.nodeName;
    for (const t of s.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? []) {
      const f = t.matchFields?.find((m) => m.key === 'metadata.name' && m.operator === 'In');
      if (f?.values?.length) return f.values[0];
    }
    return undefined;
  }

  private newPod(ds: KubeObject, node: string, hash: string): KubeObject {
    const spec = dsSpec(ds);
    const tpl = deepClone(spec.template);
    tpl.spec.tolerations = daemonTolerations(spec.template);
    const terms = tpl.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
    const pin = { key: 'metadata.name', operator: 'In' as const, values: [node] };
    // NodeAffinity replaced/merged as the controller does: matchFields pinned to the node in every term
    const newTerms = terms && terms.length ? terms.map((t) => ({ ...t, matchFields: [pin] })) : [{ matchFields: [pin] }];
    tpl.spec.affinity = {
      ...(tpl.spec.affinity ?? {}),
      nodeAffinity: {
        ...(tpl.spec.affinity?.nodeAffinity ?? {}),
        requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: newTerms },
      },
    };
    return podFromTemplate(tpl, ds, { 'controller-revision-hash': hash, 'pod-template-generation': String(ds.metadata.generation ?? 1) });
  }

  private sync(key: string): void {
    const ds = this.dss.get(key);
    if (!ds || ds.metadata.deletionTimestamp) return;
    const spec = dsSpec(ds);
    const ns = ds.metadata.namespace ?? 'default';
    const hash = templateHash(spec.template);
    const owned = this.pods.byIndex('owner', ds.metadata.uid ?? '');
    const byNode = new Map<string, KubeObject[]>();
    const toDelete: KubeObject[] = [];
    for (const p of owned) {
      if (p.metadata.deletionTimestamp) continue;
      if (podStatus(p).phase === 'Failed') {
        toDelete.push(p);
        continue;
      }
      const n = this.podNode(p);
      if (!n) continue;
      let l = byNode.get(n);
      if (!l) byNode.set(n, (l = []));
      l.push(p);
    }
    const nodes = [...this.nodes.list()];
    const nodeNames = new Set(nodes.map((n) => n.metadata.name));
    for (const [n, pods] of byNode) if (!nodeNames.has(n)) toDelete.push(...pods);
    const toCreate: string[] = [];
    let desired = 0;
    let current = 0;
    let misscheduled = 0;
    let ready = 0;
    let available = 0;
    let updated = 0;
    const now = Date.now();
    const outdated: KubeObject[] = [];
    let unavailableNow = 0;
    for (const node of nodes) {
      const name = node.metadata.name;
      const { shouldRun, shouldContinueRunning } = nodeShouldRunDaemonPod(spec.template, node);
      const pods = (byNode.get(name) ?? []).filter(isPodActive);
      if (shouldRun) desired++;
      if (pods.length === 0) {
        if (shouldRun) {
          toCreate.push(name);
          unavailableNow++;
        }
        continue;
      }
      if (!shouldContinueRunning) {
        toDelete.push(...pods);
        continue;
      }
      if (shouldRun) current++;
      else misscheduled++;
      // keep the oldest, delete duplicates
      pods.sort((a, b) => (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? ''));
      toDelete.push(...pods.slice(1));
      const p = pods[0];
      const isUpdated = p.metadata.labels?.['controller-revision-hash'] === hash;
      if (isUpdated) updated++;
      else outdated.push(p);
      if (isPodReady(p)) ready++;
      const av = isPodAvailable(p, spec.minReadySeconds ?? 0, now, this.ctx.speed);
      if (av) available++;
      else unavailableNow++;
    }
    // RollingUpdate: replace outdated pods, at most maxUnavailable down at a time
    if ((spec.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate' && outdated.length) {
      const maxUnavailable = Math.max(1, resolveIntOrPercent(spec.updateStrategy?.rollingUpdate?.maxUnavailable, desired, true, 1));
      outdated.sort((a, b) => Number(isPodReady(a)) - Number(isPodReady(b)));
      for (const p of outdated) {
        const wasAvailable = isPodAvailable(p, spec.minReadySeconds ?? 0, now, this.ctx.speed);
        if (!wasAvailable) {
          toDelete.push(p);
          continue;
        }
        if (unavailableNow >= maxUnavailable) break;
        toDelete.push(p);
        unavailableNow++;
      }
    }
    for (const p of toDelete) {
      try {
        this.ctx.store.delete(GVR.pods, ns, p.metadata.name);
        this.events.event(ds, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`, SOURCE);
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
    for (const node of toCreate) {
      try {
        const created = this.ctx.store.create(GVR.pods, this.newPod(ds, node, hash));
        this.events.event(ds, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`, SOURCE);
      } catch (e) {
        this.events.event(ds, 'Warning', 'FailedCreate', `Error creating: ${errText(e)}`, SOURCE);
        throw e;
      }
    }
    if (ready > available) this.queue.addAfter(key, ((spec.minReadySeconds ?? 0) * 1000) / this.ctx.speed + 5);
    const status: Record<string, unknown> = {
      currentNumberScheduled: current,
      desiredNumberScheduled: desired,
      numberMisscheduled: misscheduled,
      numberReady: ready,
      observedGeneration: ds.metadata.generation ?? 1,
      updatedNumberScheduled: updated,
      numberAvailable: available,
      numberUnavailable: Math.max(0, desired - available),
    };
    if (!available) delete status.numberAvailable;
    if (!status.numberUnavailable) delete status.numberUnavailable;
    if (!updated) delete status.updatedNumberScheduled;
    const cur = (ds.status ?? {}) as Record<string, unknown>;
    const keys = new Set([...Object.keys(status), ...Object.keys(cur).filter((k) => k !== 'collisionCount' && k !== 'conditions')]);
    if ([...keys].every((k) => cur[k] === status[k])) return;
    this.ctx.store.mutate(
      GVR.daemonsets,
      ns,
      ds.metadata.name,
      (o) => {
        const prev = (o.status ?? {}) as Record<string, unknown>;
        o.status = { ...status, ...(prev.collisionCount !== undefined ? { collisionCount: prev.collisionCount } : {}) };
      },
      { subresource: 'status' },
    );
  }
}
