/**
 * The emulated kubelets of all sim nodes: one PodRuntime for the API server, assembled from modules with
 * one job each:
 *   lifecycle.ts  pod and container lifecycle (start, restart with back-off, termination, node down/boot)
 *   status.ts     the pod status it posts (batched, deferred while the node is cut off)
 *   access.ts     pods/exec and pods/log for the API server
 *   chaos.ts      Chaos Mesh container-kill / pod-failure
 *   handlers.ts   the registry of container handlers (an emulated image's process, commands, logs, files)
 *   runenv.ts, exec.ts, shell.ts  what runs in a container; ipam.ts pod IPs; logs.ts log rings
 *
 * Node lifecycle (sim/controllers/node-lifecycle.ts) drives it through nodeDown / nodeBooted /
 * kubeletStarted / apiReconnected; it reads the node's state through NodeStateView.
 */
import { errText, GVR, keyOf, Timers } from '../controllers/common.ts';
import { EventRecorder } from '../controllers/events.ts';
import { Informer, nodeNameIndex, WorkQueue } from '../controllers/informer.ts';
import { podSpec } from '../controllers/kinds.ts';
import { nodeAddressing, stripPrefix } from '../topology.ts';
import type {
  ContainerChaos,
  ContainerRef,
  ExecResult,
  ExecStreams,
  LogEntry,
  LogOptions,
  ObjectStore,
  PodRuntime,
  SimContext,
  Stoppable,
} from '../types.ts';
import { ContainerAccess } from './access.ts';
import { KubeletChaos } from './chaos.ts';
import { ContainerHandlers } from './handlers.ts';
import { NodeIpam } from './ipam.ts';
import { PodLifecycle } from './lifecycle.ts';
import { LogStore } from './logs.ts';
import { DEFAULT_KUBELET_TIMINGS, type KubeletTimings, type NodeStateView, type PodRec } from './records.ts';
import { StatusPoster } from './status.ts';

export { CHAOS_PAUSE_IMAGE, DEFAULT_KUBELET_TIMINGS, type KubeletTimings, type NodeStateView } from './records.ts';
export { hostRootMount, imageKind } from './runenv.ts';
export type { ContainerHandler, ContainerHandlerContext, ContainerProcess, HandlerCommand } from './handlers.ts';

export interface KubeletOptions {
  events?: EventRecorder;
  timings?: Partial<KubeletTimings>;
}

export class Kubelet implements PodRuntime, ContainerChaos, Stoppable {
  readonly logs = new LogStore();
  readonly pods: Informer;
  /** container handlers (one per emulated image); also ctx.services.containerHandlers */
  readonly handlers = new ContainerHandlers();
  private readonly queue: WorkQueue;
  private readonly timers = new Timers();
  private readonly life: PodLifecycle;
  private readonly access: ContainerAccess;
  private readonly chaos: KubeletChaos;
  private restoreGraceful?: () => void;

  constructor(
    private readonly ctx: SimContext,
    view: NodeStateView,
    opts: KubeletOptions = {},
  ) {
    const events = opts.events ?? new EventRecorder(ctx.store);
    const timings = { ...DEFAULT_KUBELET_TIMINGS, ...opts.timings };
    const myNodes = new Set(ctx.nodes.map((n) => n.name));
    const ipam = new Map<string, NodeIpam>();
    const nodeIps = new Map<string, string[]>();
    for (const n of ctx.nodes) {
      ipam.set(n.name, new NodeIpam(n, ctx.ipStack));
      const a = nodeAddressing(n, ctx.ipStack);
      nodeIps.set(n.name, [a.nodeIp.v4, a.nodeIp.v6].filter((x): x is string => !!x).map(stripPrefix));
    }
    this.pods = new Informer(ctx.store, GVR.pods);
    this.pods.addIndex('node', nodeNameIndex);
    this.queue = new WorkQueue(
      (k) => this.life.reconcile(k),
      (k, e) => ctx.log(`kubelet: pod ${k}: ${errText(e)}`),
    );
    const recs = new Map<string, PodRec>();
    const status = new StatusPoster(ctx.store, view, recs, nodeIps, ctx.log);
    this.life = new PodLifecycle(
      {
        ctx,
        view,
        pods: this.pods,
        events,
        timings,
        timers: this.timers,
        logs: this.logs,
        ipam,
        nodeIps,
        myNodes,
        status,
        handlers: this.handlers,
        enqueue: (k) => this.queue.add(k),
      },
      recs,
    );
    this.access = new ContainerAccess({ ctx, view, timers: this.timers, nodeIps, pods: this.pods, logs: this.logs, recs });
    this.chaos = new KubeletChaos(this.life, status, view);
    this.pods.on((type, p) => {
      const node = podSpec(p).nodeName;
      if (type === 'DELETED' || (node && myNodes.has(node)) || recs.has(keyOf(p))) this.queue.add(keyOf(p));
    });
  }

  start(): void {
    const s = this.ctx.store as ObjectStore & { gracefulPods?: () => boolean };
    if (typeof s.gracefulPods === 'function') {
      const prev = s.gracefulPods;
      s.gracefulPods = () => true;
      this.restoreGraceful = () => {
        s.gracefulPods = prev;
      };
    }
    this.pods.start();
  }

  async stop(): Promise<void> {
    this.restoreGraceful?.();
    this.timers.stop();
    this.queue.stop();
    this.pods.stop();
    this.life.stopAll();
  }

  // node lifecycle hooks (sim/controllers/node-lifecycle.ts)

  /** The node stops (reboot: graceful; crash: at once): every container dies, nothing is posted. */
  nodeDown(node: string): void {
    this.life.nodeDown(node);
  }

  /** After a boot with a running kubelet: pods come back with restartCount+1, 'previous' logs kept. */
  nodeBooted(node: string): void {
    this.life.nodeBooted(node);
  }

  /** The kubelet process (re)starts on a running node: start new pods, finish deletions, post what changed. */
  kubeletStarted(node: string): void {
    this.life.kubeletStarted(node);
  }

  /** API reachable again (partition healed, kubelet started): post deferred statuses. */
  apiReconnected(node: string): void {
    this.life.apiReconnected(node);
  }

  // PodRuntime

  exec(ref: ContainerRef, command: string[], streams: ExecStreams, opts: { tty: boolean }): Promise<ExecResult> {
    return this.access.exec(ref, command, streams, opts);
  }

  readLogs(ref: ContainerRef, opts: LogOptions): LogEntry[] {
    return this.access.readLogs(ref, opts);
  }

  followLogs(ref: ContainerRef, onEntry: (entry: LogEntry) => void): () => void {
    return this.access.followLogs(ref, onEntry);
  }

  /** For emulated components: append to a container's current log (dropped when the pod does not exist). */
  appendLog(ref: ContainerRef, line: string): void {
    this.access.appendLog(ref, line);
  }

  // ContainerChaos (sim/chaos)

  killContainer(ref: ContainerRef): boolean {
    return this.chaos.killContainer(ref);
  }

  setPodFailure(namespace: string, pod: string, failed: boolean): boolean {
    return this.chaos.setPodFailure(namespace, pod, failed);
  }

  /** Pods this kubelet runs on `node` (tests, benches). */
  runningOn(node: string): number {
    return this.life.recsOn(node).filter((r) => r.stage === 'running').length;
  }
}
