/**
 * Nodes: registration (what the kubelet posts), Ready heartbeats, the node-lifecycle controller
 * (Ready=Unknown after the grace period, not-ready/unreachable taints, pods marked NotReady,
 * NoExecute taint eviction) and the NodeActions (reboot, crash, kubelet stop/start, partition).
 *
 * Default timings (realistic, all divided by ctx.speed):
 *   heartbeat (nodeStatusUpdateFrequency / lease renew)       10 s
 *   node-monitor-period                                         5 s
 *   node-monitor-grace-period (OpenShift: 40 s)                40 s  -> Ready=Unknown "Kubelet stopped posting node status."
 *   reboot: graceful shutdown (systemd stops kubelet, CRI-O)    5 s
 *   power cycle + firmware + RHCOS boot until kubelet starts   60 s  (bare metal takes 2-5 min; bounded here)
 *   kubelet start -> Ready (CNI up after ovnkube-node)          5 s
 *   default NoExecute tolerationSeconds (admission)           300 s
 * So a reboot shows: Ready=True -> (40 s) Unknown -> (~25 s) False "network not ready" -> (5 s) True,
 * which is what krkn's wait_for_unknown_status / wait_for_ready_status expect.
 *
 * During a reboot or crash the Node carries the annotation sim.netharness.io/rebooting: "true"
 * (sim/ovn stops the node's OVS/OVN processes on it and starts them when it is removed, at boot).
 */
import { hasV4, hasV6, nodeAddressing, nodeLabels, stripPrefix } from '../topology.ts';
import type { KubeObject, NodeActions, SimContext, SimNodeSpec, Stoppable } from '../types.ts';
import type { Kubelet, NodeStateView } from '../kubelet/kubelet.ts';
import { errText, GVR, isAlreadyExists, isNotFound, randomHex, randomUuid, rfc3339, Timers } from './common.ts';
import { EventRecorder } from './events.ts';
import { nodeSpec, nodeSpecW, nodeStatusW, podSpec, podStatusW, type NodeCondition, type Taint } from './kinds.ts';
import { toleratesTaint } from './selectors.ts';

export const REBOOTING_ANNOTATION = 'sim.netharness.io/rebooting';
export const TAINT_UNREACHABLE = 'node.kubernetes.io/unreachable';
export const TAINT_NOT_READY = 'node.kubernetes.io/not-ready';
export const TAINT_MASTER = 'node-role.kubernetes.io/master';
export const TAINT_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';

export interface NodeTimings {
  heartbeatMs: number;
  monitorPeriodMs: number;
  gracePeriodMs: number;
  shutdownMs: number;
  bootMs: number;
  kubeletReadyMs: number;
  defaultTolerationMs: number;
}

export const DEFAULT_NODE_TIMINGS: NodeTimings = {
  heartbeatMs: 10_000,
  monitorPeriodMs: 5_000,
  gracePeriodMs: 40_000,
  shutdownMs: 5_000,
  bootMs: 60_000,
  kubeletReadyMs: 5_000,
  defaultTolerationMs: 300_000,
};

export type Power = 'up' | 'shutting-down' | 'down' | 'booting';

interface NodeState {
  spec: SimNodeSpec;
  power: Power;
  kubelet: boolean;
  partitioned: boolean;
  bootId: string;
  /** wall ms of the last status the API server received from the kubelet */
  lastPost: number;
  /** what the kubelet reports when it posts */
  kubeletReady: boolean;
  notReadyMessage?: string;
  cycle?: Promise<void>;
}

export interface NodeLifecycleOptions {
  events?: EventRecorder;
  timings?: Partial<NodeTimings>;
  /** status.allocatable.pods (OpenShift default maxPods 250; KubeletConfig allows up to 500) */
  maxPods?: number;
}

const OS_IMAGE = 'Red Hat Enterprise Linux CoreOS 416.94.202410211619-0 (Plow)';
const KUBELET_VERSION = 'v1.29.9+5865c5b';
const NETWORK_NOT_READY =
  'container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: no CNI configuration file in /etc/kubernetes/cni/net.d/. Has your network provider started?';

function readyCondition(ready: boolean, now: string, message?: string): NodeCondition {
  return ready
    ? {
        type: 'Ready',
        status: 'True',
        reason: 'KubeletReady',
        message: 'kubelet is posting ready status',
        lastHeartbeatTime: now,
        lastTransitionTime: now,
      }
    : {
        type: 'Ready',
        status: 'False',
        reason: 'KubeletNotReady',
        message: message ?? NETWORK_NOT_READY,
        lastHeartbeatTime: now,
        lastTransitionTime: now,
      };
}

function pressureConditions(now: string): NodeCondition[] {
  return [
    {
      type: 'MemoryPressure',
      status: 'False',
      reason: 'KubeletHasSufficientMemory',
      message: 'kubelet has sufficient memory available',
      lastHeartbeatTime: now,
      lastTransitionTime: now,
    },
    {
      type: 'DiskPressure',
      status: 'False',
      reason: 'KubeletHasNoDiskPressure',
      message: 'kubelet has no disk pressure',
      lastHeartbeatTime: now,
      lastTransitionTime: now,
    },
    {
      type: 'PIDPressure',
      status: 'False',
      reason: 'KubeletHasSufficientPID',
      message: 'kubelet has sufficient PID available',
      lastHeartbeatTime: now,
      lastTransitionTime: now,
    },
  ];
}

/** The Node object the kubelet registers (labels, master taint, capacity, addresses, nodeInfo). */
export function nodeObject(
  spec: SimNodeSpec,
  ctx: Pick<SimContext, 'ipStack'>,
  opts: { maxPods?: number; bootId?: string } = {},
): KubeObject {
  const a = nodeAddressing(spec, ctx.ipStack);
  const master = spec.role === 'control-plane';
  const labels = nodeLabels(spec);
  const now = rfc3339();
  const pods = String(opts.maxPods ?? 250);
  const addresses: { type: string; address: string }[] = [];
  if (hasV4(ctx.ipStack) && a.nodeIp.v4) addresses.push({ type: 'InternalIP', address: stripPrefix(a.nodeIp.v4) });
  if (hasV6(ctx.ipStack) && a.nodeIp.v6) addresses.push({ type: 'InternalIP', address: stripPrefix(a.nodeIp.v6) });
  addresses.push({ type: 'Hostname', address: spec.name });
  const machineId = randomHex(16);
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: spec.name,
      labels,
      annotations: {
        'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
        'machineconfiguration.openshift.io/state': 'Done',
      },
    },
    spec: master ? { taints: [{ key: TAINT_MASTER, effect: 'NoSchedule' }] } : {},
    status: {
      capacity: { cpu: '8', 'ephemeral-storage': '125293548Ki', 'hugepages-1Gi': '0', 'hugepages-2Mi': '0', memory: '32827396Ki', pods },
      allocatable: {
        cpu: '7500m',
        'ephemeral-storage': '114396791822',
        'hugepages-1Gi': '0',
        'hugepages-2Mi': '0',
        memory: '31676420Ki',
        pods,
      },
      conditions: [...pressureConditions(now), readyCondition(true, now)],
      addresses,
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: machineId,
        systemUUID: randomUuid(),
        bootID: opts.bootId ?? randomUuid(),
        kernelVersion: '5.14.0-427.40.1.el9_4.x86_64',
        osImage: OS_IMAGE,
        containerRuntimeVersion: 'cri-o://1.29.9-3.rhaos4.16.git2a7ce76.el9',
        kubeletVersion: KUBELET_VERSION,
        kubeProxyVersion: KUBELET_VERSION,
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
    },
  };
}

export class NodeLifecycle implements NodeStateView, Stoppable {
  private readonly states = new Map<string, NodeState>();
  private readonly timers = new Timers();
  private readonly events: EventRecorder;
  readonly t: NodeTimings;
  private kubelet?: Kubelet;
  readonly actions: NodeActions & {
    kubeletRunning(node: string): boolean;
    power(node: string): Power;
    whenSettled(node: string): Promise<void>;
  };

  constructor(
    private readonly ctx: SimContext,
    private readonly opts: NodeLifecycleOptions = {},
  ) {
    this.events = opts.events ?? new EventRecorder(ctx.store);
    this.t = { ...DEFAULT_NODE_TIMINGS, ...opts.timings };
    for (const n of ctx.nodes) {
      this.states.set(n.name, {
        spec: n,
        power: 'up',
        kubelet: true,
        partitioned: false,
        bootId: randomUuid(),
        lastPost: Date.now(),
        kubeletReady: true,
      });
    }
    this.actions = {
      reboot: (n) => this.reboot(n),
      crash: (n) => this.crash(n),
      stopKubelet: (n) => this.stopKubelet(n),
      startKubelet: (n) => this.startKubelet(n),
      setPartitioned: (n, p) => this.setPartitioned(n, p),
      isReachable: (n) => this.isReachable(n),
      kubeletRunning: (n) => this.kubeletActive(n),
      power: (n) => this.state(n).power,
      whenSettled: (n) => this.state(n).cycle ?? Promise.resolve(),
    };
  }

  attachKubelet(k: Kubelet): void {
    this.kubelet = k;
  }

  private ms(real: number): number {
    return real / this.ctx.speed;
  }

  private state(node: string): NodeState {
    const s = this.states.get(node);
    if (!s) throw new Error(`unknown sim node '${node}'`);
    return s;
  }

  // ---------------------------------------------------------------- NodeStateView

  kubeletActive(node: string): boolean {
    const s = this.states.get(node);
    return !!s && s.kubelet && (s.power === 'up' || s.power === 'booting');
  }

  apiReachable(node: string): boolean {
    const s = this.states.get(node);
    return !!s && !s.partitioned;
  }

  bootId(node: string): string {
    return this.states.get(node)?.bootId ?? '';
  }

  private posting(s: NodeState): boolean {
    return s.kubelet && !s.partitioned && (s.power === 'up' || s.power === 'booting');
  }

  isReachable(node: string): boolean {
    const s = this.states.get(node);
    return !!s && s.power === 'up' && !s.partitioned;
  }

  // ---------------------------------------------------------------- start

  /** Registers the Node objects (create, or refresh the kubelet-owned status of existing ones). */
  ensureNodes(): void {
    for (const s of this.states.values()) {
      const obj = nodeObject(s.spec, this.ctx, { maxPods: this.opts.maxPods, bootId: s.bootId });
      const existing = this.ctx.store.get(GVR.nodes, undefined, s.spec.name);
      if (!existing) {
        try {
          this.ctx.store.create(GVR.nodes, obj);
          continue;
        } catch (e) {
          if (!isAlreadyExists(e)) throw e;
        }
      }
      this.ctx.store.mutate(GVR.nodes, undefined, s.spec.name, (n) => {
        n.metadata.labels = { ...obj.metadata.labels, ...n.metadata.labels };
        if (!nodeSpec(n).taints && obj.spec?.taints) nodeSpecW(n).taints = obj.spec.taints as Taint[];
      });
      const updated = this.ctx.store.mutate(
        GVR.nodes,
        undefined,
        s.spec.name,
        (n) => {
          const st = nodeStatusW(n);
          const o = obj.status ?? {};
          for (const k of ['capacity', 'allocatable', 'conditions', 'addresses', 'daemonEndpoints', 'nodeInfo'])
            if (st[k] === undefined) st[k] = o[k];
          if (this.opts.maxPods !== undefined) {
            const pods = String(this.opts.maxPods);
            st.capacity = { ...(st.capacity ?? {}), pods };
            st.allocatable = { ...(st.allocatable ?? {}), pods };
          }
        },
        { subresource: 'status' },
      );
      const boot = (updated?.status?.nodeInfo as Record<string, string> | undefined)?.bootID;
      if (boot) s.bootId = boot;
    }
  }

  private unwatchNodes?: () => void;

  /** TaintNodesByCondition: spec.unschedulable (cordon) <-> node.kubernetes.io/unschedulable:NoSchedule. */
  private syncUnschedulableTaint(node: KubeObject): void {
    const sp = nodeSpec(node);
    const has = (sp.taints ?? []).some((t) => t.key === TAINT_UNSCHEDULABLE && t.effect === 'NoSchedule');
    if (!!sp.unschedulable === has) return;
    setImmediate(() => {
      try {
        this.ctx.store.mutate(GVR.nodes, undefined, node.metadata.name, (n) => {
          const w = nodeSpecW(n);
          const rest = (w.taints ?? []).filter((t) => t.key !== TAINT_UNSCHEDULABLE);
          if (w.unschedulable) rest.push({ key: TAINT_UNSCHEDULABLE, effect: 'NoSchedule', timeAdded: rfc3339() });
          if (rest.length) w.taints = rest;
          else delete w.taints;
        });
      } catch (e) {
        if (!isNotFound(e)) this.ctx.log(`node-lifecycle: ${errText(e)}`);
      }
    });
  }

  start(): void {
    this.unwatchNodes = this.ctx.store.watch(GVR.nodes, (ev) => {
      if (ev.type !== 'DELETED') this.syncUnschedulableTaint(ev.object);
    });
    this.ensureNodes();
    // floor: at very high speed factors heartbeats would only burn CPU
    this.timers.every(Math.max(50, this.ms(this.t.heartbeatMs)), () => this.heartbeatAll());
    this.timers.every(this.ms(this.t.monitorPeriodMs), () => this.monitor());
  }

  async stop(): Promise<void> {
    this.unwatchNodes?.();
    this.timers.stop();
  }

  // ---------------------------------------------------------------- kubelet side: status posts

  private heartbeatAll(): void {
    for (const s of this.states.values()) {
      if (!this.posting(s)) continue;
      try {
        this.post(s);
      } catch (e) {
        this.ctx.log(`node ${s.spec.name}: heartbeat: ${errText(e)}`);
      }
    }
  }

  /** The kubelet posts its node status: heartbeat times, Ready as it sees it. */
  private post(s: NodeState): void {
    const now = rfc3339();
    let becameReady = false;
    this.ctx.store.mutate(
      GVR.nodes,
      undefined,
      s.spec.name,
      (n) => {
        const st = nodeStatusW(n);
        const conds = (st.conditions ?? []).slice();
        const fresh = [...pressureConditions(now), readyCondition(s.kubeletReady, now, s.notReadyMessage)];
        st.conditions = fresh.map((f) => {
          const old = conds.find((c) => c.type === f.type);
          const same = old && old.status === f.status;
          if (f.type === 'Ready' && f.status === 'True' && !same) becameReady = true;
          return { ...f, lastTransitionTime: same ? old.lastTransitionTime : now };
        });
        for (const c of conds) if (!st.conditions.some((x) => x.type === c.type)) st.conditions.push({ ...c, lastHeartbeatTime: now });
        if (st.nodeInfo && typeof st.nodeInfo === 'object') st.nodeInfo = { ...(st.nodeInfo as Record<string, string>), bootID: s.bootId };
      },
      { subresource: 'status' },
    );
    s.lastPost = Date.now();
    this.renewLease(s.spec.name);
    if (becameReady) {
      const node = this.ctx.store.get(GVR.nodes, undefined, s.spec.name);
      if (node)
        this.events.event(node, 'Normal', 'NodeReady', `Node ${s.spec.name} status is now: NodeReady`, {
          component: 'kubelet',
          host: s.spec.name,
        });
    }
    this.reconcileTaints(s.spec.name);
  }

  /** The kubelet's node Lease in kube-node-lease (renewTime is a MicroTime), as `kubectl get leases -n kube-node-lease` shows. */
  private renewLease(node: string): void {
    const gvr = GVR.leases;
    const renewTime = `${new Date().toISOString().slice(0, 23)}000Z`;
    try {
      const updated = this.ctx.store.mutate(gvr, 'kube-node-lease', node, (l) => {
        (l.spec as Record<string, unknown>).renewTime = renewTime;
      });
      if (updated) return;
      const owner = this.ctx.store.get(GVR.nodes, undefined, node);
      this.ctx.store.create(gvr, {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: {
          name: node,
          namespace: 'kube-node-lease',
          ...(owner ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: node, uid: owner.metadata.uid ?? '' }] } : {}),
        },
        spec: { holderIdentity: node, leaseDurationSeconds: 40, renewTime },
      });
    } catch {
      // no Lease resource or namespace in this store: the Node heartbeat is enough
    }
  }

  // ---------------------------------------------------------------- node-lifecycle controller

  private monitor(): void {
    const now = Date.now();
    for (const s of this.states.values()) {
      try {
        // A posting kubelet renews in time by definition (its timer may only be late because this
        // process was busy); the grace period runs from the last post of a kubelet that stopped posting.
        if (!this.posting(s) && now - s.lastPost > this.ms(this.t.gracePeriodMs)) this.markUnknown(s);
        this.evict(s.spec.name, now);
      } catch (e) {
        this.ctx.log(`node-lifecycle ${s.spec.name}: ${errText(e)}`);
      }
    }
  }

  private markUnknown(s: NodeState): void {
    const name = s.spec.name;
    const cur = this.ctx.store.get(GVR.nodes, undefined, name);
    if (!cur) return;
    const ready = ((cur.status?.conditions ?? []) as NodeCondition[]).find((c) => c.type === 'Ready');
    if (ready?.status === 'Unknown') return;
    const now = rfc3339();
    this.ctx.store.mutate(
      GVR.nodes,
      undefined,
      name,
      (n) => {
        const st = nodeStatusW(n);
        st.conditions = (st.conditions ?? []).map((c) => ({
          ...c,
          status: 'Unknown' as const,
          reason: 'NodeStatusUnknown',
          message: 'Kubelet stopped posting node status.',
          lastTransitionTime: c.status === 'Unknown' ? c.lastTransitionTime : now,
        }));
      },
      { subresource: 'status' },
    );
    this.events.event(cur, 'Normal', 'NodeNotReady', `Node ${name} status is now: NodeNotReady`, { component: 'node-controller' });
    this.reconcileTaints(name);
    this.markPodsNotReady(name);
  }

  /** MarkPodsNotReady: the node controller flips Ready=False on the node's pods. */
  private markPodsNotReady(node: string): void {
    const now = rfc3339();
    for (const p of this.ctx.store.list(GVR.pods, { fieldSelector: `spec.nodeName=${node}` })) {
      const ready = ((p.status?.conditions ?? []) as { type: string; status: string }[]).find((c) => c.type === 'Ready');
      if (!ready || ready.status === 'False') continue;
      try {
        this.ctx.store.mutate(
          GVR.pods,
          p.metadata.namespace,
          p.metadata.name,
          (q) => {
            const st = podStatusW(q);
            st.conditions = (st.conditions ?? []).map((c) =>
              c.type === 'Ready' ? { ...c, status: 'False' as const, lastTransitionTime: now, reason: undefined, message: undefined } : c,
            );
            for (const c of st.conditions) {
              if (c.reason === undefined) delete c.reason;
              if (c.message === undefined) delete c.message;
            }
          },
          { subresource: 'status' },
        );
        this.events.event(p, 'Warning', 'NodeNotReady', 'Node is not ready', { component: 'node-controller' });
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
  }

  /** not-ready / unreachable taints follow the Ready condition (NoSchedule and NoExecute). */
  reconcileTaints(node: string): void {
    const cur = this.ctx.store.get(GVR.nodes, undefined, node);
    if (!cur) return;
    const ready = ((cur.status?.conditions ?? []) as NodeCondition[]).find((c) => c.type === 'Ready');
    const want = ready?.status === 'Unknown' ? TAINT_UNREACHABLE : ready?.status === 'False' ? TAINT_NOT_READY : undefined;
    const taints = nodeSpec(cur).taints ?? [];
    const managed = (t: Taint): boolean => t.key === TAINT_UNREACHABLE || t.key === TAINT_NOT_READY;
    const have = taints.filter(managed);
    const ok = want ? have.length === 2 && have.every((t) => t.key === want) : have.length === 0;
    if (ok) return;
    const now = rfc3339();
    this.ctx.store.mutate(GVR.nodes, undefined, node, (n) => {
      const sp = nodeSpecW(n);
      const rest = (sp.taints ?? []).filter((t) => !managed(t));
      if (want) rest.push({ key: want, effect: 'NoSchedule' }, { key: want, effect: 'NoExecute', timeAdded: now });
      if (rest.length) sp.taints = rest;
      else delete sp.taints;
    });
  }

  /** NoExecute taint manager: pods that do not tolerate the taint (default 300 s) are deleted. */
  private evict(node: string, now: number): void {
    const cur = this.ctx.store.get(GVR.nodes, undefined, node);
    const noexec = (nodeSpec(cur ?? { apiVersion: 'v1', kind: 'Node', metadata: { name: node } }).taints ?? []).filter(
      (t) => t.effect === 'NoExecute',
    );
    if (!noexec.length) return;
    for (const p of this.ctx.store.list(GVR.pods, { fieldSelector: `spec.nodeName=${node}` })) {
      if (p.metadata.deletionTimestamp) continue;
      const tols = podSpec(p).tolerations ?? [];
      let deadline = Infinity;
      for (const taint of noexec) {
        const added = taint.timeAdded ? Date.parse(taint.timeAdded) : now;
        const matching = tols.filter((t) => toleratesTaint(t, taint));
        let allowMs: number;
        if (matching.length === 0) {
          const defaulted = taint.key === TAINT_UNREACHABLE || taint.key === TAINT_NOT_READY;
          allowMs = defaulted ? this.t.defaultTolerationMs : 0;
        } else if (matching.some((t) => t.tolerationSeconds === undefined)) allowMs = Infinity;
        else allowMs = Math.min(...matching.map((t) => (t.tolerationSeconds ?? 0) * 1000));
        deadline = Math.min(deadline, added + this.ms(allowMs));
      }
      if (now < deadline) continue;
      try {
        this.events.event(p, 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${p.metadata.namespace}/${p.metadata.name}`, {
          component: 'taint-eviction-controller',
        });
        this.ctx.store.delete(GVR.pods, p.metadata.namespace, p.metadata.name);
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
  }

  // ---------------------------------------------------------------- actions

  private annotateRebooting(node: string, on: boolean): void {
    this.ctx.store.mutate(GVR.nodes, undefined, node, (n) => {
      const a = { ...(n.metadata.annotations ?? {}) };
      if (on) a[REBOOTING_ANNOTATION] = 'true';
      else delete a[REBOOTING_ANNOTATION];
      n.metadata.annotations = a;
    });
  }

  private nodeEvent(node: string, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const n = this.ctx.store.get(GVR.nodes, undefined, node);
    if (n) this.events.event(n, type, reason, message, { component: 'kubelet', host: node });
  }

  /** Graceful reboot (systemctl reboot). Resolves when the shutdown has begun; whenSettled(node) waits for Ready. */
  async reboot(node: string): Promise<void> {
    const s = this.state(node);
    if (s.power !== 'up' && s.power !== 'booting') return;
    this.ctx.log(`node ${node}: reboot`);
    s.power = 'shutting-down';
    this.annotateRebooting(node, true);
    this.kubelet?.nodeDown(node);
    s.cycle = (async () => {
      await this.timers.sleep(this.ms(this.t.shutdownMs));
      s.power = 'down';
      await this.timers.sleep(this.ms(this.t.bootMs));
      await this.boot(s);
    })().catch((e: unknown) => this.ctx.log(`node ${node}: reboot: ${errText(e)}`));
  }

  /** Kernel crash (sysrq c): no graceful shutdown; the node boots again after bootMs. */
  async crash(node: string): Promise<void> {
    const s = this.state(node);
    if (s.power === 'down') return;
    this.ctx.log(`node ${node}: crash`);
    s.power = 'down';
    this.annotateRebooting(node, true);
    this.kubelet?.nodeDown(node);
    s.cycle = (async () => {
      await this.timers.sleep(this.ms(this.t.bootMs));
      await this.boot(s);
    })().catch((e: unknown) => this.ctx.log(`node ${node}: crash: ${errText(e)}`));
  }

  private async boot(s: NodeState): Promise<void> {
    if (this.timers.isStopped) return;
    const node = s.spec.name;
    s.bootId = randomUuid();
    s.power = 'booting';
    s.kubelet = true;
    s.kubeletReady = false;
    s.notReadyMessage = NETWORK_NOT_READY;
    this.annotateRebooting(node, false);
    this.nodeEvent(node, 'Normal', 'Starting', 'Starting kubelet.');
    this.nodeEvent(node, 'Warning', 'Rebooted', `Node ${node} has been rebooted, boot id: ${s.bootId}`);
    if (this.posting(s)) this.post(s);
    this.kubelet?.nodeBooted(node);
    await this.timers.sleep(this.ms(this.t.kubeletReadyMs));
    if (s.power !== 'booting') return;
    s.power = 'up';
    s.kubeletReady = true;
    s.notReadyMessage = undefined;
    if (this.posting(s)) this.post(s);
    this.ctx.log(`node ${node}: Ready after boot`);
  }

  async stopKubelet(node: string): Promise<void> {
    const s = this.state(node);
    if (!s.kubelet) return;
    this.ctx.log(`node ${node}: kubelet stopped`);
    s.kubelet = false;
  }

  async startKubelet(node: string): Promise<void> {
    const s = this.state(node);
    if (s.kubelet || (s.power !== 'up' && s.power !== 'booting')) return;
    this.ctx.log(`node ${node}: kubelet started`);
    s.kubelet = true;
    if (this.posting(s)) {
      this.nodeEvent(node, 'Normal', 'Starting', 'Starting kubelet.');
      this.post(s);
    }
    this.kubelet?.kubeletStarted(node);
  }

  setPartitioned(node: string, partitioned: boolean): void {
    const s = this.state(node);
    if (s.partitioned === partitioned) return;
    this.ctx.log(`node ${node}: ${partitioned ? 'partitioned from' : 'reconnected to'} the API`);
    s.partitioned = partitioned;
    if (!partitioned && this.posting(s)) {
      this.post(s);
      this.kubelet?.apiReconnected(node);
    }
  }
}
