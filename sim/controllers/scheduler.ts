/**
 * default-scheduler, emulated: binds pending pods to nodes.
 *
 * Filters (in the real plugin order; a node fails on the first one): NodeUnschedulable,
 * TaintToleration (NoSchedule/NoExecute), NodeAffinity (nodeSelector + required node affinity,
 * incl. matchFields metadata.name as DaemonSet pods use), NodeResourcesFit (pod count only).
 * Score: least-loaded (fewest pods), ties by node name. Unschedulable pods get
 * PodScheduled=False/Unschedulable with the kube-scheduler FitError message and a FailedScheduling
 * event; they are retried when nodes or pods change.
 */
import type { KubeObject, SimContext, Stoppable } from '../types.ts';
import { GVR, errText, keyOf, rfc3339, Timers } from './common.ts';
import { EventRecorder } from './events.ts';
import { Informer, WorkQueue } from './informer.ts';
import { isPodTerminal, nodeSpec, nodeStatus, podSpec, podSpecW, podStatus, podStatusW, setCondition, type PodCondition } from './kinds.ts';
import { findUntoleratedTaint, matchNodeSelectorTerms } from './selectors.ts';

export const SCHEDULER_NAME = 'default-scheduler';

/** Filter failure: the kube-scheduler reason string, and whether preemption could help. */
export interface FilterFailure {
  reason: string;
  /** UnschedulableAndUnresolvable in the real framework: preemption is not helpful. */
  unresolvable: boolean;
}

export const REASON_UNSCHEDULABLE = 'node(s) were unschedulable';
export const REASON_AFFINITY = "node(s) didn't match Pod's node affinity/selector";
export const REASON_NODE_NAME = "node(s) didn't match the requested node name";
export const REASON_TOO_MANY_PODS = 'Too many pods';

/** Pods the node can hold: status.allocatable.pods (default 250, OpenShift's maxPods). */
export function nodeMaxPods(node: KubeObject): number {
  const v = Number(nodeStatus(node).allocatable?.pods ?? nodeStatus(node).capacity?.pods ?? 250);
  return Number.isFinite(v) && v > 0 ? v : 250;
}

/** nodeSelector + requiredDuringSchedulingIgnoredDuringExecution node affinity. */
export function matchesNodeAffinity(pod: KubeObject, node: KubeObject): boolean {
  const spec = podSpec(pod);
  const labels = node.metadata.labels ?? {};
  for (const [k, v] of Object.entries(spec.nodeSelector ?? {})) if (labels[k] !== v) return false;
  const req = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (req && !matchNodeSelectorTerms(node, req.nodeSelectorTerms ?? [])) return false;
  return true;
}

/** Runs the filters for one node; undefined when the pod fits. */
export function filterNode(pod: KubeObject, node: KubeObject, podsOnNode: number): FilterFailure | undefined {
  const spec = podSpec(pod);
  const ns = nodeSpec(node);
  if (ns.unschedulable) {
    const tolerated = (spec.tolerations ?? []).some(
      (t) =>
        (t.key === 'node.kubernetes.io/unschedulable' || (!t.key && t.operator === 'Exists')) && (!t.effect || t.effect === 'NoSchedule'),
    );
    if (!tolerated) return { reason: REASON_UNSCHEDULABLE, unresolvable: true };
  }
  if (spec.nodeName && spec.nodeName !== node.metadata.name) return { reason: REASON_NODE_NAME, unresolvable: true };
  const taint = findUntoleratedTaint(ns.taints, spec.tolerations, ['NoSchedule', 'NoExecute']);
  if (taint) return { reason: `node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`, unresolvable: true };
  if (!matchesNodeAffinity(pod, node)) return { reason: REASON_AFFINITY, unresolvable: true };
  if (podsOnNode + 1 > nodeMaxPods(node)) return { reason: REASON_TOO_MANY_PODS, unresolvable: false };
  return undefined;
}

/** FitError.Error() of kube-scheduler, with the preemption post-filter message. */
export function fitErrorMessage(numNodes: number, failures: FilterFailure[]): string {
  if (numNodes === 0) return 'no nodes available to schedule pods';
  const hist = new Map<string, number>();
  let unresolvable = 0;
  for (const f of failures) {
    hist.set(f.reason, (hist.get(f.reason) ?? 0) + 1);
    if (f.unresolvable) unresolvable++;
  }
  const reasons = [...hist].map(([r, n]) => `${n} ${r}`).sort();
  let msg = `0/${numNodes} nodes are available: ${reasons.join(', ')}.`;
  const pre: string[] = [];
  if (failures.length - unresolvable > 0) pre.push(`${failures.length - unresolvable} No preemption victims found for incoming pod`);
  if (unresolvable > 0) pre.push(`${unresolvable} Preemption is not helpful for scheduling`);
  msg += ` preemption: 0/${numNodes} nodes are available: ${pre.sort().join(', ')}.`;
  return msg;
}

export interface ScheduleResult {
  node?: string;
  message?: string;
}

/** Picks a node: filter, then least-loaded; ties broken by node name. Pure. */
export function selectNode(pod: KubeObject, nodes: KubeObject[], podCount: (node: string) => number): ScheduleResult {
  const failures: FilterFailure[] = [];
  let best: KubeObject | undefined;
  let bestCount = Infinity;
  for (const n of nodes) {
    const c = podCount(n.metadata.name);
    const f = filterNode(pod, n, c);
    if (f) {
      failures.push(f);
      continue;
    }
    if (c < bestCount || (c === bestCount && best && n.metadata.name < best.metadata.name)) {
      best = n;
      bestCount = c;
    }
  }
  if (best) return { node: best.metadata.name };
  return { message: fitErrorMessage(nodes.length, failures) };
}

function needsScheduling(p: KubeObject): boolean {
  const s = podSpec(p);
  return !s.nodeName && !p.metadata.deletionTimestamp && !isPodTerminal(p) && (s.schedulerName ?? SCHEDULER_NAME) === SCHEDULER_NAME;
}

export interface SchedulerOptions {
  events?: EventRecorder;
}

export class Scheduler implements Stoppable {
  private readonly pods: Informer;
  private readonly nodes: Informer;
  private readonly queue: WorkQueue;
  private readonly assigned = new Map<string, string>();
  private readonly counts = new Map<string, number>();
  private readonly unschedulable = new Set<string>();
  private readonly events: EventRecorder;
  private readonly timers = new Timers();

  constructor(
    private readonly ctx: SimContext,
    opts: SchedulerOptions = {},
  ) {
    this.events = opts.events ?? new EventRecorder(ctx.store);
    this.pods = new Informer(ctx.store, GVR.pods);
    this.nodes = new Informer(ctx.store, GVR.nodes);
    this.queue = new WorkQueue(
      (k) => this.scheduleOne(k),
      (k, e) => ctx.log(`scheduler: ${k}: ${errText(e)}`),
    );
    this.pods.on((type, p) => {
      const key = keyOf(p);
      if (type === 'DELETED') {
        this.setAssignment(key, undefined);
        this.unschedulable.delete(key);
        this.retryUnschedulable();
        return;
      }
      const s = podSpec(p);
      const active = !isPodTerminal(p);
      if (!active) this.setAssignment(key, undefined);
      else if (s.nodeName) this.setAssignment(key, s.nodeName);
      if (!active && type === 'MODIFIED') this.retryUnschedulable();
      if (needsScheduling(p) && !this.unschedulable.has(key)) this.queue.add(key);
    });
    this.nodes.on((type, n, old) => {
      if (
        type === 'DELETED' ||
        !old ||
        JSON.stringify(n.spec) !== JSON.stringify(old.spec) ||
        JSON.stringify(n.metadata.labels) !== JSON.stringify(old.metadata.labels)
      )
        this.retryUnschedulable();
    });
  }

  start(): void {
    this.nodes.start();
    this.pods.start();
    this.timers.every(30_000 / this.ctx.speed, () => this.retryUnschedulable());
  }

  async stop(): Promise<void> {
    this.timers.stop();
    this.queue.stop();
    this.pods.stop();
    this.nodes.stop();
  }

  /** Pods bound (or assumed) per node, for tests and benches. */
  podCount(node: string): number {
    return this.counts.get(node) ?? 0;
  }

  private setAssignment(key: string, node: string | undefined): void {
    const prev = this.assigned.get(key);
    if (prev === node) return;
    if (prev) this.counts.set(prev, (this.counts.get(prev) ?? 1) - 1);
    if (node) {
      this.assigned.set(key, node);
      this.counts.set(node, (this.counts.get(node) ?? 0) + 1);
    } else this.assigned.delete(key);
  }

  private retryUnschedulable(): void {
    if (this.unschedulable.size === 0) return;
    for (const k of this.unschedulable) this.queue.add(k);
    this.unschedulable.clear();
  }

  private scheduleOne(key: string): void {
    const pod = this.pods.get(key);
    if (!pod || !needsScheduling(pod) || this.assigned.has(key)) return;
    const nodes = [...this.nodes.list()];
    const res = selectNode(pod, nodes, (n) => this.podCount(n));
    const ns = pod.metadata.namespace ?? 'default';
    const name = pod.metadata.name;
    if (!res.node) {
      this.unschedulable.add(key);
      const msg = res.message ?? 'no nodes available to schedule pods';
      const cur = podStatus(pod).conditions?.find((c) => c.type === 'PodScheduled');
      if (cur?.status === 'False' && cur.message === msg) return;
      this.ctx.store.mutate(
        GVR.pods,
        ns,
        name,
        (p) => {
          const st = podStatusW(p);
          st.phase = st.phase ?? 'Pending';
          st.conditions = st.conditions ?? [];
          setCondition<PodCondition>(
            st.conditions,
            { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: msg, lastProbeTime: null },
            rfc3339(),
          );
        },
        { subresource: 'status' },
      );
      this.events.event(pod, 'Warning', 'FailedScheduling', msg, { component: SCHEDULER_NAME });
      return;
    }
    const node = res.node;
    this.setAssignment(key, node);
    let bound: KubeObject | undefined;
    try {
      // One write, like the binding subresource: spec.nodeName and PodScheduled=True.
      bound = this.ctx.store.mutate(GVR.pods, ns, name, (p) => {
        if (podSpec(p).nodeName) throw new Error('already bound');
        podSpecW(p).nodeName = node;
        const st = podStatusW(p);
        st.phase = st.phase ?? 'Pending';
        st.conditions = (st.conditions ?? []).filter((c) => c.type !== 'PodScheduled');
        st.conditions.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: rfc3339() });
      });
    } catch (e) {
      this.setAssignment(key, undefined);
      if (errText(e) !== 'already bound') throw e;
      return;
    }
    if (!bound) {
      this.setAssignment(key, undefined);
      return;
    }
    this.events.event(bound, 'Normal', 'Scheduled', `Successfully assigned ${ns}/${name} to ${node}`, { component: SCHEDULER_NAME });
  }
}
