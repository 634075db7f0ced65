/**
 * sim/ovnkube: the emulated ovnkube of the embedded cluster.
 *
 * - one ZoneController per node, running while that node's ovnkube-node pod (namespace
 *   openshift-ovn-kubernetes, label app=ovnkube-node) is Running with its ovnkube-controller container
 *   running; restarted when the container's restartCount changes or the pod is replaced. Until an
 *   ovnkube-node pod has been seen for a node (no DaemonSet yet), the controller runs pod-less.
 * - one ClusterManager while an ovnkube-control-plane pod is Running (or always, if none exists).
 * - the fault library (ConfigMap netharness/netharness-faults), incl. the operational faults that act
 *   on processes (northd-down, stale-sb) and the crashloop of ovnkube-controller.
 */
import { PassThrough } from 'node:stream';
import type { ContainerRef, KubeObject, SimContext, Stoppable } from '../types.ts';
import { getOvnNode } from '../ovn/index.ts';
import { ClusterManager } from './cluster-manager.ts';
import { FaultSwitch, type FaultId } from './faults.ts';
import { GVR, OVN_NAMESPACE } from './k8s.ts';
import { fromClient, type NbConn } from './nb-conn.ts';
import { CrashLoopError, ZoneController } from './zone-controller.ts';

export { FAULTS, FAULT_IDS, FAULTS_CONFIGMAP, FAULTS_NAMESPACE, FaultSwitch, parseFaults } from './faults.ts';
export type { FaultDef } from './faults.ts';
export { desiredState, topologyRows, egressIpRows, podAssignments } from './desired-state.ts';
export { assignEgressIPs } from './assignment.ts';
export { diffRows, decodeActual } from './diff.ts';
export { ZoneController, CrashLoopError } from './zone-controller.ts';
export { ClusterManager, nodeAnnotations } from './cluster-manager.ts';
export { klogLine, klogMsg, MSG } from './klog.ts';

export const OVNKUBE_NODE_LABEL = 'ovnkube-node';
export const OVNKUBE_CONTROL_PLANE_LABEL = 'ovnkube-control-plane';
export const ZONE_CONTAINER = 'ovnkube-controller';
export const CM_CONTAINER = 'ovnkube-cluster-manager';
export const REBOOTING_ANNOTATION = 'sim.netharness.io/rebooting';

export interface OvnkubeOptions {
  /** How to reach a node's NB (default: sim/ovn's per-node socket). */
  connect?: (node: string) => Promise<NbConn>;
  /** Wait this long for ovnkube-node pods before running pod-less (ms, divided by speed). Default 3000. */
  podlessGraceMs?: number;
}

interface ZoneSlot {
  node: string;
  ctrl?: ZoneController;
  /** identity of what runs: pod uid / restartCount, or 'podless' */
  key?: string;
  /** key whose start failed (crashloop): no retry until it changes */
  failedKey?: string;
  busy: Promise<void>;
  podName?: string;
  podSeen: boolean;
  logs: string[];
  crashTimer?: NodeJS.Timeout;
}

export class Ovnkube implements Stoppable {
  readonly faults: FaultSwitch;
  readonly zones = new Map<string, ZoneSlot>();
  cm: ClusterManager | undefined;
  cmLogs: string[] = [];
  private cmPod: string | undefined;
  private cmBusy: Promise<void> = Promise.resolve();
  private readonly unwatch: (() => void)[] = [];
  private stopped = false;
  private graceOver = false;
  private graceTimer: NodeJS.Timeout | undefined;
  private readonly procFaults = new Map<string, Set<string>>();

  constructor(
    readonly ctx: SimContext,
    private readonly opts: OvnkubeOptions = {},
  ) {
    this.faults = FaultSwitch.bind(ctx);
    for (const n of ctx.nodes) this.zones.set(n.name, { node: n.name, busy: Promise.resolve(), podSeen: false, logs: [] });
  }

  static async start(ctx: SimContext, opts: OvnkubeOptions = {}): Promise<Ovnkube> {
    const o = new Ovnkube(ctx, opts);
    await o.run();
    return o;
  }

  private async run(): Promise<void> {
    const { store } = this.ctx;
    this.unwatch.push(store.watch(GVR.pods, (ev) => this.onPod(ev.object), { namespace: OVN_NAMESPACE }));
    this.unwatch.push(
      store.watch(GVR.nodes, (ev) => {
        if (this.zones.has(ev.object.metadata.name)) this.reconcileZone(ev.object.metadata.name);
      }),
    );
    this.unwatch.push(this.faults.onChange((changed) => this.onFaults(changed)));
    for (const p of store.list(GVR.pods, { namespace: OVN_NAMESPACE })) this.onPod(p);
    this.reconcileCm();
    this.graceTimer = setTimeout(
      () => {
        this.graceOver = true;
        for (const z of this.zones.keys()) this.reconcileZone(z);
      },
      (this.opts.podlessGraceMs ?? 3000) / (this.ctx.speed || 1),
    );
    this.onFaults(new Set(this.faults.activeIds()));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.graceTimer) clearTimeout(this.graceTimer);
    for (const u of this.unwatch) u();
    for (const z of this.zones.values()) if (z.crashTimer) clearTimeout(z.crashTimer);
    await this.cmBusy.catch(() => undefined);
    await this.cm?.stop();
    await Promise.all(
      [...this.zones.values()].map(async (z) => {
        await z.busy.catch(() => undefined);
        await z.ctrl?.stop();
        z.ctrl = undefined;
      }),
    );
    this.faults.stop();
  }

  /** Wait until every zone controller and the cluster-manager are idle (tests). */
  async idle(): Promise<void> {
    await this.cmBusy;
    await this.cm?.idle();
    for (const z of this.zones.values()) {
      await z.busy;
      await z.ctrl?.idle();
    }
  }

  private onPod(p: KubeObject): void {
    const app = p.metadata.labels?.app;
    if (app === OVNKUBE_NODE_LABEL) {
      const node = (p.spec as { nodeName?: string } | undefined)?.nodeName;
      if (!node) return;
      const z = this.zones.get(node);
      if (!z) return;
      z.podSeen = true;
      this.reconcileZone(node);
    } else if (app === OVNKUBE_CONTROL_PLANE_LABEL) this.reconcileCm();
  }

  // ---------- zone controllers ----------

  private wanted(node: string): { run: boolean; key: string; pod?: string } {
    const { store } = this.ctx;
    const n = store.get(GVR.nodes, undefined, node);
    if (n?.metadata.annotations?.[REBOOTING_ANNOTATION] !== undefined) return { run: false, key: '' };
    const pods = store
      .list(GVR.pods, { namespace: OVN_NAMESPACE })
      .filter((p) => p.metadata.labels?.app === OVNKUBE_NODE_LABEL && (p.spec as { nodeName?: string }).nodeName === node);
    const z = this.zones.get(node);
    if (pods.length === 0) {
      if (z?.podSeen) return { run: false, key: '' };
      return { run: this.graceOver, key: 'podless' };
    }
    const p = pods.find((x) => !x.metadata.deletionTimestamp) ?? pods[0];
    const st = (p.status ?? {}) as {
      phase?: string;
      containerStatuses?: { name: string; restartCount?: number; state?: { running?: unknown } }[];
    };
    const cs = st.containerStatuses?.find((c) => c.name === ZONE_CONTAINER);
    const running = !p.metadata.deletionTimestamp && st.phase === 'Running' && (cs ? !!cs.state?.running : true);
    return { run: running, key: `${p.metadata.uid ?? p.metadata.name}/${cs?.restartCount ?? 0}`, pod: p.metadata.name };
  }

  private reconcileZone(node: string): void {
    const z = this.zones.get(node);
    if (!z || this.stopped) return;
    z.busy = z.busy
      .then(() => this.doReconcileZone(z))
      .catch((err: unknown) => this.ctx.log(`sim/ovnkube: zone ${node}: ${(err as Error).message}`));
  }

  private async doReconcileZone(z: ZoneSlot): Promise<void> {
    if (this.stopped) return;
    const w = this.wanted(z.node);
    z.podName = w.pod ?? z.podName;
    if (z.ctrl && (!w.run || w.key !== z.key)) {
      await z.ctrl.stop();
      z.ctrl = undefined;
      z.key = undefined;
    }
    if (!w.run || z.ctrl || z.failedKey === w.key) return;
    const ref: ContainerRef | undefined = w.pod ? { namespace: OVN_NAMESPACE, pod: w.pod, container: ZONE_CONTAINER } : undefined;
    const log = (line: string): void => {
      z.logs.push(line);
      if (z.logs.length > 5000) z.logs.splice(0, 1000);
      if (ref) this.ctx.services.appendLog?.(ref, line);
    };
    const ctrl = new ZoneController({
      ctx: this.ctx,
      node: z.node,
      faults: this.faults,
      connect: () => (this.opts.connect ? this.opts.connect(z.node) : getOvnNode(this.ctx, z.node).nbClient(20_000).then(fromClient)),
      log,
      pid: 1000 + (this.ctx.nodes.find((n) => n.name === z.node)?.id ?? 0),
      onBroken: () => {
        z.busy = z.busy.then(async () => {
          if (z.ctrl !== ctrl) return;
          await ctrl.stop();
          z.ctrl = undefined;
          z.key = undefined;
        });
        setTimeout(() => this.reconcileZone(z.node), Math.max(100, 1000 / (this.ctx.speed || 1)));
      },
    });
    try {
      await ctrl.start();
      z.ctrl = ctrl;
      z.key = w.key;
      z.failedKey = undefined;
    } catch (err) {
      await ctrl.stop().catch(() => undefined);
      z.failedKey = w.key;
      if (err instanceof CrashLoopError) {
        // the container dies; the kubelet restarts it with back-off (CrashLoopBackOff), which changes the key
        if (ref) {
          const pod = ref.pod;
          setTimeout(() => this.crashContainer(z, pod), 50);
        }
        return;
      }
      this.ctx.log(`sim/ovnkube: ovnkube-controller on ${z.node} failed to start: ${(err as Error).message}; retrying`);
      setTimeout(
        () => {
          if (z.failedKey === w.key) z.failedKey = undefined;
          this.reconcileZone(z.node);
        },
        Math.max(100, 2000 / (this.ctx.speed || 1)),
      );
    }
  }

  /**
   * The ovnkube-controller container exits (panic). Through the kubelet when it offers containerChaos;
   * otherwise the status is written here (waiting CrashLoopBackOff, restartCount + 1, lastState
   * terminated exit 2) and the container is "restarted" after the kubelet back-off (10 s doubling, max 300 s).
   */
  private crashContainer(z: ZoneSlot, pod: string): void {
    if (this.stopped) return;
    if (this.ctx.services.containerChaos?.killContainer({ namespace: OVN_NAMESPACE, pod, container: ZONE_CONTAINER })) return;
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    let restarts = 0;
    let uid = '';
    this.ctx.store.mutate(
      GVR.pods,
      OVN_NAMESPACE,
      pod,
      (p) => {
        uid = p.metadata.uid ?? '';
        const st = (p.status ?? {}) as { containerStatuses?: Record<string, unknown>[]; conditions?: { type: string; status: string }[] };
        const cs = (st.containerStatuses ?? []).map((c) => ({ ...c }));
        const c = cs.find((x) => x.name === ZONE_CONTAINER);
        if (!c) return;
        restarts = ((c.restartCount as number | undefined) ?? 0) + 1;
        const delay = Math.min(300, 10 * 2 ** Math.max(0, restarts - 1));
        const started = (c.state as { running?: { startedAt?: string } } | undefined)?.running?.startedAt ?? now;
        c.restartCount = restarts;
        c.ready = false;
        c.started = false;
        c.lastState = { terminated: { exitCode: 2, reason: 'Error', startedAt: started, finishedAt: now } };
        c.state = {
          waiting: {
            reason: 'CrashLoopBackOff',
            message: `back-off ${delay}s restarting failed container=${ZONE_CONTAINER} pod=${pod}_${OVN_NAMESPACE}(${p.metadata.uid ?? ''})`,
          },
        };
        const conditions = (st.conditions ?? []).map((x) =>
          x.type === 'Ready' || x.type === 'ContainersReady'
            ? { ...x, status: 'False', reason: 'ContainersNotReady', message: `containers with unready status: [${ZONE_CONTAINER}]` }
            : x,
        );
        p.status = { ...st, containerStatuses: cs, conditions };
      },
      { subresource: 'status' },
    );
    if (!restarts) return;
    const delayMs = (Math.min(300, 10 * 2 ** Math.max(0, restarts - 1)) * 1000) / (this.ctx.speed || 1);
    z.crashTimer = setTimeout(() => this.restartCrashed(pod, uid), delayMs);
  }

  /** End of the back-off (fallback without containerChaos): the container runs again. */
  private restartCrashed(pod: string, uid: string): void {
    if (this.stopped) return;
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    this.ctx.store.mutate(
      GVR.pods,
      OVN_NAMESPACE,
      pod,
      (p) => {
        if (uid && p.metadata.uid !== uid) return;
        const st = (p.status ?? {}) as { containerStatuses?: Record<string, unknown>[]; conditions?: { type: string; status: string }[] };
        const cs = (st.containerStatuses ?? []).map((c) => ({ ...c }));
        const c = cs.find((x) => x.name === ZONE_CONTAINER);
        if (!c || !(c.state as { waiting?: unknown } | undefined)?.waiting) return;
        c.state = { running: { startedAt: now } };
        c.ready = true;
        c.started = true;
        const allReady = cs.every((x) => x.ready !== false);
        const conditions = (st.conditions ?? []).map((x) =>
          x.type === 'Ready' || x.type === 'ContainersReady'
            ? { type: x.type, status: allReady ? 'True' : 'False', lastTransitionTime: now }
            : x,
        );
        p.status = { ...st, containerStatuses: cs, conditions };
      },
      { subresource: 'status' },
    );
  }

  // ---------- cluster-manager ----------

  private reconcileCm(): void {
    if (this.stopped) return;
    this.cmBusy = this.cmBusy
      .then(() => this.doReconcileCm())
      .catch((err: unknown) => this.ctx.log(`sim/ovnkube: cluster-manager: ${(err as Error).message}`));
  }

  private async doReconcileCm(): Promise<void> {
    const pods = this.ctx.store
      .list(GVR.pods, { namespace: OVN_NAMESPACE })
      .filter((p) => p.metadata.labels?.app === OVNKUBE_CONTROL_PLANE_LABEL);
    const running = pods
      .filter((p) => !p.metadata.deletionTimestamp && (p.status as { phase?: string } | undefined)?.phase === 'Running')
      .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
    const want = pods.length === 0 ? '<none>' : running[0]?.metadata.name;
    if (this.cm && want === this.cmPod) return;
    if (this.cm) {
      await this.cm.stop();
      this.cm = undefined;
    }
    this.cmPod = want;
    if (want === undefined) return;
    const ref: ContainerRef | undefined = want === '<none>' ? undefined : { namespace: OVN_NAMESPACE, pod: want, container: CM_CONTAINER };
    const cm = new ClusterManager({
      ctx: this.ctx,
      faults: this.faults,
      log: (line) => {
        this.cmLogs.push(line);
        if (this.cmLogs.length > 5000) this.cmLogs.splice(0, 1000);
        if (ref) this.ctx.services.appendLog?.(ref, line);
      },
    });
    this.cm = cm;
    await cm.start();
  }

  // ---------- process faults ----------

  private onFaults(changed: ReadonlySet<FaultId>): void {
    for (const id of ['stale-sb', 'northd-down'] as const) {
      if (!changed.has(id)) continue;
      const p = this.faults.params(id);
      const nodes = new Set<string>(
        p
          ? typeof p.node === 'string'
            ? [p.node]
            : Array.isArray(p.nodes)
              ? (p.nodes as string[])
              : this.ctx.nodes.map((n) => n.name)
          : [],
      );
      const prev = this.procFaults.get(id) ?? new Set<string>();
      for (const n of nodes) if (!prev.has(n)) void this.northd(n, id, true);
      for (const n of prev) if (!nodes.has(n)) void this.northd(n, id, false);
      this.procFaults.set(id, nodes);
    }
    if (changed.has('ovnkube-controller-crashloop'))
      for (const z of this.zones.values()) {
        if (!this.faults.on('ovnkube-controller-crashloop', z.node)) {
          z.failedKey = undefined;
          if (z.crashTimer && z.podName) {
            // fallback back-off: let the container run again at once
            clearTimeout(z.crashTimer);
            z.crashTimer = undefined;
            const uid = this.ctx.store.get(GVR.pods, OVN_NAMESPACE, z.podName)?.metadata.uid ?? '';
            this.restartCrashed(z.podName, uid);
          }
          this.reconcileZone(z.node);
        } else if (z.ctrl && z.podName) {
          // the running controller panics now (the next start panics again)
          const pod = z.podName;
          const ctrl = z.ctrl;
          z.busy = z.busy.then(async () => {
            if (z.ctrl !== ctrl) return;
            await ctrl.stop();
            z.ctrl = undefined;
            z.failedKey = z.key;
            z.key = undefined;
            const ref = { namespace: OVN_NAMESPACE, pod, container: ZONE_CONTAINER };
            for (const l of [
              'panic: runtime error: invalid memory address or nil pointer dereference',
              '[signal SIGSEGV: segmentation violation code=0x1 addr=0x18 pc=0x1c9e4f3]',
            ]) {
              z.logs.push(l);
              this.ctx.services.appendLog?.(ref, l);
            }
            this.crashContainer(z, pod);
          });
        }
      }
  }

  private async northd(node: string, id: 'stale-sb' | 'northd-down', on: boolean): Promise<void> {
    const exec = this.ctx.services.ovnExec;
    if (!exec) return;
    const run = async (argv: string[]): Promise<void> => {
      const out = new PassThrough();
      const err = new PassThrough();
      out.resume();
      err.resume();
      await exec(node, argv, { stdout: out, stderr: err }).catch(() => undefined);
    };
    if (id === 'stale-sb') await run(['ovn-appctl', '-t', 'ovn-northd', on ? 'pause' : 'resume']);
    else if (on) await run(['ovn-appctl', '-t', 'ovn-northd', 'exit']);
    else await this.ctx.services.ovnLifecycle?.startOvnPod(node).catch(() => undefined);
    this.ctx.log(`sim/ovnkube: fault ${id} ${on ? 'on' : 'off'} on ${node}`);
  }
}

/** The sim part: after ovn (NB sockets) and the controllers (pods, kubelet). */
export const ovnkubePart = {
  name: 'ovnkube',
  start: (ctx: SimContext): Promise<Stoppable> => Ovnkube.start(ctx),
};
