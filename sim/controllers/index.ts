/**
 * The sim parts of this folder (registered in sim/parts.ts):
 *  - 'nodes':     Node objects, heartbeats, node-lifecycle controller, NodeActions, and the kubelets
 *                 (fills ctx.services.nodeActions, podRuntime, appendLog);
 *  - 'workloads': scheduler, ReplicaSet / Deployment / DaemonSet controllers, garbage collector,
 *                 and the OpenShift network workloads (ovnkube-node, ovnkube-control-plane).
 */
import type { SimContext, Stoppable } from '../types.ts';
import { Kubelet, type KubeletTimings } from '../kubelet/kubelet.ts';
import { DaemonSetController } from './daemonset.ts';
import { DeploymentController } from './deployment.ts';
import { EventRecorder } from './events.ts';
import { GarbageCollector } from './gc.ts';
import { NodeLifecycle, type NodeTimings } from './node-lifecycle.ts';
import { ensureNamespace, ensureOpenShiftNetworkWorkloads } from './openshift.ts';
import { ReplicaSetController } from './replicaset.ts';
import { Scheduler } from './scheduler.ts';

export interface NodesPartOptions {
  nodeTimings?: Partial<NodeTimings>;
  kubeletTimings?: Partial<KubeletTimings>;
  maxPods?: number;
  /** write core/v1 Events (default true; benches may switch them off) */
  events?: boolean;
}

export interface RunningNodes extends Stoppable {
  lifecycle: NodeLifecycle;
  kubelet: Kubelet;
}

export async function startNodes(ctx: SimContext, opts: NodesPartOptions = {}): Promise<RunningNodes> {
  ensureNamespace(ctx, 'default');
  const events = new EventRecorder(ctx.store, { enabled: opts.events ?? true });
  const lifecycle = new NodeLifecycle(ctx, { events, timings: opts.nodeTimings, maxPods: opts.maxPods });
  const kubelet = new Kubelet(ctx, lifecycle, { events, timings: opts.kubeletTimings });
  lifecycle.attachKubelet(kubelet);
  ctx.services.nodeActions = lifecycle.actions;
  ctx.services.podRuntime = kubelet;
  ctx.services.appendLog = (ref, line) => kubelet.appendLog(ref, line);
  ctx.services.containerChaos = kubelet;
  ctx.services.containerHandlers = kubelet.handlers;
  lifecycle.start();
  kubelet.start();
  return {
    lifecycle,
    kubelet,
    async stop() {
      await kubelet.stop();
      await lifecycle.stop();
      if (ctx.services.podRuntime === kubelet) delete ctx.services.podRuntime;
      if (ctx.services.nodeActions === lifecycle.actions) delete ctx.services.nodeActions;
      delete ctx.services.appendLog;
      if (ctx.services.containerChaos === kubelet) delete ctx.services.containerChaos;
      if (ctx.services.containerHandlers === kubelet.handlers) delete ctx.services.containerHandlers;
    },
  };
}

export interface WorkloadsPartOptions {
  /** create ovnkube-node / ovnkube-control-plane (default true) */
  openshiftNetwork?: boolean;
  events?: boolean;
}

export interface RunningWorkloads extends Stoppable {
  scheduler: Scheduler;
  replicasets: ReplicaSetController;
  deployments: DeploymentController;
  daemonsets: DaemonSetController;
  gc: GarbageCollector;
}

export async function startWorkloads(ctx: SimContext, opts: WorkloadsPartOptions = {}): Promise<RunningWorkloads> {
  const events = new EventRecorder(ctx.store, { enabled: opts.events ?? true });
  const scheduler = new Scheduler(ctx, { events });
  const replicasets = new ReplicaSetController(ctx, { events });
  const deployments = new DeploymentController(ctx, { events });
  const daemonsets = new DaemonSetController(ctx, { events });
  const gc = new GarbageCollector(ctx);
  for (const c of [scheduler, replicasets, deployments, daemonsets, gc]) c.start();
  if (opts.openshiftNetwork ?? true) ensureOpenShiftNetworkWorkloads(ctx);
  return {
    scheduler,
    replicasets,
    deployments,
    daemonsets,
    gc,
    async stop() {
      for (const c of [gc, daemonsets, deployments, replicasets, scheduler]) await c.stop();
    },
  };
}
